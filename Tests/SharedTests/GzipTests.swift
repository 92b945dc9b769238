import Foundation
import Testing
@testable import Shared

@Suite struct GzipTests {
    /// Compresses `bytes` with the system `gzip` command (an independent implementation).
    func gzipCommand(_ bytes: Data) throws -> Data {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("x")
        try bytes.write(to: file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -9 -n '\(file.path)'"]
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return try Data(contentsOf: URL(fileURLWithPath: file.path + ".gz"))
    }

    func sample(_ n: Int, seed: UInt64) -> Data {
        var rng = SplitMix64(seed: seed)
        // Half compressible text, half random bytes: exercises both deflate block kinds.
        var d = Data((0..<n / 2).map { UInt8(truncatingIfNeeded: $0 % 37 + 65) })
        d.append(contentsOf: (0..<(n - n / 2)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        return d
    }

    @Test func roundTripWithTheGzipCommand() throws {
        for n in [0, 1, 1000, 300_000] {
            let plain = sample(n, seed: UInt64(n))
            let gz = try gzipCommand(plain)
            #expect(Gzip.isGzip(gz))
            #expect(try Gzip.decompress(gz) == plain)
        }
    }

    @Test func concatenatedMembers() throws {
        let a = sample(5000, seed: 1), b = sample(7000, seed: 2)
        let gz = try gzipCommand(a) + gzipCommand(b)
        #expect(try Gzip.decompress(gz) == a + b)
    }

    @Test func truncatedInputThrows() throws {
        let gz = try gzipCommand(sample(100_000, seed: 3))
        for cut in [2, 10, gz.count / 2, gz.count - 4, gz.count - 1] {
            #expect(throws: GzipError(.truncated)) { try Gzip.decompress(gz.prefix(cut)) }
        }
    }

    @Test func garbageThrows() throws {
        #expect(!Gzip.isGzip(Data()))
        #expect(!Gzip.isGzip(Data([0x1f])))
        #expect(throws: GzipError(.notGzip)) { try Gzip.decompress(Data("hello".utf8)) }
        #expect(throws: GzipError(.notGzip)) { try Gzip.decompress(Data()) }
        // Right magic, garbage after it: a corrupt header.
        var bad = Data([0x1f, 0x8b, 0x08, 0x00]) + Data(repeating: 0xAB, count: 64)
        #expect(throws: GzipError.self) { try Gzip.decompress(bad) }
        // A flipped byte in the deflate body or the CRC: corrupt, never a wrong answer.
        let gz = try gzipCommand(sample(50_000, seed: 4))
        bad = gz; bad[gz.count - 6] ^= 0xFF  // inside the CRC-32
        do { _ = try Gzip.decompress(bad); Issue.record("corrupt CRC accepted") } catch let e as GzipError {
            if case .corrupt = e.reason {} else { Issue.record("expected corrupt, got \(e)") }
        }
        // Valid member followed by garbage.
        #expect(throws: GzipError.self) { try Gzip.decompress(gz + Data("junk".utf8)) }
    }

    @Test func outputLimitIsEnforced() throws {
        let gz = try gzipCommand(Data(repeating: 0, count: 1 << 20))
        #expect(throws: GzipError(.tooLarge(limit: 1000))) { try Gzip.decompress(gz, maxOutputBytes: 1000) }
        #expect(try Gzip.decompress(gz, maxOutputBytes: 1 << 20).count == 1 << 20)
    }
}
