import ChargebackModel

/// Migration 9's pieces: the usage table's columns and view as the copy needs them, and the
/// completion that places the rows whose first 64 bits collide and swaps the tables.
extension Schema {
  /// The columns of `usage` after `key_hash`, in the table's order.
  static let usageColumnsAfterKey = """
    natural_key, provider, file_id, line, json_path, ts, bucket_end, request_id, credential, project, model, tier,
    context_window, input, cached_input, cache_write_5m, cache_write_1h, output, web_search, requests, failed,
    error_code, agent_id, task_id, scope_id, parent_id, credential_provider, trace_id, span_id, prompt_hash, retries,
    billed_pico, line_item, agent_path, credential_alias, provisioned, credential_n, project_n, model_n, agent_n
    """

  /// The `usage_text` view: every row with the text of its names (``NameTable``).
  ///
  /// The same text as migration 8's, written again on purpose: a migration that has shipped is
  /// never edited, so it cannot be made to use this one.
  static let usageTextView = """
    CREATE VIEW usage_text AS
    SELECT u.id, u.key_hash, u.natural_key, u.provider, u.file_id, u.line, u.json_path, u.ts, u.bucket_end,
      u.request_id,
      CASE WHEN u.credential_n IS NULL THEN u.credential ELSE nc.text END AS credential,
      CASE WHEN u.project_n IS NULL THEN u.project ELSE np.text END AS project,
      CASE WHEN u.model_n IS NULL THEN u.model ELSE nm.text END AS model,
      u.tier, u.context_window, u.input, u.cached_input, u.cache_write_5m, u.cache_write_1h, u.output, u.web_search,
      u.requests, u.failed, u.error_code,
      CASE WHEN u.agent_n IS NULL THEN u.agent_id ELSE na.text END AS agent_id,
      u.task_id, u.scope_id, u.parent_id, u.credential_provider, u.trace_id, u.span_id, u.prompt_hash, u.retries,
      u.billed_pico, u.line_item, u.agent_path, u.credential_alias, u.provisioned
    FROM usage u
      LEFT JOIN names nc ON nc.id = u.credential_n
      LEFT JOIN names np ON np.id = u.project_n
      LEFT JOIN names nm ON nm.id = u.model_n
      LEFT JOIN names na ON na.id = u.agent_n;
    """

  /// What runs after a migration's SQL, by the version it brings the store to.
  static let completions: [Int64: @Sendable (Database) throws -> Void] = [
    9: { try finishIntegerKeys($0) }, 10: { try namedKeyIndex($0) },
  ]

  /// Ends migration 10: an empty `usage` table is made again with its key unique through the
  /// named index `usage_key` (``DeferredKeys``), the same columns in the same order.
  ///
  /// A table with rows keeps the column's `UNIQUE` (the same rule; its loads are never first
  /// loads, which only an empty table has, so they never drop an index).
  static func namedKeyIndex(_ db: Database) throws {
    guard try db.scalarInt("SELECT EXISTS (SELECT 1 FROM usage)") == 0 else { return }
    try db.execute(
      """
      DROP VIEW usage_text;
      CREATE TABLE usage_v10 (
        id              INTEGER PRIMARY KEY,
        key_hash        INTEGER NOT NULL,
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
        agent_path      TEXT,
        credential_alias TEXT,
        provisioned     INTEGER,
        credential_n    INTEGER,
        project_n       INTEGER,
        model_n         INTEGER,
        agent_n         INTEGER
      ) STRICT;
      DROP TABLE usage;
      ALTER TABLE usage_v10 RENAME TO usage;
      CREATE UNIQUE INDEX usage_key ON usage(key_hash);
      CREATE INDEX usage_ts ON usage(ts);
      """ + usageTextView)
  }

  /// Ends migration 9: copies the rows whose first 64 bits met another row's (none, but once in
  /// some 10^5 stores of 10 M rows) into the next free slot, as an insert would
  /// (``UsageWriter``), then puts the new table in the old one's place.
  static func finishIntegerKeys(_ db: Database) throws {
    let total = try db.scalarInt("SELECT count(*) FROM usage") ?? 0
    var probe: Int64 = 1
    while try (db.scalarInt("SELECT count(*) FROM usage_v9") ?? 0) < total {
      guard probe < KeyHash.probes else {
        throw SQLiteError(
          code: 0, message: "the \(KeyHash.probes) integer keys a record may take are all held by other records",
          context: "migrating \(db.path) to schema 9")
      }
      try db.execute(
        """
        INSERT INTO usage_v9 SELECT id, chargeback_key_slot(key_hash, \(probe)), \(usageColumnsAfterKey) FROM usage
        WHERE NOT EXISTS (SELECT 1 FROM usage_v9 v WHERE v.id = usage.id) ON CONFLICT(key_hash) DO NOTHING
        """)
      probe += 1
    }
    try db.execute(
      """
      DROP TABLE usage;
      ALTER TABLE usage_v9 RENAME TO usage;
      CREATE INDEX usage_ts ON usage(ts);
      """ + usageTextView)
  }
}
