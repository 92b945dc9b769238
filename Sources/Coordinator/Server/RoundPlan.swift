import Foundation
import Shared

/// What one round of the coordinator loop does, decided without I/O: the scheduler's actions
/// (which carry the received results) become messages to send now, the round's store writes,
/// and the ACKs that may leave only once those writes are durable. `CoordinatorServer` executes
/// a plan; `RoundPlanTests` and `StoreSchedulerTests` check this same function.
///
///     .assign          -> send ASSIGN now (lease ms = deadline - now), write .lease (with the
///                         worker's host from its HELLO, for the lease history)
///     .commitResult    -> write .result (empty provenance host filled in), ACK after the commit
///     .ack             -> ACK after the commit (never before an earlier result's commit)
///     .requeue(failed) -> write .failure(final: false)   (keeps the message as last_error)
///     .requeue(other)  -> write .requeue(cause)  (timedOut: last_error "timed out after N s (attempt k)")
///     .markFailed      -> write .failure(final: true)
///     .stopOnWorker    -> send CANCEL now
///     .markCancelled   -> write .cancel
///     .workerDead      -> forget the worker's route
///     .sendHeartbeat   -> send HEARTBEAT(session) now
///     .reject(unknownJob) -> ACK after the commit (PROTOCOL.md 8.3: the worker forgets it)
///     .reject(other)   -> send ERROR now
struct RoundPlan: Equatable {
    /// What happens before the commit, in action order.
    enum Step: Equatable {
        case send(worker: String, Message)
        /// The worker was declared dead: forget its route (later sends to it are dropped).
        case forget(worker: String)
    }

    /// Things worth a log line or a counter; no effect on the protocol.
    enum Note: Equatable {
        case duplicateResult(jobID: String)
        case lateResult(jobID: String)
        case refusedResult(worker: String, jobID: String)
        case staleJob(worker: String, jobID: String)
        case requeued(jobID: String, reason: Scheduler.RequeueReason)
        case stopped(jobID: String, worker: String, reason: String)
        case cancelled(jobID: String)
        case failedForGood(jobID: String, error: String)
        case workerDead(worker: String)
        case missingSpec(jobID: String)
        case unknownJob(worker: String, jobID: String)
    }

    var beforeCommit: [Step] = []
    /// The round's store changes, applied in order in ONE transaction.
    var writes: [StoreOp] = []
    /// ACK(jobID) to each worker, sent only after `writes` are committed.
    var acksAfterCommit: [(worker: String, jobID: String)] = []
    var notes: [Note] = []

    static func == (a: RoundPlan, b: RoundPlan) -> Bool {
        a.beforeCommit == b.beforeCommit && a.writes == b.writes && a.notes == b.notes
            && a.acksAfterCommit.elementsEqual(b.acksAfterCommit, by: ==)
    }

    /// The job ids whose specs a round's ASSIGNs need (one store read per round).
    static func jobsToSend(_ actions: [Scheduler.Action]) -> [String] {
        actions.compactMap { if case let .assign(jobID, _, _, _) = $0 { jobID } else { nil } }
    }

    /// - Parameters:
    ///   - specs: the spec of every job in `jobsToSend(actions)` (a missing one is a note, and
    ///     its lease is still written so the store mirrors the scheduler).
    ///   - hostOf: each worker's host from its HELLO, for leases and for results whose provenance has none.
    init(_ actions: [Scheduler.Action], specs: [String: JobSpec], hostOf: [String: String], sessionID: String, now: Double) {
        for a in actions {
            switch a {
            case let .assign(jobID, worker, leaseID, deadline):
                writes.append(.lease(LeaseGrant(jobID: jobID, leaseID: leaseID, worker: worker, host: hostOf[worker])))
                guard let spec = specs[jobID] else { notes.append(.missingSpec(jobID: jobID)); continue }
                let ms = Int(max(0, deadline - now) * 1000)
                beforeCommit.append(.send(worker: worker, .assign(.init(jobID: jobID, leaseID: leaseID, spec: spec, leaseMs: ms))))
            case let .commitResult(r, worker):
                var prov = r.provenance
                if prov.host.isEmpty { prov.host = hostOf[prov.workerID] ?? "" }
                writes.append(.result(ResultCommit(jobID: r.jobID, leaseID: r.leaseID, outcome: r.outcome, provenance: prov)))
                acksAfterCommit.append((worker, r.jobID))
            case let .ack(worker, jobID, reason):
                switch reason {
                case .duplicate: notes.append(.duplicateResult(jobID: jobID))
                case .late: notes.append(.lateResult(jobID: jobID))
                case .refused: notes.append(.refusedResult(worker: worker, jobID: jobID))
                case .stale: notes.append(.staleJob(worker: worker, jobID: jobID))
                }
                acksAfterCommit.append((worker, jobID))
            case let .requeue(jobID, reason):
                notes.append(.requeued(jobID: jobID, reason: reason))
                switch reason {
                case let .failed(message, _): writes.append(.failure(jobID: jobID, message: message, final: false))
                case .leaseExpired: writes.append(.requeue(jobID: jobID, cause: .leaseExpired))
                case .workerDead: writes.append(.requeue(jobID: jobID, cause: .workerDead))
                case .workerRestarted: writes.append(.requeue(jobID: jobID, cause: .workerRestarted))
                case .handedBack: writes.append(.requeue(jobID: jobID, cause: .handedBack))
                case let .timedOut(seconds, attempt):
                    writes.append(.requeue(jobID: jobID, cause: .timedOut(seconds: seconds, attempt: attempt)))
                }
            case let .markFailed(jobID, error):
                notes.append(.failedForGood(jobID: jobID, error: error))
                writes.append(.failure(jobID: jobID, message: error, final: true))
            case let .stopOnWorker(jobID, worker, reason):
                notes.append(.stopped(jobID: jobID, worker: worker, reason: reason))
                beforeCommit.append(.send(worker: worker, .cancel(.init(jobs: [jobID], reason: reason))))
            case let .markCancelled(jobID):
                notes.append(.cancelled(jobID: jobID))
                writes.append(.cancel(jobID: jobID))
            case let .workerDead(worker):
                notes.append(.workerDead(worker: worker))
                beforeCommit.append(.forget(worker: worker))
            case let .sendHeartbeat(worker):
                beforeCommit.append(.send(worker: worker, .heartbeat(.init(sessionID: sessionID))))
            case let .reject(worker, .unknownJob(jobID)):
                notes.append(.unknownJob(worker: worker, jobID: jobID))
                acksAfterCommit.append((worker, jobID))
            case let .reject(worker, reason):
                beforeCommit.append(.send(worker: worker, .error(Self.describe(reason))))
            }
        }
    }

    static func describe(_ r: Scheduler.RejectReason) -> Message.ErrorReport {
        switch r {
        case .unknownWorker: .init(code: ProtocolError.Code.helloRequired.rawValue, message: "unknown worker: send HELLO first")
        case .unknownJob(let id): .init(code: ProtocolError.Code.unexpectedCommand.rawValue, message: "job \(id) is not part of this sweep")
        case .badHello(let m): .init(code: ProtocolError.Code.malformedBody.rawValue, message: m)
        }
    }
}
