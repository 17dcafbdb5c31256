import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernBooks

/// Every file of the shared books corpus: no licence text survives, the body starts and ends
/// where a reader finds it (expected strings taken by reading each file by hand), the header's
/// metadata reaches the document, and the same book from .txt and from .epub gives nearly the
/// same text.
final class BooksCorpusTests: XCTestCase {
    struct Expected {
        var id: String
        var title: String
        var author: String
        var language: String
        var generation: BoilerplateGeneration
        var encoding: BookEncoding = .utf8
        /// The text starts with this (the body's first lines, header gone).
        var opening: String
        /// The first sentence of the prose, somewhere near the start.
        var firstSentence: String
        /// The text ends with this (the body's last lines, footer gone).
        var ending: String
        /// Boilerplate of this book that must be gone (credits, notes, colophons).
        var gone: [String] = []
        /// Body text that must stay (a last verse followed by an edition's appendix).
        var kept: [String] = []
    }

    static let expected: [String: Expected] = [
        "GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt": Expected(
            id: "gutenberg-11", title: "Alice’s Adventures in Wonderland", author: "Lewis Carroll", language: "en",
            generation: .startOfThis,
            opening: "ALICE’S ADVENTURES IN WONDERLAND\n\nLewis Carroll\n\nTHE MILLENNIUM FULCRUM EDITION 3.0",
            firstSentence: "Alice was beginning to get very tired of sitting by her sister on the\nbank",
            ending: "remembering her own child-life, and the happy summer days.\n\n              THE END"),
        "GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt": Expected(
            id: "gutenberg-2229", title: "Faust: Der Tragödie erster Teil", author: "Johann Wolfgang von Goethe",
            language: "de", generation: .startOfThis, encoding: .windows1252,
            opening: "  Faust: Der Tragödie erster Teil\n\n  Johann Wolfgang von Goethe\n\n  Zueignung.",
            firstSentence: "  Ihr naht euch wieder, schwankende Gestalten,\n  Die früh sich einst dem trüben Blick gezeigt.",
            ending: "  STIMME (von innen, verhallend):\n  Heinrich!  Heinrich!",
            gone: ["Produced by Michael Pullen", "Dieses Buch wurde uns freundlicherweise", "German Gutenberg Projekt",
                   "Ende dieses Projekt Gutenberg Etextes"]),
        "GITenberg_La-Divina-Commedia-di-Dante__1012-0.txt": Expected(
            id: "gutenberg-1012", title: "La Divina Commedia di Dante", author: "Dante Alighieri", language: "it",
            generation: .startOfThis,
            opening: "  LA DIVINA COMMEDIA\n  di Dante Alighieri\n\n  INFERNO\n\n  Inferno • Canto I",
            firstSentence: "  Nel mezzo del cammin di nostra vita\n  mi ritrovai per una selva oscura,",
            // The edition's table of special characters follows the last verse and is kept.
            ending: "      — = em dash\n\n      • = middot\n\n  . . . = ellipsis",
            gone: ["Produced by an anonymous Project Gutenberg volunteer", "version by Al Haines"],
            kept: ["  ma già volgeva il mio disio e ’l velle,\n  sì come rota ch’igualmente è mossa,\n\n  l’amor che move il sole e l’altre stelle.\n\n  - - - -",
                   "  TAVOLA DEI CARATTERI SPECIALI\n  TABLE OF SPECIAL CHARACTERS"]),
        "GITenberg_Moby-Dick--Or-The-Whale__moby10b.txt": Expected(
            id: "gutenberg-2701", title: "Moby Dick; or The Whale", author: "Herman Melville", language: "",
            generation: .smallPrint1990s,
            opening: "MOBY DICK; OR THE WHALE\n\nby Herman Melville\n\nETYMOLOGY.",
            firstSentence: "Call me Ishmael.  Some years ago--never mind how long",
            ending: "in\nher retracing search after her missing children, only found another\norphan.",
            gone: ["This etext was prepared by Daniel Lazarus", "Notes on this etext", "we substituted a capital L",
                   "Virginia Tech", "End of this Project Gutenberg etext"]),
        "GITenberg_Pride-and-Prejudice__1342-0.txt": Expected(
            id: "gutenberg-1342", title: "Pride and Prejudice", author: "Jane Austen", language: "en",
            generation: .startOfThis,
            opening: "PRIDE AND PREJUDICE\n\nBy Jane Austen\n\nChapter 1\n\nIt is a truth universally acknowledged",
            firstSentence: "It is a truth universally acknowledged, that a single man in possession\nof a good fortune, must be in want of a wife.",
            ending: "who, by bringing\nher into Derbyshire, had been the means of uniting them.",
            gone: ["Produced by Anonymous Volunteers"]),
        "LectorQuijote__pg2000.txt": Expected(
            id: "gutenberg-2000", title: "Don Quijote", author: "Miguel de Cervantes Saavedra", language: "es",
            generation: .startOfThe,
            opening: "El ingenioso hidalgo don Quijote de la Mancha\n\npor Miguel de Cervantes Saavedra",
            firstSentence: "En un lugar de la Mancha, de cuyo nombre no quiero acordarme, no ha mucho",
            ending: "van ya tropezando, y han de caer del todo, sin duda alguna. Vale.\n\nFin",
            gone: ["Updated editions will replace"]),
        "sentencepiece__botchan.txt": Expected(
            id: "gutenberg-8868", title: "Botchan (Master Darling)", author: "Kin-nosuke Natsume", language: "en",
            generation: .startOfThis,
            opening: "BOTCHAN (MASTER DARLING)\nBy The Late Mr. Kin-nosuke Natsume\nTRANSLATED By Yasotaro Morri",
            firstSentence: "No translation can expect to equal, much less to excel, the original.",
            ending: "[Q: stumblieg]\n[R: Rad]",
            gone: ["Produced by David Starner", "Online Distributed Proofreading Team"]),
        "sentencepiece__wagahaiwa_nekodearu.txt": Expected(
            id: "sentencepiece__wagahaiwa_nekodearu.txt", title: "吾輩は猫である", author: "夏目漱石", language: "ja",
            generation: .aozora,
            opening: "一\n\u{3000}吾輩は猫である。名前はまだ無い。",
            firstSentence: "しかもあとで聞くとそれは書生という人間中で一番獰悪な種族であったそうだ。",
            ending: "太平は死ななければ得られぬ。南無阿弥陀仏南無阿弥陀仏。ありがたいありがたい。",
            gone: ["【テキスト中に現れる記号について】", "《", "》", "［＃", "｜", "※", "底本", "青空文庫", "入力：", "校正：", "〔Quid"],
            kept: ["「何だって？　Quid aliud est mulier nisi amicitiæ inimica……こりゃ君羅甸語じゃないか」"]),
        "OmniParser__alice-in-wonderland.epub": Expected(
            id: "gutenberg-11", title: "Alice's Adventures in Wonderland", author: "Lewis Carroll", language: "en",
            generation: .epubSections,
            opening: "Alice’s Adventures in Wonderland\n\nby Lewis Carroll\n\nTHE MILLENNIUM FULCRUM EDITION 3.0",
            firstSentence: "Alice was beginning to get very tired of sitting by her sister on the bank",
            ending: "remembering her own child-life, and the happy summer days.\n\nTHE END",
            gone: ["Credits", "Arthur DiBianca", "Most recently updated"]),
        "Word-embeddings-assignment1__pg11.epub": Expected(
            id: "gutenberg-11", title: "Alice's Adventures in Wonderland", author: "Lewis Carroll", language: "en",
            generation: .epubSections,
            opening: "Alice’s Adventures in Wonderland\n\nby Lewis Carroll\n\nTHE MILLENNIUM FULCRUM EDITION 3.0",
            firstSentence: "Alice was beginning to get very tired of sitting by her sister on the bank",
            ending: "remembering her own child-life, and the happy summer days.\n\nTHE END",
            gone: ["Credits", "Most recently updated"]),
        "OmniParser__moby-dick.epub": Expected(
            id: "gutenberg-2701", title: "Moby Dick; Or, The Whale", author: "Herman Melville", language: "en",
            generation: .epubSections,
            opening: "MOBY-DICK;\nor, THE WHALE.\n\nBy Herman Melville\n\nCONTENTS",
            firstSentence: "Call me Ishmael. Some years ago—never mind how long",
            ending: "It was the devious-cruising Rachel, that in her retracing search after her missing children, only found another orphan.",
            gone: ["Daniel Lazarus", "Most recently updated", "Original Transcriber", "ERIS project"]),
    ]

    /// Licence and header phrases of every Gutenberg generation (case-insensitive).
    static let licencePhrases = [
        "project gutenberg", "gutenberg.org", "gutenberg.net", "gutenberg-tm", "gutenberg™", "small print",
        "start of this", "start of the project", "end of this project", "end of the project", "full license",
        "literary archive foundation", "gutenberg literary", "this ebook is for the use of anyone",
        "this etext", "public domain etexts", "*** start", "*** end", "refund", "trademark",
        "character set encoding", "release date", "posting date",
    ]

    static func extractAll() throws -> [String: ExtractedBook] {
        let folder = try TestSupport.corpora("books")
        var books: [String: ExtractedBook] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() {
            let path = folder + "/" + name
            let kind = try Books.sniff(path)
            let (extracted, errors) = try Books.extract(path: path, kind: kind)
            XCTAssertEqual(errors.count, 0, name)
            XCTAssertEqual(extracted.count, 1, name)
            books[name] = extracted.first
        }
        return books
    }

    func testEveryBookOfTheCorpus() throws {
        let books = try Self.extractAll()
        // A new file in the corpus needs its expectations here.
        XCTAssertEqual(Set(books.keys), Set(Self.expected.keys))
        for (name, book) in books.sorted(by: { $0.key < $1.key }) {
            guard let e = Self.expected[name] else { continue }
            let d = book.document
            let text = d.text
            XCTAssertTrue(text.hasPrefix(e.opening), "\(name): starts with \(text.prefix(200).debugDescription)")
            XCTAssertTrue(text.hasSuffix(e.ending), "\(name): ends with \(text.suffix(200).debugDescription)")
            let firstRange = try XCTUnwrap(text.range(of: e.firstSentence), "\(name): first sentence missing")
            // Front matter (etymology, prologues, a translator's note) may come first, not more.
            XCTAssertLessThan(text.distance(from: text.startIndex, to: firstRange.lowerBound), 60_000,
                              "\(name): first sentence far from the start")
            for phrase in e.kept {
                XCTAssertNotNil(text.range(of: phrase), "\(name): '\(phrase)' lost")
            }
            let lowered = text.lowercased()
            for phrase in Self.licencePhrases {
                XCTAssertNil(lowered.range(of: phrase), "\(name): licence phrase '\(phrase)' survived")
            }
            for phrase in e.gone {
                XCTAssertNil(text.range(of: phrase), "\(name): '\(phrase)' survived")
            }
            // Normalized layout: LF only, no trailing spaces, no runs of blank lines, no BOM.
            XCTAssertFalse(text.contains("\r"), name)
            XCTAssertFalse(text.contains(" \n"), name)
            XCTAssertFalse(text.contains("\n\n\n"), name)
            XCTAssertFalse(text.hasPrefix("\u{FEFF}"), name)
            XCTAssertFalse(text.unicodeScalars.contains("\u{FFFD}"), "\(name): replacement characters")
            // Metadata.
            XCTAssertEqual(d.id, e.id, name)
            XCTAssertEqual(d.source, "books", name)
            XCTAssertEqual(d.title, e.title, name)
            XCTAssertEqual(d.metadata["author"]?.stringValue, e.author, name)
            XCTAssertEqual(d.metadata["language"]?.stringValue ?? "", e.language, name)
            XCTAssertEqual(book.generation, e.generation, name)
            XCTAssertEqual(book.encoding, e.encoding, name)
            XCTAssertEqual(d.metadata["boilerplate"]?.stringValue, e.generation.rawValue, name)
            if e.id.hasPrefix("gutenberg-") {
                XCTAssertEqual(d.url, "https://www.gutenberg.org/ebooks/" + e.id.dropFirst(10), name)
            }
            // The body is most of the book: a cleaner that cut too much would fail here.
            XCTAssertGreaterThan(text.utf8.count, book.bytesIn / (name.hasSuffix(".epub") ? 4 : 2), "\(name): body too small")
        }
        XCTAssertEqual(books["LectorQuijote__pg2000.txt"]?.document.metadata["release_date"]?.stringValue, "December 1, 1999")
        XCTAssertEqual(books["GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt"]?.document.metadata["declared_encoding"]?.stringValue, "ISO-8859-1")
        XCTAssertEqual(books["sentencepiece__botchan.txt"]?.document.metadata["translator"]?.stringValue, "Yasotaro Morri")
        XCTAssertEqual(books["OmniParser__moby-dick.epub"]?.document.metadata["release_date"]?.stringValue, "2001-07-01")
    }

    /// The same book from .txt and .epub: at least 95% of each side's word 5-grams (lower-cased
    /// letters and digits only, so quote styles and line breaks do not count) are in the other.
    func testTextAndEPUBOfTheSameBookAgree() throws {
        let books = try Self.extractAll()
        func shingles(_ text: String) -> Set<[Substring]> {
            let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }
            var set = Set<[Substring]>()
            if words.count >= 5 { for i in 0...(words.count - 5) { set.insert(Array(words[i..<(i + 5)])) } }
            return set
        }
        let txt = shingles(try XCTUnwrap(books["GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt"]).document.text)
        for name in ["OmniParser__alice-in-wonderland.epub", "Word-embeddings-assignment1__pg11.epub"] {
            let epub = shingles(try XCTUnwrap(books[name]).document.text)
            let shared = Double(txt.intersection(epub).count)
            XCTAssertGreaterThanOrEqual(shared / Double(txt.count), 0.95, "\(name): txt 5-grams found in the epub")
            XCTAssertGreaterThanOrEqual(shared / Double(epub.count), 0.95, "\(name): epub 5-grams found in the txt")
        }
        // The measure tells different books apart.
        let moby = shingles(try XCTUnwrap(books["OmniParser__moby-dick.epub"]).document.text)
        XCTAssertLessThan(Double(txt.intersection(moby).count) / Double(txt.count), 0.05)
    }
}
