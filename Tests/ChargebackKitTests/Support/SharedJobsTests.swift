import Foundation
import Testing

@testable import ChargebackSupport

/// The report's outputs are written as jobs two threads share: each must run once, the results
/// must come back in the jobs' order whoever ran them, and a failure must stop the rest and be
/// the one thrown.
@Suite struct SharedJobsTests {
  /// Records which jobs ran, on which thread, under a lock.
  final class Log: @unchecked Sendable {
    private let lock = NSLock()
    private var ran: [Int] = []
    private var threads = Set<String>()

    func note(_ i: Int) {
      let thread = "\(Unmanaged.passUnretained(Thread.current).toOpaque())"
      lock.withLock {
        ran.append(i)
        threads.insert(thread)
      }
    }

    var jobsRun: [Int] { lock.withLock { ran } }
    var threadCount: Int { lock.withLock { threads.count } }
  }

  @Test func everyJobRunsOnceAndTheResultsKeepTheJobsOrder() throws {
    let log = Log()
    // Jobs of uneven length, so that the two threads interleave differently from run to run.
    let jobs: [@Sendable () throws -> String] = (0..<300).map { i in
      {
        log.note(i)
        // The first job of the order waits (up to a minute) until the other thread has taken one:
        // both threads must work, however late the second is scheduled on a busy machine.
        if i == 299 {
          for _ in 0..<60_000 where log.threadCount < 2 { usleep(1_000) }
        }
        if i % 7 == 0 { usleep(200) }
        return "job \(i)"
      }
    }
    let order = Array((0..<300).reversed())
    let results = try SharedJobs.run(jobs, order: order)
    #expect(results == (0..<300).map { "job \($0)" })
    #expect(log.jobsRun.sorted() == Array(0..<300))
    // Taken in the order given: the first job to run is one of the first two of the order (one
    // per thread), and more of the first half of the order ran in the first half of the time.
    let started = log.jobsRun
    #expect([299, 298].contains(started.first ?? -1))
    #expect(started.prefix(150).filter { $0 >= 150 }.count > 140)
    #expect(log.threadCount == 2)
  }

  struct Failure: Error, Equatable { var job: Int }

  @Test func aFailureStopsTheOtherJobsAndIsThrownOnceBothThreadsStopped() {
    let log = Log()
    let finished = Log()
    let jobs: [@Sendable () throws -> Int] = (0..<1_000).map { i in
      {
        log.note(i)
        if i == 0 { throw Failure(job: i) }
        // Slower than the failure: still running on the other thread when it happens.
        usleep(i == 1 ? 50_000 : 1_000)
        finished.note(i)
        return i
      }
    }
    #expect(throws: Failure(job: 0)) { try SharedJobs.run(jobs) }
    // Nothing was still running when the error came back (a job writes into the staging folder
    // the caller removes on failure): every job begun had finished or failed.
    #expect(Set(finished.jobsRun).union([0]) == Set(log.jobsRun))
    // Each thread stops after its current job: not the rest (a thousand jobs of at least 1 ms).
    #expect(log.jobsRun.count < 1_000)
    #expect(Set(log.jobsRun).count == log.jobsRun.count)
  }

  @Test func ofSeveralFailuresTheFirstInJobOrderIsThrown() {
    // Job 1 fails first in time (on the other thread), job 0 later: job 0's error is thrown, as the
    // job order decides, not the clock.
    let jobs: [@Sendable () throws -> Int] = [
      {
        usleep(50_000)
        throw Failure(job: 0)
      },
      {
        usleep(5_000)
        throw Failure(job: 1)
      },
    ]
    #expect(throws: Failure(job: 0)) { try SharedJobs.run(jobs) }
  }

  @Test func oneJobOrNoneRunsOnTheCallingThread() throws {
    #expect(try SharedJobs.run([@Sendable () throws -> Int]()).isEmpty)
    let caller = "\(Unmanaged.passUnretained(Thread.current).toOpaque())"
    let job: @Sendable () throws -> String = { "\(Unmanaged.passUnretained(Thread.current).toOpaque())" }
    let ran = try SharedJobs.run([job])
    #expect(ran == [caller])
  }

  @Test func aSharedValueIsMadeOnceForEveryThreadThatAsks() throws {
    let makes = Log()
    let value = SharedValue<Int> {
      makes.note(0)
      usleep(20_000)  // long enough that the other thread asks while it is being made
      return 42
    }
    let jobs: [@Sendable () throws -> Int] = (0..<8).map { _ in { try value.value() } }
    #expect(try SharedJobs.run(jobs) == Array(repeating: 42, count: 8))
    #expect(makes.jobsRun.count == 1)
    // A failure is made once too, and thrown to every caller.
    let failing = SharedValue<Int> {
      makes.note(1)
      throw Failure(job: 1)
    }
    #expect(throws: Failure(job: 1)) { try failing.value() }
    #expect(throws: Failure(job: 1)) { try failing.value() }
    #expect(makes.jobsRun.count == 2)
  }
}
