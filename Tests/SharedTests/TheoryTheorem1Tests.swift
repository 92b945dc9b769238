import Foundation
import Testing
@testable import Shared

@Suite struct TheoryTheorem1Tests {
    /// Property: for random contractive ReLU RNNs of many sizes, norms and bounds the certificate holds.
    @Test func certificateHoldsForRandomContractiveRNNs() throws {
        for seed in 0..<48 {
            var rng = Xoshiro256(seed: UInt64(seed), stream: "test.theorem1")
            let n = 1 + rng.index(below: 10)
            let d = 1 + rng.index(below: 3), p = 1 + rng.index(below: 3)
            let wNorm = [0.0, 0.3, 0.9, 0.99, 0.999][rng.index(below: 5)]
            let m = [0.0, 0.5, 1, 10][rng.index(below: 4)]
            let rnn = try Theorem1.randomRNN(n: n, inputs: d, outputs: p, wNorm: wNorm, inputBound: m, rng: &rng)
            let dil = try UnitaryDilation.construct(rnn)
            let steps = 600
            let x = Theorem1.boundedInputs(steps: steps, d: d, bound: m, rng: &rng)
            let cert = try Theorem1.certify(rnn: rnn, dilation: dil, inputs: x, steps: steps)
            #expect(cert.certified, "seed \(seed) n \(n) ||W|| \(wNorm) M \(m):\n\(cert.text)")
            #expect(cert.orthogonalityError <= 1e-12, "seed \(seed)")
            #expect(cert.maxExtraState == 0, "seed \(seed)")
            #expect(cert.maxOutputRelError <= 1e-12, "seed \(seed)")
            #expect(dil.urnn.n == 2 * n)
        }
    }

    @Test func dilationIsOrthogonalAndKeepsBlocks() throws {
        var rng = Xoshiro256(seed: 5)
        let rnn = try Theorem1.randomRNN(n: 6, inputs: 2, outputs: 3, wNorm: 0.95, inputBound: 2, rng: &rng)
        let u = try UnitaryDilation.construct(rnn).urnn
        let e = u.W.transposed * u.W - Matrix.identity(12)
        #expect(e.maxAbs < 1e-13)
        #expect((u.W * u.W.transposed - Matrix.identity(12)).maxAbs < 1e-13)
        #expect(u.W.block(0, 0, rows: 6, cols: 6) == rnn.W)
        #expect(u.W.block(6, 6, rows: 6, cols: 6) == -1 * rnn.W.transposed)
        #expect(u.F.block(6, 0, rows: 6, cols: 2).maxAbs == 0)
        #expect(u.C.block(0, 6, rows: 3, cols: 6).maxAbs == 0)
        // The bias on the extra states is strictly negative and at least the derived bound.
        let dil = try UnitaryDilation.construct(rnn)
        #expect(dil.extraBias.allSatisfy { $0 < 0 })
    }

    @Test func refusedForNonContractiveW() throws {
        var rng = Xoshiro256(seed: 9)
        for w in [1.0, 1.5] {
            let rnn = try Theorem1.randomRNN(n: 4, inputs: 2, outputs: 2, wNorm: w, inputBound: 1, rng: &rng)
            #expect(throws: TheoryError.self) { _ = try UnitaryDilation.construct(rnn) }
            let r = Result { () throws(TheoryError) in try UnitaryDilation.construct(rnn) }
            guard case let .failure(e) = r, case .notContractive = e else { Issue.record("not refused: \(r)"); continue }
            #expect(e.description.contains("not contractive"))
        }
        // The job reports a refusal as a result, not a crash.
        var spec = TheorySpec(n: 3, seed: 1)
        spec.wNorm = 1.2; spec.steps = 50
        let out = try JobExecutor.run(JobSpec(kind: .theorem1, theory: spec))
        #expect(out.metrics["certified"] == 0 && out.metrics["refused"] == 1)
        #expect(out.events.first?.contains("not contractive") == true)
        // Sigmoid models are refused too.
        var sig = try Theorem1.randomRNN(n: 2, inputs: 1, outputs: 1, wNorm: 0.5, inputBound: 1, rng: &rng)
        sig.activation = .sigmoid
        #expect(throws: TheoryError.unsupportedActivation(.sigmoid)) { _ = try UnitaryDilation.construct(sig) }
    }

    @Test func inputsBeyondTheBoundAreFlaggedAndEventuallyBreakIt() throws {
        var rng = Xoshiro256(seed: 3)
        let rnn = try Theorem1.randomRNN(n: 4, inputs: 2, outputs: 2, wNorm: 0.8, inputBound: 1, rng: &rng)
        let dil = try UnitaryDilation.construct(rnn)
        let x = Theorem1.boundedInputs(steps: 200, d: 2, bound: 1, scale: 1.5, rng: &rng)
        let cert = try Theorem1.certify(rnn: rnn, dilation: dil, inputs: x, steps: 200)
        #expect(!cert.certified)
        #expect(cert.reasons.contains { $0.contains("> bound M") })
        let br = try #require(Theorem1.breakingScale(rnn: rnn, dilation: dil, steps: 500, seed: 3))
        #expect(br.scale >= 2)
        #expect(br.relError > 1e-6, "once the extra states leave 0 the outputs differ")
    }

    @Test func jobIsDeterministicAndReportsMetrics() throws {
        var spec = TheorySpec(n: 5, seed: 11)
        spec.steps = 2000
        let a = try JobExecutor.run(JobSpec(kind: .theorem1, theory: spec))
        let b = try JobExecutor.run(JobSpec(kind: .theorem1, theory: spec))
        #expect(a.bitwiseEqual(b))
        #expect(a.metrics["certified"] == 1)
        #expect(a.metrics["orthogonality_error"]! <= 1e-12)
        #expect(a.metrics["max_output_rel_error"]! <= 1e-12)
        #expect(a.metrics["max_extra_state"] == 0)
        #expect(a.metrics["bias_margin"]! > 0)
        #expect(a.metrics["similarity_rel_error"]! < 1e-10)
        // A plain spec's id does not depend on the optional fields' existence.
        let plain = JobSpec(kind: .theorem1, theory: TheorySpec(n: 4, seed: 1))
        #expect(String(decoding: plain.canonicalJSON(), as: UTF8.self) == "{\"kind\":\"theorem1\",\"theory\":{\"n\":4,\"seed\":1},\"version\":1}")
    }

    @Test func similarityInvarianceHoldsForIdentityActivation() throws {
        for seed in 0..<10 {
            var rng = Xoshiro256(seed: UInt64(seed), stream: "test.similarity")
            let n = 1 + rng.index(below: 8)
            let rnn = try Theorem1.randomRNN(n: n, inputs: 2, outputs: 2, wNorm: 0.9, inputBound: 1, rng: &rng)
            let x = Theorem1.boundedInputs(steps: 300, d: 2, bound: 1, rng: &rng)
            let r = try SimilarityCheck.run(rnn, inputs: x, steps: 300, rng: &rng)
            #expect(r.maxOutputRelError < 1e-12, "seed \(seed): \(r.maxOutputRelError)")
            #expect(r.conditionT <= 4 + 1e-9)
        }
    }
}
