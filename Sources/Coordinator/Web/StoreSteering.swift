import CoordinatorWeb
import Foundation
import Shared

/// The web view's pause, resume and cancel (docs/WEB.md, "Steering"): the same store rules as
/// `urnn-coordinator pause|resume|cancel` (Store+Steering.swift), which a running coordinator,
/// this process's or another's, reads every 0.25 s and applies. The filter's `sweep=NAME` picks one
/// sweep; its other keys are those of `--where` (JobFilter: sweep-file keys of any kind, or `kind`).
struct StoreSteering: SweepSteering {
    let storePath: String

    func steer(_ action: SteeringAction, filter: SteeringFilter) throws -> SteeringResponse {
        let (sweep, jobFilter) = try Self.selection(filter)
        let db: Store
        do {
            db = try Store(path: storePath, create: false)
            try db.requireWhole()
        } catch { throw WebError(500, "cannot open the store for steering: \(error)") }
        let what = (sweep.map { "sweep \($0)" } ?? "every sweep") + (jobFilter.pairs.isEmpty ? "" : " where \(jobFilter)")
        let note = Store.steeringNote(storePath: storePath)
        do {
            switch action {
            case .pause:
                let r = try db.pause(sweep: sweep, where: jobFilter)
                return SteeringResponse(action: action.rawValue, matched: r.matching, changed: 0,
                                        message: "paused \(what) (rule \(r.rule?.id ?? 0)); \(note)")
            case .resume:
                let r = try db.resume(sweep: sweep, where: jobFilter)
                let message = r.removed.isEmpty ? "no pause rule covers \(what); nothing to resume"
                    : "lifted pause rule(s) \(r.removed.map { String($0.id) }.joined(separator: ", ")); \(note)"
                return SteeringResponse(action: action.rawValue, matched: r.matching, changed: 0, message: message)
            case .cancel:
                let (r, appliedNow) = try db.cancelMarkingAtOnceIfIdle(sweep: sweep, where: jobFilter)
                let message = appliedNow ? "cancelled \(what): \(r.cancelledNow) job(s) (rule \(r.rule?.id ?? 0))"
                    : "cancelling \(what): \(r.matching) unfinished job(s) match (rule \(r.rule?.id ?? 0)); \(note)"
                return SteeringResponse(action: action.rawValue, matched: r.matching, changed: r.cancelledNow, message: message)
            }
        } catch { throw WebError(500, "steering failed: \(error)") }
    }

    /// The HTTP filter as the store's selection: `sweep=` apart, the rest a checked `JobFilter`
    /// (unknown keys and ill-typed values are a 400 naming them).
    static func selection(_ filter: SteeringFilter) throws(WebError) -> (sweep: String?, filter: JobFilter) {
        var sweep: String?
        var rest: [String] = []
        for p in filter.pairs {
            if p.key == "sweep" { sweep = p.value } else { rest.append("\(p.key)=\(p.value)") }
        }
        if let sweep, !Sweep.isValidName(sweep) {
            throw WebError(400, "sweep=\(sweep.prefix(80)): a sweep name is letters, digits, '.', '_' or '-'")
        }
        guard !rest.isEmpty else { return (sweep, .all) }
        do { return (sweep, try JobFilter(parsing: rest.joined(separator: ","))) } catch {
            throw WebError(400, "where: \(error)")
        }
    }
}
