import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// The BPE trainer against sentencepiece 0.2.3's own trainer (Python), run here on the same
/// inputs with the same options: the `.vocab` files are compared line by line (the goal is the
/// same merges in the same order, byte for byte), and compression on held-apart text is
/// measured with sentencepiece's encoder on both vocabularies. Tests that need the reference
/// skip visibly when `import sentencepiece` fails.
final class BPETrainerTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try TestSupport.scratchFolder()
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    // MARK: - Parity with sentencepiece on real text

    /// LLaMA's recipe on two books (botchan, Alice: ~450 KB), vocabulary 2000.
    func testBooksMatchSentencePiece() throws {
        let inputs = [try TestSupport.corpora("books/sentencepiece__botchan.txt"),
                      try TestSupport.corpora("books/GITenberg_Alice-s-Adventures-in-Wonderland__11-0.txt")]
        var options = BPETrainerOptions()
        options.vocabSize = 2000
        let ours = try BPETrainer.train(files: inputs, options: options)
        XCTAssertEqual(ours.pieces.count, 2000)

        // The layout of the special and byte pieces, whatever the reference says.
        XCTAssertEqual(ours.pieces[0].piece, "<unk>")
        XCTAssertEqual(ours.pieces[0].type, .unknown)
        XCTAssertEqual(ours.pieces[1].piece, "<s>")
        XCTAssertEqual(ours.pieces[1].type, .control)
        XCTAssertEqual(ours.pieces[2].piece, "</s>")
        XCTAssertEqual(ours.pieces[2].type, .control)
        for byte in 0..<256 {
            XCTAssertEqual(ours.pieces[3 + byte].piece, String(format: "<0x%02X>", byte))
            XCTAssertEqual(ours.pieces[3 + byte].type, .byte)
            XCTAssertEqual(ours.pieces[3 + byte].score, 0)
        }
        XCTAssertEqual(ours.pieces[259].score, 0)
        XCTAssertEqual(ours.pieces[259].score.sign, .minus, "the first merge scores -0, as sentencepiece writes it")
        XCTAssertEqual(ours.merges.count, 2000 - 259 - ours.statistics.alphabetSize)
        for (i, merge) in ours.merges.enumerated() {
            XCTAssertEqual(ours.pieces[259 + i].piece, merge.left + merge.right)
            XCTAssertEqual(ours.pieces[259 + i].score, -Float(i))
        }
        XCTAssertEqual(ours.statistics.sentences.sentences, 8024)
        XCTAssertEqual(ours.statistics.characters, 446_330, "sentencepiece's 'all chars count'")

        let reference = try referenceVocabulary(inputs, options, name: "books")
        let comparison = try compare(ours, reference)
        print("books: \(comparison)")
        XCTAssertEqual(comparison.specialLayoutEqual, true)
        XCTAssertGreaterThanOrEqual(comparison.learnedOverlap, 0.99)
        XCTAssertEqual(comparison.identicalLines, 2000, "the .vocab files differ from line \(comparison.identicalPrefix + 1)")

        // Compression on a book neither was trained on, with sentencepiece's encoder.
        let heldOut = try TestSupport.corpora("books/GITenberg_Pride-and-Prejudice__1342-0.txt")
        let (oursBPT, referenceBPT) = try bytesPerToken(ours, referenceModel: path("books.model"), heldOut: heldOut)
        print("books: bytes per token on Pride and Prejudice: ours \(oursBPT), sentencepiece \(referenceBPT)")
        XCTAssertEqual(oursBPT, referenceBPT, accuracy: referenceBPT * 0.01)
    }

    /// Other texts and option sets: a latin-1 book (invalid UTF-8 becomes U+FFFD), Japanese
    /// (scripts, Han/Hiragana/Katakana), whitespace as suffix, no whitespace split, user-defined
    /// and control symbols, sentencepiece's own defaults, a short piece limit.
    func testOptionVariantsMatchSentencePiece() throws {
        let botchan = try TestSupport.corpora("books/sentencepiece__botchan.txt")
        let faust = try TestSupport.corpora("books/GITenberg_Faust--Der-Trag-die-erster-Teil__2229-8.txt")
        let neko = try TestSupport.corpora("books/sentencepiece__wagahaiwa_nekodearu.txt")
        var cases: [(String, [String], BPETrainerOptions)] = []
        var o = BPETrainerOptions()
        o.vocabSize = 1500
        cases.append(("faust", [faust], o))
        o.vocabSize = 4000
        cases.append(("neko", [neko], o))
        var noScript = o
        noScript.vocabSize = 5000
        noScript.splitByUnicodeScript = false
        noScript.splitByNumber = false
        noScript.splitDigits = false
        cases.append(("neko-no-script", [neko], noScript))
        o.vocabSize = 1200
        var suffix = o
        suffix.treatWhitespaceAsSuffix = true
        suffix.allowWhitespaceOnlyPieces = false
        cases.append(("suffix", [botchan], suffix))
        var whole = o
        whole.splitByWhitespace = false
        cases.append(("no-whitespace-split", [botchan], whole))
        var symbols = o
        symbols.userDefinedSymbols = ["the", "ing", "▁and"]
        symbols.controlSymbols = ["<sep>", "<cls>"]
        symbols.padID = 3
        cases.append(("symbols", [botchan], symbols))
        var defaults = BPETrainerOptions.sentencePieceDefaults
        defaults.vocabSize = 1200
        cases.append(("sentencepiece-defaults", [botchan], defaults))
        var short = o
        short.maxSentencePieceLength = 4
        short.addDummyPrefix = false
        short.removeExtraWhitespaces = true
        short.maxSentenceLength = 200
        cases.append(("short-pieces", [botchan], short))

        for (name, inputs, options) in cases {
            let ours = try BPETrainer.train(files: inputs, options: options)
            let reference = try referenceVocabulary(inputs, options, name: name)
            let comparison = try compare(ours, reference)
            print("\(name): \(comparison)")
            XCTAssertEqual(comparison.specialLayoutEqual, true, name)
            XCTAssertEqual(comparison.identicalLines, options.vocabSize, "\(name): the .vocab files differ from line \(comparison.identicalPrefix + 1)")
        }
    }

    /// Hand-made text with every corner the recipe has: meta pieces and tabs in the text, invalid
    /// UTF-8, combining marks, digits, CJK, literal "▁", runs of spaces, a line with U+2585 and an
    /// over-long line (both skipped), CRs. The vocabulary asked for is the largest the text allows,
    /// so the trainer also runs out of real merges exactly where sentencepiece does (and then adds
    /// pairs whose count fell to zero, as it does); one more piece is an error in both.
    func testCornerCasesMatchSentencePiece() throws {
        let input = path("corners.txt")
        try cornerText().write(to: URL(fileURLWithPath: input))
        var options = BPETrainerOptions()
        options.characterCoverage = 1
        options.vocabSize = 100_000
        let maximum: Int
        do {
            _ = try BPETrainer.train(files: [input], options: options)
            return XCTFail("a vocabulary of 100000 cannot be filled from this text")
        } catch let error as BPETrainerError {
            guard case .vocabularyTooLarge(let m) = error.kind else { return XCTFail("\(error)") }
            maximum = m
        }
        try requireSentencePiece()
        let message = try referenceFailure([input], options, name: "corners-max")
        XCTAssertTrue(message.contains("<= \(maximum)."), "sentencepiece says: \(message)")

        for vocabulary in [maximum, maximum - 40] {
            options.vocabSize = vocabulary
            let ours = try BPETrainer.train(files: [input], options: options)
            let comparison = try compare(ours, try referenceVocabulary([input], options, name: "corners-\(vocabulary)"))
            print("corners \(vocabulary): \(comparison)")
            XCTAssertEqual(comparison.identicalLines, vocabulary, "differs from line \(comparison.identicalPrefix + 1)")
        }
        options.vocabSize = maximum
        let ours = try BPETrainer.train(files: [input], options: options)
        XCTAssertEqual(ours.statistics.sentences.reserved, 1)
        XCTAssertEqual(ours.statistics.sentences.tooLong, 1)
    }

    /// JSONL documents (gzip): each line of a document's text is a sentence. The reference is
    /// trained on the same texts extracted by Python.
    func testJSONLInputMatchesSentencePiece() throws {
        let input = try TestSupport.corpora("pretraining/dolma__cc_en_head-0091.jsonl.gz")
        var options = BPETrainerOptions()
        options.vocabSize = 1000
        let ours = try BPETrainer.train(files: [input], options: options)
        XCTAssertEqual(ours.pieces.count, 1000)
        XCTAssertEqual(ours.statistics.malformedRecords, 0)
        XCTAssertGreaterThan(ours.statistics.sentences.sentences, 100)

        try requireSentencePiece()
        let text = path("dolma.txt")
        _ = try TestSupport.run(["python3", "-c", """
            import gzip, json, sys
            with gzip.open(sys.argv[1], "rt", encoding="utf-8") as f, open(sys.argv[2], "wb") as out:
                for line in f:
                    if line.strip():
                        out.write(json.loads(line)["text"].encode("utf-8") + b"\\n")
            """, input, text])
        let comparison = try compare(ours, try referenceVocabulary([text], options, name: "dolma"))
        print("dolma jsonl: \(comparison)")
        XCTAssertEqual(comparison.identicalLines, 1000, "differs from line \(comparison.identicalPrefix + 1)")

        // Forcing the format on a name that does not say it.
        let renamed = path("documents.gz")
        try FileManager.default.copyItem(atPath: input, toPath: renamed)
        options.inputFormat = .jsonl
        let again = try BPETrainer.train(files: [renamed], options: options)
        XCTAssertEqual(again.vocabFileContents(), ours.vocabFileContents())
    }

    // MARK: - Inputs, threads, sampling

    /// The same text plain, gzip, zstd, split over two files, and counted on 1, 2 or 4 threads
    /// gives the same vocabulary.
    func testCodecsFilesAndThreadsAgree() throws {
        let source = try TestSupport.corpora("books/sentencepiece__botchan.txt")
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: source)))
        for name in ["botchan.txt.gz", "botchan.txt.zst"] {
            let output = try OutputFile(path: path(name))
            try output.write(bytes)
            try output.finish()
        }
        // Cut at a line end, so both halves together hold the same lines.
        let cut = bytes[(bytes.count / 2)...].firstIndex(of: 0x0A)! + 1
        try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: path("a.txt")))
        try Data(bytes[cut...]).write(to: URL(fileURLWithPath: path("b.txt")))

        var options = BPETrainerOptions()
        options.vocabSize = 800
        options.numThreads = 1
        let expected = try BPETrainer.train(files: [source], options: options).vocabFileContents()
        for threads in [2, 4] {
            options.numThreads = threads
            XCTAssertEqual(try BPETrainer.train(files: [source], options: options).vocabFileContents(), expected, "\(threads) threads")
        }
        for files in [[path("botchan.txt.gz")], [path("botchan.txt.zst")], [path("a.txt"), path("b.txt")]] {
            XCTAssertEqual(try BPETrainer.train(files: files, options: options).vocabFileContents(), expected, "\(files)")
        }
    }

    /// A reservoir sample: exactly the size asked for, the same for the same seed (and any
    /// number of threads), another for another seed.
    /// JSONL is recognized by content too: a dolma shard renamed without ".jsonl" trains exactly
    /// as under its own name.
    func testJSONLIsRecognizedByContent() throws {
        let shard = try TestSupport.corpora("pretraining/dolma__cc_en_head-0091.jsonl.gz")
        let renamed = path("documents.gz")
        try FileManager.default.copyItem(atPath: shard, toPath: renamed)
        var options = BPETrainerOptions()
        options.vocabSize = 600
        let byName = try BPETrainer.train(files: [shard], options: options)
        let byContent = try BPETrainer.train(files: [renamed], options: options)
        XCTAssertEqual(byContent.vocabFileContents(), byName.vocabFileContents())
        options.inputFormat = .text
        let asText = try BPETrainer.train(files: [renamed], options: options)
        XCTAssertNotEqual(asText.vocabFileContents(), byName.vocabFileContents(), "JSON syntax must not be trained on")
    }

    func testSamplingIsDeterministic() throws {
        let source = try TestSupport.corpora("books/sentencepiece__botchan.txt")
        var options = BPETrainerOptions()
        options.vocabSize = 700
        options.inputSentenceSize = 2000
        options.numThreads = 1
        let first = try BPETrainer.train(files: [source], options: options)
        XCTAssertEqual(first.statistics.sentences.sentences, 2000)
        XCTAssertEqual(first.statistics.sentencesBeforeSampling, 4288)
        options.numThreads = 3
        XCTAssertEqual(try BPETrainer.train(files: [source], options: options).vocabFileContents(), first.vocabFileContents())
        options.seed = 99
        XCTAssertNotEqual(try BPETrainer.train(files: [source], options: options).vocabFileContents(), first.vocabFileContents())
        // A sample larger than the corpus is the whole corpus.
        options.inputSentenceSize = 1_000_000
        var all = options
        all.inputSentenceSize = 0
        XCTAssertEqual(try BPETrainer.train(files: [source], options: options).vocabFileContents(),
                       try BPETrainer.train(files: [source], options: all).vocabFileContents())
    }

    // MARK: - Errors

    func testEmptyAndInvalidInputsFailClearly() throws {
        var options = BPETrainerOptions()
        options.vocabSize = 300

        func expect(_ files: [String], _ options: BPETrainerOptions, _ check: (Error) -> Void) {
            XCTAssertThrowsError(try BPETrainer.train(files: files, options: options)) { check($0) }
        }
        func kind(_ error: Error) -> BPETrainerError.Kind? { (error as? BPETrainerError)?.kind }

        expect([], options) { XCTAssertEqual(kind($0), .noInput) }

        let empty = path("empty.txt")
        try Data().write(to: URL(fileURLWithPath: empty))
        expect([empty], options) { error in
            XCTAssertEqual(kind(error), .noSentences)
            XCTAssertTrue("\(error)".contains("empty.txt"), "\(error)")
        }
        let blank = path("blank.txt")
        try Data("\n\n\n".utf8).write(to: URL(fileURLWithPath: blank))
        expect([blank], options) { error in
            XCTAssertEqual(kind(error), .noSentences)
            XCTAssertTrue("\(error)".contains("3 lines: 3 empty"), "\(error)")
        }

        expect([path("missing.txt")], options) { error in
            guard let io = error as? QuernIOError else { return XCTFail("\(error)") }
            XCTAssertEqual(io.file, self.path("missing.txt"))
        }
        expect([scratch.path], options) { XCTAssertTrue($0 is QuernIOError, "\($0)") }

        let garbage = path("garbage.jsonl")
        try Data("not json\n{\"id\": 1}\n[1, 2]\n".utf8).write(to: URL(fileURLWithPath: garbage))
        expect([garbage], options) { error in
            XCTAssertEqual(kind(error), .noSentences)
            XCTAssertTrue("\(error)".contains("3 malformed JSONL records"), "\(error)")
            XCTAssertTrue("\(error)".contains("record 1"), "\(error)")
        }

        let truncated = path("truncated.txt.gz")
        let output = try OutputFile(path: truncated)
        try output.write(Array(repeating: UInt8(ascii: "a"), count: 100_000) + [0x0A])
        try output.finish()
        let whole = try Data(contentsOf: URL(fileURLWithPath: truncated))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
        expect([truncated], options) { XCTAssertTrue($0 is QuernIOError, "\($0)") }

        let tiny = path("tiny.txt")
        try Data(String(repeating: "ab\n", count: 10).utf8).write(to: URL(fileURLWithPath: tiny))
        options.vocabSize = 260
        expect([tiny], options) { XCTAssertEqual(kind($0), .vocabularyTooSmall) }
        options.vocabSize = 266
        expect([tiny], options) { XCTAssertEqual(kind($0), .vocabularyTooLarge(maximum: 265)) }
        options.vocabSize = 265
        XCTAssertEqual(try BPETrainer.train(files: [tiny], options: options).pieces.map(\.piece).suffix(6),
                       ["ab", "▁ab", "▁a", "a", "b", "▁"])

        var bad = BPETrainerOptions()
        bad.characterCoverage = 0.5
        expect([tiny], bad) { XCTAssertEqual(kind($0), .invalidOptions) }
        bad = BPETrainerOptions()
        bad.unkID = -1
        expect([tiny], bad) { XCTAssertEqual(kind($0), .invalidOptions) }
        bad = BPETrainerOptions()
        bad.bosID = 0
        expect([tiny], bad) { XCTAssertEqual(kind($0), .invalidOptions) }
        bad = BPETrainerOptions()
        bad.userDefinedSymbols = ["x", "x"]
        expect([tiny], bad) { XCTAssertEqual(kind($0), .invalidOptions) }
        bad = BPETrainerOptions()
        bad.inputSentenceSize = 50
        expect([tiny], bad) { XCTAssertEqual(kind($0), .invalidOptions) }
    }

    // MARK: - The .vocab file

    func testVocabFileIsWrittenAtomically() throws {
        let tiny = path("tiny.txt")
        try Data(String(repeating: "ab\n", count: 10).utf8).write(to: URL(fileURLWithPath: tiny))
        var options = BPETrainerOptions()
        options.vocabSize = 265
        let vocabulary = try BPETrainer.train(files: [tiny], options: options)
        let target = path("out.vocab")
        try vocabulary.writeVocab(to: target)
        let text = try String(contentsOfFile: target, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 266)
        XCTAssertEqual(lines[0], "<unk>\t0")
        XCTAssertEqual(lines[3], "<0x00>\t0")
        XCTAssertEqual(lines[259], "ab\t-0")
        XCTAssertEqual(lines[260], "▁ab\t-1")
        XCTAssertEqual(lines[264], "▁\t-5")
        XCTAssertEqual(lines[265], "")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
        XCTAssertEqual(TrainedVocabulary.formatScore(-1e9), "-1e+09")
        XCTAssertEqual(TrainedVocabulary.formatScore(-31_999), "-31999")
        XCTAssertEqual(TrainedVocabulary.formatScore(-1_234_567), "-1.23457e+06")
    }

    // MARK: - Reference machinery

    func requireSentencePiece() throws {
        let result = try TestSupport.execute("python3", ["-c", "import sentencepiece"])
        if result.status != 0 {
            throw XCTSkip("python3 with sentencepiece is not available: \(result.stderr)")
        }
    }

    /// The keyword arguments of SentencePieceTrainer.train for `options`.
    func referenceArguments(_ inputs: [String], _ o: BPETrainerOptions, prefix: String) -> [String: Any] {
        [
            "input": inputs.joined(separator: ","), "model_prefix": prefix, "model_type": "bpe",
            "vocab_size": o.vocabSize, "character_coverage": o.characterCoverage,
            "max_sentencepiece_length": o.maxSentencePieceLength, "split_digits": o.splitDigits,
            "byte_fallback": o.byteFallback, "split_by_whitespace": o.splitByWhitespace,
            "split_by_number": o.splitByNumber, "split_by_unicode_script": o.splitByUnicodeScript,
            "treat_whitespace_as_suffix": o.treatWhitespaceAsSuffix,
            "allow_whitespace_only_pieces": o.allowWhitespaceOnlyPieces, "add_dummy_prefix": o.addDummyPrefix,
            "remove_extra_whitespaces": o.removeExtraWhitespaces, "normalization_rule_name": "identity",
            "user_defined_symbols": o.userDefinedSymbols, "control_symbols": o.controlSymbols,
            "unk_id": o.unkID, "bos_id": o.bosID, "eos_id": o.eosID, "pad_id": o.padID,
            "max_sentence_length": o.maxSentenceLength, "num_threads": 2, "minloglevel": 2,
        ]
    }

    static let trainScript = """
        import json, sys
        import sentencepiece as spm
        spm.SentencePieceTrainer.train(**json.loads(sys.argv[1]))
        """

    /// Trains sentencepiece on `inputs`; returns its .vocab lines (the model is at NAME.model).
    func referenceVocabulary(_ inputs: [String], _ options: BPETrainerOptions, name: String) throws -> [String] {
        try requireSentencePiece()
        let arguments = referenceArguments(inputs, options, prefix: path(name))
        let json = String(decoding: try JSONSerialization.data(withJSONObject: arguments), as: UTF8.self)
        _ = try TestSupport.run(["python3", "-c", Self.trainScript, json])
        let text = try Data(contentsOf: URL(fileURLWithPath: path(name + ".vocab")))
        return String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    /// The error sentencepiece reports for `options`.
    func referenceFailure(_ inputs: [String], _ options: BPETrainerOptions, name: String) throws -> String {
        let arguments = referenceArguments(inputs, options, prefix: path(name))
        let json = String(decoding: try JSONSerialization.data(withJSONObject: arguments), as: UTF8.self)
        let result = try TestSupport.execute("python3", ["-c", Self.trainScript, json])
        XCTAssertNotEqual(result.status, 0)
        return result.stderr
    }

    struct Comparison: CustomStringConvertible {
        var specialLayoutEqual: Bool
        /// Share of the reference's learned (normal) pieces that we learned too.
        var learnedOverlap: Double
        /// Lines of the .vocab files that are equal, and how many equal lines open both files.
        var identicalLines: Int
        var identicalPrefix: Int
        var description: String {
            "special/byte layout \(specialLayoutEqual ? "identical" : "DIFFERENT"), learned pieces overlap \(String(format: "%.2f", learnedOverlap * 100))%, identical .vocab lines \(identicalLines), identical prefix \(identicalPrefix)"
        }
    }

    func compare(_ ours: TrainedVocabulary, _ reference: [String]) throws -> Comparison {
        let mine = String(decoding: ours.vocabFileContents(), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        XCTAssertEqual(mine.count, reference.count)
        var specialEqual = true
        for (i, piece) in ours.pieces.enumerated() where piece.type != .normal {
            if i >= reference.count || reference[i] != mine[i] { specialEqual = false }
        }
        func learned(_ lines: [String], types: [PieceType]?) -> Set<String> {
            Set(lines.enumerated().compactMap { i, line in
                if let types, types[i] != .normal { return nil }
                return line.split(separator: "\t", omittingEmptySubsequences: false).dropLast().joined(separator: "\t")
            })
        }
        let types = ours.pieces.map(\.type)
        let ourPieces = learned(mine, types: types)
        let referencePieces = learned(reference, types: types.count == reference.count ? types : nil)
        let overlap = referencePieces.isEmpty ? 1 : Double(ourPieces.intersection(referencePieces).count) / Double(referencePieces.count)
        var prefix = 0
        while prefix < min(mine.count, reference.count) && mine[prefix] == reference[prefix] { prefix += 1 }
        let identical = zip(mine, reference).filter { $0 == $1 }.count
        return Comparison(specialLayoutEqual: specialEqual, learnedOverlap: overlap,
                          identicalLines: identical, identicalPrefix: prefix)
    }

    /// Bytes per token of `heldOut` with sentencepiece's encoder, for our vocabulary (put into a
    /// copy of the reference model) and for the reference model.
    /// Bytes per token on `heldOut`, both models encoding with the sentencepiece library: ours is
    /// our own `NAME.model` (written by `writeModel`), loaded as sentencepiece loads any model.
    /// Ours is also encoded by `SentencePieceTokenizer`, which must give the same ids.
    func bytesPerToken(_ ours: TrainedVocabulary, referenceModel: String, heldOut: String) throws -> (Double, Double) {
        let model = path("ours.model")
        try ours.writeModel(to: model)
        let output = try TestSupport.run(["python3", "-c", """
            import sys
            import sentencepiece as spm
            lines = open(sys.argv[3], "rb").read().decode("utf-8").split("\\n")
            size = sum(len(l.encode()) for l in lines)
            for model in (sys.argv[1], sys.argv[2]):
                sp = spm.SentencePieceProcessor(model_file=model)
                tokens = sum(len(ids) for ids in sp.encode(lines))
                print(size / tokens)
            print(" ".join(map(str, spm.SentencePieceProcessor(model_file=sys.argv[1]).encode(lines[100]))))
            """, model, referenceModel, heldOut])
        let printed = String(decoding: output, as: UTF8.self).split(separator: "\n")
        let values = printed.prefix(2).compactMap { Double($0) }
        XCTAssertEqual(values.count, 2)
        // The same model through Quern's own encoder.
        let tokenizer = try SentencePieceTokenizer(contentsOf: model)
        // Bytes, not Characters: Swift would read "\r\n" as one Character and never split it.
        let text = try Data(contentsOf: URL(fileURLWithPath: heldOut))
        let line = String(decoding: text.split(separator: 0x0A, omittingEmptySubsequences: false)[100], as: UTF8.self)
        XCTAssertEqual(tokenizer.encode(line).map { String($0) }.joined(separator: " "), String(printed.last ?? ""))
        return (values[0], values[1])
    }

    /// Text with the recipe's corner cases (see testCornerCasesMatchSentencePiece).
    func cornerText() -> Data {
        let words = ["aaa", "aaaa", "abab", "the", "then", "<s>", "x<0x41>y", "tab\there", "caf\u{e9}", "cafe\u{301}",
                     "\u{65e5}\u{672c}\u{8a9e}\u{3067}\u{3059}", "\u{30ab}\u{30bf}\u{30ab}\u{30ca}\u{30fc}", "123", "4567",
                     "\u{2581}lit", "ab\u{2581}cd", "\u{ff}", "\u{440}\u{443}\u{441}", "x\u{1f}y", "  ", "\r", "\u{fffd}\u{fffd}",
                     "K\u{212a}", "\u{0}nul"]
        // A fixed linear congruential sequence: the same text on every run.
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var lines: [String] = []
        for _ in 0..<400 {
            lines.append((0..<next(9)).map { _ in words[next(words.count)] }.joined(separator: " "))
        }
        lines.append("skip \u{2585} this")
        lines.append(String(repeating: "z", count: 5000))
        var data = Data(lines.joined(separator: "\n").utf8)
        data.append(contentsOf: [0x0A] + Array("bad ".utf8) + [0xFF, 0xFE] + Array(" utf8 ".utf8) + [0xC3, 0x0A, 0xE2, 0x82, 0x0A])
        return data
    }
}
