#if canImport(Glibc)
import Glibc
#endif

/// Every failure QuernIO reports names the file and, where there is one, the byte offset in the
/// file as stored (compressed) and the record or line it concerns.
public struct QuernIOError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The operating system refused (open, read, write, rename...); `errno` is kept.
        case system(errno: Int32)
        /// Compressed data that cannot be decoded.
        case corrupt
        /// Input ended inside a compressed member or frame.
        case truncated
        /// Bytes after the last complete member that are not another member.
        case trailingGarbage
        /// A record (JSONL line, ...) that does not have the expected shape.
        case malformedRecord
        /// Anything else a caller got wrong (bad option, unsupported format).
        case invalidArgument
    }

    public var kind: Kind
    public var file: String
    /// Byte offset: for damaged compressed data, in the file as stored (the compressed bytes);
    /// for a bad record, where the record starts in the decompressed stream (the message says so
    /// when the two differ).
    public var offset: Int64?
    /// 1-based record or line number, where the failure concerns one.
    public var record: Int?
    public var message: String

    public init(_ kind: Kind, file: String, offset: Int64? = nil, record: Int? = nil, message: String) {
        self.kind = kind
        self.file = file
        self.offset = offset
        self.record = record
        self.message = message
    }

    static func system(_ what: String, file: String, errno code: Int32 = errno) -> QuernIOError {
        QuernIOError(.system(errno: code), file: file,
                     message: "\(what): \(String(cString: strerror(code)))")
    }

    public var description: String {
        var place = file
        if let record { place += ": record \(record)" }
        if let offset { place += ": byte offset \(offset)" }
        return "\(place): \(message)"
    }
}
