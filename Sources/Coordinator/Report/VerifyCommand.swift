import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator verify --store X --sample 10`: re-run stored jobs with `urnn-worker exec` and
/// check that each outcome is bit-identical to the stored one.
///
/// A job's outcome is a pure function of its spec (docs/ARCHITECTURE.md, "Determinism"), so any
/// difference means a changed training core, a machine that computes differently, or a damaged
/// store. The sample is drawn with a seed that is printed, so a run can be repeated exactly.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-run a random sample of stored jobs with urnn-worker exec; check outcomes are bit-identical.",
        discussion: "Exit status 0: every re-run matched; 1: at least one differed or failed. "
            + "The worker binary is urnn-worker next to this executable, or $URNN_WORKER_BINARY.")

    @Option(help: "The results store to check.")
    var store: String

    @Option(help: "How many stored results to re-run (1 to 100000).")
    var sample = 10

    @Option(help: "Seed of the sample (default: drawn at random and printed).")
    var seed: UInt64?

    @Option(name: .customLong("job"), help: "Re-run this job id instead of a random sample (repeatable).")
    var jobIDs: [String] = []

    @Option(help: "Re-runs at the same time (1 to 4 x this machine's cores).")
    var parallel = 1

    func validate() throws {
        guard (1...100_000).contains(sample) else { throw ValidationError("--sample must be in 1...100000, got \(sample)") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard (1...(4 * cores)).contains(parallel) else {
            throw ValidationError("--parallel must be in 1...\(4 * cores) (4 x \(cores) cores), got \(parallel)")
        }
        for id in jobIDs where id.count != 32 || !id.allSatisfy(\.isHexDigit) {
            throw ValidationError("--job \(id): a job id is 32 hex digits (see `export`)")
        }
    }

    func run() throws {
        let records = try loadRecords(storePath: store)
        guard !records.isEmpty else { throw CoordinatorError.setup("\(store) holds no results to verify") }
        let chosen: [ResultRecord]
        if jobIDs.isEmpty {
            let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
            chosen = Self.sample(records, count: sample, seed: seed)
            print("verifying \(chosen.count) of \(records.count) stored results (--seed \(seed)) with \(try LocalWorkers.workerBinary().path)")
        } else {
            let byID = Dictionary(records.map { ($0.jobID, $0) }, uniquingKeysWith: { a, _ in a })
            chosen = try jobIDs.map { id in
                guard let r = byID[id] else { throw CoordinatorError.setup("job \(id) has no stored result in \(store)") }
                return r
            }
            print("verifying \(chosen.count) stored results with \(try LocalWorkers.workerBinary().path)")
        }
        let binary = try LocalWorkers.workerBinary()
        // SIGINT/SIGTERM end the exec children too (they would otherwise finish their jobs alone).
        let cleanup = ChildReaper.installOnStopSignals()
        defer { withExtendedLifetime(cleanup) {} }
        let results = Self.rerun(chosen, binary: binary, parallel: parallel)
        var bad = 0
        for (r, verdict) in zip(chosen, results) {
            let head = "\(r.jobID.prefix(12))  \(r.spec.summary)  (stored by \(r.provenance.buildVersion))"
            switch verdict {
            case .identical(let seconds): print(String(format: "identical  %@  %.1f s", head, seconds))
            case .differs(let what): bad += 1; print("DIFFERS    \(head): \(what)")
            case .failed(let why): bad += 1; print("FAILED     \(head): \(why)")
            }
        }
        print("\(chosen.count - bad) of \(chosen.count) re-runs bit-identical to the stored outcome")
        if bad > 0 { throw ExitCode(1) }
    }

    enum Verdict: Sendable { case identical(Double), differs(String), failed(String) }

    /// `count` records without repetition, a pure function of `seed` (partial Fisher-Yates).
    static func sample(_ records: [ResultRecord], count: Int, seed: UInt64) -> [ResultRecord] {
        var rng = Xoshiro256(seed: seed, stream: "verify-sample", index: 0)
        var idx = Array(records.indices)
        let k = min(count, idx.count)
        for i in 0..<k {
            let j = i + Int(rng.next() % UInt64(idx.count - i))
            idx.swapAt(i, j)
        }
        return idx.prefix(k).sorted().map { records[$0] }
    }

    /// Runs `urnn-worker exec --quiet --spec -` for each record, at most `parallel` at a time.
    static func rerun(_ records: [ResultRecord], binary: URL, parallel: Int) -> [Verdict] {
        let results = LockedArray<Verdict?>(repeating: nil, count: records.count)
        let next = LockedArray<Int>(repeating: 0, count: 1)
        DispatchQueue.concurrentPerform(iterations: min(parallel, records.count)) { _ in
            while true {
                let i = next.update(0) { v in let i = v; v += 1; return i }
                guard i < records.count else { return }
                results.set(i, verdict(records[i], binary: binary))
            }
        }
        return results.values.map { $0! }
    }

    static func verdict(_ r: ResultRecord, binary: URL) -> Verdict {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["exec", "--quiet", "--spec", "-"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        p.standardInput = input; p.standardOutput = output; p.standardError = errors
        let started = Date()
        do { try p.run() } catch { return .failed("cannot start \(binary.path): \(error)") }
        ChildReaper.shared.add(p.processIdentifier)
        defer { ChildReaper.shared.remove(p.processIdentifier) }
        input.fileHandleForWriting.write(r.spec.canonicalJSON())
        try? input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            return .failed("exit \(p.terminationStatus): \(String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let outcome: JobOutcome
        do { outcome = try JSON.decode(JobOutcome.self, from: out) } catch { return .failed("exec printed no outcome: \(error)") }
        if outcome.bitwiseEqual(r.outcome) { return .identical(Date().timeIntervalSince(started)) }
        return .differs(Self.difference(stored: r.outcome, rerun: outcome))
    }

    /// The first few differences between two outcomes, for the message.
    static func difference(stored a: JobOutcome, rerun b: JobOutcome) -> String {
        var d: [String] = []
        if a.status != b.status { d.append("status \(a.status.rawValue) -> \(b.status.rawValue)") }
        for k in Set(a.metrics.keys).union(b.metrics.keys).sorted() {
            let x = a.metrics[k], y = b.metrics[k]
            if x?.bitPattern != y?.bitPattern { d.append("\(k) \(x.map { "\($0)" } ?? "absent") -> \(y.map { "\($0)" } ?? "absent")") }
        }
        for k in Set(a.series.keys).union(b.series.keys).sorted() where a.series[k]?.map(\.bitPattern) != b.series[k]?.map(\.bitPattern) {
            d.append("series \(k)")
        }
        if a.events != b.events { d.append("events") }
        return d.isEmpty ? "encodings differ" : d.prefix(4).joined(separator: ", ") + (d.count > 4 ? ", ..." : "")
    }
}

/// A fixed-size array shared between threads behind a lock.
final class LockedArray<T>: @unchecked Sendable {
    private var storage: [T]
    private let lock = NSLock()
    init(repeating v: T, count: Int) { storage = Array(repeating: v, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); storage[i] = v; lock.unlock() }
    func update<R>(_ i: Int, _ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&storage[i]) }
    var values: [T] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// The exec children `verify` runs, killed by pid if `verify` is stopped by SIGINT or SIGTERM.
final class ChildReaper: @unchecked Sendable {
    static let shared = ChildReaper()
    private let lock = NSLock()
    private var pids = Set<Int32>()

    func add(_ pid: Int32) { lock.lock(); pids.insert(pid); lock.unlock() }
    func remove(_ pid: Int32) { lock.lock(); pids.remove(pid); lock.unlock() }

    /// SIGKILLs every registered child.
    func killAll() {
        lock.lock(); let all = pids; lock.unlock()
        for pid in all { kill(pid, SIGKILL) }
    }

    /// Signal sources that kill the children and exit 130; keep the result alive while they matter.
    static func installOnStopSignals() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                shared.killAll()
                FileHandle.standardError.write(Data("verify: stopped by signal \(sig); its urnn-worker exec children were killed\n".utf8))
                exit(130)
            }
            s.resume()
            return s
        }
    }
}
