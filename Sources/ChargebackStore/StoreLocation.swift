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
  package static let parameters = [
    "host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", "schema", "application_name",
    "connect_timeout",
  ]

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
    // Messages name the part, never its text: a misplaced password may be in any part.
    func decode(_ s: some StringProtocol, _ part: String) throws -> String {
      guard let d = String(s).removingPercentEncoding else { throw fail("bad percent-encoding in the \(part)") }
      return d
    }
    // libpq's environment fills what the URL leaves out: PGUSER, PGPASSWORD, PGHOST, PGPORT, PGDATABASE.
    var user = environment["PGUSER"] ?? environment["USER"] ?? "postgres"
    var password = environment["PGPASSWORD"]
    if let info = userInfo {
      let parts = info.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
      if !parts[0].isEmpty { user = try decode(parts[0], "user name") }
      if parts.count > 1 { password = try decode(parts[1], "password") }
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
    func portNumber(_ text: String) throws -> Int {
      guard let p = Int(text), (1...65535).contains(p) else { throw fail("the port is not a number from 1 to 65535") }
      return p
    }
    port = try portNumber(portText ?? environment["PGPORT"] ?? "5432")
    var decodedHost = try decode(hostPart, "host")
    if decodedHost.isEmpty, let fromEnvironment = environment["PGHOST"] { decodedHost = fromEnvironment }
    if decodedHost.hasPrefix("/") {
      socketDirectory = decodedHost
      host = nil
    } else {
      host = decodedHost.isEmpty ? "localhost" : decodedHost
    }
    database = path.isEmpty ? environment["PGDATABASE"] ?? user : try decode(path, "database name")
    var databaseGiven = !path.isEmpty
    schema = "chargeback"
    sslMode = .prefer
    var sslModeGiven = false
    applicationName = "chargeback"
    connectTimeout = 10
    for pair in query.split(separator: "&") where !pair.isEmpty {
      let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let key = try decode(kv[0], "query")
      let value = kv.count > 1 ? try decode(kv[1], "query") : ""
      switch key {
      case "host":
        if value.hasPrefix("/") {
          socketDirectory = value
          host = nil
        } else {
          host = value
          socketDirectory = nil
        }
      case "port": port = try portNumber(value)
      case "user": user = value
      case "password": password = value
      case "dbname":
        database = value
        databaseGiven = true
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
        // The key is named only when the masked URL shows it as a parameter (else it may be part
        // of a password with an unencoded `?`).
        let visible = Self.hide(text)
        let named = visible.contains("?" + key) || visible.contains("&" + key) ? " '\(key)'" : ""
        throw fail("unknown parameter\(named); accepted: \(Self.parameters.joined(separator: ", "))")
      }
    }
    if socketDirectory != nil && !sslModeGiven { sslMode = .disable }
    if !databaseGiven, path.isEmpty, environment["PGDATABASE"] == nil { database = user }
    self.user = user
    self.password = password
    shown = Self.hide(hidden + (query.isEmpty ? "" : "?" + query))
  }

  /// `text` with its passwords replaced by `***`.
  ///
  /// Whatever stands between `scheme://user:` and the last `@` (a password with an unencoded `/`, `?` or `@` included), and every `password=` value.
  /// Used for every message, also when the URL does not parse: masking too much is harmless.
  static func hide(_ text: String) -> String {
    guard let s = text.range(of: "://") else { return text }
    var out = String(text[..<s.upperBound])
    var rest = Substring(text[s.upperBound...])
    if let at = rest.lastIndex(of: "@") {
      let info = rest[..<at]
      if let colon = info.firstIndex(of: ":") {
        out += info[..<colon] + ":***"
        rest = rest[at...]
      }
    }
    // `password=…` in the query, up to the next `&`.
    var masked = ""
    var remaining = rest
    while let r = remaining.range(of: "password=") {
      let before = remaining[..<r.lowerBound]
      let isParameter = before.last.map { $0 == "?" || $0 == "&" } ?? false
      masked += before + "password="
      remaining = remaining[r.upperBound...]
      guard isParameter else { continue }
      masked += "***"
      remaining = remaining[(remaining.firstIndex(of: "&") ?? remaining.endIndex)...]
    }
    return out + masked + remaining
  }

  /// The server's socket file, for a unix-socket URL.
  package var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }
}
