import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// Jobs that fail every time: each is tried `--max-attempts` times, then marked failed with
    /// its error; the sweep goes on, finishes, and the other jobs are stored.
    @Suite struct Failures {
        @Test(.timeLimit(.minutes(2)))
        func failingJobsAreRetriedThenMarkedFailedAndTheSweepGoesOn() throws {
            try Bin.require()
            let scratch = try Scratch("failures")
            let children = Children(scratch)
            defer { children.killAll() }
            let sweep = try scratch.write("fail.yaml", """
                name: integ-failures
                kind: noop
                grid:
                  token: 0..5
                  fail: [false, true]
                fixed:
                  sleep_ms: 10
                """)
            let store = scratch.path("fail.sqlite")
            let port = try freeLoopbackPort()
            let cmd = Commands(scratch: scratch, children: children)
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port, extra: ["--max-attempts", "2"])
            let worker = try cmd.worker(port: port, id: "integ-failer", slots: 2, heartbeatMs: 200)
            #expect(coordinator.waitExit(timeout: 60), "the sweep did not finish\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0)

            let status = try cmd.status(store: store)
            #expect(status.done == 6 && status.failed == 6, "status: \(status)")
            let records = try cmd.export(store: store)
            #expect(records.count == 6)
            #expect(records.allSatisfy { $0.spec.noop?.fail == nil })
            // Each failing job ran exactly max-attempts = 2 times; each good one once.
            let starts = WorkerLog.started(worker.stderr)
            var perJob: [String: Int] = [:]
            for id in starts { perJob[id, default: 0] += 1 }
            #expect(perJob.count == 12)
            #expect(perJob.values.sorted() == Array(repeating: 1, count: 6) + Array(repeating: 2, count: 6))
            // The failures and their errors are shown by `status`.
            let text = try runToEnd(Bin.coordinator, ["status", "--store", store], in: scratch)
            #expect(text.stdout.contains("failed on purpose"), "status text: \(text.stdout)")
        }
    }
}
