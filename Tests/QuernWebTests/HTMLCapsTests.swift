import XCTest
@testable import QuernWeb

/// Pathological pages: extraction always ends, returns what it has and says which cap it hit.
final class HTMLCapsTests: XCTestCase {
    private let paragraph = "<p>A sentence of ordinary prose, long enough to count as content on its own.</p>\n"

    /// `count` distinct paragraphs (identical long blocks would be written once).
    private func paragraphs(_ count: Int) -> String {
        var s = ""
        s.reserveCapacity(count * 90)
        for i in 0..<count { s += "<p>Paragraph \(i) of ordinary prose, long enough to count as content.</p>\n" }
        return s
    }

    private func seconds(_ body: () -> Void) -> Double {
        let start = Date()
        body()
        return Date().timeIntervalSince(start)
    }

    func testMillionNestedDivs() {
        let html = String(repeating: "<div>", count: 1_000_000) + "deep text"
            + String(repeating: "</div>", count: 1_000_000) + paragraph
        var options = HTMLExtractionOptions()
        options.maxInputBytes = 16 << 20
        var page: ExtractedPage?
        let time = seconds { page = HTMLExtractor(options: options).extract(html) }
        XCTAssertTrue(page!.capped.contains(.depthLimit), "\(page!.capped)")
        XCTAssertLessThan(time, 30)
    }

    func testFiftyMegabytePageIsCutAtATag() {
        let html = paragraphs(700_000)
        XCTAssertGreaterThan(html.utf8.count, 50_000_000)
        var page: ExtractedPage?
        let time = seconds { page = HTMLExtractor().extract(html) }
        let p = page!
        XCTAssertTrue(p.capped.contains(.inputTruncated))
        XCTAssertTrue(p.text.hasPrefix("Paragraph 0 of ordinary prose"))
        // Cut at a tag start: every line is a whole paragraph.
        let lines = p.text.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 1000)
        if !p.capped.contains(.timeLimit) && !p.capped.contains(.tokenLimit) {
            XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("Paragraph ") && $0.hasSuffix(" of ordinary prose, long enough to count as content.") })
        }
        XCTAssertLessThan(time, 60)
    }

    func testUnterminatedCommentHidesTheRest() {
        let html = "<html><body><div>" + paragraph + "<!-- comment never closed <p>secret words that stay hidden in the comment</p>"
        let page = HTMLExtractor().extract(html)
        XCTAssertEqual(page.text, "A sentence of ordinary prose, long enough to count as content on its own.")
        XCTAssertTrue(page.capped.isEmpty)
    }

    func testUnterminatedAttributeQuoteEndsTheDocument() {
        let html = "<div>" + paragraph + "<a href=\"never closed>more text that is inside the attribute"
        let page = HTMLExtractor().extract(html)
        XCTAssertEqual(page.text, "A sentence of ordinary prose, long enough to count as content on its own.")
    }

    func testTokenAndTimeCaps() {
        let html = "<div>" + paragraphs(20_000) + "</div>"
        var tokens = HTMLExtractionOptions()
        tokens.maxTokens = 5_000
        let a = HTMLExtractor(options: tokens).extract(html)
        XCTAssertTrue(a.capped.contains(.tokenLimit))
        let kept = a.text.split(separator: "\n").count
        XCTAssertGreaterThan(kept, 500)
        XCTAssertLessThan(kept, 5_000)

        var time = HTMLExtractionOptions()
        time.timeBudget = 0
        let b = HTMLExtractor(options: time).extract(html)
        XCTAssertTrue(b.capped.contains(.timeLimit))
        XCTAssertFalse(b.text.isEmpty)

        let c = HTMLExtractor().extract(html)
        XCTAssertTrue(c.capped.isEmpty)
        XCTAssertEqual(c.text.split(separator: "\n").count, 20_000)
    }
}
