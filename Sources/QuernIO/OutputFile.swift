import CZlib
import CZstd
#if canImport(Glibc)
import Glibc
#endif

/// A sink for bytes. `finish()` makes the output whole; an output dropped without `finish()`
/// leaves nothing behind that looks complete.
public protocol ByteWriter: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes, closes and (for files) renames the temporary file into place.
    func finish() throws
}

extension ByteWriter {
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

/// Writes to a file descriptor in large blocks (and retries short writes and EINTR).
final class DescriptorSink {
    let fd: Int32
    let path: String
    init(fd: Int32, path: String) { self.fd = fd; self.path = path }

    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw QuernIOError.system("write failed", file: path)
            }
            p += n
            left -= n
        }
    }
}

/// An output file written under a temporary name in the same folder and renamed into place by
/// `finish()`, compressed by the codec its name asks for (`.gz`, `.zst`; anything else plain).
///
/// An interrupted run leaves only a `.NAME.tmp-PID` file, never a truncated `NAME`.
public final class OutputFile: ByteWriter {
    public let path: String
    public let codec: Codec
    private let temporaryPath: String
    private let sink: DescriptorSink
    private let encoder: Encoder
    private var finished = false
    /// True when `path` is not a regular file and is written directly, without temp + rename.
    private let direct: Bool

    /// - Parameters:
    ///   - codec: overrides the codec chosen from the name.
    ///   - level: compression level (gzip 1-9, default 6; zstd 1-22, default 3).
    ///   - threads: zstd worker threads (default: all cores; 0 compresses on the calling thread).
    public init(path: String, codec: Codec? = nil, level: Int? = nil,
                threads: Int = Cores.available) throws {
        self.path = path
        self.codec = codec ?? Codec.forOutput(path: path)
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        // A device, FIFO or socket (/dev/null, /dev/stdout, a named pipe) is written in place:
        // renaming a temporary file over it would replace the device with a regular file.
        var info = stat()
        direct = stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR
        temporaryPath = direct ? path : "\(folder).\(name).tmp-\(getpid())"
        let fd = direct ? open(path, O_WRONLY | O_CLOEXEC)
                        : open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw QuernIOError.system("cannot create", file: temporaryPath) }
        sink = DescriptorSink(fd: fd, path: path)
        do {
            switch self.codec {
            case .plain: encoder = try BufferedEncoder(sink: sink)
            case .gzip: encoder = try GzipEncoder(sink: sink, level: level ?? 6)
            case .zstd: encoder = try ZstdEncoder(sink: sink, level: level ?? 3, threads: threads)
            case .bzip2, .xz:
                throw QuernIOError(.invalidArgument, file: path,
                                   message: "writing \(self.codec) is not supported; use .zst, .gz or plain")
            }
        } catch {
            close(fd)
            if !direct { unlink(temporaryPath) }
            throw error
        }
    }

    deinit {
        if !finished {
            close(sink.fd)
            if !direct { unlink(temporaryPath) }
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try encoder.write(bytes)
    }

    public func finish() throws {
        guard !finished else { return }
        finished = true
        do {
            try encoder.finish()
            guard fsync(sink.fd) == 0 || errno == EINVAL else {
                throw QuernIOError.system("fsync failed", file: path)
            }
            guard close(sink.fd) == 0 else { throw QuernIOError.system("close failed", file: path) }
            guard direct || rename(temporaryPath, path) == 0 else {
                throw QuernIOError.system("cannot rename \(temporaryPath) into place", file: path)
            }
        } catch {
            if !direct { unlink(temporaryPath) }
            throw error
        }
    }

    /// Writes a whole small file at once (a model, a vocabulary), compressed by its name unless
    /// `codec` says otherwise: under a temporary name, renamed into place only when complete.
    public static func write(_ bytes: [UInt8], to path: String, codec: Codec? = nil) throws {
        let file = try OutputFile(path: path, codec: codec)
        do {
            try file.write(bytes)
            try file.finish()
        } catch {
            file.discard()
            throw error
        }
    }

    /// Abandons the output: the temporary file is removed and `path` is left as it was.
    public func discard() {
        guard !finished else { return }
        finished = true
        close(sink.fd)
        if !direct { unlink(temporaryPath) }
    }
}

/// Standard output as a ByteWriter (plain bytes, large writes).
public final class StandardOutput: ByteWriter {
    private let sink = DescriptorSink(fd: STDOUT_FILENO, path: "<stdout>")
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { try sink.writeAll(bytes) }
    public func finish() throws {}
}

protocol Encoder: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func finish() throws
}

/// Plain output: gathers small writes into 1 MiB blocks before a system call.
final class BufferedEncoder: Encoder {
    private let sink: DescriptorSink
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    private var used = 0
    init(sink: DescriptorSink) throws { self.sink = sink }
    deinit { buffer.deallocate() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count >= buffer.count {
            try flush()
            try sink.writeAll(bytes)
            return
        }
        if used + bytes.count > buffer.count { try flush() }
        UnsafeMutableRawBufferPointer(rebasing: buffer[used...]).copyMemory(from: bytes)
        used += bytes.count
    }
    private func flush() throws {
        try sink.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<used]))
        used = 0
    }
    func finish() throws { try flush() }
}

final class GzipEncoder: Encoder {
    private let sink: DescriptorSink
    private let stream: UnsafeMutablePointer<z_stream>
    private let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 18)

    init(sink: DescriptorSink, level: Int) throws {
        self.sink = sink
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard quern_deflateInit2(stream, Int32(level), 15 + 16) == Z_OK else {
            stream.deallocate(); output.deallocate()
            throw QuernIOError(.invalidArgument, file: sink.path, message: "bad gzip level \(level)")
        }
    }
    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws { try run(bytes, flush: Z_NO_FLUSH) }
    func finish() throws { try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH) }

    private func run(_ bytes: UnsafeRawBufferPointer, flush: Int32) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(bytes.count)
        repeat {
            stream.pointee.next_out = output.baseAddress!
            stream.pointee.avail_out = UInt32(output.count)
            let rc = deflate(stream, flush)
            guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                throw QuernIOError(.corrupt, file: sink.path, message: "zlib deflate failed (\(rc))")
            }
            let produced = output.count - Int(stream.pointee.avail_out)
            try sink.writeAll(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(output)[..<produced]))
            if flush == Z_FINISH && rc == Z_STREAM_END { return }
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0 || flush == Z_FINISH
    }
}

/// zstd output; with threads > 0 libzstd compresses on worker threads while the caller goes on.
final class ZstdEncoder: Encoder {
    private let sink: DescriptorSink
    private let context: OpaquePointer
    private let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: ZSTD_CStreamOutSize() * 4)

    init(sink: DescriptorSink, level: Int, threads: Int) throws {
        self.sink = sink
        guard let c = ZSTD_createCCtx() else {
            output.deallocate()
            throw QuernIOError(.invalidArgument, file: sink.path, message: "cannot create a zstd encoder")
        }
        context = c
        _ = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, Int32(level))
        _ = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)
        if threads > 1 {
            // Fails harmlessly (stays single-threaded) on a libzstd built without threads.
            _ = ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, Int32(threads))
        }
    }
    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while input.pos < input.size {
            try step(&input, ZSTD_e_continue)
        }
    }

    func finish() throws {
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&input, ZSTD_e_end) != 0 {}
    }

    @discardableResult
    private func step(_ input: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective) throws -> Int {
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let rc = ZSTD_compressStream2(context, &out, &input, mode)
        if ZSTD_isError(rc) != 0 {
            throw QuernIOError(.invalidArgument, file: sink.path,
                               message: "zstd compression failed: \(String(cString: ZSTD_getErrorName(rc)))")
        }
        try sink.writeAll(UnsafeRawBufferPointer(start: output.baseAddress, count: out.pos))
        return rc
    }
}

/// Standard error for messages: one write(2) per message, so lines from threads never interleave
/// mid-line (and no shared C `FILE*` is touched).
public enum StandardError {
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var p = bytes.baseAddress
            var left = bytes.count
            while left > 0, let q = p {
                let n = Glibc.write(STDERR_FILENO, q, left)
                if n < 0 { if errno == EINTR { continue }; return }
                p = q + n
                left -= n
            }
        }
    }
}
