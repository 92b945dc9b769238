import Foundation

/// Parameters of a theorem demonstration job (kinds theorem1/2/3). See docs/THEORY.md.
///
/// Only `n` and `seed` are required; every other field is optional and nil means the documented
/// default, so a plain spec's canonical JSON (and job id) does not change as options are added.
public struct TheorySpec: Codable, Hashable, Sendable {
    /// State size of the RNN under study.
    public var n: Int
    public var seed: Int

    // Theorem 1 (random model unless `model` is given).
    /// An explicit RNN to certify (theorem1); if nil a random one is drawn from `seed`.
    public var model: RNNModel?
    /// ||W||_2 of the random RNN (default 0.9).
    public var wNorm: Double?
    /// Input bound M (default 1; theorem1 with `model` uses the model's own unless this is set).
    public var inputBound: Double?
    /// Input and output dimension of the random RNN (default 2 each).
    public var inputs: Int?
    public var outputs: Int?
    /// Steps of the certificate run (default 10,000).
    public var steps: Int?

    // Theorems 2 and 3 (fits).
    /// URNN sizes to fit (default theorem2: n...2n, theorem3: 2, 4, 8, 16, 32).
    public var mValues: [Int]?
    /// Random restarts per m (default 4; theorem2 adds one started at the construction).
    public var restarts: Int?
    /// Adam iterations per restart (default 4000).
    public var iterations: Int?
    /// Training and test sequences (default 64 each) and their length (default 16).
    public var sequences: Int?
    public var length: Int?
    /// Decay rho of the teacher family W = rho I (default 0.5).
    public var rho: Double?
    /// Input gain of the theorem3 teachers, F = gain I (default 4).
    public var gain: Double?
    /// Student activation for theorem3 (default relu; "sigmoid" is the paper's setting).
    public var student: Activation?

    public init(n: Int, seed: Int = 0) { self.n = n; self.seed = seed }

    public var summary: String {
        var s = "n=\(n) seed=\(seed)"
        if model != nil { s += " model=file" }
        if let m = mValues { s += " m=\(m.map(String.init).joined(separator: ","))" }
        if let w = wNorm { s += " wNorm=\(w)" }
        return s
    }

    public var resolvedWNorm: Double { wNorm ?? 0.9 }
    public var resolvedInputBound: Double { inputBound ?? model?.inputBound ?? 1 }
    public var resolvedInputs: Int { model?.inputCount ?? inputs ?? 2 }
    public var resolvedOutputs: Int { model?.outputCount ?? outputs ?? 2 }
    public var resolvedSteps: Int { steps ?? 10_000 }
    public var resolvedRestarts: Int { restarts ?? 4 }
    public var resolvedIterations: Int { iterations ?? 4000 }
    public var resolvedSequences: Int { sequences ?? 64 }
    public var resolvedLength: Int { length ?? 16 }
    public var resolvedRho: Double { rho ?? 0.5 }
    public var resolvedGain: Double { gain ?? 4 }
    public var resolvedStudent: Activation { student ?? .relu }
    public func resolvedMValues(kind: JobKind) -> [Int] {
        if let m = mValues { return m }
        return kind == .theorem3 ? [2, 4, 8, 16, 32] : Array(n...(2 * n))
    }

    /// The one check of a theorem spec (`KindSchema.validate`): every field's range, then the lists and the model.
    public func validate(kind: JobKind) throws { try Self.schema(kind).validate(JobSpec(kind: kind, theory: self)) }
}
