import ChargebackModel
import ChargebackStore
import Dispatch
import Foundation
import PostgresNIO

/// A value bound to, or read from, a statement.
enum PGValue: Sendable, Equatable {
  case null
  case int(Int64)
  case text(String)
  case bytes([UInt8])
}

/// One result row, read like SQLite's `Statement` columns (docs/postgres.md §6).
struct PGRow: Sendable {
  var values: [PGValue]

  func int64(_ i: Int) -> Int64 {
    if case .int(let v) = values[i] { return v }
    return 0
  }
  func optionalInt64(_ i: Int) -> Int64? {
    if case .int(let v) = values[i] { return v }
    return nil
  }
  /// Text as stored, with the U+0000/U+0001 escape undone (``PGText``).
  func text(_ i: Int) -> String? {
    if case .text(let v) = values[i] { return PGText.decode(v) }
    return nil
  }
  func isNull(_ i: Int) -> Bool { values[i] == .null }
}

/// The escape of U+0000, which PostgreSQL text cannot hold.
///
/// (docs/postgres.md §3, rule 3): the byte
/// 00 is stored as 01 01 and 01 as 01 02. Injective and order-keeping.
enum PGText {
  static func encode(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 <= 1 }) else { return s }
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count + 4)
    for b in s.utf8 {
      switch b {
      case 0: out += [1, 1]
      case 1: out += [1, 2]
      default: out.append(b)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func decode(_ s: String) -> String {
    guard s.utf8.contains(1) else { return s }
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count)
    var escaped = false
    for b in s.utf8 {
      if escaped {
        out.append(b == 1 ? 0 : 1)
        escaped = false
      } else if b == 1 {
        escaped = true
      } else {
        out.append(b)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}

/// A failure of the PostgreSQL store, with the exit status of docs/postgres.md §1.
package struct PostgresStoreError: ChargebackFailure, Sendable {
  /// The store, without its password.
  package var store: String
  package var message: String
  /// The SQLSTATE, when the server gave one.
  package var sqlState: String?
  package var exitStatus: Int32

  package var description: String {
    "\(store): PostgreSQL store: \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
  }

  /// The status for a server error: 66 database missing, 65 damaged, 74 connection, disk or login,
  /// 75 a lock not granted in time, else 70.
  static func status(sqlState: String) -> Int32 {
    switch sqlState {
    case "3D000": ExitStatus.noInput
    case "XX001": ExitStatus.dataError
    case "53100": ExitStatus.ioError
    case "55P03": ExitStatus.tempFailure
    case _ where sqlState.hasPrefix("08") || sqlState.hasPrefix("28") || sqlState.hasPrefix("57P"): ExitStatus.ioError
    default: ExitStatus.software
    }
  }
}

/// Lets a value cross from the waiting thread to the task and back: safe because the thread waits
/// on the semaphore until the task has set it.
private final class ResultBox<T>: @unchecked Sendable {
  var result: Result<T, any Error>?
}

/// Runs the bridge's tasks on a queue of their own, never on Swift's cooperative pool: a caller that
/// is itself on that pool (a test, say) may block a thread of it while the task runs.
final class BridgeExecutor: TaskExecutor, @unchecked Sendable {
  static let shared = BridgeExecutor()
  private let queue = DispatchQueue(label: "chargeback.postgres.bridge")

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    let executor = asUnownedTaskExecutor()
    queue.async { job.runSynchronously(on: executor) }
  }
}

/// One connection, used synchronously.
///
/// (docs/postgres.md §2, "Synchronous pipeline, asynchronous
/// driver"): every call runs its statements on a task and blocks the calling thread until it ends.
/// The pipeline's threads are plain threads, never Swift-concurrency ones.
final class PGConnection: @unchecked Sendable {
  let connection: PostgresConnection
  let shown: String
  let logger: Logger

  private init(connection: PostgresConnection, shown: String, logger: Logger) {
    self.connection = connection
    self.shown = shown
    self.logger = logger
  }

  /// Runs `body` on a task and waits for it.
  static func blocking<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task(executorPreference: BridgeExecutor.shared) {
      do {
        box.result = .success(try await body())
      } catch {
        box.result = .failure(error)
      }
      done.signal()
    }
    done.wait()
    guard let result = box.result else { preconditionFailure("the bridge's task ended without a result") }
    return try result.get()
  }

  static func connect(_ url: PostgresURL) throws -> PGConnection {
    var logger = Logger(label: "chargeback.postgres")
    logger.logLevel = .critical
    let config: PostgresConnection.Configuration
    if let socket = url.socketPath {
      config = .init(unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
    } else {
      let tls: PostgresConnection.Configuration.TLS
      switch url.sslMode {
      case .disable:
        tls = .disable
      case .prefer, .require, .verifyCA, .verifyFull:
        var tlsConfig = TLSConfiguration.makeClientConfiguration()
        if url.sslMode == .prefer || url.sslMode == .require { tlsConfig.certificateVerification = .none }
        if url.sslMode == .verifyCA { tlsConfig.certificateVerification = .noHostnameVerification }
        if let ca = url.sslRootCert { tlsConfig.trustRoots = .file(ca) }
        do {
          let context = try NIOSSLContext(configuration: tlsConfig)
          tls = url.sslMode == .prefer ? .prefer(context) : .require(context)
        } catch {
          throw PostgresStoreError(
            store: url.shown, message: "TLS set-up failed: \(error)", sqlState: nil, exitStatus: ExitStatus.ioError)
        }
      }
      config = .init(
        host: url.host ?? "localhost", port: url.port, username: url.user, password: url.password,
        database: url.database, tls: tls)
    }
    var c = config
    c.options.connectTimeout = .seconds(Int64(url.connectTimeout))
    c.options.additionalStartupParameters = [
      ("client_encoding", "UTF8"), ("application_name", url.applicationName),
      ("search_path", "\"" + url.schema.replacingOccurrences(of: "\"", with: "\"\"") + "\""),
      ("idle_in_transaction_session_timeout", "300000"), ("temp_buffers", "32768"),
      // The server notices a vanished client (a killed or cut-off ingester in its COPY, holding a
      // file's lock) in about 2 minutes, not the kernel's default 2 hours. Ignored on a unix socket.
      ("tcp_keepalives_idle", "60"), ("tcp_keepalives_interval", "10"), ("tcp_keepalives_count", "6"),
    ]
    let configuration = c
    let log = logger
    do {
      let conn = try blocking {
        try await PostgresConnection.connect(
          on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: log)
      }
      return PGConnection(connection: conn, shown: url.shown, logger: logger)
    } catch {
      throw PGConnection.failure(error, shown: url.shown, connecting: true)
    }
  }

  func close() {
    let c = connection
    _ = try? Self.blocking { try await c.close() }
  }

  /// Maps a driver error to the store's error (docs/postgres.md §1).
  static func failure(_ error: any Error, shown: String, connecting: Bool = false) -> any Error {
    if error is any ChargebackFailure { return error }
    if let e = error as? PSQLError {
      if let state = e.serverInfo?[.sqlState] {
        let message = e.serverInfo?[.message] ?? "\(e.code)"
        return PostgresStoreError(
          store: shown, message: message, sqlState: state, exitStatus: PostgresStoreError.status(sqlState: state))
      }
      let what = connecting ? "cannot connect" : "connection failed"
      return PostgresStoreError(
        store: shown, message: "\(what): \(e.code)\(e.underlying.map { ": \($0)" } ?? "")", sqlState: nil,
        exitStatus: ExitStatus.ioError)
    }
    return PostgresStoreError(
      store: shown, message: (connecting ? "cannot connect: " : "") + "\(error)", sqlState: nil,
      exitStatus: ExitStatus.ioError)
  }

  static func bindings(_ values: [PGValue]) -> PostgresBindings {
    var b = PostgresBindings(capacity: values.count)
    for v in values {
      switch v {
      case .null: b.appendNull()
      case .int(let i): b.append(i)
      case .text(let s): b.append(PGText.encode(s))
      case .bytes(let bytes): b.append(ByteBuffer(bytes: bytes))
      }
    }
    return b
  }

  static func decode(_ row: PostgresRow) throws -> PGRow {
    var out: [PGValue] = []
    for cell in row {
      guard cell.bytes != nil else {
        out.append(.null)
        continue
      }
      switch cell.dataType {
      case .int2, .int4, .int8: out.append(.int(try cell.decode(Int64.self)))
      case .bool: out.append(.int(try cell.decode(Bool.self) ? 1 : 0))
      case .bytea: out.append(.bytes(Array(buffer: try cell.decode(ByteBuffer.self))))
      default: out.append(.text(try cell.decode(String.self)))
      }
    }
    return PGRow(values: out)
  }

  /// Runs one statement and returns its rows.
  @discardableResult
  func rows(_ sql: String, _ values: [PGValue] = []) throws -> [PGRow] {
    let query = PostgresQuery(unsafeSQL: sql, binds: Self.bindings(values))
    let c = connection
    let log = logger
    do {
      return try Self.blocking {
        var out: [PGRow] = []
        for try await row in try await c.query(query, logger: log) { out.append(try Self.decode(row)) }
        return out
      }
    } catch {
      throw Self.failure(error, shown: shown)
    }
  }

  /// Runs one statement that returns nothing of interest.
  func execute(_ sql: String, _ values: [PGValue] = []) throws { try rows(sql, values) }

  /// The first column of the first row as an integer.
  func scalarInt(_ sql: String, _ values: [PGValue] = []) throws -> Int64? {
    try rows(sql, values).first?.optionalInt64(0)
  }
}
