// The URNNSweep wire protocol (docs/PROTOCOL.md): message types and their codec.
// Knows nothing of sockets: a message is a list of frames (`[Data]`).

import Foundation

/// One protocol message. Each case is one command; its body is the JSON object of
/// PROTOCOL.md. `encode()` gives the 3 frames [signature+version, command, body];
/// a ROUTER adds/strips the peer's routing-id frame (see `encode(to:)`, `decodeRouted`).
public enum Message: Equatable, Sendable {
    case hello(Hello)
    case welcome(Welcome)
    case ready(Ready)
    case assign(Assign)
    case heartbeat(Heartbeat)
    case result(JobResult)
    case ack(Ack)
    case failure(Failure)
    case disconnect(Disconnect)
    case error(ErrorReport)
    case cancel(Cancel)

    /// The one-byte command codes of frame 1.
    public enum Command: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case hello = 0x01, welcome = 0x02, ready = 0x03, assign = 0x04, heartbeat = 0x05
        case result = 0x06, ack = 0x07, failure = 0x08, disconnect = 0x09, error = 0x0A, cancel = 0x0B

        public var description: String {
            switch self {
            case .hello: return "HELLO"
            case .welcome: return "WELCOME"
            case .ready: return "READY"
            case .assign: return "ASSIGN"
            case .heartbeat: return "HEARTBEAT"
            case .result: return "RESULT"
            case .ack: return "ACK"
            case .failure: return "FAILURE"
            case .disconnect: return "DISCONNECT"
            case .error: return "ERROR"
            case .cancel: return "CANCEL"
            }
        }
    }

    public var command: Command {
        switch self {
        case .hello: return .hello
        case .welcome: return .welcome
        case .ready: return .ready
        case .assign: return .assign
        case .heartbeat: return .heartbeat
        case .result: return .result
        case .ack: return .ack
        case .failure: return .failure
        case .disconnect: return .disconnect
        case .error: return .error
        case .cancel: return .cancel
        }
    }

    // MARK: - Bodies

    /// Worker -> coordinator, first message of a session.
    public struct Hello: Codable, Equatable, Sendable {
        /// Unique worker id; equals the DEALER's routing id.
        public var workerID: String
        public var host: String
        public var pid: Int
        /// Jobs the worker runs at once.
        public var slots: Int
        /// `BuildInfo.version` of the worker.
        public var buildVersion: String
        /// Job kinds the worker can run (`JobKind` raw values; unknown ones are ignored).
        public var capabilities: [String]
        /// Fresh per HELLO; echoed by WELCOME so a stale WELCOME is recognised.
        public var nonce: String
        /// Job ids the worker is still running from an earlier session.
        public var running: [String]
        public init(workerID: String, host: String, pid: Int, slots: Int, buildVersion: String,
                    capabilities: [String], nonce: String, running: [String] = []) {
            self.workerID = workerID; self.host = host; self.pid = pid; self.slots = slots
            self.buildVersion = buildVersion; self.capabilities = capabilities; self.nonce = nonce; self.running = running
        }
        enum CodingKeys: String, CodingKey { case workerID, host, pid, slots, buildVersion, capabilities, nonce, running }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            workerID = try c.decode(String.self, forKey: .workerID)
            host = try c.decode(String.self, forKey: .host)
            pid = try c.decode(Int.self, forKey: .pid)
            slots = try c.decode(Int.self, forKey: .slots)
            buildVersion = try c.decode(String.self, forKey: .buildVersion)
            capabilities = try c.decode([String].self, forKey: .capabilities)
            nonce = try c.decode(String.self, forKey: .nonce)
            running = try c.decodeIfPresent([String].self, forKey: .running) ?? []
        }
    }

    /// Coordinator -> worker, the answer to HELLO.
    public struct Welcome: Codable, Equatable, Sendable {
        /// Identifies this run of the coordinator; changes when it restarts.
        public var sessionID: String
        /// HELLO's nonce.
        public var nonce: String
        public var heartbeatMs: Int
        /// Silent intervals after which the peer is presumed dead.
        public var liveness: Int
        public init(sessionID: String, nonce: String, heartbeatMs: Int, liveness: Int) {
            self.sessionID = sessionID; self.nonce = nonce; self.heartbeatMs = heartbeatMs; self.liveness = liveness
        }
    }

    /// Worker -> coordinator: `credit` of its slots are free now (the current count, not an
    /// increment; PROTOCOL.md section 7).
    public struct Ready: Codable, Equatable, Sendable {
        public var credit: Int
        public init(credit: Int) { self.credit = credit }
    }

    /// Coordinator -> worker: run this job under this lease.
    public struct Assign: Codable, Equatable, Sendable {
        public var jobID: String
        public var leaseID: String
        public var spec: JobSpec
        /// How long the lease lasts without news from the worker.
        public var leaseMs: Int
        public init(jobID: String, leaseID: String, spec: JobSpec, leaseMs: Int) {
            self.jobID = jobID; self.leaseID = leaseID; self.spec = spec; self.leaseMs = leaseMs
        }
    }

    /// Both ways. From a worker: the jobs it holds and its free slots.
    /// From the coordinator: its session id.
    public struct Heartbeat: Codable, Equatable, Sendable {
        public var running: [String]?
        public var free: Int?
        public var sessionID: String?
        public init(running: [String]? = nil, free: Int? = nil, sessionID: String? = nil) {
            self.running = running; self.free = free; self.sessionID = sessionID
        }
    }

    /// Worker -> coordinator: a finished job. Kept by the worker until ACKed.
    public struct JobResult: Codable, Equatable, Sendable {
        public var jobID: String
        public var leaseID: String
        public var outcome: JobOutcome
        public var provenance: Provenance
        public init(jobID: String, leaseID: String, outcome: JobOutcome, provenance: Provenance) {
            self.jobID = jobID; self.leaseID = leaseID; self.outcome = outcome; self.provenance = provenance
        }
        /// Equality that treats NaN metrics as equal (bitwise), since results carry NaN.
        public static func == (a: JobResult, b: JobResult) -> Bool {
            a.jobID == b.jobID && a.leaseID == b.leaseID && a.provenance == b.provenance && a.outcome.bitwiseEqual(b.outcome)
        }
    }

    /// Coordinator -> worker: the result of `jobID` is stored (or not wanted); forget it.
    public struct Ack: Codable, Equatable, Sendable {
        public var jobID: String
        public init(jobID: String) { self.jobID = jobID }
    }

    /// Worker -> coordinator: the job failed.
    public struct Failure: Codable, Equatable, Sendable {
        public var jobID: String
        public var leaseID: String
        public var error: String
        /// False when a retry cannot help (e.g. an invalid spec).
        public var retryable: Bool
        public init(jobID: String, leaseID: String, error: String, retryable: Bool) {
            self.jobID = jobID; self.leaseID = leaseID; self.error = error; self.retryable = retryable
        }
    }

    /// Either way: the sender ends the session. From a worker, `jobs` are the unfinished
    /// job ids it hands back. From the coordinator, `jobs` is empty.
    public struct Disconnect: Codable, Equatable, Sendable {
        public var reason: String
        public var jobs: [String]
        public init(reason: String, jobs: [String] = []) { self.reason = reason; self.jobs = jobs }
    }

    /// Coordinator -> worker: what was wrong with a message it received.
    public struct ErrorReport: Codable, Equatable, Sendable {
        /// One of `ProtocolError.Code`'s raw values.
        public var code: String
        public var message: String
        /// The command byte of the offending message, if it could be read.
        public var command: Int?
        public init(code: String, message: String, command: Int? = nil) {
            self.code = code; self.message = message; self.command = command
        }
    }

    /// Coordinator -> worker: stop these jobs (cancelled by the user, or past their time limit)
    /// and report nothing for them; their slots become free (PROTOCOL.md 8.7).
    public struct Cancel: Codable, Equatable, Sendable {
        public var jobs: [String]
        /// Why, for the worker's log: "cancelled" or "timed out after N s".
        public var reason: String
        public init(jobs: [String], reason: String) { self.jobs = jobs; self.reason = reason }
    }
}
