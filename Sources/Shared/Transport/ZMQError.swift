// A thin, safe wrapper over libzmq's C API (module `CZmq`).
// Goals, in order: no undefined behaviour reachable from safe code, errors that say
// what failed and why, then speed (no copies beyond the one libzmq makes).

import CZmq
import Foundation

/// A failed libzmq call: the errno it left, the operation that failed, and libzmq's
/// own text for the errno (`zmq_strerror`).
public struct ZMQError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The errno libzmq reported (`zmq_errno()`), e.g. `EAGAIN`, `EHOSTUNREACH`, `ETERM`.
    public var errno: Int32
    /// What was attempted, e.g. "bind tcp://127.0.0.1:5555" or "setsockopt ZMQ_LINGER".
    public var operation: String
    /// `zmq_strerror(errno)`.
    public var message: String

    public init(errno: Int32, operation: String) {
        self.errno = errno
        self.operation = operation
        self.message = String(cString: zmq_strerror(errno))
    }

    /// The error for the errno libzmq left for the calling thread.
    static func last(_ operation: String) -> ZMQError { ZMQError(errno: zmq_errno(), operation: operation) }

    public var description: String { "\(operation): \(message) (errno \(errno))" }

    /// A non-blocking call would have blocked (`EAGAIN`), or a timeout expired.
    public var isWouldBlock: Bool { errno == EAGAIN }
    /// A ROUTER with `ZMQ_ROUTER_MANDATORY` has no connected peer with that routing id.
    public var isUnroutable: Bool { errno == EHOSTUNREACH }
    /// The context was terminated (`ETERM`): the socket must be closed.
    public var isTerminated: Bool { errno == ETERM }
}

/// Calls a libzmq function that returns -1 and sets errno on failure, retrying while
/// it was interrupted by a signal (`EINTR`). The one place EINTR is retried.
/// `deadline` (monotonic seconds) lets callers with a timeout shrink it on retry:
/// `body` receives the time left in milliseconds (or -1 for "no timeout").
@discardableResult
func zmqCall(_ operation: @autoclosure () -> String, timeoutMs: Int = -1, _ body: (_ timeLeftMs: Int) -> Int32) throws -> Int32 {
    let start = timeoutMs >= 0 ? MonotonicTime.seconds() : 0
    var left = timeoutMs
    while true {
        let rc = body(left)
        if rc != -1 { return rc }
        let err = zmq_errno()
        guard err == EINTR else { throw ZMQError(errno: err, operation: operation()) }
        if timeoutMs >= 0 {
            let elapsed = Int((MonotonicTime.seconds() - start) * 1000)
            left = max(0, timeoutMs - elapsed)
        }
    }
}

/// libzmq's version, e.g. (4, 3, 4).
public func zmqVersion() -> (major: Int, minor: Int, patch: Int) {
    var a: Int32 = 0, b: Int32 = 0, c: Int32 = 0
    zmq_version(&a, &b, &c)
    return (Int(a), Int(b), Int(c))
}

/// Whether libzmq was built with a capability, e.g. "curve", "ipc".
public func zmqHas(_ capability: String) -> Bool { zmq_has(capability) != 0 }
