import Shared

extension StoreOp {
    /// The store change a scheduler action calls for, so a loop can collect one round of
    /// actions into one `Store.apply` batch:
    ///
    ///     .assign          -> .lease
    ///     .requeue(failed) -> .failure(final: false)   (keeps the message as last_error)
    ///     .requeue(other)  -> .requeue
    ///     .markFailed      -> .failure(final: true)
    ///
    /// nil for `.commitResult` (build `.result` from the worker's payload instead) and for
    /// actions that touch only the network (`.ack`, `.sendHeartbeat`, `.workerDead`, `.reject`).
    public init?(_ action: Scheduler.Action) {
        switch action {
        case let .assign(jobID, worker, leaseID, _):
            self = .lease(LeaseGrant(jobID: jobID, leaseID: leaseID, worker: worker))
        case let .requeue(jobID, .failed(message, _)):
            self = .failure(jobID: jobID, message: message, final: false)
        case let .requeue(jobID, _):
            self = .requeue(jobID: jobID)
        case let .markFailed(jobID, error):
            self = .failure(jobID: jobID, message: error, final: true)
        case .commitResult, .ack, .sendHeartbeat, .workerDead, .reject:
            return nil
        }
    }
}
