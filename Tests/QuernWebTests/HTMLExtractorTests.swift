import XCTest
@testable import QuernWeb

final class HTMLExtractorTests: XCTestCase {
    private let article = """
        <p>The committee met on Tuesday to discuss the new budget, which had been delayed for \
        several weeks by disagreements about funding for schools and roads.</p>
        <p>After a long debate, the members agreed on a compromise that raises spending on \
        schools, keeps road repairs at last year's level, and adds a small reserve.</p>
        <p>The mayor said the agreement was a good result for everyone, although some members \
        still think the reserve is too small for a city of this size.</p>
        """

    private func page(_ body: String, head: String = "<title>Budget agreed</title>") -> String {
        "<!DOCTYPE html><html lang=\"en-GB\"><head>\(head)</head><body>\(body)</body></html>"
    }

    func testBoilerplateIsDroppedAndContentKept() {
        let html = page("""
            <header class="site-header"><a href="/">City News</a> <a href="/about">About us</a></header>
            <nav><ul><li><a href="/politics">Politics</a></li><li><a href="/sport">Sport</a></li></ul></nav>
            <div id="cookie-banner">We use cookies to improve your experience. Accept all cookies?</div>
            <main><article>
              <h1>Budget agreed after long debate</h1>
              \(article)
              <div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Tweet</a></div>
              <section class="comments"><h3>3 comments</h3><p>First comment: I think this is a \
            terrible decision for the whole city and its schools.</p></section>
            </article></main>
            <aside class="sidebar"><h3>Most read</h3><p>Another long story about something else \
            entirely, with many words, commas, and a full sentence.</p></aside>
            <footer>© 2024 City News. All rights reserved.</footer>
            <script>var tracking = "The committee met";</script>
            """)
        let result = HTMLExtractor().extract(html)
        let text = result.text
        XCTAssertTrue(text.contains("Budget agreed after long debate"), text)
        XCTAssertTrue(text.contains("The committee met on Tuesday"), text)
        XCTAssertTrue(text.contains("reserve is too small for a city of this size."), text)
        for junk in ["City News", "Politics", "cookies", "Share on Facebook", "First comment",
                     "Most read", "Another long story", "All rights reserved", "tracking"] {
            XCTAssertFalse(text.contains(junk), "\(junk) leaked into: \(text)")
        }
        // One block per line, no empty lines, whitespace collapsed.
        XCTAssertFalse(text.contains("\n\n"))
        XCTAssertFalse(text.contains("  "))
        XCTAssertEqual(text.split(separator: "\n").count, 4)
        XCTAssertEqual(result.language, "en-GB")
        XCTAssertTrue(result.capped.isEmpty)
    }

    func testContentContainerNamedLikeBoilerplateIsKept() {
        // A wrapper whose class mentions "sidebar" but holds the page's prose is not boilerplate,
        // and a post header inside the article is kept.
        let html = page("""
            <div class="wrapper has-sidebar"><article class="post post-header-big">
            <header class="post-header"><h1>Budget agreed</h1></header>
            \(article)</article></div>
            """)
        let text = HTMLExtractor().extract(html).text
        XCTAssertTrue(text.hasPrefix("Budget agreed\nThe committee met"), text)
    }

    func testHiddenElementsAndFormsAreDropped() {
        let html = page("""
            <div>\(article)
            <p style="display: none">Hidden text that should never appear in the output at all.</p>
            <p hidden>Also hidden text that should never appear in the output at all here.</p>
            <form><label>Your email</label><input name=email><button>Subscribe now</button></form>
            <select><option>Option one</option></select></div>
            """)
        let text = HTMLExtractor().extract(html).text
        XCTAssertTrue(text.contains("The mayor said"), text)
        for junk in ["Hidden text", "Also hidden", "Your email", "Subscribe now", "Option one"] {
            XCTAssertFalse(text.contains(junk), "\(junk) leaked into: \(text)")
        }
    }

    func testListsQuotesPreAndTables() {
        let html = page("""
            <div class="entry-content">\(article)
            <ul><li>First point about the schools budget<li>Second point about the roads</ul>
            <blockquote>We have reached a fair compromise for the city.</blockquote>
            <pre>line one
              line two</pre>
            <table><tr><th>Item<th>Amount</tr><tr><td>Schools</td><td>1.2 M</td></tr></table>
            <p>The next meeting of the committee is planned for the spring, when the first results \
            of the new budget will be reviewed in public.</p></div>
            """)
        let text = HTMLExtractor().extract(html).text
        XCTAssertTrue(text.contains("\n- First point about the schools budget\n- Second point about the roads\n"), text)
        XCTAssertTrue(text.contains("\nWe have reached a fair compromise for the city.\n"), text)
        XCTAssertTrue(text.contains("\nline one\n  line two\n"), text)
        XCTAssertTrue(text.contains("Item | Amount\nSchools | 1.2 M"), text)
        let noTables = HTMLExtractor(options: .init(includeTables: false)).extract(html).text
        XCTAssertFalse(noTables.contains("Schools | 1.2 M"), noTables)
        XCTAssertTrue(noTables.contains("The mayor said"), noTables)
    }

    func testImpliedEndTagsAndMisnesting() {
        let html = page("""
            <div><p>\(article.replacingOccurrences(of: "</p>", with: ""))
            <p>Misnested <b>bold <i>both</b> italic</i> still one paragraph of reasonable length here.
            """)
        let text = HTMLExtractor().extract(html).text
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, text)
        XCTAssertEqual(lines.last.map(String.init),
                       "Misnested bold both italic still one paragraph of reasonable length here.")
    }

    func testTitleDateAndLanguage() {
        let metaDate = page("<div>\(article)</div>", head: """
            <title>Budget &amp; more | City News</title>
            <meta property="og:title" content="Budget agreed &amp; signed">
            <meta property="article:published_time" content="2024-03-05T10:00:00+01:00">
            """)
        let a = HTMLExtractor().extract(metaDate)
        XCTAssertEqual(a.title, "Budget agreed & signed")
        XCTAssertEqual(a.date, "2024-03-05")

        let timeTag = page("<h1>Heading only</h1><time datetime=\"2021-11-30\">30 Nov</time><div>\(article)</div>", head: "")
        let b = HTMLExtractor().extract(timeTag)
        XCTAssertEqual(b.title, "Heading only")
        XCTAssertEqual(b.date, "2021-11-30")

        let jsonLD = page("<div>\(article)</div>", head: """
            <title>Plain title</title>
            <script type="application/ld+json">{"@type":"NewsArticle","datePublished": "2019-07-04T08:00:00Z"}</script>
            """)
        let c = HTMLExtractor().extract(jsonLD)
        XCTAssertEqual(c.title, "Plain title")
        XCTAssertEqual(c.date, "2019-07-04")

        XCTAssertNil(HTMLExtractor().extract(page("<div>\(article)</div>", head: "")).date)
    }

    func testDateFormats() {
        func iso(_ s: String) -> String? {
            var bytes = Array(s.utf8)
            return bytes.withUnsafeMutableBufferPointer { HTMLDate.iso(UnsafeBufferPointer($0)) }
        }
        XCTAssertEqual(iso("2020-1-5"), "2020-01-05")
        XCTAssertEqual(iso("2020/12/31 10:00"), "2020-12-31")
        XCTAssertEqual(iso("31.05.2012"), "2012-05-31")
        XCTAssertEqual(iso("20190704"), "2019-07-04")
        XCTAssertNil(iso("2019-02-30"))
        XCTAssertNil(iso("no date here 12345"))
    }

    func testListingPageKeepsItsLinks() {
        var items = ""
        for i in 1...30 { items += "<li><a href=\"/lang/\(i)\">Programming language number \(i)</a></li>" }
        let html = page("""
            <nav><a href="/">Home</a> <a href="/x">Index</a></nav>
            <div class="mw-body"><h1>List of languages</h1>
            <p>This is an index of programming languages, in current or historical use, with links.</p>
            <ul>\(items)</ul></div>
            """)
        let text = HTMLExtractor().extract(html).text
        XCTAssertTrue(text.contains("- Programming language number 1\n"), text)
        XCTAssertTrue(text.contains("- Programming language number 30"), text)
        XCTAssertFalse(text.contains("Home"), text)
    }

    func testRepeatedLongBlocksAreWrittenOnce() {
        // Short lines may repeat (between good blocks they stay); the long copy goes.
        let html = page("<div>\(article)<p>Short line.</p><p>Short line.</p><div class=\"mobile-copy\">\(article)</div></div>")
        let text = HTMLExtractor().extract(html).text
        XCTAssertEqual(text.components(separatedBy: "The committee met on Tuesday").count, 2, text)
        XCTAssertEqual(text.components(separatedBy: "Short line.").count, 3, text)
    }

    func testEmptyAndTextOnlyInputs() {
        XCTAssertEqual(HTMLExtractor().extract("").text, "")
        XCTAssertEqual(HTMLExtractor().extract("just some text").text, "just some text")
        XCTAssertNil(HTMLExtractor().extract("").title)
    }
}
