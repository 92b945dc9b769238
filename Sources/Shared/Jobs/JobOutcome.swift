import Foundation

/// What a job produced. Everything here is a pure function of the job spec:
/// two runs of one spec give equal outcomes, bit for bit. Where and when it ran
/// (host, worker, wall time) lives in `Provenance`, not here.
public struct JobOutcome: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// Finished normally.
        case ok
        /// Training diverged beyond what the divergence guard could repair;
        /// `divergedEpoch` says where. Still a result, never retried.
        case diverged
    }

    public var status: Status
    /// Scalar metrics by name, e.g. "test_r2", "optimal_r2", "teacher_w_norm".
    public var metrics: [String: Double]
    /// Per-epoch series by name, e.g. "train_loss", "test_loss", "test_r2".
    public var series: [String: [Double]]
    /// Human-readable notes, e.g. every divergence-guard intervention.
    public var events: [String]
    /// 1-based epoch where an unrecoverable divergence happened.
    public var divergedEpoch: Int?

    public init(status: Status = .ok, metrics: [String: Double] = [:], series: [String: [Double]] = [:],
                events: [String] = [], divergedEpoch: Int? = nil) {
        self.status = status; self.metrics = metrics; self.series = series
        self.events = events; self.divergedEpoch = divergedEpoch
    }

    /// Equality that treats NaN == NaN (bitwise), for determinism checks.
    public func bitwiseEqual(_ other: JobOutcome) -> Bool {
        (try? JSON.encode(self)) == (try? JSON.encode(other))
    }
}

/// Where and how a result was produced. Not part of the result's identity.
public struct Provenance: Codable, Hashable, Sendable {
    public var host: String
    public var workerID: String
    public var buildVersion: String
    public var wallSeconds: Double
    public init(host: String, workerID: String, buildVersion: String, wallSeconds: Double) {
        self.host = host; self.workerID = workerID; self.buildVersion = buildVersion; self.wallSeconds = wallSeconds
    }
}
