// swift-tools-version:6.1
import PackageDescription

// Targets are layered; every dependency points down (docs/architecture.md has the picture):
//
//   chargeback (CLI)           ChargebackDemo        ChargebackTestSupport (tests only)
//        │                          │                        │
//   ChargebackKit (pipeline: the only target that knows every stage)
//        │
//   Ingest · Store · Identity · Pricing · Detect · Reporting   (stages; never each other;
//   StorePostgres sits beside Store and implements its protocol)
//        │
//   ChargebackSupport (CSV tables, progress, batch pipe)
//        │
//   ChargebackModel (values and the shared error types; imports nothing of ours)
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
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
  ],
  targets: [
    .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(name: "CXLSXWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // Values every stage speaks.
    .target(name: "ChargebackModel"),
    .target(name: "ChargebackSupport", dependencies: ["ChargebackModel", crypto]),

    // Stages.
    .target(name: "ChargebackIngest", dependencies: ["ChargebackModel", "ChargebackSupport", "CZlib", crypto]),
    .target(name: "ChargebackStore", dependencies: ["ChargebackModel", "ChargebackSupport", "CSQLite", crypto]),
    // The PostgreSQL store (docs/postgres.md): beside the SQLite store, behind its protocol.
    .target(
      name: "ChargebackStorePostgres",
      dependencies: [
        "ChargebackModel", "ChargebackSupport", "ChargebackStore", crypto,
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ]
    ),
    .target(name: "ChargebackIdentity", dependencies: ["ChargebackModel", "ChargebackSupport", crypto]),
    .target(name: "ChargebackPricing", dependencies: ["ChargebackModel", "ChargebackSupport", crypto]),
    .target(name: "ChargebackDetect", dependencies: ["ChargebackModel", "ChargebackSupport"]),
    .target(
      name: "ChargebackReporting",
      dependencies: ["ChargebackModel", "ChargebackSupport", "CXLSXWriter", "CZlib", crypto]
    ),

    // The pipeline that wires the stages.
    .target(
      name: "ChargebackKit",
      dependencies: [
        "ChargebackModel", "ChargebackSupport", "ChargebackIngest", "ChargebackStore", "ChargebackStorePostgres",
        "ChargebackIdentity", "ChargebackPricing", "ChargebackDetect", "ChargebackReporting", crypto,
      ]
    ),

    // Demo month and benchmark data (`chargeback demo`, `make bench`).
    .target(name: "ChargebackDemo", dependencies: ["ChargebackModel", "ChargebackSupport"]),

    // The thin CLI.
    .executableTarget(
      name: "chargeback",
      dependencies: [
        "ChargebackKit", "ChargebackDemo", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // Test support (the labelled evaluation set, shared helpers); shipped in no product.
    .target(name: "ChargebackTestSupport", dependencies: ["ChargebackKit", "ChargebackDemo"]),
    .testTarget(
      name: "ChargebackKitTests",
      dependencies: [
        "ChargebackModel", "ChargebackSupport", "ChargebackIngest", "ChargebackStore", "ChargebackStorePostgres",
        "ChargebackIdentity", "ChargebackPricing", "ChargebackDetect", "ChargebackReporting", "ChargebackKit",
        "ChargebackDemo", "ChargebackTestSupport",
      ],
      resources: [.copy("Fixtures")]
    ),
  ],
  swiftLanguageModes: [.v6]
)

var crypto: Target.Dependency { .product(name: "Crypto", package: "swift-crypto") }
