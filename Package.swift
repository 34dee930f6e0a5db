// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "TokenChargeback",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "chargeback", targets: ["chargeback"]),
    .library(name: "ChargebackKit", targets: ["ChargebackKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    .systemLibrary(
      name: "CSQLite",
      pkgConfig: "sqlite3",
      providers: [.apt(["libsqlite3-dev"])]
    ),
    .systemLibrary(
      name: "CXLSXWriter",
      pkgConfig: "xlsxwriter",
      providers: [.apt(["libxlsxwriter-dev"])]
    ),
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .target(
      name: "ChargebackKit",
      dependencies: [
        "CSQLite", "CXLSXWriter", "CZlib",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .executableTarget(
      name: "chargeback",
      dependencies: [
        "ChargebackKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(
      name: "ChargebackKitTests",
      dependencies: ["ChargebackKit"],
      resources: [.copy("Fixtures")]
    ),
  ],
  swiftLanguageModes: [.v6]
)
