import Foundation
import Shared
import Testing

/// The coordinator's and workers' command lines, as a user would type them.
struct Commands {
    let scratch: Scratch
    let children: Children

    /// `urnn-coordinator run SWEEP --store STORE --bind tcp://127.0.0.1:PORT ...`.
    func coordinator(sweep: String, store: String, port: Int, extra: [String] = [], name: String = "coordinator") throws -> Child {
        try children.start(Bin.coordinator, ["run", sweep, "--store", store, "--bind", "tcp://127.0.0.1:\(port)",
                                             "--report", scratch.path("\(name)-report")] + extra,
                           name: name, environment: ["URNN_LOG_LEVEL": "info"])
    }

    /// `urnn-worker --connect tcp://127.0.0.1:PORT --slots N --id ID --heartbeat-ms MS`.
    func worker(port: Int, id: String, slots: Int, heartbeatMs: Int, liveness: Int = 4) throws -> Child {
        try children.start(Bin.worker, ["--connect", "tcp://127.0.0.1:\(port)", "--slots", String(slots), "--id", id,
                                        "--heartbeat-ms", String(heartbeatMs), "--liveness", String(liveness)],
                           name: id)
    }

    /// `urnn-coordinator status --store STORE --json`, decoded.
    func status(store: String) throws -> StatusJSON {
        let f = try runToEnd(Bin.coordinator, ["status", "--store", store, "--json"], in: scratch)
        try #require(f.status == 0, "status failed: \(f.stderr)")
        return try JSON.decode(StatusJSON.self, from: Data(f.stdout.utf8))
    }

    /// `urnn-coordinator export --store STORE`: one `ResultRecord` per line.
    func export(store: String) throws -> [ResultRecord] {
        let f = try runToEnd(Bin.coordinator, ["export", "--store", store], in: scratch)
        try #require(f.status == 0, "export failed: \(f.stderr)")
        return try f.stdout.split(separator: "\n").map { try JSON.decode(ResultRecord.self, from: Data($0.utf8)) }
    }
}

/// What `urnn-coordinator status --json` prints.
struct StatusJSON: Codable {
    var total, done, pending, leased, failed, diverged, workersAlive: Int
    var jobsPerMinute, etaSeconds: Double?
    var coordinator: String
    var cancelled: Int?
    /// The pause rules in force ("every sweep", "SWEEP where key=value").
    var paused: [String]?
}

/// The worker runtime's stderr lines "... : start 1e7104ba (...)" and "... : done 1e7104ba in ...":
/// the 8-hex-digit job id prefixes, one entry per line, in log order.
enum WorkerLog {
    static func started(_ log: String) -> [String] { ids(after: ": start ", in: log) }
    static func finished(_ log: String) -> [String] { ids(after: ": done ", in: log) }

    private static func ids(after marker: String, in log: String) -> [String] {
        log.split(separator: "\n").compactMap { line in
            guard let r = line.range(of: marker) else { return nil }
            let id = line[r.upperBound...].prefix(8)
            return id.count == 8 && id.allSatisfy(\.isHexDigit) ? String(id) : nil
        }
    }
}

/// A noop sweep file: `count` jobs that each sleep `sleepMs` milliseconds.
func noopSweep(name: String, count: Int, sleepMs: Int) -> String {
    """
    name: \(name)
    kind: noop
    fixed:
      count: \(count)
      sleep_ms: \(sleepMs)

    """
}

extension Array where Element == ResultRecord {
    /// Job ids that occur more than once.
    var duplicateIDs: [String] {
        Dictionary(grouping: self, by: \.jobID).filter { $0.value.count > 1 }.map(\.key).sorted()
    }
}
