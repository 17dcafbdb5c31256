import Foundation
@testable import QuernShards
import XCTest

/// Pass 2's two threads: every document arrives once, in the seeded order, across many gathered
/// blocks; a sink that fails stops the helper thread and the error reaches the caller.
final class PassTwoTests: XCTestCase {
    func interleaver(documents n: Int) throws -> Interleaver {
        let tokens = try XCTUnwrap(MemorySpill(capacity: 1 << 24))
        let docs = try XCTUnwrap(MemorySpill(capacity: 1 << 24))
        // Document i holds one token, i mod 65521, so the order can be read back.
        let ids = (0..<n).map { UInt16(truncatingIfNeeded: $0 % 65521) }
        ids.withUnsafeBytes { XCTAssertTrue(tokens.append($0)) }
        var records: [UInt64] = []
        for i in 0..<n { records.append(UInt64(i) &* 0x9E37_79B9_7F4A_7C15); records.append(1) }
        records.withUnsafeBytes { XCTAssertTrue(docs.append($0)) }
        let spill = try SourceSpill(name: "x", base: "/nonexistent/x",
                                    files: [FileCounts(path: "x", format: "text", documents: n, bytes: n, tokens: n)],
                                    width: .uint16, validationFraction: 0, tokens: tokens, docs: docs)
        spill.plan(epochs: 1, seed: 1, specials: 0)
        return Interleaver(streams: [SourceStream(spill: spill, split: .train, seed: 1)], window: 5000, seed: 3)
    }

    func testEveryDocumentOnceAcrossBlocksAndTheSameOrderTwice() throws {
        let n = 3 * Gather.blockDocuments + 123
        let interleaver = try interleaver(documents: n)
        var first: [UInt16] = [], second: [UInt16] = []
        try interleaver.forEach { first.append($0.tokens.load(as: UInt16.self)) }
        try interleaver.forEach { second.append($0.tokens.load(as: UInt16.self)) }
        XCTAssertEqual(first.count, n)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.sorted(), (0..<n).map { UInt16(truncatingIfNeeded: $0 % 65521) }.sorted())
        XCTAssertNotEqual(Array(first.prefix(100)), (0..<100).map { UInt16($0) })
    }

    func testAFailingSinkStopsPassTwo() throws {
        struct Stop: Error {}
        let interleaver = try interleaver(documents: 5 * Gather.blockDocuments)
        var seen = 0
        XCTAssertThrowsError(try interleaver.forEach { _ in
            seen += 1
            if seen == Gather.blockDocuments + 7 { throw Stop() }
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(seen, Gather.blockDocuments + 7)
    }
}
