import CZmq
import Foundation

/// A libzmq context: owns the I/O thread(s) and is the factory for sockets.
/// Thread-safe (libzmq contexts are). Every socket keeps its context alive, so the
/// context is terminated (`zmq_ctx_term`) only after its last socket is gone; with a
/// positive linger that waits until queued messages are flushed or the linger expires.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// - ioThreads: libzmq I/O threads (1 handles ~1 GB/s, plenty here).
    public init(ioThreads: Int = 1) throws {
        guard let h = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        handle = h
        if ioThreads != 1 { zmq_ctx_set(h, ZMQ_IO_THREADS, Int32(ioThreads)) }
    }

    deinit {
        // Blocks until every socket is closed and lingering messages are flushed.
        let h = handle
        _ = try? zmqCall("zmq_ctx_term") { _ in zmq_ctx_term(h) }
    }

    /// A new socket of `type`. The caller's thread owns it (see `ZMQSocket`).
    public func socket(_ type: ZMQSocketType) throws -> ZMQSocket {
        try ZMQSocket(context: self, type: type)
    }

    /// Makes every blocking call on this context's sockets fail with `ETERM`
    /// (use to stop a loop blocked in another thread); sockets must still be closed.
    public func shutdown() { zmq_ctx_shutdown(handle) }
}

/// The socket patterns this project uses.
public enum ZMQSocketType: Sendable {
    case router, dealer, pair, req, rep, push, pull

    var raw: Int32 {
        switch self {
        case .router: return ZMQ_ROUTER
        case .dealer: return ZMQ_DEALER
        case .pair: return ZMQ_PAIR
        case .req: return ZMQ_REQ
        case .rep: return ZMQ_REP
        case .push: return ZMQ_PUSH
        case .pull: return ZMQ_PULL
        }
    }
}
