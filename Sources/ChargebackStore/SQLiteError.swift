import ChargebackModel

/// A failure reported by SQLite, with the statement or action that caused it.
package struct SQLiteError: ChargebackFailure {
  /// SQLite's result code.
  package let code: Int32
  /// SQLite's message.
  package let message: String
  /// What we were doing (`opening chargeback.sqlite`, the SQL text).
  package let context: String

  package var description: String { "SQLite error \(code) while \(context): \(message)" }

  package var exitStatus: Int32 { ExitStatus.ioError }
}
