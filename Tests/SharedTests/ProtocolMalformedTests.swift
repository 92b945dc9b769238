import Foundation
import Testing
@testable import Shared

@Suite struct ProtocolMalformedTests {
    let good = Message.ready(.init(credit: 1)).encode()

    private func expectError(_ frames: [Data], _ expected: ProtocolError, maxBytes: Int = Message.maxBytes,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let m = try Message.decode(frames, maxBytes: maxBytes)
            Issue.record("decoded \(m) instead of failing with \(expected)", sourceLocation: sourceLocation)
        } catch let e as ProtocolError {
            #expect(e == expected, sourceLocation: sourceLocation)
        } catch {
            Issue.record("untyped error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func wrongFrameCounts() {
        expectError([], .wrongFrameCount(0))
        expectError(Array(good.prefix(2)), .wrongFrameCount(2))
        expectError(good + [Data()], .wrongFrameCount(4))
    }

    @Test func badSignatures() {
        expectError([Data(), good[1], good[2]], .badSignature)
        expectError([Data("URN".utf8), good[1], good[2]], .badSignature)
        expectError([Data("MDPW".utf8) + [1], good[1], good[2]], .badSignature)
        expectError([Data("URNS".utf8) + [1, 0], good[1], good[2]], .badSignature)
    }

    /// Section 4.2: no byte-order mark (JSONDecoder alone would accept one).
    @Test func aBodyWithAByteOrderMarkIsMalformed() {
        expectError([good[0], good[1], Data([0xEF, 0xBB, 0xBF]) + good[2]],
                    .malformedBody(.ready, "the body starts with a byte-order mark"))
    }

    @Test func unsupportedVersions() {
        expectError([Data("URNS".utf8) + [2], good[1], good[2]], .unsupportedVersion(2))
        expectError([Data("URNS".utf8) + [0], good[1], good[2]], .unsupportedVersion(0))
    }

    @Test func unknownAndBadCommandFrames() {
        expectError([good[0], Data([0x7F]), good[2]], .unknownCommand(0x7F))
        expectError([good[0], Data([0x00]), good[2]], .unknownCommand(0))
        expectError([good[0], Data(), good[2]], .badCommandFrame(length: 0))
        expectError([good[0], Data([3, 3]), good[2]], .badCommandFrame(length: 2))
    }

    @Test func malformedBodies() throws {
        func body(_ s: String, _ c: Message.Command = .ready) -> [Data] { [good[0], Data([c.rawValue]), Data(s.utf8)] }
        for bad in ["", "{", "[]", "null", #"{"credit":"two"}"#, #"{"credit":1.5}"#, #"{}"#, "\u{0}"] {
            let e = #expect(throws: ProtocolError.self) { try Message.decode(body(bad)) }
            guard case .malformedBody(.ready, _)? = e else { Issue.record("\(bad): \(String(describing: e))"); continue }
        }
        // Field rules beyond types.
        expectError(body(#"{"credit":0}"#), .malformedBody(.ready, "credit must be at least 1"))
        expectError(body(#"{"sessionID":"s","nonce":"n","heartbeatMs":0,"liveness":3}"#, .welcome),
                    .malformedBody(.welcome, "heartbeatMs must be at least 1"))
        expectError(body(#"{"jobs":[],"reason":"cancelled"}"#, .cancel), .malformedBody(.cancel, "jobs must not be empty"))
        expectError(body(#"{"jobs":["a",""],"reason":"cancelled"}"#, .cancel), .malformedBody(.cancel, "job ids must not be empty"))
        // An ASSIGN whose spec has an unknown job kind.
        let assign = #"{"jobID":"j","leaseID":"l","leaseMs":5,"spec":{"kind":"quantum","version":1}}"#
        let e = #expect(throws: ProtocolError.self) { try Message.decode(body(assign, .assign)) }
        guard case .malformedBody(.assign, let why)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(why.contains("kind"))
    }

    @Test func invalidUTF8InBodyIsMalformed() {
        let e = #expect(throws: ProtocolError.self) { try Message.decode([good[0], good[1], Data([0xFF, 0xFE, 0x7B])]) }
        #expect(e?.code == .malformedBody)
    }

    @Test func oversizeIsRejectedBeforeParsing() {
        let big = Data(repeating: 0x20, count: 2000)
        expectError([good[0], good[1], big], .oversize(bytes: 2006, limit: 1000), maxBytes: 1000)
        // At the limit is fine.
        let exact = good[0].count + good[1].count + good[2].count
        #expect((try? Message.decode(good, maxBytes: exact)) != nil)
    }

    @Test func routedDecodeKeepsTheSenderOfABadMessage() {
        let frames = [Data("w7".utf8), good[0], Data([0x55]), good[2]]
        let e = #expect(throws: RoutedDecodeError.self) { try Message.decodeRouted(frames) }
        #expect(e?.routingID == Data("w7".utf8))
        #expect(e?.error == .unknownCommand(0x55))
        #expect(e?.error.report.command == 0x55)
        #expect(e?.error.report.code == "unknown-command")
        #expect(throws: ProtocolError.wrongFrameCount(0)) { try Message.decodeRouted([]) }
    }

    /// Random frames never trap, whatever they hold; every failure is typed.
    @Test func fuzzedFramesNeverTrap() {
        var rng = Xoshiro256(seed: 2026)
        let seeds = ProtocolSamples.all.map { $0.encode() }
        for i in 0..<3000 {
            var frames = seeds[i % seeds.count]
            let k = Int(rng.next() % 3)
            var f = [UInt8](frames[k])
            switch rng.next() % 4 {
            case 0 where !f.isEmpty: f[Int(rng.next() % UInt64(f.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1 where !f.isEmpty: f.removeLast(Int(rng.next() % UInt64(f.count)) + 1)
            case 2: f.append(UInt8(truncatingIfNeeded: rng.next()))
            default: frames.append(Data())
            }
            if k < frames.count { frames[k] = Data(f) }
            do { _ = try Message.decode(frames) } catch is ProtocolError {} catch {
                Issue.record("seed 2026 case \(i): untyped error \(error)")
            }
        }
    }
}

/// The two things every protocol version shares (PROTOCOL.md 4.5): frame 0's layout and ERROR.
@Suite struct ProtocolVersionTests {
    static func error(version: UInt8, code: String = "unsupported-version", message: String = "no") throws -> [Data] {
        [Message.signature + [version], Data([0x0A]), try JSON.encode(Message.ErrorReport(code: code, message: message, command: 1))]
    }

    @Test func theVersionByteIsReadOnlyFromASignatureFrame() {
        #expect(Message.protocolVersion(ofFrames: Message.ready(.init(credit: 1)).encode()) == Message.version)
        #expect(Message.protocolVersion(ofFrames: [Message.signature + [7]]) == 7)
        #expect(Message.protocolVersion(ofFrames: [Data("URNX".utf8) + [1]]) == nil)
        #expect(Message.protocolVersion(ofFrames: [Message.signature + [1, 1]]) == nil)
        #expect(Message.protocolVersion(ofFrames: []) == nil)
    }

    @Test func anErrorIsReadInAnyVersionsFraming() throws {
        let v2 = try Self.error(version: 2, message: "speak 2")
        #expect(throws: ProtocolError.unsupportedVersion(2)) { try Message.decode(v2) }   // decode stays strict
        let read = try #require(Message.decodeErrorOfAnyVersion(v2))
        #expect(read.version == 2 && read.report == .init(code: "unsupported-version", message: "speak 2", command: 1))
        #expect(Message.decodeErrorOfAnyVersion(Message.error(.init(code: "x", message: "y")).encode())?.version == Message.version)
    }

    @Test func whatIsNoErrorOfAnyVersionIsNotReadAsOne() throws {
        let v2 = try Self.error(version: 2)
        #expect(Message.decodeErrorOfAnyVersion([Data("XXXX".utf8) + [2], v2[1], v2[2]]) == nil)          // no signature
        #expect(Message.decodeErrorOfAnyVersion([v2[0], Data([0x02]), v2[2]]) == nil)                    // a WELCOME
        #expect(Message.decodeErrorOfAnyVersion([v2[0], v2[1], Data("{\"code\":1}".utf8)]) == nil)        // not an ERROR body
        #expect(Message.decodeErrorOfAnyVersion(Array(v2.prefix(2))) == nil)                            // two frames
        #expect(Message.decodeErrorOfAnyVersion([v2[0], v2[1], Data(count: Message.maxBytes)]) == nil)   // oversize
    }

    @Test func aHelloOfAnyVersionSaysWhoSentIt() throws {
        let hello = Message.hello(.init(workerID: "w1", host: "node7", pid: 1, slots: 1, buildVersion: "urnnsweep-9.0.0",
                                        capabilities: [], nonce: "n")).encode()
        let claims = Message.helloClaimsOfAnyVersion([Message.signature + [2], hello[1], hello[2]])
        #expect(claims.workerID == "w1" && claims.host == "node7" && claims.build == "urnnsweep-9.0.0")
        let none = Message.helloClaimsOfAnyVersion([Message.signature + [2], hello[1], Data("[1]".utf8)])
        #expect(none.workerID == nil && none.host == nil && none.build == nil)
        #expect(Message.helloClaimsOfAnyVersion(Message.ready(.init(credit: 1)).encode()).workerID == nil)
    }
}
