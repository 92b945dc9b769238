import ArgumentParser
import Foundation
import Shared

/// `urnn-coordinator fields [KIND]`: the fields a sweep file may set for a kind, as the Markdown
/// table docs/SWEEPS.md holds (a test keeps the two identical). Generated from the kinds'
/// declarations (`SyntheticSpec.fields`, ...), so it cannot disagree with the reader.
struct FieldsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fields",
        abstract: "Print the fields of a job kind (sweep key, type and range, default, meaning, JSON key, flag) as a Markdown table.")

    @Argument(help: "A job kind: \(FieldTable.kinds.map(\.rawValue).joined(separator: ", ")) (default: all).")
    var kind: String?

    func validate() throws {
        if let kind, JobKind(rawValue: kind) == nil {
            throw ValidationError("unknown job kind '\(kind)' (expected one of \(JobKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    func run() throws {
        let kinds = kind.flatMap(JobKind.init(rawValue:)).map { [$0] } ?? FieldTable.kinds
        print(kinds.map { "`\($0.rawValue)`:\n\n" + FieldTable.markdown(KindSchema.forKind($0)) }.joined(separator: "\n"), terminator: "")
    }
}

/// docs/SWEEPS.md's field tables, made from the declarations.
enum FieldTable {
    /// One table per distinct schema (the three theorem kinds share theorem1's).
    static let kinds: [JobKind] = [.synthetic, .pmnist, .theorem1, .noop]

    static func markdown(_ schema: KindSchema) -> String {
        let flagged = schema.fields.contains { $0.flag != nil }
        var t = "| key | type | default | meaning (JSON key\(flagged ? ", command-line flag" : "")) |\n| --- | --- | --- | --- |\n"
        for f in schema.fields {
            var names: [String] = []
            if let json = f.json { names.append("`\(json)`") }
            if let flag = f.flag { names.append("`--\(flag)`") }
            var meaning = f.help.replacingOccurrences(of: "|", with: "\\|")
            if !f.inSweeps { meaning += "; JSON and command line only, not in sweep files" }
            if f.json == nil { meaning += "; sweep files only" }
            let key = "`\(f.key)`"
            t += "| \(key) | \(f.typeText) | \(f.defaultText) | \(meaning)\(names.isEmpty ? "" : " (" + names.joined(separator: ", ") + ")") |\n"
        }
        return t
    }
}
