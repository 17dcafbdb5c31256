import Foundation
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// The `.model` file format: reading and writing (byte-identical round trips, models built from
/// parts, files that sentencepiece itself loads), and damaged files (always a TokenizerError,
/// never a crash).
final class SentencePieceModelTests: XCTestCase {
    static let golden = SentencePieceGoldenTests.goldenFolder

    /// Every model the tests know: the trained ones next to the goldens, and the corpora models
    /// when present.
    static func modelPaths() -> [String] {
        var paths = SentencePieceGoldenTests.trainedModels.map { golden.appendingPathComponent("sentencepiece_" + $0 + ".model").path }
        for name in ["tokenizers/llama2.c__tokenizer.model", "tokenizers/sentencepiece__test_model.model"] {
            if let path = try? TestSupport.corpora(name) { paths.append(path) }
        }
        return paths
    }

    // MARK: Round trips

    func testReadWriteIsByteIdentical() throws {
        for path in Self.modelPaths() {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let model = try SentencePieceModel(serialized: bytes, file: path)
            let written = model.serialized()
            XCTAssertEqual(written.count, bytes.count, path)
            XCTAssertTrue(written == bytes, "\(path): re-serialized bytes differ")
            XCTAssertEqual(try SentencePieceModel(serialized: written), model, path)
        }
    }

    func testSpecsReadAsWritten() throws {
        let model = try SentencePieceModel(contentsOf: Self.golden.appendingPathComponent("sentencepiece_bpe_suffix_rules.model").path)
        XCTAssertEqual(model.trainerSpec.modelType, .bpe)
        XCTAssertEqual(model.trainerSpec.vocabSize, 1000)
        XCTAssertTrue(model.trainerSpec.treatWhitespaceAsSuffix)
        XCTAssertTrue(model.trainerSpec.allowWhitespaceOnlyPieces)
        XCTAssertFalse(model.trainerSpec.byteFallback)
        XCTAssertEqual(model.trainerSpec.unkSurface, " \u{2047} ")
        XCTAssertFalse(model.normalizerSpec.removeExtraWhitespaces)
        XCTAssertFalse(model.normalizerSpec.precompiledCharsmap.isEmpty)
        XCTAssertNotNil(model.denormalizerSpec)
        XCTAssertEqual(model.pieces.count, 1000)
        XCTAssertEqual(model.pieces[0].type, .unknown)
        XCTAssertEqual(model.pieces[0].piece, "<unk>")

        let user = try SentencePieceModel(contentsOf: Self.golden.appendingPathComponent("sentencepiece_unigram_nfkc_cf.model").path)
        XCTAssertEqual(user.trainerSpec.modelType, .unigram)
        XCTAssertEqual(user.trainerSpec.userDefinedSymbols, ["<mask>", "@@", "2024", "\u{FF76}\u{FF9E}", "http://"])
        XCTAssertEqual(user.trainerSpec.controlSymbols, ["<sep>", "<cls>"])
        XCTAssertTrue(user.trainerSpec.splitDigits)
        XCTAssertEqual(user.normalizerSpec.name, "nmt_nfkc_cf")
        XCTAssertEqual(user.pieces.filter { $0.type == .userDefined }.map(\.piece),
                       ["<mask>", "@@", "2024", "\u{FF76}\u{FF9E}", "http://"])
        XCTAssertEqual(user.pieces.filter { $0.type == .byte }.count, 256)
    }

    /// Unknown fields (of later sentencepiece versions, extensions) survive a round trip, and
    /// setting a field makes it present.
    func testUnknownFieldsAndPresence() throws {
        var writer = ProtobufWriter()
        writer.writeBytesField(1, [0x0A, 0x01, 0x61, 0x98, 0x06, 0x07])   // piece "a" + unknown field 99
        writer.writeBytesField(2, [0x18, 0x02, 0xF0, 0x07, 0x2A])          // model_type BPE + field 126
        writer.writeInt32Field(7, -5)                                      // unknown ModelProto field
        let bytes = writer.bytes
        var model = try SentencePieceModel(serialized: bytes)
        XCTAssertEqual(model.pieces.count, 1)
        XCTAssertEqual(model.pieces[0].piece, "a")
        XCTAssertEqual(model.pieces[0].unknownFields, [0x98, 0x06, 0x07])
        XCTAssertEqual(model.trainerSpec.modelType, .bpe)
        XCTAssertEqual(model.trainerSpec.unknownFields, [0xF0, 0x07, 0x2A])
        XCTAssertEqual(model.unknownFields.count, 11)
        XCTAssertEqual(model.serialized(), bytes)
        // Out of order on input: known fields come out in number order, unknown ones last (as
        // C++ protobuf writes them); the content is the same.
        var shuffled = ProtobufWriter()
        shuffled.writeInt32Field(7, -5)
        shuffled.writeBytesField(2, [0x18, 0x02, 0xF0, 0x07, 0x2A])
        shuffled.writeBytesField(1, [0x0A, 0x01, 0x61, 0x98, 0x06, 0x07])
        XCTAssertEqual(try SentencePieceModel(serialized: shuffled.bytes), model)
        XCTAssertEqual(try SentencePieceModel(serialized: shuffled.bytes).serialized(), bytes)
        XCTAssertEqual(model.trainerSpec.vocabSize, 8000)                 // default, absent
        model.trainerSpec.vocabSize = 8000                                 // now present
        XCTAssertEqual(try SentencePieceModel(serialized: model.serialized()), model)
        XCTAssertGreaterThan(model.serialized().count, bytes.count)
    }

    /// A model built from parts through the public API (as the trainer writes NAME.model)
    /// round-trips, and sentencepiece itself loads it and encodes as Quern does.
    func testBuiltModelsLoadInSentencePiece() throws {
        var withoutUnknown = Self.handMadeBPE()
        withoutUnknown.pieces.remove(at: 0)  // byte_fallback: unknown text becomes bytes
        let built = [Self.handMadeBPE(), Self.handMadeUnigram(), withoutUnknown, Self.handMadeBPETies()]
        for model in built {
            XCTAssertEqual(try SentencePieceModel(serialized: model.serialized()), model)
        }
        // The LLaMA vocabulary rebuilt from fresh pieces and minimal specs (different bytes from
        // the original file: presence bits are not copied).
        var models = built.map { ($0, "hand-made \($0.trainerSpec.modelType)") }
        if let path = try? TestSupport.corpora("tokenizers/llama2.c__tokenizer.model") {
            let original = try SentencePieceModel(contentsOf: path)
            var trainer = SentencePieceModel.TrainerSpec()
            trainer.modelType = .bpe
            trainer.vocabSize = Int32(original.pieces.count)
            trainer.byteFallback = true
            var normalizer = SentencePieceModel.NormalizerSpec()
            normalizer.name = "identity"
            normalizer.removeExtraWhitespaces = false
            let rebuilt = SentencePieceModel(
                pieces: original.pieces.map { SentencePieceModel.Piece($0.piece, score: $0.score, type: $0.type) },
                trainerSpec: trainer, normalizerSpec: normalizer)
            XCTAssertNotEqual(rebuilt.serialized(), original.serialized())
            models.append((rebuilt, "rebuilt LLaMA"))
        }
        let inputs = ["Hello world", "  The quick brown fox  jumps over the lazy dog.  ", "théâtre naïve café",
                      "日本語 😀 \u{FFFD} tab\there", "the theater then", "", "x",
                      "abcd abab bcbc cdcd dabc aabbccdd abcdabcd dcba", "cdab bcab abcdcd"]
        let folder = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (index, (model, name)) in models.enumerated() {
            let tokenizer = try SentencePieceTokenizer(model: model, file: name)
            let path = folder.appendingPathComponent("m\(index).model").path
            try model.write(toFile: path)
            XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), model.serialized())
            let theirs = try Self.sentencepieceIDs(modelPath: path, inputs: inputs.map { Array($0.utf8) })
            for (input, expected) in zip(inputs, theirs) {
                XCTAssertEqual(tokenizer.encode(input), expected, "\(name): \(input.debugDescription)")
            }
        }
    }

    /// A tiny BPE vocabulary with byte fallback, written from scratch.
    static func handMadeBPE() -> SentencePieceModel {
        var pieces = [SentencePieceModel.Piece("<unk>", type: .unknown),
                      SentencePieceModel.Piece("<s>", type: .control),
                      SentencePieceModel.Piece("</s>", type: .control)]
        pieces += (0..<256).map { SentencePieceModel.Piece("<0x\(String(format: "%02X", $0))>", type: .byte) }
        let merged = ["▁t", "he", "▁the", "▁a", "in", "er", "▁th", "at", "en", "on", "▁the▁", "ater"]
        for (i, piece) in merged.enumerated() { pieces.append(.init(piece, score: -Float(i))) }
        for (i, c) in "▁abcdefghijklmnopqrstuvwxyzHTçé".enumerated() {
            pieces.append(.init(String(c), score: -100 - Float(i)))
        }
        var trainer = SentencePieceModel.TrainerSpec()
        trainer.modelType = .bpe
        trainer.vocabSize = Int32(pieces.count)
        trainer.byteFallback = true
        var normalizer = SentencePieceModel.NormalizerSpec()
        normalizer.name = "identity"
        normalizer.removeExtraWhitespaces = false
        return SentencePieceModel(pieces: pieces, trainerSpec: trainer, normalizerSpec: normalizer)
    }

    /// BPE with scores that only the exact queue order separates: +0 and -0, NaN, equal scores.
    static func handMadeBPETies() -> SentencePieceModel {
        var pieces = [SentencePieceModel.Piece("<unk>", type: .unknown)]
        let scored: [(String, Float)] = [("ab", 0), ("bc", -0.0), ("cd", .nan), ("da", -0.0), ("abc", 0),
                                         ("bcd", -Float.nan), ("cdab", -1), ("abab", -1), ("▁a", -2), ("▁b", -2)]
        for (piece, score) in scored { pieces.append(.init(piece, score: score)) }
        for c in ["▁", "a", "b", "c", "d"] { pieces.append(.init(c, score: -5)) }
        var trainer = SentencePieceModel.TrainerSpec()
        trainer.modelType = .bpe
        trainer.vocabSize = Int32(pieces.count)
        var normalizer = SentencePieceModel.NormalizerSpec()
        normalizer.removeExtraWhitespaces = false
        return SentencePieceModel(pieces: pieces, trainerSpec: trainer, normalizerSpec: normalizer)
    }

    /// A tiny unigram vocabulary without byte fallback, squeezing whitespace.
    static func handMadeUnigram() -> SentencePieceModel {
        var pieces = [SentencePieceModel.Piece("<unk>", type: .unknown),
                      SentencePieceModel.Piece("<s>", type: .control),
                      SentencePieceModel.Piece("</s>", type: .control),
                      SentencePieceModel.Piece("<mask>", type: .userDefined)]
        let words = ["▁the": -2.0, "▁a": -2.5, "▁": -3.0, "e": -3.2, "t": -3.3, "h": -3.4, "▁th": -4.0, "er": -4.2,
                     "o": -4.4, "r": -4.5, "▁q": -6, "u": -5, "i": -5, "c": -5, "k": -5, "▁quick": -7,
                     "n": -5.5, "w": -6, "b": -6, "f": -6, "x": -6, "s": -6, "l": -6, "d": -6, "g": -6,
                     "a": -5, "m": -6, "p": -6, "y": -6, "z": -6, "v": -6, "j": -6, "T": -7, "H": -7]
        for (piece, score) in words.sorted(by: { $0.key < $1.key }) {
            pieces.append(.init(piece, score: Float(score)))
        }
        var trainer = SentencePieceModel.TrainerSpec()
        trainer.modelType = .unigram
        trainer.vocabSize = Int32(pieces.count)
        trainer.userDefinedSymbols = ["<mask>"]
        return SentencePieceModel(pieces: pieces, trainerSpec: trainer, normalizerSpec: .init())
    }

    /// sentencepiece's ids for `inputs` (bytes), or a visible skip without Python sentencepiece.
    static func sentencepieceIDs(modelPath: String, inputs: [[UInt8]]) throws -> [[TokenID]] {
        let script = """
            import sys
            import sentencepiece as spm
            sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
            for line in sys.stdin.read().split("\\n")[:-1]:
                print(",".join(map(str, sp.encode(bytes.fromhex(line)))))
            """
        let check = try TestSupport.execute("python3", ["-c", "import sentencepiece"])
        guard check.status == 0 else {
            throw XCTSkip("python3 with sentencepiece is not available: \(check.stderr)")
        }
        let stdin = inputs.map { $0.map { String(format: "%02x", $0) }.joined() + "\n" }.joined()
        let output = try TestSupport.run(["python3", "-c", script, modelPath], stdin: Data(stdin.utf8))
        return String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .prefix(inputs.count)
            .map { $0.isEmpty ? [] : $0.split(separator: ",").map { TokenID($0)! } }
    }

    // MARK: Damaged files

    /// Cut copies: every cut either loads (a cut between two whole fields is a valid, shorter
    /// model) or throws a TokenizerError naming the file; none crashes.
    func testTruncatedModels() throws {
        let path = Self.golden.appendingPathComponent("sentencepiece_bpe_user.model").path
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        var cuts = Array(0..<min(400, bytes.count)) + Array(max(0, bytes.count - 400)..<bytes.count)
        var rng = SystemRandomNumberGenerator()
        cuts += (0..<400).map { _ in Int.random(in: 0..<bytes.count, using: &rng) }
        var failures = 0
        for cut in cuts {
            do {
                let tokenizer = try SentencePieceTokenizer(bytes: Array(bytes[..<cut]), name: "cut-\(cut)")
                _ = tokenizer.encode("the cat sat on the mat")
            } catch {
                failures += 1
                XCTAssertEqual(error.file, "cut-\(cut)")
                if let offset = error.offset { XCTAssertLessThanOrEqual(offset, cut) }
                XCTAssertFalse(error.message.isEmpty)
            }
        }
        XCTAssertGreaterThan(failures, cuts.count / 2)

        // A cut inside a piece is reported where that piece's length runs past the end.
        XCTAssertThrowsError(try SentencePieceTokenizer(bytes: Array(bytes[..<1000]), name: "m")) { error in
            let error = error as! TokenizerError
            XCTAssertNotNil(error.offset)
            XCTAssertTrue(error.message.contains("runs past the end") || error.message.contains("truncated"), error.message)
            XCTAssertTrue(error.description.hasPrefix("m: byte offset "), error.description)
        }
    }

    /// Flipped bytes: a load error, or a model that still encodes and decodes without crashing.
    func testFlippedBytes() throws {
        var paths = [Self.golden.appendingPathComponent("sentencepiece_bpe_user.model").path,
                     Self.golden.appendingPathComponent("sentencepiece_unigram_nfkc_cf.model").path,
                     Self.golden.appendingPathComponent("sentencepiece_bpe_suffix_rules.model").path]
        if let llama = try? TestSupport.corpora("tokenizers/llama2.c__tokenizer.model") { paths.append(llama) }
        var rng = SystemRandomNumberGenerator()
        for path in paths {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            var loaded = 0, rejected = 0
            let rounds = bytes.count > 100_000 ? 60 : 150
            for round in 0..<rounds {
                var damaged = bytes
                for _ in 0..<(1 + round % 4) {
                    // Half the flips land in the first kilobytes (specs, special pieces) or the
                    // charsmap at the end, where damage matters most.
                    let position = round % 2 == 0
                        ? Int.random(in: 0..<bytes.count, using: &rng)
                        : (round % 4 == 1 ? Int.random(in: 0..<min(4096, bytes.count), using: &rng)
                                          : Int.random(in: max(0, bytes.count - 4096)..<bytes.count, using: &rng))
                    damaged[position] ^= UInt8.random(in: 1...255, using: &rng)
                }
                do {
                    let tokenizer = try SentencePieceTokenizer(bytes: damaged, name: "flipped")
                    loaded += 1
                    for text in ["Hello, world! 日本語 ① ﬁ", "  a  b  ", "\u{FFFD}x\u{2581}y", ""] {
                        let ids = tokenizer.encode(text)
                        XCTAssertTrue(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize })
                        _ = tokenizer.decode(ids + [0, 1, 2, 5000, -1])
                    }
                } catch {
                    rejected += 1
                    XCTAssertEqual(error.file, "flipped")
                }
            }
            print("\(URL(fileURLWithPath: path).lastPathComponent): \(rounds) damaged copies, \(loaded) loaded, \(rejected) rejected")
        }
    }

    /// Damage with a known diagnosis.
    func testDiagnoses() throws {
        func message(_ bytes: [UInt8]) -> TokenizerError? {
            do { _ = try SentencePieceTokenizer(bytes: bytes, name: "x.model"); return nil } catch { return error }
        }
        func model(_ edit: (inout SentencePieceModel) -> Void) -> [UInt8] {
            var m = Self.handMadeBPE()
            edit(&m)
            return m.serialized()
        }
        XCTAssertEqual(message([])?.message, "the model has no pieces")
        XCTAssertEqual(message([0x0A, 0x80])?.offset, 1)                           // truncated length varint
        XCTAssertTrue(message([0x0A, 0x7F, 0x0A])?.message.contains("runs past the end") ?? false)
        XCTAssertTrue(message([0x0F])?.message.contains("invalid wire type 7") ?? false)
        XCTAssertTrue(message([0x00])?.message.contains("invalid field number 0") ?? false)
        XCTAssertTrue(message([0x0C])?.message.contains("end of group") ?? false)
        XCTAssertTrue(message(Array(repeating: 0xFF, count: 12))?.message.contains("longer than 10 bytes") ?? false)
        XCTAssertNotNil(message(Array("IQ== 0\nIg== 1\n".utf8)))               // tiktoken text
        XCTAssertTrue(message([0x0A, 0x02, 0x0A, 0x05])?.message.contains("not a valid SentencePiece model") ?? false)
        if let tiktoken = try? TestSupport.corpora("tokenizers/llama-models__llama3_tokenizer.model") {
            XCTAssertThrowsError(try SentencePieceTokenizer(contentsOf: tiktoken)) { error in
                XCTAssertEqual((error as! TokenizerError).file, tiktoken)
            }
        }

        let duplicate = message(model { $0.pieces.append(.init("▁the", score: -1)) })
        XCTAssertTrue(duplicate?.message.contains("'▁the' is already defined") ?? false, "\(String(describing: duplicate))")
        XCTAssertNotNil(duplicate?.offset)
        // Without byte_fallback there must be an unknown piece (with it, unknown text is bytes).
        var unigram = Self.handMadeUnigram()
        unigram.pieces[0].type = .normal
        XCTAssertTrue(message(unigram.serialized())?.message.contains("unk is not defined") ?? false)
        XCTAssertNil(message(model { $0.pieces.remove(at: 0) }))
        // BPE keeps all pieces in one map: a normal piece may not repeat a control piece's text.
        XCTAssertTrue(message(model { $0.pieces.append(.init("<s>")) })?.message.contains("already defined") ?? false)
        unigram = Self.handMadeUnigram()
        unigram.pieces.append(.init("<s>"))
        XCTAssertNil(message(unigram.serialized()))
        unigram.pieces[unigram.pieces.count - 1].score = .nan
        XCTAssertTrue(message(unigram.serialized())?.message.contains("NaN or Inf") ?? false)
        XCTAssertTrue(message(model { $0.pieces[5].type = .unknown; $0.pieces[5].piece = "<u2>" })?
            .message.contains("unk is already defined") ?? false)
        XCTAssertTrue(message(model { $0.pieces.remove(at: 3 + 0x41) })?.message.contains("not 256 byte pieces") ?? false)
        XCTAssertTrue(message(model { $0.trainerSpec.byteFallback = false })?.message.contains("`byte_fallback` is false") ?? false)
        XCTAssertTrue(message(model { $0.pieces[4].piece = "<0x0g>" })?.message.contains("is invalid") ?? false)
        XCTAssertTrue(message(model { $0.pieces.append(.init("")) })?.message.contains("must not be empty") ?? false)
        XCTAssertTrue(message(model { $0.pieces.append(.init("a\u{0}b")) })?.message.contains("NUL") ?? false)
        XCTAssertTrue(message(model { $0.trainerSpec.modelType = .word })?.message.contains("not supported") ?? false)

        // Charsmaps: too short, a trie larger than the blob, a trie pointing outside itself.
        XCTAssertTrue(message(model { $0.normalizerSpec.precompiledCharsmap = [1, 0, 0] })?
            .message.contains("normalizer_spec") ?? false)
        XCTAssertTrue(message(model { $0.normalizerSpec.precompiledCharsmap = [0xFF, 0xFF, 0, 0, 1, 2] })?
            .message.contains("exceeds the input blob") ?? false)
        let nfkc = try SentencePieceModel(contentsOf: Self.golden.appendingPathComponent("sentencepiece_unigram_nfkc_cf.model").path)
        var charsmap = nfkc.normalizerSpec.precompiledCharsmap
        charsmap[4 + 4 * 300] = 0xFF; charsmap[4 + 4 * 300 + 3] = 0x7F   // unit 300: a huge offset
        charsmap[4 + 4 * 300 + 1] = 0x00
        let broken = message(model { $0.normalizerSpec.precompiledCharsmap = charsmap })
        XCTAssertNotNil(broken)
        XCTAssertTrue(broken?.message.contains("precompiled_charsmap") ?? false, "\(String(describing: broken))")

        XCTAssertThrowsError(try SentencePieceTokenizer(contentsOf: "/nonexistent/x.model")) { error in
            XCTAssertTrue((error as! TokenizerError).message.contains("cannot open"))
        }
        XCTAssertThrowsError(try SentencePieceTokenizer(contentsOf: NSTemporaryDirectory())) { error in
            XCTAssertTrue((error as! TokenizerError).message.contains("directory"))
        }
    }
}
