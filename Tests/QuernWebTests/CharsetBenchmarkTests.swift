import Foundation
import QuernTestSupport
import XCTest
import QuernWeb
#if canImport(Glibc)
import Glibc
#endif

/// Charset throughput on real pages, per core (thread CPU time). Runs only with QUERN_BENCH=1,
/// in a release build: see Benchmarks/charset.sh.
final class CharsetBenchmarkTests: XCTestCase {
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Decodes `pages` over and over until about `target` bytes went through; MB/s of input
    /// per CPU-second, median of 5 rounds.
    func rate(_ label: String, _ pages: [(String?, [UInt8])], target: Int = 200 << 20,
              expect: String) throws -> Double {
        let decoder = CharsetDecoder()
        var out: [UInt8] = []
        out.reserveCapacity(4 << 20)
        let bytesPerPass = pages.reduce(0) { $0 + $1.1.count }
        let passes = max(1, target / max(1, bytesPerPass))
        var rates: [Double] = []
        for _ in 0..<5 {
            let start = Self.threadCPUSeconds()
            for _ in 0..<passes {
                for (contentType, body) in pages {
                    out.removeAll(keepingCapacity: true)
                    let decision = try body.withUnsafeBufferPointer {
                        try decoder.decodeHTML($0, contentType: contentType, into: &out)
                    }
                    if decision.encoding.name != expect { XCTFail("\(label): \(decision)"); return 0 }
                }
            }
            let seconds = Self.threadCPUSeconds() - start
            rates.append(Double(passes * bytesPerPass) / 1e6 / seconds)
        }
        let median = rates.sorted()[2]
        let padded = label.padding(toLength: 48, withPad: " ", startingAt: 0)
        print("charset-bench \(padded)" + String(format: " %8.1f MB/s per core (%d pages, %.1f MB per round)",
                                                 median, pages.count, Double(passes * bytesPerPass) / 1e6))
        return median
    }

    func testThroughput() throws {
        guard ProcessInfo.processInfo.environment["QUERN_BENCH"] == "1" else {
            throw XCTSkip("set QUERN_BENCH=1 (and build in release) to measure")
        }
        let japanese = try TestWARC.responses(try TestSupport.corpora("web/resiliparse__clueweb-quirk.warc.gz"))
        let commonCrawl = try TestWARC.responses(try TestSupport.corpora("web/resiliparse__warcfile.warc.gz"))
        let utf8Pages = commonCrawl.filter { $0.0?.lowercased().contains("utf-8") == true }
        let gbkPages = commonCrawl.filter { $0.0?.lowercased().contains("gb2312") == true }
            .map { ("text/html; charset=gbk", $0.1) }
        // The two undeclared Swiss pages are Latin-1; declared here so only decoding is timed.
        let latinPages = commonCrawl.filter { $0.1.count > 0 && $0.0 == "text/html" }
            .filter { $0.1.withUnsafeBufferPointer { Charset.decide($0, contentType: nil).encoding } == .windows1252 }
            .map { ("text/html; charset=windows-1252", $0.1) }
        // Shift_JIS: the EUC-JP pages' text re-encoded by Foundation (its own converter, not ICU).
        var shiftJISPages: [(String?, [UInt8])] = []
        var utf8Japanese: [(String?, [UInt8])] = []
        for page in japanese {
            var out: [UInt8] = []
            try page.1.withUnsafeBufferPointer { _ = try Charset.decodeHTML($0, contentType: page.0, into: &out) }
            let text = String(decoding: out, as: UTF8.self)
            utf8Japanese.append(("text/html; charset=utf-8", out))
            if let sjis = text.data(using: .shiftJIS, allowLossyConversion: true) {
                shiftJISPages.append(("text/html; charset=shift_jis", Array(sjis)))
            }
        }
        XCTAssertEqual(latinPages.count, 2)
        _ = try rate("UTF-8 pass-through (CC pages, 19% high)", utf8Pages, expect: "UTF-8")
        _ = try rate("UTF-8 pass-through (Japanese pages, 15% high)", utf8Japanese, expect: "UTF-8")
        _ = try rate("windows-1252 table (Swiss pages, 0.02% high)", latinPages, expect: "windows-1252")
        // Denser Latin text: the French golden page (windows-1252) 200 times over, and a worst case
        // where every byte is ≥ 0x80.
        let french = CharsetTests.goldens.first { $0.name == "windows-1252 http" }!
        let frenchPage = Array((0..<200).map { _ in french.bytes }.joined())
        let highBytes = (0..<(1 << 20)).map { UInt8(0x80 | ($0 & 0x7F)) }
        let highShare = Double(frenchPage.filter { $0 >= 0x80 }.count) / Double(frenchPage.count)
        _ = try rate(String(format: "windows-1252 table (French, %.1f%% high)", highShare * 100),
                     [("text/html; charset=windows-1252", frenchPage)], expect: "windows-1252")
        _ = try rate("windows-1252 table (every byte high)", [("text/html; charset=windows-1252", highBytes)],
                     expect: "windows-1252")
        _ = try rate("Shift_JIS via ICU (Japanese pages)", shiftJISPages, target: 50 << 20, expect: "Shift_JIS")
        _ = try rate("EUC-JP via ICU (real clueweb pages)", japanese, target: 50 << 20, expect: "EUC-JP")
        _ = try rate("GBK via ICU (real CC pages)", gbkPages, target: 50 << 20, expect: "GBK")
        // The detector alone (the EUC-JP pages declare themselves, so decodeHTML would not ask it).
        let undeclared = japanese
        let decoder = CharsetDecoder()
        var detections = 0
        let start = Self.threadCPUSeconds()
        for _ in 0..<20 {
            for page in undeclared {
                let d = page.1.withUnsafeBufferPointer { decoder.detect($0, excludingUTF8: true) }
                if d.encoding == .eucJP { detections += 1 }
            }
        }
        let seconds = Self.threadCPUSeconds() - start
        print(String(format: "charset-bench ICU detection: %.0f µs per page (%d/%d pages said EUC-JP)",
                     seconds / Double(20 * undeclared.count) * 1e6, detections, 20 * undeclared.count))
    }
}
