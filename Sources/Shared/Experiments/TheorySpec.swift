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

    public func validate(kind: JobKind) throws {
        guard n >= 1 else { throw SpecError(field: "n", message: "must be >= 1, got \(n)") }
        guard n <= 256 else { throw SpecError(field: "n", message: "must be <= 256, got \(n)") }
        if let w = wNorm, !(w >= 0 && w.isFinite) { throw SpecError(field: "wNorm", message: "must be finite and >= 0, got \(w)") }
        if let m = inputBound, !(m >= 0 && m.isFinite) { throw SpecError(field: "inputBound", message: "must be finite and >= 0, got \(m)") }
        for (name, v, lo) in [("inputs", inputs, 1), ("outputs", outputs, 1), ("steps", steps, 1), ("restarts", restarts, 0),
                              ("iterations", iterations, 0), ("sequences", sequences, 1), ("length", length, 1)] {
            if let v, v < lo { throw SpecError(field: name, message: "must be >= \(lo), got \(v)") }
        }
        if let r = rho, !(r >= 0 && r < 1) { throw SpecError(field: "rho", message: "must be in [0, 1), got \(r)") }
        if let g = gain, !(g > 0 && g.isFinite) { throw SpecError(field: "gain", message: "must be finite and > 0, got \(g)") }
        if let m = mValues {
            guard !m.isEmpty, m.allSatisfy({ $0 >= 1 && $0 <= 512 }) else {
                throw SpecError(field: "mValues", message: "must be a non-empty list of sizes in 1...512, got \(m)")
            }
        }
        if let model {
            guard kind == .theorem1 else { throw SpecError(field: "model", message: "only theorem1 takes an explicit model") }
            do { try model.check() } catch { throw SpecError(field: "model", message: error.description) }
            guard wNorm == nil, inputs == nil, outputs == nil else {
                throw SpecError(field: "model", message: "wNorm, inputs and outputs describe a random model; leave them unset with an explicit model")
            }
            guard model.n == n else { throw SpecError(field: "n", message: "is \(n) but the model has \(model.n) states") }
        }
        if kind == .theorem3, let s = student, s == .identity {
            throw SpecError(field: "student", message: "must be relu or sigmoid")
        }
    }
}
