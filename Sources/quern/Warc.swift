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
        let result = try WebArchiveIndex.run(paths: files, classify: summary, writer: StandardOutput()) { error in
            StandardError.write("quern: \(error)\n")
        }
        if summary { StandardError.write(result.stats.json.serialized() + "\n") }
        if result.damagedFiles > 0 { throw ExitCode(1) }
    }
}
