import XCTest
@testable import QuernTokenizer

/// The hand-written pre-tokenizers on cases whose pieces were taken from Oniguruma (tokenizers'
/// `Split(Regex(pattern), "isolated")`), and the merge loop's two algorithms against each other.
/// (The goldens check pieces and ids on thousands more cases.)
final class PreTokenizerTests: XCTestCase {
    func check(_ pattern: PreTokenizerPattern, _ text: String, _ expected: [String],
               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(pattern.pieces(text), expected, "\(pattern.rawValue) \(text.debugDescription)", file: file, line: line)
    }

    func testGPT2() {
        check(.gpt2, "Hello world", ["Hello", " world"])
        check(.gpt2, "  leading", [" ", " leading"])
        check(.gpt2, "a  \t b", ["a", "  \t", " b"])
        check(.gpt2, "I'M don't WE'LL x'ſ", ["I", "'", "M", " don", "'t", " WE", "'", "LL", " x", "'", "ſ"])
        check(.gpt2, "1234567 ٣٤", ["1234567", " ٣٤"])
        check(.gpt2, "hello\n  ", ["hello", "\n  "])
        check(.gpt2, "x /\ny !!\n\n//", ["x", " /", "\n", "y", " !!", "\n", "\n", "//"])
        check(.gpt2, "e\u{301}t\u{e9} \u{301}a", ["e", "\u{301}", "t\u{e9}", " \u{301}", "a"])
    }

    func testCl100kAndLlama3() {
        for pattern in [PreTokenizerPattern.cl100kBase, .llama3] {
            check(pattern, "I'M don't WE'LL x'ſ", ["I", "'M", " don", "'t", " WE", "'LL", " x", "'ſ"])
            check(pattern, "1234567 ٣٤", ["123", "456", "7", " ", "٣٤"])
            check(pattern, "x /\ny !!\n\n//", ["x", " /\n", "y", " !!\n\n", "//"])
            check(pattern, "e\u{301}t\u{e9} \u{301}a", ["e", "\u{301}t\u{e9}", " \u{301}", "a"])
            check(pattern, "HTTPServer camelCase ÀBC iPhone", ["HTTPServer", " camelCase", " ÀBC", " iPhone"])
        }
        // The one difference: a final whitespace run holding a newline.
        check(.cl100kBase, "hello\n  ", ["hello", "\n  "])
        check(.llama3, "hello\n  ", ["hello", "\n", "  "])
        check(.cl100kBase, "a \n\n", ["a", " \n\n"])
        check(.llama3, "a \n\n", ["a", " \n\n"])
    }

    func testO200k() {
        check(.o200kBase, "I'M don't WE'LL x'ſ", ["I'M", " don't", " WE'LL", " x'ſ"])
        check(.o200kBase, "HTTPServer camelCase ÀBC iPhone", ["HTTPServer", " camel", "Case", " ÀBC", " i", "Phone"])
        check(.o200kBase, "x /\ny !!\n\n//", ["x", " /\n", "y", " !!\n\n//"])
        check(.o200kBase, "e\u{301}t\u{e9} \u{301}a", ["e\u{301}t\u{e9}", " \u{301}a"])
        check(.o200kBase, "hello\n  ", ["hello", "\n", "  "])
    }

    func testPiecesTileTheTextAndPresetsRoundTripTheirRegexes() {
        let text = "Mixed: 12345, été, 日本語, 👍🏽 and\r\n\tmore  \n"
        for pattern in PreTokenizerPattern.allCases {
            XCTAssertEqual(pattern.pieces(text).joined(), text)
            XCTAssertEqual(PreTokenizerPattern(name: pattern.rawValue), pattern)
            XCTAssertEqual(PreTokenizerPattern(onigurumaRegex: pattern.onigurumaRegex), pattern)
        }
        // tiktoken's own cl100k spelling means something else to Oniguruma.
        XCTAssertNil(PreTokenizerPattern(onigurumaRegex: PreTokenizerPattern.cl100kBase.regex))
        XCTAssertNil(PreTokenizerPattern(name: "r50k_base"))
    }

    func testForEachPieceRepairsInvalidUTF8() {
        var pieces: [[UInt8]] = []
        let bytes: [UInt8] = Array("ab ".utf8) + [0xFF, 0xFE] + Array(" cd".utf8)
        bytes.withUnsafeBufferPointer { buffer in
            PreTokenizerPattern.llama3.forEachPiece(in: buffer) { pieces.append(Array($0)) }
        }
        XCTAssertEqual(pieces.map { String(decoding: $0, as: UTF8.self) }, ["ab", " \u{FFFD}\u{FFFD}", " cd"])
    }

    /// The heap merge (long pieces) picks the same pairs as tiktoken's linear scan.
    func testHeapMergeEqualsLinearMerge() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            // A random vocabulary over 6 symbols: random pairs merge into new ids at random ranks.
            var merges: [UInt64: UInt64] = [:]
            var next: UInt32 = 6
            for rank in 0..<40 {
                let a = UInt32.random(in: 0..<next, using: &generator), b = UInt32.random(in: 0..<next, using: &generator)
                let key = UInt64(a) << 32 | UInt64(b)
                if merges[key] == nil {
                    // Equal ranks for different pairs happen in tiktoken (two splits of one token).
                    let sharedRank = round % 3 == 0 && rank > 0 ? UInt64(rank / 2) : UInt64(rank)
                    merges[key] = sharedRank << 32 | UInt64(round % 3 == 0 && rank > 0 ? 6 + UInt32(rank / 2) : next)
                    next += 1
                }
            }
            let table = ByteLevelMergeTable(merges)
            let count = Int.random(in: 2...300, using: &generator)
            let input = (0..<count).map { _ in UInt32.random(in: 0..<6, using: &generator) }
            var linear = input, heap = input
            let n1 = linear.withUnsafeMutableBufferPointer { buffer in
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { ranks in
                    ByteLevelMerge.linear(buffer.baseAddress!, ranks.baseAddress!, count, table.view)
                }
            }
            let n2 = heap.withUnsafeMutableBufferPointer { ByteLevelMerge.heap($0.baseAddress!, count, table.view) }
            XCTAssertEqual(Array(linear.prefix(n1)), Array(heap.prefix(n2)), "round \(round)")
        }
    }

    func testInvalidUTF8IsRepairedAsPythonDoes() {
        func repaired(_ bytes: [UInt8]) -> [UInt8] {
            bytes.withUnsafeBufferPointer { buffer in
                ByteLevelUTF8.withValid(buffer) { p, n in Array(UnsafeBufferPointer(start: p, count: n)) } ?? []
            }
        }
        let fffd: [UInt8] = [0xEF, 0xBF, 0xBD]
        XCTAssertEqual(repaired(Array("plain é 👍".utf8)), Array("plain é 👍".utf8))
        XCTAssertEqual(repaired([0x61, 0xFF, 0x62]), [0x61] + fffd + [0x62])
        // b"\xed\xa0\x80".decode("utf-8", "replace") == "\ufffd\ufffd\ufffd"
        XCTAssertEqual(repaired([0xED, 0xA0, 0x80]), fffd + fffd + fffd)
        // b"\xe2\x82".decode("utf-8", "replace") == "\ufffd" (one maximal subpart)
        XCTAssertEqual(repaired([0xE2, 0x82]), fffd)
        XCTAssertEqual(repaired([0xF0, 0x9F, 0x98, 0x41]), fffd + [0x41])
        XCTAssertEqual(repaired([0xC0, 0xAF]), fffd + fffd)
        for valid in ["\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}"] {
            let bytes = Array(valid.utf8)
            XCTAssertTrue(bytes.withUnsafeBufferPointer { ByteLevelUTF8.isValid($0.baseAddress!, $0.count) }, valid.debugDescription)
        }
        XCTAssertFalse([0xF4, 0x90, 0x80, 0x80].withUnsafeBufferPointer { ByteLevelUTF8.isValid($0.baseAddress!, 4) })
    }

    func testByteLevelAlphabet() {
        XCTAssertEqual(ByteLevelAlphabet.string(for: Array(" the\n".utf8)), "ĠtheĊ")
        XCTAssertEqual(ByteLevelAlphabet.bytes(of: "ĠtheĊ"), Array(" the\n".utf8))
        XCTAssertNil(ByteLevelAlphabet.bytes(of: "▁the"))
        let all = ByteLevelAlphabet.string(for: (0...255).map { UInt8($0) })
        XCTAssertEqual(ByteLevelAlphabet.bytes(of: all), (0...255).map { UInt8($0) })
        XCTAssertEqual(Set(ByteLevelAlphabet.scalars).count, 256)
    }
}
