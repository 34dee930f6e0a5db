import Foundation
import Testing

@testable import ChargebackSupport

@Suite struct BackgroundWorkTests {
  struct Refused: Error, Equatable { var path: String }

  @Test func theResultComesFromAnotherThreadAndCanBeAskedTwice() throws {
    let caller = pthread_self()
    let work = BackgroundWork { () -> (Int, Bool) in
      (pthread_equal(pthread_self(), caller) != 0 ? -1 : (1...100).reduce(0, +), Thread.isMainThread)
    }
    let first = try work.value()
    #expect(first.0 == 5_050)  // 100 × 101 ÷ 2, computed off the calling thread
    let again = try work.value()
    #expect(again.0 == first.0)
  }

  @Test func anErrorIsRethrownToTheCaller() throws {
    let work = BackgroundWork<Int> { throw Refused(path: "/out/CC-1.xlsx") }
    #expect(throws: Refused(path: "/out/CC-1.xlsx")) { try work.value() }
    #expect(throws: Refused(path: "/out/CC-1.xlsx")) { try work.value() }
  }

  @Test func theCallerWaitsForSlowWork() throws {
    let work = BackgroundWork { () -> String in
      Thread.sleep(forTimeInterval: 0.2)
      return "written"
    }
    let start = Date()
    #expect(try work.value() == "written")
    #expect(Date().timeIntervalSince(start) >= 0.15)
  }

  /// A class instance whose uniqueness the change reports: a copy of the value left anywhere else
  /// would make `isKnownUniquelyReferenced` false.
  final class Cells: @unchecked Sendable { var days: [Int64] = [] }
  struct Detector: Sendable {
    var cells = Cells()
    var prepared: [Int64] = []
  }

  @Test func aValueIsChangedInPlaceOnAnotherThreadWhileTheCallerGoesOn() throws {
    let callerWent = DispatchSemaphore(value: 0)
    let caller = pthread_self()
    let handed = Detector()
    handed.cells.days = [3, 1, 2]
    let change = BackgroundChange(consume handed) { d in
      // Waits for the caller to go on: a change run before the initialiser returned never sees it.
      let waited = callerWent.wait(timeout: .now() + 10) == .success
      let moved = isKnownUniquelyReferenced(&d.cells)
      let elsewhere = pthread_equal(pthread_self(), caller) == 0
      d.prepared = waited && moved && elsewhere ? d.cells.days.sorted() : []
    }
    callerWent.signal()
    let done = try change.finished()
    #expect(done.prepared == [1, 2, 3])
  }

  @Test func theCallerWaitsForTheChange() throws {
    let change = BackgroundChange([Int]()) { v in
      Thread.sleep(forTimeInterval: 0.2)
      v.append(7)
    }
    let start = Date()
    #expect(try change.finished() == [7])
    #expect(Date().timeIntervalSince(start) >= 0.15)
  }
}
