import Foundation

/// Runs any job kind with the shared core. Synchronous; call it from a job thread.
/// `progress` receives human-readable progress lines (may be called from the same thread).
public enum JobExecutor {
    public static func run(_ spec: JobSpec, progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> JobOutcome {
        try spec.validate()
        switch spec.kind {
        case .noop:
            let n = spec.noop!
            if let ms = n.sleepMilliseconds, ms > 0 { Thread.sleep(forTimeInterval: Double(ms) / 1000) }
            if n.fail == true { throw NoopFailure(token: n.token) }
            return JobOutcome(metrics: ["token": Double(n.token)])
        case .synthetic:
            return try SyntheticExperiment.run(spec.synthetic!, progress: progress)
        case .theorem1, .theorem2, .theorem3:
            return try TheoryJobs.run(kind: spec.kind, spec: spec.theory!, progress: progress)
        }
    }
}
