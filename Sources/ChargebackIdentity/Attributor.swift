import ChargebackModel
import Foundation

/// Resolves records to identities as of their time (SPEC §4 steps 1–6).
package final class Attributor {
  private let directory: IdentityDirectory
  struct CredentialKey: Hashable {
    var provider: String
    var id: String?
    var alias: String?
    var project: String?
  }

  /// Two names rather than an array of them: an array was an allocation per call.
  private struct ScopeKey: Hashable {
    var scope: String
    var provider: Provider
    var model: String
    var raw: String
  }

  /// What an attribution depends on.
  ///
  /// The registered credential row the record resolved to (or, when none did, the record's own
  /// credential fields), its claimed agent (not its task: ``applying(task:_:to:)`` adds that to each
  /// call), and which stretch of time between two
  /// directory instants (``boundaries``) its time falls in. Keying by
  /// the row, not the raw id, lets every session of a role prefix row share one entry: per-call
  /// session names missed the memo every time before.
  private struct AttributionKey: Hashable {
    var provider: String
    /// The registered row's id; nil when no row matched.
    var row: String?
    /// The record's own fields, only when no row matched (they are then the line's credential; the
    /// credential as ``Attributor/unregisteredID(_:)`` shows it, so that a role's sessions share it).
    var credential: String?
    var alias: String?
    var project: String?
    var agent: String?
    var segment: Int
    /// ``UsageRecord/namesNoCallerByFormat``: the same fields from another format are another case.
    var callerless: Bool
  }

  /// Prefix-row lookups by (provider, name), for directories with many prefix rows; exact ids are
  /// a dictionary lookup and need no cache.
  var credentialCache: [CredentialKey: RegisteredRow?] = [:]
  /// For a provider with a prefix row past a role into session names: the rows that can match a
  /// session of an assumed role, by provider and the ARN up to its session name
  /// (``prefixMatch(provider:name:)``).
  var roleCandidates: [String: [PrefixRow]] = [:]
  /// Prefix matches cached (tests: one per role when sessions are cached by their role).
  var cachedPrefixMatches: Int { credentialCache.count + roleCandidates.count }
  private var attributionCache: [AttributionKey: Attribution] = [:]
  /// The attributions kept at most (a month of per-call session names must not grow memory).
  static let attributionCacheLimit = 65_536
  /// Every instant at which an answer of the directory can change (credentials revoked or
  /// expiring, people offboarded, agent rows starting or ending), sorted and unique: between two of
  /// them, the same identity fields always get the same attribution.
  private let boundaries: [Int64]
  private var scopeCache: [ScopeKey: Bool] = [:]
  private let scopeGlobs: [String: [Glob]]
  /// Registered rows with a full id, by provider, then id.
  private let exact: [String: [String: RegisteredRow]]
  /// Prefix rows (`id` ending in `*`) by provider, the longest prefix first.
  let prefixes: [String: [PrefixRow]]
  /// Rows registered by an IAM role ARN (`arn:aws:iam::<account>:role/<name>`, as the IAM console
  /// shows a role), by provider, then partition, account and role name (``iamRoleKey(_:)``): they
  /// match the role's assumed-role sessions, which is how Bedrock logs the role's calls.
  private let iamRoles: [String: [RoleKey: RegisteredRow]]
  /// Above this many prefix rows for a provider, a name's prefix match is cached.
  static let prefixScanLimit = 16
  /// Providers none of whose prefix rows reaches past an assumed role into its session names
  /// (``reachesPastRole(_:)``): a session's prefix match is then its role's, and is cached by the
  /// role (``prefixMatch(provider:name:)``).
  let prefixesStopAtRoles: Set<String>

  /// A registered credential row, shared by reference.
  ///
  /// A `Credential` is five strings and four times: each copy of one (out of a dictionary, into
  /// an optional, through a return) retains and releases every string, and step 1 copied it six
  /// times per call (callgrind, 100 k friendly month: 300 M instructions of copies and releases).
  final class RegisteredRow {
    let credential: Credential
    init(_ credential: Credential) { self.credential = credential }
  }

  package init(directory: IdentityDirectory) {
    self.directory = directory
    var exact: [String: [String: RegisteredRow]] = [:]
    var prefixes: [String: [PrefixRow]] = [:]
    var iamRoles: [String: [RoleKey: RegisteredRow]] = [:]
    for c in directory.credentials {
      if c.id.hasSuffix("*") {
        prefixes[c.provider, default: []].append(PrefixRow(prefix: String(c.id.dropLast()), row: RegisteredRow(c)))
      } else {
        let row = RegisteredRow(c)
        exact[c.provider, default: [:]][c.id] = row
        // Two rows of one role under different paths: the first in the file, as for equal prefixes.
        if let key = Self.iamRoleKey(c.id), iamRoles[c.provider]?[key] == nil {
          iamRoles[c.provider, default: [:]][key] = row
        }
      }
    }
    self.exact = exact
    self.iamRoles = iamRoles
    // Longest first; the sort is stable, so equal lengths keep the directory's order.
    prefixesStopAtRoles = Set(prefixes.filter { _, rows in !rows.contains { Self.reachesPastRole($0.prefix) } }.keys)
    self.prefixes = prefixes.mapValues { rows in
      rows.enumerated().sorted { ($0.element.prefix.count, $1.offset) > ($1.element.prefix.count, $0.offset) }
        .map(\.element)
    }
    taskFacts = directory.tasks.mapValues {
      TaskFacts(
        scopeID: $0.scopeID, unapproved: $0.approvedBy == nil, agentID: $0.agentID, openedAt: $0.openedAt,
        closedAt: $0.closedAt)
    }
    scopeGlobs = directory.scopes.mapValues { $0.allowedModels.map(Glob.init) }
    var instants = Set<Int64>()
    for c in directory.credentials {
      if let t = c.revokedAt { instants.insert(t) }
      if let t = c.expiresAt { instants.insert(t) }
    }
    for p in directory.people.values { if let t = p.offboardedAt { instants.insert(t) } }
    for versions in directory.agents.values {
      for v in versions {
        if let t = v.validFrom { instants.insert(t) }
        if let t = v.validTo { instants.insert(t) }
      }
    }
    boundaries = instants.sorted()
  }

  /// How many ``boundaries`` are at or before `t` (every test of the directory is `t >= instant`
  /// or `t < instant`, so this number decides them all).
  package func segment(_ t: Int64) -> Int {
    var lo = 0
    var hi = boundaries.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if boundaries[mid] <= t { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  /// Step 1: the id (exact, then the longest matching prefix, then for an AWS session the row of its
  /// IAM role), then the alias the same way (a
  /// LiteLLM key registered by its `user_api_key_alias`), then the `project:`/`workspace:` id.
  package func credential(provider: String, id: String?, alias: String? = nil, project: String?) -> Credential? {
    registeredRow(provider: provider, id: id, alias: alias, project: project)?.credential
  }

  /// ``credential(provider:id:alias:project:)``'s row, by reference.
  private func registeredRow(provider: String, id: String?, alias: String?, project: String?) -> RegisteredRow? {
    let exactRows = exact[provider]
    // The id, then the alias (no array of the two: this runs once per call).
    if let id {
      if let hit = exactRows?[id] { return hit }
      let prefixHit = prefixMatch(provider: provider, name: id)
      // A row registered by the session's IAM role is as specific as `…:assumed-role/<role>/*`: a
      // shorter prefix (`…:assumed-role/*`, every role of the account) does not win over it (a
      // trial: a role registered by its IAM ARN went to the account's catch-all row, and the same
      // role spelled `…/reporter/*` to its own).
      if let roles = iamRoles[provider], let session = STSSession(id), let hit = roles[session.roleKey] {
        let roleLength = id.utf8.distance(from: id.utf8.startIndex, to: session.roleEnd) + 1
        guard let prefixHit, prefixHit.credential.id.utf8.count - 1 >= roleLength else { return hit }
      }
      if let prefixHit { return prefixHit }
    }
    if let alias, let hit = exactRows?[alias] ?? prefixMatch(provider: provider, name: alias) { return hit }
    // A `project:`/`workspace:` row is for rows grouped only by project (SPEC §10): a call that
    // names a key or an identity the directory does not know is that caller's, an unregistered
    // credential, not its project's (a trial: a leaked key's calls charged quietly to the project).
    if let project, id == nil, alias == nil {
      return exactRows?["project:" + project] ?? exactRows?["workspace:" + project]
    }
    return nil
  }

  /// Attributes one record.
  ///
  /// Memoised per identity fields and stretch of time (``segment(_:)``): exact, since nothing
  /// else of the record or the clock is read. The task is applied after the memo (its scope and
  /// approval): keyed by the task too, a month of thousands of tasks missed the memo on nearly
  /// every call (callgrind, the 100 k cardinality month: 97 % misses, each a resolve and an
  /// insert, 0.9 G instructions).
  package func attribute(_ r: UsageRecord, credentialProvider: String? = nil) -> Attribution {
    withTask(of: r, untasked(r, credentialProvider: credentialProvider))
  }

  /// ``attribute(_:credentialProvider:)`` without the record's task: the part that depends only on
  /// the record's credential, alias, project, claimed agent and ``segment(_:)``.
  package func untasked(_ r: UsageRecord, credentialProvider: String? = nil) -> Attribution {
    let provider = credentialProvider ?? r.credentialProviderID
    let row = registeredRow(provider: provider, id: r.credential, alias: r.credentialAlias, project: r.project)
    let unregistered = row == nil ? r.credential.map(Self.unregisteredID) : nil
    let key = AttributionKey(
      provider: provider, row: row?.credential.id, credential: unregistered,
      alias: row == nil ? r.credentialAlias : nil, project: row == nil ? r.project : nil, agent: r.metadata.agentID,
      segment: segment(r.time), callerless: r.namesNoCallerByFormat)
    let base: Attribution
    if let hit = attributionCache[key] {
      base = hit
    } else {
      base = resolve(r, cred: row?.credential, unregistered: unregistered)
      if attributionCache.count >= Self.attributionCacheLimit { attributionCache.removeAll(keepingCapacity: true) }
      attributionCache[key] = base
    }
    return base
  }

  /// `base` (``untasked(_:credentialProvider:)`` of `r`) with `r`'s task applied.
  package func withTask(of r: UsageRecord, _ base: Attribution) -> Attribution {
    guard let taskID = r.metadata.taskID else { return base }
    return Self.applying(task: composed(taskID), taskFacts[taskID], at: r.time, to: base)
  }

  /// The task's part of an attribution: the call's task, its scope over the agent's, and `unapproved_task` (the
  /// last signal) when the task has no approver.
  ///
  /// The task's scope is the call's only for the task's own agent (when the task names one) and
  /// while it is open (`opened_at` ≤ the call < `closed_at`, where given); else the agent's scope
  /// stays. The task id is the caller's claim: an agent that named another agent's task, or a
  /// closed one, ran under that task's wider scope, and its out-of-scope model raised nothing (a
  /// trial). The call is still the task's (its cost shows under it).
  static func applying(task taskID: String, _ task: TaskFacts?, at time: Int64, to base: Attribution) -> Attribution {
    var a = base
    a.taskID = taskID
    if let task {
      let own = task.agentID == nil || task.agentID == base.agentID
      let open = (task.openedAt.map { time >= $0 } ?? true) && (task.closedAt.map { time < $0 } ?? true)
      if let s = task.scopeID, own, open { a.scopeID = s }
      if task.unapproved { a.signals.append(.unapprovedTask) }
    }
    return a
  }

  /// ``canonicalTask(_:)``, remembered for ids that are not ASCII (Foundation's conversion for
  /// each call of a month of non-ASCII ticket ids).
  private func composed(_ id: String) -> String {
    let ascii = id.utf8.withContiguousStorageIfAvailable { $0.allSatisfy { $0 < 0x80 } } ?? false
    if ascii { return id }
    if let known = composedTasks[id] { return known }
    if composedTasks.count >= Self.attributionCacheLimit { composedTasks.removeAll(keepingCapacity: true) }
    let c = Self.canonicalTask(id)
    composedTasks[id] = c
    return c
  }
  private var composedTasks: [String: String] = [:]

  /// A task id as the lines and findings show it: in Unicode's composed form (NFC).
  ///
  /// The directory's look-up (a `String` key) already took `t-é` spelled decomposed in a log for
  /// the task `tasks.csv` spells composed, while the lines, compared byte by byte, made two rows
  /// that print alike (a trial). A task id of ASCII bytes only is in that form already.
  static func canonicalTask(_ id: String) -> String {
    let ascii = id.utf8.withContiguousStorageIfAvailable { $0.allSatisfy { $0 < 0x80 } } ?? false
    return ascii ? id : id.precomposedStringWithCanonicalMapping
  }

  /// What a task changes in an attribution, by task id (a `TaskEntry` is seven strings, each
  /// copied out of the directory per call).
  struct TaskFacts {
    var scopeID: String?
    var unapproved: Bool
    /// The agent the task is for, and when it is open (``applying(task:_:at:to:)``).
    var agentID: String?
    var openedAt: Int64?
    var closedAt: Int64?
  }
  private let taskFacts: [String: TaskFacts]

  /// Steps 2–6 for a record whose credential row (step 1) is `cred`, without its task;
  /// `unregistered` is the record's credential as ``unregisteredID(_:)`` shows it when no row matched.
  private func resolve(_ r: UsageRecord, cred: Credential?, unregistered: String?) -> Attribution {
    let t = r.time
    let claimed = r.metadata.agentID
    let claimedRegistered = claimed.map { directory.agents[$0] != nil } ?? false
    var signals: [FindingKind] = []
    var agentID: String?
    var status: AttributionStatus
    var fallbackCC: String?

    if let cred {
      if let bound = cred.agentID {
        agentID = bound
        status = .agentCredential
        if let claimed, claimed != bound {
          signals.append(.agentMismatch)
          // SPEC §4: unknown_agent whenever the metadata names an agent not in the registry.
          if !claimedRegistered { signals.append(.unknownAgent) }
        }
      } else {
        signals.append(.sharedCredential)
        if let claimed, claimedRegistered {
          agentID = claimed
          status = .sharedAgent
        } else {
          status = .sharedCostCentre
          if claimed != nil { signals.append(.unknownAgent) }
        }
        fallbackCC = cred.costCentre
      }
      if let rev = cred.revokedAt, t >= rev { signals.append(.revokedCredential) }
      if let exp = cred.expiresAt, t >= exp { signals.append(.expiredCredential) }
    } else if let claimed, claimedRegistered {
      agentID = claimed
      if r.namesNoCallerByFormat {
        // SPEC §4 step 4 is about a credential the directory does not know; a Vertex response
        // names none, so there is nothing to register.
        status = .agentMetadata
      } else {
        status = .unregisteredCredential
        signals.append(.unregisteredCredential)
      }
    } else {
      status = .unattributed
      signals.append(.unattributed)
      if claimed != nil { signals.append(.unknownAgent) }
    }

    var costCentre: String?
    var ownerID: String?
    var agentScope: String?
    if let agentID, let versions = directory.agents[agentID] {
      let v = directory.agent(agentID, at: t) ?? versions.last
      ownerID = v?.owner
      agentScope = v?.scopeID
      if let v, v.covers(t) {
        costCentre = v.costCentre
      } else {
        // No agents.csv row of the agent is in effect: it ran after it was retired (its last
        // valid_to), before it was registered, or between two rows. The registry does not know it
        // on that date (SPEC §4: as of the call's time), so it is an unknown agent, charged to its
        // owner's cost centre (step 5); before, its calls were charged without a word (a trial).
        if !signals.contains(.unknownAgent) { signals.append(.unknownAgent) }
        if let owner = v?.owner { costCentre = directory.people[owner]?.costCentre }
      }
      if let owner = ownerID, let off = directory.people[owner]?.offboardedAt, off <= t {
        signals.append(.offboardedOwner)
      }
    } else if agentID != nil {
      // A credential bound to an agent missing from agents.csv.
      signals.append(.unknownAgent)
    }
    // A bound credential's own cost_centre is never used (SPEC §10): its agent's is, else the
    // owner's; with neither, nobody can be charged.
    costCentre = costCentre ?? fallbackCC
    if costCentre == nil && status != .unattributed {
      status = .unattributed
      signals.append(.unattributed)
    }

    // Without the task (``applying(task:_:to:)`` adds it): the agent's scope.
    return Attribution(
      costCentre: costCentre ?? Attribution.unattributed, agentID: agentID, ownerID: ownerID,
      credentialID: cred?.id ?? unregistered ?? r.credentialAlias ?? r.project.map { "project:" + $0 },
      taskID: nil, scopeID: agentScope, status: status, signals: signals)
  }

  /// True when `scope` allows the call's model from `provider`: its canonical name `model` or its
  /// name as the source gave it, `raw` (the same text when it did not resolve).
  package func scopeAllows(_ scopeID: String, provider: Provider, model: String, raw: String) -> Bool {
    let key = ScopeKey(scope: scopeID, provider: provider, model: model, raw: raw)
    if let hit = scopeCache[key] { return hit }
    var allowed = true
    if let scope = directory.scopes[scopeID] {
      if !scope.allowedProviders.isEmpty && !scope.allowedProviders.contains(provider.rawValue) {
        allowed = false
      } else if let globs = scopeGlobs[scopeID], !globs.isEmpty {
        // A price modifier in the name (` [latency optimized]`) is not another model.
        let base = PriceModifiers.base(raw)
        // A gateway's call to a provider we do not price is kept as `<provider>/<model>` (LiteLLM's
        // `groq/llama-3.3-70b`, `unknown/gpt-4o` for a call the proxy refused before routing it): its
        // model is the part after the provider (allowed_providers judges the provider).
        let upstream =
          provider == .other ? raw.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) : nil
        allowed = globs.contains { g in
          g.matches(model) || g.matches(raw) || g.matches(base) || upstream.map { g.matches($0) } == true
        }
      }
    }
    scopeCache[key] = allowed
    return allowed
  }
}
