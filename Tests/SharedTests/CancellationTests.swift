import Foundation
import Testing
@testable import Shared

/// Cooperative cancellation: a job stops at its next check once its flag is set, and a job
/// whose flag is never set gives the same bits as one run without a flag.
@Suite struct CancellationTests {
    @Test func trainingStopsAtTheNextBatchOnceCancelled() throws {
        let spec = TrainingTests.spec(.lstm, hidden: 6, epochs: 200)
        let c = Cancellation()
        let progressLines = LockedCounter()
        let t0 = MonotonicTime.seconds()
        #expect(throws: JobCancelled.self) {
            try JobExecutor.run(JobSpec(synthetic: spec), context: JobContext(cancellation: c)) { line in
                // Cancel once two epochs are done: the third must not finish.
                if line.hasPrefix("epoch") && progressLines.increment() == 2 { c.cancel() }
            }
        }
        #expect(progressLines.value == 2)
        #expect(MonotonicTime.seconds() - t0 < 60)
    }

    @Test func anUncancelledFlagChangesNoBit() throws {
        let spec = JobSpec(synthetic: TrainingTests.spec(.rnn, hidden: 3, epochs: 3))
        let plain = try JobExecutor.run(spec)
        let flagged = try JobExecutor.run(spec, context: JobContext(cancellation: Cancellation()))
        #expect(plain.bitwiseEqual(flagged))
    }

    @Test func aNoopSleepStopsWithinItsSliceOnceCancelled() throws {
        let c = Cancellation()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { c.cancel() }
        let t0 = MonotonicTime.seconds()
        #expect(throws: JobCancelled.self) {
            try JobExecutor.run(JobSpec(noop: NoopSpec(token: 1, sleepMilliseconds: 30_000)), context: JobContext(cancellation: c))
        }
        #expect(MonotonicTime.seconds() - t0 < 5)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
