#if canImport(Glibc)
import Glibc
#endif

/// The few templates whose text belongs to the sentence they sit in. Every other template
/// (infoboxes, navboxes, citations, maintenance tags) and every parser function is dropped.
enum WikiTemplates {
    /// Renders `{{name|args…}}` into the scanner's output (or nothing).
    static func render(name nameRange: (Int, Int), args: ArraySlice<(Int, Int)>, scanner s: inout Scanner) {
        let (n0, n1) = s.trimmed(nameRange.0, nameRange.1)
        guard n0 < n1 else { return }
        // Parser functions `{{#if:…}}`, `{{#switch:…}}`, `{{#invoke:…}}`: dropped.
        if s.src[n0] == UInt8(ascii: "#") { return }
        var name = normalizedName(s.string(n0, n1))
        // `{{formatnum:1234}}`, `{{lc:…}}` and friends carry their argument after a colon.
        if let colon = name.firstIndex(of: ":") {
            let function = String(name[..<colon])
            var argStart = n0
            while argStart < n1, s.src[argStart] != UInt8(ascii: ":") { argStart &+= 1 }
            let (a0, a1) = s.trimmed(argStart &+ 1, n1)
            switch function {
            case "formatnum":
                formatNumber(scanner: &s, a0, a1)
            case "lc", "uc", "lcfirst", "ucfirst", "urlencode", "anchorencode", "plural", "grammar", "gender":
                if function == "plural" || function == "gender" || function == "grammar" {
                    // {{plural:n|one|many}}: the last form (a guess that is right more often).
                    if let last = args.last { s.render(last.0, last.1) }
                } else {
                    s.render(a0, a1)
                }
            case "template", "subst", "safesubst", "msgnw", "msg", "raw":
                name = normalizedName(String(name[name.index(after: colon)...]))
                renderNamed(name, args: args, scanner: &s)
            default:
                break  // DEFAULTSORT:, DISPLAYTITLE:, fullurl:, #tag… and namespaced transclusions
            }
            return
        }
        renderNamed(name, args: args, scanner: &s)
    }

    static func normalizedName(_ raw: String) -> String {
        var out = ""
        var space = false
        for ch in raw.lowercased() {
            if ch == "_" || ch == " " || ch == "\n" || ch == "\t" { space = !out.isEmpty; continue }
            if space { out.append(" "); space = false }
            out.append(ch)
        }
        return out
    }

    /// Positional arguments (no `name=`), in order.
    static func positional(_ args: ArraySlice<(Int, Int)>, _ s: Scanner) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        for (a, b) in args {
            var k = a
            var named = false
            while k < b {
                let c = s.src[k]
                if c == UInt8(ascii: "=") { named = true; break }
                if !(isAlnum(c) || c == 0x20 || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c >= 0x80) { break }
                k &+= 1
            }
            if !named { out.append((a, b)) }
        }
        return out
    }

    static func named(_ key: String, _ args: ArraySlice<(Int, Int)>, _ s: Scanner) -> (Int, Int)? {
        let bytes = Array(key.utf8)
        for (a, b) in args {
            let (x, y) = s.trimmed(a, b)
            guard y &- x > bytes.count else { continue }
            var k = x
            var ok = true
            for c in bytes { if lowerASCII(s.src[k]) != c { ok = false; break }; k &+= 1 }
            guard ok else { continue }
            while k < y, s.src[k] == 0x20 { k &+= 1 }
            if k < y, s.src[k] == UInt8(ascii: "=") { return s.trimmed(k &+ 1, y) }
        }
        return nil
    }

    static func renderArg(_ r: (Int, Int)?, _ s: inout Scanner) {
        guard let r else { return }
        let (a, b) = s.trimmed(r.0, r.1)
        if a < b { s.render(a, b) }
    }

    static func append(_ text: String, _ s: inout Scanner) { s.out.append(contentsOf: text.utf8) }

    static func renderNamed(_ name: String, args: ArraySlice<(Int, Int)>, scanner s: inout Scanner) {
        let p = positional(args, s)
        func arg(_ i: Int) -> (Int, Int)? { i < p.count ? p[i] : nil }
        func text(_ i: Int) -> String {
            guard let r = arg(i) else { return "" }
            let (a, b) = s.trimmed(r.0, r.1)
            return s.string(a, b)
        }
        switch name {
        // Text in another language or script: the text.
        case "lang", "langx", "transl", "transliteration", "lang-rtl", "script", "iast", "ill", "interlanguage link",
             "interlanguage link multi", "仮リンク", "lien", "illm", "link-interwiki":
            let index = (name == "lang" || name == "langx" || name == "transl" || name == "transliteration"
                         || name == "lang-rtl" || name == "script") ? (p.count >= 3 && name == "transl" ? 2 : 1) : 0
            renderArg(arg(index), &s)
        case _ where name.hasPrefix("lang-") || name.hasPrefix("langx-"):
            renderArg(arg(0), &s)
        case "nihongo", "nihongo2", "nihongo3", "nihongo foot":
            // {{nihongo|English|漢字|rōmaji}} → English (漢字, rōmaji); arguments may hold markup.
            func present(_ i: Int) -> (Int, Int)? {
                guard let r = arg(i) else { return nil }
                let t = s.trimmed(r.0, r.1)
                return t.0 < t.1 ? t : nil
            }
            let english = present(0), kanji = present(1), romaji = present(2)
            if let english {
                s.render(english.0, english.1)
                if kanji != nil || romaji != nil {
                    append(" (", &s)
                    if let kanji { s.render(kanji.0, kanji.1) }
                    if let romaji { if kanji != nil { append(", ", &s) }; s.render(romaji.0, romaji.1) }
                    append(")", &s)
                }
            } else if let kanji {
                s.render(kanji.0, kanji.1)
                if let romaji { append(" (", &s); s.render(romaji.0, romaji.1); append(")", &s) }
            }
        case "読み仮名", "読み仮名 ruby不使用", "読み仮名_ruby不使用", "ruby", "ルビ":
            renderArg(arg(0), &s)
            if name.hasPrefix("読み仮名"), !text(1).isEmpty { append("（" + text(1) + "）", &s) }
        case "convert", "cvt", "convinfobox", "convert/old":
            WikiConvert.render(p.map { s.string(s.trimmed($0.0, $0.1).0, s.trimmed($0.0, $0.1).1) }, into: &s.out)
        // Inline wrappers: their (first) argument.
        case "nowrap", "nobr", "nobreak", "small", "smaller", "big", "larger", "large", "sic", "not a typo",
             "mvar", "math", "var", "em", "strong", "smallcaps", "small caps", "sc", "sc1", "tooltip", "abbr", "abbrlink",
             "visible anchor", "flag", "flagcountry", "flagu", "keypress", "serif", "sans-serif", "code", "samp", "kbd",
             "highlight", "bold", "italic", "i", "b", "underline", "u", "font", "color", "colored", "text",
             "linktext", "nowrap begin", "ipa", "audio", "lang2", "bigger", "midsize", "wikt-lang", "proper name",
             "transliteration2", "hlist", "flatlist", "unbulleted list", "plainlist":
            if name == "hlist" || name == "flatlist" || name == "unbulleted list" || name == "plainlist" {
                var first = true
                for r in p { let (a, b) = s.trimmed(r.0, r.1); guard a < b else { continue }
                    if !first { append(", ", &s) }; first = false; s.render(a, b) }
            } else if name == "resize" || name == "font" || name == "color" || name == "colored" {
                renderArg(arg(p.count >= 2 ? 1 : 0), &s)
            } else if name == "audio" {
                renderArg(arg(1), &s)
            } else {
                renderArg(arg(0), &s)
            }
        case "chem", "chemf", "ce":
            // {{chem|Cs|11|O|3}} → Cs11O3
            for r in p { let (a, b) = s.trimmed(r.0, r.1); if a < b { s.render(a, b) } }
        case "chem2", "vr", "angbr", "angle bracket", "grapheme", "phoneme", "sub", "sup", "subsup", "su":
            renderArg(arg(0), &s)
        case "resize":
            renderArg(arg(p.count >= 2 ? 1 : 0), &s)
        case "quote", "blockquote", "quotation", "cquote", "quote box", "centered pull quote", "poemquote":
            s.out.append(0x0A)
            renderArg(named("text", args, s) ?? named("quote", args, s) ?? arg(0), &s)
            s.out.append(0x0A)
        // Punctuation and spacing templates.
        case "ndash", "en dash", "–": append("–", &s)
        case "mdash", "em dash", "—": append("—", &s)
        case "snd", "spaced ndash", "spaced en dash", "dashsep": append(" – ", &s)
        case "spaced mdash", "spaced em dash": append(" — ", &s)
        case "!": append("|", &s)
        case "=": append("=", &s)
        case "·", "dot", "middot", "dot-sep", "•", "bull", "bullet": append(" · ", &s)
        case "nbsp", "sp", "space", "thinsp", "hair space", "-?": append(" ", &s)
        case "'", "'s", "apostrophe": append(name == "'s" ? "'s" : "'", &s)
        case "\"", "\" '", "' \"": append("\"", &s)
        case "ell", "...": append("…", &s)
        case "pi", "π": append("π", &s)
        case "degree", "°": append("°", &s)
        case "okina": append("ʻ", &s)
        case "shy", "-", "clear", "clr", "break": break
        // Dates and numbers.
        case "circa", "c.", "ca.": append("c. ", &s); renderArg(arg(0), &s)
        case "fl.", "floruit": append("fl. ", &s); renderArg(arg(0), &s)
        case "frac", "fraction", "sfrac":
            let parts = p.map { s.string(s.trimmed($0.0, $0.1).0, s.trimmed($0.0, $0.1).1) }
            if parts.count == 1 { append("1/" + parts[0], &s) }
            else if parts.count == 2 { append(parts[0] + "/" + parts[1], &s) }
            else if parts.count >= 3 { append(parts[0] + " " + parts[1] + "/" + parts[2], &s) }
        case "as of", "as at":
            let lower = named("lc", args, s) != nil
            append(lower ? "as of " : "As of ", &s)
            append(WikiDates.format(year: text(0), month: text(1), day: text(2)), &s)
        case "us$", "usd", "us dollar":
            append("US$", &s); renderArg(arg(0), &s)
        case "£", "gbp": append("£", &s); renderArg(arg(0), &s)
        case "€", "eur", "euro": append("€", &s); renderArg(arg(0), &s)
        case "birth date", "death date", "start date", "end date", "birth date and age", "death date and age",
             "dob", "bda", "dda", "film date", "start date and age", "birth-date", "death-date", "date":
            var y = text(0), m = text(1), d = text(2)
            if name == "death date and age" || name == "dda" { y = text(0); m = text(1); d = text(2) }
            if y.isEmpty { break }
            if Int(y) == nil { append(y, &s); break }
            append(WikiDates.format(year: y, month: m, day: d), &s)
        case "birth year and age", "birth year", "death year and age":
            append(text(0), &s)
        case "pagename", "fullpagename", "pagenamee", "subpagename", "basepagename", "article", "title":
            append(s.title, &s)
        case "currentyear": break
        default:
            break
        }
    }

    /// `{{formatnum:1234567.5}}` → 1,234,567.5 (digits grouped by three; other text as is).
    static func formatNumber(scanner s: inout Scanner, _ a: Int, _ b: Int) {
        var k = a
        var digits = a
        if k < b, s.src[k] == UInt8(ascii: "-") { k &+= 1 }
        digits = k
        while k < b, s.src[k] >= 0x30, s.src[k] <= 0x39 { k &+= 1 }
        let intEnd = k
        if digits == intEnd { s.render(a, b); return }
        if digits > a { s.out.append(UInt8(ascii: "-")) }
        let n = intEnd &- digits
        for i in 0..<n {
            if i > 0 && (n &- i) % 3 == 0 { s.out.append(UInt8(ascii: ",")) }
            s.out.append(s.src[digits &+ i])
        }
        if intEnd < b { s.render(intEnd, b) }
    }
}

enum WikiDates {
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"]

    /// "Month D, YYYY" (or "Month YYYY", or "YYYY") from numeric parts.
    static func format(year: String, month: String, day: String) -> String {
        guard let m = Int(month), (1...12).contains(m) else {
            if !month.isEmpty, Int(month) == nil { return day.isEmpty ? "\(month) \(year)" : "\(month) \(day), \(year)" }
            return year
        }
        if let d = Int(day), (1...31).contains(d) { return "\(months[m - 1]) \(d), \(year)" }
        return "\(months[m - 1]) \(year)"
    }
}

/// `{{convert|5|km|mi}}` → "5 km (3.1 mi)": the value as written, and when the unit is one of a
/// small table, its conversion rounded to the precision the value was given with.
enum WikiConvert {
    struct Unit { let symbol: String; let dimension: Int; let factor: Double; let offset: Double; let target: String }

    static let units: [String: Unit] = {
        var u: [String: Unit] = [:]
        func add(_ names: [String], _ symbol: String, _ dim: Int, _ factor: Double, _ target: String, offset: Double = 0) {
            for n in names { u[n] = Unit(symbol: symbol, dimension: dim, factor: factor, offset: offset, target: target) }
        }
        add(["m", "metre", "meter", "metres", "meters"], "m", 0, 1, "ft")
        add(["km", "kilometre", "kilometer", "kilometres", "kilometers"], "km", 0, 1000, "mi")
        add(["cm", "centimetre", "centimeter"], "cm", 0, 0.01, "in")
        add(["mm", "millimetre", "millimeter"], "mm", 0, 0.001, "in")
        add(["mi", "mile", "miles"], "mi", 0, 1609.344, "km")
        add(["ft", "foot", "feet"], "ft", 0, 0.3048, "m")
        add(["in", "inch", "inches"], "in", 0, 0.0254, "cm")
        add(["yd", "yard", "yards"], "yd", 0, 0.9144, "m")
        add(["nmi", "nautical mile"], "nmi", 0, 1852, "km")
        add(["km2", "sqkm", "km²"], "km²", 1, 1e6, "sqmi")
        add(["sqmi", "mi2", "sq mi"], "sq mi", 1, 2_589_988.110336, "km2")
        add(["m2", "sqm", "m²"], "m²", 1, 1, "sqft")
        add(["sqft", "ft2", "sq ft"], "sq ft", 1, 0.09290304, "m2")
        add(["ha", "hectare", "hectares"], "ha", 1, 1e4, "acre")
        add(["acre", "acres"], "acres", 1, 4046.8564224, "ha")
        add(["kg", "kilogram", "kilograms"], "kg", 2, 1, "lb")
        add(["g", "gram", "grams"], "g", 2, 0.001, "oz")
        add(["lb", "pound", "pounds"], "lb", 2, 0.45359237, "kg")
        add(["oz", "ounce", "ounces"], "oz", 2, 0.028349523125, "g")
        add(["t", "tonne", "tonnes"], "t", 2, 1000, "LT")
        add(["LT", "long ton"], "long tons", 2, 1016.0469088, "t")
        add(["ST", "short ton"], "short tons", 2, 907.18474, "t")
        add(["km/h", "kph", "kmh"], "km/h", 3, 1 / 3.6, "mph")
        add(["mph", "mi/h"], "mph", 3, 0.44704, "km/h")
        add(["kn", "knot", "knots"], "kn", 3, 0.514444, "km/h")
        add(["m/s"], "m/s", 3, 1, "ft/s")
        add(["ft/s"], "ft/s", 3, 0.3048, "m/s")
        add(["C", "°C"], "°C", 4, 1, "F")
        add(["F", "°F"], "°F", 4, 5.0 / 9.0, "C", offset: -32)
        add(["K"], "K", 4, 1, "C", offset: -273.15)
        add(["L", "l", "litre", "liter", "litres", "liters"], "L", 5, 1, "USgal")
        add(["USgal", "US gal", "gal"], "US gal", 5, 3.785411784, "L")
        add(["impgal"], "imp gal", 5, 4.54609, "L")
        add(["m3", "m³"], "m³", 5, 1000, "cuft")
        add(["cuft", "ft3"], "cu ft", 5, 28.316846592, "m3")
        add(["hp"], "hp", 6, 745.69987, "kW")
        add(["kW"], "kW", 6, 1000, "hp")
        add(["W"], "W", 6, 1, "hp")
        return u
    }()

    static let rangeWords: Set<String> = ["-", "–", "to", "and", "or", "by", "x", "×", "+/-", "±", "to(-)", "and(-)", "&"]

    /// `e3`, `e6`... before a unit name (`{{convert|22|e6acre|km2}}`): thousands, millions.
    static let scales: [(prefix: String, word: String, factor: Double)] = [
        ("e3", "thousand", 1e3), ("e6", "million", 1e6), ("e9", "billion", 1e9), ("e12", "trillion", 1e12)]

    static func render(_ args: [String], into out: inout [UInt8]) {
        guard let first = args.first, !first.isEmpty else { return }
        var values = [first]
        var separators: [String] = []
        var k = 1
        while k + 1 < args.count, rangeWords.contains(args[k]) {
            let word = args[k].replacingOccurrencesOfDashMarker()
            separators.append(word == "-" ? "–" : word)
            values.append(args[k + 1])
            k += 2
        }
        var unitName = k < args.count ? args[k] : ""
        var targetName = k + 1 < args.count ? args[k + 1] : ""
        // A number where the target unit goes is the precision (decimals) with the default target.
        var precision: Int?
        if let p = Int(targetName) { precision = p; targetName = "" }
        else if k + 2 < args.count, let p = Int(args[k + 2]) { precision = p }
        var scale = (word: "", factor: 1.0)
        for s in scales where unitName.hasPrefix(s.prefix) && units[String(unitName.dropFirst(s.prefix.count))] != nil {
            scale = (s.word, s.factor)
            unitName = String(unitName.dropFirst(s.prefix.count))
        }
        if let t = scales.first(where: { targetName.hasPrefix($0.prefix) }) { targetName = String(targetName.dropFirst(t.prefix.count)) }
        let unit = units[unitName]
        var text = ""
        for (i, v) in values.enumerated() {
            if i > 0 { let sep = separators[i - 1]; text += (sep == "–" ? sep : " \(sep) ") }
            text += groupedInput(v)
        }
        if !scale.word.isEmpty { text += " " + scale.word }
        if !unitName.isEmpty { text += " " + (unit?.symbol ?? unitName) }
        if let unit, let target = units[targetName] ?? units[unit.target], target.dimension == unit.dimension {
            var converted: [String] = []
            for v in values {
                guard let x = Double(v.replacingCommas()) else { converted = []; break }
                let base = (x + unit.offset) * unit.factor * scale.factor
                var y = base / target.factor - target.offset
                var suffix = ""
                if scale.factor > 1 {
                    // Scaled values stay scaled: 22 million acres (89,000 km²).
                    if y >= 1e9 { y /= 1e9; suffix = " billion" } else if y >= 1e6 { y /= 1e6; suffix = " million" }
                    else if y >= 1e3, scale.factor == 1e3 { y /= 1e3; suffix = " thousand" }
                }
                if let precision {
                    converted.append(format(y, decimals: precision) + suffix)
                } else if unit.dimension == 4 {
                    // Temperatures keep the decimals they were given (100 °C → 212 °F); other
                    // quantities keep their significant digits (at least two: 5 km → 3.1 mi).
                    converted.append(format(y, significant: max(1, Int(floor(log10(max(1, abs(y))))) + 1 + decimals(v))) + suffix)
                } else {
                    converted.append(format(y, significant: max(2, significantDigits(v))) + suffix)
                }
            }
            if !converted.isEmpty {
                var c = ""
                for (i, v) in converted.enumerated() {
                    if i > 0 { let sep = separators[i - 1]; c += (sep == "–" ? sep : " \(sep) ") }
                    c += v
                }
                text += " (" + c + " " + target.symbol + ")"
            }
        }
        out.append(contentsOf: text.utf8)
    }

    /// The value as convert shows it: integer parts of four digits or more grouped by three
    /// (`52419` → `52,419`); anything else as written.
    static func groupedInput(_ v: String) -> String {
        guard !v.isEmpty, v.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }) else { return v }
        let negative = v.hasPrefix("-")
        let body = negative ? String(v.dropFirst()) : v
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, whole.count >= 4, whole.allSatisfy(\.isNumber) else { return v }
        var out = negative ? "-" : ""
        out += group(String(whole))
        if parts.count > 1 { out += "." + parts[1] }
        return out
    }

    /// `y` with exactly `decimals` decimals (negative: rounded to tens, hundreds...).
    static func format(_ y: Double, decimals: Int) -> String {
        guard y.isFinite else { return "" }
        if decimals <= 0 {
            let unit = pow(10.0, Double(-decimals))
            return group(String(Int64((y / unit).rounded() * unit)))
        }
        let magnitude = y == 0 ? 0 : Int(floor(log10(abs(y))))
        return format(y, significant: max(1, magnitude + 1 + decimals))
    }

    static func decimals(_ v: String) -> Int {
        guard let point = v.firstIndex(of: ".") else { return 0 }
        return v[v.index(after: point)...].filter(\.isNumber).count
    }

    static func significantDigits(_ v: String) -> Int {
        var n = 0
        var leading = true
        var sawPoint = false
        var trailingZeros = 0
        for ch in v {
            if ch == "." { sawPoint = true; continue }
            guard let d = ch.wholeNumberValue else { continue }
            if leading && d == 0 { continue }
            leading = false
            n += 1
            trailingZeros = d == 0 ? trailingZeros + 1 : 0
        }
        // "1500" has two significant digits; "1500.0" has five.
        return sawPoint ? n : max(1, n - trailingZeros)
    }

    static func format(_ y: Double, significant: Int) -> String {
        guard y.isFinite else { return "" }
        if y == 0 { return "0" }
        let magnitude = Int(floor(log10(abs(y))))
        let decimals = max(0, significant - 1 - magnitude)
        let scale = pow(10.0, Double(decimals))
        var rounded = (y * scale).rounded() / scale
        if decimals == 0 {
            let unit = pow(10.0, Double(max(0, magnitude - significant + 1)))
            rounded = (y / unit).rounded() * unit
            return group(String(Int64(rounded)))
        }
        let negative = rounded < 0
        let a = abs(rounded)
        let whole = Int64(a)
        var frac = Int64(((a - Double(whole)) * scale).rounded())
        var fracDigits = decimals
        var wholeText = String(whole)
        if frac >= Int64(scale) { wholeText = String(whole + 1); frac = 0 }
        while fracDigits > 0 && frac % 10 == 0 { frac /= 10; fracDigits -= 1 }
        var text = (negative ? "-" : "") + group(wholeText)
        if fracDigits > 0 {
            var f = String(frac)
            while f.count < fracDigits { f = "0" + f }
            text += "." + f
        }
        return text
    }

    static func group(_ digits: String) -> String {
        var d = digits
        var sign = ""
        if d.hasPrefix("-") { sign = "-"; d.removeFirst() }
        guard d.count > 3 else { return sign + d }
        var out = ""
        for (i, ch) in d.enumerated() {
            if i > 0 && (d.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return sign + out
    }
}

extension String {
    func replacingCommas() -> String { String(filter { $0 != "," }) }
    /// `to(-)`, `and(-)` → `to`, `and`.
    func replacingOccurrencesOfDashMarker() -> String { hasSuffix("(-)") ? String(dropLast(3)) : self }
}
