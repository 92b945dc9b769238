import Foundation
import Shared
import Testing

/// Input from a user (issue 10, "Input and messages"): every endpoint, number and spec is checked
/// before anything starts, and the error names the option and the reason, never a usage puzzle.
@Suite struct InputBounds {
    /// (binary, arguments, words the error must contain). `{PORT}` is a free loopback port.
    static let refused: [(String, [String], [String])] = [
        ("coordinator", ["--bind", "tcp://127.0.0.1:99999"], ["outside 1-65535"]),
        ("coordinator", ["--bind", "tcp://127.0.0.1:0"], ["outside 1-65535", "* binds a free port"]),
        ("coordinator", ["--bind", "garbage"], ["garbage", "not an endpoint"]),
        ("coordinator", ["--bind", "tcp://no-such-host.invalid:{PORT}"], ["cannot resolve"]),
        ("coordinator", ["--heartbeat-ms", "-5"], ["--heartbeat-ms", "-5"]),
        ("coordinator", ["--report-every", "0"], ["--report-every", "0"]),
        ("coordinator", ["--report-every", "nan"], ["--report-every", "nan"]),
        ("coordinator", ["--liveness", "-1"], ["--liveness", "-1"]),
        ("coordinator", ["--max-attempts", "0"], ["--max-attempts", "0"]),
        ("worker", ["--connect", "tcp://127.0.0.1:99999"], ["outside 1-65535"]),
        ("worker", ["--connect", "tcp://127.0.0.1:*"], ["port number"]),
        ("worker", ["--connect", "tcp://no-such-host.invalid:{PORT}"], ["cannot resolve", "no-such-host.invalid"]),
        ("worker", ["--connect", "tcp://127.0.0.1:{PORT}", "--heartbeat-ms", "-5"], ["--heartbeat-ms", "-5"]),
        ("worker", ["--connect", "tcp://127.0.0.1:{PORT}", "--slots", "-1"], ["--slots", "-1"]),
        ("worker", ["--connect", "tcp://127.0.0.1:{PORT}", "--slots", "100000"], ["--slots", "1...1024"]),
        ("worker-run", ["--hidden", "-1"], ["hidden", "-1"]),
        ("worker-run", ["--clip", "-1"], ["clip", "-1"]),
        ("worker-run", ["--epochs", "1000000000"], ["epochs", "100000"]),
        ("worker-run", ["--snr", "-1e9"], ["snr"]),
    ]

    @Test(arguments: refused.indices)
    func refusedBeforeAnythingStarts(_ i: Int) throws {
        try Bin.require()
        let (binary, rawArgs, words) = Self.refused[i]
        let scratch = try Scratch("inputs")
        let port = String(try freeLoopbackPort())
        let args = rawArgs.map { $0.replacingOccurrences(of: "{PORT}", with: port) }
        let store = scratch.path("s.sqlite")
        let full: [String]
        switch binary {
        case "coordinator":
            let sweep = try scratch.write("s.yaml", noopSweep(name: "integ-inputs", count: 1, sleepMs: 0))
            full = ["run", sweep, "--store", store] + (args.contains("--bind") ? [] : ["--bind", "tcp://127.0.0.1:\(port)"]) + args
        case "worker": full = args + ["--exit-when-idle", "1"]
        default: full = ["run", "--quiet"] + args
        }
        let f = try runToEnd(binary == "coordinator" ? Bin.coordinator : Bin.worker, full, in: scratch, timeout: 20)
        #expect(f.exitedNormally && f.status != 0, "\(full) exited \(f.status)\n\(f.stderr)")
        let first = f.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("Error:"), "\(full): \(f.stderr)")
        for w in words { #expect(first.contains(w), "\(full): the error does not say '\(w)': \(first)") }
        #expect(!f.stderr.contains("Missing value"), "\(full): \(f.stderr)")
        #expect(!f.stderr.contains("CURVE"), "\(full): a bad endpoint was taken for a security question: \(f.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store), "\(full): a refused run created its store")
    }

    /// One validation for every path into a spec: `exec --spec` refuses what a sweep file refuses
    /// (a negative sleep), and absurd values (a sleep that overflowed the worker's timer and trapped).
    @Test func execRefusesWhatASweepFileRefuses() throws {
        try Bin.require()
        let scratch = try Scratch("execbounds")
        let cases: [(String, String)] = [
            (#"{"version":1,"kind":"noop","noop":{"token":1,"sleepMilliseconds":-5}}"#, "sleepMilliseconds"),
            (#"{"version":1,"kind":"noop","noop":{"token":1,"sleepMilliseconds":5000000000}}"#, "sleepMilliseconds"),
            (try JSON.string(JobSpec(synthetic: SyntheticSpec(model: .rnn, hidden: 2, epochs: 1_000_000_000))), "epochs"),
        ]
        for (i, (json, field)) in cases.enumerated() {
            let path = try scratch.write("spec\(i).json", json)
            let f = try runToEnd(Bin.worker, ["exec", "--spec", path, "--quiet"], in: scratch, timeout: 20)
            #expect(f.reason == .exit && f.status != 0, "\(json): status \(f.status) \(f.reason)")
            #expect(f.stdout.isEmpty && f.stderr.contains(field), "\(json):\n\(f.stderr)")
        }
    }
}

extension LiveSweeps {
    /// Host names and IPv6 on loopback: `localhost` and `[::1]` work for --bind and --connect.
    @Suite struct LoopbackNames {
        @Test(.timeLimit(.minutes(2)), arguments: ["localhost", "[::1]"])
        func sweepRunsOverANamedOrIPv6Loopback(_ host: String) throws {
            try Bin.require()
            let scratch = try Scratch("loopname")
            let children = Children(scratch)
            defer { children.killAll() }
            let sweep = try scratch.write("n.yaml", noopSweep(name: "integ-loopname", count: 4, sleepMs: 0))
            let port = try freeLoopbackPort()
            let endpoint = "tcp://\(host):\(port)"
            let coordinator = try children.start(Bin.coordinator, ["run", sweep, "--store", scratch.path("n.sqlite"),
                                                                   "--report", scratch.path("r"), "--bind", endpoint],
                                                 name: "coordinator", environment: ["URNN_LOG_LEVEL": "info"])
            _ = try children.start(Bin.worker, ["--connect", endpoint, "--slots", "2", "--heartbeat-ms", "200"], name: "worker")
            try #require(coordinator.waitExit(timeout: 60), "the sweep did not finish\n\(children.diagnostics)")
            #expect(coordinator.process.terminationStatus == 0, "\(children.diagnostics)")
        }
    }
}

extension LiveSweeps {
    /// Two sweeps in one store pool their results in its report: `run` says so (issue 10).
    @Suite struct MixedStore {
        @Test(.timeLimit(.minutes(2)))
        func runWarnsWhenAStoreGetsASecondSweepOrAnotherGrid() throws {
            try Bin.require()
            let scratch = try Scratch("mixed")
            let store = scratch.path("mixed.sqlite")
            func run(_ name: String, count: Int) throws -> Finished {
                let sweep = try scratch.write("\(name)-\(count).yaml", noopSweep(name: name, count: count, sleepMs: 0))
                let f = try runToEnd(Bin.coordinator, ["run", sweep, "--store", store, "--report", scratch.path("r"),
                                                       "--local-workers", "1", "--worker-slots", "1"], in: scratch, timeout: 60)
                #expect(f.status == 0, "\(name): \(f.stderr)")
                return f
            }
            let first = try run("integ-mix-a", count: 2)
            #expect(!first.stderr.contains("already holds") && !first.stderr.contains("another definition"))
            let again = try run("integ-mix-a", count: 2)   // a resume: silent
            #expect(!again.stderr.contains("already holds") && !again.stderr.contains("another definition"), "\(again.stderr)")
            let other = try run("integ-mix-b", count: 2)
            #expect(other.stderr.contains("already holds sweep(s) integ-mix-a"), "\(other.stderr)")
            let regrid = try run("integ-mix-a", count: 3)
            #expect(regrid.stderr.contains("sweep integ-mix-a in \(store) was recorded with another definition"), "\(regrid.stderr)")
        }
    }
}
