import Foundation

/// Bounds on every count, duration and size a user gives the binaries on the command line,
/// checked before anything starts (docs/RELIABILITY.md). A number outside its range is a typo
/// or a unit mix-up far more often than a wish: `--local-workers 100000` once forked until the
/// machine ran out of memory.
///
/// The ranges are generous for real use (a 1,024-slot worker, a heartbeat of 10 minutes) and
/// tight enough that no value in them can take a machine down.
public enum Bounds {
    /// Cores available to this process (at least 1).
    public static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Local worker processes (`run --local-workers`): up to 4 per core, so a sweep can
    /// oversubscribe a little but never fork-bomb; `--allow-many-local-workers` lifts the limit
    /// to `localWorkersHardLimit`.
    public static func localWorkerLimit(cores: Int = Bounds.cores) -> Int { 4 * max(1, cores) }
    public static let localWorkersHardLimit = 1024

    /// Jobs one worker runs at once (`urnn-worker --slots`, `run --worker-slots`); each is a thread.
    public static let slots = 1...1024
    /// Heartbeat interval in milliseconds (both binaries).
    public static let heartbeatMs = 10...600_000
    /// Silent heartbeat intervals before a peer is presumed dead (coordinator; 3 to 5 is sensible).
    public static let liveness = 1...10
    /// The worker's own liveness, used only until the coordinator's WELCOME sets it.
    public static let workerLiveness = 2...100
    /// Failed attempts before a job is failed for good.
    public static let maxAttempts = 1...100
    /// Seconds between report refreshes.
    public static let reportEverySeconds = 1.0...86_400.0
    /// Seconds a worker waits without a coordinator and without a job before it exits.
    public static let idleExitSeconds = 1.0...604_800.0

    /// Nil when `value` is in `range`; otherwise the message for `option`.
    public static func violation<T: Comparable>(_ value: T, in range: ClosedRange<T>, option: String,
                                               hint: String = "") -> String? {
        range.contains(value) ? nil : "\(option) must be in \(range.lowerBound)...\(range.upperBound), got \(value)\(hint)"
    }

    /// Nil when `value` is finite and in `range`; otherwise the message for `option`
    /// (NaN compares false with everything, so it is refused by name).
    public static func violation(_ value: Double, in range: ClosedRange<Double>, option: String) -> String? {
        guard value.isFinite else { return "\(option) must be a finite number in \(range.lowerBound)...\(range.upperBound), got \(value)" }
        return violation(value, in: range, option: option, hint: "")
    }
}
