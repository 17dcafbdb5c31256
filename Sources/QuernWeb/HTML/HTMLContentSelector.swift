/// Pass 2: decides which blocks are main content. Ideas from readability (class/id cues,
/// scoring containers by their text), jusText (block classes and their neighbours) and
/// boilerpipe (text and link density); no code from them.
///
/// 1. Boilerplate containers are removed: by tag (nav, aside, footer, menu, form, header outside
///    an article), by class/id/role cues (negative words without a positive one), small
///    byline/meta boxes and hidden containers, except on html/body/main/article and except when
///    the container holds most of the page's prose (a `class="has-sidebar"` wrapper, an ASP.NET
///    page-wide form, a streamed page parked in a hidden div are the page).
/// 2. Every remaining block gets a content weight: its non-link text, scaled down by link
///    density and up for paragraphs; weights are summed up the tree.
/// 3. The main container is the deepest container that still holds 90% of the total weight (a
///    descent from the root), or a known main-text wrapper (entry-content, articleBody,
///    <article>) on or near that path.
/// 4. Inside it, small siblings after the body (teasers, related links) are dropped level by
///    level; blocks are classed good/bad/short and short ones judged by their neighbours; a
///    container that is mostly links (an index) keeps its links; repeated long blocks are
///    written once. When that leaves almost nothing, every block that is not link-heavy stays.
///
/// Everything here is arrays indexed by node or block number (no per-node objects): a page
/// with thousands of elements costs a few linear sweeps.
struct HTMLContentSelector {
    let b: HTMLPageBuilder
    var removed: [Bool]
    var weight: [Double]
    var chosen: Int
    var strongChosen = false

    /// Share of the page's content weight the chosen container must hold.
    static let share = 0.9

    init(_ builder: HTMLPageBuilder) {
        b = builder
        let n = b.nodeTag.count
        let blocks = b.blockNode.count
        var rawText = [Int](repeating: 0, count: n)
        var rawLink = [Int](repeating: 0, count: n)
        for k in 0..<blocks {
            let node = Int(b.blockNode[k])
            rawText[node] += Int(b.blockEnd[k] - b.blockStart[k])
            rawLink[node] += Int(b.blockLinkBytes[k])
        }
        // Children have larger indices than parents: one backward sweep sums subtrees.
        if n > 1 {
            for node in stride(from: n - 1, through: 1, by: -1) {
                let p = Int(b.nodeParent[node])
                rawText[p] += rawText[node]
                rawLink[p] += rawLink[node]
            }
        }
        let total = max(1, rawText[0])
        let totalProse = max(1, rawText[0] - rawLink[0])

        // 1. Removal, top-down (a parent comes before its children).
        removed = [Bool](repeating: false, count: n)
        var inArticle = [Bool](repeating: false, count: n)
        var strongAncestor = [Int](repeating: -1, count: n)
        for node in 1..<max(1, n) {
            let p = Int(b.nodeParent[node])
            let tag = b.nodeTag[node]
            let flags = b.nodeFlags[node]
            inArticle[node] = inArticle[p] || tag == .article || tag == .main
                || flags & NodeFlag.articleBody != 0
            strongAncestor[node] = b.nodeFlags[p] & NodeFlag.strong != 0 ? p : strongAncestor[p]
            if removed[p] { removed[node] = true; continue }
            var boiler = false
            switch tag {
            case .nav, .aside, .menu, .form, .footer, .dialog: boiler = true
            case .header: boiler = !inArticle[p]
            case .article, .main, .body, .html: boiler = false
            default:
                boiler = flags & NodeFlag.negative != 0 && flags & NodeFlag.positive == 0
                // Bylines, meta lines, author boxes: boilerplate when small.
                if !boiler && flags & NodeFlag.weakNegative != 0 && flags & NodeFlag.positive == 0
                    && Double(rawText[node]) < HTMLContentSelector.weakShare * Double(total) {
                    boiler = true
                }
            }
            if tag == .article || tag == .main { boiler = false }
            if flags & NodeFlag.hidden != 0 { boiler = true }
            if boiler {
                // A container with most of the page's prose is the page, whatever its name says.
                let prose = rawText[node] - rawLink[node]
                if Double(prose) > 0.5 * Double(totalProse) && tag != .nav {
                    boiler = false
                }
                // Likewise inside a main-text wrapper: a large part of the article body is body.
                let s = strongAncestor[node]
                if s > 0 && tag != .nav && Double(prose) > HTMLContentSelector.strongPartShare * Double(rawText[s] - rawLink[s]) {
                    boiler = false
                }
            }
            removed[node] = boiler
        }

        // 2. Weights.
        weight = [Double](repeating: 0, count: n)
        for k in 0..<blocks {
            let node = Int(b.blockNode[k])
            if removed[node] { continue }
            weight[node] += HTMLContentSelector.blockWeight(b, k)
        }
        for node in stride(from: n - 1, through: 1, by: -1) where !removed[node] {
            weight[Int(b.nodeParent[node])] += weight[node]
        }

        // 3. Descent.
        var current = 0
        let goal = weight[0] * HTMLContentSelector.share
        if weight[0] > 0 {
            var children = [[Int32]](repeating: [], count: n)
            for node in 1..<n where !removed[node] { children[Int(b.nodeParent[node])].append(Int32(node)) }
            while true {
                var best = -1
                var bestWeight = 0.0
                // Only containers are candidates: a paragraph, heading or list item is a block
                // of the main text, never the main text's container.
                for c in children[current] where weight[Int(c)] > bestWeight && !b.nodeTag[Int(c)].isTextBlock {
                    best = Int(c); bestWeight = weight[Int(c)]
                }
                if best < 0 || bestWeight < goal { break }
                current = best
            }
        }
        // A known main-text wrapper (entry-content, articleBody, <article>) wins over the
        // descent when it is on the descent's path and holds a fair part of the weight, or when
        // it holds much of the page on its own.
        var strongBest = -1
        for node in 1..<max(1, n) where !removed[node] && b.nodeFlags[node] & NodeFlag.strong != 0 {
            if strongBest < 0 || weight[node] > weight[strongBest] { strongBest = node }
        }
        var strongPicked = false
        if strongBest > 0 && weight[strongBest] > 0 {
            let parents = builder.nodeParent
            func isAncestor(_ a: Int, of x: Int) -> Bool {
                var c = x
                while c > a { c = Int(parents[c]) }
                return c == a
            }
            let sw = weight[strongBest]
            let inside = isAncestor(current, of: strongBest)
            if isAncestor(strongBest, of: current)
                || (inside && sw >= HTMLContentSelector.strongShare * weight[current])
                || (!inside && sw >= HTMLContentSelector.strongAlone * weight[0]) {
                current = strongBest
                strongPicked = true
            }
        }
        chosen = current
        strongChosen = strongPicked
    }

    /// Content weight of one block: prose bytes (text minus link text), counted more when the
    /// block reads like sentences, less when most of it is links or it is a short fragment.
    static func blockWeight(_ b: HTMLPageBuilder, _ k: Int) -> Double {
        let len = Int(b.blockEnd[k] - b.blockStart[k])
        let link = Int(b.blockLinkBytes[k])
        if len == 0 { return 0 }
        let density = Double(link) / Double(len)
        if density > 0.5 { return 0 }
        var w = Double(len - link)
        if len < 25 { w *= 0.3 }
        switch b.blockKind[k] {
        case .paragraph: w *= 1.5
        case .heading: w *= 0.5
        default: break
        }
        return w * (1 - density)
    }

    // Constants, set on the trafilatura and WCXB development pages (general rules only; the
    // sets differ in language and page type, and every constant had to help or be neutral on
    // both).
    /// Bytes of non-link text that make a block good on its own.
    static let goodLength = 80.0
    /// Link share above which a block is bad (navigation), outside listing containers.
    static let badLinkDensity = 0.33
    /// A short block between good and bad neighbours stays when at least this long.
    static let nearGoodLength = 20.0
    /// A main-text wrapper below the descent's node is taken when it holds this share of it.
    static let strongShare = 0.5
    /// Container link share that marks an index or listing page.
    static let listingDensity = 0.4
    /// A main-text wrapper off the descent's path is taken when it holds this share of the page.
    static let strongAlone = 0.4
    /// Byline/meta boxes below this share of the page's text are boilerplate.
    static let weakShare = 0.05
    /// Output bytes under which the relaxed rendering is tried.
    static let minimumOutput = 250.0
    /// A container with boilerplate words holding this share of its main-text wrapper's prose
    /// is part of the body.
    static let strongPartShare = 0.5
    /// Link share above which a list item is bad (link lists are linked from end to end).
    static let listItemLinkDensity = 0.7
    /// Blocks at least this long are written once even when the page repeats them.
    static let duplicateLength = 40
    /// A child holding this share of its parent's weight is the body; siblings after it...
    static let bodyShare = 0.7
    /// ...lighter than this share of the body are trailing boilerplate.
    static let trailingShare = 0.2

    enum Quality { case good, bad, short }

    /// The main text: blocks under the chosen container, one per line. Blocks are first classed
    /// (jusText's idea): good = long prose with few links, bad = link-heavy, short = the rest.
    /// Short blocks then take their class from the nearest classed neighbours: between bad
    /// neighbours (or the container edge) they are dropped; next to good content they stay.
    func render(includeTables: Bool) -> [UInt8] {
        let strict = render(includeTables: includeTables, relaxed: false)
        if Double(strict.count) >= HTMLContentSelector.minimumOutput { return strict }
        // Almost nothing survived the context rules (a page of short items: prices, tables,
        // product facts): keep every block that is not link-heavy instead.
        let relaxed = render(includeTables: includeTables, relaxed: true)
        return relaxed.count > strict.count ? relaxed : strict
    }

    func render(includeTables: Bool, relaxed: Bool) -> [UInt8] {
        let n = b.nodeTag.count
        var under = [Bool](repeating: false, count: n)
        under[chosen] = true
        if chosen + 1 < n {
            for node in (chosen + 1)..<n { under[node] = under[Int(b.nodeParent[node])] }
        }
        // A container that is mostly links (an index, a listing, a link blog) is what the page
        // is about: there, links do not make a block bad.
        var containerText = 0, containerLinks = 0
        for k in 0..<b.blockNode.count where under[Int(b.blockNode[k])] && !removed[Int(b.blockNode[k])] {
            containerText += Int(b.blockEnd[k] - b.blockStart[k])
            containerLinks += Int(b.blockLinkBytes[k])
        }
        let listing = Double(containerLinks) > HTMLContentSelector.listingDensity * Double(max(1, containerText))
        let badDensity = listing ? 1.5 : HTMLContentSelector.badLinkDensity
        // Trailing siblings: when one child of a container holds most of its weight (the
        // article body), the small siblings after it are teasers, related links, newsletter
        // boxes; the ones before it (headline, lead) stay. Applied level by level down the path
        // of heaviest children.
        var children = [[Int]](repeating: [], count: n)
        if chosen + 1 < n {
            for node in (chosen + 1)..<n where under[node] && !removed[node] {
                children[Int(b.nodeParent[node])].append(node)
            }
        }
        var trailing = [Bool](repeating: false, count: n)
        var trailingAfter = [Int](repeating: Int.max, count: n)  // blocks directly in a node, after this block index
        var lastBlockIn = [Int](repeating: -1, count: n)          // last block index in each subtree
        for k in 0..<b.blockNode.count {
            var c = Int(b.blockNode[k])
            guard under[c] else { continue }
            while c >= chosen && lastBlockIn[c] != k {
                lastBlockIn[c] = k
                if c == chosen { break }
                c = Int(b.nodeParent[c])
            }
        }
        var level = chosen
        while true {
            var heavy = -1
            for c in children[level] where !b.nodeTag[c].isTextBlock && (heavy < 0 || weight[c] > weight[heavy]) { heavy = c }
            guard heavy >= 0, weight[heavy] >= HTMLContentSelector.bodyShare * weight[level] else { break }
            for c in children[level] where c > heavy && weight[c] < HTMLContentSelector.trailingShare * weight[heavy] {
                trailing[c] = true
            }
            trailingAfter[level] = lastBlockIn[heavy]
            level = heavy
        }
        if chosen + 1 < n {
            for node in (chosen + 1)..<n where trailing[Int(b.nodeParent[node])] { trailing[node] = true }
        }
        var picked: [Int] = []
        var quality: [Quality] = []
        for k in 0..<b.blockNode.count {
            let node = Int(b.blockNode[k])
            if !under[node] || removed[node] || trailing[node] { continue }
            // Short text directly in a level container after its body.
            if k > trailingAfter[node] && Double(b.blockEnd[k] - b.blockStart[k]) < HTMLContentSelector.goodLength { continue }
            let kind = b.blockKind[k]
            if kind == .cell && !includeTables { continue }
            let len = Int(b.blockEnd[k] - b.blockStart[k])
            let link = Int(b.blockLinkBytes[k])
            let density = Double(link) / Double(max(1, len))
            let q: Quality
            // List items with words of their own around a link are content (checklists,
            // steps); link lists are links from end to end.
            let limit = kind == .listItem ? max(badDensity, HTMLContentSelector.listItemLinkDensity) : badDensity
            if density > limit && kind != .heading { q = .bad }
            else if Double(len - link) >= HTMLContentSelector.goodLength { q = .good }
            else { q = .short }
            picked.append(k); quality.append(q)
        }
        // Context: nearest non-short class on each side (edges count as bad).
        // Without any good block the container is all short text (a poem, a recipe, a product
        // page): then the edges count as good, so short blocks stay unless links surround them.
        let m = picked.count
        let edge: Quality = quality.contains(.good) ? .bad : .good
        var prev = [Quality](repeating: .bad, count: m)
        var next = [Quality](repeating: .bad, count: m)
        var last = edge
        for j in 0..<m { prev[j] = last; if quality[j] != .short { last = quality[j] } }
        last = edge
        for j in stride(from: m - 1, through: 0, by: -1) { next[j] = last; if quality[j] != .short { last = quality[j] } }
        var out: [UInt8] = []
        out.reserveCapacity(b.text.count / 2)
        var lastRow: Int32 = -1
        var seen = Set<UInt64>()
        for j in 0..<m {
            let k = picked[j]
            let kind = b.blockKind[k]
            let len = Int(b.blockEnd[k] - b.blockStart[k])
            switch quality[j] {
            case .bad: continue
            case .good: break
            case .short:
                if relaxed { break }
                // A heading belongs to what follows it; other short text to both sides.
                if kind == .heading { if next[j] == .bad { continue } }
                else if prev[j] == .bad && next[j] == .bad { continue }
                else if prev[j] != next[j] && Double(len) < HTMLContentSelector.nearGoodLength { continue }
            }
            let s = Int(b.blockStart[k]), e = Int(b.blockEnd[k])
            // A long block written twice (desktop and mobile copies of one description) is
            // written once.
            if len >= HTMLContentSelector.duplicateLength {
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for i in s..<e { h = (h ^ UInt64(b.text[i])) &* 0x100_0000_01b3 }
                if !seen.insert(h).inserted { continue }
            }
            if kind == .cell && b.blockRow[k] == lastRow && lastRow >= 0 {
                if out.last == 10 { out.removeLast() }
                out.append(contentsOf: Array(" | ".utf8))
            } else if kind == .listItem {
                out.append(contentsOf: Array("- ".utf8))
            }
            lastRow = kind == .cell ? b.blockRow[k] : -1
            out.append(contentsOf: b.text[s..<e])
            out.append(10)
        }
        if out.last == 10 { out.removeLast() }
        return out
    }
}
