// MARK: - OpenAI demo usage pages

extension DemoGenerator {
  /// One group-by combination of the OpenAI usage report.
  struct OpenAIStream {
    var key: String?
    var project: String
    var model: String
    var batch: Bool
    var tier: String
    /// Requests per hour at the busiest hour.
    var peak: Int
    var hours: DemoCalendar.Hours
    var weekendPct: Int
    var input: ClosedRange<Int64>
    var cachedPct: ClosedRange<Int64>
    var output: ClosedRange<Int64>
    /// Days the stream is active; nil = every day.
    var days: [Int]? = nil
  }

  static let openAIStreams: [OpenAIStream] = [
    OpenAIStream(
      key: Keys.supportChat, project: Keys.projSupport, model: "gpt-4.1-mini-2025-04-14", batch: false, tier: "default",
      peak: 60, hours: .business, weekendPct: 35, input: 1_800...3_500, cachedPct: 40...70, output: 150...450),
    OpenAIStream(
      key: Keys.salesEmail, project: Keys.projSales, model: "gpt-4.1-mini-2025-04-14", batch: false, tier: "default",
      peak: 40, hours: .business, weekendPct: 5, input: 1_500...4_000, cachedPct: 20...50, output: 400...1_200),
    OpenAIStream(
      key: Keys.devCopilot, project: Keys.projPlatform, model: "gpt-5-2025-08-07", batch: false, tier: "default",
      peak: 10, hours: .business, weekendPct: 15, input: 6_000...14_000, cachedPct: 50...80, output: 800...2_500),
    OpenAIStream(
      key: Keys.devCopilot, project: Keys.projPlatform, model: "o4-mini-2025-04-16", batch: false, tier: "default",
      peak: 6, hours: .business, weekendPct: 15, input: 3_000...6_000, cachedPct: 30...60, output: 1_000...3_000),
    OpenAIStream(
      key: Keys.devCopilot, project: Keys.projPlatform, model: "gpt-4.1-mini-2025-04-14", batch: false, tier: "default",
      peak: 12, hours: .business, weekendPct: 15, input: 1_000...3_000, cachedPct: 30...60, output: 100...500),
    OpenAIStream(
      key: Keys.researchBatch, project: Keys.projResearch, model: "gpt-5-2025-08-07", batch: true, tier: "default",
      peak: 220, hours: .night, weekendPct: 100, input: 3_000...5_000, cachedPct: 0...10, output: 500...1_500),
    OpenAIStream(
      key: Keys.researchBatch, project: Keys.projResearch, model: "o4-mini-2025-04-16", batch: false, tier: "flex",
      peak: 8, hours: .business, weekendPct: 50, input: 2_000...6_000, cachedPct: 0...30, output: 1_000...4_000),
    OpenAIStream(
      key: Keys.forecast, project: Keys.projFinance, model: "gpt-4o-2024-08-06", batch: false, tier: "default",
      peak: 5, hours: .business, weekendPct: 0, input: 4_000...9_000, cachedPct: 30...60, output: 400...1_200),
    OpenAIStream(
      key: nil, project: Keys.projResearch, model: "gpt-4o-2024-08-06", batch: false, tier: "default",
      peak: 30, hours: .business, weekendPct: 100, input: 2_000...5_000, cachedPct: 0...20, output: 300...900,
      days: projectOnlyDays),
  ]

  /// One page of 24 one-hour buckets for day `day`, and the number of result rows in it.
  func openAIPage(day: Int, streams: [OpenAIStream], rng: inout DemoRandom) -> (String, Int) {
    let weekend = isWeekend(day)
    let dayStartSeconds = dayStart(day) / 1000
    var rows = 0
    var s = "{\n  \"object\": \"page\",\n  \"data\": [\n"
    for h in 0..<24 {
      let start = dayStartSeconds + Int64(h) * 3600
      s +=
        "    {\n      \"object\": \"bucket\",\n      \"start_time\": \(start),\n      \"end_time\": \(start + 3600),\n"
      var results: [String] = []
      for o in streams {
        let n: Int
        if let days = o.days {
          // Project-only rows: one busy hour on a few days.
          n = days.contains(day) && h == 15 ? o.peak * (70 + rng.below(61)) / 100 : 0
        } else {
          let w = o.hours.weights
          let maxW = w.max() ?? 1
          let dayPct = weekend ? o.weekendPct : 100
          let expected = o.peak * w[h] * dayPct / (maxW * 100)
          var k = expected * (70 + rng.below(61)) / 100
          if k == 0 && w[h] > 0 && dayPct > 0 && rng.percent(30) { k = 1 }
          n = k
        }
        guard n > 0 else { continue }
        let input = Int64(n) * rng.int(o.input)
        let cached = input * rng.int(o.cachedPct) / 100
        let uncached = input - cached
        let output = Int64(n) * rng.int(o.output)
        var r = "        {\"object\": \"organization.usage.completions.result\", \"input_tokens\": \(input)"
        r += ", \"output_tokens\": \(output), \"num_model_requests\": \(n), \"input_cached_tokens\": \(cached)"
        r += ", \"input_cache_write_tokens\": 0, \"input_uncached_tokens\": \(uncached)"
        r += ", \"input_text_tokens\": \(uncached), \"input_cached_text_tokens\": \(cached), \"input_audio_tokens\": 0"
        r += ", \"input_cached_audio_tokens\": 0, \"input_image_tokens\": 0, \"input_cached_image_tokens\": 0"
        r += ", \"output_text_tokens\": \(output), \"output_audio_tokens\": 0, \"output_image_tokens\": 0"
        r += ", \"project_id\": \"\(o.project)\", \"user_id\": null"
        r += ", \"api_key_id\": " + (o.key.map { "\"\($0)\"" } ?? "null")
        r += ", \"model\": \"\(o.model)\", \"batch\": \(o.batch), \"service_tier\": \"\(o.tier)\"}"
        results.append(r)
      }
      rows += results.count
      if results.isEmpty {
        s += "      \"results\": []\n"
      } else {
        s += "      \"results\": [\n" + results.joined(separator: ",\n") + "\n      ]\n"
      }
      s += h == 23 ? "    }\n" : "    },\n"
    }
    s += "  ],\n  \"has_more\": false,\n  \"next_page\": null\n}\n"
    return (s, rows)
  }
}
