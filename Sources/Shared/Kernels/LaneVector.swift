// SIMD lanes for the fast Float kernels: one vector holds one hidden state
// (hidden size padded up to 4, 8 or 16 lanes), so each time step of one
// sequence is a handful of `vector * scalar + vector` operations.
//
// Note: `SIMD.addProduct` compiles to a library fma call per lane on default
// x86-64 builds; every multiply-add here is written `a * b + c` (Swift never fuses it into an
// FMA, in an x86-64-v3 build either). Only IEEE-exact vector instructions are used (never the
// approximate rcpps/rsqrtps, whose bits differ between CPU vendors), all lane-wise, with every
// horizontal sum in a fixed order: an SSE build and an AVX2 build give the same bits
// (docs/DEPLOY.md, "Instruction set").

import _Builtin_intrinsics.intel

/// SIMD4/8/16 of Float with a pairwise horizontal sum.
public protocol LaneVector: SIMD where Scalar == Float {
    /// The lanes a kernel processes at once when a whole vector per gate would not fit
    /// the registers (itself for 4 and 8 lanes, 8 lanes for 16): see LSTMKernel.
    associatedtype Chunk: LaneVector
    /// Sum of all lanes, by halving (fixed order, so deterministic).
    func hsum() -> Float
    /// Each lane limited to [lo, hi] (lo < hi) by SSE minps/maxps; a NaN lane stays NaN.
    func clamped(_ lo: Float, _ hi: Float) -> Self
}

/// SSE min/max on 4 lanes, NaN propagating: `minps` returns its second operand when either is NaN.
@inline(__always) func clamp4(_ x: SIMD4<Float>, _ lo: Float, _ hi: Float) -> SIMD4<Float> {
    _mm_max_ps(SIMD4(repeating: lo), _mm_min_ps(SIMD4(repeating: hi), x))
}

extension SIMD4: LaneVector where Scalar == Float {
    public typealias Chunk = SIMD4<Float>
    @inline(__always) public func hsum() -> Float {
        let a = lowHalf + highHalf
        return a[0] + a[1]
    }
    @inline(__always) public func clamped(_ lo: Float, _ hi: Float) -> Self { clamp4(self, lo, hi) }
}

extension SIMD8: LaneVector where Scalar == Float {
    public typealias Chunk = SIMD8<Float>
    @inline(__always) public func hsum() -> Float {
        let a = lowHalf + highHalf
        let b = a.lowHalf + a.highHalf
        return b[0] + b[1]
    }
    @inline(__always) public func clamped(_ lo: Float, _ hi: Float) -> Self {
        Self(lowHalf: clamp4(lowHalf, lo, hi), highHalf: clamp4(highHalf, lo, hi))
    }
}

extension SIMD16: LaneVector where Scalar == Float {
    public typealias Chunk = SIMD8<Float>
    @inline(__always) public func hsum() -> Float {
        let a = lowHalf + highHalf
        let b = a.lowHalf + a.highHalf
        let c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }
    @inline(__always) public func clamped(_ lo: Float, _ hi: Float) -> Self {
        Self(lowHalf: lowHalf.clamped(lo, hi), highHalf: highHalf.clamped(lo, hi))
    }
}

extension LaneVector {
    /// Bytes of one state in a fast kernel that holds it in `blockedBytes` (nb vectors): only
    /// 16-lane kernels are blocked (KernelFactory), so for 4 and 8 lanes this is the constant
    /// stride of one vector and the compiler drops the kernels' block loops (up to 20% at hidden 2).
    @inline(__always) static func stateBytes(_ blockedBytes: Int) -> Int {
        scalarCount == 16 ? blockedBytes : MemoryLayout<Self>.stride
    }
}

/// Branch-free lane selection by bit operations. (`replacing(with:where:)` compiles to a
/// per-lane loop through the stack here, which made it the bottleneck of the kernels.)
enum Lanes {
    @inline(__always) static func bits<V: LaneVector>(_ v: V) -> V.MaskStorage { unsafeBitCast(v, to: V.MaskStorage.self) }
    @inline(__always) static func float<V: LaneVector>(_ b: V.MaskStorage) -> V { unsafeBitCast(b, to: V.self) }

    /// max(x, 0) per lane: lanes with the sign bit set (negative, -0, negative NaN) become +0.
    @inline(__always) static func relu<V: LaneVector>(_ x: V) -> V {
        let b = bits(x)
        return float(b & ~(b &>> 31))
    }

    /// d where h != +0, else 0 (h non-negative, as after `relu`): the ReLU derivative mask.
    @inline(__always) static func keep<V: LaneVector>(_ d: V, wherePositive h: V) -> V {
        let hb = bits(h)
        let m = (V.MaskStorage() &- hb) &>> 31  // all ones iff 0 < hb as a signed integer
        return float(bits(d) & m)
    }
}

/// Vector elementary functions for the LSTM gates. Accuracy (measured on a 0.0002 grid):
/// relative error of `exp` below 3e-7 on [-87, 88]; `sigmoid` and `tanh` absolute error below 3e-7.
/// Inputs are clamped first by minps/maxps (2 instructions per register; the bit-mask clamp
/// this replaces took 12); a NaN input stays NaN.
enum VectorMath {
    /// e^x: x = n ln2 + r, |r| <= ln2/2, e^r by the degree-6 Taylor polynomial, 2^n by
    /// building the exponent bits. Inputs are clamped to [-87, 88] (no overflow to inf).
    @inline(__always)
    static func exp<V: LaneVector>(_ x0: V) -> V {
        let x = x0.clamped(-87, 88)
        let magic: Float = 12_582_912  // 1.5 * 2^23: adding it rounds to an integer
        let t = x * Float(1.442_695_040_888_963_4) + V(repeating: magic)
        let n = t - V(repeating: magic)
        let r = x - n * Float(0.693_145_751_953_125) - n * Float(1.428_606_765_330_187_045e-6)
        // Estrin's scheme: (1 + r) + r^2 (1/2 + r/6) + r^4 (1/24 + r/120 + r^2/720); a dependency
        // chain of 5 operations instead of Horner's 12 (the gates' critical path), one more operation.
        let r2 = r * r
        let a = r + V(repeating: 1)
        let b = r * Float(1.0 / 6) + V(repeating: 0.5)
        let c = r2 * Float(1.0 / 720) + (r * Float(1.0 / 120) + V(repeating: 1.0 / 24))
        let p = (r2 * r2) * c + (r2 * b + a)
        let tb = unsafeBitCast(t, to: V.MaskStorage.self)
        let mb = unsafeBitCast(V(repeating: magic), to: V.MaskStorage.self)
        let e = (tb &- mb &+ 127) &<< 23
        return p * unsafeBitCast(e, to: V.self)
    }

    /// 1 / (1 + e^-x).
    @inline(__always)
    static func sigmoid<V: LaneVector>(_ x: V) -> V {
        V(repeating: 1) / (V(repeating: 1) + exp(-x))
    }

    /// sigmoid(x) given -x: 1 / (1 + e^(-x)), bit-identical to `sigmoid(x)`.
    @inline(__always)
    static func sigmoidOfNegated<V: LaneVector>(_ minusX: V) -> V {
        V(repeating: 1) / (V(repeating: 1) + exp(minusX))
    }

    /// tanh(x) given 2x: 1 - 2 / (e^(2x) + 1), bit-identical to `tanh(x)`.
    @inline(__always)
    static func tanhOfDoubled<V: LaneVector>(_ twoX: V) -> V {
        V(repeating: 1) - V(repeating: 2) / (exp(twoX) + V(repeating: 1))
    }

    /// tanh x = 1 - 2 / (e^(2x) + 1).
    @inline(__always)
    static func tanh<V: LaneVector>(_ x: V) -> V {
        V(repeating: 1) - V(repeating: 2) / (exp(x + x) + V(repeating: 1))
    }
}
