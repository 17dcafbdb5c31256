import Foundation
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// The tokenizer's API beyond the goldens: vocabulary queries, the Tokenizer protocol, decoding
/// ids sentencepiece would refuse, and encoding from many threads at once.
final class SentencePieceTokenizerTests: XCTestCase {
    static func trained(_ name: String) throws -> SentencePieceTokenizer {
        try SentencePieceTokenizer(contentsOf: SentencePieceGoldenTests.goldenFolder.appendingPathComponent("sentencepiece_" + name + ".model").path)
    }

    func testVocabularyQueries() throws {
        let tokenizer = try Self.trained("bpe_user")
        XCTAssertEqual(tokenizer.vocabularySize, 1500)
        XCTAssertEqual(tokenizer.unkID, 0)
        XCTAssertEqual(tokenizer.bosID, 1)
        XCTAssertEqual(tokenizer.eosID, 2)
        XCTAssertNil(tokenizer.padID)
        XCTAssertEqual(tokenizer.piece(for: 0), "<unk>")
        XCTAssertEqual(tokenizer.piece(for: 1), "<s>")
        XCTAssertNil(tokenizer.piece(for: -1))
        XCTAssertNil(tokenizer.piece(for: 1500))
        XCTAssertEqual(tokenizer.pieceType(of: 0), .unknown)
        XCTAssertEqual(tokenizer.pieceType(of: 1), .control)
        let mask = try XCTUnwrap(tokenizer.id(forPiece: "<mask>"))
        XCTAssertEqual(tokenizer.pieceType(of: mask), .userDefined)
        XCTAssertEqual(tokenizer.piece(for: mask), "<mask>")
        let byteA = try XCTUnwrap(tokenizer.id(forPiece: "<0x41>"))
        XCTAssertEqual(tokenizer.pieceType(of: byteA), .byte)
        XCTAssertNil(tokenizer.id(forPiece: "no such piece"))
        for id in 0..<TokenID(tokenizer.vocabularySize) {
            XCTAssertEqual(tokenizer.id(forPiece: tokenizer.piece(for: id)!), id)
        }
        // The model stays available, as read.
        XCTAssertEqual(tokenizer.model.pieces.count, 1500)
        XCTAssertEqual(tokenizer.model.trainerSpec.modelType, .bpe)
    }

    func testDecodingEdges() throws {
        let tokenizer = try Self.trained("bpe_user")
        XCTAssertEqual(tokenizer.decode([]), [])
        // Ids outside the vocabulary decode as the unknown surface (sentencepiece refuses them).
        XCTAssertEqual(tokenizer.decodeString([-1, 99999]), " \u{2047}  \u{2047} ")
        // Byte pieces are reassembled; a byte that completes nothing becomes U+FFFD.
        let bytes = [0xC3, 0xA9, 0xFF].compactMap { tokenizer.id(forPiece: "<0x\(String(format: "%02X", $0))>") }
        XCTAssertEqual(bytes.count, 3)
        XCTAssertEqual(tokenizer.decodeString(bytes), "é\u{FFFD}")
        // Control pieces vanish.
        XCTAssertEqual(tokenizer.decodeString([1] + tokenizer.encode("the cat") + [2]), "the cat")
    }

    /// The Tokenizer protocol as other stages use it: bytes in, ids appended.
    func testTokenizerProtocol() throws {
        let tokenizers: [any Tokenizer] = [try Self.trained("bpe_user"), try Self.trained("unigram_nfkc_cf")]
        for tokenizer in tokenizers {
            var ids: [TokenID] = [42]
            let text = Array("Hello world".utf8)
            text.withUnsafeBufferPointer { tokenizer.encode($0, into: &ids) }
            XCTAssertEqual(ids.first, 42)
            XCTAssertEqual(Array(ids.dropFirst()), tokenizer.encode("Hello world"))
            XCTAssertEqual(tokenizer.decodeString(Array(ids.dropFirst())).lowercased(), "hello world")
            var empty: [TokenID] = []
            [UInt8]().withUnsafeBufferPointer { tokenizer.encode($0, into: &empty) }
            XCTAssertEqual(empty, [])
        }
    }

    /// Encoding from several threads at once gives the ids of one thread (each call borrows its
    /// own scratch space and segment cache).
    func testConcurrentEncoding() throws {
        var names = ["bpe_user", "unigram_nfkc_cf"]
        var tokenizers = try names.map { try Self.trained($0) }
        if let llama = try? TestSupport.corpora("tokenizers/llama2.c__tokenizer.model") {
            tokenizers.append(try SentencePieceTokenizer(contentsOf: llama))
            names.append("llama2")
        }
        var rng = SystemRandomNumberGenerator()
        let words = ["the", "cat", "sat", "on", "mat", "über", "日本語", "😀", "  ", "\u{FFFD}", "x1234", "ﬁne"]
        let lines: [String] = (0..<3000).map { _ in
            (0..<Int.random(in: 1...40, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
        }
        for (name, tokenizer) in zip(names, tokenizers) {
            let serial = lines.map { tokenizer.encode($0) }
            let results = ResultBox(count: lines.count)
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                for i in stride(from: worker, to: lines.count, by: 8) {
                    results.set(i, tokenizer.encode(lines[i]))
                }
            }
            XCTAssertEqual(results.values, serial, name)
        }
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [[TokenID]]
        init(count: Int) { values = Array(repeating: [], count: count) }
        func set(_ i: Int, _ ids: [TokenID]) {
            lock.lock()
            values[i] = ids
            lock.unlock()
        }
    }

    /// Long inputs (one call, hundreds of thousands of characters, with and without spaces) go
    /// through and decode back.
    func testLongInputs() throws {
        var tokenizers = [try Self.trained("bpe_user"), try Self.trained("unigram_identity")]
        if let llama = try? TestSupport.corpora("tokenizers/llama2.c__tokenizer.model") {
            tokenizers.append(try SentencePieceTokenizer(contentsOf: llama))
        }
        let word = String(repeating: "abcdefghij", count: 20_000)
        let spaced = Array(repeating: "the quick brown fox", count: 20_000).joined(separator: " ")
        for tokenizer in tokenizers {
            XCTAssertEqual(tokenizer.decodeString(tokenizer.encode(word)), word)
            XCTAssertEqual(tokenizer.decodeString(tokenizer.encode(spaced)), spaced)
        }
    }
}
