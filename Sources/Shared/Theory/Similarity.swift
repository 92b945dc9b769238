/// The similarity invariance for identity activation (the poster's remark): for invertible T,
///
///     W' = T W T^-1,  F' = T F,  b' = T b,  C' = C T^-1,  h0' = T h0
///
/// gives states h'(k) = T h(k) and therefore the same outputs y(k). (With a bias b it must be mapped
/// too; with b = 0, as in the poster, it is the poster's statement exactly.) Not true for ReLU in
/// general: ReLU commutes with positive diagonal T and permutations, not with arbitrary T.
public enum SimilarityCheck {
    public struct Result: Sendable {
        /// max_k ||y'(k) - y(k)||_inf / max_k ||y(k)||_inf over the run.
        public var maxOutputRelError: Double
        /// Condition number of T (sigma_max / sigma_min).
        public var conditionT: Double
    }

    /// A random T = P diag(s) Q^T with P, Q orthogonal (polar factors of Gaussians) and
    /// s uniform in [1/2, 2]: invertible, condition number <= 4, and T^-1 = Q diag(1/s) P^T exactly known.
    public static func randomTransform(n: Int, rng: inout Xoshiro256) throws(TheoryError) -> (t: Matrix, inverse: Matrix) {
        let p = try DenseLinearAlgebra.polarFactor(Matrix.gaussian(rows: n, cols: n, rng: &rng))
        let q = try DenseLinearAlgebra.polarFactor(Matrix.gaussian(rows: n, cols: n, rng: &rng))
        let s = (0..<n).map { _ in 0.5 + 1.5 * rng.uniform() }
        let t = p * Matrix.diagonal(s) * q.transposed
        let inv = q * Matrix.diagonal(s.map { 1 / $0 }) * p.transposed
        return (t, inv)
    }

    /// The transformed model (activation forced to identity in both).
    public static func transformed(_ model: RNNModel, t: Matrix, inverse: Matrix) throws(TheoryError) -> RNNModel {
        try RNNModel(activation: .identity, W: t * model.W * inverse, F: t * model.F, b: t.apply(model.b),
                     C: model.C * inverse, c: model.c, h0: t.apply(model.h0), inputBound: model.inputBound)
    }

    /// Runs `model` with identity activation and its transform by a random T over `inputs`.
    public static func run(_ model: RNNModel, inputs: [Double], steps: Int, rng: inout Xoshiro256) throws(TheoryError) -> Result {
        var linear = model
        linear.activation = .identity
        let (t, inv) = try randomTransform(n: model.n, rng: &rng)
        let other = try transformed(linear, t: t, inverse: inv)
        let y = linear.run(inputs: inputs, steps: steps).outputs
        let y2 = other.run(inputs: inputs, steps: steps).outputs
        var scale = 0.0, diff = 0.0
        for k in 0..<y.count { scale = max(scale, abs(y[k])); diff = max(diff, abs(y[k] - y2[k])) }
        let sv = try DenseLinearAlgebra.singularValues(t)
        return Result(maxOutputRelError: scale > 0 ? diff / scale : diff, conditionT: sv.first! / sv.last!)
    }
}
