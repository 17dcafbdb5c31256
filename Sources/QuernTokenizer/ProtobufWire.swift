// The protocol-buffers wire format, as much of it as SentencePiece `.model` files need: varints,
// fixed 32/64-bit values, length-delimited fields and (for skipping unknown data) groups. No schema
// machinery: the message types in `SentencePieceModel.swift` read and write their own fields.
//
// Reading never traps on damaged input: every length is checked against the bytes that remain
// and every failure is a `ProtobufWireError` carrying the absolute byte offset of the problem.

/// The six wire types (3 and 4 are the deprecated group markers, still legal in unknown fields).
enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A wire-format problem: where (absolute offset in the buffer being parsed) and what.
struct ProtobufWireError: Error, Sendable {
    var offset: Int
    var message: String
}

/// A cursor over `data[position..<end]`. Sub-messages are read with a second reader over a
/// sub-range of the same array (no copy), so every offset stays absolute.
struct ProtobufReader {
    let data: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ data: [UInt8], range: Range<Int>? = nil) {
        self.data = data
        let range = range ?? 0..<data.count
        position = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// C++ protobuf refuses messages nested deeper than this; so do we (only groups can nest in
    /// unknown data, and each level costs stack).
    static let maximumDepth = 100

    /// Reads a field key. Field number 0 and wire types 6 and 7 do not exist.
    mutating func readTag() throws(ProtobufWireError) -> (field: Int, wireType: ProtobufWireType) {
        let start = position
        let key = try readVarint()
        guard let wireType = ProtobufWireType(rawValue: UInt8(key & 7)) else {
            throw ProtobufWireError(offset: start, message: "invalid wire type \(key & 7)")
        }
        let field = key >> 3
        guard field >= 1, field <= 0x1FFF_FFFF else {
            throw ProtobufWireError(offset: start, message: "invalid field number \(field)")
        }
        return (Int(field), wireType)
    }

    /// A base-128 varint of at most ten bytes (bits past 64 are dropped, as protobuf does).
    mutating func readVarint() throws(ProtobufWireError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw ProtobufWireError(offset: start, message: "truncated varint")
            }
            let byte = data[position]
            position += 1
            if shift < 64 { result |= UInt64(byte & 0x7F) << shift }
            if byte < 0x80 { return result }
            shift += 7
            if shift >= 70 {
                throw ProtobufWireError(offset: start, message: "varint longer than 10 bytes")
            }
        }
    }

    mutating func readFixed32() throws(ProtobufWireError) -> UInt32 {
        guard end - position >= 4 else {
            throw ProtobufWireError(offset: position, message: "truncated fixed32 value (\(end - position) of 4 bytes)")
        }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(data[position + i]) << (8 * UInt32(i)) }
        position += 4
        return value
    }

    mutating func readFixed64() throws(ProtobufWireError) -> UInt64 {
        guard end - position >= 8 else {
            throw ProtobufWireError(offset: position, message: "truncated fixed64 value (\(end - position) of 8 bytes)")
        }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(data[position + i]) << (8 * UInt64(i)) }
        position += 8
        return value
    }

    /// The byte range of a length-delimited value (the length varint is consumed).
    mutating func readLengthDelimited() throws(ProtobufWireError) -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw ProtobufWireError(
                offset: start,
                message: "length \(length) runs past the end of the enclosing message (\(end - position) bytes left)")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Skips the value of a field whose key has just been read (groups included, nested up to
    /// `maximumDepth`). The caller keeps `data[keyStart..<position]` to preserve the field.
    mutating func skipValue(field: Int, wireType: ProtobufWireType, depth: Int = 0) throws(ProtobufWireError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup:
            let start = position
            guard depth < Self.maximumDepth else {
                throw ProtobufWireError(offset: start, message: "groups nested deeper than \(Self.maximumDepth)")
            }
            while true {
                guard !isAtEnd else {
                    throw ProtobufWireError(offset: start, message: "group \(field) is not closed")
                }
                let tagStart = position
                let (inner, innerType) = try readTag()
                if innerType == .endGroup {
                    guard inner == field else {
                        throw ProtobufWireError(offset: tagStart, message: "group \(field) closed as group \(inner)")
                    }
                    return
                }
                try skipValue(field: inner, wireType: innerType, depth: depth + 1)
            }
        case .endGroup:
            throw ProtobufWireError(offset: position, message: "end of group \(field) without its start")
        }
    }
}

/// Appends wire-format fields to a byte array. Fields are written in the order the caller writes
/// them; the message writers in this module use field-number order, as C++ protobuf does, so a
/// model read and written back comes out byte for byte as it went in.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func writeTag(_ field: Int, _ wireType: ProtobufWireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// int32 and enum values: negative numbers are sign-extended to ten bytes, as protobuf does.
    mutating func writeInt32Field(_ field: Int, _ value: Int32) {
        writeTag(field, .varint)
        writeVarint(UInt64(bitPattern: Int64(value)))
    }

    mutating func writeVarintField(_ field: Int, _ value: UInt64) {
        writeTag(field, .varint)
        writeVarint(value)
    }

    mutating func writeFixed32Field(_ field: Int, _ bits: UInt32) {
        writeTag(field, .fixed32)
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
    }

    mutating func writeBytesField(_ field: Int, _ value: some Collection<UInt8>) {
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Raw, already-encoded bytes (preserved unknown fields).
    mutating func writeRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }
}
