import ArgumentParser
import QuernIO
import QuernWeb

struct ExtractWeb: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Main text of every HTML page in WARC, WET and ARC archives, as JSONL documents.",
        discussion: """
            Inputs are WARC (1.0, 1.1, 0.17, 0.18), WET, WAT or ARC files, plain or compressed \
            (gzip one member per record, as Common Crawl writes them, or any codec `quern cat` \
            reads). HTTP responses are de-chunked and decompressed, decoded to UTF-8 (BOM, HTTP \
            charset, <meta>, then detection) and run through the main-content extractor; WET \
            conversion records are kept as they are. request, metadata, revisit, warcinfo and dns: \
            records, non-HTML payloads and non-2xx responses are skipped and counted by reason.

            One document per page: id (WARC-Record-ID), url, text, title, date (when the page \
            states one), source "web", and metadata: warc_date, warc_file, warc_offset, \
            content_type, charset, charset_source, http_status, language, capped.

            Damaged records (bad header, wrong Content-Length, corrupt or truncated gzip member, \
            garbage) are reported on stderr with file and offset, counted and skipped; reading \
            goes on at the next record (the exit status stays 0: every good record was extracted). The output is written under a temporary name and renamed \
            when complete.
            """)

    @Argument(help: "WARC/WET/ARC files (- for standard input).")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output JSONL file (.zst, .gz or plain by its name; - for standard output).")
    var output: String

    @Option(help: "Write the counts (records by kind, skips by reason, damage, bytes, throughput) to this JSON file.")
    var report: String?

    @Flag(help: "Leave table cells out of the text.")
    var noTables = false

    @Flag(help: "Leave WET conversion records out.")
    var noConversionRecords = false

    @Option(help: "Pages with less main text than this many bytes are not written.")
    var minTextBytes = 1

    @Option(name: .shortAndLong, help: "Extraction threads (default: all cores).")
    var threads: Int = Cores.available

    @Option(help: "Damage reports printed on stderr (all are counted in the report).")
    var maxIssuesShown = 20

    func run() throws {
        var options = WebExtractionOptions()
        options.html.includeTables = !noTables
        options.conversionRecords = !noConversionRecords
        options.minTextBytes = minTextBytes
        options.threads = threads
        let file: OutputFile? = output == "-" ? nil : try OutputFile(path: output)
        let writer: ByteWriter = file ?? StandardOutput()
        var shown = 0
        let progress = Progress("extract web", totalBytes: nil)
        let result: WebExtractionReport
        do {
            result = try WebExtraction.run(inputs: inputs, options: options, writer: writer, progress: progress) { error in
                shown += 1
                if shown <= maxIssuesShown { StandardError.write("quern: \(error)\n") }
            }
            try writer.finish()
        } catch {
            file?.discard()
            throw error
        }
        if shown > maxIssuesShown {
            StandardError.write("quern: \(shown - maxIssuesShown) more damaged records not shown (see the report)\n")
        }
        if let report {
            var bytes: [UInt8] = []
            result.json.write(to: &bytes)
            bytes.append(0x0A)
            try OutputFile.write(bytes, to: report, codec: .plain)
        }
        StandardError.write(result.summary + "\n")
    }
}
