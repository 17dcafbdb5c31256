/// Pass 2: decides which blocks are main content.
///
/// 1. Boilerplate containers are removed: by tag (nav, aside, footer, menu, form, header outside
///    an article) and by class/id/role cues (negative words without a positive one), except on
///    html/body/main/article and except when the container holds most of the page's prose
///    (a `class="has-sidebar"` wrapper or an ASP.NET page-wide form is not boilerplate).
/// 2. Every remaining block gets a content weight: its non-link text, scaled down by link
///    density and up for sentence-like paragraphs, with class cues of its ancestors.
/// 3. The main container is the deepest node that still holds a fixed share of the total weight
///    (a descent from the root: each step goes to the one child that keeps the share).
/// 4. Blocks under that container are written, dropping link lists and short link-heavy lines.
struct HTMLContentSelector {
    let b: HTMLPageBuilder
    var removed: [Bool]
    var weight: [Double]
    var chosen: Int

    /// Share of the page's content weight the chosen container must hold.
    static let share = 0.62

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
        for node in 1..<max(1, n) {
            let p = Int(b.nodeParent[node])
            let tag = b.nodeTag[node]
            let flags = b.nodeFlags[node]
            inArticle[node] = inArticle[p] || tag == .article || tag == .main
                || flags & NodeFlag.articleBody != 0
            if removed[p] { removed[node] = true; continue }
            var boiler = false
            switch tag {
            case .nav, .aside, .menu, .form, .footer, .dialog: boiler = true
            case .header: boiler = !inArticle[p]
            case .article, .main, .body, .html: boiler = false
            default:
                boiler = flags & NodeFlag.negative != 0 && flags & NodeFlag.positive == 0
            }
            if tag == .article || tag == .main { boiler = false }
            if boiler {
                // A container with most of the page's prose is the page, whatever its name says.
                let prose = rawText[node] - rawLink[node]
                if Double(prose) > 0.5 * Double(totalProse) && tag != .nav && Double(rawLink[node]) < 0.4 * Double(rawText[node]) {
                    boiler = false
                }
            }
            removed[node] = boiler
        }
        _ = total

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
                for c in children[current] where weight[Int(c)] > bestWeight {
                    best = Int(c); bestWeight = weight[Int(c)]
                }
                if best < 0 || bestWeight < goal { break }
                current = best
            }
        }
        chosen = current
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

    /// The main text: kept blocks under the chosen container, one per line.
    func render(includeTables: Bool) -> [UInt8] {
        let n = b.nodeTag.count
        var under = [Bool](repeating: false, count: n)
        under[chosen] = true
        if chosen + 1 < n {
            for node in (chosen + 1)..<n { under[node] = under[Int(b.nodeParent[node])] }
        }
        var out: [UInt8] = []
        out.reserveCapacity(b.text.count / 2)
        var lastRow: Int32 = -1
        for k in 0..<b.blockNode.count {
            let node = Int(b.blockNode[k])
            if !under[node] || removed[node] { continue }
            let kind = b.blockKind[k]
            if kind == .cell && !includeTables { continue }
            let s = Int(b.blockStart[k]), e = Int(b.blockEnd[k])
            let len = e - s
            let link = Int(b.blockLinkBytes[k])
            // Link lists and link-heavy fragments are navigation wherever they sit.
            if link * 2 > len && kind != .heading { continue }
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
