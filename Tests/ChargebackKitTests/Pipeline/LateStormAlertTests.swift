import Foundation
import Testing

@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackTestSupport

/// A late file that brings the first calls of a retry storm and the root of a loop already reported.
///
/// A trial: Bedrock's hour folders arrive out of order. Their ids name their first call, so both
/// got new ids; the next daily run listed both in `new_findings.csv` and
/// `--fail-on medium` exited 1 again. They are the same storm and loop, grown: not new.
///
/// Through the built executable, as a scheduler runs it.
@Suite struct LateStormAlertTests {
  /// One Bedrock call of agent `agent` on its role's session, at 2026-10-05 `hms`, 100,000 input
  /// tokens of m1 ($1 per million), throttled when `throttled`, under `parent` when given.
  static func call(
    _ id: String, _ hms: String, agent: String, throttled: Bool = false, parent: String? = nil, prompt: String = "same"
  ) -> String {
    let meta = "\"agent_id\":\"\(agent)\"" + (parent.map { ",\"parent_request_id\":\"\($0)\"" } ?? "")
    return "{\"schemaType\":\"ModelInvocationLog\",\"timestamp\":\"2026-10-05T\(hms)Z\","
      + "\"identity\":{\"arn\":\"arn:aws:sts::1:assumed-role/\(agent)/s\"},\"requestId\":\"\(id)\",\"modelId\":\"m1\","
      + "\"input\":{\"inputTokenCount\":100000,\"inputBodyJson\":{\"q\":\"\(prompt)\"}},\"output\":{\"outputTokenCount\":0},"
      + "\"requestMetadata\":{\(meta)}" + (throttled ? ",\"errorCode\":\"ThrottlingException\"" : "") + "}"
  }

  /// The daily run's directory and prices, with agents `storm` and `loop` (CC-1), each on its role.
  static func setUp(_ dir: String) throws {
    try DailyRunTests.setUp(
      dir, agents: "storm,p-1,CC-1\nloop,p-1,CC-1\n",
      credentials: "credential_id,provider,agent_id\narn:aws:sts::1:assumed-role/storm/*,bedrock,storm\n"
        + "arn:aws:sts::1:assumed-role/loop/*,bedrock,loop\n")
  }

  /// The storm's calls and the loop's, those of the late file or the others.
  ///
  /// The storm: 14 throttled calls 4 s apart from 10:00:00 (st-0 … st-13); the loop: lp-0 … lp-7,
  /// each the child of the one before, all agent `loop`. The late file holds st-0, st-1 and lp-0.
  static func calls(late: Bool) -> [String] {
    let storm = (0..<14).map { k in
      call("st-\(k)", String(format: "10:%02d:%02d", k * 4 / 60, k * 4 % 60), agent: "storm", throttled: true)
    }
    let loop = (0..<8).map { k in
      call("lp-\(k)", String(format: "11:00:%02d", k), agent: "loop", parent: k == 0 ? nil : "lp-\(k - 1)")
    }
    return late ? Array(storm[0..<2]) + [loop[0]] : Array(storm[2...]) + loop[1...]
  }

  static func findings(_ path: String) throws -> [(id: String, kind: String, calls: String)] {
    let csv = try TestSupport.readCSV(path)
    return csv.map { ($0["finding_id"] ?? "", $0["kind"] ?? "", $0["calls"] ?? "") }
  }

  @Test func aLateFileThatGrowsAStormAndALoopAlertsNeither() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    try DailyRunTests.day(dir, "main.jsonl", Self.calls(late: false))
    let first = try DailyRunTests.run(dir, ["--fail-on", "medium"])
    #expect(first.status == 1, "\(first.err)")
    let before = try Self.findings(dir + "/out/findings.csv")
    #expect(Set(before.map(\.kind)).isSuperset(of: ["retry_storm", "recursive_loop"]), "\(before)")
    #expect(before.first { $0.kind == "retry_storm" }?.calls == "12")
    // The text says what is known of the calls: each came within the storm's gap (60 s) of the one
    // before ("retries without backoff" was said of retries that backed off, a trial).
    let storm = try #require(try TestSupport.readCSV(dir + "/out/findings.csv").first { $0["kind"] == "retry_storm" })
    let text = storm["explanation"] ?? ""
    #expect(text.contains("12 times in 44 s (12 failed), each within 60 s of the one before;"), "\(text)")

    try DailyRunTests.day(dir, "late.jsonl", Self.calls(late: true))
    let second = try DailyRunTests.run(dir, ["--fail-on", "medium"])
    let after = try Self.findings(dir + "/out/findings.csv")
    // The storm has its 14 calls, the loop its root; neither is new, and nothing else changed.
    #expect(after.first { $0.kind == "retry_storm" }?.calls == "14", "\(after)")
    #expect(after.first { $0.kind == "recursive_loop" }?.calls == "8", "\(after)")
    #expect(after.count == before.count)
    #expect(try Self.findings(dir + "/out/new_findings.csv").map(\.kind) == [], "\(second.err)")
    #expect(second.status == 0, "\(second.err)")
  }

  /// Another storm of the agent's, with another prompt, beside the grown one is new.
  ///
  /// A review: the storm gone from the report excused both. It overlaps the grown storm but does not hold the
  /// reported one's time (10:00:02 to 10:00:46, against 10:00:08 to 10:00:52).
  @Test func anotherStormBesideTheGrownOneIsNew() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    try DailyRunTests.day(dir, "main.jsonl", Self.calls(late: false))
    _ = try DailyRunTests.run(dir)
    let other = (0..<12).map { k in
      Self.call(
        "b-\(k)", String(format: "10:00:%02d", 2 + k * 4), agent: "storm", throttled: true, prompt: "another")
    }
    try DailyRunTests.day(dir, "late.jsonl", Self.calls(late: true) + other)
    let second = try DailyRunTests.run(dir, ["--fail-on", "medium"])
    let storms = try Self.findings(dir + "/out/findings.csv").filter { $0.kind == "retry_storm" }
    #expect(storms.map(\.calls).sorted() == ["12", "14"], "\(storms)")
    let new = try Self.findings(dir + "/out/new_findings.csv")
    #expect(new.map(\.kind) == ["retry_storm"], "\(second.err)")
    #expect(new.first?.calls == "12")
    #expect(second.status == 1)
  }

  /// A finding continues a previous one only over a time that holds the previous one's: grown
  /// earlier or later, yes; overlapping it from one side only, no; another agent's, no.
  @Test func aContinuationHoldsThePreviousTime() {
    let old = ReportWriter.PreviousFinding(
      id: "F-old", kind: "retry_storm", costCentre: "CC-1", agentID: "storm", credentialID: "k", first: 8_000,
      last: 52_000)
    func storm(_ first: Int64, _ last: Int64, agent: String = "storm") -> Finding {
      Finding(
        id: "F-new", kind: .retryStorm, severity: .medium, period: "2026-10", costCentre: "CC-1", agentID: agent,
        credentialID: "k", ownerID: nil, taskApprover: nil, firstTime: first, lastTime: last, calls: 1, cost: .zero,
        avoidableCost: .zero, evidence: [], evidenceCount: 1, explanation: "")
    }
    #expect(old.continues(storm(0, 52_000)))
    #expect(old.continues(storm(8_000, 60_000)))
    #expect(!old.continues(storm(2_000, 46_000)))
    #expect(!old.continues(storm(10_000, 60_000)))
    #expect(!old.continues(storm(0, 60_000, agent: "other")))
  }

  /// A storm of the same agent on a later day, after the first is reported, is new: only a finding
  /// that replaces one gone from the report, over a time that meets it, continues it.
  @Test func aLaterStormOfTheSameAgentIsNew() throws {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.setUp(dir)
    try DailyRunTests.day(dir, "main.jsonl", Self.calls(late: false))
    _ = try DailyRunTests.run(dir)
    let later = Self.calls(late: false).filter { $0.contains("\"st-") }.map {
      $0.replacingOccurrences(of: "2026-10-05T10", with: "2026-10-06T10").replacingOccurrences(of: "st-", with: "st2-")
    }
    try DailyRunTests.day(dir, "next.jsonl", later)
    let second = try DailyRunTests.run(dir, ["--fail-on", "medium"])
    let new = try Self.findings(dir + "/out/new_findings.csv")
    #expect(new.map(\.kind) == ["retry_storm"], "\(second.err)")
    #expect(second.status == 1)
  }
}
