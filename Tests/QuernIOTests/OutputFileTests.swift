import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

final class OutputFileTests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// Outputs in every written codec are read back by the system tools, byte for byte.
    func testWritersAreReadableBySystemTools() throws {
        let text = Array(try TestFiles.realText(minimumBytes: 1 << 20))
        for (name, tool) in [("out.txt", ["cat"]), ("out.gz", ["gzip", "-dc"]), ("out.zst", ["zstd", "-dc"])] {
            let path = scratch.appendingPathComponent(name).path
            let file = try OutputFile(path: path)
            // Many small writes and one large one, as callers do.
            var i = 0
            while i < text.count / 2 {
                let end = min(i + 1000, text.count / 2)
                try text[i..<end].withUnsafeBytes { try file.write($0) }
                i = end
            }
            try text[i...].withUnsafeBytes { try file.write($0) }
            try file.finish()
            XCTAssert(try TestSupport.run(tool + [path]) == text, name)
            XCTAssert(try Input.open(path).readAll() == text, name)
        }
        let levels = scratch.appendingPathComponent("fast.zst").path
        let fast = try OutputFile(path: levels, level: 1, threads: 0)
        try fast.write(text)
        try fast.finish()
        XCTAssert(try TestSupport.run(["zstd", "-dc", levels]) == text)
    }

    /// Until finish() the output exists only under a temporary name; dropping the writer (an
    /// interrupted run) leaves the target as it was, with no temporary file behind.
    func testOutputAppearsOnlyWhenFinished() throws {
        let path = scratch.appendingPathComponent("docs.jsonl.zst").path
        try Data("old contents\n".utf8).write(to: URL(fileURLWithPath: path))
        do {
            let file = try OutputFile(path: path)
            try file.write("new contents\n")
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old contents\n")
            // Dropped without finish(), as when a run is interrupted by an error.
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old contents\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["docs.jsonl.zst"])

        let file = try OutputFile(path: path)
        try file.write("new contents\n")
        try file.finish()
        XCTAssertEqual(try TestSupport.run(["zstd", "-dc", path]), Array("new contents\n".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["docs.jsonl.zst"])
    }

    func testUnwritableAndUnsupportedOutputsFailClearly() throws {
        XCTAssertThrowsError(try OutputFile(path: "/nonexistent-folder/x.zst")) { error in
            XCTAssertTrue("\(error)".contains("nonexistent-folder"), "\(error)")
        }
        XCTAssertThrowsError(try OutputFile(path: scratch.appendingPathComponent("x.bz2").path)) { error in
            XCTAssertEqual((error as? QuernIOError)?.kind, .invalidArgument)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), [])
    }

    /// A named pipe (like /dev/null or /dev/stdout, not a regular file) is written in place and
    /// stays what it was: a temporary file renamed over it would replace it. (A FIFO in a scratch
    /// folder, so a regression cannot damage the machine's /dev/null.)
    func testNonRegularTargetsAreWrittenInPlace() throws {
        let dir = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        nonisolated(unsafe) var received = Data()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            received = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile() ?? Data()
            done.signal()
        }
        let file = try OutputFile(path: fifo, codec: .plain)
        try file.write(Array("through the pipe\n".utf8))
        try file.finish()
        // Without the in-place write nobody ever opens the pipe for writing: the reader would
        // wait forever, so the wait is bounded.
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "nothing was written to the pipe")
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "through the pipe\n")
        var info = stat()
        XCTAssertEqual(stat(fifo, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["pipe"], "no temporary file left")
    }
}
