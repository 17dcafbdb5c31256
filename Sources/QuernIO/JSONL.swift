// JSON Lines: one document per line, over any ByteReader (plain or compressed) and ByteWriter.
//
// Lines are cut out of the reader's borrowed chunks in place; only a line that straddles two
// chunks is copied (into a carry-over buffer). Damaged lines are reported with their line number
// and skipped, so one bad record never costs the rest of a file.

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Line splitting

/// One line as the splitter hands it out.
enum SplitLine {
    /// `bytes` (without the newline) is borrowed until the next call.
    case line(bytes: UnsafeBufferPointer<UInt8>, number: Int, offset: Int64)
    /// A line longer than the limit: it is skipped, not buffered.
    case tooLong(number: Int, offset: Int64)
}

/// Cuts a ByteReader's chunks into lines ('\n'; a last line without newline counts).
final class LineSplitter {
    let reader: ByteReader
    let maxLineBytes: Int

    private var chunk = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private var chunkPosition = 0
    /// Offset in the decompressed stream of chunk[0].
    private var chunkOffset: Int64 = 0
    private var atEnd = false

    /// The part of a straddling line seen so far (or the last line handed out from it).
    private var carry: UnsafeMutablePointer<UInt8>
    private var carryCapacity: Int
    private var carryCount = 0
    private var carryOffset: Int64 = 0
    /// Discarding the rest of a line already reported as too long.
    private(set) var skipping = false
    /// Lines handed out so far, blank ones included (the 1-based number of the last line).
    private(set) var lineNumber = 0

    init(reader: ByteReader, maxLineBytes: Int) {
        self.reader = reader
        self.maxLineBytes = max(1, maxLineBytes)
        carryCapacity = 1 << 16
        carry = .allocate(capacity: carryCapacity)
    }

    deinit { carry.deallocate() }

    func next() throws -> SplitLine? {
        carryCount = 0 // the line handed out last (if it was the carry) is no longer needed
        while true {
            if chunkPosition < chunk.count {
                let start = chunkPosition
                let p = chunk.baseAddress! + start
                let n = chunk.count &- start
                if let found = memchr(p, 0x0A, n) {
                    let length = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p
                    chunkPosition = start &+ length &+ 1
                    if skipping {
                        skipping = false
                        continue
                    }
                    lineNumber &+= 1
                    if carryCount == 0 {
                        if length > maxLineBytes { return .tooLong(number: lineNumber, offset: chunkOffset + Int64(start)) }
                        return .line(bytes: UnsafeBufferPointer(start: p, count: length), number: lineNumber,
                                     offset: chunkOffset + Int64(start))
                    }
                    guard appendToCarry(p, length) else {
                        carryCount = 0
                        return .tooLong(number: lineNumber, offset: carryOffset)
                    }
                    return .line(bytes: UnsafeBufferPointer(start: carry, count: carryCount), number: lineNumber,
                                 offset: carryOffset)
                }
                // No newline in the rest of this chunk: the line straddles into the next one.
                chunkPosition = chunk.count
                if skipping { continue }
                if carryCount == 0 { carryOffset = chunkOffset + Int64(start) }
                guard appendToCarry(p, n) else {
                    carryCount = 0
                    skipping = true
                    lineNumber &+= 1
                    return .tooLong(number: lineNumber, offset: carryOffset)
                }
            } else {
                if atEnd { return nil }
                chunkOffset += Int64(chunk.count)
                chunk = UnsafeBufferPointer(start: nil, count: 0)
                chunkPosition = 0
                if let next = try reader.nextChunk() {
                    chunk = next
                    continue
                }
                atEnd = true
                if skipping {
                    skipping = false
                    return nil
                }
                if carryCount > 0 {
                    lineNumber &+= 1
                    return .line(bytes: UnsafeBufferPointer(start: carry, count: carryCount), number: lineNumber,
                                 offset: carryOffset)
                }
                return nil
            }
        }
    }

    /// Appends to the carry-over; false when the line would exceed `maxLineBytes`.
    private func appendToCarry(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let needed = carryCount &+ n
        guard needed <= maxLineBytes else { return false }
        if needed > carryCapacity {
            var capacity = carryCapacity
            while capacity < needed { capacity = capacity &* 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            grown.update(from: carry, count: carryCount)
            carry.deallocate()
            carry = grown
            carryCapacity = capacity
        }
        (carry + carryCount).update(from: p, count: n)
        carryCount = needed
        return true
    }

    /// Hands the unread rest of the current chunk to a caller that goes on reading the reader's
    /// chunks itself (the parallel path). Valid until the reader's next `nextChunk()`. Afterwards
    /// this splitter reports the end of input.
    func handOver() -> (pending: UnsafeBufferPointer<UInt8>, offset: Int64, skipping: Bool, atEnd: Bool) {
        carryCount = 0
        let pending = chunkPosition < chunk.count
            ? UnsafeBufferPointer(rebasing: chunk[chunkPosition...])
            : UnsafeBufferPointer(start: nil, count: 0)
        let result = (pending, chunkOffset + Int64(chunkPosition), skipping, atEnd)
        chunkOffset += Int64(chunk.count)
        chunk = UnsafeBufferPointer(start: nil, count: 0)
        chunkPosition = 0
        skipping = false
        atEnd = true
        return result
    }

    /// Counts lines the parallel path read past this splitter.
    func advanceLineNumber(by lines: Int) { lineNumber &+= lines }
}

// MARK: - One line to one document

enum LineOutcome {
    case blank
    case document(Document)
    case malformed(JSONError)
}

extension JSONLReader {
    /// Parses one line (without its '\n'): a trailing '\r' is dropped, a UTF-8 byte order mark
    /// at the very start of the stream is skipped, lines of only whitespace are blank.
    static func parse(line: UnsafeBufferPointer<UInt8>, atStreamStart: Bool, parser: inout JSONParser) -> LineOutcome {
        var bytes = line
        if let last = bytes.last, last == 0x0D { bytes = UnsafeBufferPointer(rebasing: bytes.dropLast()) }
        if atStreamStart, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            bytes = UnsafeBufferPointer(rebasing: bytes.dropFirst(3))
        }
        if bytes.isEmpty { return .blank }
        if let first = bytes.first, first == 0x20 || first == 0x09 || first == 0x0D,
           bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
            return .blank
        }
        do throws(JSONError) {
            return .document(try Document(jsonLine: bytes, parser: &parser))
        } catch {
            return .malformed(error)
        }
    }

    static func malformedError(_ error: JSONError, file: String, line: Int, offset: Int64, codec: Codec) -> QuernIOError {
        var message = "malformed record at byte \(error.offset) of the line: \(error.message)"
        if codec != .plain { message += " (offsets count decompressed bytes)" }
        return QuernIOError(.malformedRecord, file: file, offset: offset, record: line, message: message)
    }

    static func tooLongError(file: String, line: Int, offset: Int64, limit: Int, codec: Codec) -> QuernIOError {
        var message = "line longer than \(limit) bytes skipped"
        if codec != .plain { message += " (offsets count decompressed bytes)" }
        return QuernIOError(.malformedRecord, file: file, offset: offset, record: line, message: message)
    }
}

// MARK: - Reader

/// Documents from a JSON Lines stream, one per non-blank line.
///
/// A malformed line (bad JSON, not an object, no string `text`, over-long) is skipped and counted
/// in `malformedLines`; the first `maxErrorsKept` of them are kept in `errors` as
/// `QuernIOError(.malformedRecord)` with the file, the 1-based line number as `record` and the
/// byte offset where the line starts in the decompressed stream as `offset` (for plain files that
/// is the file offset). Errors of the input itself (a damaged gzip member...) are thrown.
///
/// Read sequentially with `next()`, or on all cores with `forEachBatch` / `forEachDocument`
/// (the stream is cut into batches of whole lines, parsed in parallel and delivered in order).
/// The two may be mixed: a parallel pass takes over wherever `next()` stopped.
public final class JSONLReader {
    /// The input's path, as errors name it.
    public var path: String { reader.path }
    /// How many malformed-line errors `errors` keeps (all are counted in `malformedLines`).
    public let maxErrorsKept: Int
    /// Lines longer than this are reported as malformed and skipped without being buffered.
    public let maxLineBytes: Int

    /// The first `maxErrorsKept` malformed lines, in line order.
    public private(set) var errors: [QuernIOError] = []
    /// Malformed lines skipped so far.
    public private(set) var malformedLines = 0
    /// Documents returned or delivered so far.
    public private(set) var documentsRead = 0
    /// Lines read so far, blank and malformed ones included.
    public var linesRead: Int { splitter.lineNumber }

    private let reader: ByteReader
    private let splitter: LineSplitter
    private var parser = JSONParser()

    /// The default limit for one line: 256 MiB.
    public static let defaultMaxLineBytes = 1 << 28

    public init(_ reader: ByteReader, maxErrorsKept: Int = 100, maxLineBytes: Int = JSONLReader.defaultMaxLineBytes) {
        self.reader = reader
        self.maxErrorsKept = max(0, maxErrorsKept)
        self.maxLineBytes = max(1, maxLineBytes)
        splitter = LineSplitter(reader: reader, maxLineBytes: self.maxLineBytes)
    }

    /// Opens `path` (any codec) for reading documents.
    public convenience init(path: String, maxErrorsKept: Int = 100) throws {
        self.init(try Input.open(path), maxErrorsKept: maxErrorsKept)
    }

    /// The next document, skipping blank and malformed lines; nil at the end of the input.
    public func next() throws -> Document? {
        while let item = try splitter.next() {
            switch item {
            case .tooLong(let number, let offset):
                record(JSONLReader.tooLongError(file: path, line: number, offset: offset, limit: maxLineBytes, codec: reader.codec))
            case .line(let bytes, let number, let offset):
                switch JSONLReader.parse(line: bytes, atStreamStart: offset == 0, parser: &parser) {
                case .blank: continue
                case .document(let document):
                    documentsRead &+= 1
                    return document
                case .malformed(let error):
                    record(JSONLReader.malformedError(error, file: path, line: number, offset: offset, codec: reader.codec))
                }
            }
        }
        return nil
    }

    /// Reads every remaining document in order.
    public func readAll() throws -> [Document] {
        var documents: [Document] = []
        while let document = try next() { documents.append(document) }
        return documents
    }

    private func record(_ error: QuernIOError) {
        malformedLines &+= 1
        if errors.count < maxErrorsKept { errors.append(error) }
    }

    // MARK: Parallel

    /// What one batch job sends back.
    private struct BatchOutput<R: Sendable>: Sendable {
        var result: R?
        var lines = 0
        var documents = 0
        var malformed = 0
        /// Errors with line numbers counted from the batch's first line (1-based).
        var errors: [QuernIOError] = []
        /// The batch's buffer, handed back for reuse (fresh buffers cost page faults and zeroing).
        var buffer: SendableBuffer?
    }

    /// Reads the rest of the stream on all cores: cuts it into batches of whole lines of about
    /// `batchBytes`, parses each batch into documents and runs `work` on them on a pool thread,
    /// then calls `deliver` with the results on this thread, in the order of the input.
    ///
    /// Memory stays bounded: at most about `4 × threads` batches are in flight. Malformed lines
    /// are counted and kept in `errors` exactly as `next()` does. With `threads` ≤ 1 everything
    /// runs on the calling thread.
    public func forEachBatch<R: Sendable>(threads: Int = Cores.available, batchBytes: Int = 1 << 20,
                                          work: @escaping @Sendable (_ documents: [Document]) -> R,
                                          deliver: (R) throws -> Void) throws {
        let path = self.path
        let codec = reader.codec
        let maxErrors = maxErrorsKept
        let maxLine = maxLineBytes
        try runBatches(threads: threads, batchBytes: batchBytes, job: { batch, count, offset in
            JSONLReader.parseBatch(batch, count: count, offset: offset, path: path, codec: codec,
                                   maxErrors: maxErrors, maxLineBytes: maxLine, work: work)
        }, deliver: deliver)
    }

    /// Plain text the same way: the rest of the stream cut into batches of whole lines of about
    /// `batchBytes`, `work` run on each batch's bytes (lines separated by '\n'; the last line of
    /// the stream may lack it) on a pool thread, results delivered here in input order. Lines
    /// longer than `maxLineBytes` are skipped and reported in `errors` like malformed records;
    /// `documentsRead` counts the non-empty lines. Used for one-sentence-per-line text.
    public func forEachLineBatch<R: Sendable>(threads: Int = Cores.available, batchBytes: Int = 1 << 20,
                                              work: @escaping @Sendable (_ lines: UnsafeBufferPointer<UInt8>) -> R,
                                              deliver: (R) throws -> Void) throws {
        try runBatches(threads: threads, batchBytes: batchBytes, job: { batch, count, _ in
            let bytes = UnsafeBufferPointer(rebasing: UnsafeBufferPointer(batch.pointer)[..<count])
            var output = BatchOutput<R>()
            var position = 0
            while position < count {
                let end = memchr(bytes.baseAddress! + position, 0x0A, count &- position)
                    .map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - bytes.baseAddress! } ?? count
                output.lines &+= 1
                if end > position { output.documents &+= 1 }
                position = end &+ 1
            }
            output.result = work(bytes)
            output.buffer = batch
            return output
        }, deliver: deliver)
    }

    /// The batching machinery shared by `forEachBatch` and `forEachLineBatch`: `job` turns one
    /// batch (buffer, byte count, stream offset of its first byte) into a `BatchOutput`.
    private func runBatches<R: Sendable>(threads: Int, batchBytes: Int,
                                         job: @escaping @Sendable (SendableBuffer, Int, Int64) -> BatchOutput<R>,
                                         deliver: (R) throws -> Void) throws {
        let path = self.path
        let codec = reader.codec
        let maxErrors = maxErrorsKept
        let maxLine = maxLineBytes
        let batchTarget = max(1 << 12, batchBytes)
        let maxInFlight = max(2, threads * 4)
        let queue = OrderedWorkQueue<BatchOutput<R>>()

        // Batch buffers of the standard size are reused: at most `maxInFlight + 1` exist.
        var spare: [SendableBuffer] = []
        defer { for buffer in spare { buffer.pointer.deallocate() } }
        // When `deliver` or the reader throws, jobs still in flight finish and free their buffers.
        defer { while let output = queue.next() { output.buffer?.pointer.deallocate() } }

        func handle(_ output: BatchOutput<R>) throws {
            if let buffer = output.buffer {
                if buffer.pointer.count == batchTarget { spare.append(buffer) } else { buffer.pointer.deallocate() }
            }
            let base = splitter.lineNumber
            splitter.advanceLineNumber(by: output.lines)
            malformedLines &+= output.malformed
            documentsRead &+= output.documents
            for var error in output.errors where errors.count < maxErrorsKept {
                error.record = error.record.map { $0 + base }
                errors.append(error)
            }
            if let result = output.result { try deliver(result) }
        }

        // The job is always started (or run) before anything can throw, so its buffer comes back
        // through `handle` or the draining `defer` above, never leaks.
        func run(_ job: @escaping @Sendable () -> BatchOutput<R>) throws {
            if threads <= 1 {
                try handle(job())
                return
            }
            queue.submit(job)
            while queue.inFlight > maxInFlight, let done = queue.next() { try handle(done) }
        }

        // The batch being filled: buffer[0..<used] starts at stream offset `bufferOffset`, and
        // buffer[0..<newlineFree] is known to hold no newline (the start of a long line), so it
        // is never scanned twice.
        var capacity = batchTarget
        var buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        var used = 0
        var newlineFree = 0
        defer { buffer.deallocate() }

        let (pending, startOffset, startSkipping, alreadyAtEnd) = splitter.handOver()
        var bufferOffset = startOffset
        var skipping = startSkipping

        /// Hands buffer[0..<count] to a job and keeps the rest in a fresh buffer.
        func submitBatch(count: Int) throws {
            let rest = used - count
            var nextCapacity = batchTarget
            while nextCapacity < rest * 2 { nextCapacity *= 2 }
            let next = nextCapacity == batchTarget && !spare.isEmpty
                ? spare.removeLast().pointer
                : UnsafeMutableBufferPointer<UInt8>.allocate(capacity: nextCapacity)
            if rest > 0 { next.baseAddress!.update(from: buffer.baseAddress! + count, count: rest) }
            let batch = SendableBuffer(buffer)
            let offset = bufferOffset
            buffer = next
            capacity = nextCapacity
            used = rest
            newlineFree = rest // what follows the last newline holds none
            bufferOffset += Int64(count)
            try run { job(batch, count, offset) }
        }

        /// Copies `bytes` into batches, cutting each batch after its last newline once it holds
        /// `batchTarget` bytes. A line longer than that grows the buffer up to the line limit.
        func feed(_ bytes: UnsafeBufferPointer<UInt8>) throws {
            guard var p = bytes.baseAddress else { return }
            var n = bytes.count
            while n > 0 {
                if skipping {
                    // The rest of an over-long line: drop bytes up to and including its newline.
                    guard let found = memchr(p, 0x0A, n) else {
                        bufferOffset += Int64(n)
                        return
                    }
                    let k = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - p + 1
                    p += k
                    n -= k
                    bufferOffset += Int64(k)
                    skipping = false
                    continue
                }
                let k = min(capacity - used, n)
                (buffer.baseAddress! + used).update(from: p, count: k)
                used += k
                p += k
                n -= k
                guard used >= batchTarget else { continue }
                if let last = JSONLReader.lastNewline(buffer.baseAddress! + newlineFree, used - newlineFree) {
                    try submitBatch(count: newlineFree + last + 1)
                    continue
                }
                newlineFree = used
                guard used == capacity else { continue } // a grown buffer with room left
                if capacity > maxLine {
                    // One line fills the whole buffer and is still going: report it, skip the rest.
                    let offset = bufferOffset
                    try run {
                        BatchOutput(result: nil, lines: 1, documents: 0, malformed: 1,
                                    errors: maxErrors > 0 ? [JSONLReader.tooLongError(file: path, line: 1, offset: offset,
                                                                                     limit: maxLine, codec: codec)] : [])
                    }
                    bufferOffset += Int64(used)
                    used = 0
                    newlineFree = 0
                    skipping = true
                    if capacity != batchTarget {
                        buffer.deallocate()
                        buffer = spare.popLast()?.pointer ?? .allocate(capacity: batchTarget)
                        capacity = batchTarget
                    }
                } else {
                    // A line longer than the batch: grow the buffer (up to just past the limit).
                    let grownCapacity = min(capacity * 2, maxLine + 1)
                    let grown = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: grownCapacity)
                    grown.baseAddress!.update(from: buffer.baseAddress!, count: used)
                    buffer.deallocate()
                    buffer = grown
                    capacity = grownCapacity
                }
            }
        }

        try feed(pending)
        if !alreadyAtEnd {
            while let chunk = try reader.nextChunk() { try feed(chunk) }
        }
        if used > 0 && !skipping { try submitBatch(count: used) }
        while let done = queue.next() { try handle(done) }
    }

    /// Calls `body` with every remaining document, in order, parsing on `threads` cores.
    public func forEachDocument(threads: Int = Cores.available, batchBytes: Int = 1 << 20,
                                _ body: (Document) throws -> Void) throws {
        try forEachBatch(threads: threads, batchBytes: batchBytes, work: { $0 }) { documents in
            for document in documents { try body(document) }
        }
    }

    /// The index of the last '\n' in p[0..<count] (glibc's memrchr is not visible to Swift). The
    /// scan covers about one line: batches are cut right after a newline.
    static func lastNewline(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        var i = count
        while i > 0 {
            i &-= 1
            if p[i] == 0x0A { return i }
        }
        return nil
    }

    /// One batch job: every line of `batch[0..<count]` parsed, `work` run on the documents, the
    /// buffer handed back. Line numbers in errors count from 1 at the batch's first line.
    private static func parseBatch<R: Sendable>(_ batch: SendableBuffer, count: Int, offset: Int64, path: String,
                                                codec: Codec, maxErrors: Int, maxLineBytes: Int,
                                                work: @Sendable ([Document]) -> R) -> BatchOutput<R> {
        let base = UnsafePointer(batch.pointer.baseAddress!)
        var parser = JSONParser()
        var documents: [Document] = []
        var output = BatchOutput<R>()
        var position = 0
        while position < count {
            let lineEnd: Int
            if let found = memchr(base + position, 0x0A, count - position) {
                lineEnd = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
            } else {
                lineEnd = count
            }
            output.lines &+= 1
            let lineOffset = offset + Int64(position)
            if lineEnd - position > maxLineBytes {
                output.malformed &+= 1
                if output.errors.count < maxErrors {
                    output.errors.append(tooLongError(file: path, line: output.lines, offset: lineOffset,
                                                      limit: maxLineBytes, codec: codec))
                }
            } else {
                let line = UnsafeBufferPointer(start: base + position, count: lineEnd - position)
                switch parse(line: line, atStreamStart: lineOffset == 0, parser: &parser) {
                case .blank: break
                case .document(let document): documents.append(document)
                case .malformed(let error):
                    output.malformed &+= 1
                    if output.errors.count < maxErrors {
                        output.errors.append(malformedError(error, file: path, line: output.lines,
                                                            offset: lineOffset, codec: codec))
                    }
                }
            }
            position = lineEnd + 1
        }
        output.buffer = batch
        output.documents = documents.count
        output.result = work(documents)
        return output
    }
}

// MARK: - Writer

/// Writes documents (or any JSON values) as JSON Lines to a ByteWriter, in blocks of about
/// `bufferBytes`. Call `finish()` to flush and finish the underlying writer.
public final class JSONLWriter {
    private let output: ByteWriter
    private let bufferBytes: Int
    private var buffer: [UInt8] = []
    /// Lines written so far.
    public private(set) var linesWritten = 0

    public init(_ output: ByteWriter, bufferBytes: Int = 1 << 20) {
        self.output = output
        self.bufferBytes = max(1, bufferBytes)
        buffer.reserveCapacity(self.bufferBytes + (1 << 16))
    }

    /// Opens `path` for writing (compressed by its extension, renamed into place by `finish()`).
    public convenience init(path: String) throws {
        self.init(try OutputFile(path: path))
    }

    /// Appends one document as a line.
    public func write(_ document: Document) throws {
        document.write(to: &buffer)
        try endLine()
    }

    /// Appends one JSON value as a line.
    public func write(_ value: JSONValue) throws {
        value.write(to: &buffer)
        try endLine()
    }

    private func endLine() throws {
        buffer.append(0x0A)
        linesWritten &+= 1
        if buffer.count >= bufferBytes { try flush() }
    }

    /// Hands everything buffered to the underlying writer.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try output.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and finishes the underlying writer (for files: renames them into place).
    public func finish() throws {
        try flush()
        try output.finish()
    }
}
