import Foundation

/// A job's stop request, set from another thread (the worker's loop, on CANCEL or a time limit)
/// and read by the job between units of work: the training loops check it before every batch,
/// a `noop` job's sleep every 10 ms. Reading it costs one uncontended lock, far below a batch.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    public init() {}

    public func cancel() { lock.lock(); flag = true; lock.unlock() }

    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return flag }

    /// Throws `JobCancelled` once cancelled.
    public func check() throws(JobCancelled) { if isCancelled { throw JobCancelled() } }
}

/// Thrown by a job that stopped because it was cancelled; it produced no outcome.
public struct JobCancelled: Error, Sendable, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}
