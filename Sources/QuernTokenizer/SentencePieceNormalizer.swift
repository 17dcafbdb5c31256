/// SentencePiece's text normalization, byte for byte as sentencepiece 0.2.3 applies it before
/// segmentation (normalizer.cc):
///
/// 1. The input is consumed one *prefix* at a time: a user-defined symbol (kept verbatim), else
///    the longest rule of the precompiled charsmap (NFKC and friends), else one UTF-8 character;
///    a malformed byte becomes U+FFFD (one byte consumed). Nothing here depends on byte_fallback:
///    invalid input bytes never reach the byte pieces.
/// 2. `remove_extra_whitespaces`: leading prefixes that normalize to exactly " " are dropped,
///    spaces that follow a space are dropped, and trailing spaces ("▁" once escaped) are removed.
/// 3. `add_dummy_prefix`: one space in front (behind, with `treat_whitespace_as_suffix`); added
///    only when something is left after dropping leading spaces.
/// 4. `escape_whitespaces`: every space byte is written as "▁" (U+2581).
struct SentencePieceNormalizer: Sendable {
    let charsMap: SPCharsMap?
    /// User-defined symbols, matched (longest first) before any normalization.
    let userSymbols: SPByteTrie?
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let treatWhitespaceAsSuffix: Bool

    init(spec: SentencePieceModel.NormalizerSpec, treatWhitespaceAsSuffix: Bool,
         userSymbols: SPByteTrie?) throws(SPCharsMap.Failure) {
        let blob = spec.precompiledCharsmap
        charsMap = blob.isEmpty ? nil : try SPCharsMap(blob: blob)
        self.userSymbols = (userSymbols?.isEmpty ?? true) ? nil : userSymbols
        addDummyPrefix = spec.addDummyPrefix
        removeExtraWhitespaces = spec.removeExtraWhitespaces
        escapeWhitespaces = spec.escapeWhitespaces
        self.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix
    }

    /// Normalizes `input` into `output` (which is cleared first). The 16 bytes after the output
    /// are zeroed padding, so that segment keys may be read a word at a time.
    func normalize(_ input: UnsafeBufferPointer<UInt8>, into output: SPScratchArray<UInt8>) {
        output.count = 0
        if let base = input.baseAddress, input.count > 0 {
            if charsMap == nil && userSymbols == nil && !removeExtraWhitespaces {
                normalizeIdentity(base, input.count, into: output)
            } else {
                normalizeGeneral(base, input.count, into: output)
            }
        }
        output.reserve(additional: Self.padding)
        (output.pointer + output.count).update(repeating: 0, count: Self.padding)
    }

    static let padding = 16

    /// Identity rules without whitespace squeezing (LLaMA's setting): every well-formed character
    /// is copied, spaces escaped, malformed bytes replaced. One pass; the output can be at most
    /// 3 bytes per input byte plus the dummy prefix, so capacity is reserved once.
    private func normalizeIdentity(_ p: UnsafePointer<UInt8>, _ n: Int, into output: SPScratchArray<UInt8>) {
        output.reserve(total: 3 &* n &+ 3)
        let out = output.pointer
        var o = 0
        let escape = escapeWhitespaces
        @inline(__always) func writeSpace() {
            if escape {
                out[o] = 0xE2; out[o &+ 1] = 0x96; out[o &+ 2] = 0x81; o &+= 3
            } else {
                out[o] = 0x20; o &+= 1
            }
        }
        if addDummyPrefix && !treatWhitespaceAsSuffix { writeSpace() }
        var i = 0
        while i < n {
            let b = p[i]
            if b < 0x80 {
                // ASCII: the common case, one compare for the space.
                if b == 0x20 { writeSpace() } else { out[o] = b; o &+= 1 }
                i &+= 1
                continue
            }
            let length = SentencePieceUTF8.validLength(p + i, n &- i)
            if length == 0 {
                out[o] = 0xEF; out[o &+ 1] = 0xBF; out[o &+ 2] = 0xBD; o &+= 3
                i &+= 1
            } else {
                var k = 0
                while k < length { out[o &+ k] = p[i &+ k]; k &+= 1 }
                o &+= length
                i &+= length
            }
        }
        if addDummyPrefix && treatWhitespaceAsSuffix { writeSpace() }
        output.count = o
    }

    /// U+FFFD, what a malformed byte becomes (allocated once, never freed).
    nonisolated(unsafe) private static let replacementCharacter: UnsafePointer<UInt8> = {
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 3)
        bytes[0] = 0xEF; bytes[1] = 0xBF; bytes[2] = 0xBD
        return UnsafePointer(bytes)
    }()

    /// The text one prefix of the input normalizes to, and how many input bytes it stands for.
    private struct PrefixText {
        var start: UnsafePointer<UInt8>
        var count: Int
        var consumed: Int
    }

    /// The full algorithm of normalizer.cc (charsmap, user-defined symbols, whitespace squeezing).
    private func normalizeGeneral(_ p: UnsafePointer<UInt8>, _ n: Int, into output: SPScratchArray<UInt8>) {
        let user = userSymbols?.view
        let map = charsMap?.view

        // normalizer.cc's NormalizePrefix: a user-defined symbol as it is, else the longest
        // charsmap rule, else one character (a malformed byte: U+FFFD).
        @inline(__always) func prefix(at i: Int) -> PrefixText {
            let q = p + i, remaining = n &- i
            if let user, let match = user.longestPrefix(q, remaining) {
                return PrefixText(start: q, count: match.length, consumed: match.length)
            }
            if let map, map.rootHasChild[Int(q[0])], let match = map.longestMatch(q, remaining) {
                let replacement = map.replacement(at: match.value)
                return PrefixText(start: replacement.start, count: replacement.count, consumed: match.length)
            }
            let length = SentencePieceUTF8.validLength(q, remaining)
            return length == 0
                ? PrefixText(start: Self.replacementCharacter, count: 3, consumed: 1)
                : PrefixText(start: q, count: length, consumed: length)
        }

        var i = 0
        // Leading prefixes that normalize to exactly one space are dropped.
        if removeExtraWhitespaces {
            while i < n {
                let text = prefix(at: i)
                guard text.count == 1 && text.start[0] == 0x20 else { break }
                i &+= text.consumed
            }
        }
        guard i < n else { return }

        let escape = escapeWhitespaces
        var out = output.pointer
        var capacity = output.capacity
        var o = 0
        @inline(__always) func ensure(_ extra: Int) {
            if o &+ extra > capacity {
                output.count = o
                output.reserve(total: o &+ extra)
                out = output.pointer
                capacity = output.capacity
            }
        }
        @inline(__always) func writeSpace() {
            if escape {
                out[o] = 0xE2; out[o &+ 1] = 0x96; out[o &+ 2] = 0x81; o &+= 3
            } else {
                out[o] = 0x20; o &+= 1
            }
        }

        ensure(3 &* (n &- i) &+ 6)
        if !treatWhitespaceAsSuffix && addDummyPrefix { writeSpace() }
        var isPreviousSpace = removeExtraWhitespaces
        // ASCII bytes that start no rule (and no user-defined symbol) normalize to themselves.
        let asciiFastPath = user == nil
        while i < n {
            let b = p[i]
            if asciiFastPath && b < 0x80 && !(map?.rootHasChild[Int(b)] ?? false) {
                if b == 0x20 {
                    // A space after a space is dropped when squeezing; either way one was last.
                    if !isPreviousSpace {
                        ensure(3)
                        writeSpace()
                    }
                    isPreviousSpace = true
                } else {
                    ensure(1)
                    out[o] = b
                    o &+= 1
                    isPreviousSpace = false
                }
                i &+= 1
                if !removeExtraWhitespaces { isPreviousSpace = false }
                continue
            }
            let text = prefix(at: i)
            var k = 0
            // Spaces right after a space are dropped.
            if isPreviousSpace { while k < text.count && text.start[k] == 0x20 { k &+= 1 } }
            if k < text.count {
                ensure(3 &* (text.count &- k))
                while k < text.count {
                    let c = text.start[k]
                    if escape && c == 0x20 { writeSpace() } else { out[o] = c; o &+= 1 }
                    k &+= 1
                }
                isPreviousSpace = text.start[text.count &- 1] == 0x20
            }
            i &+= text.consumed
            if !removeExtraWhitespaces { isPreviousSpace = false }
        }

        // Trailing spaces go.
        if removeExtraWhitespaces {
            if escape {
                while o >= 3 && out[o &- 3] == 0xE2 && out[o &- 2] == 0x96 && out[o &- 1] == 0x81 { o &-= 3 }
            } else {
                while o >= 1 && out[o &- 1] == 0x20 { o &-= 1 }
            }
        }
        if treatWhitespaceAsSuffix && addDummyPrefix {
            ensure(3)
            writeSpace()
        }
        output.count = o
    }
}
