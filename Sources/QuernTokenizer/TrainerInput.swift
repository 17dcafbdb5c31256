// Reading the trainer's inputs on all cores: text files (one sentence per line) and JSONL
// documents (every line of a document's text is a sentence), plain or compressed (Input.open).
//
// The stream is cut into batches of whole lines by QuernIO's batch readers; each batch is counted
// on a pool thread by a TrainerPieceCounter taken from a small pool (one per thread that is busy
// at once), so the word tables are private to a thread and need no locking. The tables are merged
// when everything is read.
//
// With `inputSentenceSize` > 0 the batches only filter their lines; the accepted sentences reach
// this thread in input order and go through a seeded reservoir sample, which is then counted on
// all cores.

import Dispatch
import QuernIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What counting the inputs produced.
struct TrainerCountedInput {
    var table: TrainerWordTable
    var counts: TrainerSentenceCounts
    var sentencesBeforeSampling: Int
    var malformedRecords: Int
    var firstMalformed: QuernIOError?
    /// Bytes held by the word tables just before they were merged.
    var tableBytes: Int
}

/// The counters the batch jobs use: at most `limit`, each used by one job at a time. Dispatch may
/// run more jobs at once than there are cores; the extra ones wait for a counter instead of
/// growing another word table.
final class TrainerCounterPool: Sendable {
    private struct State {
        var free: [TrainerPieceCounter] = []
        var all: [TrainerPieceCounter] = []
    }
    private let state = Mutex(State())
    private let available: DispatchSemaphore
    private let options: BPETrainerOptions
    private let matcher: TrainerMetaPieceMatcher

    init(options: BPETrainerOptions, matcher: TrainerMetaPieceMatcher, limit: Int) {
        self.options = options
        self.matcher = matcher
        available = DispatchSemaphore(value: max(1, limit))
    }

    /// Runs `body` with a counter no other thread uses meanwhile.
    func withCounter<R>(_ body: (TrainerPieceCounter) -> R) -> R {
        available.wait()
        let counter = state.withLock { state -> TrainerPieceCounter in
            if let counter = state.free.popLast() { return counter }
            let counter = TrainerPieceCounter(options: options, matcher: matcher)
            state.all.append(counter)
            return counter
        }
        defer {
            state.withLock { $0.free.append(counter) }
            available.signal()
        }
        return body(counter)
    }

    /// Hands over every counter made (call when no job is running); the pool keeps none.
    func takeCounters() -> [TrainerPieceCounter] {
        state.withLock { state in
            let all = state.all
            state.all = []
            state.free = []
            return all
        }
    }
}

/// Accepted sentences of one batch, for sampling: their bytes back to back.
struct TrainerSentenceBatch: Sendable {
    var bytes: [UInt8] = []
    var ends: [Int] = []
    var counts = TrainerSentenceCounts()
}

/// A seeded reservoir sample of sentences (Algorithm R with SplitMix64).
struct TrainerReservoir {
    let capacity: Int
    private(set) var sentences: [[UInt8]] = []
    private(set) var seen = 0
    private var state: UInt64

    init(capacity: Int, seed: UInt64) {
        self.capacity = capacity
        state = seed
    }

    private mutating func random() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func add(_ sentence: UnsafeBufferPointer<UInt8>) {
        seen += 1
        if sentences.count < capacity {
            sentences.append(Array(sentence))
            return
        }
        // A uniform index in 0..<seen (multiply-shift: the bias is below 2^-40 here).
        let j = Int((random().multipliedFullWidth(by: UInt64(seen))).high)
        if j < capacity { sentences[j] = Array(sentence) }
    }
}

enum TrainerInput {
    /// Whether `path` is read as JSONL. `.auto`: when its name says so (".jsonl"/".ndjson",
    /// whatever compression suffix follows, so a JSONL file with a damaged first line is still
    /// read as JSONL and its bad lines reported), or when its content starts with '{' (after
    /// blanks) whatever its name. Standard input, which cannot be read twice, goes by name only.
    static func isJSONL(_ path: String, format: TrainerInputFormat) throws -> Bool {
        switch format {
        case .text: return false
        case .jsonl: return true
        case .auto:
            let name = path.split(separator: "/").last.map(String.init) ?? path
            if name.contains(".jsonl") || name.contains(".ndjson") { return true }
            guard path != "-" else { return false }
            return try InputFormat.sniff(path) == .jsonl
        }
    }

    static func count(files: [String], options: BPETrainerOptions,
                      matcher: TrainerMetaPieceMatcher) throws -> TrainerCountedInput {
        let pool = TrainerCounterPool(options: options, matcher: matcher, limit: options.numThreads)
        let threads = options.numThreads
        var counts = TrainerSentenceCounts()
        var malformed = 0
        var firstMalformed: QuernIOError?
        var reservoir = options.inputSentenceSize > 0
            ? TrainerReservoir(capacity: options.inputSentenceSize, seed: options.seed) : nil
        let maxSentenceLength = options.maxSentenceLength

        var totalBytes: Int64 = 0
        for path in files { totalBytes += fileSize(path) }
        let progress = Progress("counting pieces", totalBytes: totalBytes > 0 ? totalBytes : nil,
                                enabled: options.showProgress)
        var bytesBefore: Int64 = 0

        for path in files {
            let reader = try Input.open(path, threads: threads)
            var lines = 0
            // Sampling mode, JSONL or text alike: a batch of filtered sentences into the reservoir.
            func deliverSample(_ batch: TrainerSentenceBatch) {
                sample(batch, into: &reservoir!, counts: &counts)
                lines += batch.counts.lines
                progress.update(records: lines, bytesRead: bytesBefore + reader.storedBytesRead)
            }
            if try isJSONL(path, format: options.inputFormat) {
                let jsonl = JSONLReader(reader, maxErrorsKept: 1)
                if reservoir != nil {
                    try jsonl.forEachBatch(threads: threads, work: { documents in
                        var batch = TrainerSentenceBatch()
                        for document in documents {
                            var text = document.text
                            text.withUTF8 { filter(lines: $0, maxSentenceLength: maxSentenceLength, into: &batch) }
                        }
                        return batch
                    }, deliver: deliverSample)
                } else {
                    try jsonl.forEachBatch(threads: threads, work: { documents in
                        pool.withCounter { counter in
                            for document in documents {
                                var text = document.text
                                text.withUTF8 { counter.countLines($0) }
                            }
                            return documents.count
                        }
                    }, deliver: { _ in
                        progress.update(records: jsonl.documentsRead, bytesRead: bytesBefore + reader.storedBytesRead)
                    })
                }
                malformed += jsonl.malformedLines
                if firstMalformed == nil { firstMalformed = jsonl.errors.first }
            } else {
                // Lines longer than `maxSentenceLength` that do not fit a batch are skipped by the
                // reader itself (it counts them as malformed), so a huge line never fills memory.
                let text = JSONLReader(reader, maxErrorsKept: 0, maxLineBytes: maxSentenceLength)
                if reservoir != nil {
                    try text.forEachLineBatch(threads: threads, work: { bytes in
                        var batch = TrainerSentenceBatch()
                        filter(lines: bytes, maxSentenceLength: maxSentenceLength, into: &batch)
                        return batch
                    }, deliver: deliverSample)
                } else {
                    try text.forEachLineBatch(threads: threads, work: { bytes in
                        pool.withCounter { $0.countLines(bytes) }
                    }, deliver: { _ in
                        progress.update(records: text.linesRead, bytesRead: bytesBefore + reader.storedBytesRead)
                    })
                }
                counts.lines += text.malformedLines
                counts.tooLong += text.malformedLines
            }
            bytesBefore += reader.storedBytesRead
        }
        progress.finish()

        var sentencesBeforeSampling = 0
        if let reservoir {
            sentencesBeforeSampling = reservoir.seen
            countSample(reservoir.sentences, pool: pool, threads: threads)
        }

        // Merge the per-thread tables into the largest one, freeing each as it goes.
        var counters = pool.takeCounters()
        var tables = counters.map(\.table)
        let tableBytes = tables.reduce(0) { $0 + $1.footprint }
        for counter in counters {
            let c = counter.counts
            counts.sentences += c.sentences
            counts.accepted += c.accepted
            counts.bytes += c.bytes
            counts.words += c.words
            counts.empty += c.empty
            if reservoir == nil {
                counts.lines += c.lines
                counts.tooLong += c.tooLong
                counts.reserved += c.reserved
            }
        }
        if reservoir == nil { sentencesBeforeSampling = counts.accepted }
        counters.removeAll()
        tables.sort { $0.count < $1.count }
        let table = tables.popLast() ?? TrainerWordTable()
        while let other = tables.popLast() { table.merge(other) }
        return TrainerCountedInput(table: table, counts: counts, sentencesBeforeSampling: sentencesBeforeSampling,
                                   malformedRecords: malformed, firstMalformed: firstMalformed, tableBytes: tableBytes)
    }

    /// Stored size of a regular file (for the progress line's ETA), 0 when unknown.
    static func fileSize(_ path: String) -> Int64 {
        var st = stat()
        guard path != "-", stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return 0 }
        return Int64(st.st_size)
    }

    /// Applies the skip rules to every line of `text`, keeping the accepted ones in `batch`.
    static func filter(lines text: UnsafeBufferPointer<UInt8>, maxSentenceLength: Int, into batch: inout TrainerSentenceBatch) {
        guard let base = text.baseAddress else { return }
        var start = 0
        let n = text.count
        while start < n {
            var end = start
            while end < n && base[end] != 0x0A { end += 1 }
            let line = UnsafeBufferPointer(start: base + start, count: end - start)
            batch.counts.lines += 1
            switch TrainerPieceCounter.check(line, maxSentenceLength: maxSentenceLength) {
            case .empty: batch.counts.empty += 1
            case .tooLong: batch.counts.tooLong += 1
            case .reserved: batch.counts.reserved += 1
            case .accept:
                batch.bytes.append(contentsOf: line)
                batch.ends.append(batch.bytes.count)
            }
            start = end + 1
        }
    }

    private static func sample(_ batch: TrainerSentenceBatch, into reservoir: inout TrainerReservoir,
                               counts: inout TrainerSentenceCounts) {
        counts.lines += batch.counts.lines
        counts.empty += batch.counts.empty
        counts.tooLong += batch.counts.tooLong
        counts.reserved += batch.counts.reserved
        batch.bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            for end in batch.ends {
                reservoir.add(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                start = end
            }
        }
    }

    /// Counts the sampled sentences on all cores.
    private static func countSample(_ sentences: [[UInt8]], pool: TrainerCounterPool, threads: Int) {
        let chunk = 4096
        let queue = OrderedWorkQueue<Int>()
        var start = 0
        while start < sentences.count {
            let part = sentences[start..<min(start + chunk, sentences.count)]
            let job: @Sendable () -> Int = {
                pool.withCounter { counter in
                    for sentence in part { sentence.withUnsafeBufferPointer { counter.countAcceptedLine($0) } }
                    return part.count
                }
            }
            if threads <= 1 { _ = job() } else {
                queue.submit(job)
                while queue.inFlight > threads * 2 { _ = queue.next() }
            }
            start += chunk
        }
        queue.drain()
    }
}
