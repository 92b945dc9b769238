import Foundation

/// A stored result: the spec that defines it, what it produced, and where it ran.
/// This is what reports consume.
public struct ResultRecord: Codable, Hashable, Sendable {
    public var jobID: String
    public var spec: JobSpec
    public var outcome: JobOutcome
    public var provenance: Provenance
    public init(jobID: String, spec: JobSpec, outcome: JobOutcome, provenance: Provenance) {
        self.jobID = jobID; self.spec = spec; self.outcome = outcome; self.provenance = provenance
    }
}
