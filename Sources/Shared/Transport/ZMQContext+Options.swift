import CZmq
import Foundation

extension ZMQContext {
    /// `ZMQ_MAX_SOCKETS`: how many sockets this context may hold at once (libzmq's default
    /// is 1023). Set it before creating the sockets; a context serving more than a thousand
    /// peers from one process (e.g. the idle-worker benchmark) needs it raised.
    /// The file-descriptor limit (`RLIMIT_NOFILE`) must allow as many too: each socket
    /// holds a mailbox descriptor and one per TCP connection.
    public func setMaxSockets(_ count: Int) throws {
        try zmqCall("zmq_ctx_set ZMQ_MAX_SOCKETS \(count)") { _ in
            zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, Int32(clamping: count))
        }
    }

    /// The current `ZMQ_MAX_SOCKETS`.
    public var maxSockets: Int { Int(zmq_ctx_get(handle, ZMQ_MAX_SOCKETS)) }
}
