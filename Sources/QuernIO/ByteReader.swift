/// A stream of bytes delivered in chunks: the decompressed content of one input.
///
/// Each chunk is borrowed: it stays valid only until the next call to `nextChunk()`, so consumers
/// scan it in place instead of copying (a 1 MiB chunk costs one call, not a million).
public protocol ByteReader: AnyObject {
    /// The next non-empty chunk, or nil at the end of the input. Throws `QuernIOError` on damage;
    /// every byte decodable before the damage has been returned by earlier calls.
    func nextChunk() throws -> UnsafeBufferPointer<UInt8>?
    /// Bytes of the input as stored (compressed) consumed so far, for progress and error offsets.
    var storedBytesRead: Int64 { get }
    /// The stored size of the input when known (a regular file), for progress and ETA.
    var storedSize: Int64? { get }
    /// The codec the input was found to use.
    var codec: Codec { get }
    /// The path this reader reads ("-" is standard input).
    var path: String { get }
}

extension ByteReader {
    /// Calls `body` with every chunk in order.
    public func forEachChunk(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        while let chunk = try nextChunk() { try body(chunk) }
    }

    /// Reads everything into one array. Meant for tests and small inputs; streams are the rule.
    public func readAll() throws -> [UInt8] {
        var out: [UInt8] = []
        try forEachChunk { out.append(contentsOf: $0) }
        return out
    }
}

/// Plain input: the file's own blocks, handed on without a copy.
final class PlainReader: ByteReader {
    private let input: FileInput
    let codec = Codec.plain

    init(input: FileInput) { self.input = input }

    var path: String { input.path }
    var storedBytesRead: Int64 { input.offset }
    var storedSize: Int64? { input.size }

    func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        if input.available == 0 { try input.fill() }
        let chunk = input.unconsumed
        if chunk.isEmpty { return nil }
        input.consume(chunk.count)
        return chunk
    }
}
