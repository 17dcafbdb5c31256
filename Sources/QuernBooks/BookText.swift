// Raw book bytes → normalized UTF-8 text.
//
// Decoding: a UTF-8 byte order mark is dropped; bytes that are valid UTF-8 are read as UTF-8
// (whatever a header or a `-8.txt` name claims: valid multi-byte UTF-8 is practically never
// Latin-1 text). Otherwise every byte that does not start a well-formed UTF-8 sequence is read as
// windows-1252 (Latin-1 with the printable 0x80–0x9F punctuation), which is what Project
// Gutenberg's `-8` files and old "ISO-8859-1" texts hold, while well-formed sequences stay UTF-8:
// a UTF-8 file with a few stray Latin-1 bytes (edited by hand) keeps its UTF-8 text intact.
//
// Layout: CRLF and lone CR become LF, a form feed ends a line, other C0 controls (but tab) and
// NUL are dropped, and spaces/tabs at the end of every line are removed. Line breaks are KEPT as
// the book has them (Project Gutenberg's hard wraps at ~70 columns; poetry depends on them), as
// LLaMA-style book corpora (PG-19, RedPajama books) keep them; runs of blank lines are collapsed
// later, when the body is written (one blank line separates paragraphs).

#if canImport(Glibc)
import Glibc
#endif

/// How a book's bytes were read.
public enum BookEncoding: String, Sendable {
    case utf8 = "utf-8"
    case windows1252 = "windows-1252"
    /// Mostly UTF-8 with stray bytes that are not (an edited file): each invalid byte is read as
    /// windows-1252, every valid sequence as UTF-8.
    case mixed = "utf-8+windows-1252"
}

enum BookText {
    /// windows-1252 → Unicode scalar for 0x80...0x9F (the five unassigned bytes map to U+FFFD).
    static let cp1252High: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    /// The 256-entry table: UTF-8 bytes of each windows-1252 byte, packed little-endian with the
    /// length in the top byte (built once; the decode loop does one load per byte).
    static let cp1252Table: [UInt32] = (0..<256).map { byte -> UInt32 in
        let scalar = byte >= 0x80 && byte < 0xA0 ? cp1252High[byte - 0x80] : UInt32(byte)
        var bytes: [UInt8] = []
        if scalar < 0x80 { bytes = [UInt8(scalar)] }
        else if scalar < 0x800 { bytes = [UInt8(0xC0 | (scalar >> 6)), UInt8(0x80 | (scalar & 0x3F))] }
        else { bytes = [UInt8(0xE0 | (scalar >> 12)), UInt8(0x80 | ((scalar >> 6) & 0x3F)), UInt8(0x80 | (scalar & 0x3F))] }
        var packed = UInt32(bytes.count) << 24
        for (i, b) in bytes.enumerated() { packed |= UInt32(b) << (8 * UInt32(i)) }
        return packed
    }

    /// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = bytes.count
        guard let p = bytes.baseAddress else { return true }
        var i = 0
        // ASCII dominates book text: the loop skips it a byte at a time without branching on
        // sequence length, and only decodes lead bytes ≥ 0x80.
        while i < n {
            let b = p[i]
            if b < 0x80 { i &+= 1; continue }
            if b < 0xC2 || b > 0xF4 { return false }
            if b < 0xE0 {
                guard i &+ 1 < n, p[i &+ 1] & 0xC0 == 0x80 else { return false }
                i &+= 2
            } else if b < 0xF0 {
                guard i &+ 2 < n else { return false }
                let b1 = p[i &+ 1], b2 = p[i &+ 2]
                guard b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80 else { return false }
                if b == 0xE0 && b1 < 0xA0 { return false }
                if b == 0xED && b1 >= 0xA0 { return false }
                i &+= 3
            } else {
                guard i &+ 3 < n else { return false }
                let b1 = p[i &+ 1]
                guard b1 & 0xC0 == 0x80, p[i &+ 2] & 0xC0 == 0x80, p[i &+ 3] & 0xC0 == 0x80 else { return false }
                if b == 0xF0 && b1 < 0x90 { return false }
                if b == 0xF4 && b1 >= 0x90 { return false }
                i &+= 4
            }
        }
        return true
    }

    /// Decodes and normalizes a whole book. Returns the UTF-8 text and the encoding used.
    static func normalize(_ raw: UnsafeBufferPointer<UInt8>) -> (text: [UInt8], encoding: BookEncoding) {
        var input = raw
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            input = UnsafeBufferPointer(rebasing: input[3...])
        }
        let utf8 = isValidUTF8(input)
        var out: [UInt8] = []
        out.reserveCapacity(utf8 ? input.count : input.count + input.count / 8)
        guard let p = input.baseAddress else { return (out, .utf8) }
        let n = input.count
        let table = cp1252Table
        var multibyte = 0

        // Appends p[s..<e] (no control bytes in it), decoding windows-1252 when needed.
        func append(_ s: Int, _ e: Int) {
            if utf8 {
                out.append(contentsOf: UnsafeBufferPointer(start: p + s, count: e &- s))
                return
            }
            var i = s
            while i < e {
                let b = p[i]
                if b < 0x80 { out.append(b) } else if b >= 0xC2, case let length = sequenceLength(p, i, e), length > 0 {
                    // A well-formed UTF-8 sequence inside a file that is not UTF-8 throughout.
                    out.append(contentsOf: UnsafeBufferPointer(start: p + i, count: length))
                    multibyte &+= 1
                    i &+= length
                    continue
                } else {
                    let packed = table[Int(b)]
                    let length = packed >> 24
                    out.append(UInt8(truncatingIfNeeded: packed))
                    if length > 1 { out.append(UInt8(truncatingIfNeeded: packed >> 8)) }
                    if length > 2 { out.append(UInt8(truncatingIfNeeded: packed >> 16)) }
                }
                i &+= 1
            }
        }

        // Line by line (memchr finds the LF): a line without control bytes — nearly all of them —
        // is trimmed of its CR and trailing blanks and copied in one piece; only lines holding
        // form feeds, lone CRs or other controls take the byte-by-byte path.
        var s = 0
        while s < n {
            let e: Int
            if let hit = memchr(p + s, 0x0A, n &- s) {
                e = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - p
            } else {
                e = n
            }
            var end = e
            if end > s && p[end &- 1] == 0x0D { end &-= 1 }
            var k = s
            var special = false
            while k < end {
                let b = p[k]
                if (b < 0x20 && b != 0x09) || b == 0x7F { special = true; break }
                k &+= 1
            }
            if !special {
                while end > s && (p[end &- 1] == 0x20 || p[end &- 1] == 0x09) { end &-= 1 }
                append(s, end)
            } else {
                // CR and FF end a line, other controls are dropped; blanks left at the end of
                // each line written are trimmed from the output.
                func trimTail() { while let last = out.last, last == 0x20 || last == 0x09 { out.removeLast() } }
                var runStart = s
                var i = s
                while i < end {
                    let b = p[i]
                    if b == 0x0D || b == 0x0C {
                        append(runStart, i)
                        trimTail()
                        out.append(0x0A)
                        runStart = i &+ 1
                    } else if (b < 0x20 && b != 0x09) || b == 0x7F {
                        append(runStart, i)
                        runStart = i &+ 1
                    }
                    i &+= 1
                }
                append(runStart, end)
                trimTail()
            }
            if e < n { out.append(0x0A) }
            s = e &+ 1
        }
        return (out, utf8 ? .utf8 : (multibyte > 0 ? .mixed : .windows1252))
    }

    /// Length of the well-formed UTF-8 sequence at p[i] (lead byte ≥ 0xC2) ending before `end`, or 0.
    @inline(__always)
    static func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b = p[i]
        if b < 0xE0 {
            return i &+ 1 < end && p[i &+ 1] & 0xC0 == 0x80 ? 2 : 0
        }
        if b < 0xF0 {
            guard i &+ 2 < end else { return 0 }
            let b1 = p[i &+ 1], b2 = p[i &+ 2]
            guard b1 & 0xC0 == 0x80, b2 & 0xC0 == 0x80 else { return 0 }
            if b == 0xE0 && b1 < 0xA0 { return 0 }
            if b == 0xED && b1 >= 0xA0 { return 0 }
            return 3
        }
        guard b <= 0xF4, i &+ 3 < end else { return 0 }
        let b1 = p[i &+ 1]
        guard b1 & 0xC0 == 0x80, p[i &+ 2] & 0xC0 == 0x80, p[i &+ 3] & 0xC0 == 0x80 else { return 0 }
        if b == 0xF0 && b1 < 0x90 { return 0 }
        if b == 0xF4 && b1 >= 0x90 { return 0 }
        return 4
    }
}

// MARK: - Small byte helpers shared by the cleaners

/// ASCII lower case of one byte.
@inline(__always) func lower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

extension UnsafeBufferPointer where Element == UInt8 {
    /// Case-insensitive (ASCII) search for a lower-case ASCII needle.
    func containsIgnoringCase(_ needle: StaticString) -> Bool {
        let m = needle.utf8CodeUnitCount
        guard m > 0, count >= m, let p = baseAddress else { return m == 0 }
        let q = needle.utf8Start
        let first = q[0]
        var i = 0
        let last = count &- m
        while i <= last {
            if lower(p[i]) == first {
                var j = 1
                while j < m && lower(p[i &+ j]) == q[j] { j &+= 1 }
                if j == m { return true }
            }
            i &+= 1
        }
        return false
    }

    /// Whether "gutenberg", "small print" or "etexts" occurs (ASCII case-insensitive), in one
    /// pass: each byte is compared with the three first letters, and only a hit is checked in full.
    func containsAnyOfGutenbergSmallPrintEtexts() -> Bool {
        guard let p = baseAddress else { return false }
        let n = count
        @inline(__always) func at(_ i: Int, _ needle: StaticString) -> Bool {
            let m = needle.utf8CodeUnitCount
            guard i &+ m <= n else { return false }
            let q = needle.utf8Start
            var j = 1
            while j < m && lower(p[i &+ j]) == q[j] { j &+= 1 }
            return j == m
        }
        var i = 0
        while i < n {
            let c = p[i] | 0x20
            if c == UInt8(ascii: "g") { if at(i, "gutenberg") { return true } }
            else if c == UInt8(ascii: "s") { if at(i, "small print") { return true } }
            else if c == UInt8(ascii: "e") { if at(i, "etexts") { return true } }
            i &+= 1
        }
        return false
    }

    /// Case-insensitive (ASCII) prefix test with a lower-case ASCII needle.
    func hasPrefixIgnoringCase(_ needle: StaticString) -> Bool {
        let m = needle.utf8CodeUnitCount
        guard count >= m, let p = baseAddress else { return m == 0 }
        let q = needle.utf8Start
        var j = 0
        while j < m && lower(p[j]) == q[j] { j &+= 1 }
        return j == m
    }

    /// True when the buffer starts with these exact bytes.
    func hasPrefix(_ bytes: [UInt8]) -> Bool {
        guard count >= bytes.count else { return false }
        for i in 0..<bytes.count where self[i] != bytes[i] { return false }
        return true
    }

    /// The slice without leading/trailing ASCII spaces, tabs and '*'/'=' decoration.
    func trimmingDecoration() -> UnsafeBufferPointer<UInt8> {
        var s = 0, e = count
        while s < e, let c = Optional(self[s]), c == 0x20 || c == 0x09 || c == UInt8(ascii: "*") || c == UInt8(ascii: "=") { s &+= 1 }
        while e > s, let c = Optional(self[e &- 1]), c == 0x20 || c == 0x09 || c == UInt8(ascii: "*") || c == UInt8(ascii: "=") { e &-= 1 }
        return UnsafeBufferPointer(rebasing: self[s..<e])
    }

    func trimmingSpaces() -> UnsafeBufferPointer<UInt8> {
        var s = 0, e = count
        while s < e, self[s] == 0x20 || self[s] == 0x09 { s &+= 1 }
        while e > s, self[e &- 1] == 0x20 || self[e &- 1] == 0x09 { e &-= 1 }
        return UnsafeBufferPointer(rebasing: self[s..<e])
    }

    var string: String { String(decoding: self, as: UTF8.self) }
}
