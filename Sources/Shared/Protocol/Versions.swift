import Foundation

/// Peers of different protocol versions (PROTOCOL.md section 4.5).
///
/// Two things are the same in every version, so that peers of different versions can tell
/// each other apart and part with a reason: frame 0 (`URNS` + one version byte) and the ERROR
/// message (command 0x0A, body `{code, message, command?}`). A coordinator answers a message of
/// another version with ERROR `unsupported-version` in its own framing; a worker reads an ERROR
/// whatever its version byte and, on `unsupported-version`, exits with that message instead of
/// retrying. `decode` stays strict: these readers are for the refusal path only.
extension Message {
    /// The version byte of frame 0 when frame 0 is the signature plus one byte; nil otherwise.
    public static func protocolVersion(ofFrames frames: [Data]) -> UInt8? {
        guard let head = frames.first, head.count == 5, head.prefix(4).elementsEqual(signature) else { return nil }
        return head[head.startIndex + 4]
    }

    /// An ERROR in any protocol version's framing (3 frames, the signature, command 0x0A, a body
    /// with `code` and `message`), with the version it was sent in; nil for anything else.
    public static func decodeErrorOfAnyVersion(_ frames: [Data]) -> (version: UInt8, report: ErrorReport)? {
        guard frames.count == 3, frames.reduce(0, { $0 + $1.count }) <= maxBytes,
              let version = protocolVersion(ofFrames: frames),
              frames[1].count == 1, frames[1].first == Command.error.rawValue,
              let report = try? JSON.decode(ErrorReport.self, from: frames[2]) else { return nil }
        return (version, report)
    }

    /// Who a HELLO of any version says it is, as far as its body can be read (nil fields
    /// otherwise): for the log line about a worker refused for its version.
    public static func helloClaimsOfAnyVersion(_ frames: [Data]) -> (workerID: String?, host: String?, build: String?) {
        struct Claims: Decodable { var workerID: String?; var host: String?; var buildVersion: String? }
        guard frames.count == 3, frames[1].count == 1, frames[1].first == Command.hello.rawValue,
              frames[2].count <= 64 << 10, let c = try? JSON.decode(Claims.self, from: frames[2]) else { return (nil, nil, nil) }
        return (c.workerID, c.host, c.buildVersion)
    }
}
