import ChargebackModel
import Foundation

/// Files that come with a delivery but hold no usage, recognised by path and content together, so
/// that a folder can be given to `--usage` exactly as the producer delivered it (docs/formats.md,
/// "How files are read").
///
/// - A zero-byte file, or one that is empty after decompression (an empty `.gz`).
/// - `amazon-bedrock-logs-permission-check`, the object Bedrock writes at its log prefix when
///   logging is set up.
/// - `aws-logs-write-test`, the object CloudWatch Logs writes at an export's prefix when
///   `CreateExportTask` checks it may write there, when it says so ("Permission Check
///   Successful").
/// - A request or response body that Bedrock moved to a `data/` folder: the file is directly in a
///   folder named `data`; the folder holding `data` is a Bedrock log folder (its absolute path has
///   a `BedrockModelInvocationLogs` component, or it directly holds a file that is detected as a
///   Bedrock invocation log); the content is not a log record (its first JSON value is not an
///   object with a `schemaType` or `requestId` member, or it is not JSON at all); and no export
///   format recognises it, so that an export kept in a folder named `data` is never dropped.
///
/// Anything else is left to format detection, so an unknown file is still an error.
package final class DeliveryArtifacts {
  /// The reason recorded for Bedrock's permission check object.
  package static let permissionCheck = "Bedrock logging permission check object, holds no usage"
  /// The reason recorded for a request or response body in a Bedrock `data/` folder.
  package static let bedrockBody =
    "Bedrock request or response body in a data/ folder, holds no usage (its log record has the tokens)"
  /// The reason recorded for CloudWatch Logs' export write test.
  package static let cloudWatchWriteTest = "CloudWatch Logs export write-test object, holds no usage"
  /// The reason recorded for a zero-byte file.
  package static let empty = "empty file, holds no usage"
  /// The reason recorded for a compressed file with nothing inside.
  package static let emptyDecompressed = "empty after decompression, holds no usage"

  /// Whether a folder is a Bedrock log folder, by absolute path.
  private var bedrockFolders: [String: Bool] = [:]

  package init() {}

  /// Why the file at `path` (`bytes` long on disk) is skipped, or nil when it is to be read as one
  /// of `formats`.
  package func reason(
    for path: String, bytes: Int64, formats: [any ExportFormat] = FormatRegistry.all
  ) throws -> String? {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    if url.lastPathComponent == "amazon-bedrock-logs-permission-check" { return Self.permissionCheck }
    if bytes == 0 { return Self.empty }
    let head = try InputFile(path: path).head()
    if head.isEmpty { return Self.emptyDecompressed }
    if url.lastPathComponent == "aws-logs-write-test",
      String(decoding: head, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        == "Permission Check Successful"
    {
      return Self.cloudWatchWriteTest
    }
    let folder = url.deletingLastPathComponent()
    guard folder.lastPathComponent == "data", isBedrockFolder(folder.deletingLastPathComponent()),
      !Self.startsWithLogRecord(head)
    else { return nil }
    let text = String(decoding: head, as: UTF8.self)
    return formats.contains { $0.matches(head: text) } ? nil : Self.bedrockBody
  }

  /// True when `folder` is under a Bedrock log prefix or directly holds a Bedrock invocation log.
  private func isBedrockFolder(_ folder: URL) -> Bool {
    if folder.pathComponents.contains("BedrockModelInvocationLogs") { return true }
    if let known = bedrockFolders[folder.path] { return known }
    let fm = FileManager.default
    let names = (try? fm.contentsOfDirectory(atPath: folder.path)) ?? []
    let bedrock = BedrockInvocationLog()
    var found = false
    for name in names.sorted() where !name.hasPrefix(".") {
      let full = folder.appendingPathComponent(name).path
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
        let head = try? InputFile(path: full).head()
      else { continue }
      if bedrock.matches(head: String(decoding: head, as: UTF8.self)) {
        found = true
        break
      }
    }
    bedrockFolders[folder.path] = found
    return found
  }

  /// True when `head` (the first bytes of a file) starts with a JSON object, or an array whose
  /// first element is an object, that has `schemaType` or `requestId` as a member name: a log
  /// record rather than a request or response body.
  ///
  /// A CloudWatch Logs timestamp prefix is looked past. Members are read until the head ends, so
  /// a record cut off by the head still counts.
  static func startsWithLogRecord(_ head: [UInt8]) -> Bool {
    head.withUnsafeBufferPointer { whole in
      guard let first = whole.firstIndex(where: { !JSONLayout.isBlank($0) }) else { return false }
      let rest = UnsafeBufferPointer(rebasing: whole[first...])
      let start = first + (JSONLayout.timestampPrefixLength(rest) ?? 0)
      var s = JSONScanner(UnsafeBufferPointer(rebasing: whole[start...]))
      var found = false
      func members(_ s: inout JSONScanner) throws {
        try s.object { _, key in
          if key.equals("schemaType") || key.equals("requestId") {
            found = true
            throw Stop()
          }
        }
        throw Stop()
      }
      do {
        if s.next() == UInt8(ascii: "[") {
          try s.array { s in try members(&s) }
        } else {
          try members(&s)
        }
      } catch {
        return found
      }
      return found
    }
  }

  private struct Stop: Error {}
}
