import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernBooks

/// Decoding and layout normalization, the boilerplate rules one by one, Aozora markup.
final class BookTextTests: XCTestCase {
    private func normalized(_ bytes: [UInt8]) -> (String, BookEncoding) {
        let (text, encoding) = bytes.withUnsafeBufferPointer { BookText.normalize($0) }
        return (String(decoding: text, as: UTF8.self), encoding)
    }

    func testUTF8WithBOMAndLineEndings() {
        let input: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("Café\r\nline  \r\n\u{0C}next\rlast\t \nend\u{00}\u{07}!".utf8)
        let (text, encoding) = normalized(input)
        XCTAssertEqual(encoding, .utf8)
        XCTAssertEqual(text, "Café\nline\n\nnext\nlast\nend!")
        // Controls between trailing blanks, a lone CR after blanks, CRLF in windows-1252 text.
        XCTAssertEqual(normalized(Array("tail \u{07}  \r\nx  \ry\u{0C}\u{0C}z".utf8)).0, "tail\nx\ny\n\nz")
        XCTAssertEqual(normalized([0x41, 0xE9, 0x20, 0x0D, 0x0A, 0x42, 0x0C]).0, "Aé\nB\n")
    }

    func testWindows1252WhenNotUTF8() {
        // "Café “quoted” – 5€" in windows-1252, CRLF.
        let input: [UInt8] = [0x43, 0x61, 0x66, 0xE9, 0x20, 0x93, 0x71, 0x75, 0x6F, 0x74, 0x65, 0x64, 0x94, 0x20, 0x96,
                              0x20, 0x35, 0x80, 0x0D, 0x0A]
        let (text, encoding) = normalized(input)
        XCTAssertEqual(encoding, .windows1252)
        XCTAssertEqual(text, "Café “quoted” – 5€\n")
    }

    func testWindows1252TableAgreesWithFoundation() {
        // Every byte on its own after an invalid-UTF-8 trigger (0xFF): the table against
        // Foundation's own windows-1252 and Latin-1 decoders.
        for byte in 0x20...0xFF where byte != 0x7F {
            let (text, _) = normalized([0xFF, UInt8(byte), 0x7C])
            let expected: String
            if let s = String(data: Data([UInt8(byte)]), encoding: .windowsCP1252), byte >= 0xA0 || byte < 0x80 || s.unicodeScalars.first!.value > 0xFF {
                expected = "ÿ" + s
            } else if byte >= 0x80 && byte < 0xA0 {
                expected = "ÿ\u{FFFD}"  // the five bytes windows-1252 leaves undefined
            } else {
                expected = "ÿ" + String(Character(Unicode.Scalar(UInt8(byte))))
            }
            XCTAssertEqual(text, expected + "|", "byte 0x\(String(byte, radix: 16))")
        }
    }

    func testUTF8WithStrayLatin1BytesKeepsItsUTF8() {
        // "Faust – Tragödie" in UTF-8 with one stray Latin-1 "é" (0xE9) and a cp1252 quote (0x93).
        let input = Array("Faust – Tragödie ".utf8) + [0xE9, 0x20, 0x93] + Array("ok".utf8)
        let (text, encoding) = normalized(input)
        XCTAssertEqual(encoding, .mixed)
        XCTAssertEqual(text, "Faust – Tragödie é “ok")
        // Latin-1 only: no well-formed sequence anywhere.
        XCTAssertEqual(normalized([0x54, 0x72, 0x61, 0x67, 0xF6, 0x64, 0x69, 0x65]).1, .windows1252)
    }

    func testMalformedUTF8FallsBackToWindows1252() {
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x82, 0x82, 0xAC], [0x80]] {
            XCTAssertFalse(bad.withUnsafeBufferPointer(BookText.isValidUTF8), "\(bad)")
            XCTAssertEqual(normalized(Array("a".utf8) + bad).1, .windows1252, "\(bad)")
        }
        for good in ["😀 ok", "é", "\u{10FFFF}", "€", "ascii"] {
            XCTAssertTrue(Array(good.utf8).withUnsafeBufferPointer(BookText.isValidUTF8), good)
        }
    }

    private func clean(_ text: String) -> CleanedText {
        GutenbergCleaner.clean(Array(text.utf8))
    }
    private func body(_ c: CleanedText) -> String { String(decoding: c.text, as: UTF8.self) }

    func testNoMarkersPassThrough() {
        let c = clean("A poem\n  with indent\n\n\n\nSecond stanza.\nIt mentions the end of the road.\n")
        XCTAssertEqual(c.generation, .none)
        XCTAssertEqual(body(c), "A poem\n  with indent\n\nSecond stanza.\nIt mentions the end of the road.")
        XCTAssertEqual(c.droppedBodyLines, 0)
        // No markers, no metadata taken from the text.
        let novel = clean("Title: a chapter heading\nShe read book #3 of the series.\n")
        XCTAssertEqual(novel.generation, .none)
        XCTAssertNil(novel.metadata.title)
        XCTAssertNil(novel.metadata.ebookNumber)
    }

    func testEndMarkerOnlyAndTranslatedEndLines() {
        let c = clean("Chapter 1\n\nThe tale.\n\nFin del Proyecto Gutenberg de Cuentos\n\nLicence text here.\n")
        XCTAssertEqual(c.generation, .endOnly)
        XCTAssertEqual(body(c), "Chapter 1\n\nThe tale.")
        let history = clean("*** START OF THE PROJECT GUTENBERG EBOOK X ***\nEnd of the Gutenberg era.\nMore history.\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\n")
        XCTAssertEqual(body(history), "End of the Gutenberg era.\nMore history.")
        let licence = clean("Header\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\nBody line.\n\n*** START: FULL LICENSE ***\nTerms.\n")
        XCTAssertEqual(licence.generation, .startOfThe)
        XCTAssertEqual(body(licence), "Body line.")
        XCTAssertTrue(licence.endMarker)
    }

    func testHeaderMetadataAndContinuationLines() {
        let c = clean("""
            The Project Gutenberg EBook of Some Title, by Some One

            Title: Some Title
                   With A Subtitle

            Author: Some One

            Release Date: May 5, 2005 [EBook #12345]

            Language: French

            *** START OF THIS PROJECT GUTENBERG EBOOK SOME TITLE ***

            Text.
            """)
        XCTAssertEqual(c.metadata.title, "Some Title With A Subtitle")
        XCTAssertEqual(c.metadata.author, "Some One")
        XCTAssertEqual(c.metadata.language, "fr")
        XCTAssertEqual(c.metadata.releaseDate, "May 5, 2005")
        XCTAssertEqual(c.metadata.ebookNumber, 12345)
        XCTAssertEqual(body(c), "Text.")
        // Without "Title:" lines, the first line names title and author.
        let old = clean("**The Project Gutenberg Etext of Old Book, by Old Author**\n\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\nBody.\n")
        XCTAssertEqual(old.metadata.title, "Old Book")
        XCTAssertEqual(old.metadata.author, "Old Author")
        XCTAssertEqual(old.generation, .smallPrint1990s)
        XCTAssertEqual(body(old), "Body.")
    }

    func testCreditsInALongParagraphLoseOnlyTheirLine() {
        // A book without blank lines (one paragraph): only the credit line goes.
        var lines = ["*** START OF THIS PROJECT GUTENBERG EBOOK X ***", "Produced by Some Volunteers and the Online", "Distributed Proofreading Team", "TITLE"]
        lines += (1...30).map { "Line \($0) of the story." }
        lines += ["End of Project Gutenberg's X, by Y"]
        let c = clean(lines.joined(separator: "\n"))
        XCTAssertEqual(body(c), (["TITLE"] + (1...30).map { "Line \($0) of the story." }).joined(separator: "\n"))
        XCTAssertEqual(c.droppedBodyLines, 2)
    }

    func testTranscribersNoteSectionRunsToTheNextWideGap() {
        let c = clean("""
            *** START OF THE PROJECT GUTENBERG EBOOK X ***

            Transcriber's Note:

            Obvious typos were fixed.

            Italics are shown as _this_.




            CHAPTER I

            It began.



            CHAPTER II

            It ended.
            """)
        XCTAssertEqual(body(c), "CHAPTER I\n\nIt began.\n\nCHAPTER II\n\nIt ended.")
    }

    func testStrayLicenceParagraphInTheBody() {
        let c = clean("""
            *** START OF THE PROJECT GUTENBERG EBOOK X ***

            First paragraph.

            This eBook is for the use of anyone anywhere. Visit www.gutenberg.org
            for the Project Gutenberg License.

            Last paragraph, about Gutenberg's printing press.

            *** END OF THE PROJECT GUTENBERG EBOOK X ***
            """)
        XCTAssertEqual(body(c), "First paragraph.\n\nLast paragraph, about Gutenberg's printing press.")
    }

    func testAozoraMarkup() {
        var counts = AozoraCleaner.Counts()
        let line = Array("一番｜獰悪《どうあく》な※［＃「言＋墟のつくり」、第4水準2-88-74］種族［＃「種族」に傍点］だ。《未閉".utf8)
        let out = line.withUnsafeBufferPointer { AozoraCleaner.stripMarkup($0, counts: &counts) }
        // An unclosed ruby bracket is text, not markup.
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "一番獰悪な種族だ。《未閉")
        XCTAssertEqual(counts.rubies, 1)
        XCTAssertEqual(counts.annotations, 1)
        XCTAssertEqual(counts.unencodedCharacters, 1)

        // Accent decomposition inside 〔〕 (the examples of Aozora's own legend and table).
        var accents = AozoraCleaner.Counts()
        func strip(_ s: String) -> String {
            let out = Array(s.utf8).withUnsafeBufferPointer { AozoraCleaner.stripMarkup($0, counts: &accents) }
            return String(decoding: out, as: UTF8.self)
        }
        XCTAssertEqual(strip("〔Quid aliud est mulier nisi amicitiae& inimica〕と"), "Quid aliud est mulier nisi amicitiæ inimicaと")
        XCTAssertEqual(strip("〔Ve'ritable, garc,on, Ma:dchen, Stras&e, Nin~o〕"), "Véritable, garçon, Mädchen, Straße, Niño")
        XCTAssertEqual(strip("〔一〕は見出し"), "〔一〕は見出し")  // no Latin letters: ordinary brackets
        // An annotation inside the span (as in the corpus text).
        XCTAssertEqual(strip("〔mulier nisi amicitiae&［＃「〔amicitiae&〕」は底本では「amiticiae」］ inimica〕……"),
                       "mulier nisi amicitiæ inimica……")
        XCTAssertEqual(accents.accentedSpans, 3)
    }
}
