/// Size statistics of document texts, counted on UTF-8 bytes and summed over documents.
///
/// Definitions (per text; totals are sums):
/// - `bytes`: UTF-8 bytes.
/// - `characters`: Unicode scalars, counted as the bytes that are not continuation bytes
///   (`10xxxxxx`). On valid UTF-8 this equals Python's `len(str)`; on invalid input it is still
///   well defined (each lead or stray byte counts one, stray continuation bytes none).
/// - `words`: maximal runs of non-whitespace, whitespace being Unicode's White_Space property:
///   U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F,
///   U+205F, U+3000. (Python's `str.split()` also splits on U+001C–U+001F, which are not
///   White_Space.) A whitespace character is recognized by its exact UTF-8 bytes; any other
///   byte, invalid ones included, belongs to a word.
/// - `lines`: the number of '\n', plus one when the text is non-empty and does not end in '\n'.
/// - `documents`: texts added; `malformed`: records skipped as malformed by the reader.
public struct TextCounts: Sendable, Equatable, CustomStringConvertible {
    public var documents = 0
    public var bytes = 0
    public var characters = 0
    public var words = 0
    public var lines = 0
    public var malformed = 0

    public init() {}

    public init(documents: Int, bytes: Int, characters: Int, words: Int, lines: Int, malformed: Int = 0) {
        self.documents = documents
        self.bytes = bytes
        self.characters = characters
        self.words = words
        self.lines = lines
        self.malformed = malformed
    }

    /// Adds one document's text.
    public mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(text: $0) }
    }

    /// Adds one document's text given as UTF-8 bytes.
    ///
    /// The loop is shaped for speed on corpus text:
    /// - 16-byte blocks go through SIMD whenever no multibyte whitespace character starts in them
    ///   (nearly always: such characters are rare even in CJK text). In such a block every byte
    ///   >= 0x80 is part of a non-space character, so the ASCII space test decides for all lanes.
    ///   A word starts at each non-space byte whose predecessor is a space: the block is compared
    ///   with the same 16 bytes one position earlier (a second unaligned load at `i - 1`).
    ///   Word starts, newlines and continuation bytes are added into per-lane byte counters;
    ///   nothing crosses lanes inside the loop (no movemask, no popcount: baseline x86-64 has no
    ///   POPCNT, and Swift's reductions compile to long shuffle chains), and the counters are
    ///   summed every 255 blocks, before a lane can wrap.
    /// - The cheap test comes first: two UInt64 loads ORed against the 0x80 bits say whether a
    ///   block is all ASCII (`any(v .>= 0x80)` compiles to a horizontal max, many times slower; see `anyLane`).
    ///   Only blocks with a possible whitespace lead byte (C2, E1, E2, E3) load the next two
    ///   positions and check the exact sequences.
    /// - Splats are hoisted out of the loop (a splat rebuilt per compare is ~400x slower).
    /// - Blocks where a multibyte whitespace character starts (and the first and last bytes of
    ///   the text) go byte by byte; there a whitespace character is consumed whole, so SIMD
    ///   always resumes on a character boundary.
    /// - Index and counter arithmetic uses `&+`: overflow checks would block vectorization, and
    ///   none can overflow (counts are bounded by the buffer size).
    public mutating func add(text: UnsafeBufferPointer<UInt8>) {
        documents &+= 1
        let n = text.count
        bytes &+= n
        guard let p = text.baseAddress, n > 0 else { return }

        var continuationBytes = 0
        var newlines = 0
        var wordCount = 0
        var inWord: UInt32 = 0 // 1 while inside a word (the previous character was not whitespace)
        var i = 0

        let raw = UnsafeRawPointer(p)
        let space = SIMD16<UInt8>(repeating: 0x20)
        let tab = SIMD16<UInt8>(repeating: 0x09)
        let five = SIMD16<UInt8>(repeating: 5)
        let newline = SIMD16<UInt8>(repeating: 0x0A)
        let zero = SIMD16<UInt8>(repeating: 0)
        let one = SIMD16<UInt8>(repeating: 1)
        let topTwoBits = SIMD16<UInt8>(repeating: 0xC0)
        let continuation = SIMD16<UInt8>(repeating: 0x80)
        let xC2 = SIMD16<UInt8>(repeating: 0xC2), xE1 = SIMD16<UInt8>(repeating: 0xE1)
        let two = SIMD16<UInt8>(repeating: 2)
        let x80 = SIMD16<UInt8>(repeating: 0x80), x81 = SIMD16<UInt8>(repeating: 0x81)
        let x85 = SIMD16<UInt8>(repeating: 0x85), x8A = SIMD16<UInt8>(repeating: 0x8A)
        let x9A = SIMD16<UInt8>(repeating: 0x9A), x9F = SIMD16<UInt8>(repeating: 0x9F)
        let xA0 = SIMD16<UInt8>(repeating: 0xA0), xA8 = SIMD16<UInt8>(repeating: 0xA8)
        let xA9 = SIMD16<UInt8>(repeating: 0xA9), xAF = SIMD16<UInt8>(repeating: 0xAF)
        let xE2 = SIMD16<UInt8>(repeating: 0xE2), xE3 = SIMD16<UInt8>(repeating: 0xE3)
        let highBits: UInt64 = 0x8080_8080_8080_8080

        @inline(__always) func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || b &- 0x09 < 5 }

        /// No multibyte whitespace character starts in p[at..<at+16] (reads up to at+18).
        @inline(__always) func isSIMDSafe(_ at: Int) -> Bool {
            guard (raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                    | raw.loadUnaligned(fromByteOffset: at &+ 8, as: UInt64.self)) & highBits != 0 else { return true }
            let b0 = raw.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self)
            // C2, or E1...E3 (one wrapping subtract and compare).
            guard anyLane((b0 .== xC2) .| ((b0 &- xE1) .<= two)) else { return true }
            let b1 = raw.loadUnaligned(fromByteOffset: at &+ 1, as: SIMD16<UInt8>.self)
            let b2 = raw.loadUnaligned(fromByteOffset: at &+ 2, as: SIMD16<UInt8>.self)
            let nel = (b0 .== xC2) .& ((b1 .== x85) .| (b1 .== xA0))                       // U+0085, U+00A0
            let ogham = (b0 .== xE1) .& (b1 .== x9A) .& (b2 .== x80)                         // U+1680
            let general = (b0 .== xE2) .& (((b1 .== x80) .& (((b2 &- x80) .<= x8A &- x80) .| (b2 .== xA8)
                                                               .| (b2 .== xA9) .| (b2 .== xAF)))
                                              .| ((b1 .== x81) .& (b2 .== x9F)))             // U+2000-200A, 2028, 2029, 202F, 205F
            let ideographic = (b0 .== xE3) .& (b1 .== x80) .& (b2 .== x80)                   // U+3000
            return !anyLane(nel .| ogham .| general .| ideographic)
        }

        while i < n {
            if i > 0 && i &+ 18 <= n && isSIMDSafe(i) {
                // A run of SIMD blocks. The lane-0 predecessor p[i-1] may end a multibyte
                // whitespace character (consumed by the byte loop), which the ASCII test sees as
                // non-space: correct for it once here. Inside the run, no predecessor can.
                if inWord == 0 && p[i &- 1] >= 0x80 && !isASCIISpace(p[i]) { wordCount &+= 1 }
                var startLanes = zero
                var newlineLanes = zero
                var continuationLanes = zero
                var blocks = 0
                repeat {
                    let v = raw.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
                    let previous = raw.loadUnaligned(fromByteOffset: i &- 1, as: SIMD16<UInt8>.self)
                    // \t \n \v \f \r are 9...13: one wrapping subtract and compare covers them.
                    let spaceHere = (v .== space) .| ((v &- tab) .< five)
                    let spaceBefore = (previous .== space) .| ((previous &- tab) .< five)
                    startLanes &+= zero.replacing(with: one, where: .!spaceHere .& spaceBefore)
                    newlineLanes &+= zero.replacing(with: one, where: v .== newline)
                    continuationLanes &+= zero.replacing(with: one, where: (v & topTwoBits) .== continuation)
                    i &+= 16
                    blocks &+= 1
                    if blocks == 255 {
                        wordCount &+= TextCounts.laneSum(startLanes)
                        newlines &+= TextCounts.laneSum(newlineLanes)
                        continuationBytes &+= TextCounts.laneSum(continuationLanes)
                        startLanes = zero
                        newlineLanes = zero
                        continuationLanes = zero
                        blocks = 0
                    }
                } while i &+ 18 <= n && isSIMDSafe(i)
                wordCount &+= TextCounts.laneSum(startLanes)
                newlines &+= TextCounts.laneSum(newlineLanes)
                continuationBytes &+= TextCounts.laneSum(continuationLanes)
                inWord = isASCIISpace(p[i &- 1]) ? 0 : 1
                continue
            }
            // Byte by byte to the end of this block (a multibyte character may overrun it).
            let blockEnd = min(i &+ 16, n)
            while i < blockEnd {
                let b = p[i]
                if b < 0x80 {
                    let isSpace: UInt32 = isASCIISpace(b) ? 1 : 0
                    wordCount &+= Int((isSpace ^ 1) & (inWord ^ 1))
                    inWord = isSpace ^ 1
                    newlines &+= b == 0x0A ? 1 : 0
                    i &+= 1
                    continue
                }
                if b & 0xC0 == 0x80 {
                    continuationBytes &+= 1
                } else {
                    let length = TextCounts.whitespaceLength(p, i, n, lead: b)
                    if length > 0 {
                        inWord = 0
                        continuationBytes &+= length &- 1
                        i &+= length
                        continue
                    }
                }
                wordCount &+= Int(inWord ^ 1)
                inWord = 1
                i &+= 1
            }
        }

        characters &+= n &- continuationBytes
        words &+= wordCount
        lines &+= newlines &+ (p[n &- 1] == 0x0A ? 0 : 1)
    }

    /// The sum of the 16 byte lanes (called once per run or per 255 blocks, so plain code).
    @inline(__always)
    static func laneSum(_ lanes: SIMD16<UInt8>) -> Int {
        var sum = 0
        for k in 0..<16 { sum &+= Int(lanes[k]) }
        return sum
    }

    /// The byte length of the multibyte White_Space character starting at `p[i]` (lead byte
    /// `lead`), or 0 when none starts there.
    @inline(__always)
    static func whitespaceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int, lead: UInt8) -> Int {
        switch lead {
        case 0xC2: // U+0085 (C2 85), U+00A0 (C2 A0)
            guard i &+ 1 < n else { return 0 }
            let c = p[i &+ 1]
            return c == 0x85 || c == 0xA0 ? 2 : 0
        case 0xE1: // U+1680 (E1 9A 80)
            guard i &+ 2 < n else { return 0 }
            return p[i &+ 1] == 0x9A && p[i &+ 2] == 0x80 ? 3 : 0
        case 0xE2:
            guard i &+ 2 < n else { return 0 }
            let c1 = p[i &+ 1], c2 = p[i &+ 2]
            if c1 == 0x80 {
                // U+2000...U+200A (E2 80 80...8A), U+2028, U+2029, U+202F
                return c2 &- 0x80 <= 0x0A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF ? 3 : 0
            }
            return c1 == 0x81 && c2 == 0x9F ? 3 : 0 // U+205F
        case 0xE3: // U+3000 (E3 80 80)
            guard i &+ 2 < n else { return 0 }
            return p[i &+ 1] == 0x80 && p[i &+ 2] == 0x80 ? 3 : 0
        default:
            return 0
        }
    }

    /// Adds another set of counts to this one.
    public mutating func merge(_ other: TextCounts) {
        documents &+= other.documents
        bytes &+= other.bytes
        characters &+= other.characters
        words &+= other.words
        lines &+= other.lines
        malformed &+= other.malformed
    }

    public static func + (a: TextCounts, b: TextCounts) -> TextCounts {
        var sum = a
        sum.merge(b)
        return sum
    }

    public static func += (a: inout TextCounts, b: TextCounts) { a.merge(b) }

    public var description: String {
        "\(documents) documents, \(bytes) bytes, \(characters) characters, \(words) words, \(lines) lines, \(malformed) malformed"
    }

    /// Counts the texts of every document of a JSON Lines stream on `threads` cores. Malformed
    /// lines are skipped and counted in `malformed`; the first `maxErrorsKept` of them are
    /// returned. Damage to the stream itself is thrown.
    public static func ofJSONL(reader: ByteReader, threads: Int = Cores.available,
                               maxErrorsKept: Int = 100) throws -> (TextCounts, [QuernIOError]) {
        let jsonl = JSONLReader(reader, maxErrorsKept: maxErrorsKept)
        var total = TextCounts()
        try total.add(jsonl: jsonl, threads: threads)
        return (total, jsonl.errors)
    }

    /// Adds the counts of the rest of a JSON Lines stream, batch by batch, so that when the
    /// stream turns out damaged `self` still holds what was read before the damage.
    /// `afterEachBatch` sees the running total (for progress).
    public mutating func add(jsonl: JSONLReader, threads: Int = Cores.available,
                             afterEachBatch: (TextCounts) -> Void = { _ in }) throws {
        let malformedBefore = jsonl.malformedLines
        defer { malformed &+= jsonl.malformedLines &- malformedBefore }
        try jsonl.forEachBatch(threads: threads, work: { documents in
            var counts = TextCounts()
            for document in documents { counts.add(document.text) }
            return counts
        }, deliver: { batch in
            self += batch
            afterEachBatch(self)
        })
    }
}
