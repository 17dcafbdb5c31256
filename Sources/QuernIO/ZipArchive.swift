import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// A zip file read through its central directory (EPUB books, zipped Project Gutenberg texts).
///
/// Only the central directory is held in memory; an entry is read on request with `pread`, so
/// opening a large archive costs its directory, not its size. Entries may be stored or deflated
/// (zlib raw inflate); every entry read is checked against its CRC-32 and its declared size.
/// Zip64 sizes and offsets are understood; encrypted entries and other methods are refused with a
/// clear error. Bytes prepended to the archive (self-extracting stubs) are allowed for.
///
/// Errors are `QuernIOError`s naming the file, the entry and the byte offset in the file.
public final class ZipArchive {
    public struct Entry: Sendable, Equatable {
        /// The entry's name as stored (UTF-8 or, for old archives, bytes read as Latin-1 when they
        /// are not valid UTF-8).
        public var name: String
        /// 0 stored, 8 deflate; others are refused on read.
        public var method: UInt16
        public var flags: UInt16
        public var crc32: UInt32
        public var compressedSize: Int64
        public var uncompressedSize: Int64
        /// Offset of the entry's local header in the file.
        public var localHeaderOffset: Int64
        public var isDirectory: Bool { name.utf8.last == UInt8(ascii: "/") }
        public var isEncrypted: Bool { flags & 1 != 0 }
    }

    public let path: String
    /// Entries in central-directory order.
    public let entries: [Entry]
    private let fd: Int32
    private let size: Int64

    /// Entries larger than this are refused on read (a guard against zip bombs and bad sizes).
    public static let defaultMaxEntryBytes: Int64 = 1 << 31

    /// Opens `path` and reads its central directory. Throws when the file is not a zip archive or
    /// its directory is damaged.
    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw QuernIOError.system("cannot open", file: path) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw QuernIOError(.invalidArgument, file: path, message: "a zip archive must be a regular file (its directory is at the end)")
        }
        size = Int64(st.st_size)
        do {
            entries = try ZipArchive.readDirectory(fd: fd, size: size, path: path)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// True when the file starts like a zip archive (a local header or an empty archive's end record).
    public static func looksLikeZip(_ prefix: UnsafeBufferPointer<UInt8>) -> Bool {
        prefix.count >= 4 && prefix[0] == 0x50 && prefix[1] == 0x4B
            && ((prefix[2] == 3 && prefix[3] == 4) || (prefix[2] == 5 && prefix[3] == 6))
    }

    /// The first entry with exactly this name.
    public func entry(named name: String) -> Entry? {
        entries.first { utf8Equal($0.name, name) }
    }

    /// The entry's uncompressed bytes, checked against its CRC-32 and size.
    public func read(_ entry: Entry, maxBytes: Int64 = ZipArchive.defaultMaxEntryBytes) throws -> [UInt8] {
        func fail(_ kind: QuernIOError.Kind, _ offset: Int64, _ message: String) -> QuernIOError {
            QuernIOError(kind, file: path, offset: offset, message: "zip entry '\(entry.name)': \(message)")
        }
        let at = entry.localHeaderOffset
        if entry.isEncrypted { throw fail(.invalidArgument, at, "encrypted entries are not supported") }
        guard entry.method == 0 || entry.method == 8 else {
            throw fail(.invalidArgument, at, "compression method \(entry.method) is not supported (only stored and deflate)")
        }
        guard entry.uncompressedSize <= maxBytes else {
            throw fail(.invalidArgument, at, "\(entry.uncompressedSize) bytes is over the limit of \(maxBytes)")
        }
        // Deflate cannot expand beyond ~1032:1: a larger declared size is a damaged directory
        // (refused before anything that size is allocated).
        if entry.method == 8 && entry.uncompressedSize > entry.compressedSize * 1032 + 1024 {
            throw fail(.corrupt, at, "declares \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed, more than deflate can produce")
        }
        var header = [UInt8](repeating: 0, count: 30)
        guard try pread(into: &header, at: at) == 30 else { throw fail(.truncated, at, "local header cut off by the end of the file") }
        guard le32(header, 0) == 0x04034B50 else { throw fail(.corrupt, at, "no local header signature where the directory points") }
        let dataStart = at + 30 + Int64(le16(header, 26)) + Int64(le16(header, 28))
        let dataEnd = dataStart + entry.compressedSize
        guard dataEnd <= size else {
            throw fail(.truncated, min(dataEnd, size), "data runs past the end of the file (\(entry.compressedSize) bytes from \(dataStart))")
        }
        let expected = Int(entry.uncompressedSize)
        var out = [UInt8](repeating: 0, count: expected)
        if entry.method == 0 {
            guard entry.compressedSize == entry.uncompressedSize else {
                throw fail(.corrupt, at, "stored entry with different compressed and uncompressed sizes")
            }
            guard try pread(into: &out, at: dataStart) == expected else { throw fail(.truncated, dataStart, "stored data cut off") }
        } else {
            try inflate(from: dataStart, count: entry.compressedSize, into: &out, fail: fail)
        }
        let crc = out.withUnsafeBufferPointer { buffer -> UInt32 in
            var c: UInt = CZlib.crc32(0, nil, 0)
            var p = 0
            // zlib's crc32 takes a 32-bit length: feed it in 1 GiB slices.
            while p < buffer.count {
                let n = min(buffer.count - p, 1 << 30)
                c = CZlib.crc32(c, buffer.baseAddress! + p, UInt32(n))
                p += n
            }
            return UInt32(truncatingIfNeeded: c)
        }
        guard crc == entry.crc32 else {
            throw fail(.corrupt, dataStart, "CRC-32 mismatch (directory says \(hex(entry.crc32)), data gives \(hex(crc)))")
        }
        return out
    }

    /// Reads an entry by name; nil when there is no such entry.
    public func read(named name: String) throws -> [UInt8]? {
        guard let entry = entry(named: name) else { return nil }
        return try read(entry)
    }

    // MARK: Private

    private func inflate(from start: Int64, count: Int64, into out: inout [UInt8],
                         fail: (QuernIOError.Kind, Int64, String) -> QuernIOError) throws {
        // z_stream keeps pointers into itself: it must not move, so it lives on the heap.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard quern_inflateInit2(stream, -15) == Z_OK else { throw fail(.corrupt, start, "zlib init failed") }
        defer { inflateEnd(stream) }
        let blockSize = 1 << 18
        var block = [UInt8](repeating: 0, count: blockSize)
        var offset = start
        let end = start + count
        var produced = 0
        var done = false
        // One spare byte past the declared size lets a too-long entry show itself.
        var spare: UInt8 = 0
        try out.withUnsafeMutableBufferPointer { output in
            while !done {
                let want = Int(min(Int64(blockSize), end - offset))
                let got = want > 0 ? try pread(into: &block, at: offset, count: want) : 0
                if got < want { throw fail(.truncated, offset + Int64(got), "compressed data cut off") }
                let atEnd = offset + Int64(got) >= end
                try block.withUnsafeMutableBufferPointer { input in
                    stream.pointee.next_in = input.baseAddress!
                    stream.pointee.avail_in = UInt32(got)
                    repeat {
                        if produced < output.count {
                            stream.pointee.next_out = output.baseAddress! + produced
                            stream.pointee.avail_out = UInt32(truncatingIfNeeded: min(output.count - produced, Int(UInt32.max)))
                        } else {
                            stream.pointee.next_out = withUnsafeMutablePointer(to: &spare) { $0 }
                            stream.pointee.avail_out = 1
                        }
                        let before = Int(stream.pointee.avail_out)
                        let rc = CZlib.inflate(stream, Z_NO_FLUSH)
                        let made = before - Int(stream.pointee.avail_out)
                        if produced >= output.count && made > 0 {
                            throw fail(.corrupt, offset, "inflates to more than the \(output.count) bytes the directory declares")
                        }
                        produced += made
                        let used = Int64(got) - Int64(stream.pointee.avail_in)
                        switch rc {
                        case Z_STREAM_END:
                            done = true
                        case Z_OK:
                            break
                        case Z_BUF_ERROR:
                            if atEnd && stream.pointee.avail_in == 0 {
                                throw fail(.truncated, offset + used, "deflate stream ends before its last block")
                            }
                        default:
                            let detail = stream.pointee.msg.map { String(cString: $0) } ?? "code \(rc)"
                            throw fail(.corrupt, offset + used, "corrupt deflate data (\(detail))")
                        }
                    } while !done && stream.pointee.avail_in > 0
                }
                offset += Int64(got)
                if !done && atEnd { throw fail(.truncated, end, "deflate stream ends before its last block") }
            }
        }
        guard produced == out.count else {
            throw fail(.corrupt, start, "inflates to \(produced) bytes, the directory declares \(out.count)")
        }
    }

    private func pread(into buffer: inout [UInt8], at offset: Int64, count: Int? = nil) throws -> Int {
        try ZipArchive.pread(fd: fd, into: &buffer, at: offset, count: count ?? buffer.count, path: path)
    }

    private static func pread(fd: Int32, into buffer: inout [UInt8], at offset: Int64, count: Int, path: String) throws -> Int {
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let n = Glibc.pread(fd, raw.baseAddress! + done, count - done, off_t(offset + Int64(done)))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw QuernIOError.system("read failed", file: path)
                }
                if n == 0 { break }
                done += n
            }
        }
        return done
    }

    private static func readDirectory(fd: Int32, size: Int64, path: String) throws -> [Entry] {
        // The end-of-central-directory record (22 bytes + a comment of up to 65535) closes the file.
        let tailLength = Int(min(size, 22 + 65535))
        let tailStart = size - Int64(tailLength)
        var tail = [UInt8](repeating: 0, count: tailLength)
        guard try pread(fd: fd, into: &tail, at: tailStart, count: tailLength, path: path) == tailLength else {
            throw QuernIOError(.truncated, file: path, offset: tailStart, message: "zip: file shorter than its size")
        }
        var eocd = -1
        var i = tailLength - 22
        while i >= 0 {
            if tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 5 && tail[i + 3] == 6 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else {
            throw QuernIOError(.truncated, file: path, offset: size,
                               message: "zip: no end-of-central-directory record (not a zip archive, or truncated)")
        }
        let eocdOffset = tailStart + Int64(eocd)
        var count = Int64(le16(tail, eocd + 10))
        var directorySize = Int64(le32(tail, eocd + 12))
        var directoryOffset = Int64(le32(tail, eocd + 16))
        var directoryEnd = eocdOffset
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: a locator right before the end record points at the zip64 end record.
            if eocd >= 20, le32(tail, eocd - 20) == 0x07064B50 {
                let recordOffset = Int64(le64(tail, eocd - 20 + 8))
                var record = [UInt8](repeating: 0, count: 56)
                guard recordOffset >= 0, recordOffset + 56 <= size,
                      try pread(fd: fd, into: &record, at: recordOffset, count: 56, path: path) == 56,
                      le32(record, 0) == 0x06064B50 else {
                    throw QuernIOError(.corrupt, file: path, offset: recordOffset, message: "zip64: bad end-of-central-directory record")
                }
                count = Int64(le64(record, 32))
                directorySize = Int64(le64(record, 40))
                directoryOffset = Int64(le64(record, 48))
                directoryEnd = recordOffset
            }
        }
        // Bytes prepended to the archive shift every offset by the same amount.
        let shift = directoryEnd - (directoryOffset + directorySize)
        guard shift >= 0, directorySize >= 0, directorySize <= directoryEnd else {
            throw QuernIOError(.corrupt, file: path, offset: eocdOffset,
                               message: "zip: central directory (\(directorySize) bytes at \(directoryOffset)) does not fit before its end record")
        }
        let start = directoryOffset + shift
        guard directorySize < 1 << 30 else {
            throw QuernIOError(.invalidArgument, file: path, offset: start, message: "zip: central directory of \(directorySize) bytes is too large")
        }
        var directory = [UInt8](repeating: 0, count: Int(directorySize))
        guard try pread(fd: fd, into: &directory, at: start, count: directory.count, path: path) == directory.count else {
            throw QuernIOError(.truncated, file: path, offset: start, message: "zip: central directory cut off")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(min(count, 1 << 16)))
        var p = 0
        while p + 46 <= directory.count && le32(directory, p) == 0x02014B50 {
            let nameLength = Int(le16(directory, p + 28))
            let extraLength = Int(le16(directory, p + 30))
            let commentLength = Int(le16(directory, p + 32))
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else {
                throw QuernIOError(.corrupt, file: path, offset: start + Int64(p), message: "zip: central directory entry \(entries.count + 1) runs past the directory")
            }
            let nameBytes = directory[(p + 46)..<(p + 46 + nameLength)]
            let name = String(validating: nameBytes, as: UTF8.self) ?? String(nameBytes.map { Character(Unicode.Scalar($0)) })
            var entry = Entry(name: name, method: le16(directory, p + 10), flags: le16(directory, p + 8),
                              crc32: le32(directory, p + 16),
                              compressedSize: Int64(le32(directory, p + 20)),
                              uncompressedSize: Int64(le32(directory, p + 24)),
                              localHeaderOffset: Int64(le32(directory, p + 42)))
            // Zip64 extended information: 64-bit values for the fields that hold 0xFFFFFFFF, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = le16(directory, e), length = Int(le16(directory, e + 2))
                let body = e + 4
                guard body + length <= extraEnd else { break }
                if id == 0x0001 {
                    var q = body
                    if entry.uncompressedSize == 0xFFFF_FFFF, q + 8 <= body + length { entry.uncompressedSize = Int64(le64(directory, q)); q += 8 }
                    if entry.compressedSize == 0xFFFF_FFFF, q + 8 <= body + length { entry.compressedSize = Int64(le64(directory, q)); q += 8 }
                    if entry.localHeaderOffset == 0xFFFF_FFFF, q + 8 <= body + length { entry.localHeaderOffset = Int64(le64(directory, q)); q += 8 }
                }
                e = body + length
            }
            entry.localHeaderOffset += shift
            guard entry.localHeaderOffset >= 0, entry.localHeaderOffset < size,
                  entry.compressedSize >= 0, entry.uncompressedSize >= 0 else {
                throw QuernIOError(.corrupt, file: path, offset: start + Int64(p),
                                   message: "zip: central directory entry '\(name)' has an impossible offset or size")
            }
            entries.append(entry)
            p = next
        }
        guard Int64(entries.count) == count || count == 0xFFFF else {
            throw QuernIOError(.corrupt, file: path, offset: start + Int64(p),
                               message: "zip: central directory holds \(entries.count) entries, its end record says \(count)")
        }
        return entries
    }
}

@inline(__always) private func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
@inline(__always) private func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}
@inline(__always) private func le64(_ b: [UInt8], _ i: Int) -> UInt64 {
    UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32
}
private func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
