import QuernIO
#if canImport(Glibc)
import Glibc
#endif

/// How `WikiExtraction` turns dumps into documents.
public struct WikiExtractionOptions: Sendable {
    public var wikitext = WikitextOptions()
    /// Namespaces extracted (nil: all).
    public var namespaces: Set<Int>? = [0]
    /// Pages whose prose has fewer bytes than this are counted as empty and not written.
    public var minTextBytes = 1
    /// Cleaning threads; the calling thread reads the XML (and the codec uses its own threads).
    public var threads = Cores.available
    /// Pages go to the cleaners in batches of about this many wikitext bytes.
    public var batchBytes = 1 << 20
    /// Damage messages kept in the report (all are counted).
    public var maxIssuesKept = 100
    /// The `source` field of the documents.
    public var source = "wikipedia"

    public init() {}
}

/// What a run of `WikiExtraction` counted.
public struct WikiExtractionReport: Sendable {
    public var files = 0
    /// Every page seen, by namespace.
    public var pagesByNamespace: [Int: Int] = [:]
    /// Redirects among the pages of the extracted namespaces.
    public var redirects = 0
    /// Pages in namespaces not extracted.
    public var skippedNamespace = 0
    /// Pages whose prose came out shorter than `minTextBytes`.
    public var emptyPages = 0
    public var documents = 0
    public var revisions = 0
    /// Damage: files that could not be opened or whose XML or compression broke, by kind.
    public var errors: [String: Int] = [:]
    public var inputBytes: Int64 = 0
    public var xmlBytes: Int64 = 0
    public var wikitextBytes: Int64 = 0
    public var textBytes: Int64 = 0
    public var seconds = 0.0
    public var languages: [String: Int] = [:]
    public var issues: [String] = []

    public init() {}

    public var pages: Int { pagesByNamespace.values.reduce(0, +) }
    public var errorCount: Int { errors.values.reduce(0, +) }

    public var summary: String {
        func mb(_ bytes: Int64) -> String {
            let x = Double(bytes) / 1e6
            return x >= 10 ? String(Int(x.rounded())) : String(Double(Int(x * 10)) / 10)
        }
        var line = "extract wiki: \(files) file\(files == 1 ? "" : "s"), \(pages) pages, \(documents) documents; "
            + "\(redirects) redirects, \(skippedNamespace) other namespaces, \(emptyPages) empty"
        if errorCount > 0 { line += "; \(errorCount) damaged" }
        line += "; \(mb(xmlBytes)) MB of XML, \(mb(textBytes)) MB of text"
        if seconds > 0 {
            line += " in \(String(Double(Int(seconds * 10)) / 10)) s (\(Int(Double(pages) / seconds)) pages/s)"
        }
        return line
    }

    public var json: JSONValue {
        let ns = pagesByNamespace.sorted { $0.key < $1.key }.map { (String($0.key), JSONValue.number(JSONNumber($0.value))) }
        let s = seconds > 0 ? seconds : 0
        return .object(JSONObject([
            ("files", .number(JSONNumber(files))),
            ("pages", .number(JSONNumber(pages))),
            ("pages_by_namespace", .object(JSONObject(ns))),
            ("revisions", .number(JSONNumber(revisions))),
            ("redirects", .number(JSONNumber(redirects))),
            ("skipped", .object(JSONObject([
                ("namespace", .number(JSONNumber(skippedNamespace))),
                ("redirect", .number(JSONNumber(redirects))),
                ("empty", .number(JSONNumber(emptyPages))),
            ]))),
            ("documents", .number(JSONNumber(documents))),
            ("languages", JSONValue.counts(languages)),
            ("errors", JSONValue.counts(errors)),
            ("bytes", .object(JSONObject([
                ("input", .number(JSONNumber(inputBytes))),
                ("xml", .number(JSONNumber(xmlBytes))),
                ("wikitext", .number(JSONNumber(wikitextBytes))),
                ("text", .number(JSONNumber(textBytes))),
            ]))),
            ("seconds", JSONValue.measurement(s)),
            ("throughput", .object(JSONObject([
                ("pages_per_s", JSONValue.measurement(s > 0 ? Double(pages) / s : 0)),
                ("input_mb_per_s", JSONValue.measurement(s > 0 ? Double(inputBytes) / 1e6 / s : 0)),
                ("xml_mb_per_s", JSONValue.measurement(s > 0 ? Double(xmlBytes) / 1e6 / s : 0)),
            ]))),
            ("issues", .array(issues.map { .string($0) })),
        ]))
    }
}

/// `quern extract wiki`: MediaWiki dumps in, one JSONL document per article out.
///
/// The calling thread runs libxml2's reader (the codec decodes multistream bzip2 on its own
/// threads) and hands batches of pages to the cleaner threads; documents come back in dump order.
/// Memory: about `2 × threads` batches of wikitext.
public enum WikiExtraction {
    struct Batch: Sendable {
        var pages: [WikiPage]
        var cleaner: WikitextCleaner
        var site: WikiSiteInfo
        var language: String?
    }

    struct BatchResult: Sendable {
        var lines: [UInt8] = []
        var documents = 0
        var empty = 0
        var textBytes: Int64 = 0
    }

    public static func run(inputs: [String], options: WikiExtractionOptions = .init(), writer: ByteWriter,
                           progress: Progress? = nil,
                           onIssue: ((QuernIOError) -> Void)? = nil) throws -> WikiExtractionReport {
        try run(inputs: inputs, options: options, progress: progress, onIssue: onIssue) { lines in
            try writer.write(lines)
        }
    }

    /// As `run(inputs:options:writer:)`, handing each batch's JSONL bytes to `sink`.
    public static func run(inputs: [String], options: WikiExtractionOptions = .init(), progress: Progress? = nil,
                           onIssue: ((QuernIOError) -> Void)? = nil,
                           sink: ([UInt8]) throws -> Void) throws -> WikiExtractionReport {
        let started = Progress.now()
        var report = WikiExtractionReport()
        let queue = OrderedWorkQueue<BatchResult>()
        let threads = max(1, options.threads)
        var doneBytes: Int64 = 0

        func note(_ error: QuernIOError, kind: String) {
            report.errors[kind, default: 0] += 1
            if report.issues.count < options.maxIssuesKept { report.issues.append(error.description) }
            onIssue?(error)
        }
        func take() throws {
            guard let result = queue.next() else { return }
            if !result.lines.isEmpty { try sink(result.lines) }
            report.documents += result.documents
            report.emptyPages += result.empty
            report.textBytes += result.textBytes
        }
        func submit(_ batch: Batch) throws {
            guard !batch.pages.isEmpty else { return }
            queue.submit { process(batch, options: options) }
            while queue.inFlight >= 2 * threads { try take() }
        }

        for path in inputs {
            report.files += 1
            let reader: WikiDumpReader
            do {
                reader = try WikiDumpReader(path: path)
            } catch let error as QuernIOError {
                note(error, kind: "unreadable file")
                continue
            }
            reader.namespaces = options.namespaces
            reader.skipRedirects = true
            var cleaner: WikitextCleaner?
            var language: String?
            var batch: [WikiPage] = []
            var batchBytes = 0
            while let page = reader.next() {
                report.pagesByNamespace[page.namespace, default: 0] += 1
                report.revisions += page.revisions
                if let namespaces = options.namespaces, !namespaces.contains(page.namespace) {
                    report.skippedNamespace += 1; continue
                }
                if page.isRedirect { report.redirects += 1; continue }
                if cleaner == nil {
                    // The siteinfo is complete once the first page is read.
                    let site = reader.siteInfo
                    language = site.language
                    let names = site.namespaces.filter { $0.key == 6 || $0.key == 14 || $0.key == -2 }.map(\.value)
                    cleaner = WikitextCleaner(options: options.wikitext, language: language, fileAndCategoryNames: names)
                }
                report.wikitextBytes += Int64(page.text.count)
                report.languages[language ?? "unknown", default: 0] += 1
                batchBytes += page.text.count
                batch.append(page)
                if batchBytes >= options.batchBytes || batch.count >= 256 {
                    try submit(Batch(pages: batch, cleaner: cleaner!, site: reader.siteInfo, language: language))
                    batch = []
                    batchBytes = 0
                }
                progress?.update(records: report.pages, bytesRead: doneBytes + reader.storedBytesRead)
            }
            if let cleaner {
                try submit(Batch(pages: batch, cleaner: cleaner, site: reader.siteInfo, language: language))
            }
            if let error = reader.error {
                note(error, kind: error.kind == .truncated ? "truncated" : (error.kind == .malformedRecord ? "malformed xml" : "corrupt compression"))
            }
            report.xmlBytes += reader.bytesFed
            let size = storedSize(path)
            report.inputBytes += size
            doneBytes += size
        }
        while queue.inFlight > 0 { try take() }
        progress?.finish()
        report.seconds = Progress.now() - started
        return report
    }

    /// Cleaner side: wikitext → prose → JSONL.
    static func process(_ batch: Batch, options: WikiExtractionOptions) -> BatchResult {
        var result = BatchResult()
        for page in batch.pages {
            let text = batch.cleaner.clean(page.text, title: page.title)
            guard text.utf8.count >= options.minTextBytes else { result.empty += 1; continue }
            let document = makeDocument(page, text: text, site: batch.site, language: batch.language, source: options.source)
            document.write(to: &result.lines)
            result.lines.append(0x0A)
            result.documents += 1
            result.textBytes += Int64(text.utf8.count)
        }
        return result
    }

    /// The document for a page: id (page id), title, url (from the siteinfo's base), date (the
    /// revision's timestamp), text, source, and metadata (language, namespace, revision id, wiki).
    public static func makeDocument(_ page: WikiPage, text: String, site: WikiSiteInfo, language: String?,
                                    source: String = "wikipedia") -> Document {
        var metadata = JSONObject()
        if let language { metadata.append("language", .string(language)) }
        if !site.dbname.isEmpty { metadata.append("wiki", .string(site.dbname)) }
        metadata.append("namespace", .number(JSONNumber(page.namespace)))
        if !page.revisionID.isEmpty { metadata.append("revision_id", .string(page.revisionID)) }
        return Document(id: page.id, text: text, source: source, url: site.url(forTitle: page.title),
                        title: page.title, date: page.timestamp.isEmpty ? nil : page.timestamp, metadata: metadata)
    }

    static func storedSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
