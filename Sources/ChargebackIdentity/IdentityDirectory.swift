import ChargebackModel
import ChargebackSupport
import Crypto
import Foundation

/// The identity directory (SPEC §3.2): who owns what, as of when.
package struct IdentityDirectory: Sendable {
  package var people: [String: Person] = [:]
  package var costCentres: [String: CostCentre] = [:]
  /// Each agent's rows, sorted by `validFrom`.
  package var agents: [String: [AgentVersion]] = [:]
  package var credentials: [Credential] = []
  package var tasks: [String: TaskEntry] = [:]
  package var scopes: [String: Scope] = [:]
  /// Provider accounts from the optional `accounts.csv`, by provider id.
  package var accounts: [String: ProviderAccount] = [:]
  /// Allocation rules of the optional `allocation.csv`, in file order (SPEC §12).
  package var allocationRules: [AllocationRule] = []
  /// Rows of the optional `commitments.csv`, in file order (SPEC §12).
  package var commitments: [Commitment] = []
  /// The path of `commitments.csv` as named, for errors found at report time.
  package var commitmentsFile: String?
  /// SHA-256 over the bytes parsed of every file read (the six, then the optional ones), in a
  /// fixed order, for the manifest and the report key.
  package var contentHash: String = ""
  /// SHA-256 of each file read, by name.
  private var fileHashes: [String: String] = [:]

  /// The file names read, in hashing order.
  package static let fileNames = [
    "people.csv", "cost_centres.csv", "agents.csv", "credentials.csv", "tasks.csv", "scopes.csv",
  ]

  /// A file's required columns (``headers``).
  static func required(_ name: String) -> [String] { (headers[name] ?? "").split(separator: ",").map(String.init) }

  /// Each file's required columns, the smallest header row it may have.
  static let headers = [
    "people.csv": "person_id", "cost_centres.csv": "cost_centre", "agents.csv": "agent_id,owner,cost_centre",
    "credentials.csv": "credential_id,provider", "tasks.csv": "task_id", "scopes.csv": "scope_id",
  ]

  /// An empty directory (every call unattributed).
  package init() {}

  /// Loads the six CSV files from `directory`.
  ///
  /// A missing file is an error; so is a missing required column, a bad date or a duplicate id, each naming file,
  /// line and column.
  package init(directory: String) throws {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
      // A file given for the folder (`--identities ids/agents.csv`) said "not found" (a trial).
      let exists = FileManager.default.fileExists(atPath: directory)
      throw InputMissingError(
        path: directory,
        reason: exists
          ? "is a file, not the identity folder: pass the folder that holds \(Self.fileNames.joined(separator: ", "))"
          : "identity directory not found")
    }
    for name in Self.fileNames {
      let path = (directory as NSString).appendingPathComponent(name)
      guard FileManager.default.isReadableFile(atPath: path) else {
        // What to write: the file with its header row is enough (a trial was not told).
        throw InputMissingError.reading(
          path,
          missing: "identity file not found (every one of the six is needed, even empty: a header row alone, "
            + "`\(Self.headers[name] ?? "")`, will do)")
      }
    }
    func table(_ name: String, _ required: [String]) throws -> CSVTable {
      let t = try read(directory, name)
      try t.require(required)
      return t
    }

    let people = try table("people.csv", Self.required("people.csv"))
    for r in people.rows {
      let id = try people.req(r, "person_id")
      try people.unique(self.people[id] == nil, r, "person_id", id)
      self.people[id] = Person(
        id: id, name: people.value(r.fields, "name"), email: people.value(r.fields, "email"),
        costCentre: people.value(r.fields, "cost_centre"), offboardedAt: try people.date(r, "offboarded_at"))
    }
    let ccs = try table("cost_centres.csv", Self.required("cost_centres.csv"))
    for r in ccs.rows {
      let id = try ccs.req(r, "cost_centre")
      try ccs.unique(costCentres[id] == nil, r, "cost_centre", id)
      costCentres[id] = CostCentre(
        id: id, name: ccs.value(r.fields, "name"), owner: ccs.value(r.fields, "owner"),
        monthlyBudget: try ccs.money(r, "monthly_budget_usd", wholeCents: true),
        glAccount: ccs.value(r.fields, "gl_account"),
        entity: ccs.value(r.fields, "entity"))
    }
    let agentRows = try table("agents.csv", Self.required("agents.csv"))
    for r in agentRows.rows {
      let v = AgentVersion(
        id: try agentRows.visibleID(agentRows.req(r, "agent_id"), r, "agent_id"),
        name: agentRows.value(r.fields, "name"),
        kind: agentRows.value(r.fields, "kind"), owner: try agentRows.req(r, "owner"),
        team: agentRows.value(r.fields, "team"), costCentre: try agentRows.req(r, "cost_centre"),
        scopeID: agentRows.value(r.fields, "scope_id"), validFrom: try agentRows.date(r, "valid_from"),
        validTo: try agentRows.date(r, "valid_to"))
      if let f = v.validFrom, let t = v.validTo, t <= f {
        throw InputError(file: agentRows.file, line: r.line, field: "valid_to", message: "is not after valid_from")
      }
      if let kind = v.kind, !["agent", "service_account", "workload"].contains(kind) {
        throw InputError(
          file: agentRows.file, line: r.line, field: "kind",
          message: "\"\(kind)\" is not agent, service_account or workload")
      }
      for other in agents[v.id] ?? [] where Self.overlap(other, v) {
        throw InputError(
          file: agentRows.file, line: r.line, field: "valid_from",
          message: "agent \(v.id) has overlapping validity rows")
      }
      agents[v.id, default: []].append(v)
    }
    for k in agents.keys { agents[k]?.sort { ($0.validFrom ?? .min) < ($1.validFrom ?? .min) } }

    let creds = try table("credentials.csv", Self.required("credentials.csv"))
    var seen = Set<String>()
    for r in creds.rows {
      let c = Credential(
        id: try creds.req(r, "credential_id"), provider: try Self.credentialProvider(creds, r),
        agentID: creds.value(r.fields, "agent_id"), costCentre: creds.value(r.fields, "cost_centre"),
        issuedAt: try creds.date(r, "issued_at"), expiresAt: try creds.date(r, "expires_at"),
        revokedAt: try creds.date(r, "revoked_at"), description: creds.value(r.fields, "description"))
      try creds.unique(seen.insert(c.provider + "\u{0}" + c.id).inserted, r, "credential_id", c.id)
      // `*` alone would match every caller of the provider: no call would be unregistered, and a
      // key nobody registered would be charged, silently, to whoever the row names.
      if c.id.trimmingCharacters(in: .blanks) == "*" {
        throw InputError(
          file: creds.file, line: r.line, field: "credential_id",
          message: "\"*\" alone would match every credential of \(c.provider); give a prefix before the *")
      }
      if c.provider == Provider.bedrock.rawValue, let why = Attributor.unmatchableAWSRow(c.id) {
        throw InputError(file: creds.file, line: r.line, field: "credential_id", message: "\"\(c.id)\": \(why)")
      }
      credentials.append(c)
    }
    let taskRows = try table("tasks.csv", Self.required("tasks.csv"))
    for r in taskRows.rows {
      let id = try taskRows.req(r, "task_id")
      try taskRows.unique(tasks[id] == nil, r, "task_id", id)
      tasks[id] = TaskEntry(
        id: id, agentID: taskRows.value(r.fields, "agent_id"), requestedBy: taskRows.value(r.fields, "requested_by"),
        approvedBy: taskRows.value(r.fields, "approved_by"), scopeID: taskRows.value(r.fields, "scope_id"),
        openedAt: try taskRows.date(r, "opened_at"), closedAt: try taskRows.date(r, "closed_at"),
        ticket: taskRows.value(r.fields, "ticket"))
    }
    let scopeRows = try table("scopes.csv", Self.required("scopes.csv"))
    for r in scopeRows.rows {
      let id = try scopeRows.req(r, "scope_id")
      try scopeRows.unique(scopes[id] == nil, r, "scope_id", id)
      func list(_ col: String) -> [String] {
        (scopeRows.value(r.fields, col) ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .blanks) }
          .filter { !$0.isEmpty }
      }
      // Any case (`Bedrock`); a provider the calls can never have (a gateway's name, a typo) would
      // deny every call.
      let providers = list("allowed_providers").map { $0.lowercased() }
      for p in providers where Provider(rawValue: p) == nil {
        throw InputError(
          file: scopeRows.file, line: r.line, field: "allowed_providers",
          message:
            "\"\(p)\" is not a provider (\(Provider.allCases.map(\.rawValue).joined(separator: ", "))): a gateway's"
            + " calls (LiteLLM, OpenTelemetry) are judged by the provider they went to, and calls to a provider"
            + " without prices are `other`")
      }
      scopes[id] = Scope(
        id: id, description: scopeRows.value(r.fields, "description"), allowedModels: list("allowed_models"),
        allowedProviders: providers,
        monthlyBudget: try scopeRows.money(r, "monthly_budget_usd", wholeCents: true))
    }
    for t in [ccs, people, agentRows, creds] { try Self.rejectReserved(t, "cost_centre") }
    try loadAccounts(directory)
    try validateReferences(agentRows: agentRows, more: [creds, people], scoped: [agentRows, taskRows])

    try loadCostSharing(directory)
    var hasher = SHA256()
    for name in Self.fileNames + Self.optionalFileNames {
      guard let sha = fileHashes[name] else { continue }
      hasher.update(data: Data("\(name) \(sha)\n".utf8))
    }
    contentHash = hasher.finalize().lowercaseHex
  }

  /// The optional files read beside the six, in hashing order.
  package static let optionalFileNames = ["accounts.csv", "allocation.csv", "commitments.csv"]

  /// Parses `name` in `directory` and notes the SHA-256 of the bytes parsed for ``contentHash``.
  mutating func read(_ directory: String, _ name: String) throws -> CSVTable {
    let t = try CSVTable(path: (directory as NSString).appendingPathComponent(name))
    fileHashes[name] = t.sha256
    return t
  }

  /// Reads the optional `accounts.csv` (`provider,account[,billing_account_id]`).
  private mutating func loadAccounts(_ directory: String) throws {
    let path = (directory as NSString).appendingPathComponent("accounts.csv")
    guard FileManager.default.fileExists(atPath: path) else { return }
    let t = try read(directory, "accounts.csv")
    try t.require(["provider"])
    for r in t.rows {
      let provider = try t.req(r, "provider")
      try t.unique(accounts[provider] == nil, r, "provider", provider)
      accounts[provider] = ProviderAccount(
        provider: provider, account: t.value(r.fields, "account"),
        billingAccountID: t.value(r.fields, "billing_account_id"))
    }
  }

  /// Refuses the cost centre ids the tool keeps for itself, in any case.
  ///
  /// `UNATTRIBUTED` is the tool's own cost centre for spend nobody can be charged for
  /// (SPEC §11); a directory that uses it would merge real spend into it. `TOTAL`
  /// labels the sum row of `summary.csv`, the terminal summary and the company workbook; a cost
  /// centre of that name would sit beside it, and a reader stopping at the first `TOTAL` would take
  /// one cost centre's figures for the company's.
  private static func rejectReserved(_ t: CSVTable, _ column: String) throws {
    for r in t.rows {
      guard let v = t.value(r.fields, column) else { continue }
      switch v.uppercased() {
      case Attribution.unattributed:
        throw InputError(
          file: t.file, line: r.line, field: column,
          message: "\"\(v)\" is reserved for spend nobody can be charged for; name the cost centre otherwise")
      case "TOTAL":
        throw InputError(
          file: t.file, line: r.line, field: column,
          message: "\"\(v)\" is reserved for the outputs' total rows; name the cost centre otherwise")
      default: continue
      }
    }
  }

  /// The agent row in effect at `t`.
  package func agent(_ id: String, at t: Int64) -> AgentVersion? {
    agents[id]?.last { $0.covers(t) }
  }

  private static func overlap(_ a: AgentVersion, _ b: AgentVersion) -> Bool {
    let aStart = a.validFrom ?? .min, aEnd = a.validTo ?? .max
    let bStart = b.validFrom ?? .min, bEnd = b.validTo ?? .max
    return aStart < bEnd && bStart < aEnd
  }

  /// Agents must name a known cost centre; so must credentials that carry one.
  ///
  /// An agent's owner must be in people.csv (when it lists anyone): an owner missing from it (an
  /// HR export that drops leavers) would let the agent's calls after its owner left pass without
  /// `offboarded_owner`.
  /// The providers a credential row may name: ours, and `litellm` for a LiteLLM virtual key.
  static let credentialProviders = Provider.allCases.map(\.rawValue) + ["litellm"]

  /// A credential row's provider, in lower case; one no call can have (`aws` for `bedrock`) is
  /// refused, naming the ones there are: the row matched nothing, and its calls were reported as
  /// of a credential "not in credentials.csv".
  private static func credentialProvider(_ t: CSVTable, _ r: (line: Int, fields: [String])) throws -> String {
    let given = try t.req(r, "provider")
    let p = given.lowercased()
    guard credentialProviders.contains(p) else {
      throw InputError(
        file: t.file, line: r.line, field: "provider",
        message: "\"\(given)\" is not a provider: one of \(credentialProviders.joined(separator: ", "))")
    }
    return p
  }

  private func validateReferences(agentRows: CSVTable, more: [CSVTable], scoped: [CSVTable]) throws {
    // A scope id that names no scope turned the scope's checks off without a word (a typo
    // `s-claud` for `s-claude`: no out_of_scope_model, no scope budget).
    if !scopes.isEmpty {
      for t in scoped {
        for r in t.rows {
          if let s = t.value(r.fields, "scope_id"), scopes[s] == nil {
            throw InputError(file: t.file, line: r.line, field: "scope_id", message: "\"\(s)\" is not in scopes.csv")
          }
        }
      }
    }
    if !people.isEmpty {
      for r in agentRows.rows {
        if let owner = agentRows.value(r.fields, "owner"), people[owner] == nil {
          throw InputError(
            file: agentRows.file, line: r.line, field: "owner",
            message: "\"\(owner)\" is not in people.csv (keep people who have left, with offboarded_at, so that "
              + "their agents' calls are flagged)")
        }
      }
    }
    guard !costCentres.isEmpty else { return }
    // Credentials' and people's cost centres too: a typo there made a cost centre of its own, with
    // a workbook, no budget, and no share of `*` allocations.
    for t in [agentRows] + more {
      for r in t.rows {
        if let cc = t.value(r.fields, "cost_centre"), costCentres[cc] == nil {
          throw InputError(
            file: t.file, line: r.line, field: "cost_centre", message: "\"\(cc)\" is not in cost_centres.csv")
        }
      }
    }
  }
}
