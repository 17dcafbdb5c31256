import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernWeb

/// `extract web` end to end on the real archives in ../shared/corpora/web: every record is
/// accounted for, pages come out as clean UTF-8 documents with their metadata, the result does
/// not depend on the thread count, and damage costs only the damaged record.
final class WebExtractionTests: XCTestCase {
    final class Collect: ByteWriter {
        var bytes: [UInt8] = []
        func write(_ b: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: b) }
        func finish() throws {}
        var documents: [Document] {
            get throws {
                try bytes.split(separator: 0x0A).map { line in
                    try Array(line).withUnsafeBufferPointer { try Document(jsonLine: $0) }
                }
            }
        }
    }

    static func archives() throws -> [String] {
        let folder = try TestSupport.corpora("web")
        return try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.contains(".warc") || $0.contains(".arc") }.sorted().map { folder + "/" + $0 }
    }

    func run(_ inputs: [String], threads: Int = 2, configure: (inout WebExtractionOptions) -> Void = { _ in })
        throws -> (Collect, WebExtractionReport, [QuernIOError]) {
        var options = WebExtractionOptions()
        options.threads = threads
        options.batchBytes = 64 << 10  // many batches, so ordering across workers is exercised
        configure(&options)
        let out = Collect()
        var issues: [QuernIOError] = []
        let report = try WebExtraction.run(inputs: inputs, options: options, writer: out) { issues.append($0) }
        return (out, report, issues)
    }

    func testEveryRecordOfEveryArchiveIsAccountedFor() throws {
        let inputs = try Self.archives()
        let (out, report, issues) = try run(inputs)
        XCTAssertEqual(issues.count, 0, "\(issues)")
        let archive = report.archive
        XCTAssertEqual(archive.files, inputs.count)
        // Each record is HTML, WET text, or a counted skip; each page is a document or "no text".
        XCTAssertEqual(archive.html + archive.conversionTexts + archive.skips.values.reduce(0, +), archive.recordCount)
        XCTAssertEqual(report.documents + report.noMainText, archive.html + archive.conversionTexts)
        XCTAssertEqual(archive.skips[.request], archive.records[.request])
        XCTAssertEqual(archive.skips[.revisit], archive.records[.revisit])
        XCTAssertEqual(archive.skips[.metadata], archive.records[.metadata])
        XCTAssertEqual(archive.skips[.dns], archive.records[.dns])
        XCTAssertEqual(archive.conversionTexts, 1)  // the whirlwind WET file holds one page
        XCTAssertGreaterThan(report.documents, 100)

        let documents = try out.documents
        XCTAssertEqual(documents.count, report.documents)
        XCTAssertEqual(Set(documents.map(\.id)).count, documents.count, "ids are unique")
        var textBytes = 0
        for d in documents {
            XCTAssertEqual(d.source, "web")
            XCTAssertFalse(d.text.isEmpty)
            XCTAssertNotNil(d.url, d.id)
            XCTAssertFalse(d.id.hasPrefix("<"), d.id)
            XCTAssertNotNil(d.metadata["warc_date"]?.stringValue, d.id)
            XCTAssertNotNil(d.metadata["warc_offset"]?.intValue, d.id)
            for markup in ["<script", "</div>", "<p>", "&nbsp;", "&amp;", "\u{FFFD}"] {
                XCTAssertFalse(d.text.contains(markup), "\(d.id) \(d.url ?? ""): \(markup)")
            }
            XCTAssertFalse(d.text.contains("\n\n\n"), d.id)
            textBytes += d.text.utf8.count
        }
        XCTAssertEqual(Int64(textBytes), report.textBytes)

        // The Japanese ClueWeb pages are EUC-JP; their text must come out as Japanese.
        let clueweb = documents.filter { $0.metadata["warc_file"]?.stringValue?.contains("clueweb") == true }
        XCTAssertEqual(clueweb.count, 29)
        for d in clueweb {
            XCTAssertEqual(d.metadata["charset"]?.stringValue, "EUC-JP")
            XCTAssertTrue(d.text.unicodeScalars.contains { (0x3040...0x30FF).contains($0.value) }, d.id)
        }
        // The WET conversion record is passed through unchanged.
        let wet = documents.filter { $0.metadata["content_type"]?.stringValue == "text/plain" }
        XCTAssertEqual(wet.count, 1)
        XCTAssertTrue(wet.first?.text.contains("Escopete") == true)
    }

    func testOutputDoesNotDependOnThreads() throws {
        let inputs = try Self.archives()
        let one = try run(inputs, threads: 1).0.bytes
        let four = try run(inputs, threads: 4).0.bytes
        XCTAssertFalse(one.isEmpty)
        XCTAssertTrue(one == four)
    }

    func testOptionsAreHonoured() throws {
        let inputs = try Self.archives()
        let all = try run(inputs).1
        let strict = try run(inputs) { $0.minTextBytes = 2000; $0.conversionRecords = false }.1
        XCTAssertEqual(strict.conversionSkipped, 1)
        XCTAssertLessThan(strict.documents, all.documents)
        XCTAssertEqual(strict.documents + strict.noMainText + strict.conversionSkipped,
                       all.documents + all.noMainText)
    }

    func testDamagedMemberCostsOnlyItsRecord() throws {
        let source = try TestSupport.corpora("web/dolma__sample-0000.warc.gz")
        let dir = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (good, goodReport, _) = try run([source])
        let goodDocuments = try good.documents

        // Overwrite bytes in the middle of the member of the 10th document's record.
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: source)))
        let victim = goodDocuments[10]
        let offset = try XCTUnwrap(victim.metadata["warc_offset"]?.intValue)
        for i in (offset + 40)..<(offset + 140) { bytes[i] ^= 0x5A }
        let damaged = dir.appendingPathComponent("damaged.warc.gz").path
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))

        let (out, report, issues) = try run([damaged])
        XCTAssertEqual(issues.count, 1, "\(issues)")
        XCTAssertEqual(issues.first?.offset, Int64(offset))
        XCTAssertEqual(issues.first?.file, damaged)
        XCTAssertEqual(report.archive.issueCount, 1)
        XCTAssertEqual(report.issues.count, 1)
        let ids = try out.documents.map(\.id)
        XCTAssertEqual(ids, goodDocuments.map(\.id).filter { $0 != victim.id })
        XCTAssertEqual(report.documents, goodReport.documents - 1)
    }

    func testReportIsJSON() throws {
        let inputs = try Self.archives()
        let report = try run(inputs).1
        var bytes: [UInt8] = []
        report.json.write(to: &bytes)
        let parsed = try JSONValue(parsing: bytes)
        XCTAssertEqual(parsed.objectValue?["documents"]?.intValue, report.documents)
        let archive = try WebArchiveStats(json: try XCTUnwrap(parsed.objectValue?["archive"]))
        XCTAssertEqual(archive, report.archive)
        XCTAssertTrue(report.summary.contains("\(report.documents) documents"), report.summary)
    }
}
