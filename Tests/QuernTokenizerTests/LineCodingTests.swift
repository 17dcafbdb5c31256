import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// The plumbing of `encode`, `decode` and `count` (line handling, order across batches and
/// cores, errors), with a transparent tokenizer whose ids are the bytes themselves, so expected
/// outputs can be computed independently here.
final class LineCodingTests: XCTestCase {
    /// id = byte value; BOS 256, EOS 257.
    struct ByteTokenizer: Tokenizer {
        var vocabularySize: Int { 258 }
        var bosID: TokenID? { 256 }
        var eosID: TokenID? { 257 }
        func encode(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [TokenID]) {
            for byte in text { ids.append(TokenID(byte)) }
        }
        func decode(_ ids: [TokenID]) -> [UInt8] { ids.compactMap { $0 < 256 ? UInt8($0) : nil } }
        func piece(for id: TokenID) -> String? { id < 256 ? "b\(id)" : (id == 256 ? "<s>" : "</s>") }
    }

    final class Collect: ByteWriter {
        var bytes: [UInt8] = []
        var finished = false
        func write(_ b: UnsafeRawBufferPointer) throws { bytes += b }
        func finish() throws { finished = true }
    }

    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func lines(_ count: Int) -> [String] {
        (0..<count).map { i in i % 5 == 0 ? "" : "line \(i) é \(String(repeating: "x", count: i % 37))" }
    }

    func testEncodeGivesOneLineOfIdsPerInputLineInOrder() throws {
        let input = lines(30_000)
        let path = scratch.appendingPathComponent("in.txt").path
        try Data((input.joined(separator: "\r\n") + "\r\n").utf8).write(to: URL(fileURLWithPath: path))
        let expected = input.map { line in
            ([256] + Array(line.utf8).map(Int.init) + [257]).map(String.init).joined(separator: " ")
        }.joined(separator: "\n") + "\n"
        for threads in [1, 2] {
            let out = Collect()
            try LineCoding.encode(try Input.open(path), with: ByteTokenizer(), to: out,
                                  addBOS: true, addEOS: true, threads: threads)
            XCTAssertTrue(out.finished)
            XCTAssertEqual(String(decoding: out.bytes, as: UTF8.self), expected, "threads \(threads)")
        }
        let pieces = Collect()
        let small = scratch.appendingPathComponent("small.txt").path
        try Data("ab\n\nc".utf8).write(to: URL(fileURLWithPath: small))
        try LineCoding.encode(try Input.open(small), with: ByteTokenizer(), to: pieces, as: .pieces)
        XCTAssertEqual(String(decoding: pieces.bytes, as: UTF8.self), "b97 b98\n\nb99\n")
    }

    func testDecodeReversesEncodeAndNamesBadLines() throws {
        let input = lines(5_000)
        let ids = scratch.appendingPathComponent("ids.txt").path
        let encoded = Collect()
        let text = scratch.appendingPathComponent("text.txt").path
        try Data((input.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: text))
        try LineCoding.encode(try Input.open(text), with: ByteTokenizer(), to: encoded)
        try Data(encoded.bytes).write(to: URL(fileURLWithPath: ids))
        let decoded = Collect()
        try LineCoding.decode(try Input.open(ids), with: ByteTokenizer(), to: decoded)
        XCTAssertEqual(String(decoding: decoded.bytes, as: UTF8.self), input.joined(separator: "\n") + "\n")

        let bad = scratch.appendingPathComponent("bad.txt").path
        try Data("97 98\n99 300\n".utf8).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try LineCoding.decode(try Input.open(bad), with: ByteTokenizer(), to: Collect())) { error in
            let e = error as? QuernIOError
            XCTAssertEqual(e?.record, 2)
            XCTAssertTrue("\(error)".contains("300"), "\(error)")
        }
    }

    func testCountSniffsFormatAndCountsTextAndJSONL() throws {
        let input = lines(10_000)
        let text = scratch.appendingPathComponent("text.txt.zst").path
        try Data((input.joined(separator: "\n")).utf8).write(to: URL(fileURLWithPath: text + ".raw"))
        _ = try TestSupport.run(["zstd", "-q", "-f", text + ".raw", "-o", text])
        let nonEmpty = input.filter { !$0.isEmpty }
        let count = TokenCounter.count(text, tokenizer: ByteTokenizer())
        XCTAssertNil(count.failure)
        XCTAssertEqual(count.format, .text)
        XCTAssertEqual(count.documents, nonEmpty.count)
        XCTAssertEqual(count.tokens, nonEmpty.reduce(0) { $0 + $1.utf8.count })
        XCTAssertEqual(count.bytes, count.tokens)

        let shard = try TestSupport.corpora("pretraining/dolma__cc_en_head-0174.jsonl.gz")
        let jsonl = TokenCounter.count(shard, tokenizer: ByteTokenizer(), threads: 2)
        XCTAssertEqual(jsonl.format, .jsonl)
        XCTAssertEqual(jsonl.documents, 10)
        // Bytes of the texts as Python's json module sees them (computed independently).
        let expected = try TestSupport.run(["python3", "-c",
            "import gzip,json,sys; print(sum(len(json.loads(l)['text'].encode()) for l in gzip.open(sys.argv[1])))", shard])
        XCTAssertEqual("\(jsonl.tokens)", String(decoding: expected, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))

        let missing = TokenCounter.count(scratch.appendingPathComponent("nope").path, tokenizer: ByteTokenizer())
        XCTAssertNotNil(missing.failure)
        let stdin = TokenCounter.count("-", tokenizer: ByteTokenizer())
        XCTAssertTrue("\(stdin.failure!)".contains("--format"))
    }
}
