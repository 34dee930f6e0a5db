import Foundation
import Testing

@testable import ChargebackIngest
@testable import ChargebackModel

/// Bedrock's `requestMetadata` values are trimmed of tabs and spaces, Unicode spaces included, as
/// Foundation's `.whitespaces` trims them; a value of blanks only is no value.
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
}
