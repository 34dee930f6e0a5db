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
}
