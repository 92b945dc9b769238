import Foundation
import Shared
import Testing

/// Workers of another protocol version or another build against a live coordinator
/// (PROTOCOL.md 4.5; issue 12).
extension LiveSweeps {
    @Suite struct ProtocolVersions {
        /// A client speaking protocol version 2 is refused: every message it sends is answered with
        /// ERROR unsupported-version saying both versions and what to do, it gets no session and no
        /// job, the refusal is logged once, and the coordinator goes on serving.
        @Test(.timeLimit(.minutes(2)))
        func anotherProtocolVersionIsRefusedWithAClearMessage() throws {
            let live = try BadInput.Live("version2")
            defer { live.children.killAll() }
            let c = try live.client("raw-v2")
            let hello = Message.hello(.init(workerID: c.id, host: "future-host", pid: 7, slots: 2, buildVersion: "urnnsweep-9.0.0",
                                            capabilities: ["noop"], nonce: "n1")).encode()
            let v2 = [Message.signature + [2], hello[1], hello[2]]
            let e = try c.expectError(after: v2, code: .unsupportedVersion, command: 1, "HELLO in version 2")
            #expect(e?.message == "protocol version 2 is not supported: this coordinator (\(BuildInfo.build)) speaks version 1; "
                    + "run workers of the coordinator's release")
            try c.expectError(after: v2, code: .unsupportedVersion, "HELLO in version 2 again")
            try c.expectError(after: [Message.signature + [2]] + Message.ready(.init(credit: 1)).encode().dropFirst(),
                              code: .unsupportedVersion, "READY in version 2")
            #expect(c.assigned.isEmpty, "a refused client was given jobs")
            let line = "refused worker \(c.id) on future-host (urnnsweep-9.0.0): it speaks protocol version 2, this coordinator "
                + "(\(BuildInfo.build)) version 1"
            #expect(live.coordinator.stderr.components(separatedBy: line).count - 1 == 1, "\(live.coordinator.diagnostics)")
            try live.expectStillServes()
        }

        /// A worker of another build of this protocol version is served, with one warning per
        /// worker, however often it says HELLO.
        @Test(.timeLimit(.minutes(2)))
        func anotherBuildIsServedWithOneWarning() throws {
            let live = try BadInput.Live("otherbuild")
            defer { live.children.killAll() }
            let c = try live.client("raw-build")
            for n in 1...3 {
                try c.send(.hello(.init(workerID: c.id, host: "old-host", pid: Int(getpid()), slots: 1, buildVersion: "urnnsweep-0.0.9+baseline",
                                        capabilities: [], nonce: "n\(n)")))
                guard case .welcome(let w) = try c.nextReply() else { Issue.record("no WELCOME for HELLO \(n)"); return }
                #expect(w.nonce == "n\(n)")
            }
            let warning = "worker \(c.id) on old-host runs urnnsweep-0.0.9+baseline, this coordinator \(BuildInfo.build): another release"
            #expect(live.coordinator.stderr.components(separatedBy: warning).count - 1 == 1, "\(live.coordinator.diagnostics)")
            c.close()
            try live.expectStillServes()
        }
    }
}
