import ArgumentParser
import QuernIO
import QuernWeb

struct WarcGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warc",
        abstract: "Read WARC, WET, WAT and ARC web archives.",
        subcommands: [WarcIndex.self])
}

struct WarcIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Print one JSON line per record of each web archive, like `warcio index`.",
        discussion: """
            Fields: file, offset, length, type, uri, mime (the record's Content-Type), id \
            (WARC-Record-ID), status (HTTP status, for response records holding an HTTP response). \
            For gzip files written one member per record (as Common Crawl and most crawlers do) \
            offset and length are those of the record's gzip member in the compressed file, as \
            in a CDX index; otherwise they are positions in the decompressed stream \
            ("offset_in": "decompressed"). Damaged records (bad header, wrong Content-Length, \
            corrupt or truncated gzip member, garbage) are reported on stderr with file and \
            offset and skipped; reading goes on with the next record. Exit status 1 if any was.
            """)

    @Argument(help: "WARC/WET/WAT/ARC files, plain or compressed (- for standard input).")
    var files: [String]

    @Flag(help: "Also classify every record (HTML, WET text, or skip reason) and print the counts as JSON on stderr.")
    var summary = false

    func run() throws {
        let out = StandardOutput()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        var total = WebArchiveStats()
        var damaged = false
        for path in files {
            let reader: WebArchiveReader
            do {
                reader = try WebArchiveReader(path: path)
            } catch {
                StandardError.write("quern: \(error)\n")
                damaged = true
                continue
            }
            reader.onIssue = { _, error in StandardError.write("quern: \(error)\n") }
            var classified = WebArchiveStats()
            while let record = reader.next() {
                Self.appendLine(record, file: path, to: &buffer)
                if buffer.count >= 1 << 16 {
                    try out.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
                if summary { classified.count(WebContent.classify(record)) }
            }
            if reader.stats.issueCount > 0 { damaged = true }
            var stats = reader.stats
            stats.html = classified.html
            stats.conversionTexts = classified.conversionTexts
            stats.skips = classified.skips
            total.merge(stats)
        }
        try out.write(buffer)
        if summary { StandardError.write(total.json.serialized() + "\n") }
        if damaged { throw ExitCode(1) }
    }

    static func appendLine(_ r: WebRecord, file: String, to out: inout [UInt8]) {
        func key(_ k: String) { out.append(contentsOf: ",\"\(k)\":".utf8) }
        out.append(contentsOf: "{\"file\":".utf8)
        JSONValue.writeString(file, to: &out)
        key("offset"); out.append(contentsOf: String(r.offset).utf8)
        if let length = r.length { key("length"); out.append(contentsOf: String(length).utf8) }
        if !r.offsetIsCompressed { key("offset_in"); out.append(contentsOf: "\"decompressed\"".utf8) }
        key("type"); JSONValue.writeString(r.typeName, to: &out)
        if let uri = r.targetURI { key("uri"); JSONValue.writeString(uri, to: &out) }
        if let mime = r.contentType { key("mime"); JSONValue.writeString(mime, to: &out) }
        if let id = r.recordID { key("id"); JSONValue.writeString(id, to: &out) }
        if r.type == .response, let status = r.block.withUnsafeBufferPointer({ HTTPResponse.statusCode(of: $0) }) {
            key("status"); out.append(contentsOf: String(status).utf8)
        }
        out.append(contentsOf: "}\n".utf8)
    }
}
