// Training a SentencePiece BPE vocabulary the way LLaMA's tokenizer was trained.
//
// The recipe is SentencePiece's BPE trainer (bpe_model_trainer.cc, trainer_interface.cc in
// sentencepiece 0.2.3), rebuilt for speed and memory:
//
// 1. Count the distinct whitespace-delimited pieces ("▁word") of all sentences, on all cores
//    (TrainerInput, TrainerPieceCounter): per-thread tables, merged at the end.
// 2. Character coverage: characters by frequency, the rarest beyond `characterCoverage` dropped
//    (with byte fallback they are spelled as bytes).
// 3. BPE merges over the distinct pieces with exact incremental pair counts and a priority queue
//    (BPEMergeEngine): only the pieces holding the merged pair are revisited.
// 4. The vocabulary in SentencePiece's BPE layout: <unk>, <s>, </s>, user-defined and control
//    symbols, the 256 byte pieces, the merged pieces (score -index), the single characters.
//
// The result is in memory (`TrainedVocabulary`) and can be written as SentencePiece's `.vocab`
// text file; writing `.model` and tokenizer.json files is the model writers' job.

import QuernIO
#if canImport(Glibc)
import Glibc
#endif

/// The kinds of vocabulary entries: SentencePiece's ModelProto.SentencePiece.Type.
public typealias PieceType = SentencePieceModel.PieceType

/// How an input file holds its text.
public enum TrainerInputFormat: String, Sendable, Equatable {
    /// JSONL when the name says ".jsonl"/".ndjson" or the content starts with '{', else text.
    case auto
    /// One sentence per line, as SentencePiece reads its input.
    case text
    /// JSON Lines documents; each line of a document's `text` is a sentence.
    case jsonl
}

/// The trainer's settings: SentencePiece's TrainerSpec and NormalizerSpec fields that matter for
/// BPE, with LLaMA's values (its tokenizer.model) as defaults. Normalization is the identity (no
/// NFKC), as LLaMA's.
public struct BPETrainerOptions: Sendable, Equatable {
    /// Size of the whole vocabulary: special, byte, merged and character pieces.
    public var vocabSize = 32000
    /// Fraction of the corpus' characters the alphabet must cover (SentencePiece's default is
    /// 0.9995; LLaMA used 0.99995). Valid range 0.98...1.
    public var characterCoverage = 0.99995
    /// Longest piece, in characters (1...512).
    public var maxSentencePieceLength = 16
    /// Digits never join other characters.
    public var splitDigits = true
    /// Adds the 256 byte pieces <0x00>...<0xFF> (rare characters are spelled as bytes).
    public var byteFallback = true
    /// Pieces never cross whitespace (counting works on whitespace-delimited pieces).
    public var splitByWhitespace = true
    /// Digits never join letters of a script.
    public var splitByNumber = true
    /// A piece never mixes Unicode scripts (Hiragana and Katakana count as Han).
    public var splitByUnicodeScript = true
    /// "▁" ends pieces instead of starting them.
    public var treatWhitespaceAsSuffix = false
    /// Runs of whitespace may form pieces of their own ("▁▁", "▁▁▁▁"); LLaMA: true.
    public var allowWhitespaceOnlyPieces = true
    /// Each sentence gets a leading "▁", so a word at its start looks like any other.
    public var addDummyPrefix = true
    /// Leading, trailing and repeated spaces are dropped; LLaMA: false.
    public var removeExtraWhitespaces = false
    /// Pieces added whole after the control symbols (type userDefined); never learned from text.
    public var userDefinedSymbols: [String] = []
    /// Control pieces added after the special ones (type control).
    public var controlSymbols: [String] = []
    /// Ids of the special pieces; -1 leaves a piece out (<unk> is required).
    public var unkID = 0
    public var bosID = 1
    public var eosID = 2
    public var padID = -1
    public var unkPiece = "<unk>"
    public var bosPiece = "<s>"
    public var eosPiece = "</s>"
    public var padPiece = "<pad>"
    /// Longer lines (in bytes, before normalization) are skipped.
    public var maxSentenceLength = 4192
    /// When > 0, a deterministic reservoir sample of this many sentences is trained on
    /// (SentencePiece's input_sentence_size with shuffling); 0 takes every sentence.
    public var inputSentenceSize = 0
    /// Seed of the sampling (SentencePiece uses 12345678; the sample itself differs from its).
    public var seed: UInt64 = 12_345_678
    /// Threads for reading and counting (the merges run on one).
    public var numThreads = Cores.available
    /// Text or JSONL inputs.
    public var inputFormat = TrainerInputFormat.auto
    /// Progress on stderr: nil shows it when stderr is a terminal.
    public var showProgress: Bool? = nil

    public init() {}

    /// LLaMA's trainer_spec (the defaults).
    public static var llama: BPETrainerOptions { BPETrainerOptions() }

    /// SentencePiece's own defaults for a BPE model (spm_train --model_type=bpe).
    public static var sentencePieceDefaults: BPETrainerOptions {
        var options = BPETrainerOptions()
        options.vocabSize = 8000
        options.characterCoverage = 0.9995
        options.splitDigits = false
        options.byteFallback = false
        options.allowWhitespaceOnlyPieces = false
        options.removeExtraWhitespaces = true
        return options
    }
}

/// Why training could not be done.
public struct BPETrainerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// An option out of range or inconsistent (message says which).
        case invalidOptions
        /// No input files given.
        case noInput
        /// The inputs hold no sentence to train on.
        case noSentences
        /// vocabSize is smaller than the special pieces plus the required characters.
        case vocabularyTooSmall
        /// The corpus has fewer possible pieces than vocabSize asks for; `maximum` is what fits.
        case vocabularyTooLarge(maximum: Int)
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// What training saw and did, for reports.
public struct BPETrainingStatistics: Sendable {
    /// Sentences counted and skipped.
    public var sentences = TrainerSentenceCounts()
    /// Sentences that passed the skip rules: what a sample is drawn from (without sampling, the
    /// counted sentences plus those that normalized to nothing).
    public var sentencesBeforeSampling = 0
    /// JSONL lines that were not documents (skipped).
    public var malformedRecords = 0
    /// Distinct whitespace-delimited pieces.
    public var distinctWords = 0
    /// Characters of the corpus (after normalization, "▁" included), SentencePiece's
    /// "all chars count".
    public var characters: Int64 = 0
    /// Characters kept as pieces (the alphabet).
    public var alphabetSize = 0
    /// Fraction of the corpus' characters the alphabet covers.
    public var characterCoverage = 0.0
    /// The frequency of each merge when it was made, in merge order.
    public var mergeFrequencies: [Int64] = []
    /// Wall-clock seconds spent reading, counting and loading the words for merging, and merging.
    public var countingSeconds = 0.0
    public var mergingSeconds = 0.0
    /// Bytes of the per-thread word tables when counting ended, and the largest size of the merge
    /// structures (words included).
    public var countingTableBytes = 0
    public var mergeBytes = 0
}

/// A trained vocabulary in SentencePiece's BPE layout.
public struct TrainedVocabulary: Sendable {
    public typealias Piece = (piece: String, score: Float, type: PieceType)

    /// Every piece; the index is the id.
    public let pieces: [Piece]
    /// The options it was trained with.
    public let options: BPETrainerOptions
    /// The merges in the order they were learned: merge i made the piece `left + right`, which
    /// has score -i.
    public let merges: [(left: String, right: String)]
    public let statistics: BPETrainingStatistics

    /// The `.vocab` file SentencePiece writes next to its model: "piece TAB score" per line, the
    /// score printed as C's "%g" (so "-0" for the first merge).
    public func vocabFileContents() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(pieces.count * 12)
        for piece in pieces {
            out.append(contentsOf: piece.piece.utf8)
            out.append(0x09)
            out.append(contentsOf: TrainedVocabulary.formatScore(piece.score).utf8)
            out.append(0x0A)
        }
        return out
    }

    /// Writes the `.vocab` file (atomically: a temporary file renamed into place).
    public func writeVocab(to path: String) throws {
        try OutputFile.write(vocabFileContents(), to: path, codec: .plain)
    }

    /// A float as C's "%g" prints it (what SentencePiece's StrCat/ostream print).
    static func formatScore(_ score: Float) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([Double(score)]) { vsnprintf(&buffer, buffer.count, "%g", $0) }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// SentencePiece's BPE trainer, fast: see the top of this file.
public enum BPETrainer {
    /// Trains a vocabulary on `files` (plain or compressed text, one sentence per line, or JSONL
    /// documents). Throws `BPETrainerError` for bad options, an empty corpus or a vocabulary size
    /// the corpus cannot fill, and `QuernIOError` for unreadable or damaged inputs.
    public static func train(files: [String], options: BPETrainerOptions = BPETrainerOptions()) throws -> TrainedVocabulary {
        try validate(options)
        guard !files.isEmpty else { throw BPETrainerError(.noInput, "no input files given") }
        let meta = try metaPieces(options)
        var statistics = BPETrainingStatistics()
        let started = now()

        // 1-2. Distinct words, the alphabet, and the words as symbols in the merge engine. The
        // word table is gone when `prepare` returns, before the merges grow their structures.
        let (engine, alphabet) = try prepare(files: files, options: options, meta: meta, statistics: &statistics)
        let merges = options.vocabSize - meta.count - alphabet.count
        statistics.countingSeconds = now() - started

        // 3. Merges.
        let mergeStarted = now()
        let progress = TrainerMergeProgress(total: merges, enabled: options.showProgress)
        engine.run(target: merges) { done, frequency in progress.update(done: done, frequency: frequency) }
        progress.finish()
        statistics.mergingSeconds = now() - mergeStarted
        statistics.mergeBytes = engine.peakBytes
        statistics.mergeFrequencies = engine.merges.map(\.frequency)

        // 4. The vocabulary: special pieces at their ids, the rest in order.
        var final: [(piece: String, score: Float)] = []
        final.reserveCapacity(merges + alphabet.count)
        var mergeList: [(left: String, right: String)] = []
        mergeList.reserveCapacity(engine.merges.count)
        var symbolStrings: [String] = []
        symbolStrings.reserveCapacity(engine.symbolCount)
        for s in 0..<engine.symbolCount { symbolStrings.append(String(decoding: engine.bytes(of: Int32(s)), as: UTF8.self)) }
        for (i, merge) in engine.merges.enumerated() {
            let left = symbolStrings[Int(merge.left)], right = symbolStrings[Int(merge.right)]
            mergeList.append((left, right))
            final.append((symbolStrings[alphabet.count + 1 + i], -Float(final.count)))
        }
        for i in alphabet.indices {
            final.append((symbolStrings[i], -Float(final.count)))
        }
        guard engine.merges.count == merges else {
            let maximum = meta.count + final.count
            throw BPETrainerError(.vocabularyTooLarge(maximum: maximum),
                "vocabulary size too high (\(options.vocabSize)): the corpus gives at most \(maximum) pieces; set vocabSize <= \(maximum)")
        }
        var pieces: [TrainedVocabulary.Piece] = []
        pieces.reserveCapacity(options.vocabSize)
        var next = 0
        // Compared as bytes, as SentencePiece does ("K" and the Kelvin sign "K" are two pieces).
        var seen = Set<[UInt8]>()
        for id in 0..<options.vocabSize {
            let piece: TrainedVocabulary.Piece
            if let m = meta[id] {
                piece = (m.piece, 0, m.type)
            } else {
                piece = (final[next].piece, final[next].score, .normal)
                next += 1
            }
            guard seen.insert(Array(piece.piece.utf8)).inserted else {
                throw BPETrainerError(.invalidOptions, "piece \(piece.piece) is defined twice (a special or user-defined symbol is also a learned piece)")
            }
            pieces.append(piece)
        }
        return TrainedVocabulary(pieces: pieces, options: options, merges: mergeList, statistics: statistics)
    }

    /// Counts the inputs' words, chooses the alphabet and loads the words into a merge engine.
    private static func prepare(files: [String], options: BPETrainerOptions, meta: [Int: (piece: String, type: PieceType)],
                                statistics: inout BPETrainingStatistics) throws -> (BPEMergeEngine, [UInt32]) {
        let matcher = TrainerMetaPieceMatcher(pieces: meta.values.map(\.piece))
        let counted = try TrainerInput.count(files: files, options: options, matcher: matcher)
        statistics.sentences = counted.counts
        statistics.sentencesBeforeSampling = counted.sentencesBeforeSampling
        statistics.malformedRecords = counted.malformedRecords
        statistics.countingTableBytes = counted.tableBytes
        guard counted.counts.sentences > 0 else {
            var message = "no sentences to train on in \(files.joined(separator: ", "))"
            let c = counted.counts
            message += " (\(c.lines) lines: \(c.empty) empty, \(c.tooLong) longer than \(options.maxSentenceLength) bytes, \(c.reserved) holding U+2585"
            if counted.malformedRecords > 0 { message += ", \(counted.malformedRecords) malformed JSONL records" }
            message += ")"
            if let first = counted.firstMalformed { message += "; first malformed record: \(first)" }
            throw BPETrainerError(.noSentences, message)
        }
        statistics.distinctWords = counted.table.count

        let characters = TrainerCharacters(table: counted.table)
        statistics.characters = characters.total
        let alphabet = characters.required(coverage: options.characterCoverage)
        statistics.alphabetSize = alphabet.characters.count
        statistics.characterCoverage = alphabet.coverage
        guard options.vocabSize - meta.count - alphabet.characters.count >= 0 else {
            throw BPETrainerError(.vocabularyTooSmall,
                "vocabulary size is smaller than the special pieces and required characters: \(options.vocabSize) vs \(meta.count + alphabet.characters.count); increase vocabSize or decrease characterCoverage")
        }
        let rules = TrainerPieceRules(maxPieceLength: options.maxSentencePieceLength,
                                      splitByWhitespace: options.splitByWhitespace,
                                      treatWhitespaceAsSuffix: options.treatWhitespaceAsSuffix,
                                      allowWhitespaceOnlyPieces: options.allowWhitespaceOnlyPieces,
                                      splitByNumber: options.splitByNumber,
                                      splitByUnicodeScript: options.splitByUnicodeScript,
                                      splitDigits: options.splitDigits)
        return (characters.makeEngine(rules: rules, alphabet: alphabet.characters), alphabet.characters)
    }

    // MARK: Options

    static func validate(_ o: BPETrainerOptions) throws {
        func fail(_ message: String) -> BPETrainerError { BPETrainerError(.invalidOptions, message) }
        guard o.vocabSize > 0 else { throw fail("vocabSize must be positive, not \(o.vocabSize)") }
        guard o.characterCoverage >= 0.98 && o.characterCoverage <= 1 else {
            throw fail("characterCoverage must be in 0.98...1, not \(o.characterCoverage)")
        }
        guard (1...512).contains(o.maxSentencePieceLength) else {
            throw fail("maxSentencePieceLength must be in 1...512, not \(o.maxSentencePieceLength)")
        }
        guard (1...1024).contains(o.numThreads) else { throw fail("numThreads must be in 1...1024, not \(o.numThreads)") }
        guard (10...(1 << 30)).contains(o.maxSentenceLength) else {
            throw fail("maxSentenceLength must be in 10...1073741824, not \(o.maxSentenceLength)")
        }
        guard o.inputSentenceSize == 0 || o.inputSentenceSize > 100 else {
            throw fail("inputSentenceSize must be 0 (all) or more than 100, not \(o.inputSentenceSize)")
        }
        for (name, piece) in [("unkPiece", o.unkPiece), ("bosPiece", o.bosPiece), ("eosPiece", o.eosPiece), ("padPiece", o.padPiece)]
            where piece.isEmpty {
            throw fail("\(name) must not be empty")
        }
    }

    /// The special, user-defined, control and byte pieces by id, as SentencePiece's
    /// InitMetaPieces places them.
    static func metaPieces(_ o: BPETrainerOptions) throws -> [Int: (piece: String, type: PieceType)] {
        var meta: [Int: (piece: String, type: PieceType)] = [:]
        var hasUnknown = false
        // Pieces are compared as bytes, as SentencePiece compares them (Swift's String equality
        // would take "K" and the Kelvin sign for one piece).
        func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }
        func insert(id: Int, _ piece: String) throws {
            guard id >= 0 else { return }
            guard id < o.vocabSize, meta[id] == nil, !(hasUnknown && same(piece, o.unkPiece)) else {
                throw BPETrainerError(.invalidOptions, "id \(id) of \(piece) is out of range or taken")
            }
            if same(piece, o.unkPiece) { hasUnknown = true }
            meta[id] = (piece, same(piece, o.unkPiece) ? .unknown : .control)
        }
        try insert(id: o.unkID, o.unkPiece)
        try insert(id: o.bosID, o.bosPiece)
        try insert(id: o.eosID, o.eosPiece)
        try insert(id: o.padID, o.padPiece)
        guard hasUnknown else { throw BPETrainerError(.invalidOptions, "\(o.unkPiece) must have an id (unkID >= 0)") }

        var defined = Set<[UInt8]>()
        var nextID = 0
        func insertSymbol(_ piece: String, _ type: PieceType) throws {
            guard !piece.isEmpty else { throw BPETrainerError(.invalidOptions, "empty symbol") }
            guard defined.insert(Array(piece.utf8)).inserted else {
                throw BPETrainerError(.invalidOptions, "\(piece) is already defined; duplicated symbols are not allowed")
            }
            guard !same(piece, o.unkPiece) else {
                throw BPETrainerError(.invalidOptions, "\(o.unkPiece) must not be a control or user-defined symbol")
            }
            if same(piece, o.bosPiece) && o.bosID >= 0 {
                meta[o.bosID]!.type = type
            } else if same(piece, o.eosPiece) && o.eosID >= 0 {
                meta[o.eosID]!.type = type
            } else if same(piece, o.padPiece) && o.padID >= 0 {
                meta[o.padID]!.type = type
            } else {
                while meta[nextID] != nil { nextID += 1 }
                guard nextID < o.vocabSize else {
                    throw BPETrainerError(.vocabularyTooSmall, "vocabSize \(o.vocabSize) has no room for \(piece)")
                }
                meta[nextID] = (piece, type)
            }
        }
        for piece in o.controlSymbols { try insertSymbol(piece, .control) }
        for piece in o.userDefinedSymbols { try insertSymbol(piece, .userDefined) }
        if o.byteFallback {
            for byte in 0..<256 { try insertSymbol(byteName(byte), .byte) }
        }
        return meta
    }

    /// "<0x41>": SentencePiece's name of a byte piece.
    static func byteName(_ byte: Int) -> String {
        let digits = Array("0123456789ABCDEF")
        return "<0x\(digits[byte >> 4])\(digits[byte & 15])>"
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

// MARK: - Characters

/// The characters of the distinct words (normalized form: 0x20 is "▁", 0x1F the boundary), their
/// counts, and the words turned into symbol ids for the merge engine.
struct TrainerCharacters {
    let table: TrainerWordTable
    /// Counts of U+0000...U+FFFF by code point; others in `astral`.
    private var bmp: [Int64]
    private var astral: [UInt32: Int64] = [:]
    /// All characters counted (NUL excepted, the boundary included), as SentencePiece counts.
    private(set) var total: Int64 = 0
    /// Characters of all distinct words, for sizing the engine's arrays.
    private(set) var distinctCharacters = 0

    init(table: TrainerWordTable) {
        self.table = table
        var bmp = [Int64](repeating: 0, count: 0x10000)
        var astral: [UInt32: Int64] = [:]
        var total: Int64 = 0
        var distinct = 0
        table.forEach { word, count in
            TrainerCharacters.decode(word) { c in
                distinct += 1
                if c == 0 { return }
                total &+= count
                if c < 0x10000 { bmp[Int(c)] &+= count } else { astral[c, default: 0] &+= count }
            }
        }
        self.bmp = bmp
        self.astral = astral
        self.total = total
        distinctCharacters = distinct
    }

    /// Calls `body` with each code point of a normalized word.
    @inline(__always)
    static func decode(_ word: UnsafeBufferPointer<UInt8>, _ body: (UInt32) -> Void) {
        let p = word.baseAddress!
        let n = word.count
        var i = 0
        while i < n {
            let b0 = UInt32(p[i])
            if b0 < 0x80 {
                body(b0 == 0x20 ? 0x2581 : b0)
                i &+= 1
            } else if b0 < 0xE0 {
                body((b0 & 0x1F) << 6 | UInt32(p[i &+ 1] & 0x3F))
                i &+= 2
            } else if b0 < 0xF0 {
                body((b0 & 0x0F) << 12 | UInt32(p[i &+ 1] & 0x3F) << 6 | UInt32(p[i &+ 2] & 0x3F))
                i &+= 3
            } else {
                body((b0 & 0x07) << 18 | UInt32(p[i &+ 1] & 0x3F) << 12 | UInt32(p[i &+ 2] & 0x3F) << 6 | UInt32(p[i &+ 3] & 0x3F))
                i &+= 4
            }
        }
    }

    /// The required characters: by count (descending, then code point), until `coverage` of all
    /// characters is reached, the boundary left out. Returns them in that order.
    func required(coverage: Double) -> (characters: [UInt32], coverage: Double) {
        var all: [(c: UInt32, count: Int64)] = []
        for c in 0..<0x10000 where bmp[c] > 0 { all.append((UInt32(c), bmp[c])) }
        for (c, count) in astral { all.append((c, count)) }
        all.sort { $0.count != $1.count ? $0.count > $1.count : $0.c < $1.c }
        var accumulated: Int64 = 0
        var characters: [UInt32] = []
        // SentencePiece compares in float: the coverage so far against the float option.
        let target = Float(coverage)
        for (c, count) in all {
            let covered = Float(Double(accumulated) / Double(total))
            if covered >= target { break }
            accumulated += count
            if c == UInt32(TrainerByte.boundary) { continue }
            characters.append(c)
        }
        return (characters, total > 0 ? Double(accumulated) / Double(total) : 0)
    }

    /// The merge engine over the words, rare characters replaced by the unknown symbol.
    func makeEngine(rules: TrainerPieceRules, alphabet: [UInt32]) -> BPEMergeEngine {
        let unknown = Int32(alphabet.count)
        var bmpSymbol = [Int32](repeating: unknown, count: 0x10000)
        var astralSymbol: [UInt32: Int32] = [:]
        for (i, c) in alphabet.enumerated() {
            if c < 0x10000 { bmpSymbol[Int(c)] = Int32(i) } else { astralSymbol[c] = Int32(i) }
        }
        var symbols = [Int32](repeating: 0, count: 64)
        return BPEMergeEngine(rules: rules, alphabet: alphabet, totalSymbols: distinctCharacters,
                              wordCapacity: table.count) { add in
            table.forEach { word, count in
                if symbols.count < word.count { symbols = [Int32](repeating: 0, count: word.count) }
                var n = 0
                TrainerCharacters.decode(word) { c in
                    symbols[n] = c < 0x10000 ? bmpSymbol[Int(c)] : (astralSymbol[c] ?? unknown)
                    n += 1
                }
                symbols.withUnsafeBufferPointer { add(UnsafeBufferPointer(rebasing: $0[..<n]), count) }
            }
        }
    }
}

// MARK: - Progress

/// One line on stderr while merging: merges done, the current frequency, ETA. Silent unless
/// enabled (default: stderr is a terminal).
final class TrainerMergeProgress {
    private let total: Int
    private let enabled: Bool
    private let started = BPETrainer.now()
    private var lastDraw = 0.0
    private var drew = false

    init(total: Int, enabled: Bool?) {
        self.total = total
        self.enabled = enabled ?? (isatty(STDERR_FILENO) == 1)
    }

    func update(done: Int, frequency: Int64) {
        guard enabled, done & 63 == 0 else { return }
        let t = BPETrainer.now()
        guard t - lastDraw >= 0.25 else { return }
        lastDraw = t
        let elapsed = t - started
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        var line = "merging: \(done)/\(total) pieces (\(Int(fraction * 100))%), frequency \(frequency)"
        if fraction > 0.001 {
            line += ", ETA \(Int((elapsed / fraction - elapsed).rounded()))s"
        }
        StandardError.write("\r\u{1B}[K" + line)
        drew = true
    }

    func finish() {
        guard enabled, drew else { return }
        StandardError.write("\r\u{1B}[K")
    }
}
