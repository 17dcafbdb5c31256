import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// Parity with sentencepiece 0.2.3: every id sequence and every decoding in the goldens written
/// by Tests/Reference/sentencepiece_goldens.py (hand-made inputs, made-up id sequences, and
/// thousands of real lines re-read from the shared corpora, which the goldens only point to).
final class SentencePieceGoldenTests: XCTestCase {
    // LLaMA-1/2 BPE with byte fallback, and sentencepiece's unigram test model (nmt_nfkc):
    // both read from the corpora.
    func testLlama2Cases() throws { try check("llama2", .cases) }
    func testLlama2Decoding() throws { try check("llama2", .decoding) }
    func testLlama2CorpusLines() throws { try check("llama2", .lines) }
    func testTestModelCases() throws { try check("test_model", .cases) }
    func testTestModelDecoding() throws { try check("test_model", .decoding) }
    func testTestModelCorpusLines() throws { try check("test_model", .lines) }

    // Small models kept next to the goldens (user-defined and control symbols, NFKC with case
    // folding, custom rules and a denormalizer, whitespace as suffix, unused pieces, no escaping).
    func testTrainedModelsCases() throws {
        for name in Self.trainedModels { try check(name, .cases) }
    }
    func testTrainedModelsDecoding() throws {
        for name in Self.trainedModels { try check(name, .decoding) }
    }
    func testTrainedModelsCorpusLines() throws {
        for name in Self.trainedModels { try check(name, .lines) }
    }

    static let trainedModels = ["unigram_nfkc_cf", "bpe_user", "bpe_suffix_rules", "unigram_identity",
                                "unigram_unused", "bpe_unused"]

    // MARK: - Machinery

    enum Part { case cases, decoding, lines }

    static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden")

    private func check(_ name: String, _ part: Part) throws {
        let golden = try SentencePieceGoldenFile(path: Self.goldenFolder.appendingPathComponent("sentencepiece_" + name + ".golden").path)
        let modelPath: String
        if golden.modelLocation == "corpora" {
            modelPath = try TestSupport.corpora(golden.modelPath)
        } else {
            modelPath = Self.goldenFolder.appendingPathComponent(golden.modelPath).path
        }
        let tokenizer = try SentencePieceTokenizer(contentsOf: modelPath)
        XCTAssertEqual(tokenizer.vocabularySize, golden.vocabularySize, name)
        XCTAssertEqual(tokenizer.bosID ?? -1, golden.bos, name)
        XCTAssertEqual(tokenizer.eosID ?? -1, golden.eos, name)
        XCTAssertEqual(tokenizer.unkID ?? -1, golden.unk, name)
        XCTAssertEqual(tokenizer.padID ?? -1, golden.pad, name)

        var report = MismatchReport(name: "\(name) \(part)", tokenizer: tokenizer)
        switch part {
        case .cases:
            for record in golden.cases {
                report.compare(text: record.text, expected: record.ids, decodedExpected: .bytes(record.decoded))
            }
            XCTAssertGreaterThan(report.checked, 100, name)
            // normalize(): records only where it changes the text; all other cases keep it.
            var normalized: [[UInt8]: [UInt8]] = [:]
            for record in golden.normalizations { normalized[record.text] = record.normalized }
            for record in golden.cases {
                report.checked += 1
                let expected = normalized[record.text] ?? record.text
                let actual = record.text.withUnsafeBufferPointer { tokenizer.normalize($0) }
                if actual != expected {
                    report.fail("normalize \(Self.show(record.text)): expected \(Self.show(expected)), got \(Self.show(actual))")
                }
            }
        case .decoding:
            for record in golden.decodings {
                report.checked += 1
                let decoded = tokenizer.decode(record.ids)
                if decoded != record.decoded {
                    report.fail("decode \(record.ids.prefix(30)): expected \(Self.show(record.decoded)), got \(Self.show(decoded))")
                }
            }
            XCTAssertGreaterThan(report.checked, 50, name)
        case .lines:
            var missing: [String] = []
            for source in golden.sources {
                guard let data = try SentencePieceCorpus.load(source) else {
                    missing.append(source.path)
                    continue
                }
                for line in golden.lines where line.source == source.index {
                    guard line.end <= data.count, line.start <= line.end else {
                        report.fail("\(source.path) \(line.start)..<\(line.end) is outside the file")
                        continue
                    }
                    var text = Array(data[line.start..<line.end])
                    if source.transform == "latin1" { text = SentencePieceCorpus.latin1ToUTF8(text) }
                    report.compare(text: text, expected: line.ids, decodedExpected: line.decoded,
                                   context: "\(source.path) bytes \(line.start)..<\(line.end)")
                }
            }
            if report.checked == 0 {
                throw XCTSkip("\(name): no corpus file of the goldens was found (\(missing.count) missing under \(TestSupport.corporaRoot))")
            }
            if !missing.isEmpty {
                print("note: \(name): \(missing.count) corpus files absent, their lines not checked: \(missing.joined(separator: ", "))")
            }
        }
        print("\(name) \(part): \(report.checked) checked, \(report.failures) mismatches")
        report.finish()
    }

    static func show(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(120), as: UTF8.self)
        return "\"\(text.debugDescription.dropFirst().dropLast())\"" + (bytes.count > 120 ? "… (\(bytes.count) bytes)" : "")
    }

    /// Collects mismatches and reports the first few in detail.
    struct MismatchReport {
        let name: String
        let tokenizer: SentencePieceTokenizer
        var checked = 0
        var failures = 0
        var examples: [String] = []

        init(name: String, tokenizer: SentencePieceTokenizer) {
            self.name = name
            self.tokenizer = tokenizer
        }

        mutating func fail(_ message: String) {
            failures += 1
            if examples.count < 8 { examples.append(message) }
        }

        mutating func compare(text: [UInt8], expected: [TokenID], decodedExpected: SentencePieceExpectedDecoding,
                              context: String = "") {
            checked += 1
            var ids: [TokenID] = []
            text.withUnsafeBufferPointer { tokenizer.encode($0, into: &ids) }
            if ids != expected {
                let at = zip(ids, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ids.count, expected.count)
                func pieces(_ list: [TokenID]) -> String {
                    list[max(0, at - 2)..<min(list.count, at + 6)].map { "\($0):\(tokenizer.piece(for: $0) ?? "?")" }
                        .joined(separator: " ")
                }
                fail("\(context) \(SentencePieceGoldenTests.show(text)): ids differ at \(at) (\(ids.count) vs \(expected.count) expected): got [\(pieces(ids))] expected [\(pieces(expected))]")
                return
            }
            let decoded = tokenizer.decode(ids)
            let matches = switch decodedExpected {
            case .same: decoded == text
            case .bytes(let bytes): decoded == bytes
            case .checksum(let crc, let count): decoded.count == count && SentencePieceCorpus.crc32(decoded) == crc
            }
            if !matches {
                fail("\(context) \(SentencePieceGoldenTests.show(text)): decoded to \(SentencePieceGoldenTests.show(decoded)), expected \(decodedExpected)")
            }
        }

        func finish() {
            if failures > 0 {
                XCTFail("\(name): \(failures) of \(checked) differ from sentencepiece 0.2.3:\n" + examples.joined(separator: "\n"))
            }
        }
    }
}

enum SentencePieceExpectedDecoding: Equatable, CustomStringConvertible {
    case same
    case bytes([UInt8])
    case checksum(UInt32, Int)

    var description: String {
        switch self {
        case .same: "the text itself"
        case .bytes(let b): SentencePieceGoldenTests.show(b)
        case .checksum(let crc, let n): "CRC-32 \(String(crc, radix: 16)) of \(n) bytes"
        }
    }
}

/// A parsed `.golden` file (format: see Tests/Reference/sentencepiece_goldens.py).
struct SentencePieceGoldenFile {
    struct Source { var index: Int; var path: String; var transform: String; var size: Int; var crc: UInt32 }
    struct Case { var text: [UInt8]; var ids: [TokenID]; var decoded: [UInt8] }
    struct Decoding { var ids: [TokenID]; var decoded: [UInt8] }
    struct Normalization { var text: [UInt8]; var normalized: [UInt8] }
    struct Line { var source: Int; var start: Int; var end: Int; var ids: [TokenID]; var decoded: SentencePieceExpectedDecoding }

    var modelLocation = "", modelPath = ""
    var vocabularySize = 0, bos: TokenID = -1, eos: TokenID = -1, unk: TokenID = -1, pad: TokenID = -1
    var sources: [Source] = []
    var cases: [Case] = []
    var decodings: [Decoding] = []
    var normalizations: [Normalization] = []
    var lines: [Line] = []

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for (number, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func bad() -> Malformed { Malformed(description: "\(path):\(number + 1): malformed record") }
            func int(_ s: String) throws -> Int { guard let v = Int(s) else { throw bad() }; return v }
            func ids(_ s: String) throws -> [TokenID] {
                try s.isEmpty ? [] : s.split(separator: ",").map { guard let v = TokenID($0) else { throw bad() }; return v }
            }
            func hex(_ s: String) throws -> [UInt8] {
                guard s.count % 2 == 0 else { throw bad() }
                var out: [UInt8] = []
                out.reserveCapacity(s.utf8.count / 2)
                var high: UInt8? = nil
                for c in s.utf8 {
                    let v: UInt8
                    switch c {
                    case 0x30...0x39: v = c - 0x30
                    case 0x61...0x66: v = c - 0x61 + 10
                    default: throw bad()
                    }
                    if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
                }
                return out
            }
            switch f[0] {
            case "model" where f.count == 3:
                modelLocation = f[1]; modelPath = f[2]
            case "vocab" where f.count == 10:
                vocabularySize = try int(f[1])
                bos = TokenID(try int(f[3])); eos = TokenID(try int(f[5]))
                unk = TokenID(try int(f[7])); pad = TokenID(try int(f[9]))
            case "source" where f.count == 6:
                guard let crc = UInt32(f[5], radix: 16) else { throw bad() }
                sources.append(Source(index: try int(f[1]), path: f[2], transform: f[3], size: try int(f[4]), crc: crc))
            case "case" where f.count == 4:
                cases.append(Case(text: try hex(f[1]), ids: try ids(f[2]), decoded: try hex(f[3])))
            case "normal" where f.count == 3:
                normalizations.append(Normalization(text: try hex(f[1]), normalized: try hex(f[2])))
            case "decode" where f.count == 3:
                decodings.append(Decoding(ids: try ids(f[1]), decoded: try hex(f[2])))
            case "line" where f.count == 6:
                let decoded: SentencePieceExpectedDecoding
                if f[5] == "=" {
                    decoded = .same
                } else {
                    let parts = f[5].split(separator: ":")
                    guard parts.count == 2, let crc = UInt32(parts[0], radix: 16), let n = Int(parts[1]) else { throw bad() }
                    decoded = .checksum(crc, n)
                }
                lines.append(Line(source: try int(f[1]), start: try int(f[2]), end: try int(f[3]),
                                  ids: try ids(f[4]), decoded: decoded))
            default:
                throw bad()
            }
        }
    }
}

/// Corpus files, decompressed once per test run and checked against the goldens' size and CRC.
enum SentencePieceCorpus {
    nonisolated(unsafe) private static var loaded: [String: [UInt8]?] = [:]
    private static let lock = NSLock()

    /// The decompressed bytes, or nil when the file is absent or not the one the goldens were
    /// written from (then its lines cannot be checked).
    static func load(_ source: SentencePieceGoldenFile.Source) throws -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        if let cached = loaded[source.path] { return cached }
        let path = TestSupport.corporaRoot + "/" + source.path
        var data: [UInt8]? = nil
        if FileManager.default.fileExists(atPath: path) {
            let bytes = try Input.open(path).readAll()
            if bytes.count == source.size && crc32(bytes) == source.crc {
                data = bytes
            } else {
                print("note: \(path) differs from the file the goldens were written from; its lines are skipped")
            }
        }
        loaded[source.path] = data
        return data
    }

    static func latin1ToUTF8(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        for b in bytes {
            if b < 0x80 { out.append(b) } else { out.append(0xC0 | b >> 6); out.append(0x80 | b & 0x3F) }
        }
        return out
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// zlib's CRC-32.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
