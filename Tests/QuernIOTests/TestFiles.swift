import Foundation
import XCTest
@testable import QuernIO

/// Shared test plumbing: the real corpora in `../shared/corpora` (or `$QUERN_CORPORA`), scratch
/// folders, and the system compression tools the tests compare against.
enum TestFiles {
    /// The package root, found from this file's path (Tests/QuernIOTests/TestFiles.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var corporaRoot: String {
        if let env = ProcessInfo.processInfo.environment["QUERN_CORPORA"], !env.isEmpty { return env }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora").path
    }

    /// A path under the shared corpora; skips the test (visibly) where they are absent.
    static func corpora(_ relative: String) throws -> String {
        let path = corporaRoot + "/" + relative
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("shared corpora not found at \(path): set QUERN_CORPORA to run this test")
        }
        return path
    }

    static func scratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("quern-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct CommandFailed: Error, CustomStringConvertible {
        let command: [String], status: Int32, stderr: String
        var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
    }

    /// Runs a command (found on PATH) and returns its standard output.
    static func run(_ command: [String], stdin: Data? = nil) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            DispatchQueue.global().async {
                input.fileHandleForWriting.write(stdin)
                try? input.fileHandleForWriting.close()
            }
        }
        // Read stderr on the side so a chatty tool cannot fill its pipe and stall.
        nonisolated(unsafe) var errorText = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorText = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        group.wait()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(command: command, status: process.terminationStatus,
                                stderr: String(decoding: errorText, as: UTF8.self))
        }
        return Array(data)
    }

    static func compress(_ data: Data, with command: [String], to path: String) throws {
        try Data(run(command, stdin: data)).write(to: URL(fileURLWithPath: path))
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
            file.append(Data(try run(["bzip2", "-c"], stdin: Data(bytes[start..<end]))))
            streams += 1
            start = end
        }
        try file.write(to: URL(fileURLWithPath: path))
        return streams
    }

    /// Real prose, at least `minimumBytes` long: the shared Gutenberg books (repeated if needed),
    /// or, without the corpora, this package's own sources.
    static func realText(minimumBytes: Int) throws -> Data {
        var pieces: [Data] = []
        let books = corporaRoot + "/books"
        if let names = try? FileManager.default.contentsOfDirectory(atPath: books) {
            for name in names.sorted() where name.hasSuffix(".txt") {
                pieces.append(try Data(contentsOf: URL(fileURLWithPath: books + "/" + name)))
            }
        }
        if pieces.isEmpty {
            let sources = packageRoot.appendingPathComponent("Sources/QuernIO")
            for name in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
                pieces.append(try Data(contentsOf: sources.appendingPathComponent(name)))
            }
        }
        var text = Data()
        while text.count < minimumBytes {
            for piece in pieces { text.append(piece) }
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
        let out = try run(["python3", "-c", script, path])
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
