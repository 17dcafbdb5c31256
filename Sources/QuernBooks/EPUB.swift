import CLibXML2
import QuernIO
#if canImport(Glibc)
import Glibc
#endif

// EPUB 2 and 3: META-INF/container.xml → the OPF package → manifest and spine → each spine
// document (XHTML or HTML) in order, parsed by libxml2's HTML parser in recover mode (it takes
// XHTML, tag soup and undeclared entities alike) and turned into text blocks.
//
// Blocks: p, div, h1–h6, li, blockquote, pre, tables rows, dt/dd, figure captions and the like
// each become one paragraph (blank-line separated); whitespace inside a block collapses to one
// space except in <pre>; <br> is a line break (verse keeps its lines). Not text: head, script,
// style, svg, nav, page numbers (class "pagenum"), images, transcriber's note boxes (a small
// container headed "Transcriber's Note(s)", or classed transnote/tnote/trnote).
//
// Project Gutenberg's Ebookmaker puts its boilerplate in marked sections: class "pg-boilerplate",
// ids pg-header, pg-footer, pg-machine-header, pg-start-separator, pg-end-separator,
// project-gutenberg-license. Those are dropped whole; the text then goes through the same
// cleaner as plain texts (older PG EPUBs carry "*** START OF ..." lines in ordinary paragraphs).

/// What an EPUB gave.
struct EPUBContent {
    var text: [UInt8]
    var metadata: BookMetadata
    /// Boilerplate sections dropped by their id/class.
    var boilerplateSections = 0
    /// Transcriber's note boxes dropped.
    var transcriberNotes = 0
    var spineDocuments = 0
    /// Spine entries marked linear="no" (auxiliary content), left out.
    var nonLinearSkipped = 0
}

/// Frees a document made by `EPUBReader.parseStrictXML` or `parseHTML`.
func xmlFreeDocument(_ doc: xmlDocPtr) { xmlFreeDoc(doc) }

enum EPUBReader {
    static let boilerplateIDs: Set<String> = [
        "pg-header", "pg-footer", "pg-machine-header", "pg-start-separator", "pg-end-separator",
        "project-gutenberg-license", "pg-end-separator-boilerplate",
    ]
    static let skipped: Set<String> = ["head", "script", "style", "title", "svg", "math", "nav", "template",
                                       "object", "iframe", "select", "button", "noscript", "img", "audio", "video"]
    static let blocks: Set<String> = ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
                                      "section", "article", "header", "footer", "aside", "main", "ul", "ol", "dl",
                                      "dt", "dd", "table", "tr", "thead", "tbody", "tfoot", "caption", "figure",
                                      "figcaption", "address", "center", "hr", "body", "html", "fieldset", "legend",
                                      "details", "summary", "hgroup"]

    static func read(_ archive: ZipArchive) throws -> EPUBContent {
        let path = archive.path
        func fail(_ entry: ZipArchive.Entry?, _ message: String) -> QuernIOError {
            QuernIOError(.malformedRecord, file: path, offset: entry?.localHeaderOffset, message: "EPUB: \(message)")
        }
        guard let containerEntry = archive.entry(named: "META-INF/container.xml") else {
            throw fail(nil, "no META-INF/container.xml")
        }
        let container = try archive.read(containerEntry)
        guard let containerDoc = parseXML(container, name: "META-INF/container.xml") else {
            throw fail(containerEntry, "META-INF/container.xml is not XML")
        }
        defer { xmlFreeDoc(containerDoc) }
        var opfPath: String?
        walkElements(xmlDocGetRootElement(containerDoc)) { node, name in
            if opfPath == nil, name == "rootfile", let p = attribute(node, "full-path"), !p.isEmpty { opfPath = p }
        }
        guard let opfPath else { throw fail(containerEntry, "container.xml names no rootfile") }
        guard let opfEntry = archive.entry(named: opfPath) ?? archive.entry(named: percentDecoded(opfPath)) else {
            throw fail(containerEntry, "package document '\(opfPath)' is not in the archive")
        }
        let opf = try archive.read(opfEntry)
        guard let opfDoc = parseXML(opf, name: opfPath) else { throw fail(opfEntry, "package document '\(opfPath)' is not XML") }
        defer { xmlFreeDoc(opfDoc) }

        var metadata = BookMetadata()
        var creators: [String] = []
        var manifest: [String: (href: String, type: String)] = [:]
        var spine: [(idref: String, linear: Bool)] = []
        walkElements(xmlDocGetRootElement(opfDoc)) { node, name in
            switch name {
            case "title": if metadata.title == nil, isDC(node) { metadata.title = nonEmpty(textContent(node)) }
            case "creator": if isDC(node), let c = nonEmpty(textContent(node)) { creators.append(c) }
            case "language": if metadata.language == nil, isDC(node) { metadata.language = nonEmpty(textContent(node)) }
            case "date": if metadata.releaseDate == nil, isDC(node) { metadata.releaseDate = nonEmpty(textContent(node)) }
            case "identifier":
                if metadata.ebookNumber == nil, isDC(node) { metadata.ebookNumber = gutenbergNumber(textContent(node)) }
            case "item":
                if let id = attribute(node, "id"), let href = attribute(node, "href") {
                    manifest[id] = (href, attribute(node, "media-type") ?? "")
                }
            case "itemref":
                if let idref = attribute(node, "idref") { spine.append((idref, attribute(node, "linear") != "no")) }
            default: break
            }
        }
        if !creators.isEmpty { metadata.author = creators.joined(separator: "; ") }
        guard !spine.isEmpty else { throw fail(opfEntry, "the package document has no spine") }

        let base = opfPath.lastIndex(of: "/").map { String(opfPath[...$0]) } ?? ""
        var content = EPUBContent(text: [], metadata: metadata)
        var walker = BlockWriter()
        for item in spine {
            guard item.linear else { content.nonLinearSkipped += 1; continue }
            guard let entry = manifest[item.idref] else {
                throw fail(opfEntry, "spine item '\(item.idref)' is not in the manifest")
            }
            guard entry.type.contains("html") || entry.type.isEmpty else { continue }
            let name = resolve(entry.href, base: base)
            guard let zipEntry = archive.entry(named: name) ?? archive.entry(named: percentDecoded(name)) else {
                throw fail(opfEntry, "spine document '\(name)' is not in the archive")
            }
            let bytes = try archive.read(zipEntry)
            // Well-formed XHTML goes through the XML parser (several times faster than the HTML
            // parser); anything it refuses (tag soup, HTML entities without a DTD) through the
            // HTML parser in recover mode.
            guard let doc = parseStrictXML(bytes, name: name) ?? parseHTML(bytes, name: name) else {
                throw fail(zipEntry, "spine document '\(name)' could not be parsed")
            }
            defer { xmlFreeDoc(doc) }
            guard let root = xmlDocGetRootElement(doc) else {
                throw fail(zipEntry, "spine document '\(name)' has no root element")
            }
            walker.walk(root, depth: 0)
            walker.flush()
            content.spineDocuments += 1
        }
        content.text = walker.out
        content.boilerplateSections = walker.boilerplateSections
        content.transcriberNotes = walker.transcriberNotes
        return content
    }

    // MARK: libxml2

    static let xmlOptions = Int32(XML_PARSE_RECOVER.rawValue | XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue
        | XML_PARSE_NOWARNING.rawValue | XML_PARSE_HUGE.rawValue)
    static let htmlOptions = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
        | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NOIMPLIED.rawValue) | Int32(XML_PARSE_HUGE.rawValue)

    static func parseXML(_ bytes: [UInt8], name: String) -> xmlDocPtr? {
        bytes.withUnsafeBytes { raw -> xmlDocPtr? in
            guard let base = raw.baseAddress, raw.count > 0 else { return nil }
            return xmlReadMemory(base.assumingMemoryBound(to: CChar.self), Int32(clamping: raw.count), name, nil, xmlOptions)
        }
    }

    static let strictXMLOptions = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue
        | XML_PARSE_NOWARNING.rawValue | XML_PARSE_HUGE.rawValue)

    /// A document only when the bytes are well-formed XML with an html root.
    static func parseStrictXML(_ bytes: [UInt8], name: String) -> xmlDocPtr? {
        let doc = bytes.withUnsafeBytes { raw -> xmlDocPtr? in
            guard let base = raw.baseAddress, raw.count > 0 else { return nil }
            return xmlReadMemory(base.assumingMemoryBound(to: CChar.self), Int32(clamping: raw.count), name, nil, strictXMLOptions)
        }
        guard let doc else { return nil }
        guard let root = xmlDocGetRootElement(doc), EPUBReader.name(root) == "html" else {
            xmlFreeDoc(doc)
            return nil
        }
        return doc
    }

    static func parseHTML(_ bytes: [UInt8], name: String) -> htmlDocPtr? {
        // The HTML parser assumes Latin-1 when nothing is declared, but XHTML without a
        // declaration is UTF-8: say so unless the head of the file names another encoding.
        let encoding = declaredEncoding(bytes) ?? "UTF-8"
        return bytes.withUnsafeBytes { raw -> htmlDocPtr? in
            guard let base = raw.baseAddress, raw.count > 0 else { return nil }
            return htmlReadMemory(base.assumingMemoryBound(to: CChar.self), Int32(clamping: raw.count), name, encoding, htmlOptions)
        }
    }

    /// `encoding="..."` of an XML declaration or `charset=...` of a meta tag in the first 1 KB.
    static func declaredEncoding(_ bytes: [UInt8]) -> String? {
        let head = String(decoding: bytes.prefix(1024), as: UTF8.self).lowercased()
        for key in ["encoding=", "charset="] {
            guard let r = head.firstRange(of: key) else { continue }
            var rest = head[r.upperBound...]
            if let q = rest.first, q == "\"" || q == "'" { rest = rest.dropFirst() }
            let value = rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
            if !value.isEmpty { return String(value) }
        }
        return nil
    }

    static func rootElement(_ doc: xmlDocPtr) -> xmlNodePtr? { xmlDocGetRootElement(doc) }

    static func name(_ node: xmlNodePtr) -> String {
        guard let n = node.pointee.name else { return "" }
        return String(cString: UnsafeRawPointer(n).assumingMemoryBound(to: CChar.self)).lowercased()
    }

    static func isDC(_ node: xmlNodePtr) -> Bool {
        guard let ns = node.pointee.ns, let href = ns.pointee.href else { return true }
        let uri = String(cString: UnsafeRawPointer(href).assumingMemoryBound(to: CChar.self))
        return uri.hasPrefix("http://purl.org/dc/")
    }

    static func attribute(_ node: xmlNodePtr, _ wanted: String) -> String? {
        var attr = node.pointee.properties
        while let a = attr {
            if let n = a.pointee.name,
               String(cString: UnsafeRawPointer(n).assumingMemoryBound(to: CChar.self)).lowercased() == wanted {
                var value = ""
                var child = a.pointee.children
                while let c = child {
                    if let content = c.pointee.content {
                        value += String(cString: UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
                    }
                    child = c.pointee.next
                }
                return value
            }
            attr = a.pointee.next
        }
        return nil
    }

    static func textContent(_ node: xmlNodePtr) -> String {
        var s = ""
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_TEXT_NODE || c.pointee.type == XML_CDATA_SECTION_NODE, let content = c.pointee.content {
                s += String(cString: UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
            } else if c.pointee.type == XML_ELEMENT_NODE {
                s += textContent(c)
            }
            child = c.pointee.next
        }
        return s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
    }

    /// Calls `body` on every element under `root` (document order; depth-limited).
    static func walkElements(_ root: xmlNodePtr?, depth: Int = 0, _ body: (xmlNodePtr, String) -> Void) {
        var node = root
        while let n = node {
            if n.pointee.type == XML_ELEMENT_NODE {
                body(n, name(n))
                if depth < 256 { walkElements(n.pointee.children, depth: depth + 1, body) }
            }
            node = n.pointee.next
        }
    }

    static func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }

    /// "http://www.gutenberg.org/11", "http://www.gutenberg.org/ebooks/2701", "urn:gutenberg:11".
    static func gutenbergNumber(_ identifier: String) -> Int? {
        let lowered = identifier.lowercased()
        guard lowered.contains("gutenberg") else { return nil }
        let digits = identifier.reversed().prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count < 9 else { return nil }
        return Int(String(digits.reversed()))
    }

    /// An href relative to the package document's folder, with "./" and "../" resolved and the
    /// fragment dropped.
    static func resolve(_ href: String, base: String) -> String {
        var target = href
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        var parts = base.split(separator: "/").map(String.init)
        if target.hasPrefix("/") { parts = []; target.removeFirst() }
        for piece in target.split(separator: "/", omittingEmptySubsequences: true) {
            if piece == "." { continue }
            if piece == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(String(piece))
        }
        return parts.joined(separator: "/")
    }

    static func percentDecoded(_ s: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(s.utf8)
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x41...0x46: return b - 0x41 + 10
            case 0x61...0x66: return b - 0x61 + 10
            default: return nil
            }
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Turns a DOM into blank-line separated paragraphs.
struct BlockWriter {
    var out: [UInt8] = []
    var block: [UInt8] = []
    var preDepth = 0
    var boilerplateSections = 0
    var transcriberNotes = 0

    mutating func walk(_ first: xmlNodePtr?, depth: Int) {
        var node = first
        while let n = node {
            switch n.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = n.pointee.content { appendText(content) }
            case XML_ELEMENT_NODE:
                element(n, depth: depth)
            default:
                break
            }
            node = n.pointee.next
        }
    }

    mutating func element(_ n: xmlNodePtr, depth: Int) {
        let tag = EPUBReader.name(n)
        if EPUBReader.skipped.contains(tag) { return }
        if isBoilerplate(n) { boilerplateSections += 1; flush(); return }
        if isTranscriberNote(n, tag: tag) { transcriberNotes += 1; flush(); return }
        if let cls = EPUBReader.attribute(n, "class"), cls.split(separator: " ").contains(where: { $0 == "pagenum" || $0 == "pageno" }) {
            return
        }
        if tag == "br" { lineBreak(); return }
        let isBlock = EPUBReader.blocks.contains(tag)
        if isBlock { flush() }
        if tag == "td" || tag == "th" { space() }
        if tag == "pre" { preDepth += 1 }
        if depth < 512 { walk(n.pointee.children, depth: depth + 1) }
        if tag == "pre" { flush(); preDepth -= 1 }  // flushed as preformatted: indentation kept
        if tag == "td" || tag == "th" { space() }
        if isBlock { flush() }
    }

    /// A transcriber's note box: a container marked by class (transnote, tnote, trnote) or one
    /// whose first child reads "Transcriber's Note(s)" / "Original Transcriber's Notes", when it
    /// is small (a note, not a wrapper around the book).
    func isTranscriberNote(_ n: xmlNodePtr, tag: String) -> Bool {
        guard tag == "div" || tag == "section" || tag == "aside" || tag == "blockquote" else { return false }
        if let cls = EPUBReader.attribute(n, "class"),
           cls.split(separator: " ").contains(where: { $0 == "transnote" || $0 == "tnote" || $0 == "trnote" }) {
            return true
        }
        var child = n.pointee.children
        while let c = child, c.pointee.type != XML_ELEMENT_NODE {
            // Only blank text may come before the heading.
            if c.pointee.type == XML_TEXT_NODE, let content = c.pointee.content,
               !String(cString: UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self)).allSatisfy(\.isWhitespace) {
                return false
            }
            child = c.pointee.next
        }
        guard let first = child else { return false }
        let heading = EPUBReader.textContent(first).lowercased()
        guard heading.count < 80, heading.hasPrefix("transcriber") || heading.hasPrefix("original transcriber")
                || heading.hasPrefix("[transcriber") else { return false }
        return EPUBReader.textContent(n).utf8.count < 8_000
    }

    func isBoilerplate(_ n: xmlNodePtr) -> Bool {
        if let id = EPUBReader.attribute(n, "id"), EPUBReader.boilerplateIDs.contains(id) { return true }
        if let cls = EPUBReader.attribute(n, "class"), cls.split(separator: " ").contains("pg-boilerplate") { return true }
        return false
    }

    mutating func space() {
        if let last = block.last, last != 0x20, last != 0x0A { block.append(0x20) }
    }

    mutating func lineBreak() {
        while block.last == 0x20 { block.removeLast() }
        if let last = block.last, last != 0x0A { block.append(0x0A) }
    }

    /// Appends a text node: whitespace runs (ASCII and no-break space) collapse to one space
    /// outside <pre>. Runs of other bytes are copied whole (one append per word, not per byte).
    mutating func appendText(_ content: UnsafePointer<xmlChar>) {
        let n = strlen(UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
        let p = content
        if preDepth > 0 {
            var i = 0
            while i < n {
                if p[i] != 0x0D { block.append(p[i]) }
                i &+= 1
            }
            return
        }
        var i = 0
        while i < n {
            let b = p[i]
            if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D {
                space()
                i &+= 1
            } else if b == 0xC2 && i &+ 1 < n && p[i &+ 1] == 0xA0 {
                space()
                i &+= 2
            } else {
                let start = i
                i &+= 1
                while i < n {
                    let c = p[i]
                    if c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || (c == 0xC2 && i &+ 1 < n && p[i &+ 1] == 0xA0) { break }
                    i &+= 1
                }
                block.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i &- start))
            }
        }
    }

    /// Ends the current block: trimmed, written as its own paragraph.
    mutating func flush() {
        var s = 0, e = block.count
        if preDepth > 0 {
            // Preformatted: only whole blank lines go at the start.
            var lineStart = 0
            var k = 0
            while k < e, block[k] == 0x20 || block[k] == 0x0A || block[k] == 0x09 {
                if block[k] == 0x0A { lineStart = k + 1 }
                k += 1
            }
            s = k < e ? lineStart : e
        } else {
            while s < e, block[s] == 0x20 || block[s] == 0x0A { s += 1 }
        }
        while e > s, block[e - 1] == 0x20 || block[e - 1] == 0x0A { e -= 1 }
        if s < e {
            if !out.isEmpty { out.append(0x0A); out.append(0x0A) }
            guard block[s..<e].contains(0x0A) else {
                out.append(contentsOf: block[s..<e])
                block.removeAll(keepingCapacity: true)
                return
            }
            // Lines inside the block (from <br> or <pre>) lose spaces left at their ends.
            var i = s
            while i < e {
                let b = block[i]
                if b == 0x0A { while out.last == 0x20 { out.removeLast() }; out.append(0x0A); i += 1; while i < e && block[i] == 0x20 && preDepth == 0 { i += 1 }; continue }
                out.append(b)
                i += 1
            }
        }
        block.removeAll(keepingCapacity: true)
    }
}
