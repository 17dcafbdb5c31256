import Foundation
import QuernIO
import QuernTestSupport
import XCTest

/// `quern extract wiki` run as a user runs it: outputs, report, options, damage.
final class ExtractWikiCLITests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func testExtractWikiWritesDocumentsAndReport() throws {
        let ja = try TestSupport.corpora("wikipedia/wp2txt__testdata_ja.bz2")
        let pear = try TestSupport.corpora("wikipedia/pywikibot__article-pear-0.10.xml")
        let out = scratch.appendingPathComponent("wiki.jsonl.zst").path
        let report = scratch.appendingPathComponent("report.json").path
        let r = try CLITests.quern(["extract", "wiki", pear, ja, "-o", out, "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The truncated Japanese dump is reported with its file and offset, and its pages kept.
        XCTAssertTrue(r.stderr.contains("wp2txt__testdata_ja.bz2: byte offset 2586697: XML dump ends without </mediawiki>"), r.stderr)
        XCTAssertTrue(r.stderr.contains("205 documents"), r.stderr)
        let docs = try JSONLReader(path: out).readAll()
        XCTAssertEqual(docs.count, 205)
        XCTAssertEqual(docs.first?.title, "Pear")
        XCTAssertEqual(docs.first?.id, "24278")
        XCTAssertEqual(docs.first?.url, "http://en.wikipedia.org/wiki/Pear")
        XCTAssertEqual(docs[1].title, "アンパサンド")
        let json = try JSONValue(parsing: [UInt8](try Data(contentsOf: URL(fileURLWithPath: report))))
        XCTAssertEqual(json["files"]?.intValue, 2)
        XCTAssertEqual(json["pages"]?.intValue, 263)
        XCTAssertEqual(json["documents"]?.intValue, 205)
        XCTAssertEqual(json["pages_by_namespace"]?["0"]?.intValue, 224)
        XCTAssertEqual(json["pages_by_namespace"]?["4"]?.intValue, 36)
        XCTAssertEqual(json["redirects"]?.intValue, 19)
        XCTAssertEqual(json["skipped"]?["namespace"]?.intValue, 39)
        XCTAssertEqual(json["errors"]?["truncated"]?.intValue, 1)
        XCTAssertEqual(json["languages"]?["ja"]?.intValue, 204)
        XCTAssertEqual(json["languages"]?["en"]?.intValue, 1)
        XCTAssertGreaterThan(json["bytes"]?["xml"]?.intValue ?? 0, 10_000_000)
        XCTAssertNotNil(json["throughput"]?["pages_per_s"]?.doubleValue)
        XCTAssertEqual(json["issues"]?.arrayValue?.count, 1)
    }

    func testOptions() throws {
        let tables = try TestSupport.corpora("wikipedia/gensim__enwiki-table-markup.xml.bz2")
        let plain = scratch.appendingPathComponent("plain.jsonl").path
        let kept = scratch.appendingPathComponent("kept.jsonl").path
        XCTAssertEqual(try CLITests.quern(["extract", "wiki", tables, "-o", plain]).status, 0)
        XCTAssertEqual(try CLITests.quern(["extract", "wiki", tables, "-o", kept, "--keep-tables", "--no-headings",
                                           "--keep-all-sections"]).status, 0)
        let a = try JSONLReader(path: plain).readAll(), b = try JSONLReader(path: kept).readAll()
        XCTAssertEqual(a.count, 5)
        XCTAssertEqual(b.count, 5)
        XCTAssertGreaterThan(b.map(\.text.utf8.count).reduce(0, +), a.map(\.text.utf8.count).reduce(0, +))
        let bg = try TestSupport.corpora("wikipedia/gensim__bgwiki-latest-pages-articles-shortened.xml.bz2")
        let r = try CLITests.quern(["extract", "wiki", bg, "--namespaces", "0,4", "-o", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").count, 3)
        let bad = try CLITests.quern(["extract", "wiki", bg, "--namespaces", "main", "-o", "-"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--namespaces"), bad.stderr)
        // A file that is missing: reported, the run goes on with the others, and the exit status says so.
        let missing = try CLITests.quern(["extract", "wiki", "/nonexistent/dump.xml", bg, "-o", plain])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/dump.xml"), missing.stderr)
        XCTAssertEqual(try JSONLReader(path: plain).readAll().count, 1)
    }
}
