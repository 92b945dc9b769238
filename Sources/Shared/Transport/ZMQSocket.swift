import CZmq
import Foundation

/// A libzmq socket.
///
/// Ownership: libzmq sockets are not thread-safe. A socket is owned by exactly one
/// thread at a time: create it, use it and close it on that thread, or hand it over
/// once with a happens-before edge (e.g. pass it into the `Thread` that will own it)
/// and never touch it from the old thread again. The type is `@unchecked Sendable`
/// only so such a hand-over compiles; concurrent use is a bug.
///
/// A message is a list of frames (`[Data]`), sent and received atomically: a peer sees
/// all frames or none.
public final class ZMQSocket: @unchecked Sendable {
    /// Keeps the context alive while this socket exists.
    public let context: ZMQContext
    public let type: ZMQSocketType
    private var handle: UnsafeMutableRawPointer?

    init(context: ZMQContext, type: ZMQSocketType) throws {
        guard let h = zmq_socket(context.handle, type.raw) else { throw ZMQError.last("zmq_socket") }
        self.context = context
        self.type = type
        self.handle = h
    }

    deinit { close() }

    /// Closes the socket (idempotent). Unsent messages are kept for `ZMQ_LINGER`
    /// milliseconds by the context, which waits for them when it terminates.
    public func close() {
        if let h = handle { zmq_close(h); handle = nil }
    }

    public var isClosed: Bool { handle == nil }

    /// The live handle, or `ENOTSOCK` if closed.
    func raw(_ operation: @autoclosure () -> String) throws -> UnsafeMutableRawPointer {
        guard let h = handle else { throw ZMQError(errno: ENOTSOCK, operation: operation()) }
        return h
    }

    // MARK: - Endpoints

    /// Binds to `endpoint`, e.g. "tcp://127.0.0.1:5555", "tcp://127.0.0.1:*" (a free port:
    /// read `lastEndpoint`), "ipc:///tmp/x.sock", "inproc://name".
    public func bind(_ endpoint: String) throws {
        let h = try raw("bind \(endpoint)")
        try zmqCall("bind \(endpoint)") { _ in zmq_bind(h, endpoint) }
    }

    public func connect(_ endpoint: String) throws {
        let h = try raw("connect \(endpoint)")
        try zmqCall("connect \(endpoint)") { _ in zmq_connect(h, endpoint) }
    }

    public func unbind(_ endpoint: String) throws {
        let h = try raw("unbind \(endpoint)")
        try zmqCall("unbind \(endpoint)") { _ in zmq_unbind(h, endpoint) }
    }

    public func disconnect(_ endpoint: String) throws {
        let h = try raw("disconnect \(endpoint)")
        try zmqCall("disconnect \(endpoint)") { _ in zmq_disconnect(h, endpoint) }
    }

    /// The endpoint last bound, with a wildcard port resolved (`ZMQ_LAST_ENDPOINT`).
    public var lastEndpoint: String {
        get throws { String(decoding: try bytesOption(ZMQ_LAST_ENDPOINT, name: "ZMQ_LAST_ENDPOINT", capacity: 1024), as: UTF8.self)
            .trimmingCharacters(in: CharacterSet(charactersIn: "\0")) }
    }

    // MARK: - Messages

    /// Sends one multipart message.
    /// - dontWait: if true and the message cannot be queued now (high-water mark, or no
    ///   connected peer with `ZMQ_IMMEDIATE`), returns false and sends nothing.
    /// - Returns: true if the whole message was queued.
    /// - Throws: `ZMQError`, e.g. `isUnroutable` from a ROUTER with `ZMQ_ROUTER_MANDATORY`.
    @discardableResult
    public func send(_ frames: [Data], dontWait: Bool = false) throws -> Bool {
        precondition(!frames.isEmpty, "a message has at least one frame")
        let h = try raw("send")
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            do {
                _ = try frame.withUnsafeBytes { buf in
                    // zmq_send copies the bytes; an empty frame may have a nil base address.
                    try zmqCall("send") { _ in zmq_send(h, buf.baseAddress, buf.count, flags) }
                }
            } catch let e as ZMQError where e.isWouldBlock && dontWait && i == 0 {
                // Multipart atomicity: once the first frame is accepted, the rest are too,
                // so would-block can only happen here, before anything was queued.
                return false
            }
        }
        return true
    }

    /// Receives one multipart message.
    /// - dontWait: if true and no message is waiting, returns nil at once.
    /// - Returns: the frames, or nil (only with `dontWait`, or when a receive timeout expires).
    public func receive(dontWait: Bool = false) throws -> [Data]? {
        let h = try raw("receive")
        var frames: [Data] = []
        while true {
            let flags: Int32 = (dontWait && frames.isEmpty) ? ZMQ_DONTWAIT : 0
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            do {
                try zmqCall("receive") { _ in zmq_msg_recv(&msg, h, flags) }
            } catch let e as ZMQError where e.isWouldBlock && frames.isEmpty {
                return nil
            }
            let size = zmq_msg_size(&msg)
            frames.append(size == 0 ? Data() : Data(bytes: zmq_msg_data(&msg), count: size))
            if zmq_msg_more(&msg) == 0 { return frames }
        }
    }
}
