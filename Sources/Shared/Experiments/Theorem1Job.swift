/// Everything one Theorem 1 demonstration produced (the CLI prints and exports from this).
public struct Theorem1Result: Sendable {
    public var rnn: RNNModel
    /// nil when the construction was refused (see `refusal`).
    public var dilation: UnitaryDilation?
    public var certificate: Theorem1Certificate?
    public var refusal: TheoryError?
    public var similarity: SimilarityCheck.Result
    /// First multiple of M at which the extra states leave 0 (nil: none up to 2^30, or refused).
    public var breaking: (scale: Double, relError: Double)?
    public var outcome: JobOutcome
}

extension Theorem1 {
    /// The seeded random source for a spec's stream.
    static func rng(_ spec: TheorySpec, _ stream: String) -> Xoshiro256 {
        Xoshiro256(seed: UInt64(bitPattern: Int64(spec.seed)), stream: stream, index: UInt64(spec.n))
    }

    /// Runs the demonstration: build (or take) the RNN, construct, certify over `steps` bounded
    /// random inputs, find where unbounded inputs break it, and check the similarity invariance.
    /// A refused construction (not ReLU, ||W|| >= 1) is a result, not an error: certified = 0.
    public static func run(spec: TheorySpec, progress: @escaping @Sendable (String) -> Void) throws -> Theorem1Result {
        var modelRNG = rng(spec, "theorem1.model")
        var rnn = try spec.model ?? randomRNN(n: spec.n, inputs: spec.resolvedInputs, outputs: spec.resolvedOutputs,
                                              wNorm: spec.resolvedWNorm, inputBound: spec.resolvedInputBound, rng: &modelRNG)
        if let m = spec.inputBound { rnn.inputBound = m }
        if rnn.inputBound == nil { rnn.inputBound = spec.resolvedInputBound }
        let steps = spec.resolvedSteps
        var inputRNG = rng(spec, "theorem1.inputs")
        let x = boundedInputs(steps: steps, d: rnn.inputCount, bound: rnn.inputBound!, rng: &inputRNG)
        var simRNG = rng(spec, "theorem1.similarity")
        let simSteps = min(steps, 1000)
        let similarity = try SimilarityCheck.run(rnn, inputs: Array(x[0..<(simSteps * rnn.inputCount)]), steps: simSteps, rng: &simRNG)

        var metrics: [Metric: Double] = [
            .n: Double(rnn.n), .steps: Double(steps), .inputBound: rnn.inputBound!,
            .similarityRelError: similarity.maxOutputRelError, .similarityCondition: similarity.conditionT,
        ]
        var events: [String] = []
        let dilation: UnitaryDilation
        do {
            dilation = try UnitaryDilation.construct(rnn)
        } catch {
            progress("theorem1 n=\(rnn.n): refused: \(error)")
            metrics[.wNorm] = (try? DenseLinearAlgebra.spectralNorm(rnn.W)) ?? .nan
            metrics[.certified] = 0; metrics[.refused] = 1
            events.append("refused: \(error)")
            return Theorem1Result(rnn: rnn, dilation: nil, certificate: nil, refusal: error, similarity: similarity,
                                  breaking: nil, outcome: JobOutcome(metrics: metrics.byName, events: events))
        }
        progress("theorem1 n=\(rnn.n): constructed 2n = \(2 * rnn.n) state URNN, certifying over \(steps) steps")
        let cert = try certify(rnn: rnn, dilation: dilation, inputs: x, steps: steps)
        let breaking = breakingScale(rnn: rnn, dilation: dilation, steps: min(steps, 2000), seed: UInt64(bitPattern: Int64(spec.seed)))
        metrics[.refused] = 0
        metrics[.certified] = cert.certified ? 1 : 0
        metrics[.wNorm] = cert.wNorm
        metrics[.stateBound] = cert.stateBound
        metrics[.orthogonalityError] = cert.orthogonalityError
        metrics[.maxOutputRelError] = cert.maxOutputRelError
        metrics[.maxExtraState] = cert.maxExtraState
        metrics[.biasMargin] = cert.biasMargin
        metrics[.maxInputNorm] = cert.maxInputNorm
        metrics[.breakInputScale] = breaking?.scale ?? .infinity
        metrics[.breakOutputRelError] = breaking?.relError ?? 0
        events.append(contentsOf: cert.reasons)
        progress("theorem1 n=\(rnn.n): \(cert.certified ? "certified" : "NOT certified")")
        return Theorem1Result(rnn: rnn, dilation: dilation, certificate: cert, refusal: nil, similarity: similarity,
                              breaking: breaking, outcome: JobOutcome(metrics: metrics.byName, events: events))
    }
}
