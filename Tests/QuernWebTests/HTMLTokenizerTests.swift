import XCTest
@testable import QuernWeb

final class HTMLTokenizerTests: XCTestCase {
    /// Tokens as short strings: `<tag a=v>`, `</tag>`, `"text"`, `raw:tag"..."`, `!--...`, `!doctype`.
    private func tokens(_ html: String) -> [String] {
        var bytes = Array(html.utf8)
        return bytes.withUnsafeMutableBufferPointer { mutable -> [String] in
            let buffer = UnsafeBufferPointer(mutable)
            var tokenizer = HTMLTokenizer(buffer)
            var token = HTMLToken()
            var out: [String] = []
            var guardCount = 0
            func slice(_ r: Range<Int>) -> String { String(decoding: buffer[r], as: UTF8.self) }
            while tokenizer.next(&token) {
                guardCount += 1
                XCTAssertLessThan(guardCount, 10_000, "tokenizer does not advance")
                if guardCount >= 10_000 { break }
                switch token.kind {
                case .text: out.append("\"" + slice(token.start..<token.end) + "\"")
                case .rawText: out.append("raw:\(token.tag.name)\"" + slice(token.start..<token.end) + "\"")
                case .cdata: out.append("cdata\"" + slice(token.start..<token.end) + "\"")
                case .comment: out.append("!--" + slice(token.start..<token.end))
                case .doctype: out.append("!doctype")
                case .endTag: out.append("</\(token.tag.name)>")
                case .startTag:
                    var s = "<\(token.tag.name)"
                    for a in HTMLAttribute.allCases {
                        if let r = token.range(a) { s += " \(a)=\(slice(r))" }
                    }
                    if token.selfClosing { s += " /" }
                    out.append(s + ">")
                }
            }
            return out
        }
    }

    private func decoded(_ text: String) -> String {
        var out: [UInt8] = []
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { HTMLEntities.decodeAll(UnsafeBufferPointer($0), into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    func testTagsAttributesAndCase() {
        XCTAssertEqual(tokens(#"<!DOCTYPE html><DIV Class="a b" ID=main data-x='1' role = "nav">Hi</Div>"#),
                       ["!doctype", "<div class=a b id=main role=nav>", "\"Hi\"", "</div>"])
        XCTAssertEqual(tokens(#"<p class=x class=y hidden>t<br/>"#),
                       ["<p class=x hidden=>", "\"t\"", "<br />"])
        XCTAssertEqual(tokens("<a href=\"x>y\">l</a >"), ["<a href=x>y>", "\"l\"", "</a>"])
        XCTAssertEqual(tokens("<my-widget>x</my-widget>"), ["<custom>", "\"x\"", "</custom>"])
    }

    func testRawTextElementsRunToTheirEndTag() {
        XCTAssertEqual(tokens("<script>if (a < b && c) { x = \"</div>\"; }</script>after"),
                       ["<script>", "raw:script\"if (a < b && c) { x = \"</div>\"; }\"", "</script>", "\"after\""])
        XCTAssertEqual(tokens("<STYLE>p{}</sTyLe >x"), ["<style>", "raw:style\"p{}\"", "</style>", "\"x\""])
        XCTAssertEqual(tokens("<title>A &amp; B</title>"), ["<title>", "raw:title\"A &amp; B\"", "</title>"])
        // `</scripts>` does not end a script; an unterminated script runs to the end.
        XCTAssertEqual(tokens("<script>a</scripts>b"), ["<script>", "raw:script\"a</scripts>b\""])
    }

    func testCommentsCDATAAndBogusMarkup() {
        XCTAssertEqual(tokens("a<!-- c -- d -->b"), ["\"a\"", "!-- c -- d ", "\"b\""])
        XCTAssertEqual(tokens("<!-->x"), ["!--", "\"x\""])
        XCTAssertEqual(tokens("a<!-- never closed <p>b"), ["\"a\"", "!-- never closed <p>b"])
        XCTAssertEqual(tokens("<![CDATA[x<y]]>z"), ["cdata\"x<y\"", "\"z\""])
        XCTAssertEqual(tokens("<?xml version=1?>t"), ["!--xml version=1?", "\"t\""])
        XCTAssertEqual(tokens("a</ b>c"), ["\"a\"", "!-- b", "\"c\""])
    }

    func testMalformedMarkupNeverStopsOrLoops() {
        XCTAssertEqual(tokens("1 < 2 and 3 <= 4"), ["\"1 \"", "\"< 2 and 3 \"", "\"<= 4\""])
        XCTAssertEqual(tokens("x</>y"), ["\"x\"", "\"y\""])
        XCTAssertEqual(tokens("text <"), ["\"text \"", "\"<\""])
        XCTAssertEqual(tokens("<p>ok<div class=\"never closed>lost"), ["<p>", "\"ok\""])
        XCTAssertEqual(tokens("<p>ok<div"), ["<p>", "\"ok\""])
        XCTAssertEqual(tokens("</"), ["\"</\""])
        XCTAssertEqual(tokens(""), [])
        // Random bytes: every call advances and the end of input ends it.
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("<>/!-='\"a &;#x".utf8)
        for _ in 0..<2_000 {
            let s = String(decoding: (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)! }, as: UTF8.self)
            _ = tokens(s)
        }
    }

    func testCharacterReferences() {
        XCTAssertEqual(decoded("a &amp; b &lt;&gt; &quot;&apos;"), "a & b <> \"'")
        XCTAssertEqual(decoded("&eacute;&Eacute;&hellip;&CounterClockwiseContourIntegral;"), "éÉ…∳")
        XCTAssertEqual(decoded("&#65;&#x42;&#X43;&#0;&#xD800;&#x110000;"), "ABC\u{FFFD}\u{FFFD}\u{FFFD}")
        // windows-1252 remap of C1 numeric references; 0x81 has no mapping and stays.
        XCTAssertEqual(decoded("&#128;&#150;&#x99;&#x81;"), "€–™\u{81}")
        // Legacy names without ';' (longest match), unknown names left alone.
        XCTAssertEqual(decoded("&copy 2020 &notit; &nosuch; &amp"), "© 2020 ¬it; &nosuch; &")
        XCTAssertEqual(decoded("&#; &# &#x; & ;"), "&#; &# &#x; & ;")
        // Two-code-point entity.
        XCTAssertEqual(decoded("&NotEqualTilde;"), "\u{2242}\u{338}")
        // In attribute values a legacy name followed by '=' or an alphanumeric is not a reference.
        var out: [UInt8] = []
        var bytes = Array("?a=1&copy=2&notx".utf8)
        bytes.withUnsafeMutableBufferPointer { HTMLEntities.decodeAll(UnsafeBufferPointer($0), inAttribute: true, into: &out) }
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "?a=1&copy=2&notx")
    }

    func testEntityTableMatchesPython() throws {
        // The generated table has every WHATWG name (Python's html.entities.html5 has 2231).
        XCTAssertEqual(HTMLEntityTable.count, 2231)
        XCTAssertEqual(decoded("&zwnj;&ZeroWidthSpace;&nbsp;&NewLine;"), "\u{200C}\u{200B}\u{A0}\n")
    }

    func testTagLookup() {
        // Implied-end scopes are bit sets over raw values.
        XCTAssertLessThanOrEqual(HTMLTag.allCases.count, 128)
        for tag in HTMLTag.allCases where tag != .other && tag != .custom {
            var bytes = Array(tag.name.uppercased().utf8)
            let found = bytes.withUnsafeMutableBufferPointer { HTMLTag.lookup($0.baseAddress!, $0.count) }
            XCTAssertEqual(found, tag)
        }
        // Long names differing only after the seventh byte are told apart.
        var bytes = Array("blockquotx".utf8)
        XCTAssertEqual(bytes.withUnsafeMutableBufferPointer { HTMLTag.lookup($0.baseAddress!, $0.count) }, .other)
        bytes = Array("BlockQuote".utf8)
        XCTAssertEqual(bytes.withUnsafeMutableBufferPointer { HTMLTag.lookup($0.baseAddress!, $0.count) }, .blockquote)
    }
}
