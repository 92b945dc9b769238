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

        /// Each kind of CURVE refusal is logged by the coordinator (with the key and address where
        /// libzmq knows them) and the refused worker says it was refused and why (issue 10).
        @Test(.timeLimit(.minutes(2)))
        func everyRefusalIsLoggedOnBothSides() throws {
            try Bin.require()
            let scratch = try Scratch("curverefusal")
            let children = Children(scratch)
            defer { children.killAll() }
            for name in ["coord", "good", "bad", "other"] {
                let f = try runToEnd(Bin.coordinator, ["keygen", "--out", scratch.path(name)], in: scratch)
                try #require(f.status == 0, "keygen failed: \(f.stderr)")
            }
            func key(_ file: String) throws -> String {
                try String(contentsOfFile: scratch.path(file), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let allowed = try scratch.write("allowed.txt", key("good.pub") + "\n")
            let sweep = try scratch.write("refusal.yaml", noopSweep(name: "integ-curverefusal", count: 4, sleepMs: 0))
            let port = try freeLoopbackPort()
            let cmd = Commands(scratch: scratch, children: children)
            let coordinator = try cmd.coordinator(sweep: sweep, store: scratch.path("r.sqlite"), port: port,
                                                  extra: ["--curve-secret-file", scratch.path("coord.key"), "--curve-allowed-clients", allowed])
            try #require(waitUntil(timeout: 30) { coordinator.stderr.contains("listening on") }, "\(coordinator.diagnostics)")
            #expect(coordinator.stderr.contains("workers need --curve-server-key \(try key("coord.pub"))"), "\(coordinator.diagnostics)")
            func worker(_ name: String, serverKey: String?, secret: String?) throws -> Child {
                var args = ["--connect", "tcp://127.0.0.1:\(port)", "--slots", "1", "--id", "integ-\(name)", "--heartbeat-ms", "200"]
                if let serverKey { args += ["--curve-server-key", serverKey] }
                if let secret { args += ["--curve-secret-file", scratch.path(secret)] }
                return try children.start(Bin.worker, args, name: name)
            }
            // Not on the whitelist: the coordinator names the key and the address.
            let unlisted = try worker("unlisted", serverKey: try key("coord.pub"), secret: "bad.key")
            #expect(waitUntil(timeout: 15) { unlisted.stderr.contains("refused by the coordinator: its CURVE whitelist does not admit") },
                    "\(unlisted.diagnostics)")
            #expect(unlisted.stderr.contains(try key("bad.pub")), "the worker does not name its key")
            #expect(coordinator.stderr.contains("ZAP: refused CURVE client \(try key("bad.pub")) from 127.0.0.1"), "\(coordinator.diagnostics)")
            unlisted.stop()
            // The wrong server key: the handshake does not decrypt.
            let beforeWrong = coordinator.stderrSize
            let wrongKey = try worker("wrongkey", serverKey: try key("other.pub"), secret: "good.key")
            #expect(waitUntil(timeout: 15) { wrongKey.stderr.contains("refused by the coordinator: the CURVE handshake failed") },
                    "\(wrongKey.diagnostics)")
            #expect(waitUntil(timeout: 15) {
                let log = coordinator.stderr(from: beforeWrong)
                return log.contains("refused a worker connection") && (log.contains("wrong --curve-server-key") || log.contains("wrong server key"))
            }, "\(coordinator.diagnostics)")
            wrongKey.stop()
            // Plaintext to a CURVE coordinator.
            let before = coordinator.stderrSize
            let plain = try worker("plain", serverKey: nil, secret: nil)
            #expect(waitUntil(timeout: 15) { plain.stderr.contains("refused by the coordinator: it requires CURVE") }, "\(plain.diagnostics)")
            // libzmq reports it as a mechanism mismatch or without detail, whichever side closes first;
            // each kind is logged at most every 10 s, so allow for one suppressed window.
            #expect(waitUntil(timeout: 15) {
                let log = coordinator.stderr(from: before)
                return log.contains("refused a worker connection") && log.contains("plaintext")
            }, "\(coordinator.diagnostics)")
            plain.stop()
            for w in [unlisted, wrongKey, plain] { #expect(WorkerLog.started(w.stderr).isEmpty, "\(w.name) ran a job") }
            _ = try worker("good", serverKey: try key("coord.pub"), secret: "good.key")
            #expect(coordinator.waitExit(timeout: 60), "the sweep did not finish\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0)
        }
    }
}
