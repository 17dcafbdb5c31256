import XCTest
@testable import QuernWeb

final class UTF8ValidationTests: XCTestCase {
    private func check(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let expected = String(validating: bytes, as: UTF8.self) != nil
        let got = bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
        XCTAssertEqual(got, expected, "\(bytes.map { String($0, radix: 16) })", file: file, line: line)
    }

    func testAgreesWithTheStandardLibraryOnEdgeCases() {
        let cases: [[UInt8]] = [
            [], Array("plain ascii text that is longer than eight bytes".utf8),
            Array("héllo wörld — ☃ 𝄞 日本語".utf8),
            [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xE0, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
            Array("12345678".utf8) + [0xC3, 0xA9] + Array("abcdefgh".utf8) + [0xE2, 0x82],
        ]
        for bytes in cases { check(bytes) }
    }

    func testAgreesWithTheStandardLibraryOnRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xA0, 0x90, 0x8F]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...12, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            check(bytes)
        }
    }

    func testReportsTheOffsetOfTheFirstBadSequence() {
        let bytes = Array("0123456789é".utf8) + [0xE2, 0x28, 0xA1]
        let offset = bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset($0) }
        XCTAssertEqual(offset, 12)
    }
}
