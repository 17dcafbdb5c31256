/// HTML character references (`&amp;`, `&#233;`, `&#x1F600;`, `&eacute` without `;`) decoded
/// straight from and into UTF-8 bytes, following the WHATWG tokenizer rules: named references
/// match the longest name in the table (legacy names also without the semicolon, except inside
/// attribute values when followed by `=` or an alphanumeric), numeric references map 0x80-0x9F
/// through windows-1252, and NUL, surrogates and values above U+10FFFF become U+FFFD.
public enum HTMLEntities {
    /// Sorted names (bytes, `;` included where the table has it) and their replacement UTF-8.
    private struct Table: Sendable {
        var nameBytes: [UInt8] = []
        var nameStarts: [Int32] = []   // count + 1 offsets into nameBytes
        var valueBytes: [UInt8] = []
        var valueStarts: [Int32] = []  // count + 1 offsets into valueBytes
    }

    private static let table: Table = {
        var t = Table()
        t.nameBytes.reserveCapacity(24_000)
        t.valueBytes.reserveCapacity(8_000)
        HTMLEntityTable.packed.withUTF8Buffer { packed in
            var i = 0
            let n = packed.count
            while i < n {
                t.nameStarts.append(Int32(t.nameBytes.count))
                t.valueStarts.append(Int32(t.valueBytes.count))
                while packed[i] != UInt8(ascii: "=") { t.nameBytes.append(packed[i]); i += 1 }
                i += 1
                var scalar: UInt32 = 0
                while i < n && packed[i] != UInt8(ascii: "|") {
                    let c = packed[i]
                    if c == UInt8(ascii: ",") {
                        appendUTF8(scalar, to: &t.valueBytes)
                        scalar = 0
                    } else {
                        scalar = scalar << 4 | UInt32(c <= UInt8(ascii: "9") ? c &- 48 : c &- 55)
                    }
                    i += 1
                }
                appendUTF8(scalar, to: &t.valueBytes)
                i += 1
            }
            t.nameStarts.append(Int32(t.nameBytes.count))
            t.valueStarts.append(Int32(t.valueBytes.count))
        }
        precondition(t.nameStarts.count == HTMLEntityTable.count + 1, "entity table damaged")
        return t
    }()

    /// The longest entity name (`CounterClockwiseContourIntegral;`).
    static let longestName = 32

    /// windows-1252 meanings of the C1 range, as the spec requires for `&#128;`...`&#159;`
    /// (0 = keep the code point: five positions are undefined in windows-1252).
    private static let c1Remap: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    @inline(__always)
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        var v = scalar
        if v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || v == 0 { v = 0xFFFD }
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | v >> 6)); out.append(UInt8(0x80 | v & 0x3F))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | v >> 12)); out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        } else {
            out.append(UInt8(0xF0 | v >> 18)); out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        }
    }

    /// Decodes the reference starting at `text[at]` (which is `&`), appending its replacement to
    /// `out`. Returns the number of bytes consumed, or 0 when there is no reference there (the
    /// caller then copies the `&` literally).
    public static func decode(_ text: UnsafeBufferPointer<UInt8>, at: Int, inAttribute: Bool = false,
                              into out: inout [UInt8]) -> Int {
        let n = text.count
        var i = at &+ 1
        guard i < n else { return 0 }
        if text[i] == UInt8(ascii: "#") {
            i &+= 1
            var hex = false
            if i < n && (text[i] | 0x20) == UInt8(ascii: "x") { hex = true; i &+= 1 }
            let digitsStart = i
            var value: UInt32 = 0
            while i < n {
                let c = text[i]
                var d: UInt32
                if c >= 48 && c <= 57 { d = UInt32(c &- 48) }
                else if hex && (c | 0x20) >= 97 && (c | 0x20) <= 102 { d = UInt32((c | 0x20) &- 87) }
                else { break }
                if value <= 0x10FFFF { value = value &* (hex ? 16 : 10) &+ d }  // saturates past the range
                i &+= 1
            }
            if i == digitsStart { return 0 }
            if i < n && text[i] == UInt8(ascii: ";") { i &+= 1 }
            if value >= 0x80 && value <= 0x9F {
                let mapped = c1Remap[Int(value &- 0x80)]
                if mapped != 0 { value = mapped }
            }
            appendUTF8(value, to: &out)
            return i &- at
        }
        // Named: collect up to `longestName` alphanumerics and an optional ';', then find the
        // longest table entry that is a prefix of them.
        let nameStart = i
        while i < n && i &- nameStart < longestName {
            let c = text[i]
            let isAlnum = (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122)
            if !isAlnum { break }
            i &+= 1
        }
        if i == nameStart { return 0 }
        var end = i
        if i < n && text[i] == UInt8(ascii: ";") { end = i &+ 1 }
        guard let base = text.baseAddress else { return 0 }
        var length = end &- nameStart
        while length > 0 {
            if let index = find(base + nameStart, length) {
                let t = table
                let endsWithSemicolon = base[nameStart &+ length &- 1] == UInt8(ascii: ";")
                if inAttribute && !endsWithSemicolon {
                    let after = nameStart &+ length
                    if after < n {
                        let c = text[after]
                        let isAlnum = (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122)
                        if isAlnum || c == UInt8(ascii: "=") { return 0 }
                    }
                }
                out.append(contentsOf: t.valueBytes[Int(t.valueStarts[index])..<Int(t.valueStarts[index + 1])])
                return nameStart &+ length &- at
            }
            length -= 1
        }
        return 0
    }

    /// Binary search of the sorted name table.
    private static func find(_ name: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        let t = table
        return t.nameBytes.withUnsafeBufferPointer { names -> Int? in
            var lo = 0, hi = t.nameStarts.count - 1
            while lo < hi {
                let mid = (lo + hi) >> 1
                let s = Int(t.nameStarts[mid]), e = Int(t.nameStarts[mid + 1])
                let cmp = compare(names.baseAddress! + s, e - s, name, length)
                if cmp == 0 { return mid }
                if cmp < 0 { lo = mid + 1 } else { hi = mid }
            }
            return nil
        }
    }

    @inline(__always)
    private static func compare(_ a: UnsafePointer<UInt8>, _ al: Int, _ b: UnsafePointer<UInt8>, _ bl: Int) -> Int {
        let m = min(al, bl)
        var k = 0
        while k < m {
            if a[k] != b[k] { return a[k] < b[k] ? -1 : 1 }
            k &+= 1
        }
        return al - bl
    }

    /// Appends `text` to `out` with every character reference decoded (no whitespace changes).
    public static func decodeAll(_ text: UnsafeBufferPointer<UInt8>, inAttribute: Bool = false,
                                 into out: inout [UInt8]) {
        var i = 0
        let n = text.count
        guard let base = text.baseAddress else { return }
        while i < n {
            // memchr jumps over the long stretches without '&'.
            guard let amp = memchr(base + i, Int32(UInt8(ascii: "&")), n &- i) else {
                out.append(contentsOf: UnsafeBufferPointer(start: base + i, count: n &- i))
                return
            }
            let j = UnsafeRawPointer(amp).assumingMemoryBound(to: UInt8.self) - base
            out.append(contentsOf: UnsafeBufferPointer(start: base + i, count: j &- i))
            let used = decode(text, at: j, inAttribute: inAttribute, into: &out)
            if used == 0 { out.append(UInt8(ascii: "&")); i = j &+ 1 } else { i = j &+ used }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
