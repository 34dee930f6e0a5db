import ChargebackModel
import ChargebackSupport

/// How the spike detector keeps its cells: a cell per agent, credential, UTC day and model, each a
/// key of integers, its totals and its token classes' costs in dense arrays.
///
/// Why: the cells are the detector's memory, a cell per subject, day and model (3.5 million in a
/// 10 M-call month of 20,000 service accounts). Kept as a dictionary from a key of three strings to
/// totals holding two arrays each (the token classes, the evidence), then copied in order to be
/// sorted, they were about 750 bytes a cell at the peak: 2.6 GB of that month's report. Now a cell
/// is its key (24 bytes), its totals (48), its cost, calls and token classes in 64 bits while they
/// fit (64, ``ExactSums``) and its place in a ``PositionIndex``, sorted through a permutation.
extension UsageSpikes {
  /// A cell's key: its agent's and credential's slots (``SubjectTasks``; -1 for none), its model's
  /// number and its UTC day.
  ///
  /// Tasks are summed apart (``DayTask``): there can be a task per call, and a cell per task would
  /// make memory grow with the calls.
  struct CellKey: Hashable {
    var agent: Int32
    var credential: Int32
    var model: Int32
    var day: Int64
  }

  /// What a cell holds but its cost, calls and token classes (``cellCosts``, ``cellCalls``,
  /// ``classCosts``, kept apart in 64 bits).
  struct CellTotal {
    /// Records (a report row is one record of many calls).
    var records: Int64 = 0
    /// The cost centre and owner of the cell's first call, by number (``costCentres``,
    /// ``owners``; owner -1: none).
    var costCentre: Int32
    var owner: Int32
    /// The first calls of a cell of the period (none for a day before it, whose evidence no
    /// finding shows).
    var evidence = CellEvidence()
  }

  /// A call of a cell's evidence: its row in the store, whose natural key is read for the spikes
  /// found only (a key made for the first calls of each of a million cells was a few hundred MB of
  /// a large directory's report), or the key itself for a record read from no store.
  enum Evidence {
    case row(Int64)
    case key(String)
  }

  /// A cell's first three calls, in place: a row of the store (0 or more), or -1 - i for the i-th
  /// of the keys of records read from no store (``evidenceKeys``).
  struct CellEvidence {
    private var codes: (Int64, Int64, Int64) = (0, 0, 0)
    private(set) var count: Int8 = 0

    static let limit = 3

    mutating func add(_ code: Int64) {
      switch count {
      case 0: codes.0 = code
      case 1: codes.1 = code
      case 2: codes.2 = code
      default: return
      }
      count += 1
    }

    var all: [Int64] { Array([codes.0, codes.1, codes.2].prefix(Int(count))) }
  }

  /// The most address space the cells are given before the pass: 1 GiB, 6.7 million cells (a
  /// doubling past the room is a copy of them all beside the old ones: at 512 MiB, 3.4 million,
  /// the 10 M-call `directory` month's 3.5 million doubled at the end and peaked 180 MB higher).
  static let reservedBytes = 1 << 30

  /// The token classes a cell's costs in ``classCosts`` are of, in `TokenClass.allCases` order.
  static let classCount = TokenClass.allCases.count

  /// Where a chargeback line's calls go: its agent, credential and model numbered, and the cell
  /// of the day its last call went to.
  ///
  /// The same for every call of the line, which share agent, credential and model: a caller that
  /// knows a call's line keeps one per line and hands it to ``observe(_:row:line:)`` with each
  /// call. Three names hashed and a cell looked up per call were two thirds of the detector on the
  /// report pass's busiest thread (perf, the 1 M `directory` `report`: 222 of its 317 samples).
  package struct LinePlace: Sendable {
    var key: CellKey
    var cell: Int
  }
}
