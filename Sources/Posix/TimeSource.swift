// The time, read in one place. Code that decides by time takes a `TimeSource` (or a reading of one),
// so that its tests can hand in a fake one and move it; `TimeSource.system` reads the kernel's
// clocks. (Not `Clock`: that is the standard library's protocol.)
import Glibc

public struct TimeSource: Sendable {
    /// Nanoseconds on a clock that never steps back (CLOCK_MONOTONIC): durations and deadlines.
    public let nanos: @Sendable () -> UInt64
    /// Seconds since the epoch (CLOCK_REALTIME): what is shown, logged or compared with a date.
    public let seconds: @Sendable () -> Double

    public init(nanos: @escaping @Sendable () -> UInt64, seconds: @escaping @Sendable () -> Double) {
        self.nanos = nanos
        self.seconds = seconds
    }

    public static let system = TimeSource(nanos: monotonicNanos, seconds: wallSeconds)

    /// The two readings `system` makes, for the few callers with no clock handed in (a log line's
    /// timestamp, a duration measured around one call).
    @inline(__always)
    public static func monotonicNanos() -> UInt64 {
        let ts = read(CLOCK_MONOTONIC)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    public static func wallSeconds() -> Double {
        let ts = read(CLOCK_REALTIME)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Whole seconds and milliseconds since the epoch, for a timestamp printed to the millisecond.
    public static func wallMillis() -> (seconds: Int, millis: Int) {
        let ts = read(CLOCK_REALTIME)
        return (ts.tv_sec, ts.tv_nsec / 1_000_000)
    }

    @inline(__always)
    private static func read(_ id: clockid_t) -> timespec {
        var ts = timespec()
        // Cannot fail for these two clocks with a valid pointer (clock_gettime(2)).
        clock_gettime(id, &ts)
        return ts
    }
}
