import CLibXML2
import QuernIO
#if canImport(Glibc)
import Glibc
#endif

/// What a dump's `<siteinfo>` (and its root element) says about the wiki.
public struct WikiSiteInfo: Sendable, Equatable {
    public var sitename = ""
    public var dbname = ""
    /// The main page's URL (`https://en.wikipedia.org/wiki/Main_Page`); empty when absent.
    public var base = ""
    /// `xml:lang` of the root element (export 0.4 and later).
    public var xmlLang = ""
    /// Namespace names by key (0 has the empty name), from `<namespaces>`.
    public var namespaces: [Int: String] = [:]

    public init() {}

    /// The wiki's language code: the first label of the base URL's host on a Wikimedia-style host
    /// (`ja.wikipedia.org` → `ja`), else the dbname without its `wiki` suffix (`bgwiki` → `bg`),
    /// else `xml:lang`; nil when none says.
    public var language: String? {
        if let host = baseHost, let dot = host.firstIndex(of: ".") {
            let label = host[..<dot]
            if label.count >= 2, label.count <= 12, label != "www", label != "commons", label != "meta",
               label.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) {
                return String(label)
            }
        }
        if dbname.hasSuffix("wiki"), dbname.count > 4 {
            return String(dbname.dropLast(4).map { $0 == "_" ? "-" : $0 })
        }
        return xmlLang.isEmpty ? nil : xmlLang
    }

    var baseHost: String? {
        guard let scheme = base.firstRange(of: "://") else { return nil }
        let rest = base[scheme.upperBound...]
        return String(rest.prefix { $0 != "/" && $0 != ":" })
    }

    /// The URL prefix pages are found under (`https://en.wikipedia.org/wiki/`), from the base URL.
    public var articlePathPrefix: String? {
        guard !base.isEmpty, let slash = base.lastIndex(of: "/"), base.firstRange(of: "://") != nil else { return nil }
        return String(base[...slash])
    }

    /// A page's URL: the base's path prefix and the title with spaces as underscores.
    public func url(forTitle title: String) -> String? {
        guard let prefix = articlePathPrefix else { return nil }
        return prefix + String(title.map { $0 == " " ? "_" : $0 })
    }

    /// The namespace a title is in from its prefix (`Talk:X` → 1), for exports without `<ns>`.
    public func namespace(ofTitle title: String) -> Int {
        guard let colon = title.firstIndex(of: ":") else { return 0 }
        let prefix = title[..<colon]
        for (key, name) in namespaces where key != 0 && !name.isEmpty && name == prefix { return key }
        return 0
    }
}

/// One page of a dump with its newest revision.
public struct WikiPage: Sendable {
    public var id = ""
    public var title = ""
    public var namespace = 0
    /// The page is a redirect (a `<redirect>` element, or text opening with `#REDIRECT`).
    public var isRedirect = false
    public var revisionID = ""
    /// The newest revision's timestamp (ISO 8601, as in the dump).
    public var timestamp = ""
    /// The newest revision's wikitext (UTF-8). Empty when the reader was told to skip this page.
    public var text: [UInt8] = []
    /// The page's text was not kept (namespace not wanted, or a redirect).
    public var textSkipped = false
    /// Revisions the page had in the dump.
    public var revisions = 0
    /// Where `<page>` started in the decompressed XML (as bytes fed to the parser, approximately).
    public var offset: Int64 = 0

    public init() {}
}

/// Streams `<page>`s out of a MediaWiki XML dump (export schemas 0.3 to 0.11) with libxml2's
/// xmlTextReader, fed from a QuernIO `ByteReader`, so every codec streams and memory stays bounded
/// by the largest page. UTF-8 and UTF-16 (with a BOM, or without one when the XML declaration
/// makes it recognizable) are read; a dump cut short returns the pages read before the cut and
/// leaves the damage in `error`.
///
/// One reader, one thread: libxml2's reader is not shared.
public final class WikiDumpReader {
    public let path: String
    /// The wiki's siteinfo, complete once the first page has been returned.
    public private(set) var siteInfo = WikiSiteInfo()
    /// Namespaces whose text is kept (nil: all). Other pages are returned with `textSkipped`.
    public var namespaces: Set<Int>? = [0]
    /// Whether the text of redirect pages is skipped.
    public var skipRedirects = true
    /// Damage that stopped reading (truncated or corrupt XML, a codec error), with file, the page
    /// being read and the byte offset. Pages returned before it are complete.
    public private(set) var error: QuernIOError?
    /// Pages returned so far.
    public private(set) var pagesRead = 0

    private let feed: Feed
    private var xml: xmlTextReaderPtr?
    private var finished = false

    /// Opens `path` with any codec QuernIO reads (multistream bzip2 decoded on `threads` cores).
    /// Compressed input is decoded on a thread of its own (`PrefetchReader`), so a serial decoder
    /// — one big bzip2 stream, gzip, zstd — and libxml2 run on two cores side by side.
    public convenience init(path: String, threads: Int = ParallelBzip2Reader.defaultThreads) throws {
        let input = try Input.open(path, threads: threads)
        try self.init(reader: input.codec == .plain || threads < 2 ? input : PrefetchReader(input))
    }

    public init(reader: ByteReader) throws {
        path = reader.path
        feed = Feed(reader: reader)
        // The encoding is sniffed from the first decompressed bytes: libxml2 recognizes a BOM and
        // an ASCII-compatible declaration itself, but is told about UTF-16 without a BOM.
        try feed.prime()
        let encoding = feed.sniffedEncoding
        let options = Int32(XML_PARSE_HUGE.rawValue | XML_PARSE_NONET.rawValue | XML_PARSE_COMPACT.rawValue
                            | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let context = Unmanaged.passUnretained(feed).toOpaque()
        let reader: xmlTextReaderPtr? = encoding.withCString { enc in
            xmlReaderForIO({ ctx, buffer, length in
                guard let ctx, let buffer else { return -1 }
                return Unmanaged<Feed>.fromOpaque(ctx).takeUnretainedValue().read(into: buffer, length: Int(length))
            }, nil, context, path, encoding.isEmpty ? nil : enc, options)
        }
        guard let reader else {
            throw QuernIOError(.invalidArgument, file: path, message: "libxml2 could not create a reader")
        }
        xml = reader
        xmlTextReaderSetErrorHandler(reader, { arg, message, severity, locator in
            guard let arg, let message else { return }
            let feed = Unmanaged<Feed>.fromOpaque(arg).takeUnretainedValue()
            guard feed.parseError == nil,
                  severity == XML_PARSER_SEVERITY_ERROR || severity == XML_PARSER_SEVERITY_VALIDITY_ERROR else { return }
            var text = String(String(cString: message).map { $0 == "\n" ? " " : $0 })
            while text.last == " " { text.removeLast() }
            feed.parseError = text
            feed.parseErrorLine = locator.map { Int(xmlTextReaderLocatorLineNumber($0)) } ?? 0
        }, context)
    }

    deinit {
        if let xml { xmlFreeTextReader(xml) }
    }

    /// Decompressed bytes handed to the parser so far.
    public var bytesFed: Int64 { feed.fed }
    /// Stored (compressed) bytes read so far.
    public var storedBytesRead: Int64 { feed.reader.storedBytesRead }

    // The element names that matter, matched once per element start.
    private enum Tag { case other, mediawiki, siteinfo, sitename, dbname, base, namespaces, namespace, page, title, ns, id,
                       redirect, revision, timestamp, text }

    private static func tag(_ name: UnsafePointer<UInt8>) -> Tag {
        // Dispatch on the first byte, then compare the whole name: element names are interned by
        // libxml2, so this runs on a handful of bytes per element.
        func eq(_ s: StaticString) -> Bool { strcmp(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self),
                                                    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)) == 0 }
        switch name[0] {
        case UInt8(ascii: "t"):
            if eq("text") { return .text }
            if eq("title") { return .title }
            if eq("timestamp") { return .timestamp }
        case UInt8(ascii: "i"): if eq("id") { return .id }
        case UInt8(ascii: "p"): if eq("page") { return .page }
        case UInt8(ascii: "r"):
            if eq("revision") { return .revision }
            if eq("redirect") { return .redirect }
        case UInt8(ascii: "n"):
            if eq("ns") { return .ns }
            if eq("namespace") { return .namespace }
            if eq("namespaces") { return .namespaces }
        case UInt8(ascii: "m"): if eq("mediawiki") { return .mediawiki }
        case UInt8(ascii: "s"):
            if eq("siteinfo") { return .siteinfo }
            if eq("sitename") { return .sitename }
        case UInt8(ascii: "d"): if eq("dbname") { return .dbname }
        case UInt8(ascii: "b"): if eq("base") { return .base }
        default: break
        }
        return .other
    }

    /// The next page, or nil at the end of the dump or at damage (then `error` says what).
    public func next() -> WikiPage? {
        guard !finished, let xml else { return nil }
        var stack: [Tag] = []
        stack.reserveCapacity(8)
        var page = WikiPage()
        var inPage = false
        var field: [UInt8] = []
        var capturing = false
        var namespaceKey: Int?
        // The revision being read: its fields are kept in `page` only when it is the newest.
        var revisionID = "", revisionTimestamp = ""
        var keepThisRevision = false
        var revisionText: [UInt8] = []
        var sawNs = false
        var pageTextComplete = false
        var textSaysRedirect = false
        while true {
            let status = xmlTextReaderRead(xml)
            if status != 1 {
                // libxml2 looks ahead: at a cut right after `</page>` (a truncated dump), the error
                // comes before the page's end tags are delivered. A page whose newest revision's
                // text was read completely is still whole.
                if inPage && pageTextComplete && !page.title.isEmpty {
                    if textSaysRedirect { page.isRedirect = true }
                    if !wantsText(page, sawNs: true) { page.text = []; page.textSkipped = true }
                    pagesRead += 1
                    finish(status: status, pageInProgress: nil)
                    return page
                }
                finish(status: status, pageInProgress: inPage ? page : nil)
                return nil
            }
            let type = xmlTextReaderNodeType(xml)
            switch type {
            case 1:  // element start
                guard let raw = xmlTextReaderConstLocalName(xml) else { continue }
                let tag = WikiDumpReader.tag(raw)
                let parent = stack.last ?? .other
                let empty = xmlTextReaderIsEmptyElement(xml) == 1
                switch tag {
                case .mediawiki where stack.isEmpty:
                    if let lang = xmlTextReaderGetAttribute(xml, "xml:lang") {
                        siteInfo.xmlLang = String(cString: lang); free(lang)
                    }
                case .page:
                    page = WikiPage()
                    page.offset = feed.fed
                    inPage = true
                    sawNs = false
                    textSaysRedirect = false
                case .namespace where parent == .namespaces:
                    namespaceKey = nil
                    if let key = xmlTextReaderGetAttribute(xml, "key") {
                        namespaceKey = Int(String(cString: key)); free(key)
                    }
                    if empty, let k = namespaceKey { siteInfo.namespaces[k] = "" }
                case .redirect where inPage && parent == .page:
                    page.isRedirect = true
                case .revision where inPage:
                    page.revisions += 1
                    pageTextComplete = false
                    revisionID = ""; revisionTimestamp = ""
                    keepThisRevision = false
                case .text where inPage && parent == .revision:
                    // The timestamp comes before the text: only the newest revision's text is kept.
                    keepThisRevision = page.revisions == 1 || revisionTimestamp >= page.timestamp
                    if keepThisRevision {
                        page.timestamp = revisionTimestamp
                        page.revisionID = revisionID
                    }
                    revisionText.removeAll(keepingCapacity: true)
                    if empty && keepThisRevision { page.text = [] }
                default: break
                }
                if !empty {
                    stack.append(tag)
                    capturing = captures(tag, parent: parent, inPage: inPage, keepText: keepThisRevision && wantsText(page, sawNs: sawNs))
                    field.removeAll(keepingCapacity: true)
                }
            case 3, 4, 13, 14:  // text, CDATA, whitespace, significant whitespace
                guard capturing, let value = xmlTextReaderConstValue(xml) else { continue }
                let n = strlen(UnsafeRawPointer(value).assumingMemoryBound(to: CChar.self))
                let bytes = UnsafeBufferPointer(start: value, count: n)
                if stack.last == .text { revisionText.append(contentsOf: bytes) } else { field.append(contentsOf: bytes) }
            case 15:  // element end
                guard let tag = stack.popLast() else { continue }
                let parent = stack.last ?? .other
                if capturing {
                    capturing = false
                    switch tag {
                    case .sitename: siteInfo.sitename = String(decoding: field, as: UTF8.self)
                    case .dbname: siteInfo.dbname = String(decoding: field, as: UTF8.self)
                    case .base: siteInfo.base = String(decoding: field, as: UTF8.self)
                    case .namespace:
                        if let k = namespaceKey { siteInfo.namespaces[k] = String(decoding: field, as: UTF8.self) }
                    case .title:
                        page.title = String(decoding: field, as: UTF8.self)
                        if !sawNs { page.namespace = siteInfo.namespace(ofTitle: page.title) }
                    case .ns:
                        page.namespace = Int(String(decoding: field, as: UTF8.self)) ?? 0
                        sawNs = true
                    case .id where parent == .page: page.id = String(decoding: field, as: UTF8.self)
                    case .id where parent == .revision: revisionID = String(decoding: field, as: UTF8.self)
                    case .timestamp: revisionTimestamp = String(decoding: field, as: UTF8.self)
                    case .text:
                        if keepThisRevision {
                            swap(&page.text, &revisionText)
                            // Exports before 0.5 have no <redirect>: the newest text says it.
                            textSaysRedirect = WikiDumpReader.opensWithRedirect(page.text)
                        }
                    default: break
                    }
                }
                if tag == .revision { pageTextComplete = true }
                if tag == .page && inPage {
                    if textSaysRedirect { page.isRedirect = true }
                    if !wantsText(page, sawNs: true) {
                        page.text = []
                        page.textSkipped = true
                    }
                    pagesRead += 1
                    return page
                }
            default:
                break
            }
        }
    }

    private func captures(_ tag: Tag, parent: Tag, inPage: Bool, keepText: Bool) -> Bool {
        switch tag {
        case .sitename, .dbname, .base: return parent == .siteinfo
        case .namespace: return parent == .namespaces
        case .title, .ns: return inPage && parent == .page
        case .id: return inPage && (parent == .page || parent == .revision)
        case .timestamp: return inPage && parent == .revision
        // The text is kept for pages that may be wanted; a redirect in 0.3 exports is only known
        // from its text, so its text is read and dropped at the page's end.
        case .text: return inPage && parent == .revision && keepText
        default: return false
        }
    }

    private func wantsText(_ page: WikiPage, sawNs: Bool) -> Bool {
        if let namespaces, !namespaces.contains(page.namespace) { return false }
        if skipRedirects && page.isRedirect { return false }
        return true
    }

    /// `#REDIRECT`, or one of the common localized forms, at the start of a text.
    static func opensWithRedirect(_ text: [UInt8]) -> Bool {
        var i = 0
        while i < text.count, text[i] == 0x20 || text[i] == 0x0A || text[i] == 0x09 { i += 1 }
        guard i < text.count, text[i] == UInt8(ascii: "#") else { return false }
        let rest = text[(i + 1)...].prefix(32)
        let upper = String(decoding: rest, as: UTF8.self).uppercased()
        for word in ["REDIRECT", "WEITERLEITUNG", "REDIRECTION", "REDIRECCIÓN", "RINVIA", "RINVIO", "転送",
                     "ПЕРЕНАПРАВЛЕНИЕ", "ПРЕНАСОЧВАНЕ", "DOORVERWIJZING", "PATRZ", "PRZEKIERUJ", "重定向",
                     "REDIRECIONAMENTO", "ПЕРЕНАПР", "REDIRECCION", "STRONA"] where upper.hasPrefix(word) {
            return true
        }
        return false
    }

    private func finish(status: Int32, pageInProgress: WikiPage?) {
        finished = true
        let where_ = pageInProgress.map { p -> String in
            p.title.isEmpty ? "in a page" : "in page \"\(p.title)\"" + (p.id.isEmpty ? "" : " (id \(p.id))")
        }
        if let codecError = feed.codecError {
            var e = codecError
            if let where_ { e.message += " (\(where_); \(pagesRead) pages read before)" }
            error = e
            return
        }
        if status >= 0 {
            if feed.closedTruncatedDump {
                error = QuernIOError(.truncated, file: path, offset: feed.reader.storedBytesRead,
                                     message: "XML dump ends without </mediawiki> at decompressed byte \(feed.fed) "
                                        + "(cut between pages); the \(pagesRead) pages before the cut are complete")
            }
            return
        }
        let message = feed.closedTruncatedDump ? "the dump ends inside an element (\(feed.parseError ?? "XML error"))"
            : (feed.parseError ?? "XML error")
        let truncated = feed.closedTruncatedDump || feed.atEnd && (message.contains("Premature end") || message.contains("EndTag")
                                       || message.contains("Extra content") || message.contains("not finished")
                                       || message.contains("chunk is not well balanced"))
        var text = (truncated ? "XML dump ends early: " : "malformed XML: ") + message
        if feed.parseErrorLine > 0 { text += " at line \(feed.parseErrorLine)" }
        text += where_.map { " (\($0)) " } ?? " "
        text += "at decompressed byte \(feed.fed); \(pagesRead) pages read before"
        error = QuernIOError(truncated ? .truncated : .malformedRecord, file: path,
                             offset: feed.reader.storedBytesRead, record: pageInProgress == nil ? nil : pagesRead + 1,
                             message: text)
    }
}

/// The bridge from a `ByteReader` to libxml2's read callback. Chunks are borrowed from the
/// reader and copied straight into libxml2's buffer; nothing else is buffered.
final class Feed {
    let reader: ByteReader
    private var pending = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private(set) var fed: Int64 = 0
    private(set) var atEnd = false
    var codecError: QuernIOError?
    var parseError: String?
    var parseErrorLine = 0
    private(set) var sniffedEncoding = ""
    /// The last bytes fed, to see whether the dump ends with its root's end tag.
    private var tail = [UInt8](repeating: 0, count: 32)
    private var tailCount = 0
    /// The dump ended without `</mediawiki>` and the end tag was fed in its place, so libxml2
    /// delivers every complete page before it (it reports a cut only after its look-ahead).
    private(set) var closedTruncatedDump = false
    /// The end tag in the dump's encoding (UTF-8, or UTF-16 either way round), fed when the
    /// dump ends without it.
    private var closing: [UInt8] = Array("\n</mediawiki>\n".utf8)
    private var closingBuffer = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

    init(reader: ByteReader) {
        self.reader = reader
    }

    deinit { closingBuffer.deallocate() }

    private func remember(_ chunk: UnsafeBufferPointer<UInt8>) {
        let n = min(chunk.count, tail.count)
        if n == tail.count {
            for k in 0..<n { tail[k] = chunk[chunk.count - n + k] }
            tailCount = n
            return
        }
        let keep = min(tailCount, tail.count - n)
        for k in 0..<keep { tail[k] = tail[tailCount - keep + k] }
        for k in 0..<n { tail[keep + k] = chunk[chunk.count - n + k] }
        tailCount = keep + n
    }

    /// Whether the last bytes are `</mediawiki>` (then spaces). NUL bytes are skipped like spaces
    /// at the end of both, which makes the test the same for UTF-8 and both UTF-16 orders.
    private var endsWithRootEndTag: Bool {
        func stripped(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            var b = bytes
            while let last = b.last, isSpace(last) || last == 0 { b = b.dropLast() }
            return b
        }
        // Without the leading newline (one code unit: 1 or 2 bytes of the 14 characters).
        let tag = stripped(closing.dropFirst(closing.count / 14))
        let end = stripped(tail[0..<tailCount])
        return end.count >= tag.count && end.suffix(tag.count).elementsEqual(tag)
    }

    /// Reads the first chunk and sniffs UTF-16 without a BOM from `<?` or `<m` as 16-bit units.
    func prime() throws {
        guard let chunk = try reader.nextChunk() else { atEnd = true; return }
        pending = chunk
        if chunk.count >= 4 {
            let (a, b, c, d) = (chunk[0], chunk[1], chunk[2], chunk[3])
            if a == 0, b == 0x3C, c == 0, d != 0 { sniffedEncoding = "UTF-16BE" }
            else if a == 0x3C, b == 0, c != 0, d == 0 { sniffedEncoding = "UTF-16LE" }
            let bigEndian = sniffedEncoding == "UTF-16BE" || (a == 0xFE && b == 0xFF)
            let littleEndian = sniffedEncoding == "UTF-16LE" || (a == 0xFF && b == 0xFE)
            if bigEndian || littleEndian {
                closing = "\n</mediawiki>\n".utf16.flatMap { unit -> [UInt8] in
                    bigEndian ? [UInt8(unit >> 8), UInt8(unit & 0xFF)] : [UInt8(unit & 0xFF), UInt8(unit >> 8)]
                }
            }
        }
        closingBuffer = .allocate(capacity: closing.count)
        _ = closingBuffer.initialize(from: closing)
        remember(chunk)
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, length: Int) -> Int32 {
        if pending.isEmpty {
            if atEnd || codecError != nil { return 0 }
            do {
                guard let chunk = try reader.nextChunk() else {
                    atEnd = true
                    if fed > 0 && !closedTruncatedDump && !endsWithRootEndTag {
                        closedTruncatedDump = true
                        pending = UnsafeBufferPointer(closingBuffer)
                        return read(into: buffer, length: length)
                    }
                    return 0
                }
                pending = chunk
                remember(chunk)
            } catch let e as QuernIOError {
                codecError = e
                return -1
            } catch {
                codecError = QuernIOError(.corrupt, file: reader.path, offset: reader.storedBytesRead, message: "\(error)")
                return -1
            }
        }
        let n = min(length, pending.count)
        UnsafeMutableRawPointer(buffer).copyMemory(from: pending.baseAddress!, byteCount: n)
        pending = UnsafeBufferPointer(rebasing: pending[n...])
        if !closedTruncatedDump { fed &+= Int64(n) }
        return Int32(n)
    }
}
