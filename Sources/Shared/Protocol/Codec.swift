import Foundation

/// Why a list of frames is not a valid protocol message. Decoding never traps: every
/// malformed input maps to one of these, and `report` is the ERROR body to answer with.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not 3 frames (4 with the ROUTER's routing-id frame).
    case wrongFrameCount(Int)
    /// Frame 0 is not "URNS" + one version byte.
    case badSignature
    /// Frame 0 is "URNS" with a version this build does not speak.
    case unsupportedVersion(UInt8)
    /// Frame 1 is not exactly one byte.
    case badCommandFrame(length: Int)
    /// Frame 1 is a byte that is no known command.
    case unknownCommand(UInt8)
    /// The body is not valid JSON for the command, or breaks a field rule.
    case malformedBody(Message.Command, String)
    /// The frames together exceed the size limit.
    case oversize(bytes: Int, limit: Int)

    /// The `code` field of an ERROR message.
    public enum Code: String, Sendable, CaseIterable {
        case badFrames = "bad-frames"
        case badSignature = "bad-signature"
        case unsupportedVersion = "unsupported-version"
        case unknownCommand = "unknown-command"
        case malformedBody = "malformed-body"
        case oversize = "oversize"
        /// A command other than HELLO from a peer with no session (e.g. after a restart).
        case helloRequired = "hello-required"
        /// A well-formed command that is not valid in this direction or state.
        case unexpectedCommand = "unexpected-command"
        /// A HELLO under a worker id that another live worker (another host or pid) holds.
        case duplicateWorkerID = "duplicate-worker-id"
    }

    public var code: Code {
        switch self {
        case .wrongFrameCount, .badCommandFrame: return .badFrames
        case .badSignature: return .badSignature
        case .unsupportedVersion: return .unsupportedVersion
        case .unknownCommand: return .unknownCommand
        case .malformedBody: return .malformedBody
        case .oversize: return .oversize
        }
    }

    public var description: String {
        switch self {
        case .wrongFrameCount(let n): return "expected 3 frames (signature, command, body), got \(n)"
        case .badSignature: return "frame 0 is not the protocol signature \"URNS\" + version byte"
        case .unsupportedVersion(let v): return "protocol version \(v) is not supported (this build speaks \(Message.version))"
        case .badCommandFrame(let n): return "frame 1 must be one command byte, got \(n) bytes"
        case .unknownCommand(let c): return "unknown command code 0x\(String(c, radix: 16))"
        case .malformedBody(let c, let why): return "malformed \(c) body: \(why)"
        case .oversize(let n, let limit): return "message of \(n) bytes exceeds the limit of \(limit)"
        }
    }

    /// The ERROR body describing this error to the sender.
    public var report: Message.ErrorReport {
        var command: Int?
        switch self {
        case .unknownCommand(let c): command = Int(c)
        case .malformedBody(let c, _): command = Int(c.rawValue)
        default: command = nil
        }
        return Message.ErrorReport(code: code.rawValue, message: description, command: command)
    }
}

extension Message {
    /// Frame 0 starts with these 4 bytes...
    public static let signature = Data("URNS".utf8)
    /// ...followed by this version byte.
    public static let version: UInt8 = 1
    /// Default limit on a message's total size (all frames). Transport sockets should set
    /// `ZMQ_MAXMSGSIZE` to the same value so larger frames never reach the codec.
    public static let maxBytes = 4 << 20

    /// The 3 frames: [signature+version, command byte, JSON body].
    public func encode() -> [Data] {
        [Self.signature + [Self.version], Data([command.rawValue]), body()]
    }

    /// The 4 frames a ROUTER sends: the peer's routing id, then `encode()`.
    public func encode(to routingID: Data) -> [Data] { [routingID] + encode() }

    /// Decodes the 3 frames of `encode()`. Throws `ProtocolError`, never traps.
    public static func decode(_ frames: [Data], maxBytes: Int = Message.maxBytes) throws -> Message {
        guard frames.count == 3 else { throw ProtocolError.wrongFrameCount(frames.count) }
        let total = frames.reduce(0) { $0 + $1.count }
        guard total <= maxBytes else { throw ProtocolError.oversize(bytes: total, limit: maxBytes) }
        let head = frames[0]
        guard head.count == 5, head.prefix(4).elementsEqual(signature) else { throw ProtocolError.badSignature }
        let v = head[head.startIndex + 4]
        guard v == version else { throw ProtocolError.unsupportedVersion(v) }
        guard frames[1].count == 1 else { throw ProtocolError.badCommandFrame(length: frames[1].count) }
        let byte = frames[1][frames[1].startIndex]
        guard let command = Command(rawValue: byte) else { throw ProtocolError.unknownCommand(byte) }
        let message = try decodeBody(command, frames[2])
        if let problem = message.fieldProblem() { throw ProtocolError.malformedBody(command, problem) }
        return message
    }

    /// Decodes what a ROUTER receives: [routing id, signature+version, command, body].
    /// The routing id is returned even when the rest is malformed, via `RoutedDecodeError`,
    /// so the receiver can answer with ERROR.
    public static func decodeRouted(_ frames: [Data], maxBytes: Int = Message.maxBytes) throws -> (routingID: Data, message: Message) {
        guard let id = frames.first else { throw ProtocolError.wrongFrameCount(0) }
        do {
            return (id, try decode(Array(frames.dropFirst()), maxBytes: maxBytes))
        } catch let e as ProtocolError {
            throw RoutedDecodeError(routingID: id, error: e)
        }
    }

    private static func decodeBody(_ command: Command, _ body: Data) throws -> Message {
        // Section 4.2: UTF-8 without a byte-order mark (Foundation's decoder would skip one).
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { throw ProtocolError.malformedBody(command, "the body starts with a byte-order mark") }
        func d<T: Decodable>(_ t: T.Type) throws -> T {
            do { return try JSON.decode(t, from: body) } catch {
                throw ProtocolError.malformedBody(command, Self.describe(error))
            }
        }
        switch command {
        case .hello: return .hello(try d(Hello.self))
        case .welcome: return .welcome(try d(Welcome.self))
        case .ready: return .ready(try d(Ready.self))
        case .assign: return .assign(try d(Assign.self))
        case .heartbeat: return .heartbeat(try d(Heartbeat.self))
        case .result: return .result(try d(JobResult.self))
        case .ack: return .ack(try d(Ack.self))
        case .failure: return .failure(try d(Failure.self))
        case .disconnect: return .disconnect(try d(Disconnect.self))
        case .error: return .error(try d(ErrorReport.self))
        case .cancel: return .cancel(try d(Cancel.self))
        }
    }

    private func body() -> Data {
        // The bodies are plain structs of strings, numbers and arrays; encoding cannot fail
        // (non-finite doubles are spelled as strings by `JSON`).
        switch self {
        case .hello(let b): return try! JSON.encode(b)
        case .welcome(let b): return try! JSON.encode(b)
        case .ready(let b): return try! JSON.encode(b)
        case .assign(let b): return try! JSON.encode(b)
        case .heartbeat(let b): return try! JSON.encode(b)
        case .result(let b): return try! JSON.encode(b)
        case .ack(let b): return try! JSON.encode(b)
        case .failure(let b): return try! JSON.encode(b)
        case .disconnect(let b): return try! JSON.encode(b)
        case .error(let b): return try! JSON.encode(b)
        case .cancel(let b): return try! JSON.encode(b)
        }
    }

    /// Field rules beyond JSON types (PROTOCOL.md, "Bodies"); nil when all hold.
    func fieldProblem() -> String? {
        func nonEmpty(_ s: String, _ name: String) -> String? { s.isEmpty ? "\(name) must not be empty" : nil }
        switch self {
        case .hello(let h):
            if h.workerID.isEmpty || h.workerID.utf8.count > 255 { return "workerID must be 1-255 bytes" }
            if h.slots < 1 { return "slots must be at least 1" }
            return nonEmpty(h.nonce, "nonce")
        case .welcome(let w):
            if w.heartbeatMs < 1 { return "heartbeatMs must be at least 1" }
            if w.liveness < 1 { return "liveness must be at least 1" }
            return nonEmpty(w.sessionID, "sessionID")
        case .ready(let r): return r.credit < 1 ? "credit must be at least 1" : nil
        case .assign(let a):
            if a.leaseMs < 1 { return "leaseMs must be at least 1" }
            return nonEmpty(a.jobID, "jobID") ?? nonEmpty(a.leaseID, "leaseID")
        case .heartbeat(let h): return (h.free ?? 0) < 0 ? "free must not be negative" : nil
        case .result(let r): return nonEmpty(r.jobID, "jobID")
        case .ack(let a): return nonEmpty(a.jobID, "jobID")
        case .failure(let f): return nonEmpty(f.jobID, "jobID")
        case .cancel(let c):
            if c.jobs.isEmpty { return "jobs must not be empty" }
            return c.jobs.contains(where: \.isEmpty) ? "job ids must not be empty" : nil
        case .disconnect, .error: return nil
        }
    }

    /// A short, single-line account of a JSON decoding error.
    private static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return String(describing: error) }
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "" : " at \(p)"
        }
        switch e {
        case .keyNotFound(let k, let c): return "missing field \(k.stringValue)\(path(c))"
        case .typeMismatch(_, let c): return "wrong type\(path(c)): \(c.debugDescription)"
        case .valueNotFound(_, let c): return "null value\(path(c))"
        case .dataCorrupted(let c): return "invalid JSON\(path(c)): \(c.debugDescription)"
        @unknown default: return String(describing: e)
        }
    }
}

/// A ROUTER-side decode failure that still knows who sent the message.
public struct RoutedDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var routingID: Data
    public var error: ProtocolError
    public var description: String { error.description }
}
