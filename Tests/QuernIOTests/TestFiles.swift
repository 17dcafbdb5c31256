import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

/// Codec test plumbing: files compressed with the system tools, real text, draining readers.
enum TestFiles {
    static func compress(_ data: Data, with command: [String], to path: String) throws {
        try Data(TestSupport.run(command, stdin: data)).write(to: URL(fileURLWithPath: path))
    }

    /// Cuts `data` into pieces and writes each as its own bzip2 stream, one after another, as
    /// Wikipedia's multistream dumps are made. Returns the number of streams.
    static func writeMultistreamBzip2(_ data: some Collection<UInt8>, pieceSize: Int, to path: String) throws -> Int {
        let bytes = Array(data)
        var file = Data()
        var streams = 0
        var start = 0
        while start < bytes.count {
            let end = min(start + pieceSize, bytes.count)
            file.append(Data(try TestSupport.run(["bzip2", "-c"], stdin: Data(bytes[start..<end]))))
            streams += 1
            start = end
        }
        try file.write(to: URL(fileURLWithPath: path))
        return streams
    }

    /// Real prose, at least `minimumBytes` long: the shared Gutenberg books (repeated if needed).
    /// Without the corpora: words of this package's own sources drawn in a fixed pseudo-random
    /// order, so the text compresses like prose rather than like one file repeated.
    static func realText(minimumBytes: Int) throws -> Data {
        var text = Data()
        let books = TestSupport.corporaRoot + "/books"
        if let names = try? FileManager.default.contentsOfDirectory(atPath: books) {
            let pieces = try names.sorted().filter { $0.hasSuffix(".txt") }
                .map { try Data(contentsOf: URL(fileURLWithPath: books + "/" + $0)) }
            while !pieces.isEmpty && text.count < minimumBytes {
                for piece in pieces where text.count < minimumBytes { text.append(piece) }
            }
            if !text.isEmpty { return text }
        }
        let sources = TestSupport.packageRoot.appendingPathComponent("Sources/QuernIO")
        var words: [Data] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
            let file = try Data(contentsOf: sources.appendingPathComponent(name))
            words += file.split(whereSeparator: { $0 == 0x20 || $0 == 0x0A }).map { Data($0) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var column = 0
        while text.count < minimumBytes {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let word = words[Int((state >> 33) % UInt64(words.count))]
            text.append(word)
            column += word.count + 1
            if column > 72 { text.append(0x0A); column = 0 } else { text.append(0x20) }
        }
        return text
    }

    /// Counts gzip members by decoding with zlib member by member (independently of QuernIO).
    static func countGzipMembers(_ path: String) throws -> Int {
        let script = """
        import sys, zlib
        data = open(sys.argv[1], 'rb').read(); n = 0
        while data:
            d = zlib.decompressobj(31); d.decompress(data); data = d.unused_data; n += 1
        print(n)
        """
        let out = try TestSupport.run(["python3", "-c", script, path])
        return Int(String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Length of the common prefix of two byte arrays (memcmp over blocks: debug builds crawl
    /// through element-wise loops).
    static func commonPrefixLength(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let n = min(a.count, b.count)
        var i = 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                while i < n {
                    let step = min(4096, n - i)
                    if memcmp(pa.baseAddress! + i, pb.baseAddress! + i, step) == 0 { i += step; continue }
                    while pa[i] == pb[i] { i += 1 }
                    return
                }
            }
        }
        return i
    }

    /// Reads a reader to its end or its first error.
    static func drain(_ reader: ByteReader) -> (bytes: [UInt8], error: QuernIOError?) {
        var bytes: [UInt8] = []
        do {
            while let chunk = try reader.nextChunk() { bytes.append(contentsOf: chunk) }
            return (bytes, nil)
        } catch let error as QuernIOError {
            return (bytes, error)
        } catch {
            return (bytes, QuernIOError(.invalidArgument, file: reader.path, message: "\(error)"))
        }
    }
}
