import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// tokenizer.json: the API around encoding, damaged and unsupported files, and the writer, whose
/// files Python's `tokenizers` loads back and encodes exactly as Quern does.
final class HFTokenizerTests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    // MARK: API

    func testGPT2AndDolmaBasics() throws {
        let gpt2 = try HFTokenizer(contentsOf: try TestSupport.corpora("tokenizers/KV260-Accelerated-Platform__gpt2_tokenizer.json"))
        XCTAssertEqual(gpt2.vocabularySize, 50_257)
        XCTAssertEqual(gpt2.eosID, 50_256)
        XCTAssertNil(gpt2.bosID)
        XCTAssertEqual(gpt2.encode("Hello world<|endoftext|>"), [15_496, 995, 50_256])
        XCTAssertEqual(gpt2.piece(for: 995), "Ġworld")
        XCTAssertEqual(gpt2.id(forPiece: "Ġworld"), 995)
        XCTAssertEqual(String(decoding: gpt2.decode([64, 50_256, 64], skipSpecialTokens: true), as: UTF8.self), "aa")
        XCTAssertEqual(gpt2.decodeString([64, 50_256, 64]), "a<|endoftext|>a")
        XCTAssertEqual(gpt2.addedTokens.map(\.content), ["<|endoftext|>"])

        let llama = try HFTokenizer(contentsOf: try TestSupport.corpora("tokenizers/dolma__llama-test-tokenizer.json"))
        XCTAssertEqual(llama.vocabularySize, 32_003)
        XCTAssertEqual(llama.bosID, 1)
        XCTAssertEqual(llama.eosID, 2)
        // tokenizers 0.23 prints (and decodes) a normalized added token in its normalized form.
        XCTAssertEqual(llama.piece(for: 1), "▁<s>")
        XCTAssertEqual(llama.piece(for: 32_000), "▁|||EMAIL_ADDRESS|||")
        XCTAssertEqual(llama.piece(for: 3), "<0x00>")
        XCTAssertEqual(llama.encode("a |||EMAIL_ADDRESS||| b"), [263, 32_000, 289])
        XCTAssertEqual(llama.encode(" hi"), [29_871, 7_251])
        XCTAssertEqual(llama.decodeString([263, 32_000, 289]), "a |||EMAIL_ADDRESS||| b")
        XCTAssertNil(llama.piece(for: 40_000))
    }

    // MARK: Damaged and unsupported files

    func loadError(_ json: String, name: String = "tok.json") -> TokenizerError? {
        do {
            _ = try HFTokenizer(json: Array(json.utf8), name: name)
            return nil
        } catch {
            return error
        }
    }

    static func minimal(model: String = #""type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]"#,
                        normalizer: String = "null", preTokenizer: String = "null", decoder: String = "null") -> String {
        #"{"added_tokens": [], "normalizer": \#(normalizer), "pre_tokenizer": \#(preTokenizer), "decoder": \#(decoder), "model": {\#(model)}}"#
    }

    func testMinimalFileAndItsVariants() throws {
        let tokenizer = try HFTokenizer(json: Array(Self.minimal().utf8), name: "min")
        XCTAssertEqual(tokenizer.encode("abab"), [2, 2])
        XCTAssertEqual(tokenizer.decodeString([2, 0]), "ab a")  // no decoder: tokens joined by spaces
        // The ["a", "b"] merge form reads the same.
        let pairs = try HFTokenizer(json: Array(Self.minimal(model: #""type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]"#).utf8), name: "pairs")
        XCTAssertEqual(pairs.encode("abab"), [2, 2])
        // Unknown characters vanish without unk_token, and their neighbours then merge, as in
        // tokenizers.
        XCTAssertEqual(tokenizer.encode("axb"), [2])
    }

    func testTruncatedFileFailsWithItsOffset() throws {
        let bytes = (0..<256).map { [UInt8($0)] }
        let json = try HFTokenizerJSON.byteLevelBPE(tokens: bytes + [[0x61, 0x62]], merges: [([0x61], [0x62])], pattern: .gpt2)
        let path = scratch.appendingPathComponent("cut.json").path
        try HFTokenizerJSON.write(Array(json.prefix(json.count * 2 / 3)), to: path)
        do {
            _ = try HFTokenizer(contentsOf: path)
            XCTFail("a truncated file loads")
        } catch {
            XCTAssertEqual(error.file, path)
            XCTAssertEqual(error.offset, json.count * 2 / 3)
            XCTAssertTrue(error.message.contains("invalid JSON"), error.message)
        }
    }

    func testDamagedFilesNameWhatIsWrong() throws {
        func expect(_ json: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            let e = loadError(json)
            XCTAssertEqual(e?.file, "tok.json", file: file, line: line)
            XCTAssertTrue(e?.description.contains(fragment) ?? false, "\(String(describing: e)) lacks \(fragment)", file: file, line: line)
        }
        expect(#"{"added_tokens": []}"#, "model: expected an object")
        expect(#"[1, 2]"#, "$: expected an object")
        expect(Self.minimal(model: #""type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]"#),
               "model.merges[0]: the merge 'ab' is not in the vocabulary")
        expect(Self.minimal(model: #""type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a c"]"#),
               "model.merges[0]: 'c' is not in the vocabulary")
        expect(Self.minimal(model: #""type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b c"]"#),
               "expected 'left right'")
        expect(Self.minimal(model: #""type": "BPE", "vocab": {"a": -1}, "merges": []"#), "out of range")
        expect(Self.minimal(model: #""type": "WordPiece", "vocab": {"a": 0}"#), "unsupported model 'WordPiece'")
        expect(Self.minimal(model: #""type": "BPE", "dropout": 0.1, "vocab": {"a": 0}, "merges": []"#), "unsupported BPE dropout")
        expect(Self.minimal(model: #""type": "BPE", "unk_token": "<unk>", "vocab": {"a": 0}, "merges": []"#),
               "model.unk_token: '<unk>' is not in the vocabulary")
        expect(Self.minimal(normalizer: #"{"type": "Lowercase"}"#), "normalizer: unsupported normalizer 'Lowercase'")
        expect(Self.minimal(normalizer: #"{"type": "Replace", "pattern": {"Regex": " +"}, "content": " "}"#),
               "normalizer.pattern: unsupported regex pattern")
        expect(Self.minimal(preTokenizer: #"{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated", "invert": false}"#),
               "unsupported Split regex")
        expect(Self.minimal(preTokenizer: #"{"type": "Whitespace"}"#), "unsupported pre-tokenizer 'Whitespace'")
        expect(Self.minimal(decoder: #"{"type": "WordPiece", "prefix": "@@"}"#), "unsupported decoder 'WordPiece'")
        expect(Self.minimal(preTokenizer: #"{"type": "Metaspace", "replacement": "ab"}"#), "expected one character")
        XCTAssertThrowsError(try HFTokenizer(contentsOf: scratch.appendingPathComponent("none.json").path))
    }

    // MARK: Writer, checked by Python's tokenizers

    /// Encodes `texts` with Python's tokenizers (skips the test visibly without it).
    func pythonIDs(_ tokenizerPath: String, _ texts: [String]) throws -> [[TokenID]] {
        let probe = try TestSupport.execute("python3", ["-c", "import tokenizers"])
        guard probe.status == 0 else {
            throw XCTSkip("python3 with the tokenizers package is needed to check written tokenizer.json files")
        }
        let textsPath = scratch.appendingPathComponent("texts-\(UUID().uuidString).json").path
        let json = JSONValue.array(texts.map { .string($0) }).serialized()
        try json.write(toFile: textsPath, atomically: true, encoding: .utf8)
        let script = """
        import json, sys
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[1])
        tok.no_truncation()
        tok.no_padding()
        texts = json.load(open(sys.argv[2], encoding="utf-8"))
        json.dump([tok.encode(t, add_special_tokens=False).ids for t in texts], sys.stdout)
        """
        let output = try TestSupport.run(["python3", "-c", script, tokenizerPath, textsPath])
        let parsed = try JSONValue(parsing: output)
        return (parsed.arrayValue ?? []).map { ($0.arrayValue ?? []).map { TokenID($0.intValue ?? -1) } }
    }

    /// Hand-made texts, and lines of the corpora when they are there.
    func sampleTexts() -> [String] {
        var texts = [
            "Hello world", "  leading", "trailing  ", "a\r\nb\n\n  c \n", "I'M don't WE'LL x'ſ", "1234567 ٣٤",
            "HTTPServer camelCase ÀBC iPhone", "x /\ny !!\n\n//", "e\u{301}t\u{e9}", "吾輩は猫である。", "👨‍👩‍👧‍👦 👍🏽",
            "hello\n  ", "<|endoftext|> and <s> and |||EMAIL_ADDRESS|||", "\t\ttabs", "\u{0}\u{1b}[0m", "",
            String(repeating: "ab", count: 300), "Привет, мир!",
        ]
        let books = ["books/GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt", "books/LectorQuijote__pg2000.txt",
                     "books/sentencepiece__wagahaiwa_nekodearu.txt", "books/GITenberg_La-Divina-Commedia-di-Dante__1012-0.txt"]
        for book in books {
            guard let path = try? TestSupport.corpora(book), let data = FileManager.default.contents(atPath: path) else { continue }
            // Lines with their ends ("\r\n" in most of these books), cut on bytes.
            let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            let step = max(1, lines.count / 120)
            for i in stride(from: 0, to: lines.count, by: step) {
                texts.append(String(decoding: lines[i], as: UTF8.self) + "\n")
            }
        }
        return texts
    }

    func ours(_ tokenizer: some Tokenizer, _ texts: [String]) -> [[TokenID]] { texts.map { tokenizer.encode($0) } }

    func assertSameIDs(_ a: [[TokenID]], _ b: [[TokenID]], _ texts: [String], _ what: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let differing = zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        XCTAssert(differing.isEmpty, "\(what): \(differing.count) of \(texts.count) texts differ, first: "
                  + "\(differing.first.map { texts[$0].debugDescription.prefix(80) } ?? "")", file: file, line: line)
    }

    /// GPT-2's vocabulary and merges as bytes, from its tokenizer.json.
    func gpt2Vocabulary() throws -> (tokens: [[UInt8]], merges: [(left: [UInt8], right: [UInt8])]) {
        let path = try TestSupport.corpora("tokenizers/KV260-Accelerated-Platform__gpt2_tokenizer.json")
        let json = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let vocab = try XCTUnwrap(json["model"]?["vocab"]?.objectValue)
        var tokens = [[UInt8]](repeating: [], count: vocab.count)
        for (key, value) in vocab.fields { tokens[try XCTUnwrap(value.intValue)] = try XCTUnwrap(ByteLevelAlphabet.bytes(of: key)) }
        let merges = try (json["model"]?["merges"]?.arrayValue ?? []).map { item -> (left: [UInt8], right: [UInt8]) in
            let parts = try XCTUnwrap(item.stringValue).split(separator: " ").map(String.init)
            return (try XCTUnwrap(ByteLevelAlphabet.bytes(of: parts[0])), try XCTUnwrap(ByteLevelAlphabet.bytes(of: parts[1])))
        }
        return (tokens, merges)
    }

    func testWrittenByteLevelFilesEncodeAsTokenizersDoes() throws {
        let (tokens, merges) = try gpt2Vocabulary()
        let endOfText = HFTokenizer.AddedToken(content: "<|endoftext|>", id: 50_256, special: true)
        let texts = sampleTexts()
        let original = try HFTokenizer(contentsOf: try TestSupport.corpora("tokenizers/KV260-Accelerated-Platform__gpt2_tokenizer.json"))
        for pattern in PreTokenizerPattern.allCases {
            let json = try HFTokenizerJSON.byteLevelBPE(tokens: Array(tokens.prefix(50_256)), merges: merges, pattern: pattern,
                                                        addedTokens: [endOfText])
            let path = scratch.appendingPathComponent("gpt2-\(pattern.rawValue).json").path
            try HFTokenizerJSON.write(json, to: path)
            let written = try HFTokenizer(contentsOf: path)
            XCTAssertEqual(written.vocabularySize, 50_257)
            let swift = ours(written, texts)
            assertSameIDs(swift, try pythonIDs(path, texts), texts, "GPT-2 vocabulary, \(pattern.rawValue) pattern: Quern vs tokenizers")
            if pattern == .gpt2 {
                assertSameIDs(swift, ours(original, texts), texts, "written GPT-2 vs the original tokenizer.json")
            }
            for text in texts.prefix(40) {
                XCTAssertEqual(written.decodeString(written.encode(text)), text)
            }
        }
    }

    func testWrittenTiktokenConversionEncodesAsTiktokenAndTokenizers() throws {
        let path = try TestSupport.corpora("tokenizers/llama-models__llama3_tokenizer.model")
        let ranks = try TiktokenFile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))), name: path)
        let texts = sampleTexts()
        // (The GPT-2 writer test covers the other two patterns' spellings.)
        for pattern in [PreTokenizerPattern.llama3, .cl100kBase] {
            let json = try HFTokenizerJSON.byteLevelBPE(ranks: ranks, pattern: pattern)
            let jsonPath = scratch.appendingPathComponent("llama3-\(pattern.rawValue).json").path
            try HFTokenizerJSON.write(json, to: jsonPath)
            let written = try HFTokenizer(contentsOf: jsonPath)
            let tiktoken = try TiktokenTokenizer(ranks: ranks, pattern: pattern)
            let swift = ours(written, texts)
            assertSameIDs(swift, ours(tiktoken, texts), texts, "Llama 3 ranks, \(pattern.rawValue): tokenizer.json vs rank file")
            assertSameIDs(swift, try pythonIDs(jsonPath, texts), texts, "Llama 3 ranks, \(pattern.rawValue): Quern vs tokenizers")
        }
    }

    /// LLaMA's SentencePiece pieces (read with Python's sentencepiece).
    func llamaPieces() throws -> [HFTokenizerJSON.Piece] {
        let model = try TestSupport.corpora("tokenizers/llama2.c__tokenizer.model")
        let script = """
        import json, sys
        from sentencepiece import sentencepiece_model_pb2 as pb
        m = pb.ModelProto()
        m.ParseFromString(open(sys.argv[1], "rb").read())
        json.dump([[p.piece, p.score, p.type] for p in m.pieces], sys.stdout)
        """
        let result = try TestSupport.execute("python3", ["-c", script, model])
        guard result.status == 0 else { throw XCTSkip("python3 with sentencepiece is needed to read LLaMA's pieces: \(result.stderr)") }
        return try (JSONValue(parsing: result.stdout).arrayValue ?? []).map { item in
            HFTokenizerJSON.Piece(try XCTUnwrap(item[0]?.stringValue), score: Float(try XCTUnwrap(item[1]?.doubleValue)),
                                  kind: try XCTUnwrap(HFTokenizerJSON.PieceKind(rawValue: Int32(try XCTUnwrap(item[2]?.intValue)))))
        }
    }

    func testWrittenSentencePieceFileMatchesHFConversionAndTokenizers() throws {
        let pieces = try llamaPieces()
        XCTAssertEqual(pieces.count, 32_000)
        // The dolma file was converted with the score-only merge order: same merges exactly.
        let dolmaPath = try TestSupport.corpora("tokenizers/dolma__llama-test-tokenizer.json")
        let dolma = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: dolmaPath))))
        let dolmaMerges = (dolma["model"]?["merges"]?.arrayValue ?? []).compactMap(\.stringValue)
        let derived = HFTokenizerJSON.sentencePieceMerges(pieces, order: .score).map { $0.0 + " " + $0.1 }
        XCTAssertEqual(derived.count, dolmaMerges.count)
        XCTAssertTrue(derived == dolmaMerges, "merges differ from the dolma conversion's")

        let texts = sampleTexts()
        let original = try HFTokenizer(contentsOf: dolmaPath)
        for order in [HFTokenizerJSON.MergeOrder.score, .scoreThenLength] {
            let path = scratch.appendingPathComponent("llama-\(order).json").path
            try HFTokenizerJSON.write(try HFTokenizerJSON.sentencePieceBPE(pieces: pieces, mergeOrder: order), to: path)
            let written = try HFTokenizer(contentsOf: path)
            XCTAssertEqual(written.vocabularySize, 32_000)
            XCTAssertEqual(written.bosID, 1)
            XCTAssertEqual(written.eosID, 2)
            let swift = ours(written, texts)
            assertSameIDs(swift, try pythonIDs(path, texts), texts, "LLaMA pieces (\(order)): Quern vs tokenizers")
            // Without added-token strings in the text, the dolma conversion encodes the same.
            let plain = texts.filter { !$0.contains("<") && !$0.contains("|||") }
            assertSameIDs(ours(written, plain), ours(original, plain), plain, "LLaMA pieces (\(order)) vs dolma's file")
            for text in plain.prefix(40) where !text.hasPrefix(" ") {
                XCTAssertEqual(written.decodeString(written.encode(text)), text)
            }
        }
    }

    func testWriterRefusesInconsistentVocabularies() throws {
        let bytes = (0..<256).map { [UInt8($0)] }
        XCTAssertThrowsError(try HFTokenizerJSON.byteLevelBPE(tokens: Array(bytes.dropLast()), merges: [], pattern: .gpt2))
        XCTAssertThrowsError(try HFTokenizerJSON.byteLevelBPE(tokens: bytes, merges: [([0x61], [0x62])], pattern: .gpt2))
        XCTAssertThrowsError(try HFTokenizerJSON.byteLevelBPE(tokens: bytes + [[0x61]], merges: [], pattern: .gpt2))
        XCTAssertThrowsError(try HFTokenizerJSON.byteLevelBPE(tokens: bytes, merges: [], pattern: .gpt2,
                                                              addedTokens: [.init(content: "<x>", id: 5)]))
        XCTAssertThrowsError(try HFTokenizerJSON.sentencePieceBPE(pieces: [.init("a", score: 0)]))
        XCTAssertThrowsError(try HFTokenizerJSON.sentencePieceBPE(pieces: [.init("<unk>", score: 0, kind: .unknown),
                                                                          .init("a", score: 0), .init("a", score: -1)]))
        // A tiny consistent one loads back.
        let json = try HFTokenizerJSON.byteLevelBPE(tokens: bytes + [[0x61, 0x62]], merges: [([0x61], [0x62])], pattern: .llama3)
        let tokenizer = try HFTokenizer(json: json, name: "tiny")
        XCTAssertEqual(tokenizer.encode("abab ab"), [256, 256, 32, 256])
    }
}
