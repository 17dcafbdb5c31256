/// A read-only open-addressing table from non-zero UInt64 keys to small values, for the word and
/// tag lookups made on every tag. Swift's Dictionary hashes each key with seeded SipHash; here a
/// key is already a hash (FNV-1a of a word) or packed bytes (a tag name), so one multiply picks
/// the slot and a short linear probe finds it.
struct HTMLKeyTable<Value: Sendable>: Sendable {
    private var keys: [UInt64]
    private var values: [Value?]
    private let shift: UInt64
    private let mask: Int

    init(_ entries: [(UInt64, Value)]) {
        var bits = 4
        while (1 << bits) < entries.count * 4 { bits += 1 }
        let size = 1 << bits
        keys = [UInt64](repeating: 0, count: size)
        values = [Value?](repeating: nil, count: size)
        shift = UInt64(64 - bits)
        mask = size - 1
        for (key, value) in entries {
            precondition(key != 0, "key 0 marks an empty slot")
            var i = slot(key)
            while keys[i] != 0 && keys[i] != key { i = (i + 1) & mask }
            keys[i] = key
            values[i] = value
        }
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always)
    subscript(key: UInt64) -> Value? {
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key { return values[i] }
            if k == 0 { return nil }
            i = (i &+ 1) & mask
        }
    }
}
