import QuernIO

/// `quern warc index`: one JSON line per record, like `warcio index` — file, offset, length,
/// type, uri, mime, id and, for HTTP responses, the status. Offsets and lengths are those of the
/// record's gzip member in one-member-per-record files (as in a CDX index), else positions in the
/// decompressed stream (`"offset_in": "decompressed"`).
public enum WebArchiveIndex {
    public struct Result: Sendable {
        /// Records by kind and damage by issue; with `classify`, also HTML / WET text / skips.
        public var stats = WebArchiveStats()
        /// Inputs that could not be opened or held damaged records.
        public var damagedFiles = 0
    }

    /// Indexes `paths` into `writer`. Files that cannot be opened and damaged records go to
    /// `onIssue` (file and offset) and are counted; the other records are all indexed.
    public static func run(paths: [String], classify: Bool, writer: ByteWriter,
                           onIssue: @escaping (QuernIOError) -> Void) throws -> Result {
        var result = Result()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        for path in paths {
            let reader: WebArchiveReader
            do {
                reader = try WebArchiveReader(path: path)
            } catch let error as QuernIOError {
                onIssue(error)
                result.damagedFiles += 1
                continue
            }
            reader.onIssue = { _, error in onIssue(error) }
            var classified = WebArchiveStats()
            while let record = reader.next() {
                record.writeIndexLine(file: path, to: &buffer)
                if buffer.count >= 1 << 16 {
                    try writer.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
                if classify { classified.count(WebContent.classify(record)) }
            }
            if reader.stats.issueCount > 0 { result.damagedFiles += 1 }
            var stats = reader.stats
            stats.html = classified.html
            stats.conversionTexts = classified.conversionTexts
            stats.skips = classified.skips
            result.stats.merge(stats)
        }
        try writer.write(buffer)
        return result
    }
}

extension WebRecord {
    /// Appends this record's index line (JSON and a newline) to `out`, written straight into the
    /// buffer: indexing is the "read the archive and nothing else" benchmark against fastwarc.
    public func writeIndexLine(file: String, to out: inout [UInt8]) {
        func key(_ k: String) { out.append(contentsOf: ",\"\(k)\":".utf8) }
        out.append(contentsOf: "{\"file\":".utf8)
        JSONValue.writeString(file, to: &out)
        key("offset"); out.append(contentsOf: String(offset).utf8)
        if let length { key("length"); out.append(contentsOf: String(length).utf8) }
        if !offsetIsCompressed { key("offset_in"); out.append(contentsOf: "\"decompressed\"".utf8) }
        key("type"); JSONValue.writeString(typeName, to: &out)
        if let targetURI { key("uri"); JSONValue.writeString(targetURI, to: &out) }
        if let contentType { key("mime"); JSONValue.writeString(contentType, to: &out) }
        if let recordID { key("id"); JSONValue.writeString(recordID, to: &out) }
        if type == .response, let status = block.withUnsafeBufferPointer({ HTTPResponse.statusCode(of: $0) }) {
            key("status"); out.append(contentsOf: String(status).utf8)
        }
        out.append(contentsOf: "}\n".utf8)
    }
}
