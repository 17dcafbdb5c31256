#if canImport(Glibc)
import Glibc
#endif
import QuernIO

/// `quern encode` / `quern decode`: one line of text ⇄ one line of space-separated ids (or
/// pieces), SentencePiece's `spm_encode --output_format=id` convention. Lines are coded on all
/// cores in batches and written in input order. A '\r' before a newline belongs to the line
/// ending, not to the text.
public enum LineCoding {
    public enum Output: Sendable { case ids, pieces }

    /// Encodes every line of `input` to `output`; an empty line gives an empty line.
    public static func encode(_ input: ByteReader, with tokenizer: any Tokenizer, to output: ByteWriter,
                              as format: Output = .ids, addBOS: Bool = false, addEOS: Bool = false,
                              threads: Int = Cores.available) throws {
        let reader = JSONLReader(input)
        let bos = addBOS ? tokenizer.bosID : nil
        let eos = addEOS ? tokenizer.eosID : nil
        try reader.forEachLineBatch(threads: threads, work: { batch in
            var out: [UInt8] = []
            out.reserveCapacity(batch.count * 2)
            var ids: [TokenID] = []
            forEachLine(in: batch) { line in
                ids.removeAll(keepingCapacity: true)
                if let bos { ids.append(bos) }
                tokenizer.encode(line, into: &ids)
                if let eos { ids.append(eos) }
                for (i, id) in ids.enumerated() {
                    if i > 0 { out.append(0x20) }
                    switch format {
                    case .ids: appendDecimal(Int(id), to: &out)
                    case .pieces: out.append(contentsOf: (tokenizer.piece(for: id) ?? "<?>").utf8)
                    }
                }
                out.append(0x0A)
            }
            return out
        }, deliver: { bytes in try bytes.withUnsafeBytes { try output.write($0) } })
        if let error = reader.errors.first { throw error }
        try output.finish()
    }

    /// Decodes every line of space-separated ids to a line of text. A token that is not an id of
    /// the vocabulary is an error naming the line.
    public static func decode(_ input: ByteReader, with tokenizer: any Tokenizer, to output: ByteWriter,
                              threads: Int = Cores.available) throws {
        let reader = JSONLReader(input)
        let path = input.path
        let size = tokenizer.vocabularySize
        var linesBefore = 0
        try reader.forEachLineBatch(threads: threads, work: { batch -> (bytes: [UInt8], lines: Int, bad: (line: Int, token: String)?) in
            var out: [UInt8] = []
            var ids: [TokenID] = []
            var line = 0
            var bad: (Int, String)?
            forEachLine(in: batch) { text in
                line += 1
                guard bad == nil else { return }
                ids.removeAll(keepingCapacity: true)
                for word in text.split(separator: 0x20, omittingEmptySubsequences: true) {
                    let token = String(decoding: word, as: UTF8.self)
                    guard let id = Int(token), id >= 0, id < size else { bad = (line, token); return }
                    ids.append(TokenID(id))
                }
                out.append(contentsOf: tokenizer.decode(ids))
                out.append(0x0A)
            }
            return (out, line, bad)
        }, deliver: { result in
            if let bad = result.bad {
                throw QuernIOError(.malformedRecord, file: path, record: linesBefore + bad.line,
                                   message: "'\(bad.token)' is not a token id of this vocabulary (0..<\(size))")
            }
            linesBefore += result.lines
            try result.bytes.withUnsafeBytes { try output.write($0) }
        })
        if let error = reader.errors.first { throw error }
        try output.finish()
    }

    /// Each line of a batch of whole lines, empty ones included, without '\n' (and '\r').
    static func forEachLine(in batch: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let base = batch.baseAddress else { return }
        var start = 0
        while start < batch.count {
            var end = batch.count
            if let newline = memchr(base + start, 0x0A, batch.count &- start) {
                end = UnsafePointer<UInt8>(newline.assumingMemoryBound(to: UInt8.self)) - base
            }
            var stop = end
            if stop > start && base[stop &- 1] == 0x0D { stop &-= 1 }
            body(UnsafeBufferPointer(start: base + start, count: stop &- start))
            start = end &+ 1
        }
    }

    /// Writes a non-negative integer in decimal without going through String.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value.magnitude
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
                n &+= 1
            } while v > 0
            if value < 0 { out.append(UInt8(ascii: "-")) }
            while n > 0 { n &-= 1; out.append(d[n]) }
        }
    }
}
