import Foundation
import QuernTestSupport
import XCTest

/// `quern extract books` as a user runs it: compressed output, a JSON report, damage on stderr.
final class ExtractBooksCLITests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func testBooksCorpusToZstdWithReport() throws {
        let books = try TestSupport.corpora("books")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: books).sorted().map { books + "/" + $0 }
        let bad = scratch.appendingPathComponent("cut.epub").path
        let epub = try Data(contentsOf: URL(fileURLWithPath: books + "/OmniParser__moby-dick.epub"))
        try epub.prefix(1000).write(to: URL(fileURLWithPath: bad))
        let out = scratch.appendingPathComponent("books.jsonl.zst").path
        let reportPath = scratch.appendingPathComponent("report.json").path
        let r = try CLITests.quern(["extract", "books"] + inputs + [bad, "-o", out, "--report", reportPath])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("cut.epub"), r.stderr)
        XCTAssertTrue(r.stderr.contains("end-of-central-directory"), r.stderr)
        let lines = try TestSupport.run(["zstd", "-dc", out]).split(separator: 0x0A)
        XCTAssertEqual(lines.count, inputs.count)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0])) as? [String: Any]
        XCTAssertEqual(first?["id"] as? String, "gutenberg-11")
        XCTAssertEqual(first?["source"] as? String, "books")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        XCTAssertEqual(report["files"] as? Int, inputs.count + 1)
        XCTAssertEqual(report["documents_written"] as? Int, inputs.count)
        XCTAssertEqual(report["errors"] as? Int, 1)
        XCTAssertEqual((report["files_by_kind"] as? [String: Any])?["epub"] as? Int, 3)
        XCTAssertEqual((report["files_by_kind"] as? [String: Any])?["txt"] as? Int, 8)
        XCTAssertEqual(report["no_markers"] as? Int, 0)
        XCTAssertEqual(report["start_marker_found"] as? Int, inputs.count)
        XCTAssertEqual(report["end_marker_found"] as? Int, inputs.count)
        XCTAssertEqual(report["end_marker_missing"] as? Int, 0)
        XCTAssertEqual((report["boilerplate"] as? [String: Any])?["pg-1990s-small-print"] as? Int, 1)
        XCTAssertEqual((report["boilerplate"] as? [String: Any])?["aozora-bunko"] as? Int, 1)
        XCTAssertGreaterThan(report["bytes_in"] as? Int ?? 0, 7_000_000)
    }
}
