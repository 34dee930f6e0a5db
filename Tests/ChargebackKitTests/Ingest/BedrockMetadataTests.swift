import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackModel
@testable import ChargebackSupport

/// Bedrock's `requestMetadata` values are trimmed of tabs and spaces, Unicode spaces included (the
/// space separators, as Apple's `.whitespaces`); a value of blanks only is no value; an invisible
/// character that is no space is kept.
@Suite struct BedrockMetadataTests {
  /// The sample's first call with `agent_id` and `task_id` set to the given JSON string bodies.
  func parse(agent: String, task: String) throws -> CallMetadata {
    let line = try String(contentsOfFile: Fixtures.samples + "/bedrock/model-invocation-logs.jsonl", encoding: .utf8)
      .split(separator: "\n")[0]
    let edited = line.replacingOccurrences(of: #""agent_id":"billing-reconciler""#, with: #""agent_id":"\#(agent)""#)
      .replacingOccurrences(of: #""task_id":"T-88231""#, with: #""task_id":"\#(task)""#)
    #expect(edited != String(line))
    return try Array(edited.utf8).withUnsafeBufferPointer {
      try BedrockInvocationLog().parse($0, file: "x.jsonl", line: 1).metadata
    }
  }

  @Test func valuesWithoutBlanksAtTheEndsAreKeptAsWritten() throws {
    let m = try parse(agent: "José agent", task: "T 1")
    #expect(m.agentID == "José agent")
    #expect(m.taskID == "T 1")
    #expect(BedrockInvocationLog.trimmed("naïve") == "naïve")
    #expect(BedrockInvocationLog.trimmed("a") == "a")
  }

  @Test func asciiAndUnicodeBlanksAtTheEndsAreTrimmed() throws {
    // A tab (JSON \t) and spaces; a no-break space (U+00A0) and an ideographic space (U+3000).
    let m = try parse(agent: #"\t billing-reconciler "#, task: "\u{00A0}T-88231\u{3000}")
    #expect(m.agentID == "billing-reconciler")
    #expect(m.taskID == "T-88231")
    #expect(BedrockInvocationLog.trimmed("\u{2003}x\u{00A0}") == "x")
    #expect(BedrockInvocationLog.trimmed(" x y ") == "x y")
  }

  @Test func blanksOnlyAreNoValue() throws {
    let m = try parse(agent: "   ", task: "\u{00A0}\u{3000}")
    #expect(m.agentID == nil)
    #expect(m.taskID == nil)
    #expect(BedrockInvocationLog.trimmed("") == nil)
    #expect(BedrockInvocationLog.trimmed("\t") == nil)
  }

  /// A zero-width space is no blank: kept, so the id is not a registered agent's.
  ///
  /// It is shown escaped; swift-corelibs-foundation's `.whitespaces` trimmed it, silently (a trial).
  @Test func invisibleCharactersThatAreNoSpaceAreKept() throws {
    let m = try parse(agent: "\u{200B}billing-reconciler", task: "T-88231\u{200B}")
    #expect(m.agentID == "\u{200B}billing-reconciler")
    #expect(m.taskID == "T-88231\u{200B}")
    #expect(BedrockInvocationLog.trimmed("\u{200B}") == "\u{200B}")
  }

  /// Every trim of a value trims the space separators and a tab, and nothing else: the whole
  /// class, measured over U+0000–U+FFFF.
  @Test func blanksAreTheSpaceSeparatorsAndATab() {
    for v in 0..<0x10000 {
      guard let u = Unicode.Scalar(v) else { continue }
      let expected = v == 9 || u.properties.generalCategory == .spaceSeparator
      #expect(CharacterSet.blanks.contains(u) == expected, "U+\(String(v, radix: 16))")
      let newline = [0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029].contains(v)
      #expect(CharacterSet.blanksAndNewlines.contains(u) == (expected || newline), "U+\(String(v, radix: 16))")
    }
  }
}
