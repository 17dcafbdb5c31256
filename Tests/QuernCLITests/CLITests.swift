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

    /// `quern encode` / `decode` with LLaMA's tokenizer.model against the sentencepiece library,
    /// and `quern count` with the default vocabulary shipped in Vocab/.
    func testEncodeDecodeCountAgainstSentencePiece() throws {
        let llama = try TestSupport.corpora("tokenizers/llama2.c__tokenizer.model")
        let book = try TestSupport.corpora("books/GITenberg_Pride-and-Prejudice__1342-0.txt")
        let text = Array(try Data(contentsOf: URL(fileURLWithPath: book)).prefix(200_000))
        let input = scratch.appendingPathComponent("in.txt").path
        // Whole lines only, without carriage returns (sentencepiece's reader keeps "\r").
        let lines = String(decoding: text, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast().joined(separator: "\n") + "\n"
        try Data(lines.utf8).write(to: URL(fileURLWithPath: input))
        guard (try? TestSupport.run(["python3", "-c", "import sentencepiece"])) != nil else {
            throw XCTSkip("python3 with sentencepiece is not available")
        }
        let expected = try TestSupport.run(["python3", "-c", """
            import sys, sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            for line in open(sys.argv[2], encoding="utf-8").read().split("\\n")[:-1]:
                print(" ".join(map(str, sp.encode(line))))
            """, llama, input])
        let encoded = try Self.quern(["encode", "-T", llama, input])
        XCTAssertEqual(encoded.status, 0, encoded.stderr)
        XCTAssert(encoded.stdout == expected, "ids differ from sentencepiece")

        let ids = scratch.appendingPathComponent("ids.txt").path
        try Data(encoded.stdout).write(to: URL(fileURLWithPath: ids))
        let decoded = try Self.quern(["decode", "-T", llama, ids])
        XCTAssertEqual(decoded.status, 0, decoded.stderr)
        XCTAssertEqual(String(decoding: decoded.stdout, as: UTF8.self), lines)

        // The default vocabulary, found beside the build without --tokenizer.
        let count = try Self.quern(["count", "--json", input, TestSupport.packageRoot.appendingPathComponent("Corpora/sample/books.jsonl.zst").path])
        XCTAssertEqual(count.status, 0, count.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(count.stdout)) as? [String: Any])
        let files = try XCTUnwrap(report["files"] as? [[String: Any]])
        XCTAssertEqual(files.map { $0["format"] as? String }, ["text", "jsonl"])
        XCTAssertEqual(files[1]["documents"] as? Int, 32)
        let vocab = TestSupport.packageRoot.appendingPathComponent("Vocab/quern-32k.model").path
        let reference = try TestSupport.run(["python3", "-c", """
            import sys, sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            print(sum(len(sp.encode(l)) for l in open(sys.argv[2], encoding="utf-8").read().split("\\n") if l))
            """, vocab, input])
        XCTAssertEqual("\(files[0]["tokens"] ?? "")", String(decoding: reference, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `quern tokenizer train` writes a .model that sentencepiece loads and a tokenizer.json that
    /// HF tokenizers loads, both encoding like Quern's own encoder.
    func testTokenizerTrainWritesFilesThePeersLoad() throws {
        let book = try TestSupport.corpora("books/sentencepiece__botchan.txt")
        let prefix = scratch.appendingPathComponent("botchan").path
        let train = try Self.quern(["tokenizer", "train", book, "-o", prefix, "--vocab-size", "1200"])
        XCTAssertEqual(train.status, 0, train.stderr)
        for ext in ["model", "json", "vocab"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: prefix + "." + ext), ext)
        }
        let sample = "Botchan said: \"I'll pay 1,250 yen.\"  Naïve café — 東京"
        let ours = try Self.quern(["encode", "-T", prefix + ".model"], stdin: Data((sample + "\n").utf8))
        let oursJSON = try Self.quern(["encode", "-T", prefix + ".json"], stdin: Data((sample + "\n").utf8))
        XCTAssertEqual(ours.stdout, oursJSON.stdout)
        guard (try? TestSupport.run(["python3", "-c", "import sentencepiece, tokenizers"])) != nil else {
            throw XCTSkip("python3 with sentencepiece and tokenizers is not available")
        }
        let peers = try TestSupport.run(["python3", "-c", """
            import sys, sentencepiece as spm, tokenizers
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1] + ".model")
            hf = tokenizers.Tokenizer.from_file(sys.argv[1] + ".json")
            a = sp.encode(sys.argv[2]); b = hf.encode(sys.argv[2], add_special_tokens=False).ids
            print(" ".join(map(str, a))); print(" ".join(map(str, b)))
            """, prefix, sample])
        let rows = String(decoding: peers, as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows.first, String(decoding: ours.stdout, as: UTF8.self).trimmingCharacters(in: .newlines))
        XCTAssertEqual(rows.last, rows.first)
    }

    /// `quern tokenizer train --mode byte-level`: a tiktoken rank file and a tokenizer.json that
    /// Quern loads back (by content) and that give the same ids as each other.
    func testByteLevelTrainingMode() throws {
        let book = try TestSupport.corpora("books/GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt")
        let prefix = scratch.appendingPathComponent("alice").path
        let train = try Self.quern(["tokenizer", "train", "--mode", "byte-level", "--pattern", "gpt2",
                                    "--vocab-size", "600", book, "-o", prefix])
        XCTAssertEqual(train.status, 0, train.stderr)
        let sample = Data("Alice was beginning to get very tired of sitting by her sister, 1865.\n".utf8)
        let viaRanks = try Self.quern(["encode", "-T", prefix + ".tiktoken", "--pattern", "gpt2"], stdin: sample)
        let viaJSON = try Self.quern(["encode", "-T", prefix + ".json"], stdin: sample)
        XCTAssertEqual(viaRanks.status, 0, viaRanks.stderr)
        XCTAssertEqual(viaJSON.status, 0, viaJSON.stderr)
        XCTAssertEqual(viaRanks.stdout, viaJSON.stdout)
        let ids = String(decoding: viaRanks.stdout, as: UTF8.self).split(separator: " ").count
        XCTAssertLessThan(ids, sample.count / 2, "600 tokens learned from the book compress its own prose")
        let bad = try Self.quern(["tokenizer", "train", "--mode", "bytes", book, "-o", prefix])
        XCTAssertNotEqual(bad.status, 0)
    }

    /// `quern extract web`: a compressed JSONL the warcio-independent reader of Quern reads back,
    /// a report that adds up, damage reported on stderr with file and offset, nothing left at the
    /// output path when the job fails.
    func testExtractWebWritesDocumentsAndAReport() throws {
        let warc = try TestSupport.corpora("web/resiliparse__warcfile.warc.gz")
        let out = scratch.appendingPathComponent("web.jsonl.zst").path
        let reportPath = scratch.appendingPathComponent("report.json").path
        let r = try Self.quern(["extract", "web", warc, "-o", out, "--report", reportPath])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("extract web: 1 file, 50 records"), r.stderr)
        let lines = try Self.system("zstd -dc '\(out)'").split(separator: 0x0A)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any]
        XCTAssertEqual(report?["documents"] as? Int, lines.count)
        let records = (report?["archive"] as? [String: Any])?["records"] as? [String: Any]
        XCTAssertEqual(records?["response"] as? Int, 16)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            XCTAssertEqual(object?["source"] as? String, "web")
            XCTAssertTrue((object?["id"] as? String)?.hasPrefix("urn:uuid:") == true)
            XCTAssertNotNil(object?["url"] as? String)
        }

        // A copy cut in the middle of its last member: reported, the rest extracted, exit 0.
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: warc)))
        let cut = scratch.appendingPathComponent("cut.warc.gz").path
        try Data(bytes[..<(bytes.count - 200)]).write(to: URL(fileURLWithPath: cut))
        let damaged = try Self.quern(["extract", "web", cut, "-o", scratch.appendingPathComponent("cut.jsonl").path])
        XCTAssertEqual(damaged.status, 0, damaged.stderr)
        XCTAssertTrue(damaged.stderr.contains(cut) && damaged.stderr.contains("offset"), damaged.stderr)
        XCTAssertTrue(damaged.stderr.contains("1 damaged"), damaged.stderr)

        // A missing input: an error naming it, and no output file.
        let missing = scratch.appendingPathComponent("missing.warc.gz").path
        let none = scratch.appendingPathComponent("none.jsonl").path
        let failed = try Self.quern(["extract", "web", missing, "-o", none])
        XCTAssertTrue(failed.stderr.contains("missing.warc.gz"), failed.stderr)
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: none))
    }
}
