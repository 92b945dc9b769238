import Foundation
import Logging
import Shared
import Testing
@testable import Coordinator

/// The benchmark harness is correct (not fast): every job's result is stored exactly once,
/// and idle workers that heartbeat are never declared dead. No timing is asserted.
@Suite(.serialized) struct BenchHarnessTests {
    static var quietLogger: Logger {
        var l = Logger(label: "bench-test") { StreamLogHandler.standardError(label: $0) }
        l.logLevel = .error
        return l
    }

    @Test func everyJobIsStoredExactlyOnce() throws {
        let dir = StoreTests.TempDir()
        let r = try CoordinatorBench.throughput(jobs: 200, workers: 5, slots: 2, storePath: dir.path(),
                                                mode: .threads(2), timeout: 60, logger: Self.quietLogger)
        #expect(r.storedResults == 200)
        #expect(r.distinctStoredJobs == 200)
        #expect(r.wrongResults == 0)
        #expect(r.stats.resultsCommitted == 200)
        #expect(r.stats.duplicates == 0 && r.stats.workersDead == 0 && r.stats.malformed == 0)
        #expect(r.workerCounts.welcomed == 5)
        #expect(r.workerCounts.assigns == 200 && r.workerCounts.duplicateAssigns == 0)
        #expect(r.workerCounts.acks == 200 && r.workerCounts.resultToAck.count == 200)
        #expect(r.workerCounts.errors == 0)
        #expect(r.seconds > 0 && r.jobsPerSecond > 0 && !r.busyRounds.isEmpty)
        #expect(r.synchronous == 2)  // FULL, read back from the writer connection
    }

    @Test func idleWorkersHeartbeatingAreNeverDeclaredDead() throws {
        let dir = StoreTests.TempDir()
        // The run spans 8 liveness windows (3 x 0.1 s): a worker the coordinator forgot to
        // count as heard would be declared dead.
        let r = try CoordinatorBench.idle(workers: 40, seconds: 2.5, storePath: dir.path(), threads: 2,
                                          heartbeatInterval: 0.1, logger: Self.quietLogger)
        #expect(r.stats.workersDead == 0)
        #expect(r.aliveAtEnd == 40 && r.maxAlive == 40)
        #expect(r.allConnectedAfter != nil)
        #expect(r.workerCounts.welcomed == 40 && r.workerCounts.errors == 0)
        // Heartbeats flowed: at least a few per worker in the time.
        #expect(r.stats.messagesIn >= 40 * 10)  // about 25 per worker
    }

    @Test func percentilesAreNearestRank() {
        let p = Percentiles((1...100).map(Double.init).shuffled())
        #expect(p.p50 == 50 && p.p99 == 99 && p.max == 100)
        #expect(Percentiles([]).p99 == 0)
        #expect(Percentiles([7]).p50 == 7)
    }
}
