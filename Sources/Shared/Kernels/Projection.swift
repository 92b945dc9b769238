// Matrix projections by LAPACK's SVD (dgesvd), in Double. Used after every
// optimizer step: the URNN's W <- U V^T (the orthogonal polar factor, which is
// the closest orthogonal matrix to W in Frobenius and spectral norm), and the
// contractive RNN's W <- U min(S, 1) V^T. Also the spectral norm, and the
// orthonormal-columns factor used by the orthogonal initializer.
//
// All matrices are row-major [rows, cols] arrays; LAPACK is called column-major
// (the copies are explicit, the sizes tiny).

import CLapack

/// A LAPACK routine reported failure (`info` as LAPACK returns it).
public struct LinearAlgebraError: Error, CustomStringConvertible, Sendable, Equatable {
    public var routine: String
    public var info: Int
    public var description: String { "\(routine) failed with info = \(info)" }
}

/// Pins OpenBLAS to one thread, once per process: jobs are parallel, steps are not.
enum LapackSetup {
    static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()
}

public enum MatrixProjection {
    /// Full SVD of a row-major rows x cols matrix A = U diag(s) V^T.
    /// Returns column-major U [rows x rows], s (descending, min(rows, cols)), column-major V^T [cols x cols].
    static func svdColumnMajor(_ a: [Double], rows m: Int, cols n: Int) throws -> (u: [Double], s: [Double], vt: [Double]) {
        precondition(a.count == m * n, "matrix size mismatch")
        _ = LapackSetup.configured
        var colMajor = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { colMajor[i + j * m] = a[i * n + j] } }
        var s = [Double](repeating: 0, count: min(m, n))
        var u = [Double](repeating: 0, count: m * m)
        var vt = [Double](repeating: 0, count: n * n)
        var superb = [Double](repeating: 0, count: max(1, min(m, n) - 1))
        let job = CChar(UInt8(ascii: "A"))
        let info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, job, job, LapackInt(m), LapackInt(n), &colMajor, LapackInt(m),
                                  &s, &u, LapackInt(m), &vt, LapackInt(n), &superb)
        guard info == 0 else { throw LinearAlgebraError(routine: "dgesvd", info: Int(info)) }
        return (u, s, vt)
    }

    /// Singular values of a row-major rows x cols matrix, descending.
    public static func singularValues(_ a: [Double], rows: Int, cols: Int) throws -> [Double] {
        try svdColumnMajor(a, rows: rows, cols: cols).s
    }

    /// ||A||_2, the largest singular value.
    public static func spectralNorm(_ a: [Double], rows: Int, cols: Int) throws -> Double {
        try singularValues(a, rows: rows, cols: cols).first ?? 0
    }

    /// U diag(f(s)) V^T for a square n x n row-major matrix.
    static func mapSingularValues(_ a: [Double], n: Int, _ f: (Double) -> Double) throws -> [Double] {
        let (u, s, vt) = try svdColumnMajor(a, rows: n, cols: n)
        let fs = s.map(f)
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var acc = 0.0
                for k in 0..<n { acc += u[i + k * n] * fs[k] * vt[k + j * n] }
                out[i * n + j] = acc
            }
        }
        return out
    }

    /// The closest orthogonal matrix to A (n x n, row-major): U V^T where A = U S V^T.
    /// Idempotent up to rounding; equals the orthogonal factor of the polar decomposition A = Q P.
    public static func nearestOrthogonal(_ a: [Double], n: Int) throws -> [Double] {
        try mapSingularValues(a, n: n) { _ in 1 }
    }

    /// U diag(min(s, bound)) V^T: the closest matrix (Frobenius) with spectral norm <= bound.
    public static func clipSingularValues(_ a: [Double], n: Int, bound: Double = 1) throws -> [Double] {
        try mapSingularValues(a, n: n) { Swift.min($0, bound) }
    }

    /// Orthonormal columns from a rows x cols (rows >= cols) matrix by modified Gram-Schmidt,
    /// which equals Q of A = QR with the signs of diag(R) made positive (Keras's orthogonal init).
    public static func orthonormalColumns(_ a: [Double], rows m: Int, cols n: Int) -> [Double] {
        precondition(m >= n && a.count == m * n)
        var q = a
        for j in 0..<n {
            for k in 0..<j {
                var dot = 0.0
                for i in 0..<m { dot += q[i * n + k] * q[i * n + j] }
                for i in 0..<m { q[i * n + j] -= dot * q[i * n + k] }
            }
            var norm = 0.0
            for i in 0..<m { norm += q[i * n + j] * q[i * n + j] }
            norm = norm.squareRoot()
            for i in 0..<m { q[i * n + j] = norm > 0 ? q[i * n + j] / norm : (i == j ? 1 : 0) }
        }
        return q
    }
}
