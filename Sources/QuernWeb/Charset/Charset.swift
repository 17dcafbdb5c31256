import CICU
#if canImport(Glibc)
import Glibc
#endif

/// What the charset step decided for one page, and how it went.
public struct CharsetDecision: Sendable, Equatable, CustomStringConvertible {
    /// Where the encoding came from.
    public enum Source: String, Sendable {
        /// A byte order mark (UTF-8, UTF-16LE, UTF-16BE).
        case bom
        /// The `charset` parameter of the HTTP Content-Type.
        case http
        /// `<meta charset>` or `<meta http-equiv=Content-Type>` in the first 1024 bytes.
        case meta
        /// The bytes are valid UTF-8 (nothing was declared, or a declaration was overruled).
        case utf8
        /// ICU's charset detector.
        case detected
        /// Nothing usable: windows-1252, the web's default.
        case `default`
        /// The caller named the encoding (`decode(_:label:into:)`).
        case label
    }

    public var encoding: WebEncoding
    public var source: Source
    /// A declaration (HTTP or meta) that was overruled because the bytes plainly contradict it.
    public var overruled: WebEncoding?
    /// Bytes of byte order mark at the start of the input (not part of the text).
    public var bomLength: Int
    /// ICU's confidence (0-100) when `source` is `.detected`, else 0.
    public var confidence: Int
    /// True when the text is exactly the input after the BOM: valid UTF-8 that needs no
    /// conversion. A caller may then use its own bytes instead of a copy.
    public var isPassThrough: Bool
    /// U+FFFD substituted for ill-formed or unmappable input (set by decoding; 0 after `decide`).
    public var replacements: Int

    public var description: String {
        var text = "\(encoding.name) (\(source.rawValue)"
        if let overruled { text += ", declared \(overruled.name) overruled" }
        if source == .detected { text += ", confidence \(confidence)" }
        text += ")"
        if replacements > 0 { text += ", \(replacements) replacement\(replacements == 1 ? "" : "s")" }
        return text
    }
}

/// ICU could not open a converter or failed while converting (both mean a broken ICU
/// installation or data, never bad input: bad input becomes U+FFFD).
public struct CharsetError: Error, CustomStringConvertible, Sendable {
    public var encoding: String
    public var operation: String
    public var icuCode: Int32
    public var description: String { "ICU \(operation) for \(encoding) failed (UErrorCode \(icuCode))" }
}

/// Turns a page's bytes into valid UTF-8.
///
/// Order of evidence: a byte order mark; the HTTP Content-Type charset; the HTML prescan of the
/// first 1024 bytes for `<meta>`; then the bytes themselves: valid UTF-8 is UTF-8, anything else
/// goes to ICU's detector, and windows-1252 when that finds nothing usable.
///
/// Declarations that the bytes plainly contradict are overruled (browsers follow declarations
/// blindly; trafilatura ignores them and trusts UTF-8 validity, then a detector):
/// - declared a legacy encoding (windows-1252, Shift_JIS, ISO-2022-JP, ...) but the bytes are
///   valid UTF-8 and not pure ASCII: UTF-8. Legacy text with non-ASCII letters is almost never
///   valid UTF-8 by accident (an "é" in windows-1252 is a lone 0xE9; ISO-2022 has no high bytes
///   at all), while UTF-8 pages mislabelled by a template or server default are common.
/// - declared UTF-16 (only HTTP can: a meta's UTF-16 means UTF-8) without a BOM, but the bytes
///   are valid UTF-8 with no NUL byte: UTF-8 (UTF-16 markup is full of NUL bytes).
/// - declared UTF-8 but the bytes hold more ill-formed sequences than well-formed multi-byte
///   ones: the page is in a legacy encoding, so detection decides (windows-1252 by default).
///   With fewer errors the page stays UTF-8 and the errors become U+FFFD.
/// Every other declaration is followed, and what does not map becomes U+FFFD.
///
/// One decoder keeps ICU converters open (opening one costs far more than a page) and is not
/// thread-safe: use one per worker thread, or the `Charset` functions, which keep one per thread.
public final class CharsetDecoder {
    private var converters: [WebEncoding: OpaquePointer] = [:]
    private var detector: OpaquePointer?

    public init() {}

    deinit {
        for converter in converters.values { quern_icu_converter_close(converter) }
        if let detector { quern_icu_detector_close(detector) }
    }

    // MARK: deciding

    /// Decides the encoding of an HTML page without converting it.
    public func decide(_ bytes: UnsafeBufferPointer<UInt8>, contentType: String?) -> CharsetDecision {
        func decision(_ encoding: WebEncoding, _ source: CharsetDecision.Source, bom: Int = 0,
                      passThrough: Bool = false, overruled: WebEncoding? = nil) -> CharsetDecision {
            CharsetDecision(encoding: encoding, source: source, overruled: overruled, bomLength: bom,
                            confidence: 0, isPassThrough: passThrough, replacements: 0)
        }
        if let (encoding, length) = Self.byteOrderMark(bytes) {
            let rest = UnsafeBufferPointer(rebasing: bytes[length...])
            return decision(encoding, .bom, bom: length,
                            passThrough: encoding == .utf8 && UTF8Validation.isValid(rest))
        }
        var declared: (WebEncoding, CharsetDecision.Source)? = nil
        if let contentType, let encoding = CharsetDeclaration.fromContentType(contentType) {
            declared = (encoding, .http)
        } else if let encoding = CharsetDeclaration.prescan(bytes) {
            declared = (encoding, .meta)
        }
        let profile = Self.profile(bytes)

        if let (encoding, source) = declared {
            switch encoding {
            case .utf8:
                if profile == .ascii || profile == .utf8 { return decision(.utf8, source, passThrough: true) }
                if !Self.mostlyUTF8(bytes) {
                    var detected = detect(bytes, excludingUTF8: true)
                    detected.overruled = .utf8
                    return detected
                }
                return decision(.utf8, source)
            case .utf16LE, .utf16BE:
                if profile != .invalid, !Self.containsNUL(bytes) {
                    return decision(.utf8, .utf8, passThrough: true, overruled: encoding)
                }
                return decision(encoding, source)
            default:
                if profile == .ascii, encoding.isASCIICompatible { return decision(encoding, source, passThrough: true) }
                if profile == .utf8 { return decision(.utf8, .utf8, passThrough: true, overruled: encoding) }
                return decision(encoding, source)
            }
        }
        switch profile {
        case .ascii:
            // Pure ASCII is UTF-8, unless it carries ISO-2022 escapes: let ICU look then.
            if Self.hasStatefulEscapes(bytes) {
                let detected = detect(bytes, excludingUTF8: false)
                if !detected.encoding.isASCIICompatible { return detected }
            }
            return decision(.utf8, .utf8, passThrough: true)
        case .utf8:
            return decision(.utf8, .utf8, passThrough: true)
        case .invalid:
            return detect(bytes, excludingUTF8: false)
        }
    }

    /// ICU's guess for bytes that are not valid UTF-8; windows-1252 (`.default`) when ICU finds
    /// nothing, names a charset the web does not use (EBCDIC, UTF-32) or, with `excludingUTF8`,
    /// says UTF-8.
    public func detect(_ bytes: UnsafeBufferPointer<UInt8>, excludingUTF8: Bool) -> CharsetDecision {
        var result = CharsetDecision(encoding: .windows1252, source: .default, overruled: nil, bomLength: 0,
                                     confidence: 0, isPassThrough: false, replacements: 0)
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return result }
        if detector == nil {
            var error: Int32 = 0
            detector = quern_icu_detector_open(&error)
            guard detector != nil else { return result }
        }
        // ICU reads only the first 8000 bytes that survive its markup filter, and head sections
        // (scripts, styles) are ASCII: start the sample at the '<' before the first non-ASCII
        // byte. Not where NUL bytes are about (UTF-16 without BOM): keep the alignment there.
        var start = 0
        if !Self.containsNUL(UnsafeBufferPointer(rebasing: bytes[..<min(bytes.count, 1024)])) {
            let firstHigh = Self.firstNonASCII(bytes)
            if firstHigh < bytes.count {
                var i = firstHigh
                while i > 0, base[i &- 1] != 0x3C { i &-= 1 }
                start = i > 0 ? i &- 1 : 0
            }
        }
        // ICU's cost grows with the raw bytes it is handed, not only with the 8000 it keeps (on a
        // 31 KB Japanese page: 2.7 ms whole, 0.76 ms for 8 KB, same answer), so it gets 8 KB.
        let length = min(bytes.count &- start, Self.detectionWindow)
        var confidence: Int32 = 0, error: Int32 = 0
        guard let name = quern_icu_detect(detector, base + start, Int64(length), 1,
                                          &confidence, &error),
              let encoding = WebEncoding(label: String(cString: name)),
              !(excludingUTF8 && encoding == .utf8)
        else { return result }
        result.encoding = encoding
        result.source = .detected
        result.confidence = Int(confidence)
        return result
    }

    // MARK: decoding

    /// Decides the encoding of an HTML page (`contentType`: the HTTP Content-Type value, if the
    /// page came with one) and appends its text as valid UTF-8 to `output` (the BOM dropped).
    @discardableResult
    public func decodeHTML(_ bytes: UnsafeBufferPointer<UInt8>, contentType: String?,
                           into output: inout [UInt8]) throws -> CharsetDecision {
        var decision = decide(bytes, contentType: contentType)
        let text = UnsafeBufferPointer(rebasing: bytes[decision.bomLength...])
        if decision.isPassThrough {
            output.append(contentsOf: text)
        } else {
            decision.replacements = try decode(text, encoding: decision.encoding, into: &output)
        }
        return decision
    }

    /// Appends `bytes` in the encoding a label names (a WHATWG label: "latin1", "sjis", ...) to
    /// `output` as UTF-8; nil (nothing appended) when the label is unknown. A BOM is not looked at.
    public func decode(_ bytes: UnsafeBufferPointer<UInt8>, label: String,
                       into output: inout [UInt8]) throws -> CharsetDecision? {
        guard let encoding = WebEncoding(label: label) else { return nil }
        let replacements = try decode(bytes, encoding: encoding, into: &output)
        return CharsetDecision(encoding: encoding, source: .label, overruled: nil, bomLength: 0, confidence: 0,
                               isPassThrough: false, replacements: replacements)
    }

    /// Appends `bytes` decoded from `encoding` to `output` as valid UTF-8. Ill-formed or
    /// unmappable input becomes U+FFFD; returns how many were substituted.
    @discardableResult
    public func decode(_ bytes: UnsafeBufferPointer<UInt8>, encoding: WebEncoding,
                       into output: inout [UInt8]) throws -> Int {
        switch encoding {
        case .utf8: return UTF8Repair.append(bytes, to: &output)
        case .windows1252: SingleByteTable.windows1252.append(bytes, to: &output); return 0
        case .xUserDefined: SingleByteTable.xUserDefined.append(bytes, to: &output); return 0
        case .iso8859_16: SingleByteTable.iso8859_16.append(bytes, to: &output); return 0
        default: return try convert(bytes, encoding: encoding, into: &output)
        }
    }

    private func converter(for encoding: WebEncoding) throws -> OpaquePointer {
        if let open = converters[encoding] {
            quern_icu_converter_reset(open)
            return open
        }
        let name = encoding.icuName ?? encoding.name
        var error: Int32 = 0
        guard let converter = quern_icu_converter_open(name, &error) else {
            throw CharsetError(encoding: name, operation: "opening a converter", icuCode: error)
        }
        converters[encoding] = converter
        return converter
    }

    private func convert(_ bytes: UnsafeBufferPointer<UInt8>, encoding: WebEncoding,
                         into output: inout [UInt8]) throws -> Int {
        let converter = try converter(for: encoding)
        guard let base = bytes.baseAddress else { return 0 }
        var consumed = 0
        var substitutions: Int64 = 0
        // Output grows by a bound on what the rest of the input can produce (3 UTF-8 bytes per
        // input byte: a byte or a pair never makes more than one BMP character; a 4-byte UTF-8
        // character takes 4 input bytes), the converter writes into it, and the rest is cut.
        while true {
            let room = 3 &* (bytes.count &- consumed) &+ 64
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: room))
            var taken: Int64 = 0, error: Int32 = 0
            let written = output.withUnsafeMutableBufferPointer { out in
                quern_icu_converter_to_utf8(converter, base + consumed, Int64(bytes.count &- consumed), &taken,
                                            out.baseAddress! + start, Int64(room), 1, &substitutions, &error)
            }
            if written < 0 {
                output.removeLast(room)
                throw CharsetError(encoding: encoding.icuName ?? encoding.name, operation: "conversion",
                                   icuCode: error)
            }
            output.removeLast(room &- Int(written))
            consumed &+= Int(taken)
            if consumed == bytes.count, Int(written) < room { break }
        }
        return Int(substitutions)
    }

    /// Raw bytes handed to ICU's detector, from just before the first non-ASCII byte.
    static let detectionWindow = 8192

    // MARK: byte tests

    static func byteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> (WebEncoding, Int)? {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { return (.utf8, 3) }
        if bytes.count >= 2, bytes[0] == 0xFE, bytes[1] == 0xFF { return (.utf16BE, 2) }
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xFE { return (.utf16LE, 2) }
        return nil
    }

    enum Profile { case ascii, utf8, invalid }

    /// Pure ASCII, valid UTF-8 with non-ASCII characters, or not UTF-8.
    static func profile(_ bytes: UnsafeBufferPointer<UInt8>) -> Profile {
        let first = firstNonASCII(bytes)
        if first == bytes.count { return .ascii }
        return UTF8Validation.isValid(UnsafeBufferPointer(rebasing: bytes[first...])) ? .utf8 : .invalid
    }

    /// Index of the first byte ≥ 0x80 (`bytes.count` when none): eight bytes per step, one mask
    /// test each, then the byte within the word.
    static func firstNonASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        var i = 0
        while i &+ 8 <= count {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            let high = word & 0x8080_8080_8080_8080
            if high != 0 { return i &+ (UInt64(littleEndian: high).trailingZeroBitCount >> 3) }
            i &+= 8
        }
        while i < count, base[i] < 0x80 { i &+= 1 }
        return i
    }

    static func containsNUL(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        return memchr(base, 0, bytes.count) != nil
    }

    /// ESC followed by '$' or '(' (an ISO-2022 designation). memchr finds each ESC, so ASCII
    /// pages without one cost a single vectorised scan.
    static func hasStatefulEscapes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var i = 0
        while i < bytes.count, let hit = memchr(base + i, 0x1B, bytes.count &- i) {
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if at &+ 1 < bytes.count, base[at &+ 1] == 0x24 || base[at &+ 1] == 0x28 { return true }
            i = at &+ 1
        }
        return false
    }

    /// Declared UTF-8 that is not valid: true while ill-formed sequences do not outnumber the
    /// well-formed multi-byte ones (a UTF-8 page with some damage, not a legacy page).
    static func mostlyUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let counts = UTF8Repair.count(bytes)
        return counts.invalid <= counts.multiByte
    }
}

/// The process-wide entry points: each thread gets its own `CharsetDecoder` (kept until the
/// thread ends), so these may be called from any number of threads at once.
public enum Charset {
    /// See `CharsetDecoder.decodeHTML`.
    @discardableResult
    public static func decodeHTML(_ bytes: UnsafeBufferPointer<UInt8>, contentType: String?,
                                  into output: inout [UInt8]) throws -> CharsetDecision {
        try threadDecoder().decodeHTML(bytes, contentType: contentType, into: &output)
    }

    /// See `CharsetDecoder.decide`.
    public static func decide(_ bytes: UnsafeBufferPointer<UInt8>, contentType: String?) -> CharsetDecision {
        threadDecoder().decide(bytes, contentType: contentType)
    }

    /// See `CharsetDecoder.decode(_:label:into:)`.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, label: String,
                              into output: inout [UInt8]) throws -> CharsetDecision? {
        try threadDecoder().decode(bytes, label: label, into: &output)
    }

    /// See `CharsetDecoder.decode(_:encoding:into:)`.
    @discardableResult
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, encoding: WebEncoding,
                              into output: inout [UInt8]) throws -> Int {
        try threadDecoder().decode(bytes, encoding: encoding, into: &output)
    }

    /// This thread's decoder, made on first use and released by the thread-exit destructor.
    static func threadDecoder() -> CharsetDecoder {
        if let stored = pthread_getspecific(decoderKey) {
            return Unmanaged<CharsetDecoder>.fromOpaque(stored).takeUnretainedValue()
        }
        let decoder = CharsetDecoder()
        pthread_setspecific(decoderKey, Unmanaged.passRetained(decoder).toOpaque())
        return decoder
    }

    private static let decoderKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { stored in
            if let stored { Unmanaged<CharsetDecoder>.fromOpaque(stored).release() }
        }
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()
}
