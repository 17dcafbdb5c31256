import Foundation
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// Byte-level BPE training with a pre-tokenization pattern (ByteLevelTrainer): the ranks load
/// into the tokenizer and round-trip, Python tiktoken encodes with them as Quern does, and the
/// merges equal a naive Python trainer's with the same tie rule.
final class ByteLevelTrainerTests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    static let alice = "books/GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt"
    static let pride = "books/GITenberg_Pride-and-Prejudice__1342-0.txt"

    func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Python with the given modules, or a visible skip.
    func requirePython(_ modules: [String]) throws {
        let check = try TestSupport.execute("python3", ["-c", modules.map { "import \($0)" }.joined(separator: "; ")])
        guard check.status == 0 else {
            throw XCTSkip("python3 with \(modules.joined(separator: ", ")) not available: \(check.stderr)")
        }
    }

    func testSmallHandmadeCorpus() throws {
        let file = scratch.appendingPathComponent("tiny.txt")
        try Data("aaa aaa aaa\nab ab\n".utf8).write(to: file)
        let ranks = try ByteLevelTrainer.train(files: [file.path], vocabSize: 260, pattern: .gpt2, threads: 1, inputFormat: .text)
        XCTAssertEqual(ranks.count, 260)
        XCTAssertEqual(Array(ranks.prefix(256)), (0..<256).map { [UInt8($0)] })
        // Pieces: "aaa" 1, " aaa" 2, "\n" 2, "ab" 1, " ab" 1. (a,a): 2 per "aaa" occurrence = 6,
        // (" ", a) = 3, (a, b) = 2 -> "aa"; then (aa, a) = 3 -> "aaa"; then (" ", aaa) = 2 ties
        // (a, b) = 2 and the smaller (left, right) = (32, 257) wins; then "ab".
        XCTAssertEqual(ranks.dropFirst(256).map { String(decoding: $0, as: UTF8.self) }, ["aa", "aaa", " aaa", "ab"])
        XCTAssertThrowsError(try ByteLevelTrainer.train(files: [file.path], vocabSize: 10_000, pattern: .gpt2, threads: 1))
        XCTAssertThrowsError(try ByteLevelTrainer.train(files: [file.path], vocabSize: 100, pattern: .gpt2, threads: 1))
    }

    /// A JSONL document's text is split whole; here it gives the pieces the text file's lines give.
    func testJSONLDocumentsAndCompressedText() throws {
        let text = scratch.appendingPathComponent("tiny.txt")
        try Data("aaa aaa aaa\nab ab\n".utf8).write(to: text)
        let jsonl = scratch.appendingPathComponent("tiny.jsonl")
        try Data("{\"text\": \"aaa aaa aaa\\nab ab\\n\"}\n".utf8).write(to: jsonl)
        let fromText = try ByteLevelTrainer.train(files: [text.path], vocabSize: 261, pattern: .gpt2, threads: 2)
        let fromJSONL = try ByteLevelTrainer.train(files: [jsonl.path], vocabSize: 261, pattern: .gpt2, threads: 2)
        XCTAssertEqual(fromText, fromJSONL)
        XCTAssertEqual(fromText.dropFirst(256).map { String(decoding: $0, as: UTF8.self) }, ["aa", "aaa", " aaa", "ab", " ab"])
        XCTAssertThrowsError(try ByteLevelTrainer.train(files: [jsonl.path], vocabSize: 262, pattern: .gpt2, threads: 1)) { error in
            XCTAssertEqual((error as? BPETrainerError)?.kind, .vocabularyTooLarge(maximum: 261))
        }
        // Compressed input (any codec Input.open reads).
        _ = try TestSupport.run(["gzip", "-k", text.path])
        XCTAssertEqual(try ByteLevelTrainer.train(files: [text.path + ".gz"], vocabSize: 261, pattern: .gpt2, threads: 2), fromText)
        let counts = try ByteLevelTrainer.countPieces(files: [jsonl.path], pattern: .gpt2, threads: 1)
        XCTAssertEqual(counts, [Array("aaa".utf8): 1, Array(" aaa".utf8): 2, [0x0A]: 2, Array("ab".utf8): 1, Array(" ab".utf8): 1])
    }

    func testTrainsOnBookAndRoundTrips() throws {
        let book = try TestSupport.corpora(Self.alice)
        let ranks = try ByteLevelTrainer.train(files: [book], vocabSize: 700, pattern: .llama3, threads: 2, inputFormat: .text)
        XCTAssertEqual(ranks.count, 700)
        XCTAssertEqual(Array(ranks.prefix(256)), (0..<256).map { [UInt8($0)] })
        XCTAssertEqual(Set(ranks).count, 700, "tokens are distinct")
        // Every merged token is two earlier tokens joined.
        var known = Set(ranks.prefix(256))
        for token in ranks.dropFirst(256) {
            XCTAssertTrue((1..<token.count).contains { known.contains(Array(token[..<$0])) && known.contains(Array(token[$0...])) })
            known.insert(token)
        }
        // Same ranks on one thread.
        XCTAssertEqual(try ByteLevelTrainer.train(files: [book], vocabSize: 700, pattern: .llama3, threads: 1, inputFormat: .text), ranks)

        let tokenizer = try TiktokenTokenizer(ranks: ranks, name: "alice", pattern: .llama3)
        for text in [try bytes(book), Array(try bytes(try TestSupport.corpora(Self.pride)).prefix(200_000))] {
            var ids: [TokenID] = []
            text.withUnsafeBufferPointer { tokenizer.encode($0, into: &ids) }
            XCTAssertEqual(tokenizer.decode(ids), text)
            XCTAssertLessThan(ids.count, text.count * 2 / 3, "the merges compress English text")
        }
    }

    func testWrittenFilesAndTiktokenAgree() throws {
        let book = try TestSupport.corpora(Self.alice)
        let heldOut = try TestSupport.corpora(Self.pride)
        let ranks = try ByteLevelTrainer.train(files: [book], vocabSize: 1000, pattern: .cl100kBase, threads: 2)
        let prefix = scratch.appendingPathComponent("bl").path
        try ByteLevelTrainer.writeAll(ranks, pattern: .cl100kBase, prefix: prefix)

        // NAME.vocab: base64 TAB rank; NAME.tiktoken reloads; NAME.json is a tokenizer.json.
        let vocabLines = String(decoding: try bytes(prefix + ".vocab"), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(vocabLines.count, 1000)
        for (rank, line) in vocabLines.enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            XCTAssertEqual(fields.count, 2)
            XCTAssertEqual(Data(base64Encoded: String(fields[0])).map(Array.init), ranks[rank])
            XCTAssertEqual(Int(fields[1]), rank)
        }
        let reloaded = try TiktokenTokenizer(contentsOf: prefix + ".tiktoken", pattern: .cl100kBase)
        XCTAssertEqual(reloaded.rankCount, 1000)
        let json = try JSONSerialization.jsonObject(with: Data(try bytes(prefix + ".json"))) as? [String: Any]
        XCTAssertNotNil(json?["model"])

        let text = Array(try bytes(heldOut).prefix(300_000))
        let textFile = scratch.appendingPathComponent("heldout.txt")
        try Data(text).write(to: textFile)
        var ids: [TokenID] = []
        text.withUnsafeBufferPointer { reloaded.encode($0, into: &ids) }
        XCTAssertEqual(reloaded.decode(ids), text)

        try requirePython(["tiktoken"])
        let script = """
            import sys, json, tiktoken, tiktoken.load
            ranks = tiktoken.load.load_tiktoken_bpe(sys.argv[1])
            enc = tiktoken.Encoding("bl", pat_str=sys.argv[2], mergeable_ranks=ranks, special_tokens={})
            text = open(sys.argv[3], encoding="utf-8", newline="").read()
            print(json.dumps(enc.encode_ordinary(text)))
            """
        let out = try TestSupport.run(["python3", "-c", script, prefix + ".tiktoken", PreTokenizerPattern.cl100kBase.regex, textFile.path])
        let theirs = try JSONDecoder().decode([Int32].self, from: Data(out))
        XCTAssertEqual(theirs.count, ids.count)
        XCTAssertTrue(theirs == ids, "first difference at \(theirs.indices.first { $0 < ids.count && theirs[$0] != ids[$0] } ?? -1)")
    }

    func testMergesMatchNaivePythonTrainer() throws {
        try requirePython(["regex"])
        let book = try bytes(try TestSupport.corpora(Self.alice))
        // A small input: the first 1500 lines.
        var lines = 0, end = 0
        while end < book.count && lines < 1500 { if book[end] == 0x0A { lines += 1 }; end += 1 }
        let file = scratch.appendingPathComponent("small.txt")
        try Data(book[..<end]).write(to: file)

        for pattern in [PreTokenizerPattern.llama3, .gpt2] {
            let ranks = try ByteLevelTrainer.train(files: [file.path], vocabSize: 256 + 200, pattern: pattern, threads: 2, inputFormat: .text)
            // Naive reference: pieces of each line (with its '\n') by the `regex` module, then
            // full recount of pairs for every merge; ties: smallest (left, right).
            let script = """
                import sys, regex
                from collections import Counter
                pat = regex.compile(sys.argv[1])
                data = open(sys.argv[2], "rb").read().decode("utf-8", errors="replace")
                pieces = Counter()
                lines = data.split("\\n")
                texts = [l + "\\n" for l in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
                for t in texts:
                    for m in pat.findall(t):
                        pieces[m.encode("utf-8")] += 1
                words = [(list(p), c) for p, c in pieces.items()]
                vocab = [bytes([i]) for i in range(256)]
                for _ in range(int(sys.argv[3])):
                    stats = Counter()
                    for ids, c in words:
                        for a, b in zip(ids, ids[1:]):
                            stats[(a, b)] += c
                    if not stats:
                        break
                    best = min(stats, key=lambda p: (-stats[p], p))
                    new = len(vocab)
                    vocab.append(vocab[best[0]] + vocab[best[1]])
                    for w in words:
                        ids = w[0]
                        out, i = [], 0
                        while i < len(ids):
                            if i + 1 < len(ids) and ids[i] == best[0] and ids[i + 1] == best[1]:
                                out.append(new); i += 2
                            else:
                                out.append(ids[i]); i += 1
                        w[0][:] = out
                for t in vocab:
                    print(t.hex())
                """
            let out = try TestSupport.run(["python3", "-c", script, pattern.regex, file.path, "200"])
            let reference = String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
            let ours = ranks.map { $0.map { String(format: "%02x", $0) }.joined() }
            XCTAssertEqual(reference.count, ours.count, "\(pattern)")
            if let i = reference.indices.first(where: { $0 < ours.count && reference[$0] != ours[$0] }) {
                XCTFail("\(pattern): rank \(i) differs: python \(reference[i]), quern \(ours[i])")
            }
        }
    }
}
