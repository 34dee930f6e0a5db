import Foundation
import Testing

/// Bedrock log files for the store's concurrency tests, made from the first line of the month
/// fixture.
enum BedrockLogFiles {
  /// Writes `count` files of `records` calls each into `dir` (request ids `<prefix>-<f>-<i>`, unique
  /// over all files); the output tokens of call `i` of file `f` are `100 + 1000 f + i`.
  static func write(_ dir: String, count: Int, records: Int, prefix: String) throws -> [String] {
    let template = try String(contentsOfFile: Fixtures.month + "/usage/bedrock/month.jsonl", encoding: .utf8)
      .split(separator: "\n")[0]
    try #require(template.contains("\"requestId\":\"req-1\"") && template.contains("\"outputTokenCount\":500"))
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return try (0..<count).map { f in
      let lines = (0..<records).map { i in
        template.replacingOccurrences(of: "\"requestId\":\"req-1\"", with: "\"requestId\":\"\(prefix)-\(f)-\(i)\"")
          .replacingOccurrences(of: "\"outputTokenCount\":500", with: "\"outputTokenCount\":\(100 + f * 1000 + i)")
      }
      let path = dir + "/part-\(f).jsonl"
      try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
      return path
    }
  }
}
