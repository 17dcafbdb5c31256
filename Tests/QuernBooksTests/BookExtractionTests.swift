import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernBooks

final class MemoryWriter: ByteWriter {
    var bytes: [UInt8] = []
    var finished = false
    func write(_ chunk: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: chunk) }
    func finish() throws { finished = true }
}

/// The whole job over mixed inputs (texts, a zip of texts, compressed text, EPUBs, JSONL) and
/// damaged copies made here: truncated zip, missing and empty spine documents, broken XHTML.
final class BookExtractionTests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }
    private func sh(_ script: String) throws { _ = try TestSupport.run(["sh", "-c", script]) }

    /// An EPUB rebuilt from `epub` after `edit` changed its unpacked files.
    private func rebuilt(_ epub: String, as name: String, edit: (URL) throws -> Void) throws -> String {
        let folder = scratch.appendingPathComponent(name + ".d")
        try sh("mkdir -p '\(folder.path)' && cd '\(folder.path)' && unzip -q '\(epub)'")
        try edit(folder)
        let out = path(name)
        try sh("cd '\(folder.path)' && zip -q -X '\(out)' mimetype && zip -q -X -r '\(out)' . -x mimetype")
        return out
    }

    private func chapter(_ folder: URL, _ suffix: String) throws -> URL {
        let oebps = folder.appendingPathComponent("OEBPS")
        let name = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: oebps.path).first { $0.hasSuffix(suffix) })
        return oebps.appendingPathComponent(name)
    }

    func testMixedInputsInOrderWithDamageReported() throws {
        let books = try TestSupport.corpora("books")
        let alice = books + "/GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt"
        let faust = books + "/GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt"
        let pride = books + "/GITenberg_Pride-and-Prejudice__1342-0.txt"
        let pg11 = books + "/Word-embeddings-assignment1__pg11.epub"
        let dolma = try TestSupport.corpora("pretraining/dolma__cc_en_head-0091.jsonl.gz")

        let zip = path("texts.zip")
        try sh("zip -q -j '\(zip)' '\(alice)' '\(faust)'")
        let gz = path("pride.txt.gz")
        try sh("gzip -c '\(pride)' > '\(gz)'")
        let truncated = path("truncated.epub")
        let original = try Data(contentsOf: URL(fileURLWithPath: pg11))
        try original.prefix(original.count * 2 / 3).write(to: URL(fileURLWithPath: truncated))
        // Broken XHTML: a chapter cut in the middle of a tag. Recover mode keeps what is there.
        var cutChapterText = ""
        let broken = try rebuilt(pg11, as: "broken.epub") { folder in
            let file = try chapter(folder, "11-h-3.htm.html")
            let bytes = try Data(contentsOf: file)
            let cut = bytes.prefix(bytes.count / 2) + Data("<p>an unclosed <b><i>paragraph <span cla".utf8)
            try cut.write(to: file)
            cutChapterText = String(decoding: bytes, as: UTF8.self)
        }
        XCTAssertTrue(cutChapterText.contains("A Caucus-Race"))
        let empty = try rebuilt(pg11, as: "empty-chapter.epub") { folder in
            try Data().write(to: try chapter(folder, "11-h-5.htm.html"))
        }
        let missing = try rebuilt(pg11, as: "missing-chapter.epub") { folder in
            try FileManager.default.removeItem(at: try chapter(folder, "11-h-7.htm.html"))
        }
        let jsonl = path("dump.jsonl")
        try Data("{\"id\":\"b1\",\"text\":\"A book from a dump.\"}\nnot json\n{\"text\":\"Kept source.\",\"source\":\"pg19\"}\n".utf8)
            .write(to: URL(fileURLWithPath: jsonl))
        let absent = path("absent.txt")

        let inputs = [alice, zip, gz, truncated, broken, empty, missing, pg11, jsonl, dolma, absent]
        let writer = MemoryWriter()
        var reported: [QuernIOError] = []
        var options = BookExtractionOptions()
        options.threads = 2
        let report = try BookExtraction.run(inputs: inputs, options: options, writer: writer) { reported.append($0) }
        let documents = try String(decoding: writer.bytes, as: UTF8.self).split(separator: "\n")
            .map { try Document(jsonLine: String($0)) }

        // Order: input order, books of a zip in entry order.
        XCTAssertEqual(documents.map(\.id), ["gutenberg-11", "gutenberg-11", "gutenberg-2229", "gutenberg-1342",
                                             "gutenberg-11", "gutenberg-11", "b1", ""] + documents.suffix(10).map(\.id))
        XCTAssertEqual(documents.count, 8 + 10)
        XCTAssertEqual(documents[1].metadata["kind"]?.stringValue, "zip")
        XCTAssertEqual(documents[1].metadata["file"]?.stringValue, "texts.zip:GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt")
        XCTAssertEqual(documents[2].metadata["encoding"]?.stringValue, "windows-1252")
        XCTAssertEqual(documents[3].metadata["kind"]?.stringValue, "txt")  // gzip is a codec, not a kind
        XCTAssertEqual(documents[1].text, documents[0].text)
        // The broken chapter: its first half is there, nothing after the cut, the rest of the book intact.
        let brokenBook = documents[4].text, intact = documents[5].text
        XCTAssertTrue(brokenBook.contains("CHAPTER III."))
        XCTAssertTrue(brokenBook.contains("an unclosed paragraph"))
        XCTAssertTrue(brokenBook.hasSuffix("the happy summer days.\n\nTHE END"))
        XCTAssertLessThan(brokenBook.utf8.count, intact.utf8.count)
        XCTAssertGreaterThan(brokenBook.utf8.count, intact.utf8.count * 9 / 10)
        XCTAssertEqual(documents[6].source, "books")
        XCTAssertEqual(documents[7].source, "pg19")
        XCTAssertTrue(documents.suffix(10).allSatisfy { $0.source == "common-crawl" })

        // Damage: truncated zip, empty and missing spine documents, an absent file; a bad JSONL line.
        XCTAssertEqual(report.errors, 4, "\(report.firstErrors)")
        XCTAssertEqual(report.jsonlMalformedLines, 1)
        let messages = reported.map(\.description)
        XCTAssertEqual(reported.count, 5)
        XCTAssertTrue(messages.contains { $0.hasPrefix(truncated) && $0.contains("end-of-central-directory") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix(empty) && $0.contains("11-h-5.htm.html") && $0.contains("byte offset") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix(missing) && $0.contains("11-h-7.htm.html") && $0.contains("not in the archive") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix(absent) }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix(jsonl) && $0.contains("record 2") }, "\(messages)")

        XCTAssertEqual(report.files, inputs.count)
        XCTAssertEqual(report.filesByKind[.txt], 2)
        XCTAssertEqual(report.filesByKind[.zip], 1)
        // The truncated archive cannot be told apart (its directory is gone): it has no kind.
        XCTAssertEqual(report.filesByKind[.epub], 4)
        XCTAssertEqual(report.filesByKind[.jsonl], 2)
        XCTAssertEqual(report.documentsByKind[.txt], 2)
        XCTAssertEqual(report.documentsByKind[.zip], 2)
        XCTAssertEqual(report.documentsByKind[.epub], 2)
        XCTAssertEqual(report.documentsByKind[.jsonl], 12)
        XCTAssertEqual(report.documentsWritten, documents.count)
        XCTAssertEqual(report.generations[.startOfThis], 4)
        XCTAssertEqual(report.generations[.epubSections], 2)
        XCTAssertEqual(report.bytesOut, Int64(writer.bytes.count))
        let json = report.json
        XCTAssertEqual(json["files_by_kind"]?["epub"]?.intValue, 4)
        XCTAssertEqual(json["boilerplate"]?["pg-2000s-start-of-this"]?.intValue, 4)
        XCTAssertEqual(json["errors"]?.intValue, 4)
    }

    func testDocumentsAreTheSameOnOneThreadAndMany() throws {
        let books = try TestSupport.corpora("books")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: books).sorted().map { books + "/" + $0 }
        var outputs: [[UInt8]] = []
        for threads in [1, 4] {
            let writer = MemoryWriter()
            var options = BookExtractionOptions()
            options.threads = threads
            let report = try BookExtraction.run(inputs: inputs, options: options, writer: writer)
            XCTAssertEqual(report.errors, 0)
            XCTAssertEqual(report.documentsWritten, inputs.count)
            XCTAssertEqual(report.generations[.none] ?? 0, 0)
            outputs.append(writer.bytes)
        }
        XCTAssert(outputs[0] == outputs[1])
    }
}

final class ZipOfTextsAndXHTMLTests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// A damaged entry of a zip of texts costs that book only, reported with file, entry, offset.
    func testDamagedEntryOfAZipOfTexts() throws {
        let books = try TestSupport.corpora("books")
        let zip = scratch.appendingPathComponent("two.zip").path
        _ = try TestSupport.run(["zip", "-q", "-j", zip, books + "/GITenberg_Pride-and-Prejudice__1342-0.txt",
                                 books + "/sentencepiece__botchan.txt", books + "/OmniParser__alice-in-wonderland.epub"])
        let archive = try ZipArchive(path: zip)
        let pride = try XCTUnwrap(archive.entries.first)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        bytes[Int(pride.localHeaderOffset) + 30 + pride.name.utf8.count + 5000] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: zip))

        let writer = MemoryWriter()
        var errors: [QuernIOError] = []
        let report = try BookExtraction.run(inputs: [zip], writer: writer) { errors.append($0) }
        XCTAssertEqual(report.errors, 1)
        XCTAssertEqual(errors.first?.file, zip)
        XCTAssertTrue(errors.first?.description.contains("GITenberg_Pride-and-Prejudice__1342-0.txt") == true, "\(errors)")
        XCTAssertNotNil(errors.first?.offset)
        // The .epub inside a zip of texts is not a text: only botchan comes out.
        XCTAssertEqual(report.documentsWritten, 1)
        let document = try Document(jsonLine: String(decoding: writer.bytes.dropLast(), as: UTF8.self))
        XCTAssertEqual(document.id, "gutenberg-8868")
        XCTAssertEqual(document.metadata["file"]?.stringValue, "two.zip:sentencepiece__botchan.txt")
    }

    private func blocks(_ xhtml: String) throws -> String {
        let bytes = Array(xhtml.utf8)
        let doc = try XCTUnwrap(EPUBReader.parseStrictXML(bytes, name: "t.xhtml") ?? EPUBReader.parseHTML(bytes, name: "t.xhtml"))
        defer { xmlFreeDocument(doc) }
        var writer = BlockWriter()
        writer.walk(EPUBReader.rootElement(doc), depth: 0)
        writer.flush()
        return String(decoding: writer.out, as: UTF8.self)
    }

    func testXHTMLBlocks() throws {
        let page = """
            <?xml version="1.0" encoding="utf-8"?>
            <html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title><style>p {}</style></head>
            <body><section class="pg-boilerplate" id="pg-header"><p>The Project Gutenberg eBook</p></section>
            <h2>CHAPTER I.<br/>  Down the   Rabbit-Hole</h2>
            <p>Alice was <i>beginning</i><span class="pagenum">[Pg 7]</span> to get&#160;very
               tired.</p>
            <div class="poem"><div class="stanza"><span>Line one,</span><br/><span>  line two.</span></div></div>
            <pre>  kept   as
              is</pre>
            <table><tr><td>CHAPTER II.</td><td>The Pool</td></tr></table>
            <div class="transnote"><p>Typos fixed.</p></div>
            <div><h3>Transcriber’s Notes:</h3><p>Page numbers removed.</p></div>
            <ul><li>one</li><li>two</li></ul>
            </body></html>
            """
        XCTAssertEqual(try blocks(page), """
            CHAPTER I.
            Down the Rabbit-Hole

            Alice was beginning to get very tired.

            Line one,
            line two.

              kept   as
              is

            CHAPTER II. The Pool

            one

            two
            """)
        // Tag soup with an HTML entity goes through the HTML parser.
        XCTAssertEqual(try blocks("<html><body><p>Caf&eacute; &amp; more<p>second<br>line</body></html>"),
                       "Café & more\n\nsecond\nline")
    }
}
