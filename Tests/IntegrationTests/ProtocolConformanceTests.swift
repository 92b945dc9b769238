import Foundation
import Shared
import Testing
import TestSupport

/// Places where a worker built from docs/PROTOCOL.md alone found the coordinator and the spec
/// disagreeing (issue 10): forged results, HELLO identity, byte-order marks, closing counters.
extension LiveSweeps {
    @Suite struct ProtocolConformance {
        /// A RESULT counts only from the job's lease holder: one from an id without a session is
        /// answered hello-required (FAILURE too), one from a session that never held the lease is
        /// ACKed, refused and logged; the honest run is what gets stored; duplicates and refusals
        /// show in the closing counters.
        @Test(.timeLimit(.minutes(2)))
        func forgedResultsAreRefusedAndTheCountersSaySo() throws {
            let live = try BadInput.Live("forged")
            defer { live.children.killAll() }
            try #require(waitUntil(timeout: 30) { live.coordinator.stderr.contains("listening on") }, "\(live.coordinator.diagnostics)")
            let target = JobSpec(noop: NoopSpec(token: 0)).id   // job ids are a public hash of the spec
            func forged(_ c: RawClient) -> Message {
                .result(.init(jobID: target, leaseID: "forged", outcome: JobOutcome(metrics: ["token": 999]),
                              provenance: Provenance(host: "evil", workerID: c.id, buildVersion: "evil", wallSeconds: 0)))
            }
            let stranger = try live.client("raw-stranger")
            try stranger.expectError(after: forged(stranger).encode(), code: .helloRequired, "RESULT without HELLO")
            try stranger.expectError(after: Message.failure(.init(jobID: target, leaseID: "forged", error: "x", retryable: false)).encode(),
                                     code: .helloRequired, "FAILURE without HELLO")
            let insider = try live.client("raw-insider")
            try #require(try insider.hello(slots: 1, capabilities: []) != nil, "no WELCOME")
            try insider.send(forged(insider))
            #expect(try insider.nextReply() == .ack(.init(jobID: target)), "a refused RESULT is still ACKed, so it is forgotten")

            // An honest raw worker takes one job and reports it twice: stored once, one duplicate.
            let honest = try live.client("raw-honest")
            try #require(try honest.hello(slots: 1, capabilities: ["noop"]) != nil, "no WELCOME")
            try honest.send(.ready(.init(credit: 1)))
            var assign: Message.Assign?
            while assign == nil, let m = try honest.nextNonHeartbeat(within: 3000) { if case .assign(let a) = m { assign = a } }
            let a = try #require(assign, "no ASSIGN")
            let result = Message.result(.init(jobID: a.jobID, leaseID: a.leaseID, outcome: JobOutcome(metrics: ["token": a.spec.noop!.token.double]),
                                              provenance: Provenance(host: "raw", workerID: honest.id, buildVersion: "raw", wallSeconds: 0)))
            for _ in 0..<2 {
                try honest.send(result)
                #expect(try honest.nextReply() == .ack(.init(jobID: a.jobID)))
            }
            for c in [stranger, insider, honest] { c.close() }
            try live.expectStillServes()
            let stored = try #require(try live.cmd.export(store: live.store).first { $0.jobID == target })
            #expect(stored.outcome.metrics["token"] == 0 && stored.provenance.host != "evil", "a forged result was stored: \(stored)")
            let log = live.coordinator.stderr
            #expect(log.contains("refused RESULT for job \(target) from \(insider.id)"), "\(live.coordinator.diagnostics)")
            let closing = try #require(log.split(separator: "\n").last { $0.contains("duplicates ") }.map(String.init))
            #expect(number(after: "duplicates ", in: closing).map { $0 >= 1 } == true, "\(closing)")
            #expect(number(after: "refused ", in: closing).map { $0 >= 1 } == true, "\(closing)")
        }

        /// A HELLO whose workerID is not its routing id, and a body with a byte-order mark, are
        /// refused (PROTOCOL.md sections 2 and 4.2) with malformed-body; a proper HELLO then works.
        @Test(.timeLimit(.minutes(1)))
        func helloIdentityAndByteOrderMarkAreChecked() throws {
            let live = try BadInput.Live("helloid", extra: ["--stay"])
            defer { live.children.killAll() }
            let c = try live.client("raw-id")
            let other = Message.hello(.init(workerID: "someone-else", host: "raw", pid: 1, slots: 1, buildVersion: BuildInfo.version,
                                            capabilities: [], nonce: "n1")).encode()
            let e = try c.expectError(after: other, code: .malformedBody, command: 1, "HELLO with another workerID")
            #expect(e?.message.contains("routing id") == true, "\(String(describing: e))")
            var bom = Message.hello(.init(workerID: c.id, host: "raw", pid: 1, slots: 1, buildVersion: BuildInfo.version,
                                          capabilities: [], nonce: "n2")).encode()
            bom[2] = Data([0xEF, 0xBB, 0xBF]) + bom[2]
            let b = try c.expectError(after: bom, code: .malformedBody, command: 1, "HELLO body with a byte-order mark")
            #expect(b?.message.contains("byte-order mark") == true, "\(String(describing: b))")
            #expect(try c.hello() != nil, "a proper HELLO got no WELCOME")
        }
    }
}

private extension Int { var double: Double { Double(self) } }

/// The integer right after `marker` in `text`.
private func number(after marker: String, in text: String) -> Int? {
    guard let r = text.range(of: marker) else { return nil }
    return Int(text[r.upperBound...].prefix { $0.isNumber })
}
