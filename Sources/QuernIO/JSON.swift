// JSON over UTF-8 bytes: values, a parser and a compact serializer.
//
// The parser works on `UnsafeBufferPointer<UInt8>` directly (no Foundation, no String scanning).
// It is iterative, so a hostile input cannot exhaust the stack however deep it nests; the depth
// limit exists to bound memory and to refuse nonsense early. Strings without escapes, which is
// nearly every string in a corpus, become a `String` with one `String(decoding:as:)` over the
// input slice; strings with escapes are unescaped once into a reused scratch buffer.

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Values

/// A JSON number kept as its exact source text, so that reading and writing a record never
/// changes it (`1.0` stays `1.0`, `1e400` stays `1e400`, 30-digit integers keep every digit).
///
/// Two numbers are equal when their texts are equal: `1.0` and `1` are different numbers here.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as it appears in JSON, e.g. `-0`, `12.50`, `6.02e23`.
    public let text: String

    /// A number from JSON text; nil unless `text` is exactly one valid JSON number.
    public init?(_ text: String) {
        var copy = text
        let valid = copy.withUTF8 { bytes -> Bool in
            guard let base = bytes.baseAddress else { return false }
            return JSONParser.numberEnd(base, from: 0, end: bytes.count) == bytes.count
        }
        guard valid else { return nil }
        self.text = text
    }

    /// A number from an integer.
    public init(_ value: some BinaryInteger) { text = String(value) }

    /// A number from a Double, written in Swift's shortest round-tripping form; nil for infinities
    /// and NaN, which JSON cannot represent.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        // Swift prints integral values as "1.0" and large ones as "1e+22": both valid JSON.
        text = value.description
    }

    init(validatedText text: String) { self.text = text }

    /// The nearest Double (±infinity when out of range, as strtod gives).
    public var double: Double { Double(text) ?? .nan }

    /// The value as an Int when the text is an integer (no fraction or exponent) that fits.
    public var int: Int? { Int(text) }

    /// True when the text has no fraction and no exponent.
    public var isInteger: Bool { !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") } }

    public var description: String { text }
}

/// One JSON object: its members in their original order, duplicates included.
///
/// Lookup by key is a linear scan from the end (the last duplicate wins, as in Python's `json`);
/// the objects in corpus records have a handful of keys, for which this beats hashing.
public struct JSONObject: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    /// The members in order.
    public var fields: [Element]

    public init() { fields = [] }
    public init(_ fields: [Element]) { self.fields = fields }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        fields = elements.map { (key: $0.0, value: $0.1) }
    }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> Element { fields[position] }

    /// The keys in order (duplicates included).
    public var keys: [String] { fields.map(\.key) }

    /// Index of the last member named `key`.
    public func lastIndex(forKey key: String) -> Int? {
        var i = fields.count
        while i > 0 {
            i -= 1
            if utf8Equal(fields[i].key, key) { return i }
        }
        return nil
    }

    /// The value of the last member named `key`. Setting replaces that member in place (or appends
    /// a new one); setting nil removes every member with that key.
    public subscript(key: String) -> JSONValue? {
        get { lastIndex(forKey: key).map { fields[$0].value } }
        set {
            if let newValue {
                if let i = lastIndex(forKey: key) { fields[i].value = newValue } else { fields.append((key, newValue)) }
            } else {
                removeAll(forKey: key)
            }
        }
    }

    /// Appends a member (even when the key is already present).
    public mutating func append(_ key: String, _ value: JSONValue) { fields.append((key, value)) }

    /// Removes every member named `key`.
    public mutating func removeAll(forKey key: String) { fields.removeAll { utf8Equal($0.key, key) } }

    /// Keys and values compare by their UTF-8 bytes, in order.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.fields.count == b.fields.count else { return false }
        for (x, y) in zip(a.fields, b.fields) where !utf8Equal(x.key, y.key) || x.value != y.value {
            return false
        }
        return true
    }
}

/// A JSON value. Numbers keep their source text; objects keep member order.
///
/// Equality is structural and exact: strings compare by UTF-8 bytes (not by Unicode canonical
/// equivalence as Swift's `String ==` does), numbers by text, objects by members in order.
public enum JSONValue: Sendable, Equatable, CustomStringConvertible,
    ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    /// Non-finite literals (which JSON cannot hold) become null.
    public init(floatLiteral value: Double) { self = JSONNumber(value).map(JSONValue.number) ?? .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }

    /// Parses one JSON value; anything but whitespace after it is an error.
    public init(parsing bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONError) {
        var parser = JSONParser(maxDepth: maxDepth)
        self = try parser.parse(bytes)
    }

    /// Parses one JSON value from the UTF-8 of `text`.
    public init(parsing text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONError) {
        var parser = JSONParser(maxDepth: maxDepth)
        var text = text
        let result = text.withUTF8 { parser.parseCatching($0) }
        self = try result.get()
    }

    /// Parses one JSON value from bytes.
    public init(parsing bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONError) {
        var parser = JSONParser(maxDepth: maxDepth)
        let result = bytes.withUnsafeBufferPointer { parser.parseCatching($0) }
        self = try result.get()
    }

    // MARK: Accessors

    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var numberValue: JSONNumber? { if case .number(let n) = self { return n } else { return nil } }
    /// The number as a Double (nil for non-numbers).
    public var doubleValue: Double? { numberValue?.double }
    /// The number as an Int when it is an integer that fits (nil otherwise).
    public var intValue: Int? { numberValue?.int }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }

    /// The member named `key` of an object (nil for other values or when absent).
    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// The element at `index` of an array (nil for other values or out of range).
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let a) = self, a.indices.contains(index) else { return nil }
        return a[index]
    }

    // MARK: Serialization

    /// Compact JSON (no spaces), minimal escapes, non-ASCII as raw UTF-8.
    public var description: String { serialized() }

    /// Compact JSON (no spaces), minimal escapes, non-ASCII as raw UTF-8.
    public func serialized() -> String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the compact JSON of this value to `out`.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: JSONBytes.null)
        case .bool(let b): out.append(contentsOf: b ? JSONBytes.true : JSONBytes.false)
        case .number(let n): JSONValue.appendUTF8(of: n.text, to: &out)
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for i in a.indices {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                a[i].write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o): JSONValue.writeObject(o, to: &out)
        }
    }

    /// Appends `{"key":value,...}` for the members of `object`.
    public static func writeObject(_ object: JSONObject, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        let fields = object.fields
        for i in fields.indices {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            writeString(fields[i].key, to: &out)
            out.append(UInt8(ascii: ":"))
            fields[i].value.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `s` as a JSON string: `"` and `\` escaped, \n \r \t \b \f as two-character escapes,
    /// other control characters as \u00XX, everything else (non-ASCII included) as raw UTF-8.
    public static func writeString(_ s: String, to out: inout [UInt8]) {
        // Native and small strings expose their UTF-8 in place (no copy, no retain).
        if s.utf8.withContiguousStorageIfAvailable({ writeString(bytes: $0, to: &out) }) == nil {
            var s = s
            s.withUTF8 { writeString(bytes: $0, to: &out) }
        }
    }

    /// Appends the UTF-8 of `s` as it is.
    static func appendUTF8(of s: String, to out: inout [UInt8]) {
        if s.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil {
            out.append(contentsOf: s.utf8)
        }
    }

    /// As `writeString(_:to:)` for UTF-8 bytes. Runs that need no escape are copied in one go.
    public static func writeString(bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        guard let base = bytes.baseAddress else { out.append(UInt8(ascii: "\"")); return }
        let end = bytes.count
        var runStart = 0
        var i = 0
        while true {
            i = JSONParser.scanPlainString(base, from: i, end: end)
            if i == end { break }
            if i > runStart { out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i &- runStart)) }
            let b = base[i]
            out.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(JSONBytes.hexDigits[Int(b >> 4)])
                out.append(JSONBytes.hexDigits[Int(b & 15)])
            }
            i &+= 1
            runStart = i
        }
        if end > runStart { out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: end &- runStart)) }
        out.append(UInt8(ascii: "\""))
    }

    /// Structural equality; strings by UTF-8 bytes.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return utf8Equal(x.text, y.text)
        case (.string(let x), .string(let y)): return utf8Equal(x, y)
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }
}

/// True when two strings have the same UTF-8 bytes (Swift's `==` also equates canonically
/// equivalent strings, such as precomposed and decomposed "é"; JSON keys and texts must not).
@inline(__always)
func utf8Equal(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    let fast = a.utf8.withContiguousStorageIfAvailable { pa in
        b.utf8.withContiguousStorageIfAvailable { pb in
            pa.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0
        }
    }
    if let fast, let result = fast { return result }
    return a.utf8.elementsEqual(b.utf8)
}

/// True when any lane of `mask` is set. Swift's `any(_:)` sometimes compiles to an out-of-line
/// generic reduction (a call and register spills in the middle of a hot loop); as two UInt64 words
/// it is a couple of instructions.
@inline(__always)
func anyLane(_ mask: SIMDMask<SIMD16<Int8>>) -> Bool {
    let lanes = SIMD16<UInt8>(repeating: 0).replacing(with: 0xFF, where: mask)
    let words = unsafeBitCast(lanes, to: SIMD2<UInt64>.self)
    return words[0] | words[1] != 0
}

enum JSONBytes {
    static let null = Array("null".utf8)
    static let `true` = Array("true".utf8)
    static let `false` = Array("false".utf8)
    static let hexDigits = Array("0123456789abcdef".utf8)
}

// MARK: - Errors

/// Why some bytes are not the JSON (or the record) expected, and where.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte position in the parsed input (0-based) where the problem was found.
    public var offset: Int
    /// What was expected and what was found.
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "at byte \(offset): \(message)" }
}

// MARK: - Parser

/// A reusable JSON parser. Keep one per thread and call `parse` repeatedly: its scratch buffer
/// and container stacks are kept between calls, so parsing a stream of records allocates only
/// the values it returns.
public struct JSONParser {
    /// Containers nested deeper than this are refused.
    public static let defaultMaxDepth = 512

    public let maxDepth: Int

    // Input of the current parse.
    private var base: UnsafePointer<UInt8> = UnsafePointer(bitPattern: 1)!
    private var end = 0
    private var pos = 0

    // Unescaped bytes of the current string (only for strings that contain escapes).
    private var scratch: [UInt8] = []

    // Open containers, innermost last. Each gathers its own elements (or members, with the key
    // of the member being parsed), which become its value when it closes: values are moved, never
    // copied. Iterative, so nesting costs heap, not stack.
    private struct Frame {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [JSONObject.Element] = []
        var key = ""
    }
    private var frames: [Frame] = []

    public init(maxDepth: Int = JSONParser.defaultMaxDepth) {
        self.maxDepth = max(1, maxDepth)
    }

    /// Parses `bytes` as exactly one JSON value surrounded by optional whitespace.
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> JSONValue {
        guard let start = bytes.baseAddress, bytes.count > 0 else {
            throw JSONError(offset: 0, message: "expected a JSON value, found end of input")
        }
        base = start
        end = bytes.count
        pos = 0
        frames.removeAll(keepingCapacity: true)
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if pos < end {
            throw JSONError(offset: pos, message: "expected end of input after the JSON value, found \(describe(pos))")
        }
        return value
    }

    /// `parse` as a Result, for use inside non-throwing closures.
    mutating func parseCatching(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONError> {
        do throws(JSONError) { return .success(try parse(bytes)) } catch { return .failure(error) }
    }

    // MARK: Values

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        while true {
            // A value starts at `pos` (whitespace already skipped).
            guard pos < end else { throw JSONError(offset: pos, message: "expected a JSON value, found end of input") }
            var value: JSONValue
            switch base[pos] {
            case UInt8(ascii: "{"):
                try enterContainer()
                pos &+= 1
                skipWhitespace()
                if pos < end && base[pos] == UInt8(ascii: "}") {
                    pos &+= 1
                    value = .object(JSONObject())
                } else {
                    frames.append(Frame(isObject: true))
                    frames[frames.count &- 1].key = try parseKey()
                    continue
                }
            case UInt8(ascii: "["):
                try enterContainer()
                pos &+= 1
                skipWhitespace()
                if pos < end && base[pos] == UInt8(ascii: "]") {
                    pos &+= 1
                    value = .array([])
                } else {
                    frames.append(Frame(isObject: false))
                    continue
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral(JSONBytes.true)
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral(JSONBytes.false)
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral(JSONBytes.null)
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            default:
                throw JSONError(offset: pos, message: "expected a JSON value (object, array, string, number, true, false or null), found \(describe(pos))")
            }

            // `value` is complete: hand it to the open container, closing as many as end here.
            while true {
                let top = frames.count &- 1
                guard top >= 0 else { return value }
                let isObject = frames[top].isObject
                if isObject {
                    frames[top].members.append((frames[top].key, value))
                } else {
                    frames[top].elements.append(value)
                }
                skipWhitespace()
                guard pos < end else {
                    throw JSONError(offset: pos, message: "expected ',' or '\(isObject ? "}" : "]")', found end of input")
                }
                let c = base[pos]
                if c == UInt8(ascii: ",") {
                    pos &+= 1
                    skipWhitespace()
                    if isObject { frames[top].key = try parseKey() }
                    break
                }
                if c == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    pos &+= 1
                    let closed = frames.removeLast()
                    value = isObject ? .object(JSONObject(closed.members)) : .array(closed.elements)
                    continue
                }
                throw JSONError(offset: pos, message: "expected ',' or '\(isObject ? "}" : "]")' after \(isObject ? "an object member" : "an array element"), found \(describe(pos))")
            }
            skipWhitespace()
        }
    }

    private func enterContainer() throws(JSONError) {
        if frames.count >= maxDepth {
            throw JSONError(offset: pos, message: "nesting deeper than \(maxDepth) levels")
        }
    }

    /// An object key and the ':' after it, leaving `pos` at the member's value.
    private mutating func parseKey() throws(JSONError) -> String {
        guard pos < end, base[pos] == UInt8(ascii: "\"") else {
            throw JSONError(offset: pos, message: "expected a string key, found \(pos < end ? describe(pos) : "end of input")")
        }
        let key = try parseString()
        skipWhitespace()
        guard pos < end, base[pos] == UInt8(ascii: ":") else {
            throw JSONError(offset: pos, message: "expected ':' after an object key, found \(pos < end ? describe(pos) : "end of input")")
        }
        pos &+= 1
        skipWhitespace()
        return key
    }

    private mutating func expectLiteral(_ literal: [UInt8]) throws(JSONError) {
        let n = literal.count
        let matches = end &- pos >= n && literal.withUnsafeBufferPointer { memcmp(base + pos, $0.baseAddress!, n) == 0 }
        guard matches else {
            throw JSONError(offset: pos, message: "expected '\(String(decoding: literal, as: UTF8.self))', found \(describe(pos))")
        }
        pos &+= n
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while pos < end {
            let b = base[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos &+= 1
        }
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = pos
        let stop = JSONParser.numberEnd(base, from: pos, end: end)
        if stop < 0 {
            let at = -stop &- 1
            throw JSONError(offset: at, message: "expected a digit in a number, found \(at < end ? describe(at) : "end of input")")
        }
        pos = stop
        return JSONNumber(validatedText: String(decoding: UnsafeBufferPointer(start: base + start, count: stop &- start), as: UTF8.self))
    }

    /// Where the JSON number starting at `from` ends (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`),
    /// or `-(position of the offending byte) - 1` when the bytes there are not a number.
    static func numberEnd(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        @inline(__always) func isDigit(_ i: Int) -> Bool { i < end && base[i] &- UInt8(ascii: "0") < 10 }
        var i = from
        if i < end && base[i] == UInt8(ascii: "-") { i &+= 1 }
        guard isDigit(i) else { return -i &- 1 }
        if base[i] == UInt8(ascii: "0") {
            i &+= 1
        } else {
            while isDigit(i) { i &+= 1 }
        }
        if i < end && base[i] == UInt8(ascii: ".") {
            i &+= 1
            guard isDigit(i) else { return -i &- 1 }
            while isDigit(i) { i &+= 1 }
        }
        if i < end && base[i] | 0x20 == UInt8(ascii: "e") {
            i &+= 1
            if i < end && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i &+= 1 }
            guard isDigit(i) else { return -i &- 1 }
            while isDigit(i) { i &+= 1 }
        }
        return i
    }

    // MARK: Strings

    /// The index of the first byte at or after `from` that a JSON string cannot hold as it is:
    /// `"`, `\` or a control character (< 0x20); `end` when there is none.
    ///
    /// This is the parser's hottest loop (document texts are most of the bytes), so it looks at
    /// 16 bytes per step with SIMD compares against splats hoisted out of the loop, then finds the
    /// exact byte with a scalar loop over at most 16 bytes. `&+` keeps overflow checks out.
    @inline(__always)
    static func scanPlainString(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        let quote = SIMD16<UInt8>(repeating: 0x22)
        let backslash = SIMD16<UInt8>(repeating: 0x5C)
        let space = SIMD16<UInt8>(repeating: 0x20)
        let raw = UnsafeRawPointer(base)
        while i &+ 16 <= end {
            let v = raw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            let special = (v .== quote) .| (v .== backslash) .| (v .< space)
            if anyLane(special) { break }
            i &+= 16
        }
        while i < end {
            let b = base[i]
            if b == 0x22 || b == 0x5C || b < 0x20 { return i }
            i &+= 1
        }
        return end
    }

    /// The string starting at the `"` at `pos`, unescaped; leaves `pos` after its closing quote.
    ///
    /// Without escapes (the common case) this is one `String(decoding:as:)` over the input slice;
    /// with escapes, plain runs are copied into the scratch buffer in one go and escapes decoded
    /// one by one. Invalid UTF-8 is left for `String(decoding:as:)` to replace with U+FFFD.
    private mutating func parseString() throws(JSONError) -> String {
        let open = pos
        let start = pos &+ 1
        var i = JSONParser.scanPlainString(base, from: start, end: end)
        if i < end && base[i] == UInt8(ascii: "\"") {
            pos = i &+ 1
            return String(decoding: UnsafeBufferPointer(start: base + start, count: i &- start), as: UTF8.self)
        }
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        while true {
            guard i < end else {
                throw JSONError(offset: open, message: "unterminated string (expected '\"' before end of input)")
            }
            if i > runStart {
                scratch.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i &- runStart))
            }
            let b = base[i]
            if b == UInt8(ascii: "\"") {
                pos = i &+ 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b < 0x20 {
                throw JSONError(offset: i, message: "control character \(JSONParser.hexByte(b)) in a string (must be escaped)")
            }
            // A backslash.
            i = try unescape(at: i)
            runStart = i
            i = JSONParser.scanPlainString(base, from: i, end: end)
        }
    }

    /// Decodes the escape at `i` (a backslash) into `scratch`; returns the index after it.
    private mutating func unescape(at i: Int) throws(JSONError) -> Int {
        guard i &+ 1 < end else {
            throw JSONError(offset: i, message: "unterminated escape (expected a character after '\\')")
        }
        let c = base[i &+ 1]
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(c)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "u"):
            let unit = try hex4(at: i &+ 2)
            var next = i &+ 6
            var scalar: UInt32
            if unit & 0xFC00 == 0xD800 {
                // A high surrogate: a low one must follow as another \u escape to make a pair.
                if next &+ 6 <= end, base[next] == UInt8(ascii: "\\"), base[next &+ 1] == UInt8(ascii: "u"),
                   let low = hex4IfValid(at: next &+ 2), low & 0xFC00 == 0xDC00 {
                    scalar = 0x10000 &+ ((unit &- 0xD800) << 10) &+ (low &- 0xDC00)
                    next &+= 6
                } else {
                    scalar = 0xFFFD // lone high surrogate
                }
            } else if unit & 0xFC00 == 0xDC00 {
                scalar = 0xFFFD // lone low surrogate
            } else {
                scalar = unit
            }
            appendUTF8(scalar)
            return next
        default:
            throw JSONError(offset: i, message: "invalid escape '\\\(JSONParser.printable(c))' (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
        }
        return i &+ 2
    }

    private func hex4(at i: Int) throws(JSONError) -> UInt32 {
        guard let v = hex4IfValid(at: i) else {
            throw JSONError(offset: i &- 2, message: "invalid \\u escape (expected four hex digits)")
        }
        return v
    }

    private func hex4IfValid(at i: Int) -> UInt32? {
        guard i &+ 4 <= end else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let b = base[i &+ k]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    // MARK: Messages

    /// "'x'" for a printable ASCII byte at `i`, else its hex value.
    private func describe(_ i: Int) -> String {
        i < end ? "'\(JSONParser.printable(base[i]))'" : "end of input"
    }

    static func printable(_ b: UInt8) -> String {
        (0x21...0x7E).contains(b) ? String(UnicodeScalar(b)) : hexByte(b)
    }

    static func hexByte(_ b: UInt8) -> String {
        "0x" + String(decoding: [JSONBytes.hexDigits[Int(b >> 4)], JSONBytes.hexDigits[Int(b & 15)]], as: UTF8.self)
    }
}

// MARK: - Report values

extension JSONValue {
    /// Counts by name as an object with its keys in sorted order, so reports compare line by line.
    public static func counts(_ counts: [String: Int]) -> JSONValue {
        .object(JSONObject(counts.sorted { $0.key < $1.key }.map { ($0.key, .number(JSONNumber($0.value))) }))
    }

    /// A measurement (seconds, MB/s) rounded to thousandths; null when not finite.
    public static func measurement(_ x: Double) -> JSONValue {
        JSONNumber((x * 1000).rounded() / 1000).map(JSONValue.number) ?? .null
    }
}
