/// The charset declarations of a page: the `charset` parameter of an HTTP Content-Type, and the
/// HTML5 "prescan a byte stream to determine its encoding" over the page's first 1024 bytes
/// (https://html.spec.whatwg.org/multipage/parsing.html#prescan-a-byte-stream-to-determine-its-encoding).
/// Both work on bytes; nothing here allocates per byte.
public enum CharsetDeclaration {
    /// How many bytes the prescan looks at, as the HTML standard suggests.
    public static let prescanLength = 1024

    /// The encoding named by the `charset` parameter of a Content-Type value such as
    /// `text/html; charset="Shift_JIS"`, or nil when there is none or the label is unknown.
    public static func fromContentType(_ contentType: some StringProtocol) -> WebEncoding? {
        var utf8 = Array(contentType.utf8)
        for i in utf8.indices where utf8[i] >= 0x41 && utf8[i] <= 0x5A { utf8[i] |= 0x20 }
        var i = 0
        let n = utf8.count
        // Parameters follow the first ';': name "=" (token | quoted-string), separated by ';'.
        while i < n, utf8[i] != 0x3B { i += 1 }
        while i < n {
            i += 1                                            // past ';'
            while i < n, WebEncoding.isASCIIWhitespace(utf8[i]) { i += 1 }
            let nameStart = i
            while i < n, utf8[i] != 0x3D, utf8[i] != 0x3B { i += 1 }
            var nameEnd = i
            while nameEnd > nameStart, WebEncoding.isASCIIWhitespace(utf8[nameEnd - 1]) { nameEnd -= 1 }
            guard i < n, utf8[i] == 0x3D else { continue }     // a parameter without a value
            i += 1
            while i < n, WebEncoding.isASCIIWhitespace(utf8[i]) { i += 1 }
            var valueStart = i, valueEnd: Int
            if i < n, utf8[i] == 0x22 || utf8[i] == 0x27 {     // quoted value
                let quote = utf8[i]
                i += 1
                valueStart = i
                while i < n, utf8[i] != quote { i += 1 }
                valueEnd = i
                while i < n, utf8[i] != 0x3B { i += 1 }
            } else {
                while i < n, utf8[i] != 0x3B { i += 1 }
                valueEnd = i
            }
            if utf8[nameStart..<nameEnd].elementsEqual("charset".utf8) {
                if valueStart > valueEnd { valueStart = valueEnd }
                return WebEncoding(label: String(decoding: utf8[valueStart..<valueEnd], as: UTF8.self))
            }
        }
        return nil
    }

    /// The encoding a `<meta charset>` or `<meta http-equiv="Content-Type" content="…charset=…">`
    /// in the first 1024 bytes declares, found the way the HTML standard's prescan finds it:
    /// comments, other tags' attributes and `<!…>`/`<?…>`/`</…>` are skipped, the first usable
    /// declaration wins, UTF-16 becomes UTF-8 and x-user-defined becomes windows-1252.
    public static func prescan(_ bytes: UnsafeBufferPointer<UInt8>) -> WebEncoding? {
        guard let base = bytes.baseAddress else { return nil }
        var scanner = PrescanScanner(base: base, end: min(bytes.count, prescanLength))
        return scanner.run()
    }
}

/// The prescan's state: a position in the first 1024 bytes and the attribute being read.
/// Attribute names and values longer than `maxAttribute` bytes are truncated (they are compared
/// against short names and charset labels only), so the buffers are fixed and small.
private struct PrescanScanner {
    let base: UnsafePointer<UInt8>
    let end: Int
    var position = 0
    var name = [UInt8]()
    var value = [UInt8]()
    static let maxAttribute = 256

    init(base: UnsafePointer<UInt8>, end: Int) {
        self.base = base
        self.end = end
        name.reserveCapacity(Self.maxAttribute)
        value.reserveCapacity(Self.maxAttribute)
    }

    @inline(__always) func at(_ i: Int) -> UInt8? { i < end ? base[i] : nil }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    @inline(__always) static func isSpaceOrSlash(_ b: UInt8) -> Bool {
        WebEncoding.isASCIIWhitespace(b) || b == 0x2F
    }

    @inline(__always) static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }

    func matches(_ literal: StaticString, at i: Int, caseInsensitive: Bool) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= end else { return false }
        let p = literal.utf8Start
        for k in 0..<count {
            let b = caseInsensitive ? Self.lower(base[i + k]) : base[i + k]
            if b != p[k] { return false }
        }
        return true
    }

    mutating func run() -> WebEncoding? {
        while position < end {
            if matches("<!--", at: position, caseInsensitive: false) {
                // Comment: to the first '>' preceded by "--" after the '<' ("<!-->" ends it too).
                var i = position + 2
                while i < end, !(base[i] == 0x3E && base[i - 1] == 0x2D && base[i - 2] == 0x2D) { i += 1 }
                if i >= end { return nil }
                position = i + 1
            } else if matches("<meta", at: position, caseInsensitive: true),
                      let next = at(position + 5), Self.isSpaceOrSlash(next) {
                position += 5
                switch metaDeclaration() {
                case .found(let encoding): return encoding
                case .none: break
                case .endOfInput: return nil
                }
                position += 1
            } else if base[position] == 0x3C, let next = at(position + 1),
                      Self.isLetter(next) || (next == 0x2F && at(position + 2).map(Self.isLetter) == true) {
                // Another start or end tag: skip its name, then its attributes.
                var i = position + 1
                while i < end, !(WebEncoding.isASCIIWhitespace(base[i]) || base[i] == 0x3E) { i += 1 }
                position = i
                attributes: while true {
                    switch attribute() {
                    case .attribute: continue attributes
                    case .none: break attributes
                    case .endOfInput: return nil
                    }
                }
                position += 1
            } else if base[position] == 0x3C, let next = at(position + 1),
                      next == 0x21 || next == 0x2F || next == 0x3F {
                var i = position + 1
                while i < end, base[i] != 0x3E { i += 1 }
                if i >= end { return nil }
                position = i + 1
            } else {
                position += 1
            }
        }
        return nil
    }

    enum MetaResult { case found(WebEncoding), none, endOfInput }

    /// The attributes of one <meta> element: a charset, or a pragma with a content charset.
    mutating func metaDeclaration() -> MetaResult {
        var seen: [[UInt8]] = []
        var gotPragma = false
        var needPragma: Bool? = nil
        var charset: WebEncoding? = nil
        var charsetFailed = false
        loop: while true {
            switch attribute() {
            case .endOfInput: return .endOfInput
            case .none: break loop
            case .attribute:
                if seen.contains(name) { continue }
                seen.append(name)
                if name.elementsEqual("http-equiv".utf8) {
                    if value.elementsEqual("content-type".utf8) { gotPragma = true }
                } else if name.elementsEqual("content".utf8) {
                    if charset == nil, !charsetFailed, let found = Self.charsetInContent(value) {
                        charset = found
                        needPragma = true
                    }
                } else if name.elementsEqual("charset".utf8) {
                    if charset == nil, !charsetFailed {
                        charset = WebEncoding(label: String(decoding: value, as: UTF8.self))
                        if charset == nil { charsetFailed = true }
                        needPragma = false
                    }
                }
            }
        }
        guard let needPragma, needPragma == false || gotPragma, var charset else { return .none }
        if charset == .utf16BE || charset == .utf16LE { charset = .utf8 }
        if charset == .xUserDefined { charset = .windows1252 }
        return .found(charset)
    }

    enum AttributeResult { case attribute, none, endOfInput }

    /// The standard's "get an attribute": reads one name/value pair into `name`/`value`
    /// (ASCII-lowercased), or reports that the tag ended ('>') or the input ran out.
    mutating func attribute() -> AttributeResult {
        name.removeAll(keepingCapacity: true)
        value.removeAll(keepingCapacity: true)
        while let b = at(position), Self.isSpaceOrSlash(b) { position += 1 }
        guard let first = at(position) else { return .endOfInput }
        if first == 0x3E { return .none }
        // Name.
        while true {
            guard let b = at(position) else { return .endOfInput }
            if b == 0x3D, !name.isEmpty { position += 1; return attributeValue() }
            if WebEncoding.isASCIIWhitespace(b) { break }
            if b == 0x2F || b == 0x3E { return .attribute }
            append(&name, b)
            position += 1
        }
        // Spaces, then maybe '='.
        while let b = at(position), WebEncoding.isASCIIWhitespace(b) { position += 1 }
        guard let b = at(position) else { return .endOfInput }
        if b != 0x3D { return .attribute }
        position += 1
        return attributeValue()
    }

    private mutating func attributeValue() -> AttributeResult {
        while let b = at(position), WebEncoding.isASCIIWhitespace(b) { position += 1 }
        guard let first = at(position) else { return .endOfInput }
        if first == 0x22 || first == 0x27 {
            while true {
                position += 1
                guard let b = at(position) else { return .endOfInput }
                if b == first { position += 1; return .attribute }
                append(&value, b)
            }
        }
        if first == 0x3E { return .attribute }
        append(&value, first)
        position += 1
        while true {
            guard let b = at(position) else { return .endOfInput }
            if WebEncoding.isASCIIWhitespace(b) || b == 0x3E { return .attribute }
            append(&value, b)
            position += 1
        }
    }

    @inline(__always) private func append(_ buffer: inout [UInt8], _ byte: UInt8) {
        if buffer.count < Self.maxAttribute { buffer.append(Self.lower(byte)) }
    }

    /// The standard's "extracting a character encoding from a meta element" on a (lowercased)
    /// content value such as `text/html; charset=euc-jp`.
    static func charsetInContent(_ content: [UInt8]) -> WebEncoding? {
        let n = content.count
        var position = 0
        let word = Array("charset".utf8)
        while true {
            // Find "charset" at or after position.
            var i = position
            var found = -1
            while i + word.count <= n {
                if content[i..<(i + word.count)].elementsEqual(word) { found = i; break }
                i += 1
            }
            if found < 0 { return nil }
            var j = found + word.count
            while j < n, WebEncoding.isASCIIWhitespace(content[j]) { j += 1 }
            guard j < n, content[j] == 0x3D else { position = j; continue }
            j += 1
            while j < n, WebEncoding.isASCIIWhitespace(content[j]) { j += 1 }
            guard j < n else { return nil }
            if content[j] == 0x22 || content[j] == 0x27 {
                let quote = content[j]
                guard let close = content[(j + 1)...].firstIndex(of: quote) else { return nil }
                return WebEncoding(label: String(decoding: content[(j + 1)..<close], as: UTF8.self))
            }
            var k = j
            while k < n, !WebEncoding.isASCIIWhitespace(content[k]), content[k] != 0x3B { k += 1 }
            return WebEncoding(label: String(decoding: content[j..<k], as: UTF8.self))
        }
    }
}
