// Training a byte-level BPE vocabulary with a pre-tokenization pattern, the way tiktoken's
// educational trainer, rustbpe and minbpe's RegexTokenizer train GPT-2 / cl100k / Llama-3 style
// vocabularies:
//
// 1. Every text is split with the pattern (PreTokenizerPattern, invalid UTF-8 repaired to U+FFFD
//    first) and the distinct pieces (byte strings) are counted on all cores: each batch of the
//    input gets its own table on a pool thread, the tables are summed on the calling thread.
//    Text files: each line, with its '\n' (the last line may lack it), is one text. JSONL: each
//    document's `text` is one text.
// 2. The ranks start as the 256 single bytes (rank = byte value). Each merge joins the most
//    frequent adjacent pair of tokens over all pieces (a pair's count is the sum of the piece
//    counts over its adjacent occurrences, overlapping ones included, as minbpe's get_stats
//    counts); the new token's rank is the next one. TIE RULE: among pairs of equal count the
//    lexicographically smallest (left rank, right rank) wins. Within a piece the pair is merged
//    left to right without overlap ("aaa" with (a, a) -> [aa, a]).
// 3. Counts are kept incrementally: a merge visits only the pieces that hold the pair (pair ->
//    piece lists), takes the piece's old pairs out and puts its new ones in; a max-heap with lazy
//    invalidation picks the best pair (counts of existing pairs only fall; every pair that grows
//    holds the new token and is pushed after the merge). The corpus is never read again.

import Dispatch
import QuernIO

public enum ByteLevelTrainer {
    /// Trains on `files` (text or JSONL, any codec) and returns the ranks: the 256 single bytes in
    /// byte order, then one token per merge in merge order (`vocabSize` tokens in all). Throws
    /// `BPETrainerError` when `vocabSize` < 256, there is no input or no text, or the corpus runs
    /// out of pairs before `vocabSize` tokens (`.vocabularyTooLarge(maximum:)`).
    public static func train(files: [String], vocabSize: Int, pattern: PreTokenizerPattern,
                             threads: Int = Cores.available, inputFormat: TrainerInputFormat = .auto) throws -> [[UInt8]] {
        guard vocabSize >= 256 else {
            throw BPETrainerError(.invalidOptions, "vocabulary size \(vocabSize) is below 256 (the single bytes)")
        }
        guard !files.isEmpty else { throw BPETrainerError(.noInput, "no input files given") }
        let pieces = try countPieces(files: files, pattern: pattern, threads: threads, inputFormat: inputFormat)
        guard !pieces.isEmpty else {
            throw BPETrainerError(.noSentences, "no text to train on in \(files.joined(separator: ", "))")
        }
        let ranks = merge(pieces: pieces, vocabSize: vocabSize)
        guard ranks.count == vocabSize else {
            throw BPETrainerError(.vocabularyTooLarge(maximum: ranks.count),
                "vocabulary size too high (\(vocabSize)): the corpus gives at most \(ranks.count) tokens; set vocabSize <= \(ranks.count)")
        }
        return ranks
    }

    /// The distinct pieces of the inputs with their counts.
    public static func countPieces(files: [String], pattern: PreTokenizerPattern, threads: Int = Cores.available,
                                   inputFormat: TrainerInputFormat = .auto) throws -> [[UInt8]: Int64] {
        var total: [[UInt8]: Int64] = [:]
        func add(_ table: [[UInt8]: Int64]) {
            if total.isEmpty { total = table; return }
            for (piece, count) in table { total[piece, default: 0] += count }
        }
        let threads = max(1, threads)
        for path in files {
            let reader = try Input.open(path, threads: threads)
            if try TrainerInput.isJSONL(path, format: inputFormat) {
                let jsonl = JSONLReader(reader, maxErrorsKept: 0)
                try jsonl.forEachBatch(threads: threads, work: { documents in
                    var table: [[UInt8]: Int64] = [:]
                    for document in documents {
                        var text = document.text
                        text.withUTF8 { count($0, pattern: pattern, into: &table) }
                    }
                    return table
                }, deliver: add)
            } else {
                let text = JSONLReader(reader, maxErrorsKept: 0, maxLineBytes: 1 << 26)
                try text.forEachLineBatch(threads: threads, work: { bytes in
                    var table: [[UInt8]: Int64] = [:]
                    guard let base = bytes.baseAddress else { return table }
                    let n = bytes.count
                    var start = 0
                    while start < n {
                        var end = start
                        while end < n && base[end] != 0x0A { end += 1 }
                        let stop = end < n ? end + 1 : n  // the line with its '\n'
                        count(UnsafeBufferPointer(start: base + start, count: stop - start), pattern: pattern, into: &table)
                        start = stop
                    }
                    return table
                }, deliver: add)
            }
        }
        return total
    }

    private static func count(_ text: UnsafeBufferPointer<UInt8>, pattern: PreTokenizerPattern, into table: inout [[UInt8]: Int64]) {
        guard !text.isEmpty else { return }
        pattern.forEachPiece(in: text) { piece in table[Array(piece), default: 0] += 1 }
    }

    /// The merges over counted pieces: the ranks (256 bytes, then one token per merge), at most
    /// `vocabSize` of them; fewer when no pair is left.
    public static func merge(pieces: [[UInt8]: Int64], vocabSize: Int) -> [[UInt8]] {
        var ranks: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        // Deterministic piece order (the pair lists and so the visiting order do not change the
        // result, but a fixed order makes runs reproducible to the byte).
        let sorted = pieces.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        var words: [[Int32]] = sorted.map { $0.key.map { Int32($0) } }
        let counts: [Int64] = sorted.map(\.value)
        var pairCounts: [UInt64: Int64] = [:]
        var pairWords: [UInt64: [Int32]] = [:]

        @inline(__always) func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

        for (w, word) in words.enumerated() where word.count > 1 {
            let c = counts[w]
            for i in 0..<(word.count - 1) {
                let k = key(word[i], word[i + 1])
                pairCounts[k, default: 0] += c
                if pairWords[k]?.last != Int32(w) { pairWords[k, default: []].append(Int32(w)) }
            }
        }
        var heap = PairHeap()
        for (k, c) in pairCounts where c > 0 { heap.push(PairHeap.Entry(count: c, key: k)) }

        var rebuilt: [Int32] = []
        while ranks.count < vocabSize, let top = heap.pop() {
            let current = pairCounts[top.key] ?? 0
            if current <= 0 { continue }
            if current != top.count {
                heap.push(PairHeap.Entry(count: current, key: top.key))
                continue
            }
            let a = Int32(truncatingIfNeeded: top.key >> 32), b = Int32(truncatingIfNeeded: top.key & 0xFFFF_FFFF)
            let s = Int32(ranks.count)
            ranks.append(ranks[Int(a)] + ranks[Int(b)])
            var grown = Set<UInt64>()
            for w32 in pairWords.removeValue(forKey: top.key) ?? [] {
                let w = Int(w32)
                let word = words[w]
                let n = word.count
                var holds = false
                if n > 1 { for i in 0..<(n - 1) where word[i] == a && word[i + 1] == b { holds = true; break } }
                guard holds else { continue }
                let c = counts[w]
                for i in 0..<(n - 1) { pairCounts[key(word[i], word[i + 1]), default: 0] -= c }
                rebuilt.removeAll(keepingCapacity: true)
                var i = 0
                while i < n {
                    if i + 1 < n && word[i] == a && word[i + 1] == b {
                        rebuilt.append(s)
                        i += 2
                    } else {
                        rebuilt.append(word[i])
                        i += 1
                    }
                }
                if rebuilt.count > 1 {
                    for j in 0..<(rebuilt.count - 1) {
                        let k = key(rebuilt[j], rebuilt[j + 1])
                        pairCounts[k, default: 0] += c
                        if rebuilt[j] == s || rebuilt[j + 1] == s {
                            grown.insert(k)
                            if pairWords[k]?.last != w32 { pairWords[k, default: []].append(w32) }
                        }
                    }
                }
                words[w] = rebuilt
            }
            pairCounts[top.key] = nil
            for k in grown.sorted() {
                if let c = pairCounts[k], c > 0 { heap.push(PairHeap.Entry(count: c, key: k)) }
            }
        }
        return ranks
    }

    /// The `.vocab` file of a byte-level vocabulary: one line per rank, the token's bytes in
    /// tiktoken's base64, a TAB, the rank.
    public static func vocabFileContents(_ ranks: [[UInt8]]) -> [UInt8] {
        TiktokenFile.serialize(ranks, separator: 0x09)
    }

    /// Writes NAME.tiktoken (rank file), NAME.json (HF tokenizer.json) and NAME.vocab.
    public static func writeAll(_ ranks: [[UInt8]], pattern: PreTokenizerPattern, prefix: String) throws {
        try TiktokenFile.write(ranks, to: prefix + ".tiktoken")
        try HFTokenizerJSON.write(try HFTokenizerJSON.byteLevelBPE(ranks: ranks, pattern: pattern), to: prefix + ".json")
        try OutputFile.write(vocabFileContents(ranks), to: prefix + ".vocab", codec: .plain)
    }
}

/// A max-heap of pairs: higher count first, then the smaller (left, right) key.
struct PairHeap {
    struct Entry {
        var count: Int64
        var key: UInt64
    }
    private var items: [Entry] = []

    @inline(__always) private static func before(_ x: Entry, _ y: Entry) -> Bool {
        x.count > y.count || (x.count == y.count && x.key < y.key)
    }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard Self.before(items[i], items[p]) else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < n && Self.before(items[l], items[best]) { best = l }
                if r < n && Self.before(items[r], items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return first
    }
}
