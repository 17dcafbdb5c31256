import QuernIO
#if canImport(Glibc)
import Glibc
#endif

/// How `WebExtraction` turns archive records into documents.
public struct WebExtractionOptions: Sendable {
    /// The main-content extractor's settings (tables, caps).
    public var html = HTMLExtractionOptions()
    /// Pages whose main text has fewer bytes than this are counted as "no main text" and not
    /// written.
    public var minTextBytes = 1
    /// Whether WET `conversion` records (text Common Crawl already extracted) become documents.
    public var conversionRecords = true
    /// Worker threads for charset decoding and extraction; one more thread reads the archives.
    public var threads = Cores.available
    /// Records go to the workers in batches of about this many block bytes.
    public var batchBytes = 2 << 20
    /// Damage messages kept in the report (all are counted).
    public var maxIssuesKept = 100

    public init() {}
}

/// Everything a run of `WebExtraction` counted: the archives' records by kind and damage by
/// issue, what the records were (HTML, WET text, skips by reason), what extraction made of the
/// pages, and bytes and time.
public struct WebExtractionReport: Sendable {
    public var archive = WebArchiveStats()
    /// Documents written.
    public var documents = 0
    /// HTML pages whose main text came out shorter than `minTextBytes`.
    public var noMainText = 0
    /// WET conversion records left out because `conversionRecords` was off.
    public var conversionSkipped = 0
    /// Pages that hit an extraction cap, by cap.
    public var capped: [String: Int] = [:]
    /// Pages by the encoding their text was decoded from, and by where that decision came from.
    public var encodings: [String: Int] = [:]
    public var charsetSources: [String: Int] = [:]
    /// Pages where ill-formed or unmappable bytes became U+FFFD.
    public var pagesWithReplacements = 0
    /// Stored (compressed) bytes of the inputs, page bytes given to the extractor (decoded HTTP
    /// bodies and WET texts) and text bytes written.
    public var inputBytes: Int64 = 0
    public var pageBytes: Int64 = 0
    public var textBytes: Int64 = 0
    public var seconds = 0.0
    /// The first damage reports (file, offset, what), as printed on stderr.
    public var issues: [String] = []

    public init() {}

    mutating func merge(_ other: WebExtractionReport) {
        archive.merge(other.archive)
        documents += other.documents
        noMainText += other.noMainText
        conversionSkipped += other.conversionSkipped
        capped.merge(other.capped, uniquingKeysWith: +)
        encodings.merge(other.encodings, uniquingKeysWith: +)
        charsetSources.merge(other.charsetSources, uniquingKeysWith: +)
        pagesWithReplacements += other.pagesWithReplacements
        pageBytes += other.pageBytes
        textBytes += other.textBytes
    }

    /// One line for people: files, records, documents, skips by reason, damage, bytes and speed.
    public var summary: String {
        func mb(_ bytes: Int64) -> String {
            let x = Double(bytes) / 1e6
            return x >= 10 ? String(Int(x.rounded())) : String(Double(Int(x * 10)) / 10)
        }
        let skipped = archive.skips.sorted { $0.value > $1.value }.map { "\($0.key.rawValue) \($0.value)" }
        var line = "extract web: \(archive.files) file\(archive.files == 1 ? "" : "s"), \(archive.recordCount) records, "
            + "\(documents) documents"
        if noMainText > 0 { line += " (\(noMainText) pages without main text)" }
        if !skipped.isEmpty { line += "; skipped: " + skipped.joined(separator: ", ") }
        if archive.issueCount > 0 { line += "; \(archive.issueCount) damaged" }
        line += "; \(mb(pageBytes)) MB of pages, \(mb(textBytes)) MB of text"
        if seconds > 0 { line += " in \(String(Double(Int(seconds * 10)) / 10)) s" }
        return line
    }

    public var json: JSONValue {
        let mb = 1e6
        return .object(JSONObject([
            ("archive", archive.json),
            ("documents", .number(JSONNumber(documents))),
            ("no_main_text", .number(JSONNumber(noMainText))),
            ("conversion_skipped", .number(JSONNumber(conversionSkipped))),
            ("capped", JSONValue.counts(capped)),
            ("encodings", JSONValue.counts(encodings)),
            ("charset_sources", JSONValue.counts(charsetSources)),
            ("pages_with_replacements", .number(JSONNumber(pagesWithReplacements))),
            ("bytes", .object(JSONObject([
                ("input", .number(JSONNumber(inputBytes))),
                ("pages", .number(JSONNumber(pageBytes))),
                ("text", .number(JSONNumber(textBytes))),
            ]))),
            ("seconds", JSONValue.measurement(seconds)),
            ("throughput_mb_per_s", .object(JSONObject([
                ("input", JSONValue.measurement(seconds > 0 ? Double(inputBytes) / mb / seconds : 0)),
                ("pages", JSONValue.measurement(seconds > 0 ? Double(pageBytes) / mb / seconds : 0)),
            ]))),
            ("issues", .array(issues.map { .string($0) })),
        ]))
    }
}

/// One page through the charset step and the main-content extractor. `extract web` and
/// `extract html` both come through here, so a page gives the same text either way.
public enum WebPageExtraction {
    /// Decodes `body` to UTF-8 (BOM, the HTTP `contentType` charset, `<meta>`, then detection;
    /// valid UTF-8 is used in place, without a copy) and extracts its main content. `scratch`
    /// holds the decoded text when a conversion is needed; callers reuse it across pages.
    public static func extract(_ body: UnsafeBufferPointer<UInt8>, contentType: String?,
                               extractor: HTMLExtractor, scratch: inout [UInt8]) -> (ExtractedPage, CharsetDecision) {
        var decision = Charset.decide(body, contentType: contentType)
        let text = UnsafeBufferPointer(rebasing: body[decision.bomLength...])
        if decision.isPassThrough {
            return (extractor.extract(utf8: text), decision)
        }
        scratch.removeAll(keepingCapacity: true)
        do {
            decision.replacements = try Charset.decode(text, encoding: decision.encoding, into: &scratch)
        } catch {
            // ICU failed to open or run a converter (a broken ICU installation, not bad input):
            // fall back to UTF-8 with U+FFFD for what does not decode, and say so.
            scratch.removeAll(keepingCapacity: true)
            decision.replacements = UTF8Repair.append(text, to: &scratch)
            decision.encoding = .utf8
            decision.source = .default
        }
        let page = scratch.withUnsafeBufferPointer { extractor.extract(utf8: $0) }
        return (page, decision)
    }
}

/// `quern extract web`: WARC/WET/ARC files in, one JSONL document per page with main text out.
///
/// The calling thread reads the archives record by record (decompressing, splitting records,
/// resynchronizing after damage) and hands batches of records to `options.threads` workers,
/// which classify each record, parse HTTP, decode the charset and extract the main content;
/// documents come back in input order. Memory: about `2 × threads` batches of records.
public enum WebExtraction {
    /// The result of one batch of records: JSONL lines and the counts behind them.
    struct BatchResult: Sendable {
        var lines: [UInt8]
        var report: WebExtractionReport
    }

    /// Extracts every input into `writer` (JSONL); damage goes to `onIssue` as it is found.
    public static func run(inputs: [String], options: WebExtractionOptions = .init(), writer: ByteWriter,
                           progress: Progress? = nil,
                           onIssue: ((QuernIOError) -> Void)? = nil) throws -> WebExtractionReport {
        let started = Progress.now()
        var report = WebExtractionReport()
        let extractor = HTMLExtractor(options: options.html)
        let queue = OrderedWorkQueue<BatchResult>()
        let threads = max(1, options.threads)
        var records = 0
        var doneBytes: Int64 = 0

        func take() throws {
            guard let result = queue.next() else { return }
            if !result.lines.isEmpty { try writer.write(result.lines) }
            report.merge(result.report)
        }
        func submit(_ batch: [WebRecord], file: String) throws {
            guard !batch.isEmpty else { return }
            queue.submit { process(batch, file: file, extractor: extractor, options: options) }
            while queue.inFlight >= 2 * threads { try take() }
        }

        for path in inputs {
            let size = storedSize(path)
            // An input that cannot be opened is the caller's mistake, not damage: stop.
            let reader = try WebArchiveReader(path: path, maxBlockBytes: options.html.maxInputBytes * 8)
            reader.onIssue = { _, error in note(error, in: &report, options: options, onIssue: onIssue) }
            var batch: [WebRecord] = []
            var batchBytes = 0
            while let record = reader.next() {
                records += 1
                batchBytes += record.block.count
                batch.append(record)
                if batchBytes >= options.batchBytes || batch.count >= 512 {
                    try submit(batch, file: path)
                    batch = []
                    batchBytes = 0
                }
                if let progress, record.offsetIsCompressed {
                    progress.update(records: records, bytesRead: doneBytes + record.offset)
                }
            }
            try submit(batch, file: path)
            var stats = reader.stats
            stats.html = 0; stats.conversionTexts = 0; stats.skips = [:]  // the workers count those
            report.archive.merge(stats)
            doneBytes += size
            report.inputBytes += size
        }
        while queue.inFlight > 0 { try take() }
        progress?.finish()
        report.seconds = Progress.now() - started
        return report
    }

    /// Worker side: classify, decode, extract, serialize.
    static func process(_ batch: [WebRecord], file: String, extractor: HTMLExtractor,
                        options: WebExtractionOptions) -> BatchResult {
        var result = BatchResult(lines: [], report: WebExtractionReport())
        var scratch: [UInt8] = []
        for record in batch {
            let content = WebContent.classify(record, maxBodyBytes: options.html.maxInputBytes * 8)
            result.report.archive.count(content)
            switch content {
            case .skip:
                continue
            case .conversionText(let body, let url):
                guard options.conversionRecords else { result.report.conversionSkipped += 1; continue }
                result.report.pageBytes += Int64(body.count)
                let text = body.withUnsafeBufferPointer { b -> String in
                    scratch.removeAll(keepingCapacity: true)
                    UTF8Repair.append(b, to: &scratch)
                    return String(decoding: scratch, as: UTF8.self)
                }
                guard text.utf8.count >= options.minTextBytes else { result.report.noMainText += 1; continue }
                var metadata = recordMetadata(record, file: file)
                metadata.append("content_type", .string("text/plain"))
                emit(Document(id: documentID(record, file: file), text: text, source: "web", url: url,
                              metadata: metadata), into: &result)
            case .html(let body, let http, let url):
                result.report.pageBytes += Int64(body.count)
                let (page, charset) = body.withUnsafeBufferPointer {
                    WebPageExtraction.extract($0, contentType: http?.headers["content-type"],
                                              extractor: extractor, scratch: &scratch)
                }
                result.report.encodings[charset.encoding.name, default: 0] += 1
                result.report.charsetSources[charset.source.rawValue, default: 0] += 1
                if charset.replacements > 0 { result.report.pagesWithReplacements += 1 }
                let caps = page.capped.names
                for cap in caps { result.report.capped[cap, default: 0] += 1 }
                guard page.text.utf8.count >= options.minTextBytes else { result.report.noMainText += 1; continue }
                var metadata = recordMetadata(record, file: file)
                if let mime = http?.mimeType ?? record.contentType { metadata.append("content_type", .string(mime)) }
                metadata.append("charset", .string(charset.encoding.name))
                metadata.append("charset_source", .string(charset.source.rawValue))
                if let status = http?.status { metadata.append("http_status", .number(JSONNumber(status))) }
                if let language = page.language { metadata.append("language", .string(language)) }
                if !caps.isEmpty { metadata.append("capped", .array(caps.map { .string($0) })) }
                emit(Document(id: documentID(record, file: file), text: page.text, source: "web", url: url,
                              title: page.title, date: page.date, metadata: metadata), into: &result)
            }
        }
        return result
    }

    static func emit(_ document: Document, into result: inout BatchResult) {
        document.write(to: &result.lines)
        result.lines.append(0x0A)
        result.report.documents += 1
        result.report.textBytes += Int64(document.text.utf8.count)
    }

    /// WARC-Record-ID without its angle brackets (`urn:uuid:…`); ARC records have none, so
    /// theirs is the file name and the record's offset, which is just as unique and stable.
    static func documentID(_ record: WebRecord, file: String) -> String {
        if var id = record.recordID, !id.isEmpty {
            if id.hasPrefix("<") && id.hasSuffix(">") { id = String(id.dropFirst().dropLast()) }
            return id
        }
        let name = file.split(separator: "/").last.map(String.init) ?? file
        return "\(name):\(record.offset)"
    }

    static func recordMetadata(_ record: WebRecord, file: String) -> JSONObject {
        var metadata = JSONObject()
        if let date = record.date { metadata.append("warc_date", .string(date)) }
        metadata.append("warc_file", .string(file))
        metadata.append("warc_offset", .number(JSONNumber(record.offset)))
        return metadata
    }

    static func note(_ error: QuernIOError, in report: inout WebExtractionReport, options: WebExtractionOptions,
                     onIssue: ((QuernIOError) -> Void)?) {
        if report.issues.count < options.maxIssuesKept { report.issues.append(error.description) }
        onIssue?(error)
    }

    static func storedSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
