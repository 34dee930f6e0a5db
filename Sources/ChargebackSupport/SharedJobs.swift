import Foundation

/// Jobs shared by the calling thread and one more: each thread takes the next job not yet taken
/// until none is left, so the two finish at about the same time whatever the jobs' sizes.
///
/// Why: the report's outputs were split by kind (the workbooks on one thread, the CSVs on the
/// other), and whichever kind was the larger ran on alone at the end (perf, the 1 M cardinality
/// month's `report`: the workbook thread worked on alone for about a second, most of it
/// compressing the cost centres' workbooks). Each job writes files of its own, so what is written
/// does not depend on which thread ran it, and the results come back in the jobs' order.
package enum SharedJobs {
  /// Runs every job of `jobs` once, on this thread and one more, taking them in `order` (positions
  /// in `jobs`; all of them, each once); returns their results in the order of `jobs`.
  ///
  /// After a job fails, no further job is taken; once both threads have stopped, the error of the
  /// failed job first in `jobs` among those that ran is thrown (which jobs ran before the failure
  /// stopped the others can differ from run to run).
  package static func run<T: Sendable>(_ jobs: [@Sendable () throws -> T], order: [Int]? = nil) throws -> [T] {
    let order = order ?? Array(jobs.indices)
    precondition(order.sorted() == Array(jobs.indices), "an order that is not a permutation of the jobs")
    let state = State<T>(count: jobs.count)
    let work: @Sendable () -> Void = {
      while let n = state.take() {
        let i = order[n]
        state.finish(i, Result { try jobs[i]() })
      }
    }
    // A second thread only when there are two jobs to share.
    let other = jobs.count > 1 ? BackgroundWork { work() } : nil
    work()
    try other?.value()
    return try state.results()
  }

  /// What the two threads share, under one lock.
  private final class State<T: Sendable>: @unchecked Sendable {
    // @unchecked: every field is read and written with `lock` held.
    private let lock = NSLock()
    private var next = 0
    private var failed = false
    private var outcomes: [Result<T, any Error>?]

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    /// The next position of the order to run, nil when none is left or a job failed.
    func take() -> Int? {
      lock.withLock {
        guard !failed, next < outcomes.count else { return nil }
        defer { next += 1 }
        return next
      }
    }

    func finish(_ i: Int, _ outcome: Result<T, any Error>) {
      lock.withLock {
        outcomes[i] = outcome
        if case .failure = outcome { failed = true }
      }
    }

    /// The results in job order, or the error of the first job in that order that failed.
    func results() throws -> [T] {
      try lock.withLock {
        for case .failure(let error)? in outcomes { throw error }
        return outcomes.map { outcome in
          guard case .success(let value)? = outcome else {
            preconditionFailure("a job neither run nor failed, and no failure stopped the others")
          }
          return value
        }
      }
    }
  }
}

/// A value worked out once, by the first thread that asks for it.
///
/// A thread that asks meanwhile waits for it. The error of the one attempt is rethrown to every
/// caller.
package final class SharedValue<T: Sendable>: @unchecked Sendable {
  // @unchecked: `state` is read and written with `condition` locked; `make` is run once, by the
  // caller that moved the state from `.idle` to `.making`.
  private let condition = NSCondition()
  private var state: State = .idle
  private let make: @Sendable () throws -> T

  private enum State {
    case idle, making
    case made(Result<T, any Error>)
  }

  package init(_ make: @escaping @Sendable () throws -> T) { self.make = make }

  package func value() throws -> T {
    condition.lock()
    while true {
      switch state {
      case .made(let result):
        condition.unlock()
        return try result.get()
      case .making:
        condition.wait()
      case .idle:
        state = .making
        condition.unlock()
        let result = Result { try make() }
        condition.lock()
        state = .made(result)
        condition.broadcast()
      }
    }
  }
}
