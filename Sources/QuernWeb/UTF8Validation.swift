/// Checks that bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
/// above U+10FFFF). Web pages are mostly ASCII, so the loop tests eight bytes at a time against
/// the high bits and drops to the per-sequence checks only where a non-ASCII byte appears.
public enum UTF8Validation {
    /// True when every byte of `bytes` belongs to a well-formed UTF-8 sequence.
    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        firstInvalidOffset(bytes) == nil
    }

    /// The offset of the first byte that does not start or continue a well-formed sequence,
    /// or nil when all of `bytes` is valid. A sequence cut off by the end of the buffer is invalid.
    public static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var i = 0
        while i < count {
            // ASCII fast path: one unaligned 8-byte load, one mask test (`&+` keeps the index
            // arithmetic unchecked so the loop stays tight).
            while i &+ 8 <= count {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i &+= 8
            }
            if i >= count { break }
            let lead = base[i]
            if lead < 0x80 { i &+= 1; continue }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF  // allowed range of the second byte
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0            // no overlong 3-byte forms
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F            // no UTF-16 surrogates
            case 0xF0: length = 4; lower = 0x90            // no overlong 4-byte forms
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F            // nothing above U+10FFFF
            default: return i                              // 0x80-0xC1, 0xF5-0xFF
            }
            if i &+ length > count { return i }
            let second = base[i &+ 1]
            if second < lower || second > upper { return i }
            var k = 2
            while k < length {
                if base[i &+ k] & 0xC0 != 0x80 { return i }
                k &+= 1
            }
            i &+= length
        }
        return nil
    }
}
