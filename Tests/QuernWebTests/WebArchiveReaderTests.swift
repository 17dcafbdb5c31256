import CZlib
import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernWeb

/// Every web archive of the shared corpora against warcio (Tests/Reference/warc_goldens.py).
final class WebArchiveReaderTests: XCTestCase {
    static let goldenFolder = TestSupport.packageRoot.appendingPathComponent("Tests/Reference/warc")

    static func crc32(_ bytes: some Collection<UInt8>) -> UInt32 {
        Array(bytes).withUnsafeBufferPointer { b in
            UInt32(CZlib.crc32(0, b.baseAddress, UInt32(b.count)))
        }
    }

    struct Read {
        var records: [WebRecord] = []
        var issues: [(WebArchiveIssue, QuernIOError)] = []
        var stats = WebArchiveStats()
    }

    static func readAll(_ path: String) throws -> Read {
        let reader = try WebArchiveReader(path: path)
        var read = Read()
        nonisolated(unsafe) var issues: [(WebArchiveIssue, QuernIOError)] = []
        reader.onIssue = { issues.append(($0, $1)) }
        while let r = reader.next() { read.records.append(r) }
        read.issues = issues
        read.stats = reader.stats
        return read
    }

    static func golden(for name: String) throws -> [JSONValue] {
        let base = name.split(separator: ".").first!.replacingOccurrences(of: "~", with: "_")
        let middle = name.split(separator: ".").dropFirst().dropLast().joined(separator: ".")
        let url = goldenFolder.appendingPathComponent("warc_\(base).\(middle).jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }

    static func webFiles() throws -> [String] {
        let folder = try TestSupport.corpora("web")
        return try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.contains(".warc") || $0.contains(".arc") }.sorted()
            .map { folder + "/" + $0 }
    }

    func testEveryCorpusArchiveMatchesWarcio() throws {
        let files = try Self.webFiles()
        XCTAssertEqual(files.count, 12)
        var httpBodies = 0, decodedBodies = 0
        for path in files {
            let name = (path as NSString).lastPathComponent
            let golden = try Self.golden(for: name)
            let read = try Self.readAll(path)
            XCTAssertTrue(read.issues.isEmpty, "\(name): \(read.issues.map { "\($0.1)" })")
            XCTAssertEqual(read.records.count, golden.count, name)
            for (i, (r, g)) in zip(read.records, golden).enumerated() {
                let at = "\(name) record \(i)"
                XCTAssertEqual(r.offset, Int64(g["off"]!.intValue!), at)
                XCTAssertTrue(r.offsetIsCompressed, at)
                XCTAssertEqual(r.length, Int64(g["len"]!.intValue!), at)
                XCTAssertEqual(r.typeName, g["type"]!.stringValue!, at)
                XCTAssertEqual(r.type.rawValue, g["type"]!.stringValue!, at)
                XCTAssertEqual(r.targetURI ?? "", g["uri"]!.stringValue!, at)
                XCTAssertEqual(r.recordID ?? "", g["id"]!.stringValue!, at)
                XCTAssertEqual(r.contentType ?? "", g["ct"]!.stringValue!, at)
                XCTAssertEqual(r.block.count, g["n"]!.intValue!, at)
                XCTAssertEqual(Int(Self.crc32(r.block)), g["crc"]!.intValue!, at)
                if let status = g["st"]?.intValue {
                    let http = try HTTPResponse.parse(r.block)
                    XCTAssertEqual(http.status, status, at)
                    XCTAssertEqual(r.block.withUnsafeBufferPointer { HTTPResponse.statusCode(of: $0) }, status, at)
                    if let n = g["bn"]?.intValue {
                        httpBodies += 1
                        if http.bodyWasDecoded { decodedBodies += 1 }
                        XCTAssertEqual(http.body.count, n, "\(at) \(r.targetURI ?? "") body length")
                        XCTAssertEqual(Int(Self.crc32(http.body)), g["bcrc"]!.intValue!, "\(at) body checksum")
                    }
                }
            }
            // Counts by kind agree with the golden types (dns: responses are their own kind).
            var expected: [WebRecordKind: Int] = [:]
            for g in golden {
                let kind = g["uri"]!.stringValue!.hasPrefix("dns:") ? WebRecordKind.dns
                    : WebRecordKind(rawValue: g["type"]!.stringValue!)!
                expected[kind, default: 0] += 1
            }
            XCTAssertEqual(read.stats.records, expected, name)
        }
        XCTAssertGreaterThan(httpBodies, 200)
        XCTAssertGreaterThanOrEqual(decodedBodies, 7, "chunked/gzip bodies exercised")
    }

    /// The counts SOURCES.md states for the files, independently of warcio.
    func testCountsStatedBySources() throws {
        let expectations: [(String, [WebRecordKind: Int])] = [
            ("pywb__iana.warc.gz", [.request: 171, .response: 48, .revisit: 123, .warcinfo: 1]),
            ("resiliparse__clueweb-quirk.warc.gz", [.warcinfo: 1, .response: 29]),
            ("resiliparse__warcfile.warc.gz", [.warcinfo: 1, .request: 17, .response: 16, .metadata: 16]),
            ("whirlwind-python__whirlwind.warc.wet.gz", [.warcinfo: 1, .conversion: 1]),
            ("whirlwind-python__whirlwind.warc.wat.gz", [.warcinfo: 1, .metadata: 1]),
        ]
        for (name, counts) in expectations {
            let read = try Self.readAll(try TestSupport.corpora("web/" + name))
            XCTAssertEqual(read.stats.records, counts, name)
        }
        let revisits = try Self.readAll(try TestSupport.corpora(
            "web/webarchive-discovery__BL-20140325122341434-00000-32090~opera~8443.warc.gz"))
        XCTAssertEqual(revisits.stats.records[.revisit], 55)
        XCTAssertEqual(revisits.stats.recordCount, 190)
        // wget's angle brackets are gone; 0.18 version lines are kept as written.
        let dolma = try Self.readAll(try TestSupport.corpora("web/dolma__sample-0000.warc.gz"))
        XCTAssertTrue(dolma.records.allSatisfy { !($0.targetURI ?? "").hasPrefix("<") })
        let clueweb = try Self.readAll(try TestSupport.corpora("web/resiliparse__clueweb-quirk.warc.gz"))
        XCTAssertTrue(clueweb.records.allSatisfy { $0.version == "WARC/0.18" })
    }

    func testClassificationOfTheCorpus() throws {
        var total = WebArchiveStats()
        for path in try Self.webFiles() {
            let reader = try WebArchiveReader(path: path)
            var stats = WebArchiveStats()
            while let r = reader.next() {
                let content = WebContent.classify(r)
                stats.count(content)
                if case .html(let body, _, _) = content {
                    XCTAssertTrue(body.withUnsafeBufferPointer { HTMLSniffer.looksLikeHTML($0) }
                                  || String(decoding: body.prefix(2048), as: UTF8.self).lowercased().contains("<html"),
                                  "\(path) \(r.targetURI ?? "") classified HTML")
                }
            }
            var s = reader.stats
            s.html = stats.html; s.conversionTexts = stats.conversionTexts; s.skips = stats.skips
            // Every record is either text for the pipeline or a counted skip.
            XCTAssertEqual(s.html + s.conversionTexts + s.skips.values.reduce(0, +), s.recordCount, path)
            total.merge(s)
        }
        XCTAssertEqual(total.files, 12)
        XCTAssertEqual(total.conversionTexts, 1)
        XCTAssertEqual(total.skips[.request], 171 + 22 + 15 + 17 + 62 + 62 + 2 + 1 + 1)
        XCTAssertEqual(total.skips[.revisit], 123 + 55 + 1)
        XCTAssertEqual(total.skips[.dns], 6)
        XCTAssertGreaterThan(total.html, 100)
        XCTAssertGreaterThan(total.skips[.nonHTML] ?? 0, 10)
        XCTAssertGreaterThan(total.skips[.httpStatus] ?? 0, 0)
        // JSON round trip.
        let back = try WebArchiveStats(json: try JSONValue(parsing: total.json.serialized()))
        XCTAssertEqual(back, total)
    }

    /// The same records through other codecs: plain, zstd, bzip2, and one gzip member for the whole file.
    func testOtherCodecsGiveTheSameRecords() throws {
        let source = try TestSupport.corpora("web/resiliparse__warcfile.warc.gz")
        let dir = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("w.warc").path
        _ = try TestSupport.shell("gzip -dc '\(source)' > '\(plain)' && zstd -q '\(plain)' -o '\(plain).zst' && bzip2 -k '\(plain)' && gzip -c '\(plain)' > '\(plain).one.gz'")
        let reference = try Self.readAll(source).records
        let plainBytes = try Array(Data(contentsOf: URL(fileURLWithPath: plain)))
        for path in [plain, plain + ".zst", plain + ".bz2", plain + ".one.gz"] {
            let read = try Self.readAll(path)
            XCTAssertTrue(read.issues.isEmpty, path)
            XCTAssertEqual(read.records.count, reference.count, path)
            var expectedOffset: Int64 = 0
            for (a, b) in zip(read.records, reference) {
                XCTAssertEqual(a.recordID, b.recordID)
                XCTAssertEqual(a.block, b.block)
                // Only the first record of the single-member file starts a member (at byte 0).
                XCTAssertEqual(a.offsetIsCompressed, path.hasSuffix(".one.gz") && a.offset == 0, path)
                // Decompressed offsets: each record starts where the previous one ended.
                if !path.hasSuffix(".one.gz") { XCTAssertEqual(a.offset, expectedOffset, path) }
                XCTAssertTrue(plainBytes[Int(a.offset)...].starts(with: "WARC/1.0".utf8))
                if path.hasSuffix(".one.gz") {
                    XCTAssertNil(a.length, "a record sharing its member has no compressed length")
                    if a.offset == 0 { expectedOffset = -1 } else { XCTAssertGreaterThan(a.offset, expectedOffset) }
                    expectedOffset = a.offset
                } else {
                    expectedOffset += a.length ?? 0
                }
            }
        }
    }
}
