import Foundation
import Shared

/// What a job thread hands back to the runtime loop.
struct FinishedJob: Sendable {
    var assign: Message.Assign
    var outcome: Result<JobOutcome, JobFailure>
    var wallSeconds: Double
}

/// A job's error as text, and whether another attempt could succeed.
struct JobFailure: Error, Sendable {
    var message: String
    var retryable: Bool
}

/// Runs a job: the shared `JobExecutor.run` in production, a stub in tests. The job should stop
/// (throwing `JobCancelled`) soon after its `Cancellation` is set.
typealias JobExecute = @Sendable (JobSpec, Cancellation, @escaping @Sendable (String) -> Void) throws -> JobOutcome

/// Runs jobs on their own threads and hands results back through a thread-safe queue.
/// The runtime loop is the only consumer; a job thread never touches the socket. Each
/// finished job wakes the loop through `wake`, so results go out without polling delays.
final class JobRunner: @unchecked Sendable {
    let wake: WakePipe
    private let execute: JobExecute
    private let now: @Sendable () -> Double
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var finished: [FinishedJob] = []
    /// The stop flag of every running job, by job id.
    private var cancellations: [String: Cancellation] = [:]

    init(execute: @escaping JobExecute, now: @escaping @Sendable () -> Double, log: @escaping @Sendable (String) -> Void) throws {
        self.wake = try WakePipe()
        self.execute = execute
        self.now = now
        self.log = log
    }

    /// Starts `assign`'s job on a new thread. Returns at once.
    func start(_ assign: Message.Assign) {
        let cancellation = Cancellation()
        lock.lock()
        cancellations[assign.jobID] = cancellation
        lock.unlock()
        let t = Thread { [self] in
            let t0 = now()
            let outcome: Result<JobOutcome, JobFailure>
            do {
                let jobID = assign.jobID
                let log = self.log
                outcome = .success(try execute(assign.spec, cancellation) { line in log("job \(jobID.prefix(8)): \(line)") })
            } catch let e as SpecError {
                outcome = .failure(JobFailure(message: e.description, retryable: false))
            } catch {
                outcome = .failure(JobFailure(message: String(describing: error), retryable: true))
            }
            let done = FinishedJob(assign: assign, outcome: outcome, wallSeconds: now() - t0)
            lock.lock()
            finished.append(done)
            cancellations[assign.jobID] = nil
            lock.unlock()
            wake.wake()
        }
        t.name = "job-\(assign.jobID.prefix(8))"
        t.stackSize = 8 << 20
        t.start()
    }

    /// Asks a running job to stop; it ends at its next check and is reported through
    /// `takeFinished` as usual. Unknown or finished ids are ignored.
    func cancel(_ jobID: String) {
        lock.lock()
        let c = cancellations[jobID]
        lock.unlock()
        c?.cancel()
    }

    /// Takes every job finished since the last call (loop thread only).
    func takeFinished() -> [FinishedJob] {
        wake.drain()
        lock.lock()
        defer { lock.unlock() }
        let out = finished
        finished = []
        return out
    }
}
