import Foundation
import QuernIO
import QuernTestSupport
@testable import QuernWiki
import XCTest

/// Every dump in the shared corpora through the reader and the whole extraction.
final class WikiDumpTests: XCTestCase {
    static let enwiki = "wikipedia/gensim__enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    static let jawiki = "wikipedia/wp2txt__testdata_ja.bz2"
    static let bgwiki = "wikipedia/gensim__bgwiki-latest-pages-articles-shortened.xml.bz2"
    static let tables = "wikipedia/gensim__enwiki-table-markup.xml.bz2"
    static let pear = "wikipedia/pywikibot__article-pear-0.10.xml"
    static let pyrus = "wikipedia/pywikibot__article-pyrus.xml.bz2"
    static let pyrus16 = "wikipedia/pywikibot__article-pyrus-utf16.xml.bz2"

    /// Markup that must never reach the text.
    static let markup = ["{{", "}}", "[[", "]]", "|}", "{|", "<ref", "</ref", "px|", "thumb|", "<!--", "-->", "'''",
                         "&nbsp;", "&amp;", "&lt;", "__TOC__", "__NOTOC__", "<br", "<math", "<gallery", "File:", "Image:",
                         "[http", "\u{01}", "colspan", "rowspan=", "bgcolor=", "style=\"", "wikitable"]

    static func extract(_ paths: [String], configure: (inout WikiExtractionOptions) -> Void = { _ in })
        throws -> (docs: [Document], report: WikiExtractionReport, issues: [QuernIOError]) {
        var options = WikiExtractionOptions()
        options.threads = 2
        configure(&options)
        var bytes: [UInt8] = []
        var issues: [QuernIOError] = []
        let report = try WikiExtraction.run(inputs: paths, options: options, onIssue: { issues.append($0) }) {
            bytes.append(contentsOf: $0)
        }
        let docs = try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { try Document(jsonLine: String($0)) }
        return (docs, report, issues)
    }

    static func assertNoMarkup(_ docs: [Document], file: String, line: UInt = #line) {
        for doc in docs {
            for m in markup where doc.text.contains(m) {
                let around = doc.text.components(separatedBy: m).first.map { String($0.suffix(80)) } ?? ""
                XCTFail("\(file): page \(doc.title ?? doc.id): \"\(m)\" survives after: …\(around)", line: line)
            }
            XCTAssertFalse(doc.text.isEmpty, "\(file): \(doc.title ?? "")", line: line)
            XCTAssertFalse(doc.text.hasPrefix(" ") || doc.text.hasSuffix(" ") || doc.text.contains("\n\n\n")
                           || doc.text.contains("  "), "\(file): \(doc.title ?? ""): unnormalized spacing", line: line)
        }
    }

    func testEveryCorpusDumpWithAndWithoutTables() throws {
        let folder = try TestSupport.corpora("wikipedia")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        XCTAssertGreaterThanOrEqual(files.count, 7)
        // Documents per dump (namespace 0, no redirects), counted from the dumps' own <ns> and
        // <redirect> elements with grep, and the damage each has.
        let expected: [String: (documents: Int, pages: Int, redirects: Int, truncated: Bool)] = [
            "gensim__bgwiki-latest-pages-articles-shortened.xml.bz2": (1, 3, 0, false),
            "gensim__enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2": (106, 206, 99, false),
            "gensim__enwiki-table-markup.xml.bz2": (5, 5, 0, false),
            "pywikibot__article-pear-0.10.xml": (1, 1, 0, false),
            "pywikibot__article-pyrus-utf16.xml.bz2": (0, 1, 1, false),
            "pywikibot__article-pyrus.xml.bz2": (0, 1, 1, false),
            "wp2txt__testdata_ja.bz2": (204, 262, 19, true),
        ]
        for name in files {
            let path = folder + "/" + name
            for keepTables in [false, true] {
                let (docs, report, issues) = try Self.extract([path]) { $0.wikitext.keepTables = keepTables }
                Self.assertNoMarkup(docs, file: name)
                guard let e = expected[name] else { XCTFail("no expectation for \(name)"); continue }
                XCTAssertEqual(docs.count, e.documents, name)
                XCTAssertEqual(report.pages, e.pages, name)
                XCTAssertEqual(report.redirects, e.redirects, name)
                XCTAssertEqual(report.documents, docs.count, name)
                XCTAssertEqual(issues.count, e.truncated ? 1 : 0, "\(name): \(issues)")
                XCTAssertEqual(report.errors["truncated"] ?? 0, e.truncated ? 1 : 0, name)
                for doc in docs {
                    XCTAssertEqual(doc.source, "wikipedia")
                    XCTAssertFalse(doc.id.isEmpty)
                    XCTAssertNotNil(doc.date)
                    XCTAssertEqual(doc.metadata["namespace"]?.intValue, 0)
                }
            }
        }
    }

    func testTablesAreDroppedOrKeptAsCellText() throws {
        let path = try TestSupport.corpora(Self.tables)
        let dropped = try Self.extract([path]).docs
        let kept = try Self.extract([path]) { $0.wikitext.keepTables = true }.docs
        XCTAssertEqual(dropped.count, kept.count)
        let droppedBytes = dropped.reduce(0) { $0 + $1.text.utf8.count }
        let keptBytes = kept.reduce(0) { $0 + $1.text.utf8.count }
        XCTAssertGreaterThan(keptBytes, droppedBytes + 2000, "cell text adds to the pages")
        // "Constructive vote of no confidence" has a table of motions by country; its cells
        // name the chancellors (real cell text, not attributes).
        let page = try XCTUnwrap(kept.first { $0.title == "Constructive vote of no confidence" })
        let without = try XCTUnwrap(dropped.first { $0.title == page.title })
        XCTAssertTrue(page.text.contains("Helmut Kohl"), page.text)
        XCTAssertFalse(page.text.contains("class=") || page.text.contains("style=") || page.text.contains("wikitable"))
        XCTAssertTrue(page.text.hasPrefix(String(without.text.prefix(300))))
        for doc in dropped { XCTAssertFalse(doc.text.contains("wikitable")) }
    }

    func testSiteInfoAndDocumentFields() throws {
        let (docs, report, _) = try Self.extract([try TestSupport.corpora(Self.pear)])
        XCTAssertEqual(report.pagesByNamespace, [0: 1])
        let doc = try XCTUnwrap(docs.first)
        XCTAssertEqual(doc.id, "24278")
        XCTAssertEqual(doc.title, "Pear")
        XCTAssertEqual(doc.url, "http://en.wikipedia.org/wiki/Pear")
        XCTAssertEqual(doc.date, "2014-12-17T21:09:18Z")
        XCTAssertEqual(doc.metadata["language"]?.stringValue, "en")
        XCTAssertEqual(doc.metadata["wiki"]?.stringValue, "enwiki")
        XCTAssertEqual(doc.metadata["revision_id"]?.stringValue, "638548877")
        XCTAssertTrue(doc.text.hasPrefix("The pear is any of several tree and shrub species of genus Pyrus, in the family Rosaceae."), doc.text)
        // {{convert|10|-|17|m|ft|abbr=on}} in the Description section.
        XCTAssertTrue(doc.text.contains("reaching 10–17 m (33–56 ft) tall"), doc.text)
        // The References, External links sections are gone; their headings too.
        XCTAssertFalse(doc.text.contains("External links"))
        XCTAssertFalse(doc.text.contains("\nReferences"))

        let ja = try Self.extract([try TestSupport.corpora(Self.jawiki)]).docs
        let ampersand = try XCTUnwrap(ja.first { $0.title == "アンパサンド" })
        XCTAssertEqual(ampersand.url, "https://ja.wikipedia.org/wiki/アンパサンド")
        XCTAssertEqual(ampersand.metadata["language"]?.stringValue, "ja")
        // 脚注 / 参考文献 / 関連項目 / 外部リンク are the Japanese reference-like sections.
        for heading in ["脚注", "関連項目", "外部リンク", "参考文献"] {
            XCTAssertFalse(ja.contains { $0.text.contains("\n\n\(heading)\n") }, heading)
        }
    }

    func testSiteInfoLanguageAndURLs() {
        var site = WikiSiteInfo()
        XCTAssertNil(site.language)
        XCTAssertNil(site.url(forTitle: "X"))
        site.xmlLang = "de"
        XCTAssertEqual(site.language, "de")
        site.dbname = "zh_yuewiki"
        XCTAssertEqual(site.language, "zh-yue")
        site.base = "https://ja.wikipedia.org/wiki/%E3%83%A1%E3%82%A4%E3%83%B3%E3%83%9A%E3%83%BC%E3%82%B8"
        XCTAssertEqual(site.language, "ja")
        XCTAssertEqual(site.url(forTitle: "東京 タワー"), "https://ja.wikipedia.org/wiki/東京_タワー")
        site.base = "https://www.mediawiki.org/wiki/MediaWiki"
        XCTAssertEqual(site.language, "zh-yue", "www is not a language: the dbname says it")
        site.namespaces = [0: "", 1: "Talk", 14: "Category"]
        XCTAssertEqual(site.namespace(ofTitle: "Talk:Pear"), 1)
        XCTAssertEqual(site.namespace(ofTitle: "Category:Fruit"), 14)
        XCTAssertEqual(site.namespace(ofTitle: "Star Trek: Voyager"), 0)
    }

    func testUTF16DumpsWithAndWithoutBOM() throws {
        // Bulgarian, UTF-16LE with a BOM.
        let bg = try Self.extract([try TestSupport.corpora(Self.bgwiki)]) { $0.namespaces = nil }
        XCTAssertEqual(bg.docs.map { $0.title ?? "" }.first, "Григориански календар")
        XCTAssertEqual(bg.report.pagesByNamespace, [0: 1, 4: 2])
        XCTAssertEqual(bg.docs.first?.metadata["language"]?.stringValue, "bg")
        XCTAssertTrue(bg.docs.first?.text.hasPrefix("Григорианският календар") ?? false)
        // Pyrus, UTF-16BE without a BOM, must read exactly as its UTF-8 original.
        for relative in [Self.pyrus, Self.pyrus16] {
            let reader = try WikiDumpReader(path: try TestSupport.corpora(relative))
            reader.skipRedirects = false
            let page = try XCTUnwrap(reader.next(), relative)
            XCTAssertNil(reader.next())
            XCTAssertNil(reader.error, relative)
            XCTAssertEqual(page.title, "Pyrus")
            XCTAssertEqual(page.namespace, 0)
            XCTAssertEqual(page.revisions, 6)
            XCTAssertTrue(page.isRedirect, "export 0.3 has no <redirect>: the text says #REDIRECT")
            XCTAssertEqual(page.timestamp, "2008-09-14T17:08:56Z")
            XCTAssertTrue(String(decoding: page.text, as: UTF8.self).hasPrefix("#REDIRECT [[Pear]]"),
                          String(decoding: page.text, as: UTF8.self))
        }
    }

    /// The UTF-16BE-without-BOM Pyrus export turned into the other three UTF-16 forms, whole and
    /// cut after its page (no `</mediawiki>`): the same page every time.
    func testEveryUTF16Form() throws {
        let be = try Input.open(try TestSupport.corpora(Self.pyrus16)).readAll()
        XCTAssertEqual(Array(be.prefix(4)), [0x00, 0x3C, 0x00, 0x3F])
        var le = be
        for k in stride(from: 0, to: le.count - 1, by: 2) { le.swapAt(k, k + 1) }
        let scratch = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let endTag = Array("</mediawiki>".utf16)
        let forms: [(String, [UInt8])] = [("be", be), ("le", le), ("be-bom", [0xFE, 0xFF] + be), ("le-bom", [0xFF, 0xFE] + le)]
        for (name, bytes) in forms {
            // The cut copy ends before </mediawiki>, right after </page> and its line end.
            let bigEndian = name.hasPrefix("be")
            let bom = name.hasSuffix("bom") ? 2 : 0
            var units: [UInt16] = []
            var k = bom
            while k + 1 < bytes.count {
                let hi = UInt16(bytes[bigEndian ? k : k + 1]), lo = UInt16(bytes[bigEndian ? k + 1 : k])
                units.append(hi << 8 | lo)
                k += 2
            }
            var endIndex = -1
            for start in 0...(units.count - endTag.count) where Array(units[start..<(start + endTag.count)]) == endTag {
                endIndex = start
            }
            XCTAssertGreaterThan(endIndex, 0)
            let cut = Array(bytes.prefix(bom + 2 * endIndex))
            let variants: [(String, [UInt8])] = [("whole", bytes), ("cut", cut)]
            for (variant, content) in variants {
                let file = scratch.appendingPathComponent("pyrus-\(name)-\(variant).xml.gz").path
                try OutputFile.write(content, to: file)
                let reader = try WikiDumpReader(path: file)
                reader.skipRedirects = false
                let page = try XCTUnwrap(reader.next(), "\(name) \(variant)")
                XCTAssertNil(reader.next())
                XCTAssertEqual(page.title, "Pyrus", "\(name) \(variant)")
                XCTAssertEqual(page.revisions, 6, "\(name) \(variant)")
                XCTAssertEqual(page.timestamp, "2008-09-14T17:08:56Z", "\(name) \(variant)")
                if variant == "whole" {
                    XCTAssertNil(reader.error, "\(name): \(String(describing: reader.error))")
                } else {
                    XCTAssertEqual(reader.error?.kind, .truncated, "\(name)")
                }
            }
        }
    }

    /// Every page in the enwiki excerpt, read by the reader, against a plain scan of the XML.
    func testReaderAgainstAPlainScanOfTheXML() throws {
        let path = try TestSupport.corpora(Self.enwiki)
        let xml = String(decoding: try Input.open(path).readAll(), as: UTF8.self)
        let titles = xml.components(separatedBy: "<title>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        let reader = try WikiDumpReader(path: path)
        reader.namespaces = nil
        reader.skipRedirects = false
        var read: [WikiPage] = []
        while let page = reader.next() { read.append(page) }
        XCTAssertNil(reader.error)
        XCTAssertEqual(read.map(\.title), titles.map { $0.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"") })
        XCTAssertEqual(read.filter(\.isRedirect).count, xml.components(separatedBy: "<redirect title=").count - 1)
        XCTAssertEqual(reader.siteInfo.namespaces[14], "Category")
        XCTAssertEqual(reader.siteInfo.language, "en")
        // Texts match the XML's <text> elements (entities decoded by libxml2).
        let anarchism = try XCTUnwrap(read.first { $0.title == "Anarchism" })
        let text = String(decoding: anarchism.text, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{{Redirect2|Anarchist|Anarchists|the fictional character|Anarchist (comics)|other uses|Anarchists (disambiguation)}}"), String(text.prefix(200)))
        XCTAssertTrue(text.contains("<ref>"), "entities in the XML are decoded")
    }

    func testTruncatedDumpsKeepThePagesBeforeTheCut() throws {
        // The Japanese excerpt ends after a </page>, without </mediawiki>.
        let path = try TestSupport.corpora(Self.jawiki)
        let reader = try WikiDumpReader(path: path)
        reader.namespaces = nil
        var count = 0
        var last = WikiPage()
        while let page = reader.next() { count += 1; last = page }
        XCTAssertEqual(count, 262)
        XCTAssertEqual(last.title, "唐沢なをき")
        let error = try XCTUnwrap(reader.error)
        XCTAssertEqual(error.kind, .truncated)
        XCTAssertEqual(error.file, path)
        XCTAssertTrue(error.description.contains("10492281"), error.description)

        // Cut inside a page, in plain, gzip and zstd copies: the pages before come out whole,
        // the cut page is named with its offset.
        let xml = try Input.open(path).readAll()
        let scratch = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cut = Array(xml.prefix(3_000_000))
        let cutText = String(decoding: cut, as: UTF8.self)
        let completePages = cutText.components(separatedBy: "</page>").count - 1
        for name in ["cut.xml", "cut.xml.gz", "cut.xml.zst"] {
            let file = scratch.appendingPathComponent(name).path
            try OutputFile.write(cut, to: file)
            let r = try WikiDumpReader(path: file)
            r.namespaces = nil
            var pages: [WikiPage] = []
            while let p = r.next() { pages.append(p) }
            XCTAssertEqual(pages.count, completePages, name)
            let e = try XCTUnwrap(r.error, name)
            XCTAssertEqual(e.kind, .truncated, name)
            XCTAssertEqual(e.record, completePages + 1, name)
            XCTAssertTrue(e.message.contains("薬学"), e.description)
            XCTAssertTrue(e.message.contains("3000000"), e.description)
        }
    }

    func testCorruptCompressionIsReportedNotFatal() throws {
        let path = try TestSupport.corpora(Self.enwiki)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for k in stride(from: 900_000, to: 900_400, by: 7) { bytes[k] ^= 0x5A }
        let scratch = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = scratch.appendingPathComponent("damaged.xml.bz2").path
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let (docs, report, issues) = try Self.extract([file])
        XCTAssertEqual(issues.count, 1)
        XCTAssertEqual(report.errorCount, 1)
        XCTAssertGreaterThan(docs.count, 10, "pages before the damage are kept")
        XCTAssertLessThan(docs.count, 106)
        Self.assertNoMarkup(docs, file: "damaged")
        let description = issues[0].description
        XCTAssertTrue(description.hasPrefix(file), description)
        XCTAssertNotNil(issues[0].offset)
        // Garbage that is not XML at all.
        let garbage = scratch.appendingPathComponent("garbage.xml").path
        try Data("this is not a dump\n".utf8).write(to: URL(fileURLWithPath: garbage))
        let g = try Self.extract([garbage])
        XCTAssertEqual(g.docs.count, 0)
        XCTAssertEqual(g.issues.count, 1)
        XCTAssertEqual(g.issues.first?.kind, .malformedRecord)
    }

    /// The Pear export cut at 150 arbitrary bytes and with 150 arbitrary bytes changed: the
    /// reader never traps; a cut before `</page>` gives no page and a truncation error, a cut
    /// after it gives the page; a damaged copy gives the page or an error, never both silently.
    func testArbitraryCutsAndFlipsOfAnExport() throws {
        let xml = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try TestSupport.corpora(Self.pear))))
        let pageEnd = try XCTUnwrap(String(decoding: xml, as: UTF8.self).range(of: "</page>")).upperBound
        let pageEndOffset = String(decoding: xml, as: UTF8.self).utf8.distance(
            from: String(decoding: xml, as: UTF8.self).startIndex, to: pageEnd)
        var state: UInt64 = 42
        func random(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let scratch = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = scratch.appendingPathComponent("pear.xml").path
        for round in 0..<300 {
            var bytes = xml
            let cutting = round < 150
            var cut = bytes.count
            if cutting {
                cut = 1 + random(bytes.count - 1)
                bytes = Array(bytes.prefix(cut))
            } else {
                bytes[random(bytes.count)] = UInt8(random(256))
            }
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let reader = try WikiDumpReader(path: file)
            var pages = 0
            while reader.next() != nil { pages += 1 }
            XCTAssertLessThanOrEqual(pages, 1)
            if cutting {
                if cut < pageEndOffset { XCTAssertEqual(pages, 0, "cut at \(cut)"); XCTAssertNotNil(reader.error, "cut at \(cut)") }
                if cut > pageEndOffset + 20 { XCTAssertEqual(pages, 1, "cut at \(cut): \(String(describing: reader.error))") }
            } else {
                XCTAssertTrue(pages == 1 || reader.error != nil, "round \(round)")
            }
        }
    }

    /// The same dump as one bzip2 stream, as a multistream file (decoded in parallel), as gzip
    /// and as zstd: the same documents.
    func testEveryCodecGivesTheSameDocuments() throws {
        let path = try TestSupport.corpora(Self.enwiki)
        let xml = try Input.open(path).readAll()
        let scratch = try TestSupport.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Multistream like Wikimedia's: the XML cut at page starts, each part its own stream.
        let text = String(decoding: xml, as: UTF8.self)
        var parts: [String] = []
        var rest = Substring(text)
        while rest.count > 1_500_000, let cut = rest.dropFirst(1_000_000).range(of: "  <page>") {
            parts.append(String(rest[..<cut.lowerBound]))
            rest = rest[cut.lowerBound...]
        }
        parts.append(String(rest))
        XCTAssertGreaterThan(parts.count, 2)
        var multistream = Data()
        for part in parts {
            multistream.append(Data(try TestSupport.run(["bzip2", "-c"], stdin: Data(part.utf8))))
        }
        let multi = scratch.appendingPathComponent("multi.xml.bz2").path
        try multistream.write(to: URL(fileURLWithPath: multi))
        let gz = scratch.appendingPathComponent("dump.xml.gz").path
        let zst = scratch.appendingPathComponent("dump.xml.zst").path
        let plain = scratch.appendingPathComponent("dump.xml").path
        try OutputFile.write(xml, to: gz)
        try OutputFile.write(xml, to: zst)
        try OutputFile.write(xml, to: plain)
        let reference = try Self.extract([path]).docs
        XCTAssertEqual(reference.count, 106)
        for file in [multi, gz, zst, plain] {
            let docs = try Self.extract([file]).docs
            XCTAssertEqual(docs, reference, file)
        }
        // Two inputs in one run: both, in order.
        let both = try Self.extract([plain, try TestSupport.corpora(Self.pear)]).docs
        XCTAssertEqual(both.count, 107)
        XCTAssertEqual(both.last?.title, "Pear")
    }

    func testNamespacesOption() throws {
        let path = try TestSupport.corpora(Self.jawiki)
        let all = try Self.extract([path]) { $0.namespaces = nil }
        let project = try Self.extract([path]) { $0.namespaces = [4] }
        XCTAssertEqual(all.report.pagesByNamespace, [0: 223, 4: 36, 12: 2, 102: 1])
        XCTAssertEqual(project.report.skippedNamespace, 262 - 36)
        XCTAssertEqual(project.docs.count + project.report.redirects + project.report.emptyPages, 36)
        XCTAssertGreaterThan(project.docs.count, 20)
        XCTAssertTrue(project.docs.allSatisfy { $0.metadata["namespace"]?.intValue == 4 && ($0.title ?? "").hasPrefix("Wikipedia:") })
        XCTAssertEqual(all.docs.count, all.report.pages - all.report.redirects - all.report.emptyPages)
    }
}
