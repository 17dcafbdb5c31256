import Foundation
import QuernTestSupport
import XCTest

/// `quern warc index`, run as a user runs it, against warcio's view of the corpus archives.
final class WarcCLITests: XCTestCase {
    func testIndexMatchesWarcioOnTheCorpus() throws {
        let folder = try TestSupport.corpora("web")
        let golden = TestSupport.packageRoot.appendingPathComponent("Tests/Reference/warc")
        let name = "webarchive-discovery__BL-20140325121225068-00000-32090~opera~8443.warc.gz"
        let result = try CLITests.quern(["warc", "index", folder + "/" + name])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        let expected = try String(contentsOf: golden.appendingPathComponent(
            "warc_webarchive-discovery__BL-20140325121225068-00000-32090_opera_8443.warc.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        XCTAssertEqual(lines.count, expected.count)
        for (line, want) in zip(lines, expected) {
            let got = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let g = try JSONSerialization.jsonObject(with: Data(want.utf8)) as! [String: Any]
            XCTAssertEqual(got["offset"] as? Int, g["off"] as? Int)
            XCTAssertEqual(got["length"] as? Int, g["len"] as? Int)
            XCTAssertEqual(got["type"] as? String, g["type"] as? String)
            XCTAssertEqual(got["uri"] as? String ?? "", g["uri"] as? String)
            XCTAssertEqual(got["id"] as? String ?? "", g["id"] as? String)
            XCTAssertEqual(got["mime"] as? String ?? "", g["ct"] as? String)
            XCTAssertEqual(got["status"] as? Int, g["st"] as? Int)
            XCTAssertNil(got["offset_in"])
        }
    }

    func testDamagedArchiveIsReportedAndTheRestIndexed() throws {
        let source = try TestSupport.corpora("web/pywb__iana.warc.gz")
        let scratch = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let good = try CLITests.quern(["warc", "index", source])
        let lines = String(decoding: good.stdout, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 343)
        // Overwrite the middle of record 100's member with zeros.
        let record = try JSONSerialization.jsonObject(with: Data(lines[100].utf8)) as! [String: Any]
        let offset = record["offset"] as! Int, length = record["length"] as! Int
        var bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        bytes.replaceSubrange((offset + length / 2)..<(offset + length / 2 + 8), with: [UInt8](repeating: 0, count: 8))
        let damaged = scratch.appendingPathComponent("iana.warc.gz").path
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let result = try CLITests.quern(["warc", "index", "--summary", damaged])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("\(damaged): byte offset \(offset): corrupt gzip member"), result.stderr)
        XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").count, 342)
        let summaryLine = result.stderr.split(separator: "\n").last { $0.hasPrefix("{") }!
        let summary = try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as! [String: Any]
        XCTAssertEqual((summary["issues"] as! [String: Int])["corrupt gzip member"], 1)
        XCTAssertEqual((summary["skips"] as! [String: Int])["revisit"].map { $0 >= 122 }, true)
    }
}
