import Foundation
import Testing
@testable import Shared

@Suite struct JobSpecTests {
    @Test func sha256MatchesFIPSVectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func jobIDIsStableAndSensitive() throws {
        let a = JobSpec(synthetic: SyntheticSpec(model: .urnn, hidden: 8, realization: 3))
        let b = JobSpec(synthetic: SyntheticSpec(model: .urnn, hidden: 8, realization: 3))
        let c = JobSpec(synthetic: SyntheticSpec(model: .urnn, hidden: 8, realization: 4))
        #expect(a.id == b.id)
        #expect(a.id != c.id)
        #expect(a.id.count == 32)
        // Round trip through JSON keeps the id.
        let decoded = try JSON.decode(JobSpec.self, from: a.canonicalJSON())
        #expect(decoded.id == a.id)
        // Canonical bytes are sorted-key JSON.
        let text = String(decoding: a.canonicalJSON(), as: UTF8.self)
        #expect(text.hasPrefix("{\"kind\":\"synthetic\",\"synthetic\":{"))
    }

    @Test func validationNamesTheField() {
        var s = SyntheticSpec(model: .rnn, hidden: 0)
        #expect(throws: SpecError.self) { try JobSpec(synthetic: s).validate() }
        s.hidden = 4; s.snrDB = .nan
        do { try JobSpec(synthetic: s).validate(); Issue.record("accepted NaN SNR") }
        catch let e as SpecError { #expect(e.field == "snrDB") } catch { Issue.record("\(error)") }
        s.snrDB = 20; s.epochs = 0
        do { try JobSpec(synthetic: s).validate(); Issue.record("accepted 0 epochs") }
        catch let e as SpecError { #expect(e.field == "epochs") } catch { Issue.record("\(error)") }
    }

    @Test func outcomeWithNaNSurvivesJSON() throws {
        let o = JobOutcome(status: .diverged, metrics: ["test_r2": .nan, "x": .infinity], divergedEpoch: 3)
        let back = try JSON.decode(JobOutcome.self, from: JSON.encode(o))
        #expect(back.bitwiseEqual(o))
        #expect(back.metrics["test_r2"]!.isNaN)
    }

    @Test func randomStreamsAreReproducibleAndDistinct() {
        var a = Xoshiro256(seed: 7, stream: "teacher", index: 1)
        var b = Xoshiro256(seed: 7, stream: "teacher", index: 1)
        var c = Xoshiro256(seed: 7, stream: "teacher", index: 2)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
        var g = Xoshiro256(seed: 1)
        let n = 100_000
        var s = 0.0, s2 = 0.0
        for _ in 0..<n { let x = g.gaussian(); s += x; s2 += x * x }
        #expect(abs(s / Double(n)) < 0.02)
        #expect(abs(s2 / Double(n) - 1) < 0.02)
    }
}
