import Foundation
#if URNN_ISA_V3
import CCPU
#endif

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

/// Version string of this build; workers report it, results record it.
public enum BuildInfo {
    public static let version = "urnnsweep-0.1.0"

    /// The instruction set Shared was compiled for (Package.swift, `URNN_ISA`): "x86-64-v3" or
    /// "baseline". Both compute bit-identical results; it is recorded for the audit trail.
    public static var instructionSet: String {
        #if URNN_ISA_V3
        "x86-64-v3"
        #else
        "baseline"
        #endif
    }

    /// What a worker reports and results record: the version with the instruction set as
    /// semantic-versioning build metadata, e.g. "urnnsweep-0.1.0+x86-64-v3".
    public static var build: String { version + "+" + instructionSet }

    /// The version part of a reported build string (build metadata after "+" dropped).
    public static func versionPart(of build: String) -> Substring {
        build.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)[0]
    }

    /// Ends the process with a message, before any of Shared's code runs, if Shared was built for
    /// x86-64-v3 and this CPU cannot run it (instead of dying of SIGILL in the middle of a job).
    /// Emitted into the calling executable, which is compiled for baseline x86-64.
    @_alwaysEmitIntoClient
    public static func exitUnlessThisCPURunsThisBuild(program: String) {
        #if URNN_ISA_V3
        if !urnn_cpu_runs_x86_64_v3() {
            let message = "\(program): this binary was built for x86-64-v3 (AVX2, FMA, BMI2), which this CPU does not have. "
                + "Rebuild on this machine, or build once for all machines with URNN_ISA=baseline "
                + "(results are bit-identical either way).\n"
            FileHandle.standardError.write(Data(message.utf8))
            exit(78)
        }
        #endif
    }
}
