#if canImport(Glibc)
import Glibc
#endif

/// One line of progress on stderr for long jobs: records, MB/s and ETA, redrawn in place a few
/// times a second. Silent unless stderr is a terminal, so logs and pipes stay clean.
public final class Progress {
    private let label: String
    private let totalBytes: Int64?
    private let enabled: Bool
    private let started: Double
    private var lastDraw: Double = 0
    private var drewSomething = false
    private var calls = 0

    /// - Parameters:
    ///   - totalBytes: stored bytes the job will read, when known (for the ETA).
    ///   - enabled: defaults to "stderr is a terminal".
    public init(_ label: String, totalBytes: Int64?, enabled: Bool? = nil) {
        self.label = label
        self.totalBytes = totalBytes
        self.enabled = enabled ?? (isatty(STDERR_FILENO) == 1)
        started = Progress.now()
    }

    /// Monotonic seconds, for timing a job.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Cheap enough to call per chunk: the clock is read only every 16th call, the line drawn at
    /// most 4 times a second.
    public func update(records: Int, bytesRead: Int64) {
        guard enabled else { return }
        calls &+= 1
        guard calls & 15 == 0 else { return }
        let t = Progress.now()
        guard t - lastDraw >= 0.25 else { return }
        lastDraw = t
        draw(records: records, bytesRead: bytesRead, elapsed: t - started)
    }

    /// Clears the progress line (call before printing results).
    public func finish() {
        guard enabled, drewSomething else { return }
        StandardError.write("\r\u{1B}[K")
        drewSomething = false
    }

    private func draw(records: Int, bytesRead: Int64, elapsed: Double) {
        let mb = Double(bytesRead) / 1e6
        let rate = elapsed > 0 ? mb / elapsed : 0
        var line = "\(label): \(records) records, \(Progress.fixed(mb, 1)) MB, \(Progress.fixed(rate, 1)) MB/s"
        if let total = totalBytes, total > 0, bytesRead > 0 {
            let fraction = min(1, Double(bytesRead) / Double(total))
            line += ", \(Int(fraction * 100))%"
            if fraction > 0.001 {
                line += ", ETA \(Progress.duration(elapsed / fraction - elapsed))"
            }
        }
        StandardError.write("\r\u{1B}[K" + line)
        drewSomething = true
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) - 1 < digits {
            text += String(repeating: "0", count: digits - (text.distance(from: dot, to: text.endIndex) - 1))
        }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format2: (s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format2: s % 60))s" }
        return "\(s)s"
    }
}

extension String {
    /// Two-digit zero-padded (for durations), without Foundation.
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
