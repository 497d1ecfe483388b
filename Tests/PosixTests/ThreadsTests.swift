import Glibc
import Posix
import Synchronization
import XCTest

final class ThreadsTests: XCTestCase {
    func testTheBodyRunsOnAThreadOfItsOwnAndIsJoined() throws {
        let ran = Atomic<Int>(0)
        let caller = pthread_self()
        let other = Atomic<Bool>(false)
        let tid = try Threads.start {
            other.store(pthread_equal(pthread_self(), caller) == 0, ordering: .relaxed)
            ran.add(1, ordering: .relaxed)
        }
        XCTAssertEqual(pthread_join(tid, nil), 0)
        XCTAssertEqual(ran.load(ordering: .relaxed), 1)
        XCTAssertTrue(other.load(ordering: .relaxed))
    }
}
