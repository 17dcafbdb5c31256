import QuernIO

/// A token id. Every vocabulary Quern reads or writes fits in 32 bits.
public typealias TokenID = Int32

/// What every tokenizer Quern loads or trains can do. Encoders work on UTF-8 bytes and append to
/// a caller's array, so a hot loop over millions of lines allocates nothing per line.
public protocol Tokenizer: Sendable {
    /// Number of ids (the largest id + 1).
    var vocabularySize: Int { get }
    /// Beginning- and end-of-sequence ids, when the vocabulary has them.
    var bosID: TokenID? { get }
    var eosID: TokenID? { get }

    /// Appends the ids of `text` to `ids`, exactly as the reference library of this format does
    /// (no BOS/EOS: callers add them).
    func encode(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [TokenID])

    /// The UTF-8 bytes `ids` stand for, as the reference library decodes them.
    func decode(_ ids: [TokenID]) -> [UInt8]

    /// The vocabulary entry of `id` as the reference library prints it (e.g. "▁the", "<0x0A>",
    /// "Ġthe"), or nil when out of range.
    func piece(for id: TokenID) -> String?
}

extension Tokenizer {
    /// The ids of a String (convenience for tests and the edges; hot paths pass bytes).
    public func encode(_ text: String) -> [TokenID] {
        var ids: [TokenID] = []
        var text = text
        text.withUTF8 { encode($0, into: &ids) }
        return ids
    }

    public func decodeString(_ ids: [TokenID]) -> String {
        String(decoding: decode(ids), as: UTF8.self)
    }
}
