import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Runs jobs on all cores and hands their results back in submission order.
///
/// One thread (the consumer) submits and takes results; the jobs run on Dispatch's global pool.
/// The consumer bounds memory itself by keeping `inFlight` below a limit of its choosing. This is
/// how Quern splits a stream into independent pieces (bzip2 streams, batches of lines) and merges
/// them back in order without shared mutable state in the inner loops.
public final class OrderedWorkQueue<Result: Sendable> {
    private final class Slot: @unchecked Sendable {
        var result: Result?
        let done = DispatchSemaphore(value: 0)
    }

    private var slots: [Slot] = []
    private var head = 0
    private let queue = DispatchQueue.global(qos: .userInitiated)

    public init() {}

    /// Jobs submitted and not yet taken with `next()`.
    public var inFlight: Int { slots.count - head }

    /// Starts `job` on the pool.
    public func submit(_ job: @escaping @Sendable () -> Result) {
        let slot = Slot()
        slots.append(slot)
        queue.async {
            slot.result = job()
            slot.done.signal()
        }
    }

    /// Waits for the oldest job and returns its result; nil when nothing is in flight.
    public func next() -> Result? {
        guard head < slots.count else { return nil }
        let slot = slots[head]
        head += 1
        if head > 64 && head * 2 > slots.count {
            slots.removeFirst(head)
            head = 0
        }
        slot.done.wait()
        // Hand the result over and drop the slot's reference, so memory it owns is released as
        // soon as the caller lets go of it (not when the slot array is next compacted).
        let result = slot.result
        slot.result = nil
        return result
    }

    /// Waits for everything still in flight and drops the results.
    public func drain() {
        while next() != nil {}
    }

    deinit {
        for slot in slots[head...] { slot.done.wait() }
    }
}

/// The number of cores to use by default: what the process may run on.
public enum Cores {
    public static var available: Int {
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// Hands an unsafe buffer to a job on another thread. The owner guarantees the memory outlives
/// the job and is not written while the job reads it.
public struct SendableBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutableBufferPointer<UInt8>
    public init(_ pointer: UnsafeMutableBufferPointer<UInt8>) { self.pointer = pointer }
}
