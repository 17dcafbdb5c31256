import Foundation
import QuernIO

/// The two on-disk layouts Quern writes, checked against their publishers' sources:
///
/// - llm.c / nanoGPT `.bin` (karpathy/llm.c `dev/data/data_common.py`, `write_datafile`, read at
///   commit 16635d41a2a7c0c21ec058eb4201ff75ab97e392): 256 little-endian int32 header slots —
///   [0] magic, [1] version, [2] token count — then the tokens. GPT-2 style: magic 20240520,
///   version 1, uint16 tokens. LLaMA-3 style: magic 20240801, version 7, uint32 tokens. Quern also
///   fills two free slots: [3] bytes per token, [4] vocabulary size (readers ignore them).
/// - Megatron-LM indexed dataset (NVIDIA/Megatron-LM `megatron/core/datasets/indexed_dataset.py`,
///   `_IndexWriter`/`_IndexReader`, read at commit 00caa53af30912914981c86f39db123961678bbd):
///   `.bin` holds the tokens of every sequence back to back; `.idx` is `MMIDIDX\0\0`, uint64
///   version 1, uint8 dtype code (uint8 1, int8 2, int16 3, int32 4, int64 5, float64 6,
///   float32 7, uint16 8), uint64 sequence count, uint64 document-index count, then int32
///   sequence lengths, int64 byte pointers, int64 document indices (starting with 0, one entry
///   after each document: the sequence count so far). Quern writes one sequence per document.
public enum ShardFormat: String, Sendable, CaseIterable, Codable {
    case llmc, megatron, both

    public var writesLLMC: Bool { self != .megatron }
    public var writesMegatron: Bool { self != .llmc }
}

/// The width tokens are stored at: 2 bytes while every id fits (vocabulary ≤ 65536), else 4.
public enum TokenWidth: Int, Sendable, Codable {
    case uint16 = 2
    case uint32 = 4

    public init(vocabularySize: Int) { self = vocabularySize <= 65536 ? .uint16 : .uint32 }

    public var llmcMagic: Int32 { self == .uint16 ? 20240520 : 20240801 }
    public var llmcVersion: Int32 { self == .uint16 ? 1 : 7 }
    /// Megatron's dtype code. Above 16 bits Megatron itself stores int32 (`optimal_dtype`).
    public var megatronCode: UInt8 { self == .uint16 ? 8 : 4 }
    public var megatronName: String { self == .uint16 ? "uint16" : "int32" }
    public var numpyName: String { self == .uint16 ? "uint16" : "uint32" }
}

public enum LLMCHeader {
    public static let byteCount = 1024

    public static func bytes(tokens: Int, width: TokenWidth, vocabularySize: Int) -> [UInt8] {
        var slots = [Int32](repeating: 0, count: 256)
        slots[0] = width.llmcMagic
        slots[1] = width.llmcVersion
        slots[2] = Int32(tokens)
        slots[3] = Int32(width.rawValue)
        slots[4] = Int32(clamping: vocabularySize)
        return slots.withUnsafeBytes { raw in raw.map { $0 } }.littleEndianChecked()
    }

    public struct Parsed: Sendable, Equatable {
        public var width: TokenWidth
        public var tokens: Int
        public var vocabularySize: Int
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> Parsed {
        guard bytes.count >= byteCount else {
            throw QuernIOError(.truncated, file: file, offset: Int64(bytes.count), message: "shorter than the 1024-byte llm.c header")
        }
        func slot(_ i: Int) -> Int32 { Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        let width: TokenWidth
        switch (slot(0), slot(1)) {
        case (20240520, 1): width = .uint16
        case (20240801, 7): width = .uint32
        default:
            throw QuernIOError(.malformedRecord, file: file, offset: 0, message: "not an llm.c token file (magic \(slot(0)), version \(slot(1)))")
        }
        let tokens = Int(slot(2))
        guard bytes.count == byteCount + tokens * width.rawValue else {
            throw QuernIOError(.truncated, file: file, offset: Int64(bytes.count),
                               message: "header says \(tokens) tokens but the file holds \((bytes.count - byteCount) / width.rawValue)")
        }
        return Parsed(width: width, tokens: tokens, vocabularySize: Int(slot(4)))
    }
}

public enum MegatronIndex {
    public static let magic: [UInt8] = Array("MMIDIDX".utf8) + [0, 0]

    /// The `.idx` bytes for documents of the given token counts, one sequence each.
    public static func bytes(sequenceLengths: [Int32], width: TokenWidth) -> [UInt8] {
        var out = magic
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(1))
        out.append(width.megatronCode)
        put(UInt64(sequenceLengths.count))
        put(UInt64(sequenceLengths.count + 1))
        out.reserveCapacity(out.count + sequenceLengths.count * 20 + 8)
        for length in sequenceLengths { put(length) }
        var pointer: Int64 = 0
        for length in sequenceLengths {
            put(pointer)
            pointer += Int64(length) * Int64(width.rawValue)
        }
        for i in 0...sequenceLengths.count { put(Int64(i)) }
        return out
    }

    public struct Parsed: Sendable, Equatable {
        public var width: TokenWidth
        public var sequenceLengths: [Int32]
        public var sequencePointers: [Int64]
        public var documentIndices: [Int64]
    }

    public static func parse(_ bytes: [UInt8], file: String) throws -> Parsed {
        guard bytes.count >= 34, Array(bytes[0..<9]) == magic else {
            throw QuernIOError(.malformedRecord, file: file, offset: 0, message: "not a Megatron index (no MMIDIDX header)")
        }
        return try bytes.withUnsafeBytes { raw in
            func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
            guard u64(9) == 1 else { throw QuernIOError(.malformedRecord, file: file, offset: 9, message: "index version \(u64(9)), expected 1") }
            let width: TokenWidth
            switch raw[17] {
            case 8: width = .uint16
            case 4: width = .uint32
            default: throw QuernIOError(.malformedRecord, file: file, offset: 17, message: "dtype code \(raw[17]) is not uint16 (8) or int32 (4)")
            }
            let sequences = Int(u64(18)), documents = Int(u64(26))
            guard bytes.count == 34 + sequences * 12 + documents * 8 else {
                throw QuernIOError(.truncated, file: file, offset: Int64(bytes.count),
                                   message: "index of \(sequences) sequences and \(documents) document indices has the wrong size")
            }
            var at = 34
            let lengths = (0..<sequences).map { i in Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 4 * i, as: Int32.self)) }
            at += 4 * sequences
            let pointers = (0..<sequences).map { i in Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 8 * i, as: Int64.self)) }
            at += 8 * sequences
            let documentIndices = (0..<documents).map { i in Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 8 * i, as: Int64.self)) }
            return Parsed(width: width, sequenceLengths: lengths, sequencePointers: pointers, documentIndices: documentIndices)
        }
    }
}

extension Array where Element == UInt8 {
    /// Quern writes little-endian files; every platform Swift runs Quern on is little-endian.
    func littleEndianChecked() -> [UInt8] {
        precondition(1.littleEndian == 1, "big-endian hosts are not supported")
        return self
    }
}

/// Reads shards back: the tokens of an llm.c file, or the documents of a Megatron pair.
public enum ShardReader {
    /// The tokens of an llm.c `.bin` file, widened to Int32.
    public static func llmcTokens(_ path: String) throws -> (header: LLMCHeader.Parsed, tokens: [Int32]) {
        let data = try readFile(path)
        return try data.withUnsafeBytes { raw in
            let header = try LLMCHeader.parse(raw, file: path)
            let body = UnsafeRawBufferPointer(rebasing: raw[LLMCHeader.byteCount...])
            return (header, widen(body, header.width))
        }
    }

    /// The documents of a Megatron `PREFIX.bin`/`PREFIX.idx` pair, in order.
    public static func megatronDocuments(prefix: String) throws -> [[Int32]] {
        let index = try MegatronIndex.parse(try readFile(prefix + ".idx"), file: prefix + ".idx")
        let data = try readFile(prefix + ".bin")
        return try data.withUnsafeBytes { raw in
            try zip(index.sequencePointers, index.sequenceLengths).map { pointer, length in
                let start = Int(pointer), end = start + Int(length) * index.width.rawValue
                guard end <= raw.count else {
                    throw QuernIOError(.truncated, file: prefix + ".bin", offset: Int64(raw.count), message: "sequence runs past the end")
                }
                return widen(UnsafeRawBufferPointer(rebasing: raw[start..<end]), index.width)
            }
        }
    }

    static func widen(_ raw: UnsafeRawBufferPointer, _ width: TokenWidth) -> [Int32] {
        switch width {
        case .uint16: return (0..<raw.count / 2).map { Int32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .uint32: return (0..<raw.count / 4).map { Int32(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QuernIOError(.invalidArgument, file: path, message: "cannot read")
        }
        return [UInt8](data)
    }
}
