/// Class/id/role words that say what an element is for. A value such as
/// `"entry-content post_body sidebarLeft"` is split into lowercase words at every byte that is not
/// a letter or digit; each word is looked up in a small table (exact words) and checked against a
/// few stems (prefixes such as `comment` in `commentlist`).
struct HTMLCues {
    struct Result {
        var negative = false   // boilerplate words: nav, footer, share, cookie, ...
        var positive = false   // content words: article, content, entry, post, ...
        var weakNegative = false  // header, meta, byline, ...: only lowers the score
        var strong = false     // entry-content, article-body, ...: the usual main-text wrappers
    }

    private enum Kind: UInt8, Sendable { case negative, positive, weakNegative, strong }

    private static let exact: HTMLKeyTable<Kind> = {
        var t: [UInt64: Kind] = [:]
        for w in ["nav", "navi", "navbar", "navigation", "menu", "menus", "submenu", "breadcrumb",
                  "breadcrumbs", "crumbs", "footer", "sidebar", "share", "sharing",
                  "shares", "social", "socials", "related", "comment", "comments", "cookie", "cookies",
                  "consent", "gdpr", "banner", "newsletter", "subscribe", "subscription", "promo",
                  "ad", "ads", "advert", "adverts", "advertisement", "advertising", "sponsor", "sponsored",
                  "pagination", "pager", "tags", "tagcloud", "taglist", "popup", "modal", "overlay",
                  "disqus", "outbrain", "taboola", "recommended", "recommendations", "toolbar", "skip",
                  "login", "signup", "masthead", "topbar", "bottombar", "copyright", "legal", "rss",
                  "print", "reply", "replies", "respond", "shoutbox", "trending", "popular", "mostread",
                  "teaser", "teasers", "offcanvas", "dropdown", "cta", "follow", "donate",
                  "adsense", "dfp", "paywall", "author-bio", "authorbox", "bio", "tools", "utility",
                  "searchform", "search", "jump", "sitemap", "captcha", "caption", "credit", "credits", "wp-caption"] {
            t[key(w)] = .negative
        }
        for w in ["article", "articles", "content", "entry", "post", "main", "body", "text", "story",
                  "blog", "hentry", "articlebody", "postbody", "entrytext", "storybody", "prose",
                  "richtext", "maincontent", "page"] {
            t[key(w)] = .positive
        }
        for w in ["entry-content", "post-content", "article-content", "article-body", "articlebody",
                  "post-body", "story-body", "entry-body", "post-entry", "article-text", "story-content",
                  "main-content", "page-content", "content-main", "blog-content", "post-text",
                  "entry-text", "news-content", "news-text", "article-main", "body-text", "single-content",
                  "article-detail", "content-body", "text-content", "article-inner", "post-inner",
                  "postcontent", "entrycontent", "articlecontent", "storycontent", "post-article",
                  "artikel-text", "article-container", "mw-content-text"] {
            t[key(w)] = .strong
        }
        for w in ["byline", "meta", "dateline", "author", "date", "entry-meta", "post-meta",
                  "article-meta", "author-info", "authorinfo", "published", "timestamp", "posted",
                  "postmeta", "pubdate"] {
            t[key(w)] = .weakNegative
        }
        return HTMLKeyTable(t.map { ($0.key, $0.value) })
    }()

    /// Prefixes that mark boilerplate whatever follows (`commentlist`, `sidebarleft`, `socialicons`).
    private static let negativeStems: [[UInt8]] = [
        "comment", "sidebar", "footer", "breadcrumb", "cookie", "newsletter", "advert", "sponsor",
        "social", "share", "related", "promo", "navbar", "navigation", "pagination",
        "consent", "banner", "subscri", "disqus", "outbrain", "taboola", "popup",
    ].map { Array($0.utf8) }

    @inline(__always)
    private static func key(_ s: String) -> UInt64 { key(Array(s.utf8)) }

    private static func key(_ b: [UInt8]) -> UInt64 {
        b.withUnsafeBufferPointer { key($0.baseAddress!, b.count) }
    }

    /// FNV-1a of the (already lowercase) word: cheap, and collisions only cost a misread cue.
    @inline(__always)
    private static func key(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var k = 0
        while k < n { h = (h ^ UInt64(p[k])) &* 0x100_0000_01b3; k &+= 1 }
        return h
    }

    /// Classifies the words of one attribute value (bytes as in the document).
    static func classify(_ value: UnsafeBufferPointer<UInt8>, into result: inout Result) {
        guard let base = value.baseAddress, value.count > 0 else { return }
        // Lowercase words are copied into a small stack buffer one at a time.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { word in
            let w = word.baseAddress!
            var i = 0
            let n = min(value.count, 512)
            while i < n {
                var len = 0
                var c = base[i]
                // A BEM modifier (`block--modifier`) describes a variant of its block, not what
                // the element is for: `TestReport__Section--Ads` is a report section.
                let modifier = i >= 2 && base[i &- 1] == UInt8(ascii: "-") && base[i &- 2] == UInt8(ascii: "-")
                // Words split at anything but letters and digits; '-' and '_' join compounds
                // into one word too (`author-bio`), so both the compound and its parts count.
                while i < n {
                    c = base[i]
                    let isAlnum = (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122)
                    if !isAlnum { break }
                    if len < 64 { w[len] = c | (c >= 65 && c <= 90 ? 0x20 : 0); len &+= 1 }
                    i &+= 1
                }
                if len > 0 && !modifier { classifyWord(w, len, into: &result) }
                if i < n && (c == UInt8(ascii: "-") || c == UInt8(ascii: "_")) {
                    // Also try the hyphenated compound `xxx-yyy` as one word for the exact table.
                    var j = i &+ 1
                    var l2 = len
                    if l2 < 64 { w[l2] = UInt8(ascii: "-"); l2 &+= 1 }
                    while j < n {
                        let d = base[j]
                        let isAlnum = (d >= 48 && d <= 57) || ((d | 0x20) >= 97 && (d | 0x20) <= 122)
                        if !isAlnum { break }
                        if l2 < 64 { w[l2] = d | (d >= 65 && d <= 90 ? 0x20 : 0); l2 &+= 1 }
                        j &+= 1
                    }
                    if l2 > len &+ 1, let kind = exact[key(w, l2)] { apply(kind, &result) }
                }
                i &+= 1
            }
        }
    }

    @inline(__always)
    private static func apply(_ kind: Kind, _ result: inout Result) {
        switch kind {
        case .negative: result.negative = true
        case .positive: result.positive = true
        case .weakNegative: result.weakNegative = true
        case .strong: result.strong = true; result.positive = true
        }
    }

    private static func classifyWord(_ w: UnsafeMutablePointer<UInt8>, _ n: Int, into result: inout Result) {
        if let kind = exact[key(w, n)] { apply(kind, &result); return }
        if n < 5 { return }
        for stem in negativeStems where stem.count <= n {
            var k = 0
            while k < stem.count && w[k] == stem[k] { k &+= 1 }
            if k == stem.count { result.negative = true; return }
        }
    }
}
