/// SentencePiece unigram segmentation (model_type UNIGRAM: T5, ALBERT, sentencepiece's own test
/// model), with the ids sentencepiece 0.2.3 produces: the Viterbi best path over piece scores as
/// unigram_model.cc's `EncodeOptimized` computes it.
///
/// For every character position (left to right) every vocabulary piece starting there is found
/// by walking the piece trie byte by byte; each extends the best path ending at the position
/// where it starts. A user-defined piece scores 0.1 × (bytes − 1), an unused piece is skipped,
/// and a character with no one-character piece gets an `<unk>` node scoring `min_score − 10`.
/// The arithmetic is sentencepiece's to the bit: float scores and float path sums; a candidate
/// replaces the current best only when strictly greater, so on ties the path whose last piece
/// starts first wins; and when the path score up to a position leaves ±100,000, every score
/// from there to the farthest position reached is shifted by it (keeping float precision on
/// long texts), which changes later roundings exactly as it does in sentencepiece.
struct SentencePieceUnigram: Sendable {
    let vocabulary: SentencePieceVocabulary
    /// All normal, user-defined and unused pieces (sentencepiece's `pieces_`), value = id.
    let trie: SPByteTrie
    /// Smallest score of the normal pieces (FLT_MAX when there are none).
    let minimumScore: Float

    static let unknownPenalty: Float = 10
    static let scoreResetThreshold: Float = 100_000

    init(vocabulary: SentencePieceVocabulary) {
        self.vocabulary = vocabulary
        var keys: [(key: [UInt8], value: Int32)] = []
        keys.reserveCapacity(vocabulary.normalIDs.count)
        for id in vocabulary.normalIDs {
            keys.append((Array(vocabulary.blob[vocabulary.range(of: id)]), id))
        }
        trie = SPByteTrie(keys: keys)
        var minimum = Float.greatestFiniteMagnitude
        for id in 0..<vocabulary.count where vocabulary.type(Int32(id)) == .normal {
            minimum = min(minimum, vocabulary.scores[id])
        }
        minimumScore = minimum
    }

    /// Appends the ids of `normalized` text to `ids`.
    func encode(_ text: UnsafePointer<UInt8>, _ n: Int, scratch: SPEncoderScratch, into ids: inout [TokenID]) {
        guard n > 0 else { return }
        let bestArray = scratch.lattice
        bestArray.count = 0
        bestArray.reserve(total: n &+ 1)
        let best = bestArray.pointer
        best.initialize(repeating: SPUnigramBest(id: -1, score: 0, start: -1), count: n &+ 1)

        let trie = self.trie.view
        let scores = vocabulary.scores.pointer
        let types = vocabulary.types.pointer
        let unknownScore = minimumScore - Self.unknownPenalty
        let unkID = vocabulary.unkID
        let userDefined = UInt8(SentencePieceModel.PieceType.userDefined.rawValue)
        let unused = UInt8(SentencePieceModel.PieceType.unused.rawValue)

        var start = 0
        var frontier = 0  // farthest position a path reaches so far
        while start < n {
            var scoreHere = best[start].score
            if scoreHere < -Self.scoreResetThreshold || scoreHere > Self.scoreResetThreshold {
                let offset = scoreHere
                if frontier >= start {
                    for i in start...frontier where i == start || best[i].start != -1 {
                        best[i].score -= offset
                    }
                }
                scoreHere = 0
            }
            var hasSingleNode = false
            let characterLength = min(SentencePieceUTF8.oneCharLength(text[start]), n &- start)
            var node = SPByteTrie.root
            var end = start
            while end < n {
                node = trie.child(node, text[end])
                if node < 0 { break }
                end &+= 1
                let id = trie.value(node)
                if id < 0 { continue }
                let type = types[Int(id)]
                if type == unused { continue }
                if end > frontier { frontier = end }
                let length = end &- start
                let score: Float = type == userDefined ? Float(0.1 * Double(length &- 1)) : scores[Int(id)]
                let candidate = score + scoreHere
                if best[end].start == -1 || candidate > best[end].score {
                    best[end] = SPUnigramBest(id: id, score: candidate, start: Int32(start))
                }
                if !hasSingleNode && length == characterLength { hasSingleNode = true }
            }
            if !hasSingleNode {
                let target = start &+ characterLength
                if target > frontier { frontier = target }
                let candidate = unknownScore + scoreHere
                if best[target].start == -1 || candidate > best[target].score {
                    best[target] = SPUnigramBest(id: unkID, score: candidate, start: Int32(start))
                }
            }
            start &+= characterLength
        }

        // Backtrack into results (end to start), then emit in order.
        let results = scratch.results
        results.count = 0
        var end = n
        while end > 0 {
            let node = best[end]
            let length = end &- Int(node.start)
            results.append(node.id < 0 || node.id == unkID ? Int32(-length) : node.id)
            end = Int(node.start)
        }
        let values = results.pointer
        var i = 0, j = results.count &- 1
        while i < j {
            let t = values[i]; values[i] = values[j]; values[j] = t
            i &+= 1; j &-= 1
        }
        var output = SentencePieceOutput(vocabulary: vocabulary)
        output.emit(values, results.count, text: text, start: 0, into: &ids)
    }
}

/// The best path ending at one byte position.
struct SPUnigramBest: BitwiseCopyable {
    var id: Int32
    var score: Float
    /// Where the last piece of the path starts (-1: no path ends here yet).
    var start: Int32
}
