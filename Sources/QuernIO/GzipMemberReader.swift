import CIsal

/// Decodes a gzip file member by member, telling where each member starts in the file as stored.
///
/// Web archives (WARC, ARC, WET, WAT) compress every record as its own member, so a member's
/// compressed offset is the record's address (what CDX indexes store), and a damaged member costs
/// one record: after a corrupt or truncated member, `nextMember()` finds the next member header and
/// decoding goes on. `GzipReader` stops at the first damage instead, as `gzip -dc` does.
///
/// Use: `while let start = try reader.nextMember() { while let chunk = try reader.nextChunk() {...} }`.
/// `nextChunk()` returns nil at the end of the current member; chunks are borrowed (valid until
/// the next call). Memory: one input block and one output block.
///
/// Decoding uses ISA-L's igzip inflate (CRC-32 checked at each member's end), about twice zlib's
/// speed: on web archives decompression is nearly all of the reading time.
public final class GzipMemberReader {
    /// Where a member starts in the file as stored, and how many bytes before it were skipped
    /// because they were neither a member nor zero padding (0 for a well-formed file).
    public struct Member: Sendable, Equatable {
        public var offset: Int64
        public var skippedBytes: Int64
    }

    public let path: String
    private var input: FileInput
    private let state: UnsafeMutablePointer<inflate_state>
    private let output: UnsafeMutableBufferPointer<UInt8>
    private var inMember = false
    private var memberStart: Int64 = -1
    /// Set when the current member failed: resynchronization starts after its first byte.
    private var damaged = false

    /// Opens `path` ("-" for standard input). Throws when it does not start with a gzip header.
    public init(path: String, outputSize: Int = 1 << 18) throws {
        self.path = path
        input = try FileInput(path: path)
        try input.fill(minimum: 2)
        let head = input.unconsumed
        guard head.count >= 2, head[0] == 0x1f, head[1] == 0x8b else {
            throw QuernIOError(.invalidArgument, file: path, offset: 0, message: "not a gzip file")
        }
        // The inflate state is large and keeps pointers into itself: one heap copy, never moved.
        state = .allocate(capacity: 1)
        state.initialize(to: inflate_state())
        isal_inflate_init(state)
        output = .allocate(capacity: outputSize)
    }

    deinit {
        state.deallocate()
        output.deallocate()
    }

    /// Compressed bytes consumed so far (the end of the last member once decoding is done).
    public var storedBytesRead: Int64 { input.offset }
    public var storedSize: Int64? { input.size }
    /// File offset where the current member starts (-1 before the first).
    public var currentMemberOffset: Int64 { memberStart }

    /// Moves to the next member and returns where it starts, or nil at the end of the file
    /// (trailing zero padding is accepted). Bytes of the current member not yet decoded are
    /// skipped. After damage, the search for the next header restarts one byte after the damaged
    /// member's start (re-reading the file when it is seekable), so a good member that a truncated
    /// one ran into is still found.
    public func nextMember() throws -> Member? {
        if inMember && !damaged {
            // Finish (and thereby skip) the rest of the current member.
            while try nextChunk() != nil {}
        }
        let resyncing = damaged
        if damaged {
            damaged = false
            if input.isSeekable && memberStart >= 0 {
                input = try FileInput(path: path, startingAt: memberStart + 1)
            }
        }
        inMember = false
        let searchFrom = input.offset
        var skipped: Int64 = 0
        var onlyZeros = true
        while true {
            if input.available < 4 { try input.fill(minimum: 4) }
            let bytes = input.unconsumed
            if bytes.isEmpty { break }
            if bytes.count < 4 {
                // Too short to be a member: padding or garbage at the very end.
                if bytes.contains(where: { $0 != 0 }) { onlyZeros = false }
                skipped += Int64(bytes.count)
                input.consume(bytes.count)
                continue
            }
            // A member header: 1f 8b, method 8 (deflate), no reserved flag bits. In a well-formed
            // file the header is right here (i = 0); the byte-by-byte scan only runs over garbage.
            var i = 0
            let n = bytes.count
            var found = -1
            while i &+ 3 < n {
                if bytes[i] == 0x1f && bytes[i &+ 1] == 0x8b && bytes[i &+ 2] == 8 && bytes[i &+ 3] & 0xe0 == 0 {
                    found = i; break
                }
                if bytes[i] != 0 { onlyZeros = false }
                i &+= 1
            }
            if found >= 0 {
                input.consume(found)
                skipped += Int64(found)
                memberStart = input.offset
                isal_inflate_reset(state)
                state.pointee.crc_flag = UInt32(ISAL_GZIP)  // parse the header, check the CRC-32
                inMember = true
                return Member(offset: memberStart, skippedBytes: onlyZeros ? 0 : skipped)
            }
            // Keep the last 3 bytes: a header may straddle the block boundary.
            input.consume(i)
            skipped += Int64(i)
            if input.atEOF && input.available < 4 {
                for b in input.unconsumed where b != 0 { onlyZeros = false }
                skipped += Int64(input.available)
                input.consume(input.available)
                break
            }
        }
        if skipped > 0 && !onlyZeros && !resyncing {
            throw QuernIOError(.trailingGarbage, file: path, offset: searchFrom,
                               message: "\(skipped) bytes of garbage after the last gzip member")
        }
        return nil
    }

    /// The next decoded chunk of the current member, or nil at its end. Throws `.corrupt` or
    /// `.truncated` (offset: the damaged member's start) when the member cannot be decoded; call
    /// `nextMember()` to go on with the next one.
    public func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        guard inMember else { return nil }
        while true {
            if input.available == 0 { try input.fill() }
            let atEnd = input.available == 0
            let before = input.available
            state.pointee.next_in = input.unconsumedPointer
            state.pointee.avail_in = UInt32(truncatingIfNeeded: min(before, Int(UInt32.max)))
            state.pointee.next_out = output.baseAddress!
            state.pointee.avail_out = UInt32(output.count)
            let rc = isal_inflate(state)
            input.consume(before - Int(state.pointee.avail_in))
            let produced = output.count - Int(state.pointee.avail_out)
            if rc < 0 {
                inMember = false; damaged = true
                let why: String
                switch rc {
                case ISAL_INCORRECT_CHECKSUM: why = "CRC-32 mismatch"
                case ISAL_INVALID_WRAPPER, ISAL_UNSUPPORTED_METHOD: why = "bad gzip header"
                default: why = "invalid deflate data (igzip error \(rc))"
                }
                throw QuernIOError(.corrupt, file: path, offset: memberStart,
                                   message: "corrupt gzip member (\(why), near byte \(input.offset))")
            }
            if state.pointee.block_state == ISAL_BLOCK_FINISH {
                // The member ended (trailer checked); igzip hands back input it read ahead.
                inMember = false
                if produced > 0 { return UnsafeBufferPointer(rebasing: output[0..<produced]) }
                return nil
            }
            if produced > 0 { return UnsafeBufferPointer(rebasing: output[0..<produced]) }
            if atEnd {
                inMember = false; damaged = true
                throw QuernIOError(.truncated, file: path, offset: memberStart,
                                   message: "gzip member is truncated (file ends at byte \(input.offset))")
            }
        }
    }
}
