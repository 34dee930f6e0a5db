import ChargebackModel
import ChargebackSupport
import Foundation

/// Files that come with a delivery but hold no usage, recognised by path and content together, so
/// that a folder can be given to `--usage` exactly as the producer delivered it (docs/formats.md,
/// "How files are read").
///
/// - A zero-byte file, or one that is empty after decompression (an empty `.gz`).
/// - `amazon-bedrock-logs-permission-check`, the object Bedrock writes at its log prefix when
///   logging is set up, when it is empty (as Bedrock writes it); with anything in it, it is read as
///   any file is.
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
/// - A usage or costs API page whose buckets all hold no result, or that holds no bucket (OpenAI's,
///   with no `organization.…` object anywhere in it; Anthropic's): its page links are kept
///   (``ExportPage``), since it may be the page that continues another.
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
  /// The reason recorded for a usage or costs API page whose buckets are all empty.
  package static let emptyPage = "usage or costs API page whose buckets hold no result, nothing to charge"
  /// Reason for a file of nothing but blanks (spaces, tabs, line ends).
  package static let blank = "nothing but blanks, holds no usage"
  /// Reason for a file that is one empty JSON array (`[]`), or a LiteLLM spend-logs page with no row.
  package static let emptyArray = "an empty JSON array or page of no row, holds no usage"

  /// Why a file whose name is a download tool's temporary name is left for a later run, nil for
  /// any other name.
  ///
  /// A sync still running when the job starts leaves its downloads under such names (AWS CLI
  /// `aws s3 cp`/`sync`: the final name and 8 hex digits, `part-1.json.gz.1a2B3c4D`; rclone
  /// `.partial`; gsutil `_.gstmp`; browsers `.crdownload`, `.part`; WinSCP `.filepart`; a
  /// script's copy-then-rename, `.tmp` or `.temp`), half written: read, a cut-off
  /// gzip stopped the whole day's run (exit 65), and a complete one was loaded again under its
  /// final name once renamed (a trial's half `.tmp` copy stayed in the store, its file gone, and
  /// every later run warned of it). They are not recorded as skipped: the next run finds the file
  /// under its final name.
  package static func downloadInProgress(path: String) -> String? {
    let name = (path as NSString).lastPathComponent
    // Beside a file of its final name: a download that was cut off (or one that replaces it now),
    // said so, not "loaded once it has its final name" every day for good (a trial).
    func beside(_ final: String, _ tool: String) -> String {
      let finalPath = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(final)
      guard FileManager.default.fileExists(atPath: finalPath) else {
        return "a download in progress (\(tool)); loaded once it has its final name"
      }
      return "a download tool's temporary file (\(tool)) beside its final name \(final), which is read as usual:"
        + " a download that was cut off, or one under way; delete it when no download runs"
    }
    let suffixes = [".partial", "_.gstmp", ".crdownload", ".part", ".filepart", ".tmp", ".temp"]
    for suffix in suffixes where name.lowercased().hasSuffix(suffix) {
      return beside(String(name.dropLast(suffix.count)), "\(suffix) is a download tool's temporary name")
    }
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    // At least one letter: eight digits are more likely a date (`spend.jsonl.20261001`).
    guard parts.count >= 3, let last = parts.last, last.count == 8, last.allSatisfy(\.isHexDigit),
      last.contains(where: \.isLetter),
      ["json", "jsonl", "ndjson", "gz", "csv", "log", "txt"].contains(parts[parts.count - 2].lowercased())
    else { return nil }
    return beside(String(name.dropLast(9)), "the AWS CLI's temporary name: the final name and 8 hex digits")
  }

  /// Whether a folder is a Bedrock log folder, by absolute path.
  private var bedrockFolders: [String: Bool] = [:]

  package init() {}

  /// Whether a file at `path` that some format matches may still be an artifact by its path: the
  /// permission check object, or a file in a `data/` folder (``reason(for:bytes:formats:)``).
  package static func mayBeArtifact(path: String) -> Bool {
    let parts = path.split(separator: "/", omittingEmptySubsequences: true)
    // `.` and `..` are resolved by the check itself (its folder is the standardised path's).
    return parts.last == "amazon-bedrock-logs-permission-check" || parts.dropLast().last == "data"
      || parts.contains("..") || parts.contains(".")
  }

  /// Why the file at `path` (`bytes` long on disk) is skipped, or nil when it is to be read as one
  /// of `formats`.
  package func reason(
    for path: String, bytes: Int64, formats: [any ExportFormat] = FormatRegistry.all
  ) throws -> String? {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    // By its name and its content together: Bedrock writes it empty. A file of log records under
    // that name was skipped by its name alone, and a revoked credential's call in it raised nothing
    // (a trial); anything in it is now read as any file is, and refused when no format reads it.
    let permissionCheckName = url.lastPathComponent == "amazon-bedrock-logs-permission-check"
    if permissionCheckName && bytes == 0 { return Self.permissionCheck }
    if bytes == 0 { return Self.empty }
    let head = try InputFile(path: path).head()
    if permissionCheckName && head.isEmpty { return Self.permissionCheck }
    if head.isEmpty { return Self.emptyDecompressed }
    if url.lastPathComponent == "aws-logs-write-test",
      String(decoding: head, as: UTF8.self).trimmingCharacters(in: .blanksAndNewlines)
        == "Permission Check Successful"
    {
      return Self.cloudWatchWriteTest
    }
    // A quiet day's delivery stopped the daily run as an unrecognised format (a trial): `[]`, a
    // LiteLLM `/spend/logs/v2` page with no row, a file of line ends.
    if head.count < FormatRegistry.headBytes, let reason = Self.emptyDocumentReason(head) { return reason }
    if let reason = Self.emptyPageReason(path, head: head, formats: formats) { return reason }
    let folder = url.deletingLastPathComponent()
    guard folder.lastPathComponent == "data", isBedrockFolder(folder.deletingLastPathComponent()),
      !Self.startsWithLogRecord(head)
    else { return nil }
    let text = String(decoding: head, as: UTF8.self)
    return formats.contains { $0.matches(head: text) } ? nil : Self.bedrockBody
  }

  /// ``blank`` or ``emptyArray`` for a whole file (`head` is all of it) of nothing but blanks, one
  /// empty array, or a page whose `data` is an empty array and that says it is a page of rows
  /// (`total_pages` or `page_size`: LiteLLM's `/spend/logs/v2`); nil otherwise.
  static func emptyDocumentReason(_ head: [UInt8]) -> String? {
    let isBlank = { (b: UInt8) in b == 32 || b == 9 || b == 10 || b == 13 }
    var bytes = head[...]
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
    let text = bytes.filter { !isBlank($0) }
    if text.isEmpty { return blank }
    if text.elementsEqual(Array("[]".utf8)) { return emptyArray }
    let string = String(decoding: bytes, as: UTF8.self)
    guard text.first == UInt8(ascii: "{"),
      JSONSupport.headHasKey(string, "total_pages") || JSONSupport.headHasKey(string, "page_size"),
      everyMemberIsEmptyArray("data", in: string, cut: false), !string.contains("\"results\"")
    else { return nil }
    return emptyArray
  }

  /// ``emptyPage`` for an OpenAI usage or costs page of buckets that all hold no result.
  ///
  /// The last page of a month, or a day fetched before any call: a daily job that saves every page it
  /// fetches delivers them, and they stopped its run. The whole file is read (up to 16 MiB) to be
  /// sure no bucket holds a result; a page of an endpoint the tool does not read (its results
  /// named `organization.…`) is still refused.
  private static func emptyPageReason(_ path: String, head: [UInt8], formats: [any ExportFormat]) -> String? {
    // The head may end inside a member (`"results": [` of a page of 1-minute buckets over 64 KiB):
    // what it cuts is left to the whole text's check.
    let cut = head.count == FormatRegistry.headBytes
    guard isPageWithoutResults(String(decoding: head, as: UTF8.self), cut: cut) else { return nil }
    var whole = head
    if head.count == FormatRegistry.headBytes {
      guard let longer = try? FormatRegistry.longHead(of: InputFile(path: path), after: head),
        longer.count < FormatRegistry.longHeadBytes
      else { return nil }
      whole = longer
    }
    let text = String(decoding: whole, as: UTF8.self)
    guard isPageWithoutResults(text), !text.contains("\"organization."),
      !formats.contains(where: { $0.matches(head: text) })
    else { return nil }
    return emptyPage
  }

  /// True when `text` is a usage or costs API page (or pages) none of whose buckets holds a result:
  /// OpenAI's buckets (`"object": "bucket"`, `start_time`) or Anthropic's (`starting_at`), every
  /// `results` an empty array; or a page with `has_more` and an empty `data`.
  ///
  /// A result anywhere (a `results` that is not `[]`) makes it false: such a file is read, or refused.
  /// With `cut`, `text` is the head of a longer file: a member its end cuts does not decide.
  static func isPageWithoutResults(_ text: String, cut: Bool = false) -> Bool {
    let buckets = (text.contains("\"bucket\"") && text.contains("\"start_time\"")) || text.contains("\"starting_at\"")
    if buckets && text.contains("\"results\"") { return everyMemberIsEmptyArray("results", in: text, cut: cut) }
    return JSONSupport.headHasKey(text, "has_more") && !text.contains("\"results\"")
      && everyMemberIsEmptyArray("data", in: text, cut: cut)
  }

  /// True when every `"name":` member of `text` is followed by `[]` (blanks allowed), and there is
  /// one; with `cut`, also when the text ends inside a member after none that is not `[]`.
  private static func everyMemberIsEmptyArray(_ name: String, in text: String, cut: Bool) -> Bool {
    let bytes = Array(text.utf8)
    let needle = Array("\"\(name)\"".utf8)
    var found = false
    var i = 0
    func blanks(_ j: inout Int) { while j < bytes.count, [32, 9, 10, 13].contains(bytes[j]) { j += 1 } }
    while i + needle.count <= bytes.count {
      guard bytes[i..<(i + needle.count)].elementsEqual(needle) else {
        i += 1
        continue
      }
      var j = i + needle.count
      blanks(&j)
      if j == bytes.count { return cut }
      if bytes[j] == UInt8(ascii: ":") {  // a member, not the same text as a value
        j += 1
        blanks(&j)
        if j == bytes.count { return cut }
        guard bytes[j] == UInt8(ascii: "[") else { return false }
        j += 1
        blanks(&j)
        if j == bytes.count { return cut }
        guard bytes[j] == UInt8(ascii: "]") else { return false }
        found = true
      }
      i = j
    }
    return found
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
      // A record that names its `schemaType` past the head (last, after a long inline body), as
      // format detection reads on for (``FormatRegistry/detect(_:among:)``).
      if Self.startsWithLogRecord(head),
        let longer = try? FormatRegistry.longHead(of: InputFile(path: full), after: head),
        bedrock.matches(head: String(decoding: longer, as: UTF8.self))
      {
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
