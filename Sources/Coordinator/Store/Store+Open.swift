import Foundation
import GRDB
import Shared

// Opening a store for reading, and checking that it is whole.

extension Store {
    /// The tables every store has (`migrator`, v1).
    static let requiredTables = ["sweep", "jobs", "results"]

    /// Opens the store at `path` for reading only (`status`, `export`, `report`, `check`).
    ///
    /// Readers never write: the file is opened `SQLITE_OPEN_READONLY`, nothing is created or
    /// migrated, and a file that is not a store (missing, empty, not SQLite, another schema) is
    /// refused with `.notAStore` and left as it was. On read-only media, where SQLite cannot
    /// create the WAL index (`-shm`), a store without a pending WAL is opened `immutable=1`.
    public convenience init(readingAt path: String,
                            clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws(StoreError) {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError(.open, "no store at \(path)") }
        guard let size = Self.fileSize(path) else { throw StoreError(.open, "cannot read \(path)") }
        guard size > 0 else { throw StoreError(.notAStore, "\(path) is not a store: the file is empty") }
        var config = Configuration()
        config.readonly = true
        config.label = "urnn-store-reader"
        config.busyMode = .timeout(10)
        let queue: DatabaseQueue
        do {
            queue = try Self.openChecked(path, config)
        } catch let e where Self.isReadOnlyMedia(path) {
            // The WAL index cannot be created here. Without a WAL to merge, the file alone is the
            // whole store and nobody can be writing it: immutable is exact.
            if Self.fileSize(path + "-wal") ?? 0 > 0 {
                throw StoreError(.open, "\(path) is on read-only media with an unmerged write-ahead log (\(path)-wal); "
                                 + "copy the store and its -wal file to writable storage and read it there", underlying: e.description)
            }
            queue = try Self.openChecked(Self.immutableURI(path), config)
        }
        self.init(path: path, pool: queue, clock: clock)
    }

    /// Problems `PRAGMA quick_check` reports (empty when the store is whole). Reads every page:
    /// about a second per few hundred MB.
    public func quickCheck() throws(StoreError) -> [String] {
        try StoreError.wrap(.read, "quick_check \(file)") {
            try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
                .flatMap { $0.split(separator: "\n").map(String.init) }
                .filter { $0 != "ok" && !$0.hasPrefix("*** in database") }
        }
    }

    /// Throws `.damaged` with the way out when `quickCheck` finds anything.
    public func requireWhole() throws(StoreError) {
        let problems: [String]
        do { problems = try quickCheck() } catch { problems = [error.underlying ?? error.description] }
        guard !problems.isEmpty else { return }
        let shown = problems.prefix(5).joined(separator: "; ") + (problems.count > 5 ? "; ... (\(problems.count) problems)" : "")
        throw StoreError(.damaged, "store \(path) is damaged (SQLite quick_check: \(shown)). Restore it from a backup, or "
                         + "save what is readable with `urnn-coordinator export --store \(path) > results.jsonl` and import "
                         + "that into a new store; `urnn-coordinator check --store \(path)` repeats this check")
    }

    static func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }

    private static func openChecked(_ location: String, _ config: Configuration) throws(StoreError) -> DatabaseQueue {
        let queue: DatabaseQueue
        do { queue = try DatabaseQueue(path: location, configuration: config) } catch {
            throw classify(error, location)
        }
        let missing: [String]
        do {
            missing = try queue.read { db in try requiredTables.filter { try !db.tableExists($0) } }
        } catch {
            throw classify(error, location)
        }
        if !missing.isEmpty {
            throw StoreError(.notAStore, "\(location) is not a store: an SQLite database without the table(s) "
                             + missing.joined(separator: ", "))
        }
        return queue
    }

    private static func classify(_ error: Error, _ location: String) -> StoreError {
        if let e = error as? DatabaseError {
            if e.resultCode == .SQLITE_NOTADB {
                return StoreError(.notAStore, "\(location) is not a store: not an SQLite database", sqliteCode: e.extendedResultCode.rawValue)
            }
            if e.resultCode == .SQLITE_CORRUPT {
                return StoreError(.damaged, "\(location) is damaged; `urnn-coordinator check --store \(location)` says more",
                                  underlying: e.description, sqliteCode: e.extendedResultCode.rawValue)
            }
            return StoreError(.open, "open \(location) for reading", underlying: e.description, sqliteCode: e.extendedResultCode.rawValue)
        }
        return StoreError(.open, "open \(location) for reading", underlying: String(describing: error))
    }

    /// True when neither the file nor its folder can be written (a read-only mount, or permissions).
    private static func isReadOnlyMedia(_ path: String) -> Bool {
        let dir = (path as NSString).deletingLastPathComponent
        return access(path, W_OK) != 0 || access(dir.isEmpty ? "." : dir, W_OK) != 0
    }

    /// `file:PATH?immutable=1`, the path percent-encoded (this SQLite is built with USE_URI).
    private static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }
}
