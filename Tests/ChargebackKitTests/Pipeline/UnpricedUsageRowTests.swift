import Foundation
import Testing

@testable import ChargebackIdentity
@testable import ChargebackKit
@testable import ChargebackModel
@testable import ChargebackPricing
@testable import ChargebackReporting
@testable import ChargebackStore
@testable import ChargebackSupport
@testable import ChargebackTestSupport

/// OpenAI usage rows the price table must not price as they are: rows without a model (an export
/// not grouped by model, the OpenAI cookbook's default request) and rows with audio tokens.
@Suite struct UnpricedUsageRowTests {
  /// One day's page of key_A's text row (1,000,000 input tokens of gpt-4.1-mini: 0.40 USD) and the
  /// same row for key_B changed by `change`, reported.
  static func report(keyB change: (String) -> String) throws -> ChargebackReport {
    let dir = try TestSupport.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let day = BucketWidthTests.epoch("2026-10-07T00:00:00Z")
    let text = BucketWidthTests.openAIResult(key: "key_A", input: 1_000_000, cached: 0, output: 0, requests: 4)
    let other = change(text.replacingOccurrences(of: #""key_A""#, with: #""key_B""#))
    try #require(other != text.replacingOccurrences(of: #""key_A""#, with: #""key_B""#))
    try FileManager.default.createDirectory(atPath: dir + "/usage", withIntermediateDirectories: true)
    let path = dir + "/usage/openai-completions.json"
    try BucketWidthTests.openAIPage([(day, day + 86_400, [text, other])])
      .write(toFile: path, atomically: true, encoding: .utf8)
    return try BucketWidthTests.report(try BucketWidthTests.ingest([path], dir), dir)
  }

  /// Rows that name no model stay unpriced, and the finding says how to export them, not to add a
  /// price for a model named "".
  @Test func rowsWithoutAModelSayToGroupByModel() throws {
    let report = try Self.report { $0.replacingOccurrences(of: #""gpt-4.1-mini-2025-04-14""#, with: "null") }
    // key_A's 1,000,000 input tokens at 0.40 per million; key_B's row is unpriced, not $0.
    #expect(report.totalCost == TestSupport.usd("0.4"))
    let finding = try #require(report.findings.first { $0.kind == .unpricedModel })
    #expect(finding.explanation.contains("without a model"))
    #expect(finding.explanation.contains("group_by=model"))
    #expect(!finding.explanation.contains("price or alias"))
    #expect(report.findings.filter { $0.kind == .unpricedModel }.count == 1)
  }

  /// A row with audio tokens (OpenAI counts them inside input and output tokens) is not charged at
  /// the text rates: it stays unpriced, and the finding says why; the row without is 0.40 USD.
  @Test func rowsWithAudioTokensAreNotPricedAsText() throws {
    let report = try Self.report {
      $0.replacingOccurrences(of: #""input_audio_tokens": 0"#, with: #""input_audio_tokens": 1000"#)
    }
    #expect(report.totalCost == TestSupport.usd("0.4"))
    let finding = try #require(report.findings.first { $0.kind == .unpricedModel })
    #expect(finding.explanation.contains("audio tokens"))
    #expect(report.lines.contains { $0.key.model == "gpt-4.1-mini-2025-04-14 [modality audio]" })
  }
}
