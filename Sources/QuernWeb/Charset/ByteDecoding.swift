/// UTF-8 that may hold ill-formed sequences, made valid: each maximal ill-formed subpart becomes
/// one U+FFFD (Unicode's "substitution of maximal subparts", what ICU, Python's
/// `errors="replace"` and Swift's `String(decoding:as:)` do).
enum UTF8Repair {
    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// Appends `bytes` to `output` with ill-formed subparts replaced; returns how many.
    static func append(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) -> Int {
        guard bytes.baseAddress != nil else { return 0 }
        var replaced = 0
        var i = 0
        // Valid runs are found by the validator and copied whole; only the bad spots are
        // handled here, so a clean page costs one validation pass and one copy.
        while i < bytes.count {
            let rest = UnsafeBufferPointer(rebasing: bytes[i...])
            guard let bad = UTF8Validation.firstInvalidOffset(rest) else {
                output.append(contentsOf: rest)
                break
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: rest[..<bad]))
            output.append(contentsOf: replacement)
            replaced &+= 1
            i &+= bad &+ maximalSubpart(rest, at: bad)
        }
        return replaced
    }

    /// Ill-formed subparts and well-formed multi-byte characters in `bytes`.
    static func count(_ bytes: UnsafeBufferPointer<UInt8>) -> (invalid: Int, multiByte: Int) {
        guard let base = bytes.baseAddress else { return (0, 0) }
        var invalid = 0, multiByte = 0
        var i = 0
        while i < bytes.count {
            let lead = base[i]
            if lead < 0x80 { i &+= 1; continue }
            let length = sequenceLength(lead)
            let part = maximalSubpart(bytes, at: i)
            if length > 1, part == length {  // (a full-length subpart is a complete sequence)
                multiByte &+= 1
                i &+= length
            } else {
                invalid &+= 1
                i &+= part
            }
        }
        return (invalid, multiByte)
    }

    /// Length a lead byte announces (0 for a byte that cannot lead).
    @inline(__always) static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 0
        }
    }

    /// How many bytes from `i` form the longest prefix of a well-formed sequence (at least 1):
    /// the lead byte and the continuation bytes that fit its allowed ranges. For a complete
    /// well-formed sequence this is its length.
    static func maximalSubpart(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let lead = bytes[i]
        let length = sequenceLength(lead)
        if length <= 1 { return 1 }
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch lead {
        case 0xE0: lower = 0xA0
        case 0xED: upper = 0x9F
        case 0xF0: lower = 0x90
        case 0xF4: upper = 0x8F
        default: break
        }
        var k = 1
        while k < length, i &+ k < bytes.count {
            let b = bytes[i &+ k]
            if k == 1 ? (b < lower || b > upper) : (b & 0xC0 != 0x80) { break }
            k &+= 1
        }
        return k
    }
}

/// A single-byte encoding decoded by table: for each byte, its character's UTF-8 bytes packed
/// little-endian in the low 24 bits and their count in the top 8.
struct SingleByteTable: Sendable {
    let entries: [UInt32]

    init(highHalf: (UInt8) -> UInt32) {
        var entries = [UInt32](repeating: 0, count: 256)
        for byte in 0..<256 {
            let scalar = byte < 0x80 ? UInt32(byte) : highHalf(UInt8(byte))
            var utf8 = [UInt8]()
            utf8.append(contentsOf: String(Unicode.Scalar(scalar)!).utf8)
            var packed: UInt32 = 0
            for (k, b) in utf8.enumerated() { packed |= UInt32(b) << (8 * k) }
            entries[byte] = packed | UInt32(utf8.count) << 24
        }
        self.entries = entries
    }

    /// WHATWG windows-1252 (which is also what "latin1", "iso-8859-1" and "ascii" name): 0x80-0x9F
    /// are the Windows punctuation, the five bytes Windows leaves unassigned are the C1 controls
    /// of the same value, 0xA0-0xFF are Latin-1.
    static let windows1252 = SingleByteTable { byte in
        let c1: [UInt32] = [
            0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
            0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
            0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
            0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
        ]
        return byte < 0xA0 ? c1[Int(byte) - 0x80] : UInt32(byte)
    }

    /// ISO-8859-16 (Latin-10): 0x80-0x9F are the C1 controls, 0xA0-0xFF from ISO/IEC 8859-16:2001.
    static let iso8859_16 = SingleByteTable { byte in
        let high: [UInt32] = [
            0x00A0, 0x0104, 0x0105, 0x0141, 0x20AC, 0x201E, 0x0160, 0x00A7, 0x0161, 0x00A9, 0x0218, 0x00AB,
            0x0179, 0x00AD, 0x017A, 0x017B, 0x00B0, 0x00B1, 0x010C, 0x0142, 0x017D, 0x201D, 0x00B6, 0x00B7,
            0x017E, 0x010D, 0x0219, 0x00BB, 0x0152, 0x0153, 0x0178, 0x017C, 0x00C0, 0x00C1, 0x00C2, 0x0102,
            0x00C4, 0x0106, 0x00C6, 0x00C7, 0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF,
            0x0110, 0x0143, 0x00D2, 0x00D3, 0x00D4, 0x0150, 0x00D6, 0x015A, 0x0170, 0x00D9, 0x00DA, 0x00DB,
            0x00DC, 0x0118, 0x021A, 0x00DF, 0x00E0, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x0107, 0x00E6, 0x00E7,
            0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF, 0x0111, 0x0144, 0x00F2, 0x00F3,
            0x00F4, 0x0151, 0x00F6, 0x015B, 0x0171, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x0119, 0x021B, 0x00FF,
        ]
        return byte < 0xA0 ? UInt32(byte) : high[Int(byte) - 0xA0]
    }

    /// WHATWG x-user-defined: 0x80-0xFF are U+F780-U+F7FF.
    static let xUserDefined = SingleByteTable { byte in 0xF700 + UInt32(byte) }

    /// Appends `bytes` decoded to `output`. The output grows once by the worst case (3 bytes per
    /// input byte) and is cut back; ASCII runs move eight bytes per step (one load, one mask test,
    /// one store), other bytes take one table load and one 4-byte store each.
    func append(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        guard let src = bytes.baseAddress, !bytes.isEmpty else { return }
        let count = bytes.count
        let start = output.count
        let room = 3 &* count &+ 8  // +8: the 8-byte and 4-byte stores may reach past the last character
        output.append(contentsOf: repeatElement(0, count: room))
        let written: Int = output.withUnsafeMutableBufferPointer { out in
            entries.withUnsafeBufferPointer { table in
                let dst = UnsafeMutableRawPointer(out.baseAddress! + start)
                var i = 0, o = 0
                while i < count {
                    while i &+ 8 <= count {
                        let word = UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self)
                        if word & 0x8080_8080_8080_8080 != 0 { break }
                        dst.storeBytes(of: word, toByteOffset: o, as: UInt64.self)
                        i &+= 8
                        o &+= 8
                    }
                    if i >= count { break }
                    let entry = table[Int(src[i])]
                    dst.storeBytes(of: UInt32(littleEndian: entry), toByteOffset: o, as: UInt32.self)
                    o &+= Int(entry >> 24)
                    i &+= 1
                }
                return o
            }
        }
        output.removeLast(room &- written)
    }
}
