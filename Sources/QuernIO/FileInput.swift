#if canImport(Glibc)
import Glibc
#endif

/// Raw bytes of a file (or standard input when the path is "-"), read in large blocks into one
/// reusable buffer. Decoders pull compressed bytes from here; the plain codec hands the blocks on
/// as they are, so plain input is never copied.
final class FileInput {
    let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: UnsafeMutableBufferPointer<UInt8>
    /// Unconsumed bytes are buffer[start..<end].
    private(set) var start = 0
    private(set) var end = 0
    /// File offset of buffer[0].
    private var bufferOffset: Int64 = 0
    private(set) var atEOF = false
    /// Size of the file when it is a regular file (for progress and ETA), else nil.
    let size: Int64?
    let isSeekable: Bool

    static let blockSize = 1 << 20

    init(path: String, startingAt offset: Int64 = 0, blockSize: Int = FileInput.blockSize) throws {
        self.path = path
        if path == "-" {
            fd = STDIN_FILENO
            ownsDescriptor = false
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw QuernIOError.system("cannot open", file: path) }
            ownsDescriptor = true
        }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
            size = Int64(st.st_size)
            isSeekable = true
        } else {
            size = nil
            isSeekable = false
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if ownsDescriptor { close(fd) }
            throw QuernIOError(.system(errno: EISDIR), file: path, message: "is a directory")
        }
        buffer = .allocate(capacity: blockSize)
        if offset > 0 {
            guard isSeekable, lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                let e = errno
                buffer.deallocate()
                if ownsDescriptor { close(fd) }
                throw QuernIOError.system("cannot seek to \(offset)", file: path, errno: e)
            }
            bufferOffset = offset
        }
        #if os(Linux)
        if isSeekable { _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL)) }
        #endif
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { close(fd) }
    }

    /// File offset of the first unconsumed byte.
    var offset: Int64 { bufferOffset + Int64(start) }
    var available: Int { end - start }
    var unconsumed: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: buffer[start..<end])
    }
    var unconsumedPointer: UnsafeMutablePointer<UInt8> { buffer.baseAddress! + start }

    func consume(_ n: Int) {
        precondition(n <= end - start)
        start += n
    }

    /// Reads more bytes after the unconsumed ones (moving those to the front first). Returns false
    /// at end of file. `minimum` asks for at least that many unconsumed bytes when the file has them.
    @discardableResult
    func fill(minimum: Int = 1) throws -> Bool {
        if start > 0 && (start == end || end == buffer.count) {
            let keep = end - start
            if keep > 0 {
                (buffer.baseAddress! ).update(from: buffer.baseAddress! + start, count: keep)
            }
            bufferOffset += Int64(start)
            start = 0
            end = keep
        }
        if minimum > buffer.count {
            let bigger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: minimum)
            bigger.baseAddress!.update(from: buffer.baseAddress! + start, count: end - start)
            buffer.deallocate()
            buffer = bigger
            bufferOffset += Int64(start)
            end -= start
            start = 0
        }
        var grew = false
        while !atEOF && end < buffer.count && (end - start < minimum || !grew) {
            let n = read(fd, buffer.baseAddress! + end, buffer.count - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw QuernIOError.system("read failed", file: path)
            }
            if n == 0 { atEOF = true; break }
            end += n
            grew = true
        }
        return grew
    }

    /// Consumes zero bytes up to the first non-zero one and returns that byte's file offset, or nil
    /// when only zeros remain. Used after the last member of a compressed file: zero padding (tape
    /// blocks) ends the input quietly, as the system tools treat it; anything else is garbage.
    func skipZeros() throws -> Int64? {
        while true {
            if available == 0 { try fill() }
            if available == 0 { return nil }
            let rest = unconsumed
            if let bad = rest.firstIndex(where: { $0 != 0 }) { return offset + Int64(bad) }
            consume(rest.count)
        }
    }
}
