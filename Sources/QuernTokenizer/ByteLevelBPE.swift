// Byte-level BPE machinery shared by the tiktoken and tokenizer.json tokenizers: GPT-2's byte
// alphabet, UTF-8 repair, immutable hash tables over byte strings and id pairs, and the merge loop.
//
// Merging follows tiktoken's and tokenizers' rule: repeatedly merge the adjacent pair of lowest
// rank, the leftmost one on ties, until no pair has a rank. Pieces of up to `linearLimit` symbols
// use tiktoken's linear scan; longer ones a heap ordered by (rank, position), which picks the same
// pair at every step in O(n log n).

// MARK: - GPT-2's byte alphabet

/// GPT-2's reversible mapping of the 256 byte values to printable characters, in which byte-level
/// vocabularies spell their tokens ("Ġthe" is " the"): printable Latin-1 bytes stand for
/// themselves, the others for U+0100 onwards in byte order.
public enum ByteLevelAlphabet {
    /// The character of each byte value.
    public static let scalars: [Unicode.Scalar] = {
        var result = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 0x100
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                result[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                result[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return result
    }()

    /// Byte of each scalar value below U+0144 (-1 where the scalar is not in the alphabet).
    static let byteOfScalar: [Int16] = {
        var result = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalars.enumerated() { result[Int(scalar.value)] = Int16(byte) }
        return result
    }()

    /// UTF-8 of each byte's character, for building vocabulary strings quickly.
    static let utf8OfByte: [[UInt8]] = scalars.map { Array(String(Character($0)).utf8) }

    /// The alphabet spelling of `bytes` ("Ġthe" for " the").
    public static func string(for bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes { out.append(contentsOf: utf8OfByte[Int(byte)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes an alphabet spelling stands for; nil when a character is outside the alphabet.
    public static func bytes(of string: String) -> [UInt8]? {
        bytes(ofUTF8: Array(string.utf8))
    }

    /// As ``bytes(of:)`` for UTF-8 bytes.
    static func bytes(ofUTF8 utf8: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b0 = utf8[i]
            let value: Int
            if b0 < 0x80 {
                value = Int(b0)
                i += 1
            } else if b0 & 0xE0 == 0xC0 && i + 1 < utf8.count {
                value = (Int(b0 & 0x1F) << 6) | Int(utf8[i + 1] & 0x3F)
                i += 2
            } else {
                return nil  // 3- and 4-byte scalars are all above U+0143
            }
            guard value < byteOfScalar.count, byteOfScalar[value] >= 0 else { return nil }
            out.append(UInt8(byteOfScalar[value]))
        }
        return out
    }
}

// MARK: - UTF-8

/// Validation and repair of UTF-8 input. The reference libraries take Python `str`, so text is
/// always valid there; invalid bytes here are first replaced by U+FFFD, one per maximal invalid
/// subsequence, exactly as Python's `bytes.decode("utf-8", "replace")` (and Swift's
/// `String(decoding:as:)`) do. Encoding invalid bytes thus gives the ids the reference gives for
/// the text Python would decode from them.
enum ByteLevelUTF8 {
    /// True when `p[0..<n]` is valid UTF-8 (no overlongs, surrogates or values above U+10FFFF).
    static func isValid(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            // Eight ASCII bytes at a time.
            while i &+ 8 <= n {
                let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if word & 0x8080_8080_8080_8080 != 0 { break }
                i &+= 8
            }
            guard i < n else { return true }
            let b0 = p[i]
            if b0 < 0x80 { i &+= 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard i &+ length <= n else { return false }
            let b1 = p[i &+ 1]
            guard b1 >= low && b1 <= high else { return false }
            var k = 2
            while k < length {
                guard p[i &+ k] & 0xC0 == 0x80 else { return false }
                k &+= 1
            }
            i &+= length
        }
        return true
    }

    /// Runs `body` on valid UTF-8: `text` itself when valid, else its repaired copy.
    @inline(__always)
    static func withValid<R>(_ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R? {
        guard let base = text.baseAddress, !text.isEmpty else { return nil }
        if isValid(base, text.count) { return body(base, text.count) }
        var repaired = Array(String(decoding: text, as: UTF8.self).utf8)
        return repaired.withUnsafeMutableBufferPointer { body(UnsafePointer($0.baseAddress!), $0.count) }
    }
}

// MARK: - Hashing

/// The first `min(n, 8)` bytes of `p` as a little-endian word, zero-padded.
@inline(__always)
func byteLevelKeyWord(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    if n >= 8 { return UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) }
    var v: UInt64 = 0
    var i = 0
    while i < n {
        v |= UInt64(p[i]) &<< UInt64(truncatingIfNeeded: i &* 8)
        i &+= 1
    }
    return v
}

/// The hash of a byte string whose first word (``byteLevelKeyWord``) is `first`.
@inline(__always)
func byteLevelHash(_ p: UnsafePointer<UInt8>, _ n: Int, first: UInt64) -> UInt64 {
    var h = (first ^ (UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15)) &* 0xFF51_AFD7_ED55_8CCD
    if n > 8 {
        var i = 8
        let raw = UnsafeRawPointer(p)
        while i &+ 8 <= n {
            h ^= h &>> 29
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xC4CE_B9FE_1A85_EC53
            i &+= 8
        }
        if i < n {
            h ^= h &>> 29
            h = (h ^ byteLevelKeyWord(p + i, n &- i)) &* 0xC4CE_B9FE_1A85_EC53
        }
    }
    h ^= h &>> 32
    h &*= 0xD6E8_FEB8_6659_FD93
    h ^= h &>> 32
    return h
}

@inline(__always)
func byteLevelBytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i &+ 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i &+= 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i &+= 1
    }
    return true
}

// MARK: - Byte-string table

/// An immutable open-addressing map from byte strings to Int32 values, built once and then only
/// read (from any number of threads).
///
/// A slot is 16 bytes: the key's first 8 bytes, then its hash tag, length and value, so a key of
/// up to 8 bytes (most tokens) is found with one memory access; longer keys also compare their
/// tail in the key pool.
final class ByteLevelStringTable: @unchecked Sendable {
    /// Collects entries; `init(_:)` makes the table.
    struct Builder {
        var pool: [UInt8] = []
        var starts: [UInt32] = [0]
        var values: [Int32] = []

        var count: Int { values.count }

        mutating func append(_ key: some Collection<UInt8>, _ value: Int32) {
            pool.append(contentsOf: key)
            starts.append(UInt32(pool.count))
            values.append(value)
        }
    }

    /// What lookups read: plain pointers, so hot loops pay no reference counting.
    struct View {
        fileprivate let slots: UnsafeMutablePointer<UInt64>  // 2 words per slot; meta word 0 = empty
        fileprivate let slotEntry: UnsafeMutablePointer<UInt32>
        fileprivate let pool: UnsafeMutablePointer<UInt8>
        fileprivate let starts: UnsafeMutablePointer<UInt32>
        fileprivate let mask: Int
        fileprivate let emptyKeyValue: Int32?

        /// The value of the key `p[0..<n]`.
        @inline(__always)
        func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
            if n == 0 { return emptyKeyValue }
            let first = byteLevelKeyWord(p, n)
            let h = byteLevelHash(p, n, first: first)
            let want = (h & 0xFFFF_0000_0000_0000) | (UInt64(truncatingIfNeeded: min(n, 0xFFFF)) &<< 32)
            var s = Int(truncatingIfNeeded: h) & mask
            while true {
                let meta = slots[s &* 2 &+ 1]
                if meta == 0 { return nil }
                if meta & 0xFFFF_FFFF_0000_0000 == want && slots[s &* 2] == first {
                    if n <= 8 { return Int32(bitPattern: UInt32(truncatingIfNeeded: meta)) }
                    let start = Int(starts[Int(slotEntry[s])])
                    if byteLevelBytesEqual(pool + (start &+ 8), p + 8, n &- 8) {
                        return Int32(bitPattern: UInt32(truncatingIfNeeded: meta))
                    }
                }
                s = (s &+ 1) & mask
            }
        }
    }

    let view: View
    let count: Int
    /// Pairs (earlier entry, later entry) of equal keys. The later entry's value is the one kept
    /// (a JSON object's last duplicate wins); callers that must refuse duplicates look here.
    let duplicates: [(Int, Int)]

    init(_ builder: Builder) {
        count = builder.values.count
        var capacity = 16
        while capacity < count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        slots.initialize(repeating: 0, count: capacity * 2)
        let slotEntry = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        slotEntry.initialize(repeating: 0, count: capacity)
        let pool = UnsafeMutablePointer<UInt8>.allocate(capacity: builder.pool.count + 8)
        pool.initialize(repeating: 0, count: builder.pool.count + 8)
        builder.pool.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pool.update(from: base, count: source.count) }
        }
        let starts = UnsafeMutablePointer<UInt32>.allocate(capacity: builder.starts.count)
        builder.starts.withUnsafeBufferPointer { starts.initialize(from: $0.baseAddress!, count: $0.count) }
        var emptyKeyValue: Int32?
        var emptyKeyEntry: Int?
        var duplicates: [(Int, Int)] = []
        for entry in 0..<count {
            let start = Int(starts[entry])
            let n = Int(starts[entry + 1]) - start
            let value = builder.values[entry]
            if n == 0 {
                if let earlier = emptyKeyEntry { duplicates.append((earlier, entry)) }
                emptyKeyValue = value
                emptyKeyEntry = entry
                continue
            }
            let first = byteLevelKeyWord(pool + start, n)
            let h = byteLevelHash(pool + start, n, first: first)
            let tagged = (h & 0xFFFF_0000_0000_0000) | (UInt64(min(n, 0xFFFF)) << 32)
            let meta = tagged | UInt64(UInt32(bitPattern: value))
            var s = Int(truncatingIfNeeded: h) & mask
            while true {
                let existing = slots[s * 2 + 1]
                if existing == 0 {
                    slots[s * 2] = first
                    slots[s * 2 + 1] = meta
                    slotEntry[s] = UInt32(entry)
                    break
                }
                let other = Int(slotEntry[s])
                let otherStart = Int(starts[other])
                if Int(starts[other + 1]) - otherStart == n && byteLevelBytesEqual(pool + otherStart, pool + start, n) {
                    duplicates.append((other, entry))
                    slots[s * 2 + 1] = meta
                    slotEntry[s] = UInt32(entry)
                    break
                }
                s = (s + 1) & mask
            }
        }
        self.duplicates = duplicates
        view = View(slots: slots, slotEntry: slotEntry, pool: pool, starts: starts, mask: mask,
                    emptyKeyValue: emptyKeyValue)
    }

    deinit {
        view.slots.deallocate()
        view.slotEntry.deallocate()
        view.pool.deallocate()
        view.starts.deallocate()
    }

    /// The value of the key `p[0..<n]`.
    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? { view.find(p, n) }

    func find(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return view.emptyKeyValue }
            return view.find(base, buffer.count)
        }
    }

    func find(_ bytes: ArraySlice<UInt8>) -> Int32? {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return view.emptyKeyValue }
            return view.find(base, buffer.count)
        }
    }
}

// MARK: - Pair table

/// An immutable open-addressing map from a pair of ids to its merge: rank in the high 32 bits,
/// merged id in the low 32. `ByteLevelMergeTable.none` means "no merge". Keys and values sit side
/// by side, so a lookup touches one cache line.
final class ByteLevelMergeTable: @unchecked Sendable {
    static let none = UInt64.max

    struct View {
        fileprivate let entries: UnsafeMutablePointer<UInt64>  // key, value, key, value…
        fileprivate let mask: Int

        /// The merge of `left` followed by `right`, or `ByteLevelMergeTable.none`.
        @inline(__always)
        func merge(_ left: UInt32, _ right: UInt32) -> UInt64 {
            let key = UInt64(left) &<< 32 | UInt64(right)
            var s = ByteLevelMergeTable.slot(key) & mask
            while true {
                let k = entries[s &* 2]
                if k == key { return entries[s &* 2 &+ 1] }
                if k == UInt64.max { return ByteLevelMergeTable.none }
                s = (s &+ 1) & mask
            }
        }
    }

    let view: View
    let count: Int

    /// `merges` maps `left << 32 | right` to `rank << 32 | merged`.
    init(_ merges: [UInt64: UInt64]) {
        count = merges.count
        var capacity = 16
        while capacity * 2 < count * 3 { capacity <<= 1 }
        let mask = capacity - 1
        let entries = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
        entries.initialize(repeating: UInt64.max, count: capacity * 2)
        for (key, value) in merges {
            var s = ByteLevelMergeTable.slot(key) & mask
            while entries[s * 2] != UInt64.max { s = (s + 1) & mask }
            entries[s * 2] = key
            entries[s * 2 + 1] = value
        }
        view = View(entries: entries, mask: mask)
    }

    deinit { view.entries.deallocate() }

    @inline(__always)
    static func slot(_ key: UInt64) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h &>> 29
        return Int(truncatingIfNeeded: h)
    }

    @inline(__always)
    func merge(_ left: UInt32, _ right: UInt32) -> UInt64 { view.merge(left, right) }
}

// MARK: - Merging

enum ByteLevelMerge {
    /// Pieces up to this many symbols use the linear scan.
    static let linearLimit = 96

    /// Merges `symbols[0..<count]` in place; returns the number of symbols left.
    @inline(__always)
    static func merge(_ symbols: UnsafeMutablePointer<UInt32>, _ count: Int, _ table: ByteLevelMergeTable.View) -> Int {
        if count < 2 { return count }
        if count <= linearLimit {
            return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { ranks in
                linear(symbols, ranks.baseAddress!, count, table)
            }
        }
        return heap(symbols, count, table)
    }

    /// tiktoken's loop: find the leftmost lowest-rank pair, merge it, update its neighbours.
    @inline(__always)
    static func linear(_ symbols: UnsafeMutablePointer<UInt32>, _ ranks: UnsafeMutablePointer<UInt64>,
                       _ count: Int, _ table: ByteLevelMergeTable.View) -> Int {
        var n = count
        for i in 0..<(n &- 1) { ranks[i] = table.merge(symbols[i], symbols[i &+ 1]) }
        while n > 1 {
            var best = ByteLevelMergeTable.none
            var at = -1
            var i = 0
            while i < n &- 1 {
                if ranks[i] < best {
                    best = ranks[i]
                    at = i
                }
                i &+= 1
            }
            if at < 0 { break }
            symbols[at] = UInt32(truncatingIfNeeded: best)
            // Remove symbol at + 1 and the rank of the pair it started.
            var k = at &+ 1
            while k < n &- 1 {
                symbols[k] = symbols[k &+ 1]
                k &+= 1
            }
            k = at &+ 1
            while k < n &- 2 {
                ranks[k] = ranks[k &+ 1]
                k &+= 1
            }
            n &-= 1
            if at < n &- 1 { ranks[at] = table.merge(symbols[at], symbols[at &+ 1]) }
            if at > 0 { ranks[at &- 1] = table.merge(symbols[at &- 1], symbols[at]) }
        }
        return n
    }

    /// The same merges for long pieces: a min-heap of (rank, position) over a linked list. Stale
    /// heap entries are recognised by looking the pair up again.
    static func heap(_ symbols: UnsafeMutablePointer<UInt32>, _ count: Int, _ table: ByteLevelMergeTable.View) -> Int {
        let next = UnsafeMutablePointer<Int32>.allocate(capacity: count)
        let previous = UnsafeMutablePointer<Int32>.allocate(capacity: count)
        let alive = UnsafeMutablePointer<Bool>.allocate(capacity: count)
        defer {
            next.deallocate()
            previous.deallocate()
            alive.deallocate()
        }
        for i in 0..<count {
            next[i] = i + 1 < count ? Int32(i + 1) : -1
            previous[i] = Int32(i - 1)
            alive[i] = true
        }
        var heap = ByteLevelMinHeap()
        heap.reserve(count)
        for i in 0..<(count - 1) {
            let m = table.merge(symbols[i], symbols[i + 1])
            if m != ByteLevelMergeTable.none { heap.push((m & 0xFFFF_FFFF_0000_0000) | UInt64(i)) }
        }
        while let top = heap.pop() {
            let at = Int(top & 0xFFFF_FFFF)
            guard alive[at], next[at] >= 0 else { continue }
            let right = Int(next[at])
            let m = table.merge(symbols[at], symbols[right])
            guard m != ByteLevelMergeTable.none, m & 0xFFFF_FFFF_0000_0000 == top & 0xFFFF_FFFF_0000_0000 else { continue }
            symbols[at] = UInt32(truncatingIfNeeded: m)
            alive[right] = false
            next[at] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(at) }
            if previous[at] >= 0 {
                let left = Int(previous[at])
                let lm = table.merge(symbols[left], symbols[at])
                if lm != ByteLevelMergeTable.none { heap.push((lm & 0xFFFF_FFFF_0000_0000) | UInt64(left)) }
            }
            if next[at] >= 0 {
                let rm = table.merge(symbols[at], symbols[Int(next[at])])
                if rm != ByteLevelMergeTable.none { heap.push((rm & 0xFFFF_FFFF_0000_0000) | UInt64(at)) }
            }
        }
        var n = 0
        var i = 0
        while i >= 0 {
            symbols[n] = symbols[i]
            n += 1
            i = Int(next[i])
        }
        return n
    }
}

/// A binary min-heap of UInt64 keys.
struct ByteLevelMinHeap {
    private var items: [UInt64] = []

    mutating func reserve(_ n: Int) { items.reserveCapacity(n) }

    mutating func push(_ key: UInt64) {
        items.append(key)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent] <= key { break }
            items[i] = items[parent]
            i = parent
        }
        items[i] = key
    }

    mutating func pop() -> UInt64? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            let r = l + 1
            let child = r < n && items[r] < items[l] ? r : l
            if items[child] >= last { break }
            items[i] = items[child]
            i = child
        }
        items[i] = last
        return top
    }
}
