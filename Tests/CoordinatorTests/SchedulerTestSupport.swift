import Shared
@testable import Coordinator

/// Scheduler tests speak of results by job and lease id; the payload is a fixed stand-in.
extension Scheduler {
    static func testResult(jobID: String, leaseID: String, worker: String) -> Message.JobResult {
        Message.JobResult(jobID: jobID, leaseID: leaseID, outcome: JobOutcome(metrics: ["x": 1]),
                          provenance: Provenance(host: "h", workerID: worker, buildVersion: "t", wallSeconds: 0))
    }

    mutating func result(worker: String, jobID: String, leaseID: String, now: Double) -> [Action] {
        result(worker: worker, Self.testResult(jobID: jobID, leaseID: leaseID, worker: worker), now: now)
    }
}

extension Scheduler.Action {
    /// The commit a test result (`Scheduler.result(worker:jobID:leaseID:now:)`) leads to.
    static func commitResult(jobID: String, leaseID: String, worker: String) -> Self {
        .commitResult(Scheduler.testResult(jobID: jobID, leaseID: leaseID, worker: worker), worker: worker)
    }
}
