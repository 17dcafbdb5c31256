import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

/// `PrefetchReader` hands on exactly the bytes and the damage of the reader it wraps, and can be
/// abandoned half way without leaving its thread behind.
final class PrefetchReaderTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testSameBytesAsTheWrappedReaderForEveryCodec() throws {
        let text = try TestFiles.realText(minimumBytes: 3 << 20)
        let plain = dir.appendingPathComponent("text").path
        try text.write(to: URL(fileURLWithPath: plain))
        let files = [
            (plain, Codec.plain),
            (plain + ".gz", .gzip), (plain + ".bz2", .bzip2), (plain + ".zst", .zstd), (plain + ".xz", .xz),
        ]
        try TestFiles.compress(text, with: ["gzip", "-c"], to: files[1].0)
        try TestFiles.compress(text, with: ["bzip2", "-c"], to: files[2].0)
        try TestFiles.compress(text, with: ["zstd", "-c", "-q"], to: files[3].0)
        try TestFiles.compress(text, with: ["xz", "-c"], to: files[4].0)
        for (path, codec) in files {
            for depth in [2, 8] {
                let reader = PrefetchReader(try Input.open(path), depth: depth)
                XCTAssertEqual(reader.codec, codec)
                var chunks = 0
                var out = [UInt8]()
                while let chunk = try reader.nextChunk() {
                    chunks += 1
                    out.append(contentsOf: chunk)
                }
                XCTAssertTrue(out == Array(text), "\(codec), depth \(depth)")
                if [.gzip, .zstd].contains(codec) {  // small decoder blocks: slots get reused
                    XCTAssertGreaterThan(chunks, depth, "\(codec)")
                }
                XCTAssertEqual(reader.storedBytesRead, reader.storedSize, "\(codec)")
                XCTAssertNil(try reader.nextChunk(), "stays at the end")
            }
        }
    }

    func testDamageArrivesAfterTheBytesBeforeIt() throws {
        let text = try TestFiles.realText(minimumBytes: 1 << 20)
        let path = dir.appendingPathComponent("text.bz2").path
        try TestFiles.compress(text, with: ["bzip2", "-c"], to: path)
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        bytes.removeLast(bytes.count / 3)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        func drain(_ reader: ByteReader) -> ([UInt8], QuernIOError?) {
            var out = [UInt8]()
            do {
                while let chunk = try reader.nextChunk() { out.append(contentsOf: chunk) }
            } catch {
                return (out, error as? QuernIOError)
            }
            return (out, nil)
        }
        let direct = drain(try Bzip2Reader(input: FileInput(path: path)))
        let prefetched = drain(PrefetchReader(try Bzip2Reader(input: FileInput(path: path))))
        XCTAssertNotNil(direct.1)
        XCTAssertEqual(prefetched.1, direct.1)
        XCTAssertTrue(prefetched.0 == direct.0)
        XCTAssertFalse(prefetched.0.isEmpty)
    }

    func testAbandonedHalfWayStopsItsThread() throws {
        let text = try TestFiles.realText(minimumBytes: 4 << 20)
        let path = dir.appendingPathComponent("text.gz").path
        try TestFiles.compress(text, with: ["gzip", "-c"], to: path)
        for _ in 0..<20 {
            let reader = PrefetchReader(try Input.open(path), depth: 2)
            _ = try reader.nextChunk()
            // Dropping the reader must not hang (deinit waits for the producer to stop).
        }
    }
}
