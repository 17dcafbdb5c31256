// The BPE merge loop of SentencePiece's BPE trainer, over distinct words instead of sentences.
//
// SentencePiece keeps, for every candidate pair ("bigram symbol"), the set of positions where it
// occurs and recomputes a pair's frequency lazily; it selects the most frequent pair (ties: fewer
// characters, then the smaller string), skips a string that was already added, and after a merge
// only revisits the positions of the merged pair. Frequencies it selects on are exact, so the same
// choices come out of exact incremental counts, which is what this engine keeps:
//
// - words: the distinct whitespace-delimited pieces with their counts, each a record (length,
//   count, symbol ids) in one flat Int32 array, rewritten in place as merges shorten them; word
//   lists hold record offsets, so a word visit is one or two cache lines;
// - pairs: count (sum of word counts over adjacent occurrences, overlapping ones included, as
//   SentencePiece counts them) and the list of words the pair was created in (lists of pairs that
//   are gone are compacted away now and then);
// - a max-heap of (count, characters, string) with lazy invalidation: counts only go down after a
//   pair is created (every occurrence of a pair appears in the one merge that creates the later of
//   its two symbols), so a popped entry whose count is stale is pushed back with the current count.
//
// A merge of (A, B) -> S visits the words of its list only: each occurrence takes one from the
// pairs it breaks ((prev, A), (B, next)) and adds to (prev, S) and (S, next). All pairs holding S
// are new in this merge, so they are gathered in two arrays indexed by the other symbol (no
// hashing), and their word lists come out contiguous.
//
// Pairs whose count fell to zero stay candidates, as in SentencePiece, which then still adds them
// (with no occurrences) when the corpus runs out of real merges before the vocabulary is full.

#if canImport(Glibc)
import Glibc
#endif

/// Memory for the large arrays: 2 MiB-aligned and marked for transparent huge pages, because
/// the merge loop jumps between words all over a tens-of-megabytes array and 4 KiB pages would
/// cost a TLB miss on nearly every word.
enum TrainerMemory {
    static func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(1, count) * MemoryLayout<T>.stride
        var raw: UnsafeMutableRawPointer?
        let alignment = bytes >= 1 << 22 ? 1 << 21 : max(16, MemoryLayout<T>.alignment)
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else {
            fatalError("out of memory allocating \(bytes) bytes")
        }
        if bytes >= 1 << 22 { _ = madvise(raw, bytes, 14 /* MADV_HUGEPAGE */) }
        return raw.bindMemory(to: T.self, capacity: max(1, count))
    }

    static func free<T>(_ pointer: UnsafeMutablePointer<T>) {
        Glibc.free(UnsafeMutableRawPointer(pointer))
    }
}

/// A growable array of trivial values behind a raw pointer: no copy-on-write or exclusivity
/// checks in the hot loops, which work on local copies and store them back.
struct TrainerBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = max(16, capacity)
        base = TrainerMemory.allocate(Element.self, count: self.capacity)
    }

    func deallocate() { TrainerMemory.free(base) }

    var bytes: Int { capacity * MemoryLayout<Element>.stride }

    @inline(__always)
    subscript(i: Int) -> Element {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    @inline(__always)
    mutating func append(_ value: Element) {
        if count == capacity { reserve(capacity * 2) }
        (base + count).initialize(to: value)
        count &+= 1
    }

    mutating func reserve(_ minimum: Int) {
        guard minimum > capacity else { return }
        var newCapacity = capacity
        while newCapacity < minimum { newCapacity *= 2 }
        let bigger = TrainerMemory.allocate(Element.self, count: newCapacity)
        bigger.moveInitialize(from: base, count: count)
        TrainerMemory.free(base)
        base = bigger
        capacity = newCapacity
    }

    /// Grows the count by `n` uninitialized (trivial) elements and returns where they start.
    mutating func extend(by n: Int) -> Int {
        reserve(count + n)
        let start = count
        count += n
        return start
    }

    mutating func removeLast() { count -= 1 }

    mutating func removeAll() { count = 0 }
}

/// A merge made: the two symbols joined (the new symbol is the next id) and its frequency then.
struct TrainerMerge: Sendable {
    var left: Int32
    var right: Int32
    var frequency: Int64
}

/// SentencePiece's IsValidSentencePiece, on symbol character classes.
struct TrainerPieceRules: Sendable {
    var maxPieceLength: Int
    var splitByWhitespace: Bool
    var treatWhitespaceAsSuffix: Bool
    var allowWhitespaceOnlyPieces: Bool
    var splitByNumber: Bool
    var splitByUnicodeScript: Bool
    var splitDigits: Bool

    // A character's class: its script (low byte, Hiragana/Katakana already folded into Han) and flags.
    static let whitespace: UInt16 = 0x100
    static let forbidden: UInt16 = 0x200
    static let digit: UInt16 = 0x400
    /// SentencePiece's kAnyType: a script that matches every script.
    static let anyScript: UInt8 = 0xFF

    /// The class of a character of the alphabet.
    static func characterClass(_ c: UInt32) -> UInt16 {
        if c == 0x2581 { return whitespace }
        // Tab (the old user-pretokenization boundary), the boundary and NUL never join a piece.
        if c == 0x09 || c == 0x1F || c == 0 || c == 0x20 || c == 0x2585 { return forbidden }
        var script = TrainerUnicodeScripts.script(of: c)
        if script == TrainerUnicodeScripts.hiragana || script == TrainerUnicodeScripts.katakana || c == 0x30FC {
            script = TrainerUnicodeScripts.han
        }
        var flags: UInt16 = 0
        if (0x30...0x39).contains(c) || (0xFF10...0xFF19).contains(c) { flags |= digit }
        return flags | UInt16(script)
    }

    /// Whether the piece with these character classes may be a vocabulary piece.
    @inline(__always)
    func isValid(_ classes: UnsafePointer<UInt16>, _ n: Int) -> Bool {
        if n == 0 || n > maxPieceLength { return false }
        var allWhitespace = true
        for i in 0..<n where classes[i] & TrainerPieceRules.whitespace == 0 {
            allWhitespace = false
            break
        }
        var previous = TrainerPieceRules.anyScript
        for position in 0..<n {
            let c = classes[position]
            if c & TrainerPieceRules.forbidden != 0 { return false }
            if c & TrainerPieceRules.whitespace != 0 {
                if allowWhitespaceOnlyPieces && allWhitespace { continue }
                if treatWhitespaceAsSuffix {
                    if splitByWhitespace ? position < n - 1 : (position < n - 1 && position == 0) { return false }
                } else {
                    if splitByWhitespace ? position > 0 : (position > 0 && position == n - 1) { return false }
                }
                continue
            }
            var script = UInt8(truncatingIfNeeded: c)
            if script == TrainerUnicodeScripts.inherited { script = previous }
            if c & TrainerPieceRules.digit != 0 {
                if !splitByNumber { script = TrainerPieceRules.anyScript }
                if splitDigits && n > 1 { return false }
            }
            if splitByUnicodeScript && script != TrainerPieceRules.anyScript
                && previous != TrainerPieceRules.anyScript && previous != script {
                return false
            }
            previous = script
        }
        return true
    }
}

/// Runs the merges. Symbols 0..<alphabet are the required characters, `alphabet` is the unknown
/// symbol (rare characters and boundaries: it never joins a pair), merged symbols follow.
final class BPEMergeEngine {
    // The stored properties are marked @exclusivity(unchecked): the engine is used by one thread
    // and never hands out references to them, and the run-time checks cost ~5% of the merge time.
    private let rules: TrainerPieceRules
    let unknown: Int32

    // Symbols: UTF-8 bytes and character classes, each in one arena.
    @exclusivity(unchecked) private var symbolBytes = TrainerBuffer<UInt8>(capacity: 1 << 16)
    @exclusivity(unchecked) private var symbolByteStart = TrainerBuffer<UInt32>()
    @exclusivity(unchecked) private var symbolByteLength = TrainerBuffer<UInt32>()
    @exclusivity(unchecked) private var symbolClasses = TrainerBuffer<UInt16>(capacity: 1 << 16)
    @exclusivity(unchecked) private var symbolClassStart = TrainerBuffer<UInt32>()
    @exclusivity(unchecked) private var symbolLength = TrainerBuffer<UInt32>()

    /// Words, one record each: [length, count (low, high), symbols...]. A merge shortens the
    /// length in place; the record keeps its room.
    private let records: UnsafeMutablePointer<Int32>
    private let recordSlots: Int
    private static let header = 3
    let words: Int

    // Pairs. `pairState`: 0 candidate, 1 merged, 2 dropped (its string was added already).
    @exclusivity(unchecked) private var pairKey = TrainerBuffer<UInt64>(capacity: 1 << 16)
    @exclusivity(unchecked) private var pairCount = TrainerBuffer<Int64>(capacity: 1 << 16)
    @exclusivity(unchecked) private var pairListStart = TrainerBuffer<UInt32>(capacity: 1 << 16)
    @exclusivity(unchecked) private var pairListLength = TrainerBuffer<UInt32>(capacity: 1 << 16)
    @exclusivity(unchecked) private var pairState = TrainerBuffer<UInt8>(capacity: 1 << 16)
    /// Word lists (record offsets), contiguous per pair.
    @exclusivity(unchecked) private var occurrences = TrainerBuffer<UInt32>(capacity: 1 << 20)
    /// Entries of `occurrences` that belong to merged or dropped pairs.
    @exclusivity(unchecked) private var deadOccurrences = 0
    @exclusivity(unchecked) private var map = TrainerPairMap(capacity: 1 << 16)

    private struct HeapEntry {
        /// count << 10 | (1023 - characters): larger is better.
        var key: UInt64
        var pair: UInt32
    }
    @exclusivity(unchecked) private var heap = TrainerBuffer<HeapEntry>(capacity: 1 << 16)

    // Per-merge gathering of the new pairs (X, S) by X and (S, Y) by Y (S, S is an (X, S)).
    @exclusivity(unchecked) private var leftSlot: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var rightSlot: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var slotCapacity: Int
    @exclusivity(unchecked) private var newKey = TrainerBuffer<UInt64>()
    @exclusivity(unchecked) private var newCount = TrainerBuffer<Int64>()
    @exclusivity(unchecked) private var newValid = TrainerBuffer<Bool>()
    @exclusivity(unchecked) private var newLastWord = TrainerBuffer<UInt32>()
    @exclusivity(unchecked) private var newListLength = TrainerBuffer<UInt32>()
    @exclusivity(unchecked) private var newOffset = TrainerBuffer<Int>()
    @exclusivity(unchecked) private var newOccurrenceSlot = TrainerBuffer<Int32>(capacity: 1 << 12)
    @exclusivity(unchecked) private var newOccurrenceWord = TrainerBuffer<UInt32>(capacity: 1 << 12)

    /// Strings of the pieces merged so far (SentencePiece's `dup` set), compared as bytes.
    @exclusivity(unchecked) private var added = Set<[UInt8]>()
    @exclusivity(unchecked) private(set) var merges: [TrainerMerge] = []
    private let compareLeft: UnsafeMutablePointer<UInt8>
    private let compareRight: UnsafeMutablePointer<UInt8>
    private let classScratch: UnsafeMutablePointer<UInt16>
    /// Receives the early loads of the merge loop (see `merge`), so they are not optimized away.
    @exclusivity(unchecked) private var touched: Int32 = 0

    /// Peak bytes held by the engine (words included).
    @exclusivity(unchecked) private(set) var peakBytes = 0

    /// - Parameters:
    ///   - alphabet: the required characters, in SentencePiece's order.
    ///   - totalSymbols, wordCapacity: upper bounds of the symbols and words `fill` adds.
    ///   - fill: called once; hands over every word through `add(symbols, count)`.
    init(rules: TrainerPieceRules, alphabet: [UInt32], totalSymbols: Int, wordCapacity: Int,
         fill: (_ add: (UnsafeBufferPointer<Int32>, Int64) -> Void) throws -> Void) rethrows {
        self.rules = rules
        unknown = Int32(alphabet.count)
        compareLeft = .allocate(capacity: rules.maxPieceLength * 4)
        compareRight = .allocate(capacity: rules.maxPieceLength * 4)
        classScratch = .allocate(capacity: rules.maxPieceLength + 1)
        slotCapacity = alphabet.count + 1 + 1024
        leftSlot = .allocate(capacity: slotCapacity)
        leftSlot.initialize(repeating: -1, count: slotCapacity)
        rightSlot = .allocate(capacity: slotCapacity)
        rightSlot.initialize(repeating: -1, count: slotCapacity)

        let capacity = totalSymbols + BPEMergeEngine.header * wordCapacity
        precondition(capacity < Int(UInt32.max), "too many distinct words for one training run")
        let records = TrainerMemory.allocate(Int32.self, count: capacity)
        var used = 0
        var n = 0
        try fill { symbols, count in
            precondition(n < wordCapacity && used + BPEMergeEngine.header + symbols.count <= capacity)
            records[used] = Int32(symbols.count)
            UnsafeMutableRawPointer(records + used + 1).storeBytes(of: count, as: Int64.self)
            (records + used + BPEMergeEngine.header).update(from: symbols.baseAddress!, count: symbols.count)
            used += BPEMergeEngine.header + symbols.count
            n += 1
        }
        self.records = records
        recordSlots = used
        words = n

        for c in alphabet {
            let utf8 = Unicode.Scalar(c).map { Array(String(Character($0)).utf8) } ?? []
            addSymbol(bytes: utf8, classes: [TrainerPieceRules.characterClass(c)])
        }
        // The unknown symbol: never valid in a pair, so its bytes never matter.
        addSymbol(bytes: [], classes: [TrainerPieceRules.forbidden])
        countInitialPairs()
    }

    deinit {
        symbolBytes.deallocate(); symbolByteStart.deallocate(); symbolByteLength.deallocate()
        symbolClasses.deallocate(); symbolClassStart.deallocate(); symbolLength.deallocate()
        TrainerMemory.free(records)
        pairKey.deallocate(); pairCount.deallocate(); pairListStart.deallocate(); pairListLength.deallocate()
        pairState.deallocate(); occurrences.deallocate(); map.deallocate(); heap.deallocate()
        leftSlot.deallocate(); rightSlot.deallocate()
        newKey.deallocate(); newCount.deallocate(); newValid.deallocate(); newLastWord.deallocate()
        newListLength.deallocate(); newOffset.deallocate()
        newOccurrenceSlot.deallocate(); newOccurrenceWord.deallocate()
        compareLeft.deallocate(); compareRight.deallocate(); classScratch.deallocate()
    }

    // MARK: Symbols

    var symbolCount: Int { symbolLength.count }

    private func addSymbol(bytes: [UInt8], classes: [UInt16]) {
        symbolByteStart.append(UInt32(symbolBytes.count))
        symbolByteLength.append(UInt32(bytes.count))
        for b in bytes { symbolBytes.append(b) }
        symbolClassStart.append(UInt32(symbolClasses.count))
        symbolLength.append(UInt32(classes.count))
        for c in classes { symbolClasses.append(c) }
    }

    /// The UTF-8 bytes of a symbol.
    func bytes(of symbol: Int32) -> [UInt8] {
        let s = Int(symbol)
        let start = Int(symbolByteStart[s])
        return Array(UnsafeBufferPointer(start: symbolBytes.base + start, count: Int(symbolByteLength[s])))
    }

    /// Whether the concatenation of `left` and `right` is a valid piece.
    private func isValidPair(_ left: Int32, _ right: Int32) -> Bool {
        if left == unknown || right == unknown { return false }
        let l = Int(left), r = Int(right)
        let nl = Int(symbolLength[l]), nr = Int(symbolLength[r])
        let n = nl + nr
        if n > rules.maxPieceLength { return false }
        classScratch.update(from: symbolClasses.base + Int(symbolClassStart[l]), count: nl)
        (classScratch + nl).update(from: symbolClasses.base + Int(symbolClassStart[r]), count: nr)
        return rules.isValid(classScratch, n)
    }

    // MARK: Heap

    @inline(__always)
    private func heapKey(count: Int64, pair: Int) -> UInt64 {
        let key = pairKey[pair]
        let characters = symbolLength[Int(key >> 32)] &+ symbolLength[Int(key & 0xFFFF_FFFF)]
        return UInt64(max(0, count)) << 10 | UInt64(1023 &- min(characters, 1023))
    }

    /// Writes the pair's string into `buffer`; returns its length.
    @inline(__always)
    private func pairString(_ pair: UInt32, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        let key = pairKey[Int(pair)]
        let l = Int(key >> 32), r = Int(key & 0xFFFF_FFFF)
        let nl = Int(symbolByteLength[l]), nr = Int(symbolByteLength[r])
        buffer.update(from: symbolBytes.base + Int(symbolByteStart[l]), count: nl)
        (buffer + nl).update(from: symbolBytes.base + Int(symbolByteStart[r]), count: nr)
        return nl + nr
    }

    /// Heap order: more frequent first; then fewer characters; then the smaller string (UTF-8
    /// order is code point order, as SentencePiece compares); then the older pair.
    @inline(__always)
    private func before(_ a: HeapEntry, _ b: HeapEntry) -> Bool {
        if a.key != b.key { return a.key > b.key }
        let na = pairString(a.pair, into: compareLeft)
        let nb = pairString(b.pair, into: compareRight)
        let common = min(na, nb)
        var i = 0
        while i < common {
            let x = compareLeft[i], y = compareRight[i]
            if x != y { return x < y }
            i &+= 1
        }
        if na != nb { return na < nb }
        return a.pair < b.pair
    }

    private func push(_ entry: HeapEntry) {
        heap.append(entry)
        let h = heap.base
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) >> 1
            guard before(entry, h[parent]) else { break }
            h[i] = h[parent]
            i = parent
        }
        h[i] = entry
    }

    private func siftDown(from start: Int, _ entry: HeapEntry, count n: Int) {
        let h = heap.base
        var i = start
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var child = l
            if l + 1 < n && before(h[l + 1], h[l]) { child = l + 1 }
            guard before(h[child], entry) else { break }
            h[i] = h[child]
            i = child
        }
        h[i] = entry
    }

    private func popTop() {
        let last = heap[heap.count - 1]
        heap.removeLast()
        if heap.count > 0 { siftDown(from: 0, last, count: heap.count) }
    }

    // MARK: Pairs

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Calls `body` with every word record's offset, symbols and count, in memory order.
    private func forEachWord(_ body: (Int, UnsafeMutablePointer<Int32>, Int, Int64) -> Void) {
        var o = 0
        while o < recordSlots {
            let n = Int(records[o])
            body(o, records + o + BPEMergeEngine.header, n,
                 UnsafeRawPointer(records + o + 1).loadUnaligned(as: Int64.self))
            o += BPEMergeEngine.header + n
        }
    }

    /// Counts the adjacent character pairs of all words and builds their word lists.
    private func countInitialPairs() {
        // Pass 1: counts, and the number of distinct words per pair.
        var lastWord = TrainerBuffer<Int>(capacity: 1 << 12)
        defer { lastWord.deallocate() }
        var invalid = TrainerPairMap(capacity: 1 << 10)
        defer { invalid.deallocate() }
        forEachWord { o, base, n, c in
            guard n >= 2 else { return }
            for i in 0..<(n - 1) {
                let a = base[i], b = base[i + 1]
                let key = BPEMergeEngine.key(a, b)
                var pair = map.find(key)
                if pair < 0 {
                    if invalid.find(key) >= 0 { continue }
                    guard isValidPair(a, b) else {
                        invalid.insert(key, value: 0)
                        continue
                    }
                    pair = Int32(pairKey.count)
                    map.insert(key, value: pair)
                    pairKey.append(key)
                    pairCount.append(0)
                    pairListStart.append(0)
                    pairListLength.append(0)
                    pairState.append(0)
                    lastWord.append(-1)
                }
                let p = Int(pair)
                pairCount[p] &+= c
                if lastWord[p] != o {
                    lastWord[p] = o
                    pairListLength[p] &+= 1
                }
            }
        }
        // Pass 2: the word lists, contiguous per pair.
        var total = 0
        for p in 0..<pairKey.count {
            pairListStart[p] = UInt32(total)
            total += Int(pairListLength[p])
            pairListLength[p] = 0
            lastWord[p] = -1
        }
        precondition(total < Int(UInt32.max), "too many pair occurrences")
        _ = occurrences.extend(by: total)
        forEachWord { o, base, n, _ in
            guard n >= 2 else { return }
            for i in 0..<(n - 1) {
                let pair = map.find(BPEMergeEngine.key(base[i], base[i + 1]))
                guard pair >= 0 else { continue }
                let p = Int(pair)
                if lastWord[p] != o {
                    lastWord[p] = o
                    occurrences[Int(pairListStart[p] + pairListLength[p])] = UInt32(o)
                    pairListLength[p] &+= 1
                }
            }
        }
        heap.reserve(pairKey.count)
        for p in 0..<pairKey.count {
            heap.append(HeapEntry(key: heapKey(count: pairCount[p], pair: p), pair: UInt32(p)))
        }
        var start = heap.count / 2 - 1
        while start >= 0 {
            siftDown(from: start, heap[start], count: heap.count)
            start -= 1
        }
        notePeak()
    }

    private func notePeak() {
        var bytes = symbolBytes.bytes + symbolClasses.bytes + recordSlots * 4
        bytes += pairKey.bytes + pairCount.bytes + pairListStart.bytes + pairListLength.bytes + pairState.bytes
        bytes += occurrences.bytes + map.bytes + heap.bytes
        bytes += newOccurrenceSlot.bytes + newOccurrenceWord.bytes
        peakBytes = max(peakBytes, bytes)
    }

    // MARK: Merging

    /// The best candidate pair, or nil when none is left. Stale heap entries are refreshed here.
    private func popBest() -> Int? {
        while heap.count > 0 {
            let top = heap[0]
            let p = Int(top.pair)
            if pairState[p] != 0 {
                popTop()
                continue
            }
            let current = heapKey(count: pairCount[p], pair: p)
            if top.key != current {
                // The count went down since this entry was pushed: requeue it where it belongs.
                heap[0] = HeapEntry(key: current, pair: top.pair)
                siftDown(from: 0, heap[0], count: heap.count)
                continue
            }
            popTop()
            return p
        }
        return nil
    }

    /// Merges until `target` pieces are added or no candidate is left. `progress` is called after
    /// every merge with the number done and the merge's frequency.
    func run(target: Int, progress: (Int, Int64) -> Void) {
        merges.reserveCapacity(target)
        while merges.count < target {
            guard let best = popBest() else { break }
            let key = pairKey[best]
            let left = Int32(truncatingIfNeeded: key >> 32), right = Int32(truncatingIfNeeded: key)
            let length = pairString(UInt32(best), into: compareLeft)
            let string = Array(UnsafeBufferPointer(start: compareLeft, count: length))
            deadOccurrences += Int(pairListLength[best])
            if !added.insert(string).inserted {
                // Another pair of symbols spells the same piece: never selected again.
                pairState[best] = 2
                continue
            }
            pairState[best] = 1
            merges.append(TrainerMerge(left: left, right: right, frequency: pairCount[best]))
            let l = Int(left), r = Int(right)
            let classes = Array(UnsafeBufferPointer(start: symbolClasses.base + Int(symbolClassStart[l]), count: Int(symbolLength[l])))
                + Array(UnsafeBufferPointer(start: symbolClasses.base + Int(symbolClassStart[r]), count: Int(symbolLength[r])))
            addSymbol(bytes: string, classes: classes)
            merge(best, left: left, right: right, into: Int32(symbolCount - 1))
            if deadOccurrences > 1 << 20 && deadOccurrences * 2 > occurrences.count { compactOccurrences() }
            if merges.count & 255 == 0 { notePeak() }
            progress(merges.count, merges[merges.count - 1].frequency)
        }
        notePeak()
    }

    /// Replaces every occurrence of (a, b) by `s` in the words of `pair`'s list, keeping every
    /// pair count exact, and makes the pairs holding `s` candidates.
    private func merge(_ pair: Int, left a: Int32, right b: Int32, into s: Int32) {
        if Int(s) >= slotCapacity { growSlots() }
        // Everything the loop touches is in locals: class properties would cost an exclusivity
        // check per access, and the buffers are stored back at the end.
        let list = occurrences.base + Int(pairListStart[pair])
        let listLength = Int(pairListLength[pair])
        let records = self.records
        let counts = pairCount.base
        let map = self.map
        let leftSlot = self.leftSlot, rightSlot = self.rightSlot
        var newKey = self.newKey, newCount = self.newCount, newValid = self.newValid
        var newLastWord = self.newLastWord, newListLength = self.newListLength
        var newOccurrenceSlot = self.newOccurrenceSlot, newOccurrenceWord = self.newOccurrenceWord

        /// One more (x, y) occurrence in the word at `o`; `table[index]` finds the pair's slot.
        @inline(__always)
        func gain(_ table: UnsafeMutablePointer<Int32>, _ index: Int32, _ x: Int32, _ y: Int32, by c: Int64, word o: UInt32) {
            var slot = Int(table[Int(index)])
            if slot < 0 {
                slot = newKey.count
                table[Int(index)] = Int32(slot)
                newKey.append(BPEMergeEngine.key(x, y))
                newCount.append(0)
                newValid.append(isValidPair(x, y))
                newLastWord.append(UInt32.max)
                newListLength.append(0)
            }
            guard newValid[slot] else { return }
            newCount[slot] &+= c
            if newLastWord[slot] != o {
                newLastWord[slot] = o
                newListLength[slot] &+= 1
                newOccurrenceSlot.append(Int32(slot))
                newOccurrenceWord.append(o)
            }
        }

        var touched: Int32 = 0
        for k in 0..<listLength {
            // Words are visited all over a large array, one cache miss each. Every 8 words, the
            // next 8 records are loaded back to back: independent loads the CPU keeps in flight
            // together, so 8 misses cost about one (Swift has no prefetch instruction).
            if k & 7 == 0 {
                let end = min(k &+ 8, listLength)
                var j = k
                while j < end {
                    touched &+= records[Int(list[j])]
                    j &+= 1
                }
            }
            let o = list[k]
            let record = records + Int(o)
            let n = Int(record[0])
            let c = UnsafeRawPointer(record + 1).loadUnaligned(as: Int64.self)
            let base = record + BPEMergeEngine.header
            // Rewrites the word in place, left to right (as SentencePiece visits positions), so
            // base[out - 1] is the live left neighbour, a merged S included.
            var read = 0
            var out = 0
            while read < n {
                let x = base[read]
                if x == a && read &+ 1 < n && base[read &+ 1] == b {
                    if out > 0 {
                        let previous = base[out &- 1]
                        if previous == s {
                            // (S, A) was gained by the occurrence just before: give it back.
                            let slot = Int(rightSlot[Int(a)])
                            if newValid[slot] { newCount[slot] &-= c }
                        } else {
                            let p = map.find(BPEMergeEngine.key(previous, a))
                            if p >= 0 { counts[Int(p)] &-= c }
                        }
                        gain(leftSlot, previous, previous, s, by: c, word: o)
                    }
                    if read &+ 2 < n {
                        // Not yet rewritten, so never S.
                        let next = base[read &+ 2]
                        let p = map.find(BPEMergeEngine.key(b, next))
                        if p >= 0 { counts[Int(p)] &-= c }
                        gain(rightSlot, next, s, next, by: c, word: o)
                    }
                    base[out] = s
                    out &+= 1
                    read &+= 2
                } else {
                    base[out] = x
                    out &+= 1
                    read &+= 1
                }
            }
            record[0] = Int32(out)
        }
        self.touched ^= touched

        // The new pairs become candidates (zero counts included, as SentencePiece keeps them),
        // each with a contiguous word list.
        let created = newKey.count
        var total = 0
        let firstPair = pairKey.count
        newOffset.removeAll()
        for slot in 0..<created {
            let key = newKey[slot]
            let x = Int32(truncatingIfNeeded: key >> 32), y = Int32(truncatingIfNeeded: key)
            if x == s && y != s { rightSlot[Int(y)] = -1 } else { leftSlot[Int(x)] = -1 }
            newOffset.append(total)
            guard newValid[slot] else { continue }
            self.map.insert(key, value: Int32(pairKey.count))
            pairKey.append(key)
            pairCount.append(newCount[slot])
            pairListStart.append(UInt32(occurrences.count + total))
            pairListLength.append(newListLength[slot])
            pairState.append(0)
            total += Int(newListLength[slot])
        }
        let start = occurrences.extend(by: total)
        precondition(occurrences.count < Int(UInt32.max), "too many pair occurrences")
        let offsets = newOffset.base
        let destination = occurrences.base + start
        for i in 0..<newOccurrenceSlot.count {
            let slot = Int(newOccurrenceSlot[i])
            destination[offsets[slot]] = newOccurrenceWord[i]
            offsets[slot] &+= 1
        }
        for p in firstPair..<pairKey.count {
            push(HeapEntry(key: heapKey(count: pairCount[p], pair: p), pair: UInt32(p)))
        }
        newKey.removeAll(); newCount.removeAll(); newValid.removeAll(); newLastWord.removeAll()
        newListLength.removeAll(); newOccurrenceSlot.removeAll(); newOccurrenceWord.removeAll()
        self.newKey = newKey; self.newCount = newCount; self.newValid = newValid
        self.newLastWord = newLastWord; self.newListLength = newListLength
        self.newOccurrenceSlot = newOccurrenceSlot; self.newOccurrenceWord = newOccurrenceWord
    }

    /// Drops the word lists of merged and dropped pairs.
    private func compactOccurrences() {
        var live = 0
        for p in 0..<pairKey.count where pairState[p] == 0 { live += Int(pairListLength[p]) }
        var compacted = TrainerBuffer<UInt32>(capacity: live + live / 2 + 1024)
        for p in 0..<pairKey.count where pairState[p] == 0 {
            let start = compacted.extend(by: Int(pairListLength[p]))
            (compacted.base + start).update(from: occurrences.base + Int(pairListStart[p]), count: Int(pairListLength[p]))
            pairListStart[p] = UInt32(start)
        }
        occurrences.deallocate()
        occurrences = compacted
        deadOccurrences = 0
    }

    private func growSlots() {
        let newCapacity = slotCapacity * 2
        let l = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        l.initialize(repeating: -1, count: newCapacity)
        l.update(from: leftSlot, count: slotCapacity)
        let r = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        r.initialize(repeating: -1, count: newCapacity)
        r.update(from: rightSlot, count: slotCapacity)
        leftSlot.deallocate()
        rightSlot.deallocate()
        leftSlot = l
        rightSlot = r
        slotCapacity = newCapacity
    }
}

/// Pair key (left << 32 | right) -> pair index: open addressing, linear probing, at most half
/// full. Keys are never removed.
struct TrainerPairMap {
    private var keys: UnsafeMutablePointer<UInt64>
    /// Pair index + 1; 0 marks an empty slot.
    private var values: UnsafeMutablePointer<Int32>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        self.capacity = c
        keys = TrainerMemory.allocate(UInt64.self, count: c)
        values = TrainerMemory.allocate(Int32.self, count: c)
        values.initialize(repeating: 0, count: c)
    }

    func deallocate() {
        TrainerMemory.free(keys)
        TrainerMemory.free(values)
    }

    var bytes: Int { capacity * 12 }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The value stored for `key`, or -1.
    @inline(__always)
    func find(_ key: UInt64) -> Int32 {
        let mask = capacity &- 1
        var i = TrainerPairMap.slot(key, mask)
        while true {
            let v = values[i]
            if v == 0 { return -1 }
            if keys[i] == key { return v &- 1 }
            i = (i &+ 1) & mask
        }
    }

    /// Stores `value` (>= 0) for a key that is not in the map yet.
    mutating func insert(_ key: UInt64, value: Int32) {
        if (count + 1) * 2 > capacity { grow() }
        let mask = capacity &- 1
        var i = TrainerPairMap.slot(key, mask)
        while values[i] != 0 { i = (i &+ 1) & mask }
        keys[i] = key
        values[i] = value &+ 1
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values, oldCapacity = capacity
        capacity *= 2
        keys = TrainerMemory.allocate(UInt64.self, count: capacity)
        values = TrainerMemory.allocate(Int32.self, count: capacity)
        values.initialize(repeating: 0, count: capacity)
        let mask = capacity &- 1
        for j in 0..<oldCapacity where oldValues[j] != 0 {
            var i = TrainerPairMap.slot(oldKeys[j], mask)
            while values[i] != 0 { i = (i &+ 1) & mask }
            keys[i] = oldKeys[j]
            values[i] = oldValues[j]
        }
        TrainerMemory.free(oldKeys)
        TrainerMemory.free(oldValues)
    }
}
