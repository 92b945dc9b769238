import Foundation

/// Parameters of a theorem demonstration job (kinds theorem1/2/3). See docs/THEORY.md.
public struct TheorySpec: Codable, Hashable, Sendable {
    /// State size of the RNN under study.
    public var n: Int
    public var seed: Int

    public init(n: Int, seed: Int = 0) { self.n = n; self.seed = seed }

    public var summary: String { "n=\(n) seed=\(seed)" }

    public func validate(kind: JobKind) throws {
        guard n >= 1 else { throw SpecError(field: "n", message: "must be >= 1, got \(n)") }
    }
}
