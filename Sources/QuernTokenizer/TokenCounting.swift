import QuernIO

/// Token counts of one input file.
public struct FileTokenCount: Sendable {
    public var path: String
    /// What the file was read as.
    public var format: InputFormat
    /// Documents (JSONL) or non-empty lines (text).
    public var documents = 0
    /// UTF-8 bytes of text encoded (text: without the newlines).
    public var bytes = 0
    public var tokens = 0
    /// Malformed JSONL lines (or over-long lines), skipped and counted.
    public var malformed = 0
    public var malformedLines: [QuernIOError] = []
    /// Damage that stopped the file early; the counts cover what came before it.
    public var failure: QuernIOError?

    public init(path: String, format: InputFormat) {
        self.path = path
        self.format = format
    }

    /// Bytes per token, the usual measure of a vocabulary's compression.
    public var bytesPerToken: Double { tokens > 0 ? Double(bytes) / Double(tokens) : 0 }
}

/// How an input's text is laid out.
public enum InputFormat: String, Sendable, CaseIterable {
    /// One sentence per line (SentencePiece's convention): each line is encoded on its own.
    case text
    /// JSON Lines documents: each document's `text` is encoded whole.
    case jsonl

    /// Looks at the first non-blank bytes of the decompressed input: a '{' means JSONL.
    public static func sniff(_ path: String) throws -> InputFormat {
        let reader = try Input.open(path, threads: 1)
        var seen = 0
        while let chunk = try reader.nextChunk() {
            for byte in chunk {
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D: continue
                case 0xEF, 0xBB, 0xBF where seen < 3: seen += 1; continue  // UTF-8 byte order mark
                case UInt8(ascii: "{"): return .jsonl
                default: return .text
                }
            }
        }
        return .text
    }
}

public enum TokenCounter {
    /// Counts the tokens of one file on `threads` cores: lines of plain text, or the `text` of
    /// JSONL documents. Never throws: damage is carried in `failure`.
    public static func count(_ path: String, tokenizer: any Tokenizer, format: InputFormat? = nil,
                             threads: Int = Cores.available, maxErrorsKept: Int = 20,
                             progress showProgress: Bool? = nil) -> FileTokenCount {
        var result = FileTokenCount(path: path, format: format ?? .text)
        do {
            if format == nil {
                guard path != "-" else {
                    throw QuernIOError(.invalidArgument, file: path,
                                       message: "standard input needs an explicit --format (text or jsonl)")
                }
                result.format = try InputFormat.sniff(path)
            }
            let input = try Input.open(path, threads: threads)
            let reader = JSONLReader(input, maxErrorsKept: maxErrorsKept)
            let progress = Progress("count \(path)", totalBytes: input.storedSize, enabled: showProgress)
            defer { progress.finish() }
            var running = (bytes: 0, tokens: 0)
            let deliver: ((bytes: Int, tokens: Int)) -> Void = { batch in
                running.bytes &+= batch.bytes
                running.tokens &+= batch.tokens
                progress.update(records: reader.documentsRead, bytesRead: input.storedBytesRead)
            }
            defer {
                result.bytes = running.bytes
                result.tokens = running.tokens
                result.documents = reader.documentsRead
                result.malformed = reader.malformedLines
                result.malformedLines = reader.errors
            }
            switch result.format {
            case .jsonl:
                try reader.forEachBatch(threads: threads, work: { documents in
                    var ids: [TokenID] = []
                    var total = (bytes: 0, tokens: 0)
                    for document in documents {
                        var text = document.text
                        text.withUTF8 { bytes in
                            ids.removeAll(keepingCapacity: true)
                            tokenizer.encode(bytes, into: &ids)
                            total.bytes &+= bytes.count
                            total.tokens &+= ids.count
                        }
                    }
                    return total
                }, deliver: deliver)
            case .text:
                try reader.forEachLineBatch(threads: threads, work: { batch in
                    var ids: [TokenID] = []
                    var total = (bytes: 0, tokens: 0)
                    LineCoding.forEachLine(in: batch) { line in
                        guard !line.isEmpty else { return }  // empty lines hold no sentence
                        ids.removeAll(keepingCapacity: true)
                        tokenizer.encode(line, into: &ids)
                        total.bytes &+= line.count
                        total.tokens &+= ids.count
                    }
                    return total
                }, deliver: deliver)
            }
        } catch {
            result.failure = error as? QuernIOError
                ?? QuernIOError(.invalidArgument, file: path, message: "\(error)")
        }
        return result
    }
}
