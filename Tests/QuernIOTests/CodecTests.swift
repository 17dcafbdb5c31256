import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

/// Decoding every codec against the system tools, on real files and on files the tests compress
/// themselves, plus damage made by cutting and flipping bytes.
final class CodecTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try TestSupport.scratchFolder()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func decode(_ path: String, threads: Int = 1) throws -> [UInt8] {
        try Input.open(path, threads: threads).readAll()
    }

    /// Decodes with Quern and with the system tool and asserts equality; returns the bytes.
    @discardableResult
    private func assertMatchesSystemTool(_ path: String, tool: [String], threads: Int = 1,
                                         file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let expected = try TestSupport.run(tool + [path])
        let actual = try decode(path, threads: threads)
        XCTAssertEqual(actual.count, expected.count, "\(path): length", file: file, line: line)
        XCTAssert(actual == expected, "\(path): bytes differ from \(tool.joined(separator: " "))",
                  file: file, line: line)
        return actual
    }

    func testDetectsCodecByMagicNotName() throws {
        let text = Array("magic, not names\n".utf8)
        let plain = scratch.appendingPathComponent("looks-compressed.gz").path
        try Data(text).write(to: URL(fileURLWithPath: plain))
        XCTAssertEqual(try Input.open(plain).codec, .plain)
        XCTAssertEqual(try decode(plain), text)
        for (tool, codec) in [("gzip", Codec.gzip), ("bzip2", .bzip2), ("zstd", .zstd), ("xz", .xz)] {
            let misnamed = scratch.appendingPathComponent("\(tool).txt").path
            try TestFiles.compress(Data(text), with: [tool, "-c"], to: misnamed)
            let reader = try Input.open(misnamed)
            XCTAssertEqual(reader.codec, codec, tool)
            XCTAssertEqual(try reader.readAll(), text, tool)
        }
    }

    func testEmptyInputs() throws {
        let empty = scratch.appendingPathComponent("empty").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        XCTAssertEqual(try decode(empty), [])
        for tool in ["gzip", "bzip2", "zstd", "xz"] {
            let path = scratch.appendingPathComponent("empty.\(tool)").path
            try TestFiles.compress(Data(), with: [tool, "-c"], to: path)
            XCTAssertEqual(try decode(path), [], tool)
            XCTAssertEqual(try decode(path, threads: 2), [], tool)
        }
    }

    func testRealMultiMemberWARCsMatchGzip() throws {
        let web = try TestSupport.corpora("web")
        let files = try FileManager.default.contentsOfDirectory(atPath: web).filter { $0.hasSuffix(".gz") }.sorted()
        XCTAssertGreaterThan(files.count, 5)
        var members = 0
        for name in files {
            let path = web + "/" + name
            try assertMatchesSystemTool(path, tool: ["gzip", "-dc"])
            members += try TestFiles.countGzipMembers(path)
        }
        // Common Crawl style: one member per record, so far more members than files.
        XCTAssertGreaterThan(members, files.count * 3)
    }

    func testRealWikipediaDumpsMatchBzip2() throws {
        let wiki = try TestSupport.corpora("wikipedia")
        for name in try FileManager.default.contentsOfDirectory(atPath: wiki).sorted() where name.hasSuffix(".bz2") {
            try assertMatchesSystemTool(wiki + "/" + name, tool: ["bzip2", "-dc"])
            try assertMatchesSystemTool(wiki + "/" + name, tool: ["bzip2", "-dc"], threads: 2)
        }
    }

    func testRealDolmaShardsAndPlainFiles() throws {
        let shard = try TestSupport.corpora("pretraining/dolma__cc_en_head-0091.jsonl.gz")
        try assertMatchesSystemTool(shard, tool: ["gzip", "-dc"])
        let plain = try TestSupport.corpora("wikipedia/pywikibot__article-pear-0.10.xml")
        XCTAssertEqual(try decode(plain), Array(try Data(contentsOf: URL(fileURLWithPath: plain))))
    }

    /// Every codec, from files the test compresses with the system tools, including the variants
    /// corpus files come in: concatenated gzip members, several zstd frames, long zstd windows,
    /// multi-block and concatenated xz, multistream bzip2.
    func testEveryCodecAgainstSystemTools() throws {
        let text = try TestFiles.realText(minimumBytes: 1_200_000)
        let source = scratch.appendingPathComponent("text.txt").path
        try text.write(to: URL(fileURLWithPath: source))
        let expectedText = Array(text)
        let half = text.count / 2
        let a = scratch.appendingPathComponent("a.txt").path, b = scratch.appendingPathComponent("b.txt").path
        try text[..<half].write(to: URL(fileURLWithPath: a))
        try text[half...].write(to: URL(fileURLWithPath: b))

        let cases: [(name: String, make: [[String]], decoder: [String])] = [
            ("one.gz", [["gzip", "-c", source]], ["gzip", "-dc"]),
            ("members.gz", [["gzip", "-c", a], ["gzip", "-1c", b]], ["gzip", "-dc"]),
            ("one.bz2", [["bzip2", "-c", source]], ["bzip2", "-dc"]),
            ("streams.bz2", [["bzip2", "-c", a], ["bzip2", "-1c", b]], ["bzip2", "-dc"]),
            ("one.zst", [["zstd", "-q", "-c", source]], ["zstd", "-dc"]),
            ("frames.zst", [["zstd", "-q", "-c", a], ["zstd", "-q", "-19", "-c", b]], ["zstd", "-dc"]),
            ("long.zst", [["zstd", "-q", "--long=31", "-c", source]], ["zstd", "-dc", "--long=31"]),
            ("one.xz", [["xz", "-c", source]], ["xz", "-dc"]),
            ("blocks.xz", [["xz", "-T2", "--block-size=262144", "-c", source]], ["xz", "-dc"]),
            ("streams.xz", [["xz", "-c", a], ["xz", "-c", b]], ["xz", "-dc"]),
        ]
        for c in cases {
            let path = scratch.appendingPathComponent(c.name).path
            var bytes = Data()
            for command in c.make { bytes.append(Data(try TestSupport.run(command))) }
            try bytes.write(to: URL(fileURLWithPath: path))
            let decoded = try assertMatchesSystemTool(path, tool: c.decoder)
            XCTAssert(decoded == expectedText, c.name)
            XCTAssert(try decode(path, threads: 2) == expectedText, "\(c.name) with 2 threads")
        }
    }

    /// A multistream file made the way Wikipedia makes its multistream dumps (each piece its own
    /// bzip2 stream), from a real dump: the parallel reader must give the serial bytes, in order,
    /// however small its segments are.
    func testParallelMultistreamBzip2MatchesSerial() throws {
        let dump = try TestSupport.corpora("wikipedia/gensim__enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
        let xml = try TestSupport.run(["bzip2", "-dc", dump])
        let path = scratch.appendingPathComponent("multistream.xml.bz2").path
        let streams = try TestFiles.writeMultistreamBzip2(xml, pieceSize: 96 << 10, to: path)
        XCTAssertGreaterThan(streams, 50)
        for segment in [16 << 10, 100 << 10, 1 << 20] {
            for threads in [1, 2, 3] {
                let reader = try ParallelBzip2Reader(path: path, threads: threads, segmentSize: segment)
                let out = try reader.readAll()
                XCTAssert(out == xml, "segment \(segment), threads \(threads)")
                XCTAssertEqual(reader.storedBytesRead, reader.storedSize)
            }
        }
        // The default entry point picks the parallel reader for a regular bzip2 file.
        XCTAssert(try Input.open(path, threads: 2) is ParallelBzip2Reader)
    }

    /// Damage anywhere in a multistream file (a flipped byte, a cut, garbage after the end) must
    /// give, through the parallel reader, exactly the serial reader's bytes and error: a segment
    /// that does not decode cleanly hands the rest of the file to the serial decoder.
    func testDamagedMultistreamGivesSerialBytesAndError() throws {
        let payload = try TestFiles.realText(minimumBytes: 600 << 10)
        let clean = scratch.appendingPathComponent("clean.bz2").path
        _ = try TestFiles.writeMultistreamBzip2(payload, pieceSize: 64 << 10, to: clean)
        let good = Array(try Data(contentsOf: URL(fileURLWithPath: clean)))
        var flipped = good
        flipped[good.count / 2] ^= 0x55
        let damages: [(String, [UInt8])] = [
            ("flipped", flipped),
            ("cut", Array(good[..<(good.count * 2 / 3)])),
            ("garbage", good + Array("not bzip2".utf8)),
        ]
        for (name, bytes) in damages {
            let path = scratch.appendingPathComponent("\(name).bz2").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let serial = TestFiles.drain(try Bzip2Reader(input: FileInput(path: path)))
            let parallel = TestFiles.drain(try ParallelBzip2Reader(path: path, threads: 2, segmentSize: 32 << 10))
            XCTAssertNotNil(serial.error, name)
            XCTAssertEqual(parallel.error, serial.error, name)
            XCTAssert(parallel.bytes == serial.bytes, name)
            XCTAssertGreaterThan(serial.bytes.count, 0, name)
            if name != "flipped" {
                XCTAssert(payload.starts(with: serial.bytes), "\(name): output is a prefix of the original")
            }
        }
    }

    /// Cut and flipped inputs in every codec: everything before the damage comes out, then an
    /// error naming the file and a compressed offset inside the file.
    func testDamageIsReportedWithFileAndOffset() throws {
        let text = Array(try TestFiles.realText(minimumBytes: 1_200_000))
        for tool in ["gzip", "bzip2", "zstd", "xz"] {
            let path = scratch.appendingPathComponent("whole.\(tool)").path
            // bzip2 -1: 100k blocks, so half the file holds whole blocks (bzip2 emits per block).
            try TestFiles.compress(Data(text), with: tool == "bzip2" ? [tool, "-1c"] : [tool, "-c"], to: path)
            let whole = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            var flipped = whole
            flipped[whole.count / 2] ^= 0xff
            for (damage, bytes) in [("truncated", Array(whole[..<(whole.count / 2)])), ("flipped", flipped)] {
                let damaged = scratch.appendingPathComponent("\(damage).\(tool)").path
                try Data(bytes).write(to: URL(fileURLWithPath: damaged))
                for threads in [1, 2] {
                    let result = TestFiles.drain(try Input.open(damaged, threads: threads))
                    let error = try XCTUnwrap(result.error, "\(tool) \(damage) must fail")
                    XCTAssertEqual(error.file, damaged)
                    let offset = try XCTUnwrap(error.offset)
                    XCTAssert(offset >= 0 && offset <= Int64(bytes.count), "\(tool) \(damage) offset \(offset)")
                    XCTAssert(damage == "flipped" || error.kind == .truncated || tool == "xz",
                              "\(tool) \(damage): \(error)")
                    // A cut gives an exact prefix; a flipped byte may garble its own block before a
                    // checksum catches it (as with the system tools), but what came before is intact.
                    let intact = TestFiles.commonPrefixLength(text, result.bytes)
                    if damage == "truncated" {
                        XCTAssertEqual(intact, result.bytes.count, "\(tool) \(damage): output must be a prefix")
                    }
                    XCTAssertGreaterThan(intact, text.count / 8, "\(tool) \(damage): decodable part")
                }
            }
        }
    }

    func testTrailingGarbageAfterGzipMembersIsReported() throws {
        let path = scratch.appendingPathComponent("garbage.gz").path
        var bytes = Data(try TestSupport.run(["sh", "-c", "printf 'hello\\n' | gzip -c"]))
        let end = bytes.count
        bytes.append(Data([0, 0, 0]))  // zero padding is fine
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try decode(path), Array("hello\n".utf8))
        bytes.append(Data("junk".utf8))
        try bytes.write(to: URL(fileURLWithPath: path))
        let result = TestFiles.drain(try Input.open(path))
        XCTAssertEqual(result.bytes, Array("hello\n".utf8))
        XCTAssertEqual(result.error?.kind, .trailingGarbage)
        XCTAssertEqual(result.error?.offset, Int64(end + 3))
    }

    func testFindStreamStart() {
        let bytes: [UInt8] = [0, 1, 0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 7,
                              0x42, 0x5a, 0x68, 0x30, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59]  // level '0' is not valid
        bytes.withUnsafeBufferPointer { buffer in
            XCTAssertEqual(ParallelBzip2Reader.findStreamStart(in: buffer, from: 0), 2)
            XCTAssertEqual(ParallelBzip2Reader.findStreamStart(in: buffer, from: 3), nil)
        }
    }
}
