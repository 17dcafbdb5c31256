import ArgumentParser
import QuernIO
import QuernWiki

struct ExtractWiki: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wiki",
        abstract: "Prose of every article in MediaWiki XML dumps, as JSONL documents.",
        discussion: """
            Dumps are MediaWiki XML exports (schemas 0.3 to 0.11, UTF-8 or UTF-16), plain or \
            compressed (bzip2 single or multistream, multistream decoded on all cores; gzip, zstd, \
            xz). The newest revision of each page is kept; redirects are skipped; namespace 0 by \
            default. Wikitext becomes prose: templates and parser functions are dropped (a few \
            text-bearing ones such as convert, lang, nihongo and formatnum are rendered), links \
            become their labels, File/Category/interlanguage links, references, comments, math, \
            galleries and tables are dropped, and so are the References / External links / See \
            also / Further reading sections (by their names in the wiki's language). Section \
            headings stay as lines of their own.

            One document per article: id (page id), text, source "wikipedia", url (when the \
            siteinfo gives the base), title, date (revision timestamp) and metadata: language, \
            wiki, namespace, revision_id.

            A dump cut short or damaged is reported on stderr with file, page and byte offset; \
            the pages read before the damage are kept (exit status 0). An input that cannot be \
            opened is reported and skipped, and the exit status is then 1. The output is written under a temporary \
            name and renamed when complete.
            """)

    @Argument(help: "MediaWiki XML dumps (- for standard input).")
    var dumps: [String]

    @Option(name: .shortAndLong, help: "Output JSONL file (.zst, .gz or plain by its name; - for standard output).")
    var output: String

    @Option(help: "Write the counts (pages by namespace, redirects, skips, errors, bytes, throughput) to this JSON file.")
    var report: String?

    @Option(help: "Namespaces to extract, comma-separated, or \"all\" (default 0: articles).")
    var namespaces = "0"

    @Flag(help: "Keep the text of table cells (one row per line) instead of dropping tables.")
    var keepTables = false

    @Flag(help: "Leave section headings out.")
    var noHeadings = false

    @Flag(help: "Leave bulleted and numbered list items out.")
    var noLists = false

    @Flag(help: "Keep the References / External links / See also / Further reading sections.")
    var keepAllSections = false

    @Option(help: "Another section heading to drop (repeatable).")
    var dropSection: [String] = []

    @Option(help: "Articles with less text than this many bytes are not written.")
    var minTextBytes = 1

    @Option(name: .shortAndLong, help: "Cleaning threads (default: all cores).")
    var threads: Int = Cores.available

    @Option(help: "Damage reports printed on stderr (all are counted in the report).")
    var maxIssuesShown = 20

    func validate() throws {
        if namespaces != "all" && namespaces.split(separator: ",").contains(where: { Int($0.trimmingCharacters(in: " ")) == nil }) {
            throw ValidationError("--namespaces takes numbers separated by commas, or \"all\"")
        }
    }

    func run() throws {
        var options = WikiExtractionOptions()
        options.namespaces = namespaces == "all" ? nil
            : Set(namespaces.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: " ")) })
        options.wikitext.keepTables = keepTables
        options.wikitext.keepHeadings = !noHeadings
        options.wikitext.keepLists = !noLists
        options.wikitext.dropSections = !keepAllSections
        options.wikitext.extraDroppedSections = dropSection
        options.minTextBytes = minTextBytes
        options.threads = threads
        let file: OutputFile? = output == "-" ? nil : try OutputFile(path: output)
        let writer: ByteWriter = file ?? StandardOutput()
        var shown = 0
        let progress = Progress("extract wiki", totalBytes: nil)
        let result: WikiExtractionReport
        do {
            result = try WikiExtraction.run(inputs: dumps, options: options, writer: writer, progress: progress) { error in
                shown += 1
                if shown <= maxIssuesShown { StandardError.write("quern: \(error)\n") }
            }
            try writer.finish()
        } catch {
            file?.discard()
            throw error
        }
        if let report {
            var bytes: [UInt8] = []
            result.json.write(to: &bytes)
            bytes.append(0x0A)
            try OutputFile.write(bytes, to: report, codec: .plain)
        }
        StandardError.write(result.summary + "\n")
        // Damage inside a dump is reported and counted (its good pages are written); an input
        // that could not be opened at all is a failed run.
        if (result.errors["unreadable file"] ?? 0) > 0 { throw ExitCode(1) }
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
