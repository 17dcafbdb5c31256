import Foundation
import XCTest

/// What every test target shares: the package root, the real corpora in `../shared/corpora` (or
/// `$QUERN_CORPORA`), scratch folders, and running other programs (the system tools the tests
/// compare against, Python references, the `quern` executable).
public enum TestSupport {
    /// The package root, found from this file's path (Tests/QuernTestSupport/TestSupport.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var corporaRoot: String {
        if let env = ProcessInfo.processInfo.environment["QUERN_CORPORA"], !env.isEmpty { return env }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora").path
    }

    /// A path under the shared corpora; skips the test (visibly) where they are absent.
    public static func corpora(_ relative: String) throws -> String {
        let path = corporaRoot + "/" + relative
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("shared corpora not found at \(path): set QUERN_CORPORA to run this test")
        }
        return path
    }

    /// A new empty folder under the system's temporary folder.
    public static func scratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("quern-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public struct ProcessResult: Sendable {
        public let status: Int32
        public let stdout: [UInt8]
        public let stderr: String
    }

    public struct CommandFailed: Error, CustomStringConvertible {
        public let command: [String], status: Int32, stderr: String
        public var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
    }

    /// Runs `executable` (a path, or a name looked up on PATH) with `arguments`, feeding `stdin`,
    /// and collects both outputs (stderr read on the side so a chatty program cannot stall).
    public static func execute(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            DispatchQueue.global().async {
                input.fileHandleForWriting.write(stdin)
                try? input.fileHandleForWriting.close()
            }
        }
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        group.wait()
        return ProcessResult(status: process.terminationStatus, stdout: Array(data),
                             stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// Runs a command (its first word found on PATH) and returns its standard output; throws when
    /// it exits non-zero.
    public static func run(_ command: [String], stdin: Data? = nil) throws -> [UInt8] {
        let result = try execute(command[0], Array(command.dropFirst()), stdin: stdin)
        guard result.status == 0 else {
            throw CommandFailed(command: command, status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }

    /// Runs a /bin/sh script and returns its standard output (whatever its exit status).
    public static func shell(_ script: String) throws -> [UInt8] {
        try execute("/bin/sh", ["-c", script]).stdout
    }
}
