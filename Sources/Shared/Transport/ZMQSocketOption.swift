import CZmq
import Foundation

/// The socket options this project sets, each with why it matters.
/// Set them before `bind`/`connect`: most apply only to connections made afterwards.
public enum ZMQSocketOption: Sendable, Equatable {
    /// `ZMQ_LINGER`: how long (ms) unsent messages survive `close()`; -1 forever.
    /// 0 drops queued messages at exit: flush what must arrive by lingering.
    case linger(milliseconds: Int)
    /// `ZMQ_ROUTER_MANDATORY`: a ROUTER send to an unknown or disconnected routing id
    /// fails with `EHOSTUNREACH` instead of being silently dropped.
    case routerMandatory(Bool)
    /// `ZMQ_ROUTER_HANDOVER`: a new connection presenting a routing id already in use
    /// takes it over (a reconnecting worker replaces its stale connection); without it
    /// the newcomer is refused until the old connection is noticed dead.
    case routerHandover(Bool)
    /// `ZMQ_MAXMSGSIZE`: a peer sending a frame larger than this many bytes is
    /// disconnected (the frame is never delivered); -1 no limit.
    case maxMessageSize(bytes: Int64)
    /// `ZMQ_IMMEDIATE`: queue messages only on completed connections; with no connected
    /// peer a send blocks (or would-block with `dontWait`) instead of piling up for a
    /// peer that may never come back.
    case immediate(Bool)
    /// `ZMQ_ROUTING_ID`: this socket's identity as seen by a ROUTER peer (1-255 bytes,
    /// first byte not 0). Set it where ids must be unique across processes.
    case routingID(Data)
    /// `ZMQ_SNDHWM` / `ZMQ_RCVHWM`: messages queued per peer before sends block/drop.
    case sendHighWaterMark(Int)
    case receiveHighWaterMark(Int)
    /// `ZMQ_SNDTIMEO` / `ZMQ_RCVTIMEO`: blocking send/receive give up after this many ms
    /// (-1 never); a timed-out receive returns nil, a send throws `EAGAIN`.
    case sendTimeout(milliseconds: Int)
    case receiveTimeout(milliseconds: Int)
    /// `ZMQ_HEARTBEAT_IVL/TIMEOUT/TTL`: ZMTP-level pings that drop a silent connection.
    /// Complements, does not replace, the application heartbeats of PROTOCOL.md.
    case heartbeat(intervalMs: Int, timeoutMs: Int, ttlMs: Int)
    /// `ZMQ_CURVE_SERVER` + `ZMQ_CURVE_SECRETKEY`: act as CURVE server with this Z85 secret key.
    case curveServer(secretKey: String)
    /// `ZMQ_CURVE_SERVERKEY` + `ZMQ_CURVE_PUBLICKEY` + `ZMQ_CURVE_SECRETKEY`: act as CURVE
    /// client of the server with this Z85 public key, using this Z85 key pair.
    case curveClient(serverKey: String, publicKey: String, secretKey: String)
    /// `ZMQ_ZAP_DOMAIN`: the domain passed to the ZAP handler (see `CurveAuthenticator`).
    case zapDomain(String)
    /// `ZMQ_IPV6`: bind and connect over IPv6 too (off by default: `[::1]` fails without it).
    case ipv6(Bool)
}

extension ZMQSocket {
    /// Applies one option.
    public func set(_ option: ZMQSocketOption) throws {
        switch option {
        case .linger(let ms): try setInt(ZMQ_LINGER, "ZMQ_LINGER", Int32(clamping: ms))
        case .routerMandatory(let on): try setInt(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", on ? 1 : 0)
        case .routerHandover(let on): try setInt(ZMQ_ROUTER_HANDOVER, "ZMQ_ROUTER_HANDOVER", on ? 1 : 0)
        case .maxMessageSize(let n):
            var v = n
            try setRaw(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", &v, MemoryLayout<Int64>.size)
        case .immediate(let on): try setInt(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", on ? 1 : 0)
        case .routingID(let id):
            precondition((1...255).contains(id.count) && id.first != 0, "a routing id is 1-255 bytes, not starting with 0")
            try setBytes(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", id)
        case .sendHighWaterMark(let n): try setInt(ZMQ_SNDHWM, "ZMQ_SNDHWM", Int32(clamping: n))
        case .receiveHighWaterMark(let n): try setInt(ZMQ_RCVHWM, "ZMQ_RCVHWM", Int32(clamping: n))
        case .sendTimeout(let ms): try setInt(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO", Int32(clamping: ms))
        case .receiveTimeout(let ms): try setInt(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", Int32(clamping: ms))
        case .heartbeat(let ivl, let timeout, let ttl):
            try setInt(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", Int32(clamping: ivl))
            try setInt(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", Int32(clamping: timeout))
            try setInt(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", Int32(clamping: ttl))
        case .curveServer(let secret):
            try setInt(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", 1)
            try setBytes(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", try CurveKeys.checked(secret))
        case .curveClient(let server, let pub, let secret):
            try setBytes(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", try CurveKeys.checked(server))
            try setBytes(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", try CurveKeys.checked(pub))
            try setBytes(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", try CurveKeys.checked(secret))
        case .zapDomain(let d): try setBytes(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", Data(d.utf8))
        case .ipv6(let on): try setInt(ZMQ_IPV6, "ZMQ_IPV6", on ? 1 : 0)
        }
    }

    /// Applies several options in order.
    public func set(_ options: [ZMQSocketOption]) throws {
        for o in options { try set(o) }
    }

    /// This socket's routing id (`ZMQ_ROUTING_ID`), empty if none was set.
    public var routingID: Data { get throws { try bytesOption(ZMQ_ROUTING_ID, name: "ZMQ_ROUTING_ID", capacity: 256) } }

    /// An integer option, e.g. `intOption(ZMQ_LINGER)`.
    public func intOption(_ option: Int32, name: String = "getsockopt") throws -> Int32 {
        let h = try raw(name)
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try zmqCall("getsockopt \(name)") { _ in zmq_getsockopt(h, option, &v, &size) }
        return v
    }

    // MARK: - The scoped pointer helpers

    func bytesOption(_ option: Int32, name: String, capacity: Int) throws -> Data {
        let h = try raw(name)
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        _ = try buffer.withUnsafeMutableBytes { buf in
            try zmqCall("getsockopt \(name)") { _ in zmq_getsockopt(h, option, buf.baseAddress, &size) }
        }
        return Data(buffer.prefix(size))
    }

    private func setInt(_ option: Int32, _ name: String, _ value: Int32) throws {
        var v = value
        try setRaw(option, name, &v, MemoryLayout<Int32>.size)
    }

    private func setBytes(_ option: Int32, _ name: String, _ value: Data) throws {
        let h = try raw(name)
        _ = try value.withUnsafeBytes { buf in
            try zmqCall("setsockopt \(name)") { _ in zmq_setsockopt(h, option, buf.baseAddress, buf.count) }
        }
    }

    private func setRaw(_ option: Int32, _ name: String, _ value: UnsafeRawPointer, _ size: Int) throws {
        let h = try raw(name)
        try zmqCall("setsockopt \(name)") { _ in zmq_setsockopt(h, option, value, size) }
    }
}
