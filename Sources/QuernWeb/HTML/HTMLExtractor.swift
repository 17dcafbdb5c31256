#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits that keep one page from hanging or swamping a run. Hitting any of them ends extraction
/// early; what was extracted so far is returned with `ExtractedPage.capped` set.
public struct HTMLExtractionOptions: Sendable {
    /// Keep table cells as text (rows on one line, cells joined with " | ").
    public var includeTables = true
    /// Input beyond this many bytes is cut at the last tag start before the limit.
    public var maxInputBytes = 8 << 20
    /// Tokens processed at most.
    public var maxTokens = 2_000_000
    /// Open elements tracked at most; deeper start tags are ignored (their text still counts).
    public var maxDepth = 256
    /// Wall-clock budget per document in seconds.
    public var timeBudget = 2.0

    public init(includeTables: Bool = true) { self.includeTables = includeTables }
}

/// What the extractor returns for one page.
public struct ExtractedPage: Sendable {
    /// Caps that were hit.
    public struct Caps: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let inputTruncated = Caps(rawValue: 1)
        public static let tokenLimit = Caps(rawValue: 2)
        public static let depthLimit = Caps(rawValue: 4)
        public static let timeLimit = Caps(rawValue: 8)

        /// Names of the caps hit ("input", "tokens", "depth", "time"), for reports and metadata.
        public var names: [String] {
            [(Caps.inputTruncated, "input"), (.tokenLimit, "tokens"), (.depthLimit, "depth"), (.timeLimit, "time")]
                .filter { contains($0.0) }.map(\.1)
        }
    }
    public var title: String?
    /// ISO-8601 date (YYYY-MM-DD) when the page states a publication date.
    public var date: String?
    /// The `lang` attribute of `<html>` (or content-language meta), as written.
    public var language: String?
    /// Main text: one block per line.
    public var text: String
    public var capped: Caps

    public init(title: String?, date: String?, language: String?, text: String, capped: Caps) {
        self.title = title; self.date = date; self.language = language; self.text = text
        self.capped = capped
    }
}

/// Main-content extraction from HTML given as UTF-8 bytes. A value type with no shared state:
/// call `extract` from any number of threads.
public struct HTMLExtractor: Sendable {
    public let options: HTMLExtractionOptions

    public init(options: HTMLExtractionOptions = .init()) { self.options = options }

    public func extract(utf8: UnsafeBufferPointer<UInt8>) -> ExtractedPage {
        var builder = HTMLPageBuilder(options: options)
        builder.run(utf8)
        return builder.finish()
    }

    /// Convenience for tests and small inputs.
    public func extract(_ html: String) -> ExtractedPage {
        var copy = html
        return copy.withUTF8 { extract(utf8: $0) }
    }
}

/// Kinds of text block; they decide scoring weight and how a block is written.
enum BlockKind: UInt8 {
    case other, paragraph, heading, listItem, quote, pre, cell, caption, term
}

/// Pass 1: the token stream becomes a light tree of container nodes (parent links and cues only)
/// and a list of text blocks, each pointing at its innermost node. Text is decoded and
/// whitespace-collapsed once, into one arena. Pass 2 (`HTMLContentSelector`) scores the nodes.
struct HTMLPageBuilder {
    let options: HTMLExtractionOptions

    // Nodes (struct of arrays). Node 0 is the document root. A child always has a larger index
    // than its parent, so sums over subtrees are one backward sweep.
    var nodeParent: [Int32] = [-1]
    var nodeTag: [HTMLTag] = [.html]
    var nodeFlags: [UInt8] = [0]

    // Blocks.
    var blockNode: [Int32] = []
    var blockKind: [BlockKind] = []
    var blockStart: [Int32] = []
    var blockEnd: [Int32] = []
    var blockLinkBytes: [Int32] = []
    var blockRow: [Int32] = []
    var text: [UInt8] = []

    // Open elements.
    struct Open {
        var tag: HTMLTag
        var node: Int32          // innermost node at or above this element
        var blockTag: HTMLTag    // innermost block-level element at or above this element
        var dropped: Bool
        var link: Bool
        var time: Bool           // inside <time>: dates and times, not prose
        var pre: Bool
    }
    var stack: [Open] = []

    // Current block state.
    var blockOpenStart = 0
    var pendingSpace = false
    var linkBytes = 0
    var timeBytes = 0
    var rowCounter: Int32 = 0
    var currentRow: Int32 = -1

    // Metadata.
    var title: [UInt8]? = nil
    var ogTitle: [UInt8]? = nil
    var firstH1: [UInt8]? = nil
    var inH1 = false
    var h1Start = 0
    var date: String? = nil
    var dateRank = 99           // lower is more trustworthy
    var language: String? = nil
    var capped: ExtractedPage.Caps = []
    var scratch: [UInt8] = []

    init(options: HTMLExtractionOptions) {
        self.options = options
        text.reserveCapacity(1 << 16)
        stack.reserveCapacity(64)
        stack.append(Open(tag: .html, node: 0, blockTag: .html, dropped: false, link: false, time: false, pre: false))
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    mutating func run(_ input: UnsafeBufferPointer<UInt8>) {
        var bytes = input
        if bytes.count > options.maxInputBytes, let base = bytes.baseAddress {
            // Cut at the last '<' before the limit so no tag is split.
            var cut = options.maxInputBytes
            while cut > 0 && base[cut] != UInt8(ascii: "<") { cut -= 1 }
            if cut == 0 { cut = options.maxInputBytes }
            bytes = UnsafeBufferPointer(start: base, count: cut)
            capped.insert(.inputTruncated)
        }
        var tokenizer = HTMLTokenizer(bytes)
        var token = HTMLToken()
        let started = HTMLPageBuilder.now()
        var tokens = 0
        // One token per iteration, one reused token value (no allocation per token); the clock
        // and the token cap are looked at every 4096 tokens, so the checks cost nothing while a
        // pathological page still stops within a few milliseconds of its budget.
        while tokenizer.next(&token) {
            tokens &+= 1
            if tokens & 4095 == 0 {
                if tokens >= options.maxTokens { capped.insert(.tokenLimit); break }
                if HTMLPageBuilder.now() - started > options.timeBudget { capped.insert(.timeLimit); break }
            }
            switch token.kind {
            case .text, .cdata:
                if !stack[stack.count - 1].dropped { appendText(bytes, token.start, token.end) }
            case .startTag: startTag(bytes, token)
            case .endTag: endTag(token.tag)
            case .rawText: rawText(bytes, token)
            case .comment, .doctype: break
            }
        }
        if tokens >= options.maxTokens { capped.insert(.tokenLimit) }
        flushBlock()
    }

    // MARK: text

    /// Appends decoded, whitespace-collapsed text to the open block. Runs of ordinary bytes are
    /// copied in one append; the loop stops only at whitespace and '&' (the only bytes that need
    /// work), so the per-byte cost is a compare and a branch.
    mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) {
        guard let base = bytes.baseAddress, e > s else { return }
        let pre = stack[stack.count - 1].pre
        let before = text.count
        var i = s
        while i < e {
            let c = base[i]
            if c <= 32 {
                if pre {
                    // Preformatted text keeps its line breaks and indentation (not a leading
                    // newline, which HTML drops after <pre>).
                    if c == 10 || c == 32 || c == 9 {
                        if c != 10 || text.count > blockOpenStart { text.append(c) }
                    }
                    pendingSpace = false
                } else if c == 32 || c == 10 || c == 9 || c == 13 || c == 12 {
                    pendingSpace = true
                }
                i &+= 1
                continue
            }
            if pendingSpace {
                if text.count > blockOpenStart && text[text.count - 1] != 10 { text.append(32) }
                pendingSpace = false
            }
            if c == UInt8(ascii: "&") {
                let used = HTMLEntities.decode(bytes, at: i, into: &text)
                if used == 0 { text.append(c); i &+= 1 } else { i &+= used }
                // A decoded &nbsp; (C2 A0) counts as a space for collapsing.
                let n = text.count
                if n >= 2 && text[n - 2] == 0xC2 && text[n - 1] == 0xA0 {
                    text.removeLast(2); pendingSpace = true
                }
                continue
            }
            var j = i &+ 1
            while j < e {
                let d = base[j]
                if d <= 32 || d == UInt8(ascii: "&") { break }
                j &+= 1
            }
            text.append(contentsOf: UnsafeBufferPointer(start: base + i, count: j &- i))
            i = j
        }
        if stack[stack.count - 1].link { linkBytes &+= text.count &- before }
        if stack[stack.count - 1].time { timeBytes &+= text.count &- before }
    }

    mutating func flushBlock() {
        // Line breaks and spaces left at the end (a trailing <br>, the end of a <pre>) go.
        while text.count > blockOpenStart, let last = text.last, last == 10 || last == 32 || last == 9 {
            text.removeLast()
        }
        let e = text.count
        if e > blockOpenStart {
            let top = stack[stack.count - 1]
            blockNode.append(top.node)
            let kind: BlockKind
            switch top.blockTag {
            case .p: kind = .paragraph
            case .h1, .h2, .h3, .h4, .h5, .h6: kind = .heading
            case .li: kind = .listItem
            case .blockquote: kind = .quote
            case .pre: kind = .pre
            case .td, .th: kind = .cell
            case .caption, .figcaption: kind = .caption
            case .dt, .dd: kind = .term
            default: kind = .other
            }
            blockKind.append(kind)
            blockStart.append(Int32(blockOpenStart))
            blockEnd.append(Int32(e))
            // A block that is mostly a <time> element is a dateline: counted like link text,
            // so it is never content on its own.
            let len = e - blockOpenStart
            let datelineBytes = timeBytes * 2 >= len && len < 64 ? len : 0
            blockLinkBytes.append(Int32(min(max(linkBytes, datelineBytes), len)))
            blockRow.append(kind == .cell ? currentRow : -1)
        }
        blockOpenStart = text.count
        pendingSpace = false
        linkBytes = 0
        timeBytes = 0
    }

    // MARK: tags

    mutating func startTag(_ bytes: UnsafeBufferPointer<UInt8>, _ token: HTMLToken) {
        let tag = token.tag
        if tag == .meta { meta(bytes, token); return }
        if tag == .html {
            if language == nil, let r = token.range(.lang), !r.isEmpty { language = string(bytes, r) }
            return
        }
        if tag == .body { return }
        var top = stack[stack.count - 1]
        if top.dropped {
            // Inside a dropped subtree only nesting matters (so the end tag is found).
            if !tag.isVoid && !token.selfClosing && stack.count < options.maxDepth {
                stack.append(Open(tag: tag, node: top.node, blockTag: top.blockTag, dropped: true,
                                  link: false, time: false, pre: false))
            }
            return
        }
        if tag == .time, let r = token.range(.datetime) { noteDate(bytes, r, rank: 3) }
        if let r = token.range(.itemprop), r.count >= 13 {
            let v = string(bytes, r)
            if v.hasPrefix("datePublished"), let c = token.range(.content) ?? token.range(.datetime) {
                noteDate(bytes, c, rank: 1)
            }
        }
        if tag == .br {
            if top.pre { text.append(10) } else { pendingSpace = true; breakLine() }
            return
        }
        if tag.isBlock || tag.isDropped { flushBlock() }
        // Implied end tags (WHATWG "close a p element", li/dt/dd/td/th/tr/option).
        if tag.closesParagraph { closeImplied(.p, until: Scope.paragraph) }
        switch tag {
        case .li: closeImplied(.li, until: Scope.listItem)
        case .dt, .dd: closeImplied(.dd, until: Scope.definition); closeImplied(.dt, until: Scope.definition)
        case .td, .th: closeImplied(.td, until: Scope.cell); closeImplied(.th, until: Scope.cell)
        case .tr: closeImplied(.tr, until: Scope.row)
        case .a: closeImplied(.a, until: Scope.link)
        case .h1, .h2, .h3, .h4, .h5, .h6:
            if stack[stack.count - 1].tag.isHeading { popTo(stack.count - 1) }
        default: break
        }
        if tag.isVoid || (token.selfClosing && tag == .other) { return }
        top = stack[stack.count - 1]
        if stack.count >= options.maxDepth {
            capped.insert(.depthLimit)
            return
        }
        var flags: UInt8 = 0
        var dropped = tag.isDropped
        // Hidden elements are kept as nodes and decided in pass 2: usually boilerplate (menus,
        // modals), but streaming server rendering parks the whole page in a hidden div.
        var hidden = token.has(.hidden)
        if let r = token.range(.ariaHidden), r.count == 4, bytes[r.lowerBound] | 0x20 == UInt8(ascii: "t") {
            hidden = true
        }
        if let r = token.range(.style), r.count >= 12, styleHides(bytes, r) { hidden = true }
        // Hidden inline text would land in the surrounding block: drop it now.
        if hidden && !tag.isBlock { dropped = true } else if hidden { flags |= NodeFlag.hidden }
        var cues = HTMLCues.Result()
        if let r = token.range(.class) { HTMLCues.classify(UnsafeBufferPointer(rebasing: bytes[r]), into: &cues) }
        if let r = token.range(.id) { HTMLCues.classify(UnsafeBufferPointer(rebasing: bytes[r]), into: &cues) }
        if let r = token.range(.role) { roleCues(bytes, r, &cues) }
        if let r = token.range(.itemprop) {
            let v = string(bytes, r)
            if v.contains("articleBody") || v.contains("text") { cues.positive = true; flags |= NodeFlag.articleBody | NodeFlag.strong }
        }
        if cues.negative { flags |= NodeFlag.negative }
        if cues.positive { flags |= NodeFlag.positive }
        if cues.weakNegative { flags |= NodeFlag.weakNegative }
        if cues.strong || tag == .article { flags |= NodeFlag.strong }
        var node = top.node
        let needsNode = tag.isBlock || flags != 0
        if needsNode && !dropped {
            nodeParent.append(top.node)
            nodeTag.append(tag)
            nodeFlags.append(flags)
            node = Int32(nodeTag.count - 1)
        }
        if tag == .tr { rowCounter &+= 1; currentRow = rowCounter }
        if tag == .h1 && firstH1 == nil && !dropped { inH1 = true; h1Start = text.count }
        stack.append(Open(tag: tag, node: node, blockTag: tag.isBlock ? tag : top.blockTag,
                          dropped: dropped, link: top.link || tag == .a, time: top.time || tag == .time,
                          pre: top.pre || tag == .pre))
    }

    /// A `<br>` inside running text ends a line (kept as a line break within the block).
    mutating func breakLine() {
        if text.count > blockOpenStart && text[text.count - 1] != 10 { text.append(10) }
        pendingSpace = false
    }

    mutating func endTag(_ tag: HTMLTag) {
        if tag == .html || tag == .body { return }
        if tag == .br { breakLine(); return }  // `</br>` acts as `<br>` per spec
        // Find the element to close; give up (ignore the end tag) past a boundary the tag may not
        // cross, so a stray `</div>` cannot close the document.
        var k = stack.count - 1
        while k > 0 {
            let t = stack[k].tag
            if t == tag { break }
            if tag == .p || tag == .li || tag == .a || tag.isHeading {
                if t == .div || t == .td || t == .th || t == .table || t == .article || t == .section { return }
            }
            k -= 1
        }
        if k <= 0 {
            if tag == .p && !stack[stack.count - 1].dropped { flushBlock() }  // `</p>` alone: an empty paragraph
            return
        }
        popTo(k)
    }

    /// Pops the stack down to (and including) index `k`.
    mutating func popTo(_ k: Int) {
        var blockEnded = false
        for j in stride(from: stack.count - 1, through: k, by: -1) {
            let t = stack[j].tag
            if (t.isBlock || t.isDropped) && !stack[j].dropped { blockEnded = true }
            if t == .h1 && inH1 {
                inH1 = false
                if text.count > h1Start { firstH1 = Array(text[h1Start..<text.count]) }
            }
        }
        if blockEnded { flushBlock() }
        stack.removeSubrange(k...)
        if stack.isEmpty {
            stack.append(Open(tag: .html, node: 0, blockTag: .html, dropped: false, link: false, time: false, pre: false))
        }
    }

    /// Closes an open `tag` implied by a new start tag, unless a scope boundary comes first.
    mutating func closeImplied(_ tag: HTMLTag, until boundaries: UInt128) {
        var k = stack.count - 1
        var steps = 0
        while k > 0 && steps < 32 {
            let t = stack[k].tag
            if t == tag { popTo(k); return }
            if boundaries & (1 << UInt128(t.rawValue)) != 0 { return }
            k -= 1; steps += 1
        }
    }

    mutating func rawText(_ bytes: UnsafeBufferPointer<UInt8>, _ token: HTMLToken) {
        let r = token.start..<token.end
        switch token.tag {
        case .title:
            // The first <title> (the document's; an SVG's comes later, if at all).
            if title == nil {
                scratch.removeAll(keepingCapacity: true)
                HTMLEntities.decodeAll(UnsafeBufferPointer(rebasing: bytes[r]), into: &scratch)
                title = collapse(scratch)
            }
        case .script:
            if dateRank > 2 { jsonLDDate(bytes, r) }
        default: break  // style, textarea, iframe...: never text
        }
    }

    // MARK: metadata

    mutating func meta(_ bytes: UnsafeBufferPointer<UInt8>, _ token: HTMLToken) {
        guard let c = token.range(.content) else { return }
        // Most meta tags are neither a title nor a date: skip them before building any string.
        // A date needs digits; og:title is recognized by its length and first bytes.
        let nameRange = token.range(.property) ?? token.range(.name) ?? token.range(.itemprop)
        if let r = nameRange, !(r.count == 8 && bytes[r.lowerBound] | 0x20 == UInt8(ascii: "o")) {
            var digits = 0
            for i in c.prefix(32) where bytes[i] >= 48 && bytes[i] <= 57 { digits += 1 }
            if digits < 4 { return }
        }
        let key: String
        if let r = token.range(.property) { key = string(bytes, r).lowercased() }
        else if let r = token.range(.name) { key = string(bytes, r).lowercased() }
        else if let r = token.range(.itemprop) { key = string(bytes, r).lowercased() }
        else if let r = token.range(.httpEquiv) {
            if language == nil && string(bytes, r).lowercased() == "content-language" {
                language = string(bytes, c)
            }
            return
        } else { return }
        switch key {
        case "og:title":
            scratch.removeAll(keepingCapacity: true)
            HTMLEntities.decodeAll(UnsafeBufferPointer(rebasing: bytes[c]), inAttribute: true, into: &scratch)
            ogTitle = collapse(scratch)
        case "article:published_time", "datepublished":
            noteDate(bytes, c, rank: 0)
        default:
            // Other publication-date names: `published-date`, `dc.date.issued`, `ms.date`,
            // `parsely-pub-date`, `citation_publication_date`... but not modification dates.
            if key.contains("modif") || key.contains("updat") || key.contains("expir") { break }
            if key.contains("publi") || key.contains("pub-date") || key.contains("pubdate") || key == "date"
                || key.hasSuffix(".date") || key.hasSuffix("-date") || key.hasSuffix("_date") || key.hasSuffix(".issued") {
                noteDate(bytes, c, rank: 2)
            }
        }
    }

    mutating func noteDate(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, rank: Int) {
        guard rank < dateRank, let d = HTMLDate.iso(UnsafeBufferPointer(rebasing: bytes[r])) else { return }
        date = d; dateRank = rank
    }

    /// `"datePublished": "2020-05-01T..."` inside a script (JSON-LD or inline data).
    mutating func jsonLDDate(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) {
        guard let base = bytes.baseAddress else { return }
        let needle = Array("datePublished".utf8)
        var i = r.lowerBound
        let end = r.upperBound
        while i + needle.count < end {
            guard let hit = memchr(base + i, Int32(needle[0]), end - i) else { return }
            let j = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
            if j + needle.count > end { return }
            var k = 1
            while k < needle.count && base[j + k] == needle[k] { k += 1 }
            if k == needle.count {
                // Skip `"`, `:` and spaces, then read the quoted value.
                var v = j + needle.count
                while v < end && (base[v] == UInt8(ascii: "\"") || base[v] == UInt8(ascii: ":") || base[v] == 32) { v += 1 }
                let ve = min(end, v + 40)
                noteDate(bytes, v..<ve, rank: 1)
                return
            }
            i = j + 1
        }
    }

    func styleHides(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        // Squeeze spaces and lowercase, then look for display:none / visibility:hidden.
        var s: [UInt8] = []
        s.reserveCapacity(min(r.count, 200))
        for i in r.prefix(400) where bytes[i] != 32 { s.append(bytes[i] | (bytes[i] >= 65 && bytes[i] <= 90 ? 0x20 : 0)) }
        return contains(s, "display:none") || contains(s, "visibility:hidden")
    }

    func roleCues(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ cues: inout HTMLCues.Result) {
        let v = string(bytes, r).lowercased()
        switch v {
        case "navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search",
             "dialog", "alertdialog", "toolbar", "tablist":
            cues.negative = true
        case "main", "article":
            cues.positive = true
        default: break
        }
    }

    func contains(_ s: [UInt8], _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard s.count >= n else { return false }
        for i in 0...(s.count - n) {
            var k = 0
            while k < n && s[i + k] == needle.utf8Start[k] { k += 1 }
            if k == n { return true }
        }
        return false
    }

    func string(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    func collapse(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var space = false
        for c in b {
            if c == 32 || c == 10 || c == 9 || c == 13 || c == 12 { space = !out.isEmpty; continue }
            if space { out.append(32); space = false }
            out.append(c)
        }
        return out
    }

    // MARK: finish

    mutating func finish() -> ExtractedPage {
        let selector = HTMLContentSelector(self)
        let body = selector.render(includeTables: options.includeTables)
        func str(_ b: [UInt8]?) -> String? {
            guard let b, !b.isEmpty else { return nil }
            return String(decoding: b, as: UTF8.self)
        }
        let chosenTitle = HTMLPageBuilder.pickTitle(title: str(title), ogTitle: str(ogTitle),
                                                    h1: str(firstH1.map(collapse)))
        return ExtractedPage(title: chosenTitle, date: date, language: language,
                             text: String(decoding: body, as: UTF8.self), capped: capped)
    }
}

extension HTMLPageBuilder {
    /// The page's own headline: the first <h1> when the <title> contains it (the title then
    /// only adds the site name), otherwise og:title or <title> without the site-name part
    /// ("Headline | Site", "Headline - Site": the longest part is kept).
    static func pickTitle(title: String?, ogTitle: String?, h1: String?) -> String? {
        func folded(_ s: String) -> String { s.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        if let h1, let title, folded(title).contains(folded(h1)) { return h1 }
        func stripped(_ s: String?) -> String? {
            guard let s else { return nil }
            var parts = [s]
            for separator in [" | ", " - ", " – ", " — ", " · ", " » ", " :: "] {
                parts = parts.flatMap { $0.split(separator: separator).map(String.init) }
            }
            parts = parts.map { folded($0).isEmpty ? "" : String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }
                .filter { !$0.isEmpty }
            return parts.max { $0.count < $1.count } ?? s
        }
        return stripped(ogTitle) ?? stripped(title) ?? h1
    }
}

/// Elements an implied end tag does not look past (bit sets over HTMLTag raw values, so the
/// check allocates nothing).
enum Scope {
    static func set(_ tags: [HTMLTag]) -> UInt128 { tags.reduce(0) { $0 | (1 << UInt128($1.rawValue)) } }
    static let paragraph = set([.div, .article, .section, .td, .th, .li, .blockquote, .body])
    static let listItem = set([.ul, .ol, .menu])
    static let definition = set([.dl])
    static let cell = set([.tr, .table])
    static let row = set([.table])
    static let link = set([.div, .p, .li, .td, .article, .section])
}

enum NodeFlag {
    static let negative: UInt8 = 1
    static let positive: UInt8 = 2
    static let weakNegative: UInt8 = 4
    static let articleBody: UInt8 = 8
    static let strong: UInt8 = 16
    static let hidden: UInt8 = 32
}
