import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

/// The JSON parser and serializer: escapes, surrogates, invalid UTF-8, exact numbers, limits and
/// error positions. Expected values follow RFC 8259 (and Python's `json` where it is the
/// reference the corpora were written with).
final class JSONTests: XCTestCase {
    private func parse(_ bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) throws -> JSONValue {
        try JSONValue(parsing: bytes, maxDepth: maxDepth)
    }

    private func parse(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

    /// The error for `text`, failing the test when it parses.
    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONError? {
        error(Array(text.utf8), file: file, line: line)
    }

    private func error(_ bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth,
                       file: StaticString = #filePath, line: UInt = #line) -> JSONError? {
        do {
            let value = try JSONValue(parsing: bytes, maxDepth: maxDepth)
            XCTFail("parsed \(String(decoding: bytes.prefix(60), as: UTF8.self)) as \(value)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    /// Strings compared by their scalars, so a difference in normalization would show.
    private func assertScalars(_ value: JSONValue, _ expected: [UInt32], file: StaticString = #filePath, line: UInt = #line) {
        guard let s = value.stringValue else { return XCTFail("not a string: \(value)", file: file, line: line) }
        XCTAssertEqual(s.unicodeScalars.map(\.value), expected, file: file, line: line)
    }

    // MARK: Strings

    func testSimpleEscapes() throws {
        let value = try parse(#""a\"b\\c\/d\ne\rf\tg\bh\fi""#)
        XCTAssertEqual(Array(value.stringValue!.utf8), Array("a\"b\\c/d\ne\rf\tg\u{8}h\u{C}i".utf8))
    }

    func testUnicodeEscapesAndSurrogatePairs() throws {
        assertScalars(try parse(#""\u00e9\u00E9\u0041\u4e2d""#), [0xE9, 0xE9, 0x41, 0x4E2D])
        // U+1F600 as a surrogate pair, in both cases of hex digits.
        assertScalars(try parse(#""x\ud83d\ude00y\uD83D\uDE00""#), [0x78, 0x1F600, 0x79, 0x1F600])
        // U+10FFFF, the last scalar.
        assertScalars(try parse(#""\udbff\udfff""#), [0x10FFFF])
        // \u0000 is a valid character.
        assertScalars(try parse(#""a\u0000b""#), [0x61, 0, 0x62])
    }

    func testLoneSurrogatesBecomeReplacementCharacters() throws {
        assertScalars(try parse(#""\ud800""#), [0xFFFD])                     // high at the end
        assertScalars(try parse(#""\ud800x""#), [0xFFFD, 0x78])              // high then text
        assertScalars(try parse(#""\udc00""#), [0xFFFD])                     // low alone
        assertScalars(try parse(#""\ude00\ud83d""#), [0xFFFD, 0xFFFD])       // reversed pair
        assertScalars(try parse(#""\ud800\n""#), [0xFFFD, 0x0A])             // high then another escape
        assertScalars(try parse(#""\ud800\u0041""#), [0xFFFD, 0x41])         // high then a non-surrogate
        assertScalars(try parse(#""\ud800\ud83d\ude00""#), [0xFFFD, 0x1F600]) // high then a full pair
        assertScalars(try parse(#""\ud83d\ud83d""#), [0xFFFD, 0xFFFD])       // two highs
    }

    func testInvalidUTF8BecomesReplacementCharacters() throws {
        // A stray byte, on the fast path (no escapes) and on the escape path.
        assertScalars(try parse([0x22, 0xFF, 0x61, 0x22]), [0xFFFD, 0x61])
        assertScalars(try parse([0x22, 0xFF, 0x5C, 0x6E, 0x22]), [0xFFFD, 0x0A])
        // A truncated 3-byte sequence before the closing quote: one replacement (maximal subpart).
        assertScalars(try parse([0x22, 0xE2, 0x82, 0x22]), [0xFFFD])
        // A truncated sequence right before an escape: the escape's output is not glued to it.
        assertScalars(try parse([0x22, 0xE2, 0x82] + Array(#"\u00e9""#.utf8)), [0xFFFD, 0xE9])
        // Overlong encoding of '/', a UTF-16 surrogate encoded in UTF-8, and a Latin-1 word.
        assertScalars(try parse([0x22, 0xC0, 0xAF, 0x22]), [0xFFFD, 0xFFFD])
        assertScalars(try parse([0x22, 0xED, 0xA0, 0x80, 0x22]), [0xFFFD, 0xFFFD, 0xFFFD])
        assertScalars(try parse([0x22, 0x47, 0x6F, 0x65, 0x74, 0x68, 0xE4, 0x22]), [0x47, 0x6F, 0x65, 0x74, 0x68, 0xFFFD])
        // Invalid bytes in a key are replaced the same way.
        let object = try parse([0x7B, 0x22, 0xFE, 0x22, 0x3A, 0x31, 0x7D])
        XCTAssertEqual(object.objectValue?.keys, ["\u{FFFD}"])
    }

    func testLongStringsCrossTheSIMDBlocks() throws {
        // Quotes, backslashes and control characters at every position modulo 16.
        for length in 0..<40 {
            for position in 0..<max(1, length) {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                if length > 0 { bytes[position] = UInt8(ascii: "\\") ; bytes.insert(UInt8(ascii: "\""), at: position + 1) }
                let json = [UInt8(ascii: "\"")] + bytes + [UInt8(ascii: "\"")]
                let value = try parse(json)
                var expected = Array(repeating: UInt8(ascii: "a"), count: length)
                if length > 0 { expected[position] = UInt8(ascii: "\"") }
                XCTAssertEqual(Array(value.stringValue!.utf8), expected, "length \(length), escape at \(position)")
                // And a raw control character there is refused at its exact position.
                if length > 0 {
                    var bad = Array(repeating: UInt8(ascii: "b"), count: length)
                    bad[position] = 0x0A
                    let e = error([UInt8(ascii: "\"")] + bad + [UInt8(ascii: "\"")])
                    XCTAssertEqual(e?.offset, position + 1)
                    XCTAssertTrue(e?.message.contains("control character 0x0a") ?? false, "\(String(describing: e))")
                }
            }
        }
    }

    // MARK: Numbers

    func testNumbersKeepTheirText() throws {
        for text in ["0", "-0", "1", "-1", "1.0", "1.50", "-0.0", "1e400", "-1e400", "1E+2", "1e-7", "0.1e-0",
                     "123456789012345678901234567890", "-9223372036854775809", "2.2250738585072011e-308"] {
            let value = try parse(text)
            XCTAssertEqual(value.numberValue?.text, text)
            XCTAssertEqual(value.serialized(), text)
            XCTAssertEqual(try parse("[\(text)]").serialized(), "[\(text)]")
        }
    }

    func testNumberAccessors() throws {
        let minusZero = try parse("-0")
        XCTAssertEqual(minusZero.intValue, 0)
        XCTAssertEqual(minusZero.doubleValue, 0)
        XCTAssertEqual(minusZero.doubleValue?.sign, .minus)
        XCTAssertEqual(try parse("1e400").doubleValue, .infinity)
        XCTAssertEqual(try parse("-1e400").doubleValue, -.infinity)
        XCTAssertEqual(try parse("1e-400").doubleValue, 0)
        XCTAssertNil(try parse("1e400").intValue)
        XCTAssertEqual(try parse("9223372036854775807").intValue, Int.max)
        XCTAssertNil(try parse("9223372036854775808").intValue)
        XCTAssertEqual(try parse("9223372036854775808").doubleValue, 9223372036854775808.0)
        XCTAssertNil(try parse("1.0").intValue)
        XCTAssertEqual(try parse("1.0").doubleValue, 1)
        XCTAssertEqual(try parse("0.1").doubleValue, 0.1)
        XCTAssertEqual(try parse("1.5e3").doubleValue, 1500)
        XCTAssertTrue(try parse("12").numberValue!.isInteger)
        XCTAssertFalse(try parse("1e2").numberValue!.isInteger)
        XCTAssertFalse(try parse("1.2").numberValue!.isInteger)
        // Text equality: 1.0 and 1 are different numbers here.
        XCTAssertNotEqual(try parse("1.0"), try parse("1"))
    }

    func testInvalidNumbers() {
        for (text, offset) in [("01", 1), ("1.", 2), (".5", 0), ("-", 1), ("1e", 2), ("1e+", 3), ("+1", 0),
                               ("0x10", 1), ("NaN", 0), ("Infinity", 0), ("-Infinity", 1), ("1.e5", 2), ("--1", 1)] {
            XCTAssertEqual(error(text)?.offset, offset, text)
        }
    }

    func testJSONNumberConstructors() {
        XCTAssertEqual(JSONNumber("-12.5e3")?.text, "-12.5e3")
        XCTAssertNil(JSONNumber("12 "))
        XCTAssertNil(JSONNumber(""))
        XCTAssertNil(JSONNumber("1.2.3"))
        XCTAssertEqual(JSONNumber(42).text, "42")
        XCTAssertEqual(JSONNumber(UInt64.max).text, "18446744073709551615")
        XCTAssertEqual(JSONNumber(0.1)?.text, "0.1")
        XCTAssertEqual(JSONNumber(1e22)?.text, "1e+22")
        XCTAssertNil(JSONNumber(Double.infinity))
        XCTAssertNil(JSONNumber(Double.nan))
        // Whatever Swift prints for a Double must be valid JSON that reads back to the same Double.
        for d in [1.0, -0.0, Double.leastNonzeroMagnitude, 1.7976931348623157e308, 123456.789, 1e-7] {
            let n = JSONNumber(d)!
            XCTAssertEqual(try JSONValue(parsing: n.text).doubleValue, d)
        }
    }

    // MARK: Structure

    func testObjectsKeepOrderAndDuplicates() throws {
        let value = try parse(#" { "b" : 1 , "a" : [ true , false , null ] , "b" : "two" , "" : {} } "#)
        let object = value.objectValue!
        XCTAssertEqual(object.keys, ["b", "a", "b", ""])
        XCTAssertEqual(object["b"], "two") // the last duplicate wins, as in Python
        XCTAssertEqual(value["a"]?[1], false)
        XCTAssertEqual(value["a"]?[3], nil)
        XCTAssertEqual(value[""], .object(JSONObject()))
        XCTAssertEqual(value.serialized(), #"{"b":1,"a":[true,false,null],"b":"two","":{}}"#)
    }

    func testObjectEditing() {
        var object: JSONObject = ["x": 1, "y": 2]
        object.append("x", 3)
        object["x"] = "new"
        XCTAssertEqual(JSONValue.object(object).serialized(), #"{"x":1,"y":2,"x":"new"}"#)
        object["z"] = nil
        object["x"] = nil
        XCTAssertEqual(JSONValue.object(object).serialized(), #"{"y":2}"#)
        object["w"] = [1, "a", nil, 2.5]
        XCTAssertEqual(JSONValue.object(object).serialized(), #"{"y":2,"w":[1,"a",null,2.5]}"#)
    }

    func testEqualityIsByBytes() throws {
        // "é" precomposed and decomposed: equal as Swift Strings, different as JSON.
        let composed = try parse("\"\u{E9}\"")
        let decomposed = try parse("\"e\u{301}\"")
        XCTAssertEqual(composed.stringValue, decomposed.stringValue) // Swift's canonical equivalence
        XCTAssertNotEqual(composed, decomposed)
        XCTAssertNotEqual(try parse("{\"\u{E9}\":1}"), try parse("{\"e\u{301}\":1}"))
        XCTAssertEqual(try parse(#"{"a":[1,{"b":null}]}"#), try parse(#"{ "a" : [ 1 , { "b" : null } ] }"#))
    }

    func testNesting() throws {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        var value = try parse(deepest)
        var depth = 0
        while case .array(let a) = value, let first = a.first { value = first; depth += 1 }
        XCTAssertEqual(depth, 511) // 512 arrays, the innermost empty

        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        let e = error(tooDeep)
        XCTAssertEqual(e?.offset, 512)
        XCTAssertTrue(e?.message.contains("nesting deeper than 512") ?? false)
        XCTAssertEqual(error(String(repeating: "{\"a\":", count: 600) + "1" + String(repeating: "}", count: 600))?.offset, 512 * 5)

        // Hostile input far beyond the limit (and beyond any recursion's stack) is refused cleanly.
        let hostile = Array(repeating: UInt8(ascii: "["), count: 5_000_000)
        XCTAssertNotNil(error(hostile))
        // A custom limit.
        XCTAssertNoThrow(try parse(Array("[[[]]]".utf8), maxDepth: 3))
        XCTAssertNotNil(error(Array("[[[[]]]]".utf8), maxDepth: 3))
    }

    func testTrailingGarbageIsRejected() {
        XCTAssertEqual(error(#"{"a":1} x"#)?.offset, 8)
        XCTAssertEqual(error("[1]]")?.offset, 3)
        XCTAssertEqual(error("1 2")?.offset, 2)
        XCTAssertEqual(error("nullx")?.offset, 4)
        XCTAssertEqual(error("\"a\"\"b\"")?.offset, 3)
        XCTAssertTrue(error("{} {}")?.message.contains("expected end of input") ?? false)
        XCTAssertNoThrow(try parse(" \t\r\n{}\r\n\t "))
    }

    func testErrorsNamePositionAndExpectation() {
        let cases: [(String, Int, String)] = [
            ("", 0, "expected a JSON value, found end of input"),
            ("   ", 3, "expected a JSON value, found end of input"),
            (#"{"a" 1}"#, 5, "expected ':' after an object key, found '1'"),
            (#"{"a":1,}"#, 7, "expected a string key, found '}'"),
            (#"{a:1}"#, 1, "expected a string key, found 'a'"),
            ("[1,]", 3, "expected a JSON value"),
            ("[1 2]", 3, "expected ',' or ']' after an array element, found '2'"),
            (#"{"a":1 "b":2}"#, 7, "expected ',' or '}' after an object member, found '\"'"),
            ("[1,", 3, "expected a JSON value, found end of input"),
            ("[1", 2, "expected ',' or ']', found end of input"),
            (#""abc"#, 0, "unterminated string"),
            (#""a\x""#, 2, "invalid escape '\\x'"),
            (#""\u12G4""#, 1, "invalid \\u escape (expected four hex digits)"),
            (#""\u12""#, 1, "invalid \\u escape"),
            ("tru", 0, "expected 'true'"),
            ("nul", 0, "expected 'null'"),
            ("fals", 0, "expected 'false'"),
            ("'a'", 0, "expected a JSON value (object, array, string, number, true, false or null), found '''"),
        ]
        for (text, offset, message) in cases {
            let e = error(text)
            XCTAssertEqual(e?.offset, offset, text)
            XCTAssertTrue(e?.message.contains(message) ?? false, "\(text): \(String(describing: e))")
        }
        XCTAssertEqual(JSONError(offset: 3, message: "x").description, "at byte 3: x")
    }

    // MARK: Serialization

    func testMinimalEscapes() throws {
        var all = ""
        for c in 0..<0x20 { all.unicodeScalars.append(UnicodeScalar(UInt8(c))) }
        all += "\"\\/\u{7F}é中😀\u{2028}"
        let written = JSONValue.string(all).serialized()
        let expected = #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
            + "\\\"\\\\/\u{7F}é中😀\u{2028}\""
        XCTAssertEqual(Array(written.utf8), Array(expected.utf8))
        XCTAssertEqual(try parse(written), .string(all))
    }

    func testRoundTripIsExact() throws {
        // Compact input with minimal escapes comes back byte for byte.
        let text = #"{"id":"a\"b","n":[-0,1e400,123456789012345678901234567890,0.10],"t":"é\n\u0001","o":{"z":null,"a":true}}"#
        XCTAssertEqual(Array(try parse(text).serialized().utf8), Array(text.utf8))
        // Non-minimal escapes are normalized.
        XCTAssertEqual(try parse(#""\u00e9\/\u0041""#).serialized(), "\"é/A\"")
    }

    func testPythonAgreesWithSerializer() throws {
        // An independent reader: Python's json module must read what we write as the same value.
        let value: JSONValue = ["s": .string("q\"b\\s/\u{0}\u{1F}\u{7F}é😀\u{2028}\t"), "n": [-0, 1.5, .number(JSONNumber("12345678901234567890")!)],
                                "nested": ["a": [true, false, nil]]]
        let script = """
        import json, sys
        v = json.loads(sys.stdin.buffer.read())
        assert v == {"s": "q\\"b\\\\s/\\u0000\\u001f\\u007fé😀\\u2028\\t", "n": [0, 1.5, 12345678901234567890], "nested": {"a": [True, False, None]}}, v
        print("ok")
        """
        let out = try TestSupport.run(["python3", "-c", script], stdin: Data(value.serialized().utf8))
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "ok\n")
    }
}
