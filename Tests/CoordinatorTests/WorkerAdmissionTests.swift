import Foundation
import Shared
import Testing
@testable import Coordinator

/// Which workers the coordinator serves, by protocol version and build (PROTOCOL.md 4.5).
@Suite struct WorkerAdmissionTests {
    static func hello(_ id: String, build: String) -> Message.Hello {
        .init(workerID: id, host: "node7", pid: 42, slots: 1, buildVersion: build, capabilities: [], nonce: "n")
    }

    @Test func anotherVersionIsRefusedWithAReasonAndLoggedOncePerConnection() {
        var a = WorkerAdmission(build: "urnnsweep-0.1.0+x86-64-v3", version: 1)
        let hello = Message.hello(Self.hello("w9", build: "urnnsweep-0.2.0+baseline")).encode()
        let frames = [Message.signature + [2], hello[1], hello[2]]
        let first = a.refuse(version: 2, frames: frames, from: Data("w9".utf8))
        #expect(first.reply.code == "unsupported-version" && first.reply.command == 1)
        #expect(first.reply.message == "protocol version 2 is not supported: this coordinator (urnnsweep-0.1.0+x86-64-v3) "
                + "speaks version 1; run workers of the coordinator's release")
        #expect(first.log == "refused worker w9 on node7 (urnnsweep-0.2.0+baseline): it speaks protocol version 2, this "
                + "coordinator (urnnsweep-0.1.0+x86-64-v3) version 1; told it so with ERROR unsupported-version")
        let again = a.refuse(version: 2, frames: frames, from: Data("w9".utf8))
        #expect(again.reply == first.reply && again.log == nil)
        let other = a.refuse(version: 3, frames: [Message.signature + [3], Data([5]), Data("{}".utf8)], from: Data([0, 1]))
        #expect(other.log?.hasPrefix("refused worker 0001: it speaks protocol version 3") == true, "\(other.log ?? "nil")")
    }

    @Test func anotherBuildIsWarnedAboutOncePerWorker() {
        var a = WorkerAdmission(build: "urnnsweep-0.1.0+x86-64-v3", version: 1)
        #expect(a.buildWarning(for: Self.hello("w1", build: "urnnsweep-0.1.0+x86-64-v3")) == nil)
        let isa = a.buildWarning(for: Self.hello("w1", build: "urnnsweep-0.1.0+baseline"))
        #expect(isa == "worker w1 on node7 runs urnnsweep-0.1.0+baseline, this coordinator urnnsweep-0.1.0+x86-64-v3: the same "
                + "release for another instruction set (both compute the same bits); same protocol (version 1), so it is "
                + "served, and each result records its build")
        #expect(a.buildWarning(for: Self.hello("w1", build: "urnnsweep-0.1.0+baseline")) == nil)   // its reconnect
        let release = a.buildWarning(for: Self.hello("w2", build: "urnnsweep-0.0.9+x86-64-v3"))
        #expect(release?.contains("another release: its results may differ from this build's") == true, "\(release ?? "nil")")
    }
}
