import ArgumentParser
import QuernIO
import QuernWeb

struct ExtractGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract main text from web content.",
        subcommands: [ExtractHTML.self, ExtractWeb.self, ExtractWiki.self, ExtractBooks.self])
}

struct ExtractHTML: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "html",
        abstract: "Main text of standalone HTML files.",
        discussion: """
            Navigation, headers, footers, menus, comment sections, cookie banners, scripts, styles \
            and forms are dropped; headings, paragraphs, list items, quotes, preformatted text and \
            tables are kept, one block per line. Files may be compressed. With --jsonl, one line \
            per file: {"path","title","text"} (plus "date" and "language" when the page states \
            them). Files that cannot be read are reported on stderr; the exit status is then 1.
            """)

    @Argument(help: "HTML files (- for standard input).")
    var files: [String]

    @Flag(help: "Write one JSON object per file instead of plain text.")
    var jsonl = false

    @Flag(help: "Leave table cells out.")
    var noTables = false

    @Option(name: .shortAndLong, help: "Output file (default: standard output; .gz/.zst compress).")
    var output: String?

    @Option(name: .shortAndLong, help: "Cores to use (default: all).")
    var threads: Int = Cores.available

    func run() throws {
        let options = HTMLExtractionOptions(includeTables: !noTables)
        let writer: ByteWriter = try output.map { try OutputFile(path: $0) } ?? StandardOutput()
        let failures = try HTMLFileExtraction.run(paths: files, options: options, jsonl: jsonl,
                                                  threads: threads, to: writer)
        try writer.finish()
        if failures > 0 { throw ExitCode(1) }
    }
}
