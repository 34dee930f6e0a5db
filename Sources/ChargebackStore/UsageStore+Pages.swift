import ChargebackModel

extension UsageStore {
  /// Keeps the API pages of a file (inside its load's or its skip's transaction); pages of the same
  /// bytes kept before are left as they are.
  package func addPages(_ pages: [ExportPage], sha256: String, format: String, path: String) throws {
    guard !pages.isEmpty else { return }
    let st = try db.prepare(
      """
      INSERT INTO export_pages(sha256, page, format, path, first_start, last_end, bucket_width, has_more, next_page)
      VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(sha256, page) DO NOTHING
      """)
    for p in pages {
      try st.bind([
        .text(sha256), .int(Int64(p.index)), .text(format), .text(path), p.start.map(SQLValue.int) ?? .null,
        p.end.map(SQLValue.int) ?? .null, p.bucketWidth.map(SQLValue.int) ?? .null, .int(p.hasMore ? 1 : 0),
        p.nextPage.map(SQLValue.text) ?? .null,
      ])
      try st.run()
    }
  }

  /// Whether pages of these bytes are kept.
  package func hasPages(sha256: String) throws -> Bool {
    let st = try db.prepare("SELECT 1 FROM export_pages WHERE sha256 = ? LIMIT 1")
    try st.bind([.text(sha256)])
    return try st.step()
  }

  /// Every kept API page with its format and path, by path, hash and page.
  ///
  /// - Complexity: O(pages); a month fetched by day is some 30 of each endpoint.
  package func exportPages() throws -> [StoredPage] {
    let st = try db.prepare(
      """
      SELECT page, first_start, last_end, has_more, next_page, format, path, bucket_width, sha256 FROM export_pages
      ORDER BY path, sha256, page
      """)
    var out: [StoredPage] = []
    while try st.step() {
      let page = ExportPage(
        index: Int(st.int64(0)), start: st.isNull(1) ? nil : st.int64(1), end: st.isNull(2) ? nil : st.int64(2),
        bucketWidth: st.isNull(7) ? nil : st.int64(7), hasMore: st.int64(3) != 0, nextPage: st.text(4))
      out.append(StoredPage(page: page, format: st.text(5) ?? "", path: st.text(6) ?? "", sha256: st.text(8) ?? ""))
    }
    return out
  }
}
