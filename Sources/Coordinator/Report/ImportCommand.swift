import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator import FILE.jsonl[.gz]... --store X`: merge exported results into a store.
///
/// Every record is checked before anything is written: it decodes, its job id is the hash of its
/// spec, its spec is valid, and a job given twice has one outcome. Then all records go in one
/// transaction (`Store.importResults`), under the store's lock: a record whose job the store
/// already holds with another outcome refuses the whole import, naming both.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Merge exported results (JSON lines, optionally gzip) into a store; nothing is run again.",
        discussion: """
            Each FILE is what `export` printed (one result record per line), raw or gzip-compressed; `-` reads \
            standard input. The store is created if it does not exist. Running a sweep on the store afterwards \
            runs only the jobs that have no result. Results from another build are accepted and flagged in reports.
            """)

    @Argument(help: "Exported result files (.jsonl or .jsonl.gz), or - for standard input.")
    var files: [String]

    @Option(help: "The SQLite results store to merge into (created if missing).")
    var store: String

    @Option(help: "Sweep name recorded for jobs the store does not know yet (default: none).")
    var sweep: String?

    @Option(help: "Import only the records whose job belongs to this sweep (a file or preset name); the others are skipped.")
    var only: String?

    /// Refuse inputs larger than this (a wrong file should fail fast, not fill memory).
    static let maxInputBytes = 4 << 30

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one exported file (or - for standard input)") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        if let sweep, !Sweep.isValidName(sweep) {
            throw ValidationError("--sweep must be letters, digits, '.', '_' or '-'")
        }
    }

    func run() throws {
        var keep: Set<String>?
        var sweepName = sweep
        if let only {
            let s: Sweep
            do { s = try SweepFile.load(pathOrPresetName: only) } catch { throw CoordinatorError.setup("--only: \(error)") }
            keep = Set(s.jobs.map(\.id))
            sweepName = sweepName ?? s.name
        }
        var skipped = 0
        var records: [ResultRecord] = []
        var firstLine: [String: (place: String, outcome: Data)] = [:]
        for file in files {
            let text = try Self.readText(file)
            var lineNumber = 0
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                let place = "\(file == "-" ? "stdin" : file):\(lineNumber)"
                guard let record = try Self.check(line: line, place: place) else { continue }
                if let keep, !keep.contains(record.jobID) { skipped += 1; continue }
                let outcome = try JSON.encode(record.outcome)
                if let first = firstLine[record.jobID] {
                    guard first.outcome == outcome else {
                        throw CoordinatorError.setup("\(place): job \(record.jobID) (\(record.spec.summary)) has another outcome "
                                              + "than at \(first.place); nothing was imported")
                    }
                    continue
                }
                firstLine[record.jobID] = (place, outcome)
                records.append(record)
            }
        }
        let lock = try StoreLock(storePath: store)
        defer { withExtendedLifetime(lock) {} }
        let db = try Store(path: store)
        let report: ImportReport
        do { report = try db.importResults(records, sweep: sweepName, currentBuild: BuildInfo.build) } catch let e as ImportConflict {
            throw CoordinatorError.setup(e.description)
        }
        var line = "imported \(report.imported) results into \(store) (\(report.alreadyStored) already stored with the same outcome"
            + (keep != nil ? ", \(skipped) not in sweep \(sweepName ?? "")" : "") + ")"
        if !report.otherBuild.isEmpty {
            line += "; from other builds than \(BuildInfo.build): "
                + report.otherBuild.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + " (flagged in reports)"
        }
        print(line)
    }

    /// The file's text, gunzipped if it is gzip, with its size bounded.
    static func readText(_ file: String) throws -> String {
        var data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let attrs = try? FileManager.default.attributesOfItem(atPath: file) else {
                throw CoordinatorError.setup("\(file): no such file")
            }
            if (attrs[.type] as? FileAttributeType) == .typeDirectory { throw CoordinatorError.setup("\(file): is a directory") }
            if let size = attrs[.size] as? Int, size > maxInputBytes {
                throw CoordinatorError.setup("\(file): \(size) bytes, more than the \(maxInputBytes) an import reads")
            }
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw CoordinatorError.setup("\(file): cannot read: \(error.localizedDescription)")
            }
        }
        if Gzip.isGzip(data) {
            do { data = try Gzip.decompress(data, maxOutputBytes: maxInputBytes) } catch {
                throw CoordinatorError.setup("\(file): \(error)")
            }
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CoordinatorError.setup("\(file): not UTF-8 text") }
        return text
    }

    /// One line as a checked record; nil for a blank line.
    static func check(line: Substring, place: String) throws -> ResultRecord? {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return nil }
        let r: ResultRecord
        do { r = try JSON.decode(ResultRecord.self, from: Data(trimmed.utf8)) } catch {
            throw CoordinatorError.setup("\(place): not a result record (one line of `export`): \(Self.reason(error))")
        }
        let id = r.spec.id
        guard r.jobID == id else {
            throw CoordinatorError.setup("\(place): job id \(r.jobID) is not the hash of its spec (\(id)); the record was altered")
        }
        do { try r.spec.validate() } catch {
            throw CoordinatorError.setup("\(place): job \(r.jobID): \(error)")
        }
        return r
    }

    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let c):
            return c.codingPath.isEmpty ? "not JSON" : "bad value at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: return "\(error)"
        }
    }
}
