import Foundation
import QuernIO
import QuernTokenizer

public struct ShardOptions: Sendable {
    public var outputDirectory: String
    public var format: ShardFormat = .llmc
    /// Tokens per llm.c shard (the last shard of a split holds the rest). llm.c's default.
    public var shardTokens = 100_000_000
    public var validationFraction = 0.0
    public var seed: UInt64 = 1337
    public var addBOS = true
    public var addEOS = true
    /// Documents in the shuffle window (references only: 24 bytes each).
    public var shuffleWindow = 1 << 20
    public var threads = Cores.available
    public var progress: Bool? = nil
    /// A source whose encoded tokens (and, separately, per-document records) fit in this many
    /// bytes stays in memory between the passes instead of going to a spill file; an
    /// interrupted run then redoes pass 1. 0: always spill to disk.
    public var memorySpillLimit = 256 << 20

    public init(outputDirectory: String) { self.outputDirectory = outputDirectory }
}

/// `quern shard`: documents → token shards, in two passes.
///
/// 1. Every source is read, parsed and encoded on all cores in input order (the same batches
///    `quern count` uses) and spilled to `DIR/.quern-shard/NAME.tokens` (tokens at the shard
///    width) and `NAME.docs` (per document: text hash, token count). Counts are exactly
///    `quern count`'s: JSONL documents by `text`, plain text one document per non-empty line.
/// 2. The spills are memory-mapped. Per source, the documents of each pass (epochs) are walked
///    in order; the sources are interleaved by a seeded random merge (each step picks a source
///    with probability proportional to its remaining documents, so every source is spread over
///    the whole split), then a shuffle window of `shuffleWindow` documents reorders them
///    locally. Only references are held, so memory does not grow with shard size. The trade-off:
///    documents of one source keep their coarse input order beyond the window.
///
/// Outputs go through `OutputFile` (temporary name, renamed when complete); after each shard
/// the progress file in the work folder records its checksum, and `manifest.json` is written
/// last, after which the work folder is removed. A rerun with the same inputs and options
/// reuses the finished spills and every recorded shard whose checksum still matches, and
/// writes the rest: the result is byte-identical to an uninterrupted run.
public final class Sharder {
    public let sources: [ShardSource]
    public let mixes: [MixSpec]
    public let tokenizer: any Tokenizer
    public let tokenizerPath: String
    public let options: ShardOptions
    public let width: TokenWidth
    /// Messages for the user (the plan, reuse on resume); the CLI prints them to stderr.
    public var log: (String) -> Void = { _ in }

    var workFolder: String { options.outputDirectory + "/.quern-shard" }

    public init(sources: [ShardSource], mixes: [MixSpec], tokenizer: any Tokenizer, tokenizerPath: String,
                options: ShardOptions) throws {
        guard !sources.isEmpty else { throw QuernIOError(.invalidArgument, file: "quern shard", message: "no inputs") }
        for source in sources where !ShardSource.isValidName(source.name) {
            throw QuernIOError(.invalidArgument, file: source.name, message: "source names may hold letters, digits, '_', '-' and '.'")
        }
        guard Set(sources.map(\.name)).count == sources.count else {
            throw QuernIOError(.invalidArgument, file: "quern shard", message: "a source name is given twice")
        }
        guard options.shardTokens > 0, options.shardTokens < Int(Int32.max) else {
            throw QuernIOError(.invalidArgument, file: "--shard-tokens", message: "must be between 1 and 2^31-1 (llm.c stores the count as int32)")
        }
        guard options.validationFraction >= 0, options.validationFraction < 1 else {
            throw QuernIOError(.invalidArgument, file: "--val-fraction", message: "must be in [0, 1)")
        }
        guard options.shuffleWindow >= 1 else {
            throw QuernIOError(.invalidArgument, file: "--shuffle-window", message: "must be at least 1")
        }
        if options.addBOS && tokenizer.bosID == nil {
            throw QuernIOError(.invalidArgument, file: tokenizerPath, message: "the tokenizer has no BOS id: use --no-bos")
        }
        if options.addEOS && tokenizer.eosID == nil {
            throw QuernIOError(.invalidArgument, file: tokenizerPath, message: "the tokenizer has no EOS id: use --no-eos")
        }
        self.sources = sources
        self.mixes = mixes
        self.tokenizer = tokenizer
        self.tokenizerPath = tokenizerPath
        self.options = options
        width = TokenWidth(vocabularySize: tokenizer.vocabularySize)
    }

    // MARK: - The run

    @discardableResult
    public func run() throws -> ShardManifest {
        let fm = FileManager.default
        try fm.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        let tokenizerSHA = try Self.sha256(ofFile: tokenizerPath)
        let fingerprint = try self.fingerprint(tokenizerSHA: tokenizerSHA)
        let manifestPath = options.outputDirectory + "/manifest.json"

        if let data = fm.contents(atPath: manifestPath),
           let old = try? ShardManifest.decoder.decode(ShardManifest.self, from: data), old.fingerprint == fingerprint {
            log("quern: \(manifestPath) is complete for these inputs and options; nothing to do\n")
            return old
        }
        // A work folder of other inputs or options is stale: start over.
        let fingerprintPath = workFolder + "/fingerprint"
        let workIsOurs = fm.contents(atPath: fingerprintPath).map { String(decoding: $0, as: UTF8.self) } == fingerprint
        removeLeftovers(keepWork: workIsOurs)
        if !workIsOurs {
            try fm.createDirectory(atPath: workFolder, withIntermediateDirectories: true)
            try OutputFile.write(Array(fingerprint.utf8), to: fingerprintPath, codec: .plain)
        }

        // Pass 1: encode every source into its spill.
        var spills: [SourceSpill] = []
        for source in sources {
            spills.append(try spill(source))
        }

        // The plan: validation documents, epochs, documents and tokens after weighting.
        let trainTokens = Dictionary(uniqueKeysWithValues: spills.map { ($0.name, $0.trainTextTokens) })
        let epochs = try MixturePlanner.epochs(trainTokens: trainTokens, mixes: mixes)
        for spill in spills { spill.plan(epochs: epochs[spill.name]!, seed: options.seed, specials: specialsPerDocument) }
        log(planTable(spills))

        // Pass 2: interleave, shuffle and write.
        let progress = ProgressFile(path: workFolder + "/progress.json", fingerprint: fingerprint)
        progress.load(verifying: options.outputDirectory, log: log)
        var shards: [ShardEntry] = []
        for split in [Split.train, .validation] {
            let streams = spills.map { SourceStream(spill: $0, split: split, seed: options.seed) }
            let documents = streams.reduce(0) { $0 + $1.documents }
            let tokens = streams.reduce(0) { $0 + $1.tokensWithSpecials }
            if documents == 0 { continue }
            var sinks: [ShardSink] = []
            if options.format.writesLLMC {
                sinks.append(LLMCSink(folder: options.outputDirectory, prefix: split.filePrefix, totalTokens: tokens,
                                      shardTokens: options.shardTokens, width: width,
                                      vocabularySize: tokenizer.vocabularySize))
            }
            if options.format.writesMegatron {
                sinks.append(MegatronSink(folder: options.outputDirectory, prefix: split.filePrefix, width: width))
            }
            for sink in sinks { sink.progress = progress; sink.log = log }
            let interleaver = Interleaver(streams: streams, window: options.shuffleWindow,
                                          seed: options.seed ^ split.seedSalt)
            let bos = options.addBOS ? tokenizer.bosID.map { specialBytes($0, width) } : nil
            let eos = options.addEOS ? tokenizer.eosID.map { specialBytes($0, width) } : nil
            let meter = Progress("shard \(split.filePrefix)", totalBytes: Int64(tokens), enabled: options.progress)
            var written = 0
            try interleaver.forEach { document in
                for sink in sinks { try sink.append(document, bos: bos, eos: eos) }
                written += document.count + specialsPerDocument
                if written & 0xFFFF < document.count + specialsPerDocument {
                    meter.update(records: 0, bytesRead: Int64(written))
                }
            }
            meter.finish()
            for sink in sinks {
                try sink.finish()
                shards += sink.entries
            }
        }

        let manifest = ShardManifest(
            fingerprint: fingerprint,
            tokenizer: .init(path: tokenizerPath, sha256: tokenizerSHA, vocabularySize: tokenizer.vocabularySize,
                             bosID: options.addBOS ? tokenizer.bosID.map(Int.init) : nil,
                             eosID: options.addEOS ? tokenizer.eosID.map(Int.init) : nil),
            format: options.format.rawValue, dtype: width.numpyName, tokenBytes: width.rawValue,
            llmcMagic: Int(width.llmcMagic), llmcVersion: Int(width.llmcVersion),
            megatronDtypeCode: Int(width.megatronCode),
            shardTokens: options.shardTokens, validationFraction: options.validationFraction, seed: options.seed,
            shuffleWindow: options.shuffleWindow,
            shards: shards, sources: spills.map { $0.manifestEntry() },
            totals: .init(documents: spills.reduce(0) { $0 + $1.documents },
                          tokens: spills.reduce(0) { $0 + $1.textTokens },
                          trainDocuments: spills.reduce(0) { $0 + $1.planned.documents },
                          trainTokensWithSpecials: spills.reduce(0) { $0 + $1.planned.tokensWithSpecials },
                          validationDocuments: spills.reduce(0) { $0 + $1.validation.documents },
                          validationTokensWithSpecials: spills.reduce(0) { $0 + $1.validation.tokensWithSpecials }))
        let encoder = JSONEncoder()
        // snake_case keys, like every other report Quern writes (and Python's conventions).
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try OutputFile.write(Array(try encoder.encode(manifest)) + [0x0A], to: manifestPath, codec: .plain)
        try? fm.removeItem(atPath: workFolder)
        return manifest
    }

    var specialsPerDocument: Int { (options.addBOS ? 1 : 0) + (options.addEOS ? 1 : 0) }

    /// What makes a run the same run: the tokenizer's content, every input's path, size and
    /// modification time, and every option that changes the output.
    func fingerprint(tokenizerSHA: String) throws -> String {
        var text = "quern-shard 1\ntokenizer \(tokenizerSHA)\nformat \(options.format.rawValue)\nshard-tokens \(options.shardTokens)\n"
        text += "val \(options.validationFraction)\nseed \(options.seed)\nbos \(options.addBOS) eos \(options.addEOS)\nwindow \(options.shuffleWindow)\n"
        for source in sources {
            text += "source \(source.name)\n"
            for path in source.paths {
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
                let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                text += "  \(path) \(size) \(mtime)\n"
            }
        }
        for mix in mixes { text += "mix \(mix.name) \(mix.weight) \(mix.epochs.map { "\($0)" } ?? "-")\n" }
        return SHA256.hex(of: Array(text.utf8))
    }

    /// Temporary files of interrupted runs (`.NAME.tmp-PID`) go; without a usable work folder,
    /// so do the shards and manifest of an earlier, different run.
    func removeLeftovers(keepWork: Bool) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: options.outputDirectory)) ?? [] {
            let isTemporary = name.hasPrefix(".") && name.contains(".tmp-")
            let isOurs = name == "manifest.json" || ((name.hasPrefix("train") || name.hasPrefix("val"))
                && (name.hasSuffix(".bin") || name.hasSuffix(".idx")))
            if isTemporary || (!keepWork && isOurs) { try? fm.removeItem(atPath: options.outputDirectory + "/" + name) }
        }
        if keepWork {
            for name in (try? fm.contentsOfDirectory(atPath: workFolder)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
                try? fm.removeItem(atPath: workFolder + "/" + name)
            }
        } else {
            try? fm.removeItem(atPath: workFolder)
        }
    }

    static func sha256(ofFile path: String) throws -> String {
        var hash = SHA256()
        try forEachBlock(ofFile: path) { hash.update($0) }
        return hash.hexDigest()
    }

    static func xxh64(ofFile path: String) throws -> String {
        var hash = XXH64()
        try forEachBlock(ofFile: path) { hash.update($0) }
        return hash.hexDigest()
    }

    static func forEachBlock(ofFile path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw QuernIOError(.invalidArgument, file: path, message: "cannot open")
        }
        defer { try? handle.close() }
        while true {
            let data = handle.readData(ofLength: 1 << 20)
            if data.isEmpty { break }
            data.withUnsafeBytes { body($0) }
        }
    }

    // MARK: - Pass 1

    /// Encodes one source into its spill files, or reuses them when a previous run finished them.
    func spill(_ source: ShardSource) throws -> SourceSpill {
        let base = workFolder + "/" + source.name
        let countsPath = base + ".counts.json"
        if let data = FileManager.default.contents(atPath: countsPath),
           let files = try? JSONDecoder().decode([FileCounts].self, from: data) {
            log("quern: reusing the encoded '\(source.name)' from an earlier run\n")
            return try SourceSpill(name: source.name, base: base, files: files, width: width,
                                   validationFraction: options.validationFraction)
        }
        let writer = try SpillWriter(base: base, memoryLimit: options.memorySpillLimit)
        var files: [FileCounts] = []
        do {
            for path in source.paths {
                files.append(try encode(path, into: writer))
            }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        if let (tokens, docs) = writer.memory {
            return try SourceSpill(name: source.name, base: base, files: files, width: width,
                                   validationFraction: options.validationFraction, tokens: tokens, docs: docs)
        }
        try OutputFile.write(Array(try JSONEncoder().encode(files)), to: countsPath, codec: .plain)
        return try SourceSpill(name: source.name, base: base, files: files, width: width,
                               validationFraction: options.validationFraction)
    }

    /// Where pass 1 puts a source: memory while it fits `memoryLimit`, else the spill files
    /// (what was in memory is written out first, so the files are the same either way).
    final class SpillWriter {
        let base: String
        private var memoryTokens: MemorySpill?
        private var memoryDocs: MemorySpill?
        private var tokensOut: OutputFile?
        private var docsOut: OutputFile?

        init(base: String, memoryLimit: Int) throws {
            self.base = base
            if memoryLimit > 0, let t = MemorySpill(capacity: memoryLimit), let d = MemorySpill(capacity: memoryLimit) {
                memoryTokens = t
                memoryDocs = d
            } else {
                try toFiles()
            }
        }

        var memory: (tokens: MemorySpill, docs: MemorySpill)? {
            guard let t = memoryTokens, let d = memoryDocs else { return nil }
            return (t, d)
        }

        func write(tokens: UnsafeRawBufferPointer, docs: UnsafeRawBufferPointer) throws {
            if let t = memoryTokens, let d = memoryDocs {
                if tokens.count <= t.capacity &- t.used && docs.count <= d.capacity &- d.used {
                    _ = t.append(tokens)
                    _ = d.append(docs)
                    return
                }
                try toFiles()
            }
            try tokensOut!.write(tokens)
            try docsOut!.write(docs)
        }

        private func toFiles() throws {
            let t = try OutputFile(path: base + ".tokens", codec: .plain, threads: 0)
            let d = try OutputFile(path: base + ".docs", codec: .plain, threads: 0)
            tokensOut = t
            docsOut = d
            if let m = memoryTokens { try t.write(m.bytes) }
            if let m = memoryDocs { try d.write(m.bytes) }
            memoryTokens = nil
            memoryDocs = nil
        }

        func finish() throws {
            try tokensOut?.finish()
            try docsOut?.finish()
        }

        func discard() {
            tokensOut?.discard()
            docsOut?.discard()
        }
    }

    struct EncodedBatch: Sendable {
        var tokens: [UInt8] = []
        /// Per document: text hash, token count.
        var docs: [UInt64] = []
        var bytes = 0
        var tokenCount = 0
    }

    /// One input file: encoded on all cores, in order, appended to the spills. Counts as `quern
    /// count` does; malformed JSONL lines are skipped and reported like there, damage stops the run.
    func encode(_ path: String, into spill: SpillWriter) throws -> FileCounts {
        let format = try InputFormat.sniff(path)
        let input = try Input.open(path, threads: options.threads)
        let reader = JSONLReader(input, maxErrorsKept: 20)
        let tokenizer = self.tokenizer
        let width = self.width
        let meter = Progress("encode \(path)", totalBytes: input.storedSize, enabled: options.progress)
        var counts = FileCounts(path: path, format: format.rawValue)
        let deliver: (EncodedBatch) throws -> Void = { batch in
            try batch.tokens.withUnsafeBytes { tokens in
                try batch.docs.withUnsafeBytes { try spill.write(tokens: tokens, docs: $0) }
            }
            counts.bytes += batch.bytes
            counts.tokens += batch.tokenCount
            meter.update(records: reader.documentsRead, bytesRead: input.storedBytesRead)
        }
        // A batch's ids accumulate in one array (encode appends) and are narrowed to the shard
        // width once at the end: per document that leaves the encoding, a hash and two appends
        // (clearing and converting per document cost 2% of a run on one-line documents).
        // The text hash only decides the validation split and fractional epochs; without either
        // (no --val-fraction, no --mix: every source once) it is never read, so 0 is spilled.
        let hashes = options.validationFraction > 0 || !mixes.isEmpty
        @Sendable func add(_ text: UnsafeBufferPointer<UInt8>, _ ids: inout [TokenID], _ batch: inout EncodedBatch) {
            let before = ids.count
            tokenizer.encode(text, into: &ids)
            let n = ids.count &- before
            batch.bytes &+= text.count
            batch.tokenCount &+= n
            batch.docs.append(hashes ? DocumentHash.of(text) : 0)
            batch.docs.append(UInt64(n))
        }
        switch format {
        case .jsonl:
            try reader.forEachBatch(threads: options.threads, work: { documents in
                var batch = EncodedBatch()
                var ids: [TokenID] = []
                ids.reserveCapacity(1 << 18)
                batch.docs.reserveCapacity(2 * documents.count)
                for document in documents {
                    var text = document.text
                    text.withUTF8 { add($0, &ids, &batch) }
                }
                batch.tokens = Self.tokenBytes(ids, width: width)
                return batch
            }, deliver: deliver)
        case .text:
            try reader.forEachLineBatch(threads: options.threads, work: { lines in
                var batch = EncodedBatch()
                var ids: [TokenID] = []
                ids.reserveCapacity(lines.count / 2)
                Self.forEachLine(in: lines) { line in
                    guard !line.isEmpty else { return }
                    add(line, &ids, &batch)
                }
                batch.tokens = Self.tokenBytes(ids, width: width)
                return batch
            }, deliver: deliver)
        }
        meter.finish()
        counts.documents = reader.documentsRead
        counts.malformed = reader.malformedLines
        for error in reader.errors { log("quern: \(error)\n") }
        return counts
    }

    /// Lines of a batch without their '\n' (and without a '\r' before it, as `count` reads them).
    static func forEachLine(in batch: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        LineSplitting.forEachLine(in: batch, body)
    }

    /// Token ids at the shard width, little-endian.
    static func tokenBytes(_ ids: [TokenID], width: TokenWidth) -> [UInt8] {
        let n = ids.count &* width.rawValue
        return [UInt8](unsafeUninitializedCapacity: n) { raw, initialized in
            ids.withUnsafeBufferPointer { ids in
                let out = UnsafeMutableRawPointer(raw.baseAddress)
                switch width {
                case .uint16:
                    for i in 0..<ids.count {
                        out!.storeBytes(of: UInt16(truncatingIfNeeded: ids[i]).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
                    }
                case .uint32:
                    for i in 0..<ids.count {
                        out!.storeBytes(of: UInt32(bitPattern: ids[i]).littleEndian, toByteOffset: i &* 4, as: UInt32.self)
                    }
                }
            }
            initialized = n
        }
    }

    func planTable(_ spills: [SourceSpill]) -> String {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        var out = "quern: mixture plan (tokens without BOS/EOS; epochs: passes over the training documents)\n"
        out += "  source            documents        tokens   val docs  weight   epochs   train docs  train tokens  share\n"
        let total = spills.reduce(0) { $0 + $1.planned.textTokens }
        let weights = Dictionary(uniqueKeysWithValues: mixes.map { ($0.name, $0) })
        let totalWeight = mixes.reduce(0) { $0 + $1.weight }
        for s in spills {
            let w = weights[s.name].map { f($0.weight / totalWeight) + ($0.epochs == nil ? "" : "*") } ?? "-"
            out += "  " + [s.name.padding(toLength: 16, withPad: " ", startingAt: 0),
                           String(s.documents).leftPad(10), String(s.textTokens).leftPad(13),
                           String(s.validation.documents).leftPad(10), w.leftPad(7), f(s.epochs).leftPad(8),
                           String(s.planned.documents).leftPad(12), String(s.planned.textTokens).leftPad(13),
                           f(total > 0 ? Double(s.planned.textTokens) / Double(total) : 0).leftPad(6)].joined(separator: " ") + "\n"
        }
        if mixes.contains(where: { $0.epochs != nil }) && mixes.contains(where: { $0.epochs == nil }) {
            out += "  (* epochs given: that source's weight is not enforced; the others share the rest by weight, the scarcest used once)\n"
        } else if !mixes.isEmpty && mixes.allSatisfy({ $0.epochs != nil }) {
            out += "  (every source has explicit epochs: weights are reported, not enforced)\n"
        } else if !mixes.isEmpty {
            out += "  (epochs from weights: the scarcest source per unit of weight is used once, the others subsampled)\n"
        }
        return out
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

/// Splitting a line batch the way `quern count` does (QuernTokenizer's LineCoding): lines end at
/// '\n', a '\r' before it is dropped.
enum LineSplitting {
    static func forEachLine(in batch: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let base = batch.baseAddress else { return }
        var position = 0
        let count = batch.count
        while position < count {
            let end = memchr(base + position, 0x0A, count &- position)
                .map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? count
            var lineEnd = end
            if lineEnd > position && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            body(UnsafeBufferPointer(start: base + position, count: lineEnd - position))
            position = end &+ 1
        }
    }
}

enum Split {
    case train, validation
    var filePrefix: String { self == .train ? "train" : "val" }
    var seedSalt: UInt64 { self == .train ? 0 : 0x5641_4c49_4441_5445 }
}
