import CZmq
import Foundation

/// Readiness conditions for `zmqPoll`.
public struct ZMQPollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    /// A whole message can be received (socket) / the fd is readable.
    public static let readable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent without blocking.
    public static let writable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLOUT))
    /// An error condition on a plain fd (never set for ZeroMQ sockets).
    public static let error = ZMQPollEvents(rawValue: Int16(ZMQ_POLLERR))
}

/// One thing to wait on: a ZeroMQ socket, or a plain file descriptor (e.g. a `WakePipe`).
public enum ZMQPollItem {
    case socket(ZMQSocket, ZMQPollEvents)
    case fileDescriptor(Int32, ZMQPollEvents)
}

/// Waits until at least one item is ready or `timeoutMs` passes (-1: forever, 0: just look).
/// Only the thread that owns the sockets may poll them.
/// - Returns: the ready events of each item, in order (empty sets when the timeout expired).
/// - Throws: `ZMQError` (e.g. `ETERM`); EINTR is retried with the time that is left.
public func zmqPoll(_ items: [ZMQPollItem], timeoutMs: Int) throws -> [ZMQPollEvents] {
    var raw: [zmq_pollitem_t] = try items.map { item in
        switch item {
        case .socket(let s, let ev):
            return zmq_pollitem_t(socket: try s.raw("poll"), fd: 0, events: ev.rawValue, revents: 0)
        case .fileDescriptor(let fd, let ev):
            return zmq_pollitem_t(socket: nil, fd: fd, events: ev.rawValue, revents: 0)
        }
    }
    let count = Int32(raw.count)
    _ = try raw.withUnsafeMutableBufferPointer { buf in
        try zmqCall("zmq_poll", timeoutMs: timeoutMs) { left in zmq_poll(buf.baseAddress, count, left) }
    }
    return raw.map { ZMQPollEvents(rawValue: $0.revents) }
}

/// A self-pipe that wakes a poll loop from any thread (or a signal handler):
/// `wake()` writes a byte, the loop polls `fileDescriptor` for `.readable` and calls
/// `drain()`. Wakes coalesce; a full pipe already means "awake".
public final class WakePipe: @unchecked Sendable {
    private let readFD: Int32
    private let writeFD: Int32

    public init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ZMQError(errno: errno, operation: "pipe") }
        readFD = fds[0]; writeFD = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit { Foundation.close(readFD); Foundation.close(writeFD) }

    /// The end to poll for `.readable`.
    public var fileDescriptor: Int32 { readFD }

    /// Wakes the poller. Thread-safe and async-signal-safe.
    public func wake() {
        var b: UInt8 = 1
        _ = write(writeFD, &b, 1)
    }

    /// Empties the pipe; call from the polling thread after it woke.
    public func drain() {
        var buf = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buf, buf.count) > 0 {}
    }
}
