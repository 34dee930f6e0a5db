import ChargebackModel

/// The store's schema and its forward migrations, versioned with `PRAGMA user_version`.
///
/// The pending migrations are applied in order inside one write transaction, which also sets the
/// store's `application_id`. Never edit a migration that has shipped; add the next one.
package enum Schema {
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
    // 4: conflicting duplicates: a record whose natural key was already stored with other content.
    // The stored copy (`kept_id`) stays; the refused copy's provenance and the differing fields
    // (`field<TAB>kept<TAB>other` per line) are kept here. The same refused content again (a file
    // re-ingested under another name, say) adds no row.
    """
    CREATE TABLE conflicts (
      id          INTEGER PRIMARY KEY,
      key_hash    BLOB NOT NULL,
      natural_key TEXT NOT NULL,
      kept_id     INTEGER NOT NULL,
      file_id     INTEGER NOT NULL,
      line        INTEGER,
      json_path   TEXT,
      differences TEXT NOT NULL,
      UNIQUE (key_hash, differences)
    ) STRICT;
    CREATE INDEX conflicts_kept ON conflicts(kept_id);
    """,
    // 5: what each path held when it was last hashed (size, modification time in ns, SHA-256), so
    // that a daily run skips the files it has seen without reading them again.
    """
    CREATE TABLE file_stamps (
      path     TEXT NOT NULL PRIMARY KEY,
      bytes    INTEGER NOT NULL,
      mtime_ns INTEGER NOT NULL,
      sha256   TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    """,
    // 6: calls the source says ran on provisioned throughput (Vertex `trafficType`
    // `PROVISIONED_THROUGHPUT`), for provisioned commitments (SPEC §12); 1 or null.
    """
    ALTER TABLE usage ADD COLUMN provisioned INTEGER;
    """,
    // 7: `natural_key` is stored empty when it is `<provider>:<request id>` (the readers make it
    // again: `UsageWriter.storedNaturalKey`). No table changes; the version tells an older tool,
    // which would read the empty keys as they are, that the store is newer than it.
    """
    SELECT 1;
    """,
    // 8: a call's credential, project, model and agent as the id of a row of `names` (`NameTable`):
    // each new row has the text or the id of each, never both (`model` is '' beside an id, being
    // NOT NULL); rows stored before keep their text. `usage_text` shows every row with its text.
    """
    CREATE TABLE names (
      id    INTEGER PRIMARY KEY,
      text  TEXT NOT NULL UNIQUE
    ) STRICT;
    ALTER TABLE usage ADD COLUMN credential_n INTEGER;
    ALTER TABLE usage ADD COLUMN project_n INTEGER;
    ALTER TABLE usage ADD COLUMN model_n INTEGER;
    ALTER TABLE usage ADD COLUMN agent_n INTEGER;
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
    """,
    // 9: `key_hash` is an INTEGER (``KeyHash/slot(_:probe:)``: the first 64 bits of the key's
    // hash, probed past a collision), not a 16-byte BLOB: the unique index that every insert
    // writes is half the size and compares integers (SQLite cannot change a column's type, so the
    // table is copied; ``completions`` places the rows whose 64 bits collide and swaps the tables).
    """
    DROP VIEW usage_text;
    CREATE TABLE usage_v9 (
      id              INTEGER PRIMARY KEY,
      key_hash        INTEGER NOT NULL UNIQUE,
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
    INSERT INTO usage_v9 SELECT id, chargeback_key_slot(key_hash, 0), \(Schema.usageColumnsAfterKey) FROM usage
    WHERE true ON CONFLICT(key_hash) DO NOTHING;
    """,
    // 10: the key's uniqueness is a named index (`usage_key`), no longer the column's `UNIQUE`
    // (an index SQLite cannot drop), so that a first load can drop it and build it once at its
    // commit (``DeferredKeys``). Only an empty table is rebuilt (``namedKeyIndex(_:)``): a first
    // load is only ever into an empty one, and copying a store of millions of rows for nothing
    // would take minutes and twice its disk.
    """
    SELECT 1;
    """,
    // 11: the API pages of the bucketed exports and whether more follow (``ExportPage``), so that a
    // report says which usage a month fetched page by page is missing: by the bytes' hash (a file's
    // or a skipped empty page's; the same bytes under another name add nothing), with the format
    // ('' for an empty page, whose endpoint its buckets do not say) and the first path.
    """
    CREATE TABLE export_pages (
      sha256      TEXT NOT NULL,
      page        INTEGER NOT NULL,
      format      TEXT NOT NULL,
      path        TEXT NOT NULL,
      first_start INTEGER,
      last_end    INTEGER,
      bucket_width INTEGER,
      has_more    INTEGER NOT NULL CHECK (has_more IN (0, 1)),
      next_page   TEXT,
      PRIMARY KEY (sha256, page)
    ) WITHOUT ROWID;
    """,
  ]

  /// `PRAGMA application_id` of a TokenChargeback store: ASCII `TCBK`.
  package static let applicationID: Int64 = 0x5443_424B

  /// Every table any version of the schema has had: a database whose application id is 0 (a store
  /// written before it was set) is ours when its tables are among these and include the first two.
  static let tables: Set<String> = [
    "files", "usage", "settings", "skipped_files", "trace_spans", "period_totals", "conflicts", "file_stamps",
    "names", "export_pages",
  ]

  /// The version a fully migrated store has.
  package static var currentVersion: Int64 { Int64(migrations.count) }

  /// What a database file holds, read without writing to it.
  struct Identity {
    var applicationID: Int64
    var version: Int64
    var tables: Set<String>

    /// Reads the header and the table names (in a read transaction of its own, or the caller's).
    init(_ db: Database) throws {
      applicationID = try db.scalarInt("PRAGMA application_id") ?? 0
      version = try db.scalarInt("PRAGMA user_version") ?? 0
      let st = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      var names = Set<String>()
      while try st.step() { names.insert(st.text(0) ?? "") }
      tables = names
    }

    /// No table and no version: a new (or empty) file, ours to set up.
    var isEmpty: Bool { tables.isEmpty && version == 0 && applicationID == 0 }

    /// True when the file is up to date: ours by its id and at the current version.
    var isCurrent: Bool { applicationID == Schema.applicationID && version == Schema.currentVersion }

    /// Refuses a database that is not a store of ours, or one of a newer version.
    func check(path: String) throws {
      let ours = applicationID == Schema.applicationID
      if !ours, applicationID != 0 {
        throw StoreError.notOurs(path: path, reason: "its application_id is \(Identity.hex(applicationID))")
      }
      // Application id 0: ours only when every table is one of ours (a store written before the id).
      let foreign = tables.subtracting(Schema.tables).sorted()
      if !ours, !foreign.isEmpty {
        let shown = foreign.prefix(3).joined(separator: ", ") + (foreign.count > 3 ? ", …" : "")
        throw StoreError.notOurs(path: path, reason: "it holds tables that are not ours (\(shown))")
      }
      guard version <= Schema.currentVersion else {
        throw StoreError.newerSchema(path: path, found: version, supported: Schema.currentVersion)
      }
      // Set up by a version of ours (a schema version, or our tables), yet without the first two.
      if version > 0 || !tables.isEmpty, !tables.isSuperset(of: ["files", "usage"]) {
        throw StoreError.notOurs(path: path, reason: "it lacks the files and usage tables")
      }
    }

    static func hex(_ id: Int64) -> String {
      let h = String(UInt32(truncatingIfNeeded: id), radix: 16)
      return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
    }
  }

  /// Brings `db` up to ``currentVersion`` and marks it as ours (`application_id`).
  ///
  /// One write transaction re-reads the file first: when two processes set up or migrate the same
  /// store at once, the second finds it done. Refuses a database that is not ours, or is newer, before
  /// anything is written. Inside the same transaction, `beforeWriting` runs on what the file holds
  /// (the integrity check) and `afterWriting` once it is current (the record of that check).
  static func migrate(
    _ db: Database, beforeWriting: (Identity) throws -> Void = { _ in }, afterWriting: () throws -> Void = {}
  ) throws {
    try db.transaction {
      let identity = try Identity(db)
      try identity.check(path: db.path)
      try beforeWriting(identity)
      if !identity.isCurrent {
        if identity.applicationID != applicationID {
          try db.execute("PRAGMA application_id = \(applicationID)")
        }
        // Migration 9 copies the usage table: with the load's page cache (the key index it builds
        // is random), not the report's 16 MiB (a million rows took 5.4 s with it).
        if identity.version < 9, identity.tables.contains("usage") {
          let rows = try db.scalarInt("SELECT max(id) FROM usage") ?? 0
          try db.execute("PRAGMA cache_size = -\(Database.loadCacheKiB(rows: rows))")
        }
        defer { try? db.execute("PRAGMA cache_size = -\(Database.readCacheKiB)") }
        for v in Int(identity.version)..<migrations.count {
          try db.execute(migrations[v])
          try completions[Int64(v + 1)]?(db)
          try db.execute("PRAGMA user_version = \(v + 1)")
        }
      }
      try afterWriting()
    }
  }
}

/// Store-level failures that are not SQLite's own.
///
/// The file is not a store of ours, is damaged, or was written by a newer version. Each is exit 65,
/// and nothing was written to the file.
package enum StoreError: ChargebackFailure {
  case newerSchema(path: String, found: Int64, supported: Int64)
  /// Another program's SQLite database (or no database at all): never written to.
  case notOurs(path: String, reason: String)
  /// A store of ours that fails its integrity check, or whose pages SQLite finds damaged.
  case damaged(path: String, detail: String)
  /// A stored record outside ``Bounds`` (stored by a version that did not check them).
  case outOfBounds(path: String, id: Int64, field: String, message: String)

  package var description: String {
    switch self {
    case .outOfBounds(let path, let id, let field, let message):
      "\(path): usage record \(id): \(field) \(message); it was stored before ingest checked bounds: "
        + "remove the file that brought it and ingest it again"
    case .newerSchema(let path, let found, let supported):
      "\(path): store schema version \(found) is newer than this tool supports (\(supported)); use a newer chargeback"
    case .notOurs(let path, let reason):
      "\(path) is not a TokenChargeback store: \(reason); nothing was written to it (give --db a new file name)"
    case .damaged(let path, let detail):
      "\(path): the store is damaged (\(detail)); nothing was written to it: restore it from a backup, or "
        + "ingest the exports again into a new store"
    }
  }

  package var exitStatus: Int32 { ExitStatus.dataError }
}
