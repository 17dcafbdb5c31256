import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

/// A ByteReader over bytes in memory that hands them out in chunks of the given sizes (cycled).
/// Each chunk lives in one reused buffer that is scribbled over before the next chunk is copied
/// in, so a consumer that keeps a chunk past the next `nextChunk()` reads garbage and fails.
final class ChunkedReader: ByteReader {
    private let bytes: [UInt8]
    private let sizes: [Int]
    private var position = 0
    private var turn = 0
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    let path: String

    init(_ bytes: [UInt8], chunkSizes: [Int], path: String = "<memory>") {
        self.bytes = bytes
        sizes = chunkSizes
        self.path = path
        buffer = .allocate(capacity: max(1, chunkSizes.max() ?? 1))
    }
    deinit { buffer.deallocate() }

    var storedBytesRead: Int64 { Int64(position) }
    var storedSize: Int64? { Int64(bytes.count) }
    var codec: Codec { .plain }

    func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        guard position < bytes.count else { return nil }
        let n = min(sizes[turn % sizes.count], bytes.count - position)
        turn += 1
        buffer.update(repeating: UInt8(ascii: "#"))
        _ = UnsafeMutableBufferPointer(rebasing: buffer[0..<n]).initialize(from: bytes[position..<(position + n)])
        position += n
        return UnsafeBufferPointer(rebasing: buffer[0..<n])
    }
}

/// FNV-1a 64 over bytes: the same function the expected values were computed with in Python.
func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var h: UInt64 = 0xcbf29ce484222325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    return h
}

/// Reading and writing JSON Lines: real dolma shards, malformed lines, chunk boundaries, long
/// lines, compressed inputs made by the system tools, and the parallel path against the
/// sequential one.
final class JSONLTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// What one read gave: documents, errors and counters.
    struct Outcome {
        var documents: [Document]
        var errors: [QuernIOError]
        var malformed: Int
        var lines: Int
    }

    private func readSequentially(_ reader: ByteReader, maxErrorsKept: Int = 1000,
                                  maxLineBytes: Int = JSONLReader.defaultMaxLineBytes) throws -> Outcome {
        let jsonl = JSONLReader(reader, maxErrorsKept: maxErrorsKept, maxLineBytes: maxLineBytes)
        let documents = try jsonl.readAll()
        XCTAssertEqual(jsonl.documentsRead, documents.count)
        return Outcome(documents: documents, errors: jsonl.errors, malformed: jsonl.malformedLines, lines: jsonl.linesRead)
    }

    private func readInParallel(_ reader: ByteReader, threads: Int = 2, batchBytes: Int = 4096, maxErrorsKept: Int = 1000,
                                maxLineBytes: Int = JSONLReader.defaultMaxLineBytes) throws -> Outcome {
        let jsonl = JSONLReader(reader, maxErrorsKept: maxErrorsKept, maxLineBytes: maxLineBytes)
        var documents: [Document] = []
        try jsonl.forEachDocument(threads: threads, batchBytes: batchBytes) { documents.append($0) }
        XCTAssertNil(try jsonl.next())
        XCTAssertEqual(jsonl.documentsRead, documents.count)
        return Outcome(documents: documents, errors: jsonl.errors, malformed: jsonl.malformedLines, lines: jsonl.linesRead)
    }

    /// Every way of reading `bytes` (written to `name` plain, gzip and zstd; small chunks;
    /// sequential and parallel) must give `check` the same outcome.
    private func forEveryReading(_ bytes: [UInt8], name: String, maxErrorsKept: Int = 1000,
                                 maxLineBytes: Int = JSONLReader.defaultMaxLineBytes,
                                 _ check: (Outcome, _ path: String, _ how: String) throws -> Void) throws {
        let plain = scratch.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: plain))
        let gz = plain + ".gz", zst = plain + ".zst"
        try TestFiles.compress(Data(bytes), with: ["gzip", "-c"], to: gz)
        try TestFiles.compress(Data(bytes), with: ["zstd", "-q", "-c"], to: zst)
        for path in [plain, gz, zst] {
            try check(readSequentially(try Input.open(path), maxErrorsKept: maxErrorsKept, maxLineBytes: maxLineBytes), path, "sequential")
            for threads in [1, 2] {
                try check(readInParallel(try Input.open(path), threads: threads, maxErrorsKept: maxErrorsKept,
                                         maxLineBytes: maxLineBytes), path, "parallel \(threads)")
            }
        }
        for sizes in [[1], [3, 1, 4, 1, 5, 9, 2, 6], [4096]] {
            try check(readSequentially(ChunkedReader(bytes, chunkSizes: sizes, path: plain), maxErrorsKept: maxErrorsKept,
                                       maxLineBytes: maxLineBytes), plain, "chunks \(sizes)")
            try check(readInParallel(ChunkedReader(bytes, chunkSizes: sizes, path: plain), maxErrorsKept: maxErrorsKept,
                                     maxLineBytes: maxLineBytes), plain, "parallel chunks \(sizes)")
        }
    }

    // MARK: Real shards

    /// (id, UTF-8 length of text, FNV-1a 64 of the text's UTF-8), computed with Python's json
    /// module: `[(d['id'], len(t := d['text'].encode()), fnv(t)) for d in map(json.loads, lines)]`.
    static let shard0091: [(String, Int, UInt64)] = [
        ("http://100kinvesting.com/2016/11/28/first-teleconference-calls-invoice-factoring/", 435, 0xa4293d2201f3493b),
        ("http://100women.ng/category/celebrating-female-entrepreneurs/", 513, 0x13e00fdcfe1b3819),
        ("http://2011.rubyworld-conf.org/en/program/A-9/", 691, 0x78a8a3aa33e25e13),
        ("http://911blogger.com/news/2006-11-02/pentagon-video-doubletree-be-released-within-week", 66028, 0x4caaa280c416d151),
        ("http://9crimes.org/charlesxavier/", 526, 0x0d3a2ea847405952),
        ("http://9pmstudios.com/9pm-studios-lends-support-to-city-dogs-rescue-city-kitties/", 1540, 0x0b4c393037c1cfd8),
        ("http://activecities.com/blog/history-of-ice-sports/", 8972, 0x77fe548732a292b1),
        ("http://ajitucapoeira.com/history.php", 11084, 0x76166c6dd8f58184),
        ("http://akindleinhongkong.blogspot.com/2012/02/walking-tour-stanley.html", 2306, 0x33cbf979ad165576),
        ("http://artsemersonblog.org/2018/09/04/from-russia-with-translation/", 2329, 0x8fecfbd1bd134f11),
    ]

    static let shard0174: [(String, Int, UInt64)] = [
        ("http://archives2.getty.edu:8082/xtf/view?docId=ead/2002.M.13/2002.M.13.xml", 779, 0x48174850bf87e819),
        ("http://artseast.blogspot.com/2019/10/gillian-smith.html", 4470, 0x43ee99b93175cc08),
        ("http://blog.captainthin.net/?tag=kjv-only", 1273, 0x13f6978869ac1e51),
        ("http://blog.kevinmay.com/tag/santa-fe/", 2182, 0x842bec5a817a8e82),
        ("http://blog.stevengriggs.com/2013/05/who-do-you-see-when-you-look-in-mirror.html", 3599, 0xd6e9e1ed6186e401),
        ("http://blogs.boardprospects.com/articles/3928691/opendoor-adds-to-leadership-team-board-of-director/", 334, 0x84f164702d2a0396),
        ("http://bookmarktoday.info/page/97/", 21581, 0xf03e624239b481b8),
        ("http://busineserviceny.info/improve-your-leadership-skills-by-using-these-ideas/", 2719, 0x0c9271adffe1e8df),
        ("http://cempaka-tourist.blogspot.com/2012/01/", 23957, 0xa3378307764177c9),
        ("http://cempaka-tourist.blogspot.com/2017/07/aborigines-in-australia-longer-than.html", 269, 0x9bac57f82ca9ed5a),
    ]

    private func assertMatchesPython(_ documents: [Document], _ expected: [(String, Int, UInt64)], _ label: String) {
        XCTAssertEqual(documents.count, expected.count, label)
        for (doc, (id, length, hash)) in zip(documents, expected) {
            XCTAssertEqual(doc.id, id, label)
            XCTAssertEqual(doc.text.utf8.count, length, "\(label): \(id)")
            XCTAssertEqual(fnv1a(doc.text.utf8), hash, "\(label): \(id)")
            XCTAssertEqual(doc.source, "common-crawl", label)
            XCTAssertEqual(doc.url, id, label) // these shards use the url as id; url comes from metadata
            XCTAssertEqual(doc.extra.keys, ["added", "created"], label)
        }
    }

    func testRealDolmaShards() throws {
        for (name, expected) in [("0091", JSONLTests.shard0091), ("0174", JSONLTests.shard0174)] {
            let path = try TestSupport.corpora("pretraining/dolma__cc_en_head-\(name).jsonl.gz")
            let sequential = try readSequentially(try Input.open(path))
            assertMatchesPython(sequential.documents, expected, "\(name) sequential")
            XCTAssertEqual(sequential.malformed, 0)
            XCTAssertEqual(sequential.lines, 10)
            for batchBytes in [4096, 1 << 20] {
                let parallel = try readInParallel(try Input.open(path), batchBytes: batchBytes)
                assertMatchesPython(parallel.documents, expected, "\(name) parallel \(batchBytes)")
                XCTAssertEqual(parallel.documents, sequential.documents)
                XCTAssertEqual(parallel.lines, 10)
            }
        }
        let first = try JSONLReader(path: try TestSupport.corpora("pretraining/dolma__cc_en_head-0091.jsonl.gz")).next()
        XCTAssertEqual(first?.title, "First Teleconference Calls for Invoice Factoring, and more. — 100K Investing, LLC.")
        XCTAssertEqual(first?.metadata["language_score"]?.doubleValue, 0.95)
        XCTAssertEqual(first?.metadata["line_ids"], [41, 42, 56, 57, 59])
    }

    func testBundledSampleCorpus() throws {
        // Corpora/sample/books.jsonl.zst (committed): 32 records; values from Python's json module.
        let path = TestSupport.packageRoot.appendingPathComponent("Corpora/sample/books.jsonl.zst").path
        let documents = try readSequentially(try Input.open(path)).documents
        XCTAssertEqual(documents.count, 32)
        XCTAssertEqual(documents.first?.id, "pg11-0000")
        XCTAssertEqual(documents.last?.id, "pg2000-0003")
        XCTAssertEqual(documents.first?.title, "Alice's Adventures in Wonderland")
        XCTAssertEqual(documents.first?.metadata["gutenberg_id"]?.intValue, 11)
        XCTAssertEqual(documents.reduce(0) { $0 + $1.text.utf8.count }, 316194)
        XCTAssertEqual(documents.reduce(0) { $0 + $1.text.unicodeScalars.count }, 311149)
        XCTAssertEqual(try readInParallel(try Input.open(path), batchBytes: 4096).documents, documents)
    }

    // MARK: Malformed lines

    func testMalformedLinesAreReportedAndSkipped() throws {
        let lines: [String] = [
            #"{"id":"a","text":"first"}"#,
            "",
            #"{"id":"broken","text": "unterminated}"#,
            #"{"id":"b","text":"crlf ending"}"# + "\r",
            "not json at all",
            #"{"id":"c-without-text"}"#,
            " \t ",
            #"{"id":"c","text":"é \ud83d\ude00"}"#,
            #"{"id":"d","text":"x"} trailing"#,
            #"{"id":"e","text":"no newline at the end"}"#,
        ]
        let bytes = Array(lines.joined(separator: "\n").utf8)
        // Offsets of each line's first byte, counted here from the line lengths.
        var offsets: [Int64] = []
        var offset: Int64 = 0
        for line in lines { offsets.append(offset); offset += Int64(line.utf8.count + 1) }

        try forEveryReading(bytes, name: "mixed.jsonl") { outcome, path, how in
            XCTAssertEqual(outcome.documents.map(\.id), ["a", "b", "c", "e"], how)
            XCTAssertEqual(outcome.documents[1].text, "crlf ending", how)
            XCTAssertEqual(outcome.documents[2].text, "é 😀", how)
            XCTAssertEqual(outcome.malformed, 4, how)
            XCTAssertEqual(outcome.lines, 10, how)
            XCTAssertEqual(outcome.errors.map(\.record), [3, 5, 6, 9], "\(how) \(path)")
            XCTAssertEqual(outcome.errors.map(\.offset), [offsets[2], offsets[4], offsets[5], offsets[8]], "\(how) \(path)")
            for error in outcome.errors {
                XCTAssertEqual(error.kind, .malformedRecord)
                XCTAssertEqual(error.file, path)
                XCTAssertEqual(error.message.contains("decompressed"), !path.hasSuffix(".jsonl"), error.message)
            }
            XCTAssertTrue(outcome.errors[0].message.contains("unterminated string"), outcome.errors[0].message)
            XCTAssertTrue(outcome.errors[1].message.contains("at byte 0 of the line"), outcome.errors[1].message)
            XCTAssertTrue(outcome.errors[2].message.contains("missing \"text\""), outcome.errors[2].message)
            XCTAssertTrue(outcome.errors[3].message.contains("expected end of input"), outcome.errors[3].message)
            XCTAssertTrue(outcome.errors[1].description.hasPrefix("\(path): record 5: byte offset \(offsets[4]): "),
                          outcome.errors[1].description)
        }
    }

    func testMalformedLinesAcrossManyBatches() throws {
        // 6000 lines, every 97th broken in a different way, cut into many 4 KiB batches.
        var bytes: [UInt8] = []
        var expectedIds: [String] = []
        var expectedErrors: [(line: Int, offset: Int64)] = []
        for line in 1...6000 {
            let offset = Int64(bytes.count)
            if line % 97 == 0 {
                let broken = [#"{"text":"cut"#, #"{"id":"x"}"#, "[1,2]", #"{"text":"a" "b"}"#][line / 97 % 4]
                bytes += Array(broken.utf8)
                expectedErrors.append((line, offset))
            } else {
                let id = "doc-\(line)"
                bytes += Array(#"{"id":"\#(id)","text":"line \#(line) \#(String(repeating: "ab ", count: line % 50))"}"#.utf8)
                expectedIds.append(id)
            }
            bytes += line % 3 == 0 ? [0x0D, 0x0A] : [0x0A]
        }
        try forEveryReading(bytes, name: "many.jsonl") { outcome, path, how in
            XCTAssertEqual(outcome.documents.map(\.id), expectedIds, how)
            XCTAssertEqual(outcome.malformed, expectedErrors.count, how)
            XCTAssertEqual(outcome.errors.map(\.record), expectedErrors.map(\.line), "\(how) \(path)")
            XCTAssertEqual(outcome.errors.map(\.offset), expectedErrors.map(\.offset), "\(how) \(path)")
            XCTAssertEqual(outcome.lines, 6000, how)
        }
    }

    func testErrorListIsBounded() throws {
        var text = ""
        for i in 0..<1000 { text += i % 100 == 0 ? #"{"text":"ok \#(i)"}"# + "\n" : "bad \(i)\n" }
        let bytes = Array(text.utf8)
        try forEveryReading(bytes, name: "bad.jsonl", maxErrorsKept: 5) { outcome, _, how in
            XCTAssertEqual(outcome.documents.count, 10, how)
            XCTAssertEqual(outcome.malformed, 990, how)
            XCTAssertEqual(outcome.errors.map(\.record), [2, 3, 4, 5, 6], how) // the first five, in order
        }
    }

    // MARK: Line boundaries

    func testEveryChunkBoundary() throws {
        // Escapes, multibyte characters and \r\n split at every possible point.
        let text = #"{"id":"1","text":"a\"b\\c\u00e9\ud83d\ude00 é中😀","metadata":{"k":[1,2]}}"# + "\r\n"
            + "\n"
            + #"{"id":"2","text":""}"# + "\r\n"
            + #"{"id":"3","text":"last"}"#
        let bytes = Array(text.utf8)
        let reference = try readSequentially(ChunkedReader(bytes, chunkSizes: [bytes.count]))
        XCTAssertEqual(reference.documents.map(\.id), ["1", "2", "3"])
        XCTAssertEqual(reference.documents[0].text.unicodeScalars.map(\.value),
                       [0x61, 0x22, 0x62, 0x5C, 0x63, 0xE9, 0x1F600, 0x20, 0xE9, 0x4E2D, 0x1F600])
        for first in 1..<bytes.count {
            for rest in [1, 2, 7, bytes.count] {
                let outcome = try readSequentially(ChunkedReader(bytes, chunkSizes: [first, rest]))
                XCTAssertEqual(outcome.documents, reference.documents, "chunks \(first), \(rest)")
                XCTAssertEqual(outcome.lines, 4)
            }
        }
    }

    func testLinesOfSeveralMegabytes() throws {
        // Real prose (books, so the JSON has many escapes), written as JSON by Python so the
        // file does not come from the code under test; lines of 3 and 5 MB between small ones.
        // Python also writes each expected text's UTF-8 to its own file.
        let prose = try TestFiles.realText(minimumBytes: 6_000_000)
        let source = scratch.appendingPathComponent("prose.txt").path
        try prose.write(to: URL(fileURLWithPath: source))
        let jsonl = scratch.appendingPathComponent("long.jsonl").path
        let script = """
        import json, sys
        text = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace')
        texts = ['small', text[:3_000_000], 'small too', text[1_000_000:6_000_000], 'tail']
        with open(sys.argv[2], 'w', encoding='utf-8') as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({'id': str(i), 'text': t}, ensure_ascii=i % 2 == 0) + '\\n')
                open(sys.argv[2] + '.%d' % i, 'wb').write(t.encode('utf-8'))
        """
        _ = try TestSupport.run(["python3", "-c", script, source, jsonl])
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: jsonl)))
        XCTAssertGreaterThan(bytes.count, 7_000_000)
        XCTAssertTrue(bytes.indices.dropLast().contains { bytes[$0] == 0x5C && bytes[$0 + 1] == UInt8(ascii: "n") },
                      "the long lines should carry escapes")
        try TestFiles.compress(Data(bytes), with: ["gzip", "-c"], to: jsonl + ".gz")
        let expected = try (0..<5).map { Array(try Data(contentsOf: URL(fileURLWithPath: jsonl + ".\($0)"))) }
        XCTAssertGreaterThan(expected[3].count, 4_000_000)
        let readings: [(String, () throws -> Outcome)] = [
            ("plain", { try self.readSequentially(try Input.open(jsonl)) }),
            ("gzip", { try self.readSequentially(try Input.open(jsonl + ".gz")) }),
            ("chunks", { try self.readSequentially(ChunkedReader(bytes, chunkSizes: [65_536, 1000, 1 << 20])) }),
            ("parallel gzip", { try self.readInParallel(try Input.open(jsonl + ".gz"), batchBytes: 1 << 20) }),
            ("parallel chunks", { try self.readInParallel(ChunkedReader(bytes, chunkSizes: [65_536, 1000]), batchBytes: 4096) }),
        ]
        for (how, read) in readings {
            let outcome = try read()
            XCTAssertEqual(outcome.documents.map(\.id), ["0", "1", "2", "3", "4"], how)
            XCTAssertEqual(outcome.malformed, 0, how)
            for (doc, text) in zip(outcome.documents, expected) {
                let got = Array(doc.text.utf8)
                XCTAssertEqual(got.count, text.count, how)
                XCTAssertEqual(TestFiles.commonPrefixLength(got, text), text.count, "\(how): text of \(doc.id) differs")
            }
        }
    }

    func testOverlongLinesAreSkipped() throws {
        let long1 = #"{"id":"long","text":""# + String(repeating: "x", count: 5000) + #""}"#
        let long2 = #"{"id":"long2","text":""# + String(repeating: "y", count: 3000) + #""}"#
        let lines = [#"{"id":"a","text":"1"}"#, long1, #"{"id":"b","text":"2"}"#, long2, long1, #"{"id":"c","text":"3"}"#, long2]
        let bytes = Array(lines.joined(separator: "\n").utf8) // the last (long) line has no newline
        var offsets: [Int64] = []
        var offset: Int64 = 0
        for line in lines { offsets.append(offset); offset += Int64(line.utf8.count + 1) }
        try forEveryReading(bytes, name: "long.jsonl", maxLineBytes: 1000) { outcome, _, how in
            XCTAssertEqual(outcome.documents.map(\.id), ["a", "b", "c"], how)
            XCTAssertEqual(outcome.malformed, 4, how)
            XCTAssertEqual(outcome.errors.map(\.record), [2, 4, 5, 7], how)
            XCTAssertEqual(outcome.errors.map(\.offset), [offsets[1], offsets[3], offsets[4], offsets[6]], how)
            XCTAssertTrue(outcome.errors.allSatisfy { $0.message.contains("longer than 1000 bytes") }, how)
            XCTAssertEqual(outcome.lines, 7, how)
        }
        // Lines longer than a batch but within the limit make the batch grow.
        let within = try readInParallel(ChunkedReader(bytes, chunkSizes: [777]), batchBytes: 4096, maxLineBytes: 6000)
        XCTAssertEqual(within.documents.map(\.id), ["a", "long", "b", "long2", "long", "c", "long2"])
    }

    func testBatchesReturnToTheirSizeAfterALongLine() throws {
        // A 50 kB line, then ~75 kB of short lines, in 4 KiB batches: the buffer grown for the
        // long line (or the skip of an over-long one) must not swallow the short lines into a
        // few big batches.
        var text = #"{"id":"long","text":""# + String(repeating: "w ", count: 25_000) + "\"}\n"
        for i in 0..<2000 { text += #"{"id":"\#(i)","text":"short line \#(i)"}"# + "\n" }
        for maxLineBytes in [JSONLReader.defaultMaxLineBytes, 10_000] {
            let jsonl = JSONLReader(ChunkedReader(Array(text.utf8), chunkSizes: [1500]), maxLineBytes: maxLineBytes)
            var sizes: [Int] = []
            try jsonl.forEachBatch(threads: 2, batchBytes: 4096, work: { $0.count }) { sizes.append($0) }
            XCTAssertEqual(sizes.reduce(0, +), maxLineBytes == 10_000 ? 2000 : 2001)
            XCTAssertEqual(jsonl.malformedLines, maxLineBytes == 10_000 ? 1 : 0)
            // ~75 kB of ~37-byte lines: about 110 per 4 KiB batch, so 18 or more batches.
            XCTAssertGreaterThanOrEqual(sizes.count, 18, "\(sizes)")
            XCTAssertLessThan(sizes.dropFirst().max() ?? 0, 125, "\(sizes)")
        }
    }

    func testByteOrderMarkBlankLinesAndEmptyInput() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{\"text\":\"bom\"}\n\n\r\n   \n{\"text\":\"x\"}\n\n".utf8)
        try forEveryReading(bytes, name: "bom.jsonl") { outcome, _, how in
            XCTAssertEqual(outcome.documents.map(\.text), ["bom", "x"], how)
            XCTAssertEqual(outcome.malformed, 0, how)
            XCTAssertEqual(outcome.lines, 6, how)
        }
        // A byte order mark anywhere else is not skipped.
        let late = Array("{\"text\":\"a\"}\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("{\"text\":\"b\"}\n".utf8)
        let outcome = try readSequentially(ChunkedReader(late, chunkSizes: [5]))
        XCTAssertEqual(outcome.documents.map(\.text), ["a"])
        XCTAssertEqual(outcome.errors.map(\.record), [2])

        let empty = try readSequentially(ChunkedReader([], chunkSizes: [1]))
        XCTAssertEqual(empty.documents.count + empty.malformed + empty.lines, 0)
        let emptyParallel = try readInParallel(ChunkedReader([], chunkSizes: [1]))
        XCTAssertEqual(emptyParallel.documents.count + emptyParallel.malformed + emptyParallel.lines, 0)
    }

    func testSequentialThenParallel() throws {
        var text = ""
        for i in 1...500 { text += i % 50 == 7 ? "broken \(i)\n" : "{\"id\":\"\(i)\",\"text\":\"t\(i)\"}\n" }
        let jsonl = JSONLReader(ChunkedReader(Array(text.utf8), chunkSizes: [333]))
        var ids: [String] = []
        for _ in 0..<20 { ids.append(try jsonl.next()!.id) }
        XCTAssertEqual(jsonl.linesRead, 21) // line 7 was malformed
        XCTAssertEqual(jsonl.errors.map(\.record), [7])
        var batches = 0
        try jsonl.forEachBatch(threads: 2, batchBytes: 4096, work: { $0.map(\.id) }) { batch in
            ids += batch
            batches += 1
        }
        XCTAssertGreaterThan(batches, 1)
        XCTAssertEqual(ids, (1...500).filter { $0 % 50 != 7 }.map { String($0) })
        XCTAssertEqual(jsonl.errors.map(\.record), (1...500).filter { $0 % 50 == 7 })
        XCTAssertEqual(jsonl.linesRead, 500)
        XCTAssertEqual(jsonl.documentsRead, 490)
    }

    func testDeliverErrorsStopTheParallelPass() throws {
        struct Stop: Error {}
        var text = ""
        for i in 0..<2000 { text += "{\"id\":\"\(i)\",\"text\":\"x\"}\n" }
        let jsonl = JSONLReader(ChunkedReader(Array(text.utf8), chunkSizes: [1000]))
        var seen = 0
        XCTAssertThrowsError(try jsonl.forEachDocument(threads: 2, batchBytes: 4096) { _ in
            seen += 1
            if seen == 300 { throw Stop() }
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(seen, 300)
    }

    func testDamagedInputIsThrown() throws {
        // A gzip file cut short: the documents before the damage come out, then the error.
        var text = ""
        for i in 0..<20000 { text += "{\"id\":\"\(i)\",\"text\":\"some words \(i * 7919)\"}\n" }
        let gz = scratch.appendingPathComponent("cut.jsonl.gz").path
        try TestFiles.compress(Data(text.utf8), with: ["gzip", "-c"], to: gz)
        let whole = try Data(contentsOf: URL(fileURLWithPath: gz))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: gz))
        let jsonl = try JSONLReader(path: gz)
        var count = 0
        XCTAssertThrowsError(try { while try jsonl.next() != nil { count += 1 } }()) { error in
            XCTAssertEqual((error as? QuernIOError)?.kind, .truncated, "\(error)")
        }
        XCTAssertGreaterThan(count, 1000)
        XCTAssertThrowsError(try readInParallel(try Input.open(gz)))
    }

    // MARK: Writer

    func testWriterRoundTripsThroughCompressedFiles() throws {
        let path = try TestSupport.corpora("pretraining/dolma__cc_en_head-0174.jsonl.gz")
        let documents = try readSequentially(try Input.open(path)).documents
        for name in ["out.jsonl", "out.jsonl.gz", "out.jsonl.zst"] {
            let target = scratch.appendingPathComponent(name).path
            let writer = try JSONLWriter(path: target)
            for doc in documents { try writer.write(doc) }
            try writer.write(["text": "a raw JSON value line", "id": 7])
            XCTAssertEqual(writer.linesWritten, 11)
            try writer.finish()
            let reread = try readSequentially(try Input.open(target))
            XCTAssertEqual(Array(reread.documents.prefix(10)), documents, name)
            XCTAssertEqual(reread.documents.last?.id, "7")
            XCTAssertTrue(reread.documents.last?.idIsNumber ?? false)
            // The system tool agrees on the bytes: 11 lines, each one JSON object.
            let tool: [String] = name.hasSuffix(".gz") ? ["gzip", "-dc"] : name.hasSuffix(".zst") ? ["zstd", "-dc"] : ["cat"]
            let raw = try TestSupport.run(tool + [target])
            XCTAssertEqual(raw.filter { $0 == 0x0A }.count, 11, name)
            XCTAssertEqual(raw.last, 0x0A)
        }
    }

    func testWriterFlushesInBlocks() throws {
        final class Collector: ByteWriter {
            var writes: [Int] = []
            var bytes: [UInt8] = []
            var finished = false
            func write(_ b: UnsafeRawBufferPointer) throws { writes.append(b.count); bytes += b }
            func finish() throws { finished = true }
        }
        let sink = Collector()
        let writer = JSONLWriter(sink, bufferBytes: 1000)
        for i in 0..<100 { try writer.write(Document(id: "\(i)", text: String(repeating: "z", count: 90))) }
        XCTAssertTrue(sink.writes.allSatisfy { $0 >= 1000 && $0 < 1200 }, "\(sink.writes)")
        try writer.finish()
        XCTAssertTrue(sink.finished)
        let outcome = try readSequentially(ChunkedReader(sink.bytes, chunkSizes: [100]))
        XCTAssertEqual(outcome.documents.map(\.id), (0..<100).map { String($0) })
    }
}

/// Plain-text line batches (one sentence per line inputs) through the same machinery.
final class LineBatchTests: XCTestCase {
    func testLineBatchesCoverEveryLineInOrder() throws {
        let scratch = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        var text = ""
        for i in 0..<20_000 { text += i % 7 == 0 ? "\n" : "line \(i) with some words\n" }
        text += "last line without newline"
        let path = scratch.appendingPathComponent("lines.txt.gz").path
        try TestFiles.compress(Data(text.utf8), with: ["gzip", "-c"], to: path)
        for threads in [1, 2] {
            let reader = JSONLReader(try Input.open(path))
            var collected: [UInt8] = []
            try reader.forEachLineBatch(threads: threads, batchBytes: 4096, work: { Array($0) }) { batch in
                collected += batch
            }
            XCTAssertEqual(String(decoding: collected, as: UTF8.self), text, "threads \(threads)")
            XCTAssertEqual(reader.linesRead, 20_001)
            XCTAssertEqual(reader.documentsRead, 20_001 - (0..<20_000).filter { $0 % 7 == 0 }.count)
        }
    }
}
