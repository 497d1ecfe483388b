// The worker that answers slow requests off the event loops: jobs run in order, and a full queue
// refuses a job at once (the loop then answers 503) instead of growing without bound.
@testable import HTTPServer
import Posix
import Synchronization
import XCTest

final class WorkerTests: XCTestCase {
    func testJobsRunInOrderAndAFullQueueRefusesAtOnce() {
        let worker = Worker(capacity: 3)
        let started = Semaphore(), gate = Semaphore(), done = Semaphore()
        let order = Mutex<[Int]>([])
        // The first job holds the worker's thread; once it runs, three more fill the queue.
        XCTAssertTrue(worker.submit { started.signal(); gate.wait(); order.withLock { $0.append(0) } })
        started.wait()
        for i in 1...3 { XCTAssertTrue(worker.submit { order.withLock { $0.append(i) }; if i == 3 { done.signal() } }) }
        XCTAssertFalse(worker.submit { XCTFail("a job past the queue's capacity ran") }, "a full queue takes no more jobs")
        gate.signal()
        done.wait()
        XCTAssertEqual(order.withLock { $0 }, [0, 1, 2, 3])
        XCTAssertTrue(worker.submit { done.signal() }, "a drained queue takes jobs again")
        done.wait()
        worker.stop()
    }

    func testStopWaitsForTheRunningJobEndsTheThreadAndTheWorkerIsFreed() throws {
        var worker: Worker? = Worker(capacity: 2)
        weak let freed = worker
        let started = Semaphore(), gate = Semaphore()
        let ran = Mutex<[Int]>([])
        XCTAssertTrue(worker!.submit { started.signal(); gate.wait(); ran.withLock { $0.append(0) } })
        started.wait()
        // Let the running job go a little after stop is called: stop must wait for it.
        let opener = try Threads.start { usleep(50_000); gate.signal() }
        worker!.stop()
        XCTAssertEqual(ran.withLock { $0 }, [0], "stop returns once the running job is done")
        XCTAssertFalse(worker!.submit { XCTFail("a job ran after stop") }, "a stopped worker takes no jobs")
        worker = nil
        XCTAssertNil(freed, "the thread ended and let go of the worker, which freed its mutex and condition")
        pthread_join(opener, nil)
    }

    func testAWorkerThatNeverRanAJobStopsAtOnce() {
        let worker = Worker(capacity: 1)
        worker.stop()
        XCTAssertFalse(worker.submit {})
    }
}

/// A counting semaphore from a mutex and a condition, allocated so they never move.
final class Semaphore: @unchecked Sendable {
    private var count = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil); pthread_cond_init(condition, nil) }
    func signal() { pthread_mutex_lock(mutex); count += 1; pthread_cond_signal(condition); pthread_mutex_unlock(mutex) }
    func wait() {
        pthread_mutex_lock(mutex)
        while count == 0 { pthread_cond_wait(condition, mutex) }
        count -= 1
        pthread_mutex_unlock(mutex)
    }
}
