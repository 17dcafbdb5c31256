import CLibXML2
#if canImport(Glibc)
import Glibc
#endif

/// How wikitext becomes prose.
public struct WikitextOptions: Sendable {
    /// Table cells are kept as text, one row per line (tables are dropped otherwise).
    public var keepTables = false
    /// Section headings are kept as lines of their own (a heading with nothing under it is
    /// dropped either way).
    public var keepHeadings = true
    /// List items are kept (without their markers).
    public var keepLists = true
    /// References, External links, See also, Further reading, Notes... sections are dropped, by
    /// their heading in the wiki's language (and English).
    public var dropSections = true
    /// Extra section headings to drop (compared case-insensitively).
    public var extraDroppedSections: [String] = []

    public init() {}
}

/// Wikitext → plain prose, in one forward scan over the UTF-8 bytes.
///
/// Nested constructs (`{{…}}`, `[[…]]`, `{|…|}`, extension tags) are matched by a bracket counter
/// that skips to their end; their content is rendered by recursing into the byte range, so each
/// byte is looked at a bounded number of times (once per nesting level it sits in). Everything is
/// appended to one output buffer; a last pass over lines normalizes spaces and drops empty
/// headings and leftover punctuation. What is kept and dropped:
/// - templates are dropped, except a small set of text-bearing ones (`convert`, `lang`,
///   `nihongo`, `formatnum`, dashes, dates, `nowrap`...), rendered; parser functions are dropped;
/// - `[[target|label]]` → label, `[[target]]` → target; File/Image/Category/interlanguage links
///   are dropped with everything inside them (captions and their links included);
/// - `[http://x label]` → label, a bracketed bare URL is dropped;
/// - `<ref>`, comments, `<math>`, `<gallery>`, `<timeline>`... are dropped with their content;
///   `<nowiki>`/`<pre>` content is kept as text; other HTML tags are dropped, their content kept;
/// - tables are dropped (or reduced to cell text), bold/italic quotes, heading marks, list
///   markers, magic words and HTML entities are cleaned.
public struct WikitextCleaner: Sendable {
    public let options: WikitextOptions
    /// The wiki's language (`en`, `ja`...), for dropped section names and namespace aliases.
    public let language: String?
    private let droppedSections: Set<String>
    private let droppedLinkPrefixes: Set<String>

    /// - Parameter fileAndCategoryNames: local names of the File and Category namespaces from the
    ///   dump's siteinfo (added to the built-in aliases).
    public init(options: WikitextOptions = .init(), language: String? = nil, fileAndCategoryNames: [String] = []) {
        self.options = options
        self.language = language
        droppedSections = WikiLanguageTables.droppedSections(language: language)
            .union(options.extraDroppedSections.map { $0.lowercased() })
        var prefixes = WikiLanguageTables.fileAndCategoryPrefixes
        for name in fileAndCategoryNames where !name.isEmpty { prefixes.insert(name.lowercased()) }
        droppedLinkPrefixes = prefixes
    }

    /// The prose of `wikitext`. `title` renders `{{PAGENAME}}`.
    public func clean(_ wikitext: UnsafeBufferPointer<UInt8>, title: String = "") -> String {
        var scanner = Scanner(src: wikitext, cleaner: self, title: title)
        scanner.out.reserveCapacity(wikitext.count / 2)
        scanner.render(0, wikitext.count)
        return WikitextCleaner.normalize(scanner.out)
    }

    public func clean(_ wikitext: [UInt8], title: String = "") -> String {
        wikitext.withUnsafeBufferPointer { clean($0, title: title) }
    }

    public func clean(_ wikitext: String, title: String = "") -> String {
        var copy = wikitext
        return copy.withUTF8 { clean($0, title: title) }
    }

    func dropsSection(_ heading: String) -> Bool {
        guard options.dropSections else { return false }
        var h = heading.lowercased()
        while let last = h.last, last == ":" || last == "." || last == " " { h.removeLast() }
        return droppedSections.contains(h)
    }

    func dropsLink(prefix: String) -> Bool {
        droppedLinkPrefixes.contains(prefix) || WikiLanguageTables.isLanguageCode(prefix)
    }

    // Markers put into the output by the scanner and consumed by `normalize`: a heading line
    // starts with `headingMark` followed by its level ("1"..."6").
    static let headingMark: UInt8 = 0x01

    /// Line pass: collapses spaces, trims lines, removes punctuation left by dropped markup,
    /// drops headings with no text under them, keeps at most one blank line between paragraphs.
    ///
    /// Works in one scratch buffer: a cleaned line is never longer than its source line, so lines
    /// are written at increasing offsets of a buffer the size of the input, then copied once more
    /// into the String (without the dropped headings and extra blank lines).
    static func normalize(_ raw: [UInt8]) -> String {
        raw.withUnsafeBufferPointer { src -> String in
            let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: src.count + 1)
            defer { scratch.deallocate() }
            struct Line { var start: Int; var end: Int; var heading: UInt8 }
            var lines: [Line] = []
            var parens: [Int] = []
            var n = 0
            var i = 0
            while i <= src.count {
                var e = i
                while e < src.count, src[e] != 0x0A { e &+= 1 }
                var heading: UInt8 = 0
                var s = i
                if e &- i >= 2, src[i] == headingMark { heading = src[i &+ 1] &- 0x30; s = i &+ 2 }
                let start = n
                n = cleanLine(src, s, e, into: scratch, at: start, parens: &parens)
                if n == start {
                    if let last = lines.last, last.end > last.start { lines.append(Line(start: n, end: n, heading: 0)) }
                } else {
                    lines.append(Line(start: start, end: n, heading: heading))
                }
                i = e &+ 1
            }
            // A heading is kept only when text (not just deeper empty headings) follows it before
            // the next heading of its level or above.
            var keep = [Bool](repeating: true, count: lines.count)
            for i in lines.indices.reversed() where lines[i].heading > 0 {
                var j = i + 1
                var hasText = false
                while j < lines.count {
                    if lines[j].heading > 0 {
                        if lines[j].heading <= lines[i].heading { break }
                        if keep[j] { hasText = true; break }
                    } else if lines[j].end > lines[j].start { hasText = true; break }
                    j += 1
                }
                keep[i] = hasText
            }
            return String(unsafeUninitializedCapacity: n &+ 2 &* lines.count) { out in
                var o = 0
                var pendingBlank = false
                var afterHeading = false
                for i in lines.indices where keep[i] {
                    let line = lines[i]
                    if line.end == line.start { pendingBlank = o > 0; continue }
                    if o > 0 {
                        out[o] = 0x0A; o &+= 1
                        // A blank line between paragraphs and before a heading, none right after one.
                        if (pendingBlank && !afterHeading) || line.heading > 0 { out[o] = 0x0A; o &+= 1 }
                    }
                    pendingBlank = false
                    afterHeading = line.heading > 0
                    let count = line.end &- line.start
                    UnsafeMutableRawPointer(out.baseAddress! + o).copyMemory(from: scratch.baseAddress! + line.start, byteCount: count)
                    o &+= count
                }
                return o
            }
        }
    }

    /// Bytes `cleanLine` copies as they are (not spaces, punctuation it moves, or brackets).
    static let ordinary: [Bool] = (0..<256).map { b in
        !" \t\r,.;:!?()".utf8.contains(UInt8(b))
    }

    /// One line, src[lo..<hi] → out[start...]: runs of spaces become one, no space at the ends,
    /// before `,.;:)!?` or after `(`; empty brackets and separators left behind by dropped
    /// templates go. Returns the end of the written line (`start` when nothing is left: a line of
    /// punctuation only is a leftover too).
    static func cleanLine(_ src: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, into out: UnsafeMutableBufferPointer<UInt8>,
                          at start: Int, parens: inout [Int]) -> Int {
        // Byte loop writing behind the read position (the output never outruns the input):
        // spaces are collapsed as they are copied, and a closing bracket looks back at what was
        // copied since its opening one.
        parens.removeAll(keepingCapacity: true)
        let ordinary = WikitextCleaner.ordinary
        var n = start
        var k = lo
        let source = src.baseAddress!, target = out.baseAddress!
        while k < hi {
            // Bytes that need no look-back are copied one by one without a branch on their
            // kind (runs between spaces are a few bytes: a memcpy call per run costs more), and a
            // space after such a byte needs no look-back either.
            var b = source[k]
            while ordinary[Int(b)] {
                target[n] = b
                n &+= 1
                k &+= 1
                guard k < hi else { break }
                b = source[k]
                if b == 0x20 {
                    target[n] = 0x20
                    n &+= 1
                    k &+= 1
                    guard k < hi else { break }
                    b = source[k]
                    // A second space is collapsed by the switch below.
                }
            }
            guard k < hi else { break }
            k &+= 1
            switch b {
            case 0x20, 0x09, 0x0D:
                if n > start, out[n &- 1] != 0x20, out[n &- 1] != UInt8(ascii: "(") { out[n] = 0x20; n &+= 1 }
            case UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: ";"), UInt8(ascii: ":"),
                 UInt8(ascii: "!"), UInt8(ascii: "?"):
                if n &- start >= 2, out[n &- 1] == 0x20, out[n &- 2] != b { n &-= 1 }
                // ", , , and" (items that were formulas or dropped templates): one separator.
                if b == UInt8(ascii: ",") || b == UInt8(ascii: ";") {
                    var q = n
                    while q > start, out[q &- 1] == 0x20 { q &-= 1 }
                    if q > start, out[q &- 1] == UInt8(ascii: ",") || out[q &- 1] == UInt8(ascii: ";") { continue }
                }
                // A separator right after an opening bracket is a leftover of a dropped template.
                if b == UInt8(ascii: ",") || b == UInt8(ascii: ";"), n > start, out[n &- 1] == UInt8(ascii: "(") { continue }
                out[n] = b; n &+= 1
            case UInt8(ascii: "("):
                parens.append(n)
                out[n] = b; n &+= 1
            case UInt8(ascii: ")"):
                while n > start, out[n &- 1] == 0x20 || out[n &- 1] == UInt8(ascii: ",") || out[n &- 1] == UInt8(ascii: ";") { n &-= 1 }
                if let open = parens.popLast(), open == n &- 1 {
                    // "()" with nothing inside: drop it and the space before it.
                    n &-= 1
                    if n > start, out[n &- 1] == 0x20 { n &-= 1 }
                    continue
                }
                out[n] = b; n &+= 1
            default:
                out[n] = b; n &+= 1
            }
        }
        while n > start, out[n &- 1] == 0x20 { n &-= 1 }
        var p = start
        while p < n {
            if out[p] >= 0x80 || isAlnum(out[p]) { return n }
            p &+= 1
        }
        return start
    }
}

@inline(__always) func isAlnum(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
}
@inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
@inline(__always) func lowerASCII(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

/// The scan state for one text: the source bytes and the output buffer.
struct Scanner {
    let src: UnsafeBufferPointer<UInt8>
    let cleaner: WikitextCleaner
    let title: String
    var out: [UInt8] = []
    var depth = 0

    let brackets: Brackets
    let memo = Memo()

    init(src: UnsafeBufferPointer<UInt8>, cleaner: WikitextCleaner, title: String) {
        self.src = src
        self.cleaner = cleaner
        self.title = title
        brackets = Brackets(src)
    }

    /// Searches that found nothing, so that many unclosed `<ref>`s cost one scan, not one each.
    final class Memo {
        /// Tag name → a range [from, to) known to hold no closing tag of that name.
        var noClosingTag: [String: (Int, Int)] = [:]
    }

    static let maxDepth = 40

    static let html5Entities: [String: UInt32] = [
        "apos": 0x27, "lsqb": 0x5B, "rsqb": 0x5D, "lbrack": 0x5B, "rbrack": 0x5D, "lcub": 0x7B, "rcub": 0x7D,
        "lbrace": 0x7B, "rbrace": 0x7D, "vert": 0x7C, "verbar": 0x7C, "colon": 0x3A, "semi": 0x3B, "excl": 0x21,
        "num": 0x23, "dollar": 0x24, "percnt": 0x25, "lpar": 0x28, "rpar": 0x29, "ast": 0x2A, "plus": 0x2B,
        "comma": 0x2C, "period": 0x2E, "sol": 0x2F, "equals": 0x3D, "quest": 0x3F, "commat": 0x40, "lowbar": 0x5F,
        "grave": 0x60, "Hat": 0x5E, "ZeroWidthSpace": 0x200B, "NoBreak": 0x2060, "nbhy": 0x2011, "hyphen": 0x2010,
        "dash": 0x2010, "half": 0xBD, "emsp13": 0x2004, "emsp14": 0x2005, "numsp": 0x2007, "puncsp": 0x2008,
        "ThinSpace": 0x2009, "hairsp": 0x200A, "MediumSpace": 0x205F, "centerdot": 0xB7, "bull": 0x2022,
        "star": 0x2606, "starf": 0x2605, "check": 0x2713, "cross": 0x2717, "male": 0x2642, "female": 0x2640,
        "flat": 0x266D, "natural": 0x266E, "sharp": 0x266F, "deg": 0xB0, "Prime": 0x2033, "prime": 0x2032,
    ]

    /// Bytes that never open markup and never end a line: copied in runs by `render`.
    static let plain: [Bool] = (0..<256).map { b in
        !"{}[]<'&_\n".utf8.contains(UInt8(b))
    }

    @inline(__always) func at(_ i: Int) -> UInt8 { i < src.count ? src[i] : 0 }

    func startsWith(_ i: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i &+ n <= src.count else { return false }
        let p = s.utf8Start
        for k in 0..<n where src[i &+ k] != p[k] { return false }
        return true
    }

    func startsWithCaseless(_ i: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i &+ n <= src.count else { return false }
        let p = s.utf8Start
        for k in 0..<n where lowerASCII(src[i &+ k]) != p[k] { return false }
        return true
    }

    func string(_ lo: Int, _ hi: Int) -> String {
        guard lo < hi else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: src[lo..<hi]), as: UTF8.self)
    }

    func trimmed(_ lo: Int, _ hi: Int) -> (Int, Int) {
        var a = lo, b = hi
        while a < b, isSpace(src[a]) { a &+= 1 }
        while b > a, isSpace(src[b &- 1]) { b &-= 1 }
        return (a, b)
    }

    func isLineStart(_ i: Int) -> Bool { i == 0 || src[i &- 1] == 0x0A }

    // MARK: The main loop

    /// Renders src[lo..<hi] into `out`.
    mutating func render(_ lo: Int, _ hi: Int) {
        depth += 1
        defer { depth -= 1 }
        if depth > Scanner.maxDepth { return }
        let plain = Scanner.plain
        var i = lo
        // The loop copies runs of plain bytes at once (a table lookup finds the next byte that
        // can open markup or start a line) and branches only there; every construct returns the
        // index after its end.
        while i < hi {
            if isLineStart(i) {
                if let next = lineStart(i, hi) { i = next; continue }
            }
            var run = i
            while run < hi, plain[Int(src[run])] { run &+= 1 }
            if run > i {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: src[i..<run]))
                i = run
                continue
            }
            let b = src[i]
            switch b {
            case UInt8(ascii: "{"):
                if at(i &+ 1) == UInt8(ascii: "{") { i = template(i, hi); continue }
                if at(i &+ 1) == UInt8(ascii: "|"), isLineStartIgnoringIndent(i) { i = table(i, hi); continue }
            case UInt8(ascii: "["):
                if at(i &+ 1) == UInt8(ascii: "[") { i = link(i, hi); continue }
                if let next = externalLink(i, hi) { i = next; continue }
            case UInt8(ascii: "<"):
                if let next = tag(i, hi) { i = next; continue }
            case UInt8(ascii: "'"):
                if at(i &+ 1) == UInt8(ascii: "'") { i = quotes(i, hi); continue }
            case UInt8(ascii: "&"):
                if let next = entity(i, hi) { i = next; continue }
            case UInt8(ascii: "_"):
                if at(i &+ 1) == UInt8(ascii: "_"), let next = magicWord(i, hi) { i = next; continue }
            case UInt8(ascii: "}"):
                // A stray "}}" (its opening lost in a dropped region) is not text.
                if at(i &+ 1) == UInt8(ascii: "}") { i &+= 2; continue }
            case UInt8(ascii: "]"):
                if at(i &+ 1) == UInt8(ascii: "]") { i &+= 2; continue }
            default:
                break
            }
            out.append(b)
            i &+= 1
        }
    }

    func isLineStartIgnoringIndent(_ i: Int) -> Bool {
        var k = i
        while k > 0, src[k &- 1] == 0x20 || src[k &- 1] == 0x09 || src[k &- 1] == UInt8(ascii: ":") { k &-= 1 }
        return isLineStart(k)
    }

    /// Line-level markup at the start of a line: headings, list markers, indentation, rules.
    /// Returns the index to continue from, or nil when the line opens with plain text.
    mutating func lineStart(_ i: Int, _ hi: Int) -> Int? {
        let b = src[i]
        switch b {
        case UInt8(ascii: "="):
            return heading(i, hi)
        case UInt8(ascii: "*"), UInt8(ascii: "#"), UInt8(ascii: ":"), UInt8(ascii: ";"):
            var k = i
            while k < hi, src[k] == UInt8(ascii: "*") || src[k] == UInt8(ascii: "#") || src[k] == UInt8(ascii: ":")
                    || src[k] == UInt8(ascii: ";") { k &+= 1 }
            if at(k) == UInt8(ascii: "{"), at(k &+ 1) == UInt8(ascii: "|") { return table(k, hi) }
            if !cleaner.options.keepLists && (b == UInt8(ascii: "*") || b == UInt8(ascii: "#")) {
                return lineEnd(k, hi)
            }
            while k < hi, src[k] == 0x20 || src[k] == 0x09 { k &+= 1 }
            return k
        case UInt8(ascii: "|"):
            // A table row outside `{|…|}`: tables opened and closed by templates (infobox
            // headers and footers). Row marks go; a cell keeps its content, not its attributes.
            let next = at(i &+ 1)
            if next == UInt8(ascii: "-") || next == UInt8(ascii: "}") { return lineEnd(i, hi) }
            var k = i &+ 1
            if next == UInt8(ascii: "+") { k &+= 1 }
            let end = lineEnd(k, hi)
            let parts = splitArguments(k, end)
            if parts.count > 1 && !containsMarkupBefore(parts[0]) { k = parts[1].0 }
            return skipCellAttributes(k, end)
        case UInt8(ascii: "-"):
            if startsWith(i, "----") {
                var k = i
                while k < hi, src[k] == UInt8(ascii: "-") { k &+= 1 }
                return k
            }
            return nil
        case 0x20, 0x09:
            var k = i
            while k < hi, src[k] == 0x20 || src[k] == 0x09 { k &+= 1 }
            if at(k) == UInt8(ascii: "{"), at(k &+ 1) == UInt8(ascii: "|") { return table(k, hi) }
            return k == i ? nil : k
        default:
            return nil
        }
    }

    func lineEnd(_ i: Int, _ hi: Int) -> Int {
        var k = i
        while k < hi, src[k] != 0x0A { k &+= 1 }
        return k
    }

    /// `== Heading ==`: the text as a marked line (for `normalize`), or the whole section skipped
    /// when its heading names one of the dropped sections.
    mutating func heading(_ i: Int, _ hi: Int) -> Int? {
        // The heading's line, with comments that run over line ends (`== X ==<!--\n…-->`).
        var end = i
        while end < hi, src[end] != 0x0A {
            if src[end] == UInt8(ascii: "<"), startsWith(end, "<!--") { end = commentEnd(end, hi); continue }
            end &+= 1
        }
        var lead = 0
        while i &+ lead < end, src[i &+ lead] == UInt8(ascii: "=") { lead &+= 1 }
        var last = end
        // Trailing spaces and comments after the closing marks are allowed.
        while last > i, isSpace(src[last &- 1]) { last &-= 1 }
        while last >= i &+ 4, src[last &- 1] == UInt8(ascii: ">"), src[last &- 2] == UInt8(ascii: "-"),
              src[last &- 3] == UInt8(ascii: "-") {
            var k = last &- 4
            while k > i, !(src[k] == UInt8(ascii: "<") && startsWith(k, "<!--")) { k &-= 1 }
            if k <= i { break }
            last = k
            while last > i, isSpace(src[last &- 1]) { last &-= 1 }
        }
        var trail = 0
        while last &- trail > i &+ lead, src[last &- trail &- 1] == UInt8(ascii: "=") { trail &+= 1 }
        guard trail > 0 else { return nil }
        let level = min(lead, trail, 6)
        let textStart = i &+ level, textEnd = last &- level
        guard textStart < textEnd else { return end }
        let mark = out.count
        render(textStart, textEnd)
        let headingText = String(decoding: out[mark...], as: UTF8.self)
        if cleaner.dropsSection(trimmedString(headingText)) {
            out.removeSubrange(mark...)
            return sectionEnd(after: end, level: level, hi)
        }
        if cleaner.options.keepHeadings {
            out.insert(contentsOf: [WikitextCleaner.headingMark, 0x30 &+ UInt8(level)], at: mark)
        } else {
            out.removeSubrange(mark...)
        }
        return end
    }

    func trimmedString(_ s: String) -> String {
        var t = Substring(s)
        while let f = t.first, f == " " || f == "\t" { t = t.dropFirst() }
        while let l = t.last, l == " " || l == "\t" { t = t.dropLast() }
        return String(t)
    }

    /// The start of the next heading of `level` or above after `i` (or `hi`).
    func sectionEnd(after i: Int, level: Int, _ hi: Int) -> Int {
        var k = i
        while k < hi {
            if src[k] == 0x0A, k &+ 1 < hi, src[k &+ 1] == UInt8(ascii: "=") {
                var lead = 0
                while k &+ 1 &+ lead < hi, src[k &+ 1 &+ lead] == UInt8(ascii: "=") { lead &+= 1 }
                let e = lineEnd(k &+ 1, hi)
                var last = e
                while last > k, isSpace(src[last &- 1]) { last &-= 1 }
                if lead <= level, last > k &+ 1 &+ lead, src[last &- 1] == UInt8(ascii: "=") { return k &+ 1 }
            }
            k &+= 1
        }
        return hi
    }

    // MARK: Brackets

    /// The index after the `}}` closing the `{{` at i (nested `{{` and `{{{` counted), or nil
    /// when it is not closed before hi. Looked up in the table `Brackets` built once per text.
    func matchBraces(_ i: Int, _ hi: Int) -> Int? {
        guard let e = brackets.braceEnd[i], e <= hi else { return nil }
        return e
    }

    /// The index after the `]]` closing the `[[` at i (nested links counted, templates skipped
    /// whole), or nil when it is not closed before hi.
    func matchLink(_ i: Int, _ hi: Int) -> Int? {
        guard let e = brackets.linkEnd[i], e <= hi else { return nil }
        return e
    }

    func commentEnd(_ i: Int, _ hi: Int) -> Int {
        var k = i &+ 4
        while k &+ 2 < hi {
            if src[k] == UInt8(ascii: "-"), src[k &+ 1] == UInt8(ascii: "-"), src[k &+ 2] == UInt8(ascii: ">") { return k &+ 3 }
            k &+= 1
        }
        return hi
    }

    /// Splits src[lo..<hi] at the `|` that are not inside nested `{{ }}`, `[[ ]]` or tags.
    func splitArguments(_ lo: Int, _ hi: Int) -> [(Int, Int)] {
        var parts: [(Int, Int)] = []
        var start = lo
        var k = lo
        while k < hi {
            let c = src[k]
            if c == UInt8(ascii: "{"), at(k &+ 1) == UInt8(ascii: "{") {
                k = min(matchBraces(k, hi) ?? hi, hi); continue
            }
            if c == UInt8(ascii: "["), at(k &+ 1) == UInt8(ascii: "[") {
                k = min(matchLink(k, hi) ?? hi, hi); continue
            }
            if c == UInt8(ascii: "<") {
                if startsWith(k, "<!--") { k = commentEnd(k, hi); continue }
                if startsWithCaseless(k, "<nowiki"), let e = closingTag(k, "nowiki", hi) { k = e; continue }
                if startsWithCaseless(k, "<ref"), let (_, tagEnd, selfClosing) = parseTag(k, hi) {
                    k = selfClosing ? tagEnd : (closingTag(tagEnd, "ref", hi) ?? tagEnd); continue
                }
            }
            if c == UInt8(ascii: "|") {
                parts.append((start, k))
                start = k &+ 1
            }
            k &+= 1
        }
        parts.append((start, hi))
        return parts
    }

    // MARK: Templates

    mutating func template(_ i: Int, _ hi: Int) -> Int {
        guard let end = matchBraces(i, hi), end <= hi else {
            // An unclosed `{{`: the braces go, the text after them stays.
            return i &+ 2
        }
        // `{{{parameter|default}}}` outside a template page: the default is what shows.
        if at(i &+ 2) == UInt8(ascii: "{") && src[end &- 3] == UInt8(ascii: "}") {
            let parts = splitArguments(i &+ 3, end &- 3)
            if parts.count > 1 { render(parts[1].0, parts[1].1) }
            return end
        }
        let args = splitArguments(i &+ 2, end &- 2)
        WikiTemplates.render(name: args[0], args: args.dropFirst(), scanner: &self)
        return end
    }

    // MARK: Links

    mutating func link(_ i: Int, _ hi: Int) -> Int {
        guard let end = matchLink(i, hi) else { return i &+ 2 }
        let inner = (i &+ 2, end &- 2)
        // The target runs to the first `|` outside nested markup.
        var bar = inner.1
        var k = inner.0
        while k < inner.1 {
            if src[k] == UInt8(ascii: "|") { bar = k; break }
            if src[k] == UInt8(ascii: "{"), at(k &+ 1) == UInt8(ascii: "{") { k = matchBraces(k, inner.1) ?? inner.1; continue }
            if src[k] == UInt8(ascii: "["), at(k &+ 1) == UInt8(ascii: "[") { k = matchLink(k, inner.1) ?? inner.1; continue }
            k &+= 1
        }
        var (t0, t1) = trimmed(inner.0, bar)
        var visibleColon = false
        if t0 < t1, src[t0] == UInt8(ascii: ":") { t0 &+= 1; visibleColon = true }
        // Namespace prefix: File/Image/Category (any alias) and interlanguage links go whole.
        var colon = t0
        while colon < t1, src[colon] != UInt8(ascii: ":") { colon &+= 1 }
        var shownTarget = (t0, t1)
        if colon < t1 {
            let prefix = string(t0, colon).lowercased().trimmingSpaces()
            if !visibleColon && cleaner.dropsLink(prefix: prefix) { return end }
            if WikiLanguageTables.projectPrefixes.contains(prefix)
                || (visibleColon && WikiLanguageTables.isLanguageCode(prefix)) {
                shownTarget = trimmed(colon &+ 1, t1)
            }
        }
        if bar < inner.1 {
            let (l0, l1) = trimmed(bar &+ 1, inner.1)
            if l0 < l1 {
                // Everything after the first `|` is the label (`[[a|b|c]]` shows "b|c", as in MediaWiki).
                render(l0, l1)
            } else {
                // The pipe trick: `[[Paris (France)|]]` shows "Paris".
                var e = shownTarget.1
                var p = shownTarget.0
                while p < e, src[p] != UInt8(ascii: "(") { p &+= 1 }
                if p < e { e = p }
                let (a, b) = trimmed(shownTarget.0, e)
                renderPlain(a, b)
            }
        } else {
            var (a, b) = shownTarget
            if a < b, src[a] == UInt8(ascii: "#") { a &+= 1 }
            renderPlain(a, b)
        }
        return end
    }

    /// A link target as text: underscores are spaces, entities decoded.
    mutating func renderPlain(_ lo: Int, _ hi: Int) {
        var k = lo
        while k < hi {
            let c = src[k]
            if c == UInt8(ascii: "_") { out.append(0x20); k &+= 1; continue }
            if c == UInt8(ascii: "&"), let next = entity(k, hi) { k = next; continue }
            if c == UInt8(ascii: "<"), startsWith(k, "<!--") { k = commentEnd(k, hi); continue }
            out.append(c)
            k &+= 1
        }
    }

    /// `[http://example.org label]` → label; `[http://example.org]` → nothing. Nil when the `[`
    /// does not open an external link.
    mutating func externalLink(_ i: Int, _ hi: Int) -> Int? {
        let k = i &+ 1
        guard startsWithCaseless(k, "http://") || startsWithCaseless(k, "https://") || startsWith(k, "//")
                || startsWithCaseless(k, "ftp://") || startsWithCaseless(k, "mailto:")
                || startsWithCaseless(k, "irc://") || startsWithCaseless(k, "news:") else { return nil }
        var e = k
        let limit = min(hi, k &+ 4096)  // bounded: a line of `[http` without `]` stays linear
        while e < limit, src[e] != UInt8(ascii: "]"), src[e] != 0x0A { e &+= 1 }
        guard e < limit, src[e] == UInt8(ascii: "]") else { return nil }
        var space = k
        while space < e, src[space] != 0x20, src[space] != 0x09 { space &+= 1 }
        if space < e { render(space &+ 1, e) }
        return e &+ 1
    }

    // MARK: Tags

    /// Parses a tag at i: (lowercased name, index after `>`, self-closing). Nil when the `<` does
    /// not open a tag (`a < b`).
    func parseTag(_ i: Int, _ hi: Int) -> (String, Int, Bool)? {
        var k = i &+ 1
        if at(k) == UInt8(ascii: "/") { k &+= 1 }
        let nameStart = k
        while k < hi, isAlnum(src[k]) { k &+= 1 }
        guard k > nameStart, (src[nameStart] | 0x20) >= 0x61, (src[nameStart] | 0x20) <= 0x7A else { return nil }
        guard k >= hi || src[k] == UInt8(ascii: ">") || src[k] == UInt8(ascii: "/") || isSpace(src[k]) else { return nil }
        var name = ""
        name.reserveCapacity(k &- nameStart)
        for p in nameStart..<k { name.unicodeScalars.append(Unicode.Scalar(lowerASCII(src[p]))) }
        // Attributes: up to the `>` outside quotes, within a bounded distance.
        var quote: UInt8 = 0
        var e = k
        let limit = min(hi, k &+ 4096)
        while e < limit {
            let c = src[e]
            if quote != 0 { if c == quote { quote = 0 } }
            else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c }
            else if c == UInt8(ascii: ">") { break }
            else if c == UInt8(ascii: "<") { return nil }
            e &+= 1
        }
        guard e < limit, src[e] == UInt8(ascii: ">") else { return nil }
        let selfClosing = src[e &- 1] == UInt8(ascii: "/")
        return (name, e &+ 1, selfClosing)
    }

    /// The index after `</name>` searched from i (case-insensitive), or nil.
    func closingTag(_ i: Int, _ name: String, _ hi: Int) -> Int? {
        if let known = memo.noClosingTag[name], i >= known.0, hi <= known.1 { return nil }
        let n = Array(name.utf8)
        var k = i
        while k &+ 2 &+ n.count <= hi {
            if src[k] == UInt8(ascii: "<"), src[k &+ 1] == UInt8(ascii: "/") {
                var ok = true
                for (j, c) in n.enumerated() where lowerASCII(src[k &+ 2 &+ j]) != c { ok = false; break }
                if ok {
                    var e = k &+ 2 &+ n.count
                    if e < hi, src[e] != UInt8(ascii: ">"), !isSpace(src[e]) { k &+= 1; continue }
                    while e < hi, src[e] != UInt8(ascii: ">") { e &+= 1 }
                    return min(e &+ 1, hi)
                }
            }
            k &+= 1
        }
        memo.noClosingTag[name] = (i, hi)
        return nil
    }

    mutating func tag(_ i: Int, _ hi: Int) -> Int? {
        if startsWith(i, "<!--") { return commentEnd(i, hi) }
        guard let (name, tagEnd, selfClosing) = parseTag(i, hi) else { return nil }
        let closing = at(i &+ 1) == UInt8(ascii: "/")
        switch WikiLanguageTables.tagKind(name) {
        case .unknown:
            return nil
        case .drop:
            if closing || selfClosing { return tagEnd }
            // Unclosed: only the tag goes (a lost `</ref>` must not swallow the article).
            guard let e = closingTag(tagEnd, name, hi) else { return tagEnd }
            return e
        case .raw:
            if closing || selfClosing { return tagEnd }
            let e = closingTag(tagEnd, name, hi)
            let contentEnd = e.map { k -> Int in var s = k &- 1; while src[s] != UInt8(ascii: "<") { s &-= 1 }; return s } ?? tagEnd
            if e != nil {
                var k = tagEnd
                while k < contentEnd {
                    if src[k] == UInt8(ascii: "&"), let next = entity(k, contentEnd) { k = next; continue }
                    out.append(src[k]); k &+= 1
                }
            }
            return e ?? tagEnd
        case .lineBreak:
            out.append(0x0A)
            return tagEnd
        case .transparent:
            return tagEnd
        case .block:
            out.append(0x0A)
            return tagEnd
        }
    }

    // MARK: Inline

    /// `''` italic, `'''` bold, `'''''` both: the quotes go. Four quotes are an apostrophe and
    /// bold; more than five keep the extra ones as apostrophes.
    mutating func quotes(_ i: Int, _ hi: Int) -> Int {
        var k = i
        while k < hi, src[k] == UInt8(ascii: "'") { k &+= 1 }
        let n = k &- i
        if n == 4 { out.append(UInt8(ascii: "'")) }
        else if n > 5 { for _ in 0..<(n &- 5) { out.append(UInt8(ascii: "'")) } }
        return k
    }

    /// `&name;`, `&#123;`, `&#x1F600;` → the character (no-break spaces as spaces). Nil when not
    /// an entity (the `&` is then text).
    mutating func entity(_ i: Int, _ hi: Int) -> Int? {
        var k = i &+ 1
        var value: UInt32 = 0
        if at(k) == UInt8(ascii: "#") {
            k &+= 1
            let hex = at(k) | 0x20 == UInt8(ascii: "x")
            if hex { k &+= 1 }
            let start = k
            while k < hi, k &- start < 8 {
                let c = src[k]
                if c >= 0x30 && c <= 0x39 { value = value &* (hex ? 16 : 10) &+ UInt32(c &- 0x30) }
                else if hex, (c | 0x20) >= 0x61, (c | 0x20) <= 0x66 { value = value &* 16 &+ UInt32((c | 0x20) &- 0x61 &+ 10) }
                else { break }
                k &+= 1
            }
            guard k > start, at(k) == UInt8(ascii: ";") else { return nil }
            k &+= 1
        } else {
            let start = k
            while k < hi, k &- start < 32, isAlnum(src[k]) { k &+= 1 }
            guard k > start, at(k) == UInt8(ascii: ";") else { return nil }
            var name = [UInt8](UnsafeBufferPointer(rebasing: src[start..<k]))
            name.append(0)
            if let entry = name.withUnsafeBufferPointer({ htmlEntityLookup($0.baseAddress) }) {
                value = entry.pointee.value
            } else if let v = Scanner.html5Entities[String(decoding: name.dropLast(), as: UTF8.self)] {
                // libxml2 knows HTML 4's entities; these are HTML5 (and XML) names seen in wikitext.
                value = v
            } else {
                return nil
            }
            k &+= 1
        }
        guard let scalar = Unicode.Scalar(value), value != 0 else { return k }
        if value == 0xA0 || value == 0x202F || value == 0x2007 { out.append(0x20); return k }
        if value == 0xAD || value == 0x200B { return k }  // soft hyphen, zero-width space
        appendScalar(scalar)
        return k
    }

    mutating func appendScalar(_ scalar: Unicode.Scalar) {
        var buffer: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        let n = withUnsafeMutableBytes(of: &buffer) { raw -> Int in
            var count = 0
            UTF8.encode(scalar) { raw[count] = $0; count += 1 }
            return count
        }
        withUnsafeBytes(of: &buffer) { out.append(contentsOf: $0.prefix(n)) }
    }

    /// `__TOC__`, `__NOTOC__`, `__NOEDITSECTION__`... Nil when not one.
    func magicWord(_ i: Int, _ hi: Int) -> Int? {
        var k = i &+ 2
        let start = k
        while k < hi, k &- start < 40, (src[k] >= 0x41 && src[k] <= 0x5A) || src[k] == UInt8(ascii: "_") && at(k &+ 1) != UInt8(ascii: "_") { k &+= 1 }
        guard k > start, at(k) == UInt8(ascii: "_"), at(k &+ 1) == UInt8(ascii: "_") else { return nil }
        return k &+ 2
    }

    // MARK: Tables

    /// `{| … |}` (nested tables counted): dropped, or with `keepTables`, one line per row with
    /// the cells' text separated by spaces (attributes, captions' markup and row marks removed).
    mutating func table(_ i: Int, _ hi: Int) -> Int {
        // Find the matching `|}` at a line start (after indentation), counting nested `{|`.
        var depth = 0
        var k = i
        var end = hi
        var lineStart = true
        while k < hi {
            let c = src[k]
            if c == 0x0A { lineStart = true; k &+= 1; continue }
            if lineStart {
                var p = k
                while p < hi, src[p] == 0x20 || src[p] == 0x09 || src[p] == UInt8(ascii: ":") { p &+= 1 }
                if at(p) == UInt8(ascii: "{"), at(p &+ 1) == UInt8(ascii: "|") { depth &+= 1 }
                else if at(p) == UInt8(ascii: "|"), at(p &+ 1) == UInt8(ascii: "}") {
                    depth &-= 1
                    if depth == 0 { end = p &+ 2; break }
                }
                lineStart = false
            }
            if c == UInt8(ascii: "{"), at(k &+ 1) == UInt8(ascii: "{") { k = matchBraces(k, hi) ?? (k &+ 2); continue }
            if c == UInt8(ascii: "<"), startsWith(k, "<!--") { k = commentEnd(k, hi); continue }
            k &+= 1
        }
        if cleaner.options.keepTables { tableCells(i, end) }
        return end
    }

    mutating func tableCells(_ lo: Int, _ hi: Int) {
        out.append(0x0A)
        var k = lineEnd(lo, hi) &+ 1  // past the `{|` line and its attributes
        while k < hi {
            let e = lineEnd(k, hi)
            var (a, b) = trimmed(k, e)
            guard a < b else { k = e &+ 1; continue }
            let c = src[a]
            if c == UInt8(ascii: "|"), at(a &+ 1) == UInt8(ascii: "-") { out.append(0x0A); k = e &+ 1; continue }
            if c == UInt8(ascii: "|"), at(a &+ 1) == UInt8(ascii: "}") { k = e &+ 1; continue }
            if c == UInt8(ascii: "{"), at(a &+ 1) == UInt8(ascii: "|") {
                // A nested table: its own cells, then the rest of the outer table.
                let nestedEnd = table(a, hi)
                if cleaner.options.keepTables { out.append(0x0A) }
                k = nestedEnd
                continue
            }
            // The cell (or caption, or text) runs to the next line that opens a cell or row;
            // templates, links and tags spanning lines are skipped whole.
            b = cellBlockEnd(a, hi)
            defer { k = b &+ 1 }
            guard c == UInt8(ascii: "|") || c == UInt8(ascii: "!") else {
                out.append(0x20); render(a, b); continue
            }
            a &+= 1
            if c == UInt8(ascii: "|"), at(a) == UInt8(ascii: "+") { a &+= 1 }
            // Cells on one line are separated by `||` (or `!!` in header rows).
            var cellStart = a
            var p = a
            var firstLine = true
            while p <= b {
                let atEnd = p == b
                if !atEnd && src[p] == 0x0A { firstLine = false }
                let sep = !atEnd && firstLine && ((src[p] == UInt8(ascii: "|") && at(p &+ 1) == UInt8(ascii: "|"))
                                     || (c == UInt8(ascii: "!") && src[p] == UInt8(ascii: "!") && at(p &+ 1) == UInt8(ascii: "!")))
                if !atEnd && !sep {
                    if let skip = skipConstruct(p, b) { p = skip; continue }
                    p &+= 1; continue
                }
                // `attributes | content`: the content is after the first single `|`.
                let parts = splitArguments(cellStart, p)
                var content = parts.count > 1 && !containsMarkupBefore(parts[0]) ? (parts[1].0, p) : (cellStart, p)
                // `| colspan="5" {{CMain}}`: the attributes' `|` comes from a template; the
                // attributes before it are not text.
                content.0 = skipCellAttributes(content.0, content.1)
                let (x, y) = trimmed(content.0, content.1)
                if x < y {
                    if out.last != 0x0A && out.last != 0x20 { out.append(0x20) }
                    render(x, y)
                }
                if atEnd { break }
                p &+= 2
                cellStart = p
            }
        }
        out.append(0x0A)
    }

    /// The index after a construct that may span lines (`{{…}}`, `[[…]]`, a comment, a tag
    /// dropped or kept verbatim with its content), or nil when none opens at p.
    func skipConstruct(_ p: Int, _ hi: Int) -> Int? {
        let c = src[p]
        if c == UInt8(ascii: "{"), at(p &+ 1) == UInt8(ascii: "{") { return min(matchBraces(p, hi) ?? (p &+ 2), hi) }
        if c == UInt8(ascii: "["), at(p &+ 1) == UInt8(ascii: "[") { return min(matchLink(p, hi) ?? (p &+ 2), hi) }
        if c == UInt8(ascii: "<") {
            if startsWith(p, "<!--") { return commentEnd(p, hi) }
            if at(p &+ 1) != UInt8(ascii: "/"), let (name, tagEnd, selfClosing) = parseTag(p, hi) {
                let kind = WikiLanguageTables.tagKind(name)
                if (kind == .drop || kind == .raw) && !selfClosing { return closingTag(tagEnd, name, hi) ?? tagEnd }
            }
        }
        return nil
    }

    /// The end of a table cell starting at a: the newline before the next line that opens with
    /// `|` or `!` (outside multi-line constructs), or hi.
    func cellBlockEnd(_ a: Int, _ hi: Int) -> Int {
        var p = a
        while p < hi {
            if src[p] == 0x0A {
                var q = p &+ 1
                while q < hi, src[q] == 0x20 || src[q] == 0x09 { q &+= 1 }
                if q >= hi || src[q] == UInt8(ascii: "|") || src[q] == UInt8(ascii: "!")
                    || (src[q] == UInt8(ascii: "{") && at(q &+ 1) == UInt8(ascii: "|")) { return p }
                p &+= 1
                continue
            }
            if let skip = skipConstruct(p, hi) { p = skip; continue }
            p &+= 1
        }
        return hi
    }

    static let cellAttributes: Set<String> = ["colspan", "rowspan", "style", "class", "align", "valign", "width",
                                              "height", "bgcolor", "scope", "id", "nowrap", "lang", "dir", "abbr",
                                              "headers", "data-sort-value", "data-sort-type", "border", "cellpadding",
                                              "cellspacing"]

    /// The index after the leading `name="value"` attributes (known HTML cell attributes only).
    func skipCellAttributes(_ lo: Int, _ hi: Int) -> Int {
        var k = lo
        while true {
            var a = k
            while a < hi, src[a] == 0x20 || src[a] == 0x09 { a &+= 1 }
            var e = a
            while e < hi, isAlnum(src[e]) || src[e] == UInt8(ascii: "-") { e &+= 1 }
            guard e > a, Scanner.cellAttributes.contains(string(a, e).lowercased()) else { return k }
            var v = e
            while v < hi, src[v] == 0x20 { v &+= 1 }
            guard v < hi, src[v] == UInt8(ascii: "=") else { return k }
            v &+= 1
            while v < hi, src[v] == 0x20 { v &+= 1 }
            if v < hi, src[v] == UInt8(ascii: "\"") || src[v] == UInt8(ascii: "'") {
                let quote = src[v]
                v &+= 1
                while v < hi, src[v] != quote { v &+= 1 }
                guard v < hi else { return k }
                v &+= 1
            } else {
                while v < hi, !isSpace(src[v]) { v &+= 1 }
            }
            k = v
        }
    }

    /// Whether a cell's first part looks like text rather than attributes (`style="…"`).
    func containsMarkupBefore(_ part: (Int, Int)) -> Bool {
        var k = part.0
        while k < part.1 {
            if src[k] == UInt8(ascii: "=") || src[k] == UInt8(ascii: "\"") { return false }
            k &+= 1
        }
        // No attribute syntax at all: a `|` inside the text, keep everything.
        return trimmed(part.0, part.1).0 < trimmed(part.0, part.1).1
    }
}

extension String {
    func trimmingSpaces() -> String {
        var t = Substring(self)
        while let f = t.first, f == " " || f == "_" { t = t.dropFirst() }
        while let l = t.last, l == " " || l == "_" { t = t.dropLast() }
        return String(t)
    }
}

/// Where every `{{` and `[[` of a text closes, found in two linear passes with a stack, so that
/// matching is a table look-up however deep the nesting and however many brackets stay open
/// (a scan per opening bracket would be quadratic on broken pages).
struct Brackets {
    /// Positions of the openers in text order, and the index after each one's closer (0: open).
    /// Openers are found in order, so look-up is a binary search; no hashing per bracket.
    struct Table {
        var opens: [Int] = []
        var ends: [Int] = []

        mutating func open(_ position: Int) -> Int {
            opens.append(position)
            ends.append(0)
            return opens.count - 1
        }

        subscript(position: Int) -> Int? {
            var lo = 0, hi = opens.count
            while lo < hi {
                let mid = (lo &+ hi) >> 1
                if opens[mid] < position { lo = mid &+ 1 } else { hi = mid }
            }
            guard lo < opens.count, opens[lo] == position, ends[lo] > 0 else { return nil }
            return ends[lo]
        }
    }

    /// `{{` or `{{{` position → index after its `}}` / `}}}`.
    var braceEnd = Table()
    /// `[[` position → index after its `]]`.
    var linkEnd = Table()

    /// Positions of every `<`, `{`, `}`, `[` and `]` in the text, found 16 bytes at a time: most
    /// of a page has none of them, so whole blocks are skipped with a few vector compares
    /// (splats hoisted out of the loop; the mask tested as two 64-bit words).
    static func markupPositions(_ src: UnsafeBufferPointer<UInt8>) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(src.count / 32)
        let n = src.count
        guard let base = src.baseAddress else { return out }
        let lt = SIMD16<UInt8>(repeating: 0x3C), lb = SIMD16<UInt8>(repeating: 0x7B), rb = SIMD16<UInt8>(repeating: 0x7D)
        let ls = SIMD16<UInt8>(repeating: 0x5B), rs = SIMD16<UInt8>(repeating: 0x5D)
        let zero = SIMD16<UInt8>(repeating: 0), ones = SIMD16<UInt8>(repeating: 0xFF)
        var k = 0
        while k &+ 16 <= n {
            let v = UnsafeRawPointer(base + k).loadUnaligned(as: SIMD16<UInt8>.self)
            let mask = (v .== lt) .| (v .== lb) .| (v .== rb) .| (v .== ls) .| (v .== rs)
            let lanes = zero.replacing(with: ones, where: mask)
            let words = unsafeBitCast(lanes, to: SIMD2<UInt64>.self)
            if words[0] | words[1] != 0 {
                for j in 0..<16 where lanes[j] != 0 { out.append(k &+ j) }
            }
            k &+= 16
        }
        while k < n {
            switch src[k] {
            case 0x3C, 0x7B, 0x7D, 0x5B, 0x5D: out.append(k)
            default: break
            }
            k &+= 1
        }
        return out
    }

    init(_ src: UnsafeBufferPointer<UInt8>) {
        let n = src.count
        @inline(__always) func at(_ i: Int) -> UInt8 { i < n ? src[i] : 0 }
        func commentEnd(_ i: Int) -> Int {
            var k = i &+ 4
            while k &+ 2 < n {
                if src[k] == UInt8(ascii: "-"), src[k &+ 1] == UInt8(ascii: "-"), src[k &+ 2] == UInt8(ascii: ">") { return k &+ 3 }
                k &+= 1
            }
            return n
        }
        func isComment(_ k: Int) -> Bool {
            at(k &+ 1) == UInt8(ascii: "!") && at(k &+ 2) == UInt8(ascii: "-") && at(k &+ 3) == UInt8(ascii: "-")
        }
        // Both passes walk the positions of markup bytes only. `k` is where the text is read from
        // next: a token before it was consumed as part of an earlier one (`{{{`, a comment).
        let tokens = Brackets.markupPositions(src)
        // Braces: a stack of (opener index, width); `{{{` opens with three unless a fourth
        // follows, a width-3 opener closes with `}}}` when there is one. Comments are skipped.
        var stack: [(Int, Int)] = []
        var k = 0
        for t in tokens where t >= k {
            k = t
            let c = src[k]
            if c == UInt8(ascii: "<") {
                if isComment(k) { k = commentEnd(k) } else { k &+= 1 }
                continue
            }
            if c == UInt8(ascii: "{"), at(k &+ 1) == UInt8(ascii: "{") {
                if at(k &+ 2) == UInt8(ascii: "{") && at(k &+ 3) != UInt8(ascii: "{") { stack.append((braceEnd.open(k), 3)); k &+= 3 }
                else { stack.append((braceEnd.open(k), 2)); k &+= 2 }
                continue
            }
            if c == UInt8(ascii: "}"), at(k &+ 1) == UInt8(ascii: "}") {
                if let (open, width) = stack.popLast() {
                    k &+= (width == 3 && at(k &+ 2) == UInt8(ascii: "}")) ? 3 : 2
                    braceEnd.ends[open] = k
                } else {
                    k &+= 2
                }
                continue
            }
            k &+= 1
        }
        // Links: matched within the template (or top-level text) they sit in; a `]]` inside a
        // template never closes a `[[` outside it.
        var regionEnds: [Int] = []
        var links: [[Int]] = [[]]
        // The brace openers are met in order in this pass too: a cursor replaces the search.
        var cursor = 0
        let braces = braceEnd
        func nextBraceEnd(_ position: Int) -> Int? {
            while cursor < braces.opens.count, braces.opens[cursor] < position { cursor &+= 1 }
            guard cursor < braces.opens.count, braces.opens[cursor] == position, braces.ends[cursor] > 0 else { return nil }
            return braces.ends[cursor]
        }
        k = 0
        for t in tokens where t >= k {
            k = t
            while let end = regionEnds.last, k >= end { regionEnds.removeLast(); links.removeLast() }
            let c = src[k]
            if c == UInt8(ascii: "<") {
                if isComment(k) { k = commentEnd(k) } else { k &+= 1 }
                continue
            }
            if c == UInt8(ascii: "{"), at(k &+ 1) == UInt8(ascii: "{"), let end = nextBraceEnd(k) {
                regionEnds.append(end)
                links.append([])
                k &+= 2
                continue
            }
            if c == UInt8(ascii: "["), at(k &+ 1) == UInt8(ascii: "[") {
                links[links.count - 1].append(linkEnd.open(k))
                k &+= 2
                continue
            }
            if c == UInt8(ascii: "]"), at(k &+ 1) == UInt8(ascii: "]") {
                if let open = links[links.count - 1].popLast() { linkEnd.ends[open] = k &+ 2 }
                k &+= 2
                continue
            }
            k &+= 1
        }
    }
}

