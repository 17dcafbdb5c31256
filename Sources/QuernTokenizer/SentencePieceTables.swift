#if canImport(Glibc)
import Glibc
#endif

// Lookup structures shared by the SentencePiece normalizer and encoders: frozen raw tables and
// scratch buffers, the Darts-clone double array that `precompiled_charsmap` stores, a byte trie
// over vocabulary pieces (prefix search for the unigram lattice and for user-defined symbols),
// hash tables (pieces by bytes, BPE merges by id pair), and UTF-8 as sentencepiece reads it.

/// An immutable array in manually managed memory, read through a raw pointer in hot loops (no
/// bounds checks, no retain/release of an array buffer per access). Frozen after `init`, hence
/// safe to share between threads.
final class SPFrozenTable<Element: BitwiseCopyable>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(_ elements: [Element]) {
        count = elements.count
        pointer = .allocate(capacity: max(count, 1))
        elements.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: count) }
        }
    }

    deinit { pointer.deallocate() }

    subscript(index: Int) -> Element {
        @inline(__always) get { pointer[index] }
    }
}

/// A growable buffer in manually managed memory for one encoder's scratch space. Callers reserve
/// capacity for a whole step, then write through `pointer` without per-element checks.
///
/// Its properties opt out of dynamic exclusivity checks: a scratch array belongs to one encode
/// call at a time (see `SPScratchPool`), and a runtime check on every access costs more than the
/// work it guards in these loops.
final class SPScratchArray<Element: BitwiseCopyable> {
    @exclusivity(unchecked) private(set) var pointer: UnsafeMutablePointer<Element>
    @exclusivity(unchecked) private(set) var capacity: Int
    @exclusivity(unchecked) var count = 0

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        pointer = .allocate(capacity: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `count + additional` elements, keeping the first `count`.
    @inline(__always)
    func reserve(additional: Int) {
        if count &+ additional > capacity { grow(to: count &+ additional) }
    }

    /// Makes room for `total` elements, keeping the first `count`.
    @inline(__always)
    func reserve(total: Int) {
        if total > capacity { grow(to: total) }
    }

    private func grow(to minimum: Int) {
        var newCapacity = capacity
        while newCapacity < minimum { newCapacity &*= 2 }
        let newPointer = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newPointer.initialize(from: pointer, count: count)
        pointer.deallocate()
        pointer = newPointer
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ element: Element) {
        if count == capacity { grow(to: count &+ 1) }
        pointer[count] = element
        count &+= 1
    }
}

// MARK: - Darts-clone double array (precompiled_charsmap)

/// The double array of a `precompiled_charsmap` and the NUL-terminated replacement strings that
/// follow it. Layout of the blob: u32 (little-endian) byte size of the array, the array's 32-bit
/// units, then the strings; a leaf's value is the offset of its replacement in the strings.
///
/// Darts-clone units: bits 0-7 label, bit 8 "has leaf", bit 9 "offset is shifted by 8", bits
/// 10-30 offset, bit 31 "is leaf" (then bits 0-30 are the value). Moving from node `i` by byte
/// `c` lands at `i ^ offset(i) ^ c`, which is a child iff its label is `c`.
///
/// sentencepiece trusts this data; here it is validated once at load (every reachable index
/// stays inside the array, every value inside the strings), so lookups need no checks.
struct SPCharsMap: Sendable {
    let units: SPFrozenTable<UInt32>
    let strings: SPFrozenTable<UInt8>
    /// `rootHasChild[c]`: some rule starts with byte `c` (most bytes take the fast path).
    let rootHasChild: SPFrozenTable<Bool>

    /// What is wrong with a charsmap.
    struct Failure: Error { let message: String }

    /// Reads and checks a blob exactly as sentencepiece 0.2.3 does (its messages, its limits):
    /// a model it refuses is refused here, and one it accepts cannot make a lookup leave the
    /// arrays.
    init(blob: [UInt8]) throws(Failure) {
        guard blob.count > 4 else {
            throw Failure(message: "precompiled_charsmap: blob for normalization rule is broken (\(blob.count) bytes)")
        }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize < blob.count - 4 else {
            throw Failure(message: "precompiled_charsmap: trie data size \(trieSize) exceeds the input blob size (\(blob.count) bytes)")
        }
        guard trieSize >= 1024, trieSize % 1024 == 0 else {
            throw Failure(message: "precompiled_charsmap: trie data size \(trieSize) is not divisible by 1024")
        }
        let strings = Array(blob[(4 + trieSize)...])
        guard strings.last == 0 else {
            throw Failure(message: "precompiled_charsmap: normalized block must be null terminated")
        }
        let unitCount = trieSize / 4
        var units = [UInt32](repeating: 0, count: unitCount)
        for i in 0..<unitCount {
            let o = 4 + 4 * i
            units[i] = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16
                | UInt32(blob[o + 3]) << 24
        }

        // darts-clone's validate(max_value = strings size): the root is a real node, every
        // node's children (base ^ any byte) lie inside the array, a node with a leaf points at a
        // leaf, and every leaf's value lies inside the strings.
        let root = units[0]
        guard Self.label(root) == 0, !Self.hasLeaf(root), Self.offset(root) != 0,
              (Int(Self.offset(root)) | 0xFF) < unitCount else {
            throw Failure(message: "precompiled_charsmap is invalid (root unit)")
        }
        for i in 1..<unitCount {
            let unit = units[i]
            if Self.label(unit) <= 0xFF {
                let base = i ^ Int(Self.offset(unit))
                guard (base | 0xFF) < unitCount else {
                    throw Failure(message: "precompiled_charsmap is invalid (unit \(i) points outside the trie)")
                }
                if Self.hasLeaf(unit) && Self.label(units[base]) <= 0xFF {
                    throw Failure(message: "precompiled_charsmap is invalid (unit \(i) has no leaf where it says)")
                }
            } else if Int(Self.value(unit)) >= strings.count {
                throw Failure(message: "precompiled_charsmap is invalid (unit \(i) points outside the strings)")
            }
        }
        var rootHasChild = [Bool](repeating: false, count: 256)
        let rootBase = Int(Self.offset(root))
        for c in 0..<256 where Self.label(units[rootBase ^ c]) == UInt32(c) { rootHasChild[c] = true }

        self.units = SPFrozenTable(units)
        self.strings = SPFrozenTable(strings)
        self.rootHasChild = SPFrozenTable(rootHasChild)
    }

    /// sentencepiece keeps the first 32 matches of a prefix search and takes the longest.
    static let maximumMatches = 32

    @inline(__always) static func label(_ unit: UInt32) -> UInt32 { unit & (1 << 31 | 0xFF) }
    @inline(__always) static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    @inline(__always) static func value(_ unit: UInt32) -> UInt32 { unit & ((1 << 31) - 1) }
    @inline(__always) static func offset(_ unit: UInt32) -> UInt32 {
        (unit >> 10) << ((unit & (1 << 9)) >> 6)
    }

    /// Raw pointers for a hot loop; valid while this charsmap lives.
    var view: View {
        View(units: UnsafePointer(units.pointer), strings: UnsafePointer(strings.pointer),
             stringCount: strings.count, rootHasChild: UnsafePointer(rootHasChild.pointer))
    }

    struct View {
        let units: UnsafePointer<UInt32>
        let strings: UnsafePointer<UInt8>
        let stringCount: Int
        let rootHasChild: UnsafePointer<Bool>

        /// The longest rule matching a prefix of `text[0..<length]` (among the first 32, as in
        /// sentencepiece): its key length and where its replacement starts in `strings` (the
        /// replacement runs to the next NUL).
        @inline(__always)
        func longestMatch(_ text: UnsafePointer<UInt8>, _ length: Int) -> (length: Int, value: Int)? {
            var node = Int(SPCharsMap.offset(units[0]))
            var best: (length: Int, value: Int)? = nil
            var matches = 0
            var i = 0
            while i < length {
                let c = text[i]
                node ^= Int(c)
                let unit = units[node]
                if SPCharsMap.label(unit) != UInt32(c) { break }
                node ^= Int(SPCharsMap.offset(unit))
                i &+= 1
                if SPCharsMap.hasLeaf(unit) {
                    best = (i, Int(SPCharsMap.value(units[node])))
                    matches &+= 1
                    if matches == SPCharsMap.maximumMatches { break }
                }
            }
            return best
        }

        /// The replacement starting at `value`: up to its NUL (or the end of the strings).
        @inline(__always)
        func replacement(at value: Int) -> (start: UnsafePointer<UInt8>, count: Int) {
            let base = strings + value
            var n = 0
            let limit = stringCount &- value
            while n < limit && base[n] != 0 { n &+= 1 }
            return (base, n)
        }
    }
}

// MARK: - Byte trie

/// A trie over byte strings with an `Int32` value per key (vocabulary ids). Nodes with many
/// children get a dense 256-entry table, the others a short sorted edge list scanned linearly.
struct SPByteTrie: Sendable {
    /// Per node: value (-1: none), first edge (or dense table index when `dense`), edge count.
    private let values: SPFrozenTable<Int32>
    private let edgeStart: SPFrozenTable<Int32>
    private let edgeCount: SPFrozenTable<Int32>
    private let labels: SPFrozenTable<UInt8>
    private let targets: SPFrozenTable<Int32>
    /// Dense tables, 256 entries each (child node or -1).
    private let dense: SPFrozenTable<Int32>
    let isEmpty: Bool

    static let root: Int32 = 0
    private static let denseThreshold = 12

    init(keys: [(key: [UInt8], value: Int32)]) {
        // Build with child dictionaries, then flatten (load time only).
        var children: [[UInt8: Int32]] = [[:]]
        var nodeValues: [Int32] = [-1]
        for (key, value) in keys {
            var node = 0
            for byte in key {
                if let next = children[node][byte] {
                    node = Int(next)
                } else {
                    children.append([:])
                    nodeValues.append(-1)
                    let next = Int32(children.count - 1)
                    children[node][byte] = next
                    node = Int(next)
                }
            }
            if nodeValues[node] < 0 { nodeValues[node] = value }  // first key wins, as in darts
        }
        var edgeStart = [Int32](repeating: 0, count: children.count)
        var edgeCount = [Int32](repeating: 0, count: children.count)
        var labels: [UInt8] = []
        var targets: [Int32] = []
        var dense: [Int32] = []
        for node in 0..<children.count {
            let sorted = children[node].sorted { $0.key < $1.key }
            if sorted.count >= Self.denseThreshold {
                edgeStart[node] = Int32(dense.count / 256)
                edgeCount[node] = -1  // dense
                var table = [Int32](repeating: -1, count: 256)
                for (label, target) in sorted { table[Int(label)] = target }
                dense += table
            } else {
                edgeStart[node] = Int32(labels.count)
                edgeCount[node] = Int32(sorted.count)
                for (label, target) in sorted {
                    labels.append(label)
                    targets.append(target)
                }
            }
        }
        values = SPFrozenTable(nodeValues)
        self.edgeStart = SPFrozenTable(edgeStart)
        self.edgeCount = SPFrozenTable(edgeCount)
        self.labels = SPFrozenTable(labels)
        self.targets = SPFrozenTable(targets)
        self.dense = SPFrozenTable(dense)
        isEmpty = keys.isEmpty
    }

    /// Raw pointers to the tables for a hot loop (no reference counting per step). Valid while
    /// this trie lives.
    var view: View {
        View(values: values.pointer, edgeStart: edgeStart.pointer, edgeCount: edgeCount.pointer,
             labels: labels.pointer, targets: targets.pointer, dense: dense.pointer)
    }

    struct View {
        let values: UnsafePointer<Int32>
        let edgeStart: UnsafePointer<Int32>
        let edgeCount: UnsafePointer<Int32>
        let labels: UnsafePointer<UInt8>
        let targets: UnsafePointer<Int32>
        let dense: UnsafePointer<Int32>

        init(values: UnsafeMutablePointer<Int32>, edgeStart: UnsafeMutablePointer<Int32>,
             edgeCount: UnsafeMutablePointer<Int32>, labels: UnsafeMutablePointer<UInt8>,
             targets: UnsafeMutablePointer<Int32>, dense: UnsafeMutablePointer<Int32>) {
            self.values = UnsafePointer(values)
            self.edgeStart = UnsafePointer(edgeStart)
            self.edgeCount = UnsafePointer(edgeCount)
            self.labels = UnsafePointer(labels)
            self.targets = UnsafePointer(targets)
            self.dense = UnsafePointer(dense)
        }

        /// The child of `node` by `byte`, or -1.
        @inline(__always)
        func child(_ node: Int32, _ byte: UInt8) -> Int32 {
            let n = Int(node)
            let count = edgeCount[n]
            let start = Int(edgeStart[n])
            if count < 0 { return dense[start &* 256 &+ Int(byte)] }
            var i = 0
            let labels = self.labels + start
            while i < Int(count) {
                let label = labels[i]
                if label == byte { return targets[start &+ i] }
                if label > byte { return -1 }
                i &+= 1
            }
            return -1
        }

        /// The value stored at `node` (-1: no key ends here).
        @inline(__always)
        func value(_ node: Int32) -> Int32 { values[Int(node)] }

        /// The longest key that is a prefix of `text[0..<length]` among the first `limit` keys
        /// found (sentencepiece's prefix matcher for user-defined symbols keeps 64).
        @inline(__always)
        func longestPrefix(_ text: UnsafePointer<UInt8>, _ length: Int, limit: Int = 64)
            -> (length: Int, value: Int32)? {
            var node = SPByteTrie.root
            var best: (length: Int, value: Int32)? = nil
            var found = 0
            var i = 0
            while i < length {
                node = child(node, text[i])
                if node < 0 { break }
                i &+= 1
                let v = value(node)
                if v >= 0 {
                    best = (i, v)
                    found &+= 1
                    if found == limit { break }
                }
            }
            return best
        }
    }

    /// The longest key that is a prefix of `text[0..<length]`: its length and value.
    func longestPrefix(_ text: UnsafePointer<UInt8>, _ length: Int) -> (length: Int, value: Int32)? {
        view.longestPrefix(text, length)
    }
}

// MARK: - UTF-8 as sentencepiece reads it

enum SentencePieceUTF8 {
    /// sentencepiece's `OneCharLen`: a character's length from its first byte alone (continuation
    /// and invalid lead bytes count as 1).
    @inline(__always)
    static func oneCharLength(_ lead: UInt8) -> Int {
        // "1 1 1 1 1 1 1 1 1 1 1 1 2 2 3 4" by the high nibble, as a packed 2-bit table.
        let table: UInt32 = 0b11_10_01_01_00_00_00_00_00_00_00_00_00_00_00_00
        return Int((table >> (UInt32(lead >> 4) &* 2)) & 3) &+ 1
    }

    /// sentencepiece's `IsValidDecodeUTF8`: the length of the well-formed character at `p`
    /// (at most `remaining` bytes), or 0 when it is malformed (then one byte is consumed and
    /// becomes U+FFFD). Overlong forms, surrogates and values past U+10FFFF are malformed.
    @inline(__always)
    static func validLength(_ p: UnsafePointer<UInt8>, _ remaining: Int) -> Int {
        let b0 = UInt32(p[0])
        if b0 < 0x80 { return 1 }
        if b0 & 0xE0 == 0xC0 {
            guard remaining >= 2 else { return 0 }
            let b1 = UInt32(p[1])
            let cp = (b0 & 0x1F) << 6 | (b1 & 0x3F)
            return b1 & 0xC0 == 0x80 && cp >= 0x80 ? 2 : 0
        }
        if b0 & 0xF0 == 0xE0 {
            guard remaining >= 3 else { return 0 }
            let b1 = UInt32(p[1]), b2 = UInt32(p[2])
            let cp = (b0 & 0x0F) << 12 | (b1 & 0x3F) << 6 | (b2 & 0x3F)
            return b1 & 0xC0 == 0x80 && b2 & 0xC0 == 0x80 && cp >= 0x800
                && (cp < 0xD800 || cp > 0xDFFF) ? 3 : 0
        }
        if b0 & 0xF8 == 0xF0 {
            guard remaining >= 4 else { return 0 }
            let b1 = UInt32(p[1]), b2 = UInt32(p[2]), b3 = UInt32(p[3])
            let cp = (b0 & 0x07) << 18 | (b1 & 0x3F) << 12 | (b2 & 0x3F) << 6 | (b3 & 0x3F)
            return b1 & 0xC0 == 0x80 && b2 & 0xC0 == 0x80 && b3 & 0xC0 == 0x80
                && cp >= 0x10000 && cp <= 0x10FFFF ? 4 : 0
        }
        return 0
    }
}

// MARK: - Hash tables

enum SentencePieceHash {
    /// A fast 64-bit hash of `length` bytes (8 bytes per step, then the tail). Not
    /// cryptographic; used for vocabulary lookups and the segment cache.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h: UInt64 = 0x5851_F42D_4C95_7F2D ^ (UInt64(truncatingIfNeeded: length) &* k)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while length &- i >= 8 {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ word) &* k
            h ^= h >> 32
            i &+= 8
        }
        if i < length {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < length {
                tail |= UInt64(p[i]) << shift
                shift &+= 8
                i &+= 1
            }
            h = (h ^ tail) &* k
            h ^= h >> 32
        }
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 32)
    }

    @inline(__always)
    static func mix(_ key: UInt64) -> UInt64 {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 31
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 29)
    }
}

/// Byte strings (the vocabulary's pieces, held in one blob) to ids: open addressing with linear
/// probing, at most half full.
struct SPPieceIndex: Sendable {
    private let slots: SPFrozenTable<Int32>      // id, or -1
    private let slotHashes: SPFrozenTable<UInt64>
    private let mask: Int
    let blob: SPFrozenTable<UInt8>
    let offsets: SPFrozenTable<Int32>            // piece i is blob[offsets[i]..<offsets[i + 1]]

    /// `ids` are the pieces to index (others stay unfindable); the first of equal pieces wins.
    init(blob: [UInt8], offsets: [Int32], ids: [Int32]) {
        var capacity = 16
        while capacity < ids.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        var hashes = [UInt64](repeating: 0, count: capacity)
        blob.withUnsafeBufferPointer { b in
            let base = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for id in ids {
                let start = Int(offsets[Int(id)]), length = Int(offsets[Int(id) + 1]) - start
                let h = SentencePieceHash.hash(base + start, length)
                var slot = Int(truncatingIfNeeded: h) & (capacity - 1)
                var duplicate = false
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    let os = Int(offsets[other]), ol = Int(offsets[other + 1]) - os
                    if hashes[slot] == h && ol == length && memcmp(base + os, base + start, length) == 0 {
                        duplicate = true
                        break
                    }
                    slot = (slot + 1) & (capacity - 1)
                }
                if !duplicate {
                    slots[slot] = id
                    hashes[slot] = h
                }
            }
        }
        self.slots = SPFrozenTable(slots)
        slotHashes = SPFrozenTable(hashes)
        mask = capacity - 1
        self.blob = SPFrozenTable(blob)
        self.offsets = SPFrozenTable(offsets)
    }

    /// The id of the piece equal to `p[0..<length]`, or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ length: Int) -> Int32 {
        let h = SentencePieceHash.hash(p, length)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots.pointer[slot]
            if id < 0 { return -1 }
            if slotHashes.pointer[slot] == h {
                let start = Int(offsets.pointer[Int(id)])
                if Int(offsets.pointer[Int(id) &+ 1]) &- start == length
                    && memcmp(blob.pointer + start, p, length) == 0 {
                    return id
                }
            }
            slot = (slot &+ 1) & mask
        }
    }
}

/// UInt64 keys (below 2^63) to Int32 values: open addressing, linear probing, at most half full.
struct SPIntegerTable: Sendable {
    private let keys: SPFrozenTable<UInt64>     // UInt64.max: empty
    private let values: SPFrozenTable<Int32>
    private let mask: Int
    let count: Int

    init(_ pairs: [(key: UInt64, value: Int32)]) {
        var capacity = 16
        while capacity < pairs.count * 2 { capacity *= 2 }
        var keys = [UInt64](repeating: .max, count: capacity)
        var values = [Int32](repeating: -1, count: capacity)
        var count = 0
        for (key, value) in pairs {
            var slot = Int(truncatingIfNeeded: SentencePieceHash.mix(key)) & (capacity - 1)
            while keys[slot] != .max && keys[slot] != key { slot = (slot + 1) & (capacity - 1) }
            if keys[slot] == .max {
                keys[slot] = key
                values[slot] = value
                count += 1
            }
        }
        self.keys = SPFrozenTable(keys)
        self.values = SPFrozenTable(values)
        mask = capacity - 1
        self.count = count
    }

    /// The value of `key`, or -1.
    @inline(__always)
    func lookup(_ key: UInt64) -> Int32 {
        var slot = Int(truncatingIfNeeded: SentencePieceHash.mix(key)) & mask
        while true {
            let k = keys.pointer[slot]
            if k == key { return values.pointer[slot] }
            if k == .max { return -1 }
            slot = (slot &+ 1) & mask
        }
    }
}

/// Merge lookups for BPE: (left id, right id) -> id of the concatenated piece. Every symbol pair
/// of a word goes through here, so the table is laid out for one cache miss per lookup: with
/// fewer than 65,536 pieces a slot is one UInt64 (16-bit ids packed into the upper half, the
/// merged id in the lower half); larger vocabularies use 64-bit keys beside their values.
struct SPPairTable: Sendable {
    private let compact: SPFrozenTable<UInt64>?
    private let wide: SPIntegerTable?
    private let mask: Int
    private let shift: UInt32

    init(_ pairs: [(left: Int32, right: Int32, merged: Int32)], vocabularySize: Int) {
        if vocabularySize <= 0xFFFF {
            var capacity = 16
            while capacity < pairs.count * 2 { capacity *= 2 }
            var slots = [UInt64](repeating: .max, count: capacity)
            let bits = UInt32(capacity.trailingZeroBitCount)
            for (left, right, merged) in pairs {
                let key = UInt32(left) << 16 | UInt32(right)
                var slot = Self.slot(key, bits)
                while slots[slot] != .max && UInt32(truncatingIfNeeded: slots[slot] >> 32) != key {
                    slot = (slot + 1) & (capacity - 1)
                }
                if slots[slot] == .max { slots[slot] = UInt64(key) << 32 | UInt64(UInt32(merged)) }
            }
            compact = SPFrozenTable(slots)
            wide = nil
            mask = capacity - 1
            shift = bits
        } else {
            compact = nil
            wide = SPIntegerTable(pairs.map { (UInt64(UInt32($0.left)) << 32 | UInt64(UInt32($0.right)), $0.merged) })
            mask = 0
            shift = 0
        }
    }

    /// Fibonacci hashing of the packed key into `bits` bits.
    @inline(__always)
    private static func slot(_ key: UInt32, _ bits: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> (64 &- UInt64(bits)))
    }

    /// The merged id, or -1.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> Int32 {
        guard let compact else {
            return wide!.lookup(UInt64(UInt32(left)) << 32 | UInt64(UInt32(right)))
        }
        let key = UInt32(truncatingIfNeeded: left) << 16 | UInt32(truncatingIfNeeded: right)
        var slot = Self.slot(key, shift)
        let slots = compact.pointer
        while true {
            let entry = slots[slot]
            if UInt32(truncatingIfNeeded: entry >> 32) == key { return Int32(truncatingIfNeeded: entry) }
            if entry == .max { return -1 }
            slot = (slot &+ 1) & mask
        }
    }
}
