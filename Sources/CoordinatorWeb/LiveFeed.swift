import Foundation

/// The latest `LiveSnapshot` the coordinator's loop published, with a version that counts
/// publications. The loop only stores a value under a lock (microseconds, never waits on HTTP);
/// readers (API handlers, each SSE stream) copy it out.
public final class LiveFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var _version: UInt64 = 0
    private var _snapshot: LiveSnapshot?

    public init() {}

    /// Stores `snapshot` and bumps the version.
    public func publish(_ snapshot: LiveSnapshot) {
        lock.lock(); _snapshot = snapshot; _version &+= 1; lock.unlock()
    }

    /// Bumps the version without a snapshot (`serve`: the store changed under another process).
    public func bump() {
        lock.lock(); _version &+= 1; lock.unlock()
    }

    public var current: (version: UInt64, snapshot: LiveSnapshot?) {
        lock.lock(); defer { lock.unlock() }
        return (_version, _snapshot)
    }
}
