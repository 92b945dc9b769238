import Foundation

/// Runs any job kind with the shared core. Synchronous; call it from a job thread.
/// `progress` receives human-readable progress lines (may be called from the same thread).
public enum JobExecutor {
    public static func run(_ spec: JobSpec, progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> JobOutcome {
        try run(spec, context: JobContext(), progress: progress)
    }

    /// As `run(_:progress:)`, with the worker's dataset cache and checkpoint directory.
    public static func run(_ spec: JobSpec, context: JobContext, progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> JobOutcome {
        try spec.validate()
        switch spec.kind {
        case .noop:
            let n = spec.noop!
            if let ms = n.sleepMilliseconds, ms > 0 { try sleep(milliseconds: ms, cancellation: context.cancellation) }
            if n.fail == true { throw NoopFailure(token: n.token) }
            return JobOutcome(metrics: ["token": Double(n.token)])
        case .synthetic:
            return try SyntheticExperiment.run(spec.synthetic!, cancellation: context.cancellation, progress: progress)
        case .pmnist:
            return try PMNISTExperiment.run(spec.pmnist!, context: context, progress: progress)
        case .theorem1, .theorem2, .theorem3:
            return try TheoryJobs.run(kind: spec.kind, spec: spec.theory!, progress: progress)
        }
    }

    /// Sleeps in 10 ms steps, stopping with `JobCancelled` once cancelled.
    static func sleep(milliseconds ms: Int, cancellation: Cancellation?) throws(JobCancelled) {
        guard let cancellation else { Thread.sleep(forTimeInterval: Double(ms) / 1000); return }
        let end = MonotonicTime.seconds() + Double(ms) / 1000
        while true {
            try cancellation.check()
            let left = end - MonotonicTime.seconds()
            if left <= 0 { return }
            Thread.sleep(forTimeInterval: min(left, 0.01))
        }
    }
}
