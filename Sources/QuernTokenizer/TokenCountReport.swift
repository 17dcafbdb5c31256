import QuernIO

/// `quern count`'s output: a table or JSON.
public enum TokenCountReport {
    public static func total(_ files: [FileTokenCount]) -> FileTokenCount {
        var total = FileTokenCount(path: "total", format: files.first?.format ?? .text)
        for file in files {
            total.documents += file.documents
            total.bytes += file.bytes
            total.tokens += file.tokens
            total.malformed += file.malformed
        }
        return total
    }

    public static func table(_ files: [FileTokenCount]) -> String {
        let header = ["file", "format", "documents", "bytes", "tokens", "bytes/token", "malformed"]
        func row(_ c: FileTokenCount, format: String) -> [String] {
            [c.path + (c.failure == nil ? "" : " (damaged)"), format, "\(c.documents)", "\(c.bytes)", "\(c.tokens)",
             fixed(c.bytesPerToken), "\(c.malformed)"]
        }
        var rows = [header] + files.map { row($0, format: $0.format.rawValue) }
        if files.count > 1 { rows.append(row(total(files), format: "")) }
        let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { cells in
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column < 2 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    public static func json(_ files: [FileTokenCount]) -> String {
        func object(_ c: FileTokenCount, withPath: Bool) -> JSONValue {
            var fields: [JSONObject.Element] = []
            if withPath {
                fields.append((key: "path", value: .string(c.path)))
                fields.append((key: "format", value: .string(c.format.rawValue)))
            }
            for (key, n) in [("documents", c.documents), ("bytes", c.bytes), ("tokens", c.tokens), ("malformed", c.malformed)] {
                fields.append((key: key, value: .number(JSONNumber(n))))
            }
            if let failure = c.failure { fields.append((key: "error", value: .string(failure.description))) }
            return .object(JSONObject(fields))
        }
        let value: JSONValue = .object([
            "files": .array(files.map { object($0, withPath: true) }),
            "total": object(total(files), withPath: false),
        ])
        return value.serialized() + "\n"
    }

    static func fixed(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}
