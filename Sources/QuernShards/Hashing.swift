/// SHA-256 (FIPS 180-4), streaming, for the manifest's checksums: shards and tokenizers are
/// checked with `sha256sum` or Python's hashlib, no extra tools. Written from the standard.
public struct SHA256 {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockUsed = 0
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var left = bytes.count
        length &+= UInt64(left)
        if blockUsed > 0 {
            let n = min(64 - blockUsed, left)
            for i in 0..<n { block[blockUsed + i] = p[i] }
            blockUsed += n; p += n; left -= n
            guard blockUsed == 64 else { return }
            block.withUnsafeBufferPointer { compress($0.baseAddress!) }
            blockUsed = 0
        }
        while left >= 64 {
            compress(p)
            p += 64; left -= 64
        }
        for i in 0..<left { block[i] = p[i] }
        blockUsed = left
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public mutating func finish() -> [UInt8] {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        let padded = (blockUsed + 1 + 8 + 63) / 64 * 64
        tail += [UInt8](repeating: 0, count: padded - blockUsed - 1 - 8)
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
        let savedLength = length
        update(tail)
        length = savedLength
        let s = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
        return s.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) } }
    }

    public mutating func hexDigest() -> String {
        finish().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    public static func hex(of bytes: [UInt8]) -> String {
        var h = SHA256()
        h.update(bytes)
        return h.hexDigest()
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    private mutating func compress(_ p: UnsafePointer<UInt8>) {
        var (a, b, c, d, e, f, g, h) = state
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for i in 0..<16 {
                w[i] = UInt32(p[4 &* i]) << 24 | UInt32(p[4 &* i &+ 1]) << 16 | UInt32(p[4 &* i &+ 2]) << 8 | UInt32(p[4 &* i &+ 3])
            }
            for i in 16..<64 {
                let x = w[i &- 15], y = w[i &- 2]
                let s0 = Self.rotr(x, 7) ^ Self.rotr(x, 18) ^ (x >> 3)
                let s1 = Self.rotr(y, 17) ^ Self.rotr(y, 19) ^ (y >> 10)
                w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
            }
            Self.k.withUnsafeBufferPointer { k in
                for i in 0..<64 {
                    let s1 = Self.rotr(e, 6) ^ Self.rotr(e, 11) ^ Self.rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
                    let s0 = Self.rotr(a, 2) ^ Self.rotr(a, 13) ^ Self.rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
            }
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d,
                 state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h)
    }
}

/// The hash that decides a document's side of the train/validation split and its fractional
/// epochs, over the UTF-8 bytes of its text: eight bytes at a time (little-endian words), each
/// xored in and multiplied by a 64-bit odd constant and rotated, the tail bytes likewise, the
/// length folded in, then SplitMix64's finalizer so every output bit depends on every input
/// bit (the split compares the whole value with F × 2^64). Stable across runs, machines and
/// thread counts; equal texts land on the same side. Not cryptographic.
public enum DocumentHash {
    public static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let multiplier: UInt64 = 0x9fb2_1c65_1e98_df25
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        guard let base = bytes.baseAddress else { return mix(h) }
        let raw = UnsafeRawPointer(base)
        let count = bytes.count
        var i = 0
        while i &+ 8 <= count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = ((h ^ word) &* multiplier)
            h = (h &<< 23) | (h &>> 41)
            i &+= 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(base[i]) &<< shift
            shift &+= 8
            i &+= 1
        }
        h = ((h ^ tail ^ (UInt64(count) &<< 56)) &* multiplier)
        return mix(h)
    }

    /// SplitMix64's output function.
    @inline(__always) public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A hash as a fraction in [0, 1).
    @inline(__always) public static func unit(_ h: UInt64) -> Double { Double(h >> 11) * 0x1p-53 }
}

/// SplitMix64: the seeded generator of the shuffle (tiny state, good enough statistics).
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return DocumentHash.mix(state &- 0x9e37_79b9_7f4a_7c15)
    }
    /// Uniform in 0..<n without modulo bias (Lemire's method).
    public mutating func below(_ n: UInt64) -> UInt64 {
        precondition(n > 0)
        var m = next().multipliedFullWidth(by: n)
        if m.low < n {
            let t = (0 &- n) % n
            while m.low < t { m = next().multipliedFullWidth(by: n) }
        }
        return m.high
    }
}

/// XXH64 (seed 0), streaming, written from the published xxHash specification: the checksum of
/// every shard file in the manifest (`xxh64sum FILE` prints the same hex). Chosen over SHA-256
/// for the shards because it costs about nothing next to tokenization (SHA-256 took 5% of a
/// run); the tokenizer's checksum, computed once, is SHA-256.
public struct XXH64 {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    private var v1: UInt64 = 0 &+ p1 &+ p2
    private var v2: UInt64 = p2
    private var v3: UInt64 = 0
    private var v4: UInt64 = 0 &- p1
    private var pending: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var pendingCount = 0
    private var total: UInt64 = 0

    public init() {}

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x &<< r) | (x &>> (64 &- r)) }
    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* p2, 31) &* p1
    }
    @inline(__always) static func merge(_ acc: UInt64, _ v: UInt64) -> UInt64 {
        (acc ^ round(0, v)) &* p1 &+ p4
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var i = 0
        let n = bytes.count
        total &+= UInt64(n)
        var buffered = pending
        var used = pendingCount
        var a = (v1, v2, v3, v4)
        withUnsafeMutableBytes(of: &buffered) { buffer in
            if used > 0 {
                let take = min(32 &- used, n)
                buffer.baseAddress!.advanced(by: used).copyMemory(from: base, byteCount: take)
                used &+= take
                i = take
                guard used == 32 else { return }
                Self.stripe(&a, UnsafeRawPointer(buffer.baseAddress!))
                used = 0
            }
            while i &+ 32 <= n {
                Self.stripe(&a, base + i)
                i &+= 32
            }
            if i < n {
                buffer.baseAddress!.copyMemory(from: base + i, byteCount: n &- i)
                used = n &- i
            }
        }
        (v1, v2, v3, v4) = a
        pending = buffered
        pendingCount = used
    }

    @inline(__always)
    private static func stripe(_ a: inout (UInt64, UInt64, UInt64, UInt64), _ p: UnsafeRawPointer) {
        a.0 = round(a.0, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
        a.1 = round(a.1, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        a.2 = round(a.2, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        a.3 = round(a.3, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public func digest() -> UInt64 {
        var h: UInt64
        if total >= 32 {
            h = Self.rotl(v1, 1) &+ Self.rotl(v2, 7) &+ Self.rotl(v3, 12) &+ Self.rotl(v4, 18)
            h = Self.merge(h, v1); h = Self.merge(h, v2); h = Self.merge(h, v3); h = Self.merge(h, v4)
        } else {
            h = Self.p5
        }
        h &+= total
        var rest = pending
        let count = pendingCount
        withUnsafeBytes(of: &rest) { p in
            var i = 0
            while i &+ 8 <= count {
                h ^= Self.round(0, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                h = Self.rotl(h, 27) &* Self.p1 &+ Self.p4
                i &+= 8
            }
            if i &+ 4 <= count {
                h ^= UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt32.self))) &* Self.p1
                h = Self.rotl(h, 23) &* Self.p2 &+ Self.p3
                i &+= 4
            }
            while i < count {
                h ^= UInt64(p[i]) &* Self.p5
                h = Self.rotl(h, 11) &* Self.p1
                i &+= 1
            }
        }
        h ^= h &>> 33; h = h &* Self.p2
        h ^= h &>> 29; h = h &* Self.p3
        h ^= h &>> 32
        return h
    }

    public func hexDigest() -> String {
        let s = String(digest(), radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    public static func hex(of bytes: [UInt8]) -> String {
        var h = XXH64()
        h.update(bytes)
        return h.hexDigest()
    }
}
