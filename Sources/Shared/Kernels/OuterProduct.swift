// The weight gradients of the recurrent matrices, summed over every step and sequence of a batch:
//
//   RNN   dW[i, :]        += sum over (t, b) of da(t, b)_i      h(t-1, b)
//   LSTM  dWh[g n + i, :] += sum over (t, b) of dz_g(t, b)_i    h(t-1, b)
//
// in Swift rather than OpenBLAS's sgemm, whose kernel (and so its rounding) OpenBLAS picks by CPU
// model at run time. Here every sum runs over (t, b) in one fixed order, a lane per column j, with
// only IEEE multiplies and adds: the same bits on every x86-64 CPU and in SSE and AVX2 builds.
// Rows are done four at a time (4 accumulators per block of 16 lanes fit the registers).

enum OuterProduct {
    /// G[r, :] += sum_{t = t0..<t1, b = 0..<B} A[t, b, r] * H[t, b, :], with t ascending and b
    /// ascending within t.
    ///
    /// Byte offsets into `ws`: row r of G at `g + r * sb` (one state of `sb` bytes: nb vectors V);
    /// A[t, b, r] at `a + (t * maxBatch + b) * aRow + (r / n) * sb + (r % n) * 4` (`groups` states
    /// of n values per (t, b) row: 1 for the RNN's da, 4 for the LSTM's gates); H[t, b, :] at
    /// `h + (t * maxBatch + b) * sb`.
    @inline(__always)
    static func accumulate<V: LaneVector>(_: V.Type, ws: Workspace, g: Int, a: Int, aRow: Int, h: Int, n: Int, groups: Int,
                                          sb: Int, maxBatch: Int, batch B: Int, from t0: Int, to t1: Int) {
        let vb = MemoryLayout<V>.stride
        let rows = groups * n
        let raw = ws.raw
        @inline(__always) func aOff(_ r: Int) -> Int { (r / n) * sb + (r % n) * 4 }
        var r0 = 0
        while r0 < rows {
            let count = min(4, rows - r0)
            // Rows past the end repeat the last one (computed and stored twice, same values).
            let o0 = aOff(r0), o1 = aOff(r0 + min(1, count - 1)), o2 = aOff(r0 + min(2, count - 1)), o3 = aOff(r0 + min(3, count - 1))
            let g0 = g + r0 * sb, g1 = g + (r0 + min(1, count - 1)) * sb
            let g2 = g + (r0 + min(2, count - 1)) * sb, g3 = g + (r0 + min(3, count - 1)) * sb
            for blk in stride(from: 0, to: sb, by: vb) {
                var s0 = raw.load(fromByteOffset: g0 + blk, as: V.self), s1 = raw.load(fromByteOffset: g1 + blk, as: V.self)
                var s2 = raw.load(fromByteOffset: g2 + blk, as: V.self), s3 = raw.load(fromByteOffset: g3 + blk, as: V.self)
                for t in t0..<t1 {
                    var aK = a + t * maxBatch * aRow, hK = h + t * maxBatch * sb + blk
                    for _ in 0..<B {
                        let hv = raw.load(fromByteOffset: hK, as: V.self)
                        s0 = hv * raw.load(fromByteOffset: aK + o0, as: Float.self) + s0
                        s1 = hv * raw.load(fromByteOffset: aK + o1, as: Float.self) + s1
                        s2 = hv * raw.load(fromByteOffset: aK + o2, as: Float.self) + s2
                        s3 = hv * raw.load(fromByteOffset: aK + o3, as: Float.self) + s3
                        aK += aRow; hK += sb
                    }
                }
                // Highest first, so a repeated row ends with its own (identical) value.
                raw.storeBytes(of: s3, toByteOffset: g3 + blk, as: V.self)
                raw.storeBytes(of: s2, toByteOffset: g2 + blk, as: V.self)
                raw.storeBytes(of: s1, toByteOffset: g1 + blk, as: V.self)
                raw.storeBytes(of: s0, toByteOffset: g0 + blk, as: V.self)
            }
            r0 += 4
        }
    }
}
