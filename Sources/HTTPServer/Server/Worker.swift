// A thread for handler work that may take longer than an event loop may be held (a preview of
// hostile input): jobs run one at a time, in order, off every loop, so /mutate on the loops never
// waits behind them. The queue is bounded; a full one refuses the job at once. `stop` ends the
// thread; the worker frees its mutex and condition when it goes.
import Glibc
import Posix

final class Worker: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let ready = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [Job] = []
    private var head = 0
    private let capacity: Int
    private var thread: pthread_t?
    private var stopping = false

    init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(ready, nil)
    }

    /// Only once the thread has ended (it holds the worker while it runs) or never started.
    deinit {
        pthread_cond_destroy(ready)
        pthread_mutex_destroy(mutex)
        ready.deallocate()
        mutex.deallocate()
    }

    /// Queues `job`; false when `capacity` jobs are already waiting, or once stopped.
    func submit(_ job: @escaping Job) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !stopping, jobs.count - head < capacity else { return false }
        if thread == nil {
            thread = try? Threads.start({ self.run() })
            guard thread != nil else { return false }
        }
        jobs.append(job)
        pthread_cond_signal(ready)
        return true
    }

    /// Lets the job that is running finish and ends the thread; jobs still queued are dropped (the
    /// server stops it once its loops have, when no connection waits for an answer). Not from a job.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        jobs.removeAll()
        head = 0
        let running = thread
        thread = nil
        pthread_cond_signal(ready)
        pthread_mutex_unlock(mutex)
        if let running { pthread_join(running, nil) }
    }

    /// The thread starts with the first job (a server that never gets one has none) and runs
    /// until `stop`.
    private func run() {
        while true {
            pthread_mutex_lock(mutex)
            while head == jobs.count && !stopping { pthread_cond_wait(ready, mutex) }
            if stopping {
                pthread_mutex_unlock(mutex)
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count { jobs.removeAll(keepingCapacity: true); head = 0 }
            pthread_mutex_unlock(mutex)
            job()
        }
    }
}
