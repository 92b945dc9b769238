import Foundation
import Testing
import Shared

/// The coordinator's side of the protocol, played by a test with a real ROUTER socket.
/// Owned by the test's thread. (TestSupport: the one fake coordinator of the tests.)
public final class FakeCoordinator {
    public let context: ZMQContext
    public let router: ZMQSocket
    public let endpoint: String

    /// Admits only whitelisted CURVE clients when `curve` is given.
    private var authenticator: CurveAuthenticator?

    /// Binds `endpoint` (default: a free loopback port); a CURVE server if `curve` is given.
    public init(endpoint: String = "tcp://127.0.0.1:*", curve: (server: CurveKeys, allowed: Set<String>)? = nil) throws {
        context = try ZMQContext()
        if let curve { authenticator = try CurveAuthenticator(context: context, allowedPublicKeys: curve.allowed) }
        router = try context.socket(.router)
        try router.set([.linger(milliseconds: 0), .routerMandatory(true), .routerHandover(true)])
        if let curve { try router.set(.curveServer(secretKey: curve.server.secretKey)) }
        // Rebinding a port a just-closed socket held can race libzmq's I/O thread: retry briefly.
        var attempt = 0
        while true {
            do { try router.bind(endpoint); break } catch let e as ZMQError where e.errno == EADDRINUSE && attempt < 50 {
                attempt += 1
                usleep(20_000)
            }
        }
        self.endpoint = try router.lastEndpoint
    }

    /// Workers welcomed, with the session id to heartbeat them with. While a test waits in
    /// `next`, each gets a HEARTBEAT every `heartbeatMs`, as a live coordinator would send.
    public var peers: [Data: String] = [:]
    public var heartbeatMs = 40
    private var lastBeat = 0.0

    public func close() {
        router.close()
        authenticator?.stop()
    }

    private func beat() {
        let t = MonotonicTime.seconds()
        guard t - lastBeat >= Double(heartbeatMs) / 1000 else { return }
        lastBeat = t
        for (id, session) in peers { _ = try? router.send(Message.heartbeat(.init(sessionID: session)).encode(to: id), dontWait: true) }
    }

    /// The next message, or nil after `ms`. Heartbeats are skipped unless asked for.
    public func next(within ms: Int = 3000, heartbeats: Bool = false) throws -> (id: Data, message: Message)? {
        let deadline = MonotonicTime.seconds() + Double(ms) / 1000
        while true {
            let left = Int((deadline - MonotonicTime.seconds()) * 1000)
            guard left > 0 else { return nil }
            beat()
            guard try zmqPoll([.socket(router, .readable)], timeoutMs: min(left, heartbeatMs))[0].contains(.readable),
                  let frames = try router.receive(dontWait: true) else { continue }
            let (id, m) = try Message.decodeRouted(frames)
            if case .heartbeat = m, !heartbeats { continue }
            return (id, m)
        }
    }

    /// The next message, which must be `command`.
    @discardableResult
    public func expect(_ command: Message.Command, within ms: Int = 3000, sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: Data, message: Message) {
        let got = try #require(try next(within: ms, heartbeats: command == .heartbeat), "no \(command) within \(ms) ms", sourceLocation: sourceLocation)
        try #require(got.message.command == command, "expected \(command), got \(got.message)", sourceLocation: sourceLocation)
        return got
    }

    public func send(_ m: Message, to id: Data) throws { try router.send(m.encode(to: id)) }

    /// HELLO -> WELCOME; returns the worker's routing id and its HELLO.
    public func handshake(session: String = "s1", heartbeatMs: Int = 50, liveness: Int = 10,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: Data, hello: Message.Hello) {
        let (id, m) = try expect(.hello, sourceLocation: sourceLocation)
        guard case .hello(let h) = m else { throw ProtocolError.badSignature }
        try send(.welcome(.init(sessionID: session, nonce: h.nonce, heartbeatMs: heartbeatMs, liveness: liveness)), to: id)
        peers[id] = session
        return (id, h)
    }

    public static func assign(_ token: Int, sleepMs: Int? = nil, lease: String = "l") -> Message.Assign {
        let spec = JobSpec(noop: NoopSpec(token: token, sleepMilliseconds: sleepMs))
        return Message.Assign(jobID: spec.id, leaseID: "\(lease)-\(token)", spec: spec, leaseMs: 5000)
    }
}

