import ArgumentParser
import Foundation
import Shared

/// The selection every steering command takes: a store, optionally one sweep, optionally
/// `--where key=value,...` on spec fields (`JobFilter`, bounded and checked before anything
/// is written).
struct SteeringSelection: ParsableArguments {
    @Option(help: "The SQLite results store (a coordinator may be running on it).")
    var store: String

    @Option(help: "Only jobs of this sweep (default: every sweep in the store).")
    var sweep: String?

    @Option(name: .customLong("where"),
            help: ArgumentHelp("Only jobs whose spec fields have these values, e.g. model=lstm,hidden=14 "
                               + "(sweep-file keys or kind; at most \(JobFilter.maxPairs) pairs).", valueName: "key=value,..."))
    var filterText: String?

    func validate() throws {
        if let sweep, !Sweep.isValidName(sweep) {
            throw ValidationError("--sweep \(sweep): a sweep name is letters, digits, '.', '_' or '-'")
        }
        _ = try filter()
    }

    func filter() throws -> JobFilter {
        guard let filterText else { return .all }
        do { return try JobFilter(parsing: filterText) } catch { throw ValidationError("--where: \(error)") }
    }

    /// The store, opened for writing (it must exist: steering never creates one).
    func openStore() throws -> Store {
        let db = try Store(path: store, create: false)
        try db.requireWhole()
        return db
    }

    var what: String {
        (sweep.map { "sweep \($0)" } ?? "every sweep") + (filterText.map { " where \($0)" } ?? "")
    }

    /// "a running coordinator applies it within a second" or "no coordinator is running".
    var coordinatorNote: String { Store.steeringNote(storePath: store) }
}

/// `urnn-coordinator pause --store X [--sweep NAME] [--where ...]`
struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Hand out no new jobs of a sweep (or of the jobs selected); running ones finish.")

    @OptionGroup var selection: SteeringSelection

    func run() throws {
        let report = try selection.openStore().pause(sweep: selection.sweep, where: try selection.filter())
        print("paused \(selection.what): \(report.matching) unfinished job(s) match (rule \(report.rule?.id ?? 0)); "
              + selection.coordinatorNote)
    }
}

/// `urnn-coordinator resume --store X [--sweep NAME] [--where ...]`
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Lift the pause rules the selection covers (no selection: all of them).")

    @OptionGroup var selection: SteeringSelection

    func run() throws {
        let report = try selection.openStore().resume(sweep: selection.sweep, where: try selection.filter())
        guard !report.removed.isEmpty else {
            print("no pause rule covers \(selection.what); nothing to resume")
            return
        }
        let rules = report.removed.map { r in "\(r.id) (\(r.sweep ?? "every sweep")\(r.filter.pairs.isEmpty ? "" : " where \(r.filter)"))" }
        print("resumed: lifted pause rule(s) \(rules.joined(separator: ", ")); " + selection.coordinatorNote)
    }
}

/// `urnn-coordinator cancel --store X [--sweep NAME] [--where ...]`
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel the selected jobs: never run; running ones are stopped on their workers. Final.")

    @OptionGroup var selection: SteeringSelection

    func run() throws {
        let (report, appliedNow) = try selection.openStore().cancelMarkingAtOnceIfIdle(
            sweep: selection.sweep, where: try selection.filter())
        if appliedNow {
            print("cancelled \(selection.what): \(report.cancelledNow) job(s) (rule \(report.rule?.id ?? 0))")
        } else {
            print("cancelling \(selection.what): \(report.matching) unfinished job(s) match (rule \(report.rule?.id ?? 0)); "
                  + selection.coordinatorNote)
        }
    }
}
