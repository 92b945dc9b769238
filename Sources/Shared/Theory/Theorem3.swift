public enum Theorem3 {
    public struct Result: Sendable {
        public var sigmoidTeacher: RNNModel
        public var reluTeacher: RNNModel
        /// URNN fits to the sigmoid teacher.
        public var sigmoid: SizeSweep
        /// URNN fits to the ReLU teacher with the same W, F, b, C (warm start at the construction).
        public var relu: SizeSweep
        public var outcome: JobOutcome
    }

    /// Fits URNNs of sizes m (default 2, 4, ..., 32) to the diagonal family with sigmoid activation
    /// and, side by side, to the same network with ReLU, where m = 2n is exact.
    public static func run(spec: TheorySpec, progress: @escaping @Sendable (String) -> Void) throws -> Result {
        let n = spec.n
        let sig = try TeacherFamily.diagonal(n: n, rho: spec.resolvedRho, gain: spec.resolvedGain, activation: .sigmoid)
        let relu = try TeacherFamily.diagonal(n: n, rho: spec.resolvedRho, gain: spec.resolvedGain, activation: .relu)
        let ms = spec.resolvedMValues(kind: .theorem3)
        let s1 = try Theorem2.sweep(teacher: sig, ms: ms, spec: spec, student: spec.resolvedStudent, warm: nil,
                                    stream: "theorem3.sigmoid", progress: progress)
        let urnn = try UnitaryDilation.construct(relu).urnn
        let s2 = try Theorem2.sweep(teacher: relu, ms: ms, spec: spec, student: .relu, warm: urnn,
                                    stream: "theorem3.relu", progress: progress)
        var (metrics, series) = Theorem2.metrics(s1)
        let (m2, ser2) = Theorem2.metrics(s2, prefix: Metric.reluTwin)
        metrics.merge(m2) { a, _ in a }
        series.merge(ser2) { a, _ in a }
        metrics[.n] = Double(n)
        metrics[.sigmoidFloor] = s1.bestError.min() ?? .nan
        metrics[.reluErrorAt2n] = zip(s2.m, s2.bestError).filter { $0.0 >= 2 * n }.map { $0.1 }.min() ?? .nan
        if let first = s1.bestError.first, let last = s1.bestError.last { metrics[.sigmoidLastOverFirst] = last / first }
        return Result(sigmoidTeacher: sig, reluTeacher: relu, sigmoid: s1, relu: s2,
                      outcome: JobOutcome(metrics: metrics.byName, series: series))
    }
}
