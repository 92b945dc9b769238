import ArgumentParser
import Foundation
import Testing
@testable import Shared
@testable import Worker

/// The real `urnn-worker` binary, as `swift build` left it, against a test coordinator.
@Suite struct WorkerBinaryTests {
    static let binary: URL = {
        // Tests/WorkerTests/ThisFile.swift -> package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/urnn-worker")
    }()

    /// Starts the worker with stderr captured to a file (a pipe could fill and block it).
    func launch(_ args: [String]) throws -> (Process, URL) {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build first: \(Self.binary.path)")
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = args
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("urnn-worker-test-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: logURL)
        // Not the test runner's stdout: a stray worker holding it would stall `swift test`.
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, logURL)
    }

    func waitExit(_ p: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning, Date() < deadline { usleep(10_000) }
        return !p.isRunning
    }

    @Test func servesJobsAndHandsBackUnfinishedOnesOnSIGTERM() throws {
        let coord = try FakeCoordinator()
        let id = "bin-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        let (p, logURL) = try launch(["--connect", coord.endpoint, "--slots", "2", "--id", id, "--heartbeat-ms", "50", "--liveness", "20"])
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }

        let (rid, hello) = try coord.handshake(liveness: 20)
        #expect(rid == Data(id.utf8) && hello.workerID == id && hello.slots == 2 && hello.pid == Int(p.processIdentifier))
        guard case .ready(let r) = try coord.expect(.ready).message else { return }
        #expect(r.credit == 2)
        let quick = FakeCoordinator.assign(1), long = FakeCoordinator.assign(2, sleepMs: 30_000)
        try coord.send(.assign(quick), to: rid)
        try coord.send(.assign(long), to: rid)
        guard case .result(let res) = try coord.expect(.result).message else { return }
        #expect(res.jobID == quick.jobID && res.outcome.metrics["token"] == 1)
        try coord.send(.ack(.init(jobID: quick.jobID)), to: rid)

        kill(p.processIdentifier, SIGTERM)
        var handedBack: [String]?
        while handedBack == nil, let (_, m) = try coord.next(within: 3000) {
            if case .disconnect(let d) = m { handedBack = d.jobs }
        }
        #expect(handedBack == [long.jobID])
        #expect(waitExit(p, seconds: 5))
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        let log = try String(contentsOf: logURL, encoding: .utf8)
        #expect(log.contains("stopping (SIGTERM)"))
        try? FileManager.default.removeItem(at: logURL)
    }

    @Test func resendsTheUnackedResultToARestartedCoordinator() throws {
        var coord = try FakeCoordinator()
        let endpoint = coord.endpoint
        let (p, logURL) = try launch(["--connect", endpoint, "--slots", "1", "--heartbeat-ms", "50", "--liveness", "3"])
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; try? FileManager.default.removeItem(at: logURL) }
        let (rid, _) = try coord.handshake(session: "a")
        try coord.expect(.ready)
        let job = FakeCoordinator.assign(5)
        try coord.send(.assign(job), to: rid)
        guard case .result(let first) = try coord.expect(.result).message else { return }
        coord.close()
        coord = try FakeCoordinator(endpoint: endpoint)
        let (rid2, _) = try coord.handshake(session: "b")
        #expect(rid2 == rid)
        var again: Message.JobResult?
        while again == nil, let (_, m) = try coord.next(within: 3000) {
            if case .result(let r) = m { again = r }
        }
        #expect(again == first)
        try coord.send(.ack(.init(jobID: job.jobID)), to: rid2)
        kill(p.processIdentifier, SIGINT)
        #expect(waitExit(p, seconds: 5))
        #expect(p.terminationStatus == 0)
    }

    /// The real binary against a coordinator of another protocol version: refused at its first
    /// HELLO, it prints the coordinator's reason and exits non-zero at once (no retry loop).
    @Test func refusedForItsProtocolVersionItSaysWhyAndExitsNonZero() throws {
        let coord = try FakeCoordinator()
        let (p, logURL) = try launch(["--connect", coord.endpoint, "--slots", "1", "--heartbeat-ms", "50", "--liveness", "3"])
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; try? FileManager.default.removeItem(at: logURL) }
        let (id, _) = try coord.expect(.hello)
        let text = "protocol version 1 is not supported: this coordinator (urnnsweep-9.0.0+baseline) speaks version 2; "
            + "run workers of the coordinator's release"
        let body = try JSON.encode(Message.ErrorReport(code: "unsupported-version", message: text, command: 1))
        try coord.router.send([id, Message.signature + [2], Data([Message.Command.error.rawValue]), body])
        #expect(waitExit(p, seconds: 5), "the refused worker is still running")
        #expect(p.terminationReason == .exit && p.terminationStatus == 1)
        let log = try String(contentsOf: logURL, encoding: .utf8)
        #expect(log.contains("Error: coordinator is incompatible: it speaks protocol version 2") && log.contains(text), "\(log)")
        var hellos = 0
        while let (_, m) = try coord.next(within: 300) { if case .hello = m { hellos += 1 } }
        #expect(hellos == 0, "the refused worker said HELLO again")
    }

    @Test func threeWorkerProcessesShareTheJobsWithDistinctDefaultIDs() throws {
        let coord = try FakeCoordinator()
        var procs: [(Process, URL)] = []
        defer { for (p, log) in procs { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; try? FileManager.default.removeItem(at: log) } }
        for _ in 0..<3 { procs.append(try launch(["--connect", coord.endpoint, "--slots", "2", "--heartbeat-ms", "50", "--liveness", "20"])) }
        // The coordinator's capacity rule (PROTOCOL.md 7.1): at most min(slots, held + credit).
        var capacity: [Data: Int] = [:], held: [Data: Int] = [:]
        var results: [String: Int] = [:], welcomed = Set<Data>(), workersUsed: [Data] = []
        let jobs = (0..<30).map { FakeCoordinator.assign(100 + $0, sleepMs: $0 % 3) }
        var next = 0
        while results.count < jobs.count, let (id, m) = try coord.next(within: 5000) {
            switch m {
            case .hello(let h):
                welcomed.insert(id)
                try coord.send(.welcome(.init(sessionID: "s", nonce: h.nonce, heartbeatMs: 50, liveness: 20)), to: id)
                coord.peers[id] = "s"
            case .ready(let r): capacity[id] = min(2, held[id, default: 0] + r.credit)
            case .result(let r):
                held[id, default: 0] -= 1
                #expect(held[id, default: 0] >= 0)
                results[r.jobID, default: 0] += 1
                workersUsed.append(id)
                #expect(r.provenance.workerID == String(decoding: id, as: UTF8.self))
                try coord.send(.ack(.init(jobID: r.jobID)), to: id)
            default: break
            }
            // Assign only once all three are in, so the work is shared between processes.
            for (wid, cap) in capacity where welcomed.count == 3 {
                while held[wid, default: 0] < cap && next < jobs.count {
                    try coord.send(.assign(jobs[next]), to: wid)
                    next += 1
                    held[wid, default: 0] += 1
                }
            }
        }
        #expect(welcomed.count == 3)
        #expect(results.count == jobs.count && results.values.allSatisfy { $0 == 1 })
        #expect(Set(workersUsed).count >= 2)
        for (p, _) in procs { kill(p.processIdentifier, SIGTERM) }
        for (p, _) in procs {
            #expect(waitExit(p, seconds: 5))
            #expect(p.terminationStatus == 0)
        }
    }

    /// A stop signal at any moment of startup ends the worker: never ignored, never a hang.
    @Test(arguments: [0, 20_000, 80_000])
    func stopSignalDuringStartupEndsTheWorker(_ delayMicroseconds: Int) throws {
        let (p, logURL) = try launch(["--connect", "tcp://127.0.0.1:1", "--heartbeat-ms", "50"])
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) }; try? FileManager.default.removeItem(at: logURL) }
        usleep(UInt32(delayMicroseconds))
        kill(p.processIdentifier, SIGTERM)
        #expect(waitExit(p, seconds: 5))
    }

    @Test func optionsAreValidated() throws {
        let e = "tcp://127.0.0.1:1"
        #expect(throws: (any Error).self) { try WorkerCommand.parseAsRoot(["--connect", e, "--slots", "0"]) }
        #expect(throws: (any Error).self) { try WorkerCommand.parseAsRoot(["--connect", e, "--liveness", "1"]) }
        #expect(throws: (any Error).self) { try WorkerCommand.parseAsRoot(["--connect", e, "--curve-secret-file", "/x"]) }
        // A host that does not resolve is refused up front (issue 10), not retried forever.
        #expect(throws: (any Error).self) { try WorkerCommand.parseAsRoot(["--connect", "tcp://no-such-host.invalid:1"]) }
        let cmd = try #require(try WorkerCommand.parseAsRoot(["--connect", e]) as? WorkerCommand)
        let c = try cmd.serve.configuration(endpoint: e)
        #expect(c.slots == ProcessInfo.processInfo.activeProcessorCount)
        #expect(c.workerID.hasPrefix(c.host + "-\(getpid())-") && c.workerID.count == c.host.count + "\(getpid())".count + 6)
        #expect(c.heartbeatMs == 1000 && c.liveness == 4 && c.curve == nil)
        #expect(WorkerCommand.configuration.commandName == "urnn-worker")
    }
}
