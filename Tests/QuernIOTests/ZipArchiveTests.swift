import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

/// ZipArchive against Info-ZIP's `unzip` on the real EPUBs and on archives made by `zip`
/// (stored, deflated, empty entries, folders, zip64, prepended bytes), and damaged copies.
final class ZipArchiveTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// Every file entry equals `unzip -p`; the names equal `zipinfo -1`.
    private func assertMatchesUnzip(_ zip: String, file: StaticString = #filePath, line: UInt = #line) throws -> ZipArchive {
        let archive = try ZipArchive(path: zip)
        let names = String(decoding: try TestSupport.run(["zipinfo", "-1", zip]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(archive.entries.map(\.name), names, "\(zip): entry names", file: file, line: line)
        for entry in archive.entries where !entry.isDirectory {
            let expected = try TestSupport.run(["unzip", "-p", zip, entry.name])
            let actual = try archive.read(entry)
            XCTAssert(actual == expected, "\(zip): '\(entry.name)' differs from unzip -p (\(actual.count) vs \(expected.count) bytes)",
                      file: file, line: line)
        }
        return archive
    }

    func testRealEPUBsMatchUnzip() throws {
        for name in ["OmniParser__alice-in-wonderland.epub", "OmniParser__moby-dick.epub", "Word-embeddings-assignment1__pg11.epub"] {
            let epub = try TestSupport.corpora("books/" + name)
            let archive = try assertMatchesUnzip(epub)
            XCTAssertGreaterThan(archive.entries.count, 20, name)
            // EPUB rule: "mimetype" first and stored.
            XCTAssertEqual(archive.entries.first?.name, "mimetype", name)
            XCTAssertEqual(archive.entries.first?.method, 0, name)
            XCTAssertEqual(try archive.read(named: "mimetype").map { String(decoding: $0, as: UTF8.self) }, "application/epub+zip")
            XCTAssertTrue(archive.entries.contains { $0.method == 8 }, "\(name) has deflated entries")
        }
    }

    func testArchivesMadeByZip() throws {
        let folder = scratch.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub/deeper"), withIntermediateDirectories: true)
        let text = try Data(contentsOf: URL(fileURLWithPath: TestSupport.corpora("books/GITenberg_Pride-and-Prejudice__1342-0.txt")))
        try text.write(to: folder.appendingPathComponent("book.txt"))
        try Data().write(to: folder.appendingPathComponent("empty.txt"))
        try Data("héllo wörld\n".utf8).write(to: folder.appendingPathComponent("sub/deeper/ünïcode name.txt"))
        var random = SystemRandomNumberGenerator()
        try Data((0..<70_000).map { _ in UInt8.random(in: 0...255, using: &random) }).write(to: folder.appendingPathComponent("sub/noise.bin"))
        for (name, flags) in [("deflated.zip", ["-r", "-q"]), ("stored.zip", ["-r", "-q", "-0"]),
                              ("zip64.zip", ["-r", "-q", "-fz"]), ("best.zip", ["-r", "-q", "-9"])] {
            let zip = path(name)
            _ = try TestSupport.run(["sh", "-c", "cd '\(folder.path)' && zip \(flags.joined(separator: " ")) '\(zip)' ."])
            let archive = try assertMatchesUnzip(zip)
            XCTAssertTrue(archive.entries.contains { $0.isDirectory }, name)
            let book = try XCTUnwrap(archive.entry(named: "book.txt"))
            XCTAssertEqual(book.uncompressedSize, Int64(text.count))
            XCTAssertEqual(book.method, name == "stored.zip" ? 0 : 8, name)
            XCTAssertEqual(try archive.read(named: "empty.txt"), [])
            XCTAssertEqual(try archive.read(named: "sub/deeper/ünïcode name.txt"), Array("héllo wörld\n".utf8))
        }
        // Bytes prepended to an archive (a self-extractor stub): offsets shift, entries still read.
        let shifted = path("shifted.zip")
        var bytes = Data(repeating: 0x41, count: 1000)
        bytes.append(try Data(contentsOf: URL(fileURLWithPath: path("deflated.zip"))))
        try bytes.write(to: URL(fileURLWithPath: shifted))
        let archive = try ZipArchive(path: shifted)
        XCTAssertEqual(try archive.read(named: "book.txt"), Array(text))
    }

    /// Offset of the central directory record of `name` (found by its signature and name).
    private func findCentralEntry(in data: Data, named name: String) -> Int? {
        let bytes = [UInt8](data), nameBytes = Array(name.utf8)
        var i = 0
        while i + 46 < bytes.count {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 1, bytes[i + 3] == 2 {
                let n = Int(bytes[i + 28]) | Int(bytes[i + 29]) << 8
                if n == nameBytes.count, Array(bytes[(i + 46)..<(i + 46 + n)]) == nameBytes { return i }
            }
            i += 1
        }
        return nil
    }

    func testDamagedArchivesFailClearly() throws {
        let epub = try TestSupport.corpora("books/OmniParser__alice-in-wonderland.epub")
        let original = try Data(contentsOf: URL(fileURLWithPath: epub))
        let good = try ZipArchive(path: epub)
        let chapter = try XCTUnwrap(good.entries.first { $0.name.hasSuffix("11-h-5.htm.xhtml") })

        // Truncated: the central directory at the end is gone.
        let truncated = path("truncated.epub")
        try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: truncated))
        XCTAssertThrowsError(try ZipArchive(path: truncated)) { error in
            let e = error as? QuernIOError
            XCTAssertEqual(e?.kind, .truncated)
            XCTAssertEqual(e?.file, truncated)
            XCTAssertTrue(e?.description.contains("end-of-central-directory") == true, "\(error)")
        }

        // A flipped byte inside one deflated entry: that entry fails (corrupt data or CRC), naming
        // the entry and an offset inside the file; the other entries still read.
        var flipped = original
        let dataOffset = Int(chapter.localHeaderOffset) + 30 + chapter.name.utf8.count + 200
        flipped[dataOffset] ^= 0x55
        flipped[dataOffset + 1] ^= 0xAA
        let flippedPath = path("flipped.epub")
        try flipped.write(to: URL(fileURLWithPath: flippedPath))
        let damaged = try ZipArchive(path: flippedPath)
        XCTAssertThrowsError(try damaged.read(XCTUnwrap(damaged.entry(named: chapter.name)))) { error in
            let e = error as? QuernIOError
            XCTAssertEqual(e?.kind, .corrupt)
            XCTAssertTrue(e?.description.contains(chapter.name) == true, "\(error)")
            XCTAssertNotNil(e?.offset)
            XCTAssertGreaterThanOrEqual(e?.offset ?? 0, chapter.localHeaderOffset)
        }
        for entry in damaged.entries where entry.name != chapter.name && !entry.isDirectory {
            XCTAssertEqual(try damaged.read(entry), try good.read(entry), entry.name)
        }

        // A directory pointing at a local header that is not there.
        var badHeader = original
        let at = Int(chapter.localHeaderOffset)
        badHeader[at] = 0x00
        let badHeaderPath = path("bad-header.epub")
        try badHeader.write(to: URL(fileURLWithPath: badHeaderPath))
        XCTAssertThrowsError(try ZipArchive(path: badHeaderPath).read(XCTUnwrap(good.entries.first { $0.name == chapter.name }))) { error in
            XCTAssertTrue("\(error)".contains("no local header signature"), "\(error)")
            XCTAssertEqual((error as? QuernIOError)?.offset, chapter.localHeaderOffset)
        }

        // A directory entry declaring an impossible uncompressed size (2 GB from a few KB).
        var inflated = original
        let directoryEntry = try XCTUnwrap(findCentralEntry(in: inflated, named: chapter.name))
        for k in 0..<4 { inflated[directoryEntry + 24 + k] = [0x00, 0x00, 0x00, 0x7F][k] }
        let inflatedPath = path("inflated.epub")
        try inflated.write(to: URL(fileURLWithPath: inflatedPath))
        let lying = try ZipArchive(path: inflatedPath)
        XCTAssertThrowsError(try lying.read(XCTUnwrap(lying.entry(named: chapter.name)))) { error in
            XCTAssertTrue("\(error)".contains("more than deflate can produce"), "\(error)")
        }

        // Not a zip at all, and an empty file.
        let text = path("plain.txt")
        try Data("just text, no archive\n".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try ZipArchive(path: text))
        let empty = path("empty.zip")
        try Data().write(to: URL(fileURLWithPath: empty))
        XCTAssertThrowsError(try ZipArchive(path: empty))
    }
}
