/// `quern stats`: documents, bytes, characters, words and lines of JSONL document files.
public struct FileStats: Sendable {
    public var path: String
    public var counts = TextCounts()
    /// The first malformed lines (file, line number, offset), at most `maxErrorsKept`.
    public var malformedLines: [QuernIOError] = []
    /// Damage that stopped the file early (unreadable, corrupt or truncated compressed data);
    /// `counts` then covers what was read before it.
    public var failure: QuernIOError?

    public init(path: String) { self.path = path }
}

public enum CorpusStats {
    /// Counts every file in turn, each on `threads` cores. Never throws: a file that cannot be read
    /// carries its `failure`, and the other files are still counted.
    public static func run(_ paths: [String], threads: Int = Cores.available, maxErrorsKept: Int = 20,
                           progress: Bool? = nil) -> [FileStats] {
        paths.map { count($0, threads: threads, maxErrorsKept: maxErrorsKept, progress: progress) }
    }

    public static func count(_ path: String, threads: Int = Cores.available, maxErrorsKept: Int = 20,
                             progress showProgress: Bool? = nil) -> FileStats {
        var stats = FileStats(path: path)
        let reader: ByteReader
        do {
            reader = try Input.open(path, threads: threads)
        } catch {
            stats.failure = error as? QuernIOError
                ?? QuernIOError(.invalidArgument, file: path, message: "\(error)")
            return stats
        }
        let jsonl = JSONLReader(reader, maxErrorsKept: maxErrorsKept)
        let progress = Progress("stats \(path)", totalBytes: reader.storedSize, enabled: showProgress)
        defer { progress.finish() }
        do {
            try stats.counts.add(jsonl: jsonl, threads: threads) { running in
                progress.update(records: running.documents, bytesRead: reader.storedBytesRead)
            }
        } catch {
            stats.failure = error as? QuernIOError
                ?? QuernIOError(.invalidArgument, file: path, message: "\(error)")
        }
        stats.malformedLines = jsonl.errors
        return stats
    }

    /// The sum over files.
    public static func total(_ files: [FileStats]) -> TextCounts {
        files.reduce(into: TextCounts()) { $0 += $1.counts }
    }

    /// A right-aligned table: one row per file, then the total.
    public static func table(_ files: [FileStats]) -> String {
        let header = ["file", "documents", "bytes", "characters", "words", "lines", "malformed"]
        func row(_ name: String, _ c: TextCounts) -> [String] {
            [name, "\(c.documents)", "\(c.bytes)", "\(c.characters)", "\(c.words)", "\(c.lines)", "\(c.malformed)"]
        }
        var rows = [header] + files.map { row($0.path + ($0.failure == nil ? "" : " (damaged)"), $0.counts) }
        if files.count > 1 { rows.append(row("total", total(files))) }
        let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { cells in
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// Machine output: `{"files": [{"path", "documents", ..., "error"?}], "total": {...}}`.
    public static func json(_ files: [FileStats]) -> String {
        func object(_ c: TextCounts, path: String? = nil, failure: QuernIOError? = nil) -> JSONValue {
            var fields: [JSONObject.Element] = []
            if let path { fields.append((key: "path", value: .string(path))) }
            for (key, n) in [("documents", c.documents), ("bytes", c.bytes), ("characters", c.characters),
                             ("words", c.words), ("lines", c.lines), ("malformed", c.malformed)] {
                fields.append((key: key, value: .number(JSONNumber(n))))
            }
            if let failure { fields.append((key: "error", value: .string(failure.description))) }
            return .object(JSONObject(fields))
        }
        let value = JSONValue.object([
            "files": .array(files.map { object($0.counts, path: $0.path, failure: $0.failure) }),
            "total": object(total(files)),
        ])
        return value.serialized() + "\n"
    }
}
