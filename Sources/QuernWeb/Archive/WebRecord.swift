/// The container a web archive file uses, found from its first record.
public enum WebArchiveFormat: String, Sendable, Equatable {
    /// WARC 1.0 / 1.1 (ISO 28500) and the drafts 0.17 / 0.18 (same named-field header). WET and
    /// WAT files are WARC files whose records are `conversion` and `metadata` records.
    case warc
    /// Internet Archive ARC, version 1 or 2, opened by a `filedesc://` record.
    case arc
}

/// WARC-Type of a record (ARC records are `response`; the ARC `filedesc://` header is `warcinfo`).
public enum WebRecordType: String, Sendable, Equatable, CaseIterable {
    case warcinfo, response, resource, request, metadata, revisit, conversion, continuation
    /// A WARC-Type this reader does not know (the name as written is in `WebRecord.typeName`).
    case unknown

    init(bytes: UnsafeBufferPointer<UInt8>) {
        // The eight registered names, compared case-insensitively without making a String.
        for type in WebRecordType.allCases where type != .unknown {
            if ASCII.equalsIgnoringCase(bytes, type.rawValue) { self = type; return }
        }
        self = .unknown
    }
}

/// How records are counted: the WARC-Type, except that records about `dns:` URIs (crawler DNS
/// lookups, stored as response or resource records) are a kind of their own.
public enum WebRecordKind: String, Sendable, Equatable, CaseIterable, Codable {
    case warcinfo, response, resource, request, metadata, revisit, conversion, continuation, dns, unknown
}

/// One record of a WARC/ARC/WET/WAT file, owned and Sendable: it can be handed to another thread
/// while the reader goes on. The content block was copied once, from the decompressor's output.
public struct WebRecord: Sendable {
    public var format: WebArchiveFormat
    /// The version line without its line end: "WARC/1.0", "WARC/0.18"...; "ARC/1" or "ARC/2".
    public var version: String
    public var type: WebRecordType
    /// WARC-Type as written (useful when `type` is `.unknown`).
    public var typeName: String
    /// WARC-Record-ID as written, angle brackets included (nil for ARC records).
    public var recordID: String?
    /// WARC-Target-URI without the angle brackets wget writes around it (ARC: the record's URL).
    public var targetURI: String?
    /// WARC-Date as written (ARC: the 14-digit archive date).
    public var date: String?
    /// Content-Type of the record (for HTTP records "application/http; msgtype=response"; for ARC,
    /// the MIME type of the captured document).
    public var contentType: String?
    /// WARC-Identified-Payload-Type, when present and not empty.
    public var identifiedPayloadType: String?
    /// Where the record starts. When `offsetIsCompressed` is true, the offset in the file as stored
    /// of the gzip member that starts with this record (the address a CDX index gives, usable to
    /// seek to the record); otherwise the offset in the decompressed stream (equal to the file
    /// offset for an uncompressed file; for zstd/bzip2/xz input, or gzip members holding several
    /// records, the position in the decompressed bytes).
    public var offset: Int64
    public var offsetIsCompressed: Bool
    /// Bytes the record occupies in the same measure as `offset` (compressed member bytes when
    /// `offsetIsCompressed`), separator included; nil when it cannot be told (a record that
    /// shares its gzip member with others).
    public var length: Int64?
    /// The Content-Length the header declared.
    public var declaredLength: Int
    /// The content block (Content-Length bytes), or empty when `blockOmitted`.
    public var block: [UInt8]
    /// True when the block was larger than the reader's `maxBlockBytes` and was skipped unread.
    public var blockOmitted: Bool

    /// `type`, except `.dns` for records about a `dns:` URI.
    public var kind: WebRecordKind {
        if let uri = targetURI, uri.utf8.starts(with: "dns:".utf8) { return .dns }
        return WebRecordKind(rawValue: type.rawValue) ?? .unknown
    }
}

/// Byte helpers shared by the archive and HTTP parsers (ASCII only: header names are ASCII).
enum ASCII {
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 {
        (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
    }

    /// True when `bytes` equals `name` ignoring ASCII case (`name` is lowercase ASCII).
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String) -> Bool {
        var name = name
        return name.withUTF8 { n in
            guard n.count == bytes.count else { return false }
            var i = 0
            while i < n.count {
                if lower(bytes[i]) != n[i] { return false }
                i &+= 1
            }
            return true
        }
    }

    /// True when `bytes` starts with `prefix` ignoring ASCII case (`prefix` is lowercase ASCII).
    static func hasPrefixIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: String) -> Bool {
        var prefix = prefix
        return prefix.withUTF8 { p in
            guard p.count <= bytes.count else { return false }
            var i = 0
            while i < p.count {
                if lower(bytes[i]) != p[i] { return false }
                i &+= 1
            }
            return true
        }
    }

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A
    }

    /// `bytes` without leading and trailing spaces, tabs, CR and LF.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var lo = 0, hi = bytes.count
        while lo < hi && isSpace(bytes[lo]) { lo &+= 1 }
        while hi > lo && isSpace(bytes[hi &- 1]) { hi &-= 1 }
        return UnsafeBufferPointer(rebasing: bytes[lo..<hi])
    }

    /// A non-negative decimal number filling all of `bytes`, or nil (no sign, at most 18 digits).
    static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value &* 10 &+ Int(b &- 0x30)
        }
        return value
    }

    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
