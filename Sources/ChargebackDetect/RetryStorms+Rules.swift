import ChargebackModel

/// What a retry storm is made of and how its findings are named, apart from the detector's
/// streaming state: which failures trigger retries, and ids made distinct when two storms share one.
extension RetryStorms {
  /// True for the failures that trigger retries (SPEC §6: 429, 5xx, timeouts), or when the source
  /// gives no code; a client error (`ValidationException`, 400) is not a retry trigger.
  static func isRetryable(_ code: String?) -> Bool {
    guard let code = code?.lowercased(), !code.isEmpty else { return true }
    if let status = Int(code) { return status == 408 || status == 429 || status >= 500 }
    let markers = [
      "throttl", "ratelimit", "rate_limit", "too many", "429", "timeout", "timed out", "unavailable",
      "internalserver", "internal_server", "server_error", "overloaded", "5xx", "503", "502", "500", "504",
    ]
    return markers.contains { code.contains($0) }
  }

  /// Gives every storm an id of its own.
  ///
  /// Two storms of one credential, agent and model that start in the same millisecond (other
  /// tasks, parents or prompts) have one subject, so one id, and their order in the outputs then
  /// followed the per-process hash seed. All but the one whose first call's key sorts first get an
  /// id made from that id and their own first call's key: the same from run to run, and unchanged
  /// for every storm that shares its id with none.
  static func distinctIDs(_ findings: [Finding], period: Period) -> [Finding] {
    var byID: [String: [Int]] = [:]
    for (i, f) in findings.enumerated() { byID[f.id, default: []].append(i) }
    var out = findings
    for positions in byID.values where positions.count > 1 {
      let ordered = positions.sorted { (findings[$0].evidence.first ?? "") < (findings[$1].evidence.first ?? "") }
      for i in ordered.dropFirst() {
        out[i].id = FindingID.make(
          kind: .retryStorm, period: period, subject: findings[i].id + "|" + (findings[i].evidence.first ?? ""))
      }
    }
    return out
  }
}
