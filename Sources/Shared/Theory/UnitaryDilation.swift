/// Theorem 1's construction: a contractive ReLU RNN with n states becomes a URNN with 2n states
/// and the same input-output map (for inputs with ||x(k)|| <= M). See docs/THEORY.md.
///
///     W_u = [[W,   (I - W W^T)^(1/2)],      F_u = [F; 0],   b_u = [b; b2],
///            [(I - W^T W)^(1/2), -W^T]]      C_u = [C, 0],   c_u = c,   h0_u = [h0; 0]
///
/// W_u is orthogonal (the Halmos dilation of a contraction). While the extra states z are 0 the first
/// n states follow the RNN exactly, and the extra pre-activation is D_W h(k-1) + b2 with
/// D_W = (I - W^T W)^(1/2). Since ||h(k)|| <= H for all k (see `stateBound`), choosing
///     b2_i = -(1 + safety) * ||row_i(D_W)|| * H
/// keeps every extra pre-activation <= 0, so ReLU holds z at exactly 0 forever.
public struct UnitaryDilation: Sendable {
    /// The constructed URNN (2n states, same activation, inputs, outputs and input bound).
    public var urnn: RNNModel
    /// H: a bound on ||h(k)||_2 for all k >= 0.
    public var stateBound: Double
    /// ||W||_2 of the source RNN.
    public var wNorm: Double
    /// b2, the bias on the extra states.
    public var extraBias: [Double]

    /// Relative safety on the bias, covering rounding in the norms and in the products (<= ~2n ulp).
    public static let biasSafety = 1e-6
    /// Largest ||W|| accepted: beyond it 1/(1 - ||W||) amplifies the rounding in ||W|| past the safety.
    public static let contractionLimit = 1 - 1e-9

    /// H = max(||h0||, (||F|| M + ||b||) / (1 - ||W||)).
    ///
    /// Proof: ReLU is 1-Lipschitz with ReLU(0) = 0, so ||h(k)|| <= ||W|| ||h(k-1)|| + ||F|| M + ||b||.
    /// If ||h(k-1)|| <= H then ||h(k)|| <= ||W|| H + (1 - ||W||) H = H; induction from h(0) = h0.
    public static func stateBound(h0Norm: Double, wNorm: Double, fNorm: Double, bNorm: Double, inputBound: Double) -> Double {
        max(h0Norm, (fNorm * inputBound + bNorm) / (1 - wNorm))
    }

    /// Builds the 2n-state URNN. Throws if the RNN is not ReLU, has no input bound, or ||W|| is not < 1.
    /// `inputBound` overrides the model's own M if given.
    public static func construct(_ rnn: RNNModel, inputBound: Double? = nil) throws(TheoryError) -> UnitaryDilation {
        try rnn.check()
        guard rnn.activation == .relu else { throw .unsupportedActivation(rnn.activation) }
        guard let m = inputBound ?? rnn.inputBound else { throw .missingInputBound }
        guard m.isFinite, m >= 0 else { throw .malformedModel(field: "inputBound", reason: "must be finite and >= 0, got \(m)") }
        let n = rnn.n
        let wNorm = try DenseLinearAlgebra.spectralNorm(rnn.W)
        guard wNorm < contractionLimit else { throw .notContractive(norm: wNorm, limit: contractionLimit) }
        let fNorm = try DenseLinearAlgebra.spectralNorm(rnn.F)
        let h = stateBound(h0Norm: euclideanNorm(rnn.h0), wNorm: wNorm, fNorm: fNorm, bNorm: euclideanNorm(rnn.b), inputBound: m)
        let (dW, dWt) = try DenseLinearAlgebra.defects(rnn.W)

        var wu = Matrix(rows: 2 * n, cols: 2 * n)
        wu.setBlock(0, 0, rnn.W)
        wu.setBlock(0, n, dWt)
        wu.setBlock(n, 0, dW)
        wu.setBlock(n, n, -1 * rnn.W.transposed)
        var fu = Matrix(rows: 2 * n, cols: rnn.inputCount)
        fu.setBlock(0, 0, rnn.F)
        var cu = Matrix(rows: rnn.outputCount, cols: 2 * n)
        cu.setBlock(0, 0, rnn.C)
        let b2 = (0..<n).map { i in -(1 + biasSafety) * dW.rowNorm(i) * h }
        let urnn = try RNNModel(activation: .relu, W: wu, F: fu, b: rnn.b + b2, C: cu, c: rnn.c,
                                h0: rnn.h0 + [Double](repeating: 0, count: n), inputBound: m)
        return UnitaryDilation(urnn: urnn, stateBound: h, wNorm: wNorm, extraBias: b2)
    }

    /// Pads a URNN with `extra` more states that stay at 0 (identity block, bias -1, no input, no readout).
    /// Used to start fits with m > 2n at the exact construction.
    public static func padded(_ urnn: RNNModel, extra: Int) throws(TheoryError) -> RNNModel {
        guard extra > 0 else { return urnn }
        let n = urnn.n, m = n + extra
        var w = Matrix(rows: m, cols: m)
        w.setBlock(0, 0, urnn.W)
        w.setBlock(n, n, Matrix.identity(extra))
        var f = Matrix(rows: m, cols: urnn.inputCount)
        f.setBlock(0, 0, urnn.F)
        var c = Matrix(rows: urnn.outputCount, cols: m)
        c.setBlock(0, 0, urnn.C)
        return try RNNModel(activation: urnn.activation, W: w, F: f, b: urnn.b + [Double](repeating: -1, count: extra),
                            C: c, c: urnn.c, h0: urnn.h0 + [Double](repeating: 0, count: extra), inputBound: urnn.inputBound)
    }
}
