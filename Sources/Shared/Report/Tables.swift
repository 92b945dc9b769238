import Foundation

/// A table rendered as CSV (RFC 4180) or as a GitHub Markdown table, so every report
/// (synthetic figures, theorem demonstrations) writes the same docs-ready formats.
///
/// ```swift
/// var t = TextTable(columns: ["m", "best error"], alignments: [.right, .right])
/// t.rows.append(["3", "2.1e-2"])
/// t.csv()        // "m,best error\n3,2.1e-2\n"
/// t.markdown()   // "| m | best error |\n|---:|---:|\n| 3 | 2.1e-2 |\n"
/// ```
public struct TextTable: Sendable, Hashable {
    public enum Alignment: Sendable, Hashable { case left, right, center }

    public var columns: [String]
    /// Column alignments for Markdown; missing entries are left-aligned.
    public var alignments: [Alignment]
    /// Cells, row by row; short rows are padded with empty cells, long rows are cut.
    public var rows: [[String]]

    public init(columns: [String], alignments: [Alignment] = [], rows: [[String]] = []) {
        self.columns = columns; self.alignments = alignments; self.rows = rows
    }

    /// CSV: a header line, then one line per row. Cells holding a comma, a quote or a line
    /// break are quoted, with quotes doubled.
    public func csv() -> String {
        func cell(_ s: String) -> String {
            guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var out = columns.map(cell).joined(separator: ",") + "\n"
        for r in rows { out += normalized(r).map(cell).joined(separator: ",") + "\n" }
        return out
    }

    /// A Markdown pipe table. `|` in cells is escaped and line breaks become spaces.
    public func markdown() -> String {
        func cell(_ s: String) -> String {
            s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var out = "| " + columns.map(cell).joined(separator: " | ") + " |\n|"
        for i in columns.indices {
            switch i < alignments.count ? alignments[i] : .left {
            case .left: out += "---|"
            case .right: out += "---:|"
            case .center: out += ":---:|"
            }
        }
        out += "\n"
        for r in rows { out += "| " + normalized(r).map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    private func normalized(_ row: [String]) -> [String] {
        row.count >= columns.count ? Array(row.prefix(columns.count))
            : row + Array(repeating: "", count: columns.count - row.count)
    }
}
