import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// CURVE end to end with the real binaries: keys from `keygen`, a coordinator with a ZAP
    /// whitelist, a whitelisted worker finishes the sweep, an unlisted one never gets a job.
    @Suite struct Curve {
        @Test(.timeLimit(.minutes(2)))
        func onlyWhitelistedWorkersAreServed() throws {
            try Bin.require()
            let scratch = try Scratch("curve")
            let children = Children(scratch)
            defer { children.killAll() }
            for name in ["coord", "good", "bad"] {
                let f = try runToEnd(Bin.coordinator, ["keygen", "--out", scratch.path(name)], in: scratch)
                try #require(f.status == 0, "keygen failed: \(f.stderr)")
            }
            func key(_ file: String) throws -> String {
                try String(contentsOfFile: scratch.path(file), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let allowed = try scratch.write("allowed.txt", "# admitted workers\n" + key("good.pub") + "\n")
            let sweep = try scratch.write("curve.yaml", noopSweep(name: "integ-curve", count: 12, sleepMs: 20))
            let store = scratch.path("curve.sqlite")
            let port = try freeLoopbackPort()
            let cmd = Commands(scratch: scratch, children: children)
            let coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port,
                                                  extra: ["--curve-secret-file", scratch.path("coord.key"),
                                                          "--curve-allowed-clients", allowed])
            func worker(_ name: String) throws -> Child {
                try children.start(Bin.worker, ["--connect", "tcp://127.0.0.1:\(port)", "--slots", "2", "--id", "integ-\(name)",
                                                "--curve-server-key", key("coord.pub"),
                                                "--curve-secret-file", scratch.path("\(name).key")], name: name)
            }
            let bad = try worker("bad")
            // The unlisted worker is refused by the ZAP handler: no job is stored for a while.
            let refused = waitUntil(timeout: 10) { coordinator.stderr.contains("ZAP: refused") }
            #expect(refused, "the coordinator did not refuse the unlisted key\n\(children.diagnostics)")
            #expect(try cmd.status(store: store).done == 0)
            #expect(!bad.stderr.contains(": start "), "an unlisted worker started a job")

            _ = try worker("good")
            #expect(coordinator.waitExit(timeout: 60), "the sweep did not finish\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0)
            let records = try cmd.export(store: store)
            #expect(records.count == 12)
            #expect(records.allSatisfy { $0.provenance.workerID == "integ-good" })
        }
    }
}
