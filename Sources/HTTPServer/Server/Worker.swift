// A thread for handler work that may take longer than an event loop may be held (a preview of
// hostile input): jobs run one at a time, in order, off every loop, so /mutate on the loops never
// waits behind them. The queue is bounded; a full one refuses the job at once.
import Glibc
import Posix

final class Worker: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let ready = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [Job] = []
    private var head = 0
    private let capacity: Int
    private var started = false

    init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(ready, nil)
    }

    /// Queues `job`; false when `capacity` jobs are already waiting.
    func submit(_ job: @escaping Job) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard jobs.count - head < capacity else { return false }
        if !started {
            started = start()
            guard started else { return false }
        }
        jobs.append(job)
        pthread_cond_signal(ready)
        return true
    }

    /// The thread starts with the first job: a server that never gets one has none.
    private func start() -> Bool {
        guard let tid = try? Threads.start({ self.run() }) else { return false }
        pthread_detach(tid)
        return true
    }

    private func run() {
        while true {
            pthread_mutex_lock(mutex)
            while head == jobs.count { pthread_cond_wait(ready, mutex) }
            let job = jobs[head]
            head += 1
            if head == jobs.count { jobs.removeAll(keepingCapacity: true); head = 0 }
            pthread_mutex_unlock(mutex)
            job()
        }
    }
}
