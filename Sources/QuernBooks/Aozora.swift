// Aozora Bunko (青空文庫) texts: Japanese public-domain books in a plain-text convention of their own.
//
//   title / author lines, then a legend between two dashed lines
//   (【テキスト中に現れる記号について】 ... explaining 《》 ｜ ［＃］ 〔〕), the body, and a colophon
//   that starts with 底本： (source edition, proofreaders, dates, "青空文庫作成ファイル").
//
// Removed: the title/author lines and the legend (title and author go to the metadata), the
// colophon, ruby readings 《…》 and the ruby start mark ｜ (the base text stays: 吾輩《わがはい》 →
// 吾輩), and editor annotations ［＃…］ (layout and emphasis notes). A ※ right before an annotation
// stands for a character outside JIS X 0208 that the annotation describes (※［＃「陷のつくり＋炎」、
// 第3水準1-87-64］); no Unicode character is given, so the placeholder goes with its annotation and
// is counted. 〔…〕 holds European text with accents written after their letters (é as e', æ as
// ae&, ß as s&): the accents are composed and the brackets dropped.

enum AozoraCleaner {
    static let legend: [UInt8] = Array("【テキスト中に現れる記号について】".utf8)
    static let colophon: [UInt8] = Array("底本：".utf8)
    static let rubyOpen: [UInt8] = [0xE3, 0x80, 0x8A]     // 《
    static let rubyClose: [UInt8] = [0xE3, 0x80, 0x8B]    // 》
    static let rubyStart: [UInt8] = [0xEF, 0xBD, 0x9C]    // ｜
    static let noteOpen: [UInt8] = [0xEF, 0xBC, 0xBB, 0xEF, 0xBC, 0x83]  // ［＃
    static let bracketOpen: [UInt8] = [0xEF, 0xBC, 0xBB]  // ［
    static let bracketClose: [UInt8] = [0xEF, 0xBC, 0xBD] // ］
    static let gaiji: [UInt8] = [0xE2, 0x80, 0xBB]        // ※

    static let accentOpen: [UInt8] = [0xE3, 0x80, 0x94]   // 〔
    static let accentClose: [UInt8] = [0xE3, 0x80, 0x95]  // 〕

    struct Counts { var rubies = 0, annotations = 0, unencodedCharacters = 0, accentedSpans = 0 }

    /// Aozora's accent decomposition: letter + mark → composed letter (` grave, ' acute,
    /// ^ circumflex, ~ tilde, : diaeresis, & ring, , cedilla, / stroke, _ macron), and the
    /// ligatures ae& oe& AE& OE& s&.
    static let accents: [String: String] = {
        var table: [String: String] = [:]
        func add(_ mark: Character, _ pairs: String) {
            let chars = Array(pairs)
            var i = 0
            while i + 1 < chars.count { table[String(chars[i]) + String(mark)] = String(chars[i + 1]); i += 2 }
        }
        add("`", "aàeèiìoòuùAÀEÈIÌOÒUÙ")
        add("'", "aáeéiíoóuúyýAÁEÉIÍOÓUÚYÝcćnńsśzź")
        add("^", "aâeêiîoôuûAÂEÊIÎOÔUÛ")
        add("~", "aãnñoõAÃNÑOÕ")
        add(":", "aäeëiïoöuüyÿAÄEËIÏOÖUÜ")
        add("&", "aåAÅ")
        add(",", "cçCçsşSŞ")
        add("/", "oøOØlłLŁ")
        add("_", "aāeēiīoōuūAĀEĒIĪOŌUŪ")
        table["C,"] = "Ç"
        for (k, v) in [("ae&", "æ"), ("AE&", "Æ"), ("oe&", "œ"), ("OE&", "Œ"), ("s&", "ß")] { table[k] = v }
        return table
    }()

    /// The inside of 〔…〕 with its accents composed; nil when it holds no ASCII letter (then
    /// the brackets are ordinary punctuation and stay).
    static func composeAccents(_ inner: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard inner.contains(where: { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var i = 0
        let n = inner.count
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        while i < n {
            let b = inner[i]
            if isLetter(b) {
                if i + 2 < n, isLetter(inner[i + 1]), let v = accents[String(decoding: inner[i...(i + 2)], as: UTF8.self)], inner[i + 2] == UInt8(ascii: "&") {
                    out.append(contentsOf: v.utf8); i += 3; continue
                }
                if i + 1 < n, let v = accents[String(decoding: inner[i...(i + 1)], as: UTF8.self)] {
                    out.append(contentsOf: v.utf8); i += 2; continue
                }
            }
            out.append(b)
            i += 1
        }
        return out
    }

    /// A cleaned body when the text follows the Aozora convention (legend or colophon found).
    static func clean(_ text: [UInt8]) -> (CleanedText, Counts)? {
        text.withUnsafeBufferPointer { buffer -> (CleanedText, Counts)? in
            let lines = GutenbergCleaner.splitLines(buffer)
            func line(_ i: Int) -> UnsafeBufferPointer<UInt8> {
                UnsafeBufferPointer(rebasing: buffer[lines[i].start..<lines[i].end])
            }
            func isDashes(_ i: Int) -> Bool {
                let l = line(i).trimmingSpaces()
                return l.count >= 10 && l.allSatisfy { $0 == UInt8(ascii: "-") }
            }
            var legendLine: Int?
            for i in 0..<min(lines.count, 80) where line(i).trimmingSpaces().hasPrefix(legend) { legendLine = i; break }
            var colophonLine: Int?
            var i = lines.count - 1
            while i >= max(0, lines.count - 300) {
                if line(i).trimmingSpaces().hasPrefix(colophon) { colophonLine = i }
                i -= 1
            }
            guard legendLine != nil || colophonLine != nil else { return nil }

            var metadata = BookMetadata()
            metadata.language = "ja"
            var bodyStart = 0
            if let legendLine {
                // Title, (subtitle,) author: the non-blank lines before the first dashed line.
                var firstDash = legendLine
                while firstDash > 0 && !isDashes(firstDash) { firstDash -= 1 }
                let heads = (0..<firstDash).map { line($0).trimmingSpaces() }.filter { !$0.isEmpty }
                if let first = heads.first { metadata.title = first.string }
                if heads.count >= 2, let last = heads.last { metadata.author = last.string }
                bodyStart = legendLine + 1
                while bodyStart < lines.count && !isDashes(bodyStart) { bodyStart += 1 }
                bodyStart = bodyStart < lines.count ? bodyStart + 1 : legendLine + 1
            }
            let bodyEnd = colophonLine ?? lines.count

            var out: [UInt8] = []
            out.reserveCapacity(buffer.count)
            var counts = Counts()
            var blank = false
            for k in bodyStart..<bodyEnd {
                let cleaned = stripMarkup(line(k), counts: &counts)
                if cleaned.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { blank = true; continue }
                if !out.isEmpty { out.append(0x0A); if blank { out.append(0x0A) } }
                blank = false
                out.append(contentsOf: cleaned)
            }
            let result = CleanedText(text: out, metadata: metadata, generation: .aozora,
                                     startMarker: legendLine != nil, endMarker: colophonLine != nil,
                                     droppedBodyLines: 0)
            return (result, counts)
        }
    }

    /// One line without ruby readings, ruby marks and annotations.
    static func stripMarkup(_ l: UnsafeBufferPointer<UInt8>, counts: inout Counts) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(l.count)
        var i = 0
        let n = l.count
        func at(_ i: Int, _ m: [UInt8]) -> Bool {
            guard i + m.count <= n else { return false }
            for k in 0..<m.count where l[i + k] != m[k] { return false }
            return true
        }
        // All markers are 3-byte UTF-8 sequences led by 0xE2/0xE3/0xEF; other bytes are copied as
        // they come, so the check runs only on those lead bytes.
        while i < n {
            let b = l[i]
            if b == 0xE2 || b == 0xE3 || b == 0xEF {
                if at(i, rubyOpen) {
                    var j = i + 3
                    while j < n && !at(j, rubyClose) { j += 1 }
                    if j < n { counts.rubies += 1; i = j + 3; continue }
                } else if at(i, rubyStart) {
                    i += 3; continue

                } else if at(i, noteOpen) || (at(i, gaiji) && at(i + 3, noteOpen)) {
                    let isGaiji = at(i, gaiji)
                    var j = isGaiji ? i + 3 : i
                    // Annotations may quote bracketed text: match nested ［ ］.
                    var depth = 0
                    var end = -1
                    while j < n {
                        if at(j, bracketOpen) { depth += 1; j += 3; continue }
                        if at(j, bracketClose) { depth -= 1; j += 3; if depth == 0 { end = j; break }; continue }
                        j += 1
                    }
                    if end > 0 {
                        if isGaiji { counts.unencodedCharacters += 1 } else { counts.annotations += 1 }
                        i = end
                        continue
                    }
                }
            }
            out.append(b)
            i += 1
        }
        // Accents after the annotations are gone (an annotation may sit inside 〔…〕).
        return out.withUnsafeBufferPointer { composeAccentSpans($0, counts: &counts) }
    }

    /// Replaces every 〔…〕 span holding Latin letters by its composed text.
    static func composeAccentSpans(_ l: UnsafeBufferPointer<UInt8>, counts: inout Counts) -> [UInt8] {
        let n = l.count
        func at(_ i: Int, _ m: [UInt8]) -> Bool {
            guard i + m.count <= n else { return false }
            for k in 0..<m.count where l[i + k] != m[k] { return false }
            return true
        }
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var i = 0
        while i < n {
            if l[i] == 0xE3, at(i, accentOpen) {
                var j = i + 3
                while j < n && !at(j, accentClose) { j += 1 }
                if j < n, let composed = composeAccents(UnsafeBufferPointer(rebasing: l[(i + 3)..<j])) {
                    out.append(contentsOf: composed)
                    counts.accentedSpans += 1
                    i = j + 3
                    continue
                }
            }
            out.append(l[i])
            i += 1
        }
        return out
    }
}
