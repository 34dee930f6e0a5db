/// Price modifiers an export names that the price tables have no column for (US-only inference,
/// fast mode, latency-optimized inference, an unknown service tier): written into the model's name
/// as ` [<name> <value>]`, so that the call stays unpriced with a finding until a price or alias
/// row names that model, instead of being charged at the standard rate without a word.
///
/// Where a call is compared with other sources rather than priced (the overlap of a usage report
/// with request logs, a scope's allowed models), its ``base(_:)`` model is used: the same calls
/// seen through a source that does not show the modifier.
package enum PriceModifiers {
  /// The modifiers written into model names.
  package static let names = ["inference_geo", "speed", "latency", "service_tier", "usage", "modality"]

  /// The modifier of a call whose usage includes audio tokens (a Gemini response's
  /// `promptTokensDetails` with modality `AUDIO`): audio has rates of its own (Gemini 2.5 Flash:
  /// $1.00 per million audio input tokens against $0.30 for text), which the price tables' token
  /// classes do not tell apart, so such a call stays unpriced until rows or an alias name it.
  package static let audio = (name: "modality", value: "audio")

  /// Whether `model` carries ``audio``.
  package static func hasAudio(_ model: String) -> Bool {
    model.hasSuffix(" [" + audio.name + " " + audio.value + "]")
  }

  /// The modifier of a call whose log reports no usage at all (an OTel span of a streamed call
  /// without `stream_options.include_usage`): its tokens are unknown, so no price applies.
  package static let usageNotReported = (name: "usage", value: "not_reported")

  /// Whether `model` carries ``usageNotReported``.
  package static func reportsNoUsage(_ model: String) -> Bool {
    model.hasSuffix(" [" + usageNotReported.name + " " + usageNotReported.value + "]")
  }

  /// `model` with the modifier `name` of value `value` written into it.
  package static func appending(_ model: String, _ name: String, _ value: String) -> String {
    model + " [" + name + " " + value + "]"
  }

  /// `model` without the modifiers written into it (the model itself when it has none).
  package static func base(_ model: String) -> String {
    guard model.utf8.last == UInt8(ascii: "]") else { return model }
    var bytes = Array(model.utf8)
    while bytes.last == UInt8(ascii: "]") {
      // The last " [" before the closing bracket, and a known name after it.
      guard let open = bytes.indices.dropLast().last(where: { bytes[$0] == 32 && bytes[$0 + 1] == UInt8(ascii: "[") })
      else { break }
      let inner = bytes[(open + 2)..<(bytes.count - 1)]
      guard let space = inner.firstIndex(of: 32),
        names.contains(String(decoding: inner[inner.startIndex..<space], as: UTF8.self))
      else { break }
      bytes.removeSubrange(open...)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
