/// The result of running an RNN over one input sequence.
public struct RNNTrace: Sendable {
    /// y(k) for k = 1...steps, row-major [steps, p].
    public var outputs: [Double]
    /// h(k) for k = 1...steps, row-major [steps, n]; empty unless recorded.
    public var states: [Double]
    /// Pre-activations W h(k-1) + F x(k) + b, [steps, n]; empty unless recorded.
    public var preactivations: [Double]
}

extension RNNModel {
    /// Runs the model from h0 over `inputs` ([steps, d], row-major).
    ///
    /// Summation order is fixed: pre_i = sum_j W_ij h_j (j ascending), then + sum_j F_ij x_j, then + b_i;
    /// y_i = sum_j C_ij h_j, then + c_i. A model padded with zero blocks and states held at exactly 0
    /// therefore reproduces the unpadded one bit for bit (adding +-0 never changes a sum).
    public func run(inputs: [Double], steps: Int, record: Bool = false) -> RNNTrace {
        let n = self.n, d = inputCount, p = outputCount
        precondition(inputs.count == steps * d, "inputs has \(inputs.count) values, want \(steps)x\(d)")
        var outputs = [Double](repeating: 0, count: steps * p)
        var states = [Double](repeating: 0, count: record ? steps * n : 0)
        var pres = [Double](repeating: 0, count: record ? steps * n : 0)
        var h = h0
        var next = [Double](repeating: 0, count: n)
        let act = activation
        W.data.withUnsafeBufferPointer { w in
        F.data.withUnsafeBufferPointer { f in
        C.data.withUnsafeBufferPointer { cm in
        inputs.withUnsafeBufferPointer { x in
            for k in 0..<steps {
                h.withUnsafeBufferPointer { hp in
                    next.withUnsafeMutableBufferPointer { np in
                        for i in 0..<n {
                            var acc = 0.0
                            for j in 0..<n { acc += w[i * n + j] * hp[j] }
                            for j in 0..<d { acc += f[i * d + j] * x[k * d + j] }
                            acc += b[i]
                            if record { pres[k * n + i] = acc }
                            np[i] = act.apply(acc)
                        }
                    }
                }
                swap(&h, &next)
                for i in 0..<p {
                    var acc = 0.0
                    for j in 0..<n { acc += cm[i * n + j] * h[j] }
                    outputs[k * p + i] = acc + c[i]
                }
                if record { for i in 0..<n { states[k * n + i] = h[i] } }
            }
        }}}}
        return RNNTrace(outputs: outputs, states: states, preactivations: pres)
    }
}
