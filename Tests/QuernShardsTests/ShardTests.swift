import Foundation
import QuernIO
import QuernShards
import QuernTestSupport
import QuernTokenizer
import XCTest

final class ShardTests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    static let sample = TestSupport.packageRoot.appendingPathComponent("Corpora/sample/books.jsonl.zst").path
    static let vocabulary = TestSupport.packageRoot.appendingPathComponent("Vocab/quern-32k.model").path
    static let tokenizer: any Tokenizer = try! TokenizerFile.load(vocabulary)

    func shard(_ sources: [ShardSource], mixes: [MixSpec] = [], folder: String,
               _ configure: (inout ShardOptions) -> Void = { _ in }) throws -> ShardManifest {
        var options = ShardOptions(outputDirectory: folder)
        options.progress = false
        configure(&options)
        let sharder = try Sharder(sources: sources, mixes: mixes, tokenizer: Self.tokenizer,
                                  tokenizerPath: Self.vocabulary, options: options)
        return try sharder.run()
    }

    /// The sample's documents as plain text, one per line (newlines inside a document become spaces).
    func textLines() throws -> (path: String, lines: [String]) {
        let documents = try JSONLReader(path: Self.sample).readAll()
        let lines = documents.map { $0.text.replacingOccurrences(of: "\n", with: " ") }
        let path = scratch.appendingPathComponent("lines.txt").path
        try OutputFile.write(Array((lines.joined(separator: "\n\n") + "\n").utf8), to: path, codec: .plain)
        return (path, lines)
    }

    // MARK: SHA-256

    func testSHA256MatchesTheStandardVectorsWhateverTheChunking() {
        XCTAssertEqual(SHA256.hex(of: []), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        for step in [1, 7, 63, 64, 65, 1000, 1_000_000] {
            var h = SHA256()
            var i = 0
            while i < million.count {
                let end = min(i + step, million.count)
                million[i..<end].withUnsafeBytes { h.update($0) }
                i = end
            }
            XCTAssertEqual(h.hexDigest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "step \(step)")
        }
    }

    func testXXH64MatchesTheReferenceVectorsWhateverTheChunking() {
        XCTAssertEqual(XXH64.hex(of: []), "ef46db3751d8e999")
        XCTAssertEqual(XXH64.hex(of: Array("abc".utf8)), "44bc2cf5ad770999")
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 7) }
        let whole = XXH64.hex(of: data)
        for step in [1, 3, 8, 31, 32, 33, 100, 4096] {
            var h = XXH64()
            var i = 0
            while i < data.count {
                let end = min(i + step, data.count)
                data[i..<end].withUnsafeBytes { h.update($0) }
                i = end
            }
            XCTAssertEqual(h.hexDigest(), whole, "step \(step)")
        }
        for n in [4, 7, 12, 31, 32, 63] { XCTAssertNotEqual(XXH64.hex(of: Array(data[0..<n])), XXH64.hex(of: Array(data[0..<(n + 1)]))) }
    }

    // MARK: Formats

    func testLLMCHeaderAndMegatronIndexLayouts() throws {
        let header = LLMCHeader.bytes(tokens: 5, width: .uint16, vocabularySize: 32000)
        XCTAssertEqual(header.count, 1024)
        let slots = header.withUnsafeBytes { raw in (0..<5).map { raw.load(fromByteOffset: 4 * $0, as: Int32.self) } }
        XCTAssertEqual(slots, [20240520, 1, 5, 2, 32000])
        let wide = LLMCHeader.bytes(tokens: 3, width: .uint32, vocabularySize: 128_256)
        XCTAssertEqual(wide.withUnsafeBytes { raw in (0..<3).map { raw.load(fromByteOffset: 4 * $0, as: Int32.self) } },
                       [20240801, 7, 3])
        XCTAssertEqual(TokenWidth(vocabularySize: 65536), .uint16)
        XCTAssertEqual(TokenWidth(vocabularySize: 65537), .uint32)

        let index = MegatronIndex.bytes(sequenceLengths: [3, 0, 5], width: .uint16)
        XCTAssertEqual(Array(index[0..<9]), Array("MMIDIDX\0\0".utf8))
        XCTAssertEqual(index.count, 34 + 3 * 4 + 3 * 8 + 4 * 8)
        XCTAssertEqual(index[17], 8)
        let parsed = try MegatronIndex.parse(index, file: "t.idx")
        XCTAssertEqual(parsed.sequenceLengths, [3, 0, 5])
        XCTAssertEqual(parsed.sequencePointers, [0, 6, 6])
        XCTAssertEqual(parsed.documentIndices, [0, 1, 2, 3])
        XCTAssertEqual(MegatronIndex.bytes(sequenceLengths: [1], width: .uint32)[17], 4)
    }

    // MARK: Counts and round trip

    func testTotalsEqualQuernCountForJSONLAndText() throws {
        let (textPath, _) = try textLines()
        let manifest = try shard([ShardSource(name: "books", paths: [Self.sample]), ShardSource(name: "lines", paths: [textPath])],
                                 folder: scratch.appendingPathComponent("out").path) { $0.validationFraction = 0.2 }
        for (source, path) in zip(manifest.sources, [Self.sample, textPath]) {
            let count = TokenCounter.count(path, tokenizer: Self.tokenizer, progress: false)
            XCTAssertNil(count.failure)
            XCTAssertEqual(source.tokens, count.tokens, source.name)
            XCTAssertEqual(source.documents, count.documents, source.name)
            XCTAssertEqual(source.files.first?.bytes, count.bytes)
            XCTAssertEqual(source.trainTokensBefore + source.validationTokens, count.tokens)
            XCTAssertEqual(source.trainDocumentsBefore + source.validationDocuments, count.documents)
            XCTAssertEqual(source.trainTokensAfter, source.trainTokensBefore)  // no --mix: one pass
            XCTAssertGreaterThan(source.validationDocuments, 0)
        }
        // Every document of both sources is in exactly one split, with BOS and EOS.
        let written = manifest.shards.reduce(0) { $0 + $1.tokens }
        let documents = manifest.sources.reduce(0) { $0 + $1.documents }
        XCTAssertEqual(written, manifest.sources.reduce(0) { $0 + $1.tokens } + 2 * documents)
        XCTAssertEqual(manifest.sources[0].documents, 32)
        XCTAssertEqual(manifest.totals.tokens, manifest.sources.reduce(0) { $0 + $1.tokens })
        XCTAssertEqual(manifest.totals.trainTokensWithSpecials + manifest.totals.validationTokensWithSpecials, written)
    }

    /// Decoding the shards gives back the input documents (as a multiset: the order is shuffled).
    func testShardsDecodeBackToTheInputDocuments() throws {
        let folder = scratch.appendingPathComponent("out").path
        let manifest = try shard([ShardSource(name: "books", paths: [Self.sample])], folder: folder) {
            $0.format = .both
            $0.shardTokens = 7_000
            $0.validationFraction = 0.25
            $0.shuffleWindow = 5
        }
        let inputs = try JSONLReader(path: Self.sample).readAll().map(\.text)
        let bos = Self.tokenizer.bosID!, eos = Self.tokenizer.eosID!
        XCTAssertGreaterThan(manifest.shards.filter { $0.format == "llmc" && $0.split == "train" }.count, 5)

        var fromLLMC: [String] = []
        for split in ["train", "val"] {
            var stream: [Int32] = []
            for entry in manifest.shards where entry.format == "llmc" && entry.split == split {
                let (header, tokens) = try ShardReader.llmcTokens(folder + "/" + entry.file)
                XCTAssertEqual(header.tokens, entry.tokens)
                XCTAssertLessThanOrEqual(entry.tokens, 7_000)
                stream += tokens
            }
            var current: [Int32]? = nil
            for token in stream {
                if token == bos, current == nil { current = []; continue }
                if token == eos, let doc = current { fromLLMC.append(Self.tokenizer.decodeString(doc)); current = nil; continue }
                XCTAssertNotNil(current, "token outside a document")
                current?.append(token)
            }
            XCTAssertNil(current)
        }
        var fromMegatron: [String] = []
        for split in ["train", "val"] {
            for document in try ShardReader.megatronDocuments(prefix: folder + "/" + split) {
                XCTAssertEqual(document.first, bos)
                XCTAssertEqual(document.last, eos)
                fromMegatron.append(Self.tokenizer.decodeString(Array(document.dropFirst().dropLast())))
            }
        }
        XCTAssertEqual(fromLLMC.count, inputs.count)
        XCTAssertEqual(fromLLMC.sorted(), inputs.sorted())
        XCTAssertEqual(fromMegatron.sorted(), inputs.sorted())
        XCTAssertNotEqual(fromMegatron, inputs, "a shuffle that changes nothing")
        // The same documents, in the same order, in both formats.
        XCTAssertEqual(fromLLMC, fromMegatron)
    }

    func testValidationSplitDependsOnTheTextAloneAndOutputOnTheSeed() throws {
        let a = try shard([ShardSource(name: "books", paths: [Self.sample])], folder: scratch.appendingPathComponent("a").path) {
            $0.validationFraction = 0.3; $0.seed = 1; $0.format = .megatron
        }
        let b = try shard([ShardSource(name: "books", paths: [Self.sample])], folder: scratch.appendingPathComponent("b").path) {
            $0.validationFraction = 0.3; $0.seed = 2; $0.format = .megatron; $0.threads = 1
        }
        let c = try shard([ShardSource(name: "books", paths: [Self.sample])], folder: scratch.appendingPathComponent("c").path) {
            $0.validationFraction = 0.3; $0.seed = 1; $0.format = .megatron; $0.threads = 1
        }
        func documents(_ folder: String, _ split: String) throws -> [[Int32]] {
            try ShardReader.megatronDocuments(prefix: scratch.appendingPathComponent(folder).path + "/" + split)
        }
        let valA = try documents("a", "val"), valB = try documents("b", "val")
        XCTAssertEqual(valA.map { $0.map(Int.init) }.sorted { $0.lexicographicallyPrecedes($1) },
                       valB.map { $0.map(Int.init) }.sorted { $0.lexicographicallyPrecedes($1) })
        let expected = try JSONLReader(path: Self.sample).readAll().filter { document in
            var text = document.text
            return text.withUTF8 { ValidationSplit.isValidation(hash: DocumentHash.of($0), fraction: 0.3) }
        }.count
        XCTAssertEqual(valA.count, expected)
        XCTAssertGreaterThan(expected, 0)
        // Another seed reorders; the same seed on another thread count gives identical bytes.
        XCTAssertNotEqual(try documents("a", "train"), try documents("b", "train"))
        XCTAssertEqual(a.shards.map(\.xxh64), c.shards.map(\.xxh64))
        XCTAssertNotEqual(a.shards.map(\.xxh64), b.shards.map(\.xxh64))
    }

    // MARK: Mixture

    func testMixturePlannerRules() throws {
        // LLaMA's Table 1 shape: weight-only sources share a budget, the scarcest used once.
        let tokens = ["cc": 670, "c4": 300, "wiki": 10, "books": 20]
        let e = try MixturePlanner.epochs(trainTokens: tokens, mixes: [
            MixSpec(name: "cc", weight: 67), MixSpec(name: "c4", weight: 15),
            MixSpec(name: "wiki", weight: 4.5, epochs: 2), MixSpec(name: "books", weight: 4.5, epochs: 2.5)])
        XCTAssertEqual(e["cc"]!, 1, accuracy: 1e-12)  // 670/67 = 10 < 300/15 = 20 per unit of weight
        XCTAssertEqual(e["c4"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(e["wiki"], 2)
        XCTAssertEqual(e["books"], 2.5)
        XCTAssertEqual(try MixturePlanner.epochs(trainTokens: tokens, mixes: []).values.sorted(), [1, 1, 1, 1])
        XCTAssertThrowsError(try MixturePlanner.epochs(trainTokens: tokens, mixes: [MixSpec(name: "cc", weight: 1)]))
        XCTAssertThrowsError(try MixSpec(parsing: "cc=0"))
        XCTAssertThrowsError(try MixSpec(parsing: "cc=1:x"))
        XCTAssertEqual(try MixSpec(parsing: "wiki=4.5:1.5"), MixSpec(name: "wiki", weight: 4.5, epochs: 1.5))
        // A fractional pass takes about that share of documents, the whole passes all of them.
        var taken = 0
        for i in 0..<100_000 where MixturePlanner.includes(hash: DocumentHash.mix(UInt64(i)), pass: 1, epochs: 1.3, seed: 7) { taken += 1 }
        XCTAssertEqual(Double(taken) / 100_000, 0.3, accuracy: 0.01)
        XCTAssertTrue(MixturePlanner.includes(hash: 12345, pass: 0, epochs: 1.3, seed: 7))
        XCTAssertFalse(MixturePlanner.includes(hash: 12345, pass: 2, epochs: 1.3, seed: 7))
    }

    func testEpochsRepeatAndSubsampleSources() throws {
        let (textPath, lines) = try textLines()
        let folder = scratch.appendingPathComponent("mix").path
        let manifest = try shard([ShardSource(name: "books", paths: [Self.sample]), ShardSource(name: "lines", paths: [textPath])],
                                 mixes: [MixSpec(name: "books", weight: 1, epochs: 2), MixSpec(name: "lines", weight: 1, epochs: 0.5)],
                                 folder: folder) { $0.format = .megatron }
        let books = manifest.sources[0], half = manifest.sources[1]
        XCTAssertEqual(books.trainDocumentsAfter, 2 * books.trainDocumentsBefore)
        XCTAssertEqual(books.trainTokensAfter, 2 * books.trainTokensBefore)
        XCTAssertLessThan(half.trainDocumentsAfter, half.trainDocumentsBefore)
        XCTAssertGreaterThan(half.trainDocumentsAfter, 0)
        let documents = try ShardReader.megatronDocuments(prefix: folder + "/train")
        XCTAssertEqual(documents.count, books.trainDocumentsAfter + half.trainDocumentsAfter)
        // Every book appears exactly twice; the text lines (the same texts, flattened) at most once.
        let texts = documents.map { Self.tokenizer.decodeString(Array($0.dropFirst().dropLast())) }
        var seen: [String: Int] = [:]
        for t in texts { seen[t, default: 0] += 1 }
        for document in try JSONLReader(path: Self.sample).readAll() { XCTAssertEqual(seen[document.text], 2) }
        XCTAssertEqual(lines.filter { seen[$0] == 1 }.count, half.trainDocumentsAfter)
        // Sources are interleaved, not concatenated: the first 20 documents are not all one source.
        let firstKinds = Set(texts.prefix(20).map { $0.contains("\n") })
        XCTAssertEqual(firstKinds.count, 2)
    }

    /// A vocabulary above 65536 ids (Llama 3's tiktoken ranks): uint32 tokens, llm.c's LLaMA-3
    /// header (magic 20240801, version 7), Megatron dtype int32; the Python reader agrees.
    func testWideVocabularyWritesUInt32Shards() throws {
        let path = try TestSupport.corpora("tokenizers/llama-models__llama3_tokenizer.model")
        let tokenizer = try TokenizerFile.load(path)
        XCTAssertGreaterThan(tokenizer.vocabularySize, 65536)
        let folder = scratch.appendingPathComponent("wide").path
        var options = ShardOptions(outputDirectory: folder)
        options.format = .both
        options.validationFraction = 0.2
        options.progress = false
        let manifest = try Sharder(sources: [ShardSource(name: "books", paths: [Self.sample])], mixes: [],
                                   tokenizer: tokenizer, tokenizerPath: path, options: options).run()
        XCTAssertEqual(manifest.dtype, "uint32")
        XCTAssertEqual(manifest.megatronDtypeCode, 4)
        var lines: [String] = []
        var decoded: [String] = []
        for entry in manifest.shards where entry.format == "llmc" {
            let (header, tokens) = try ShardReader.llmcTokens(folder + "/" + entry.file)
            XCTAssertEqual(header.width, .uint32)
            let raw = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + entry.file))
            XCTAssertEqual(raw.prefix(8).withUnsafeBytes { [$0.load(as: Int32.self), $0.load(fromByteOffset: 4, as: Int32.self)] },
                           [20240801, 7])
            XCTAssertTrue(tokens.contains { $0 > 65535 })
            lines.append(Self.describe(entry.file, tokens, width: .uint32))
        }
        for entry in manifest.shards where entry.format == "megatron" {
            let documents = try ShardReader.megatronDocuments(prefix: folder + "/" + entry.split)
            decoded += documents.map { tokenizer.decodeString(Array($0.dropFirst().dropLast())) }
            lines.append(Self.describe(entry.file, documents.flatMap { $0 }, width: .uint32)
                         + " documents=\(documents.count) doc_index_ok=True")
        }
        XCTAssertEqual(decoded.sorted(), try JSONLReader(path: Self.sample).readAll().map(\.text).sorted())
        let probe = try TestSupport.execute("python3", ["-c", "import numpy"])
        guard probe.status == 0 else { throw XCTSkip("python3 with numpy is not available: the live reader check did not run") }
        let script = TestSupport.packageRoot.appendingPathComponent("Tests/Reference/shard_reader.py").path
        let result = try TestSupport.execute("python3", [script, folder])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self), lines.joined(separator: "\n") + "\n" + (try manifestCheck(manifest, folder)))
    }

    // MARK: Python reader, golden

    /// What Tests/Reference/shard_reader.py prints, computed here from the shard files.
    static func describe(_ name: String, _ tokens: [Int32], width: TokenWidth) -> String {
        var bytes: [UInt8] = []
        for t in tokens {
            let v = UInt32(bitPattern: t)
            bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8))
            if width == .uint32 { bytes.append(UInt8(truncatingIfNeeded: v >> 16)); bytes.append(UInt8(truncatingIfNeeded: v >> 24)) }
        }
        let first = tokens.prefix(4).map(String.init).joined(separator: " ")
        let last = tokens.suffix(4).map(String.init).joined(separator: " ")
        return "\(name) tokens=\(tokens.count) sha256=\(SHA256.hex(of: bytes)) first=[\(first)] last=[\(last)]"
    }

    /// The golden was written by the Python reader (numpy, from the published formats) over the
    /// shards of `quern shard -T Vocab/quern-32k.model Corpora/sample/books.jsonl.zst -o DIR
    /// --format both --shard-tokens 50000 --val-fraction 0.1 --seed 1337 --shuffle-window 8`.
    func manifestCheck(_ manifest: ShardManifest, _ folder: String) throws -> String {
        var checked = 0, bad = 0
        for shard in manifest.shards {
            for (file, expected) in [(shard.file, shard.xxh64)] + (shard.index.map { [($0, shard.indexXXH64!)] } ?? []) {
                checked += 1
                let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
                if XXH64.hex(of: [UInt8](data)) != expected { bad += 1 }
            }
        }
        return "manifest xxh64 files=\(checked) mismatches=\(bad)\n"
    }

    /// Pass 1 kept in memory, spilled to disk from the start, or moved to disk when the memory
    /// limit is outgrown: the same files.
    func testMemoryAndDiskSpillsWriteTheSameShards() throws {
        var outputs: [[String: Data]] = []
        for limit in [256 << 20, 0, 40_000] {
            let folder = scratch.appendingPathComponent("spill-\(limit)").path
            _ = try shard([ShardSource(name: "books", paths: [Self.sample])], folder: folder) {
                $0.format = .both; $0.shardTokens = 20_000; $0.validationFraction = 0.1; $0.seed = 7
                $0.shuffleWindow = 64; $0.memorySpillLimit = limit
            }
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            }
            outputs.append(files)
        }
        XCTAssertGreaterThan(outputs[0].count, 4)
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(outputs[0], outputs[2])
    }

    func testShardsMatchTheGoldenAndThePythonReader() throws {
        let folder = scratch.appendingPathComponent("golden").path
        let manifest = try shard([ShardSource(name: "books", paths: [Self.sample])], folder: folder) {
            $0.format = .both; $0.shardTokens = 50_000; $0.validationFraction = 0.1; $0.seed = 1337; $0.shuffleWindow = 8
        }
        var lines: [String] = []
        for entry in manifest.shards where entry.format == "llmc" {
            lines.append(Self.describe(entry.file, try ShardReader.llmcTokens(folder + "/" + entry.file).tokens, width: .uint16))
        }
        for entry in manifest.shards where entry.format == "megatron" {
            let docs = try ShardReader.megatronDocuments(prefix: folder + "/" + entry.split)
            lines.append(Self.describe(entry.file, docs.flatMap { $0 }, width: .uint16)
                         + " documents=\(docs.count) doc_index_ok=True")
        }
        let mine = lines.sorted { a, b in
            // The script lists llm.c shards, then Megatron files, each sorted by name.
            let ka = (a.hasPrefix("train_") || a.hasPrefix("val_") ? 0 : 1, a), kb = (b.hasPrefix("train_") || b.hasPrefix("val_") ? 0 : 1, b)
            return ka < kb
        }.joined(separator: "\n") + "\n" + (try manifestCheck(manifest, folder))
        let goldenPath = TestSupport.packageRoot.appendingPathComponent("Tests/QuernShardsTests/Golden/books-quern32k.txt").path
        let golden = try String(contentsOfFile: goldenPath, encoding: .utf8)
        XCTAssertEqual(mine, golden)

        let probe = try TestSupport.execute("python3", ["-c", "import numpy"])
        guard probe.status == 0 else { throw XCTSkip("python3 with numpy is not available: the live reader check did not run") }
        let script = TestSupport.packageRoot.appendingPathComponent("Tests/Reference/shard_reader.py").path
        let result = try TestSupport.execute("python3", [script, folder])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self), golden)
    }
}
