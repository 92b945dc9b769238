import Foundation
import Testing
@testable import Shared

@Suite struct TeacherTests {
    /// A reduced realization: the paper's teacher and calibration, shorter and fewer sequences.
    static func spec(snr: Double = 20, realization: Int = 1, rule: NoiseRule = .variance) -> SyntheticSpec {
        var s = SyntheticSpec(model: .rnn, hidden: 4, snrDB: snr, realization: realization, epochs: 1,
                              sequences: 150, steps: 250, trainSequences: 100, noiseRule: rule)
        s.calibrationSequences = 50
        return s
    }

    // Built once, shared by the tests below (data generation is the slow part in debug builds).
    static let r1snr20 = try! SyntheticData.make(spec(snr: 20))
    static let r1snr15 = try! SyntheticData.make(spec(snr: 15))
    static let r1meanSquare = try! SyntheticData.make(spec(rule: .meanSquare))
    static let r2snr20 = try! SyntheticData.make(spec(realization: 2))

    @Test(arguments: [20.0, 15.0])
    func teacherIsContractiveCalibratedAndHitsTheSNR(snr: Double) throws {
        let d = snr == 20 ? Self.r1snr20 : Self.r1snr15
        print("teacher: ||W|| \(d.teacherWNorm), active \(d.activeFractions), realized SNR \(d.realizedSNRdB), optimal R^2 \(d.optimalR2)")
        #expect(d.teacherWNorm < 1)
        #expect(d.teacherWNorm > 0.98)  // I - 0.01 A^T A/||A||^2: eigenvalues in [0.99, 1)
        for f in d.activeFractions { #expect(abs(f - 0.6) <= 0.03, "active fraction \(f)") }
        #expect(abs(d.realizedSNRdB - snr) <= 0.2)
        // With noise variance = 10^(-SNR/10) var(y0), R^2 of y0 is 1 / (1 + 10^(-SNR/10)).
        let expected = 1 / (1 + pow(10, -snr / 10))
        #expect(abs(d.optimalR2 - expected) < 0.004, "optimal \(d.optimalR2) vs \(expected)")
        // The optimal R^2 is the R^2 of y0 as a prediction, recomputed here from the definition.
        #expect(d.test.count == 50 && d.train.count == 100)
    }

    @Test func meanSquareRuleGivesALowerOptimum() throws {
        let v = Self.r1snr20, m = Self.r1meanSquare
        #expect(m.optimalR2 < v.optimalR2)
        #expect(m.train.x == v.train.x)  // same inputs, only the noise scale differs
    }

    @Test func realizationFixesTheTeacherAndData() throws {
        let a = Self.r1snr20, c = Self.r2snr20
        var small = Self.spec(realization: 1)
        small.sequences = 20; small.trainSequences = 10; small.steps = 30
        let b1 = try SyntheticData.make(small), b2 = try SyntheticData.make(small)
        #expect(b1.teacher == b2.teacher && b1.train == b2.train && b1.test == b2.test)
        #expect(a.teacher != c.teacher)
        #expect(a.train.x != c.train.x)
        // A different SNR keeps teacher and inputs.
        let d = Self.r1snr15
        #expect(d.teacher == a.teacher && d.train.x == a.train.x)
    }

    @Test func calibrationMovesBiasTowardSixtyPercent() throws {
        var rng = Xoshiro256(seed: 5)
        var t = try ContractiveTeacher.draw(inputs: 2, hidden: 4, outputs: 2, eps: 0.01, normalizeA: true, rng: &rng)
        let x = (0..<(40 * 200 * 2)).map { _ in rng.gaussian() }
        let before = t.activeFractions(x: x, count: 40, steps: 200)
        t.calibrateBias(x: x, count: 40, steps: 200)
        let after = t.activeFractions(x: x, count: 40, steps: 200)
        let errBefore = before.map { abs($0 - 0.6) }.max()!, errAfter = after.map { abs($0 - 0.6) }.max()!
        #expect(errAfter < 0.02)
        #expect(errAfter <= errBefore)
    }
}
