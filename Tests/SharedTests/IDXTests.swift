import Foundation
import Testing
@testable import Shared

/// The project root (Tests/SharedTests/ -> ../../).
let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let mnist5kDirectory = projectRoot.appendingPathComponent("data/mnist5k").path

@Suite struct IDXTests {
    func header(_ words: [UInt32]) -> [UInt8] { words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (24 - 8 * $0)) } } }

    @Test func fixtureLoads() throws {
        let d = try ImageDataset.load(directory: mnist5kDirectory)
        #expect(d.trainImages.count == 4000 && d.trainLabels.count == 4000)
        #expect(d.testImages.count == 1000 && d.testLabels.count == 1000)
        #expect(d.trainImages.rows == 28 && d.trainImages.cols == 28)
        // 500 per class over the 5,000 images (the subset's README).
        var perClass = [Int](repeating: 0, count: 10)
        for l in d.trainLabels + d.testLabels { perClass[Int(l)] += 1 }
        #expect(perClass == [Int](repeating: 500, count: 10))
        // Real digits: mostly background, some full-ink pixels.
        let ink = d.trainImages.pixels.filter { $0 > 128 }.count
        #expect(ink > d.trainImages.pixels.count / 20 && ink < d.trainImages.pixels.count / 3)
        #expect(d.fingerprint.count == 16)
    }

    @Test func permutationFileMatchesTheCompiledOne() throws {
        let text = try String(contentsOf: projectRoot.appendingPathComponent("data/pmnist-permutation-92916.txt"), encoding: .utf8)
        let file = text.split(separator: "\n").map { Int($0)! }
        #expect(file == PixelOrder.permutation92916)
        #expect(file.count == 784 && Set(file).count == 784 && file.min() == 0 && file.max() == 783)
        #expect(Array(file.prefix(5)) == [319, 576, 323, 107, 355])
        #expect(file.last == 346)
        // Pooled orders are permutations of the pooled cells.
        for pool in [1, 2, 4, 7] {
            let o = PixelOrder.order(permuted: true, pool: pool), side = 28 / pool
            #expect(o.sorted() == Array(0..<(side * side)))
            #expect(PixelOrder.order(permuted: false, pool: pool) == Array(0..<(side * side)))
        }
    }

    @Test func malformedImageFiles() throws {
        func expectError(_ bytes: [UInt8], _ fragment: String) {
            do { _ = try IDX.parseImages(bytes, name: "x-images"); Issue.record("accepted: expected \(fragment)") } catch let e as IDXError {
                #expect(e.file == "x-images")
                #expect(e.message.contains(fragment), "\(e.message) lacks \(fragment)")
            } catch { Issue.record("unexpected \(error)") }
        }
        expectError([], "too short")
        expectError(header([0x801, 1, 28, 28]) + [UInt8](repeating: 0, count: 784), "wrong magic 0x00000801")
        expectError(header([0x803, 2, 28, 28]) + [UInt8](repeating: 0, count: 784), "truncated")
        expectError(header([0x803, 1, 28, 28]) + [UInt8](repeating: 0, count: 785), "1 bytes after")
        expectError(header([0x803, 0, 28, 28]), "no images")
        expectError(header([0x803, 1, 0, 28]), "implausible image size")
        expectError(header([0x803, 1, 100_000, 28]), "implausible image size")
        #expect(try IDX.parseImages(header([0x803, 2, 2, 3]) + [UInt8](0..<12), name: "ok").pixels == [UInt8](0..<12))
    }

    @Test func malformedLabelFiles() throws {
        func expectError(_ bytes: [UInt8], _ fragment: String) {
            do { _ = try IDX.parseLabels(bytes, name: "x-labels"); Issue.record("accepted: expected \(fragment)") } catch let e as IDXError {
                #expect(e.message.contains(fragment), "\(e.message) lacks \(fragment)")
            } catch { Issue.record("unexpected \(error)") }
        }
        expectError([0, 0, 8], "too short")
        expectError(header([0x803, 3]) + [1, 2, 3], "wrong magic")
        expectError(header([0x801, 3]) + [1, 2], "truncated")
        expectError(header([0x801, 3]) + [1, 2, 10], "label 10 at index 2")
        expectError(header([0x801, 0]), "no labels")
        #expect(try IDX.parseLabels(header([0x801, 3]) + [0, 9, 5], name: "ok") == [0, 9, 5])
    }

    /// A dataset directory with the fixture's files, one of them replaced by `bytes`.
    func directory(replacing role: String?, with bytes: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for r in ImageDataset.roles {
            let src = try ImageDataset.file(for: r, in: mnist5kDirectory)
            if r == role {
                try Data(bytes).write(to: dir.appendingPathComponent(r))
            } else {
                try FileManager.default.copyItem(at: src, to: dir.appendingPathComponent(src.lastPathComponent))
            }
        }
        return dir.path
    }

    @Test func badDirectoriesNameTheFile() throws {
        // Empty file.
        var dir = try directory(replacing: "t10k-labels-idx1-ubyte", with: [])
        #expect { try ImageDataset.load(directory: dir) } throws: { e in
            (e as? IDXError).map { $0.file.hasSuffix("t10k-labels-idx1-ubyte") && $0.message == "empty file" } ?? false
        }
        // Count mismatch between images and labels.
        dir = try directory(replacing: "t10k-labels-idx1-ubyte", with: header([0x801, 3]) + [1, 2, 3])
        #expect { try ImageDataset.load(directory: dir) } throws: { e in
            (e as? IDXError).map { $0.message.contains("3 labels for the 1000 images") } ?? false
        }
        // A truncated gzip file.
        let gz = try Data(contentsOf: try ImageDataset.file(for: "train-labels-idx1-ubyte", in: mnist5kDirectory))
        dir = try directory(replacing: "train-labels-idx1-ubyte", with: [UInt8](gz.prefix(gz.count / 2)))
        #expect { try ImageDataset.load(directory: dir) } throws: { e in
            (e as? IDXError).map { $0.file.hasSuffix("train-labels-idx1-ubyte") && $0.message.contains("truncated") } ?? false
        }
        // A missing file and a missing directory.
        try FileManager.default.removeItem(atPath: dir + "/train-labels-idx1-ubyte")
        #expect(throws: IDXError.self) { try ImageDataset.load(directory: dir) }
        #expect(throws: IDXError.self) { try ImageDataset.load(directory: dir + "/nope") }
    }

    @Test func splitsAndBatches() throws {
        let d = try ImageDataset.load(directory: mnist5kDirectory)
        let s = try PixelSplits.make(d, validation: nil, seed: 1, permuted: true, pool: 1, trainLimit: nil, testLimit: nil)
        #expect(s.validation.count == 400 && s.train.count == 3600 && s.test.count == 1000)
        #expect(Set(s.train.members).isDisjoint(with: s.validation.members))
        #expect(s.train.steps == 784)
        // Seeded: same seed same split, another seed another.
        let again = try PixelSplits.make(d, validation: nil, seed: 1, permuted: true, pool: 1, trainLimit: nil, testLimit: nil)
        let other = try PixelSplits.make(d, validation: nil, seed: 2, permuted: true, pool: 1, trainLimit: nil, testLimit: nil)
        #expect(again.validation.members == s.validation.members && other.validation.members != s.validation.members)
        #expect(PixelSplits.defaultValidationCount(trainImages: 60_000) == 5_000)
        #expect(throws: SpecError.self) {
            try PixelSplits.make(d, validation: 4000, seed: 1, permuted: true, pool: 1, trainLimit: nil, testLimit: nil)
        }
        // Batch-major gather: step t of member b is pixel perm[t] / 255.
        var x = [Float](repeating: -1, count: 784 * 2), labels = [Int32](repeating: -1, count: 2)
        s.test.gather([0, 1], x: &x, labels: &labels)
        for b in 0..<2 {
            #expect(labels[b] == Int32(d.testLabels[b]))
            for t in [0, 1, 500, 783] {
                #expect(x[t * 2 + b] == Float(d.testImages.pixels[b * 784 + PixelOrder.permutation92916[t]]) / 255)
            }
        }
        // Pooled 4x4: 49 steps, each the mean of a 4x4 cell.
        let p = try PixelSplits.make(d, validation: nil, seed: 1, permuted: false, pool: 4, trainLimit: 10, testLimit: 5)
        #expect(p.train.count == 10 && p.test.count == 5 && p.test.steps == 49)
        var xp = [Float](repeating: 0, count: 49), lp = [Int32](repeating: 0, count: 1)
        p.test.gather([0], x: &xp, labels: &lp)
        var sum = 0
        for r in 4..<8 { for c in 8..<12 { sum += Int(d.testImages.pixels[r * 28 + c]) } }
        #expect(xp[1 * 7 + 2] == Float(sum) / (255 * 16))
    }

    @Test func cacheReadsOncePerDirectory() throws {
        let cache = DatasetCache()
        let group = DispatchGroup()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) { _ = try? cache.dataset(directory: mnist5kDirectory) }
        }
        group.wait()
        _ = try cache.dataset(directory: mnist5kDirectory + "/")
        #expect(cache.reads == 1)
        #expect(throws: IDXError.self) { try cache.dataset(directory: "/nonexistent-dir") }
    }
}
