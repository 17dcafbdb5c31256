import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

/// Documents in the dolma and datatrove shapes: which fields land where, and that writing a
/// document and reading it again gives back the same fields.
final class DocumentTests: XCTestCase {
    /// A dolma record as dolma writes it (keys sorted; url and title inside metadata).
    let dolmaLine = #"{"added":"2023-04-07T15:24:38.743534+00:00","created":"2020-03-29T09:04:10Z","id":"http://example.com/a","metadata":{"bucket":"head","language_score":0.95,"length":12,"line_ids":[41,42],"title":"A — title","url":"http://example.com/a"},"source":"common-crawl","text":"Hello \"world\".\nSecond line é"}"#

    /// A datatrove record as its JsonlWriter writes it (FineWeb's shape).
    let datatroveLine = #"{"text":"Some text\twith a tab","id":"<urn:uuid:0a1b2c3d-1111-2222-3333-444455556666>","media":[],"metadata":{"dump":"CC-MAIN-2013-20","url":"http://example.org/p?q=1","date":"2013-05-18T05:48:54Z","file_path":"s3://commoncrawl/x.warc.gz","language":"en","language_score":0.9,"token_count":5}}"#

    /// The keys of a JSON object line, in order (parsed independently by JSONValue).
    private func keys(_ line: String) throws -> [String] {
        try JSONValue(parsing: line).objectValue!.keys
    }

    func testDolmaRecord() throws {
        let doc = try Document(jsonLine: dolmaLine)
        XCTAssertEqual(doc.id, "http://example.com/a")
        XCTAssertFalse(doc.idIsNumber)
        XCTAssertEqual(Array(doc.text.utf8), Array("Hello \"world\".\nSecond line é".utf8))
        XCTAssertEqual(doc.source, "common-crawl")
        XCTAssertEqual(doc.url, "http://example.com/a")
        XCTAssertEqual(doc.title, "A — title")
        XCTAssertNil(doc.date)
        XCTAssertEqual(doc.metadata.keys, ["bucket", "language_score", "length", "line_ids", "title", "url"])
        XCTAssertEqual(doc.metadata["language_score"]?.numberValue?.text, "0.95")
        XCTAssertEqual(doc.extra.keys, ["added", "created"])
        XCTAssertEqual(doc.extra["created"], "2020-03-29T09:04:10Z")

        // Written in Quern's field order; url and title stay in metadata only.
        let line = doc.jsonLine()
        XCTAssertEqual(try keys(line), ["id", "text", "source", "metadata", "added", "created"])
        XCTAssertEqual(line, #"{"id":"http://example.com/a","text":"Hello \"world\".\nSecond line é","source":"common-crawl","metadata":{"bucket":"head","language_score":0.95,"length":12,"line_ids":[41,42],"title":"A — title","url":"http://example.com/a"},"added":"2023-04-07T15:24:38.743534+00:00","created":"2020-03-29T09:04:10Z"}"#)
        XCTAssertEqual(try Document(jsonLine: line), doc)
        // Same members as the input, whatever the order.
        XCTAssertEqual(Set(try keys(line)), Set(try keys(dolmaLine)))
        XCTAssertEqual(try JSONValue(parsing: line)["metadata"], try JSONValue(parsing: dolmaLine)["metadata"])
    }

    func testDatatroveRecord() throws {
        let doc = try Document(jsonLine: datatroveLine)
        XCTAssertEqual(doc.id, "<urn:uuid:0a1b2c3d-1111-2222-3333-444455556666>")
        XCTAssertEqual(doc.text, "Some text\twith a tab")
        XCTAssertEqual(doc.source, "")
        XCTAssertEqual(doc.url, "http://example.org/p?q=1")
        XCTAssertEqual(doc.date, "2013-05-18T05:48:54Z")
        XCTAssertNil(doc.title)
        XCTAssertEqual(doc.extra.keys, ["media"])
        XCTAssertEqual(doc.extra["media"], .array([]))

        let line = doc.jsonLine()
        // No source appears (there was none), url/date are not lifted to the top level.
        XCTAssertEqual(try keys(line), ["id", "text", "metadata", "media"])
        XCTAssertEqual(Set(try keys(line)), Set(try keys(datatroveLine)))
        XCTAssertEqual(try JSONValue(parsing: line)["metadata"], try JSONValue(parsing: datatroveLine)["metadata"])
        XCTAssertEqual(try Document(jsonLine: line), doc)
    }

    func testTopLevelFieldsWinAndStayTopLevel() throws {
        let input = #"{"id":"1","text":"t","url":"http://top","title":"Top","date":"2024-01-01","metadata":{"url":"http://meta","date":"2024-01-01"}}"#
        let doc = try Document(jsonLine: input)
        XCTAssertEqual(doc.url, "http://top")
        XCTAssertEqual(doc.title, "Top")
        XCTAssertEqual(doc.date, "2024-01-01")
        XCTAssertEqual(doc.metadata["url"], "http://meta")
        // url differs from metadata's, so it is written at top level; date repeats metadata's and is not.
        XCTAssertEqual(doc.jsonLine(), #"{"id":"1","text":"t","url":"http://top","title":"Top","metadata":{"url":"http://meta","date":"2024-01-01"}}"#)
        XCTAssertEqual(try Document(jsonLine: doc.jsonLine()), doc)
    }

    func testNewDocumentsWriteTheirFields() throws {
        let doc = Document(id: "doc-1", text: "text", source: "wiki", url: "https://x", title: "X", date: "2020")
        XCTAssertEqual(doc.jsonLine(), #"{"id":"doc-1","text":"text","source":"wiki","url":"https://x","title":"X","date":"2020"}"#)
        XCTAssertEqual(try Document(jsonLine: doc.jsonLine()), doc)
        XCTAssertEqual(doc.json.serialized(), doc.jsonLine())
        // Changing the url of a document whose url came from metadata writes the new one on top.
        var moved = try Document(jsonLine: datatroveLine)
        moved.url = "http://elsewhere"
        let reread = try Document(jsonLine: moved.jsonLine())
        XCTAssertEqual(reread.url, "http://elsewhere")
        XCTAssertEqual(reread.metadata["url"], "http://example.org/p?q=1")
    }

    func testNumericIdsKeepTheirText() throws {
        for idText in ["12345678901234567890123", "-0", "7", "1.50", "1e3"] {
            let doc = try Document(jsonLine: #"{"id":\#(idText),"text":"x"}"#)
            XCTAssertEqual(doc.id, idText)
            XCTAssertTrue(doc.idIsNumber)
            XCTAssertEqual(doc.jsonLine(), #"{"id":\#(idText),"text":"x"}"#)
        }
        // A string id that looks like a number stays a string.
        let quoted = try Document(jsonLine: #"{"id":"42","text":"x"}"#)
        XCTAssertFalse(quoted.idIsNumber)
        XCTAssertEqual(quoted.jsonLine(), #"{"id":"42","text":"x"}"#)
        XCTAssertNotEqual(quoted, try Document(jsonLine: #"{"id":42,"text":"x"}"#))
    }

    func testNothingIsLost() throws {
        // Odd but valid records: non-string url/source/metadata, unknown fields of every type.
        let inputs = [
            #"{"text":"a","url":null,"metadata":{"url":"http://m"},"n":1.0,"o":{"k":[1,{"z":null}]}}"#,
            #"{"id":"x","text":"","source":5,"metadata":"not an object","title":["t"],"extra":true}"#,
            #"{"text":"only text"}"#,
            #"{"z":1,"text":"t","a":2,"id":"q","y":3}"#,
        ]
        for input in inputs {
            let doc = try Document(jsonLine: input)
            let line = doc.jsonLine()
            let a = try JSONValue(parsing: input).objectValue!
            let b = try JSONValue(parsing: line).objectValue!
            XCTAssertEqual(Set(a.keys), Set(b.keys), input)
            for key in a.keys { XCTAssertEqual(a[key], b[key], "\(input): \(key)") }
            XCTAssertEqual(try Document(jsonLine: line), doc, input)
        }
        let first = try Document(jsonLine: inputs[0])
        XCTAssertEqual(first.url, "http://m") // the null at top level does not hide metadata's url
        XCTAssertEqual(first.extra.keys, ["url", "n", "o"])
        XCTAssertEqual(try Document(jsonLine: inputs[3]).extra.keys, ["z", "a", "y"])
    }

    func testMalformedRecords() {
        let cases: [(String, String)] = [
            (#"{"id":"x"}"#, "missing \"text\""),
            (#"{"text":null}"#, "\"text\" must be a string, found null"),
            (#"{"text":["a"]}"#, "\"text\" must be a string, found an array"),
            (#"{"text":"a","id":null}"#, "\"id\" must be a string or a number, found null"),
            (#"["text","a"]"#, "expected '{' to open a JSON object record"),
            (#""text""#, "expected '{' to open a JSON object record"),
            (#"{"text":"a"} {"#, "expected end of input"),
            (#"{"text":"a"#, "unterminated string"),
        ]
        for (line, message) in cases {
            do {
                let doc = try Document(jsonLine: line)
                XCTFail("\(line) parsed as \(doc)")
            } catch {
                XCTAssertTrue(error.message.contains(message), "\(line): \(error)")
            }
        }
    }

    func testTextIsUnescapedOnceAndExactly() throws {
        // Every escape form in a text, surrogates included; compared by scalars.
        let doc = try Document(jsonLine: #"{"text":"\u00e9e\u0301\ud83d\ude00\ud800\/\\\"\b\f\n\r\t","id":"i"}"#)
        XCTAssertEqual(doc.text.unicodeScalars.map(\.value),
                       [0xE9, 0x65, 0x301, 0x1F600, 0xFFFD, 0x2F, 0x5C, 0x22, 0x08, 0x0C, 0x0A, 0x0D, 0x09])
        // A precomposed and a decomposed é are different documents.
        XCTAssertNotEqual(try Document(jsonLine: "{\"text\":\"\u{E9}\"}"), try Document(jsonLine: "{\"text\":\"e\u{301}\"}"))
    }

    func testRealDolmaLinesRoundTripThroughPython() throws {
        // Every record of a real shard: Quern's output line must be, for Python's json module,
        // the same object as the input line (only the member order may differ).
        let path = try TestSupport.corpora("pretraining/dolma__cc_en_head-0091.jsonl.gz")
        let raw = try Input.open(path).readAll()
        var written = Data()
        var lines = 0
        for line in raw.split(separator: 0x0A) {
            let doc = try line.withUnsafeBufferPointer { try Document(jsonLine: $0) }
            written.append(contentsOf: doc.jsonLine().utf8)
            written.append(0x0A)
            lines += 1
        }
        XCTAssertEqual(lines, 10)
        let scratch = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let ours = scratch.appendingPathComponent("ours.jsonl").path
        try written.write(to: URL(fileURLWithPath: ours))
        let script = """
        import gzip, json, sys
        a = [json.loads(l) for l in gzip.open(sys.argv[1], 'rb') if l.strip()]
        b = [json.loads(l) for l in open(sys.argv[2], 'rb') if l.strip()]
        assert len(a) == len(b) == 10, (len(a), len(b))
        for x, y in zip(a, b):
            assert x == y, x['id']
            assert list(y)[:3] == ['id', 'text', 'source'], list(y)
        print('same')
        """
        XCTAssertEqual(String(decoding: try TestSupport.run(["python3", "-c", script, path, ours]), as: UTF8.self), "same\n")
    }
}
