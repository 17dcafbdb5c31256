import CICU
import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernWeb

/// Charset decisions and decoding against fixtures encoded by Python's codecs
/// (Tests/Reference/charset_goldens.py), plus the parts no fixture covers: labels, ICU's
/// converters for every WHATWG encoding, broken input, streaming, threads, and real pages.
final class CharsetTests: XCTestCase {
    struct Golden {
        let name: String, bytes: [UInt8], contentType: String?, text: String, encoding: String, source: String
    }

    static let goldens: [Golden] = {
        let url = TestSupport.packageRoot.appendingPathComponent("Tests/QuernWebTests/Charset/charset_goldens.json")
        guard let data = try? Data(contentsOf: url),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.map { entry in
            Golden(name: entry["name"] as! String, bytes: hexBytes(entry["hex"] as! String),
                   contentType: entry["content_type"] as? String, text: entry["text"] as! String,
                   encoding: entry["encoding"] as! String, source: entry["source"] as! String)
        }
    }()

    static func hexBytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        func value(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
        return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }

    func decodeHTML(_ bytes: [UInt8], contentType: String? = nil,
                    with decoder: CharsetDecoder = CharsetDecoder()) throws -> (String, CharsetDecision) {
        var out: [UInt8] = []
        let decision = try bytes.withUnsafeBufferPointer {
            try decoder.decodeHTML($0, contentType: contentType, into: &out)
        }
        XCTAssertTrue(out.withUnsafeBufferPointer { UTF8Validation.isValid($0) }, "output is valid UTF-8")
        return (String(decoding: out, as: UTF8.self), decision)
    }

    // MARK: Python-encoded fixtures

    func testGoldenPages() throws {
        XCTAssertGreaterThanOrEqual(Self.goldens.count, 40, "charset_goldens.json missing or short")
        let decoder = CharsetDecoder()  // one decoder for all: converters are reused and reset
        for golden in Self.goldens {
            let (text, decision) = try decodeHTML(golden.bytes, contentType: golden.contentType, with: decoder)
            XCTAssertEqual(decision.encoding.name, golden.encoding, "\(golden.name): encoding (\(decision))")
            XCTAssertEqual(decision.source.rawValue, golden.source, "\(golden.name): source (\(decision))")
            if text != golden.text {
                let got = Array(text.unicodeScalars), want = Array(golden.text.unicodeScalars)
                let at = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
                XCTFail("\(golden.name): text differs at scalar \(at) of \(want.count) (\(decision)): got "
                        + "\(String(String.UnicodeScalarView(got[at..<min(got.count, at + 20)]))) want "
                        + "\(String(String.UnicodeScalarView(want[at..<min(want.count, at + 20)])))")
            }
            let expectedReplacements = golden.text.unicodeScalars.filter { $0 == "\u{FFFD}" }.count
            XCTAssertEqual(decision.replacements, expectedReplacements, "\(golden.name): replacements")
        }
    }

    func testPassThroughMeansTheOutputIsTheInput() throws {
        for golden in Self.goldens {
            let decision = golden.bytes.withUnsafeBufferPointer { Charset.decide($0, contentType: golden.contentType) }
            guard decision.isPassThrough else { continue }
            XCTAssertEqual(Array(golden.bytes[decision.bomLength...]), Array(golden.text.utf8), golden.name)
        }
    }

    // MARK: labels and converters

    func testLabelsMapTheWHATWGWay() {
        let expectations: [(String, WebEncoding?)] = [
            ("latin1", .windows1252), (" ISO-8859-1\t", .windows1252), ("ascii", .windows1252),
            ("US-ASCII", .windows1252), ("gb2312", .gbk), ("GBK", .gbk), ("x-gbk", .gbk), ("gb18030", .gb18030),
            ("shift_jis", .shiftJIS), ("SJIS", .shiftJIS), ("x-sjis", .shiftJIS), ("windows-31j", .shiftJIS),
            ("euc-kr", .eucKR), ("ks_c_5601-1987", .eucKR), ("big5", .big5), ("big5-hkscs", .big5),
            ("utf-16", .utf16LE), ("utf-16be", .utf16BE), ("UTF8", .utf8), ("unicode-1-1-utf-8", .utf8),
            ("iso-8859-9", .windows1254), ("tis-620", .windows874), ("koi8-u", .koi8U), ("cp1251", .windows1251),
            ("utf-32", nil), ("x-no-such-thing", nil), ("", nil), ("latin-1", nil),
        ]
        for (label, expected) in expectations {
            XCTAssertEqual(WebEncoding(label: label), expected, "label \(label)")
        }
    }

    func testEveryEncodingDecodesASCIIAndItsOwnCharacters() throws {
        // Each encoding's ICU converter opens, and ASCII-compatible ones keep ASCII as it is.
        let ascii = Array("Hello, <b>world</b> 0123456789!".utf8)
        let decoder = CharsetDecoder()
        for encoding in WebEncoding.allCases where encoding.isASCIICompatible {
            var out: [UInt8] = []
            let replaced = try ascii.withUnsafeBufferPointer { try decoder.decode($0, encoding: encoding, into: &out) }
            XCTAssertEqual(out, ascii, encoding.name)
            XCTAssertEqual(replaced, 0, encoding.name)
        }
        // A known character per legacy family (bytes from the encodings' published tables).
        let samples: [(WebEncoding, [UInt8], String)] = [
            (.shiftJIS, [0x93, 0xFA, 0x96, 0x7B, 0x87, 0x40], "日本①"),   // 0x8740: NEC row 13 (Windows-31J)
            (.eucJP, [0xC6, 0xFC, 0xCB, 0xDC, 0x8E, 0xB1], "日本ｱ"),       // 0x8E: half-width katakana
            (.gbk, [0xD6, 0xD0, 0xCE, 0xC4, 0x80], "中文€"),               // 0x80: GBK's euro
            (.gb18030, [0x81, 0x30, 0x81, 0x30], "\u{0080}"),              // four-byte form
            (.big5, [0xA4, 0xA4, 0xA4, 0xE5], "中文"),
            (.eucKR, [0xC7, 0xD1, 0xB1, 0xDB], "한글"),
            (.windows1251, [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2], "Привет"),
            (.koi8R, [0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4], "Привет"),
            (.windows1252, [0x80, 0x85, 0x93, 0x94, 0xE9, 0xFF], "€…“”éÿ"),
            (.xUserDefined, [0x41, 0x80, 0xFF], "A\u{F780}\u{F7FF}"),
            (.utf16LE, [0x41, 0x00, 0xE5, 0x65, 0x3D, 0xD8, 0x00, 0xDE], "A日😀"),
            (.utf16BE, [0x00, 0x41, 0x65, 0xE5, 0xD8, 0x3D, 0xDE, 0x00], "A日😀"),
            (.iso2022JP, Array("\u{1B}$B".utf8) + [0x46, 0x7C, 0x4B, 0x5C] + Array("\u{1B}(B!".utf8), "日本!"),
        ]
        for (encoding, bytes, expected) in samples {
            var out: [UInt8] = []
            let replaced = try bytes.withUnsafeBufferPointer { try decoder.decode($0, encoding: encoding, into: &out) }
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, encoding.name)
            XCTAssertEqual(replaced, 0, encoding.name)
        }
    }

    func testDecodeByLabelAppendsAndRejectsUnknownLabels() throws {
        var out = Array("kept:".utf8)
        let bytes: [UInt8] = [0x93, 0xFA]
        let decision = try bytes.withUnsafeBufferPointer { try Charset.decode($0, label: "MS_Kanji", into: &out) }
        XCTAssertEqual(decision?.encoding, .shiftJIS)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "kept:日")
        let none = try bytes.withUnsafeBufferPointer { try Charset.decode($0, label: "klingon", into: &out) }
        XCTAssertNil(none)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "kept:日", "nothing appended for an unknown label")
    }

    // MARK: HTTP header and prescan

    func testContentTypeParameters() {
        let cases: [(String, WebEncoding?)] = [
            ("text/html; charset=Shift_JIS", .shiftJIS), ("text/html;charset=\"euc-jp\"", .eucJP),
            ("text/html; Charset = 'gbk' ; q=1", .gbk), ("text/html; foo=bar; charset=koi8-r", .koi8R),
            ("text/html", nil), ("text/html; charset=", nil), ("text/html; charset=bogus", nil),
            ("text/html; charset=utf-8; charset=latin1", .utf8), ("charset=utf-8", nil),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(CharsetDeclaration.fromContentType(value), expected, value)
        }
    }

    func prescan(_ html: String) -> WebEncoding? {
        Array(html.utf8).withUnsafeBufferPointer { CharsetDeclaration.prescan($0) }
    }

    func testPrescanEdgeCases() {
        XCTAssertEqual(prescan("<meta charset=euc-jp>"), .eucJP)
        XCTAssertEqual(prescan("<meta charset='gbk'/>"), .gbk)
        XCTAssertEqual(prescan("<META CHARSET=\"Big5\">"), .big5)
        XCTAssertEqual(prescan("<meta/charset=koi8-r>"), .koi8R, "a slash separates attributes")
        XCTAssertNil(prescan("<metacharset=koi8-r>"), "<meta must be followed by space or slash")
        XCTAssertNil(prescan("<!-- <meta charset=euc-jp> -->"))
        XCTAssertEqual(prescan("<!--><meta charset=euc-jp>"), .eucJP, "<!--> ends the comment at once")
        XCTAssertNil(prescan("<!-- --!> <meta charset=euc-jp>"), "only --> ends a comment")
        XCTAssertEqual(prescan("<!-- a -- b --><meta charset=euc-jp>"), .eucJP)
        XCTAssertNil(prescan("<!DOCTYPE html <meta charset=euc-jp>"), "inside <!...> up to the first >")
        XCTAssertEqual(prescan("<?xml version='1.0'?><meta charset=euc-jp>"), .eucJP)
        XCTAssertNil(prescan("<p title='<meta charset=euc-jp>'>"), "inside another tag's attribute value")
        XCTAssertEqual(prescan("<p title=x><meta charset=euc-jp>"), .eucJP)
        XCTAssertNil(prescan("<meta content='text/html; charset=euc-jp'>"), "content needs http-equiv")
        XCTAssertEqual(prescan("<meta http-equiv=content-type content='text/html; charset=euc-jp'>"), .eucJP)
        XCTAssertEqual(prescan("<meta content='text/html; charset=euc-jp' http-equiv=Content-Type>"), .eucJP)
        XCTAssertEqual(prescan("<meta http-equiv=content-type content='charset=\"shift_jis\"'>"), .shiftJIS)
        XCTAssertEqual(prescan("<meta http-equiv=content-type content='text/html; charset=sjis;x'>"), .shiftJIS)
        XCTAssertNil(prescan("<meta http-equiv=content-type content='charset=\"shift_jis'>"), "unclosed quote")
        XCTAssertEqual(prescan("<meta http-equiv=content-type content='charsetx; charset=gbk'>"), .gbk)
        XCTAssertEqual(prescan("<meta charset=bogus><meta charset=gbk>"), .gbk, "an unknown label: next meta")
        XCTAssertEqual(prescan("<meta charset=gbk charset=big5>"), .gbk, "a repeated attribute is ignored")
        XCTAssertEqual(prescan("<meta charset=gbk http-equiv=content-type content='charset=big5'>"), .gbk)
        XCTAssertEqual(prescan("<meta charset=utf-16le>"), .utf8)
        XCTAssertEqual(prescan("<meta charset=x-user-defined>"), .windows1252)
        XCTAssertNil(prescan("<meta charset=\"euc-jp"), "input ends inside the attribute")
        XCTAssertNil(prescan(String(repeating: " ", count: 1020) + "<meta charset=euc-jp>"))
        XCTAssertEqual(prescan(String(repeating: " ", count: 990) + "<meta charset=euc-jp>"), .eucJP)
    }

    // MARK: broken bytes

    func testBrokenUTF8BecomesReplacementCharactersLikeTheStandardLibrary() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x41, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xA0, 0x90, 0x8F, 0xC0]
        let decoder = CharsetDecoder()
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...14, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            var out: [UInt8] = []
            let replaced = try bytes.withUnsafeBufferPointer { try decoder.decode($0, encoding: .utf8, into: &out) }
            let expected = String(decoding: bytes, as: UTF8.self)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, "\(bytes)")
            XCTAssertEqual(replaced, expected.unicodeScalars.filter { $0 == "\u{FFFD}" }.count, "\(bytes)")
        }
    }

    func testBrokenLegacyBytesBecomeReplacementCharacters() throws {
        let decoder = CharsetDecoder()
        let cases: [(WebEncoding, [UInt8], String)] = [
            (.shiftJIS, [0x93, 0xFA, 0x93], "日\u{FFFD}"),                  // lead byte cut off at the end
            (.shiftJIS, [0x93, 0xFA, 0x93, 0x0A, 0x41], "日\u{FFFD}\nA"),  // lead byte + ASCII: ASCII kept
            (.eucJP, [0xC6, 0xFC, 0xC6, 0x41], "日\u{FFFD}A"),
            (.gbk, [0xD6, 0xD0, 0xFF, 0x41], "中\u{FFFD}A"),
            (.big5, [0xA4, 0xA4, 0xA4], "中\u{FFFD}"),
            (.utf16LE, [0x41, 0x00, 0x3D, 0xD8, 0x41, 0x00], "A\u{FFFD}A"),  // unpaired surrogate
            (.utf16LE, [0x41, 0x00, 0x42], "A\u{FFFD}"),                     // odd byte count
            (.windows1255, [0x41, 0xD9, 0x42], "A\u{FFFD}B"),                // unassigned in windows-1255
            (.iso8859_8, [0x41, 0xA1, 0x42], "A\u{FFFD}B"),                  // unassigned in ISO-8859-8
        ]
        for (encoding, bytes, expected) in cases {
            var out: [UInt8] = []
            let replaced = try bytes.withUnsafeBufferPointer { try decoder.decode($0, encoding: encoding, into: &out) }
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, "\(encoding.name) \(bytes)")
            XCTAssertEqual(replaced, 1, "\(encoding.name) \(bytes)")
        }
    }

    func testDeclaredUTF8ThatIsMostlyLegacyIsDetected() throws {
        // Many lone high bytes, no UTF-8 sequence: the declaration loses.
        let page = Array("<meta charset=utf-8><p>".utf8) + [0x43, 0x61, 0x66, 0xE9, 0x20, 0x64, 0xE9, 0x6A, 0xE0]
        let (text, decision) = try decodeHTML(page)
        XCTAssertEqual(decision.overruled, .utf8)
        XCTAssertEqual(decision.encoding, .windows1252)
        XCTAssertTrue(text.hasSuffix("Café déjà"), text)
    }

    // MARK: streaming (the C facade)

    func testConverterStreamsAcrossSplitCharactersAndFullOutput() throws {
        // "日本語テキスト" in Shift_JIS, fed in pieces that split characters, into a 5-byte
        // output buffer: the result must equal the one-shot conversion.
        let text = "日本語テキスト、半角ｶﾅ。" + String(repeating: "漢字", count: 50)
        let bytes = try XCTUnwrap(text.data(using: .shiftJIS)).map { $0 }
        var error: Int32 = 0
        let converter = try XCTUnwrap(quern_icu_converter_open("windows-31j", &error))
        defer { quern_icu_converter_close(converter) }
        for piece in [1, 3, 7] {
            quern_icu_converter_reset(converter)
            var out: [UInt8] = []
            var substitutions: Int64 = 0
            var buffer = [UInt8](repeating: 0, count: 5)
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + piece)
                let last: Int32 = end == bytes.count ? 1 : 0
                var offset = start
                repeat {
                    var consumed: Int64 = 0
                    let written = bytes.withUnsafeBufferPointer { src in
                        buffer.withUnsafeMutableBufferPointer { dst in
                            quern_icu_converter_to_utf8(converter, src.baseAddress! + offset, Int64(end - offset),
                                                        &consumed, dst.baseAddress!, 5, last, &substitutions, &error)
                        }
                    }
                    XCTAssertGreaterThanOrEqual(written, 0, "ICU error \(error)")
                    out += buffer[0..<Int(written)]
                    offset += Int(consumed)
                    if offset == end && written < 5 { break }
                } while true
                start = end
            }
            XCTAssertEqual(String(decoding: out, as: UTF8.self), text, "pieces of \(piece)")
            XCTAssertEqual(substitutions, 0)
        }
        XCTAssertEqual(String(cString: quern_icu_converter_name(converter)), "ibm-943_P15A-2003")
    }

    // MARK: threads

    func testDecodesTheSamePagesFromManyThreads() throws {
        let goldens = Self.goldens
        XCTAssertFalse(goldens.isEmpty)
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<5 {
                for golden in goldens.shuffled() {
                    var out: [UInt8] = []
                    let decision = try? golden.bytes.withUnsafeBufferPointer {
                        try Charset.decodeHTML($0, contentType: golden.contentType, into: &out)
                    }
                    if decision?.encoding.name != golden.encoding || String(decoding: out, as: UTF8.self) != golden.text {
                        failures.withLock { $0 += 1 }
                    }
                }
                _ = (worker, round)
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }

    // MARK: real pages

    func testRealJapanesePages() throws {
        let pages = try TestWARC.responses(try TestSupport.corpora("web/resiliparse__clueweb-quirk.warc.gz"))
        XCTAssertEqual(pages.count, 29)
        for (index, page) in pages.enumerated() {
            let (text, decision) = try decodeHTML(page.body, contentType: page.contentType)
            XCTAssertEqual(decision.encoding, .eucJP, "page \(index): \(decision)")
            XCTAssertEqual(decision.source, .http, "page \(index)")
            XCTAssertTrue(text.unicodeScalars.contains { (0x3041...0x30FF).contains($0.value) }, "page \(index): kana")
            XCTAssertLessThan(decision.replacements, 5, "page \(index)")
            // Without the header the meta (or, failing that, detection) must agree.
            let (_, undeclared) = try decodeHTML(page.body)
            XCTAssertEqual(undeclared.encoding, .eucJP, "page \(index) without HTTP header: \(undeclared)")
            // And ICU's detector alone (its 8 KB window) recognises the page.
            let detected = page.body.withUnsafeBufferPointer { CharsetDecoder().detect($0, excludingUTF8: true) }
            XCTAssertEqual(detected.encoding, .eucJP, "page \(index) detected: \(detected)")
        }
    }

    func testRealCommonCrawlPages() throws {
        let pages = try TestWARC.responses(try TestSupport.corpora("web/resiliparse__warcfile.warc.gz"))
        XCTAssertEqual(pages.count, 16)
        var seen: [String: Int] = [:]
        var sources: [CharsetDecision.Source: Int] = [:]
        for (index, page) in pages.enumerated() {
            let (text, decision) = try decodeHTML(page.body, contentType: page.contentType)
            seen[decision.encoding.name, default: 0] += 1
            sources[decision.source, default: 0] += 1
            XCTAssertLessThan(decision.replacements, 10, "page \(index): \(decision)")
            if decision.encoding == .gbk {
                XCTAssertTrue(text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "page \(index): Han")
                let detected = page.body.withUnsafeBufferPointer { CharsetDecoder().detect($0, excludingUTF8: true) }
                XCTAssertEqual(detected.encoding, .gb18030, "page \(index) detected: \(detected)")
            }
            if decision.encoding == .windows1251 {
                XCTAssertTrue(text.unicodeScalars.contains { (0x0410...0x044F).contains($0.value) }, "page \(index)")
            }
        }
        // What the headers and metas say (checked by hand with warcio): 7 UTF-8, 6 gb2312/gbk,
        // 1 windows-1251, and 2 undeclared Swiss-German pages in Latin-1 that ICU must recognise.
        XCTAssertEqual(seen, ["UTF-8": 7, "GBK": 6, "windows-1251": 1, "windows-1252": 2])
        XCTAssertEqual(sources[.detected], 2, "\(sources)")
    }
}

/// A lock around a value (the tests' counters across threads).
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// Minimal WARC reading for these tests (the WARC reader proper lives in its own part of QuernWeb).
enum TestWARC {
    /// The response records of a WARC file: HTTP Content-Type and body. Test-local and minimal
    /// (Content-Length framing, no chunked transfer coding), enough for these two files.
    static func responses(_ path: String) throws -> [(contentType: String?, body: [UInt8])] {
        let data = try Input.open(path).readAll()
        var result: [(String?, [UInt8])] = []
        func find(_ needle: [UInt8], from: Int) -> Int? {
            guard needle.count <= data.count else { return nil }
            var i = from
            while i + needle.count <= data.count {
                if data[i] == needle[0], data[i..<(i + needle.count)].elementsEqual(needle) { return i }
                i += 1
            }
            return nil
        }
        func header(_ block: ArraySlice<UInt8>, _ name: String) -> String? {
            for line in String(decoding: block, as: UTF8.self).split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name { return parts[1].trimmingCharacters(in: .whitespaces) }
            }
            return nil
        }
        var position = 0
        while let start = find(Array("WARC/".utf8), from: position),
              let headerEnd = find([13, 10, 13, 10], from: start) {
            let headers = data[start..<headerEnd]
            let length = Int(header(headers, "content-length") ?? "") ?? 0
            let blockStart = headerEnd + 4, blockEnd = min(data.count, blockStart + length)
            if header(headers, "warc-type") == "response" {
                let block = data[blockStart..<blockEnd]
                let crlf = find([13, 10, 13, 10], from: blockStart).map { ($0, 4) }
                let lf = find([10, 10], from: blockStart).map { ($0, 2) }
                let ends = [crlf, lf].compactMap { $0 }.filter { $0.0 < blockEnd }
                if let (end, size) = ends.min(by: { $0.0 < $1.0 }) {
                    result.append((header(block[blockStart..<end], "content-type"), Array(data[(end + size)..<blockEnd])))
                }
            }
            position = blockEnd
        }
        return result
    }
}
