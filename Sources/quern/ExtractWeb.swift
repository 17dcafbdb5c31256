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

    @OptionGroup var outputOptions: ExtractionOutput

    @Flag(help: "Leave table cells out of the text.")
    var noTables = false

    @Flag(help: "Leave WET conversion records out.")
    var noConversionRecords = false

    @Option(help: "Pages with less main text than this many bytes are not written.")
    var minTextBytes = 1

    @Option(name: .shortAndLong, help: "Extraction threads (default: all cores).")
    var threads: Int = Cores.available


    func run() throws {
        var options = WebExtractionOptions()
        options.html.includeTables = !noTables
        options.conversionRecords = !noConversionRecords
        options.minTextBytes = minTextBytes
        options.threads = threads
        try outputOptions.run("extract web") { writer, progress, onIssue in
            try WebExtraction.run(inputs: inputs, options: options, writer: writer, progress: progress, onIssue: onIssue)
        }
    }
}
