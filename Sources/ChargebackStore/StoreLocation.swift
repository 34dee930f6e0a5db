import ChargebackModel
import Foundation

/// Which store `--db` names (docs/postgres.md §1): a `postgres://` or `postgresql://` URL (the two
/// schemes libpq takes, any case) is a PostgreSQL store; anything else is an SQLite file path (a
/// file whose name really starts with `postgres://` is given as `./postgres://…`).
package enum StoreLocation: Sendable, Equatable {
  case sqlite(path: String)
  case postgres(PostgresURL)

  /// - Throws: ``StoreURLError`` (exit 64) for a malformed URL or an unknown parameter.
  package init(_ db: String) throws {
    let lower = db.lowercased()
    if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
      self = .postgres(try PostgresURL(db))
    } else {
      self = .sqlite(path: db)
    }
  }

  /// For every message: the path, or the URL with its password replaced by `***`.
  package var shown: String {
    switch self {
    case .sqlite(let path): path
    case .postgres(let url): url.shown
    }
  }
}

/// A malformed `--db` URL (exit 64).
package struct StoreURLError: ChargebackFailure, Sendable {
  package var shown: String
  package var reason: String
  package var description: String { "--db \(shown): \(reason)" }
  package var exitStatus: Int32 { ExitStatus.usage }
}

/// The parts of a libpq-style URI the PostgreSQL store uses (docs/postgres.md §1).
package struct PostgresURL: Sendable, Equatable {
  package enum SSLMode: String, Sendable, CaseIterable {
    case disable, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
  }

  package var user: String
  package var password: String?
  /// A host name or address; nil when `socketDirectory` is set.
  package var host: String?
  /// The folder of the server's unix socket.
  package var socketDirectory: String?
  package var port: Int
  package var database: String
  package var schema: String
  package var sslMode: SSLMode
  package var sslRootCert: String?
  package var applicationName: String
  package var connectTimeout: Int
  /// The URL as given, with the password hidden.
  package var shown: String

  /// The query parameters accepted.
  package static let parameters = ["host", "sslmode", "sslrootcert", "schema", "application_name", "connect_timeout"]

  package init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    guard let schemeEnd = text.range(of: "://") else {
      throw StoreURLError(shown: Self.hide(text), reason: "not a postgres:// URL")
    }
    var rest = String(text[schemeEnd.upperBound...])
    var query = ""
    if let q = rest.firstIndex(of: "?") {
      query = String(rest[rest.index(after: q)...])
      rest = String(rest[..<q])
    }
    var path = ""
    if let slash = rest.firstIndex(of: "/") {
      path = String(rest[rest.index(after: slash)...])
      rest = String(rest[..<slash])
    }
    var userInfo: String?
    if let at = rest.lastIndex(of: "@") {
      userInfo = String(rest[..<at])
      rest = String(rest[rest.index(after: at)...])
    }
    var hidden = String(text[..<schemeEnd.upperBound])
    func fail(_ reason: String) -> StoreURLError { StoreURLError(shown: Self.hide(text), reason: reason) }
    func decode(_ s: some StringProtocol) throws -> String {
      guard let d = String(s).removingPercentEncoding else { throw fail("bad percent-encoding in '\(s)'") }
      return d
    }
    var user = environment["USER"] ?? "postgres"
    var password = environment["PGPASSWORD"]
    if let info = userInfo {
      let parts = info.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
      if !parts[0].isEmpty { user = try decode(parts[0]) }
      if parts.count > 1 { password = try decode(parts[1]) }
      hidden += String(parts[0]) + (parts.count > 1 ? ":***" : "") + "@"
    }
    hidden += rest + (path.isEmpty ? "" : "/" + path)
    // host[:port], [v6]:port
    var hostPart = rest
    var portText: String?
    if hostPart.hasPrefix("[") {
      guard let close = hostPart.firstIndex(of: "]") else { throw fail("unclosed '[' in the host") }
      let after = hostPart[hostPart.index(after: close)...]
      if after.hasPrefix(":") { portText = String(after.dropFirst()) }
      hostPart = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
    } else if let colon = hostPart.lastIndex(of: ":") {
      portText = String(hostPart[hostPart.index(after: colon)...])
      hostPart = String(hostPart[..<colon])
    }
    if let portText {
      guard let p = Int(portText), (1...65535).contains(p) else { throw fail("the port '\(portText)' is not a number") }
      port = p
    } else {
      port = 5432
    }
    let decodedHost = try decode(hostPart)
    if decodedHost.hasPrefix("/") {
      socketDirectory = decodedHost
      host = nil
    } else {
      host = decodedHost.isEmpty ? "localhost" : decodedHost
    }
    database = path.isEmpty ? user : try decode(path)
    schema = "chargeback"
    sslMode = .prefer
    var sslModeGiven = false
    applicationName = "chargeback"
    connectTimeout = 10
    for pair in query.split(separator: "&") where !pair.isEmpty {
      let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let key = try decode(kv[0])
      let value = kv.count > 1 ? try decode(kv[1]) : ""
      switch key {
      case "host":
        if value.hasPrefix("/") {
          socketDirectory = value
          host = nil
        } else {
          host = value
          socketDirectory = nil
        }
      case "sslmode":
        guard let mode = SSLMode(rawValue: value) else {
          throw fail("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        sslMode = mode
        sslModeGiven = true
      case "sslrootcert": sslRootCert = value
      case "schema":
        guard !value.isEmpty, value.utf8.count <= 63 else { throw fail("the schema name must be 1 to 63 bytes") }
        schema = value
      case "application_name": applicationName = value
      case "connect_timeout":
        guard let t = Int(value), t > 0 else { throw fail("connect_timeout must be a whole number of seconds") }
        connectTimeout = t
      default:
        throw fail("unknown parameter '\(key)'; accepted: \(Self.parameters.joined(separator: ", "))")
      }
    }
    if socketDirectory != nil && !sslModeGiven { sslMode = .disable }
    self.user = user
    self.password = password
    shown = hidden + (query.isEmpty ? "" : "?" + query)
  }

  /// `text` with anything between `scheme://user:` and `@` replaced by `***`.
  static func hide(_ text: String) -> String {
    guard let s = text.range(of: "://") else { return text }
    let rest = text[s.upperBound...]
    let authority = rest.prefix { $0 != "/" && $0 != "?" }
    guard let at = authority.lastIndex(of: "@") else { return text }
    let info = authority[..<at]
    guard let colon = info.firstIndex(of: ":") else { return text }
    return String(text[..<s.upperBound]) + info[..<colon] + ":***" + text[at...]
  }

  /// The server's socket file, for a unix-socket URL.
  package var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }
}
