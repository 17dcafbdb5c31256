import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernTokenizer

/// Parity with tiktoken 0.14 and tokenizers 0.23 on the golden files of
/// Tests/Reference/bytelevel_goldens.py: every id sequence and every decode, on hand-made edge
/// cases and on thousands of stretches of the shared corpora (read again from the corpora here;
/// the goldens hold only where they are).
final class ByteLevelGoldenTests: XCTestCase {
    static let goldenFolder = TestSupport.packageRoot.appendingPathComponent("Tests/QuernTokenizerTests/Golden")

    // MARK: tiktoken rank file with the four patterns

    func testTiktokenGPT2Pattern() throws { try checkTiktoken(.gpt2) }
    func testTiktokenCl100kPattern() throws { try checkTiktoken(.cl100kBase) }
    func testTiktokenO200kPattern() throws { try checkTiktoken(.o200kBase) }
    func testTiktokenLlama3Pattern() throws { try checkTiktoken(.llama3) }

    func checkTiktoken(_ pattern: PreTokenizerPattern) throws {
        let golden = try GoldenFile(name: "bytelevel_tiktoken_llama3_\(pattern.rawValue).jsonl")
        XCTAssertEqual(golden.header["pattern"]?.stringValue, pattern.rawValue)
        XCTAssertEqual(golden.header["regex"]?.stringValue, pattern.regex, "the preset's regex is the one tested")
        let tokenizer = try TiktokenTokenizer(contentsOf: try TestSupport.corpora("tokenizers/llama-models__llama3_tokenizer.model"),
                                              pattern: pattern)
        XCTAssertEqual(golden.header["oniguruma"]?.stringValue, pattern.onigurumaRegex)
        try golden.check(tokenizer, decodesExactly: true, pieces: pattern)
    }

    // MARK: tokenizer.json

    func testHFGPT2() throws {
        let golden = try GoldenFile(name: "bytelevel_hf_gpt2.jsonl")
        let tokenizer = try HFTokenizer(contentsOf: try TestSupport.corpora("tokenizers/KV260-Accelerated-Platform__gpt2_tokenizer.json"))
        try golden.check(tokenizer)
    }

    func testHFDolmaLlama() throws {
        let golden = try GoldenFile(name: "bytelevel_hf_dolma_llama.jsonl")
        let tokenizer = try HFTokenizer(contentsOf: try TestSupport.corpora("tokenizers/dolma__llama-test-tokenizer.json"))
        try golden.check(tokenizer)
    }

    func testHFMetaspaceFirstNFKCByteFallback() throws { try checkSynthetic("metaspace_first") }
    func testHFByteLevelPrefixSpaceAddedTokenOptions() throws { try checkSynthetic("bytelevel_prefix") }
    func testHFSplitO200kIgnoreMerges() throws { try checkSynthetic("split_o200k") }
    func testHFSubwordPrefixWordSuffix() throws { try checkSynthetic("prefix_suffix") }
    func testHFMetaspaceAlwaysNoSplitUnknowns() throws { try checkSynthetic("metaspace_always") }
    func testHFMetaspaceNeverCl100kSplit() throws { try checkSynthetic("metaspace_never") }
    func testHFSplitOnStringAndDigits() throws { try checkSynthetic("split_string_digits") }
    func testHFSplitBehaviorsAndInvert() throws { try checkSynthetic("split_behaviors") }

    /// A small tokenizer.json made by the golden script; its edge cases run without the corpora.
    func checkSynthetic(_ name: String) throws {
        let golden = try GoldenFile(name: "bytelevel_hf_\(name).jsonl")
        let path = Self.goldenFolder.appendingPathComponent("bytelevel_\(name).json").path
        let tokenizer = try HFTokenizer(contentsOf: path)
        try golden.check(tokenizer)
    }

    // MARK: Unicode classes

    /// Every scalar's classes as both regex engines see them (Unicode 16.0), against Quern's.
    func testUnicodeClassesMatchTheRegexEngines() throws {
        let url = Self.goldenFolder.appendingPathComponent("bytelevel_unicode_classes.json")
        let json = try JSONValue(parsing: Array(try Data(contentsOf: url)))
        guard let classes = json["classes"]?.objectValue else { return XCTFail("no classes") }
        func set(_ name: String) -> Set<UInt32> {
            var result = Set<UInt32>()
            for range in classes[name]?.arrayValue ?? [] {
                guard let low = range[0]?.intValue, let high = range[1]?.intValue else { continue }
                for v in low...high { result.insert(UInt32(v)) }
            }
            return result
        }
        let letters = set("L"), numbers = set("N"), spaces = set("s")
        let upperSet = set("Lu").union(set("Lt")).union(set("Lm")).union(set("Lo")).union(set("M"))
        let lowerSet = set("Ll").union(set("Lm")).union(set("Lo")).union(set("M"))
        let marks = set("M")
        XCTAssertGreaterThan(letters.count, 100_000)
        var mismatches: [String] = []
        for v in UInt32(0)..<0x110000 where !(0xD800..<0xE000).contains(v) {
            let bits = PreTokenizerClass.of(v)
            let table = PreTokenizerClassTable.withTable { v < PreTokenizerClassTable.count ? $0[Int(v)] : bits }
            let expected: [(UInt8, Bool)] = [
                (PreTokenizerClass.letter, letters.contains(v)), (PreTokenizerClass.number, numbers.contains(v)),
                (PreTokenizerClass.space, spaces.contains(v)), (PreTokenizerClass.upper, upperSet.contains(v)),
                (PreTokenizerClass.lower, lowerSet.contains(v)), (PreTokenizerClass.mark, marks.contains(v)),
            ]
            for (bit, want) in expected where (bits & bit != 0) != want || (table & bit != 0) != want {
                mismatches.append(String(format: "U+%04X bit %d: want %@", v, bit, want ? "set" : "clear"))
            }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(10))")
    }
}

// MARK: - Golden files

/// One golden .jsonl file: a header line, then one case per line.
struct GoldenFile {
    let name: String
    let header: JSONObject
    let rows: [JSONObject]

    init(name: String) throws {
        self.name = name
        let url = ByteLevelGoldenTests.goldenFolder.appendingPathComponent(name)
        let data = try Data(contentsOf: url)
        var rows: [JSONObject] = []
        var header: JSONObject?
        for line in data.split(separator: 0x0A) where !line.isEmpty {
            let object = try XCTUnwrap(try JSONValue(parsing: Array(line)).objectValue, "\(name): a line is not an object")
            if header == nil { header = object } else { rows.append(object) }
        }
        self.header = try XCTUnwrap(header, "\(name) is empty")
        self.rows = rows
    }

    /// Encodes every case and compares ids; decodes the ids and compares with the reference's
    /// decode (the text itself for tiktoken). Corpus cases are skipped, visibly, without the
    /// corpora.
    /// With `pieces`, also compares that pattern's pieces with the golden's (Oniguruma's).
    func check(_ tokenizer: some Tokenizer, decodesExactly: Bool = false, pieces pattern: PreTokenizerPattern? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws {
        var failures: [String] = []
        var failed = 0
        var checked = 0
        var skipped = 0
        var ids: [TokenID] = []
        for (index, row) in rows.enumerated() {
            guard let text = try GoldenText.text(of: row) else {
                skipped += 1
                continue
            }
            let expected = (row["ids"]?.arrayValue ?? []).map { TokenID($0.intValue ?? -1) }
            ids.removeAll(keepingCapacity: true)
            text.input.withUnsafeBufferPointer { tokenizer.encode($0, into: &ids) }
            checked += 1
            var problems: [String] = []
            if ids != expected {
                let at = zip(ids, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    ?? min(ids.count, expected.count)
                problems.append("ids differ at \(at) of \(expected.count): got \(Array(ids[at..<min(ids.count, at + 8)])), "
                                + "want \(Array(expected[at..<min(expected.count, at + 8)]))")
            }
            if let pattern, let want = row["pieces"]?.stringValue {
                var lengths: [String] = []
                text.reference.withUnsafeBufferPointer { buffer in
                    pattern.split(validUTF8: buffer) { lengths.append(String($0.count)) }
                }
                let got = GoldenText.fnv64(Array(lengths.joined(separator: ",").utf8))
                if got != want { problems.append("pieces differ from Oniguruma's: \(lengths.prefix(20))…") }
            }
            let decoded = tokenizer.decode(expected)
            if decodesExactly {
                if decoded != text.reference { problems.append("decode differs from the text") }
            } else {
                if let problem = GoldenText.compare(decoded, with: row["dec"], reference: text.reference) {
                    problems.append("decode: \(problem)")
                }
                if let hf = tokenizer as? HFTokenizer {
                    let skipping = hf.decode(expected, skipSpecialTokens: true)
                    let expectation = row["decs"] ?? row["dec"]
                    if let problem = GoldenText.compare(skipping, with: expectation, reference: text.reference) {
                        problems.append("decode skipping special tokens: \(problem)")
                    }
                }
            }
            if !problems.isEmpty {
                failed += 1
                if failures.count < 8 {
                    failures.append("case \(index + 1) (\(text.label)): " + problems.joined(separator: "; "))
                }
            }
        }
        XCTAssertEqual(failed, 0, "\(name): \(failed) of \(checked) cases differ:\n" + failures.joined(separator: "\n"),
                       file: file, line: line)
        XCTAssertGreaterThan(checked, 0, "\(name): no case checked", file: file, line: line)
        if skipped > 0 {
            throw XCTSkip("\(name): \(checked) cases checked, \(skipped) corpus cases skipped "
                          + "(shared corpora not found at \(TestSupport.corporaRoot): set QUERN_CORPORA)")
        }
    }
}

/// The text of a golden case, rebuilt from the case or from the corpora.
enum GoldenText {
    struct Text {
        /// The bytes to encode.
        var input: [UInt8]
        /// The UTF-8 of the text the reference encoded (the input, repaired or transcoded).
        var reference: [UInt8]
        var label: String
    }

    /// nil when the case needs the corpora and they are absent.
    static func text(of row: JSONObject) throws -> Text? {
        if let text = row["text"]?.stringValue {
            let bytes = Array(text.utf8)
            return Text(input: bytes, reference: bytes, label: "text \(text.debugDescription.prefix(40))")
        }
        if let hex = row["hex"]?.stringValue {
            let bytes = try decodeHex(hex)
            return Text(input: bytes, reference: Array(String(decoding: bytes, as: UTF8.self).utf8), label: "bytes \(hex.prefix(40))")
        }
        guard let source = row["src"]?.stringValue, let encoding = row["enc"]?.stringValue else {
            throw GoldenError("a case has neither text nor source")
        }
        guard FileManager.default.fileExists(atPath: TestSupport.corporaRoot + "/" + source) else { return nil }
        let data = try SourceCache.shared.bytes(source)
        if encoding == "jsonl" {
            let lineNumber = row["line"]?.intValue ?? -1
            let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            guard lineNumber >= 0 && lineNumber < lines.count,
                  let text = try JSONValue(parsing: Array(lines[lineNumber]))["text"]?.stringValue else {
                throw GoldenError("\(source): no text on line \(lineNumber)")
            }
            let bytes = Array(text.utf8)
            return Text(input: bytes, reference: bytes, label: "\(source) line \(lineNumber)")
        }
        let offset = row["off"]?.intValue ?? -1, length = row["len"]?.intValue ?? -1
        guard offset >= 0, length >= 0, offset + length <= data.count else {
            throw GoldenError("\(source): range \(offset)+\(length) outside the file (\(data.count) bytes)")
        }
        let slice = Array(data[offset..<(offset + length)])
        let label = "\(source) @\(offset)+\(length) \(encoding)"
        switch encoding {
        case "latin1":
            var utf8: [UInt8] = []
            for byte in slice { utf8.append(contentsOf: String(Character(Unicode.Scalar(byte))).utf8) }
            return Text(input: utf8, reference: utf8, label: label)
        case "raw":
            return Text(input: slice, reference: Array(String(decoding: slice, as: UTF8.self).utf8), label: label)
        default:
            return Text(input: slice, reference: slice, label: label)
        }
    }

    /// nil when `decoded` is what the golden says: the reference text (null) or its hash.
    static func compare(_ decoded: [UInt8], with expectation: JSONValue?, reference: [UInt8]) -> String? {
        guard let expectation, !expectation.isNull else {
            return decoded == reference ? nil : "want the text back, got \(String(decoding: decoded.prefix(80), as: UTF8.self).debugDescription)"
        }
        let fnv = expectation["fnv"]?.stringValue ?? "", n = expectation["n"]?.intValue ?? -1
        if decoded.count == n && fnv64(decoded) == fnv { return nil }
        return "got \(decoded.count) bytes \(String(decoding: decoded.prefix(80), as: UTF8.self).debugDescription), want \(n) bytes (fnv \(fnv))"
    }

    static func fnv64(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01B3
        }
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func decodeHex(_ hex: String) throws -> [UInt8] {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { throw GoldenError("odd hex length") }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let byte = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else {
                throw GoldenError("bad hex")
            }
            out.append(byte)
            i += 2
        }
        return out
    }
}

struct GoldenError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Corpus files, decompressed once per test run.
final class SourceCache: @unchecked Sendable {
    static let shared = SourceCache()
    private let lock = NSLock()
    private var files: [String: [UInt8]] = [:]

    func bytes(_ relative: String) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let cached = files[relative] { return cached }
        let bytes = try Input.open(try TestSupport.corpora(relative), threads: 1).readAll()
        files[relative] = bytes
        return bytes
    }
}
