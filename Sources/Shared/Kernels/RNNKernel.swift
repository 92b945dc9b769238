// Fast Float kernel of the ReLU RNN, any hidden size n. Twin of RNNReference.
//
// One state h(t, b) is `nb` consecutive vectors V (nb = ceil(n / lanes): 1 up to 16 units, then
// blocks of 16 lanes; padding lanes stay exactly 0). Every vector operation below runs block by
// block; with nb = 1 the operations and their order are exactly those of a one-vector kernel.
// Each step of each sequence is a sum of column vectors scaled by scalars:
//   forward   a = b + sum_k F[:,k] x_k + sum_j W[:,j] h(t-1)_j;  h(t) = relu(a)
//   backward  dh = sum_o C[o,:] dy_o + sum_i W[i,:] da(t+1)_i;  da = dh * [h(t) > 0]
//             dF[:,k] += da x_k;  db += da;  dC[o,:] += dy_o h(t);  dc += dy
//   dW = sum over (t, b) of da(t) h(t-1)^T, per block of 64 steps while DA and H are in cache
//   (OuterProduct: a fixed summation order, no BLAS)
// The readout is evaluated in the backward sweep (where h(t) is at hand), so the
// forward sweep of a training batch only runs the recurrence.
// Memory: states and da, each [(T+1), maxB] vectors, reused for every batch; nothing is allocated per call.
// Only IEEE multiplies and adds, lane-wise, in orders fixed by the code: the same bits on every
// x86-64 CPU (docs/ARCHITECTURE.md, "Determinism").

final class RNNKernel<V: LaneVector>: SequenceKernel {
    let shape: ModelShape
    let steps: Int
    let maxBatch: Int
    private let n: Int, p: Int, q: Int
    private let vb = MemoryLayout<V>.stride
    /// Bytes per state: nb = ceil(n / lanes) vectors (LaneVector.stateBytes).
    private let blockedBytes: Int
    @inline(__always) private var sb: Int { V.stateBytes(blockedBytes) }
    private let ws: Workspace
    // Byte offsets into ws.
    private let oH: Int, oDA: Int, oWcol: Int, oWrow: Int, oFcol: Int, oBias: Int, oGF: Int, oGb: Int, oGW: Int, end: Int
    private let readout: KernelReadout<V>

    init(shape: ModelShape, steps: Int, maxBatch: Int) {
        precondition(shape.cell == .relu)
        self.shape = shape; self.steps = steps; self.maxBatch = maxBatch
        n = shape.hidden; p = shape.inputs; q = shape.outputs
        let vb = MemoryLayout<V>.stride
        let nb = (n + V.scalarCount - 1) / V.scalarCount
        precondition(V.scalarCount == 16 || nb == 1, "only 16-lane kernels take more than one block")
        let sb = nb * vb
        blockedBytes = sb
        oH = 0
        oDA = oH + (steps + 1) * maxBatch * sb
        oWcol = oDA + (steps + 1) * maxBatch * sb
        oWrow = oWcol + n * sb
        oFcol = oWrow + n * sb
        oBias = oFcol + p * sb
        oGF = oBias + sb
        oGb = oGF + p * sb
        oGW = oGb + sb
        let oReadout = oGW + n * sb
        end = oReadout + KernelReadout<V>.bytes(q: q, stateBytes: sb)
        ws = Workspace(bytes: end)
        readout = KernelReadout(ws: ws, base: oReadout, hidden: n, outputs: q, stateBytes: sb)
    }

    @inline(__always) private func vec(_ off: Int) -> V { ws.raw.load(fromByteOffset: off, as: V.self) }
    @inline(__always) private func setVec(_ off: Int, _ v: V) { ws.raw.storeBytes(of: v, toByteOffset: off, as: V.self) }
    @inline(__always) private func scalar(_ off: Int) -> Float { ws.raw.load(fromByteOffset: off, as: Float.self) }
    @inline(__always) private func setScalar(_ off: Int, _ v: Float) { ws.raw.storeBytes(of: v, toByteOffset: off, as: Float.self) }

    /// Copies the flat parameters into padded column/row vectors.
    private func pack(_ params: UnsafePointer<Float>) {
        let W = shape.slot("W").offset, F = shape.slot("F").offset, b = shape.slot("b").offset
        ws.zero(offset: oWcol, count: oGF - oWcol)
        for i in 0..<n {
            for j in 0..<n {
                setScalar(oWcol + j * sb + i * 4, params[W + i * n + j])
                setScalar(oWrow + i * sb + j * 4, params[W + i * n + j])
            }
            for k in 0..<p { setScalar(oFcol + k * sb + i * 4, params[F + i * p + k]) }
            setScalar(oBias + i * 4, params[b + i])
        }
        readout.pack(params, C: shape.slot("C").offset, c: shape.slot("c").offset)
    }

    /// Writes every gradient.
    private func unpack(_ grad: UnsafeMutablePointer<Float>) {
        let W = shape.slot("W").offset, F = shape.slot("F").offset, b = shape.slot("b").offset
        for i in 0..<n {
            for j in 0..<n { grad[W + i * n + j] = scalar(oGW + i * sb + j * 4) }
            for k in 0..<p { grad[F + i * p + k] = scalar(oGF + k * sb + i * 4) }
            grad[b + i] = scalar(oGb + i * 4)
        }
        readout.unpack(grad, C: shape.slot("C").offset, c: shape.slot("c").offset)
    }

    /// Block `blk` of sum_j M[:,j] s_j over j < n, with M's columns at `cols` (one state apart)
    /// and the scalars s_j at byte offset `s`: even j into a0, odd j into a1 (two chains).
    @inline(__always) private func columnSum(_ cols: Int, _ blk: Int, _ s: Int, _ a0: V, _ a1: V) -> (V, V) {
        var a0 = a0, a1 = a1, j = 0
        while j + 1 < n {
            a0 = vec(cols + j * sb + blk) * scalar(s + j * 4) + a0
            a1 = vec(cols + (j + 1) * sb + blk) * scalar(s + (j + 1) * 4) + a1
            j += 2
        }
        if j < n { a0 = vec(cols + j * sb + blk) * scalar(s + j * 4) + a0 }
        return (a0, a1)
    }

    /// Steps per dW block: DA and H of 64 steps x 10 sequences stay in cache.
    private let blockSteps = 64

    func run(params: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafePointer<Float>, batch B: Int,
             scale: Float, grad: UnsafeMutablePointer<Float>?) -> Double {
        precondition(B >= 1 && B <= maxBatch)
        pack(params)
        let training = grad != nil
        let rowBytes = maxBatch * sb
        var sse = 0.0
        // Forward sweep. H[0] stays zero (never written).
        for t in 0..<steps {
            let hPrev = oH + t * rowBytes, hCur = hPrev + rowBytes
            let xt = x + t * B * p, yt = y + t * B * q
            for b in 0..<B {
                let hp = hPrev + b * sb
                for blk in stride(from: 0, to: sb, by: vb) {
                    var acc0 = vec(oBias + blk)
                    for k in 0..<p { acc0 = vec(oFcol + k * sb + blk) * xt[b * p + k] + acc0 }
                    let (a0, a1) = columnSum(oWcol, blk, hp, acc0, V())
                    setVec(hCur + b * sb + blk, Lanes.relu(a0 + a1))
                }
                if !training { readout.addSquaredErrors(state: hCur + b * sb, targets: yt + b * q, to: &sse) }
            }
        }
        guard let grad else { return sse }

        // Backward sweep.
        ws.zero(offset: oGF, count: oGW + n * sb - oGF)
        readout.zeroGradients()
        // DA[T] is the (zero) da of the step after the last. (Rows b >= B are never read.)
        ws.zero(offset: oDA + steps * rowBytes, count: rowBytes)
        let twoScale = 2 * scale
        var blockEnd = steps
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let hPrev = oH + t * rowBytes, hCur = hPrev + rowBytes
            let xt = x + t * B * p, yt = y + t * B * q
            for b in 0..<B {
                let hb = hCur + b * sb, yb = yt + b * q
                readout.prepare(state: hb, targets: yb, twoScale: twoScale, sse: &sse)
                let dan = oDA + (t + 1) * rowBytes + b * sb
                for blk in stride(from: 0, to: sb, by: vb) {
                    let h = vec(hb + blk)
                    // dh = sum_i W[i,:] da(t+1)_i (rows of W are the columns of W^T) + C^T dy.
                    let (dh0, dhW1) = columnSum(oWrow, blk, dan, V(), V())
                    let dh1 = readout.backward(block: blk, h: h, targets: yb, twoScale: twoScale, sse: &sse, dh: dhW1)
                    let da = Lanes.keep(dh0 + dh1, wherePositive: h)
                    setVec(oDA + t * rowBytes + b * sb + blk, da)
                    for k in 0..<p { setVec(oGF + k * sb + blk, da * xt[b * p + k] + vec(oGF + k * sb + blk)) }
                    setVec(oGb + blk, da + vec(oGb + blk))
                }
            }
            // dW += sum over the block of steps just finished of da(t) h(t-1)^T (H row t is h(t-1)).
            if t % blockSteps == 0 {
                OuterProduct.accumulate(V.self, ws: ws, g: oGW, a: oDA, aRow: sb, h: oH, n: n, groups: 1, sb: sb,
                                        maxBatch: maxBatch, batch: B, from: t, to: blockEnd)
                blockEnd = t
            }
        }
        unpack(grad)
        return sse
    }
}
