/// Best fits per URNN size m, for Theorems 2 and 3.
public struct SizeSweep: Sendable {
    public var m: [Int]
    /// Best test NMSE over all restarts (including any started at the construction).
    public var bestError: [Double]
    /// Best test NMSE over the randomly initialised restarts only.
    public var bestRandomError: [Double]
}

public enum Theorem2 {
    public struct Result: Sendable {
        public var teacher: RNNModel
        public var sweep: SizeSweep
        public var outcome: JobOutcome
    }

    /// Fits URNNs of each size in `ms` to `teacher`: `restarts` random starts, plus (when `warm` is
    /// given) one start from the construction cut or padded to m states.
    static func sweep(teacher: RNNModel, ms: [Int], spec: TheorySpec, student: Activation, warm: RNNModel?,
                      stream: String, progress: @Sendable (String) -> Void) throws -> SizeSweep {
        var dataRNG = Xoshiro256(seed: UInt64(bitPattern: Int64(spec.seed)), stream: stream + ".data", index: UInt64(spec.n))
        let train = FitData.generate(teacher: teacher, count: spec.resolvedSequences, length: spec.resolvedLength, rng: &dataRNG)
        let test = FitData.generate(teacher: teacher, count: spec.resolvedSequences, length: spec.resolvedLength, rng: &dataRNG)
        let config = FitConfig(iterations: spec.resolvedIterations)
        var best: [Double] = [], bestRandom: [Double] = []
        for m in ms {
            var b = Double.infinity, br = Double.infinity
            for r in 0..<spec.resolvedRestarts {
                var rng = Xoshiro256(seed: UInt64(bitPattern: Int64(spec.seed)), stream: stream + ".init.m\(m)", index: UInt64(r))
                let start = try URNNFitter.randomStudent(m: m, d: teacher.inputCount, p: teacher.outputCount, activation: student, rng: &rng)
                let e = try URNNFitter.fit(initial: start, train: train, test: test, config: config).testError
                b = min(b, e); br = min(br, e)
            }
            if let warm {
                let start = try warmStart(warm, m: m)
                b = min(b, try URNNFitter.fit(initial: start, train: train, test: test, config: config).testError)
            }
            best.append(b); bestRandom.append(br)
            progress("\(stream) n=\(teacher.n) m=\(m): best NMSE \(b.formatted6) (random starts \(br.formatted6))")
        }
        return SizeSweep(m: ms, bestError: best, bestRandomError: bestRandom)
    }

    /// The construction's URNN cut to its first m states (U re-projected to orthogonal) or padded with
    /// zero-held states: exact for m >= 2n, the best educated guess for m < 2n.
    static func warmStart(_ urnn: RNNModel, m: Int) throws(TheoryError) -> RNNModel {
        if m >= urnn.n { var r = try UnitaryDilation.padded(urnn, extra: m - urnn.n); r.h0 = [Double](repeating: 0, count: m); return r }
        return try RNNModel(activation: .relu, W: DenseLinearAlgebra.polarFactor(urnn.W.block(0, 0, rows: m, cols: m)),
                            F: urnn.F.block(0, 0, rows: m, cols: urnn.inputCount), b: Array(urnn.b[0..<m]),
                            C: urnn.C.block(0, 0, rows: urnn.outputCount, cols: m), c: urnn.c)
    }

    static func metrics(_ s: SizeSweep, prefix: String = "") -> ([Metric: Double], [String: [Double]]) {
        var metrics: [Metric: Double] = [:]
        for (i, m) in s.m.enumerated() {
            metrics[.bestError(m: m, teacher: prefix)] = s.bestError[i]
            metrics[.bestRandomError(m: m, teacher: prefix)] = s.bestRandomError[i]
        }
        return (metrics, ["\(prefix)m": s.m.map(Double.init), "\(prefix)best_error": s.bestError,
                          "\(prefix)best_random_error": s.bestRandomError])
    }

    /// Fits URNNs with m = n ... 2n states (default) to the diagonal family W = rho I.
    public static func run(spec: TheorySpec, progress: @escaping @Sendable (String) -> Void) throws -> Result {
        let n = spec.n
        let teacher = try TeacherFamily.diagonal(n: n, rho: spec.resolvedRho)
        let urnn = try UnitaryDilation.construct(teacher).urnn
        let ms = spec.resolvedMValues(kind: .theorem2)
        let s = try sweep(teacher: teacher, ms: ms, spec: spec, student: .relu, warm: urnn, stream: "theorem2", progress: progress)
        var (metrics, series) = Self.metrics(s)
        metrics[.rho] = spec.resolvedRho
        let exact = zip(s.m, s.bestError).filter { $0.0 >= 2 * n }.map { $0.1 }.min() ?? .nan
        let below = zip(s.m, s.bestError).filter { $0.0 < 2 * n }.map { $0.1 }.min() ?? .nan
        metrics[.n] = Double(n)
        metrics[.bestErrorAt2n] = exact
        metrics[.minErrorBelow2n] = below
        metrics[.bestRandomErrorAt2n] = zip(s.m, s.bestRandomError).filter { $0.0 >= 2 * n }.map { $0.1 }.min() ?? .nan
        return Result(teacher: teacher, sweep: s, outcome: JobOutcome(metrics: metrics.byName, series: series))
    }
}
