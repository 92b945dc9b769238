import ArgumentParser
import Foundation

/// `--checkpoint-dir DIR` of `urnn-worker` and `urnn-worker exec`: created if missing, must be a
/// writable directory.
enum CheckpointOption {
    static func validate(_ path: String) throws {
        guard !path.isEmpty, path.utf8.count <= 4096 else { throw ValidationError("--checkpoint-dir must be a path of 1-4096 bytes") }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw ValidationError("--checkpoint-dir \(path) exists and is not a directory") }
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw ValidationError("--checkpoint-dir \(path) cannot be created: \((error as NSError).localizedDescription)")
            }
        }
        guard FileManager.default.isWritableFile(atPath: path) else { throw ValidationError("--checkpoint-dir \(path) is not writable") }
    }
}
