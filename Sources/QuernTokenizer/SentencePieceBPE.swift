#if canImport(Glibc)
import Glibc
#endif

/// SentencePiece BPE segmentation (model_type BPE: LLaMA-1/2's tokenizer.model), with the ids
/// sentencepiece 0.2.3's bpe_model.cc produces.
///
/// The algorithm: the normalized text is cut into symbols (user-defined symbols, frozen, then
/// single characters); every adjacent pair whose concatenation is a normal, user-defined or
/// unused piece (never a control, unknown or byte piece) goes into a priority queue keyed by that
/// piece's score (higher first; on equal scores the leftmost pair); the best pair is merged, its
/// neighbours' pairs are queued, stale entries are skipped when popped. Finally each symbol
/// becomes its id; an unused piece is split back into the pair it was last queued from; a symbol
/// that is no such piece is unknown and becomes its UTF-8 bytes as `<0xXX>` pieces with
/// byte_fallback, or one `<unk>` per run of unknown symbols without.
///
/// Hot-path choices (the loop runs once per character of every line of a corpus):
/// - Merges only ever join adjacent symbols, so when no vocabulary piece contains "▁" right after
///   another character (true of LLaMA and of every model trained with whitespace as a prefix),
///   no merge can cross the point before a "▁" that follows a non-"▁": the text is cut there into
///   segments (roughly words with their leading space) that are merged independently. The result
///   is identical, heaps stay tiny, and each segment's result is cached per thread: prose repeats
///   its words, so most segments are a hash and a copy.
/// - Pair lookups go through ids, not strings: a table maps (left id, right id) to the merged id
///   for every split of every piece into two pieces; only symbols that are no piece (rare
///   characters) fall back to looking up the concatenated bytes.
/// - Symbols and the heap live in per-thread scratch buffers reused across calls; nothing is
///   allocated per character or per line once they have grown.
struct SentencePieceBPE: Sendable {
    let vocabulary: SentencePieceVocabulary
    /// Piece id of each ASCII byte as a one-character symbol (-1: none).
    let asciiIDs: SPFrozenTable<Int32>
    /// Piece id of short symbols (up to 4 bytes, packed little-endian into the key).
    let shortIDs: SPIntegerTable
    /// (left id, right id) -> id of the concatenated piece.
    let pairs: SPPairTable
    /// Whether the text may be cut into independent segments before each "▁" that follows a
    /// non-"▁" (no user-defined symbols, no unused pieces, no piece with "▁" after another char).
    let segmentable: Bool
    /// Each piece's score as an unsigned key in sentencepiece 0.2.3's queue order: it compares
    /// the scores' bit patterns as integers (negative floats reversed), which orders -0 below +0
    /// and places NaNs by sign; the key reproduces that order with one unsigned compare.
    let orderKeys: SPFrozenTable<UInt32>

    /// Segments longer than this are merged without the cache (URLs, unspaced CJK runs).
    static let maximumCachedSegment = 48

    init(vocabulary: SentencePieceVocabulary) {
        self.vocabulary = vocabulary
        let index = vocabulary.index
        var ascii = [Int32](repeating: -1, count: 128)
        var short: [(key: UInt64, value: Int32)] = []
        var pairList: [(left: Int32, right: Int32, merged: Int32)] = []
        var crossesSpace = false
        vocabulary.blob.withUnsafeBufferPointer { blob in
            let base = blob.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for id in vocabulary.normalIDs {
                let range = vocabulary.range(of: id)
                let p = base + range.lowerBound
                let n = range.count
                if n == 1 && p[0] < 0x80 && ascii[Int(p[0])] < 0 { ascii[Int(p[0])] = id }
                if n <= 4 { short.append((Self.packed(p, n), id)) }
                // Every split into two pieces is a merge that produces this piece.
                for k in 1..<max(n, 1) {
                    let left = index.lookup(p, k)
                    guard left >= 0 else { continue }
                    let right = index.lookup(p + k, n - k)
                    guard right >= 0 else { continue }
                    pairList.append((left, right, id))
                }
                // A "▁" right after another character that is not "▁".
                var i = 0
                var previousIsSpace = true  // nothing before the first character
                while i < n {
                    let length = min(SentencePieceUTF8.oneCharLength(p[i]), n - i)
                    let isSpace = length == 3 && p[i] == 0xE2 && p[i + 1] == 0x96 && p[i + 2] == 0x81
                    if isSpace && !previousIsSpace { crossesSpace = true }
                    previousIsSpace = isSpace
                    i += length
                }
            }
        }
        orderKeys = SPFrozenTable((0..<vocabulary.count).map { id in
            let bits = vocabulary.scores[id].bitPattern
            return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        })
        asciiIDs = SPFrozenTable(ascii)
        shortIDs = SPIntegerTable(short)
        pairs = SPPairTable(pairList, vocabularySize: vocabulary.count)
        segmentable = !crossesSpace && vocabulary.userSymbols == nil && !vocabulary.hasUnused
    }

    @inline(__always)
    static func packed(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var key: UInt64 = 0
        var i = 0
        while i < n {
            key |= UInt64(p[i]) << (UInt64(truncatingIfNeeded: i) &* 8)
            i &+= 1
        }
        return key
    }

    /// Appends the ids of `normalized` text to `ids`.
    func encode(_ text: UnsafePointer<UInt8>, _ n: Int, scratch: SPEncoderScratch, into ids: inout [TokenID]) {
        guard n > 0 else { return }
        var output = SentencePieceOutput(vocabulary: vocabulary)
        if segmentable {
            encodeSegments(text, n, scratch: scratch, output: &output, into: &ids)
        } else {
            encodeWhole(text, n, scratch: scratch, output: &output, into: &ids)
        }
    }

    // MARK: Segments (fast path)

    private func encodeSegments(_ text: UnsafePointer<UInt8>, _ n: Int, scratch: SPEncoderScratch,
                                output: inout SentencePieceOutput, into ids: inout [TokenID]) {
        let cache = scratch.cache
        var segmentStart = 0
        var previousIsSpace = false
        var i = 0
        // Cut before every "▁" (E2 96 81) that follows another character, stepping through the
        // characters as the symbol split will (sentencepiece's OneCharLen), so that cuts always
        // fall between symbols even if a charsmap wrote malformed UTF-8.
        while i < n {
            let lead = text[i]
            if lead < 0x80 {
                previousIsSpace = false
                i &+= 1
                continue
            }
            let length = min(SentencePieceUTF8.oneCharLength(lead), n &- i)
            if length == 3 && lead == 0xE2 && text[i &+ 1] == 0x96 && text[i &+ 2] == 0x81 {
                if !previousIsSpace && i > segmentStart {
                    encodeSegment(text, segmentStart, i, cache: cache, scratch: scratch, output: &output, into: &ids)
                    segmentStart = i
                }
                previousIsSpace = true
            } else {
                previousIsSpace = false
            }
            i &+= length
        }
        encodeSegment(text, segmentStart, n, cache: cache, scratch: scratch, output: &output, into: &ids)
    }

    @inline(__always)
    private func encodeSegment(_ text: UnsafePointer<UInt8>, _ start: Int, _ end: Int, cache: SPSegmentCache,
                               scratch: SPEncoderScratch, output: inout SentencePieceOutput,
                               into ids: inout [TokenID]) {
        let length = end &- start
        let p = text + start
        if length <= SPShortKey.maximumLength {
            // Most segments: the key is two words, the first-level cache a load and two compares.
            let key = SPShortKey(p, length)
            let hash = key.hash
            if let hit = cache.hotLookup(hash, key) {
                output.emit(hit.values, hit.count, text: text, start: start, into: &ids)
                return
            }
            if let hit = cache.lookup(hash, p, length) {
                cache.hotInsert(hash, key, hit.values, hit.count)
                output.emit(hit.values, hit.count, text: text, start: start, into: &ids)
                return
            }
            let results = mergeSegment(text, start, end, scratch: scratch)
            cache.insert(hash, p, length, results.pointer, results.count)
            cache.hotInsert(hash, key, results.pointer, results.count)
            output.emit(results.pointer, results.count, text: text, start: start, into: &ids)
        } else if length <= Self.maximumCachedSegment {
            let hash = SentencePieceHash.hash(p, length)
            if let hit = cache.lookup(hash, p, length) {
                output.emit(hit.values, hit.count, text: text, start: start, into: &ids)
                return
            }
            let results = mergeSegment(text, start, end, scratch: scratch)
            cache.insert(hash, p, length, results.pointer, results.count)
            output.emit(results.pointer, results.count, text: text, start: start, into: &ids)
        } else {
            let results = mergeSegment(text, start, end, scratch: scratch)
            output.emit(results.pointer, results.count, text: text, start: start, into: &ids)
        }
    }

    /// BPE over one segment with no frozen symbols and no unused pieces: the result values
    /// (output id, or -length for an unknown symbol) in `scratch.results`.
    private func mergeSegment(_ text: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                              scratch: SPEncoderScratch) -> SPScratchArray<Int32> {
        let symbolArray = scratch.symbols
        symbolArray.count = 0
        symbolArray.reserve(total: end &- start)
        let symbols = symbolArray.pointer
        var count = 0
        var j = start
        while j < end {
            let length = min(SentencePieceUTF8.oneCharLength(text[j]), end &- j)
            symbols[count] = SPBPESymbol(start: Int32(j), length: Int32(length), id: characterID(text + j, length),
                                       previous: Int32(count &- 1), next: Int32(count &+ 1), frozen: false)
            count &+= 1
            j &+= length
        }
        symbols[count &- 1].next = -1
        symbolArray.count = count
        runMerges(text, symbols, count, heap: scratch.heap, trackUnused: nil)

        let results = scratch.results
        results.count = 0
        results.reserve(total: count)
        var index: Int32 = 0
        while index >= 0 {
            let symbol = symbols[Int(index)]
            results.pointer[results.count] = resultValue(symbol.id, length: symbol.length)
            results.count &+= 1
            index = symbol.next
        }
        return results
    }

    /// A result value: the symbol's id, or -length when it is no normal, user-defined or unused
    /// piece (sentencepiece then outputs the unknown id, which becomes bytes or `<unk>`).
    @inline(__always)
    private func resultValue(_ pieceID: Int32, length: Int32) -> Int32 {
        pieceID >= 0 ? pieceID : -length
    }

    @inline(__always)
    private func characterID(_ p: UnsafePointer<UInt8>, _ length: Int) -> Int32 {
        if length == 1 && p[0] < 0x80 { return asciiIDs.pointer[Int(p[0])] }
        return shortIDs.lookup(Self.packed(p, length))
    }

    // MARK: Merging

    /// The id of the piece `symbols[left] + symbols[right]`, or -1.
    @inline(__always)
    private func mergedID(_ text: UnsafePointer<UInt8>, _ left: SPBPESymbol, _ right: SPBPESymbol) -> Int32 {
        if left.id >= 0 && right.id >= 0 {
            return pairs.lookup(left.id, right.id)
        }
        // A symbol that is no piece: look the concatenated bytes up (adjacent symbols are
        // contiguous in the text).
        return vocabulary.index.lookup(text + Int(left.start), Int(left.length &+ right.length))
    }

    /// sentencepiece's main loop over `symbols[0..<count]` (linked, first symbol 0). With
    /// `trackUnused`, merges that make an unused piece are recorded for re-segmentation.
    private func runMerges(_ text: UnsafePointer<UInt8>, _ symbols: UnsafeMutablePointer<SPBPESymbol>, _ count: Int,
                           heap: SPScratchArray<SPBPEPair>, trackUnused: SPUnusedMerges?) {
        heap.count = 0
        guard count > 1 else { return }
        let keys = orderKeys.pointer

        @inline(__always) func maybeAdd(_ left: Int32, _ right: Int32) {
            if left < 0 || right < 0 { return }
            let l = symbols[Int(left)], r = symbols[Int(right)]
            if l.frozen || r.frozen { return }
            let merged = mergedID(text, l, r)
            if merged < 0 { return }
            SPBPEHeap.push(heap, SPBPEPair(key: keys[Int(merged)], left: left, right: right,
                                       merged: merged, size: l.length &+ r.length))
            if let trackUnused, vocabulary.isUnused(merged) {
                trackUnused.record(merged: merged, left: l, right: r)
            }
        }

        // Initial pairs: all lookups first, in a loop without dependencies between iterations so
        // that the CPU overlaps their cache misses (the pair table is larger than the core's
        // cache and a new word's pairs are cold), then one O(n) heapify.
        heap.reserve(total: 2 &* count)  // n - 1 pairs, then at most one more per merge
        let h = heap.pointer
        var queued = 0
        for i in 1..<count {
            let l = symbols[i &- 1], r = symbols[i]
            h[queued] = SPBPEPair(key: 0, left: Int32(i &- 1), right: Int32(i),
                                merged: l.frozen || r.frozen ? -1 : mergedID(text, l, r), size: l.length &+ r.length)
            queued &+= 1
        }
        var kept = 0
        for j in 0..<queued where h[j].merged >= 0 {
            var pair = h[j]
            pair.key = keys[Int(pair.merged)]
            h[kept] = pair
            kept &+= 1
            if let trackUnused, vocabulary.isUnused(pair.merged) {
                trackUnused.record(merged: pair.merged, left: symbols[Int(pair.left)], right: symbols[Int(pair.right)])
            }
        }
        heap.count = kept
        SPBPEHeap.heapify(heap)

        while heap.count > 0 {
            let top = SPBPEHeap.pop(heap)
            let left = Int(top.left), right = Int(top.right)
            // Stale: one side was merged away or grew since this pair was queued.
            let leftLength = symbols[left].length, rightLength = symbols[right].length
            if leftLength == 0 || rightLength == 0 || leftLength &+ rightLength != top.size { continue }
            symbols[left].length = top.size
            symbols[left].id = top.merged
            let next = symbols[right].next
            symbols[left].next = next
            if next >= 0 { symbols[Int(next)].previous = top.left }
            symbols[right].length = 0
            maybeAdd(symbols[left].previous, top.left)
            maybeAdd(top.left, next)
        }
    }

    // MARK: Whole text (general path)

    /// The complete algorithm over the whole normalized text: user-defined symbols are matched
    /// first and never merged; merges that produce unused pieces are undone at the end the way
    /// sentencepiece does (its last recorded split of each unused piece, recursively).
    private func encodeWhole(_ text: UnsafePointer<UInt8>, _ n: Int, scratch: SPEncoderScratch,
                             output: inout SentencePieceOutput, into ids: inout [TokenID]) {
        let symbolArray = scratch.symbols
        symbolArray.count = 0
        symbolArray.reserve(total: n)
        let symbols = symbolArray.pointer
        var count = 0
        var j = 0
        while j < n {
            var symbol = SPBPESymbol(start: Int32(j), length: 0, id: -1, previous: Int32(count &- 1),
                                   next: Int32(count &+ 1), frozen: false)
            if let user = vocabulary.userSymbols, let match = user.longestPrefix(text + j, n &- j) {
                symbol.length = Int32(match.length)
                symbol.id = match.value
                symbol.frozen = true
            } else {
                let length = min(SentencePieceUTF8.oneCharLength(text[j]), n &- j)
                symbol.length = Int32(length)
                symbol.id = characterID(text + j, length)
            }
            symbols[count] = symbol
            count &+= 1
            j &+= Int(symbol.length)
        }
        symbols[count &- 1].next = -1
        symbolArray.count = count
        let unused: SPUnusedMerges? = vocabulary.hasUnused ? SPUnusedMerges() : nil
        runMerges(text, symbols, count, heap: scratch.heap, trackUnused: unused)

        let results = scratch.results
        results.count = 0
        var index: Int32 = 0
        while index >= 0 {
            let symbol = symbols[Int(index)]
            if let unused, symbol.id >= 0, vocabulary.isUnused(symbol.id) {
                resegment(text, start: Int(symbol.start), length: Int(symbol.length), id: symbol.id,
                          depth: 0, unused: unused, into: results)
            } else {
                results.append(resultValue(symbol.id, length: symbol.length))
            }
            index = symbol.next
        }
        output.emit(results.pointer, results.count, text: text, start: 0, into: &ids)
    }

    /// sentencepiece's `resegment`: an unused piece is replaced by the two symbols it was last
    /// recorded as merged from, recursively (an unused piece without a record, or text that is
    /// no normal piece, is unknown). `id` is the text's piece id, -1 when it has none. Past 100
    /// levels the text is output with its id as it is, as sentencepiece does.
    private func resegment(_ text: UnsafePointer<UInt8>, start: Int, length: Int, id: Int32, depth: Int,
                           unused: SPUnusedMerges, into results: SPScratchArray<Int32>) {
        if depth > Self.maximumResegmentDepth {
            let any = vocabulary.pieceToID(text + start, length)
            results.append(any < 0 || vocabulary.type(any) == .unknown ? Int32(-length) : any)
            return
        }
        guard id >= 0 else {
            results.append(Int32(-length))
            return
        }
        guard vocabulary.isUnused(id) else {
            results.append(id)
            return
        }
        guard let split = unused.splits[id] else {
            results.append(Int32(-length))
            return
        }
        for (s, l) in [(split.leftStart, split.leftLength), (split.rightStart, split.rightLength)] {
            resegment(text, start: Int(s), length: Int(l), id: vocabulary.index.lookup(text + Int(s), Int(l)),
                      depth: depth + 1, unused: unused, into: results)
        }
    }

    static let maximumResegmentDepth = 100
}

/// One symbol of the BPE working list (a doubly linked list inside an array).
struct SPBPESymbol: BitwiseCopyable {
    var start: Int32
    /// 0 once merged into its left neighbour.
    var length: Int32
    /// Vocabulary id of the symbol's bytes (-1: not a piece).
    var id: Int32
    var previous: Int32
    var next: Int32
    /// User-defined symbols never merge.
    var frozen: Bool
}

/// A queued merge candidate.
struct SPBPEPair: BitwiseCopyable {
    /// The merged piece's score as an order key (see `SentencePieceBPE.orderKeys`).
    var key: UInt32
    var left: Int32
    var right: Int32
    var merged: Int32
    /// Byte length of the merged piece: a popped pair is stale unless both sides still add up.
    var size: Int32
}

/// A binary max-heap of merge candidates in a scratch array: higher score first, then the
/// leftmost pair (sentencepiece's comparator).
enum SPBPEHeap {
    @inline(__always)
    static func precedes(_ a: SPBPEPair, _ b: SPBPEPair) -> Bool {
        a.key > b.key || (a.key == b.key && a.left < b.left)
    }

    @inline(__always)
    static func push(_ heap: SPScratchArray<SPBPEPair>, _ pair: SPBPEPair) {
        heap.reserve(additional: 1)
        let h = heap.pointer
        var i = heap.count
        heap.count &+= 1
        while i > 0 {
            let parent = (i &- 1) >> 1
            if !precedes(pair, h[parent]) { break }
            h[i] = h[parent]
            i = parent
        }
        h[i] = pair
    }

    /// Orders `heap[0..<count]` into a heap bottom-up.
    static func heapify(_ heap: SPScratchArray<SPBPEPair>) {
        let h = heap.pointer
        let n = heap.count
        var start = n / 2
        while start > 0 {
            start &-= 1
            let item = h[start]
            var i = start
            while true {
                let l = 2 &* i &+ 1
                if l >= n { break }
                var child = l
                if l &+ 1 < n && precedes(h[l &+ 1], h[l]) { child = l &+ 1 }
                if !precedes(h[child], item) { break }
                h[i] = h[child]
                i = child
            }
            h[i] = item
        }
    }

    @inline(__always)
    static func pop(_ heap: SPScratchArray<SPBPEPair>) -> SPBPEPair {
        let h = heap.pointer
        let top = h[0]
        heap.count &-= 1
        let n = heap.count
        if n > 0 {
            let last = h[n]
            var i = 0
            while true {
                let l = 2 &* i &+ 1
                if l >= n { break }
                var child = l
                let r = l &+ 1
                if r < n && precedes(h[r], h[l]) { child = r }
                if !precedes(h[child], last) { break }
                h[i] = h[child]
                i = child
            }
            h[i] = last
        }
        return top
    }
}

/// sentencepiece's `rev_merge`: for each unused piece, the split recorded when a pair making it
/// was last queued (positions in the normalized text, which outlives the encode call's merges).
final class SPUnusedMerges {
    struct Split { var leftStart, leftLength, rightStart, rightLength: Int32 }
    var splits: [Int32: Split] = [:]

    func record(merged: Int32, left: SPBPESymbol, right: SPBPESymbol) {
        splits[merged] = Split(leftStart: left.start, leftLength: left.length,
                               rightStart: right.start, rightLength: right.length)
    }
}

/// Turns result values into ids as sentencepiece's PopulateSentencePieceText does: known ids as
/// they are; an unknown symbol as one `<0xXX>` id per byte with byte_fallback, else `<unk>`,
/// with a run of unknown symbols collapsed into one `<unk>`.
struct SentencePieceOutput {
    let unkID: Int32
    let byteIDs: SPFrozenTable<Int32>?
    let lengths: SPFrozenTable<Int32>
    var previousUnknown = false

    init(vocabulary: SentencePieceVocabulary) {
        unkID = vocabulary.unkID
        byteIDs = vocabulary.byteIDs
        lengths = vocabulary.lengths
    }

    /// `values[0..<count]` cover `text[start...]` in order.
    @inline(__always)
    mutating func emit(_ values: UnsafePointer<Int32>, _ count: Int, text: UnsafePointer<UInt8>, start: Int,
                       into ids: inout [TokenID]) {
        var i = 0
        while i < count {
            let value = values[i]
            if value >= 0 {
                ids.append(value)
                previousUnknown = false
            } else {
                emitUnknown(values, i, text: text, start: start, into: &ids)
            }
            i &+= 1
        }
    }

    /// The unknown symbol `values[index]`; its offset is found by adding up the lengths before
    /// it (rare, so not tracked on the common path).
    private mutating func emitUnknown(_ values: UnsafePointer<Int32>, _ index: Int, text: UnsafePointer<UInt8>,
                                      start: Int, into ids: inout [TokenID]) {
        let length = Int(-values[index])
        if let byteIDs {
            var offset = start
            for k in 0..<index {
                let v = values[k]
                offset += v >= 0 ? Int(lengths[Int(v)]) : Int(-v)
            }
            for k in 0..<length { ids.append(byteIDs[Int(text[offset + k])]) }
        } else if !previousUnknown {
            ids.append(unkID)
        }
        previousUnknown = true
    }
}

/// Per-thread cache of segment results: open addressing over the segment's hash, keys and
/// values in two arenas, 16-byte slots. Cleared when full (cheap, and it follows the text when
/// a long run drifts from one kind of text to another).
final class SPSegmentCache {
    private struct Slot {
        var hash: UInt32         // 0: empty
        var keyStart: UInt32
        var valueStart: UInt32
        var keyLength: UInt16
        var valueCount: UInt16
    }

    private let slots: UnsafeMutablePointer<Slot>
    private let mask: Int
    private let maximumCount: Int
    @exclusivity(unchecked) private var count = 0
    private let keys = SPScratchArray<UInt8>(capacity: 1 << 16)
    private let values = SPScratchArray<Int32>(capacity: 1 << 14)

    /// First level: direct-mapped, short segments with their (at most six) values inline, small
    /// enough to stay in the core's cache. Frequent words live here.
    private struct HotSlot {
        var key: SPShortKey        // length 0: empty
        var count: Int32
        var values: (Int32, Int32, Int32, Int32, Int32, Int32)
    }
    private static let hotCapacity = 6
    private let hot: UnsafeMutablePointer<HotSlot>
    private let hotMask: Int

    /// Second level: 2^17 slots (2 MiB) holding up to 65,536 segments (on English prose about
    /// 90% of the segments are found); first level: 4,096 slots (192 KiB).
    init(slotCount: Int = 1 << 17, hotSlotCount: Int = 1 << 12) {
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: Slot(hash: 0, keyStart: 0, valueStart: 0, keyLength: 0, valueCount: 0),
                         count: slotCount)
        mask = slotCount - 1
        maximumCount = slotCount / 2
        hot = .allocate(capacity: hotSlotCount)
        hot.initialize(repeating: HotSlot(key: SPShortKey(), count: 0, values: (0, 0, 0, 0, 0, 0)), count: hotSlotCount)
        hotMask = hotSlotCount - 1
    }

    deinit {
        slots.deallocate()
        hot.deallocate()
    }

    @inline(__always)
    func hotLookup(_ hash: UInt64, _ key: SPShortKey) -> (values: UnsafePointer<Int32>, count: Int)? {
        let slot = hot + (Int(truncatingIfNeeded: hash >> 40) & hotMask)
        guard slot.pointee.key == key else { return nil }
        let values = UnsafeRawPointer(slot) + MemoryLayout<HotSlot>.offset(of: \.values)!
        return (values.assumingMemoryBound(to: Int32.self), Int(slot.pointee.count))
    }

    @inline(__always)
    func hotInsert(_ hash: UInt64, _ key: SPShortKey, _ results: UnsafePointer<Int32>, _ count: Int) {
        guard count <= Self.hotCapacity else { return }
        let slot = hot + (Int(truncatingIfNeeded: hash >> 40) & hotMask)
        slot.pointee.key = key
        slot.pointee.count = Int32(count)
        let values = UnsafeMutableRawPointer(slot) + MemoryLayout<HotSlot>.offset(of: \.values)!
        values.assumingMemoryBound(to: Int32.self).update(from: results, count: count)
    }

    @inline(__always)
    func lookup(_ hash: UInt64, _ key: UnsafePointer<UInt8>, _ length: Int)
        -> (values: UnsafePointer<Int32>, count: Int)? {
        let h = UInt32(truncatingIfNeeded: hash >> 32) | 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot.hash == 0 { return nil }
            if slot.hash == h && Int(slot.keyLength) == length
                && memcmp(keys.pointer + Int(slot.keyStart), key, length) == 0 {
                return (UnsafePointer(values.pointer + Int(slot.valueStart)), Int(slot.valueCount))
            }
            i = (i &+ 1) & mask
        }
    }

    /// Stores a segment's results (`length` and `resultCount` are at most 65,535).
    func insert(_ hash: UInt64, _ key: UnsafePointer<UInt8>, _ length: Int,
                _ results: UnsafePointer<Int32>, _ resultCount: Int) {
        if count >= maximumCount || keys.count > Int(UInt32.max) - length
            || values.count > Int(UInt32.max) - resultCount {
            clear()
        }
        let h = UInt32(truncatingIfNeeded: hash >> 32) | 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].hash != 0 { i = (i &+ 1) & mask }
        keys.reserve(additional: length)
        (keys.pointer + keys.count).update(from: key, count: length)
        values.reserve(additional: resultCount)
        (values.pointer + values.count).update(from: results, count: resultCount)
        slots[i] = Slot(hash: h, keyStart: UInt32(keys.count), valueStart: UInt32(values.count),
                        keyLength: UInt16(length), valueCount: UInt16(resultCount))
        keys.count += length
        values.count += resultCount
        count += 1
    }

    func clear() {
        hot.update(repeating: HotSlot(key: SPShortKey(), count: 0, values: (0, 0, 0, 0, 0, 0)), count: hotMask + 1)
        slots.update(repeating: Slot(hash: 0, keyStart: 0, valueStart: 0, keyLength: 0, valueCount: 0),
                     count: mask + 1)
        keys.count = 0
        values.count = 0
        count = 0
    }
}

/// A segment of at most 16 bytes as two little-endian words (bytes past its end zeroed) and its
/// length. Reading 16 bytes at the segment's start is safe: the normalizer leaves 16 bytes of
/// padding after its output.
struct SPShortKey: Equatable, BitwiseCopyable {
    var low: UInt64 = 0
    var high: UInt64 = 0
    var length: Int = 0

    static let maximumLength = 16

    init() {}

    @inline(__always)
    init(_ p: UnsafePointer<UInt8>, _ length: Int) {
        let raw = UnsafeRawPointer(p)
        let first = raw.loadUnaligned(as: UInt64.self)
        let second = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        if length >= 8 {
            low = first
            high = length == 8 ? 0 : second & (~0 >> UInt64(truncatingIfNeeded: (16 &- length) &* 8))
        } else {
            low = first & ((1 << UInt64(truncatingIfNeeded: length &* 8)) &- 1)
            high = 0
        }
        self.length = length
    }

    @inline(__always)
    var hash: UInt64 {
        var h = (low ^ 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        h ^= (high &+ UInt64(truncatingIfNeeded: length)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        h = h &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }
}
