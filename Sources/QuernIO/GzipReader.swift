import CZlib

/// Decodes gzip, including files made of many concatenated members (WARC and Common Crawl write
/// one member per record). Memory stays at one input block and one output block.
final class GzipReader: ByteReader {
    private let input: FileInput
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableBufferPointer<UInt8>
    private var memberStart: Int64 = 0
    private var finished = false
    private var inMember = true
    let codec = Codec.gzip

    init(input: FileInput, outputSize: Int = 1 << 17) throws {
        self.input = input
        // z_stream keeps pointers into itself: it must not move, so it lives on the heap.
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: outputSize)
        memberStart = input.offset
        let rc = quern_inflateInit2(stream, 15 + 16)  // 15-bit window, gzip wrapper only
        guard rc == Z_OK else {
            stream.deallocate(); output.deallocate()
            throw QuernIOError(.corrupt, file: input.path, message: "zlib init failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    var path: String { input.path }
    var storedBytesRead: Int64 { input.offset }
    var storedSize: Int64? { input.size }

    func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        while !finished {
            if !inMember {
                // Between members: another member, harmless zero padding, or garbage.
                if input.available < 2 { try input.fill(minimum: 2) }
                if input.available == 0 { finished = true; break }
                let next = input.unconsumed
                if next.count >= 2 && next[0] == 0x1f && next[1] == 0x8b {
                    inflateReset(stream)
                    memberStart = input.offset
                    inMember = true
                } else {
                    finished = true
                    if let bad = try input.skipZeros() {
                        throw QuernIOError(.trailingGarbage, file: input.path, offset: bad,
                                           message: "trailing garbage after the last gzip member")
                    }
                    break
                }
            }
            if input.available == 0 { try input.fill() }
            let atEnd = input.available == 0
            let inputBefore = input.available
            stream.pointee.next_in = input.unconsumedPointer
            stream.pointee.avail_in = UInt32(truncatingIfNeeded: min(inputBefore, Int(UInt32.max)))
            stream.pointee.next_out = output.baseAddress!
            stream.pointee.avail_out = UInt32(output.count)
            let rc = inflate(stream, Z_NO_FLUSH)
            let used = inputBefore - Int(stream.pointee.avail_in)
            let failedAt = input.offset + Int64(used)
            input.consume(used)
            let produced = output.count - Int(stream.pointee.avail_out)
            switch rc {
            case Z_OK:
                break
            case Z_STREAM_END:
                inMember = false
            case Z_BUF_ERROR where atEnd && produced == 0:
                finished = true
                throw QuernIOError(.truncated, file: input.path, offset: failedAt,
                                   message: "gzip member starting at byte \(memberStart) is truncated")
            case Z_BUF_ERROR:
                break
            default:
                finished = true
                let why = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                if produced > 0 {
                    // Hand out what decoded before the damage; the error comes on the next call.
                    pendingError = QuernIOError(.corrupt, file: input.path, offset: failedAt,
                        message: "corrupt gzip data in member starting at byte \(memberStart): \(why)")
                    return UnsafeBufferPointer(rebasing: output[0..<produced])
                }
                throw QuernIOError(.corrupt, file: input.path, offset: failedAt,
                                   message: "corrupt gzip data in member starting at byte \(memberStart): \(why)")
            }
            if produced > 0 { return UnsafeBufferPointer(rebasing: output[0..<produced]) }
            if atEnd && inMember && rc != Z_STREAM_END {
                finished = true
                throw QuernIOError(.truncated, file: input.path, offset: input.offset,
                                   message: "gzip member starting at byte \(memberStart) is truncated")
            }
        }
        if let e = pendingError { pendingError = nil; throw e }
        return nil
    }

    private var pendingError: QuernIOError?
}
