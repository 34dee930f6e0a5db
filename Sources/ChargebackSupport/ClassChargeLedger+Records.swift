import ChargebackModel
import Foundation

/// The key of a class charge as bytes that sort, compared with `memcmp`, in the charges' order
/// (``ClassChargeSource``): day, provider, credential, model, tier, token class, the price row's
/// threshold and start, cost centre, agent, account, commitment, and last the price row itself, so
/// that two rows alike in all the rest stay two charges.
///
/// - An integer is 8 bytes, big-endian, its sign bit flipped (so negative days sort first).
/// - A text is its UTF-8 bytes, each 0 byte written as 0 0xFF, then 0 1: a text sorts before every
///   longer text it begins.
/// - A missing id is one 0 byte, a present one 1 then its text: missing sorts first.
///
/// Texts are compared by their UTF-8 bytes, which is the order of their code points.
///
/// A group's texts (all but the day, the price row and the account) and an account's are encoded
/// once, when numbered (``addGroup(provider:credentialID:model:tier:costCentre:agentID:commitmentID:)``,
/// ``addAccount(_:)``), and a charge's key is copied from them: encoding the eight texts of every
/// charge, a `String` at a time, was the most of handing a run over (perf, the 1 M `directory`
/// `report`: 152 samples of the summing thread's 484 in handing the groups over).
struct ClassChargeKeys {
  /// The groups' encoded texts, one after the other.
  private var groupBytes: [UInt8] = []
  /// Where each group's texts are in ``groupBytes``: those before the token class (provider,
  /// credential, model, tier), those before the account (cost centre, agent), and the commitment.
  private var groups: [(start: Int, head: Int, middle: Int, end: Int)] = []
  private var accountBytes: [UInt8] = []
  /// Account `n` is `accountBytes[accountEnds[n]..<accountEnds[n + 1]]`.
  private var accountEnds = [0]

  mutating func addGroup(
    provider: Provider, credentialID: String?, model: String, tier: Tier, costCentre: String, agentID: String?,
    commitmentID: String?
  ) -> Int32 {
    let start = groupBytes.count
    Self.text(provider.rawValue, into: &groupBytes)
    Self.optional(credentialID, into: &groupBytes)
    Self.text(model, into: &groupBytes)
    Self.text(tier.rawValue, into: &groupBytes)
    let head = groupBytes.count
    Self.text(costCentre, into: &groupBytes)
    Self.optional(agentID, into: &groupBytes)
    let middle = groupBytes.count
    Self.optional(commitmentID, into: &groupBytes)
    groups.append((start, head, middle, groupBytes.count))
    return Int32(groups.count - 1)
  }

  mutating func addAccount(_ account: String?) -> Int32 {
    Self.optional(account, into: &accountBytes)
    accountEnds.append(accountBytes.count)
    return Int32(accountEnds.count - 2)
  }

  /// Appends to `out` the key of the charge of `group` and `account` on `day` (days since the
  /// epoch) at price row `row`.
  func append(
    day: Int64, group: Int32, account: Int32, tokenClass: TokenClass, price: AppliedPrice, row: Int,
    to out: inout [UInt8]
  ) {
    let g = groups[Int(group)]
    Self.integer(day, into: &out)
    out.append(contentsOf: groupBytes[g.start..<g.head])
    out.append(UInt8(tokenClass.rank))
    Self.integer(price.minInputTokens, into: &out)
    Self.integer(price.from, into: &out)
    out.append(contentsOf: groupBytes[g.head..<g.middle])
    out.append(contentsOf: accountBytes[accountEnds[Int(account)]..<accountEnds[Int(account) + 1]])
    out.append(contentsOf: groupBytes[g.middle..<g.end])
    withUnsafeBytes(of: UInt32(truncatingIfNeeded: row).bigEndian) { out.append(contentsOf: $0) }
  }

  private static func integer(_ v: Int64, into bytes: inout [UInt8]) {
    withUnsafeBytes(of: (UInt64(bitPattern: v) ^ (1 << 63)).bigEndian) { bytes.append(contentsOf: $0) }
  }

  private static func text(_ s: String, into bytes: inout [UInt8]) {
    var s = s
    s.withUTF8 { u in
      // Most texts hold no 0 byte: appended whole, not byte by byte.
      guard u.contains(0) else { return bytes.append(contentsOf: u) }
      for b in u {
        bytes.append(b)
        if b == 0 { bytes.append(0xFF) }
      }
    }
    bytes.append(0)
    bytes.append(1)
  }

  private static func optional(_ s: String?, into bytes: inout [UInt8]) {
    guard let s else { return bytes.append(0) }
    bytes.append(1)
    text(s, into: &bytes)
  }
}

/// One record of a run: a charge's key (``ClassChargeKeys``) and its values.
struct ClassChargeRecord {
  var key: [UInt8] = []
  var rate: Int64 = 0
  var units: Int128 = 0
  var cost: Int128 = 0
  var listCost: Int128 = 0

  /// Reads the next record; false at the end.
  mutating func read(_ r: inout SpillReader) throws -> Bool {
    guard try r.more() else { return false }
    try r.bytes(into: &key)
    rate = Int64(truncatingIfNeeded: try r.integer())
    units = try r.integer()
    cost = try r.integer()
    listCost = try r.integer()
    return true
  }

  func write(_ w: inout SpillWriter) {
    w.put(Int128(key.count))
    key.withUnsafeBufferPointer { w.append($0) }
    w.put(Int128(rate))
    w.put(units)
    w.put(cost)
    w.put(listCost)
  }

  /// Adds the sums of the same charge from another run.
  mutating func add(_ other: ClassChargeRecord) {
    units += other.units
    cost += other.cost
    listCost += other.listCost
  }

  /// The charge; `days` caches the days' names, `texts` the last record's texts.
  func charge(names: [String: String], days: inout [Int64: String], texts: inout LastTexts) -> ClassCharge {
    var d = Decoder(bytes: key)
    let day = d.integer()
    let provider = texts.provider(d.text(&texts, 0))
    let credentialID = d.optional(&texts, 1)
    let model = d.text(&texts, 2)
    let tier = texts.tier(d.text(&texts, 3))
    let rank = Int(d.byte())
    let minInputTokens = d.integer()
    let from = d.integer()
    let costCentre = d.text(&texts, 4)
    let agentID = d.optional(&texts, 5)
    let account = d.optional(&texts, 6)
    let commitmentID = d.optional(&texts, 7)
    let dayName: String
    if let last = texts.day, last.day == day {
      dayName = last.name
    } else if let s = days[day] {
      dayName = s
    } else {
      dayName = Timestamp.day(day * Timestamp.millisPerDay)
      days[day] = dayName
    }
    texts.day = (day, dayName)
    let credentialName: String?
    if let last = texts.credential, last.id == credentialID {
      credentialName = last.name
    } else {
      credentialName = credentialID.flatMap { names[$0] }
      texts.credential = (credentialID, credentialName)
    }
    return ClassCharge(
      day: dayName, credentialID: credentialID, credentialName: credentialName,
      provider: provider, model: model, tier: tier,
      tokenClass: Self.classes[min(rank, Self.classes.count - 1)],
      price: AppliedPrice(rate: Rate(microPerMillion: rate), from: from, minInputTokens: minInputTokens),
      costCentre: costCentre, agentID: agentID, units: units, cost: Money(pico: cost), account: account,
      listCost: Money(pico: listCost), commitmentID: commitmentID)
  }

  /// The charge's amounts and what they are summed by: the texts of the rest of its key are
  /// stepped over, not made.
  func amount(texts: inout LastTexts) -> ClassChargeAmount {
    var d = Decoder(bytes: key)
    d.skip(8)  // day
    let provider = texts.provider(d.text(&texts, 0))
    d.skipOptional()  // credential
    d.skipText()  // model
    d.skipText()  // tier
    d.skip(17)  // token class, the price row's threshold and start
    let costCentre = d.text(&texts, 4)
    d.skipOptional()  // agent
    let account = d.optional(&texts, 6)
    let commitmentID = d.optional(&texts, 7)
    return ClassChargeAmount(
      provider: provider, costCentre: costCentre, account: account, commitmentID: commitmentID,
      cost: Money(pico: cost), listCost: Money(pico: listCost))
  }

  /// The token classes by rank, made once (`allCases` makes its array each time it is read).
  static let classes = TokenClass.allCases

  /// The texts of the record read before, each with its bytes: records are read in key order, so
  /// most of a record's texts are the last one's (the day's, provider's, credential's, model's),
  /// and are shared, not made again (4.8 million rows read twice, the `directory` month).
  struct LastTexts {
    fileprivate var slots = [(bytes: [UInt8], text: String)](repeating: ([], ""), count: 8)
    /// The last record's day and its name, and its credential's id and name (most records repeat
    /// them: one comparison, no hashing).
    fileprivate var day: (day: Int64, name: String)?
    fileprivate var credential: (id: String?, name: String?)?
    /// The last provider's and tier's texts and values: an enum made from its text is a search
    /// of its cases' names (a string comparison each); the text read back is the same storage as
    /// the last record's, which `==` settles at once.
    private var lastProvider: (text: String, value: Provider) = ("", .openai)
    private var lastTier: (text: String, value: Tier) = ("", .standard)
    init() {}

    mutating func provider(_ text: String) -> Provider {
      if text != lastProvider.text { lastProvider = (text, Provider(rawValue: text) ?? .openai) }
      return lastProvider.value
    }

    mutating func tier(_ text: String) -> Tier {
      if text != lastTier.text { lastTier = (text, Tier(rawValue: text) ?? .standard) }
      return lastTier.value
    }
  }

  /// Reads a key's fields back, in the order ``ClassChargeKeys`` wrote them.
  private struct Decoder {
    let bytes: [UInt8]
    var at = 0

    mutating func byte() -> UInt8 {
      defer { at += 1 }
      return at < bytes.count ? bytes[at] : 0
    }

    mutating func integer() -> Int64 {
      var u: UInt64 = 0
      for _ in 0..<8 { u = u << 8 | UInt64(byte()) }
      return Int64(bitPattern: u ^ (1 << 63))
    }

    mutating func skip(_ n: Int) { at += n }

    /// The position of the first 0 byte at or after `from`, nil when there is none: `memchr`, and
    /// `memcmp` in ``same(_:_:)``, where the generic searches and comparisons of slices went
    /// element by element (perf, the `directory` month's `focus.csv`: a tenth of its thread in
    /// comparing each text with the last record's).
    func zero(from: Int) -> Int? {
      guard from < bytes.count else { return nil }
      return bytes.withUnsafeBytes { b in
        guard let base = b.baseAddress, let found = memchr(base + from, 0, b.count - from) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
      }
    }

    /// Whether the bytes at `range` are `other`.
    func same(_ range: Range<Int>, _ other: [UInt8]) -> Bool {
      guard other.count == range.count else { return false }
      guard !range.isEmpty else { return true }
      return bytes.withUnsafeBytes { b in
        other.withUnsafeBytes { o in
          guard let x = b.baseAddress, let y = o.baseAddress else { return false }
          return memcmp(x + range.lowerBound, y, range.count) == 0
        }
      }
    }

    /// Steps over a text: to the 0 1 that ends it (a 0 byte of the text is 0 0xFF).
    mutating func skipText() {
      while let zero = zero(from: at) {
        at = zero + 2
        if zero + 1 >= bytes.count || bytes[zero + 1] == 1 { return }
      }
      at = bytes.count
    }

    mutating func skipOptional() { if byte() != 0 { skipText() } }

    /// A text holding a 0 byte (written 0 0xFF), made byte by byte.
    mutating func escapedText() -> String {
      var out: [UInt8] = []
      while at < bytes.count {
        let b = byte()
        guard b == 0 else {
          out.append(b)
          continue
        }
        if byte() == 1 { break }
        out.append(0)
      }
      return String(decoding: out, as: UTF8.self)
    }

    /// A text, the last record's in slot `k` when its bytes are the same.
    mutating func text(_ last: inout LastTexts, _ k: Int) -> String {
      // Most texts hold no 0 byte: the first 0 is their end, and they are read where they lie.
      let start = at
      if let zero = zero(from: start), zero + 1 < bytes.count, bytes[zero + 1] == 1 {
        at = zero + 2
        if same(start..<zero, last.slots[k].bytes) { return last.slots[k].text }
        let made = String(decoding: bytes[start..<zero], as: UTF8.self)
        last.slots[k] = (Array(bytes[start..<zero]), made)
        return made
      }
      return escapedText()  // one with a 0 byte: made each time
    }

    mutating func optional(_ last: inout LastTexts, _ k: Int) -> String? { byte() == 0 ? nil : text(&last, k) }
  }
}
