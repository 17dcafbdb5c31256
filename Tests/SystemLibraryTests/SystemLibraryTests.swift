import CBLAS
import CBzip2
import CICU
import CLibXML2
import CLzma
import CZlib
import CZstd
import Foundation
import XCTest

/// Each system-library target links and works on this machine: one real call per library, so a
/// missing -dev package or a broken shim fails here, by name, before any stage uses it.
final class SystemLibraryTests: XCTestCase {
    func testZlibRoundTrip() {
        let text = Array(repeating: Array("quern grinds grain ".utf8), count: 100).flatMap { $0 }
        var compressed = [UInt8](repeating: 0, count: Int(compressBound(UInt(text.count))))
        var compressedLength = UInt(compressed.count)
        XCTAssertEqual(compress(&compressed, &compressedLength, text, UInt(text.count)), Z_OK)
        var restored = [UInt8](repeating: 0, count: text.count)
        var restoredLength = UInt(restored.count)
        XCTAssertEqual(uncompress(&restored, &restoredLength, compressed, compressedLength), Z_OK)
        XCTAssertEqual(restored, text)
        XCTAssertLessThan(compressedLength, UInt(text.count / 10))
    }

    func testBzip2RoundTrip() {
        var text = Array(repeating: Array("flour ".utf8), count: 500).flatMap { $0 }
        var compressed = [CChar](repeating: 0, count: text.count + 600)
        var length = UInt32(compressed.count)
        let rc = text.withUnsafeMutableBytes { raw in
            BZ2_bzBuffToBuffCompress(&compressed, &length,
                                     raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(raw.count), 9, 0, 0)
        }
        XCTAssertEqual(rc, BZ_OK)
        var restored = [CChar](repeating: 0, count: text.count)
        var restoredLength = UInt32(restored.count)
        XCTAssertEqual(BZ2_bzBuffToBuffDecompress(&restored, &restoredLength, &compressed, length, 0, 0), BZ_OK)
        XCTAssertEqual(restored.map { UInt8(bitPattern: $0) }, text)
    }

    func testLzmaAndZstdVersions() {
        XCTAssertGreaterThanOrEqual(lzma_version_number(), 50_020_000)  // 5.2 or newer
        XCTAssertGreaterThanOrEqual(ZSTD_versionNumber(), 10_400)  // 1.4 or newer
        XCTAssertEqual(ZSTD_isError(ZSTD_DStreamOutSize()), 0)
    }

    func testLibXML2ParsesWithoutICUClash() throws {
        let xml = "<mediawiki><page><title>Quern</title><text>A hand mill &amp; stones.</text></page></mediawiki>"
        let doc = try XCTUnwrap(xml.withCString { xmlReadMemory($0, Int32(strlen($0)), "test.xml", "UTF-8", 0) })
        defer { xmlFreeDoc(doc) }
        let root = try XCTUnwrap(xmlDocGetRootElement(doc))
        XCTAssertEqual(String(cString: root.pointee.name), "mediawiki")
        let content = try XCTUnwrap(xmlNodeGetContent(root))
        defer { free(content) }  // xmlFree is a global function pointer that defaults to free
        XCTAssertEqual(String(cString: content), "QuernA hand mill & stones.")
    }

    func testICUNormalizesBehindPlainCFacade() {
        func normalize(_ text: String, _ form: quern_icu_form) -> String {
            let source = Array(text.utf8)
            var out = [UInt8](repeating: 0, count: source.count * 4 + 16)
            var error: Int32 = 0
            let n = quern_icu_normalize(form, source, Int64(source.count), &out, Int64(out.count), &error)
            XCTAssertEqual(error, 0)
            XCTAssertGreaterThanOrEqual(n, 0)
            return String(decoding: out[..<Int(n)], as: UTF8.self)
        }
        XCTAssertEqual(normalize("ﬁ①Ａ", QUERN_ICU_NFKC), "fi1A")
        XCTAssertEqual(normalize("e\u{301}", QUERN_ICU_NFC).unicodeScalars.count, 1)
        XCTAssertEqual(normalize("Straße", QUERN_ICU_NFKC_CASEFOLD), "strasse")
        // Invalid UTF-8 becomes U+FFFD rather than failing.
        let bad: [UInt8] = [0x61, 0xff, 0x62]
        var out = [UInt8](repeating: 0, count: 32)
        var error: Int32 = 0
        let n = quern_icu_normalize(QUERN_ICU_NFC, bad, 3, &out, 32, &error)
        XCTAssertEqual(Array(out[..<Int(n)]), [0x61, 0xef, 0xbf, 0xbd, 0x62])
        // A too-small buffer reports the size needed.
        XCTAssertEqual(quern_icu_normalize(QUERN_ICU_NFKC, Array("①①①".utf8), 9, &out, 1, &error), 3)
        XCTAssertEqual(quern_icu_is_normalized(QUERN_ICU_NFC, Array("abc".utf8), 3), 1)
        XCTAssertTrue(String(cString: quern_icu_version()).first?.isNumber ?? false)
    }

    func testOpenBLASMatrixMultiply() {
        // (2x3) * (3x2), row-major.
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        let b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: 0, count: 4)
        cblas_sgemm(Int32(QuernCblasRowMajor.rawValue), Int32(QuernCblasNoTrans.rawValue),
                    Int32(QuernCblasNoTrans.rawValue), 2, 2, 3, 1, a, 3, b, 2, 0, &c, 2)
        XCTAssertEqual(c, [58, 64, 139, 154])
        XCTAssertTrue(String(cString: openblas_get_config()).contains("OpenBLAS"))
    }
}
