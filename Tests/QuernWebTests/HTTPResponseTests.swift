import Foundation
import QuernIO
import QuernTestSupport
import XCTest
@testable import QuernWeb

final class HTTPResponseTests: XCTestCase {
    func parse(_ text: String, body: [UInt8] = []) throws -> HTTPResponse {
        try HTTPResponse.parse(Array(text.utf8) + body)
    }

    /// gzip/zlib/raw deflate of `bytes` made by the system's zlib through Python (an independent encoder).
    func compress(_ bytes: [UInt8], _ how: String) throws -> [UInt8] {
        let script: String
        switch how {
        case "gzip": script = "import sys,gzip; sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read()))"
        case "zlib": script = "import sys,zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"
        default: script = "import sys,zlib; c=zlib.compressobj(6, zlib.DEFLATED, -15); d=sys.stdin.buffer.read(); sys.stdout.buffer.write(c.compress(d)+c.flush())"
        }
        return try TestSupport.run(["python3", "-c", script], stdin: Data(bytes))
    }

    func testStatusLineAndHeaders() throws {
        let r = try parse("HTTP/1.1 404 Not Found\r\nContent-Type: Text/HTML; Charset=\"UTF-8\"\r\nX-Folded: a\r\n  b\r\nbogus line\r\n\r\nbody")
        XCTAssertEqual(r.version, "HTTP/1.1")
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(r.reason, "Not Found")
        XCTAssertEqual(r.mimeType, "text/html")
        XCTAssertEqual(r.charset, "utf-8")
        XCTAssertEqual(r.headers["content-type"], "Text/HTML; Charset=\"UTF-8\"")
        XCTAssertEqual(r.headers["X-FOLDED"], "a b")
        XCTAssertEqual(r.headers.fields.count, 2)
        XCTAssertEqual(Array(r.body), Array("body".utf8))
        XCTAssertFalse(r.bodyWasDecoded)
    }

    func testSloppyResponses() throws {
        // LF-only, no reason phrase.
        var r = try parse("HTTP/1.0 200\nContent-Type: text/plain\n\nhi")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.reason, "")
        XCTAssertEqual(Array(r.body), Array("hi".utf8))
        // HTTP/0.9: the block is the body.
        r = try parse("<html>old</html>")
        XCTAssertEqual(r.version, "HTTP/0.9")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body.count, 16)
        // Headers that never end: no body.
        r = try parse("HTTP/1.1 204 No Content\r\nServer: x\r\n")
        XCTAssertEqual(r.status, 204)
        XCTAssertTrue(r.body.isEmpty)
        // Not a status code.
        XCTAssertThrowsError(try parse("HTTP/1.1 OK\r\n\r\n")) { XCTAssertEqual($0 as? HTTPError, .malformed("no three-digit status code in the status line")) }
        XCTAssertThrowsError(try parse("HTTP/1.1 2000 OK\r\n\r\n"))
    }

    func testChunked() throws {
        let r = try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n")
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "hello, world")
        XCTAssertTrue(r.bodyWasDecoded)
        XCTAssertFalse(r.bodyIsIncomplete)
        // Cut short: what arrived, flagged.
        let cut = try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456")
        XCTAssertEqual(String(decoding: cut.body, as: UTF8.self), "0123456")
        XCTAssertTrue(cut.bodyIsIncomplete)
        // The header says chunked but the crawler stored the body de-chunked: kept as is.
        let plain = try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n<html>x</html>")
        XCTAssertEqual(String(decoding: plain.body, as: UTF8.self), "<html>x</html>")
        XCTAssertFalse(plain.bodyWasDecoded)
    }

    func testContentEncodings() throws {
        let page = Array(String(repeating: "<p>Grüße aus dem Archiv</p>\n", count: 400).utf8)
        for (coding, how) in [("gzip", "gzip"), ("x-gzip", "gzip"), ("deflate", "zlib"), ("deflate", "raw")] {
            let r = try parse("HTTP/1.1 200 OK\r\nContent-Encoding: \(coding)\r\n\r\n", body: try compress(page, how))
            XCTAssertEqual(Array(r.body), page, "\(coding) \(how)")
            XCTAssertTrue(r.bodyWasDecoded)
            XCTAssertFalse(r.bodyIsIncomplete)
        }
        // chunked + gzip together, chunks cut at odd places.
        let gz = try compress(page, "gzip")
        var chunked: [UInt8] = []
        var i = 0
        while i < gz.count {
            let n = min(777, gz.count - i)
            chunked += Array(String(n, radix: 16).utf8) + [13, 10] + gz[i..<(i + n)] + [13, 10]
            i += n
        }
        chunked += Array("0\r\n\r\n".utf8)
        let r = try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n", body: chunked)
        XCTAssertEqual(Array(r.body), page)
        // A gzip stream cut in half: the decoded prefix, flagged incomplete.
        let half = try parse("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", body: Array(gz.prefix(gz.count / 2)))
        XCTAssertTrue(half.bodyIsIncomplete)
        XCTAssertTrue(page.starts(with: half.body))
        XCTAssertGreaterThan(half.body.count, 0)
        // Says gzip, is not (ClueWeb09 stores decoded bodies under the original header).
        let quirk = try parse("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n<html>plain</html>")
        XCTAssertEqual(String(decoding: quirk.body, as: UTF8.self), "<html>plain</html>")
        // Encodings Quern does not decode are reported, not guessed.
        XCTAssertThrowsError(try parse("HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\n\r\nxx")) {
            XCTAssertEqual($0 as? HTTPError, .unsupportedEncoding("compress"))
        }
        // Bounded memory: a body that inflates past the limit is refused.
        let bomb = try compress([UInt8](repeating: 0x41, count: 4 << 20), "gzip")
        XCTAssertThrowsError(try HTTPResponse.parse(Array("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n".utf8) + bomb, maxBodyBytes: 1 << 20)) {
            XCTAssertEqual($0 as? HTTPError, .bodyTooLarge(1 << 20))
        }
    }

    /// A brotli stream made by Google's brotli 1.1 (Python binding, quality 11) of `brotliPage`.
    static let brotliStream: [UInt8] = [
        0x1b, 0x93, 0x03, 0x00, 0x8d, 0x94, 0xab, 0x3b, 0xeb, 0x94, 0xdb, 0xd8, 0x7c, 0x35, 0x8e, 0x38, 0x5a, 0xb3, 0x17,
        0x04, 0x49, 0x34, 0x0a, 0x10, 0xa7, 0x5c, 0xc0, 0xdc, 0x4a, 0xbd, 0xc0, 0x52, 0xb9, 0x20, 0xde, 0x53, 0x96, 0x1a,
        0x92, 0x09, 0x36, 0x7b, 0xb8, 0x4f, 0xd0, 0xd8, 0x0f, 0x22, 0x4c, 0xee, 0x58, 0x20, 0x55, 0x0e, 0x42, 0x8c, 0x9d,
        0xeb, 0xaa, 0x68, 0xb9, 0x2d, 0xd4, 0xaf, 0xa2, 0xf0, 0xdb, 0xfd, 0x19, 0x5c, 0xb0, 0x0e, 0x49]
    static let brotliPage = "<html><head><title>br</title></head><body>"
        + String(repeating: "<p>Brotli encoded page, repeated text. </p>", count: 20) + "</body></html>"

    func testBrotli() throws {
        let r = try parse("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Type: text/html\r\n\r\n", body: Self.brotliStream)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), Self.brotliPage)
        XCTAssertTrue(r.bodyWasDecoded)
        XCTAssertFalse(r.bodyIsIncomplete)
        let cut = try parse("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n", body: Array(Self.brotliStream.prefix(40)))
        XCTAssertTrue(cut.bodyIsIncomplete)
        XCTAssertTrue(Self.brotliPage.utf8.starts(with: cut.body))
        // Labelled br, stored decoded: kept as it is.
        let plain = try parse("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n<html>plain</html>")
        XCTAssertEqual(String(decoding: plain.body, as: UTF8.self), "<html>plain</html>")
    }

    func testStatusCodeShortcut() {
        func code(_ s: String) -> Int? { Array(s.utf8).withUnsafeBufferPointer { HTTPResponse.statusCode(of: $0) } }
        XCTAssertEqual(code("HTTP/1.1 301 Moved\r\n"), 301)
        XCTAssertEqual(code("HTTP/1.0 200\n"), 200)
        XCTAssertNil(code("GET / HTTP/1.1\r\n"))
        XCTAssertNil(code("HTTP/1.1 20"))
    }

    func testClassification() {
        func record(_ type: WebRecordType, uri: String = "http://x/", ct: String?, block: String, payload: String? = nil) -> WebRecord {
            WebRecord(format: .warc, version: "WARC/1.1", type: type, typeName: type.rawValue, recordID: "<urn:x>",
                      targetURI: uri, date: nil, contentType: ct, identifiedPayloadType: payload, offset: 0,
                      offsetIsCompressed: false, length: nil, declaredLength: block.utf8.count,
                      block: Array(block.utf8), blockOmitted: false)
        }
        let http = "application/http; msgtype=response"
        func reason(_ r: WebRecord) -> String {
            switch WebContent.classify(r) {
            case .html: return "html"
            case .conversionText: return "text"
            case .skip(let why): return why.rawValue
            }
        }
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>x")), "html")
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\u{89}PNG")), "non-html payload")
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 200 OK\r\n\r\n<!DOCTYPE html><p>x")), "html")
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 200 OK\r\n\r\n{\"a\":1}")), "non-html payload")
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 200 OK\r\n\r\n<html>", payload: "text/html")), "html")
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n")), "http status not 2xx")
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")), "empty body")
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 2xx OK\r\n\r\n")), "malformed http")
        XCTAssertEqual(reason(record(.response, ct: http, block: "HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\nContent-Type: text/html\r\n\r\n..")), "content-encoding other")
        XCTAssertEqual(reason(record(.resource, ct: "text/html", block: "<html></html>")), "html")
        XCTAssertEqual(reason(record(.response, ct: nil, block: "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<b>")), "html")
        XCTAssertEqual(reason(record(.response, ct: nil, block: "HTTP/1.1 404 Not Found\r\n\r\n<html>")), "http status not 2xx")
        XCTAssertEqual(reason(record(.resource, ct: "application/pdf", block: "%PDF")), "non-html payload")
        XCTAssertEqual(reason(record(.response, uri: "dns:example.org", ct: "text/dns", block: "1.2.3.4")), "dns")
        XCTAssertEqual(reason(record(.conversion, ct: "text/plain", block: "Some text")), "text")
        XCTAssertEqual(reason(record(.revisit, ct: http, block: "HTTP/1.1 200 OK\r\n\r\n")), "revisit")
        XCTAssertEqual(reason(record(.request, ct: "application/http; msgtype=request", block: "GET / HTTP/1.1\r\n\r\n")), "request")
        XCTAssertEqual(reason(record(.metadata, ct: "application/json", block: "{}")), "metadata")
    }

    func testSniffer() {
        func sniff(_ s: String) -> Bool { Array(s.utf8).withUnsafeBufferPointer { HTMLSniffer.looksLikeHTML($0) } }
        XCTAssertTrue(sniff("\u{FEFF}  \n<!doctype HTML>"))
        XCTAssertTrue(sniff("<HTML lang=en>"))
        XCTAssertTrue(sniff("<!-- c -->"))
        XCTAssertTrue(sniff("<p>text"))
        XCTAssertFalse(sniff("<pre>"))      // "<p" must be followed by space or ">"
        XCTAssertFalse(sniff("<?xml version"))
        XCTAssertFalse(sniff("plain <html>"))
        XCTAssertFalse(sniff(""))
    }

    func testStatsMergeAndJSON() throws {
        var a = WebArchiveStats()
        a.files = 1; a.records[.response] = 3; a.issues[.garbage] = 1; a.html = 2; a.skips[.nonHTML] = 1
        var b = WebArchiveStats()
        b.files = 2; b.records[.response] = 1; b.records[.dns] = 2; b.conversionTexts = 4; b.skips[.nonHTML] = 2
        a.merge(b)
        XCTAssertEqual(a.files, 3)
        XCTAssertEqual(a.records, [.response: 4, .dns: 2])
        XCTAssertEqual(a.skips, [.nonHTML: 3])
        let text = a.json.serialized()
        XCTAssertEqual(text, #"{"files":3,"records":{"dns":2,"response":4},"issues":{"garbage between records":1},"html":2,"conversion_texts":4,"skips":{"non-html payload":3}}"#)
        XCTAssertEqual(try WebArchiveStats(json: try JSONValue(parsing: text)), a)
        XCTAssertThrowsError(try WebArchiveStats(json: try JSONValue(parsing: #"{"records":{"nonsense":1}}"#)))
    }
}
