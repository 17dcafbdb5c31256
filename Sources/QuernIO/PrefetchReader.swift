import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Decodes another reader's chunks on a thread of its own, a few chunks ahead of the consumer.
///
/// A serial decoder (one bzip2 stream, gzip, zstd) and the parser reading its output (libxml2 on
/// a Wikipedia dump, say) then run on two cores side by side instead of taking turns on one: the
/// job takes as long as the slower of the two, not their sum. Each chunk is copied once into one
/// of `depth` slot buffers (a memcpy, ~10 GB/s, against decoders at 20–500 MB/s); memory is
/// `depth` chunks.
public final class PrefetchReader: ByteReader {
    private final class Slot: @unchecked Sendable {
        var bytes: UnsafeMutablePointer<UInt8>
        var capacity: Int
        var count = 0
        var storedBytesRead: Int64 = 0
        var isEnd = false
        var error: Error?

        init(capacity: Int) {
            self.capacity = capacity
            bytes = .allocate(capacity: capacity)
        }

        func fill(_ chunk: UnsafeBufferPointer<UInt8>) {
            if chunk.count > capacity {
                bytes.deallocate()
                capacity = chunk.count
                bytes = .allocate(capacity: capacity)
            }
            bytes.update(from: chunk.baseAddress!, count: chunk.count)
            count = chunk.count
        }

        deinit { bytes.deallocate() }
    }

    /// What the producer thread shares with the consumer; ordered by the two semaphores.
    private final class Shared: @unchecked Sendable {
        let inner: ByteReader
        let slots: [Slot]
        let free = DispatchSemaphore(value: 0)
        let filled = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        var cancelled = false

        init(inner: ByteReader, depth: Int) {
            self.inner = inner
            slots = (0..<depth).map { _ in Slot(capacity: 1 << 17) }
            // Signalled up to `depth` rather than created with it: libdispatch traps when a
            // semaphore is released holding less than its initial value.
            for _ in 0..<depth { free.signal() }
        }

        /// The producer: decode, copy into the next free slot, repeat until the end or an error.
        func produce() {
            var write = 0
            while true {
                free.wait()
                let slot = slots[write]
                write = (write + 1) % slots.count
                if cancelled { break }
                do {
                    if let chunk = try inner.nextChunk() {
                        slot.fill(chunk)
                        slot.storedBytesRead = inner.storedBytesRead
                        filled.signal()
                        continue
                    }
                } catch {
                    slot.error = error
                }
                slot.isEnd = true
                slot.storedBytesRead = inner.storedBytesRead
                filled.signal()
                break
            }
            finished.signal()
        }
    }

    private let shared: Shared
    private var read = 0
    private var holding = false
    private var ended = false
    private var delivered: Int64 = 0

    public let codec: Codec
    public let path: String
    public let storedSize: Int64?
    public var storedBytesRead: Int64 { delivered }

    /// Starts decoding `inner` at once, up to `depth` chunks ahead.
    public init(_ inner: ByteReader, depth: Int = 8) {
        codec = inner.codec
        path = inner.path
        storedSize = inner.storedSize
        shared = Shared(inner: inner, depth: max(2, depth))
        // A thread of its own, not one of Dispatch's pool: the producer blocks for the whole
        // run, and on a pool as wide as the cores that would starve the jobs of a parallel
        // decoder underneath it (multistream bzip2 decoded on all cores).
        var thread = pthread_t()
        let context = Unmanaged.passRetained(shared).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<Shared>.fromOpaque(context!).takeRetainedValue().produce()
            return nil
        }, context)
        if created == 0 {
            pthread_detach(thread)
        } else {
            // No thread to be had: produce on the pool after all, rather than fail.
            let shared = Unmanaged<Shared>.fromOpaque(context).takeRetainedValue()
            DispatchQueue.global(qos: .userInitiated).async { shared.produce() }
        }
    }

    public func nextChunk() throws -> UnsafeBufferPointer<UInt8>? {
        if ended { return nil }
        if holding {
            // The chunk handed out last time is no longer borrowed: its slot can be refilled.
            holding = false
            shared.free.signal()
        }
        shared.filled.wait()
        let slot = shared.slots[read]
        read = (read + 1) % shared.slots.count
        delivered = slot.storedBytesRead
        if slot.isEnd {
            ended = true
            if let error = slot.error { throw error }
            return nil
        }
        holding = true
        return UnsafeBufferPointer(start: slot.bytes, count: slot.count)
    }

    deinit {
        if !ended {
            // Stop the producer wherever it waits: it checks `cancelled` after every free slot.
            shared.cancelled = true
            for _ in shared.slots { shared.free.signal() }
        }
        shared.finished.wait()
    }
}
