import Foundation
import QuernTestSupport
import XCTest
@testable import QuernIO

final class GzipMemberReaderTests: XCTestCase {
    var scratch: URL!
    override func setUpWithError() throws { scratch = try TestSupport.scratchFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func gzip(_ text: String) throws -> [UInt8] { try TestSupport.run(["gzip", "-c"], stdin: Data(text.utf8)) }

    /// Members, in order, as (offset, text); issues as QuernIOError kinds.
    func read(_ bytes: [UInt8]) throws -> ([(Int64, String)], [QuernIOError.Kind]) {
        let path = scratch.appendingPathComponent("m.gz").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = try GzipMemberReader(path: path)
        var members: [(Int64, String)] = []
        var issues: [QuernIOError.Kind] = []
        while true {
            let member: GzipMemberReader.Member?
            do { member = try reader.nextMember() } catch let e as QuernIOError { issues.append(e.kind); continue }
            guard let member else { break }
            var text: [UInt8] = []
            do {
                while let chunk = try reader.nextChunk() { text += chunk }
                members.append((member.offset, String(decoding: text, as: UTF8.self)))
            } catch let e as QuernIOError {
                issues.append(e.kind)
                XCTAssertEqual(e.offset, member.offset)
            }
        }
        return (members, issues)
    }

    func testMembersAndTheirOffsets() throws {
        let a = try gzip("first member\n"), b = try gzip(String(repeating: "second ", count: 5000)), c = try gzip("third")
        var (members, issues) = try read(a + b + c + [0, 0, 0, 0])
        XCTAssertEqual(members.map(\.0), [0, Int64(a.count), Int64(a.count + b.count)])
        XCTAssertEqual(members.map(\.1), ["first member\n", String(repeating: "second ", count: 5000), "third"])
        XCTAssertEqual(issues, [])
        // A truncated member in the middle: reported at its start; the member after it is found.
        (members, issues) = try read(a + b.prefix(b.count / 2) + c)
        XCTAssertEqual(members.map(\.1), ["first member\n", "third"])
        XCTAssertEqual(members.last?.0, Int64(a.count + b.count / 2))
        XCTAssertEqual(issues.count, 1)
        // A flipped CRC byte: corrupt.
        var bad = b
        bad[bad.count - 6] ^= 1
        (members, issues) = try read(a + bad + c)
        XCTAssertEqual(members.map(\.1), ["first member\n", "third"])
        XCTAssertEqual(issues, [.corrupt])
        // Garbage between members is skipped and reported by the member after it; garbage at the end throws.
        let reader = try { () throws -> GzipMemberReader in
            let path = scratch.appendingPathComponent("g.gz").path
            try Data(a + Array("junk".utf8) + c + Array("tail".utf8)).write(to: URL(fileURLWithPath: path))
            return try GzipMemberReader(path: path)
        }()
        XCTAssertEqual(try reader.nextMember(), .init(offset: 0, skippedBytes: 0))
        XCTAssertEqual(try reader.nextMember(), .init(offset: Int64(a.count + 4), skippedBytes: 4))
        XCTAssertThrowsError(try reader.nextMember()) { XCTAssertEqual(($0 as? QuernIOError)?.kind, .trailingGarbage) }
        // The file ends inside the last member.
        (members, issues) = try read(a + c.prefix(c.count - 3))
        XCTAssertEqual(members.map(\.1), ["first member\n"])
        XCTAssertEqual(issues, [.truncated])
    }
}
