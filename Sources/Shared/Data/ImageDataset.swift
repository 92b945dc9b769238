// An image-classification dataset (MNIST, Fashion-MNIST) as read from a directory of IDX files,
// and the process-wide cache a worker keeps so that every job slot shares one copy.
//
// A directory holds the four standard files, raw or gzip, under their standard names with an
// optional prefix and an optional `.gz`:
//   *train-images-idx3-ubyte  *train-labels-idx1-ubyte  *t10k-images-idx3-ubyte  *t10k-labels-idx1-ubyte
// (e.g. `train-images-idx3-ubyte.gz` for MNIST, `mnist5k-train-images-idx3-ubyte.gz` for the
// subset in data/mnist5k). Pixels stay bytes (47 MB for 60,000 MNIST images); jobs scale them
// by 1/255 when they copy a batch.

import Foundation

public struct ImageDataset: Sendable {
    public var directory: String
    public var trainImages: IDXImages
    public var trainLabels: [UInt8]
    public var testImages: IDXImages
    public var testLabels: [UInt8]
    /// SHA-256 (hex, first 16 digits) over the four files' decompressed contents: recorded in a
    /// job's outcome, so a result names the exact data it was computed on.
    public var fingerprint: String

    public static let roles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

    /// The file in `directory` for `role`: exactly one name ending in role or role + ".gz".
    public static func file(for role: String, in directory: String) throws -> URL {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw IDXError(file: directory, message: "cannot list the dataset directory: \((error as NSError).localizedDescription)")
        }
        let hits = names.filter { $0.hasSuffix(role) || $0.hasSuffix(role + ".gz") }.sorted()
        guard hits.count == 1 else {
            throw IDXError(file: directory, message: hits.isEmpty
                ? "no file named *\(role) or *\(role).gz (a dataset directory holds the four standard MNIST files)"
                : "several files for \(role): \(hits.joined(separator: ", "))")
        }
        return URL(fileURLWithPath: directory).appendingPathComponent(hits[0])
    }

    /// Reads and checks the four files of `directory` (labels 0...9, counts matching, all
    /// images of one size).
    public static func load(directory: String) throws -> ImageDataset {
        let urls = try roles.map { try file(for: $0, in: directory) }
        let bytes = try urls.map { try IDX.readBytes($0) }
        let trainImages = try IDX.parseImages(bytes[0], name: urls[0].path)
        let trainLabels = try IDX.parseLabels(bytes[1], name: urls[1].path)
        let testImages = try IDX.parseImages(bytes[2], name: urls[2].path)
        let testLabels = try IDX.parseLabels(bytes[3], name: urls[3].path)
        guard trainImages.count == trainLabels.count else {
            throw IDXError(file: urls[1].path, message: "\(trainLabels.count) labels for the \(trainImages.count) images of \(urls[0].lastPathComponent)")
        }
        guard testImages.count == testLabels.count else {
            throw IDXError(file: urls[3].path, message: "\(testLabels.count) labels for the \(testImages.count) images of \(urls[2].lastPathComponent)")
        }
        guard testImages.rows == trainImages.rows, testImages.cols == trainImages.cols else {
            throw IDXError(file: urls[2].path, message: "images are \(testImages.rows) x \(testImages.cols), the training images \(trainImages.rows) x \(trainImages.cols)")
        }
        var all = [UInt8]()
        for b in bytes { all.append(contentsOf: b) }
        return ImageDataset(directory: directory, trainImages: trainImages, trainLabels: trainLabels,
                            testImages: testImages, testLabels: testLabels,
                            fingerprint: String(SHA256.hex(all).prefix(16)))
    }
}

/// Datasets by directory, read once per process and shared by every job (thread-safe). A worker
/// makes one and hands it to every job it runs; a failed read is not cached (the next job retries).
public final class DatasetCache: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [String: ImageDataset] = [:]
    private var loading: [String: NSCondition] = [:]
    /// Reads from disk so far (for tests: one per directory however many jobs ask).
    public private(set) var reads = 0

    public init() {}

    public func dataset(directory: String) throws -> ImageDataset {
        let key = URL(fileURLWithPath: directory).standardizedFileURL.path
        lock.lock()
        // One reader per directory: others wait for it rather than reading the same files again.
        while true {
            if let d = loaded[key] { lock.unlock(); return d }
            if let c = loading[key] {
                lock.unlock(); c.lock(); c.wait(until: Date().addingTimeInterval(0.05)); c.unlock(); lock.lock()
                continue
            }
            break
        }
        let cond = NSCondition()
        loading[key] = cond
        reads += 1
        lock.unlock()
        let result = Result { try ImageDataset.load(directory: key) }
        lock.lock()
        loading[key] = nil
        if case .success(let d) = result { loaded[key] = d }
        lock.unlock()
        cond.lock(); cond.broadcast(); cond.unlock()
        return try result.get()
    }
}
