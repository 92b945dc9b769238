import Foundation
import Shared
import Testing

extension LiveSweeps {
    /// Garbage from the network (PROTOCOL.md section 10): a live coordinator answers ERROR with
    /// the matching code where it can route one, never crashes, and keeps serving real workers.
    @Suite struct BadInput {
        typealias Code = ProtocolError.Code
        static let jobs = 6

        /// A live coordinator on a noop sweep, with no worker yet.
        struct Live {
            let scratch: Scratch
            let children: Children
            let cmd: Commands
            let coordinator: Child
            let store: String
            let port: Int
            var endpoint: String { "tcp://127.0.0.1:\(port)" }

            init(_ label: String, extra: [String] = []) throws {
                try Bin.require()
                scratch = try Scratch(label)
                children = Children(scratch)
                cmd = Commands(scratch: scratch, children: children)
                let sweep = try scratch.write("bad-input.yaml", noopSweep(name: "integ-\(label)", count: BadInput.jobs, sleepMs: 0))
                store = scratch.path("\(label).sqlite")
                port = try freeLoopbackPort()
                coordinator = try cmd.coordinator(sweep: sweep, store: store, port: port,
                                                  extra: ["--heartbeat-ms", "200", "--liveness", "3"] + extra)
            }

            func client(_ name: String) throws -> RawClient {
                try RawClient(endpoint: endpoint, id: "\(name)-\(getpid())-\(UUID().uuidString.prefix(4))")
            }

            /// A real worker finishes the sweep; the coordinator exits 0 with every job stored once.
            func expectStillServes(sourceLocation: SourceLocation = #_sourceLocation) throws {
                #expect(coordinator.isRunning, "coordinator died\n\(coordinator.diagnostics)", sourceLocation: sourceLocation)
                _ = try cmd.worker(port: port, id: "integ-honest-\(getpid())", slots: 2, heartbeatMs: 200)
                try #require(coordinator.waitExit(timeout: 30), "sweep did not finish\n\(children.diagnostics)",
                             sourceLocation: sourceLocation)
                #expect(coordinator.process.terminationReason == .exit && coordinator.process.terminationStatus == 0,
                        "\(coordinator.diagnostics)", sourceLocation: sourceLocation)
                let status = try cmd.status(store: store)
                #expect(status.done == BadInput.jobs && status.failed == 0, sourceLocation: sourceLocation)
                let records = try cmd.export(store: store)
                #expect(records.count == BadInput.jobs && records.duplicateIDs.isEmpty, sourceLocation: sourceLocation)
            }
        }

        static let hello = Message.hello(.init(workerID: "x", host: "raw", pid: 1, slots: 1, buildVersion: BuildInfo.version,
                                               capabilities: [], nonce: "n1")).encode()

        @Test(.timeLimit(.minutes(2)))
        func malformedFramesGetTheMatchingErrorAndTheCoordinatorKeepsServing() throws {
            let live = try Live("badframes")
            defer { live.children.killAll() }
            let h = RawClient.header, body = RawClient.body
            let c = try live.client("raw-frames")

            try c.expectError(after: [body("garbage")], code: .badFrames, "one garbage frame")
            try c.expectError(after: [Data()], code: .badFrames, "one empty frame")
            try c.expectError(after: [h, RawClient.command(.hello)], code: .badFrames, "two frames")
            try c.expectError(after: Self.hello + [body("{}")], code: .badFrames, "four frames")
            try c.expectError(after: [h, Data([0x01, 0x01]), body("{}")], code: .badFrames, "two-byte command frame")
            try c.expectError(after: [body("XXXX\u{1}"), RawClient.command(.hello), Self.hello[2]], code: .badSignature, "bad signature")
            try c.expectError(after: [body("URNS"), RawClient.command(.hello), Self.hello[2]], code: .badSignature, "short signature")
            let v = try c.expectError(after: [body("URNS") + [2], RawClient.command(.hello), Self.hello[2]],
                                      code: .unsupportedVersion, "version 2")
            #expect(v?.message.contains("2") == true)
            try c.expectError(after: [h, Data([0x7F]), body("{}")], code: .unknownCommand, command: 0x7F, "command 0x7f")
            try c.expectError(after: [h, Data([0x00]), body("{}")], code: .unknownCommand, command: 0x00, "command 0x00")
            try c.expectError(after: [h, Data([0x0C]), body("{}")], code: .unknownCommand, command: 0x0C, "command 0x0c")
            try c.expectError(after: [h, RawClient.command(.hello), body("{not json")], code: .malformedBody, command: 1, "bad JSON")
            try c.expectError(after: [h, RawClient.command(.hello), Data([0xFF, 0xFE, 0x00])], code: .malformedBody, command: 1, "not UTF-8")
            try c.expectError(after: [h, RawClient.command(.ready), body("[1,2]")], code: .malformedBody, command: 3, "array body")
            try c.expectError(after: [h, RawClient.command(.hello), body(#"{"workerID":"x"}"#)], code: .malformedBody, command: 1,
                              "HELLO missing fields")
            let zeroSlots = Message.hello(.init(workerID: c.id, host: "raw", pid: 1, slots: 0, buildVersion: BuildInfo.version,
                                                capabilities: ["noop"], nonce: "n2")).encode()
            try c.expectError(after: zeroSlots, code: .malformedBody, command: 1, "HELLO with 0 slots")
            try c.expectError(after: Message.ready(.init(credit: 0)).encode(), code: .malformedBody, command: 3, "READY credit 0")
            // A body of exactly the limit passes libzmq's per-frame ZMQ_MAXMSGSIZE, but the
            // message as a whole (+ 6 header bytes) is over it: the codec says `oversize`.
            try c.expectError(after: [h, RawClient.command(.heartbeat), Data(count: Message.maxBytes)], code: .oversize,
                              "message 6 bytes over the limit")
            c.close()

            // Commands before HELLO.
            let fresh = try live.client("raw-nohello")
            try fresh.expectError(after: Message.ready(.init(credit: 1)).encode(), code: .helloRequired, "READY before HELLO")
            try fresh.expectError(after: Message.heartbeat(.init(running: [], free: 1)).encode(), code: .helloRequired,
                                  "HEARTBEAT before HELLO")
            fresh.close()

            // A frame over ZMQ_MAXMSGSIZE: libzmq drops the connection; nothing answers, nothing breaks.
            let big = try live.client("raw-big")
            try big.send([h, RawClient.command(.heartbeat), Data(count: Message.maxBytes + 1)])
            #expect(try big.nextNonHeartbeat(within: 500) == nil)
            // libzmq reconnects the dropped peer by itself; the coordinator holds nothing against it.
            #expect(try big.hello() != nil, "no WELCOME on the reconnected connection")
            big.close()

            // After all that, a well-behaved session still works...
            let good = try live.client("raw-good")
            let welcome = try #require(try good.hello(), "no WELCOME after the bad input")
            #expect(welcome.heartbeatMs == 200 && welcome.liveness == 3 && !welcome.sessionID.isEmpty)
            good.close()
            // ...and a real worker finishes the sweep.
            try live.expectStillServes()
            #expect(live.coordinator.stderr.contains("malformed"), "bad input was not logged")
        }

        @Test(.timeLimit(.minutes(2)))
        func wrongCommandsInASessionAreRefusedAndAbandonedLeasesComeBack() throws {
            let live = try Live("badsession")
            defer { live.children.killAll() }

            // Commands only a coordinator sends.
            let c = try live.client("raw-session")
            try #require(try c.hello() != nil, "no WELCOME")
            let assign = Message.assign(.init(jobID: "ab", leaseID: "l", spec: JobSpec(noop: NoopSpec(token: 1)), leaseMs: 10))
            try c.expectError(after: assign.encode(), code: .unexpectedCommand, command: 4, "ASSIGN from a worker")
            try c.expectError(after: Message.welcome(.init(sessionID: "s", nonce: "n", heartbeatMs: 1, liveness: 1)).encode(),
                              code: .unexpectedCommand, command: 2, "WELCOME from a worker")
            try c.expectError(after: Message.ack(.init(jobID: "ab")).encode(), code: .unexpectedCommand, command: 7, "ACK from a worker")
            try c.expectError(after: Message.error(.init(code: "x", message: "y")).encode(), code: .unexpectedCommand, command: 10,
                              "ERROR from a worker")
            c.close()

            // A worker that takes a job and vanishes without a word: the lease comes back.
            let thief = try live.client("raw-thief")
            try #require(try thief.hello(slots: 1, capabilities: ["noop"]) != nil)
            try thief.send(.ready(.init(credit: 1)))
            guard case .assign(let stolen) = try thief.nextNonHeartbeat() else {
                Issue.record("no ASSIGN for a READY worker"); return
            }
            thief.close()

            try live.expectStillServes()
            let records = try live.cmd.export(store: live.store)
            #expect(records.contains { $0.jobID == stolen.jobID && $0.provenance.workerID.hasPrefix("integ-honest-") })
        }

        /// PROTOCOL.md 7.1: HELLO sets the worker's capacity to its `slots`, READY only re-states
        /// how many are free, and the coordinator never holds more than `slots` leases for it;
        /// section 6, coordinator rule 2: "It MUST NOT assign a job whose kind is not in the
        /// worker's `capabilities`".
        @Test(.timeLimit(.minutes(2)))
        func noJobBeyondSlotsOrCapability() throws {
            let live = try Live("credit")
            defer { live.children.killAll() }
            func assigned(_ c: RawClient) throws -> Message.Assign? {
                while let m = try c.nextNonHeartbeat(within: 800) { if case .assign(let a) = m { return a } }
                return nil
            }

            // Capable, no READY: at most `slots` jobs, even when READY over-states the free slots.
            let silent = try live.client("raw-nocredit")
            try #require(try silent.hello(slots: 2, capabilities: ["noop"]) != nil)
            var got: [Message.Assign] = []
            while let a = try assigned(silent) { got.append(a) }
            #expect(got.count == 2, "a 2-slot worker got \(got.count) jobs after HELLO")
            try silent.send(.ready(.init(credit: 5)))
            #expect(try assigned(silent) == nil, "READY pushed a full worker past its slots")
            silent.close()

            // Credit, but only kinds this sweep does not have.
            let other = try live.client("raw-synthetic-only")
            try #require(try other.hello(slots: 1, capabilities: ["synthetic"]) != nil)
            try other.send(.ready(.init(credit: 1)))
            #expect(try assigned(other) == nil, "a noop job went to a synthetic-only worker")
            other.close()

            // Credit, but no capabilities at all (or only kinds the coordinator does not know).
            for (name, caps) in [("raw-nocaps", [String]()), ("raw-futurecaps", ["gpu-synthetic"])] {
                let none = try live.client(name)
                try #require(try none.hello(slots: 1, capabilities: caps) != nil)
                try none.send(.ready(.init(credit: 1)))
                let a = try assigned(none)
                #expect(a == nil, "capabilities \(caps) got a noop job: \(String(describing: a))")
                none.close()
            }

            // The jobs handed to the raw clients come back; a real worker finishes the sweep.
            try live.expectStillServes()
        }

        /// PROTOCOL.md 8.3: "The coordinator MUST ACK every RESULT it receives for a job that is
        /// already finished, unknown, or no longer leased to this worker", so the worker can
        /// forget it (otherwise it resends it after every WELCOME, forever).
        @Test(.timeLimit(.minutes(2)))
        func resultForAnUnknownJobIsAcknowledged() throws {
            let live = try Live("unknownresult")
            defer { live.children.killAll() }
            let c = try live.client("raw-result")
            try #require(try c.hello() != nil, "no WELCOME")
            let unknown = String(repeating: "f", count: 32)
            let result = Message.result(.init(jobID: unknown, leaseID: "nope",
                                              outcome: JobOutcome(metrics: ["token": 1]),
                                              provenance: Provenance(host: "raw", workerID: c.id, buildVersion: BuildInfo.version,
                                                                     wallSeconds: 0)))
            try c.send(result)
            let reply = try c.nextReply()
            #expect(reply == .ack(.init(jobID: unknown)), "got \(String(describing: reply))")
            c.close()
            try live.expectStillServes()
            #expect(try live.cmd.export(store: live.store).allSatisfy { $0.jobID != unknown })
        }
    }
}
