import Foundation
import QuernTestSupport
import XCTest

/// The `quern` executable, run as a user runs it.
final class CLITests: XCTestCase {
    /// The built `quern` beside the test bundle (.build/<config>/).
    static var executable: String {
        let folder = Bundle.main.bundleURL.hasDirectoryPath
            ? Bundle.main.bundleURL : Bundle.main.bundleURL.deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("quern")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url.path }
        }
        return folder.appendingPathComponent("quern").path
    }

    static func quern(_ arguments: [String], stdin: Data? = nil) throws -> TestSupport.ProcessResult {
        try TestSupport.execute(executable, arguments, stdin: stdin)
    }

    static func system(_ script: String) throws -> [UInt8] { try TestSupport.shell(script) }

    var scratch: URL!
    override func setUpWithError() throws {
        scratch = try TestSupport.scratchFolder()
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func testHelpForEverySubcommand() throws {
        let top = try Self.quern(["--help"])
        XCTAssertEqual(top.status, 0)
        let help = String(decoding: top.stdout, as: UTF8.self)
        let subcommands = help.components(separatedBy: "SUBCOMMANDS:").last?
            .split(separator: "\n").compactMap { line -> String? in
                let words = line.split(separator: " ")
                guard line.hasPrefix("  "), !line.hasPrefix("    "), let first = words.first else { return nil }
                return String(first)
            } ?? []
        XCTAssertTrue(subcommands.contains("cat"), help)
        XCTAssertTrue(subcommands.contains("stats"), help)
        for sub in subcommands where sub != "See" {
            let r = try Self.quern([sub, "--help"])
            XCTAssertEqual(r.status, 0, sub)
            XCTAssertTrue(String(decoding: r.stdout, as: UTF8.self).contains("USAGE: quern \(sub)"), sub)
        }
    }

    func testCatIsByteIdenticalToSystemTools() throws {
        let corpora = try TestSupport.corpora("web")
        let warcs = try FileManager.default.contentsOfDirectory(atPath: corpora)
            .filter { $0.hasSuffix(".warc.gz") }.sorted().map { corpora + "/" + $0 }
        let r = try Self.quern(["cat"] + warcs)
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = try Self.system("gzip -dc " + warcs.map { "'\($0)'" }.joined(separator: " "))
        XCTAssertEqual(r.stdout.count, expected.count)
        XCTAssert(r.stdout == expected)

        let wiki = try TestSupport.corpora("wikipedia/wp2txt__testdata_ja.bz2")
        let w = try Self.quern(["cat", wiki])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssert(w.stdout == (try Self.system("bzip2 -dc '\(wiki)'")))

        // Standard input, and every codec written by its own tool.
        let text = Array(try Data(contentsOf: URL(fileURLWithPath: try TestSupport.corpora("books/GITenberg_Pride-and-Prejudice__1342-0.txt"))))
        let book = try TestSupport.corpora("books/GITenberg_Pride-and-Prejudice__1342-0.txt")
        for tool in ["gzip -c", "bzip2 -c", "zstd -c", "xz -c", "cat"] {
            let path = scratch.appendingPathComponent("book.\(tool.prefix { $0 != " " })").path
            _ = try Self.system("\(tool) < '\(book)' > '\(path)'")
            let r = try Self.quern(["cat", path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssert(r.stdout == text, tool)
            let piped = try Self.quern(["cat", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssert(piped.stdout == text, "\(tool) on stdin")
        }
    }

    func testCatOnDamagedInputWritesWhatDecodesNamesTheOffsetAndExits1() throws {
        let warc = try TestSupport.corpora("web/resiliparse__warcfile.warc.gz")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: warc))
        let cut = scratch.appendingPathComponent("cut.warc.gz").path
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        let whole = try Self.system("gzip -dc '\(warc)'")
        let partial = try Self.system("gzip -dc '\(cut)' 2>/dev/null")  // gzip's own partial output

        let r = try Self.quern(["cat", cut, warc])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains(cut), r.stderr)
        XCTAssertTrue(r.stderr.contains("byte offset"), r.stderr)
        XCTAssertTrue(r.stderr.contains("truncated"), r.stderr)
        // Everything gzip could decode, then the whole second file.
        XCTAssert(r.stdout == partial + whole, "\(r.stdout.count) vs \(partial.count) + \(whole.count)")

        let missing = try Self.quern(["cat", scratch.appendingPathComponent("nope.gz").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.gz"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("No such file"), missing.stderr)
    }

    /// `quern stats` against counts computed independently by Python's json module, on the real
    /// dolma shards and the bundled sample, with malformed lines and a damaged file mixed in.
    func testStatsMatchesPythonAndReportsBadInput() throws {
        let shards = try ["0091", "0174"].map { try TestSupport.corpora("pretraining/dolma__cc_en_head-\($0).jsonl.gz") }
        let sample = TestSupport.packageRoot.appendingPathComponent("Corpora/sample/books.jsonl.zst").path
        let mixed = scratch.appendingPathComponent("mixed.jsonl").path
        let good = #"{"id":"a","text":"one two\nthree"}"#
        try Data((good + "\n{broken\n\n" + #"{"id":"b","text":"  \u00e9t\u00e9  "}"# + "\n" + #"{"id":"c"}"# + "\n").utf8)
            .write(to: URL(fileURLWithPath: mixed))
        let cut = scratch.appendingPathComponent("cut.jsonl.gz").path
        let shardBytes = try Data(contentsOf: URL(fileURLWithPath: shards[0]))
        try shardBytes.prefix(shardBytes.count / 2).write(to: URL(fileURLWithPath: cut))

        let script = """
        import gzip, json, subprocess, sys
        def load(p):
            if p.endswith('.gz'): return gzip.open(p, 'rb').read()
            if p.endswith('.zst'): return subprocess.run(['zstd', '-dc', p], capture_output=True, check=True).stdout
            return open(p, 'rb').read()
        out = []
        for p in sys.argv[1:]:
            d = b = c = w = l = bad = 0
            for line in load(p).split(b'\\n'):
                if not line.strip(): continue
                try: t = json.loads(line)['text']
                except Exception: bad += 1; continue
                d += 1; b += len(t.encode()); c += len(t); w += len(t.split())
                l += t.count('\\n') + (1 if t and not t.endswith('\\n') else 0)
            out.append(dict(path=p, documents=d, bytes=b, characters=c, words=w, lines=l, malformed=bad))
        print(json.dumps(out))
        """
        let expectedJSON = try Self.system("python3 -c \"$(cat <<'PY'\n\(script)\nPY\n)\" " +
                                           (shards + [sample, mixed]).map { "'\($0)'" }.joined(separator: " "))
        let expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(expectedJSON)) as? [[String: Any]])
        XCTAssertEqual(expected.count, 4)

        let r = try Self.quern(["stats", "--json"] + shards + [sample, mixed, cut])
        XCTAssertEqual(r.status, 1, "the cut file must make the exit status 1")
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any])
        let files = try XCTUnwrap(report["files"] as? [[String: Any]])
        XCTAssertEqual(files.count, 5)
        for (mine, theirs) in zip(files, expected) {
            for key in ["path", "documents", "bytes", "characters", "words", "lines", "malformed"] {
                XCTAssertEqual("\(mine[key] ?? "-")", "\(theirs[key] ?? "-")", "\(theirs["path"] ?? "") \(key)")
            }
        }
        XCTAssertEqual(files[3]["malformed"] as? Int, 2)
        XCTAssertTrue(r.stderr.contains(mixed + ": record 2"), r.stderr)  // "{broken" is line 2
        XCTAssertTrue(r.stderr.contains(mixed + ": record 5"), r.stderr)  // no "text" on line 5
        XCTAssertNotNil(files[4]["error"], "the truncated file carries its error")
        XCTAssertTrue(r.stderr.contains(cut), r.stderr)
        let total = try XCTUnwrap(report["total"] as? [String: Any])
        let documents = files.compactMap { $0["documents"] as? Int }.reduce(0, +)
        XCTAssertEqual(total["documents"] as? Int, documents)

        let table = try Self.quern(["stats", sample])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(String(decoding: table.stdout, as: UTF8.self).contains("books.jsonl.zst"))
    }
}

