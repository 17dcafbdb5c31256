import Synchronization

/// A SentencePiece `.model` (BPE or unigram) as a `Tokenizer`, producing the ids and decoded
/// bytes of sentencepiece 0.2.3 (`SentencePieceProcessor.encode(bytes)` / `.decode(ids)`).
///
/// Loading checks the model the way sentencepiece does (unique pieces, exactly one `<unk>`, all
/// 256 byte pieces when byte_fallback is on, a well-formed charsmap, ...) and reports problems as
/// a `TokenizerError` naming the file and, where there is one, the byte offset.
///
/// Encoding works on UTF-8 bytes: normalize, segment, map unknown symbols to byte pieces (or
/// `<unk>`). Malformed input bytes become U+FFFD during normalization, as in sentencepiece.
/// `encode` may be called from many threads at once: each call borrows a scratch space (buffers
/// and a segment cache) from a small pool, so the steady state allocates nothing.
public final class SentencePieceTokenizer: Tokenizer, Sendable {
    /// The model as read (pieces, specs).
    public let model: SentencePieceModel
    let vocabulary: SentencePieceVocabulary
    let normalizer: SentencePieceNormalizer
    let denormalizer: SentencePieceNormalizer?
    let engine: Engine
    private let pool = SPScratchPool()
    // Decoding: strip the first piece's "▁" (dummy prefix or squeezed whitespace), and keep
    // stripping while nothing has been output (squeezed whitespace only); unk_surface's bytes.
    private let stripLeadingSpace: Bool
    private let stripEveryLeadingSpace: Bool
    private let unknownSurface: [UInt8]

    enum Engine: Sendable {
        case bpe(SentencePieceBPE)
        case unigram(SentencePieceUnigram)
    }

    /// Loads a `.model` file.
    public convenience init(contentsOf path: String) throws(TokenizerError) {
        let bytes = try SentencePieceModel.readFile(path)
        try self.init(model: SentencePieceModel(serialized: bytes, file: path), file: path)
    }

    /// Loads a serialized model; `name` stands for the file in errors.
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws(TokenizerError) {
        try self.init(model: SentencePieceModel(serialized: bytes, file: name), file: name)
    }

    /// A tokenizer over a model in memory (e.g. one a trainer has just built).
    public init(model: SentencePieceModel, file: String = "<memory>") throws(TokenizerError) {
        self.model = model
        let trainer = model.trainerSpec
        stripLeadingSpace = model.normalizerSpec.addDummyPrefix || model.normalizerSpec.removeExtraWhitespaces
        stripEveryLeadingSpace = model.normalizerSpec.removeExtraWhitespaces
        unknownSurface = trainer.unkSurfaceBytes
        switch trainer.modelType {
        case .bpe, .unigram: break
        case .word, .char:
            throw TokenizerError(file: file, message: "model_type \(trainer.modelType) is not supported (only BPE and UNIGRAM)")
        }
        let vocabulary = try SentencePieceVocabulary(model: model, file: file)
        self.vocabulary = vocabulary
        do {
            normalizer = try SentencePieceNormalizer(spec: model.normalizerSpec,
                                                     treatWhitespaceAsSuffix: trainer.treatWhitespaceAsSuffix,
                                                     userSymbols: vocabulary.userSymbols)
        } catch {
            throw TokenizerError(file: file, message: "normalizer_spec: \(error.message)")
        }
        if let spec = model.denormalizerSpec, !spec.precompiledCharsmap.isEmpty {
            do {
                denormalizer = try SentencePieceNormalizer(spec: spec, treatWhitespaceAsSuffix: false, userSymbols: nil)
            } catch {
                throw TokenizerError(file: file, message: "denormalizer_spec: \(error.message)")
            }
        } else {
            denormalizer = nil
        }
        bosID = vocabulary.specialID(trainer.bosPiece, type: .control)
        eosID = vocabulary.specialID(trainer.eosPiece, type: .control)
        padID = vocabulary.specialID(trainer.padPiece, type: .control)
        switch trainer.modelType {
        case .bpe: engine = .bpe(SentencePieceBPE(vocabulary: vocabulary))
        default:
            guard !vocabulary.normalIDs.isEmpty else {
                throw TokenizerError(file: file, message: "no normal, user-defined or unused piece: the unigram trie is empty")
            }
            engine = .unigram(SentencePieceUnigram(vocabulary: vocabulary))
        }
    }

    // MARK: Vocabulary

    public var vocabularySize: Int { vocabulary.count }

    /// `<s>` when the model has it as a control piece (sentencepiece's `bos_id()`).
    public let bosID: TokenID?
    /// `</s>` when the model has it as a control piece.
    public let eosID: TokenID?
    /// `<pad>` when the model has it as a control piece.
    public let padID: TokenID?
    /// The unknown piece's id (a model with byte_fallback may have none).
    public var unkID: TokenID? { vocabulary.unkID >= 0 ? vocabulary.unkID : nil }

    public func piece(for id: TokenID) -> String? {
        guard id >= 0, Int(id) < vocabulary.count else { return nil }
        return String(decoding: vocabulary.blob[vocabulary.range(of: id)], as: UTF8.self)
    }

    /// The id of a piece ("▁the", "<0x0A>", "<s>"), or nil when the vocabulary has no such piece
    /// (sentencepiece's `piece_to_id` answers the unknown id then).
    public func id(forPiece piece: String) -> TokenID? {
        var piece = piece
        let id = piece.withUTF8 { vocabulary.pieceToID($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
        guard id >= 0, self.piece(for: id) == piece else { return nil }
        return id
    }

    /// The type of piece `id` (nil when out of range).
    public func pieceType(of id: TokenID) -> SentencePieceModel.PieceType? {
        guard id >= 0, Int(id) < vocabulary.count else { return nil }
        return vocabulary.type(id)
    }

    // MARK: Encoding

    /// Appends the ids sentencepiece 0.2.3's `encode` gives `text` (UTF-8 bytes; a malformed byte
    /// is read as U+FFFD), without BOS/EOS. Safe to call from many threads at once. One call's
    /// normalized text must stay under 2 GiB (positions are 32-bit).
    public func encode(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [TokenID]) {
        pool.withScratch { scratch in
            normalizer.normalize(text, into: scratch.normalized)
            let normalized = scratch.normalized
            guard normalized.count > 0 else { return }
            switch engine {
            case .bpe(let bpe): bpe.encode(normalized.pointer, normalized.count, scratch: scratch, into: &ids)
            case .unigram(let unigram): unigram.encode(normalized.pointer, normalized.count, scratch: scratch, into: &ids)
            }
        }
    }

    /// The normalized form of `text` ("▁"-escaped, charsmap applied) that segmentation sees.
    public func normalize(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        pool.withScratch { scratch in
            normalizer.normalize(text, into: scratch.normalized)
            return Array(UnsafeBufferPointer(start: scratch.normalized.pointer, count: scratch.normalized.count))
        }
    }

    // MARK: Decoding

    /// The text of `ids` as sentencepiece's `DecodeIds` returns it: control pieces vanish,
    /// `<unk>` prints as unk_surface (" ⁇ "), byte pieces are reassembled (a byte that does not
    /// complete a character becomes U+FFFD), "▁" becomes a space, and the leading "▁" of the
    /// first piece is dropped when the normalizer adds a dummy prefix or squeezes whitespace
    /// (with squeezing, of every piece until something is output).
    /// Ids outside the vocabulary (sentencepiece refuses them) decode as unk_surface.
    public func decode(_ ids: [TokenID]) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(ids.count * 4)
        var pendingBytes: [UInt8] = []
        var expectLeadingSpace = true  // sentencepiece's is_bos_ws

        func flushBytes() {
            guard !pendingBytes.isEmpty else { return }
            pendingBytes.withUnsafeBufferPointer { bytes in
                let p = bytes.baseAddress!
                var i = 0
                while i < bytes.count {
                    let length = SentencePieceUTF8.validLength(p + i, bytes.count - i)
                    if length == 0 {
                        text += [0xEF, 0xBF, 0xBD]
                        i += 1
                    } else {
                        text.append(contentsOf: bytes[i..<(i + length)])
                        i += length
                    }
                }
            }
            pendingBytes.removeAll(keepingCapacity: true)
        }

        for id in ids {
            let inRange = id >= 0 && Int(id) < vocabulary.count
            let type = inRange ? vocabulary.type(id) : .unknown
            if type == .byte {
                pendingBytes.append(vocabulary.byteValue(id))
                continue
            }
            flushBytes()
            if !text.isEmpty { expectLeadingSpace = false }
            if type == .control { continue }
            // A leading "▁" is consumed (for any piece, even <unk>, whose surface is fixed).
            let strip = inRange && expectLeadingSpace && stripLeadingSpace && vocabulary.startsWithSpaceSymbol(id)
            if type == .unknown {
                text += unknownSurface
            } else {
                let surface = vocabulary.surface(of: id)
                text.append(contentsOf: strip ? surface.dropFirst() : surface)  // "▁" became the first space
            }
            if (strip && !stripEveryLeadingSpace) || !text.isEmpty { expectLeadingSpace = false }
        }
        flushBytes()
        if let denormalizer {
            return pool.withScratch { scratch in
                text.withUnsafeBufferPointer { denormalizer.normalize($0, into: scratch.normalized) }
                return Array(UnsafeBufferPointer(start: scratch.normalized.pointer, count: scratch.normalized.count))
            }
        }
        return text
    }
}

// MARK: - Vocabulary

/// The checked vocabulary: what sentencepiece 0.2.3 builds when it loads a model (the
/// processor's rewrite of NUL pieces, `ModelInterface::InitializePieces`, the unigram model's
/// score check), with the same accepted and refused models, plus the flat tables the encoders
/// and the decoder read.
struct SentencePieceVocabulary: Sendable {
    let count: Int
    /// All pieces' bytes, piece i at offsets[i]..<offsets[i + 1].
    let blob: [UInt8]
    let offsets: [Int32]
    let lengths: SPFrozenTable<Int32>
    let scores: SPFrozenTable<Float>
    /// Piece types as sentencepiece sees them after loading (a NUL piece may have become unused).
    let types: SPFrozenTable<UInt8>
    /// Normal, user-defined and unused pieces: what BPE may merge into and the unigram lattice
    /// is built from (sentencepiece's `pieces_` without the reserved pieces).
    let index: SPPieceIndex
    let normalIDs: [Int32]
    /// Control, unknown and byte pieces.
    let reserved: [[UInt8]: Int32]
    /// The unknown piece, or -1 (allowed with byte_fallback, where unknown text becomes bytes).
    let unkID: Int32
    /// `<0xXX>` ids by byte value, when byte_fallback is on.
    let byteIDs: SPFrozenTable<Int32>?
    let userSymbols: SPByteTrie?
    let hasUnused: Bool
    /// Decoded surface of every piece ("▁" as a space) and whether the piece starts with "▁".
    private let surfaces: [[UInt8]]
    private let leadingSpace: [Bool]
    private let byteValues: [UInt8]

    init(model: SentencePieceModel, file: String) throws(TokenizerError) {
        let pieces = model.pieces
        let byteFallback = model.trainerSpec.byteFallback
        // BPE keeps every piece in one map (a piece text may occur once in the vocabulary);
        // unigram keeps control, unknown and byte pieces apart (a text may occur once in each).
        let oneMap = model.trainerSpec.modelType == .bpe
        func fail(_ index: Int, _ message: String) -> TokenizerError {
            let offset = index < model.pieceOffsets.count ? model.pieceOffsets[index] : nil
            return TokenizerError(file: file, offset: offset, message: "piece \(index): \(message)")
        }
        guard !pieces.isEmpty else { throw TokenizerError(file: file, message: "the model has no pieces") }
        guard pieces.count < Int(Int32.max) else { throw TokenizerError(file: file, message: "too many pieces") }
        if let long = pieces.firstIndex(where: { $0.bytes.count >= 8000 }) {
            throw fail(long, "piece is too long (\(pieces[long].bytes.count) bytes)")
        }

        var blob: [UInt8] = []
        var offsets: [Int32] = [0]
        var lengths: [Int32] = []
        var scores: [Float] = []
        var types: [UInt8] = []
        var normal: [[UInt8]: Int32] = [:]
        var normalIDs: [Int32] = []
        var reserved: [[UInt8]: Int32] = [:]
        var unk: Int32 = -1
        var byteIDs = [Int32](repeating: -1, count: 256)
        var byteValues = [UInt8](repeating: 0, count: pieces.count)
        var userKeys: [(key: [UInt8], value: Int32)] = []
        var hasUnused = false
        normal.reserveCapacity(pieces.count)

        for (i, piece) in pieces.enumerated() {
            let bytes = piece.bytes
            let id = Int32(i)
            var type = piece.type
            blob += bytes
            offsets.append(Int32(blob.count))
            lengths.append(Int32(bytes.count))
            scores.append(piece.score)
            let display = "'\(piece.piece)'"
            if bytes.isEmpty { throw fail(i, "piece must not be empty") }
            // A lone NUL piece (some conversion scripts add one): with byte_fallback sentencepiece
            // turns it into an unused piece; an unused one is left out of the vocabulary maps.
            if bytes == [0] && byteFallback { type = .unused }
            types.append(UInt8(type.rawValue))
            if bytes == [0] && type == .unused { continue }
            if bytes.contains(0) { throw fail(i, "piece \(display) must not include a NUL character") }
            switch type {
            case .normal, .userDefined, .unused:
                guard normal.updateValue(id, forKey: bytes) == nil, !oneMap || reserved[bytes] == nil else {
                    throw fail(i, "\(display) is already defined")
                }
                normalIDs.append(id)
                if type == .userDefined { userKeys.append((bytes, id)) }
                if type == .unused { hasUnused = true }
            case .control, .unknown, .byte:
                guard reserved.updateValue(id, forKey: bytes) == nil, !oneMap || normal[bytes] == nil else {
                    throw fail(i, "\(display) is already defined")
                }
            }
            if type == .unknown {
                guard unk < 0 else { throw fail(i, "unk is already defined (piece \(unk))") }
                unk = id
            }
            if type == .byte {
                guard byteFallback else {
                    throw fail(i, "byte piece \(display) is found although `byte_fallback` is false")
                }
                guard let value = Self.byteValue(ofPiece: bytes) else {
                    throw fail(i, "byte piece \(display) is invalid")
                }
                byteIDs[Int(value)] = id
                byteValues[i] = value
            }
        }
        if unk < 0 && !byteFallback {
            throw TokenizerError(file: file, message: "unk is not defined (no piece of type UNKNOWN)")
        }
        if byteFallback, let missing = byteIDs.firstIndex(of: -1) {
            let hex = String(missing, radix: 16, uppercase: true)
            throw TokenizerError(file: file, message:
                "there are not 256 byte pieces although `byte_fallback` is true (no <0x\(hex.count == 1 ? "0" : "")\(hex)>)")
        }
        if model.trainerSpec.modelType == .unigram, let bad = pieces.firstIndex(where: { !$0.score.isFinite }) {
            throw fail(bad, "score is NaN or Inf")
        }

        count = pieces.count
        self.blob = blob
        self.offsets = offsets
        self.lengths = SPFrozenTable(lengths)
        self.scores = SPFrozenTable(scores)
        self.types = SPFrozenTable(types)
        index = SPPieceIndex(blob: blob, offsets: offsets, ids: normalIDs)
        self.normalIDs = normalIDs
        self.reserved = reserved
        unkID = unk
        self.byteIDs = byteFallback ? SPFrozenTable(byteIDs) : nil
        userSymbols = userKeys.isEmpty ? nil : SPByteTrie(keys: userKeys)
        self.hasUnused = hasUnused
        self.byteValues = byteValues
        var surfaces: [[UInt8]] = []
        var leadingSpace: [Bool] = []
        surfaces.reserveCapacity(pieces.count)
        for piece in pieces {
            let bytes = piece.bytes
            var surface: [UInt8] = []
            surface.reserveCapacity(bytes.count)
            var i = 0
            while i < bytes.count {
                if i + 2 < bytes.count && bytes[i] == 0xE2 && bytes[i + 1] == 0x96 && bytes[i + 2] == 0x81 {
                    surface.append(0x20)
                    i += 3
                } else {
                    surface.append(bytes[i])
                    i += 1
                }
            }
            surfaces.append(surface)
            leadingSpace.append(bytes.starts(with: [0xE2, 0x96, 0x81]))
        }
        self.surfaces = surfaces
        self.leadingSpace = leadingSpace
    }

    /// "<0x41>" -> 0x41 (exactly sentencepiece's form: two upper-case hex digits).
    static func byteValue(ofPiece bytes: [UInt8]) -> UInt8? {
        guard bytes.count == 6, bytes[0] == 0x3C, bytes[1] == 0x30, bytes[2] == 0x78, bytes[5] == 0x3E else {
            return nil
        }
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        guard let high = digit(bytes[3]), let low = digit(bytes[4]) else { return nil }
        return high << 4 | low
    }

    func range(of id: Int32) -> Range<Int> { Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1]) }

    @inline(__always)
    func type(_ id: Int32) -> SentencePieceModel.PieceType {
        SentencePieceModel.PieceType(rawValue: Int32(types[Int(id)]))!
    }

    @inline(__always)
    func isUnused(_ id: Int32) -> Bool {
        types[Int(id)] == UInt8(SentencePieceModel.PieceType.unused.rawValue)
    }

    func byteValue(_ id: Int32) -> UInt8 { byteValues[Int(id)] }
    func surface(of id: Int32) -> ArraySlice<UInt8> { surfaces[Int(id)][...] }
    func startsWithSpaceSymbol(_ id: Int32) -> Bool { leadingSpace[Int(id)] }

    /// sentencepiece's PieceToId: reserved pieces first, then the others, else the unknown id
    /// (-1 when there is none).
    func pieceToID(_ p: UnsafePointer<UInt8>, _ length: Int) -> Int32 {
        if let id = reserved[Array(UnsafeBufferPointer(start: p, count: length))] { return id }
        let id = index.lookup(p, length)
        return id >= 0 ? id : unkID
    }

    /// The id of special piece `text` when it exists with `type` (bos_id() and friends).
    func specialID(_ text: String, type: SentencePieceModel.PieceType) -> Int32? {
        var text = text
        let id = text.withUTF8 { pieceToID($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
        return id >= 0 && self.type(id) == type ? id : nil
    }
}

// MARK: - Scratch space

/// Everything one encode call writes: normalized text, BPE symbols and heap, unigram lattice,
/// results, and the BPE segment cache. Used by one thread at a time (the pool hands it out).
final class SPEncoderScratch: @unchecked Sendable {
    let normalized = SPScratchArray<UInt8>(capacity: 1 << 12)
    let symbols = SPScratchArray<SPBPESymbol>(capacity: 1 << 10)
    let heap = SPScratchArray<SPBPEPair>(capacity: 1 << 10)
    let results = SPScratchArray<Int32>(capacity: 1 << 10)
    let lattice = SPScratchArray<SPUnigramBest>(capacity: 1 << 12)
    let cache = SPSegmentCache()

    /// Bytes held by the buffers that grow with the longest text seen (the cache is fixed).
    var growableBytes: Int {
        normalized.capacity + symbols.capacity * MemoryLayout<SPBPESymbol>.stride
            + heap.capacity * MemoryLayout<SPBPEPair>.stride + results.capacity * 4
            + lattice.capacity * MemoryLayout<SPUnigramBest>.stride
    }
}

/// Scratch spaces for concurrent callers: a call takes one (or makes one) and gives it back
/// after, so there are never more than the largest number of simultaneous calls. A scratch that
/// grew past 64 MiB for one huge text is dropped rather than kept.
final class SPScratchPool: Sendable {
    private let free = Mutex<[SPEncoderScratch]>([])
    private static let maximumKept = 64
    private static let maximumGrowableBytes = 64 << 20

    func withScratch<R>(_ body: (SPEncoderScratch) -> R) -> R {
        let scratch = free.withLock { $0.popLast() } ?? SPEncoderScratch()
        defer {
            if scratch.growableBytes <= Self.maximumGrowableBytes {
                free.withLock { list in
                    if list.count < Self.maximumKept { list.append(scratch) }
                }
            }
        }
        return body(scratch)
    }
}
