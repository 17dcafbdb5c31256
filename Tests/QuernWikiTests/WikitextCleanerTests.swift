import Foundation
import QuernTestSupport
@testable import QuernWiki
import XCTest

/// Wikitext constructs one by one, each with the prose it must give.
final class WikitextCleanerTests: XCTestCase {
    let en = WikitextCleaner(language: "en")

    func check(_ wikitext: String, _ expected: String, _ cleaner: WikitextCleaner? = nil, line: UInt = #line) {
        XCTAssertEqual((cleaner ?? en).clean(wikitext, title: "Test page"), expected, line: line)
    }

    func testLinks() {
        check("A [[Paris]] trip to [[Paris, Texas|the other Paris]]s.", "A Paris trip to the other Pariss.")
        check("[[Paris (France)|]] and [[w:Lyon]] and [[wikt:word|a word]].", "Paris and Lyon and a word.")
        check("See [[#History|below]] and [[#Notes]].", "See below and Notes.")
        check("Under_score [[New_York]].", "Under_score New York.")
        // A colon in a title is not a language prefix unless it names a Wikipedia's language.
        check("[[Ice: The Movie]] and [[Star Trek: Voyager|Voyager]].[[ja:東京]][[simple:Tokyo]][[zh-min-nan:Tang-kiaⁿ]]",
              "Ice: The Movie and Voyager.")
        check("[[:Category:Cities]] are listed. [[:fr:Mohamed Racim|Mohamed Racim]] and [[:en:Cheekha Dar<!-- note -->]].",
              "Category:Cities are listed. Mohamed Racim and Cheekha Dar.")
    }

    func testFileCategoryAndInterlanguageLinksGoWhole() {
        check("Before [[File:x.jpg|thumb|135px|caption [[with]] [[nested|links]] and {{tpl}}]] after.", "Before after.")
        check("A [[Image:Map.png|right|250px]]B [[Datei:a.png|mini]]C", "A B C")
        check("Text.\n[[Category:Cities in France]]\n[[Category:Capitals|*]]\n[[de:Paris]]\n[[zh-yue:巴黎]]", "Text.")
        check("脚[[ファイル:a.jpg|thumb|説明]]注[[カテゴリ:日本]]", "脚注", WikitextCleaner(language: "ja"))
        // Localized namespace names from the siteinfo.
        check("x [[Soubor:a.png|náhled]] y", "x y", WikitextCleaner(language: "cs", fileAndCategoryNames: ["Soubor", "Kategorie"]))
    }

    func testExternalLinks() {
        check("Visit [http://example.org the site] or [https://example.org/x]. Bare http://example.org stays.",
              "Visit the site or. Bare http://example.org stays.")
        check("An [[ftp]] and [not a link] here.", "An ftp and [not a link] here.")
    }

    func testTemplates() {
        check("{{Infobox country\n| name = X\n| capital = [[Y]]\n| pop = {{formatnum:123}}\n}}\n'''X''' is a country.", "X is a country.")
        check("It is {{convert|5|km|mi}} long and {{convert|10|-|17|m|ft|abbr=on}} tall.", "It is 5 km (3.1 mi) long and 10–17 m (33–56 ft) tall.")
        check("At {{convert|100|C|F}} water boils.", "At 100 °C (212 °F) water boils.")
        check("{{convert|3.5|kg}}", "3.5 kg (7.7 lb)")
        check("{{convert|12|furlong}}", "12 furlong")
        check("{{convert|22|e6acre|km2}} of forest", "22 million acres (89,000 km²) of forest")
        check("at {{convert|2413|ft|0|abbr=on}}, {{convert|1300|mi|km}}", "at 2,413 ft (735 m), 1,300 mi (2,100 km)")
        check("{{convert|60|and(-)|80|kg}}", "60 and 80 kg (130 and 180 lb)")
        check("Called {{lang|fr|la Ville Lumière}} or {{lang-de|Paris}}.", "Called la Ville Lumière or Paris.")
        check("{{nihongo|Tokyo Tower|東京タワー|Tōkyō tawā}} is red.", "Tokyo Tower (東京タワー, Tōkyō tawā) is red.")
        check("{{Nihongo|\"direct thrust\"|直突き|[[choku-tsuki]]}}", "\"direct thrust\" (直突き, choku-tsuki)")
        check("{{formatnum:1234567}} people, {{formatnum:-1234.5}}", "1,234,567 people, -1,234.5")
        check("1990{{ndash}}2000 {{mdash}} ok{{snd}}yes", "1990–2000 — ok – yes")
        check("{{#if: {{{x|}}} | shown | hidden}}Text{{#switch:a|a=1|b=2}}.", "Text.")
        check("{{nowrap|10 km}} and {{sic|hte}} and {{small|tiny}}", "10 km and hte and tiny")
        check("Born {{birth date|1950|5|17}}, died {{death date and age|2000|1|2|1950|5|17}}.",
              "Born May 17, 1950, died January 2, 2000.")
        check("{{PAGENAME}} is here.", "Test page is here.")
        check("Word.{{cn|date=May 2010}} Next.{{Citation needed}}", "Word. Next.")
        check("{{{param|default text}}} and {{{other}}}", "default text and")
        check("A {{circa|1850}} b.", "A c. 1850 b.")
        check("Unclosed {{template here and text", "Unclosed template here and text")
        check("{{quote|text=To be or not to be.|sign=Shakespeare}}", "To be or not to be.")
    }

    func testTagsCommentsAndRefs() {
        check("Fact.<ref>Source, p. 1.</ref> Fact two.<ref name=\"a\" /> Three.<ref name=\"b\">[[x|y]]</ref>", "Fact. Fact two. Three.")
        check("A<!-- hidden [[x]] -->B<!-- unclosed", "AB")
        check("Area is <math>\\pi r^2</math> exactly.", "Area is exactly.")
        check("Before\n<gallery>\nFile:a.jpg|caption [[x]]\nFile:b.jpg\n</gallery>\nAfter", "Before\n\nAfter")
        check("Keep <nowiki>[[not a link]] {{nor this}}</nowiki> literal.", "Keep [[not a link]] {{nor this}} literal.")
        check("H<sub>2</sub>O and x<sup>2</sup>, <span style=\"c\">span</span>, <small>s</small>", "H2O and x2, span, s")
        check("One<br>two<br />three", "One\ntwo\nthree")
        check("a < b and c > d, <notatag here", "a < b and c > d, <notatag here")
        check("Code: <code>x = 1</code>.", "Code: x = 1.")
        check("<references />\n<ref>unclosed ref keeps the rest", "unclosed ref keeps the rest")
    }

    func testFormattingEntitiesAndMagicWords() {
        check("'''Bold''' and ''italic'' and '''''both''''' and ''''four''''.", "Bold and italic and both and 'four'.")
        check("A&nbsp;B &amp; C &lt;tag&gt; &#8212; &#x41; &eacute; &bogus; & done", "A B & C <tag> — A é &bogus; & done")
        check("__TOC__\n__NOTOC__Text __NOEDITSECTION__here", "Text here")
        check("It&apos;s &lsqb;1&rsqb; &hellip; &minus;5 &#39;", "It's [1] … −5 '")
        check("Snake_case and __init__ stay.", "Snake_case and __init__ stay.")
    }

    func testHeadingsListsAndSections() {
        let text = """
            Intro text.

            == History ==
            Old times.
            === Empty subsection ===
            {{main|Other}}
            == Geography ==
            * First item
            ** Nested item
            # Numbered
            : Indented
            ; Term : definition
            ----
            == See also ==
            * [[Related]]
            == References ==
            {{reflist}}
            === Sub of references ===
            Still dropped.
            == External links ==
            * [http://x.org site]
            """
        check(text, "Intro text.\n\nHistory\nOld times.\n\nGeography\nFirst item\nNested item\nNumbered\nIndented\nTerm: definition")
        var options = WikitextOptions()
        options.keepHeadings = false
        options.keepLists = false
        options.dropSections = false
        check(text, "Intro text.\n\nOld times.\n\nIndented\nTerm: definition\n\nStill dropped.", WikitextCleaner(options: options, language: "en"))
        // Headings with comments after them, and language-aware sections.
        check("A.\n== Über ==<!-- c\n-->\nText.\n== Einzelnachweise ==\n<references/>\nx\n== Weblinks ==\ny",
              "A.\n\nÜber\nText.", WikitextCleaner(language: "de"))
        check("本文。\n== 脚注 ==\n{{reflist}}\n注記\n== 関連項目 ==\n* [[x]]\n== 外部リンク ==\n* y",
              "本文。", WikitextCleaner(language: "ja"))
        check("Текст.\n== Източници ==\nx\n== Външни препратки ==\ny", "Текст.", WikitextCleaner(language: "bg"))
        // A heading in another language's list is content here.
        check("Intro.\n== Literatur ==\nText.", "Intro.\n\nLiteratur\nText.")
        var extra = WikitextOptions()
        extra.extraDroppedSections = ["Discography"]
        check("Intro.\n== Discography ==\nx", "Intro.", WikitextCleaner(options: extra, language: "en"))
    }

    func testTables() {
        let table = """
            Before.
            {| class="wikitable" style="x"
            |+ Caption text
            |-
            ! Header A !! Header B
            |-
            | style="color:red" | cell one || [[Cell|cell two]]
            |-
            | cell three
            continued
            | {{convert|1|km|mi}}
            |-
            | <gallery>
            File:x.jpg|thumb|a
            </gallery>
            |}
            After.
            """
        // A table is a block: the paragraphs around it stay apart.
        check(table, "Before.\n\nAfter.")
        var options = WikitextOptions()
        options.keepTables = true
        check(table, "Before.\n\nCaption text\nHeader A Header B\ncell one cell two\ncell three\ncontinued 1 km (0.62 mi)\n\nAfter.",
              WikitextCleaner(options: options, language: "en"))
        check("{|\n| [[Dominic Purcell]]\n| colspan=\"5\" style='x' {{CMain}}\n| colspan = 2 | Two\n| x = 5\n|}",
              "Dominic Purcell Two x = 5", WikitextCleaner(options: options, language: "en"))
        check("x\n{|\n| a\n{|\n| nested\n|}\n| b\n|}\ny", "x\n\ny")
        check("x\n:{| class=\"t\"\n| a\n|}\ny", "x\n\ny")
        check("x\n{| unclosed\n| a", "x")
        // Rows of a table that templates open and close: no attributes, no row marks.
        check("{{Infobox animanga/Header}}\n| colspan=\"2\" style=\"padding: 0;\"|\n|-\n| Cell text\n{{Infobox animanga/Footer}}\nProse.",
              "Cell text\n\nProse.")
    }

    func testLeftoverPunctuation() {
        check("Paris ({{lang-fr|}}; {{IPA-fr|paʁi}}) is big.", "Paris is big.")
        check("Word ( ) and (, more) and [[a]] , b .", "Word and (more) and a, b.")
        check("angle, <math>\\alpha</math>, and <math>x</math>, <math>y</math>, or z.", "angle, and, or z.")
        check("such as {{chem|Cs|11|O|3}}, <chem>H2O</chem> and {{vr|ai}}.", "such as Cs11O3, H2O and ai.")
    }

    func testConvertPrecision() {
        XCTAssertEqual(WikiConvert.format(3.10686, significant: 2), "3.1")
        XCTAssertEqual(WikiConvert.format(5280.0, significant: 2), "5,300")
        XCTAssertEqual(WikiConvert.format(212, significant: 3), "212")
        XCTAssertEqual(WikiConvert.format(0.0621, significant: 2), "0.062")
        XCTAssertEqual(WikiConvert.significantDigits("1500"), 2)
        XCTAssertEqual(WikiConvert.significantDigits("1500.0"), 5)
        XCTAssertEqual(WikiConvert.significantDigits("0.05"), 1)
    }

    func testDeepNestingAndPathologicalInput() {
        let deep = String(repeating: "[[a|", count: 200) + "x" + String(repeating: "]]", count: 200)
        let out = en.clean(deep)
        XCTAssertFalse(out.contains("[[") || out.contains("]]"))
        let braces = String(repeating: "{{", count: 5000) + "text"
        XCTAssertEqual(en.clean(braces), "text")
        XCTAssertEqual(en.clean(""), "")
        XCTAssertEqual(en.clean("a }} b ]] c"), "a b c")
        // Broken pages with many unclosed brackets and tags: matching is by table, not a scan per
        // bracket (quadratic, minutes at this size); a generous bound for debug builds.
        for unit in ["{{a ", "[[a ", "<ref>a ", "[http://x a ", "{|\n| a\n"] {
            let broken = String(repeating: unit, count: 40_000)
            let started = Date()
            let cleaned = en.clean(broken)
            XCTAssertLessThan(Date().timeIntervalSince(started), 10, unit)
            XCTAssertFalse(cleaned.contains("{{") || cleaned.contains("[[") || cleaned.contains("<ref"), unit)
        }
    }
}

/// Slices of real wikitext cut at arbitrary bytes (through templates, links, tables, tags and
/// UTF-8 sequences): the cleaner never traps, and no brackets survive.
final class WikitextCutTests: XCTestCase {
    func testArbitraryCutsOfRealPages() throws {
        var pages: [[UInt8]] = []
        for dump in [WikiDumpTests.enwiki, WikiDumpTests.jawiki, WikiDumpTests.tables] {
            let reader = try WikiDumpReader(path: try TestSupport.corpora(dump))
            var n = 0
            while n < 40, let page = reader.next() {
                if !page.text.isEmpty { pages.append(page.text); n += 1 }
            }
        }
        XCTAssertEqual(pages.count, 85)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(1, n)))
        }
        let cleaner = WikitextCleaner(language: "en")
        var tables = WikitextOptions()
        tables.keepTables = true
        let tableCleaner = WikitextCleaner(options: tables, language: "en")
        for round in 0..<3000 {
            let page = pages[random(pages.count)]
            let a = random(page.count)
            let b = min(page.count, a + 1 + random(6000))
            let slice = Array(page[a..<b])
            for c in [cleaner, tableCleaner] {
                let text = c.clean(slice)
                for m in ["{{", "}}", "[[", "]]"] where text.contains(m) {
                    XCTFail("round \(round): \(m) in \(text.prefix(300))")
                }
            }
        }
    }
}
