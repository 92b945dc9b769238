import CZmq
import Foundation

/// Watches a socket's security handshakes (`zmq_socket_monitor`), so a refused CURVE peer is
/// logged with why, on both sides, instead of only ever showing up as silence.
///
/// libzmq reports the events on an inproc PAIR that this type reads without blocking
/// (`drain()`; poll `socket` for readability). Create it before the watched socket binds or
/// connects: the monitor endpoint must have its reader first.
public final class HandshakeMonitor {
    /// The PAIR socket the events arrive on (poll it for `.readable`).
    public let socket: ZMQSocket

    /// One handshake that failed, in words.
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// The ZAP handler said no (not on the whitelist; ZMQ status 400).
            case refusedByAuthenticator
            /// The CURVE handshake did not decrypt: the client has the wrong server key.
            case cryptographic
            /// One side speaks CURVE, the other plaintext (or another mechanism).
            case mechanismMismatch
            /// The peer closed the connection before the handshake completed (seen by a connecting
            /// socket: a CURVE server that cannot decrypt the client's HELLO just hangs up).
            case closedDuringHandshake
            /// libzmq gives no detail (a CURVE client whose server key is wrong sees this).
            case noDetail
            /// Any other failure during the handshake (the libzmq protocol error code, 0 if none).
            case other(UInt32)
        }
        public let kind: Kind
        /// The endpoint libzmq names (for a bound socket: its own address).
        public let endpoint: String

        public var description: String {
            switch kind {
            case .refusedByAuthenticator: return "refused by the authenticator (CURVE key not on the whitelist)"
            case .cryptographic: return "CURVE handshake did not decrypt (the client has the wrong --curve-server-key)"
            case .mechanismMismatch: return "security mechanisms differ (one side uses CURVE, the other plaintext)"
            case .closedDuringHandshake: return "the peer closed the connection during the handshake"
            case .noDetail: return "handshake failed (no detail from libzmq: a wrong server key, or a plaintext client)"
            case .other(let code): return "handshake failed (libzmq protocol error 0x\(String(code, radix: 16)))"
            }
        }
    }

    /// Whether a connection is up whose handshake has not completed (`tracksConnection` only).
    private var handshakePending = false
    private let tracksConnection: Bool

    /// - tracksConnection: also report a connection closed before its handshake completed; for
    ///   a socket with one connection at a time (a worker's DEALER), not for a bound ROUTER.
    public init(watching watched: ZMQSocket, context: ZMQContext, tracksConnection: Bool = false) throws {
        self.tracksConnection = tracksConnection
        let endpoint = "inproc://handshake-monitor-\(UUID().uuidString)"
        var events = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        if tracksConnection { events |= ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED }
        let h = try watched.raw("monitor \(endpoint)")
        _ = try zmqCall("zmq_socket_monitor \(endpoint)") { _ in zmq_socket_monitor(h, endpoint, events) }
        socket = try context.socket(.pair)
        try socket.set(.linger(milliseconds: 0))
        try socket.connect(endpoint)
    }

    deinit { close() }

    public func close() { if !socket.isClosed { socket.close() } }

    /// Every failure reported since the last call (never blocks).
    public func drain() -> [Failure] {
        var out: [Failure] = []
        while let frames = try? socket.receive(dontWait: true), frames.count >= 2, frames[0].count >= 6 {
            let b = [UInt8](frames[0])
            let event = Int32(UInt16(b[0]) | UInt16(b[1]) << 8)
            let value = UInt32(b[2]) | UInt32(b[3]) << 8 | UInt32(b[4]) << 16 | UInt32(b[5]) << 24
            let endpoint = String(decoding: frames[1], as: UTF8.self)
            let kind: Failure.Kind
            if event == ZMQ_EVENT_CONNECTED { handshakePending = true; continue }
            if event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED { handshakePending = false; continue }
            if event == ZMQ_EVENT_DISCONNECTED {
                if handshakePending { out.append(Failure(kind: .closedDuringHandshake, endpoint: endpoint)) }
                handshakePending = false
                continue
            }
            handshakePending = false   // a failure is reported as itself, not again as a close
            if event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL {
                kind = .noDetail
            } else if event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH {
                kind = .refusedByAuthenticator
            } else if value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) {
                kind = .cryptographic
            } else if value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
                kind = .mechanismMismatch
            } else {
                kind = .other(value)
            }
            out.append(Failure(kind: kind, endpoint: endpoint))
        }
        return out
    }
}
