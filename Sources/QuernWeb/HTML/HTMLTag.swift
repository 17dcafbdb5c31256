/// The element names the extractor distinguishes; everything else is `.other` (treated as an
/// inline element) and custom elements (`<my-widget>`) are `.custom` (treated as containers).
public enum HTMLTag: UInt8, Sendable, CaseIterable {
    case other, custom
    // document
    case html, head, body, title, meta, link, base, style, script, noscript, template
    // sections and boilerplate containers
    case article, main, section, div, nav, header, footer, aside, menu, form, address, center
    case dialog, details, summary, figure, figcaption, fieldset, legend, hgroup, search
    // text blocks
    case p, h1, h2, h3, h4, h5, h6, blockquote, pre, ul, ol, li, dl, dt, dd, hr, br
    case table, caption, thead, tbody, tfoot, tr, td, th, colgroup, col
    // inline
    case a, span, b, i, em, strong, u, s, small, sub, sup, code, time, font, abbr, cite, q, mark
    case label, img, picture, source, video, audio, track, embed, object, param, canvas, map, area
    case wbr, input, button, select, option, optgroup, textarea, output, progress, meter, datalist
    case iframe, frame, frameset, noframes, svg, math, xmp, plaintext, noembed, keygen, portal

    /// Lowercase name for each case (used to build the lookup table and in tests).
    public var name: String { String(describing: self) }

    /// Elements that never have content or an end tag.
    public var isVoid: Bool {
        switch self {
        case .meta, .link, .base, .hr, .br, .col, .img, .source, .track, .embed, .param, .area,
             .wbr, .input, .keygen, .frame:
            return true
        default: return false
        }
    }

    /// Elements whose content the tokenizer passes through as raw text up to the matching end tag.
    public var isRawText: Bool {
        switch self {
        case .script, .style, .textarea, .title, .xmp, .iframe, .noembed, .noframes, .plaintext:
            return true
        default: return false
        }
    }

    /// Elements whose whole subtree is never text content.
    public var isDropped: Bool {
        switch self {
        case .head, .script, .style, .template, .iframe, .svg, .math, .canvas, .object,
             .embed, .button, .select, .option, .optgroup, .textarea, .datalist, .input, .video,
             .audio, .map, .frameset, .noframes, .noembed, .dialog, .progress, .meter, .output,
             .xmp, .plaintext, .portal, .picture, .figcaption:
            return true
        default: return false
        }
    }

    /// Elements that start a new text block (a line break in the output) when they open or close.
    public var isBlock: Bool {
        switch self {
        case .html, .body, .article, .main, .section, .div, .nav, .header, .footer, .aside, .menu,
             .form, .address, .center, .details, .summary, .figure, .figcaption, .fieldset, .legend,
             .hgroup, .search, .p, .h1, .h2, .h3, .h4, .h5, .h6, .blockquote, .pre, .ul, .ol, .li,
             .dl, .dt, .dd, .hr, .table, .caption, .thead, .tbody, .tfoot, .tr, .td, .th, .custom,
             .title, .dialog, .frameset, .noscript:
            return true
        default: return false
        }
    }

    /// Block elements whose start implies the end of an open `<p>` (WHATWG "close a p element").
    var closesParagraph: Bool {
        switch self {
        case .address, .article, .aside, .blockquote, .center, .details, .dialog, .div, .dl,
             .fieldset, .figcaption, .figure, .footer, .form, .header, .hgroup, .main, .menu, .nav,
             .ol, .p, .search, .section, .summary, .ul, .h1, .h2, .h3, .h4, .h5, .h6, .pre, .table,
             .hr, .li, .dd, .dt:
            return true
        default: return false
        }
    }

    /// Block elements that hold text rather than other blocks.
    var isTextBlock: Bool {
        switch self {
        case .p, .h1, .h2, .h3, .h4, .h5, .h6, .li, .pre, .blockquote, .dt, .dd, .caption, .address,
             .summary, .legend, .th:
            return true
        default: return false
        }
    }

    var isHeading: Bool { rawValue >= HTMLTag.h1.rawValue && rawValue <= HTMLTag.h6.rawValue }

    /// Looks up a tag name given as bytes (any case). Names are packed into one UInt64 key: up to
    /// eight lowercased bytes, or for longer names the first seven plus the length with the high
    /// bit set (names are ASCII, so the two forms never collide).
    @inline(__always)
    static func lookup(_ name: UnsafePointer<UInt8>, _ length: Int) -> HTMLTag {
        if length == 0 || length > 12 { return .other }
        var key: UInt64 = 0
        var hyphen = false
        let packed = length <= 8 ? length : 7
        var k = 0
        while k < packed {
            var c = name[k]
            if c >= 65 && c <= 90 { c |= 0x20 }
            if c == UInt8(ascii: "-") { hyphen = true }
            key |= UInt64(c) << (UInt64(k) &* 8)
            k &+= 1
        }
        if length > 8 {
            key |= UInt64(0x80 | length) << 56
            while k < length { if name[k] == UInt8(ascii: "-") { hyphen = true }; k &+= 1 }
        }
        if let tag = lookupTable[key] {
            if length <= 8 { return tag }
            // Long names share a key with any name of the same length and first seven bytes:
            // compare the rest.
            let full = nameBytes[Int(tag.rawValue)]
            if full.count == length {
                var j = 7
                while j < length && (name[j] | (name[j] >= 65 && name[j] <= 90 ? 0x20 : 0)) == full[j] { j &+= 1 }
                if j == length { return tag }
            }
        }
        return hyphen ? .custom : .other
    }

    static func key(_ name: String) -> UInt64 {
        let bytes = Array(name.utf8)
        var key: UInt64 = 0
        let packed = bytes.count <= 8 ? bytes.count : 7
        for k in 0..<packed { key |= UInt64(bytes[k]) << (UInt64(k) * 8) }
        if bytes.count > 8 { key |= UInt64(0x80 | bytes.count) << 56 }
        return key
    }

    private static let nameBytes: [[UInt8]] = HTMLTag.allCases.map { Array($0.name.utf8) }

    private static let lookupTable = HTMLKeyTable<HTMLTag>(
        HTMLTag.allCases.filter { $0 != .other && $0 != .custom }.map { (key($0.name), $0) })
}
