import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

/// TextCounts against values computed independently: Python on the real books and shards, and
/// a slow scalar-by-scalar reference in Swift on generated text.
final class TextCountsTests: XCTestCase {
    private func counts(_ bytes: [UInt8]) -> TextCounts {
        var c = TextCounts()
        bytes.withUnsafeBufferPointer { c.add(text: $0) }
        return c
    }

    private func counts(_ text: String) -> TextCounts {
        var c = TextCounts()
        c.add(text)
        return c
    }

    /// Unicode White_Space, written out from the property list (PropList.txt).
    static let whiteSpace: Set<UInt32> = Set(Array(0x09...0x0D) + [0x20, 0x85, 0xA0, 0x1680] + Array(0x2000...0x200A)
                                             + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000])

    /// The definition, one scalar at a time (valid UTF-8 only).
    private func reference(_ text: String) -> TextCounts {
        var words = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            if TextCountsTests.whiteSpace.contains(scalar.value) {
                inWord = false
            } else if !inWord {
                words += 1
                inWord = true
            }
        }
        let newlines = text.utf8.filter { $0 == 0x0A }.count
        let lines = newlines + (!text.isEmpty && text.utf8.last != 0x0A ? 1 : 0)
        return TextCounts(documents: 1, bytes: text.utf8.count, characters: text.unicodeScalars.count,
                          words: words, lines: lines)
    }

    func testSmallCases() {
        XCTAssertEqual(counts(""), TextCounts(documents: 1, bytes: 0, characters: 0, words: 0, lines: 0))
        XCTAssertEqual(counts("\n"), TextCounts(documents: 1, bytes: 1, characters: 1, words: 0, lines: 1))
        XCTAssertEqual(counts("a"), TextCounts(documents: 1, bytes: 1, characters: 1, words: 1, lines: 1))
        XCTAssertEqual(counts("a b\n"), TextCounts(documents: 1, bytes: 4, characters: 4, words: 2, lines: 1))
        XCTAssertEqual(counts("a\n\nb"), TextCounts(documents: 1, bytes: 4, characters: 4, words: 2, lines: 3))
        XCTAssertEqual(counts("  héllo,\twörld  \r\n"), TextCounts(documents: 1, bytes: 20, characters: 18, words: 2, lines: 1))
        XCTAssertEqual(counts("日本語 テキスト😀"), TextCounts(documents: 1, bytes: 26, characters: 9, words: 2, lines: 1))
    }

    func testEveryWhiteSpaceCharacterSeparatesWords() {
        for scalar in TextCountsTests.whiteSpace.sorted() {
            let s = "a\(UnicodeScalar(scalar)!)b"
            XCTAssertEqual(counts(s).words, 2, String(scalar, radix: 16))
            // Also at the start and end of 16-byte SIMD blocks and of the text.
            let padded = String(repeating: "x", count: 15) + String(UnicodeScalar(scalar)!) + String(repeating: "y", count: 15)
            XCTAssertEqual(counts(padded).words, 2, String(scalar, radix: 16))
            XCTAssertEqual(counts(String(UnicodeScalar(scalar)!)).words, 0, String(scalar, radix: 16))
        }
        // Not White_Space: information separators (Python's str.split() does split on these),
        // zero-width space and joiners, the Mongolian vowel separator, BOM; and the scalars whose
        // UTF-8 shares a prefix with a whitespace one.
        for scalar: UInt32 in [0x1C, 0x1D, 0x1E, 0x1F, 0x200B, 0x200C, 0x200D, 0x180E, 0xFEFF, 0x2060,
                               0x84, 0x86, 0x9F, 0xA1, 0x1681, 0x200F, 0x2027, 0x202A, 0x202E, 0x205E, 0x2060, 0x3001, 0x3040] {
            XCTAssertEqual(counts("a\(UnicodeScalar(scalar)!)b").words, 1, String(scalar, radix: 16))
        }
    }

    func testMatchesTheScalarReferenceOnGeneratedText() {
        // Pieces chosen to hit every branch: ASCII words and spaces, multibyte whitespace,
        // lookalike multibyte characters, 4-byte scalars, newlines; random lengths cross the
        // 16-byte blocks at every offset.
        let pieces = ["a", "word", " ", "  ", "\n", "\t", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}",
                      "\u{2007}", "\u{200A}", "\u{200B}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}", "\u{3001}",
                      "é", "中", "😀", "\u{1C}", "x y z", String(repeating: "long", count: 9), String(repeating: " ", count: 20)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 0..<24, using: &generator) { text += pieces.randomElement(using: &generator)! }
            XCTAssertEqual(counts(text), reference(text), text.debugDescription)
        }
    }

    func testInvalidUTF8IsCountedConsistently() {
        // Stray continuation bytes count no character but are word bytes; lone lead bytes count one.
        XCTAssertEqual(counts([0x80, 0x80]), TextCounts(documents: 1, bytes: 2, characters: 0, words: 1, lines: 1))
        XCTAssertEqual(counts([0x20, 0x80, 0x20, 0xFF, 0x20]), TextCounts(documents: 1, bytes: 5, characters: 4, words: 2, lines: 1))
        // A truncated whitespace sequence is not whitespace; a complete one after a bad byte is.
        XCTAssertEqual(counts([0x61, 0xE2, 0x80, 0x62]).words, 1)
        XCTAssertEqual(counts([0x61, 0xE2, 0xC2, 0xA0, 0x62]).words, 2)
        XCTAssertEqual(counts([0x61, 0xC2]).words, 1)
        XCTAssertEqual(counts([0x61, 0xE3, 0x80]).characters, 2)
        // The same bytes in any block position give the same counts.
        let bad: [UInt8] = [0x61, 0xE4, 0x20, 0xC3, 0x20, 0x80, 0x62, 0x0A, 0xF0, 0x9F, 0x98]
        let base = counts(bad)
        for pad in 0..<20 {
            let c = counts(Array(repeating: 0x20, count: pad) + bad)
            XCTAssertEqual(c.words, base.words)
            XCTAssertEqual(c.characters, base.characters + pad)
            XCTAssertEqual(c.lines, base.lines)
        }
    }

    func testRealBooksMatchPython() throws {
        // Whole Gutenberg files as one text each. Expected values from Python 3:
        //   s = b.decode('utf-8', 'surrogateescape')   # invalid bytes stay non-space
        //   bytes = len(b); characters = sum(x & 0xC0 != 0x80 for x in b)
        //   words = len([w for w in re.split('[White_Space]+', s) if w])
        //   lines = b.count(b'\n') + (b != b'' and not b.endswith(b'\n'))
        // On the valid UTF-8 files characters == len(s), and words == len(s.split()).
        let expected: [(String, Int, Int, Int, Int)] = [
            ("GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt", 173595, 167553, 29465, 3736),
            ("GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt", 226835, 226835, 33725, 7430), // Latin-1: invalid UTF-8
            ("GITenberg_La-Divina-Commedia-di-Dante__1012-0.txt", 626459, 601707, 100957, 20023),
            ("GITenberg_Moby-Dick--Or-The-Whale__moby10b.txt", 1256167, 1256167, 214112, 23244),
            ("GITenberg_Pride-and-Prejudice__1342-0.txt", 724725, 717617, 124592, 13427),
            ("LectorQuijote__pg2000.txt", 2225769, 2168000, 389641, 38054),
            ("sentencepiece__botchan.txt", 278779, 278777, 50738, 4288),
            ("sentencepiece__wagahaiwa_nekodearu.txt", 1120576, 377212, 2454, 2344),
        ]
        var total = TextCounts()
        for (name, bytes, characters, words, lines) in expected {
            let data = try Data(contentsOf: URL(fileURLWithPath: try TestSupport.corpora("books/\(name)")))
            let c = counts(Array(data))
            XCTAssertEqual(c, TextCounts(documents: 1, bytes: bytes, characters: characters, words: words, lines: lines), name)
            total += c
        }
        XCTAssertEqual(total.documents, expected.count)
        XCTAssertEqual(total.words, expected.reduce(0) { $0 + $1.3 })
    }

    func testRealShardsOnBothCores() throws {
        // Python: sum over json.loads(line)['text'] of len(t.encode()), len(t), White_Space words,
        // t.count('\n') + (t != '' and not t.endswith('\n')).
        let expected = [
            ("pretraining/dolma__cc_en_head-0091.jsonl.gz", TextCounts(documents: 10, bytes: 94424, characters: 94106, words: 16055, lines: 402)),
            ("pretraining/dolma__cc_en_head-0174.jsonl.gz", TextCounts(documents: 10, bytes: 61163, characters: 60897, words: 10350, lines: 237)),
        ]
        for (relative, want) in expected {
            let path = try TestSupport.corpora(relative)
            for threads in [1, 2] {
                let (c, errors) = try TextCounts.ofJSONL(reader: try Input.open(path), threads: threads)
                XCTAssertEqual(c, want, "\(relative), \(threads) threads")
                XCTAssertEqual(errors, [])
            }
        }
        // The bundled sample (committed with the package, so this part never skips).
        let sample = TestSupport.packageRoot.appendingPathComponent("Corpora/sample/books.jsonl.zst").path
        let (c, _) = try TextCounts.ofJSONL(reader: try Input.open(sample), threads: 2)
        XCTAssertEqual(c, TextCounts(documents: 32, bytes: 316194, characters: 311149, words: 54662, lines: 7151))
    }

    func testOfJSONLCountsMalformedLines() throws {
        var text = ""
        var want = TextCounts()
        for i in 0..<3000 {
            if i % 10 == 3 {
                text += "{oops \(i)\n"
            } else {
                let body = "doc \(i)\twith  words\u{3000}and é\n" + String(repeating: "x ", count: i % 7)
                want.add(body)
                text += JSONValue.object(["text": .string(body)]).serialized() + "\n"
            }
        }
        want.malformed = 300
        let (c, errors) = try TextCounts.ofJSONL(reader: ChunkedReader(Array(text.utf8), chunkSizes: [10_000, 3]),
                                                 threads: 2, maxErrorsKept: 3)
        XCTAssertEqual(c, want)
        XCTAssertEqual(errors.map(\.record), [4, 14, 24])
    }

    func testMerging() {
        let a = TextCounts(documents: 1, bytes: 2, characters: 3, words: 4, lines: 5, malformed: 6)
        let b = TextCounts(documents: 10, bytes: 20, characters: 30, words: 40, lines: 50, malformed: 60)
        XCTAssertEqual(a + b, TextCounts(documents: 11, bytes: 22, characters: 33, words: 44, lines: 55, malformed: 66))
        var c = a
        c.merge(b)
        c += TextCounts()
        XCTAssertEqual(c, a + b)
        XCTAssertEqual(c.description, "11 documents, 22 bytes, 33 characters, 44 words, 55 lines, 66 malformed")
        // Counting texts one by one equals counting groups and merging.
        var one = TextCounts(), left = TextCounts(), right = TextCounts()
        for s in ["a b", "c\n", "", "d  e f"] { one.add(s) }
        for s in ["a b", "c\n"] { left.add(s) }
        for s in ["", "d  e f"] { right.add(s) }
        XCTAssertEqual(one, left + right)
    }
}
