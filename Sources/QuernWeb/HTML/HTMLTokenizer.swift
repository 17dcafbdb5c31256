#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The attributes the extractor reads; every other attribute is skipped without being stored.
public enum HTMLAttribute: Int, CaseIterable, Sendable {
    case `class`, id, role, href, itemprop, content, name, property, datetime, ariaHidden, hidden
    case style, type, lang, charset, httpEquiv

    static let count = HTMLAttribute.allCases.count

    @inline(__always)
    static func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> HTMLAttribute? {
        @inline(__always) func eq(_ s: StaticString) -> Bool {
            guard s.utf8CodeUnitCount == n else { return false }
            let q = s.utf8Start
            var k = 0
            while k < n {
                var c = p[k]
                if c >= 65 && c <= 90 { c |= 0x20 }
                if c != q[k] { return false }
                k &+= 1
            }
            return true
        }
        switch n {
        case 2: return eq("id") ? .id : nil
        case 4:
            if eq("role") { return .role }
            if eq("href") { return .href }
            if eq("name") { return .name }
            if eq("type") { return .type }
            if eq("lang") { return .lang }
            return nil
        case 5:
            if eq("class") { return .class }
            if eq("style") { return .style }
            return nil
        case 6: return eq("hidden") ? .hidden : nil
        case 7:
            if eq("content") { return .content }
            if eq("charset") { return .charset }
            return nil
        case 8:
            if eq("itemprop") { return .itemprop }
            if eq("property") { return .property }
            if eq("datetime") { return .datetime }
            return nil
        case 10: return eq("http-equiv") ? .httpEquiv : nil
        case 11: return eq("aria-hidden") ? .ariaHidden : nil
        default: return nil
        }
    }
}

/// One token. Ranges are byte offsets into the tokenizer's input; text and attribute values are
/// raw (character references not yet decoded), so producing a token never allocates.
public struct HTMLToken {
    public enum Kind: UInt8, Sendable {
        case text         // character data; references still encoded
        case rawText      // content of script/style/textarea/title/...: `tag` says which
        case startTag
        case endTag
        case comment
        case doctype
        case cdata        // <![CDATA[...]]> content
    }
    public var kind: Kind = .text
    public var tag: HTMLTag = .other
    public var selfClosing = false
    /// Text, comment, doctype or CDATA content; for tags the whole `<...>`.
    public var start = 0
    public var end = 0
    /// Value range of each known attribute (start == -1 when absent; an attribute without a
    /// value has an empty range).
    public var attributeStarts = [Int](repeating: -1, count: HTMLAttribute.count)
    public var attributeEnds = [Int](repeating: -1, count: HTMLAttribute.count)

    public func has(_ a: HTMLAttribute) -> Bool { attributeStarts[a.rawValue] >= 0 }
    public func range(_ a: HTMLAttribute) -> Range<Int>? {
        let s = attributeStarts[a.rawValue]
        return s < 0 ? nil : s..<attributeEnds[a.rawValue]
    }
}

/// A streaming HTML tokenizer over UTF-8 bytes, after the WHATWG tokenizer: tag names are
/// matched case-insensitively, only the attributes in `HTMLAttribute` are kept, raw-text
/// elements run to their end tag, and malformed markup (stray `<`, unterminated comments, tags or
/// quotes at end of input) never stops it: every call advances, and the end of input ends it.
///
/// Shape of the hot path: text runs are found with memchr for `<` (libc's SIMD search covers the
/// long text stretches at memory speed), tags are parsed with one forward pass over their bytes,
/// and nothing is allocated per token — the token reuses its attribute arrays.
public struct HTMLTokenizer {
    public let bytes: UnsafeBufferPointer<UInt8>
    private let base: UnsafePointer<UInt8>
    private let count: Int
    public private(set) var position = 0
    /// After a raw-text start tag: the element whose end tag closes the raw text.
    private var rawTextTag: HTMLTag? = nil
    private var rawNameStart = 0, rawNameLength = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // An empty buffer may have no base address; point at a static byte so no path unwraps nil.
        self.base = bytes.baseAddress.map { UnsafePointer($0) } ?? HTMLTokenizer.emptyBase
        self.count = bytes.baseAddress == nil ? 0 : bytes.count
    }

    nonisolated(unsafe) private static let emptyBase: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    @inline(__always)
    private func find(_ byte: UInt8, from: Int) -> Int {
        guard from < count, let hit = memchr(base + from, Int32(byte), count &- from) else { return count }
        return UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
    }

    @inline(__always)
    private static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 10 || c == 9 || c == 13 || c == 12 }
    @inline(__always)
    private static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }

    /// Fills `token` with the next token; false at end of input.
    public mutating func next(_ token: inout HTMLToken) -> Bool {
        if let raw = rawTextTag {
            rawTextTag = nil
            let start = position
            let end = rawTextEnd(from: start, tag: raw)
            position = end
            if end > start {
                token.kind = .rawText; token.tag = raw; token.start = start; token.end = end
                return true
            }
        }
        guard position < count else { return false }
        let p = position
        if base[p] != UInt8(ascii: "<") {
            let lt = find(UInt8(ascii: "<"), from: p)
            token.kind = .text; token.start = p; token.end = lt
            position = lt
            return true
        }
        let c1: UInt8 = p &+ 1 < count ? base[p &+ 1] : 0
        if HTMLTokenizer.isAlpha(c1) { return startTag(&token, at: p) }
        if c1 == UInt8(ascii: "/") {
            let c2: UInt8 = p &+ 2 < count ? base[p &+ 2] : 0
            if HTMLTokenizer.isAlpha(c2) { return endTag(&token, at: p) }
            if c2 == UInt8(ascii: ">") { position = p &+ 3; return next(&token) }  // `</>` is dropped
            if p &+ 2 >= count { return text(&token, p, count) }                  // `</` at EOF: text
            return bogusComment(&token, at: p, contentStart: p &+ 2)
        }
        if c1 == UInt8(ascii: "!") { return markupDeclaration(&token, at: p) }
        if c1 == UInt8(ascii: "?") { return bogusComment(&token, at: p, contentStart: p &+ 2) }
        // A `<` that opens nothing is text; include the run of text after it.
        let lt = find(UInt8(ascii: "<"), from: p &+ 1)
        return text(&token, p, lt)
    }

    @inline(__always)
    private mutating func text(_ token: inout HTMLToken, _ s: Int, _ e: Int) -> Bool {
        token.kind = .text; token.start = s; token.end = e
        position = e
        return true
    }

    private mutating func startTag(_ token: inout HTMLToken, at p: Int) -> Bool {
        var i = p &+ 1
        let nameStart = i
        // Tag name: up to whitespace, '/' or '>'.
        while i < count {
            let c = base[i]
            if HTMLTokenizer.isSpace(c) || c == UInt8(ascii: "/") || c == UInt8(ascii: ">") { break }
            i &+= 1
        }
        let nameLength = i &- nameStart
        let tag = HTMLTag.lookup(base + nameStart, nameLength)
        for k in 0..<HTMLAttribute.count { token.attributeStarts[k] = -1 }
        token.selfClosing = false
        // Attributes.
        while true {
            while i < count && (HTMLTokenizer.isSpace(base[i]) || base[i] == UInt8(ascii: "/")) {
                if base[i] == UInt8(ascii: "/") && i &+ 1 < count && base[i &+ 1] == UInt8(ascii: ">") {
                    token.selfClosing = true
                }
                i &+= 1
            }
            if i >= count { position = count; return false }  // EOF inside a tag: the tag is dropped
            if base[i] == UInt8(ascii: ">") { i &+= 1; break }
            let an = i
            i &+= 1  // the first character belongs to the name even if it is '='
            while i < count {
                let c = base[i]
                if HTMLTokenizer.isSpace(c) || c == UInt8(ascii: "/") || c == UInt8(ascii: ">")
                    || c == UInt8(ascii: "=") { break }
                i &+= 1
            }
            let attribute = HTMLAttribute.lookup(base + an, i &- an)
            while i < count && HTMLTokenizer.isSpace(base[i]) { i &+= 1 }
            var vs = i, ve = i
            if i < count && base[i] == UInt8(ascii: "=") {
                i &+= 1
                while i < count && HTMLTokenizer.isSpace(base[i]) { i &+= 1 }
                if i >= count { position = count; return false }
                let q = base[i]
                if q == UInt8(ascii: "\"") || q == UInt8(ascii: "'") {
                    vs = i &+ 1
                    ve = find(q, from: vs)
                    if ve >= count { position = count; return false }  // unterminated quote at EOF
                    i = ve &+ 1
                } else {
                    vs = i
                    while i < count && !HTMLTokenizer.isSpace(base[i]) && base[i] != UInt8(ascii: ">") { i &+= 1 }
                    ve = i
                }
            }
            // The first occurrence of an attribute wins, as in the spec.
            if let a = attribute, token.attributeStarts[a.rawValue] < 0 {
                token.attributeStarts[a.rawValue] = vs
                token.attributeEnds[a.rawValue] = ve
            }
        }
        token.kind = .startTag; token.tag = tag; token.start = p; token.end = i
        position = i
        if tag.isRawText && !token.selfClosing {
            rawTextTag = tag
            rawNameStart = nameStart; rawNameLength = nameLength
        }
        return true
    }

    /// Offset of the `</name` that closes raw text started at `from` (or the end of input).
    private func rawTextEnd(from: Int, tag: HTMLTag) -> Int {
        if tag == .plaintext { return count }
        let name = base + rawNameStart
        let n = rawNameLength
        var i = from
        while true {
            let lt = find(UInt8(ascii: "<"), from: i)
            if lt >= count { return count }
            if lt &+ 2 &+ n <= count && base[lt &+ 1] == UInt8(ascii: "/") {
                var k = 0
                while k < n && (base[lt &+ 2 &+ k] | 0x20) == (name[k] | 0x20) { k &+= 1 }
                if k == n {
                    let after = lt &+ 2 &+ n
                    if after >= count { return lt }
                    let c = base[after]
                    if HTMLTokenizer.isSpace(c) || c == UInt8(ascii: "/") || c == UInt8(ascii: ">") { return lt }
                }
            }
            i = lt &+ 1
        }
    }

    private mutating func endTag(_ token: inout HTMLToken, at p: Int) -> Bool {
        var i = p &+ 2
        let nameStart = i
        while i < count {
            let c = base[i]
            if HTMLTokenizer.isSpace(c) || c == UInt8(ascii: "/") || c == UInt8(ascii: ">") { break }
            i &+= 1
        }
        let tag = HTMLTag.lookup(base + nameStart, i &- nameStart)
        // Attributes on end tags are ignored, but a quoted '>' must not end the tag early.
        while i < count && base[i] != UInt8(ascii: ">") {
            let c = base[i]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                let close = find(c, from: i &+ 1)
                if close >= count { position = count; return false }
                i = close
            }
            i &+= 1
        }
        if i >= count { position = count; return false }
        token.kind = .endTag; token.tag = tag; token.start = p; token.end = i &+ 1
        token.selfClosing = false
        position = i &+ 1
        return true
    }

    private mutating func markupDeclaration(_ token: inout HTMLToken, at p: Int) -> Bool {
        // <!-- comment -->
        if p &+ 3 < count && base[p &+ 2] == UInt8(ascii: "-") && base[p &+ 3] == UInt8(ascii: "-") {
            let cs = p &+ 4
            // `<!-->` and `<!--->` are complete (empty) comments.
            if cs < count && base[cs] == UInt8(ascii: ">") { return comment(&token, cs, cs, cs &+ 1) }
            if cs &+ 1 < count && base[cs] == UInt8(ascii: "-") && base[cs &+ 1] == UInt8(ascii: ">") {
                return comment(&token, cs, cs, cs &+ 2)
            }
            var i = cs
            while true {
                let gt = find(UInt8(ascii: ">"), from: i)
                if gt >= count { return comment(&token, cs, count, count) }  // unterminated: to EOF
                if gt &- 2 >= cs && base[gt &- 1] == UInt8(ascii: "-") && base[gt &- 2] == UInt8(ascii: "-") {
                    return comment(&token, cs, gt &- 2, gt &+ 1)
                }
                if gt &- 3 >= cs && base[gt &- 1] == UInt8(ascii: "!") && base[gt &- 2] == UInt8(ascii: "-")
                    && base[gt &- 3] == UInt8(ascii: "-") {
                    return comment(&token, cs, gt &- 3, gt &+ 1)  // `--!>`
                }
                i = gt &+ 1
            }
        }
        // <![CDATA[ ... ]]>
        if p &+ 9 <= count && matches(p &+ 2, "[CDATA[") {
            let cs = p &+ 9
            var i = cs
            while true {
                let gt = find(UInt8(ascii: ">"), from: i)
                if gt >= count {
                    token.kind = .cdata; token.start = cs; token.end = count; position = count
                    return true
                }
                if gt &- 2 >= cs && base[gt &- 1] == UInt8(ascii: "]") && base[gt &- 2] == UInt8(ascii: "]") {
                    token.kind = .cdata; token.start = cs; token.end = gt &- 2; position = gt &+ 1
                    return true
                }
                i = gt &+ 1
            }
        }
        // <!DOCTYPE ...>
        if p &+ 9 <= count && matchesFolded(p &+ 2, "doctype") {
            let gt = find(UInt8(ascii: ">"), from: p &+ 9)
            token.kind = .doctype; token.start = p &+ 9; token.end = gt
            position = gt < count ? gt &+ 1 : count
            return true
        }
        return bogusComment(&token, at: p, contentStart: p &+ 2)
    }

    @inline(__always)
    private mutating func comment(_ token: inout HTMLToken, _ s: Int, _ e: Int, _ next: Int) -> Bool {
        token.kind = .comment; token.start = s; token.end = e
        position = next
        return true
    }

    private mutating func bogusComment(_ token: inout HTMLToken, at p: Int, contentStart: Int) -> Bool {
        let cs = min(contentStart, count)
        let gt = find(UInt8(ascii: ">"), from: cs)
        return comment(&token, cs, gt, gt < count ? gt &+ 1 : count)
    }

    private func matches(_ at: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard at &+ n <= count else { return false }
        for k in 0..<n where base[at &+ k] != s.utf8Start[k] { return false }
        return true
    }

    private func matchesFolded(_ at: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard at &+ n <= count else { return false }
        for k in 0..<n where base[at &+ k] | 0x20 != s.utf8Start[k] { return false }
        return true
    }
}
