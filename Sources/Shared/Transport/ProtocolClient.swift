import Foundation

/// One DEALER that speaks URNS/1 (docs/PROTOCOL.md) a whole message at a time: connects with its
/// routing id, sends `Message`s (or raw frames, to test a peer's parser), and decodes what
/// arrives. It keeps no session state: what to send when is its owner's. The coordinator
/// benchmark's noop workers (`urnn-bench coordinator`) and the tests' `RawClient` are built on it.
/// Owned by one thread, like the socket.
public final class ProtocolClient {
    /// The routing id, as HELLO's `workerID` should say it.
    public let id: String
    /// For `zmqPoll` over many clients.
    public let socket: ZMQSocket

    /// Connects a DEALER with routing id `id` and `ZMQ_LINGER` 0, then `options`.
    public init(context: ZMQContext, endpoint: String, id: String, options: [ZMQSocketOption] = []) throws {
        self.id = id
        socket = try context.socket(.dealer)
        do {
            try socket.set([.routingID(Data(id.utf8)), .linger(milliseconds: 0)] + options)
            try socket.connect(endpoint)
        } catch {
            socket.close()
            throw error
        }
    }

    deinit { close() }

    public func close() { if !socket.isClosed { socket.close() } }

    /// Sends raw frames (a DEALER sends no routing id). With `dontWait`, a full queue drops them.
    public func send(_ frames: [Data], dontWait: Bool = false) throws { _ = try socket.send(frames, dontWait: dontWait) }

    public func send(_ message: Message, dontWait: Bool = false) throws { try send(message.encode(), dontWait: dontWait) }

    /// The frames waiting, if any (never blocks).
    public func receiveFrames() throws -> [Data]? { try socket.receive(dontWait: true) }

    /// The next message within `ms` milliseconds; nil if none came. Throws `ProtocolError` for
    /// frames that do not decode.
    public func next(within ms: Int) throws -> Message? {
        let deadline = MonotonicTime.seconds() + Double(ms) / 1000
        while true {
            let left = Int(((deadline - MonotonicTime.seconds()) * 1000).rounded(.up))
            guard left > 0 else { return nil }
            let ev = try zmqPoll([.socket(socket, .readable)], timeoutMs: left)
            guard ev.first?.contains(.readable) == true, let frames = try receiveFrames() else { continue }
            return try Message.decode(frames)
        }
    }
}
