// The worker that answers slow requests off the event loops: jobs run in order, and a full queue
// refuses a job at once (the loop then answers 503) instead of growing without bound.
@testable import HTTPServer
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
