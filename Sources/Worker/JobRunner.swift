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

/// Runs a job: the shared `JobExecutor.run` in production, a stub in tests.
typealias JobExecute = @Sendable (JobSpec, @escaping @Sendable (String) -> Void) throws -> JobOutcome

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

    init(execute: @escaping JobExecute, now: @escaping @Sendable () -> Double, log: @escaping @Sendable (String) -> Void) throws {
        self.wake = try WakePipe()
        self.execute = execute
        self.now = now
        self.log = log
    }

    /// Starts `assign`'s job on a new thread. Returns at once.
    func start(_ assign: Message.Assign) {
        let t = Thread { [self] in
            let t0 = now()
            let outcome: Result<JobOutcome, JobFailure>
            do {
                let jobID = assign.jobID
                let log = self.log
                outcome = .success(try execute(assign.spec) { line in log("job \(jobID.prefix(8)): \(line)") })
            } catch let e as SpecError {
                outcome = .failure(JobFailure(message: e.description, retryable: false))
            } catch {
                outcome = .failure(JobFailure(message: String(describing: error), retryable: true))
            }
            let done = FinishedJob(assign: assign, outcome: outcome, wallSeconds: now() - t0)
            lock.lock()
            finished.append(done)
            lock.unlock()
            wake.wake()
        }
        t.name = "job-\(assign.jobID.prefix(8))"
        t.stackSize = 8 << 20
        t.start()
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
