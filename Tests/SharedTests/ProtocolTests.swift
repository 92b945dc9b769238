import Foundation
import Testing
@testable import Shared

/// One example of every command, with awkward values (NaN, unicode, empty lists).
enum ProtocolSamples {
    static let spec = JobSpec(noop: NoopSpec(token: 7, sleepMilliseconds: 3))
    static let outcome = JobOutcome(status: .diverged, metrics: ["test_r2": .nan, "x": .infinity, "y": -0.5],
                                    series: ["loss": [1, .nan, -.infinity]], events: ["rolled back ☃"], divergedEpoch: 4)
    static let provenance = Provenance(host: "h1", workerID: "w-1", buildVersion: BuildInfo.version, wallSeconds: 0.25)

    static let all: [Message] = [
        .hello(.init(workerID: "host-12-abcd", host: "host", pid: 12, slots: 4, buildVersion: BuildInfo.version,
                     capabilities: JobKind.allCases.map(\.rawValue), nonce: "n1", running: ["j0"])),
        .welcome(.init(sessionID: "s1", nonce: "n1", heartbeatMs: 1000, liveness: 4)),
        .ready(.init(credit: 3)),
        .assign(.init(jobID: spec.id, leaseID: "l1", spec: spec, leaseMs: 4000)),
        .heartbeat(.init(running: ["a", "b"], free: 2)),
        .heartbeat(.init(sessionID: "s1")),
        .heartbeat(.init()),
        .result(.init(jobID: spec.id, leaseID: "l1", outcome: outcome, provenance: provenance)),
        .ack(.init(jobID: spec.id)),
        .failure(.init(jobID: spec.id, leaseID: "l1", error: "boom\n\"quoted\"", retryable: false)),
        .disconnect(.init(reason: "SIGTERM", jobs: ["a"])),
        .disconnect(.init(reason: "sweep finished")),
        .error(.init(code: "unknown-command", message: "what is 0x7f", command: 0x7F)),
        .cancel(.init(jobs: [spec.id, "b"], reason: "timed out after 600 s")),
    ]
}

@Suite struct ProtocolRoundTripTests {
    @Test func everyCommandHasASample() {
        let covered = Set(ProtocolSamples.all.map(\.command))
        #expect(covered == Set(Message.Command.allCases))
    }

    @Test(arguments: ProtocolSamples.all)
    func roundTrip(_ message: Message) throws {
        let frames = message.encode()
        #expect(frames.count == 3)
        #expect(frames[0] == Data("URNS".utf8) + [1])
        #expect(frames[1] == Data([message.command.rawValue]))
        #expect(try Message.decode(frames) == message)
    }

    @Test func routedRoundTripKeepsTheRoutingID() throws {
        let id = Data("worker-9".utf8)
        for m in ProtocolSamples.all {
            let (rid, back) = try Message.decodeRouted(m.encode(to: id))
            #expect(rid == id)
            #expect(back == m)
        }
    }

    @Test func nanSurvivesTheWire() throws {
        let m = ProtocolSamples.all.first { $0.command == .result }!
        guard case .result(let r) = try Message.decode(m.encode()) else { Issue.record("not a result"); return }
        #expect(r.outcome.metrics["test_r2"]!.isNaN)
        #expect(r.outcome.metrics["x"] == .infinity)
        #expect(r.outcome.series["loss"]![1].isNaN)
    }

    @Test func bodiesAreTheDocumentedJSON() throws {
        // PROTOCOL.md promises these exact field names; a rename must fail here.
        let hello = String(decoding: ProtocolSamples.all[0].encode()[2], as: UTF8.self)
        #expect(hello.hasPrefix(#"{"buildVersion":"urnnsweep-"#))
        for key in ["capabilities", "host", "nonce", "pid", "running", "slots", "workerID"] { #expect(hello.contains("\"\(key)\":")) }
        #expect(String(decoding: Message.ready(.init(credit: 2)).encode()[2], as: UTF8.self) == #"{"credit":2}"#)
        #expect(String(decoding: Message.ack(.init(jobID: "j")).encode()[2], as: UTF8.self) == #"{"jobID":"j"}"#)
        #expect(String(decoding: Message.heartbeat(.init()).encode()[2], as: UTF8.self) == "{}")
    }

    @Test func unknownFieldsAreIgnoredAndOptionalOnesMayBeOmitted() throws {
        let body = Data(#"{"workerID":"w","host":"h","pid":1,"slots":2,"buildVersion":"b","capabilities":["noop","future-kind"],"nonce":"n","extra":{"a":1}}"#.utf8)
        let m = try Message.decode([Message.signature + [1], Data([0x01]), body])
        guard case .hello(let h) = m else { Issue.record("not hello"); return }
        #expect(h.running == [])
        #expect(h.capabilities == ["noop", "future-kind"])
    }
}

extension Message: CustomTestStringConvertible {
    public var testDescription: String { "\(command)" }
}
