import Foundation  // Unicode normalization (NFC/NFD/NFKC/NFKD normalizers)
import QuernIO

/// A BPE tokenizer read from a Hugging Face `tokenizer.json`, encoding exactly as `tokenizers`
/// 0.23 does with `encode(text, add_special_tokens=False)` (no truncation, no padding, no
/// post-processor), and decoding as its `decode(ids, skip_special_tokens=False)` does.
///
/// Supported components (anything else is refused with a ``TokenizerError`` naming it):
/// - model `BPE`: vocab, merges ("a b" strings or ["a", "b"] pairs), `unk_token`, `fuse_unk`,
///   `byte_fallback`, `ignore_merges`, `continuing_subword_prefix`, `end_of_word_suffix`,
///   `dropout` null or 0;
/// - normalizers `Sequence`, `Prepend`, `Replace` (string pattern), `NFC`, `NFD`, `NFKC`,
///   `NFKD`, `Strip`;
/// - pre-tokenizers `ByteLevel` (any `add_prefix_space`/`use_regex`), `Metaspace`
///   (`prepend_scheme` always/first/never, `split`), `Split` on a string or on one of the
///   ``PreTokenizerPattern`` regexes (every behavior, `invert`), `Digits`, `Sequence`;
/// - decoders `ByteLevel`, `Metaspace`, `Replace`, `ByteFallback`, `Fuse`, `Strip`,
///   `BPEDecoder`, `Sequence`;
/// - added tokens, special or not, matched in the input first as `tokenizers` does (leftmost
///   longest; `normalized` ones in the normalized text; `lstrip`, `rstrip`, `single_word`).
///
/// Invalid UTF-8 is first replaced by U+FFFD as Python's `decode("utf-8", "replace")` does.
///
/// Where `tokenizers` itself fails, this type fails earlier or not at all: an `unk_token` missing
/// from the vocabulary is refused at load (tokenizers errs when encoding needs it), and a
/// `Strip` decoder on a token it cannot strip gives an empty token (tokenizers 0.23 panics).
/// `truncation`, `padding` and `post_processor` play no part in `encode` (BOS/EOS are the
/// caller's); the post-processor only names ``bosID``.
public struct HFTokenizer: Tokenizer {
    let core: HFTokenizerCore

    /// Reads a tokenizer.json (any codec QuernIO reads).
    public init(contentsOf path: String) throws(TokenizerError) {
        let bytes: [UInt8]
        do {
            bytes = try Input.open(path, threads: 1).readAll()
        } catch {
            throw TokenizerError(file: path, message: "cannot read: \(error)")
        }
        try self.init(json: bytes, name: path)
    }

    /// Parses the bytes of a tokenizer.json; `name` names it in errors.
    public init(json: [UInt8], name: String) throws(TokenizerError) {
        core = try HFTokenizerJSON.load(json, name: name)
    }

    public var vocabularySize: Int { core.vocabularySize }
    public var bosID: TokenID? { core.bosID }
    public var eosID: TokenID? { core.eosID }

    /// The added tokens, in the file's order.
    public var addedTokens: [AddedToken] { core.added.map(\.token) }

    public func encode(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [TokenID]) {
        let core = self.core
        _ = ByteLevelUTF8.withValid(text) { p, n in core.encode(p, n, into: &ids) }
    }

    /// `tokenizers`' `decode(ids, skip_special_tokens=False)`, as UTF-8.
    public func decode(_ ids: [TokenID]) -> [UInt8] {
        core.decode(ids, skipSpecialTokens: false)
    }

    /// `tokenizers`' `decode(ids, skip_special_tokens=…)`, as UTF-8. As in `tokenizers`, a
    /// special token is skipped only when its decoded form is its content (a `normalized` one
    /// decodes as its normalized form, e.g. "▁<s>", and is then kept).
    public func decode(_ ids: [TokenID], skipSpecialTokens: Bool) -> [UInt8] {
        core.decode(ids, skipSpecialTokens: skipSpecialTokens)
    }

    /// `id_to_token`: an added token's (normalized) content, else the model's vocabulary entry.
    public func piece(for id: TokenID) -> String? {
        core.tokenString(id).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `token_to_id`: added tokens first, then the model's vocabulary.
    public func id(forPiece piece: String) -> TokenID? {
        let bytes = Array(piece.utf8)
        if let added = core.added.first(where: { $0.content == bytes }) { return added.id }
        return core.model.vocab.find(bytes)
    }

    /// A token `tokenizers` matches in the input before the model sees it.
    public struct AddedToken: Sendable, Equatable {
        public var content: String
        public var id: TokenID
        public var special: Bool
        public var normalized: Bool
        public var lstrip: Bool
        public var rstrip: Bool
        public var singleWord: Bool

        public init(content: String, id: TokenID, special: Bool = true, normalized: Bool = false,
                    lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false) {
            self.content = content
            self.id = id
            self.special = special
            self.normalized = normalized
            self.lstrip = lstrip
            self.rstrip = rstrip
            self.singleWord = singleWord
        }
    }
}

// MARK: - Pipeline steps

enum HFNormalizer: Sendable {
    case prepend([UInt8])
    case replace(pattern: [UInt8], content: [UInt8])
    case nfc, nfd, nfkc, nfkd
    case strip(left: Bool, right: Bool)
}

enum HFPrependScheme: Sendable {
    case always, first, never
}

enum HFPreTokenizer: Sendable {
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case metaspace(replacement: [UInt8], prependScheme: HFPrependScheme, split: Bool)
    case split(HFSplitPattern, HFSplitBehavior, invert: Bool)
    /// Numbers (\p{N}) apart: each on its own (`individual`) or in runs.
    case digits(individual: Bool)
}

/// What a `Split` pre-tokenizer looks for.
enum HFSplitPattern: Sendable, Equatable {
    case preset(PreTokenizerPattern)
    case literal([UInt8])
}

/// `SplitDelimiterBehavior`: what becomes of the matches.
enum HFSplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    /// `NormalizedString::split`'s cut of a text into pieces, from pieces that tile it, each a
    /// match of the pattern or not.
    func pieces(_ marks: [(Range<Int>, Bool)]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        switch self {
        case .isolated:
            result = marks.map(\.0)
        case .removed:
            result = marks.filter { !$0.1 }.map(\.0)
        case .mergedWithPrevious:
            var previousMatch = false
            for (range, isMatch) in marks {
                if isMatch && !previousMatch, let last = result.last {
                    result[result.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    result.append(range)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (range, isMatch) in marks.reversed() {
                if isMatch && !previousMatch, let last = result.last {
                    result[result.count - 1] = range.lowerBound..<last.upperBound
                } else {
                    result.append(range)
                }
                previousMatch = isMatch
            }
            result.reverse()
        case .contiguous:
            var previousMatch = false
            for (range, isMatch) in marks {
                if isMatch == previousMatch, let last = result.last {
                    result[result.count - 1] = last.lowerBound..<range.upperBound
                } else {
                    result.append(range)
                }
                previousMatch = isMatch
            }
        }
        return result.filter { !$0.isEmpty }
    }
}

enum HFDecoder: Sendable {
    case byteLevel
    case metaspace(replacement: [UInt8], prependScheme: HFPrependScheme)
    case replace(pattern: [UInt8], content: [UInt8])
    case byteFallback
    case fuse
    case strip(content: [UInt8], start: Int, stop: Int)
    case bpe(suffix: [UInt8])
}

/// One added token with what matching and decoding need.
struct HFAdded: Sendable {
    var token: HFTokenizer.AddedToken
    var id: TokenID { token.id }
    /// UTF-8 of the content.
    var content: [UInt8]
    /// What it matches: the content, normalized when `normalized` (and a normalizer exists).
    var pattern: [UInt8]
    /// What it decodes as (`tokenizers` keeps the normalized form of normalized tokens).
    var decoded: [UInt8]
}

// MARK: - Added-token matching

/// Leftmost-longest matching of added tokens (what `tokenizers` builds with Aho-Corasick),
/// then `find_matches`' single_word / lstrip / rstrip rules.
struct HFAddedTokenMatcher: Sendable {
    private struct Node: Sendable {
        var children: [(UInt8, Int32)] = []
        var terminal: Int32 = -1  // index into tokens
    }
    private var nodes = [Node()]
    private var firstBytes = [Bool](repeating: false, count: 256)
    private(set) var tokens: [HFAdded] = []

    var isEmpty: Bool { tokens.isEmpty }

    init(_ tokens: [HFAdded]) {
        for token in tokens where !token.pattern.isEmpty {
            var node = 0
            for byte in token.pattern {
                if let child = nodes[node].children.first(where: { $0.0 == byte }) {
                    node = Int(child.1)
                } else {
                    nodes.append(Node())
                    nodes[node].children.append((byte, Int32(nodes.count - 1)))
                    node = nodes.count - 1
                }
            }
            // The first of equal patterns wins, as in Aho-Corasick's pattern order.
            if nodes[node].terminal < 0 {
                nodes[node].terminal = Int32(self.tokens.count)
            }
            self.tokens.append(token)
            firstBytes[Int(token.pattern[0])] = true
        }
    }

    /// The longest pattern starting at `i`: (token index, end).
    @inline(__always)
    private func longest(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (Int, Int)? {
        var node = 0
        var best: (Int, Int)?
        var j = i
        while j < n {
            guard let child = nodes[node].children.first(where: { $0.0 == p[j] }) else { break }
            node = Int(child.1)
            j += 1
            if nodes[node].terminal >= 0 { best = (Int(nodes[node].terminal), j) }
        }
        return best
    }

    /// Calls `body` with the pieces of `p[0..<n]` in order: text between tokens (id nil) and
    /// tokens (with their id), as `AddedVocabulary::find_matches` cuts them.
    func forEachSegment(_ p: UnsafePointer<UInt8>, _ n: Int, _ body: (Range<Int>, TokenID?) -> Void) {
        guard !tokens.isEmpty else {
            if n > 0 { body(0..<n, nil) }
            return
        }
        var startOffset = 0
        var i = 0
        while i < n {
            guard firstBytes[Int(p[i])], let (index, matchEnd) = longest(p, n, i) else {
                i += 1
                continue
            }
            let token = tokens[index].token
            var start = i
            var stop = matchEnd
            i = matchEnd  // matching resumes after the match itself, whatever rstrip takes
            if token.singleWord {
                let startSpace = start == 0 || !HFText.endsWithWordCharacter(p, start)
                let stopSpace = stop == n || !HFText.startsWithWordCharacter(p + stop, n - stop)
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip {
                start = max(HFText.trailingWhitespaceStart(p, start), startOffset)
            }
            if token.rstrip {
                stop += HFText.leadingWhitespaceLength(p + stop, n - stop)
            }
            if startOffset < start { body(startOffset..<start, nil) }
            body(start..<stop, token.id)
            startOffset = stop
        }
        if startOffset < n { body(startOffset..<n, nil) }
    }
}

/// The `\w` and `\s` tests `tokenizers` makes with Rust's regex crate (Unicode classes).
enum HFText {
    @inline(__always)
    static func decodeScalar(_ p: UnsafePointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        if b0 < 0xE0 { return (UInt32(b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return (UInt32(b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        }
        return (UInt32(b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
                | UInt32(p[i + 3] & 0x3F), 4)
    }

    /// Rust regex `\w`: Alphabetic, M, Nd, Pc, Join_Control.
    static func isWordCharacter(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    @inline(__always)
    static func scalarLength(_ b0: UInt8) -> Int {
        b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4
    }

    static func isWhitespace(_ value: UInt32) -> Bool {
        Unicode.Scalar(value)?.properties.isWhitespace ?? false
    }

    /// `\w$` on `p[0..<end]`.
    static func endsWithWordCharacter(_ p: UnsafePointer<UInt8>, _ end: Int) -> Bool {
        guard end > 0 else { return false }
        var k = end - 1
        while p[k] & 0xC0 == 0x80 { k -= 1 }
        return isWordCharacter(decodeScalar(p, k).0)
    }

    /// `^\w` on `p[0..<n]`.
    static func startsWithWordCharacter(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        n > 0 && isWordCharacter(decodeScalar(p, 0).0)
    }

    /// Start of the whitespace run that ends `p[0..<end]` (`\s*$`).
    static func trailingWhitespaceStart(_ p: UnsafePointer<UInt8>, _ end: Int) -> Int {
        var start = end
        while start > 0 {
            var k = start - 1
            while p[k] & 0xC0 == 0x80 { k -= 1 }
            guard isWhitespace(decodeScalar(p, k).0) else { break }
            start = k
        }
        return start
    }

    /// Length of the whitespace run that starts `p[0..<n]` (`^\s*`).
    static func leadingWhitespaceLength(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var i = 0
        while i < n {
            let (value, length) = decodeScalar(p, i)
            guard isWhitespace(value) else { break }
            i += length
        }
        return i
    }
}

// MARK: - Words

/// Text being pre-tokenized: UTF-8 bytes and the words cut in them so far.
struct HFWords {
    var bytes: [UInt8] = []
    /// (start, end, whether the word starts at offset 0 of the original text).
    var words: [(Int, Int, Bool)] = []

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        words.removeAll(keepingCapacity: true)
    }
}

// MARK: - Model

/// `tokenizers`' BPE model over UTF-8 strings, with every vocabulary entry's encoding computed
/// at load (an exact, immutable cache: words equal to an entry are most words).
final class HFBPEModel: @unchecked Sendable {
    /// Model id → vocabulary string (UTF-8); empty where the id is unused.
    let strings: [[UInt8]]
    let vocab: ByteLevelStringTable
    let merges: ByteLevelMergeTable
    private let vocabView: ByteLevelStringTable.View
    private let mergeView: ByteLevelMergeTable.View
    private var cacheView: ByteLevelStringTable.View
    let unkID: Int32?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let prefix: [UInt8]
    let suffix: [UInt8]
    /// Ids of "<0x00>"…"<0xFF>" (-1 where absent).
    let byteFallbackIDs: [Int32]
    /// Word → its ids: a value ≥ 0 is the one id, -k-1 is `results[resultStarts[k]..<resultStarts[k+1]]`.
    private(set) var cache: ByteLevelStringTable
    private var results: [Int32] = []
    private var resultStarts: [Int] = [0]
    /// The UTF-8 of a character before which words can be cut without changing their encoding
    /// (Metaspace's "▁" in SentencePiece-style vocabularies), when the merges allow it.
    private(set) var cutBefore: [UInt8]?

    init(strings: [[UInt8]], vocab: ByteLevelStringTable, merges: ByteLevelMergeTable, unkID: Int32?,
         fuseUnk: Bool, byteFallback: Bool, ignoreMerges: Bool, prefix: [UInt8], suffix: [UInt8],
         cutBefore: [UInt8]?) {
        self.strings = strings
        self.vocab = vocab
        self.merges = merges
        vocabView = vocab.view
        mergeView = merges.view
        cache = ByteLevelStringTable(ByteLevelStringTable.Builder())  // replaced below
        cacheView = cache.view
        self.unkID = unkID
        self.fuseUnk = fuseUnk
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        self.prefix = prefix
        self.suffix = suffix
        var fallback = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            let name = Array("<\(byteLevelHex(UInt8(byte)))>".utf8)
            fallback[byte] = vocab.find(name) ?? -1
        }
        byteFallbackIDs = fallback
        self.cutBefore = nil
        // Precompute every entry's encoding (before enabling the cut, which only speeds words up).
        // With ignore_merges an entry is its own encoding, and is found before the cache.
        var builder = ByteLevelStringTable.Builder()
        var ids: [TokenID] = []
        for string in strings where !string.isEmpty && !ignoreMerges {
            ids.removeAll(keepingCapacity: true)
            string.withUnsafeBufferPointer { buffer in
                mergeWord(buffer.baseAddress!, buffer.count, into: &ids)
            }
            if ids.count == 1 {
                builder.append(string, ids[0])
            } else {
                builder.append(string, Int32(-(resultStarts.count - 1) - 1))
                results.append(contentsOf: ids)
                resultStarts.append(results.count)
            }
        }
        cache = ByteLevelStringTable(builder)
        cacheView = cache.view
        self.cutBefore = cutBefore
    }

    /// Appends the ids of one pre-tokenized word (`BPE::tokenize`).
    @inline(__always)
    func encodeWord(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [TokenID]) {
        guard n > 0 else { return }
        if ignoreMerges, let id = vocabView.find(p, n) {
            ids.append(id)
            return
        }
        if let cut = cutBefore, n > cut.count {
            // Segments start at each cut character that follows another character.
            var start = 0
            var i = 1
            let c0 = cut[0]
            while i <= n - cut.count {
                if p[i] == c0 && byteLevelBytesEqual(p + i, cut, cut.count)
                    && !(i >= cut.count && byteLevelBytesEqual(p + i - cut.count, cut, cut.count)) {
                    encodeSegment(p + start, i - start, into: &ids)
                    start = i
                    i += cut.count
                } else {
                    i += 1
                }
            }
            encodeSegment(p + start, n - start, into: &ids)
            return
        }
        encodeSegment(p, n, into: &ids)
    }

    @inline(__always)
    private func encodeSegment(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [TokenID]) {
        if let value = cacheView.find(p, n) {
            if value >= 0 {
                ids.append(value)
            } else {
                let k = Int(-value - 1)
                ids.append(contentsOf: results[resultStarts[k]..<resultStarts[k + 1]])
            }
            return
        }
        mergeWord(p, n, into: &ids)
    }

    /// `BPE::merge_word` then `Word::merge_all`: characters to ids (with the subword prefix and
    /// word suffix, byte fallback and unknown-token fusing exactly as there), then merges.
    func mergeWord(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [TokenID]) {
        // Each character gives one id, or one per byte of itself and the prefix/suffix added.
        let capacity = n * (1 + prefix.count) + suffix.count + 1
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { buffer in
            let symbols = buffer.baseAddress!
            var count = 0
            var pendingUnk = false
            var key: [UInt8] = []
            var i = 0
            while i < n {
                let length = HFText.scalarLength(p[i])
                let isFirst = i == 0
                let isLast = i + length == n
                let plain = (isFirst || prefix.isEmpty) && (!isLast || suffix.isEmpty)
                var id: Int32?
                if plain { id = vocabView.find(p + i, length) }
                if id == nil {
                    key.removeAll(keepingCapacity: true)
                    if !isFirst { key.append(contentsOf: prefix) }
                    key.append(contentsOf: UnsafeBufferPointer(start: p + i, count: length))
                    if isLast { key.append(contentsOf: suffix) }
                    if !plain { id = vocab.find(key) }
                }
                i += length
                if let id {
                    if pendingUnk, let unk = unkID {
                        symbols[count] = UInt32(bitPattern: unk)
                        count += 1
                        pendingUnk = false
                    }
                    symbols[count] = UInt32(bitPattern: id)
                    count += 1
                    continue
                }
                // Byte fallback: every byte of the character (as looked up) as <0xXX>, when all
                // exist. A pending unknown token stays pending, as in `tokenizers`.
                if byteFallback && key.allSatisfy({ byteFallbackIDs[Int($0)] >= 0 }) {
                    for byte in key {
                        symbols[count] = UInt32(bitPattern: byteFallbackIDs[Int(byte)])
                        count += 1
                    }
                    continue
                }
                if let unk = unkID {
                    if pendingUnk && !fuseUnk {
                        symbols[count] = UInt32(bitPattern: unk)
                        count += 1
                    }
                    pendingUnk = true
                }
            }
            if pendingUnk, let unk = unkID {
                symbols[count] = UInt32(bitPattern: unk)
                count += 1
            }
            let m = ByteLevelMerge.merge(symbols, count, mergeView)
            for k in 0..<m { ids.append(TokenID(bitPattern: symbols[k])) }
        }
    }
}

// MARK: - Tokenizer core

/// Everything a loaded tokenizer.json needs, immutable after loading.
final class HFTokenizerCore: @unchecked Sendable {
    let name: String
    let model: HFBPEModel
    let normalizers: [HFNormalizer]
    let preTokenizers: [HFPreTokenizer]
    /// nil: no decoder (tokens joined with spaces, as `tokenizers` does).
    let decoders: [HFDecoder]?
    let added: [HFAdded]
    let rawMatcher: HFAddedTokenMatcher
    let normalizedMatcher: HFAddedTokenMatcher
    let vocabularySize: Int
    let bosID: TokenID?
    let eosID: TokenID?
    /// Added token id → index in `added`.
    private let addedIndex: [Int32: Int]
    /// Ids `decode(skipSpecialTokens: true)` leaves out: those whose string is a special
    /// token's content.
    private let skippable: [Bool]
    /// The decoded bytes of every id when the decoder is exactly `ByteLevel`.
    private let byteLevelDecoded: [[UInt8]]?
    /// A single pre-tokenization pattern then ByteLevel, nothing else: words straight from the
    /// scanner.
    private let byteLevelPattern: PreTokenizerPattern?

    init(name: String, model: HFBPEModel, normalizers: [HFNormalizer], preTokenizers: [HFPreTokenizer],
         decoders: [HFDecoder]?, added: [HFAdded], bosID: TokenID?, eosID: TokenID?) {
        self.name = name
        self.model = model
        self.normalizers = normalizers
        self.preTokenizers = preTokenizers
        self.decoders = decoders
        self.added = added
        rawMatcher = HFAddedTokenMatcher(added.filter { !$0.token.normalized })
        normalizedMatcher = HFAddedTokenMatcher(added.filter { $0.token.normalized })
        var index: [Int32: Int] = [:]
        for (i, token) in added.enumerated() { index[token.id] = i }
        addedIndex = index
        let specialContents = Set(added.filter { $0.token.special }.map(\.content))
        vocabularySize = max(model.strings.count, (added.map { Int($0.id) }.max() ?? -1) + 1)
        self.bosID = bosID
        self.eosID = eosID
        var pattern: PreTokenizerPattern?
        if normalizers.isEmpty {
            switch preTokenizers.count {
            case 1:
                if case .byteLevel(false, true) = preTokenizers[0] { pattern = .gpt2 }
            case 2:
                if case .split(.preset(let preset), .isolated, false) = preTokenizers[0],
                   case .byteLevel(false, false) = preTokenizers[1] {
                    pattern = preset
                }
            default: break
            }
        }
        byteLevelPattern = pattern
        var skippable = [Bool](repeating: false, count: vocabularySize)
        for id in 0..<vocabularySize {
            let string = index[Int32(id)].map { added[$0].decoded } ?? (id < model.strings.count ? model.strings[id] : [])
            skippable[id] = specialContents.contains(string)
        }
        self.skippable = skippable
        if let decoders, decoders.count == 1, case .byteLevel = decoders[0] {
            var decoded: [[UInt8]] = []
            decoded.reserveCapacity(vocabularySize)
            for id in 0..<vocabularySize {
                var string: [UInt8] = []
                if let i = index[Int32(id)] {
                    string = added[i].decoded
                } else if id < model.strings.count {
                    string = model.strings[id]
                }
                decoded.append(ByteLevelAlphabet.bytes(ofUTF8: string) ?? string)
            }
            byteLevelDecoded = decoded
        } else {
            byteLevelDecoded = nil
        }
    }

    func tokenString(_ id: TokenID) -> [UInt8]? {
        if let i = addedIndex[id] { return added[i].decoded }
        guard id >= 0, Int(id) < model.strings.count, !model.strings[Int(id)].isEmpty else { return nil }
        return model.strings[Int(id)]
    }

    // MARK: Encoding

    func encode(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [TokenID]) {
        var words = HFWords()
        var spare = HFWords()
        var normalized: [UInt8] = []
        rawMatcher.forEachSegment(p, n) { segment, token in
            if let token {
                ids.append(token)
                return
            }
            let atStart = segment.lowerBound == 0
            let piece = UnsafeBufferPointer(start: p + segment.lowerBound, count: segment.count)
            if normalizers.isEmpty {
                encodeNormalized(piece, atStart: atStart, words: &words, spare: &spare, into: &ids)
            } else {
                normalized.removeAll(keepingCapacity: true)
                normalized.append(contentsOf: piece)
                for normalizer in normalizers { HFTokenizerCore.apply(normalizer, to: &normalized) }
                normalized.withUnsafeBufferPointer { buffer in
                    encodeNormalized(buffer, atStart: atStart, words: &words, spare: &spare, into: &ids)
                }
            }
        }
    }

    /// Splits normalized text on the normalized added tokens, then pre-tokenizes and encodes.
    private func encodeNormalized(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool, words: inout HFWords,
                                  spare: inout HFWords, into ids: inout [TokenID]) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        normalizedMatcher.forEachSegment(base, text.count) { segment, token in
            if let token {
                ids.append(token)
                return
            }
            let piece = UnsafeBufferPointer(start: base + segment.lowerBound, count: segment.count)
            let first = atStart && segment.lowerBound == 0
            if let pattern = byteLevelPattern {
                encodeByteLevel(piece, pattern: pattern, into: &ids)
                return
            }
            if preTokenizers.isEmpty {
                model.encodeWord(piece.baseAddress!, piece.count, into: &ids)
                return
            }
            words.reset()
            words.bytes.append(contentsOf: piece)
            words.words.append((0, piece.count, first))
            for step in preTokenizers {
                HFTokenizerCore.apply(step, from: words, to: &spare)
                swap(&words, &spare)
            }
            words.bytes.withUnsafeBufferPointer { buffer in
                for (start, end, _) in words.words where end > start {
                    model.encodeWord(buffer.baseAddress! + start, end - start, into: &ids)
                }
            }
        }
    }

    /// The common byte-level case: pieces from the scanner, spelled in GPT-2's alphabet, encoded.
    private func encodeByteLevel(_ text: UnsafeBufferPointer<UInt8>, pattern: PreTokenizerPattern,
                                 into ids: inout [TokenID]) {
        guard let p = text.baseAddress else { return }
        let n = text.count
        let model = self.model
        ByteLevelAlphabet.withSpelling { spelling in
            PreTokenizerClassTable.withTable { table in
                var i = 0
                while i < n {
                    let end = PreTokenizerScanner.next(pattern, p, n, i, table)
                    // A piece of k bytes spells as at most 2k bytes of GPT-2's alphabet.
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * (end - i)) { buffer in
                        let spelled = buffer.baseAddress!
                        var length = 0
                        for k in i..<end {
                            let code = spelling[Int(p[k])]
                            spelled[length] = UInt8(truncatingIfNeeded: code)
                            if code > 0xFF {
                                spelled[length &+ 1] = UInt8(truncatingIfNeeded: code &>> 8)
                                length &+= 2
                            } else {
                                length &+= 1
                            }
                        }
                        model.encodeWord(spelled, length, into: &ids)
                    }
                    i = end
                }
            }
        }
    }

    static func apply(_ normalizer: HFNormalizer, to text: inout [UInt8]) {
        switch normalizer {
        case .prepend(let prefix):
            if !text.isEmpty { text.insert(contentsOf: prefix, at: 0) }
        case .replace(let pattern, let content):
            text = HFTokenizerCore.replacing(pattern, with: content, in: text)
        case .strip(let left, let right):
            text.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
                let start = left ? HFText.leadingWhitespaceLength(base, buffer.count) : 0
                let end = right ? max(start, HFText.trailingWhitespaceStart(base, buffer.count)) : buffer.count
                if start > 0 || end < buffer.count { text = Array(buffer[start..<end]) }
            }
        case .nfc, .nfd, .nfkc, .nfkd:
            text = unicodeNormalized(text, normalizer)
        }
    }

    static func unicodeNormalized(_ text: [UInt8], _ form: HFNormalizer) -> [UInt8] {
        if text.allSatisfy({ $0 < 0x80 }) { return text }  // ASCII is in every normal form
        let string = String(decoding: text, as: UTF8.self)
        let result: String
        switch form {
        case .nfc: result = string.precomposedStringWithCanonicalMapping
        case .nfd: result = string.decomposedStringWithCanonicalMapping
        case .nfkc: result = string.precomposedStringWithCompatibilityMapping
        default: result = string.decomposedStringWithCompatibilityMapping
        }
        return Array(result.utf8)
    }

    /// Non-overlapping occurrences of `pattern`, left to right, replaced by `content`.
    static func replacing(_ pattern: [UInt8], with content: [UInt8], in text: [UInt8]) -> [UInt8] {
        guard !pattern.isEmpty, text.count >= pattern.count else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / 4)
        var i = 0
        let first = pattern[0]
        while i < text.count {
            if text[i] == first && i + pattern.count <= text.count && text[i..<(i + pattern.count)].elementsEqual(pattern) {
                out.append(contentsOf: content)
                i += pattern.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// One pre-tokenizer over every word of `input`, into `output`.
    static func apply(_ step: HFPreTokenizer, from input: HFWords, to output: inout HFWords) {
        output.reset()
        input.bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress
            for (start, end, atStart) in input.words where end > start {
                let word = UnsafeBufferPointer(start: base! + start, count: end - start)
                switch step {
                case .split(let pattern, let behavior, let invert):
                    var marks: [(Range<Int>, Bool)] = []
                    var covered = 0
                    func mark(_ range: Range<Int>) {
                        if range.lowerBound > covered { marks.append((covered..<range.lowerBound, invert)) }
                        marks.append((range, !invert))
                        covered = range.upperBound
                    }
                    switch pattern {
                    case .preset(let preset):
                        preset.splitValid(word) { mark($0) }
                    case .literal(let literal):
                        var i = 0
                        while i + literal.count <= word.count {
                            if word[i] == literal[0] && byteLevelBytesEqual(word.baseAddress! + i, literal, literal.count) {
                                mark(i..<(i + literal.count))
                                i += literal.count
                            } else {
                                i += 1
                            }
                        }
                    }
                    if covered < word.count { marks.append((covered..<word.count, invert)) }
                    appendPieces(behavior.pieces(marks), of: word, atStart: atStart, to: &output)
                case .digits(let individual):
                    var marks: [(Range<Int>, Bool)] = []
                    var i = 0
                    var plain = 0
                    PreTokenizerClassTable.withTable { table in
                        while i < word.count {
                            let (bits, length) = PreTokenizerScanner.classify(word.baseAddress!, i, table)
                            if bits & PreTokenizerClass.number != 0 {
                                if plain < i { marks.append((plain..<i, false)) }
                                marks.append((i..<(i + length), true))
                                plain = i + length
                            }
                            i += length
                        }
                    }
                    if plain < word.count { marks.append((plain..<word.count, false)) }
                    let behavior: HFSplitBehavior = individual ? .isolated : .contiguous
                    appendPieces(behavior.pieces(marks), of: word, atStart: atStart, to: &output)
                case .byteLevel(let addPrefixSpace, let useRegex):
                    var text = Array(word)
                    if addPrefixSpace && text.first != 0x20 { text.insert(0x20, at: 0) }
                    var first = atStart
                    let emit = { (range: Range<Int>, output: inout HFWords) in
                        let wordStart = output.bytes.count
                        for k in range { output.bytes.append(contentsOf: ByteLevelAlphabet.utf8OfByte[Int(text[k])]) }
                        output.words.append((wordStart, output.bytes.count, first))
                        first = false
                    }
                    if useRegex {
                        text.withUnsafeBufferPointer { textBuffer in
                            PreTokenizerPattern.gpt2.splitValid(textBuffer) { range in emit(range, &output) }
                        }
                    } else {
                        emit(0..<text.count, &output)
                    }
                case .metaspace(let replacement, let scheme, let split):
                    var text = replacing([0x20], with: replacement, in: Array(word))
                    let startsWithReplacement = text.starts(with: replacement)
                    switch scheme {
                    case .always where !startsWithReplacement, .first where !startsWithReplacement && atStart:
                        text.insert(contentsOf: replacement, at: 0)
                    default: break
                    }
                    let offset = output.bytes.count
                    output.bytes.append(contentsOf: text)
                    guard split else {
                        output.words.append((offset, offset + text.count, atStart))
                        continue
                    }
                    // MergedWithNext on the replacement: each one starts a word.
                    var marks: [(Range<Int>, Bool)] = []
                    var covered = 0
                    var i = 0
                    while i + replacement.count <= text.count {
                        if text[i] == replacement[0] && text[i..<(i + replacement.count)].elementsEqual(replacement) {
                            if i > covered { marks.append((covered..<i, false)) }
                            marks.append((i..<(i + replacement.count), true))
                            i += replacement.count
                            covered = i
                        } else {
                            i += 1
                        }
                    }
                    if covered < text.count { marks.append((covered..<text.count, false)) }
                    for range in HFSplitBehavior.mergedWithNext.pieces(marks) {
                        output.words.append((offset + range.lowerBound, offset + range.upperBound,
                                             atStart && range.lowerBound == 0))
                    }
                }
            }
        }
    }

    /// Copies `word` and records `pieces` of it as words; only a piece at its start can start
    /// the text.
    static func appendPieces(_ pieces: [Range<Int>], of word: UnsafeBufferPointer<UInt8>, atStart: Bool,
                             to output: inout HFWords) {
        let offset = output.bytes.count
        output.bytes.append(contentsOf: word)
        for range in pieces {
            output.words.append((offset + range.lowerBound, offset + range.upperBound, atStart && range.lowerBound == 0))
        }
    }

    // MARK: Decoding

    func decode(_ ids: [TokenID], skipSpecialTokens: Bool) -> [UInt8] {
        if let decoded = byteLevelDecoded {
            var out: [UInt8] = []
            out.reserveCapacity(ids.count * 4)
            for id in ids where id >= 0 && Int(id) < decoded.count {
                if tokenString(id) == nil || (skipSpecialTokens && skippable[Int(id)]) { continue }
                out.append(contentsOf: decoded[Int(id)])
            }
            return HFTokenizerCore.lossyUTF8(out)
        }
        var tokens: [[UInt8]] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let string = tokenString(id) else { continue }
            if skipSpecialTokens && skippable[Int(id)] { continue }
            tokens.append(string)
        }
        guard let decoders else {
            var out: [UInt8] = []
            for (i, token) in tokens.enumerated() {
                if i > 0 { out.append(0x20) }
                out.append(contentsOf: token)
            }
            return out
        }
        for decoder in decoders { tokens = HFTokenizerCore.apply(decoder, to: tokens) }
        return tokens.flatMap { $0 }
    }

    static func lossyUTF8(_ bytes: [UInt8]) -> [UInt8] {
        let valid = bytes.withUnsafeBufferPointer { buffer in
            buffer.isEmpty || ByteLevelUTF8.isValid(buffer.baseAddress!, buffer.count)
        }
        return valid ? bytes : Array(String(decoding: bytes, as: UTF8.self).utf8)
    }

    static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    static func apply(_ decoder: HFDecoder, to tokens: [[UInt8]]) -> [[UInt8]] {
        switch decoder {
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens { bytes.append(contentsOf: ByteLevelAlphabet.bytes(ofUTF8: token) ?? token) }
            return [lossyUTF8(bytes)]
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { i, token in
                let content: [UInt8] = (i == 0 && scheme != .never) ? [] : [0x20]
                return replacing(replacement, with: content, in: token)
            }
        case .replace(let pattern, let content):
            return tokens.map { replacing(pattern, with: content, in: $0) }
        case .byteFallback:
            var out: [[UInt8]] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                let valid = pending.withUnsafeBufferPointer { ByteLevelUTF8.isValid($0.baseAddress!, $0.count) }
                if valid {
                    out.append(pending)
                } else {
                    for _ in pending { out.append(replacementCharacter) }
                }
                pending.removeAll()
            }
            for token in tokens {
                if let byte = byteFallbackValue(token) {
                    pending.append(byte)
                } else {
                    flush()
                    out.append(token)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.flatMap { $0 }]
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                let scalars = scalarRanges(token)
                var startCut = 0
                for (i, range) in scalars.enumerated().prefix(start) {
                    guard token[range].elementsEqual(content) else { break }
                    startCut = i + 1
                }
                var stopCut = scalars.count
                var i = 0
                while i < min(stop, scalars.count - startCut) {
                    let index = scalars.count - i - 1
                    guard token[scalars[index]].elementsEqual(content) else { break }
                    stopCut = index
                    i += 1
                }
                guard startCut < stopCut else { return [] }
                return Array(token[scalars[startCut].lowerBound..<scalars[stopCut - 1].upperBound])
            }
        case .bpe(let suffix):
            return tokens.enumerated().map { i, token in
                replacing(suffix, with: i == tokens.count - 1 ? [] : [0x20], in: token)
            }
        }
    }

    /// The byte of a "<0xAB>" token (exactly six bytes, two hex digits in either case).
    static func byteFallbackValue(_ token: [UInt8]) -> UInt8? {
        guard token.count == 6, token[0] == UInt8(ascii: "<"), token[1] == UInt8(ascii: "0"),
              token[2] == UInt8(ascii: "x"), token[5] == UInt8(ascii: ">") else { return nil }
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        guard let high = digit(token[3]), let low = digit(token[4]) else { return nil }
        return high << 4 | low
    }

    static func scalarRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var i = 0
        while i < bytes.count {
            var length = 1
            let b = bytes[i]
            if b >= 0xF0 { length = 4 } else if b >= 0xE0 { length = 3 } else if b >= 0xC0 { length = 2 }
            length = min(length, bytes.count - i)
            ranges.append(i..<(i + length))
            i += length
        }
        return ranges
    }
}

extension ByteLevelAlphabet {
    /// The UTF-8 of every byte's character packed in 16 bits: the first byte low, the second (if
    /// any; every character is below U+0800) high.
    static let spelling: [UInt16] = utf8OfByte.map { $0.count == 1 ? UInt16($0[0]) : UInt16($0[0]) | UInt16($0[1]) << 8 }

    @inline(__always)
    static func withSpelling<R>(_ body: (UnsafePointer<UInt16>) -> R) -> R {
        spelling.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
