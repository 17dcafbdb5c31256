import CZstd

/// Decodes zstd: any number of frames (and skippable frames) one after another, with windows up
/// to 2 GiB (`zstd --long=31`) accepted, since large corpus files are often written that way.
final class ZstdReader: ByteReader {
    private let input: FileInput
    private let stream: OpaquePointer
    private let output: UnsafeMutableBufferPointer<UInt8>
    private var frameOpen = false
    private var finished = false
    private var pendingError: QuernIOError?
    let codec = Codec.zstd

    init(input: FileInput) throws {
        self.input = input
        guard let s = ZSTD_createDStream() else {
            throw QuernIOError(.corrupt, file: input.path, message: "cannot create a zstd decoder")
        }
        stream = s
        ZSTD_initDStream(s)
        _ = ZSTD_DCtx_setParameter(s, ZSTD_d_windowLogMax, 31)
        output = .allocate(capacity: ZSTD_DStreamOutSize())
    }

    deinit {
        ZSTD_freeDStream(stream)
        output.deallocate()
    }

    var path: String { input.path }
    var storedBytesRead: Int64 { input.offset }
    var storedSize: Int64? { input.size }

    func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        while !finished {
            if input.available == 0 { try input.fill() }
            let atEnd = input.available == 0
            // Between frames with no input left: the end. (Asking the decoder would only get the
            // size hint for a next frame header.)
            if atEnd && !frameOpen { finished = true; break }
            var inBuf = ZSTD_inBuffer(src: UnsafeRawPointer(input.unconsumedPointer), size: input.available, pos: 0)
            var outBuf = ZSTD_outBuffer(dst: UnsafeMutableRawPointer(output.baseAddress!), size: output.count, pos: 0)
            let rc = ZSTD_decompressStream(stream, &outBuf, &inBuf)
            let at = input.offset + Int64(inBuf.pos)
            input.consume(inBuf.pos)
            let produced = outBuf.pos
            if ZSTD_isError(rc) != 0 {
                finished = true
                let error = QuernIOError(.corrupt, file: input.path, offset: at,
                    message: "corrupt zstd data: \(String(cString: ZSTD_getErrorName(rc)))")
                if produced > 0 {
                    pendingError = error
                    return UnsafeBufferPointer(rebasing: output[0..<produced])
                }
                throw error
            }
            // rc == 0: a frame is complete and flushed; anything else means more is expected.
            frameOpen = rc != 0
            if produced > 0 { return UnsafeBufferPointer(rebasing: output[0..<produced]) }
            if atEnd {
                finished = true
                if frameOpen {
                    throw QuernIOError(.truncated, file: input.path, offset: at,
                                       message: "zstd frame is truncated")
                }
            }
        }
        if let e = pendingError { pendingError = nil; throw e }
        return nil
    }
}
