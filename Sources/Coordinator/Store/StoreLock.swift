import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One running coordinator per store. A second `urnn-coordinator run` on the same store would
/// take the first one's leases back as if it had crashed and hand the same jobs out twice (the
/// store keeps one result per job either way, but the work is done twice and the first
/// coordinator's workers get ACKs for leases it no longer owns).
///
/// The lock is `flock(LOCK_EX | LOCK_NB)` on `STORE.lock` beside the store, held by an open file
/// descriptor for the life of the process: the kernel releases it however the process ends,
/// kill -9 included, so a crashed coordinator never leaves a stale lock. The file holds the
/// holder's pid and host for the error message; it is never deleted (deleting a lock file races
/// with the next locker). Readers (`status`, `export`, `report`) take no lock; `status` asks
/// `holder(storePath:)` whether a coordinator runs.
public final class StoreLock {
    public let path: String
    private let fd: Int32

    public struct Held: Error, CustomStringConvertible {
        public let storePath: String
        public let holder: String
        public var description: String {
            "store \(storePath) is in use by another coordinator (\(holder)); stop it first, or use another --store"
        }
    }

    /// Takes the lock for the store at `storePath`, or throws `Held` at once if another process
    /// has it (or a plain error if the lock file cannot be opened).
    public init(storePath: String) throws {
        path = storePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError(.open, "cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            let holder = Self.readHolder(fd)
            close(fd)
            if err == EWOULDBLOCK { throw Held(storePath: storePath, holder: holder.isEmpty ? "holder unknown" : holder) }
            throw StoreError(.open, "cannot lock \(path): \(String(cString: strerror(err)))")
        }
        self.fd = fd
        let note = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }  // releases the lock

    /// Who holds the lock of the store at `storePath` ("pid N on HOST"), or nil when no process
    /// does: the truth about a running coordinator, where its status row may be seconds stale
    /// (a crashed one) or gone. Creates nothing: no lock file means no holder. The probe takes a
    /// shared lock for an instant; a coordinator starting in that instant is refused and says so.
    public static func holder(storePath: String) -> String? {
        let fd = open(storePath + ".lock", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        let holder = readHolder(fd)
        return holder.isEmpty ? "holder unknown" : holder
    }

    private static func readHolder(_ fd: Int32) -> String {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = pread(fd, &buf, buf.count, 0)
        guard n > 0 else { return "" }
        return String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
