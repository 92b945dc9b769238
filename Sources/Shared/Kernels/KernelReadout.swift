// The linear readout y = C h + c of the fast kernels (RNNKernel, LSTMKernel), in a region of
// the kernel's workspace:
//
//   [C rows: q states][c: q floats, padded][dC: q states][dc: q floats, padded][dy: q floats, padded]
//
// A state is `nb` vectors V (the kernel's blocks; `sb` bytes). The backward evaluates the readout
// where h(t) is at hand: with one block, error and dy are formed inside the block loop (in
// registers); with several, `prepare` forms them for all outputs first, since every block needs them.
// Either way each sum runs in the same order, so results do not depend on the blocking.

struct KernelReadout<V: LaneVector> {
    private let ws: Workspace
    private let n: Int, q: Int
    private let vb = MemoryLayout<V>.stride
    private let blockedBytes: Int
    private let oCrow: Int, oc: Int, oGC: Int, oGc: Int, oDY: Int

    /// Bytes per state (LaneVector.stateBytes: constant for 4 and 8 lanes).
    @inline(__always) var sb: Int { V.stateBytes(blockedBytes) }

    /// Bytes of the region for `q` outputs and states of `stateBytes`.
    static func bytes(q: Int, stateBytes: Int) -> Int {
        let vb = MemoryLayout<V>.stride
        let qPad = ((q * 4 + vb - 1) / vb) * vb
        return 2 * q * stateBytes + 3 * qPad
    }

    init(ws: Workspace, base: Int, hidden n: Int, outputs q: Int, stateBytes: Int) {
        self.ws = ws; self.n = n; self.q = q; blockedBytes = stateBytes
        let vb = MemoryLayout<V>.stride
        let qPad = ((q * 4 + vb - 1) / vb) * vb
        oCrow = base
        oc = oCrow + q * stateBytes
        oGC = oc + qPad
        oGc = oGC + q * stateBytes
        oDY = oGc + qPad
    }

    @inline(__always) private func vec(_ off: Int) -> V { ws.raw.load(fromByteOffset: off, as: V.self) }
    @inline(__always) private func setVec(_ off: Int, _ v: V) { ws.raw.storeBytes(of: v, toByteOffset: off, as: V.self) }
    @inline(__always) private func scalar(_ off: Int) -> Float { ws.raw.load(fromByteOffset: off, as: Float.self) }
    @inline(__always) private func setScalar(_ off: Int, _ v: Float) { ws.raw.storeBytes(of: v, toByteOffset: off, as: Float.self) }

    /// Copies C [q, n] and c [q] from the flat parameters (padding lanes zero).
    func pack(_ params: UnsafePointer<Float>, C: Int, c: Int) {
        ws.zero(offset: oCrow, count: oGC - oCrow)
        for o in 0..<q {
            for j in 0..<n { setScalar(oCrow + o * sb + j * 4, params[C + o * n + j]) }
            setScalar(oc + o * 4, params[c + o])
        }
    }

    /// Zeroes dC and dc before a backward sweep.
    func zeroGradients() { ws.zero(offset: oGC, count: oDY - oGC) }

    /// Writes dC and dc into the flat gradient.
    func unpack(_ grad: UnsafeMutablePointer<Float>, C: Int, c: Int) {
        for o in 0..<q {
            for j in 0..<n { grad[C + o * n + j] = scalar(oGC + o * sb + j * 4) }
            grad[c + o] = scalar(oGc + o * 4)
        }
    }

    /// C[o,:] h + c[o] - y for the state at byte offset `h`, block sums in block order.
    @inline(__always) func error(_ o: Int, state h: Int, target y: Float) -> Float {
        var dot = (vec(oCrow + o * sb) * vec(h)).hsum()
        for blk in stride(from: vb, to: sb, by: vb) { dot += (vec(oCrow + o * sb + blk) * vec(h + blk)).hsum() }
        return dot + scalar(oc + o * 4) - y
    }

    /// Squared errors of all outputs of one state added to `sse` (evaluation, no gradient).
    @inline(__always) func addSquaredErrors(state h: Int, targets y: UnsafePointer<Float>, to sse: inout Double) {
        for o in 0..<q {
            let e = error(o, state: h, target: y[o])
            sse += Double(e * e)
        }
    }

    /// Backward, before the block loop of one state: with several blocks, the errors (into `sse`),
    /// dy = 2 scale e (kept for `backward`) and dc += dy for every output. Nothing with one block.
    @inline(__always) func prepare(state h: Int, targets y: UnsafePointer<Float>, twoScale: Float, sse: inout Double) {
        guard sb != vb else { return }
        for o in 0..<q {
            let e = error(o, state: h, target: y[o])
            sse += Double(e * e)
            setScalar(oDY + o * 4, twoScale * e)
            setScalar(oGc + o * 4, scalar(oGc + o * 4) + twoScale * e)
        }
    }

    /// Backward, block `blk` of a state whose block is `h`: returns dh + sum_o C[o, blk] dy_o and
    /// adds dy_o h to dC[o, blk]. With one block this forms e and dy here (into `sse` and dc).
    @inline(__always)
    func backward(block blk: Int, h: V, targets y: UnsafePointer<Float>, twoScale: Float, sse: inout Double, dh: V) -> V {
        var dh = dh
        for o in 0..<q {
            let crow = vec(oCrow + o * sb + blk)
            let dy: Float
            if sb == vb {
                let e = (crow * h).hsum() + scalar(oc + o * 4) - y[o]
                sse += Double(e * e)
                dy = twoScale * e
                setScalar(oGc + o * 4, scalar(oGc + o * 4) + dy)
            } else {
                dy = scalar(oDY + o * 4)
            }
            dh = crow * dy + dh
            setVec(oGC + o * sb + blk, h * dy + vec(oGC + o * sb + blk))
        }
        return dh
    }
}
