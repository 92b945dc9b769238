import CLapack
import Foundation
import Testing
@testable import Shared

/// The Swift one-sided Jacobi SVD (JacobiSVD, behind MatrixProjection.svdColumnMajor) against
/// its reference twin, LAPACK's dgesvd, plus hard cases, bad input and determinism.
@Suite struct JacobiSVDTests {
    typealias SVD = (u: [Double], s: [Double], vt: [Double])

    // MARK: helpers (row-major input, column-major factors, as svdColumnMajor returns them)

    /// LAPACK's dgesvd (jobu = jobvt = "A"), called directly: the reference twin.
    static func lapack(_ a: [Double], _ m: Int, _ n: Int) throws -> SVD {
        openblas_set_num_threads(1)
        var colMajor = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { colMajor[i + j * m] = a[i * n + j] } }
        var s = [Double](repeating: 0, count: min(m, n))
        var u = [Double](repeating: 0, count: m * m)
        var vt = [Double](repeating: 0, count: n * n)
        var superb = [Double](repeating: 0, count: max(1, min(m, n) - 1))
        let job = CChar(UInt8(ascii: "A"))
        let info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, job, job, LapackInt(m), LapackInt(n), &colMajor, LapackInt(m),
                                  &s, &u, LapackInt(m), &vt, LapackInt(n), &superb)
        try #require(info == 0, "dgesvd info \(info)")
        return (u, s, vt)
    }

    static func random(_ m: Int, _ n: Int, seed: UInt64, stream: String = "jacobi") -> [Double] {
        var rng = Xoshiro256(seed: seed, stream: stream)
        return (0..<(m * n)).map { _ in rng.gaussian() }
    }

    /// U diag(s) V^T, row-major m x n.
    static func reconstruct(_ f: SVD, _ m: Int, _ n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0
                for k in 0..<f.s.count { acc += f.u[i + k * m] * f.s[k] * f.vt[k + j * n] }
                out[i * n + j] = acc
            }
        }
        return out
    }

    /// max |Q^T Q - I| for a column-major (or row-major: same for Q Q^T) square n x n matrix.
    static func orthogonalityError(_ q: [Double], _ n: Int) -> Double {
        var worst = 0.0
        for a in 0..<n {
            for b in 0..<n {
                var dot = 0.0
                for r in 0..<n { dot += q[r + a * n] * q[r + b * n] }
                worst = max(worst, abs(dot - (a == b ? 1 : 0)))
            }
        }
        return worst
    }

    static func frobenius(_ a: [Double]) -> Double { a.map { $0 * $0 }.reduce(0, +).squareRoot() }

    static func diff(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 - $1 } }

    /// The checks every decomposition must pass: shapes, s descending and >= 0, U and V
    /// orthogonal to `tol`, reconstruction to `tol` ||A||_F.
    static func checkFactorization(_ f: SVD, _ a: [Double], _ m: Int, _ n: Int, tol: Double = 1e-13,
                                   _ label: String) {
        #expect(f.u.count == m * m && f.vt.count == n * n && f.s.count == min(m, n), "\(label): shapes")
        #expect(f.s == f.s.sorted(by: >), "\(label): s not descending: \(f.s)")
        #expect(f.s.allSatisfy { $0 >= 0 }, "\(label): negative singular value: \(f.s)")
        let eu = orthogonalityError(f.u, m), ev = orthogonalityError(f.vt, n)
        #expect(eu <= tol, "\(label): U^T U - I = \(eu)")
        #expect(ev <= tol, "\(label): V^T V - I = \(ev)")
        let err = frobenius(diff(reconstruct(f, m, n), a))
        #expect(err <= tol * max(frobenius(a), Double.leastNormalMagnitude), "\(label): ||U S V^T - A|| = \(err), ||A|| = \(frobenius(a))")
    }

    static func bits(_ f: SVD) -> [UInt64] { (f.u + f.s + f.vt).map(\.bitPattern) }

    // MARK: (a) reference twin

    @Test(arguments: [[1, 1], [3, 3], [14, 14], [33, 33], [5, 9], [9, 5], [64, 64], [1, 7], [7, 1], [2, 16], [128, 128]])
    func agreesWithLapack(shape: [Int]) throws {
        let (m, n) = (shape[0], shape[1])
        for trial in 0..<(m * n > 1000 ? 1 : 4) {
            let label = "\(m)x\(n) trial \(trial)"
            let a = Self.random(m, n, seed: UInt64(trial), stream: "twin-\(m)x\(n)")
            let f = try MatrixProjection.svdColumnMajor(a, rows: m, cols: n)
            let ref = try Self.lapack(a, m, n)
            let sMax = ref.s[0]
            let sErr = zip(f.s, ref.s).map { abs($0 - $1) }.max() ?? 0
            #expect(sErr <= 1e-13 * sMax, "\(label): singular values differ from dgesvd by \(sErr), s_max \(sMax)")
            Self.checkFactorization(f, a, m, n, label)
            if m == n {
                // The URNN projection U V^T is unique for a nonsingular A: same as LAPACK's.
                let q = MatrixProjection.mapSingularValuesColumnMajorForTest(f, n)
                let qRef = MatrixProjection.mapSingularValuesColumnMajorForTest(ref, n)
                let d = Self.diff(q, qRef).map(abs).max() ?? 0
                #expect(d <= 1e-11, "\(label): U V^T differs from dgesvd's by \(d)")
            }
        }
    }

    // MARK: (b) hard cases

    @Test(arguments: [[1, 1], [4, 4], [3, 5], [5, 3], [14, 14]])
    func zeroMatrix(shape: [Int]) throws {
        let (m, n) = (shape[0], shape[1])
        let a = [Double](repeating: 0, count: m * n)
        let f = try MatrixProjection.svdColumnMajor(a, rows: m, cols: n)
        #expect(f.s.allSatisfy { $0 == 0 }, "\(m)x\(n): \(f.s)")
        Self.checkFactorization(f, a, m, n, "zero \(m)x\(n)")
        #expect(Self.reconstruct(f, m, n).allSatisfy { $0 == 0 })
    }

    @Test(arguments: [[14, 14], [9, 5], [5, 9], [30, 2]])
    func rankOne(shape: [Int]) throws {
        let (m, n) = (shape[0], shape[1])
        let x = Self.random(m, 1, seed: 1, stream: "x"), y = Self.random(n, 1, seed: 2, stream: "y")
        var a = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { a[i * n + j] = x[i] * y[j] } }
        let f = try MatrixProjection.svdColumnMajor(a, rows: m, cols: n)
        let expected = Self.frobenius(x) * Self.frobenius(y)
        #expect(abs(f.s[0] - expected) <= 1e-14 * expected, "\(m)x\(n): s0 \(f.s[0]) vs \(expected)")
        #expect(f.s.dropFirst().allSatisfy { $0 <= 1e-14 * expected }, "\(m)x\(n): \(f.s)")
        Self.checkFactorization(f, a, m, n, "rank one \(m)x\(n)")
        let ref = try Self.lapack(a, m, n)
        #expect(zip(f.s, ref.s).allSatisfy { abs($0 - $1) <= 1e-13 * expected })
    }

    @Test func duplicateColumns() throws {
        // 8 x 6 with column 1 = column 0 and column 5 = column 0 exactly (rank 4): the Jacobi
        // rotation of the two equal columns 0 and 1 yields an exactly zero column, whose U column
        // is completed.
        let (m, n) = (8, 6)
        var a = Self.random(m, n, seed: 3)
        for i in 0..<m { a[i * n + 1] = a[i * n]; a[i * n + 5] = a[i * n] }
        for (rows, cols, matrix) in [(m, n, a), (n, m, Mat.transpose(a, m, n))] {
            let f = try MatrixProjection.svdColumnMajor(matrix, rows: rows, cols: cols)
            #expect(f.s[4] <= 1e-14 * f.s[0] && f.s[5] <= 1e-14 * f.s[0], "\(rows)x\(cols): \(f.s)")
            #expect(f.s[3] > 1e-3 * f.s[0])
            Self.checkFactorization(f, matrix, rows, cols, "duplicate columns \(rows)x\(cols)")
            let ref = try Self.lapack(matrix, rows, cols)
            #expect(zip(f.s, ref.s).allSatisfy { abs($0 - $1) <= 1e-13 * ref.s[0] })
        }
    }

    @Test func repeatedSingularValues() throws {
        // 2 I: no rotation at all, so everything is exact.
        for n in [1, 3, 14] {
            let a = Mat.identity(n).map { 2 * $0 }
            let f = try MatrixProjection.svdColumnMajor(a, rows: n, cols: n)
            #expect(f.s == [Double](repeating: 2, count: n))
            #expect(Self.reconstruct(f, n, n) == a, "2I, n=\(n)")
            Self.checkFactorization(f, a, n, n, "2I n=\(n)")
        }
        // An orthogonal matrix: all singular values 1, its projection is itself.
        for n in [2, 7, 14, 33] {
            let q = MatrixProjection.orthonormalColumns(Self.random(n, n, seed: 4, stream: "q\(n)"), rows: n, cols: n)
            let f = try MatrixProjection.svdColumnMajor(q, rows: n, cols: n)
            #expect(f.s.allSatisfy { abs($0 - 1) <= 1e-14 }, "orthogonal n=\(n): \(f.s)")
            Self.checkFactorization(f, q, n, n, "orthogonal n=\(n)")
            #expect(Mat.maxAbsDiff(try MatrixProjection.nearestOrthogonal(q, n: n), q) <= 1e-14)
        }
        // Singular values 3, 3, 3, 1, 1 in random bases.
        let n = 5
        let p = MatrixProjection.orthonormalColumns(Self.random(n, n, seed: 5, stream: "p"), rows: n, cols: n)
        let r = MatrixProjection.orthonormalColumns(Self.random(n, n, seed: 6, stream: "r"), rows: n, cols: n)
        let a = Mat.mul(Mat.mul(p, Mat.diagonal([3, 3, 3, 1, 1]), n), Mat.t(r, n), n)
        let f = try MatrixProjection.svdColumnMajor(a, rows: n, cols: n)
        #expect(zip(f.s, [3.0, 3, 3, 1, 1]).allSatisfy { abs($0 - $1) <= 1e-14 }, "\(f.s)")
        Self.checkFactorization(f, a, n, n, "3,3,3,1,1")
    }

    @Test func hugeDynamicRange() throws {
        // Diagonal entries 1e-12 ... 1e12 in a permuted order with signs: the one-sided Jacobi SVD
        // finds them to relative accuracy (the columns are already orthogonal).
        let n = 9
        let d = (0..<n).map { k in (k % 2 == 0 ? 1.0 : -1.0) * [1e-12, 1e-9, 1e-6, 1e-3, 1, 1e3, 1e6, 1e9, 1e12][(k * 4) % n] }
        let diag = Mat.diagonal(d)
        let f = try MatrixProjection.svdColumnMajor(diag, rows: n, cols: n)
        let want = d.map(abs).sorted(by: >)
        #expect(zip(f.s, want).allSatisfy { abs($0 - $1) <= 1e-15 * $1 }, "\(f.s) vs \(want)")
        Self.checkFactorization(f, diag, n, n, "diag 1e-12..1e12")

        // The same spectrum in random bases: absolute accuracy eps s_max, like dgesvd.
        let p = MatrixProjection.orthonormalColumns(Self.random(n, n, seed: 7, stream: "p"), rows: n, cols: n)
        let r = MatrixProjection.orthonormalColumns(Self.random(n, n, seed: 8, stream: "r"), rows: n, cols: n)
        let a = Mat.mul(Mat.mul(p, diag, n), Mat.t(r, n), n)
        let g = try MatrixProjection.svdColumnMajor(a, rows: n, cols: n)
        let ref = try Self.lapack(a, n, n)
        #expect(zip(g.s, ref.s).allSatisfy { abs($0 - $1) <= 1e-13 * ref.s[0] }, "\(g.s) vs \(ref.s)")
        Self.checkFactorization(g, a, n, n, "rotated 1e-12..1e12")

        // Scaling by a power of two is exact: the factors do not change and s scales exactly,
        // even where squared entries would overflow (2^900) or underflow (2^-990).
        let b = Self.random(6, 4, seed: 9)
        let base = try MatrixProjection.svdColumnMajor(b, rows: 6, cols: 4)
        for k in [900, -990] {
            let factor = k > 0 ? 0x1p900 : 0x1p-990
            let scaled = try MatrixProjection.svdColumnMajor(b.map { $0 * factor }, rows: 6, cols: 4)
            #expect(scaled.u == base.u && scaled.vt == base.vt, "2^\(k)")
            #expect(scaled.s == base.s.map { $0 * factor }, "2^\(k)")
        }
        // Tiny matrices (subnormal entries) and huge ones (largest finite Double) still decompose.
        let tiny = [5e-324, 0, 0, -1e-320]
        let ft = try MatrixProjection.svdColumnMajor(tiny, rows: 2, cols: 2)
        #expect(ft.s == [1e-320, 5e-324])
        let huge = [Double.greatestFiniteMagnitude, 0, 0, -Double.greatestFiniteMagnitude / 4]
        let fh = try MatrixProjection.svdColumnMajor(huge, rows: 2, cols: 2)
        #expect(fh.s == [Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude / 4])
    }

    @Test func diagonalWithNegativeEntries() throws {
        let d = [3.0, -5, 0.5, -2, 0]
        let n = d.count
        let a = Mat.diagonal(d)
        let f = try MatrixProjection.svdColumnMajor(a, rows: n, cols: n)
        #expect(f.s == [5, 3, 2, 0.5, 0])
        #expect(Self.reconstruct(f, n, n) == a, "exact: U is a signed permutation")
        Self.checkFactorization(f, a, n, n, "signed diagonal")
        // Its polar factor: the signs on the nonzero diagonal (plus some orthogonal completion).
        let q = try MatrixProjection.nearestOrthogonal(a, n: n)
        for k in 0..<4 { #expect(q[k * n + k] == (d[k] > 0 ? 1 : -1)) }
    }

    @Test func theoryModuleUsesTheSameSVD() throws {
        var rng = Xoshiro256(seed: 10)
        let a = Matrix.gaussian(rows: 7, cols: 4, rng: &rng)
        let (u, s, vt) = try DenseLinearAlgebra.svd(a)
        let f = try MatrixProjection.svdColumnMajor(a.data, rows: 7, cols: 4)
        #expect(s.map(\.bitPattern) == f.s.map(\.bitPattern))
        #expect(try DenseLinearAlgebra.singularValues(a).map(\.bitPattern) == f.s.map(\.bitPattern))
        #expect(u[2, 1] == f.u[2 + 1 * 7] && vt[3, 0] == f.vt[3 + 0 * 4])
        let ref = try Self.lapack(a.data, 7, 4)
        #expect(zip(s, ref.s).allSatisfy { abs($0 - $1) <= 1e-13 * ref.s[0] })
    }

    // MARK: (c) bad input

    @Test(.timeLimit(.minutes(1)), arguments: [Double.nan, .infinity, -.infinity, .signalingNaN])
    func nonFiniteEntryThrows(bad: Double) throws {
        for (m, n) in [(1, 1), (4, 4), (3, 6), (6, 3)] {
            for position in [0, m * n - 1, (m * n) / 2] {
                var a = Self.random(m, n, seed: 11)
                a[position] = bad
                #expect(throws: LinearAlgebraError(routine: "jacobi-svd", info: -1), "\(m)x\(n) at \(position)") {
                    try MatrixProjection.svdColumnMajor(a, rows: m, cols: n)
                }
                #expect(throws: LinearAlgebraError(routine: "jacobi-svd", info: -1)) {
                    try MatrixProjection.singularValues(a, rows: m, cols: n)
                }
                if m == n {
                    #expect(throws: LinearAlgebraError.self) { try MatrixProjection.nearestOrthogonal(a, n: n) }
                    #expect(throws: LinearAlgebraError.self) { try MatrixProjection.clipSingularValues(a, n: n) }
                }
                let matrix = Matrix(rows: m, cols: n, data: a)
                let calls: [() throws -> Void] = [{ _ = try DenseLinearAlgebra.svd(matrix) }, { _ = try DenseLinearAlgebra.singularValues(matrix) }]
                for call in calls {
                    do {
                        try call()
                        Issue.record("\(m)x\(n): no error for \(bad)")
                    } catch let error as TheoryError {
                        guard case let .lapack(routine, info, _) = error else { Issue.record("\(error)"); continue }
                        #expect(routine == "jacobi-svd" && info == -1)
                    } catch {
                        Issue.record("unexpected \(error)")
                    }
                }
            }
        }
    }

    // MARK: (d) determinism

    @Test func sameInputSameBits() throws {
        for (m, n) in [(14, 14), (33, 33), (9, 5), (5, 9), (8, 6)] {
            var a = Self.random(m, n, seed: 12)
            if m == 8 { for i in 0..<m { a[i * n + 1] = a[i * n] } }  // with a completed U column
            let first = try MatrixProjection.svdColumnMajor(a, rows: m, cols: n)
            let second = try MatrixProjection.svdColumnMajor(a, rows: m, cols: n)
            #expect(Self.bits(first) == Self.bits(second), "\(m)x\(n)")
            // The values-only path computes the same bits.
            #expect(try MatrixProjection.singularValues(a, rows: m, cols: n).map(\.bitPattern) == first.s.map(\.bitPattern))
        }
    }

    /// The bits of two fixed decompositions (input from Xoshiro's uniform draws, exact on every
    /// CPU, unlike the Gaussian's libm), as a fingerprint. The Jacobi SVD uses only IEEE +, -, *,
    /// / and sqrt in a fixed order, so this must hold on every CPU model, in a debug or release
    /// build, for x86-64-v3 or baseline: if it fails on some machine, the SVD is no longer
    /// machine-independent. (An intended change of the algorithm changes it too: then update it.)
    @Test func fingerprintIsTheSameOnEveryMachine() throws {
        var hashes: [String] = []
        for (m, n) in [(14, 14), (9, 5)] {
            var rng = Xoshiro256(seed: 13, stream: "fingerprint")
            let a = (0..<(m * n)).map { _ in 2 * rng.uniform() - 1 }
            let f = try MatrixProjection.svdColumnMajor(a, rows: m, cols: n)
            var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a over the bytes of every bit pattern
            for word in Self.bits(f) { for k in 0..<8 { h = (h ^ ((word >> (8 * UInt64(k))) & 0xFF)) &* 0x0000_0100_0000_01B3 } }
            hashes.append(String(h, radix: 16))
        }
        #expect(hashes == ["eecdf40c47b2333a", "8b0b98e123dc233e"])
    }
}

extension MatrixProjection {
    /// U V^T (row-major) from column-major square factors: the URNN projection of a decomposition.
    static func mapSingularValuesColumnMajorForTest(_ f: (u: [Double], s: [Double], vt: [Double]), _ n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { var acc = 0.0; for k in 0..<n { acc += f.u[i + k * n] * f.vt[k + j * n] }; out[i * n + j] = acc } }
        return out
    }
}

extension Mat {
    static func diagonal(_ d: [Double]) -> [Double] {
        let n = d.count
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { m[i * n + i] = d[i] }
        return m
    }
    /// Row-major transpose of a row-major m x n matrix.
    static func transpose(_ a: [Double], _ m: Int, _ n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { out[j * m + i] = a[i * n + j] } }
        return out
    }
}
