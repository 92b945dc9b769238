import CZmq
import Foundation

/// A ZAP handler (ZeroMQ RFC 27) that admits CURVE clients whose public key is on a
/// whitelist. Without a ZAP handler libzmq admits *any* client that knows the server's
/// public key; with this one, an unknown key fails the handshake (status 400).
///
/// It must be created before the CURVE server socket binds, on the same context.
/// Its REP socket lives on its own thread; `stop()` ends the thread and closes it.
public final class CurveAuthenticator: @unchecked Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    private let wake: WakePipe
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopped = false

    /// - allowedPublicKeys: Z85 public keys of the clients to admit.
    /// - log: called with one line per refused client.
    public init(context: ZMQContext, allowedPublicKeys: Set<String>, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        let allowed = Set(try allowedPublicKeys.map { try Self.decodeZ85($0) })
        let socket = try context.socket(.rep)
        try socket.set(.linger(milliseconds: 0))
        try socket.bind(Self.endpoint)
        let wake = try WakePipe()
        self.wake = wake
        let done = self.done
        let thread = Thread {
            Self.serve(socket, allowed: allowed, wake: wake, log: log)
            socket.close()
            done.signal()
        }
        thread.name = "zap-handler"
        thread.start()
    }

    /// Stops the handler thread and waits for it (idempotent).
    public func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first else { return }
        wake.wake()
        done.wait()
    }

    deinit { stop() }

    private static func serve(_ socket: ZMQSocket, allowed: Set<Data>, wake: WakePipe, log: @Sendable (String) -> Void) {
        while true {
            guard let ready = try? zmqPoll([.socket(socket, .readable), .fileDescriptor(wake.fileDescriptor, .readable)], timeoutMs: -1)
            else { return }
            if ready[1].contains(.readable) { return }
            guard let request = try? socket.receive(dontWait: true) else { continue }
            // Request: version, request id, domain, address, routing id, mechanism, credentials...
            guard request.count >= 6 else { continue }
            let mechanism = String(decoding: request[5], as: UTF8.self)
            var ok = false
            if mechanism == "CURVE", request.count >= 7 { ok = allowed.contains(request[6]) }
            if !ok {
                let address = String(decoding: request[3], as: UTF8.self)
                let key = mechanism == "CURVE" && request.count >= 7 ? " \(z85(request[6]))" : ""
                log("ZAP: refused \(mechanism) client\(key) from \(address): not on the whitelist (--curve-allowed-clients)")
            }
            let reply = [Data("1.0".utf8), request[1], Data((ok ? "200" : "400").utf8),
                         Data((ok ? "OK" : "unknown key").utf8), Data(), Data()]
            _ = try? socket.send(reply)
        }
    }

    /// A 32-byte key as 40 Z85 characters (`?` if it is not 32 bytes).
    static func z85(_ key: Data) -> String {
        guard key.count == 32 else { return "?" }
        var out = [CChar](repeating: 0, count: 41)
        let bytes = [UInt8](key)
        guard zmq_z85_encode(&out, bytes, 32) != nil else { return "?" }
        return String(cString: out)
    }

    static func decodeZ85(_ key: String) throws -> Data {
        _ = try CurveKeys.checked(key)
        var out = [UInt8](repeating: 0, count: 32)
        _ = zmq_z85_decode(&out, key)
        return Data(out)
    }
}
