/// The container formats Quern reads and writes. Inputs are recognized by their first bytes, never
/// by their names; outputs take their codec from the name they are given.
public enum Codec: String, Sendable, CaseIterable, CustomStringConvertible {
    case plain, gzip, bzip2, zstd, xz

    public var description: String { rawValue }

    /// The codec whose magic number starts `prefix` (plain when none does).
    public static func detect(_ prefix: UnsafeBufferPointer<UInt8>) -> Codec {
        func starts(_ magic: [UInt8]) -> Bool {
            prefix.count >= magic.count && zip(prefix, magic).allSatisfy { $0 == $1 }
        }
        if starts([0x1f, 0x8b]) { return .gzip }
        if starts([0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        // A zstd skippable frame (0x184D2A50...5F, little-endian) may open a zstd file.
        if prefix.count >= 4, prefix[1] == 0x2a, prefix[2] == 0x4d, prefix[3] == 0x18,
           prefix[0] & 0xf0 == 0x50 { return .zstd }
        if starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if prefix.count >= 4, starts([0x42, 0x5a, 0x68]), (0x31...0x39).contains(prefix[3]) {
            return .bzip2
        }
        return .plain
    }

    /// The codec an output path asks for by its extension: `.gz`, `.zst`, `.bz2`, `.xz`, else plain.
    public static func forOutput(path: String) -> Codec {
        if path.hasSuffix(".gz") { return .gzip }
        if path.hasSuffix(".zst") || path.hasSuffix(".zstd") { return .zstd }
        if path.hasSuffix(".bz2") { return .bzip2 }
        if path.hasSuffix(".xz") { return .xz }
        return .plain
    }
}

/// Opening inputs: the one entry point later stages use.
public enum Input {
    /// Opens `path` ("-" for standard input), detects its codec from its first bytes and returns a
    /// reader of its decompressed bytes. Multistream bzip2 in a regular file is decoded on
    /// `threads` cores (default: all) with its order kept.
    public static func open(_ path: String, threads: Int = ParallelBzip2Reader.defaultThreads) throws -> ByteReader {
        let input = try FileInput(path: path)
        try input.fill(minimum: 8)
        switch Codec.detect(input.unconsumed) {
        case .plain: return PlainReader(input: input)
        case .gzip: return try GzipReader(input: input)
        case .zstd: return try ZstdReader(input: input)
        case .xz: return try XzReader(input: input, threads: threads)
        case .bzip2:
            if threads > 1 && input.isSeekable {
                return try ParallelBzip2Reader(input: input, threads: threads)
            }
            return try Bzip2Reader(input: input)
        }
    }
}
