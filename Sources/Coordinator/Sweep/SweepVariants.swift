import Foundation
import Shared
import Yams

// `variants:` in a sweep file: an ablation, one base grid run under several named changes.
//
//     variants:
//       - name: baseline                 # the first variant is the reference of the report's differences
//       - name: no-clip
//         set: {clip: none}              # fields changed for every job of this variant
//       - name: restarts-5
//         grid: {seed: 0..4}             # own axes, varying fastest; may replace a fixed field
//         select: lowest_train_loss      # one run per base point: the lowest training loss
//       - name: report-best
//         metric: best_test_r2           # the same jobs as baseline, another reported metric
//
// Every variant expands to the base grid's points in the same order, so the i-th point of two
// variants is the same (realization, hidden, model): the report pairs them. Jobs that two
// variants share (same spec, same id) are run once.

/// The base grid a variant starts from.
struct BaseGrid {
    var axes: [(key: String, line: Int?, values: [Located])]
    var fixed: [String: Located]
    var keyLines: [String: Int?]
    /// Number of base grid points.
    var total: Int
}

extension SweepReader {
    /// Reads the `variants` list and expands every variant. Returns the union of their jobs
    /// (first appearance order) and the variants.
    func readVariants(_ node: Node, line: Int?, base: BaseGrid, schema: KindSchema) throws -> ([JobSpec], [SweepVariant]) {
        guard case .sequence(let items) = node, !items.isEmpty else {
            throw error(node.mark?.line ?? line, "variants", "expected a non-empty list of variants (- name: ...)")
        }
        let metrics = Metric.variantChoices(schema.kind)
        var jobs: [JobSpec] = []
        var seen = Set<String>()
        var variants: [SweepVariant] = []
        var names: [String: Int?] = [:]
        var totalJobs = 0
        for item in items {
            let itemLine = item.mark?.line ?? line
            var name: String?, description: String?, setNode: Node?, gridNode: Node?
            var selection: VariantSelection?, metric = Metric.testR2
            for (key, keyLine, value) in try pairs(item, what: "variants") {
                switch key {
                case "name":
                    guard case .scalar(let s) = value, Sweep.isValidName(s.string) else {
                        throw error(value.mark?.line ?? keyLine, "name", "a variant name is letters, digits, '.', '_' or '-'")
                    }
                    if let first = names[s.string] {
                        throw error(keyLine, "name", "variant '\(s.string)' given twice (first on line \(first.map(String.init) ?? "?"))")
                    }
                    names[s.string] = keyLine
                    name = s.string
                case "description":
                    guard case .scalar(let s) = value else { throw error(keyLine, "description", "expected text") }
                    description = s.string
                case "set": setNode = value
                case "grid": gridNode = value
                case "select":
                    guard case .scalar(let s) = value, let sel = VariantSelection(rawValue: s.string) else {
                        throw error(value.mark?.line ?? keyLine, "select",
                                    "expected one of \(VariantSelection.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    selection = sel
                case "metric":
                    guard case .scalar(let s) = value, metrics.contains(Metric(rawValue: s.string)) else {
                        throw error(value.mark?.line ?? keyLine, "metric", metrics.isEmpty
                                    ? "kind \(schema.kind.rawValue) has no metric to choose"
                                    : "expected one of \(metrics.map(\.rawValue).joined(separator: ", "))")
                    }
                    metric = Metric(rawValue: s.string)
                default:
                    throw error(keyLine, key, "unknown key in a variant (expected name, description, set, grid, select, metric)")
                }
            }
            guard let name else { throw error(itemLine, "name", "every variant needs a name") }

            // Own axes: new keys, or keys that replace a fixed value; never a base axis.
            var axes = base.axes
            var fixed = base.fixed
            var keyLines = base.keyLines
            var ownAxes: [SweepAxis] = []
            var ownCount = 1
            if let gridNode {
                for (key, keyLine, value) in try pairs(gridNode, what: "grid") {
                    let field = try known(key, line: keyLine, schema: schema)
                    if base.axes.contains(where: { $0.key == key }) {
                        throw error(keyLine, key, "is an axis of the base grid already; a variant may add axes, not replace them")
                    }
                    let values = try axisValues(value, field: field, keyLine: keyLine)
                    fixed[key] = nil
                    axes.append((key, keyLine, values))
                    keyLines[key] = keyLine
                    ownAxes.append(SweepAxis(key: key, values: values.map(\.value.description)))
                    ownCount *= values.count
                }
            }
            var settings: [String] = []
            if let setNode {
                for (key, keyLine, value) in try pairs(setNode, what: "set") {
                    let field = try known(key, line: keyLine, schema: schema)
                    if axes.contains(where: { $0.key == key }) {
                        throw error(keyLine, key, "is an axis; `set` changes single values (give the variant its own grid instead)")
                    }
                    let v = try scalarValue(value, field: field, fallbackLine: keyLine)
                    fixed[key] = v
                    keyLines[key] = keyLine
                    settings.append("\(key)=\(v.value.description)")
                }
            }
            if selection != nil, ownAxes.isEmpty {
                throw error(itemLine, "select", "needs the variant's own grid axes to choose among (e.g. grid: {seed: 0..4})")
            }
            let count = base.total * ownCount
            totalJobs += count
            guard totalJobs <= SweepFile.maxJobs else {
                throw error(itemLine, "variants", "the variants have more than \(SweepFile.maxJobs) jobs together")
            }
            let expanded = try expand(axes: axes, fixed: fixed, schema: schema, keyLines: keyLines, total: count)
            var ids: [String] = []
            var points: [Int] = []
            for (j, job) in expanded.enumerated() {
                let id = job.id
                ids.append(id)
                points.append(j / ownCount)
                if seen.insert(id).inserted { jobs.append(job) }
            }
            variants.append(SweepVariant(name: name, description: description, settings: settings, ownAxes: ownAxes,
                                         jobIDs: ids, basePoints: points, selection: selection, metric: metric))
        }
        return (jobs, variants)
    }
}
