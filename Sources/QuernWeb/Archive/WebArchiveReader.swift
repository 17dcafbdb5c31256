#if canImport(Glibc)
import Glibc
#endif
import QuernIO

/// Reads the records of a WARC (1.0, 1.1, 0.17, 0.18), WET, WAT or ARC (v1, v2) file, streaming,
/// from any input `Input.open` accepts. gzip input is decoded member by member, so records get the
/// compressed offset of their member (see `WebRecord.offset`) and a damaged member costs only the
/// records inside it.
///
/// Damage never stops the reader: a bad header, a Content-Length that is wrong or runs past the
/// end, a corrupt or truncated gzip member, or garbage between records is reported to `onIssue`
/// (file + offset), counted in `stats.issues`, and reading resumes at the next record (the next
/// gzip member, or the next line starting "WARC/"). Good records after the damage are still read:
/// when a record's declared length proves wrong, the search for the next record starts again at
/// that record's block, not after it.
///
/// Memory: one decoded chunk, the header lines of one record and the block of the record being
/// returned; blocks over `maxBlockBytes` are skipped without being stored.
///
/// Standard input ("-") is read as one stream: gzip there is decoded by `GzipReader`, so offsets
/// are decompressed-stream offsets and gzip damage ends the input.
///
/// Use: `for record in reader { ... }` or `while let record = reader.next() { ... }`.
public final class WebArchiveReader: Sequence, IteratorProtocol {
    public let path: String
    /// Found from the first record; nil until then (or when nothing readable was found).
    public private(set) var format: WebArchiveFormat?
    /// Records returned, by kind, and damage found, by issue.
    public private(set) var stats = WebArchiveStats()
    /// Called with every damage found (the record is skipped and counted either way).
    public var onIssue: ((WebArchiveIssue, QuernIOError) -> Void)?
    /// Larger blocks are skipped (`WebRecord.blockOmitted`) instead of being stored.
    public var maxBlockBytes: Int

    private enum Backend {
        case members(GzipMemberReader)
        case stream(ByteReader)
    }
    private let backend: Backend
    private var memberOpen = false

    // Unread bytes: carry[carryStart..<carryEnd] (owned: pushed back or gathered by peek), then
    // chunk[chunkPos...] (borrowed from the decoder until the next fetch).
    private var carry: UnsafeMutablePointer<UInt8>
    private var carryCapacity = 1 << 12
    private var carryStart = 0, carryEnd = 0
    private var chunk = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private var chunkPos = 0
    /// Decompressed-stream offset of the next unread byte, and of the end of what was decoded.
    private var position: Int64 = 0
    private var fetchedEnd: Int64 = 0
    private var atEnd = false
    /// Damage met while decoding; the bytes decoded before it are still read.
    private var damage: QuernIOError?
    /// Stream offset where the damaged data starts: the damaged gzip member's first byte (none of
    /// its bytes can be trusted: a CRC failure is only seen at its end), else the damage point.
    private var damageStart: Int64 = .max
    private var currentMemberStream: Int64 = 0
    /// gzip members that start at or after the current record: (stream offset, file offset).
    private var memberStarts: [(stream: Int64, stored: Int64)] = []
    /// Suppresses a second report for the bytes skipped while resynchronizing after damage.
    private var resyncingAfterDamage = false
    private var line: [UInt8] = []
    private var arcVersion = 1
    private var recordNumber = 0

    /// Opens `path` ("-" for standard input); `threads` is passed to `Input.open` for bzip2/xz.
    public init(path: String, maxBlockBytes: Int = 256 << 20,
                threads: Int = ParallelBzip2Reader.defaultThreads) throws {
        self.path = path
        self.maxBlockBytes = maxBlockBytes
        // gzip files are read member by member; GzipMemberReader checks the magic itself, so the
        // file is opened once. Anything else (or a file that cannot be opened, whose error then
        // comes from Input.open) goes through the codec-detecting stream.
        if path != "-", let members = try? GzipMemberReader(path: path) {
            backend = .members(members)
        } else {
            backend = .stream(try Input.open(path, threads: threads))
        }
        carry = .allocate(capacity: carryCapacity)
        stats.files = 1
        line.reserveCapacity(1 << 12)
    }

    deinit { carry.deallocate() }

    // MARK: Records

    /// The next good record, or nil at the end of the input. Never throws: damage is reported
    /// through `onIssue` and `stats`, and the reader moves on to the next record.
    public func next() -> WebRecord? {
        while true {
            skipLineEnds()
            let start = position
            let head = peek(11)
            if head.isEmpty {
                if let d = damage { reportDamage(d); continue }
                return nil
            }
            memberStarts.removeAll { $0.stream < start }
            if format == nil {
                if ASCII.hasPrefixIgnoringCase(head, "warc/") { format = .warc }
                else if ASCII.hasPrefixIgnoringCase(head, "filedesc://") { format = .arc }
                else {
                    report(.garbage, at: start, "not a WARC or ARC record (the file starts with neither \"WARC/\" nor \"filedesc://\")")
                    resynchronize(failedAt: start)
                    continue
                }
            }
            if format == .warc && !ASCII.hasPrefixIgnoringCase(head, "warc/") {
                report(.garbage, at: start, "bytes that do not start a WARC record")
                resynchronize(failedAt: start)
                continue
            }
            recordNumber += 1
            let record: WebRecord?
            switch format! {
            case .warc: record = readWARCRecord(start: start)
            case .arc: record = readARCRecord(start: start)
            }
            if let record {
                stats.records[record.kind, default: 0] += 1
                return record
            }
        }
    }

    private func readWARCRecord(start: Int64) -> WebRecord? {
        guard readLine() else { return nil }
        let version: String? = line.withUnsafeBufferPointer { l in
            let v = ASCII.trimmed(l)
            guard ASCII.hasPrefixIgnoringCase(v, "warc/"), v.count <= 16 else { return nil }
            let number = UnsafeBufferPointer(rebasing: v[5...])
            guard let dot = number.firstIndex(of: 0x2E),
                  ASCII.decimal(UnsafeBufferPointer(rebasing: number[..<dot])) != nil,
                  ASCII.decimal(UnsafeBufferPointer(rebasing: number[(dot + 1)...])) != nil
            else { return nil }
            return "WARC/" + ASCII.string(number)
        }
        guard let version else {
            report(.badHeader, at: start, "bad WARC version line")
            resynchronize(failedAt: start)
            return nil
        }
        var fields = WARCFields()
        // Named fields up to the blank line. Only the handful kept become Strings; the rest are
        // recognised by length and first bytes and dropped.
        var headerBytes = 0
        while true {
            guard readLine() else {
                finishTruncated(start: start, "input ends inside the WARC header")
                return nil
            }
            headerBytes += line.count
            let blank = line.count <= 2 && line.allSatisfy { $0 == 0x0D || $0 == 0x0A }
            if blank { break }
            if headerBytes > 1 << 20 {
                report(.badHeader, at: start, "WARC header longer than 1 MiB")
                resynchronize(failedAt: start)
                return nil
            }
            let ok = line.withUnsafeBufferPointer { fields.add(line: $0) }
            if !ok {
                report(.badHeader, at: start, "WARC header line without a colon")
                resynchronize(failedAt: start)
                return nil
            }
        }
        guard let length = fields.contentLength else {
            report(.badHeader, at: start, fields.sawContentLength
                   ? "Content-Length is not a number" : "WARC header has no Content-Length")
            resynchronize(failedAt: start)
            return nil
        }
        let typeName = fields.typeName ?? ""
        var record = WebRecord(
            format: .warc, version: version,
            type: typeName.utf8.withContiguousStorageIfAvailable { WebRecordType(bytes: $0) } ?? .unknown,
            typeName: typeName, recordID: fields.recordID, targetURI: fields.targetURI,
            date: fields.date, contentType: fields.contentType,
            identifiedPayloadType: fields.payloadType, offset: start, offsetIsCompressed: false,
            length: nil, declaredLength: length, block: [], blockOmitted: false)
        return finishBlock(&record, start: start, length: length) ? record : nil
    }

    private func readARCRecord(start: Int64) -> WebRecord? {
        guard readLine() else { return nil }
        let isFiledesc = line.withUnsafeBufferPointer { ASCII.hasPrefixIgnoringCase($0, "filedesc://") }
        guard let header = line.withUnsafeBufferPointer({ ARCHeader(line: $0, version: isFiledesc ? nil : arcVersion) })
        else {
            report(.badHeader, at: start, "bad ARC record header line")
            resynchronize(failedAt: start)
            return nil
        }
        if isFiledesc { arcVersion = header.version }
        var record = WebRecord(
            format: .arc, version: "ARC/\(arcVersion)", type: isFiledesc ? .warcinfo : .response,
            typeName: isFiledesc ? "warcinfo" : "response", recordID: nil, targetURI: header.url,
            date: header.date, contentType: header.mime, identifiedPayloadType: nil,
            offset: start, offsetIsCompressed: false, length: nil, declaredLength: header.length,
            block: [], blockOmitted: false)
        guard finishBlock(&record, start: start, length: header.length) else { return nil }
        if isFiledesc {
            // The block opens with "<version> <reserved> <origin>": it confirms v1 or v2.
            if let first = record.block.split(separator: 0x20, maxSplits: 1).first,
               first.count == 1, first[first.startIndex] == 0x32 { arcVersion = 2 }
            record.version = "ARC/\(arcVersion)"
        }
        return record
    }

    /// Reads the block, checks what follows it and fills offset and length. False when the record
    /// was dropped (reported already).
    private func finishBlock(_ record: inout WebRecord, start: Int64, length: Int) -> Bool {
        let blockStart = position
        if length > maxBlockBytes {
            guard skip(length) == length else {
                finishTruncated(start: start, "Content-Length \(length) runs past the end of the input")
                return false
            }
            record.blockOmitted = true
        } else {
            record.block = readBlock(length)
            if record.block.count < length {
                let partial = record.block
                record.block = []
                if damage == nil { pushBack(partial, at: blockStart) }
                finishTruncated(start: start, "Content-Length \(length) runs past the end of the input")
                return false
            }
        }
        // The block is followed by a blank line (CRLF CRLF in WARC, LF in ARC), then the next record
        // or the end. Anything else means the declared length was wrong.
        // Look before consuming, so a wrong length can be undone: line ends, then "WARC/" or nothing.
        var ends = 0
        var look = peek(64)
        while ends < look.count && (look[ends] == 0x0A || look[ends] == 0x0D) { ends &+= 1 }
        if ends == 64 {
            skipLineEnds()  // a run of blank lines: pathological but harmless
            ends = 0
        }
        look = peek(ends + 5)
        if let d = damage, damageStart < position + Int64(ends) {
            // The record's own gzip member is damaged (its CRC failed after the block was read).
            reportDamage(d)
            return false
        }
        let next = UnsafeBufferPointer(rebasing: look[ends...])
        let exactSeparator = ends >= 4 && look[0] == 0x0D && look[1] == 0x0A && look[2] == 0x0D && look[3] == 0x0A
        if format == .warc && !exactSeparator && !next.isEmpty && !ASCII.hasPrefixIgnoringCase(next, "warc/") && !record.blockOmitted {
            report(.wrongContentLength, at: start,
                   "Content-Length \(length) is wrong: the block is not followed by a blank line and the next record")
            pushBack(record.block, at: blockStart)
            resynchronize(failedAt: start)
            return false
        }
        if format == .arc && !next.isEmpty && !record.blockOmitted
            && !memberStarts.contains(where: { $0.stream == position + Int64(ends) }) {
            // ARC has no record marker: what follows must parse as the next header line (a record
            // ending exactly at a gzip member's end is taken as proof enough).
            consume(ends)
            if !looksLikeARCHeader() {
                report(.wrongContentLength, at: start,
                       "length \(length) is wrong: the block is not followed by the next ARC header line")
                pushBack(record.block, at: blockStart)
                resynchronize(failedAt: start)
                return false
            }
        } else {
            consume(ends)
        }
        let end = position
        if let s = memberStarts.first(where: { $0.stream == start }) {
            record.offset = s.stored
            record.offsetIsCompressed = true
            if let e = memberStarts.first(where: { $0.stream == end }) {
                record.length = e.stored - s.stored
            } else if next.isEmpty && damage == nil, case .members(let g) = backend {
                record.length = g.storedBytesRead - s.stored
            }
        } else if case .stream = backend {
            record.length = end - start
        }
        return true
    }

    /// The input ended (or broke) inside the record that started at `start`.
    private func finishTruncated(start: Int64, _ why: String) {
        if let d = damage {
            reportDamage(d)
        } else {
            report(.truncatedRecord, at: start, why)
            resynchronize(failedAt: start)
        }
    }

    // MARK: Damage and resynchronization

    private func storedOffset(_ streamOffset: Int64) -> Int64 {
        memberStarts.first(where: { $0.stream == streamOffset })?.stored ?? streamOffset
    }

    private func report(_ issue: WebArchiveIssue, at streamOffset: Int64, _ message: String) {
        // A record inside a gzip member that failed to decode (a header cut off by truncation,
        // say) shows nothing but that damage: report the damage, once, instead.
        if let d = damage, damageStart <= streamOffset {
            reportDamage(d)
            return
        }
        let isMember = memberStarts.contains { $0.stream == streamOffset }
        let error = QuernIOError(issue.errorKind, file: path, offset: storedOffset(streamOffset),
                                 record: recordNumber > 0 ? recordNumber : nil,
                                 message: message + (isMember || !isCompressedStream ? "" : " (offset in the decompressed stream)"))
        stats.issues[issue, default: 0] += 1
        onIssue?(issue, error)
    }

    private var isCompressedStream: Bool {
        switch backend {
        case .members: return true
        case .stream(let r): return r.codec != .plain
        }
    }

    /// Reports decoding damage once, drops what was decoded of the damaged part, and lets the next
    /// fetch resynchronize (the next gzip member; other codecs cannot resume and end the input).
    private func reportDamage(_ d: QuernIOError) {
        let issue: WebArchiveIssue
        switch (backend, d.kind) {
        case (.members, .truncated): issue = .truncatedMember
        case (.members, .trailingGarbage): issue = .garbage
        case (.members, _): issue = .corruptMember
        default: issue = .corruptStream
        }
        stats.issues[issue, default: 0] += 1
        onIssue?(issue, d)
        damage = nil
        damageStart = .max
        // Everything decoded so far is dropped: the unread bytes are the damaged data.
        carryStart = 0; carryEnd = 0
        position = fetchedEnd
        chunk = UnsafeBufferPointer(start: nil, count: 0); chunkPos = 0
        if case .members = backend {
            memberOpen = false
            resyncingAfterDamage = true
        } else {
            atEnd = true
        }
    }

    /// Skips lines until one starts a record ("WARC/" for WARC; for ARC, a line that parses as an
    /// ARC header, or a new gzip member) without consuming it.
    private func resynchronize(failedAt: Int64) {
        while true {
            let head = peek(5)
            if head.isEmpty { return }
            if position > failedAt {
            if let s = memberStarts.last, s.stream == position { return }
            switch format {
            case .warc?:
                if ASCII.hasPrefixIgnoringCase(head, "warc/") { return }
            case .arc?:
                if looksLikeARCHeader() { return }
            case nil:
                if ASCII.hasPrefixIgnoringCase(head, "warc/") { return }
                if ASCII.hasPrefixIgnoringCase(peek(11), "filedesc://") { return }
            }
            }
            guard readLine(limit: 1 << 16) else { return }
        }
    }

    /// Whether the unread bytes start with a line that parses as an ARC record header.
    private func looksLikeARCHeader() -> Bool {
        let head = peek(4096)
        guard let nl = head.firstIndex(of: 0x0A) else { return false }
        return ARCHeader(line: UnsafeBufferPointer(rebasing: head[...nl]), version: arcVersion) != nil
    }

    // MARK: Byte cursor

    /// Decodes the next chunk. False at the end of the input or on damage (kept in `damage`).
    private func fetch() -> Bool {
        if atEnd || damage != nil { return false }
        do {
            switch backend {
            case .members(let g):
                while true {
                    if !memberOpen {
                        guard let m = try g.nextMember() else { atEnd = true; return false }
                        if m.skippedBytes > 0 && !resyncingAfterDamage {
                            let error = QuernIOError(.trailingGarbage, file: path, offset: m.offset - m.skippedBytes,
                                                     message: "\(m.skippedBytes) bytes of garbage before the gzip member at byte \(m.offset)")
                            stats.issues[.garbage, default: 0] += 1
                            onIssue?(.garbage, error)
                        }
                        resyncingAfterDamage = false
                        memberOpen = true
                        currentMemberStream = fetchedEnd
                        // A member that decoded to nothing (empty or damaged) starts nothing.
                        while let last = memberStarts.last, last.stream == fetchedEnd { memberStarts.removeLast() }
                        memberStarts.append((fetchedEnd, m.offset))
                    }
                    if let c = try g.nextChunk() {
                        chunk = c; chunkPos = 0
                        fetchedEnd += Int64(c.count)
                        return true
                    }
                    memberOpen = false
                }
            case .stream(let r):
                guard let c = try r.nextChunk() else { atEnd = true; return false }
                chunk = c; chunkPos = 0
                fetchedEnd += Int64(c.count)
                return true
            }
        } catch let e as QuernIOError {
            damage = e
        } catch {
            damage = QuernIOError(.corrupt, file: path, message: "\(error)")
        }
        if case .members = backend { damageStart = currentMemberStream } else { damageStart = fetchedEnd }
        return false
    }

    /// The next contiguous run of unread bytes, decoding more when none is left; nil at the end.
    @inline(__always)
    private func run() -> UnsafeBufferPointer<UInt8>? {
        if carryEnd > carryStart {
            return UnsafeBufferPointer(start: carry + carryStart, count: carryEnd &- carryStart)
        }
        while chunkPos >= chunk.count {
            guard fetch() else { return nil }
        }
        return UnsafeBufferPointer(rebasing: chunk[chunkPos...])
    }

    /// Consumes `n` bytes of the run `run()` returned last.
    @inline(__always)
    private func consume(_ n: Int) {
        if carryEnd > carryStart { carryStart &+= n } else { chunkPos &+= n }
        position &+= Int64(n)
    }

    private func ensureCarryCapacity(_ needed: Int) {
        if carryStart > 0 {
            let live = carryEnd - carryStart
            if live > 0 { carry.update(from: carry + carryStart, count: live) }
            carryStart = 0; carryEnd = live
        }
        if needed > carryCapacity {
            var capacity = carryCapacity
            while capacity < needed { capacity *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            bigger.update(from: carry, count: carryEnd)
            carry.deallocate()
            carry = bigger
            carryCapacity = capacity
        }
    }

    /// Up to `k` unread bytes without consuming them (fewer only at the end of the input). Only the
    /// bytes needed are copied when they straddle two chunks or two gzip members.
    private func peek(_ k: Int) -> UnsafeBufferPointer<UInt8> {
        let inCarry = carryEnd - carryStart
        if inCarry >= k { return UnsafeBufferPointer(start: carry + carryStart, count: k) }
        if inCarry == 0 {
            if chunk.count - chunkPos >= k { return UnsafeBufferPointer(rebasing: chunk[chunkPos..<(chunkPos + k)]) }
            if chunkPos >= chunk.count {
                if !fetch() { return UnsafeBufferPointer(start: carry, count: 0) }
                if chunk.count >= k { return UnsafeBufferPointer(rebasing: chunk[0..<k]) }
            }
        }
        ensureCarryCapacity(k)
        while carryEnd < k {
            if chunkPos < chunk.count {
                let m = Swift.min(k - carryEnd, chunk.count - chunkPos)
                (carry + carryEnd).update(from: chunk.baseAddress! + chunkPos, count: m)
                carryEnd += m
                chunkPos += m
            } else if !fetch() {
                break
            }
        }
        return UnsafeBufferPointer(start: carry, count: carryEnd)
    }

    /// Puts `bytes` (read from stream offset `at`) back in front of the unread bytes.
    private func pushBack(_ bytes: [UInt8], at: Int64) {
        guard !bytes.isEmpty else { return }
        let live = carryEnd - carryStart
        let total = bytes.count + live
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: Swift.max(total, 1 << 12))
        bytes.withUnsafeBufferPointer { fresh.update(from: $0.baseAddress!, count: bytes.count) }
        if live > 0 { (fresh + bytes.count).update(from: carry + carryStart, count: live) }
        carry.deallocate()
        carry = fresh
        carryCapacity = Swift.max(total, 1 << 12)
        carryStart = 0; carryEnd = total
        position = at
    }

    /// Consumes CR and LF bytes (blank lines between records).
    private func skipLineEnds() {
        while let r = run() {
            var i = 0
            while i < r.count && (r[i] == 0x0A || r[i] == 0x0D) { i &+= 1 }
            consume(i)
            if i < r.count { return }
        }
    }

    /// Reads one line (LF included) into `line`, keeping at most `limit` bytes of it. False when
    /// nothing is left.
    private func readLine(limit: Int = 1 << 20) -> Bool {
        line.removeAll(keepingCapacity: true)
        var any = false
        // memchr finds the line end in the whole run at once; the line is then appended in one
        // copy, so a header line costs two passes over its bytes.
        while let r = run() {
            any = true
            let base = r.baseAddress!
            if let nl = memchr(base, 0x0A, r.count) {
                let n = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - base + 1
                if line.count < limit { line.append(contentsOf: UnsafeBufferPointer(start: base, count: Swift.min(n, limit - line.count))) }
                consume(n)
                return true
            }
            if line.count < limit { line.append(contentsOf: UnsafeBufferPointer(start: base, count: Swift.min(r.count, limit - line.count))) }
            consume(r.count)
        }
        return any
    }

    /// Reads up to `n` bytes into a new array: the one copy of a block (fewer at the end). The
    /// array is allocated once at its final size and filled with one memcpy per decoded chunk.
    private func readBlock(_ n: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: n) { buffer, count in
            var filled = 0
            while filled < n, let r = run() {
                let m = Swift.min(n - filled, r.count)
                (buffer.baseAddress! + filled).update(from: r.baseAddress!, count: m)
                consume(m)
                filled += m
            }
            count = filled
        }
    }

    /// Skips up to `n` bytes; returns how many were skipped.
    private func skip(_ n: Int) -> Int {
        var done = 0
        while done < n, let r = run() {
            let m = Swift.min(n - done, r.count)
            consume(m)
            done += m
        }
        return done
    }
}

/// The WARC header fields a record keeps.
struct WARCFields {
    var typeName: String?
    var recordID: String?
    var targetURI: String?
    var date: String?
    var contentType: String?
    var payloadType: String?
    var contentLength: Int?
    var sawContentLength = false
    private var last: Int = -1  // which kept field a continuation line extends

    /// Adds one header line; false when it is not "Name: value" nor a continuation.
    mutating func add(line: UnsafeBufferPointer<UInt8>) -> Bool {
        if let first = line.first, first == 0x20 || first == 0x09 {
            // Folded continuation of the previous field.
            let more = ASCII.string(ASCII.trimmed(line))
            switch last {
            case 0: typeName! += " " + more
            case 1: recordID! += " " + more
            case 2: targetURI! += more
            case 3: date! += " " + more
            case 4: contentType! += " " + more
            case 5: payloadType! += " " + more
            default: break
            }
            return true
        }
        guard let colon = line.firstIndex(of: 0x3A) else { return false }
        let name = ASCII.trimmed(UnsafeBufferPointer(rebasing: line[..<colon]))
        let value = ASCII.trimmed(UnsafeBufferPointer(rebasing: line[(colon + 1)...]))
        last = -1
        // Dispatch on the name's length first: one comparison for the fields that are dropped.
        switch name.count {
        case 9 where ASCII.equalsIgnoringCase(name, "warc-type"):
            typeName = ASCII.string(value); last = 0
        case 14 where ASCII.equalsIgnoringCase(name, "warc-record-id"):
            recordID = ASCII.string(value); last = 1
        case 15 where ASCII.equalsIgnoringCase(name, "warc-target-uri"):
            var v = value
            if v.count >= 2 && v[0] == 0x3C && v[v.count - 1] == 0x3E {  // wget's <uri>
                v = UnsafeBufferPointer(rebasing: v[1..<(v.count - 1)])
            }
            targetURI = ASCII.string(v); last = 2
        case 9 where ASCII.equalsIgnoringCase(name, "warc-date"):
            date = ASCII.string(value); last = 3
        case 12 where ASCII.equalsIgnoringCase(name, "content-type"):
            contentType = ASCII.string(value); last = 4
        case 28 where ASCII.equalsIgnoringCase(name, "warc-identified-payload-type"):
            if !value.isEmpty { payloadType = ASCII.string(value); last = 5 }
        case 14 where ASCII.equalsIgnoringCase(name, "content-length"):
            sawContentLength = true
            contentLength = ASCII.decimal(value)
        default:
            break
        }
        return true
    }
}

/// An ARC record header line: "URL IP date mime length" (v1) or
/// "URL IP date mime result-code checksum location offset filename length" (v2). URLs with spaces
/// occur in real files, so fields are taken from the right.
struct ARCHeader {
    var url: String
    var date: String
    var mime: String
    var length: Int
    var version: Int

    /// `version` nil: decide from the field count (the filedesc:// line).
    init?(line: UnsafeBufferPointer<UInt8>, version: Int?) {
        let text = ASCII.trimmed(line)
        guard !text.isEmpty, text.count < 1 << 16 else { return nil }
        var fields: [Range<Int>] = []
        var i = 0
        while i < text.count {
            while i < text.count && text[i] == 0x20 { i &+= 1 }
            let s = i
            while i < text.count && text[i] != 0x20 { i &+= 1 }
            if i > s { fields.append(s..<i) }
        }
        let v: Int
        if let version { v = version == 2 && fields.count >= 10 ? 2 : 1 }
        else if fields.count == 10 { v = 2 }
        else if fields.count == 5 { v = 1 }
        else { return nil }
        let tail = v == 2 ? 9 : 4
        guard fields.count > tail else { return nil }
        let n = fields.count
        func slice(_ r: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: text[r]) }
        guard let length = ASCII.decimal(slice(fields[n - 1])) else { return nil }
        // URLs in ARC files are absolute: a scheme ("http:", "dns:", "filedesc:") comes first.
        var k = 0
        while k < text.count, k < 32, (text[k] | 0x20 >= 0x61 && text[k] | 0x20 <= 0x7A)
                || (k > 0 && (text[k] == 0x2B || text[k] == 0x2D || text[k] == 0x2E || (text[k] >= 0x30 && text[k] <= 0x39))) {
            k &+= 1
        }
        guard k > 0, k < text.count, text[k] == 0x3A else { return nil }
        let dateField = slice(fields[n - tail + 1])
        guard dateField.count >= 8, ASCII.decimal(UnsafeBufferPointer(rebasing: dateField.prefix(14))) != nil else { return nil }
        url = ASCII.string(UnsafeBufferPointer(rebasing: text[fields[0].lowerBound..<fields[n - tail - 1].upperBound]))
        date = ASCII.string(dateField)
        mime = ASCII.string(slice(fields[n - tail + 2]))
        self.length = length
        self.version = v
    }
}
