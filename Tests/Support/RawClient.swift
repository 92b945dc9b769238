import Foundation
import Shared
import Testing

/// A hand-driven DEALER that talks to a live coordinator frame by frame: a misbehaving (or
/// deliberately malicious) worker. It sends whatever frames it is given and decodes replies.
/// (TestSupport: the one raw protocol client of the tests, on Shared's `ProtocolClient`, which
/// the coordinator benchmark's workers use too.)
public final class RawClient {
    public var id: String { client.id }
    private let context: ZMQContext
    private let client: ProtocolClient

    public init(endpoint: String, id: String) throws {
        context = try ZMQContext()
        client = try ProtocolClient(context: context, endpoint: endpoint, id: id)
    }

    deinit { close() }

    public func close() { client.close() }

    /// Sends raw frames (no routing id: a DEALER sends none).
    public func send(_ frames: [Data]) throws { try client.send(frames) }

    public func send(_ message: Message) throws { try client.send(message) }

    /// The next message from the coordinator within `ms` milliseconds; nil if none came.
    /// A reply that does not decode is a test failure (the coordinator must speak URNS/1).
    public func next(within ms: Int) throws -> Message? { try client.next(within: ms) }

    /// The first message other than HEARTBEAT within `ms` milliseconds.
    public func nextNonHeartbeat(within ms: Int = 3000) throws -> Message? {
        let deadline = Date().addingTimeInterval(Double(ms) / 1000)
        while let m = try next(within: max(1, Int(deadline.timeIntervalSinceNow * 1000))) {
            if case .heartbeat = m { continue }
            return m
        }
        return nil
    }

    /// The first message other than HEARTBEAT and ASSIGN within `ms` milliseconds: the answer to
    /// what we sent. (ASSIGNs can arrive unasked after HELLO, see `BadInput.credit...`; they are
    /// collected in `assigned` and never run, so their leases come back by expiry.)
    public func nextReply(within ms: Int = 3000) throws -> Message? {
        let deadline = Date().addingTimeInterval(Double(ms) / 1000)
        while let m = try nextNonHeartbeat(within: max(1, Int(deadline.timeIntervalSinceNow * 1000))) {
            if case .assign(let a) = m { assigned.append(a); continue }
            return m
        }
        return nil
    }

    /// ASSIGNs skipped by `nextReply`.
    public private(set) var assigned: [Message.Assign] = []

    /// Sends `frames` and returns the ERROR that answers them (nil, and a recorded issue, if the
    /// answer is something else or nothing).
    @discardableResult
    public func expectError(after frames: [Data], code: ProtocolError.Code, command: Int? = nil, _ what: String,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> Message.ErrorReport? {
        try send(frames)
        let reply = try nextReply()
        guard case .error(let e) = reply else {
            Issue.record("\(what): expected ERROR \(code.rawValue), got \(reply.map { "\($0)" } ?? "nothing")",
                         sourceLocation: sourceLocation)
            return nil
        }
        #expect(e.code == code.rawValue, "\(what): \(e)", sourceLocation: sourceLocation)
        if let command { #expect(e.command == command, "\(what): \(e)", sourceLocation: sourceLocation) }
        #expect(!e.message.isEmpty, "\(what): ERROR without a message", sourceLocation: sourceLocation)
        return e
    }

    /// HELLO, then the WELCOME that answers it.
    public func hello(slots: Int = 1, capabilities: [String] = []) throws -> Message.Welcome? {
        let nonce = "n-\(UUID().uuidString.prefix(8))"
        try send(.hello(.init(workerID: id, host: "raw", pid: Int(getpid()), slots: slots, buildVersion: BuildInfo.version,
                              capabilities: capabilities, nonce: nonce)))
        guard case .welcome(let w) = try nextNonHeartbeat() else { return nil }
        #expect(w.nonce == nonce)
        return w
    }

    /// Frame helpers.
    public static let header = Message.signature + [Message.version]
    public static func command(_ c: Message.Command) -> Data { Data([c.rawValue]) }
    public static func body(_ s: String) -> Data { Data(s.utf8) }
}
