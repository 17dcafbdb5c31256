import Foundation
import QuernIO

/// Bytes of a spill, wherever they live.
protocol SpillBytes: AnyObject {
    var bytes: UnsafeRawBufferPointer { get }
}

/// Pass 1's output of a small source, kept in memory instead of a spill file: writing the
/// spill and mapping it back cost about 3% of a run. Anonymous memory reserved up to `capacity`
/// (MAP_NORESERVE: only what is written becomes resident), so appending never moves the bytes.
final class MemorySpill: SpillBytes {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var used = 0
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: used) }

    init?(capacity: Int) {
        guard let p = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        base = p
        self.capacity = capacity
    }

    /// False (and nothing appended) when the bytes do not fit.
    func append(_ data: UnsafeRawBufferPointer) -> Bool {
        guard data.count <= capacity &- used else { return false }
        if let src = data.baseAddress, data.count > 0 { (base + used).copyMemory(from: src, byteCount: data.count) }
        used &+= data.count
        return true
    }

    deinit { munmap(base, capacity) }
}

/// A read-only memory map of a whole file (empty files map to an empty buffer).
final class MappedFile: SpillBytes {
    let bytes: UnsafeRawBufferPointer
    private let length: Int
    static let populateLimit = 256 << 20

    init(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw QuernIOError(.system(errno: errno), file: path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw QuernIOError(.system(errno: errno), file: path, message: "cannot stat") }
        length = Int(info.st_size)
        if length == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        // Small spills are faulted in at once (one fault per page cost 4% of a run); big ones are
        // paged in as the merge walks them, so resident memory follows the shuffle window.
        let flags = length <= MappedFile.populateLimit ? MAP_SHARED | MAP_POPULATE : MAP_SHARED
        guard let p = mmap(nil, length, PROT_READ, flags, fd, 0), p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw QuernIOError(.system(errno: errno), file: path, message: "cannot map: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: p, count: length)
    }

    deinit {
        if length > 0 { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), length) }
    }
}

/// Counts of one input file, exactly as `quern count` reports them.
public struct FileCounts: Codable, Sendable, Equatable {
    public var path: String
    public var format: String
    public var documents = 0
    public var bytes = 0
    public var tokens = 0
    public var malformed = 0
}

/// The encoded documents of one source (pass 1's spill), mapped, with its split and plan.
final class SourceSpill {
    let name: String
    let files: [FileCounts]
    let tokens: any SpillBytes
    let docs: any SpillBytes
    let width: TokenWidth
    let validationFraction: Double
    /// Per document: hash and token count (two UInt64 each).
    var documentCount: Int { docs.bytes.count / 16 }
    var epochs = 1.0
    var seed: UInt64 = 0

    struct Totals: Codable, Sendable, Equatable {
        var documents = 0
        var textTokens = 0
        var tokensWithSpecials = 0
    }
    var validation = Totals()
    var train = Totals()
    var planned = Totals()

    var documents: Int { files.reduce(0) { $0 + $1.documents } }
    var textTokens: Int { files.reduce(0) { $0 + $1.tokens } }
    var trainTextTokens: Int { train.textTokens }

    convenience init(name: String, base: String, files: [FileCounts], width: TokenWidth, validationFraction: Double) throws {
        try self.init(name: name, base: base, files: files, width: width, validationFraction: validationFraction,
                      tokens: try MappedFile(base + ".tokens"), docs: try MappedFile(base + ".docs"))
    }

    init(name: String, base: String, files: [FileCounts], width: TokenWidth, validationFraction: Double,
         tokens: any SpillBytes, docs: any SpillBytes) throws {
        self.name = name
        self.files = files
        self.width = width
        self.validationFraction = validationFraction
        self.tokens = tokens
        self.docs = docs
        guard documentCount == files.reduce(0, { $0 + $1.documents }),
              tokens.bytes.count == files.reduce(0, { $0 + $1.tokens }) * width.rawValue else {
            throw QuernIOError(.corrupt, file: base + ".docs", message: "the spill of '\(name)' does not match its counts; remove \(base).counts.json to redo it")
        }
        for i in 0..<documentCount {
            let (hash, count) = document(i)
            if ValidationSplit.isValidation(hash: hash, fraction: validationFraction) {
                validation.documents += 1
                validation.textTokens += count
            } else {
                train.documents += 1
                train.textTokens += count
            }
        }
    }

    @inline(__always) func document(_ i: Int) -> (hash: UInt64, tokens: Int) {
        (docs.bytes.load(fromByteOffset: 16 * i, as: UInt64.self),
         Int(docs.bytes.load(fromByteOffset: 16 * i + 8, as: UInt64.self)))
    }

    func plan(epochs: Double, seed: UInt64, specials: Int) {
        self.epochs = epochs
        self.seed = seed
        planned = Totals()
        validation.tokensWithSpecials = validation.textTokens + validation.documents * specials
        train.tokensWithSpecials = train.textTokens + train.documents * specials
        for pass in 0..<MixturePlanner.passes(epochs) {
            for i in 0..<documentCount {
                let (hash, count) = document(i)
                guard !ValidationSplit.isValidation(hash: hash, fraction: validationFraction),
                      MixturePlanner.includes(hash: hash, pass: pass, epochs: epochs, seed: seed) else { continue }
                planned.documents += 1
                planned.textTokens += count
            }
        }
        planned.tokensWithSpecials = planned.textTokens + planned.documents * specials
    }

    func manifestEntry() -> SourceEntry {
        SourceEntry(name: name, files: files, documents: documents, tokens: textTokens, epochs: epochs,
                    validation: validation, trainBeforeWeighting: train, trainAfterWeighting: planned)
    }
}

/// One source's documents of one split, in order: every pass of the training split (filtered
/// by the epoch rule), or the validation documents once.
struct SourceStream {
    let spill: SourceSpill
    let split: Split
    let passes: Int
    let documents: Int
    let tokensWithSpecials: Int
    var pass = 0
    var index = 0
    var tokenOffset = 0
    var remaining: Int

    init(spill: SourceSpill, split: Split, seed: UInt64) {
        self.spill = spill
        self.split = split
        switch split {
        case .train:
            passes = MixturePlanner.passes(spill.epochs)
            documents = spill.planned.documents
            tokensWithSpecials = spill.planned.tokensWithSpecials
        case .validation:
            passes = 1
            documents = spill.validation.documents
            tokensWithSpecials = spill.validation.tokensWithSpecials
        }
        remaining = documents
    }

    /// The next document's tokens (byte offset into the spill and token count).
    mutating func next() -> (offset: Int, tokens: Int)? {
        while pass < passes {
            while index < spill.documentCount {
                let (hash, count) = spill.document(index)
                let offset = tokenOffset
                index += 1
                tokenOffset += count * spill.width.rawValue
                let isValidation = ValidationSplit.isValidation(hash: hash, fraction: spill.validationFraction)
                let wanted = split == .validation
                    ? isValidation
                    : !isValidation && MixturePlanner.includes(hash: hash, pass: pass, epochs: spill.epochs, seed: spill.seed)
                if wanted {
                    remaining -= 1
                    return (offset, count)
                }
            }
            pass += 1
            index = 0
            tokenOffset = 0
        }
        return nil
    }
}

/// A document on its way to the shards: its tokens in the spill.
public struct SpilledDocument {
    public let tokens: UnsafeRawBufferPointer
    public var count: Int
}

/// The seeded random merge of the sources, then the shuffle window.
struct Interleaver {
    var streams: [SourceStream]
    let window: Int
    var random: SeededGenerator

    /// Token bytes of each source's spill and the token width, looked up once.
    let bases: [UnsafeRawBufferPointer]
    let width: Int
    var totalRemaining: Int

    init(streams: [SourceStream], window: Int, seed: UInt64) {
        self.streams = streams
        self.window = window
        random = SeededGenerator(seed: seed)
        bases = streams.map { $0.spill.tokens.bytes }
        width = streams.first?.spill.width.rawValue ?? 2
        totalRemaining = streams.reduce(0) { $0 + $1.remaining }
    }

    struct Reference { var source: Int32; var offset: Int; var count: Int }

    mutating func nextMerged() -> Reference? {
        guard totalRemaining > 0 else { return nil }
        var pick = Int(random.below(UInt64(totalRemaining)))
        totalRemaining -= 1
        for s in streams.indices {
            if pick < streams[s].remaining {
                guard let (offset, count) = streams[s].next() else { return nil }
                return Reference(source: Int32(s), offset: offset, count: count)
            }
            pick -= streams[s].remaining
        }
        return nil
    }

    @inline(__always)
    func document(_ r: Reference) -> SpilledDocument {
        let bytes = r.count == 0 ? UnsafeRawBufferPointer(start: nil, count: 0)
            : UnsafeRawBufferPointer(rebasing: bases[Int(r.source)][r.offset..<(r.offset &+ r.count &* width)])
        return SpilledDocument(tokens: bytes, count: r.count)
    }

    /// The references of the split, in shuffled order, a block at a time.
    mutating func forEachBlock(of size: Int, _ body: ([Reference]) -> Bool) {
        var block: [Reference] = []
        block.reserveCapacity(size)
        func add(_ r: Reference) -> Bool {
            block.append(r)
            guard block.count == size else { return true }
            defer { block.removeAll(keepingCapacity: true) }
            return body(block)
        }
        var buffer: [Reference] = []
        buffer.reserveCapacity(min(window, streams.reduce(0) { $0 + $1.documents }))
        while let r = nextMerged() {
            if buffer.count < window {
                buffer.append(r)
                continue
            }
            let j = Int(random.below(UInt64(window)))
            guard add(buffer[j]) else { return }
            buffer[j] = r
        }
        // The rest in a seeded random order (Fisher-Yates).
        var i = buffer.count
        while i > 1 {
            let j = Int(random.below(UInt64(i)))
            i -= 1
            buffer.swapAt(i, j)
        }
        for r in buffer { guard add(r) else { return } }
        if !block.isEmpty { _ = body(block) }
    }

    /// Every document of the split, in shuffled order. Pass 2 runs on two threads: a helper
    /// draws the order and gathers each block of documents (see `Gather`) while the caller's
    /// thread hands the previous block to the sinks (copy, XXH64, write), so the second core,
    /// idle after pass 1, takes part.
    func forEach(_ body: (SpilledDocument) throws -> Void) throws {
        let pipe = GatherPipeline(interleaver: self)
        let helper = Thread { pipe.produce() }
        helper.stackSize = 1 << 20
        helper.start()
        var failure: Error?
        while let block = pipe.next() {
            if failure == nil {
                do { try block.forEach(body) } catch { failure = error; pipe.cancel() }
            }
            pipe.recycle(block)
        }
        pipe.waitUntilDone()
        if let failure { throw failure }
    }
}

/// Two gathered blocks in flight between the helper thread (producer) and the sinks.
final class GatherPipeline: @unchecked Sendable {
    private var interleaver: Interleaver
    private let gather: Gather
    private let lock = NSCondition()
    private var free: [GatheredBlock]
    private var ready: [GatheredBlock] = []
    private var finished = false
    private var cancelled = false
    private let done = DispatchSemaphore(value: 0)

    init(interleaver: Interleaver) {
        self.interleaver = interleaver
        gather = Gather(width: interleaver.width, bases: interleaver.bases)
        free = [GatheredBlock(), GatheredBlock()]
    }

    func produce() {
        interleaver.forEachBlock(of: Gather.blockDocuments) { references in
            lock.lock()
            while free.isEmpty && !cancelled { lock.wait() }
            if cancelled { lock.unlock(); return false }
            let block = free.removeLast()
            lock.unlock()
            gather.fill(block, with: references)
            lock.lock()
            ready.append(block)
            lock.broadcast()
            lock.unlock()
            return true
        }
        lock.lock()
        finished = true
        lock.broadcast()
        lock.unlock()
        done.signal()
    }

    /// The next gathered block in output order, nil after the last.
    func next() -> GatheredBlock? {
        lock.lock()
        defer { lock.unlock() }
        while ready.isEmpty && !finished { lock.wait() }
        return ready.isEmpty ? nil : ready.removeFirst()
    }

    func recycle(_ block: GatheredBlock) {
        lock.lock()
        free.append(block)
        lock.broadcast()
        lock.unlock()
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        lock.unlock()
    }

    func waitUntilDone() { done.wait() }
}

/// One block of documents, copied out of the spills, laid out in output order.
final class GatheredBlock {
    var staging = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// Where each document starts in `staging`, and where the last ends.
    var offsets: [Int] = []
    var counts: [Int] = []

    deinit { staging.deallocate() }

    func forEach(_ body: (SpilledDocument) throws -> Void) throws {
        let out = staging.baseAddress
        // Local copies: indexing a class's arrays in the loop costs an exclusivity check each.
        let counts = self.counts, offsets = self.offsets
        try counts.withUnsafeBufferPointer { counts in
            try offsets.withUnsafeBufferPointer { offsets in
                for slot in 0..<counts.count {
                    let count = counts[slot]
                    let bytes = count == 0 ? UnsafeRawBufferPointer(start: nil, count: 0)
                        : UnsafeRawBufferPointer(start: out! + offsets[slot], count: offsets[slot &+ 1] &- offsets[slot])
                    try body(SpilledDocument(tokens: bytes, count: count))
                }
            }
        }
    }
}

/// Copies the documents of the output order out of the spills a block at a time, in address
/// order. The order is a random permutation of the whole spill, so copying each document where
/// the merge picks it misses the cache and the TLB on nearly every one (5% of a run on 100 MB
/// of text); a block of 64k references put in address order turns that into one forward sweep,
/// a few documents per page, that the hardware prefetcher follows. A counting sort on the
/// position in the spills (in 64k buckets) is enough for that: a comparison sort of the block
/// cost as much as it saved. The documents land at their output positions in `staging` and are
/// handed on in output order, so the output does not depend on any of this.
final class Gather {
    static let blockDocuments = 1 << 16
    static let buckets = 1 << 16
    let width: Int
    let bases: [UnsafeRawBufferPointer]
    /// Where each source's spill starts when they are laid end to end, and the shift that maps
    /// that position to a bucket.
    let starts: [Int]
    let shift: Int
    let bucketOf = UnsafeMutableBufferPointer<Int32>.allocate(capacity: blockDocuments)
    let order = UnsafeMutableBufferPointer<Int32>.allocate(capacity: blockDocuments)
    let bucketStarts = UnsafeMutableBufferPointer<Int32>.allocate(capacity: buckets + 1)

    init(width: Int, bases: [UnsafeRawBufferPointer]) {
        self.width = width
        self.bases = bases
        var starts: [Int] = []
        var total = 0
        for b in bases { starts.append(total); total += b.count }
        self.starts = starts
        var shift = 0
        while (total >> shift) >= Self.buckets { shift += 1 }
        self.shift = shift
    }

    deinit {
        bucketOf.deallocate()
        order.deallocate()
        bucketStarts.deallocate()
    }

    func fill(_ out: GatheredBlock, with block: [Interleaver.Reference]) {
        let n = block.count
        precondition(n <= Self.blockDocuments)
        let width = self.width, shift = self.shift
        let bucketOf = self.bucketOf, order = self.order, bucketStarts = self.bucketStarts
        var offsets = out.offsets, counts = out.counts
        out.offsets = []
        out.counts = []
        offsets.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        var total = 0
        bucketStarts.update(repeating: 0)
        block.withUnsafeBufferPointer { block in
            starts.withUnsafeBufferPointer { starts in
                for slot in 0..<n {
                    let r = block[slot]
                    offsets.append(total)
                    counts.append(r.count)
                    total &+= r.count &* width
                    let bucket = Int32(truncatingIfNeeded: (starts[Int(r.source)] &+ r.offset) &>> shift)
                    bucketOf[slot] = bucket
                    bucketStarts[Int(bucket) &+ 1] &+= 1
                }
            }
        }
        offsets.append(total)
        out.offsets = offsets
        out.counts = counts
        for b in 0..<Self.buckets { bucketStarts[b &+ 1] &+= bucketStarts[b] }
        for slot in 0..<n {
            let b = Int(bucketOf[slot])
            order[Int(bucketStarts[b])] = Int32(truncatingIfNeeded: slot)
            bucketStarts[b] &+= 1
        }
        if total > out.staging.count {
            out.staging.deallocate()
            out.staging = .allocate(byteCount: max(total, 2 * out.staging.count), alignment: 64)
        }
        guard let staging = out.staging.baseAddress else { return }
        block.withUnsafeBufferPointer { block in
            bases.withUnsafeBufferPointer { bases in
                offsets.withUnsafeBufferPointer { offsets in
                    for k in 0..<n {
                        let slot = Int(order[k])
                        let r = block[slot]
                        let bytes = r.count &* width
                        if bytes > 0 {
                            (staging + offsets[slot]).copyMemory(from: bases[Int(r.source)].baseAddress! + r.offset, byteCount: bytes)
                        }
                    }
                }
            }
        }
    }
}
