import Foundation
import QuernTestSupport
import XCTest

/// `quern extract html`, run as a user runs it.
final class ExtractHTMLCLITests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private let prose = "<p>Eine Geschichte über Größe und Schönheit, lang genug, um als Inhalt zu zählen, mit Kommas, Wörtern und einem Punkt.</p>"
    private let more = "<p>Ein zweiter Absatz erzählt die Geschichte weiter, ebenfalls lang genug, mit eigenen Wörtern und einem Punkt.</p>"

    func testJSONLinesInInputOrderWithCharsetsAndCompression() throws {
        // windows-1252 declared in a meta tag; the second file gzip-compressed UTF-8.
        let latin = "<html lang=de><head><meta charset=\"windows-1252\"><title>Größe</title></head><body><nav><a href=/>Start</a></nav><div>\(prose)</div></body></html>"
        let a = scratch.appendingPathComponent("a.html")
        try Data(latin.data(using: .windowsCP1252)!).write(to: a)
        let b = scratch.appendingPathComponent("b.html")
        try Data("<html><head><title>Zweite</title></head><body>\(prose)\(more)</body></html>".utf8).write(to: b)
        _ = try TestSupport.shell("gzip -9 '\(b.path)'")
        let missing = scratch.appendingPathComponent("missing.html").path

        let result = try TestSupport.execute(CLITests.executable,
                                             ["extract", "html", "--jsonl", a.path, missing, b.path + ".gz"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("missing.html"), result.stderr)
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(first["path"] as? String, a.path)
        XCTAssertEqual(first["title"] as? String, "Größe")
        XCTAssertEqual(first["language"] as? String, "de")
        XCTAssertEqual(first["text"] as? String,
                       "Eine Geschichte über Größe und Schönheit, lang genug, um als Inhalt zu zählen, mit Kommas, Wörtern und einem Punkt.")
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        XCTAssertEqual(second["path"] as? String, b.path + ".gz")
        XCTAssertEqual(second["title"] as? String, "Zweite")
        XCTAssertEqual((second["text"] as? String)?.split(separator: "\n").count, 2)
    }

    func testPlainTextToAFile() throws {
        let a = scratch.appendingPathComponent("a.html")
        try Data("<body><div>\(prose)<table><tr><td>Zelle eins<td>Zelle zwei</table>\(more)</div></body>".utf8).write(to: a)
        let out = scratch.appendingPathComponent("out.txt")
        let result = try TestSupport.execute(CLITests.executable, ["extract", "html", a.path, "-o", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let text = try String(contentsOf: out, encoding: .utf8)
        XCTAssertTrue(text.contains("\nZelle eins | Zelle zwei\n"), text)
        XCTAssertTrue(text.hasSuffix("Punkt.\n"))
        let noTables = try TestSupport.execute(CLITests.executable, ["extract", "html", "--no-tables", a.path])
        XCTAssertFalse(String(decoding: noTables.stdout, as: UTF8.self).contains("Zelle"))
    }

    func testCapsAreReported() throws {
        let deep = scratch.appendingPathComponent("deep.html")
        try Data((String(repeating: "<div>", count: 300) + prose).utf8).write(to: deep)
        let result = try TestSupport.execute(CLITests.executable, ["extract", "html", "--jsonl", deep.path])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("deep.html: hit the depth cap"), result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout)) as! [String: Any]
        XCTAssertEqual(object["capped"] as? [String], ["depth"])
        XCTAssertTrue((object["text"] as? String ?? "").hasPrefix("Eine Geschichte"))
    }
}
