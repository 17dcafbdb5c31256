#if canImport(Glibc)
import Glibc
#endif

// Project Gutenberg boilerplate: header, footer, licence, credits.
//
// The generations seen in the wild, and what marks the start and the end of the body:
//
// | generation           | header ends with                                         | body ends at |
// |----------------------|----------------------------------------------------------|--------------|
// | 1990s "small print"  | `*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*...*END*` | "End of (the|this) Project Gutenberg Etext of ..." |
// | 2000s–2010s          | `*** START OF THIS PROJECT GUTENBERG EBOOK <TITLE> ***`  | "End of (the )?Project Gutenberg('s| EBook of) ...", `*** END OF THIS PROJECT GUTENBERG EBOOK ***` |
// | 2020s                | `*** START OF THE PROJECT GUTENBERG EBOOK <TITLE> ***`   | `*** END OF THE PROJECT GUTENBERG EBOOK <TITLE> ***` |
//
// plus translated end lines ("Ende dieses Projekt Gutenberg Etextes", "Fin del Proyecto
// Gutenberg"), a licence that may start without an END line ("*** START: FULL LICENSE ***") and
// a small print block that old texts put at the end instead of the start.
//
// What is removed: everything up to and including the last start marker before the first line
// that can only close a body; everything from the first end marker after it; at the start of the body, credit
// paragraphs ("Produced by", "E-text prepared by", "This etext was prepared by", scanning and
// proofreading credits) and transcriber's-note sections (up to the next wide gap); at the end of
// the body, short paragraphs about the e-text; anywhere in the body, paragraphs carrying licence
// phrases ("Project Gutenberg", "gutenberg.org", "Small Print", ...). A long paragraph (a book
// without blank lines between paragraphs) loses only the offending lines, never the whole text.
//
// A text without any marker passes through unchanged (normalized only) and is counted as such.

/// Which kind of boilerplate a book had (for the report).
public enum BoilerplateGeneration: String, Sendable, CaseIterable {
    /// 1990s texts: "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*" closes the header.
    case smallPrint1990s = "pg-1990s-small-print"
    /// 2000s–2010s: "*** START OF THIS PROJECT GUTENBERG EBOOK ***".
    case startOfThis = "pg-2000s-start-of-this"
    /// 2020s: "*** START OF THE PROJECT GUTENBERG EBOOK ***".
    case startOfThe = "pg-2020s-start-of-the"
    /// Another "START OF ... PROJECT GUTENBERG" wording.
    case otherStart = "pg-other-start"
    /// No start marker, but an end marker (the header was already gone).
    case endOnly = "pg-end-only"
    /// An EPUB whose boilerplate sits in pg-header / pg-footer sections (Ebookmaker).
    case epubSections = "pg-epub-sections"
    /// An Aozora Bunko text (Japanese): symbol legend header and 底本 colophon.
    case aozora = "aozora-bunko"
    /// Nothing recognized: the text passed through unchanged.
    case none = "no-markers"
}

/// What the header (or an EPUB's OPF) says about the book.
public struct BookMetadata: Sendable, Equatable {
    public var title: String?
    public var author: String?
    public var translator: String?
    /// ISO 639-1 code where the language name is known, else the name as written.
    public var language: String?
    public var releaseDate: String?
    public var ebookNumber: Int?
    /// The character set the header declares (the bytes decide; this is informational).
    public var declaredEncoding: String?
    public init() {}
}

/// A cleaned book body with what was found on the way.
public struct CleanedText: Sendable {
    public var text: [UInt8]
    public var metadata: BookMetadata
    public var generation: BoilerplateGeneration
    public var startMarker: Bool
    public var endMarker: Bool
    /// Non-blank lines dropped as boilerplate inside the body (credits, notes, licence paragraphs).
    public var droppedBodyLines: Int
}

enum GutenbergCleaner {
    struct Line { var start: Int; var end: Int }

    static func splitLines(_ text: UnsafeBufferPointer<UInt8>) -> [Line] {
        var lines: [Line] = []
        lines.reserveCapacity(text.count / 48 + 1)
        guard let p = text.baseAddress else { return lines }
        var s = 0
        let n = text.count
        while s < n {
            if let hit = memchr(p + s, 0x0A, n - s) {
                let e = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - p
                lines.append(Line(start: s, end: e))
                s = e + 1
            } else {
                lines.append(Line(start: s, end: n))
                break
            }
        }
        return lines
    }

    enum StartKind { case this, the, other, smallPrint }

    static func startMarker(_ line: UnsafeBufferPointer<UInt8>) -> StartKind? {
        guard line.count < 400 else { return nil }
        let t = line.trimmingDecoration()
        // Every marker starts with 's' or 'e': most lines stop at their first byte.
        guard let f = t.first.map(lower), f == UInt8(ascii: "s") || f == UInt8(ascii: "e") else { return nil }
        if t.hasPrefixIgnoringCase("start of") && t.containsIgnoringCase("gutenberg") && !t.containsIgnoringCase("license") {
            if t.hasPrefixIgnoringCase("start of this project gutenberg") { return .this }
            if t.hasPrefixIgnoringCase("start of the project gutenberg") { return .the }
            return .other
        }
        if t.hasPrefixIgnoringCase("end") && t.containsIgnoringCase("small print") { return .smallPrint }
        return nil
    }

    static func isEndMarker(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard line.count < 400 else { return false }
        if isClosingLine(line) { return true }
        let t = line.trimmingDecoration()
        guard let f = t.first.map(lower), f == UInt8(ascii: "s") || f == UInt8(ascii: "t") else { return false }
        if t.hasPrefixIgnoringCase("start") && t.containsIgnoringCase("small print") { return true }
        if t.hasPrefixIgnoringCase("this file should be named") { return true }
        return false
    }

    /// End lines that never occur in a header: "End of the Project Gutenberg ...", translated
    /// forms, and licence headings.
    static func isClosingLine(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard line.count < 400 else { return false }
        let t = line.trimmingDecoration()
        guard let f = t.first.map(lower), f == UInt8(ascii: "e") || f == UInt8(ascii: "f") || f == UInt8(ascii: "s") else { return false }
        // Prefixes first (cheap), the scan for "gutenberg" only when one matches.
        if t.hasPrefixIgnoringCase("end of") || t.hasPrefixIgnoringCase("ende dieses") || t.hasPrefixIgnoringCase("ende des")
            || t.hasPrefixIgnoringCase("fin de") || t.hasPrefixIgnoringCase("fine del") || t.hasPrefixIgnoringCase("einde van")
            || t.hasPrefixIgnoringCase("fim do") || t.hasPrefixIgnoringCase("slut p") {
            // "End of the Gutenberg era" in a history book is not a marker: the line must be
            // about the project or the e-text.
            if t.containsIgnoringCase("gutenberg") && (aboutTheEtext(t) || t.containsIgnoringCase("projet")) { return true }
        }
        if t.hasPrefixIgnoringCase("start") && t.containsIgnoringCase("license")
            && (t.containsIgnoringCase("full license") || t.containsIgnoringCase("gutenberg")) { return true }
        return false
    }

    /// Cleans a normalized text. `epubSections` says an EPUB's boilerplate sections were
    /// already dropped (the text is then treated as a Gutenberg body even without markers).
    static func clean(_ text: [UInt8], epubSections: Bool = false) -> CleanedText {
        text.withUnsafeBufferPointer { buffer -> CleanedText in
            let lines = splitLines(buffer)
            func line(_ i: Int) -> UnsafeBufferPointer<UInt8> {
                UnsafeBufferPointer(rebasing: buffer[lines[i].start..<lines[i].end])
            }
            // Start: the last start marker of the header.
            var bodyStart = 0
            var named: StartKind?
            var sawSmallPrint = false
            // Start markers count until the first line that can only close a body ("End of the
            // Project Gutenberg EBook", a licence heading): a small print block at the end of a
            // file must not be taken for the end of a header.
            for i in 0..<lines.count {
                if isClosingLine(line(i)) { break }
                if let k = startMarker(line(i)) {
                    bodyStart = i + 1
                    // A "START OF ... PROJECT GUTENBERG" line names the generation; a small-print
                    // block after it (some 2000s texts) only moves the body start.
                    if k == .smallPrint { sawSmallPrint = true } else if named == nil { named = k }
                }
            }
            let kind: StartKind? = named ?? (sawSmallPrint ? .smallPrint : nil)
            var bodyEnd = lines.count
            var endFound = false
            for i in bodyStart..<lines.count where isEndMarker(line(i)) {
                bodyEnd = i
                endFound = true
                break
            }
            // Header fields are read only from a header: above the start marker, or the top
            // lines of a text whose end marker shows it is a Gutenberg text. A text without
            // markers gets no metadata from its lines ("book #3" in a novel is not an e-book number).
            var metadata = BookMetadata()
            if kind != nil {
                readHeader(lines: lines, upTo: bodyStart, buffer: buffer, into: &metadata)
            } else if endFound {
                readHeader(lines: lines, upTo: min(lines.count, 60), buffer: buffer, into: &metadata)
            }

            let generation: BoilerplateGeneration
            switch kind {
            case .this?: generation = .startOfThis
            case .the?: generation = .startOfThe
            case .other?: generation = .otherStart
            case .smallPrint?: generation = .smallPrint1990s
            case nil: generation = epubSections ? .epubSections : (endFound ? .endOnly : .none)
            }
            if generation == .none {
                return CleanedText(text: joinLines(lines, 0..<lines.count, buffer: buffer, keep: nil),
                                   metadata: metadata, generation: .none, startMarker: false, endMarker: false,
                                   droppedBodyLines: 0)
            }
            var keep = [Bool](repeating: true, count: lines.count)
            let dropped = cleanBody(lines: lines, range: bodyStart..<bodyEnd, buffer: buffer, keep: &keep)
            return CleanedText(text: joinLines(lines, bodyStart..<bodyEnd, buffer: buffer, keep: keep),
                               metadata: metadata, generation: generation, startMarker: kind != nil,
                               endMarker: endFound, droppedBodyLines: dropped)
        }
    }

    // MARK: Body

    struct Paragraph { var first: Int; var last: Int; var gapBefore: Int }

    static func paragraphs(_ lines: [Line], _ range: Range<Int>) -> [Paragraph] {
        var result: [Paragraph] = []
        var i = range.lowerBound
        var gap = 0
        while i < range.upperBound {
            if lines[i].start == lines[i].end { gap += 1; i += 1; continue }
            let first = i
            while i < range.upperBound && lines[i].start != lines[i].end { i += 1 }
            result.append(Paragraph(first: first, last: i - 1, gapBefore: result.isEmpty ? Int.max : gap))
            gap = 0
        }
        return result
    }

    static func isCredit(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        t.hasPrefixIgnoringCase("produced by") || t.hasPrefixIgnoringCase("e-text prepared by")
            || t.hasPrefixIgnoringCase("etext prepared by") || t.hasPrefixIgnoringCase("this etext was prepared")
            || t.hasPrefixIgnoringCase("this e-text was prepared") || t.hasPrefixIgnoringCase("this ebook was prepared")
            || t.hasPrefixIgnoringCase("this e-book was prepared") || t.hasPrefixIgnoringCase("ebook prepared by")
            || t.hasPrefixIgnoringCase("prepared by") || t.hasPrefixIgnoringCase("transcribed by")
            || t.hasPrefixIgnoringCase("transcribed from") || t.hasPrefixIgnoringCase("scanned by")
            || t.hasPrefixIgnoringCase("html version by") || t.hasPrefixIgnoringCase("proofread by")
            || t.containsIgnoringCase("distributed proofread") || aboutTheEtext(t)
    }

    /// A line about the e-text itself rather than the book ("Gutenberg" alone may be the printer).
    static func aboutTheEtext(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        t.containsIgnoringCase("etext") || t.containsIgnoringCase("e-text")
            || t.containsIgnoringCase("gutenberg") && (t.containsIgnoringCase("ebook") || t.containsIgnoringCase("project")
                || t.containsIgnoringCase("projekt") || t.containsIgnoringCase("proyecto") || t.containsIgnoringCase("progetto"))
    }

    static func isNoteHeading(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        t.hasPrefixIgnoringCase("transcriber") || t.hasPrefixIgnoringCase("[transcriber")
            || t.hasPrefixIgnoringCase("original transcriber")
            || t.hasPrefixIgnoringCase("notes on this etext") || t.hasPrefixIgnoringCase("note on this etext")
            || t.hasPrefixIgnoringCase("notes on the etext") || t.hasPrefixIgnoringCase("etext editor")
    }

    static func hasLicencePhrase(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        // Every phrase holds "gutenberg", "small print" or "etexts": one pass rules most lines out.
        guard t.containsAnyOfGutenbergSmallPrintEtexts() else { return false }
        return t.containsIgnoringCase("project gutenberg") || t.containsIgnoringCase("gutenberg.org")
            || t.containsIgnoringCase("gutenberg.net") || t.containsIgnoringCase("gutenberg-tm")
            || t.containsIgnoringCase("gutenberg\u{2122}") || t.containsIgnoringCase("small print!")
            || t.containsIgnoringCase("gutenberg literary archive") || t.containsIgnoringCase("public domain etexts")
            || t.containsIgnoringCase("gutenberg projekt") || t.containsIgnoringCase("projekt gutenberg")
            || t.containsIgnoringCase("proyecto gutenberg") || t.containsIgnoringCase("progetto gutenberg")
    }

    /// Marks boilerplate lines of the body as not kept; returns how many non-blank lines went.
    static func cleanBody(lines: [Line], range: Range<Int>, buffer: UnsafeBufferPointer<UInt8>, keep: inout [Bool]) -> Int {
        func text(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: buffer[lines[i].start..<lines[i].end]).trimmingSpaces()
        }
        let paras = paragraphs(lines, range)
        if paras.isEmpty { return 0 }
        var dropped = 0
        func drop(_ p: Paragraph) { for i in p.first...p.last where keep[i] { keep[i] = false; dropped += 1 } }
        func dropLine(_ i: Int) { if keep[i] { keep[i] = false; dropped += 1 } }
        let wideGaps = paras.dropFirst().contains { $0.gapBefore >= 3 }
        let shortLimit = 8

        // Front matter: credits and transcriber's notes among the first paragraphs.
        var k = 0
        let front = min(paras.count, 10)
        while k < front {
            let p = paras[k]
            let head = text(p.first)
            let short = p.last - p.first < shortLimit
            if isNoteHeading(head) {
                if short {
                    drop(p)
                    // The note runs on to the next wide gap (when the book uses wide gaps).
                    if wideGaps {
                        var j = k + 1
                        while j < paras.count && j < k + 12 && paras[j].gapBefore < 3 && paras[j].last - paras[j].first < 40 {
                            drop(paras[j]); j += 1
                        }
                        k = j
                        continue
                    }
                } else {
                    dropLine(p.first)
                }
            } else if isCredit(head) {
                if short { drop(p) } else {
                    dropLine(p.first)
                    // A credit may wrap onto an indented or lower-case continuation line.
                    if p.first + 1 <= p.last, isCredit(text(p.first + 1)) { dropLine(p.first + 1) }
                }
            }
            k += 1
        }
        // Tail: short paragraphs about the e-text itself.
        for p in paras.suffix(6) where p.last - p.first < 6 {
            var about = false
            for i in p.first...p.last {
                let t = text(i)
                if aboutTheEtext(t) { about = true; break }
            }
            if about { drop(p) }
        }
        // Anywhere: licence phrases.
        for p in paras {
            var hits: [Int] = []
            for i in p.first...p.last where hasLicencePhrase(text(i)) { hits.append(i) }
            if hits.isEmpty { continue }
            if p.last - p.first < 40 { drop(p) } else { hits.forEach(dropLine) }
        }
        return dropped
    }

    /// Writes the kept lines of `range`: runs of blank lines become one blank line, no blank
    /// lines at either end, no final newline.
    static func joinLines(_ lines: [Line], _ range: Range<Int>, buffer: UnsafeBufferPointer<UInt8>, keep: [Bool]?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.isEmpty ? 0 : lines[range.upperBound - 1].end - lines[range.lowerBound].start)
        var pendingBreak = false
        var blankRun = false
        for i in range {
            if let keep, !keep[i] {
                continue
            }
            let l = lines[i]
            if l.start == l.end { blankRun = true; continue }
            if !out.isEmpty {
                out.append(0x0A)
                if blankRun || pendingBreak { out.append(0x0A) }
            }
            blankRun = false
            pendingBreak = false
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[l.start..<l.end]))
        }
        return out
    }

    // MARK: Header

    static func readHeader(lines: [Line], upTo end: Int, buffer: UnsafeBufferPointer<UInt8>, into m: inout BookMetadata) {
        func text(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: buffer[lines[i].start..<lines[i].end])
        }
        func value(_ i: Int, after prefixLength: Int) -> String {
            var parts = [text(i).trimmingSpaces()]
            parts[0] = UnsafeBufferPointer(rebasing: parts[0][prefixLength...]).trimmingSpaces()
            // Continuation lines are indented.
            var j = i + 1
            while j < end, j < i + 4, let first = text(j).first, first == 0x20 || first == 0x09 {
                parts.append(text(j).trimmingSpaces())
                j += 1
            }
            return parts.map(\.string).filter { !$0.isEmpty }.joined(separator: " ")
        }
        let stop = min(end, lines.count)
        for i in 0..<stop {
            let t = text(i).trimmingSpaces()
            if t.isEmpty { continue }
            if m.title == nil, t.hasPrefixIgnoringCase("title:") { m.title = nonEmpty(value(i, after: 6)) }
            else if m.author == nil, t.hasPrefixIgnoringCase("author:") { m.author = nonEmpty(value(i, after: 7)) }
            else if m.translator == nil, t.hasPrefixIgnoringCase("translator:") { m.translator = nonEmpty(value(i, after: 11)) }
            else if m.language == nil, t.hasPrefixIgnoringCase("language:") {
                m.language = nonEmpty(value(i, after: 9)).map(languageCode)
            } else if m.releaseDate == nil, t.hasPrefixIgnoringCase("release date:") {
                m.releaseDate = nonEmpty(stripBracket(value(i, after: 13)))
            } else if t.hasPrefixIgnoringCase("character set encoding:") {
                m.declaredEncoding = nonEmpty(value(i, after: 23))
            }
            if m.ebookNumber == nil { m.ebookNumber = ebookNumber(in: t) }
        }
        if m.title == nil || m.author == nil, stop > 0 {
            // 1990s/2000s first line: "The Project Gutenberg Etext of X, by Y" / "Project Gutenberg's X, by Y".
            for i in 0..<min(stop, 5) {
                var s = text(i).trimmingDecoration().string
                let lowered = s.lowercased()
                var rest: Substring?
                for lead in ["the project gutenberg etext of ", "the project gutenberg ebook of ", "project gutenberg's ",
                             "project gutenberg\u{2019}s ", "the project gutenberg e-text of "] where lowered.hasPrefix(lead) {
                    rest = s.dropFirst(lead.count)
                    break
                }
                guard let found = rest else { continue }
                s = String(found)
                // A title wrapped onto the next line ("..., by \nAuthor").
                if s.hasSuffix(", by") || s.hasSuffix(" by"), i + 1 < stop {
                    s += " " + text(i + 1).trimmingSpaces().string
                }
                if let (before, after) = splitLast(s, on: ", by ") {
                    if m.title == nil { m.title = nonEmpty(before) }
                    if m.author == nil { m.author = nonEmpty(after) }
                } else if m.title == nil {
                    m.title = nonEmpty(s)
                }
                break
            }
        }
    }

    static func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }

    /// Splits at the last occurrence of `separator`.
    static func splitLast(_ s: String, on separator: String) -> (String, String)? {
        let chars = Array(s), sep = Array(separator)
        guard chars.count >= sep.count else { return nil }
        var i = chars.count - sep.count
        while i >= 0 {
            if Array(chars[i..<(i + sep.count)]) == sep {
                return (String(chars[..<i]).trimmingCharacters(), String(chars[(i + sep.count)...]).trimmingCharacters())
            }
            i -= 1
        }
        return nil
    }

    static func stripBracket(_ s: String) -> String {
        guard let open = s.firstIndex(of: "[") else { return s }
        return String(s[..<open]).trimmingCharacters()
    }

    /// "[EBook #1342]", "[eBook #2000]", "[Etext #2701]", "EBook #8868".
    static func ebookNumber(in t: UnsafeBufferPointer<UInt8>) -> Int? {
        guard t.containsIgnoringCase("book #") || t.containsIgnoringCase("text #") else { return nil }
        var i = 0
        while i < t.count {
            if t[i] == UInt8(ascii: "#") {
                var j = i + 1
                var n = 0
                while j < t.count, t[j] >= 0x30, t[j] <= 0x39, n < 100_000_000 { n = n * 10 + Int(t[j] - 0x30); j += 1 }
                if j > i + 1 {
                    // Only when '#' follows "book"/"text" (case-insensitive), possibly with a space.
                    var k = i - 1
                    while k >= 0 && t[k] == 0x20 { k -= 1 }
                    if k >= 3 {
                        let w = UnsafeBufferPointer(rebasing: t[(k - 3)...k])
                        if w.hasPrefixIgnoringCase("book") || w.hasPrefixIgnoringCase("text") { return n }
                    }
                }
            }
            i += 1
        }
        return nil
    }

    static let languageCodes: [String: String] = [
        "english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt",
        "dutch": "nl", "finnish": "fi", "swedish": "sv", "danish": "da", "norwegian": "no", "latin": "la",
        "greek": "el", "russian": "ru", "polish": "pl", "hungarian": "hu", "czech": "cs", "chinese": "zh",
        "japanese": "ja", "esperanto": "eo", "catalan": "ca", "tagalog": "tl", "welsh": "cy", "irish": "ga",
        "icelandic": "is", "hebrew": "he", "arabic": "ar", "romanian": "ro", "bulgarian": "bg", "galician": "gl",
    ]

    static func languageCode(_ name: String) -> String {
        let key = name.lowercased()
        if let code = languageCodes[key] { return code }
        return name
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
