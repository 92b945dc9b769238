import Foundation
import Shared

/// Which workers the coordinator serves, by protocol version and build (PROTOCOL.md 4.5):
///
/// - another protocol version is refused: every message of it is answered with ERROR
///   `unsupported-version` (which a worker of any version can read, and on which it exits),
///   and the refusal is logged once per connection;
/// - another build of this protocol version (another release, or the other instruction set) is
///   served, with one warning per worker id: results record each worker's build.
///
/// No I/O: the server sends the replies and writes the log lines this returns.
struct WorkerAdmission {
    /// This coordinator's build (`BuildInfo.build`) and protocol version.
    let build: String
    let version: UInt8
    /// Worker ids already warned about their build.
    private var warnedBuilds: Set<String> = []
    /// Routing ids already logged as refused (bounded: forgotten all at once when full).
    private var loggedRefusals: Set<Data> = []
    static let refusalMemory = 10_000

    init(build: String = BuildInfo.build, version: UInt8 = Message.version) {
        self.build = build
        self.version = version
    }

    /// The answer to a message in protocol version `theirs` from `routing`, and the line to log
    /// (nil when this connection was already logged).
    mutating func refuse(version theirs: UInt8, frames: [Data], from routing: Data) -> (reply: Message.ErrorReport, log: String?) {
        let text = "protocol version \(theirs) is not supported: this coordinator (\(build)) speaks version \(version); "
            + "run workers of the coordinator's release"
        let reply = Message.ErrorReport(code: ProtocolError.Code.unsupportedVersion.rawValue, message: text,
                                        command: frames.count == 3 && frames[1].count == 1 ? Int(frames[1][frames[1].startIndex]) : nil)
        if loggedRefusals.count >= Self.refusalMemory { loggedRefusals.removeAll() }
        guard loggedRefusals.insert(routing).inserted else { return (reply, nil) }
        let claims = Message.helloClaimsOfAnyVersion(frames)
        var who = "worker \(claims.workerID ?? hex(routing))"
        if let host = claims.host { who += " on \(host)" }
        if let b = claims.build { who += " (\(b))" }
        return (reply, "refused \(who): it speaks protocol version \(theirs), this coordinator (\(build)) version \(version); "
                       + "told it so with ERROR unsupported-version")
    }

    /// The warning for a HELLO from another build of this protocol version; nil for this build
    /// or a worker already warned.
    mutating func buildWarning(for hello: Message.Hello) -> String? {
        guard hello.buildVersion != build, warnedBuilds.insert(hello.workerID).inserted else { return nil }
        let sameRelease = BuildInfo.versionPart(of: hello.buildVersion) == BuildInfo.versionPart(of: build)
        let why = sameRelease
            ? "the same release for another instruction set (both compute the same bits)"
            : "another release: its results may differ from this build's"
        return "worker \(hello.workerID) on \(hello.host) runs \(hello.buildVersion), this coordinator \(build): "
            + "\(why); same protocol (version \(version)), so it is served, and each result records its build"
    }
}
