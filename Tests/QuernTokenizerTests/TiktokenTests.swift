import Foundation
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// tiktoken rank files: reading, damage, writing, and the tokenizer's API around encoding.
final class TiktokenTests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A small vocabulary: the 256 bytes, then a few merges.
    static let smallRanks: [[UInt8]] = (0..<256).map { [UInt8($0)] } + ["he", "ll", "hell", "hello", " w", " wo", "or", "ld", " world"].map { Array($0.utf8) }

    func rankFile(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\n") + "\n").utf8) }

    func validLines() -> [String] {
        Self.smallRanks.enumerated().map { "\(Data($0.element).base64EncodedString()) \($0.offset)" }
    }

    func error(_ bytes: [UInt8], name: String = "ranks.tiktoken") -> TokenizerError? {
        do {
            _ = try TiktokenTokenizer(rankFile: bytes, name: name, pattern: .gpt2)
            return nil
        } catch {
            return error
        }
    }

    func testSmallVocabularyEncodesAndDecodes() throws {
        let tokenizer = try TiktokenTokenizer(rankFile: rankFile(validLines()), name: "small", pattern: .gpt2)
        XCTAssertEqual(tokenizer.vocabularySize, 265)
        XCTAssertEqual(tokenizer.encode("hello world"), [259, 264])
        XCTAssertEqual(tokenizer.encode("hellx"), [258, 120])
        XCTAssertEqual(tokenizer.decodeString([259, 264]), "hello world")
        XCTAssertEqual(tokenizer.piece(for: 264), "Ġworld")
        XCTAssertEqual(tokenizer.tokenBytes(263), Array("ld".utf8))
        XCTAssertNil(tokenizer.piece(for: 265))
        XCTAssertEqual(tokenizer.id(forBytes: Array("hell".utf8)), 258)
        // Invalid UTF-8 is encoded as Python's decode(errors="replace") text.
        XCTAssertEqual(tokenizer.encode("a\u{FFFD}b"), [97, 239, 191, 189, 98])
        var ids: [TokenID] = []
        [UInt8(0x61), 0xFF, 0x62].withUnsafeBufferPointer { tokenizer.encode($0, into: &ids) }
        XCTAssertEqual(ids, [97, 239, 191, 189, 98])
        // Line endings and blank lines are what Python's splitlines() skips.
        let crlf = Array((validLines().joined(separator: "\r\n") + "\r\n\r\n").utf8)
        XCTAssertEqual(try TiktokenTokenizer(rankFile: crlf, name: "crlf", pattern: .gpt2).encode("hello world"), [259, 264])
    }

    func testRankFileWriterRoundTrips() throws {
        let path = scratch.appendingPathComponent("small.tiktoken").path
        try TiktokenFile.write(Self.smallRanks, to: path)
        XCTAssertEqual(try TiktokenFile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))), name: path), Self.smallRanks)
        XCTAssertEqual(TiktokenFile.serialize(Self.smallRanks), rankFile(validLines()))
    }

    func testDamagedRankFilesNameTheFileAndLine() throws {
        var lines = validLines()
        lines[10] = "!!notbase64 10"
        var e = error(rankFile(lines))
        XCTAssertEqual(e?.file, "ranks.tiktoken")
        XCTAssertTrue(e?.message.contains("line 11: bad base64") ?? false, "\(String(describing: e))")
        XCTAssertEqual(e?.offset, rankFile(Array(lines.prefix(10))).count)

        lines = validLines()
        lines[3] = "Aw=="
        e = error(rankFile(lines))
        XCTAssertTrue(e?.message.contains("line 4: missing rank") ?? false, "\(String(describing: e))")

        lines = validLines()
        lines[5] = "BQ== 4"
        e = error(rankFile(lines))
        XCTAssertTrue(e?.message.contains("line 6: duplicate rank 4 (first on line 5)") ?? false, "\(String(describing: e))")

        lines = validLines()
        lines[7] = "Bw== seven"
        XCTAssertTrue(error(rankFile(lines))?.message.contains("line 8: bad rank 'seven'") ?? false)

        lines = validLines()
        lines[7] = "Bw== 7 extra"
        XCTAssertTrue(error(rankFile(lines))?.message.contains("line 8: expected 'base64token rank', found 3 fields") ?? false)

        // A token twice, a rank missing, a byte missing, padding in the middle, an empty file.
        lines = validLines()
        lines[258] = "\(Data("he".utf8).base64EncodedString()) 258"
        XCTAssertTrue(error(rankFile(lines))?.message.contains("ranks 256 and 258 are the same token") ?? false)
        lines = validLines()
        lines.remove(at: 100)
        XCTAssertTrue(error(rankFile(lines))?.message.contains("rank 100 is missing") ?? false)
        lines = validLines().map { $0.hasSuffix(" 65") ? "QUJD 65" : $0 }
        XCTAssertTrue(error(rankFile(lines))?.message.contains("no rank for the single byte 0x41") ?? false)
        lines = validLines()
        lines[1] = "AQ=a 1"
        XCTAssertTrue(error(rankFile(lines))?.message.contains("line 2: bad base64") ?? false)
        XCTAssertTrue(error([])?.message.contains("no ranks") ?? false)
    }

    func testTruncatedRankFileFailsClearly() throws {
        let path = try TestSupport.corpora("tokenizers/llama-models__llama3_tokenizer.model")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        // Cut inside a line: the last line has no rank.
        let cut = bytes.count / 2
        let e = error(Array(bytes.prefix(cut)), name: path)
        XCTAssertEqual(e?.file, path)
        XCTAssertNotNil(e?.offset)
        XCTAssertTrue(e?.message.contains("missing rank") ?? false || e?.message.contains("bad base64") ?? false,
                      "\(String(describing: e))")
        // Cut between lines: loads (a smaller vocabulary is still a vocabulary), bytes all there.
        let lineEnd = bytes[..<cut].lastIndex(of: 0x0A)! + 1
        XCTAssertNoThrow(try TiktokenTokenizer(rankFile: Array(bytes.prefix(lineEnd)), name: path, pattern: .llama3))
        // A missing line in the middle is a gap.
        var damaged = bytes
        let start = damaged[..<(bytes.count / 3)].lastIndex(of: 0x0A)! + 1
        let end = damaged[start...].firstIndex(of: 0x0A)! + 1
        damaged.removeSubrange(start..<end)
        XCTAssertTrue(error(damaged, name: path)?.message.contains("is missing") ?? false)
        // A file that does not exist.
        XCTAssertThrowsError(try TiktokenTokenizer(contentsOf: scratch.appendingPathComponent("none").path, pattern: .llama3))
    }

    func testLlama3Tokenizer() throws {
        let path = try TestSupport.corpora("tokenizers/llama-models__llama3_tokenizer.model")
        let tokenizer = try TiktokenTokenizer.llama3(contentsOf: path)
        XCTAssertEqual(tokenizer.rankCount, 128_000)
        XCTAssertEqual(tokenizer.vocabularySize, 128_256)
        XCTAssertEqual(tokenizer.bosID, 128_000)
        XCTAssertEqual(tokenizer.eosID, 128_001)
        XCTAssertEqual(tokenizer.piece(for: 128_009), "<|eot_id|>")
        XCTAssertEqual(tokenizer.piece(for: 128_255), "<|reserved_special_token_245|>")
        // Special tokens are plain text to encode_ordinary; decoding gives their names.
        let ids = tokenizer.encode("Hello<|end_of_text|>")
        XCTAssertFalse(ids.contains(128_001))
        XCTAssertEqual(tokenizer.decodeString(ids + [128_001]), "Hello<|end_of_text|><|end_of_text|>")
        XCTAssertEqual(tokenizer.encode(""), [])
        XCTAssertThrowsError(try TiktokenTokenizer(contentsOf: path, pattern: .llama3, bos: "<|nope|>"))
        XCTAssertThrowsError(try TiktokenTokenizer(contentsOf: path, pattern: .llama3, specialTokens: [("<|x|>", 5)]))
    }

    /// Long pieces go through the heap merge; tiktoken's answers for them are in the goldens,
    /// this checks the tokenizer is safe to share between threads.
    func testConcurrentEncodingGivesTheSameIds() throws {
        let tokenizer = try TiktokenTokenizer(rankFile: rankFile(validLines()), name: "small", pattern: .o200kBase)
        let texts = (0..<64).map { i in String(repeating: "hello world ", count: i) + String(repeating: "l", count: i * 40) }
        let expected = texts.map { tokenizer.encode($0) }
        let results = UnsafeMutableBufferPointer<[TokenID]>.allocate(capacity: texts.count)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: texts.count) { i in shared[i] = tokenizer.encode(texts[i]) }
        XCTAssertEqual(Array(results), expected)
    }
}
