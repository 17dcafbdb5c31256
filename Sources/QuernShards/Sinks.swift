import Foundation
import QuernIO

/// `DIR/manifest.json`.
public struct ShardManifest: Codable, Sendable, Equatable {
    /// Reads `manifest.json` (snake_case keys).
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    public struct TokenizerEntry: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var vocabularySize: Int
        public var bosID: Int?
        public var eosID: Int?
    }
    public var fingerprint: String
    public var tokenizer: TokenizerEntry
    public var format: String
    /// numpy's name of the token type: uint16 or uint32.
    public var dtype: String
    public var tokenBytes: Int
    public var llmcMagic: Int
    public var llmcVersion: Int
    public var megatronDtypeCode: Int
    public var shardTokens: Int
    public var validationFraction: Double
    public var seed: UInt64
    public var shuffleWindow: Int
    public var shards: [ShardEntry]
    public var sources: [SourceEntry]
    public var totals: Totals

    /// Sums over the sources: `tokens` is what `quern count` reports for all inputs (no BOS/EOS);
    /// the split figures are what the shards of each format hold, BOS/EOS included.
    public struct Totals: Codable, Sendable, Equatable {
        public var documents: Int
        public var tokens: Int
        public var trainDocuments: Int
        public var trainTokensWithSpecials: Int
        public var validationDocuments: Int
        public var validationTokensWithSpecials: Int
    }
}

public struct ShardEntry: Codable, Sendable, Equatable {
    public var file: String
    /// "train" or "val".
    public var split: String
    /// "llmc" or "megatron".
    public var format: String
    /// Documents that begin in this shard (llm.c shards are cut at exactly `shardTokens`, so a
    /// document may continue into the next shard, as llm.c's own writers do).
    public var documents: Int
    /// Tokens in the shard, BOS/EOS included.
    public var tokens: Int
    /// XXH64 (seed 0) of the whole file, 16 hex digits (as `xxh64sum` prints it).
    public var xxh64: String
    /// Megatron: the `.idx` beside the `.bin`.
    public var index: String?
    public var indexXXH64: String?
}

public struct SourceEntry: Codable, Sendable, Equatable {
    public var name: String
    /// Per input file, `quern count`'s figures (tokens without BOS/EOS).
    public var files: [FileCounts]
    public var documents: Int
    /// Text tokens, no BOS/EOS: equal to `quern count`'s total for these files.
    public var tokens: Int
    public var epochs: Double
    var validation: SourceSpill.Totals
    var trainBeforeWeighting: SourceSpill.Totals
    var trainAfterWeighting: SourceSpill.Totals

    public var validationDocuments: Int { validation.documents }
    public var validationTokens: Int { validation.textTokens }
    public var validationTokensWithSpecials: Int { validation.tokensWithSpecials }
    public var trainDocumentsBefore: Int { trainBeforeWeighting.documents }
    public var trainTokensBefore: Int { trainBeforeWeighting.textTokens }
    public var trainDocumentsAfter: Int { trainAfterWeighting.documents }
    public var trainTokensAfter: Int { trainAfterWeighting.textTokens }
    public var trainTokensAfterWithSpecials: Int { trainAfterWeighting.tokensWithSpecials }
}

/// The shards finished so far (shared by the sinks of a run), rewritten atomically after each one. A rerun keeps those whose
/// file still has the recorded checksum.
final class ProgressFile {
    let path: String
    let fingerprint: String
    private(set) var entries: [ShardEntry] = []
    private(set) var verified: [String: ShardEntry] = [:]

    init(path: String, fingerprint: String) {
        self.path = path
        self.fingerprint = fingerprint
    }

    struct Stored: Codable { var fingerprint: String; var shards: [ShardEntry] }

    func load(verifying folder: String, log: (String) -> Void) {
        guard let data = FileManager.default.contents(atPath: path),
              let stored = try? JSONDecoder().decode(Stored.self, from: data), stored.fingerprint == fingerprint else { return }
        for entry in stored.shards {
            let fileOK = (try? Sharder.xxh64(ofFile: folder + "/" + entry.file)) == entry.xxh64
            let indexOK = entry.index.map { (try? Sharder.xxh64(ofFile: folder + "/" + $0)) == entry.indexXXH64 } ?? true
            if fileOK && indexOK {
                verified[entry.file] = entry
                entries.append(entry)
            }
        }
        if !verified.isEmpty { log("quern: keeping \(verified.count) shard(s) finished by an earlier run (checksums match)\n") }
    }

    func record(_ entry: ShardEntry) throws {
        entries.removeAll { $0.file == entry.file }
        entries.append(entry)
        let data = try JSONEncoder().encode(Stored(fingerprint: fingerprint, shards: entries))
        try OutputFile.write(Array(data), to: path, codec: .plain)
    }
}

/// Where the documents of a split go.
class ShardSink {
    var progress: ProgressFile!
    var log: (String) -> Void = { _ in }
    var entries: [ShardEntry] = []
    func append(_ document: SpilledDocument, bos: [UInt8]?, eos: [UInt8]?) throws { fatalError("abstract") }
    func finish() throws { fatalError("abstract") }
}

/// An output file and its XXH64, fed through a 1 MiB staging buffer: documents arrive in pieces
/// of a few hundred bytes, and hashing and writing whole blocks costs less than per piece.
final class HashedWriter {
    let file: OutputFile
    private var hash = XXH64()
    private let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    private var used = 0

    init(path: String) throws { file = try OutputFile(path: path, codec: .plain, threads: 0) }
    deinit { staging.deallocate() }

    @inline(__always)
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if used + bytes.count > staging.count { try flush() }
        if bytes.count >= staging.count {
            hash.update(bytes)
            try file.write(bytes)
            return
        }
        if bytes.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: staging[used...]).copyMemory(from: bytes)
            used += bytes.count
        }
    }

    private func flush() throws {
        guard used > 0 else { return }
        let block = UnsafeRawBufferPointer(rebasing: staging[..<used])
        hash.update(block)
        try file.write(block)
        used = 0
    }

    /// Completes the file (renamed into place) and returns its XXH64.
    func finish() throws -> String {
        try flush()
        try file.finish()
        return hash.hexDigest()
    }

    func discard() { file.discard() }
}

/// Writes a special token at the shard width.
@inline(__always)
func specialBytes(_ id: Int32, _ width: TokenWidth) -> [UInt8] {
    let v = UInt32(bitPattern: id)
    return width == .uint16 ? [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)]
        : [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 24)]
}

/// llm.c shards `PREFIX_000000.bin`, … of exactly `shardTokens` tokens (the last holds the rest).
/// The split's total is known from pass 1, so each header is written first and the tokens are
/// streamed: memory stays at the writer's buffer whatever the shard size.
final class LLMCSink: ShardSink {
    let folder: String, prefix: String
    let totalTokens: Int, shardTokens: Int
    let width: TokenWidth, vocabularySize: Int
    private var shardIndex = -1
    private var file: HashedWriter?
    /// Tokens still to go into the current shard; the current shard is skipped (already on disk).
    private var left = 0
    private var skipping = false
    private var shardSize = 0
    private var documents = 0
    private var written = 0

    init(folder: String, prefix: String, totalTokens: Int, shardTokens: Int, width: TokenWidth, vocabularySize: Int) {
        self.folder = folder
        self.prefix = prefix
        self.totalTokens = totalTokens
        self.shardTokens = shardTokens
        self.width = width
        self.vocabularySize = vocabularySize
    }

    var name: String { prefix + "_" + String(shardIndex).leftPadZeros(6) + ".bin" }

    private func openNext() throws {
        shardIndex += 1
        shardSize = min(shardTokens, totalTokens - written)
        left = shardSize
        documents = 0
        if progress.verified[name] != nil {
            skipping = true
            return
        }
        skipping = false
        let header = LLMCHeader.bytes(tokens: shardSize, width: width, vocabularySize: vocabularySize)
        let f = try HashedWriter(path: folder + "/" + name)
        try header.withUnsafeBytes { try f.write($0) }
        file = f
    }

    private func closeCurrent() throws {
        if skipping {
            entries.append(progress.verified[name]!)
            return
        }
        guard let f = file else { return }
        let digest = try f.finish()
        file = nil
        let entry = ShardEntry(file: name, split: prefix, format: "llmc", documents: documents, tokens: shardSize,
                               xxh64: digest, index: nil, indexXXH64: nil)
        try progress.record(entry)
        entries.append(entry)
    }

    private func write(_ bytes: UnsafeRawBufferPointer, startsDocument: Bool) throws {
        var rest = bytes
        var starts = startsDocument
        while rest.count > 0 || starts {
            if left == 0 {
                if shardIndex >= 0 { try closeCurrent() }
                try openNext()
            }
            if starts { documents += 1; starts = false }
            let n = min(left * width.rawValue, rest.count)
            if n > 0 {
                let piece = UnsafeRawBufferPointer(rebasing: rest[..<n])
                if !skipping { try file!.write(piece) }
                left -= n / width.rawValue
                written += n / width.rawValue
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            }
        }
    }

    override func append(_ document: SpilledDocument, bos: [UInt8]?, eos: [UInt8]?) throws {
        // Without BOS/EOS an empty document has no tokens, so nothing marks it in this format.
        guard document.count > 0 || bos != nil || eos != nil else { return }
        var starts = true
        if let bos {
            try bos.withUnsafeBytes { try write($0, startsDocument: true) }
            starts = false
        }
        if document.count > 0 || starts { try write(document.tokens, startsDocument: starts) }
        if let eos { try eos.withUnsafeBytes { try write($0, startsDocument: false) } }
    }

    override func finish() throws {
        if shardIndex >= 0 { try closeCurrent() }
        precondition(written == totalTokens, "planned \(totalTokens) tokens, wrote \(written)")
    }
}

/// A Megatron `PREFIX.bin` + `PREFIX.idx` pair, one sequence per document. Holds the sequence
/// lengths (4 bytes per document) until the index is written, as Megatron's own builder does.
final class MegatronSink: ShardSink {
    let folder: String, prefix: String, width: TokenWidth
    private var file: HashedWriter?
    private var lengths: [Int32] = []
    private var tokens = 0
    private var skipping: Bool?

    init(folder: String, prefix: String, width: TokenWidth) {
        self.folder = folder
        self.prefix = prefix
        self.width = width
    }

    override func append(_ document: SpilledDocument, bos: [UInt8]?, eos: [UInt8]?) throws {
        if skipping == nil {
            skipping = progress.verified[prefix + ".bin"] != nil
            if skipping == false { file = try HashedWriter(path: folder + "/" + prefix + ".bin") }
        }
        let length = document.count + (bos == nil ? 0 : 1) + (eos == nil ? 0 : 1)
        guard length < Int(Int32.max) else {
            throw QuernIOError(.invalidArgument, file: prefix + ".bin", message: "a document of \(length) tokens does not fit Megatron's int32 lengths")
        }
        lengths.append(Int32(length))
        tokens += length
        if skipping == true { return }
        if let bos { try bos.withUnsafeBytes { try file!.write($0) } }
        try file!.write(document.tokens)
        if let eos { try eos.withUnsafeBytes { try file!.write($0) } }
    }

    override func finish() throws {
        if skipping == true {
            entries.append(progress.verified[prefix + ".bin"]!)
            return
        }
        guard let file else { return }
        let digest = try file.finish()
        let index = MegatronIndex.bytes(sequenceLengths: lengths, width: width)
        try OutputFile.write(index, to: folder + "/" + prefix + ".idx", codec: .plain)
        let entry = ShardEntry(file: prefix + ".bin", split: prefix, format: "megatron", documents: lengths.count,
                               tokens: tokens, xxh64: digest, index: prefix + ".idx",
                               indexXXH64: XXH64.hex(of: index))
        try progress.record(entry)
        entries.append(entry)
    }
}

extension String {
    func leftPadZeros(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
