import ChargebackModel

/// Typed cells of identity and price tables, with errors naming file, line and column.
extension CSVTable {
  /// A required cell.
  package func req(_ r: (line: Int, fields: [String]), _ column: String) throws -> String {
    guard let v = value(r.fields, column) else {
      throw InputError(file: file, line: r.line, field: column, message: "is empty")
    }
    return v
  }

  /// An optional ISO-8601 date or date-time, as UTC epoch ms.
  package func date(_ r: (line: Int, fields: [String]), _ column: String) throws -> Int64? {
    guard let v = value(r.fields, column) else { return nil }
    guard let t = Timestamp.parseMillis(v) else {
      throw InputError(file: file, line: r.line, field: column, message: "\"\(v)\" is not an ISO-8601 date")
    }
    return t
  }

  /// An optional USD amount as an exact decimal.
  ///
  /// With `wholeCents`, an amount with a fraction of a cent (`100.005`) is refused: a budget is set
  /// in cents, and shown in cents, so a budget of 100.005 would show 100.01 beside a remaining
  /// budget worked out from 100.005. Trailing zeros (`1500.000`) are whole cents.
  package func money(_ r: (line: Int, fields: [String]), _ column: String, wholeCents: Bool = false) throws -> Money? {
    guard let v = value(r.fields, column) else { return nil }
    guard let units = DecimalText.parse(v, decimals: 12), units >= 0 else {
      throw InputError(
        file: file, line: r.line, field: column, message: "\"\(v)\" is not a non-negative decimal amount")
    }
    if wholeCents && units % (Money.picoPerUSD / 100) != 0 {
      throw InputError(
        file: file, line: r.line, field: column, message: "\"\(v)\" has a fraction of a cent: give whole cents")
    }
    return Money(pico: units)
  }

  /// Throws a duplicate-id error unless `ok`, and an error when the id holds an invisible
  /// character (``visibleID(_:_:_:)``).
  package func unique(_ ok: Bool, _ r: (line: Int, fields: [String]), _ column: String, _ id: String) throws {
    try visibleID(id, r, column)
    guard ok else {
      // The id as it is: the terminal escapes the whole message once (escaped here too, its
      // backslashes showed doubled, which reads as another id).
      throw InputError(file: file, line: r.line, field: column, message: "duplicate id \"\(id)\"")
    }
  }

  /// `id`; throws when it holds a control or invisible character (``SafeText/isHidden(_:)``).
  ///
  /// An invisible character is part of an id (ids are matched as text, in NFC, and no normal form
  /// drops one): `CC-A` with a soft hyphen after it is another cost centre that
  /// prints (escaped, now) almost like `CC-A`, and one an identity file hardly means to hold (a
  /// trial registered both).
  @discardableResult
  package func visibleID(_ id: String, _ r: (line: Int, fields: [String]), _ column: String) throws -> String {
    guard let (k, u) = id.unicodeScalars.enumerated().first(where: { SafeText.isHidden($0.element) }) else {
      return id
    }
    // A line break or a tab is a control character, not an invisible one (a trial found the word odd).
    let kind = u.value < 0x20 || (0x7F...0x9F).contains(u.value) ? "a control" : "an invisible"
    throw InputError(
      file: file, line: r.line, field: column,
      message: "id \"\(id)\" holds \(kind) character (\(SafeText.codePoint(u)), character"
        + " \(k + 1)): such a character is part of an id, so it would be another id that looks like"
        + " this one")
  }
}
