import QuernIO

/// Reading and writing Hugging Face `tokenizer.json` files for BPE vocabularies.
///
/// Reading builds an ``HFTokenizer``. Writing makes files that `tokenizers` loads and encodes
/// exactly as ``HFTokenizer`` does:
/// - ``byteLevelBPE(tokens:merges:pattern:addedTokens:ignoreMerges:)``: a byte-level BPE
///   (GPT-2/Llama 3 layout) with one of the ``PreTokenizerPattern`` presets;
/// - ``sentencePieceBPE(pieces:mergeOrder:addDummyPrefix:)``: a SentencePiece-style BPE
///   ("▁" pieces, `<0xXX>` byte fallback) in the layout of HF's LLaMA conversion, its merges
///   derived from the pieces and scores as that conversion derives them.
public enum HFTokenizerJSON {
    // MARK: - Reading

    static func load(_ bytes: [UInt8], name: String) throws(TokenizerError) -> HFTokenizerCore {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: bytes)
        } catch {
            throw TokenizerError(file: name, offset: error.offset, message: "invalid JSON: \(error.message)")
        }
        return try Reader(name: name).tokenizer(root)
    }

    /// Turns the parsed JSON into the pipeline, naming the JSON path of anything wrong.
    struct Reader {
        let name: String

        func fail(_ path: String, _ message: String) -> TokenizerError {
            TokenizerError(file: name, message: "\(path): \(message)")
        }

        func object(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> JSONObject {
            guard let object = value?.objectValue else { throw fail(path, "expected an object") }
            return object
        }

        func string(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> String {
            guard let string = value?.stringValue else { throw fail(path, "expected a string") }
            return string
        }

        func optionalString(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> String? {
            guard let value, !value.isNull else { return nil }
            return try string(value, path)
        }

        func bool(_ value: JSONValue?, _ path: String, default fallback: Bool) throws(TokenizerError) -> Bool {
            guard let value, !value.isNull else { return fallback }
            guard let bool = value.boolValue else { throw fail(path, "expected true or false") }
            return bool
        }

        func int(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> Int {
            guard let int = value?.intValue else { throw fail(path, "expected an integer") }
            return int
        }

        func id(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> Int32 {
            let value = try int(value, path)
            guard value >= 0 && value <= Int(Int32.max) else { throw fail(path, "id \(value) out of range") }
            return Int32(value)
        }

        /// A single-character string (`replacement`, Strip's `content`).
        func character(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> [UInt8] {
            let text = try string(value, path)
            guard text.unicodeScalars.count == 1 else { throw fail(path, "expected one character") }
            return Array(text.utf8)
        }

        func type(_ object: JSONObject, _ path: String) throws(TokenizerError) -> String {
            try string(object["type"], path + ".type")
        }

        func unsupported(_ path: String, _ what: String) -> TokenizerError {
            fail(path, "unsupported \(what) (Quern reads BPE tokenizer.json files with the components "
                 + "listed in HFTokenizer's documentation)")
        }

        /// A Replace's `pattern`: only `{"String": …}` (a regex would need an engine).
        func literalPattern(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> [UInt8] {
            let pattern = try object(value, path)
            if let literal = pattern["String"] {
                let bytes = Array(try string(literal, path + ".String").utf8)
                guard !bytes.isEmpty else { throw fail(path, "empty pattern") }
                return bytes
            }
            if pattern["Regex"] != nil { throw unsupported(path, "regex pattern") }
            throw fail(path, "expected {\"String\": …}")
        }

        func prependScheme(_ object: JSONObject, _ path: String) throws(TokenizerError) -> HFPrependScheme {
            if let scheme = try optionalString(object["prepend_scheme"], path + ".prepend_scheme") {
                switch scheme {
                case "always": return .always
                case "first": return .first
                case "never": return .never
                default: throw fail(path + ".prepend_scheme", "unknown scheme '\(scheme)'")
                }
            }
            return try bool(object["add_prefix_space"], path + ".add_prefix_space", default: true) ? .always : .never
        }

        func tokenizer(_ root: JSONValue) throws(TokenizerError) -> HFTokenizerCore {
            let top = try object(root, "$")
            let normalizers = try normalizerSteps(top["normalizer"], "normalizer")
            let preTokenizers = try preTokenizerSteps(top["pre_tokenizer"], "pre_tokenizer")
            let decoders: [HFDecoder]?
            if let decoder = top["decoder"], !decoder.isNull {
                decoders = try decoderSteps(decoder, "decoder")
            } else {
                decoders = nil
            }
            let cutCandidate = Reader.cutCharacter(normalizers: normalizers, preTokenizers: preTokenizers)
            let model = try bpeModel(top["model"], "model", cutCandidate: cutCandidate)
            var added: [HFAdded] = []
            if let list = top["added_tokens"], !list.isNull {
                guard let items = list.arrayValue else { throw fail("added_tokens", "expected an array") }
                for (i, item) in items.enumerated() {
                    let path = "added_tokens[\(i)]"
                    let entry = try object(item, path)
                    let content = try string(entry["content"], path + ".content")
                    guard !content.isEmpty else { continue }  // tokenizers ignores empty tokens
                    let token = HFTokenizer.AddedToken(
                        content: content, id: try id(entry["id"], path + ".id"),
                        special: try bool(entry["special"], path + ".special", default: false),
                        normalized: try bool(entry["normalized"], path + ".normalized", default: true),
                        lstrip: try bool(entry["lstrip"], path + ".lstrip", default: false),
                        rstrip: try bool(entry["rstrip"], path + ".rstrip", default: false),
                        singleWord: try bool(entry["single_word"], path + ".single_word", default: false))
                    let bytes = Array(content.utf8)
                    var pattern = bytes
                    if token.normalized {
                        for normalizer in normalizers { HFTokenizerCore.apply(normalizer, to: &pattern) }
                    }
                    added.append(HFAdded(token: token, content: bytes, pattern: pattern,
                                         decoded: token.normalized ? pattern : bytes))
                }
            }
            let (bos, eos) = try specialIDs(top["post_processor"], model: model, added: added)
            return HFTokenizerCore(name: name, model: model, normalizers: normalizers, preTokenizers: preTokenizers,
                                   decoders: decoders, added: added, bosID: bos, eosID: eos)
        }

        func normalizerSteps(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> [HFNormalizer] {
            guard let value, !value.isNull else { return [] }
            let config = try object(value, path)
            switch try type(config, path) {
            case "Sequence":
                guard let items = config["normalizers"]?.arrayValue else {
                    throw fail(path + ".normalizers", "expected an array")
                }
                var steps: [HFNormalizer] = []
                for (i, item) in items.enumerated() {
                    steps += try normalizerSteps(item, path + ".normalizers[\(i)]")
                }
                return steps
            case "Prepend":
                return [.prepend(Array(try string(config["prepend"], path + ".prepend").utf8))]
            case "Replace":
                return [.replace(pattern: try literalPattern(config["pattern"], path + ".pattern"),
                                 content: Array(try string(config["content"], path + ".content").utf8))]
            case "NFC": return [.nfc]
            case "NFD": return [.nfd]
            case "NFKC": return [.nfkc]
            case "NFKD": return [.nfkd]
            case "Strip":
                return [.strip(left: try bool(config["strip_left"], path + ".strip_left", default: true),
                               right: try bool(config["strip_right"], path + ".strip_right", default: true))]
            case let other:
                throw unsupported(path, "normalizer '\(other)'")
            }
        }

        func preTokenizerSteps(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> [HFPreTokenizer] {
            guard let value, !value.isNull else { return [] }
            let config = try object(value, path)
            switch try type(config, path) {
            case "Sequence":
                guard let items = config["pretokenizers"]?.arrayValue else {
                    throw fail(path + ".pretokenizers", "expected an array")
                }
                var steps: [HFPreTokenizer] = []
                for (i, item) in items.enumerated() {
                    steps += try preTokenizerSteps(item, path + ".pretokenizers[\(i)]")
                }
                return steps
            case "ByteLevel":
                return [.byteLevel(addPrefixSpace: try bool(config["add_prefix_space"], path + ".add_prefix_space", default: true),
                                   useRegex: try bool(config["use_regex"], path + ".use_regex", default: true))]
            case "Metaspace":
                return [.metaspace(replacement: try character(config["replacement"], path + ".replacement"),
                                   prependScheme: try prependScheme(config, path),
                                   split: try bool(config["split"], path + ".split", default: true))]
            case "Split":
                let pattern = try object(config["pattern"], path + ".pattern")
                let splitPattern: HFSplitPattern
                if let regex = pattern["Regex"]?.stringValue {
                    guard let preset = PreTokenizerPattern(onigurumaRegex: regex) else {
                        throw unsupported(path + ".pattern", "Split regex \(regex) (known: the gpt2, cl100k_base, "
                                          + "o200k_base and llama3 regexes)")
                    }
                    splitPattern = .preset(preset)
                } else if pattern["String"] != nil {
                    splitPattern = .literal(try literalPattern(config["pattern"], path + ".pattern"))
                } else {
                    throw fail(path + ".pattern", "expected {\"Regex\": …} or {\"String\": …}")
                }
                let name = try string(config["behavior"], path + ".behavior")
                guard let behavior = HFSplitBehavior(rawValue: name) else {
                    throw unsupported(path + ".behavior", "Split behavior '\(name)'")
                }
                return [.split(splitPattern, behavior, invert: try bool(config["invert"], path + ".invert", default: false))]
            case "Digits":
                return [.digits(individual: try bool(config["individual_digits"], path + ".individual_digits", default: false))]
            case let other:
                throw unsupported(path, "pre-tokenizer '\(other)'")
            }
        }

        func decoderSteps(_ value: JSONValue, _ path: String) throws(TokenizerError) -> [HFDecoder] {
            let config = try object(value, path)
            switch try type(config, path) {
            case "Sequence":
                guard let items = config["decoders"]?.arrayValue else {
                    throw fail(path + ".decoders", "expected an array")
                }
                var steps: [HFDecoder] = []
                for (i, item) in items.enumerated() {
                    steps += try decoderSteps(item, path + ".decoders[\(i)]")
                }
                return steps
            case "ByteLevel": return [.byteLevel]
            case "Metaspace":
                return [.metaspace(replacement: try character(config["replacement"], path + ".replacement"),
                                   prependScheme: try prependScheme(config, path))]
            case "Replace":
                return [.replace(pattern: try literalPattern(config["pattern"], path + ".pattern"),
                                 content: Array(try string(config["content"], path + ".content").utf8))]
            case "ByteFallback": return [.byteFallback]
            case "Fuse": return [.fuse]
            case "Strip":
                return [.strip(content: try character(config["content"], path + ".content"),
                               start: try int(config["start"], path + ".start"),
                               stop: try int(config["stop"], path + ".stop"))]
            case "BPEDecoder":
                return [.bpe(suffix: Array((try optionalString(config["suffix"], path + ".suffix") ?? "</w>").utf8))]
            case let other:
                throw unsupported(path, "decoder '\(other)'")
            }
        }

        /// The character words may be cut before: what spaces become ("▁"), when no ByteLevel
        /// step rewrites the text.
        static func cutCharacter(normalizers: [HFNormalizer], preTokenizers: [HFPreTokenizer]) -> [UInt8]? {
            var candidate: [UInt8]?
            for step in normalizers {
                if case .replace(let pattern, let content) = step, pattern == [0x20] { candidate = content }
            }
            for step in preTokenizers {
                switch step {
                case .byteLevel: return nil
                case .metaspace(let replacement, _, _): candidate = replacement
                case .split, .digits: break
                }
            }
            guard let candidate, String(decoding: candidate, as: UTF8.self).unicodeScalars.count == 1 else { return nil }
            return candidate
        }

        func bpeModel(_ value: JSONValue?, _ path: String, cutCandidate: [UInt8]?) throws(TokenizerError) -> HFBPEModel {
            let config = try object(value, path)
            if let kind = try optionalString(config["type"], path + ".type"), kind != "BPE" {
                throw unsupported(path, "model '\(kind)' (only BPE)")
            }
            if let dropout = config["dropout"], !dropout.isNull {
                guard let rate = dropout.doubleValue else { throw fail(path + ".dropout", "expected a number") }
                guard rate == 0 else { throw unsupported(path + ".dropout", "BPE dropout (random, not reproducible)") }
            }
            guard let vocabObject = config["vocab"]?.objectValue else {
                throw fail(path + ".vocab", "expected an object")
            }
            var strings: [[UInt8]] = []
            var builder = ByteLevelStringTable.Builder()
            for (key, value) in vocabObject.fields {
                let id = try id(value, path + ".vocab[\"\(key)\"]")
                let bytes = Array(key.utf8)
                if Int(id) >= strings.count {
                    strings.append(contentsOf: repeatElement([], count: Int(id) + 1 - strings.count))
                }
                strings[Int(id)] = bytes
                builder.append(bytes, id)
            }
            let vocab = ByteLevelStringTable(builder)
            let prefix = Array((try optionalString(config["continuing_subword_prefix"], path + ".continuing_subword_prefix") ?? "").utf8)
            let suffix = Array((try optionalString(config["end_of_word_suffix"], path + ".end_of_word_suffix") ?? "").utf8)

            guard let mergeList = config["merges"]?.arrayValue else {
                throw fail(path + ".merges", "expected an array")
            }
            var pairs: [UInt64: UInt64] = [:]
            pairs.reserveCapacity(mergeList.count)
            var rank = 0
            var cutAllowed = cutCandidate != nil && prefix.isEmpty && suffix.isEmpty
            for (i, item) in mergeList.enumerated() {
                let where_ = path + ".merges[\(i)]"
                let left: [UInt8], right: [UInt8]
                if let text = item.stringValue {
                    if text.hasPrefix("#version") { continue }
                    let parts = text.utf8.split(separator: 0x20, omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw fail(where_, "expected 'left right', found '\(text)'") }
                    left = Array(parts[0])
                    right = Array(parts[1])
                } else if let pair = item.arrayValue, pair.count == 2,
                          let a = pair[0].stringValue, let b = pair[1].stringValue {
                    left = Array(a.utf8)
                    right = Array(b.utf8)
                } else {
                    throw fail(where_, "expected \"left right\" or [\"left\", \"right\"]")
                }
                guard let leftID = vocab.find(left) else {
                    throw fail(where_, "'\(String(decoding: left, as: UTF8.self))' is not in the vocabulary")
                }
                guard let rightID = vocab.find(right) else {
                    throw fail(where_, "'\(String(decoding: right, as: UTF8.self))' is not in the vocabulary")
                }
                guard right.count >= prefix.count else {
                    throw fail(where_, "'\(String(decoding: right, as: UTF8.self))' is shorter than the subword prefix")
                }
                let merged = left + right[prefix.count...]
                guard let mergedID = vocab.find(merged) else {
                    throw fail(where_, "the merge '\(String(decoding: merged, as: UTF8.self))' is not in the vocabulary")
                }
                guard rank <= Int(UInt32.max) else { throw fail(where_, "too many merges") }
                pairs[UInt64(UInt32(leftID)) << 32 | UInt64(UInt32(rightID))] = UInt64(rank) << 32 | UInt64(UInt32(mergedID))
                rank += 1
                if cutAllowed, let cut = cutCandidate, right.starts(with: cut), !left.reversed().starts(with: cut.reversed()) {
                    cutAllowed = false
                }
            }
            var unkID: Int32?
            if let unk = try optionalString(config["unk_token"], path + ".unk_token") {
                guard let id = vocab.find(Array(unk.utf8)) else {
                    throw fail(path + ".unk_token", "'\(unk)' is not in the vocabulary")
                }
                unkID = id
            }
            if let cut = cutCandidate, vocab.find(cut) == nil { cutAllowed = false }
            return HFBPEModel(strings: strings, vocab: vocab, merges: ByteLevelMergeTable(pairs), unkID: unkID,
                              fuseUnk: try bool(config["fuse_unk"], path + ".fuse_unk", default: false),
                              byteFallback: try bool(config["byte_fallback"], path + ".byte_fallback", default: false),
                              ignoreMerges: try bool(config["ignore_merges"], path + ".ignore_merges", default: false),
                              prefix: prefix, suffix: suffix, cutBefore: cutAllowed ? cutCandidate : nil)
        }

        /// BOS/EOS: the special tokens a TemplateProcessing puts around a single sequence, else
        /// the usual names.
        func specialIDs(_ value: JSONValue?, model: HFBPEModel, added: [HFAdded]) throws(TokenizerError) -> (TokenID?, TokenID?) {
            func idOf(_ name: String) -> TokenID? {
                let bytes = Array(name.utf8)
                if let token = added.first(where: { $0.content == bytes }) { return token.id }
                return model.vocab.find(bytes)
            }
            var bos: TokenID?, eos: TokenID?
            if let config = value?.objectValue, config["type"]?.stringValue == "TemplateProcessing",
               let single = config["single"]?.arrayValue, let specials = config["special_tokens"]?.objectValue {
                func special(_ item: JSONValue) -> TokenID? {
                    guard let name = item["SpecialToken"]?["id"]?.stringValue else { return nil }
                    if let first = specials[name]?["ids"]?[0]?.intValue, first >= 0, first <= Int(Int32.max) {
                        return TokenID(first)
                    }
                    return idOf(name)
                }
                if let first = single.first { bos = special(first) }
                if single.count > 1, let last = single.last { eos = special(last) }
            }
            if bos == nil { bos = ["<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>"].lazy.compactMap(idOf).first }
            if eos == nil { eos = ["</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"].lazy.compactMap(idOf).first }
            return (bos, eos)
        }
    }

    // MARK: - Writing

    /// A byte-level BPE vocabulary as a tokenizer.json: `pattern` splits the text (GPT-2's
    /// `ByteLevel` regex for `.gpt2`, else a `Split` with ``PreTokenizerPattern/onigurumaRegex``
    /// before a regex-less `ByteLevel`), the model merges `merges` in order.
    ///
    /// - Parameters:
    ///   - tokens: the bytes of each id (ids 0..<count); every single byte must be one of them.
    ///   - merges: the merges in the order they were learned; each `left + right` must be a token.
    ///   - addedTokens: special tokens and the like (their ids may follow the tokens).
    ///   - ignoreMerges: a word that is a token becomes that token without merging (what
    ///     tiktoken does, and Llama 3's conversion writes).
    public static func byteLevelBPE(tokens: [[UInt8]], merges: [(left: [UInt8], right: [UInt8])],
                                    pattern: PreTokenizerPattern, addedTokens: [HFTokenizer.AddedToken] = [],
                                    ignoreMerges: Bool = false) throws(TokenizerError) -> [UInt8] {
        let name = "byte-level vocabulary"
        var builder = ByteLevelStringTable.Builder()
        for (id, token) in tokens.enumerated() {
            guard !token.isEmpty else { throw TokenizerError(file: name, message: "token \(id) is empty") }
            builder.append(token, Int32(id))
        }
        let table = ByteLevelStringTable(builder)
        if let (first, second) = table.duplicates.first {
            throw TokenizerError(file: name, message: "tokens \(first) and \(second) have the same bytes")
        }
        for byte in 0..<256 where table.find([UInt8(byte)]) == nil {
            throw TokenizerError(file: name, message: "no token for the single byte \(byteLevelHex(UInt8(byte)))")
        }
        for token in addedTokens {
            guard token.id >= 0, Int(token.id) >= tokens.count || tokens[Int(token.id)] == Array(token.content.utf8) else {
                throw TokenizerError(file: name, message: "added token '\(token.content)' has id \(token.id), "
                                     + "which is another token's")
            }
        }
        var mergeStrings: [(String, String)] = []
        mergeStrings.reserveCapacity(merges.count)
        for (i, merge) in merges.enumerated() {
            guard table.find(merge.left) != nil, table.find(merge.right) != nil,
                  table.find(merge.left + merge.right) != nil else {
                throw TokenizerError(file: name, message: "merge \(i): its parts or their concatenation are not tokens")
            }
            mergeStrings.append((ByteLevelAlphabet.string(for: merge.left), ByteLevelAlphabet.string(for: merge.right)))
        }
        let preTokenizer: JSONValue
        let byteLevel: JSONValue = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true,
                                    "use_regex": .bool(pattern == .gpt2)]
        if pattern == .gpt2 {
            preTokenizer = byteLevel
        } else {
            preTokenizer = ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": .string(pattern.onigurumaRegex)], "behavior": "Isolated",
                 "invert": false],
                byteLevel,
            ]]
        }
        let vocab = tokens.map { ByteLevelAlphabet.string(for: $0) }
        return document(addedTokens: addedTokens, normalizer: .null, preTokenizer: preTokenizer,
                        postProcessor: ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false,
                                        "use_regex": true],
                        decoder: ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
                        modelOptions: [("unk_token", .null), ("continuing_subword_prefix", .null),
                                       ("end_of_word_suffix", .null), ("fuse_unk", false), ("byte_fallback", false),
                                       ("ignore_merges", .bool(ignoreMerges))],
                        vocab: vocab, merges: mergeStrings)
    }

    /// A tiktoken vocabulary (token bytes in rank order) as a tokenizer.json that encodes as
    /// tiktoken does, the way HF converts tiktoken files (Llama 3's tokenizer.json): every split
    /// of a token into two tokens is a merge, ranked by the token's rank, and `ignore_merges`
    /// makes a word that is a token that token.
    public static func byteLevelBPE(ranks: [[UInt8]], pattern: PreTokenizerPattern,
                                    addedTokens: [HFTokenizer.AddedToken] = []) throws(TokenizerError) -> [UInt8] {
        try byteLevelBPE(tokens: ranks, merges: tiktokenMerges(ranks), pattern: pattern, addedTokens: addedTokens,
                         ignoreMerges: true)
    }

    /// The merges HF's tiktoken conversion derives: for each token in rank order, each split
    /// into two tokens, ordered by the ranks of the two parts.
    public static func tiktokenMerges(_ ranks: [[UInt8]]) -> [(left: [UInt8], right: [UInt8])] {
        var builder = ByteLevelStringTable.Builder()
        for (rank, token) in ranks.enumerated() { builder.append(token, Int32(rank)) }
        let table = ByteLevelStringTable(builder)
        var merges: [(left: [UInt8], right: [UInt8])] = []
        for token in ranks where token.count >= 2 {
            var local: [(Int32, Int32, Int)] = []
            for split in 1..<token.count {
                if let left = table.find(token[..<split]), let right = table.find(token[split...]) {
                    local.append((left, right, split))
                }
            }
            local.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            for (_, _, split) in local { merges.append((Array(token[..<split]), Array(token[split...]))) }
        }
        return merges
    }

    /// The kinds of SentencePiece pieces (ModelProto.SentencePiece.Type).
    public typealias PieceKind = SentencePieceModel.PieceType

    /// One SentencePiece piece: its text ("▁the", "<0x0A>", "<s>"), score and kind.
    public struct Piece: Sendable, Equatable {
        public var piece: String
        public var score: Float
        public var kind: PieceKind

        public init(_ piece: String, score: Float, kind: PieceKind = .normal) {
            self.piece = piece
            self.score = score
            self.kind = kind
        }
    }

    /// How HF's conversion orders the merges it derives from SentencePiece pieces.
    public enum MergeOrder: Sendable {
        /// transformers' current `generate_merges`: by score, then longer left part, then longer
        /// right part (all descending).
        case scoreThenLength
        /// transformers' earlier `SentencePieceExtractor`: by score only (descending). The
        /// LLaMA tokenizer.json files converted before 2024 have this order.
        case score
    }

    /// The merges HF derives from SentencePiece pieces: every split of every piece into two
    /// pieces, ordered by the piece's score (see ``MergeOrder``), ties in piece order, then by
    /// the ids of the two parts.
    public static func sentencePieceMerges(_ pieces: [Piece], order: MergeOrder = .scoreThenLength) -> [(String, String)] {
        // Python's {piece: index}: the last index of a repeated piece.
        var ids: [[UInt8]: Int] = [:]
        for (i, piece) in pieces.enumerated() { ids[Array(piece.piece.utf8)] = i }
        // Python's dict(vocab_scores): first position of a piece, last score.
        var scoreOf: [[UInt8]: Float] = [:]
        for piece in pieces { scoreOf[Array(piece.piece.utf8)] = piece.score }
        struct Candidate { var left: String; var right: String; var score: Float; var leftLength: Int; var rightLength: Int; var order: Int }
        var candidates: [Candidate] = []
        var seen = Set<[UInt8]>()
        for piece in pieces {
            let bytes = Array(piece.piece.utf8)
            guard seen.insert(bytes).inserted else { continue }
            let score = scoreOf[bytes]!
            let scalars = Array(piece.piece.unicodeScalars)
            var local: [(String, String, Int, Int, Int, Int)] = []
            for split in 1..<max(scalars.count, 1) {
                var left = String.UnicodeScalarView()
                left.append(contentsOf: scalars[..<split])
                var right = String.UnicodeScalarView()
                right.append(contentsOf: scalars[split...])
                let l = String(left), r = String(right)
                guard let li = ids[Array(l.utf8)], let ri = ids[Array(r.utf8)] else { continue }
                local.append((l, r, li, ri, split, scalars.count - split))
            }
            local.sort { ($0.2, $0.3) < ($1.2, $1.3) }
            for item in local {
                candidates.append(Candidate(left: item.0, right: item.1, score: score, leftLength: item.4,
                                            rightLength: item.5, order: candidates.count))
            }
        }
        candidates.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if order == .scoreThenLength {
                if a.leftLength != b.leftLength { return a.leftLength > b.leftLength }
                if a.rightLength != b.rightLength { return a.rightLength > b.rightLength }
            }
            return a.order < b.order
        }
        return candidates.map { ($0.left, $0.right) }
    }

    /// A SentencePiece-style BPE vocabulary as a tokenizer.json in the layout of HF's LLaMA
    /// conversion: normalizer Prepend("▁") (when `addDummyPrefix`) + Replace(" ", "▁"), no
    /// pre-tokenizer, BPE with byte fallback, `<unk>` fused, decoder Replace("▁", " ") +
    /// ByteFallback + Fuse (+ Strip(" ", 1, 0)). Unknown, control and user-defined pieces become
    /// added tokens (not normalized; special except user-defined ones), as the conversion adds
    /// them. The id of a piece is its index.
    public static func sentencePieceBPE(pieces: [Piece], mergeOrder: MergeOrder = .scoreThenLength,
                                        addDummyPrefix: Bool = true) throws(TokenizerError) -> [UInt8] {
        let name = "SentencePiece vocabulary"
        guard let unk = pieces.firstIndex(where: { $0.kind == .unknown }) else {
            throw TokenizerError(file: name, message: "no piece of kind unknown")
        }
        var seen = Set<[UInt8]>()
        for (i, piece) in pieces.enumerated() {
            guard !piece.piece.isEmpty else { throw TokenizerError(file: name, message: "piece \(i) is empty") }
            guard seen.insert(Array(piece.piece.utf8)).inserted else {
                throw TokenizerError(file: name, message: "piece \(i) '\(piece.piece)' appears twice")
            }
        }
        let added = pieces.enumerated().compactMap { i, piece -> HFTokenizer.AddedToken? in
            switch piece.kind {
            case .unknown, .control:
                return HFTokenizer.AddedToken(content: piece.piece, id: TokenID(i), special: true, normalized: false)
            case .userDefined:
                return HFTokenizer.AddedToken(content: piece.piece, id: TokenID(i), special: false, normalized: false)
            default:
                return nil
            }
        }
        var normalizers: [JSONValue] = []
        if addDummyPrefix { normalizers.append(["type": "Prepend", "prepend": "▁"]) }
        normalizers.append(["type": "Replace", "pattern": ["String": " "], "content": "▁"])
        var decoders: [JSONValue] = [
            ["type": "Replace", "pattern": ["String": "▁"], "content": " "],
            ["type": "ByteFallback"],
            ["type": "Fuse"],
        ]
        if addDummyPrefix { decoders.append(["type": "Strip", "content": " ", "start": 1, "stop": 0]) }
        var postProcessor: JSONValue = .null
        if let bos = pieces.firstIndex(where: { $0.kind == .control && $0.piece == "<s>" }) {
            postProcessor = [
                "type": "TemplateProcessing",
                "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                "pair": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]],
                         ["SpecialToken": ["id": "<s>", "type_id": 1]], ["Sequence": ["id": "B", "type_id": 1]]],
                "special_tokens": ["<s>": ["id": "<s>", "ids": .array([.number(JSONNumber(bos))]), "tokens": ["<s>"]]],
            ]
        }
        return document(addedTokens: added, normalizer: ["type": "Sequence", "normalizers": .array(normalizers)],
                        preTokenizer: .null, postProcessor: postProcessor,
                        decoder: ["type": "Sequence", "decoders": .array(decoders)],
                        modelOptions: [("unk_token", .string(pieces[unk].piece)), ("continuing_subword_prefix", .null),
                                       ("end_of_word_suffix", .null), ("fuse_unk", true), ("byte_fallback", true),
                                       ("ignore_merges", false)],
                        vocab: pieces.map(\.piece), merges: sentencePieceMerges(pieces, order: mergeOrder))
    }

    /// Writes a tokenizer.json made by this type (atomically: a temporary name, then a rename).
    public static func write(_ json: [UInt8], to path: String) throws {
        try OutputFile.write(json, to: path, codec: .plain)
    }

    /// The whole file, one vocabulary entry and one merge per line.
    static func document(addedTokens: [HFTokenizer.AddedToken], normalizer: JSONValue, preTokenizer: JSONValue,
                         postProcessor: JSONValue, decoder: JSONValue, modelOptions: [(String, JSONValue)],
                         vocab: [String], merges: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(vocab.count * 24 + merges.count * 24)
        func line(_ text: String) { out.append(contentsOf: text.utf8); out.append(0x0A) }
        func member(_ key: String, _ value: JSONValue, comma: Bool = true) {
            out.append(contentsOf: "  ".utf8)
            JSONValue.writeString(key, to: &out)
            out.append(contentsOf: ": ".utf8)
            value.write(to: &out)
            if comma { out.append(UInt8(ascii: ",")) }
            out.append(0x0A)
        }
        line("{")
        member("version", "1.0")
        member("truncation", .null)
        member("padding", .null)
        line("  \"added_tokens\": [")
        let sortedAdded = addedTokens.sorted { $0.id < $1.id }
        for (i, token) in sortedAdded.enumerated() {
            let entry: JSONValue = [
                "id": .number(JSONNumber(Int(token.id))), "content": .string(token.content),
                "single_word": .bool(token.singleWord), "lstrip": .bool(token.lstrip), "rstrip": .bool(token.rstrip),
                "normalized": .bool(token.normalized), "special": .bool(token.special),
            ]
            out.append(contentsOf: "    ".utf8)
            entry.write(to: &out)
            if i + 1 < sortedAdded.count { out.append(UInt8(ascii: ",")) }
            out.append(0x0A)
        }
        line("  ],")
        member("normalizer", normalizer)
        member("pre_tokenizer", preTokenizer)
        member("post_processor", postProcessor)
        member("decoder", decoder)
        line("  \"model\": {")
        out.append(contentsOf: "    \"type\": \"BPE\",\n    \"dropout\": null,\n".utf8)
        for (key, value) in modelOptions {
            out.append(contentsOf: "    ".utf8)
            JSONValue.writeString(key, to: &out)
            out.append(contentsOf: ": ".utf8)
            value.write(to: &out)
            out.append(contentsOf: ",\n".utf8)
        }
        line("    \"vocab\": {")
        for (id, token) in vocab.enumerated() {
            out.append(contentsOf: "      ".utf8)
            JSONValue.writeString(token, to: &out)
            out.append(contentsOf: ": \(id)".utf8)
            if id + 1 < vocab.count { out.append(UInt8(ascii: ",")) }
            out.append(0x0A)
        }
        line("    },")
        line("    \"merges\": [")
        // The "left right" form is read by every tokenizers version; pairs when a part has a space.
        let legacy = !merges.contains { $0.0.utf8.contains(0x20) || $0.1.utf8.contains(0x20) }
        for (i, merge) in merges.enumerated() {
            out.append(contentsOf: "      ".utf8)
            if legacy {
                JSONValue.writeString(merge.0 + " " + merge.1, to: &out)
            } else {
                JSONValue.array([.string(merge.0), .string(merge.1)]).write(to: &out)
            }
            if i + 1 < merges.count { out.append(UInt8(ascii: ",")) }
            out.append(0x0A)
        }
        line("    ]")
        line("  }")
        line("}")
        return out
    }
}
