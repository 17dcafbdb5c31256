import QuernIO

/// A byte-level BPE tokenizer read from a tiktoken rank file (`base64token rank` per line, as
/// `tiktoken.load.load_tiktoken_bpe` reads it), with one of the preset pre-tokenization patterns.
///
/// `encode` gives exactly the ids of tiktoken's `Encoding.encode_ordinary` for an
/// `Encoding(pat_str: pattern.regex, mergeable_ranks: ranks, special_tokens: …)`: special-token
/// strings in the text are plain text. Invalid UTF-8 is first replaced by U+FFFD as Python's
/// `decode("utf-8", "replace")` does (tiktoken only takes `str`). `decode` gives the exact bytes
/// of the ids, as `decode_bytes` does.
public struct TiktokenTokenizer: Tokenizer {
    /// The pre-tokenization pattern.
    public let pattern: PreTokenizerPattern
    /// Special tokens (not in the rank file), by id.
    public let specialTokens: [(name: String, id: TokenID)]
    public let bosID: TokenID?
    public let eosID: TokenID?
    let core: TiktokenCore

    /// Reads a rank file (any codec QuernIO reads: plain, gzip, zstd, xz, bzip2).
    /// - Parameters:
    ///   - specialTokens: ids beyond the ranks, e.g. ``llama3SpecialTokens(rankCount:)``.
    ///   - bos, eos: names of special tokens to report as ``bosID``/``eosID``.
    public init(contentsOf path: String, pattern: PreTokenizerPattern,
                specialTokens: [(name: String, id: TokenID)] = [],
                bos: String? = nil, eos: String? = nil) throws(TokenizerError) {
        let bytes: [UInt8]
        do {
            bytes = try Input.open(path, threads: 1).readAll()
        } catch {
            throw TokenizerError(file: path, message: "cannot read: \(error)")
        }
        try self.init(rankFile: bytes, name: path, pattern: pattern, specialTokens: specialTokens,
                      bos: bos, eos: eos)
    }

    /// Parses the bytes of a rank file; `name` names it in errors.
    public init(rankFile: [UInt8], name: String, pattern: PreTokenizerPattern,
                specialTokens: [(name: String, id: TokenID)] = [],
                bos: String? = nil, eos: String? = nil) throws(TokenizerError) {
        let ranks = try TiktokenFile.parse(rankFile, name: name)
        try self.init(ranks: ranks, name: name, pattern: pattern, specialTokens: specialTokens, bos: bos, eos: eos)
    }

    /// A tokenizer from token bytes in rank order (rank = index = id), e.g. from a trainer.
    public init(ranks: [[UInt8]], name: String = "ranks", pattern: PreTokenizerPattern,
                specialTokens: [(name: String, id: TokenID)] = [],
                bos: String? = nil, eos: String? = nil) throws(TokenizerError) {
        self.pattern = pattern
        self.specialTokens = specialTokens
        core = try TiktokenCore(ranks: ranks, name: name)
        for special in specialTokens where Int(special.id) < ranks.count || special.id < 0 {
            throw TokenizerError(file: name, message: "special token \(special.name) has id \(special.id), "
                                 + "which is not beyond the \(ranks.count) ranks")
        }
        func lookup(_ token: String?) throws(TokenizerError) -> TokenID? {
            guard let token else { return nil }
            guard let found = specialTokens.first(where: { byteLevelUTF8Equal($0.name, token) }) else {
                throw TokenizerError(file: name, message: "no special token named \(token)")
            }
            return found.id
        }
        bosID = try lookup(bos)
        eosID = try lookup(eos)
    }

    /// Llama 3's tokenizer: its rank file (`tokenizer.model`, 128000 ranks), the `llama3`
    /// pattern and the 256 special tokens llama-models defines in code
    /// (`<|begin_of_text|>` = 128000 is BOS, `<|end_of_text|>` = 128001 is EOS).
    public static func llama3(contentsOf path: String) throws(TokenizerError) -> TiktokenTokenizer {
        let bytes: [UInt8]
        do {
            bytes = try Input.open(path, threads: 1).readAll()
        } catch {
            throw TokenizerError(file: path, message: "cannot read: \(error)")
        }
        let ranks = try TiktokenFile.parse(bytes, name: path)
        return try TiktokenTokenizer(ranks: ranks, name: path, pattern: .llama3,
                                     specialTokens: llama3SpecialTokens(rankCount: ranks.count),
                                     bos: "<|begin_of_text|>", eos: "<|end_of_text|>")
    }

    /// The special tokens of llama-models' Llama 3 tokenizer, numbered from `rankCount`.
    public static func llama3SpecialTokens(rankCount: Int = 128_000) -> [(name: String, id: TokenID)] {
        var names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                     "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>",
                     "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>",
                     "<|python_tag|>", "<|image|>"]
        let named = names.count
        for i in 0..<(256 - named) { names.append("<|reserved_special_token_\(2 + i)|>") }
        return names.enumerated().map { (name: $0.element, id: TokenID(rankCount + $0.offset)) }
    }

    /// Number of ranks in the file (ids below this are BPE tokens).
    public var rankCount: Int { core.count }

    public var vocabularySize: Int {
        max(core.count, (specialTokens.map { Int($0.id) }.max() ?? -1) + 1)
    }

    public func encode(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [TokenID]) {
        let pattern = self.pattern
        let core = self.core
        withExtendedLifetime(core) {
            let encoder = core.pieceEncoder
            _ = ByteLevelUTF8.withValid(text) { p, n in
                PreTokenizerClassTable.withTable { table in
                    var i = 0
                    while i < n {
                        let end = PreTokenizerScanner.next(pattern, p, n, i, table)
                        encoder.encode(p + i, end &- i, into: &ids)
                        i = end
                    }
                }
            }
        }
    }

    /// The bytes of the ids (special tokens as their names); ids of neither kind are skipped.
    public func decode(_ ids: [TokenID]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        for id in ids {
            if id >= 0 && Int(id) < core.count {
                core.appendBytes(of: Int(id), to: &out)
            } else if let special = specialTokens.first(where: { $0.id == id }) {
                out.append(contentsOf: special.name.utf8)
            }
        }
        return out
    }

    /// The bytes of one rank (nil for special tokens and unknown ids).
    public func tokenBytes(_ id: TokenID) -> [UInt8]? {
        guard id >= 0 && Int(id) < core.count else { return nil }
        var out: [UInt8] = []
        core.appendBytes(of: Int(id), to: &out)
        return out
    }

    /// A rank in GPT-2's byte alphabet ("Ġthe", as HF prints this vocabulary); a special token
    /// by its name.
    public func piece(for id: TokenID) -> String? {
        if let bytes = tokenBytes(id) { return ByteLevelAlphabet.string(for: bytes) }
        return specialTokens.first(where: { $0.id == id })?.name
    }

    /// The id of a token's exact bytes, nil when they are not one rank.
    public func id(forBytes bytes: [UInt8]) -> TokenID? {
        core.table.find(bytes)
    }
}

/// Reading and writing tiktoken rank files.
public enum TiktokenFile {
    /// The token bytes of each rank, index = rank. Errors name the file, the line and its byte
    /// offset: lines that are not `base64token rank`, bad base64, ranks that are not decimal,
    /// repeated, or missing from 0..<count, and repeated tokens.
    public static func parse(_ bytes: [UInt8], name: String) throws(TokenizerError) -> [[UInt8]] {
        var byRank: [[UInt8]?] = []
        var lineNumber = 0
        var start = 0
        var firstLineOfRank: [Int] = []
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
            lineNumber += 1
            let lineStart = start
            let line = bytes[start..<end]
            // Lines end at "\n", "\r" or "\r\n", as Python's bytes.splitlines() cuts them.
            start = end
            if start < n {
                start += (bytes[start] == 0x0D && start + 1 < n && bytes[start + 1] == 0x0A) ? 2 : 1
            }
            if line.isEmpty { continue }
            func fail(_ message: String) -> TokenizerError {
                TokenizerError(file: name, offset: lineStart, message: "line \(lineNumber): \(message)")
            }
            let fields = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0B || $0 == 0x0C })
            guard fields.count == 2 else {
                if fields.count == 1 { throw fail("missing rank (expected 'base64token rank')") }
                throw fail("expected 'base64token rank', found \(fields.count) fields")
            }
            guard let token = TiktokenBase64.decode(fields[0]) else {
                throw fail("bad base64 token '\(String(decoding: fields[0].prefix(64), as: UTF8.self))'")
            }
            guard let rank = parseRank(fields[1]) else {
                throw fail("bad rank '\(String(decoding: fields[1].prefix(32), as: UTF8.self))'")
            }
            if rank >= byRank.count {
                byRank.append(contentsOf: repeatElement(nil, count: rank + 1 - byRank.count))
                firstLineOfRank.append(contentsOf: repeatElement(0, count: rank + 1 - firstLineOfRank.count))
            }
            if byRank[rank] != nil {
                throw fail("duplicate rank \(rank) (first on line \(firstLineOfRank[rank]))")
            }
            byRank[rank] = token
            firstLineOfRank[rank] = lineNumber
        }
        guard !byRank.isEmpty else { throw TokenizerError(file: name, message: "no ranks (empty file)") }
        var ranks: [[UInt8]] = []
        ranks.reserveCapacity(byRank.count)
        for (rank, token) in byRank.enumerated() {
            guard let token else {
                throw TokenizerError(file: name, message: "rank \(rank) is missing (ranks must be 0..<\(byRank.count) "
                                     + "without gaps; the file may be truncated or damaged)")
            }
            ranks.append(token)
        }
        return ranks
    }

    /// A decimal rank below 2^31 (ids are Int32).
    static func parseRank(_ field: ArraySlice<UInt8>) -> Int? {
        guard !field.isEmpty, field.count <= 10 else { return nil }
        var value = 0
        for byte in field {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value <= Int(Int32.max) ? value : nil
    }

    /// A rank file for token bytes in rank order, as tiktoken writes them
    /// (`tiktoken.load.dump_tiktoken_bpe`: one `base64 rank` line per token).
    public static func serialize(_ ranks: [[UInt8]]) -> [UInt8] {
        serialize(ranks, separator: 0x20)
    }

    /// `base64 SEPARATOR rank` lines: the rank file (space) and a byte-level `.vocab` (TAB).
    static func serialize(_ ranks: [[UInt8]], separator: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ranks.count * 16)
        for (rank, token) in ranks.enumerated() {
            TiktokenBase64.encode(token, into: &out)
            out.append(separator)
            out.append(contentsOf: String(rank).utf8)
            out.append(0x0A)
        }
        return out
    }

    /// Writes ``serialize(_:)`` to `path` (atomically: a temporary name, then a rename).
    public static func write(_ ranks: [[UInt8]], to path: String) throws {
        try OutputFile.write(serialize(ranks), to: path, codec: .plain)
    }
}

/// Standard base64 with padding (RFC 4648 §4), as Python's base64 module writes it.
enum TiktokenBase64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    /// Strict decoding: length a multiple of 4, padding only at the end, no stray bits.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard !text.isEmpty, text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let last = i + 4 == chars.count
            var quad = [Int](repeating: 0, count: 4)
            var padding = 0
            for k in 0..<4 {
                let c = chars[i + k]
                if c == UInt8(ascii: "=") {
                    guard last, k >= 2 else { return nil }
                    padding += 1
                    quad[k] = 0
                } else {
                    guard padding == 0 else { return nil }
                    let v = values[Int(c)]
                    guard v >= 0 else { return nil }
                    quad[k] = Int(v)
                }
            }
            let word = quad[0] << 18 | quad[1] << 12 | quad[2] << 6 | quad[3]
            out.append(UInt8(word >> 16))
            if padding < 2 { out.append(UInt8((word >> 8) & 0xFF)) } else if word & 0xFFFF != 0 { return nil }
            if padding < 1 { out.append(UInt8(word & 0xFF)) } else if word & 0xFF != 0 { return nil }
            i += 4
        }
        return out
    }

    static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        var i = 0
        while i + 3 <= bytes.count {
            let word = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            out.append(alphabet[word >> 18])
            out.append(alphabet[(word >> 12) & 63])
            out.append(alphabet[(word >> 6) & 63])
            out.append(alphabet[word & 63])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let word = Int(bytes[i]) << 16
            out.append(alphabet[word >> 18])
            out.append(alphabet[(word >> 12) & 63])
            out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        } else if rest == 2 {
            let word = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8
            out.append(alphabet[word >> 18])
            out.append(alphabet[(word >> 12) & 63])
            out.append(alphabet[(word >> 6) & 63])
            out.append(UInt8(ascii: "="))
        }
    }
}

/// The tables of a rank file: token bytes by id, bytes → id, merges (a pair of ids whose bytes
/// together are a token merges into it, at that token's rank, as tiktoken ranks pairs by their
/// concatenated bytes).
final class TiktokenCore: @unchecked Sendable {
    let count: Int
    let table: ByteLevelStringTable
    let merges: ByteLevelMergeTable
    private let pool: [UInt8]
    private let starts: [Int]
    private let byteIDs: UnsafeMutablePointer<Int32>

    init(ranks: [[UInt8]], name: String) throws(TokenizerError) {
        count = ranks.count
        var builder = ByteLevelStringTable.Builder()
        var pool: [UInt8] = []
        var starts = [0]
        for (rank, token) in ranks.enumerated() {
            guard !token.isEmpty else {
                throw TokenizerError(file: name, message: "rank \(rank) is an empty token")
            }
            builder.append(token, Int32(rank))
            pool.append(contentsOf: token)
            starts.append(pool.count)
        }
        table = ByteLevelStringTable(builder)
        if let (first, second) = table.duplicates.first {
            throw TokenizerError(file: name, message: "ranks \(first) and \(second) are the same token "
                                 + "(\(ByteLevelAlphabet.string(for: ranks[second])))")
        }
        let byteIDs = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
        byteIDs.initialize(repeating: -1, count: 256)
        self.byteIDs = byteIDs
        for byte in 0..<256 {
            guard let id = table.find([UInt8(byte)]) else {
                throw TokenizerError(file: name, message: "no rank for the single byte \(byteLevelHex(UInt8(byte))): "
                                     + "byte-level BPE needs all 256")
            }
            byteIDs[byte] = id
        }
        var pairs: [UInt64: UInt64] = [:]
        pairs.reserveCapacity(ranks.count * 3)
        let view = table.view
        pool.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            for rank in 0..<ranks.count where starts[rank + 1] - starts[rank] >= 2 {
                let token = base + starts[rank]
                let n = starts[rank + 1] - starts[rank]
                for split in 1..<n {
                    guard let left = view.find(token, split), let right = view.find(token + split, n - split) else { continue }
                    pairs[UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))] = UInt64(rank) << 32 | UInt64(rank)
                }
            }
        }
        merges = ByteLevelMergeTable(pairs)
        self.pool = pool
        self.starts = starts
    }

    deinit { byteIDs.deallocate() }

    @inline(__always)
    func appendBytes(of id: Int, to out: inout [UInt8]) {
        out.append(contentsOf: pool[starts[id]..<starts[id + 1]])
    }

    /// What encoding reads, as plain pointers (valid while the core lives).
    var pieceEncoder: PieceEncoder { PieceEncoder(table: table.view, merges: merges.view, byteIDs: byteIDs) }

    struct PieceEncoder {
        let table: ByteLevelStringTable.View
        let merges: ByteLevelMergeTable.View
        let byteIDs: UnsafeMutablePointer<Int32>

        /// Appends the ids of one piece: the piece itself when it is a token (tiktoken's
        /// shortcut), else its merges from single bytes.
        @inline(__always)
        func encode(_ p: UnsafePointer<UInt8>, _ n: Int, into ids: inout [TokenID]) {
            if n == 1 {
                ids.append(byteIDs[Int(p[0])])
                return
            }
            if let id = table.find(p, n) {
                ids.append(id)
                return
            }
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { buffer in
                let symbols = buffer.baseAddress!
                for k in 0..<n { symbols[k] = UInt32(bitPattern: byteIDs[Int(p[k])]) }
                let m = ByteLevelMerge.merge(symbols, n, merges)
                for k in 0..<m { ids.append(TokenID(bitPattern: symbols[k])) }
            }
        }
    }
}

/// "0x0A" for 10.
func byteLevelHex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    return String(decoding: [UInt8(ascii: "0"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 15)]],
                  as: UTF8.self)
}
