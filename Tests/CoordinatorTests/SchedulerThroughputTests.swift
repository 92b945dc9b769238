import Foundation
import Shared
import Testing
@testable import Coordinator

/// Sanity figures for the scheduler's own cost (debug build; release is several times faster).
/// Generous bounds: these catch accidental quadratic behaviour, not small slowdowns.
@Suite struct SchedulerThroughputTests {
    @Test func twentyThousandRoundTripsWithFiftyWorkers() {
        let n = 20_000
        var s = Scheduler(configuration: .init(sessionID: "b"),
                          pending: (0..<n).map { .init(id: "j\($0)", kind: .noop) }, done: [String]())
        var inFlight: [(job: String, worker: String, lease: String)] = []
        for w in 0..<50 {
            for case let .assign(j, wk, l, _) in s.hello(worker: "w\(w)", slots: 4, kinds: Scheduler.everyKind, now: 0) { inFlight.append((j, wk, l)) }
        }
        let start = Date()
        var now = 0.0, cursor = 0
        while cursor < inFlight.count {
            let r = inFlight[cursor]; cursor += 1
            now += 1e-5
            for case let .assign(j, wk, l, _) in s.result(worker: r.worker, jobID: r.job, leaseID: r.lease, now: now) {
                inFlight.append((j, wk, l))
            }
            if cursor % 1000 == 0 { _ = s.tick(now: now) }
        }
        let seconds = Date().timeIntervalSince(start)
        print("scheduler: \(n) result->assign round trips with 50 workers in \(String(format: "%.2f", seconds)) s "
              + "(\(Int(Double(n) / seconds))/s, debug build)")
        #expect(s.progress.done == n && s.progress.isFinished)
        #expect(seconds < 20)
    }

    @Test func thousandIdleWorkersHeartbeatWithoutFalseDeaths() {
        var s = Scheduler(configuration: .init(sessionID: "b"), pending: [], done: [String]())
        for w in 0..<1000 { _ = s.hello(worker: "w\(w)", slots: 1, kinds: Scheduler.everyKind, now: 0) }
        let start = Date()
        var dead = 0, sent = 0
        // 30 simulated seconds, every worker heartbeating each second (staggered), 10 ticks a second.
        for step in 1...300 {
            let now = Double(step) * 0.1
            for w in stride(from: step % 10, to: 1000, by: 10) { _ = s.heartbeat(worker: "w\(w)", running: [], now: now) }
            for a in s.tick(now: now) {
                if case .workerDead = a { dead += 1 }
                if case .sendHeartbeat = a { sent += 1 }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print("scheduler: 30 s of 1,000 heartbeating workers simulated in \(String(format: "%.2f", seconds)) s (debug build)")
        #expect(dead == 0 && s.progress.workersAlive == 1000)
        #expect(sent >= 29_000)  // one heartbeat per worker per second from the coordinator
        #expect(seconds < 20)
    }
}
