import Foundation
import QuernTestSupport
import XCTest

/// `quern shard` run as a user runs it, including being killed halfway.
final class ShardCLITests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    static let sample = TestSupport.packageRoot.appendingPathComponent("Corpora/sample/books.jsonl.zst").path

    func arguments(_ folder: String) -> [String] {
        ["shard", "data=" + Self.sample, "-o", folder, "--shard-tokens", "5000", "--mix", "data=1:20",
         "--val-fraction", "0.1", "--format", "both", "--seed", "9"]
    }

    func files(_ folder: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name != ".quern-shard" {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return out
    }

    func testKilledRunLeavesNoCompleteLookingShardAndARerunFinishesByteIdentical() throws {
        let reference = scratch.appendingPathComponent("reference").path
        let whole = try CLITests.quern(arguments(reference))
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stderr.contains("mixture plan"), whole.stderr)

        let folder = scratch.appendingPathComponent("interrupted").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.executable)
        process.arguments = arguments(folder)
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        var killed = false
        while Date() < deadline && process.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            if names.filter({ $0.hasPrefix("train_") && $0.hasSuffix(".bin") }).count >= 3 {
                kill(process.processIdentifier, SIGKILL)
                killed = true
                break
            }
            usleep(500)
        }
        process.waitUntilExit()
        XCTAssertTrue(killed, "the run finished before it could be killed: the test input is too small for this machine")
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)

        // Nothing that looks complete is wrong: no manifest, and every shard under its final
        // name is whole and equal to the uninterrupted run's.
        let partial = try files(folder)
        let expected = try files(reference)
        XCTAssertNil(partial["manifest.json"])
        for (name, data) in partial where !name.hasPrefix(".") {
            XCTAssertEqual(data, expected[name], "\(name) exists after the kill but differs from the complete run's")
        }
        XCTAssertLessThan(partial.keys.filter { !$0.hasPrefix(".") }.count, expected.count)

        let rerun = try CLITests.quern(arguments(folder))
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        // The sample is small, so pass 1 kept it in memory and the rerun encodes it again.
        XCTAssertFalse(rerun.stderr.contains("reusing the encoded"), rerun.stderr)
        XCTAssertTrue(rerun.stderr.contains("keeping"), rerun.stderr)
        let finished = try files(folder)
        XCTAssertEqual(Set(finished.keys), Set(expected.keys))
        for (name, data) in expected { XCTAssertEqual(finished[name], data, name) }

        // A third run has nothing to do.
        let again = try CLITests.quern(arguments(folder))
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("nothing to do"), again.stderr)
    }

    func testBadArgumentsAreExplained() throws {
        let folder = scratch.appendingPathComponent("x").path
        let r = try CLITests.quern(["shard", "a=" + Self.sample, "-o", folder, "--mix", "b=1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("'a' has no --mix entry") || r.stderr.contains("'b'"), r.stderr)
        let f = try CLITests.quern(["shard", Self.sample, "-o", folder, "--format", "parquet"])
        XCTAssertNotEqual(f.status, 0)
        XCTAssertTrue(f.stderr.contains("llmc, megatron or both"), f.stderr)
    }
}
