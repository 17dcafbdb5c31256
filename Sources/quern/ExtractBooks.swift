import ArgumentParser
import QuernBooks
import QuernIO

struct ExtractBooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "books",
        abstract: "Clean text of Project Gutenberg and other books (plain text, zip, EPUB, JSONL) as JSONL documents.",
        discussion: """
            Inputs are recognized by content: plain-text books (any codec: plain, gzip, bzip2, \
            zstd, xz), zip archives of .txt books, EPUB 2/3 (spine order, XHTML through libxml2) \
            and JSONL documents (passed through, source set to "books" when empty).

            Text is decoded as UTF-8 (BOM dropped) or, when the bytes are not valid UTF-8, as \
            windows-1252 (Project Gutenberg's -8 files); CRLF becomes LF, trailing spaces and form \
            feeds go, line breaks are kept, one blank line separates paragraphs.

            Project Gutenberg boilerplate of every generation is removed (1990s small print, \
            2000s/2010s "START OF THIS PROJECT GUTENBERG EBOOK", 2020s "START OF THE PROJECT \
            GUTENBERG EBOOK", EPUB pg-header/pg-footer sections): header, footer, licence, \
            "Produced by"/"E-text prepared by" credits and transcriber's notes at the start of the \
            body, stray licence paragraphs. Aozora Bunko texts lose their legend, colophon, ruby and \
            annotations. Other texts pass through unchanged and are counted as "no-markers".

            One document per book: id "gutenberg-<n>" (else the file name), text, source "books", \
            url, title, metadata {kind, file, author, language, release_date, gutenberg_id, \
            boilerplate, encoding}. Files that cannot be read (corrupt zip, broken EPUB) are \
            reported on stderr with file, entry and offset, counted and skipped (the exit status \
            stays 0, as for `extract web`: every readable book was written; the report counts the \
            rest). The output is written under a temporary name and renamed when complete.
            """)

    @Argument(help: "Book files.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output JSONL file (.zst, .gz or plain by its name; - for standard output).")
    var output: String

    @Option(help: "Write the counts (books by kind, boilerplate by generation, encodings, bytes, errors) to this JSON file.")
    var report: String?

    @Option(help: "Books with less text than this many bytes are not written.")
    var minTextBytes = 1

    @Option(name: .shortAndLong, help: "Threads (default: all cores).")
    var threads: Int = Cores.available

    @Option(help: "Errors printed on stderr (all are counted in the report).")
    var maxIssuesShown = 20

    func run() throws {
        var options = BookExtractionOptions()
        options.threads = max(1, threads)
        options.minTextBytes = minTextBytes
        let file: OutputFile? = output == "-" ? nil : try OutputFile(path: output)
        let writer: ByteWriter = file ?? StandardOutput()
        var shown = 0
        let progress = Progress("extract books", totalBytes: nil)
        let result: BookExtractionReport
        do {
            result = try BookExtraction.run(inputs: inputs, options: options, writer: writer, progress: progress) { error in
                shown += 1
                if shown <= maxIssuesShown { StandardError.write("quern: \(error)\n") }
            }
            try writer.finish()
        } catch {
            file?.discard()
            throw error
        }
        if shown > maxIssuesShown {
            StandardError.write("quern: \(shown - maxIssuesShown) more errors not shown (see the report)\n")
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
