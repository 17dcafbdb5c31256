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
