import QuernIO
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The input kinds `quern extract books` reads.
public enum BookKind: String, Sendable, CaseIterable {
    /// A plain text book (any codec `Input.open` reads: plain, gzip, bzip2, zstd, xz).
    case txt
    /// An EPUB 2 or 3 archive.
    case epub
    /// A zip archive of plain text books (Project Gutenberg's `.zip` downloads).
    case zip
    /// JSON Lines documents (other book dumps), passed through.
    case jsonl
}

/// One book turned into a document, with what was found on the way.
public struct ExtractedBook: Sendable {
    public var document: Document
    public var kind: BookKind
    public var generation: BoilerplateGeneration
    public var encoding: BookEncoding
    /// Bytes of the book as stored (the file, or the zip entry's compressed size).
    public var bytesIn: Int
    /// UTF-8 bytes of the cleaned text.
    public var textBytes: Int
    /// A start marker (or the EPUB's boilerplate sections, or an Aozora legend) was found.
    public var startFound: Bool
    /// An end marker (or an Aozora colophon) was found.
    public var endFound: Bool
}

public enum Books {
    /// Reads one plain-text book from its bytes (`name` is used for the id when the header has
    /// no e-book number, and for the `-8.txt` hint in the metadata).
    public static func text(_ raw: UnsafeBufferPointer<UInt8>, name: String, kind: BookKind = .txt) -> ExtractedBook {
        let (normalized, encoding) = BookText.normalize(raw)
        var cleaned = GutenbergCleaner.clean(normalized)
        var aozora: AozoraCleaner.Counts?
        if cleaned.generation == .none, let (a, counts) = AozoraCleaner.clean(normalized) {
            cleaned = a
            aozora = counts
        }
        var document = makeDocument(cleaned, name: name, kind: kind, encoding: encoding)
        if let aozora {
            document.metadata.append("aozora_ruby_removed", .number(JSONNumber(aozora.rubies)))
            document.metadata.append("aozora_annotations_removed", .number(JSONNumber(aozora.annotations)))
            document.metadata.append("aozora_unencoded_characters", .number(JSONNumber(aozora.unencodedCharacters)))
            document.metadata.append("aozora_accented_spans", .number(JSONNumber(aozora.accentedSpans)))
        }
        return ExtractedBook(document: document, kind: kind, generation: cleaned.generation, encoding: encoding,
                             bytesIn: raw.count, textBytes: cleaned.text.count,
                             startFound: cleaned.startMarker, endFound: cleaned.endMarker)
    }

    public static func text(_ raw: [UInt8], name: String, kind: BookKind = .txt) -> ExtractedBook {
        raw.withUnsafeBufferPointer { text($0, name: name, kind: kind) }
    }

    /// Reads an EPUB archive into one book.
    public static func epub(_ archive: ZipArchive, name: String) throws -> ExtractedBook {
        let content = try EPUBReader.read(archive)
        var cleaned = GutenbergCleaner.clean(content.text, epubSections: content.boilerplateSections > 0)
        // The OPF's Dublin Core data overrules anything a stray header paragraph said.
        let opf = content.metadata
        var m = cleaned.metadata
        m.title = opf.title ?? m.title
        m.author = opf.author ?? m.author
        m.language = opf.language ?? m.language
        m.releaseDate = opf.releaseDate ?? m.releaseDate
        m.ebookNumber = opf.ebookNumber ?? m.ebookNumber
        cleaned.metadata = m
        if content.boilerplateSections > 0 && cleaned.generation != .epubSections && !cleaned.startMarker {
            cleaned.generation = .epubSections
        }
        var document = makeDocument(cleaned, name: name, kind: .epub, encoding: .utf8)
        document.metadata.append("spine_documents", .number(JSONNumber(content.spineDocuments)))
        if content.transcriberNotes > 0 {
            document.metadata.append("transcriber_notes_removed", .number(JSONNumber(content.transcriberNotes)))
        }
        if content.boilerplateSections > 0 {
            document.metadata.append("boilerplate_sections_removed", .number(JSONNumber(content.boilerplateSections)))
        }
        let size = archive.entries.reduce(0) { $0 + Int($1.compressedSize) }
        return ExtractedBook(document: document, kind: .epub, generation: cleaned.generation, encoding: .utf8, bytesIn: size,
                             textBytes: cleaned.text.count,
                             startFound: cleaned.startMarker || content.boilerplateSections > 0,
                             endFound: cleaned.endMarker || content.boilerplateSections > 1)
    }

    static func makeDocument(_ cleaned: CleanedText, name: String, kind: BookKind, encoding: BookEncoding) -> Document {
        let m = cleaned.metadata
        var metadata = JSONObject()
        metadata.append("kind", .string(kind.rawValue))
        metadata.append("file", .string(name))
        if let v = m.author { metadata.append("author", .string(v)) }
        if let v = m.translator { metadata.append("translator", .string(v)) }
        if let v = m.language { metadata.append("language", .string(v)) }
        if let v = m.releaseDate { metadata.append("release_date", .string(v)) }
        if let v = m.ebookNumber { metadata.append("gutenberg_id", .number(JSONNumber(v))) }
        metadata.append("boilerplate", .string(cleaned.generation.rawValue))
        metadata.append("encoding", .string(encoding.rawValue))
        if let v = m.declaredEncoding { metadata.append("declared_encoding", .string(v)) }
        if cleaned.droppedBodyLines > 0 { metadata.append("boilerplate_lines_removed", .number(JSONNumber(cleaned.droppedBodyLines))) }
        let id = m.ebookNumber.map { "gutenberg-\($0)" } ?? name
        let url = cleaned.generation != .aozora && cleaned.generation != .none
            ? m.ebookNumber.map { "https://www.gutenberg.org/ebooks/\($0)" } : nil
        return Document(id: id, text: String(decoding: cleaned.text, as: UTF8.self), source: "books", url: url,
                        title: m.title, metadata: metadata)
    }

    /// What a file holds, from its first bytes (JSONL after decompression: '{' first).
    public static func sniff(_ path: String) throws -> BookKind {
        let reader = try Input.open(path, threads: 1)
        guard let chunk = try reader.nextChunk() else { return .txt }
        if reader.codec == .plain, ZipArchive.looksLikeZip(chunk) {
            let archive = try ZipArchive(path: path)
            return archive.entry(named: "META-INF/container.xml") != nil ? .epub : .zip
        }
        var i = 0
        if chunk.count >= 3, chunk[0] == 0xEF, chunk[1] == 0xBB, chunk[2] == 0xBF { i = 3 }
        while i < chunk.count, chunk[i] == 0x20 || chunk[i] == 0x09 || chunk[i] == 0x0A || chunk[i] == 0x0D { i += 1 }
        return i < chunk.count && chunk[i] == UInt8(ascii: "{") ? .jsonl : .txt
    }

    /// Every book of one non-JSONL file (a zip of texts may hold several). Damaged members of a
    /// zip are reported in `errors` and skipped; a damaged file throws.
    public static func extract(path: String, kind: BookKind) throws -> (books: [ExtractedBook], errors: [QuernIOError]) {
        let name = baseName(path)
        switch kind {
        case .txt:
            let bytes = try Input.open(path, threads: 1).readAll()
            return ([text(bytes, name: name)], [])
        case .epub:
            return ([try epub(ZipArchive(path: path), name: name)], [])
        case .zip:
            let archive = try ZipArchive(path: path)
            var books: [ExtractedBook] = []
            var errors: [QuernIOError] = []
            for entry in archive.entries where !entry.isDirectory && isTextName(entry.name) {
                do {
                    let bytes = try archive.read(entry)
                    var book = text(bytes, name: name + ":" + entry.name, kind: .zip)
                    book.bytesIn = Int(entry.compressedSize)
                    books.append(book)
                } catch let error as QuernIOError {
                    errors.append(error)
                }
            }
            if books.isEmpty && errors.isEmpty {
                throw QuernIOError(.invalidArgument, file: path, message: "zip archive holds no .txt book (and no META-INF/container.xml)")
            }
            return (books, errors)
        case .jsonl:
            throw QuernIOError(.invalidArgument, file: path, message: "JSONL inputs are streamed, not extracted whole")
        }
    }

    static func isTextName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered.hasSuffix(".txt") && !lowered.hasPrefix("__macosx/")
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

// MARK: - The whole job

public struct BookExtractionOptions: Sendable {
    public var threads = Cores.available
    /// Books with less text than this are not written (counted as empty).
    public var minTextBytes = 1
    public init() {}
}

/// Counts of a `quern extract books` run.
public struct BookExtractionReport: Sendable {
    public var files = 0
    public var filesByKind: [BookKind: Int] = [:]
    public var documentsByKind: [BookKind: Int] = [:]
    public var documentsWritten = 0
    public var generations: [BoilerplateGeneration: Int] = [:]
    public var encodings: [BookEncoding: Int] = [:]
    /// Books (not JSONL documents) whose start / end of body was found by a marker.
    public var startMarkersFound = 0
    public var endMarkersFound = 0
    public var emptyBooks = 0
    public var jsonlMalformedLines = 0
    public var errors = 0
    public var firstErrors: [String] = []
    public var bytesIn: Int64 = 0
    public var bytesOut: Int64 = 0
    public var seconds = 0.0

    public init() {}

    mutating func record(_ error: QuernIOError) {
        errors += 1
        if firstErrors.count < 100 { firstErrors.append(error.description) }
    }

    public var json: JSONValue {
        func counts<K: RawRepresentable>(_ d: [K: Int], _ all: [K]) -> JSONValue where K.RawValue == String {
            var o = JSONObject()
            for k in all { o.append(k.rawValue, .number(JSONNumber(d[k] ?? 0))) }
            return .object(o)
        }
        var o = JSONObject()
        o.append("files", .number(JSONNumber(files)))
        o.append("files_by_kind", counts(filesByKind, BookKind.allCases))
        o.append("documents_by_kind", counts(documentsByKind, BookKind.allCases))
        o.append("documents_written", .number(JSONNumber(documentsWritten)))
        o.append("boilerplate", counts(generations, BoilerplateGeneration.allCases))
        o.append("no_markers", .number(JSONNumber(generations[.none] ?? 0)))
        let books = generations.values.reduce(0, +)
        o.append("start_marker_found", .number(JSONNumber(startMarkersFound)))
        o.append("start_marker_missing", .number(JSONNumber(books - startMarkersFound)))
        o.append("end_marker_found", .number(JSONNumber(endMarkersFound)))
        o.append("end_marker_missing", .number(JSONNumber(books - endMarkersFound)))
        o.append("encodings", counts(encodings, [BookEncoding.utf8, .windows1252, .mixed]))
        o.append("empty_books", .number(JSONNumber(emptyBooks)))
        o.append("jsonl_malformed_lines", .number(JSONNumber(jsonlMalformedLines)))
        o.append("errors", .number(JSONNumber(errors)))
        o.append("first_errors", .array(firstErrors.map(JSONValue.string)))
        o.append("bytes_in", .number(JSONNumber(bytesIn)))
        o.append("bytes_out", .number(JSONNumber(bytesOut)))
        o.append("seconds", .measurement(seconds))
        o.append("mb_per_second", JSONNumber(seconds > 0 ? (Double(bytesIn) / 1e6 / seconds * 100).rounded() / 100 : 0).map(JSONValue.number) ?? .null)
        return .object(o)
    }

    public var summary: String {
        let kinds = BookKind.allCases.compactMap { k in filesByKind[k].map { "\($0) \(k.rawValue)" } }.joined(separator: ", ")
        return "extract books: \(files) files (\(kinds)), \(documentsWritten) documents, "
            + "\(generations[.none] ?? 0) without markers, \(errors) errors, "
            + "\(bytesIn) bytes in, \(bytesOut) bytes out, \(String(format1(seconds))) s"
    }

    private func format1(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return String(r)
    }
}

public enum BookExtraction {
    private struct FileResult: Sendable {
        var books: [ExtractedBook] = []
        var errors: [QuernIOError] = []
        var lines: [UInt8] = []

        /// Keeps the book's counts and writes its JSON line (when it has enough text).
        mutating func add(_ book: ExtractedBook, minText: Int) {
            if book.document.text.utf8.count >= minText {
                book.document.write(to: &lines)
                lines.append(0x0A)
            }
            var counted = book
            counted.document.text = ""  // the text is in `lines` now; the report needs only counts
            books.append(counted)
        }
    }

    /// A zip archive read by several jobs at once: entries are read with pread (no shared file
    /// offset) and the directory is immutable after opening.
    private final class SharedArchive: @unchecked Sendable {
        let archive: ZipArchive
        init(_ archive: ZipArchive) { self.archive = archive }
    }

    /// Extracts every input in order and writes one JSON line per book to `writer`. Files are
    /// read and cleaned on `options.threads` cores (one job per file, results in input order);
    /// JSONL inputs are streamed and parsed in parallel batches. A file that cannot be read is
    /// reported through `onError`, counted and skipped.
    public static func run(inputs: [String], options: BookExtractionOptions = BookExtractionOptions(),
                           writer: ByteWriter, progress: Progress? = nil,
                           onError: (QuernIOError) -> Void = { _ in }) throws -> BookExtractionReport {
        let started = Progress.now()
        var report = BookExtractionReport()
        let queue = OrderedWorkQueue<FileResult>()
        let limit = max(2, options.threads * 2)
        let minText = options.minTextBytes

        func deliver(_ result: FileResult) throws {
            for error in result.errors { report.record(error); onError(error) }
            for book in result.books {
                report.bytesIn += Int64(book.bytesIn)
                report.generations[book.generation, default: 0] += 1
                report.encodings[book.encoding, default: 0] += 1
                if book.startFound { report.startMarkersFound += 1 }
                if book.endFound { report.endMarkersFound += 1 }
                if book.textBytes < minText { report.emptyBooks += 1; continue }
                report.documentsByKind[book.kind, default: 0] += 1
                report.documentsWritten += 1
            }
            if !result.lines.isEmpty {
                try writer.write(result.lines)
                report.bytesOut += Int64(result.lines.count)
            }
            progress?.update(records: report.documentsWritten, bytesRead: report.bytesIn)
        }

        for path in inputs {
            report.files += 1
            let kind: BookKind
            do {
                guard path != "-" else {
                    // The kind is read from the content and a zip needs its end: files only.
                    throw QuernIOError(.invalidArgument, file: path, message: "standard input is not supported: books are recognized by content and EPUB/zip need seeking")
                }
                kind = try Books.sniff(path)
            } catch let error as QuernIOError {
                report.record(error); onError(error); continue
            }
            report.filesByKind[kind, default: 0] += 1
            if kind == .jsonl {
                // Keep the output in input order: everything before this file is written first.
                while let r = queue.next() { try deliver(r) }
                try passThroughJSONL(path, threads: options.threads, writer: writer, report: &report, onError: onError)
                continue
            }
            if kind == .zip {
                // One job per text entry, so a zip of many books is never held whole in memory.
                let archive: ZipArchive
                do { archive = try ZipArchive(path: path) } catch let error as QuernIOError {
                    report.record(error); onError(error); continue
                }
                let shared = SharedArchive(archive)
                let name = Books.baseName(path)
                let entries = archive.entries.filter { !$0.isDirectory && Books.isTextName($0.name) }
                if entries.isEmpty {
                    let error = QuernIOError(.invalidArgument, file: path, message: "zip archive holds no .txt book (and no META-INF/container.xml)")
                    report.record(error); onError(error); continue
                }
                for entry in entries {
                    while queue.inFlight >= limit, let r = queue.next() { try deliver(r) }
                    queue.submit {
                        var result = FileResult()
                        do {
                            var book = Books.text(try shared.archive.read(entry), name: name + ":" + entry.name, kind: .zip)
                            book.bytesIn = Int(entry.compressedSize)
                            result.add(book, minText: minText)
                        } catch let error as QuernIOError {
                            result.errors.append(error)
                        } catch {
                            result.errors.append(QuernIOError(.malformedRecord, file: path, message: "zip entry '\(entry.name)': \(error)"))
                        }
                        return result
                    }
                }
                continue
            }
            while queue.inFlight >= limit, let r = queue.next() { try deliver(r) }
            queue.submit {
                var result = FileResult()
                do {
                    let (books, errors) = try Books.extract(path: path, kind: kind)
                    result.errors = errors
                    for book in books { result.add(book, minText: minText) }
                } catch let error as QuernIOError {
                    result.errors.append(error)
                } catch {
                    result.errors.append(QuernIOError(.malformedRecord, file: path, message: "\(error)"))
                }
                return result
            }
        }
        while let r = queue.next() { try deliver(r) }
        progress?.finish()
        report.seconds = Progress.now() - started
        return report
    }

    /// JSONL book dumps: documents pass through with `source` kept (set to "books" when empty).
    static func passThroughJSONL(_ path: String, threads: Int, writer: ByteWriter, report: inout BookExtractionReport,
                                 onError: (QuernIOError) -> Void) throws {
        let input: ByteReader
        do { input = try Input.open(path, threads: threads) } catch let error as QuernIOError {
            report.record(error); onError(error); return
        }
        let reader = JSONLReader(input)
        var documents = 0
        do {
            try reader.forEachBatch(threads: threads, work: { docs -> [UInt8] in
                var out: [UInt8] = []
                for var d in docs {
                    if d.source.isEmpty { d.source = "books" }
                    d.write(to: &out)
                    out.append(0x0A)
                }
                return out
            }, deliver: { bytes in
                try writer.write(bytes)
                report.bytesOut += Int64(bytes.count)
            })
            documents = reader.documentsRead
        } catch let error as QuernIOError {
            documents = reader.documentsRead
            report.record(error); onError(error)
        }
        // Malformed lines are counted apart from file errors; the first ones are kept in the list.
        for error in reader.errors {
            onError(error)
            if report.firstErrors.count < 100 { report.firstErrors.append(error.description) }
        }
        report.jsonlMalformedLines += reader.malformedLines
        report.documentsByKind[.jsonl, default: 0] += documents
        report.documentsWritten += documents
        report.bytesIn += input.storedBytesRead
    }
}
