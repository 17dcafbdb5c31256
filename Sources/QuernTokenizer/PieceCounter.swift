// Counting the distinct whitespace-delimited pieces of a corpus, SentencePiece's way.
//
// Every sentence (line) goes through what SentencePiece's trainer does before BPE: the skip rules
// (empty, longer than max_sentence_length, holding the reserved U+2585), the identity normalizer
// (invalid UTF-8 byte -> U+FFFD, optional removal of extra spaces, the dummy prefix), meta pieces
// in the text replaced by a boundary, and the split into words ("▁word"). The words go into a
// byte-keyed hash table with their counts. Nothing here allocates per line or per word: a line is
// normalized into a reusable scratch buffer and words are hashed straight out of it.
//
// In the scratch buffer and in the table, U+2581 "▁" is kept as the single byte 0x20 (the raw
// text's spaces and any literal "▁" both become it): it makes the word split a byte compare, and
// the table's keys are converted back when the alphabet is built.

#if canImport(Glibc)
import Glibc
#endif

/// Byte values with a meaning in normalized text.
enum TrainerByte {
    /// U+2581 "▁" (SentencePiece's escaped whitespace), stored as one byte.
    static let space: UInt8 = 0x20
    /// Where a meta piece (`<s>`, `<0x41>`, a user-defined symbol...) stood in the text; also a
    /// literal U+001F. Never part of a piece, never counted in the alphabet (SentencePiece's
    /// pretokenization boundary).
    static let boundary: UInt8 = 0x1F
}

// MARK: - Word table

/// Distinct words and their counts: open addressing with linear probing over a power-of-two array
/// of 8-byte slots (at most half full), each holding 32 bits of the hash and where the word's
/// entry starts in one byte arena. An entry is the count (8 bytes), the length (4 bytes) and the
/// word, so the compare that finds a word has already brought its count into the cache. Used by
/// one thread at a time.
final class TrainerWordTable: @unchecked Sendable {
    // One thread at a time (see TrainerCounterPool): no run-time exclusivity checks needed.
    /// tag << 32 | (entry offset + 1); 0 marks an empty slot.
    @exclusivity(unchecked) private var slots: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private(set) var capacity: Int
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var arena: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var arenaCapacity: Int
    @exclusivity(unchecked) private var arenaUsed = 0
    private let groupHashes = UnsafeMutablePointer<UInt64>.allocate(capacity: 16)
    /// Receives the early loads of `add(words:)`, so they are not optimized away.
    @exclusivity(unchecked) private var sink: UInt64 = 0

    /// Bytes that `hash` may read past the end of a key (it loads 8 bytes at a time).
    static let slack = 8
    private static let entryHeader = 12

    init(capacity: Int = 1 << 16) {
        var c = 16
        while c < capacity { c <<= 1 }
        self.capacity = c
        slots = .allocate(capacity: c)
        slots.initialize(repeating: 0, count: c)
        arenaCapacity = c * 8 + TrainerWordTable.slack
        arena = .allocate(capacity: arenaCapacity)
    }

    deinit {
        slots.deallocate()
        arena.deallocate()
        groupHashes.deallocate()
    }

    /// Bytes held by the table (slots and entries).
    var footprint: Int { capacity * 8 + arenaCapacity }

    /// A fast 64-bit hash of `n` bytes at `p`. Reads whole 8-byte words, so up to 7 bytes past the
    /// end must be readable: every buffer handed here has `slack` spare bytes after its data.
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let raw = UnsafeRawPointer(p)
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
        var i = 0
        while i &+ 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i &+= 8
        }
        let rest = n &- i
        if rest > 0 {
            // Little-endian: the low `rest` bytes are the key's, the others are masked off.
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & (~UInt64(0) >> UInt64(64 &- 8 &* rest))
            h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return h
    }

    /// Byte equality of two keys, 8 bytes at a time (both have `slack` readable bytes after
    /// them): words are short, and a memcmp call costs more than comparing them.
    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let x = UnsafeRawPointer(a), y = UnsafeRawPointer(b)
        var i = 0
        while i &+ 8 <= n {
            if x.loadUnaligned(fromByteOffset: i, as: UInt64.self) != y.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i &+= 8
        }
        let rest = n &- i
        if rest == 0 { return true }
        let mask = ~UInt64(0) >> UInt64(64 &- 8 &* rest)
        return (x.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ y.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & mask == 0
    }

    /// The entry at `offset`: its key bytes and length (the count is at `offset`).
    @inline(__always)
    private func key(at offset: Int) -> (UnsafeMutablePointer<UInt8>, Int) {
        let p = arena + offset
        return (p + TrainerWordTable.entryHeader, Int(UnsafeRawPointer(p + 8).loadUnaligned(as: UInt32.self)))
    }

    /// Adds `amount` to the count of the word `p[0..<n]` (inserting it when new).
    @inline(__always)
    func add(_ p: UnsafePointer<UInt8>, _ n: Int, amount: Int64 = 1) {
        add(p, n, hash: TrainerWordTable.hash(p, n), amount: amount)
    }

    func add(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, amount: Int64) {
        let mask = capacity &- 1
        let tag = hash >> 32
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot == 0 { break }
            if slot >> 32 == tag {
                let offset = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                let (k, length) = key(at: offset)
                if length == n && TrainerWordTable.equal(k, p, n) {
                    let counter = UnsafeMutableRawPointer(arena + offset)
                    counter.storeBytes(of: counter.loadUnaligned(as: Int64.self) &+ amount, as: Int64.self)
                    return
                }
            }
            index = (index &+ 1) & mask
        }
        let needed = arenaUsed &+ TrainerWordTable.entryHeader &+ n
        if needed &+ TrainerWordTable.slack > arenaCapacity { growArena(to: needed + TrainerWordTable.slack) }
        precondition(arenaUsed < Int(UInt32.max), "more than 4 GiB of distinct words in one table")
        let entry = UnsafeMutableRawPointer(arena + arenaUsed)
        entry.storeBytes(of: amount, as: Int64.self)
        entry.storeBytes(of: UInt32(n), toByteOffset: 8, as: UInt32.self)
        (arena + arenaUsed + TrainerWordTable.entryHeader).update(from: p, count: n)
        slots[index] = tag << 32 | UInt64(arenaUsed &+ 1)
        arenaUsed = needed
        count &+= 1
        if count &* 2 > capacity { grow() }
    }

    /// Adds one to the count of each word p[starts[k]..<starts[k + 1]], k < count. Words go in
    /// groups of 16: their hashes are computed and their slots, then their entries, loaded first
    /// (independent loads the CPU keeps in flight together, where one word at a time would wait
    /// for each cache miss in turn), then they are inserted.
    func add(words p: UnsafePointer<UInt8>, starts: UnsafePointer<Int32>, count: Int) {
        let hashes = groupHashes
        var k = 0
        while k < count {
            let m = min(16, count &- k)
            let mask = capacity &- 1
            var touched: UInt64 = 0
            for j in 0..<m {
                let start = Int(starts[k &+ j])
                let h = TrainerWordTable.hash(p + start, Int(starts[k &+ j &+ 1]) &- start)
                hashes[j] = h
                touched &+= slots[Int(truncatingIfNeeded: h) & mask]
            }
            for j in 0..<m {
                let slot = slots[Int(truncatingIfNeeded: hashes[j]) & mask]
                if slot != 0 { touched &+= UInt64(arena[Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1]) }
            }
            sink ^= touched
            for j in 0..<m {
                let start = Int(starts[k &+ j])
                add(p + start, Int(starts[k &+ j &+ 1]) &- start, hash: hashes[j], amount: 1)
            }
            k &+= m
        }
    }

    private func growArena(to minimum: Int) {
        var newCapacity = arenaCapacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: arena, count: arenaUsed)
        arena.deallocate()
        arena = bigger
        arenaCapacity = newCapacity
    }

    private func grow() {
        let old = slots
        let oldCapacity = capacity
        capacity = oldCapacity * 2
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        let mask = capacity &- 1
        for i in 0..<oldCapacity where old[i] != 0 {
            // The slot keeps only the hash's high half; the index needs the low bits again.
            let (k, length) = key(at: Int(truncatingIfNeeded: old[i] & 0xFFFF_FFFF) &- 1)
            var index = Int(truncatingIfNeeded: TrainerWordTable.hash(k, length)) & mask
            while slots[index] != 0 { index = (index &+ 1) & mask }
            slots[index] = old[i]
        }
        old.deallocate()
    }

    /// Adds every word of `other` to this table.
    func merge(_ other: TrainerWordTable) {
        other.forEach { word, count in add(word.baseAddress!, word.count, amount: count) }
    }

    /// Calls `body` with every word (followed by `slack` readable bytes) and its count, in the
    /// order they were first seen.
    func forEach(_ body: (UnsafeBufferPointer<UInt8>, Int64) throws -> Void) rethrows {
        var offset = 0
        while offset < arenaUsed {
            let (k, length) = key(at: offset)
            try body(UnsafeBufferPointer(start: k, count: length), UnsafeRawPointer(arena + offset).loadUnaligned(as: Int64.self))
            offset += TrainerWordTable.entryHeader + length
        }
    }
}

// MARK: - Sentence statistics

/// What happened to the input's sentences (lines), as SentencePiece's trainer reports it.
public struct TrainerSentenceCounts: Sendable, Equatable {
    /// Sentences that were counted (after sampling, when sampling).
    public var sentences = 0
    /// Lines seen in the input, blank ones included (for JSONL: lines of the documents' texts).
    public var lines = 0
    /// Empty lines, and lines that normalized to nothing.
    public var empty = 0
    /// Lines longer than `maxSentenceLength` bytes (skipped, as SentencePiece skips them).
    public var tooLong = 0
    /// Lines holding U+2585, the character SentencePiece reserves for rare ones (skipped).
    public var reserved = 0
    /// Bytes of the counted sentences (before normalization).
    public var bytes = 0
    /// Words (whitespace-delimited pieces) counted, with repetitions.
    public var words = 0
    /// Lines that passed the skip rules (some may normalize to nothing).
    var accepted = 0

    public init() {}

    mutating func add(_ other: TrainerSentenceCounts) {
        sentences += other.sentences
        lines += other.lines
        empty += other.empty
        tooLong += other.tooLong
        reserved += other.reserved
        accepted += other.accepted
        bytes += other.bytes
        words += other.words
    }
}

// MARK: - Meta pieces in the text

/// Finds the meta pieces (special, byte and user-defined pieces) in normalized text, longest match
/// first, as SentencePiece's PrefixMatcher does before training; they are replaced by a boundary.
/// The 256 byte pieces share their first bytes ("<0x"), so candidates are found by hashing the
/// text at each length a pattern has (a handful) rather than by trying every pattern.
struct TrainerMetaPieceMatcher: Sendable {
    /// Patterns in normalized form ("▁" as a 0x20 byte).
    private let patterns: [[UInt8]]
    /// For each pattern length, longest first: hash of the pattern -> its index.
    private let byLength: [(length: Int, index: [UInt64: Int])]
    /// Whether some pattern starts with this byte (the scan's fast rejection).
    private let firstBytes: [Bool]
    /// The distinct first bytes of the patterns.
    let firstByteSet: [UInt8]

    init(pieces: [String]) {
        var list: [[UInt8]] = []
        for piece in pieces where !piece.isEmpty {
            var bytes: [UInt8] = []
            var utf8 = Array(piece.utf8)[...]
            while let b = utf8.first {
                if b == 0xE2, utf8.count >= 3, utf8[utf8.startIndex + 1] == 0x96, utf8[utf8.startIndex + 2] == 0x81 {
                    bytes.append(TrainerByte.space)
                    utf8 = utf8.dropFirst(3)
                } else {
                    bytes.append(b == 0x20 ? TrainerByte.space : b)
                    utf8 = utf8.dropFirst()
                }
            }
            list.append(bytes)
        }
        patterns = list
        var groups: [Int: [UInt64: Int]] = [:]
        for (i, pattern) in list.enumerated() {
            let padded = pattern + [UInt8](repeating: 0, count: TrainerWordTable.slack)
            let h = padded.withUnsafeBufferPointer { TrainerWordTable.hash($0.baseAddress!, pattern.count) }
            groups[pattern.count, default: [:]][h] = i
        }
        byLength = groups.sorted { $0.key > $1.key }.map { ($0.key, $0.value) }
        var first = [Bool](repeating: false, count: 256)
        for p in list { first[Int(p[0])] = true }
        firstBytes = first
        firstByteSet = (0..<256).filter { first[$0] }.map { UInt8($0) }
    }

    /// Replaces every match in `p[0..<n]` by one boundary byte, in place; returns the new length.
    /// `p` must have `TrainerWordTable.slack` readable bytes after `n` (for the hash).
    func replace(in p: UnsafeMutablePointer<UInt8>, count n: Int) -> Int {
        var read = 0
        var write = 0
        while read < n {
            let b = p[read]
            if firstBytes[Int(b)], let length = match(p + read, n - read) {
                p[write] = TrainerByte.boundary
                write += 1
                read += length
            } else {
                p[write] = b
                write += 1
                read += 1
            }
        }
        return write
    }

    private func match(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        for (length, index) in byLength where length <= n {
            if let i = index[TrainerWordTable.hash(p, length)],
               patterns[i].withUnsafeBufferPointer({ memcmp($0.baseAddress!, p, length) == 0 }) {
                return length
            }
        }
        return nil
    }
}

// MARK: - Sentences to words

/// Normalizes sentences and splits them into words, into a TrainerWordTable. One per worker thread: it
/// owns the scratch buffer a line is normalized into.
final class TrainerPieceCounter: @unchecked Sendable {
    let table: TrainerWordTable
    @exclusivity(unchecked) var counts = TrainerSentenceCounts()

    private let maxSentenceLength: Int
    private let addDummyPrefix: Bool
    private let removeExtraWhitespaces: Bool
    private let treatWhitespaceAsSuffix: Bool
    private let allowWhitespaceOnlyPieces: Bool
    private let splitByWhitespace: Bool
    private let matcher: TrainerMetaPieceMatcher
    /// When every meta piece starts with one of at most two bytes (the default ones all start
    /// with "<"), memchr for them tells at SIMD speed that a line holds none, and the matcher
    /// (whose arrays cost retains to reach) is not called. -1: no such byte.
    private let metaStart1: Int32
    private let metaStart2: Int32
    private let metaAlways: Bool
    @exclusivity(unchecked) private var scratch: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var scratchCapacity: Int
    /// Where the words of the sentence being counted start.
    @exclusivity(unchecked) private var wordStarts: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var wordStartsCapacity: Int

    init(options: BPETrainerOptions, matcher: TrainerMetaPieceMatcher) {
        maxSentenceLength = options.maxSentenceLength
        addDummyPrefix = options.addDummyPrefix
        removeExtraWhitespaces = options.removeExtraWhitespaces
        treatWhitespaceAsSuffix = options.treatWhitespaceAsSuffix
        allowWhitespaceOnlyPieces = options.allowWhitespaceOnlyPieces
        splitByWhitespace = options.splitByWhitespace
        self.matcher = matcher
        let starts = matcher.firstByteSet
        metaAlways = starts.count > 2
        metaStart1 = starts.count >= 1 && !metaAlways ? Int32(starts[0]) : -1
        metaStart2 = starts.count == 2 ? Int32(starts[1]) : -1
        table = TrainerWordTable()
        scratchCapacity = 1 << 14
        scratch = .allocate(capacity: scratchCapacity)
        scratch.initialize(repeating: 0, count: scratchCapacity)
        wordStartsCapacity = 1 << 12
        wordStarts = .allocate(capacity: wordStartsCapacity)
    }

    private func reserveStarts(_ n: Int) {
        guard n > wordStartsCapacity else { return }
        wordStarts.deallocate()
        wordStartsCapacity = max(n, wordStartsCapacity * 2)
        wordStarts = .allocate(capacity: wordStartsCapacity)
    }

    /// Makes room for normalizing a line of `n` bytes. Worst case: every byte invalid (3 bytes of
    /// U+FFFD each), plus the dummy prefix and the hash's over-read slack.
    private func reserveScratch(for n: Int) {
        let needed = 3 &* n &+ 2 &+ TrainerWordTable.slack
        guard needed > scratchCapacity else { return }
        scratch.deallocate()
        scratchCapacity = max(needed, scratchCapacity * 2)
        scratch = .allocate(capacity: scratchCapacity)
        scratch.initialize(repeating: 0, count: scratchCapacity)
    }

    deinit {
        scratch.deallocate()
        wordStarts.deallocate()
    }

    /// What `check` decides about a raw line.
    enum Verdict { case accept, empty, tooLong, reserved }

    /// SentencePiece's skip rules on the raw line (before normalization).
    @inline(__always)
    static func check(_ line: UnsafeBufferPointer<UInt8>, maxSentenceLength: Int) -> Verdict {
        if line.isEmpty { return .empty }
        if line.count > maxSentenceLength { return .tooLong }
        if containsReserved(line) { return .reserved }
        return .accept
    }

    /// Whether the line holds U+2585 (E2 96 85), which SentencePiece reserves for rare characters.
    @inline(__always)
    static func containsReserved(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard line.count >= 3, let base = line.baseAddress else { return false }
        var p = UnsafeRawPointer(base)
        var left = line.count
        while left >= 3, let found = memchr(p, 0xE2, left - 2) {
            let q = UnsafeRawPointer(found)
            if q.load(fromByteOffset: 1, as: UInt8.self) == 0x96 && q.load(fromByteOffset: 2, as: UInt8.self) == 0x85 {
                return true
            }
            let skip = q - p + 1
            p = q + 1
            left -= skip
        }
        return false
    }

    /// Counts every line of `text` ('\n'-separated; a last line without '\n' counts).
    func countLines(_ text: UnsafeBufferPointer<UInt8>) {
        guard let base = text.baseAddress else { return }
        var start = 0
        let n = text.count
        while start < n {
            let end: Int
            if let found = memchr(base + start, 0x0A, n - start) {
                end = UnsafeRawPointer(found) - UnsafeRawPointer(base)
            } else {
                end = n
            }
            countLine(UnsafeBufferPointer(start: base + start, count: end - start))
            start = end + 1
        }
    }

    /// Applies the skip rules to one raw line and counts its words.
    @inline(__always)
    func countLine(_ line: UnsafeBufferPointer<UInt8>) {
        counts.lines &+= 1
        switch TrainerPieceCounter.check(line, maxSentenceLength: maxSentenceLength) {
        case .empty: counts.empty &+= 1
        case .tooLong: counts.tooLong &+= 1
        case .reserved: counts.reserved &+= 1
        case .accept: countAcceptedLine(line)
        }
    }

    /// Counts one line that passed the skip rules (sampled sentences come in here directly).
    func countAcceptedLine(_ line: UnsafeBufferPointer<UInt8>) {
        counts.accepted &+= 1
        let n = normalize(line)
        if n == 0 {
            counts.empty &+= 1
            return
        }
        counts.sentences &+= 1
        counts.bytes &+= line.count
        splitAndCount(n)
    }

    /// Normalizes `line` into `scratch` (identity normalizer with SentencePiece's whitespace
    /// handling); returns the normalized length (0: nothing left).
    private func normalize(_ line: UnsafeBufferPointer<UInt8>) -> Int {
        let src = line.baseAddress!
        let n = line.count
        reserveScratch(for: n)
        let out = scratch
        var w = 0
        var r = 0
        if removeExtraWhitespaces {
            while r < n && src[r] == 0x20 { r &+= 1 }
            if r == n { return 0 }
        }
        if addDummyPrefix && !treatWhitespaceAsSuffix {
            out[w] = TrainerByte.space
            w &+= 1
        }
        var previousWasSpace = removeExtraWhitespaces
        while r < n {
            if !removeExtraWhitespaces {
                // ASCII needs no change (spaces already are the 0x20 that stands for "▁"): copy
                // 8 bytes at a time until a byte with its high bit set.
                while r &+ 8 <= n {
                    let word = UnsafeRawPointer(src + r).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    UnsafeMutableRawPointer(out + w).storeBytes(of: word, as: UInt64.self)
                    r &+= 8
                    w &+= 8
                }
                if r == n { break }
            }
            let b = src[r]
            if b < 0x80 {
                // ASCII: spaces are escaped (and collapsed when asked), everything else is copied.
                if b == 0x20 {
                    if !previousWasSpace { out[w] = TrainerByte.space; w &+= 1 }
                    previousWasSpace = removeExtraWhitespaces
                } else {
                    out[w] = b
                    w &+= 1
                    previousWasSpace = false
                }
                r &+= 1
                continue
            }
            previousWasSpace = false
            let length = TrainerPieceCounter.validUTF8Length(src + r, n &- r)
            if length == 0 {
                // Malformed: U+FFFD for this one byte, as SentencePiece's normalizer does.
                out[w] = 0xEF; out[w &+ 1] = 0xBF; out[w &+ 2] = 0xBD
                w &+= 3
                r &+= 1
            } else if length == 3 && b == 0xE2 && src[r &+ 1] == 0x96 && src[r &+ 2] == 0x81 {
                // A literal "▁" is the escaped whitespace once normalized.
                out[w] = TrainerByte.space
                w &+= 1
                r &+= 3
            } else {
                for k in 0..<length { out[w &+ k] = src[r &+ k] }
                w &+= length
                r &+= length
            }
        }
        if removeExtraWhitespaces {
            while w > 0 && out[w &- 1] == TrainerByte.space { w &-= 1 }
        }
        if addDummyPrefix && treatWhitespaceAsSuffix && w > 0 {
            out[w] = TrainerByte.space
            w &+= 1
        }
        if metaAlways || (metaStart1 >= 0 && memchr(out, metaStart1, w) != nil)
            || (metaStart2 >= 0 && memchr(out, metaStart2, w) != nil) {
            w = matcher.replace(in: out, count: w)
        }
        return w
    }

    /// Length of the well-formed UTF-8 sequence at `p` (lead byte >= 0x80), or 0 when malformed:
    /// overlong forms, surrogates and code points past U+10FFFF are malformed, and U+FFFD itself
    /// counts as well-formed here only when spelled correctly.
    @inline(__always)
    static func validUTF8Length(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        let b0 = UInt32(p[0])
        @inline(__always) func trail(_ i: Int) -> UInt32? {
            let b = p[i]
            return b & 0xC0 == 0x80 ? UInt32(b & 0x3F) : nil
        }
        if b0 & 0xE0 == 0xC0 {
            guard n >= 2, let t1 = trail(1) else { return 0 }
            let c = (b0 & 0x1F) << 6 | t1
            return c >= 0x80 ? 2 : 0
        }
        if b0 & 0xF0 == 0xE0 {
            guard n >= 3, let t1 = trail(1), let t2 = trail(2) else { return 0 }
            let c = (b0 & 0x0F) << 12 | t1 << 6 | t2
            return c >= 0x800 && (c < 0xD800 || c > 0xDFFF) ? 3 : 0
        }
        if b0 & 0xF8 == 0xF0 {
            guard n >= 4, let t1 = trail(1), let t2 = trail(2), let t3 = trail(3) else { return 0 }
            let c = (b0 & 0x07) << 18 | t1 << 12 | t2 << 6 | t3
            return c >= 0x10000 && c <= 0x10FFFF ? 4 : 0
        }
        return 0
    }

    /// Splits `scratch[0..<n]` into words as SentencePiece's SplitIntoWords does and counts them.
    private func splitAndCount(_ n: Int) {
        let p = UnsafePointer(scratch)
        guard splitByWhitespace else {
            table.add(p, n)
            counts.words &+= 1
            return
        }
        // Words cover the sentence back to back: word k is p[starts[k]..<starts[k + 1]].
        reserveStarts(n &+ 1)
        let starts = wordStarts
        var words = 0
        var i = 0
        if !treatWhitespaceAsSuffix {
            if allowWhitespaceOnlyPieces {
                // A word is a run of "▁" followed by a run of anything else.
                while i < n {
                    starts[words] = Int32(truncatingIfNeeded: i)
                    words &+= 1
                    while i < n && p[i] == TrainerByte.space { i &+= 1 }
                    i = TrainerPieceCounter.nextSpace(p, from: i, count: n)
                }
            } else {
                // Every "▁" starts a word.
                while i < n {
                    starts[words] = Int32(truncatingIfNeeded: i)
                    words &+= 1
                    i = TrainerPieceCounter.nextSpace(p, from: i &+ 1, count: n)
                }
            }
        } else if allowWhitespaceOnlyPieces {
            // A word is a run of anything else followed by its run of "▁".
            while i < n {
                starts[words] = Int32(truncatingIfNeeded: i)
                words &+= 1
                i = TrainerPieceCounter.nextSpace(p, from: i, count: n)
                while i < n && p[i] == TrainerByte.space { i &+= 1 }
            }
        } else {
            // Every "▁" ends a word.
            while i < n {
                starts[words] = Int32(truncatingIfNeeded: i)
                words &+= 1
                i = TrainerPieceCounter.nextSpace(p, from: i, count: n)
                if i < n { i &+= 1 }
            }
        }
        starts[words] = Int32(truncatingIfNeeded: n)
        table.add(words: p, starts: starts, count: words)
        counts.words &+= words
    }

    /// The index of the first "▁" (0x20) in p[from..<count], or `count`: 8 bytes at a time (the
    /// scratch buffer has slack to read past the end; what lies there is ignored).
    @inline(__always)
    static func nextSpace(_ p: UnsafePointer<UInt8>, from start: Int, count n: Int) -> Int {
        let raw = UnsafeRawPointer(p)
        var j = start
        while j < n {
            // Bytes equal to 0x20 become zero; the lowest flagged byte is the first zero (the
            // classic has-zero-byte test is exact up to its first hit).
            let x = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self) ^ 0x2020_2020_2020_2020
            let zero = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
            if zero != 0 { return min(n, j &+ zero.trailingZeroBitCount >> 3) }
            j &+= 8
        }
        return n
    }
}
