// The data of one realization of the synthetic experiment: teacher, calibrated bias,
// inputs, clean outputs y0, noisy targets y, the train/test split and the teacher's
// measured statistics. Depends only on the spec's data fields (realization, sizes,
// eps, normalizeA, noise rule, SNR), never on the student: every model and size of a
// realization trains on identical data.
//
// Random streams (all seeded by the realization index): "teacher" (A, F, b, C, c),
// "calibration" (calibration inputs), "inputs" (data inputs), "noise" (output noise).
// Inputs are rounded to Float before the teacher sees them, so teacher and students
// see exactly the same numbers.

public struct SyntheticData: Sendable {
    public var teacher: ContractiveTeacher
    public var train: SequenceSet
    public var test: SequenceSet
    /// ||W||_2 of the teacher.
    public var teacherWNorm: Double
    /// Share of (sequence, step) with h_i > 1e-3, per teacher unit, over all data sequences.
    public var activeFractions: [Double]
    /// Per-output noise variance used.
    public var noiseVariance: [Double]
    /// 10 log10( sum_o var(y0_o) / sum_o mean(noise_o^2) ) over all data.
    public var realizedSNRdB: Double
    /// Test R^2 of the clean output y0 as the prediction (the best any model can do).
    public var optimalR2: Double

    public static func make(_ spec: SyntheticSpec) throws -> SyntheticData {
        let r = UInt64(spec.realization)
        let p = spec.inputs, q = spec.outputs, T = spec.steps, S = spec.sequences
        var rngTeacher = Xoshiro256(seed: r, stream: "teacher")
        var teacher = try ContractiveTeacher.draw(inputs: p, hidden: spec.teacherHidden, outputs: q, eps: spec.eps,
                                                  normalizeA: spec.normalizeA, rng: &rngTeacher)
        let calS = spec.calibrationSequences ?? 100
        var rngCal = Xoshiro256(seed: r, stream: "calibration")
        let calX = (0..<(calS * T * p)).map { _ in Double(Float(rngCal.gaussian())) }
        teacher.calibrateBias(x: calX, count: calS, steps: T, rounds: spec.calibrationRounds ?? 100)

        var rngIn = Xoshiro256(seed: r, stream: "inputs")
        let xd = (0..<(S * T * p)).map { _ in Double(Float(rngIn.gaussian())) }
        var y0 = [Double](repeating: 0, count: S * T * q)
        var active = [Int](repeating: 0, count: teacher.hidden)
        xd.withUnsafeBufferPointer { xs in
            y0.withUnsafeMutableBufferPointer { ys in
                teacher.simulate(x: xs.baseAddress!, count: S, steps: T, active: &active, y0: ys.baseAddress!)
            }
        }
        let m = Double(S * T)
        var mean = [Double](repeating: 0, count: q), meanSq = [Double](repeating: 0, count: q)
        for i in 0..<(S * T) { for o in 0..<q { mean[o] += y0[i * q + o]; meanSq[o] += y0[i * q + o] * y0[i * q + o] } }
        for o in 0..<q { mean[o] /= m; meanSq[o] /= m }
        let variance = (0..<q).map { meanSq[$0] - mean[$0] * mean[$0] }
        let ratio = Foundation.pow(10, -spec.snrDB / 10)
        let noiseVar = (0..<q).map { o in ratio * (spec.noiseRule == .variance ? variance[o] : meanSq[o]) }
        let noiseStd = noiseVar.map { $0.squareRoot() }

        var rngNoise = Xoshiro256(seed: r, stream: "noise")
        var y = [Float](repeating: 0, count: S * T * q)
        var noisePower = 0.0
        for i in 0..<(S * T) {
            for o in 0..<q {
                let v = Float(y0[i * q + o] + noiseStd[o] * rngNoise.gaussian())
                y[i * q + o] = v
                let d = Double(v) - y0[i * q + o]
                noisePower += d * d
            }
        }
        let realized = 10 * Foundation.log10(variance.reduce(0, +) / (noisePower / m))

        let all = SequenceSet(count: S, steps: T, inputs: p, outputs: q, x: xd.map { Float($0) }, y: y)
        let train = all.subset(0..<spec.trainSequences)
        let test = all.subset(spec.trainSequences..<S)
        // Optimal R^2 on the test sequences: yhat = y0.
        var sse = 0.0
        let off = spec.trainSequences * T * q
        for i in 0..<test.y.count { let d = Double(test.y[i]) - y0[off + i]; sse += d * d }
        let optimal = 1 - sse / test.totalSumOfSquares

        return SyntheticData(teacher: teacher, train: train, test: test, teacherWNorm: try teacher.wNorm(),
                             activeFractions: active.map { Double($0) / m }, noiseVariance: noiseVar,
                             realizedSNRdB: realized, optimalR2: optimal)
    }
}

import Foundation
