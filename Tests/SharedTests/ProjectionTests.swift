import Foundation
import Testing
@testable import Shared

/// Row-major helpers in Double.
enum Mat {
    static func mul(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { let aik = a[i * n + k]; for j in 0..<n { c[i * n + j] += aik * b[k * n + j] } } }
        return c
    }
    static func t(_ a: [Double], _ n: Int) -> [Double] {
        var c = a
        for i in 0..<n { for j in 0..<n { c[i * n + j] = a[j * n + i] } }
        return c
    }
    static func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
    static func frob(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() }
    static func identity(_ n: Int) -> [Double] { (0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 } }
    static func random(_ n: Int, _ rng: inout Xoshiro256) -> [Double] { (0..<(n * n)).map { _ in rng.gaussian() } }

    /// Orthogonal polar factor by the Newton iteration Q <- (Q + Q^-T) / 2 (Higham), independent of the SVD.
    static func polarByNewton(_ a: [Double], _ n: Int) -> [Double] {
        var q = a
        for _ in 0..<100 {
            let inv = inverse(q, n)
            let next = zip(q, t(inv, n)).map { ($0 + $1) / 2 }
            if maxAbsDiff(next, q) < 1e-15 { return next }
            q = next
        }
        return q
    }

    /// Gauss-Jordan inverse with partial pivoting.
    static func inverse(_ a: [Double], _ n: Int) -> [Double] {
        var m = a, inv = identity(n)
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0 * n + c]) < abs(m[$1 * n + c]) }!
            for j in 0..<n { m.swapAt(c * n + j, p * n + j); inv.swapAt(c * n + j, p * n + j) }
            let d = m[c * n + c]
            for j in 0..<n { m[c * n + j] /= d; inv[c * n + j] /= d }
            for r in 0..<n where r != c {
                let f = m[r * n + c]
                if f == 0 { continue }
                for j in 0..<n { m[r * n + j] -= f * m[c * n + j]; inv[r * n + j] -= f * inv[c * n + j] }
            }
        }
        return inv
    }
}

@Suite struct ProjectionTests {
    @Test(arguments: [1, 2, 5, 8, 14, 33])
    func projectionIsOrthogonalIdempotentAndThePolarFactor(n: Int) throws {
        var rng = Xoshiro256(seed: UInt64(n), stream: "projection")
        for trial in 0..<5 {
            let a = Mat.random(n, &rng)
            let q = try MatrixProjection.nearestOrthogonal(a, n: n)
            // Orthogonal to 1e-12 in Double.
            #expect(Mat.maxAbsDiff(Mat.mul(Mat.t(q, n), q, n), Mat.identity(n)) < 1e-12, "n=\(n) trial \(trial)")
            // Idempotent.
            let qq = try MatrixProjection.nearestOrthogonal(q, n: n)
            #expect(Mat.maxAbsDiff(qq, q) < 1e-12)
            // Equals the polar decomposition's orthogonal factor (computed without an SVD).
            #expect(Mat.maxAbsDiff(Mat.polarByNewton(a, n), q) < 1e-9, "n=\(n) trial \(trial)")
            // Closest orthogonal matrix: no other orthogonal matrix (here random ones near q) is closer to a.
            let dq = Mat.frob(a, q)
            for _ in 0..<5 {
                let near = try MatrixProjection.nearestOrthogonal(zip(q, Mat.random(n, &rng)).map { $0 + 0.05 * $1 }, n: n)
                #expect(Mat.frob(a, near) >= dq - 1e-12)
            }
        }
    }

    @Test func contractiveClipBoundsTheSpectralNormAndKeepsContractiveMatrices() throws {
        var rng = Xoshiro256(seed: 7)
        let n = 6
        let a = Mat.random(n, &rng).map { $0 * 2 }
        let c = try MatrixProjection.clipSingularValues(a, n: n)
        #expect(try MatrixProjection.spectralNorm(c, rows: n, cols: n) <= 1 + 1e-12)
        let small = Mat.random(n, &rng).map { $0 * 0.05 }
        #expect(try MatrixProjection.spectralNorm(small, rows: n, cols: n) < 1)
        #expect(Mat.maxAbsDiff(try MatrixProjection.clipSingularValues(small, n: n), small) < 1e-13)
    }

    @Test func orthogonalInitHasOrthonormalColumns() {
        var rng = Xoshiro256(seed: 3)
        let shape = ModelShape(cell: .lstm, hidden: 5, inputs: 2, outputs: 2)
        let p = Initializer.keras(shape, rng: &rng)
        let wh = shape.slot("Wh")  // [20, 5]
        for a in 0..<5 {
            for b in 0..<5 {
                var dot = 0.0
                for r in 0..<20 { dot += p[wh.offset + r * 5 + a] * p[wh.offset + r * 5 + b] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-12)
            }
        }
        let bias = shape.slot("b")
        #expect(Array(p[bias.range]) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1] + [Double](repeating: 0, count: 10))
    }
}
