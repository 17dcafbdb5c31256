import CBzip2

/// Decodes bzip2 on one core, including multistream files (a new stream starts after each
/// end-of-stream marker: End + Init). `ParallelBzip2Reader` uses this for inputs it cannot split.
final class Bzip2Reader: ByteReader {
    private let input: FileInput
    private let stream: UnsafeMutablePointer<bz_stream>
    private let output: UnsafeMutableBufferPointer<UInt8>
    private var streamStart: Int64
    private var inStream = true
    private var finished = false
    private var pendingError: QuernIOError?
    let codec = Codec.bzip2

    init(input: FileInput, outputSize: Int = 1 << 17) throws {
        self.input = input
        stream = .allocate(capacity: 1)  // fixed address: libbz2 keeps a pointer back to it
        stream.initialize(to: bz_stream())
        output = .allocate(capacity: outputSize)
        streamStart = input.offset
        let rc = BZ2_bzDecompressInit(stream, 0, 0)
        guard rc == BZ_OK else {
            stream.deallocate(); output.deallocate()
            throw QuernIOError(.corrupt, file: input.path, message: "bzip2 init failed (\(rc))")
        }
    }

    deinit {
        if inStream { BZ2_bzDecompressEnd(stream) }
        stream.deallocate()
        output.deallocate()
    }

    var path: String { input.path }
    var storedBytesRead: Int64 { input.offset }
    var storedSize: Int64? { input.size }

    func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        while !finished {
            if !inStream {
                if input.available < 4 { try input.fill(minimum: 4) }
                if input.available == 0 { finished = true; break }
                let next = input.unconsumed
                if next.count >= 4 && next[0] == 0x42 && next[1] == 0x5a && next[2] == 0x68 {
                    streamStart = input.offset
                    stream.initialize(to: bz_stream())
                    let rc = BZ2_bzDecompressInit(stream, 0, 0)
                    guard rc == BZ_OK else {
                        finished = true
                        throw QuernIOError(.corrupt, file: input.path, offset: streamStart,
                                           message: "bzip2 init failed (\(rc))")
                    }
                    inStream = true
                } else {
                    finished = true
                    if let bad = try input.skipZeros() {
                        throw QuernIOError(.trailingGarbage, file: input.path, offset: bad,
                                           message: "trailing garbage after the last bzip2 stream")
                    }
                    break
                }
            }
            if input.available == 0 { try input.fill() }
            let atEnd = input.available == 0
            let before = input.available
            stream.pointee.next_in = UnsafeMutableRawPointer(input.unconsumedPointer)
                .assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_in = UInt32(truncatingIfNeeded: min(before, Int(UInt32.max)))
            stream.pointee.next_out = UnsafeMutableRawPointer(output.baseAddress!)
                .assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_out = UInt32(output.count)
            let rc = BZ2_bzDecompress(stream)
            let used = before - Int(stream.pointee.avail_in)
            let at = input.offset + Int64(used)
            input.consume(used)
            let produced = output.count - Int(stream.pointee.avail_out)
            switch rc {
            case BZ_OK:
                if atEnd && produced == 0 {
                    finished = true
                    throw QuernIOError(.truncated, file: input.path, offset: at,
                        message: "bzip2 stream starting at byte \(streamStart) is truncated")
                }
            case BZ_STREAM_END:
                BZ2_bzDecompressEnd(stream)
                inStream = false
            default:
                finished = true
                let error = QuernIOError(.corrupt, file: input.path, offset: at,
                    message: "corrupt bzip2 data in stream starting at byte \(streamStart) (\(Self.describe(rc)))")
                if produced > 0 {
                    pendingError = error
                    return UnsafeBufferPointer(rebasing: output[0..<produced])
                }
                throw error
            }
            if produced > 0 { return UnsafeBufferPointer(rebasing: output[0..<produced]) }
        }
        if let e = pendingError { pendingError = nil; throw e }
        return nil
    }

    static func describe(_ rc: Int32) -> String {
        switch rc {
        case BZ_DATA_ERROR: return "data integrity error"
        case BZ_DATA_ERROR_MAGIC: return "bad magic number"
        case BZ_MEM_ERROR: return "out of memory"
        case BZ_PARAM_ERROR: return "parameter error"
        default: return "error \(rc)"
        }
    }
}
