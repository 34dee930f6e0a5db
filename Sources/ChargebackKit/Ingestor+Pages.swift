import ChargebackIngest
import ChargebackModel
import ChargebackStore
import Foundation

/// The API pages of the files ingest meets (``ExportPage``): kept as each file is loaded or
/// skipped, and once for the files a store loaded before it kept them.
extension Ingestor {
  /// Keeps the pages of the file at `path` (bytes `sha256`) read as `format`, in the caller's
  /// transaction; `format` nil is a page of empty buckets skipped as a delivery artifact.
  ///
  /// Read again apart from the records: API pages are small, and a file's records never carry its
  /// pages' links. A file of no record (`records` 0: empty buckets) and a skipped empty page keep
  /// theirs as their provider's page of empty buckets (``PageLinks/emptyFormat(of:)``), whose
  /// endpoint nothing says: an empty Anthropic cost page reads as a usage report.
  func keepPages(
    of path: String, sha256: String, format: (any ExportFormat)?, records: Int64, input: InputFile? = nil
  ) throws {
    let input = input ?? InputFile(path: path)
    guard let format else {
      return try store.addPages(
        PageLinks.pages(in: input), sha256: sha256, format: PageLinks.emptyFormat(of: nil), path: path)
    }
    guard format.comesInPages else { return }
    try store.addPages(
      format.pages(input), sha256: sha256, format: records == 0 ? PageLinks.emptyFormat(of: format.id) : format.id,
      path: path)
  }

  /// Keeps the API pages of the files a store loaded before it kept pages (schema 10 and earlier),
  /// once: read again from their paths when the bytes there are still those loaded.
  ///
  /// Without them, a page loaded after the upgrade that says more follow was reported missing its
  /// continuation, loaded before, and loading that again changed nothing ("already ingested"), a
  /// review. A file no longer there, or changed, keeps none here; met again at another path, it
  /// gets them then (``ingest(file:hashed:)``).
  package func keepPagesOfEarlierLoads() throws {
    guard try store.setting(Self.pagesKeptSetting) == nil else { return }
    let kept = Set(try store.exportPages().map(\.sha256))
    func unchanged(_ path: String, _ sha256: String) -> Bool {
      FileManager.default.fileExists(atPath: path) && (try? FileHash(path: path, now: true).value())?.sha256 == sha256
    }
    try store.write {
      for f in try store.files() where !kept.contains(f.sha256) {
        guard let format = Self.pagedFormats[f.format], unchanged(f.path, f.sha256) else { continue }
        try keepPages(of: f.path, sha256: f.sha256, format: format, records: f.records)
      }
      // Pages of empty buckets skipped before (their reason's text then named OpenAI alone).
      for f in try store.skippedFiles()
      where !kept.contains(f.sha256)
        && (f.reason == DeliveryArtifacts.emptyPage || f.reason == Self.emptyPageBefore) && unchanged(f.path, f.sha256)
      {
        try keepPages(of: f.path, sha256: f.sha256, format: nil, records: 0)
      }
      try store.setSetting(Self.pagesKeptSetting, "1")
    }
  }

  /// The formats whose files come in API pages, by id.
  static let pagedFormats = Dictionary(
    uniqueKeysWithValues: FormatRegistry.all.filter(\.comesInPages).map { ($0.id, $0) })

  /// ``DeliveryArtifacts/emptyPage`` as stores before version 11 recorded it.
  static let emptyPageBefore = "OpenAI usage or costs page whose buckets hold no result, nothing to charge"

  /// Set once the files loaded before the store kept pages have theirs (`.2`: LiteLLM's numbered
  /// pages too, kept since December 2026; a store that set the first key reads its earlier files
  /// once more, for theirs).
  static let pagesKeptSetting = "export_pages.earlier_loads.2"
}
