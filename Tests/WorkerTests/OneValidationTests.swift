import Foundation
import Testing
@testable import Shared
@testable import Worker

/// One validation for every path a spec comes in by (issue 11): a sweep file (`urnn-coordinator
/// plan`), the command line (`urnn-worker run`), `urnn-worker exec --spec` and an ASSIGN to a
/// running worker refuse the same bad spec with the same message, the one `KindSchema.validate`
/// gives. Before, `exec` accepted a negative sleep that sweep files refused.
@Suite struct OneValidationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func binary(_ name: String) -> URL { root.appendingPathComponent(".build/debug/\(name)") }

    /// A bad spec, how a sweep file and `urnn-worker run` write it (nil: that path cannot say it).
    struct Case: Sendable, CustomStringConvertible {
        var spec: JobSpec
        var sweep: String
        var run: [String]?
        var description: String { spec.summary }
    }

    static let cases: [Case] = [
        Case(spec: JobSpec(noop: NoopSpec(token: 0, sleepMilliseconds: -5)),
             sweep: "name: bad\nkind: noop\nfixed:\n  count: 1\n  sleep_ms: -5\n", run: nil),
        Case(spec: JobSpec(synthetic: SyntheticSpec(model: .rnn, hidden: 0)),
             sweep: "name: bad\nkind: synthetic\nfixed:\n  model: rnn\n  hidden: 0\n", run: ["--hidden", "0"]),
        Case(spec: JobSpec(synthetic: SyntheticSpec(model: .rnn, hidden: 2, learningRate: -1)),
             sweep: "name: bad\nkind: synthetic\nfixed:\n  model: rnn\n  hidden: 2\n  lr: -1\n", run: ["--hidden", "2", "--lr", "-1"]),
        Case(spec: JobSpec(synthetic: SyntheticSpec(model: .rnn, hidden: 2, sequences: 100, trainSequences: 100)),
             sweep: "name: bad\nkind: synthetic\nfixed:\n  model: rnn\n  hidden: 2\n  sequences: 100\n  train: 100\n",
             run: ["--hidden", "2", "--sequences", "100", "--train-sequences", "100"]),
        Case(spec: JobSpec(kind: .theorem1, theory: TheorySpec(n: 300)),
             sweep: "name: bad\nkind: theorem1\nfixed:\n  n: 300\n", run: nil),
    ]

    /// The message every path must print.
    static func expected(_ spec: JobSpec) -> SpecError? {
        do { try spec.validate(); return nil } catch { return error as? SpecError }
    }

    /// Runs a binary to its end (bounded), stderr captured through a file.
    func run(_ name: String, _ args: [String], stdin: Data? = nil) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = Self.binary(name)
        p.arguments = args
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("onevalidation-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: err) }
        p.standardError = try FileHandle(forWritingTo: err)
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning, Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit(); Issue.record("\(name) \(args) did not end") }
        p.waitUntilExit()
        return (p.terminationStatus, try String(contentsOf: err, encoding: .utf8))
    }

    @Test(arguments: cases)
    func everyPathRefusesTheSameSpecWithTheSameMessage(_ c: Case) throws {
        for b in ["urnn-worker", "urnn-coordinator"] {
            try #require(FileManager.default.isExecutableFile(atPath: Self.binary(b).path), "build first: \(b)")
        }
        let e = try #require(Self.expected(c.spec), "the spec is valid: \(c.spec)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onevalidation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // Sweep file, through the real `plan`: the value's line, its sweep key, the message.
        let sweepFile = dir.appendingPathComponent("bad.yaml")
        try c.sweep.write(to: sweepFile, atomically: true, encoding: .utf8)
        let plan = try run("urnn-coordinator", ["plan", sweepFile.path])
        #expect(plan.status != 0 && plan.stderr.contains(e.message), "plan: \(plan.stderr)")
        let key = try #require(c.spec.schema.field(json: e.field)?.key)
        #expect(plan.stderr.contains("bad.yaml:") && plan.stderr.contains("field '\(key)'"), "plan does not name \(key): \(plan.stderr)")

        // Command line.
        if let args = c.run {
            let r = try run("urnn-worker", ["run", "--quiet"] + args)
            #expect(r.status != 0 && r.stderr.contains(e.message), "run: \(r.stderr)")
            let flag = try #require(c.spec.schema.field(json: e.field)?.flag)
            #expect(r.stderr.contains("--\(flag)"), "run does not name --\(flag): \(r.stderr)")
        }

        // exec --spec.
        let specFile = dir.appendingPathComponent("spec.json")
        try JSON.encode(c.spec).write(to: specFile)
        let x = try run("urnn-worker", ["exec", "--spec", specFile.path, "--quiet"])
        #expect(x.status != 0 && x.stderr.contains(e.description), "exec: \(x.stderr)")

        // ASSIGN to a running worker: FAILURE, not retryable, with the same text.
        let coord = try FakeCoordinator()
        defer { coord.close() }
        let p = Process()
        p.executableURL = Self.binary("urnn-worker")
        p.arguments = ["--connect", coord.endpoint, "--slots", "1", "--heartbeat-ms", "50", "--liveness", "20"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; p.waitUntilExit() }
        let (rid, _) = try coord.handshake(liveness: 20)
        try coord.expect(.ready)
        try coord.send(.assign(Message.Assign(jobID: c.spec.id, leaseID: "l-1", spec: c.spec, leaseMs: 5000)), to: rid)
        guard case .failure(let f) = try coord.expect(.failure).message else { return }
        #expect(f.error == e.description && !f.retryable, "ASSIGN: \(f)")
    }
}
