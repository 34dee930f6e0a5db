import ChargebackModel
import ChargebackStore

/// The PostgreSQL DDL of SQLite's migrations (1–11).
///
/// (docs/postgres.md §3), one entry per SQLite
/// migration, and the `store_identity` row that stands for SQLite's `application_id` and
/// `user_version`. Never edit a migration that has shipped; add the next one to both stores.
enum PostgresSchema {
  static let migrations: [String] = [
    """
    CREATE TABLE files (
      id          bigint PRIMARY KEY,
      sha256      text COLLATE "C" NOT NULL UNIQUE,
      path        text COLLATE "C" NOT NULL,
      format      text COLLATE "C" NOT NULL,
      level       text COLLATE "C" NOT NULL,
      bytes       bigint NOT NULL,
      records     bigint NOT NULL,
      new_records bigint NOT NULL
    );
    CREATE TABLE usage (
      id              bigint NOT NULL,
      key_hash        bytea  NOT NULL CHECK (octet_length(key_hash) = 16),
      natural_key     text COLLATE "C" NOT NULL,
      provider        text COLLATE "C" NOT NULL,
      file_id         bigint NOT NULL,
      line            bigint,
      json_path       text COLLATE "C",
      ts              bigint NOT NULL,
      bucket_end      bigint,
      request_id      text COLLATE "C",
      credential      text COLLATE "C",
      project         text COLLATE "C",
      model           text COLLATE "C" NOT NULL,
      tier            text COLLATE "C" NOT NULL,
      context_window  text COLLATE "C",
      input           bigint NOT NULL,
      cached_input    bigint NOT NULL,
      cache_write_5m  bigint NOT NULL,
      cache_write_1h  bigint NOT NULL,
      output          bigint NOT NULL,
      web_search      bigint NOT NULL,
      requests        bigint NOT NULL,
      failed          smallint NOT NULL CHECK (failed IN (0, 1)),
      error_code      text COLLATE "C",
      agent_id        text COLLATE "C",
      task_id         text COLLATE "C",
      scope_id        text COLLATE "C",
      parent_id       text COLLATE "C",
      credential_provider text COLLATE "C",
      trace_id        text COLLATE "C",
      span_id         text COLLATE "C",
      prompt_hash     text COLLATE "C",
      retries         bigint,
      billed_pico     bigint,
      line_item       text COLLATE "C",
      agent_path      text COLLATE "C",
      PRIMARY KEY (key_hash)
    );
    CREATE INDEX usage_ts ON usage (ts, id);
    CREATE INDEX usage_id ON usage (id);
    """,
    """
    ALTER TABLE usage ADD COLUMN credential_alias text COLLATE "C";
    CREATE TABLE settings (
      name  text COLLATE "C" PRIMARY KEY,
      value text COLLATE "C" NOT NULL
    );
    CREATE TABLE skipped_files (
      path_hash bytea NOT NULL PRIMARY KEY CHECK (octet_length(path_hash) = 16),
      path      text COLLATE "C" NOT NULL,
      sha256    text COLLATE "C" NOT NULL,
      bytes     bigint NOT NULL,
      reason    text COLLATE "C" NOT NULL
    );
    CREATE TABLE trace_spans (
      trace_hash      bytea NOT NULL CHECK (octet_length(trace_hash) = 16),
      span_hash       bytea NOT NULL CHECK (octet_length(span_hash) = 16),
      trace_id        text COLLATE "C" NOT NULL,
      span_id         text COLLATE "C" NOT NULL,
      parent_span_id  text COLLATE "C",
      model_call      smallint NOT NULL CHECK (model_call IN (0, 1)),
      invoked_agent   text COLLATE "C",
      agent_id        text COLLATE "C",
      task_id         text COLLATE "C",
      conversation_id text COLLATE "C",
      scope_id        text COLLATE "C",
      credential      text COLLATE "C",
      res_agent_id        text COLLATE "C",
      res_task_id         text COLLATE "C",
      res_conversation_id text COLLATE "C",
      res_scope_id        text COLLATE "C",
      res_credential      text COLLATE "C",
      file_id         bigint NOT NULL,
      PRIMARY KEY (trace_hash, span_hash)
    );
    """,
    """
    CREATE TABLE period_totals (
      key_hash    bytea NOT NULL PRIMARY KEY CHECK (octet_length(key_hash) = 16),
      period      text COLLATE "C" NOT NULL,
      dimension   text COLLATE "C" NOT NULL,
      cost_centre text COLLATE "C" NOT NULL,
      item        text COLLATE "C" NOT NULL,
      cost_pico   text COLLATE "C" NOT NULL
    );
    CREATE INDEX period_totals_period ON period_totals (period);
    """,
    """
    CREATE TABLE conflicts (
      id               bigint NOT NULL,
      key_hash         bytea  NOT NULL CHECK (octet_length(key_hash) = 16),
      natural_key      text COLLATE "C" NOT NULL,
      kept_id          bigint NOT NULL,
      file_id          bigint NOT NULL,
      line             bigint,
      json_path        text COLLATE "C",
      differences      text COLLATE "C" NOT NULL,
      differences_hash bytea  NOT NULL CHECK (octet_length(differences_hash) = 16),
      PRIMARY KEY (key_hash, differences_hash)
    );
    CREATE INDEX conflicts_kept ON conflicts (kept_id);
    CREATE INDEX conflicts_id ON conflicts (id);
    """,
    """
    CREATE TABLE file_stamps (
      path_hash bytea NOT NULL PRIMARY KEY CHECK (octet_length(path_hash) = 16),
      path      text COLLATE "C" NOT NULL,
      bytes     bigint NOT NULL,
      mtime_ns  bigint NOT NULL,
      sha256    text COLLATE "C" NOT NULL
    );
    """,
    """
    ALTER TABLE usage ADD COLUMN provisioned smallint CHECK (provisioned = 1);
    """,
    // 7: SQLite's stores `natural_key` empty when it is `<provider>:<request id>`; this store keeps
    // every key whole (its rows are not the disk-bound part of a load), so nothing changes here.
    """
    SELECT 1;
    """,
    // 8: SQLite's stores a call's credential, project, model and agent as ids of a `names` table;
    // this store keeps the text, for the same reason as 7.
    """
    SELECT 1;
    """,
    // 9: SQLite's stores index a call by the first 64 bits of its key hash (an integer, probed past
    // a collision); this store keeps the 16 bytes: its `COPY` path compares keys in bulk, and its
    // index is not what a load waits on.
    """
    SELECT 1;
    """,
    // 10: SQLite's stores name the key's unique index so that a first load can build it once at
    // its commit; this store's `COPY` path is unchanged.
    """
    SELECT 1;
    """,
    // 11: the API pages of the bucketed exports and whether more follow.
    """
    CREATE TABLE export_pages (
      sha256      text COLLATE "C" NOT NULL,
      page        integer NOT NULL,
      format      text COLLATE "C" NOT NULL,
      path        text COLLATE "C" NOT NULL,
      first_start bigint,
      last_end    bigint,
      bucket_width bigint,
      has_more    smallint NOT NULL CHECK (has_more IN (0, 1)),
      next_page   text COLLATE "C",
      PRIMARY KEY (sha256, page)
    );
    """,
  ]

  /// The tables a store of ours holds (besides `store_identity`).
  static let tables: Set<String> = [
    "files", "usage", "settings", "skipped_files", "trace_spans", "period_totals", "conflicts", "file_stamps",
    "export_pages",
  ]

  /// The schema name quoted as an identifier.
  static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

  /// Checks that the schema is ours (or empty, or missing) and brings it to the current version,
  /// in one transaction under the writer lock.
  ///
  /// - Throws: ``StoreError`` (65) for a schema that is not ours or is newer; nothing is written then.
  static func prepare(_ c: PGConnection, schema: String, writerLock: () throws -> Void, create: Bool) throws {
    precondition(migrations.count == Schema.currentVersion, "one PostgreSQL migration per SQLite migration")
    let encoding = try c.rows("SHOW server_encoding").first?.text(0) ?? ""
    guard encoding == "UTF8" else {
      throw StoreError.notOurs(
        path: c.shown, reason: "its database's encoding is \(encoding): create the database with ENCODING 'UTF8'")
    }
    func state() throws -> (exists: Bool, tables: Set<String>, id: Int64?, version: Int64?) {
      let exists = try !c.rows("SELECT 1 FROM pg_namespace WHERE nspname = $1", [.text(schema)]).isEmpty
      let tables = Set(
        try c.rows("SELECT tablename FROM pg_tables WHERE schemaname = $1", [.text(schema)]).compactMap { $0.text(0) })
      guard tables.contains("store_identity") else { return (exists, tables, nil, nil) }
      let row = try c.rows("SELECT application_id, version FROM store_identity").first
      return (exists, tables, row?.optionalInt64(0), row?.optionalInt64(1))
    }
    func check(_ s: (exists: Bool, tables: Set<String>, id: Int64?, version: Int64?)) throws -> Bool {
      let foreign = s.tables.subtracting(tables).subtracting(["store_identity"])
      if !foreign.isEmpty {
        throw StoreError.notOurs(
          path: c.shown,
          reason: "its schema \(schema) holds tables that are not ours (\(foreign.sorted().joined(separator: ", ")))")
      }
      guard let id = s.id else {
        if !s.tables.isEmpty {
          throw StoreError.notOurs(path: c.shown, reason: "its schema \(schema) has our tables but no store_identity")
        }
        return false
      }
      guard id == Schema.applicationID else {
        throw StoreError.notOurs(path: c.shown, reason: "its store_identity names application \(id)")
      }
      let version = s.version ?? 0
      guard version <= Schema.currentVersion else {
        throw StoreError.newerSchema(path: c.shown, found: version, supported: Schema.currentVersion)
      }
      return version == Schema.currentVersion
    }
    let before = try state()
    if try check(before) { return }
    if !before.exists && !create {
      throw InputMissingError(
        path: c.shown, reason: "no store here (no schema \(schema)); run `chargeback ingest` or `chargeback run` first")
    }
    try c.execute("BEGIN")
    do {
      try writerLock()
      let now = try state()
      if try !check(now) {
        if !now.exists { try c.execute("CREATE SCHEMA IF NOT EXISTS " + quoted(schema)) }
        if now.id == nil {
          try c.execute(
            """
            CREATE TABLE store_identity (
              application_id bigint NOT NULL, version bigint NOT NULL,
              one_row boolean NOT NULL DEFAULT true PRIMARY KEY CHECK (one_row))
            """)
          try c.execute(
            "INSERT INTO store_identity (application_id, version) VALUES ($1, 0)", [.int(Schema.applicationID)])
        }
        let version = now.version ?? 0
        for (i, sql) in migrations.enumerated() where Int64(i) >= version {
          for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
            try c.execute(String(statement))
          }
        }
        try c.execute("UPDATE store_identity SET version = $1", [.int(Schema.currentVersion)])
      }
      try c.execute("COMMIT")
    } catch {
      try? c.execute("ROLLBACK")
      throw error
    }
  }
}
