import CBzip2
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Decodes multistream bzip2 (Wikipedia's `pages-articles-multistream.xml.bz2`) on all cores,
/// output in order.
///
/// bzip2 runs at ~24 MB/s per core, the slowest stage of the whole system, but a multistream file
/// is a row of independent, byte-aligned streams. Each starts with "BZh1".."BZh9" followed by the
/// block magic 0x314159265359, so the file can be cut at those ten bytes into segments of about
/// `segmentSize` compressed bytes, decoded side by side and handed back in order.
///
/// Safety net: a segment is accepted only if it decodes to a clean end of stream exactly at its
/// last byte (every block carries a CRC). A false cut (the ten bytes occurring inside compressed
/// data), a damaged stream or trailing garbage makes a segment fail; from there the file is
/// decoded serially, which reports damage exactly as `Bzip2Reader` does. A file with no cut
/// within `maxSegmentSize` (one huge stream) is also decoded serially, in constant memory.
public final class ParallelBzip2Reader: ByteReader {
    public static var defaultThreads: Int { Cores.available }

    /// Output buffers handed back and forth between the workers and the consumer. Fresh
    /// multi-megabyte buffers cost a page fault per 4 KiB (measured: 7% more CPU than bzip2 -dc);
    /// reused ones are already mapped.
    private final class BufferPool: Sendable {
        struct Buffer: @unchecked Sendable {
            var pointer: UnsafeMutableRawPointer
            var capacity: Int
        }
        private let free = Mutex<[Buffer]>([])
        let limit: Int
        init(limit: Int) { self.limit = limit }

        func take(minimumCapacity: Int) -> Buffer? {
            if let buffer = free.withLock({ $0.popLast() }) {
                if buffer.capacity >= minimumCapacity { return buffer }
                guard let grown = realloc(buffer.pointer, minimumCapacity) else {
                    Glibc.free(buffer.pointer)
                    return nil
                }
                return Buffer(pointer: grown, capacity: minimumCapacity)
            }
            return malloc(minimumCapacity).map { Buffer(pointer: $0, capacity: minimumCapacity) }
        }

        func give(_ buffer: Buffer) {
            let kept = free.withLock { list -> Bool in
                guard list.count < limit else { return false }
                list.append(buffer)
                return true
            }
            if !kept { Glibc.free(buffer.pointer) }
        }

        deinit { free.withLock { list in for b in list { Glibc.free(b.pointer) } } }
    }

    /// One decoded segment: owns its output buffer until it goes back to the pool.
    private final class Segment: @unchecked Sendable {
        let start: Int64, end: Int64
        let pool: BufferPool
        var buffer: BufferPool.Buffer?
        var count = 0
        var ok = false
        init(start: Int64, end: Int64, pool: BufferPool) { self.start = start; self.end = end; self.pool = pool }
        var bytes: UnsafeMutablePointer<UInt8>? { buffer?.pointer.assumingMemoryBound(to: UInt8.self) }
        deinit { if let buffer { pool.give(buffer) } }
    }

    public let path: String
    public let codec = Codec.bzip2
    public var storedSize: Int64? { input.size }
    public var storedBytesRead: Int64 { serial?.storedBytesRead ?? deliveredOffset }

    private let input: FileInput
    private let threads: Int
    private let segmentSize: Int
    private let maxSegmentSize: Int
    private let queue = OrderedWorkQueue<Segment>()
    private let pool: BufferPool
    private var current: Segment?
    private var deliveredOffset: Int64 = 0
    private var scanDone = false
    /// Where serial decoding takes over once the queue is empty (nil: never).
    private var serialFrom: Int64?
    private var serial: Bzip2Reader?

    init(input: FileInput, threads: Int, segmentSize: Int = 1 << 19, maxSegmentSize: Int = 16 << 20) throws {
        self.input = input
        self.path = input.path
        self.threads = max(1, threads)
        self.segmentSize = max(16, segmentSize)
        self.maxSegmentSize = max(self.segmentSize * 2, maxSegmentSize)
        pool = BufferPool(limit: self.threads * 2 + 2)
        deliveredOffset = input.offset
    }

    /// Opens `path` for parallel decoding with a chosen segment size (tests use small ones to cut
    /// a small file into many segments).
    public convenience init(path: String, threads: Int = ParallelBzip2Reader.defaultThreads,
                            segmentSize: Int = 1 << 19) throws {
        try self.init(input: FileInput(path: path), threads: threads, segmentSize: segmentSize)
    }

    public func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        if let serial { return try serial.nextChunk() }
        current = nil  // frees the previous segment's output
        while true {
            try submitSegments()
            guard let segment = queue.next() else {
                guard let from = serialFrom else { return nil }
                return try startSerial(at: from)
            }
            guard segment.ok else {
                queue.drain()
                return try startSerial(at: segment.start)
            }
            deliveredOffset = segment.end
            if segment.count > 0 {
                current = segment
                return UnsafeBufferPointer(start: segment.bytes, count: segment.count)
            }
        }
    }

    private func startSerial(at offset: Int64) throws -> UnsafeBufferPointer<UInt8>? {
        let reader = try Bzip2Reader(input: FileInput(path: path, startingAt: offset))
        serial = reader
        return try reader.nextChunk()
    }

    /// Keeps about two segments per core in flight: enough to hide the imbalance between streams,
    /// few enough that memory stays at a few segments' output.
    private func submitSegments() throws {
        while !scanDone && queue.inFlight < threads * 2 {
            guard let length = try nextSegmentLength() else {
                serialFrom = input.offset
                scanDone = true
                return
            }
            if length == 0 { scanDone = true; return }
            let start = input.offset
            let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: length)
            _ = copy.initialize(from: UnsafeBufferPointer(rebasing: input.unconsumed[..<length]))
            input.consume(length)
            let segment = Segment(start: start, end: start + Int64(length), pool: pool)
            let compressed = SendableBuffer(copy)
            queue.submit {
                Self.decode(compressed.pointer, into: segment)
                compressed.pointer.deallocate()
                return segment
            }
        }
    }

    /// Length of the next segment: up to the first stream start at or past `segmentSize`, or to
    /// the end of the file. Returns nil when no stream start appears within `maxSegmentSize`.
    private func nextSegmentLength() throws -> Int? {
        if input.available < segmentSize + 10 { try input.fill(minimum: segmentSize + 10) }
        var searchFrom = segmentSize
        while true {
            let bytes = input.unconsumed
            if searchFrom < bytes.count, let cut = Self.findStreamStart(in: bytes, from: searchFrom) {
                return cut
            }
            if input.atEOF { return bytes.count }
            if bytes.count >= maxSegmentSize { return nil }
            searchFrom = max(segmentSize, bytes.count - 9)
            try input.fill(minimum: min(bytes.count * 2, maxSegmentSize + 10))
        }
    }

    /// First offset ≥ `from` where "BZh[1-9]" + block magic 31 41 59 26 53 59 starts.
    /// memchr (vectorized in glibc) finds each 0x31; in compressed data that stops once every
    /// ~256 bytes, so the nine-byte check around it costs next to nothing.
    static func findStreamStart(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var position = max(from, 0) + 4
        while position + 6 <= bytes.count {
            guard let hit = memchr(base + position, 0x31, bytes.count - 5 - position) else { return nil }
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if bytes[at + 1] == 0x41, bytes[at + 2] == 0x59, bytes[at + 3] == 0x26,
               bytes[at + 4] == 0x53, bytes[at + 5] == 0x59,
               bytes[at - 4] == 0x42, bytes[at - 3] == 0x5a, bytes[at - 2] == 0x68,
               (0x31...0x39).contains(bytes[at - 1]) {
                return at - 4
            }
            position = at + 1
        }
        return nil
    }

    /// Decodes every stream of one segment. Succeeds only when the last stream ends exactly at the
    /// segment's end.
    private static func decode(_ compressed: UnsafeMutableBufferPointer<UInt8>, into segment: Segment) {
        guard var buffer = segment.pool.take(minimumCapacity: max(1 << 16, compressed.count * 6)) else { return }
        var count = 0
        defer { segment.buffer = buffer; segment.count = count }
        var stream = bz_stream()
        var consumed = 0
        while consumed < compressed.count {
            guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else { return }
            defer { BZ2_bzDecompressEnd(&stream) }
            stream.next_in = UnsafeMutableRawPointer(compressed.baseAddress! + consumed)
                .assumingMemoryBound(to: CChar.self)
            stream.avail_in = UInt32(compressed.count - consumed)
            var rc: Int32 = BZ_OK
            repeat {
                if count == buffer.capacity {
                    guard let grown = realloc(buffer.pointer, buffer.capacity * 2) else { return }
                    buffer = BufferPool.Buffer(pointer: grown, capacity: buffer.capacity * 2)
                }
                stream.next_out = (buffer.pointer + count).assumingMemoryBound(to: CChar.self)
                stream.avail_out = UInt32(min(buffer.capacity - count, Int(UInt32.max)))
                let room = Int(stream.avail_out)
                rc = BZ2_bzDecompress(&stream)
                count += room - Int(stream.avail_out)
                // BZ_OK with no input left and no output room to blame means the stream is cut short.
                if rc == BZ_OK && stream.avail_in == 0 && stream.avail_out > 0 { return }
            } while rc == BZ_OK
            guard rc == BZ_STREAM_END else { return }
            consumed = compressed.count - Int(stream.avail_in)
        }
        segment.ok = true
    }
}
