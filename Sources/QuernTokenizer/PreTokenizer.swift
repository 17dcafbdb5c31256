// Pre-tokenization for byte-level BPE: the regexes of GPT-2, cl100k_base, o200k_base and Llama 3,
// reproduced by hand over UTF-8 bytes. tiktoken spends most of its time in its regex engine; these
// scanners walk the text once, classify each scalar with a table lookup, and return piece ends
// exactly where the regex engines (fancy-regex in tiktoken, Oniguruma in tokenizers) end matches.
//
// Each scanner follows its regex's alternatives in order with the engines' leftmost-first,
// greedy-with-backtracking semantics; the comments next to each branch name the alternative.

/// One of the pre-tokenization regexes of the byte-level BPE vocabularies Quern reads and writes.
///
/// Splitting is identical to the regex engines of tiktoken 0.14 and tokenizers 0.23 on valid
/// UTF-8, including their Unicode 16.0 character classes (Swift's own tables may be newer: see
/// ``PreTokenizerPattern/unicodeVersion``).
public enum PreTokenizerPattern: String, Sendable, CaseIterable {
    /// GPT-2 (also r50k_base/p50k_base and HF's `ByteLevel(use_regex: true)`).
    case gpt2
    /// GPT-4's cl100k_base, as tiktoken_ext/openai_public.py spells it.
    case cl100kBase = "cl100k_base"
    /// GPT-4o's o200k_base, as tiktoken_ext/openai_public.py spells it.
    case o200kBase = "o200k_base"
    /// Llama 3 (llama-models' tokenizer.py). Differs from cl100k_base only on a whitespace run
    /// that reaches the end of the text and holds a newline: cl100k keeps it whole (`\s++$`),
    /// Llama 3 ends a piece after its last newline.
    case llama3

    /// The Unicode version of the character classes (what tiktoken's and tokenizers' regex
    /// engines use). Scalars assigned later count as unassigned (neither letter, number nor
    /// whitespace), as they do there.
    public static let unicodeVersion = (major: 16, minor: 0)

    /// The preset with this name: `gpt2`, `cl100k_base`, `o200k_base` or `llama3`.
    public init?(name: String) { self.init(rawValue: name) }

    /// The regex as its reference spells it.
    public var regex: String {
        switch self {
        case .gpt2:
            return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .cl100kBase:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .o200kBase:
            return [
                #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
                #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
                #"\p{N}{1,3}"#,
                #" ?[^\s\p{L}\p{N}]+[\r\n/]*"#,
                #"\s*[\r\n]+"#,
                #"\s+(?!\S)"#,
                #"\s+"#,
            ].joined(separator: "|")
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The regex spelled so that Oniguruma (the engine of HF `tokenizers`, Ruby syntax) reads it
    /// with the same meaning; this is what ``HFTokenizerJSON`` writes into a `Split`. Only
    /// cl100k_base needs a change: Oniguruma reads `{1,3}+` as "one or more runs of 1 to 3", not
    /// as a possessive `{1,3}`.
    public var onigurumaRegex: String {
        switch self {
        case .cl100kBase:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        default:
            return regex
        }
    }

    /// The preset a tokenizer.json `Split` regex stands for under Oniguruma, when it is one of
    /// the known spellings (exact text). tiktoken's own cl100k_base spelling is not one of them:
    /// under Oniguruma its `\p{N}{1,3}+` does not group digits by three.
    public init?(onigurumaRegex pattern: String) {
        let known: [(String, PreTokenizerPattern)] = [
            (PreTokenizerPattern.gpt2.regex, .gpt2),
            (#"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#, .gpt2),
            (PreTokenizerPattern.cl100kBase.onigurumaRegex, .cl100kBase),
            (PreTokenizerPattern.o200kBase.regex, .o200kBase),
            (PreTokenizerPattern.llama3.regex, .llama3),
            // Llama 3 as HF's conversion of the original tokenizer writes it.
            (#"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#, .llama3),
        ]
        for (text, preset) in known where byteLevelUTF8Equal(text, pattern) {
            self = preset
            return
        }
        return nil
    }

    /// Calls `body` with each piece of `text`, in order. Invalid UTF-8 is first replaced by
    /// U+FFFD as the tokenizers do (``TiktokenTokenizer``), so the pieces are those of the
    /// repaired text.
    public func forEachPiece(in text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        _ = ByteLevelUTF8.withValid(text) { p, n in
            split(validUTF8: UnsafeBufferPointer(start: p, count: n)) { range in
                body(UnsafeBufferPointer(start: p + range.lowerBound, count: range.count))
            }
        }
    }

    /// Calls `body` with the byte range of each piece of `text`, in order; the pieces tile the
    /// text. `text` must be valid UTF-8 (checked: invalid UTF-8 stops the program, it would make
    /// the scanners read past the end).
    public func split(validUTF8 text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        let n = text.count
        precondition(ByteLevelUTF8.isValid(base, n), "PreTokenizerPattern.split(validUTF8:) needs valid UTF-8")
        PreTokenizerClassTable.withTable { table in
            var i = 0
            while i < n {
                let end = PreTokenizerScanner.next(self, base, n, i, table)
                body(i..<end)
                i = end
            }
        }
    }

    /// `split(validUTF8:)` without the check, for text already known to be valid.
    @inline(__always)
    func splitValid(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        let n = text.count
        PreTokenizerClassTable.withTable { table in
            var i = 0
            while i < n {
                let end = PreTokenizerScanner.next(self, base, n, i, table)
                body(i..<end)
                i = end
            }
        }
    }

    /// The pieces of `text` (convenience for tests and tools).
    public func pieces(_ text: String) -> [String] {
        var result: [String] = []
        var text = text
        text.withUTF8 { bytes in
            splitValid(bytes) { range in
                result.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
            }
        }
        return result
    }
}

@inline(__always)
func byteLevelUTF8Equal(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

// MARK: - Character classes

/// What the regexes ask of a scalar, one bit each.
enum PreTokenizerClass {
    /// \p{L}: Lu, Ll, Lt, Lm, Lo.
    static let letter: UInt8 = 0x01
    /// \p{N}: Nd, Nl, No.
    static let number: UInt8 = 0x02
    /// \s: the White_Space property.
    static let space: UInt8 = 0x04
    /// \r or \n.
    static let newline: UInt8 = 0x08
    /// o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}].
    static let upper: UInt8 = 0x10
    /// o200k's [\p{Ll}\p{Lm}\p{Lo}\p{M}].
    static let lower: UInt8 = 0x20
    /// \p{M}: Mn, Mc, Me.
    static let mark: UInt8 = 0x40

    /// Letters, numbers and whitespace: what [^\s\p{L}\p{N}] excludes.
    static let letterNumberSpace: UInt8 = letter | number | space
    /// What [^\r\n\p{L}\p{N}] excludes.
    static let newlineLetterNumber: UInt8 = newline | letter | number

    /// The class bits of one scalar under Unicode 16.0 (see ``PreTokenizerPattern/unicodeVersion``).
    static func of(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }  // surrogate code points
        if value == 0x0A || value == 0x0D { return space | newline }
        let properties = scalar.properties
        guard let age = properties.age,
              (age.major, age.minor) <= PreTokenizerPattern.unicodeVersion else { return 0 }
        var bits: UInt8 = properties.isWhitespace ? space : 0
        // U+0295 was Ll until Unicode 17.0 made it Lo.
        let category = value == 0x0295 ? .lowercaseLetter : properties.generalCategory
        switch category {
        case .uppercaseLetter, .titlecaseLetter: bits |= letter | upper
        case .lowercaseLetter: bits |= letter | lower
        case .modifierLetter, .otherLetter: bits |= letter | upper | lower
        case .nonspacingMark, .spacingMark, .enclosingMark: bits |= mark | upper | lower
        case .decimalNumber, .letterNumber, .otherNumber: bits |= number
        default: break
        }
        return bits
    }
}

/// Class bits of every scalar below U+30000 (planes 0–2: every script and emoji in use), built
/// once on first use; the rare scalars above are classified on the spot.
enum PreTokenizerClassTable {
    static let count = 0x30000
    static let table: [UInt8] = {
        var table = [UInt8](repeating: 0, count: count)
        for value in 0..<count { table[value] = PreTokenizerClass.of(UInt32(value)) }
        return table
    }()

    @inline(__always)
    static func withTable<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
        table.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

// MARK: - Scanners

/// The four regexes as functions from a piece start to its end. All take valid UTF-8 `p[0..<n]`,
/// a start `i < n` and the class table; all consume at least one scalar.
enum PreTokenizerScanner {
    typealias C = PreTokenizerClass

    @inline(__always)
    static func next(_ pattern: PreTokenizerPattern, _ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int,
                     _ t: UnsafePointer<UInt8>) -> Int {
        switch pattern {
        case .gpt2: return gpt2(p, n, i, t)
        case .cl100kBase: return cl100k(p, n, i, t, endRunWhole: true)
        case .llama3: return cl100k(p, n, i, t, endRunWhole: false)
        case .o200kBase: return o200k(p, n, i, t)
        }
    }

    /// Class bits and byte length of the scalar at `i`.
    @inline(__always)
    static func classify(_ p: UnsafePointer<UInt8>, _ i: Int, _ t: UnsafePointer<UInt8>) -> (UInt8, Int) {
        let b0 = p[i]
        if b0 < 0x80 { return (t[Int(b0)], 1) }
        if b0 < 0xE0 {
            let v = (Int(b0 & 0x1F) &<< 6) | Int(p[i &+ 1] & 0x3F)
            return (t[v], 2)
        }
        if b0 < 0xF0 {
            let v = (Int(b0 & 0x0F) &<< 12) | (Int(p[i &+ 1] & 0x3F) &<< 6) | Int(p[i &+ 2] & 0x3F)
            return (t[v], 3)
        }
        let v = (Int(b0 & 0x07) &<< 18) | (Int(p[i &+ 1] & 0x3F) &<< 12)
            | (Int(p[i &+ 2] & 0x3F) &<< 6) | Int(p[i &+ 3] & 0x3F)
        return (v < PreTokenizerClassTable.count ? t[v] : PreTokenizerClass.of(UInt32(v)), 4)
    }

    /// End of the run of scalars from `i` whose class has a bit of `mask`.
    @inline(__always)
    static func run(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ mask: UInt8, _ t: UnsafePointer<UInt8>) -> Int {
        var j = i
        while j < n {
            let b = p[j]
            if b < 0x80 {
                if t[Int(b)] & mask == 0 { break }
                j &+= 1
                continue
            }
            let (c, l) = classify(p, j, t)
            if c & mask == 0 { break }
            j &+= l
        }
        return j
    }

    /// End of the run of [^\s\p{L}\p{N}] from `i`.
    @inline(__always)
    static func runOther(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ t: UnsafePointer<UInt8>) -> Int {
        var j = i
        while j < n {
            let (c, l) = classify(p, j, t)
            if c & C.letterNumberSpace != 0 { break }
            j &+= l
        }
        return j
    }

    /// End of a run of '\r' and '\n' (and '/' when `slash`).
    @inline(__always)
    static func runNewlines(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, slash: Bool) -> Int {
        var j = i
        while j < n {
            let b = p[j]
            guard b == 0x0A || b == 0x0D || (slash && b == 0x2F) else { break }
            j &+= 1
        }
        return j
    }

    /// End of at most three \p{N} scalars from `i` (the first is known to be one).
    @inline(__always)
    static func upToThreeNumbers(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ first: Int,
                                 _ t: UnsafePointer<UInt8>) -> Int {
        var j = i &+ first
        var taken = 1
        while taken < 3 && j < n {
            let (c, l) = classify(p, j, t)
            if c & C.number == 0 { break }
            j &+= l
            taken &+= 1
        }
        return j
    }

    /// Start of the last scalar before `end`.
    @inline(__always)
    static func lastScalarStart(_ p: UnsafePointer<UInt8>, _ end: Int) -> Int {
        var k = end &- 1
        while p[k] & 0xC0 == 0x80 { k &-= 1 }
        return k
    }

    /// Index of the last '\r' or '\n' in `p[from..<end]`.
    @inline(__always)
    static func lastNewline(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> Int? {
        var k = end
        while k > from {
            k &-= 1
            if p[k] == 0x0A || p[k] == 0x0D { return k }
        }
        return nil
    }

    /// End of a contraction ('s 't 're 've 'm 'll 'd) at `i`, which holds an apostrophe. With
    /// `ignoringCase`, letters match in either case and "s" also matches U+017F (ſ), as Unicode
    /// case folding makes both engines do.
    @inline(__always)
    static func contraction(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, ignoringCase: Bool) -> Int? {
        guard i &+ 1 < n, p[i] == 0x27 else { return nil }
        let fold: UInt8 = ignoringCase ? 0x20 : 0
        let a = p[i &+ 1]
        let la = a | fold
        if la == 0x73 || la == 0x74 || la == 0x6D || la == 0x64 { return i &+ 2 }  // s t m d
        if ignoringCase && a == 0xC5 && i &+ 2 < n && p[i &+ 2] == 0xBF { return i &+ 3 }  // ſ
        guard i &+ 2 < n else { return nil }
        let lb = p[i &+ 2] | fold
        if (la == 0x6C && lb == 0x6C) || (la == 0x76 && lb == 0x65) || (la == 0x72 && lb == 0x65) {
            return i &+ 3  // ll ve re
        }
        return nil
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    @inline(__always)
    static func gpt2(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ t: UnsafePointer<UInt8>) -> Int {
        let b = p[i]
        if b == 0x27, let end = contraction(p, n, i, ignoringCase: false) { return end }
        // ` ?X+` for X in letters, numbers, others: with the space when one leads, else without.
        let j = (b == 0x20 && i &+ 1 < n) ? i &+ 1 : i
        let (c, l) = classify(p, j, t)
        if c & C.letter != 0 { return run(p, n, j &+ l, C.letter, t) }
        if c & C.number != 0 { return run(p, n, j &+ l, C.number, t) }
        if c & C.letterNumberSpace == 0 { return runOther(p, n, j &+ l, t) }
        // Whitespace at i: `\s+(?!\S)` leaves the last scalar of a run before a non-space for the
        // next piece; `\s+` takes a run of one.
        let end = run(p, n, i, C.space, t)
        if end == n { return end }
        let last = lastScalarStart(p, end)
        return last > i ? last : end
    }

    /// cl100k_base (`endRunWhole`) and Llama 3:
    /// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    @inline(__always)
    static func cl100k(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ t: UnsafePointer<UInt8>,
                       endRunWhole: Bool) -> Int {
        let b = p[i]
        if b == 0x27, let end = contraction(p, n, i, ignoringCase: true) { return end }
        let (c0, l0) = classify(p, i, t)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if c0 & C.letter != 0 { return run(p, n, i &+ l0, C.letter, t) }
        if c0 & C.newlineLetterNumber == 0 && i &+ l0 < n {
            let (c1, l1) = classify(p, i &+ l0, t)
            if c1 & C.letter != 0 { return run(p, n, i &+ l0 &+ l1, C.letter, t) }
        }
        // \p{N}{1,3}
        if c0 & C.number != 0 { return upToThreeNumbers(p, n, i, l0, t) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        if b == 0x20 && i &+ 1 < n {
            let (c1, l1) = classify(p, i &+ 1, t)
            if c1 & C.letterNumberSpace == 0 {
                return runNewlines(p, n, runOther(p, n, i &+ 1 &+ l1, t), slash: false)
            }
        }
        if c0 & C.letterNumberSpace == 0 {
            return runNewlines(p, n, runOther(p, n, i &+ l0, t), slash: false)
        }
        return whitespace(p, n, i, l0, t, endRunWhole: endRunWhole)
    }

    /// The whitespace alternatives, at a whitespace scalar of length `l0` at `i`:
    /// cl100k `\s++$|\s*[\r\n]|\s+(?!\S)|\s` (`endRunWhole`) or
    /// Llama 3 / o200k `\s*[\r\n]+|\s+(?!\S)|\s+`.
    @inline(__always)
    static func whitespace(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ l0: Int,
                           _ t: UnsafePointer<UInt8>, endRunWhole: Bool) -> Int {
        let end = run(p, n, i &+ l0, C.space, t)
        if endRunWhole && end == n { return end }
        // \s*[\r\n]: greedy \s* backs off to the run's last newline.
        if let k = lastNewline(p, i, end) { return k &+ 1 }
        if end == n { return end }
        let last = lastScalarStart(p, end)
        return last > i ? last : end
    }

    /// o200k_base (see ``PreTokenizerPattern/o200kBase``'s regex).
    @inline(__always)
    static func o200k(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, _ t: UnsafePointer<UInt8>) -> Int {
        let (c0, l0) = classify(p, i, t)
        // The two letter alternatives, each first with the optional [^\r\n\p{L}\p{N}] taken.
        let prefixable = c0 & C.newlineLetterNumber == 0
        if c0 & (C.letter | C.mark) != 0 || prefixable {
            if prefixable, let end = o200kCasedWord(p, n, i &+ l0, t) { return end }
            if let end = o200kCasedWord(p, n, i, t) { return end }
            if prefixable, let end = o200kUpperWord(p, n, i &+ l0, t) { return end }
            if let end = o200kUpperWord(p, n, i, t) { return end }
        }
        if c0 & C.number != 0 { return upToThreeNumbers(p, n, i, l0, t) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
        let b = p[i]
        if b == 0x20 && i &+ 1 < n {
            let (c1, l1) = classify(p, i &+ 1, t)
            if c1 & C.letterNumberSpace == 0 {
                return runNewlines(p, n, runOther(p, n, i &+ 1 &+ l1, t), slash: true)
            }
        }
        if c0 & C.letterNumberSpace == 0 {
            return runNewlines(p, n, runOther(p, n, i &+ l0, t), slash: true)
        }
        return whitespace(p, n, i, l0, t, endRunWhole: false)
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`
    /// from `s`, with the backtracking of the greedy first class into the second.
    @inline(__always)
    static func o200kCasedWord(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int, _ t: UnsafePointer<UInt8>) -> Int? {
        let u = run(p, n, s, C.upper, t)
        if u < n {
            let (c, l) = classify(p, u, t)
            if c & C.lower != 0 {
                let end = run(p, n, u &+ l, C.lower, t)
                return contraction(p, n, end, ignoringCase: true) ?? end
            }
        }
        // Give back scalars of the first run until one can start the second (it is then the
        // whole second run: the scalars after it in the first run are Lu/Lt only).
        var k = u
        while k > s {
            k = lastScalarStart(p, k)
            let (c, l) = classify(p, k, t)
            if c & C.lower != 0 {
                let end = k &+ l
                return contraction(p, n, end, ignoringCase: true) ?? end
            }
        }
        return nil
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?` from `s`.
    @inline(__always)
    static func o200kUpperWord(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: Int, _ t: UnsafePointer<UInt8>) -> Int? {
        guard s < n else { return nil }
        let (c, l) = classify(p, s, t)
        guard c & C.upper != 0 else { return nil }
        let end = run(p, n, run(p, n, s &+ l, C.upper, t), C.lower, t)
        return contraction(p, n, end, ignoringCase: true) ?? end
    }
}
