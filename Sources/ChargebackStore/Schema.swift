import ChargebackModel

/// The store's schema and its forward migrations, versioned with `PRAGMA user_version`.
///
/// Each migration is applied once, in order, inside one transaction. Never edit a migration that
/// has shipped; add the next one.
enum Schema {
  /// Migrations in order; index + 1 is the version it brings the store to.
  static let migrations: [String] = [
    """
    CREATE TABLE files (
      id          INTEGER PRIMARY KEY,
      sha256      TEXT NOT NULL UNIQUE,
      path        TEXT NOT NULL,
      format      TEXT NOT NULL,
      level       TEXT NOT NULL,
      bytes       INTEGER NOT NULL,
      records     INTEGER NOT NULL,
      new_records INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE usage (
      id              INTEGER PRIMARY KEY,
      key_hash        BLOB NOT NULL UNIQUE,
      natural_key     TEXT NOT NULL,
      provider        TEXT NOT NULL,
      file_id         INTEGER NOT NULL,
      line            INTEGER,
      json_path       TEXT,
      ts              INTEGER NOT NULL,
      bucket_end      INTEGER,
      request_id      TEXT,
      credential      TEXT,
      project         TEXT,
      model           TEXT NOT NULL,
      tier            TEXT NOT NULL,
      context_window  TEXT,
      input           INTEGER NOT NULL,
      cached_input    INTEGER NOT NULL,
      cache_write_5m  INTEGER NOT NULL,
      cache_write_1h  INTEGER NOT NULL,
      output          INTEGER NOT NULL,
      web_search      INTEGER NOT NULL,
      requests        INTEGER NOT NULL,
      failed          INTEGER NOT NULL,
      error_code      TEXT,
      agent_id        TEXT,
      task_id         TEXT,
      scope_id        TEXT,
      parent_id       TEXT,
      credential_provider TEXT,
      trace_id        TEXT,
      span_id         TEXT,
      prompt_hash     TEXT,
      retries         INTEGER,
      billed_pico     INTEGER,
      line_item       TEXT,
      agent_path      TEXT
    ) STRICT;
    CREATE INDEX usage_ts ON usage(ts);
    """,
    // 2: LiteLLM key aliases; delivery artifacts skipped at ingest (for the manifest); the spans
    // of OTel traces, for ancestry over the whole trace; settings remembered between commands
    // (the identity and price directories of the last report, for `explain`).
    """
    ALTER TABLE usage ADD COLUMN credential_alias TEXT;
    CREATE TABLE settings (
      name        TEXT PRIMARY KEY,
      value       TEXT NOT NULL
    ) STRICT;
    CREATE TABLE skipped_files (
      path        TEXT PRIMARY KEY,
      sha256      TEXT NOT NULL,
      bytes       INTEGER NOT NULL,
      reason      TEXT NOT NULL
    ) STRICT;
    CREATE TABLE trace_spans (
      trace_id        TEXT NOT NULL,
      span_id         TEXT NOT NULL,
      parent_span_id  TEXT,
      model_call      INTEGER NOT NULL,
      invoked_agent   TEXT,
      agent_id        TEXT,
      task_id         TEXT,
      conversation_id TEXT,
      scope_id        TEXT,
      credential      TEXT,
      res_agent_id        TEXT,
      res_task_id         TEXT,
      res_conversation_id TEXT,
      res_scope_id        TEXT,
      res_credential      TEXT,
      file_id             INTEGER NOT NULL,
      PRIMARY KEY (trace_id, span_id)
    ) STRICT, WITHOUT ROWID;
    """,
    // 3: each closed period's reported totals, for the next period's comparison with it.
    """
    CREATE TABLE period_totals (
      period      TEXT NOT NULL,
      dimension   TEXT NOT NULL,
      cost_centre TEXT NOT NULL,
      item        TEXT NOT NULL,
      cost_pico   TEXT NOT NULL,
      PRIMARY KEY (period, dimension, cost_centre, item)
    ) STRICT, WITHOUT ROWID;
    """,
  ]

  /// The version a fully migrated store has.
  static var currentVersion: Int64 { Int64(migrations.count) }

  /// Brings `db` up to ``currentVersion``; refuses a store written by a newer version.
  static func migrate(_ db: Database) throws {
    let version = try db.scalarInt("PRAGMA user_version") ?? 0
    guard version <= currentVersion else {
      throw StoreError.newerSchema(path: db.path, found: version, supported: currentVersion)
    }
    for v in Int(version)..<migrations.count {
      try db.transaction {
        try db.execute(migrations[v])
        try db.execute("PRAGMA user_version = \(v + 1)")
      }
    }
  }
}

/// Store-level failures that are not SQLite's own.
package enum StoreError: ChargebackFailure {
  case newerSchema(path: String, found: Int64, supported: Int64)
  /// A stored record outside ``Bounds`` (stored by a version that did not check them).
  case outOfBounds(path: String, id: Int64, field: String, message: String)

  package var description: String {
    switch self {
    case .outOfBounds(let path, let id, let field, let message):
      "\(path): usage record \(id): \(field) \(message); it was stored before ingest checked bounds: "
        + "remove the file that brought it and ingest it again"
    case .newerSchema(let path, let found, let supported):
      "\(path): store schema version \(found) is newer than this tool supports (\(supported)); use a newer chargeback"
    }
  }

  package var exitStatus: Int32 { ExitStatus.dataError }
}
