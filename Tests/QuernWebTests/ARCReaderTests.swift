import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernWeb

/// ARC files (IA ARC v1 and v2). No ARC file is among the shared corpora: the first two records of
/// a real Heritrix 1.0.5 ARC v1 file (warcio's test/data/space-in-url.arc, Apache-2.0), rebuilt
/// byte for byte — its declared lengths 1406 and 149 check that — plus records built from the spec.
final class ARCReaderTests: XCTestCase {
    static let realARCHead = #"""
filedesc://E04-CRAWL-51-20040925000741-00424-crawling001.archive.org.arc 0.0.0.0 20040925000741 text/plain 1406
1 1 InternetArchive
URL IP-address Archive-date Content-type Archive-length
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<arcmetadata xmlns="http://archive.org/arc/1.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:arc="http://archive.org/arc/1.0/" xsi:schemaLocation="http://archive.org/arc/1.0/ http://www.archive.org/arc/1.0/arc.xsd">
<arc:software>Heritrix 1.0.5-20040923164426 http://crawler.archive.org</arc:software>
<arc:hostname>crawling001.archive.org</arc:hostname>
<arc:ip>209.237.234.249</arc:ip>
<dcterms:isPartOf>E04-CRAWL-51</dcterms:isPartOf>
<dc:description>E04-CRAWL-51</dc:description>
<arc:operator>Igor Ranitovic, Dan Avery</arc:operator>
<dc:publisher>Internet Archive</dc:publisher>
<dcterms:audience>Library of Congress</dcterms:audience>
<dc:date xsi:type="dcterms:W3CDTF">2004-09-24T03:57:23+00:00</dc:date>
<arc:http-header-user-agent>Mozilla/5.0 (compatible; archive.org_bot/1.0.5-20040923164426 +http://www.loc.gov/minerva/crawl.html)</arc:http-header-user-agent>
<arc:http-header-from>archive-crawler-agent@lists.sourceforge.net</arc:http-header-from>
<arc:robots>ignore</arc:robots>
<dc:format>ARC file version 1.1</dc:format>
<dcterms:conformsTo xsi:type="dcterms:URI">http://www.archive.org/web/researcher/ArcFileFormat.php</dcterms:conformsTo>
</arcmetadata>


"""#

    /// The second record: its HTTP header lines end in CRLF (the declared 149 bytes = 129 bytes of
    /// CRLF-terminated header + the 20-byte body), its block is followed by one LF.
    static let realSecondRecord = spacedURL + " 65.36.164.67 20040925001013 text/html 149\n"
        + ["HTTP/1.1 400 Bad Request", "Content-Type: text/html", "Date: Sat, 25 Sep 2004 00:12:16 GMT",
           "Connection: close", "Content-Length: 20", "", "<h1>Bad Request</h1>"].joined(separator: "\r\n") + "\n"

    static var realHead: [UInt8] { Array((realARCHead + realSecondRecord).utf8) }

    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// One gzip member per part, concatenated (as crawlers write archives).
    static func gzipMembers(_ parts: [[UInt8]], in dir: URL) throws -> [UInt8] {
        var out: [UInt8] = []
        for (i, p) in parts.enumerated() {
            let path = dir.appendingPathComponent("part\(i).gz").path
            try OutputFile.write(p, to: path, codec: .gzip)
            out += try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        }
        return out
    }

    func gzipMembers(_ parts: [[UInt8]]) throws -> [UInt8] { try Self.gzipMembers(parts, in: dir) }

    static let spacedURL = "http://www.melforsenate.org/index.cfm?FuseAction=Home.Email&EmailTitle=Martinez Targets Castor Backer&EmailURL=http%3A%2F%2Fwww%2Emelforsenate%2Eorg%2Findex%2Ecfm%3FFuseaction%3DArticles%2EView%26Article%5Fid%3D187&IsPopUp=True"

    func testRealARCv1Head() throws {
        let bytes = Self.realHead
        let read = try WebArchiveReaderTests.readAll(try write(bytes, "head.arc"))
        XCTAssertTrue(read.issues.isEmpty, "\(read.issues.map { "\($0.1)" })")
        XCTAssertEqual(read.records.count, 2)
        let (desc, page) = (read.records[0], read.records[1])
        XCTAssertEqual(desc.format, .arc)
        XCTAssertEqual(desc.version, "ARC/1")
        XCTAssertEqual(desc.type, .warcinfo)
        XCTAssertEqual(desc.targetURI, "filedesc://E04-CRAWL-51-20040925000741-00424-crawling001.archive.org.arc")
        XCTAssertEqual(desc.block.count, 1406)
        XCTAssertTrue(desc.block.starts(with: "1 1 InternetArchive\n".utf8))
        XCTAssertEqual(page.type, .response)
        XCTAssertEqual(page.kind, .response)
        XCTAssertEqual(page.targetURI, Self.spacedURL)
        XCTAssertEqual(page.date, "20040925001013")
        XCTAssertEqual(page.contentType, "text/html")
        XCTAssertEqual(page.block.count, 149)
        XCTAssertEqual(page.offset, Int64(bytes.firstRange(of: Array("http://www.melforsenate".utf8))!.lowerBound))
        XCTAssertEqual(page.length, Int64(bytes.count) - page.offset)
        let http = try HTTPResponse.parse(page.block)
        XCTAssertEqual(http.status, 400)
        XCTAssertEqual(String(decoding: http.body, as: UTF8.self), "<h1>Bad Request</h1>")
        guard case .skip(.httpStatus) = WebContent.classify(page) else { return XCTFail("400 is skipped") }
    }

    /// ARC as the Internet Archive stores it: one gzip member per record (.arc.gz), with a good
    /// page after the real records and a damaged member in between.
    func testGzipPerRecordARCWithDamage() throws {
        let head = Self.realHead
        let split = head.firstRange(of: Array("http://www.melforsenate".utf8))!.lowerBound
        let html = Array("HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n<html><body>Hello</body></html>".utf8)
        let third = Array("http://example.org/a b.html 10.0.0.1 20040925001015 text/html \(html.count)\n".utf8) + html + [0x0A]
        let dnsBody = "20040925001016\nexample.org.\t300\tIN\tA\t10.0.0.1\n"
        let dns = Array("dns:example.org 10.0.0.2 20040925001016 text/dns \(dnsBody.utf8.count)\n\(dnsBody)\n".utf8)
        let parts = [Array(head[..<split]), Array(head[split...]), third, dns, third]
        var bytes = try gzipMembers(parts)
        let read0 = try WebArchiveReaderTests.readAll(try write(bytes, "ok.arc.gz"))
        XCTAssertTrue(read0.issues.isEmpty, "\(read0.issues.map { "\($0.1)" })")
        XCTAssertEqual(read0.records.map(\.kind), [.warcinfo, .response, .response, .dns, .response])
        XCTAssertTrue(read0.records.allSatisfy(\.offsetIsCompressed))
        XCTAssertEqual(read0.records[2].targetURI, "http://example.org/a b.html")
        XCTAssertEqual(read0.records[3].block, Array(dnsBody.utf8))
        guard case .html(let body, let http, _) = WebContent.classify(read0.records[2]) else { return XCTFail("html") }
        XCTAssertEqual(http?.charset, "iso-8859-1")
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "<html><body>Hello</body></html>")
        guard case .skip(.dns) = WebContent.classify(read0.records[3]) else { return XCTFail("dns") }
        // Damage the third member's deflate data: that record alone is lost and reported.
        let third0 = Int(read0.records[2].offset)
        bytes[third0 + 20] ^= 0xFF
        bytes[third0 + 21] ^= 0xFF
        let read = try WebArchiveReaderTests.readAll(try write(bytes, "bad.arc.gz"))
        XCTAssertEqual(read.records.map(\.kind), [.warcinfo, .response, .dns, .response])
        XCTAssertEqual(read.issues.map(\.0), [.corruptMember])
        XCTAssertEqual(read.issues.first?.1.offset, Int64(third0))
        XCTAssertEqual(read.records.map(\.offset), read0.records.enumerated().filter { $0.offset != 2 }.map(\.element.offset))
    }

    /// Internet Archive's gzip writers put an "LX" FEXTRA field (and the file name, FNAME) in the
    /// member headers of .arc.gz files: offsets and records are unaffected.
    func testGzipMembersWithExtraFields() throws {
        let head = Self.realHead
        let split = head.firstRange(of: Array("http://www.melforsenate".utf8))!.lowerBound
        var members: [[UInt8]] = []
        for (i, part) in [Array(head[..<split]), Array(head[split...])].enumerated() {
            var m = try gzipMembers([part])
            // Header: 1f 8b 08 FLG MTIME(4) XFL OS; FEXTRA (0x04) data and FNAME (0x08) follow it.
            XCTAssertEqual(m[3], 0)
            m[3] = i == 0 ? 0x0C : 0x04
            let extra: [UInt8] = [0x4C, 0x58, 8, 0] + [UInt8](repeating: 0, count: 8)
            m.insert(contentsOf: [UInt8(extra.count), 0] + extra + (i == 0 ? Array("head.arc\0".utf8) : []), at: 10)
            members.append(m)
        }
        let read = try WebArchiveReaderTests.readAll(try write(Array(members.joined()), "lx.arc.gz"))
        XCTAssertTrue(read.issues.isEmpty, "\(read.issues.map { "\($0.1)" })")
        XCTAssertEqual(read.records.map(\.offset), [0, Int64(members[0].count)])
        XCTAssertEqual(read.records.map(\.length), [Int64(members[0].count), Int64(members[1].count)])
        XCTAssertEqual(read.records.last?.targetURI, Self.spacedURL)
    }

    /// ARC v2 (ten header fields), built from the IA ARC file format specification.
    func testARCv2() throws {
        let body = Array("2 0 Alexa Internet\nURL IP-address Archive-date Content-type Result-code Checksum Location Offset Filename Archive-length\n".utf8)
        var bytes = Array("filedesc://IA-001102.arc 0 19960923142103 text/plain 200 - - 0 IA-001102.arc \(body.count)\n".utf8) + body + [0x0A]
        let page = Array("HTTP/1.0 200 OK\nContent-Type: text/html\n\n<p>v2 page</p>\n".utf8)
        let firstOffset = bytes.count
        bytes += Array("http://www.dryswamp.edu:80/index.html 127.10.100.2 19961104142103 text/html 200 fac069150613fe55599cc7fa88aa089d - 209 IA-001102.arc \(page.count)\n".utf8) + page + [0x0A]
        // A record whose declared length is 7 too long: reported, dropped, the next one found again.
        bytes += Array("http://www.dryswamp.edu:80/c.html 127.10.100.2 19961104142104 text/html 200 - - 300 IA-001102.arc \(page.count + 7)\n".utf8) + page + [0x0A]
        bytes += Array("http://www.dryswamp.edu:80/b.html 127.10.100.2 19961104142104 text/html 200 - - 400 IA-001102.arc \(page.count)\n".utf8) + page + [0x0A]
        let read = try WebArchiveReaderTests.readAll(try write(bytes, "v2.arc"))
        XCTAssertEqual(read.records.count, 3)
        guard read.records.count == 3 else { return }
        XCTAssertEqual(read.records[0].version, "ARC/2")
        XCTAssertEqual(read.records[1].version, "ARC/2")
        XCTAssertEqual(read.records[1].targetURI, "http://www.dryswamp.edu:80/index.html")
        XCTAssertEqual(read.records[1].date, "19961104142103")
        XCTAssertEqual(read.records[1].offset, Int64(firstOffset))
        XCTAssertEqual(read.records[2].targetURI, "http://www.dryswamp.edu:80/b.html")
        XCTAssertEqual(read.issues.map(\.0), [.wrongContentLength])
        guard case .html(let b, _, _) = WebContent.classify(read.records[1]) else { return XCTFail("html") }
        XCTAssertEqual(String(decoding: b, as: UTF8.self), "<p>v2 page</p>\n")
    }
}
