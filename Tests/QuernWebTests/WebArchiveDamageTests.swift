import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernWeb

/// Damaged copies of a real Common Crawl WARC (50 records, one gzip member each), made at run
/// time: the damaged record is reported with its offset and counted, every other record is read.
final class WebArchiveDamageTests: XCTestCase {
    var dir: URL!
    var gzBytes: [UInt8] = []
    var reference: [WebRecord] = []
    var plainBytes: [UInt8] = []
    var plainOffsets: [Int] = []  // record starts in the decompressed file, plus its end

    override func setUpWithError() throws {
        let source = try TestSupport.corpora("web/resiliparse__warcfile.warc.gz")
        dir = try TestSupport.scratchFolder()
        gzBytes = try Array(Data(contentsOf: URL(fileURLWithPath: source)))
        reference = try WebArchiveReaderTests.readAll(source).records
        XCTAssertEqual(reference.count, 50)
        plainBytes = try Input.open(source).readAll()
        let plain = try WebArchiveReaderTests.readAll(try write(plainBytes, "plain.warc"))
        plainOffsets = plain.records.map { Int($0.offset) } + [plainBytes.count]
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func member(_ k: Int) -> Range<Int> {
        Int(reference[k].offset)..<Int(reference[k].offset + reference[k].length!)
    }

    /// Checks that exactly the records `missing` are gone, and the issues are `issues`.
    func check(_ read: WebArchiveReaderTests.Read, missing: Set<Int>, issues: [WebArchiveIssue],
               file: StaticString = #filePath, line: UInt = #line) {
        let expected = reference.enumerated().filter { !missing.contains($0.offset) }.map(\.element.recordID)
        let got = read.records.map(\.recordID)
        XCTAssertEqual(got.count, expected.count, file: file, line: line)
        XCTAssertTrue(got == expected, "records differ: missing \(Set(expected.map { $0 ?? "" }).subtracting(got.map { $0 ?? "" }))", file: file, line: line)
        XCTAssertEqual(read.issues.map(\.0), issues, "\(read.issues.map { "\($0.1)" })", file: file, line: line)
        for (_, error) in read.issues {
            XCTAssertNotNil(error.offset, file: file, line: line)
            XCTAssertTrue(error.file.hasPrefix(dir.path), file: file, line: line)
        }
        XCTAssertEqual(read.stats.issueCount, issues.count, file: file, line: line)
    }

    // MARK: gzip members

    func testTruncatedMemberInTheMiddle() throws {
        let m = member(10)
        let cut = m.count / 2
        let bytes = Array(gzBytes[..<(m.lowerBound + cut)] + gzBytes[m.upperBound...])
        let read = try WebArchiveReaderTests.readAll(try write(bytes, "cut.warc.gz"))
        check(read, missing: [10], issues: [read.issues.first?.0 == .truncatedMember ? .truncatedMember : .corruptMember])
        XCTAssertEqual(read.issues.first?.1.offset, Int64(m.lowerBound))
        // The records after it keep their (shifted) member offsets.
        XCTAssertEqual(read.records[10].offset, reference[11].offset - Int64(m.count - cut))
        XCTAssertTrue(read.records[10].offsetIsCompressed)
    }

    func testFileCutInsideTheLastMember() throws {
        let m = member(49)
        let read = try WebArchiveReaderTests.readAll(try write(Array(gzBytes[..<(m.lowerBound + m.count / 3)]), "end.warc.gz"))
        check(read, missing: [49], issues: [.truncatedMember])
        XCTAssertEqual(read.issues[0].1.offset, Int64(m.lowerBound))
        XCTAssertEqual(read.issues[0].1.kind, .truncated)
    }

    func testFileCutInsideTheLastHeaderIsOneDamage() throws {
        // Cut where the decoded part ends inside the WARC header: one truncated member, not also
        // a "bad header" for the half line it decoded to.
        let m = member(49)
        let read = try WebArchiveReaderTests.readAll(try write(Array(gzBytes[..<(m.upperBound - 200)]), "header.warc.gz"))
        check(read, missing: [49], issues: [.truncatedMember])
        XCTAssertEqual(read.issues[0].1.offset, Int64(m.lowerBound))
    }

    func testCorruptDeflateData() throws {
        let m = member(20)
        var bytes = gzBytes
        for i in stride(from: m.lowerBound + 40, to: m.lowerBound + 80, by: 3) { bytes[i] ^= 0x5A }
        let read = try WebArchiveReaderTests.readAll(try write(bytes, "corrupt.warc.gz"))
        check(read, missing: [20], issues: [.corruptMember])
        XCTAssertEqual(read.issues[0].1.offset, Int64(m.lowerBound))
    }

    func testGarbageBetweenMembers() throws {
        let garbage = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 32) }.filter { $0 != 0x1f }
        let at = member(5).lowerBound
        let bytes = Array(gzBytes[..<at]) + garbage + Array(gzBytes[at...])
        let read = try WebArchiveReaderTests.readAll(try write(bytes, "garbage.warc.gz"))
        check(read, missing: [], issues: [.garbage])
        XCTAssertEqual(read.issues[0].1.offset, Int64(at))
        XCTAssertEqual(read.records[5].offset, Int64(at + garbage.count))
    }

    func testTrailingZeroPaddingIsNotDamage() throws {
        let read = try WebArchiveReaderTests.readAll(try write(gzBytes + [UInt8](repeating: 0, count: 512), "pad.warc.gz"))
        check(read, missing: [], issues: [])
    }


    func plainRecord(_ k: Int) -> [UInt8] { Array(plainBytes[plainOffsets[k]..<plainOffsets[k + 1]]) }

    /// Rewrites the Content-Length of plain record `k`.
    func withContentLength(_ k: Int, _ change: (Int) -> String) -> [UInt8] {
        let text = String(decoding: plainRecord(k), as: UTF8.self)
        let header = text.components(separatedBy: "\r\n\r\n")[0]
        let line = header.components(separatedBy: "\r\n").first { $0.hasPrefix("Content-Length:") }!
        let n = Int(line.dropFirst("Content-Length:".count).trimmingCharacters(in: .whitespaces))!
        let bytes = plainRecord(k)
        let range = bytes.firstRange(of: Array(line.utf8))!
        return Array(bytes[..<range.lowerBound]) + Array("Content-Length: \(change(n))".utf8) + Array(bytes[range.upperBound...])
    }

    func testWrongContentLengthInAGzipMember() throws {
        var records = (0..<50).map(plainRecord)
        records[7] = withContentLength(7) { String($0 + 100) }
        records[30] = withContentLength(30) { String($0 - 100) }
        let read = try WebArchiveReaderTests.readAll(try write(try ARCReaderTests.gzipMembers(records, in: dir), "len.warc.gz"))
        check(read, missing: [7, 30], issues: [.wrongContentLength, .wrongContentLength])
        XCTAssertTrue(read.records.allSatisfy(\.offsetIsCompressed))
    }

    // MARK: Plain WARC

    func plain(_ edit: (inout [[UInt8]]) -> Void) throws -> WebArchiveReaderTests.Read {
        var records = (0..<50).map(plainRecord)
        edit(&records)
        return try WebArchiveReaderTests.readAll(try write(Array(records.joined()), "edited.warc"))
    }

    func testWrongContentLengthInPlainWARC() throws {
        var read = try plain { $0[12] = withContentLength(12) { String($0 * 2) } }
        check(read, missing: [12], issues: [.wrongContentLength])
        XCTAssertEqual(read.issues[0].1.offset, Int64(plainOffsets[12]))
        read = try plain { $0[12] = withContentLength(12) { String($0 / 2) } }
        check(read, missing: [12], issues: [.wrongContentLength])
        read = try plain { $0[3] = withContentLength(3) { _ in "0" } }
        check(read, missing: [3], issues: [.wrongContentLength])
    }

    func testContentLengthPastTheEnd() throws {
        // In the middle: the block swallows the rest of the file, the records inside are found again.
        var read = try plain { $0[25] = withContentLength(25) { _ in "99999999" } }
        check(read, missing: [25], issues: [.truncatedRecord])
        XCTAssertEqual(read.issues[0].1.offset, Int64(plainOffsets[25]))
        read = try plain { $0[49] = withContentLength(49) { String($0 + 10) } }
        check(read, missing: [49], issues: [.truncatedRecord])
    }

    func testBadHeaders() throws {
        var read = try plain { r in
            r[4] = Array(String(decoding: r[4], as: UTF8.self).replacingOccurrences(of: "Content-Length:", with: "Content-Lenxth:").utf8)
        }
        check(read, missing: [4], issues: [.badHeader])
        read = try plain { r in r[8] = Array("WARC/x.y".utf8) + r[8].dropFirst(8) }
        check(read, missing: [8], issues: [.badHeader])
        read = try plain { r in r[9] = Array("WARC/1.0\r\nWARC-Type: response\r\nno colon here\r\n".utf8) + r[9].dropFirst(10) }
        check(read, missing: [9], issues: [.badHeader])
        XCTAssertEqual(read.issues[0].1.kind, .malformedRecord)
    }

    func testGarbageBetweenPlainRecords() throws {
        let read = try plain { r in r[15] = Array("\r\nnot a record at all\r\n\u{1}\u{2} binary\n".utf8) + r[15] }
        check(read, missing: [], issues: [.garbage])
    }

    /// One flipped byte anywhere in a plain WARC costs at most the record it lands in.
    func testRandomFlipsInPlainWARC() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<40 {
            var bytes = plainBytes
            // Half the rounds hit the header lines or the separators, where damage matters.
            let k = Int.random(in: 0..<50, using: &generator)
            let at = round % 2 == 0 ? Int.random(in: 0..<plainBytes.count, using: &generator)
                : plainOffsets[k] + Int.random(in: 0..<300, using: &generator)
            bytes[at] ^= UInt8.random(in: 1...255, using: &generator)
            let read = try WebArchiveReaderTests.readAll(try write(bytes, "flip\(round).warc"))
            let hit = plainOffsets.lastIndex { $0 <= at }!
            let ids = Set(read.records.map(\.recordID))
            for (i, r) in reference.enumerated() where i != hit {
                XCTAssertTrue(ids.contains(r.recordID), "round \(round): flip at \(at) in record \(hit) lost record \(i)")
            }
            XCTAssertLessThanOrEqual(read.issues.count, 2, "round \(round): \(read.issues.map { "\($0.1)" })")
        }
    }

    func testWholeFileGarbageEnds() throws {
        var generator = SystemRandomNumberGenerator()
        for i in 0..<20 {
            let n = Int.random(in: 0...5000, using: &generator)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if i % 2 == 0, !bytes.isEmpty { bytes[0] = 0x1f; if bytes.count > 1 { bytes[1] = 0x8b } }
            let path = try write(bytes, "random\(i)")
            guard let reader = try? WebArchiveReader(path: path) else { continue }
            var n2 = 0
            while reader.next() != nil { n2 += 1 }
            XCTAssertEqual(n2, 0)
        }
    }

    /// Random damage anywhere in the gzip file: no crash, no hang, and every member not touched by
    /// the damage still gives its record.
    func testRandomByteDamage() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<10 {
            var bytes = gzBytes
            let k = Int.random(in: 0..<50, using: &generator)
            let m = member(k)
            let at = Int.random(in: (m.lowerBound + 12)..<(m.upperBound - 8), using: &generator)
            bytes[at] ^= 0xFF
            let read = try WebArchiveReaderTests.readAll(try write(bytes, "rand\(round).warc.gz"))
            let ids = Set(read.records.map(\.recordID))
            for (i, r) in reference.enumerated() where i != k { XCTAssertTrue(ids.contains(r.recordID), "round \(round) record \(i)") }
            XCTAssertLessThanOrEqual(read.issues.count, 1)
        }
    }
}

/// WARC versions and limits no corpus file shows, built from the specifications.
final class WARCVersionTests: XCTestCase {
    static func record(_ version: String, type: String, uri: String, body: String, lineEnd: String = "\r\n") -> String {
        ["\(version)", "WARC-Type: \(type)", "WARC-Target-URI: \(uri)", "WARC-Date: 2008-01-01T00:00:00Z",
         "WARC-Record-ID: <urn:uuid:\(uri.count)>", "Content-Type: text/html", "Content-Length: \(body.utf8.count)", ""]
            .joined(separator: lineEnd) + lineEnd + body + lineEnd + lineEnd
    }

    func testVersionsLineEndsAndOversizedBlocks() throws {
        let dir = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = Self.record("WARC/1.1", type: "resource", uri: "http://a/", body: "<html>1.1</html>")
            + Self.record("WARC/0.17", type: "resource", uri: "http://bb/", body: "<html>0.17</html>")
            + Self.record("WARC/1.0", type: "resource", uri: "http://ccc/", body: "<html>LF only</html>", lineEnd: "\n")
            + Self.record("WARC/1.0", type: "resource", uri: "http://dddd/", body: String(repeating: "x", count: 5000))
            + Self.record("WARC/1.0", type: "continuation", uri: "http://eeeee/", body: "rest")
        let path = dir.appendingPathComponent("v.warc").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let reader = try WebArchiveReader(path: path, maxBlockBytes: 4096)
        var issues: [String] = []
        reader.onIssue = { issues.append("\($1)") }
        let records = Array(reader)
        XCTAssertEqual(issues, [])
        XCTAssertEqual(records.map(\.version), ["WARC/1.1", "WARC/0.17", "WARC/1.0", "WARC/1.0", "WARC/1.0"])
        XCTAssertEqual(records.map(\.kind), [.resource, .resource, .resource, .resource, .continuation])
        XCTAssertEqual(String(decoding: records[2].block, as: UTF8.self), "<html>LF only</html>")
        XCTAssertTrue(records[3].blockOmitted)
        XCTAssertEqual(records[3].declaredLength, 5000)
        XCTAssertEqual(records[4].block, Array("rest".utf8))
        XCTAssertEqual(records.map(\.offset), records.indices.map { i in
            Int64(records[..<i].reduce(0) { $0 + Int($1.length!) }) })
        let reasons = records.map { r -> String in
            if case .skip(let why) = WebContent.classify(r) { return why.rawValue } else { return "text" }
        }
        XCTAssertEqual(reasons, ["text", "text", "text", "block too large", "continuation"])
    }
}
