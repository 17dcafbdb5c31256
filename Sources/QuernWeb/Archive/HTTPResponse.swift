#if canImport(Glibc)
import Glibc
#endif
import CBrotli
import CZlib

/// HTTP header fields in order, looked up by name ignoring ASCII case.
public struct HTTPHeaders: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }
    public var fields: [Field] = []

    public init(_ fields: [Field] = []) { self.fields = fields }

    /// The last value of `name` (the one browsers obey when a field repeats).
    public subscript(name: String) -> String? {
        fields.last { Self.sameName($0.name, name) }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// ASCII case-insensitive comparison over the UTF-8 views, without making lowercased copies.
    static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return zip(a.utf8, b.utf8).allSatisfy { ASCII.lower($0) == ASCII.lower($1) }
    }
}

/// Why an HTTP block could not be turned into a body.
public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The block is not an HTTP response (no status code where one must be).
    case malformed(String)
    /// A Content-Encoding Quern does not decode (compress, zstd, sdch...), lowercased.
    case unsupportedEncoding(String)
    /// The decoded body would exceed the limit given to `parse`.
    case bodyTooLarge(Int)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed HTTP response: \(why)"
        case .unsupportedEncoding(let e): return "unsupported content-encoding \(e)"
        case .bodyTooLarge(let n): return "decoded HTTP body larger than \(n) bytes"
        }
    }
}

/// An HTTP response as archived in a WARC `response` record or an ARC record: status line,
/// headers, and the body with the transfer coding (chunked) and content coding (gzip, x-gzip,
/// deflate with or without the zlib wrapper, br) removed.
///
/// Real archives are sloppy and the parser is lenient the way browsers and warcio are: LF-only
/// line ends, a missing reason phrase, folded header lines, lines without a colon (ignored), a
/// block that is only a body (HTTP/0.9: status 200, no headers), a `chunked` or `gzip` header over
/// a body the crawler already decoded (the body is then kept as it is; `bodyWasDecoded` tells).
public struct HTTPResponse: Sendable {
    /// "HTTP/1.1", "HTTP/1.0"...; "HTTP/0.9" when the block had no status line.
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: HTTPHeaders
    /// The MIME type of Content-Type, lowercased, without parameters ("text/html"); nil when absent.
    public var mimeType: String?
    /// The charset parameter of Content-Type, lowercased, without quotes.
    public var charset: String?
    /// The body after de-chunking and decompression. A slice of the record's block when neither
    /// applied (no copy), else a new array.
    public var body: ArraySlice<UInt8>
    /// Offset of the body in the block (after the blank line that ends the headers).
    public var bodyOffset: Int
    /// True when a transfer or content coding was removed.
    public var bodyWasDecoded: Bool
    /// True when the chunked framing or the compressed stream ended early: `body` holds what
    /// could be decoded.
    public var bodyIsIncomplete: Bool

    /// Parses `block` (a WARC/ARC content block). `maxBodyBytes` bounds the decoded body.
    public static func parse(_ block: [UInt8], maxBodyBytes: Int = 64 << 20) throws(HTTPError) -> HTTPResponse {
        let head: Head
        do {
            head = try block.withUnsafeBufferPointer { (b) throws(HTTPError) -> Head in try Head(b) }
        }
        var response = HTTPResponse(
            version: head.version, status: head.status, reason: head.reason, headers: head.headers,
            mimeType: nil, charset: nil, body: block[head.bodyOffset...], bodyOffset: head.bodyOffset,
            bodyWasDecoded: false, bodyIsIncomplete: false)
        if let ct = head.headers["Content-Type"] {
            (response.mimeType, response.charset) = HTTPResponse.parseContentType(ct)
        }
        if let te = head.headers["Transfer-Encoding"], te.lowercased().contains("chunked") {
            if let (dechunked, complete) = block.withUnsafeBufferPointer({
                HTTPResponse.dechunk(UnsafeBufferPointer(rebasing: $0[head.bodyOffset...]))
            }) {
                response.body = dechunked[...]
                response.bodyWasDecoded = true
                response.bodyIsIncomplete = !complete
            }
        }
        if let ce = head.headers["Content-Encoding"] {
            // Codings apply in the order listed, so they come off in reverse.
            let codings = ce.lowercased().split(separator: ",")
                .map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty && $0 != "identity" }
            for coding in codings.reversed() {
                switch coding {
                case "gzip", "x-gzip", "deflate":
                    let result = try response.body.withUnsafeBufferPointer { (b) throws(HTTPError) in
                        try Inflater.decode(b, gzip: coding != "deflate", limit: maxBodyBytes)
                    }
                    if let (decoded, complete) = result {
                        response.body = decoded[...]
                        response.bodyWasDecoded = true
                        if !complete { response.bodyIsIncomplete = true }
                    }
                case "br":
                    let result = try response.body.withUnsafeBufferPointer { (b) throws(HTTPError) in
                        try BrotliDecoder.decode(b, limit: maxBodyBytes)
                    }
                    if let (decoded, complete) = result {
                        response.body = decoded[...]
                        response.bodyWasDecoded = true
                        if !complete { response.bodyIsIncomplete = true }
                    }
                default:
                    throw .unsupportedEncoding(coding)
                }
            }
        }
        if response.body.count > maxBodyBytes { throw .bodyTooLarge(maxBodyBytes) }
        return response
    }

    /// The status code of the block's status line ("HTTP/1.1 404 Not Found" gives 404), without
    /// parsing the rest; nil when the block does not start with a status line.
    public static func statusCode(of block: UnsafeBufferPointer<UInt8>) -> Int? {
        guard ASCII.hasPrefixIgnoringCase(block, "http/") else { return nil }
        var i = 5
        while i < block.count && block[i] != 0x20 && block[i] != 0x09 && block[i] != 0x0A { i += 1 }
        while i < block.count && (block[i] == 0x20 || block[i] == 0x09) { i += 1 }
        let start = i
        while i < block.count && i - start < 4 && block[i] >= 0x30 && block[i] <= 0x39 { i += 1 }
        guard i - start == 3 else { return nil }
        return ASCII.decimal(UnsafeBufferPointer(rebasing: block[start..<i]))
    }

    /// ("text/html", "utf-8") from "text/html; charset=UTF-8" (either may be nil).
    public static func parseContentType(_ value: String) -> (mime: String?, charset: String?) {
        let parts = value.split(separator: ";", omittingEmptySubsequences: false)
        let mime = parts.first.map { $0.trimmingCharacters(in: " \t").lowercased() }
        var charset: String?
        for p in parts.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: " \t").lowercased() == "charset" else { continue }
            var v = kv[1].trimmingCharacters(in: " \t")
            if v.hasPrefix("\"") || v.hasPrefix("'") { v.removeFirst() }
            if v.hasSuffix("\"") || v.hasSuffix("'") { v.removeLast() }
            if !v.isEmpty { charset = v.lowercased() }
        }
        return (mime?.isEmpty == false ? mime : nil, charset)
    }

    /// Removes chunked framing. nil when the body does not start with a chunk-size line (the
    /// crawler stored it de-chunked already); `complete` is false when the framing stops early.
    static func dechunk(_ body: UnsafeBufferPointer<UInt8>) -> ([UInt8], complete: Bool)? {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = 0
        var first = true
        while true {
            // Chunk-size line: hex digits, optional ";extensions" or spaces, CRLF or LF.
            var size = 0, digits = 0
            while i < body.count, let d = hexValue(body[i]) {
                if digits >= 15 { return first ? nil : (out, false) }
                size = size << 4 | d
                digits += 1
                i += 1
            }
            if digits == 0 { return first ? nil : (out, false) }
            while i < body.count && body[i] != 0x0A {
                let b = body[i]
                if first && !(b == 0x3B || b == 0x20 || b == 0x09 || b == 0x0D) { return nil }
                if b == 0x3B { while i < body.count && body[i] != 0x0A { i += 1 }; break }
                i += 1
            }
            guard i < body.count else { return first ? nil : (out, size == 0) }
            i += 1  // LF
            first = false
            if size == 0 { return (out, true) }  // trailers, if any, are dropped
            let take = min(size, body.count - i)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: body[i..<(i + take)]))
            i += take
            if take < size { return (out, false) }
            if i < body.count && body[i] == 0x0D { i += 1 }
            if i < body.count && body[i] == 0x0A { i += 1 }
            if i >= body.count { return (out, false) }
        }
    }

    @inline(__always) static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        default: return nil
        }
    }

    /// Status line and header fields.
    struct Head {
        var version = "HTTP/0.9"
        var status = 200
        var reason = ""
        var headers = HTTPHeaders()
        var bodyOffset = 0

        init(_ b: UnsafeBufferPointer<UInt8>) throws(HTTPError) {
            guard ASCII.hasPrefixIgnoringCase(b, "http/") else {
                // HTTP/0.9-style: the block is the body.
                return
            }
            var lineStart = 0
            func nextLine() -> UnsafeBufferPointer<UInt8>? {
                guard lineStart < b.count else { return nil }
                let rest = UnsafeBufferPointer(rebasing: b[lineStart...])
                let n: Int
                if let nl = memchr(rest.baseAddress!, 0x0A, rest.count) {
                    n = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - rest.baseAddress! + 1
                } else {
                    n = rest.count
                }
                lineStart += n
                var line = UnsafeBufferPointer(rebasing: rest[..<n])
                while let last = line.last, last == 0x0A || last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
                return line
            }
            guard let statusLine = nextLine() else { throw .malformed("empty block") }
            // "HTTP/1.1 200 OK"; the reason phrase may be missing, the separators may be repeated.
            var i = 0
            while i < statusLine.count && statusLine[i] != 0x20 && statusLine[i] != 0x09 { i += 1 }
            version = ASCII.string(UnsafeBufferPointer(rebasing: statusLine[..<i]))
            while i < statusLine.count && (statusLine[i] == 0x20 || statusLine[i] == 0x09) { i += 1 }
            let codeStart = i
            while i < statusLine.count && statusLine[i] >= 0x30 && statusLine[i] <= 0x39 { i += 1 }
            guard i - codeStart == 3, let code = ASCII.decimal(UnsafeBufferPointer(rebasing: statusLine[codeStart..<i]))
            else { throw .malformed("no three-digit status code in the status line") }
            status = code
            reason = ASCII.string(ASCII.trimmed(UnsafeBufferPointer(rebasing: statusLine[i...])))
            var fields: [HTTPHeaders.Field] = []
            var ended = false
            while let line = nextLine() {
                if line.isEmpty { ended = true; break }
                if line[0] == 0x20 || line[0] == 0x09 {
                    // Obsolete line folding: continues the previous value.
                    if !fields.isEmpty {
                        fields[fields.count - 1].value += " " + ASCII.string(ASCII.trimmed(line))
                    }
                    continue
                }
                guard let colon = line.firstIndex(of: 0x3A) else { continue }  // not a field: ignored
                let name = ASCII.trimmed(UnsafeBufferPointer(rebasing: line[..<colon]))
                let value = ASCII.trimmed(UnsafeBufferPointer(rebasing: line[(colon + 1)...]))
                fields.append(.init(name: ASCII.string(name), value: String(decoding: value, as: UTF8.self)))
            }
            headers = HTTPHeaders(fields)
            bodyOffset = ended ? lineStart : b.count
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String { self[...].trimmingCharacters(in: set) }
}

/// zlib inflate for HTTP bodies.
enum Inflater {
    /// Decodes `input` as gzip (`gzip`: true) or deflate (zlib-wrapped, else raw). nil when the
    /// very start does not decode (the body is not actually compressed); `complete` false when it
    /// breaks off later (the decoded prefix is returned).
    static func decode(_ input: UnsafeBufferPointer<UInt8>, gzip: Bool, limit: Int) throws(HTTPError) -> ([UInt8], complete: Bool)? {
        guard !input.isEmpty else { return nil }
        let windowBits: Int32
        if gzip {
            guard input.count >= 2, input[0] == 0x1f, input[1] == 0x8b else { return nil }
            windowBits = 15 + 16
        } else if input.count >= 2, input[0] & 0x0f == 8, (Int(input[0]) << 8 | Int(input[1])) % 31 == 0 {
            windowBits = 15  // zlib wrapper
        } else {
            windowBits = -15  // raw deflate, as some servers send it
        }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { inflateEnd(stream); stream.deallocate() }
        guard quern_inflateInit2(stream, windowBits) == Z_OK else { return nil }
        var out = [UInt8](repeating: 0, count: min(max(input.count * 4, 1 << 14), limit + 1))
        var produced = 0
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
        stream.pointee.avail_in = UInt32(truncatingIfNeeded: input.count)
        while true {
            if produced == out.count {
                if out.count > limit { throw .bodyTooLarge(limit) }
                out.append(contentsOf: repeatElement(0, count: min(out.count, limit + 1 - out.count)))
            }
            let rc: Int32 = out.withUnsafeMutableBufferPointer { o in
                stream.pointee.next_out = o.baseAddress! + produced
                stream.pointee.avail_out = UInt32(o.count - produced)
                let rc = inflate(stream, Z_NO_FLUSH)
                produced = o.count - Int(stream.pointee.avail_out)
                return rc
            }
            if produced > limit { throw .bodyTooLarge(limit) }
            switch rc {
            case Z_STREAM_END:
                out.removeSubrange(produced...)
                return (out, true)
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.pointee.avail_out == 0:
                continue
            default:
                // Z_BUF_ERROR with output room: the input ended early. Anything else: bad data.
                if produced == 0 && rc != Z_BUF_ERROR { return nil }
                out.removeSubrange(produced...)
                return (out, false)
            }
        }
    }
}

/// Brotli for HTTP bodies (Content-Encoding: br).
enum BrotliDecoder {
    /// Same contract as `Inflater.decode`: nil when the start does not decode, `complete` false
    /// when the stream breaks off (the decoded prefix is returned).
    static func decode(_ input: UnsafeBufferPointer<UInt8>, limit: Int) throws(HTTPError) -> ([UInt8], complete: Bool)? {
        guard !input.isEmpty, let state = BrotliDecoderCreateInstance(nil, nil, nil) else { return nil }
        defer { BrotliDecoderDestroyInstance(state) }
        var out = [UInt8](repeating: 0, count: min(max(input.count * 4, 1 << 14), limit + 1))
        var produced = 0
        var nextIn: UnsafePointer<UInt8>? = input.baseAddress
        var availIn = input.count
        while true {
            if produced == out.count {
                if out.count > limit { throw .bodyTooLarge(limit) }
                out.append(contentsOf: repeatElement(0, count: min(out.count, limit + 1 - out.count)))
            }
            let result: BrotliDecoderResult = out.withUnsafeMutableBufferPointer { o in
                var nextOut: UnsafeMutablePointer<UInt8>? = o.baseAddress! + produced
                var availOut = o.count - produced
                let r = BrotliDecoderDecompressStream(state, &availIn, &nextIn, &availOut, &nextOut, nil)
                produced = o.count - availOut
                return r
            }
            if produced > limit { throw .bodyTooLarge(limit) }
            switch result {
            case BROTLI_DECODER_RESULT_SUCCESS:
                out.removeSubrange(produced...)
                return (out, true)
            case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
                continue
            case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                out.removeSubrange(produced...)
                return (out, false)
            default:
                if produced == 0 { return nil }
                out.removeSubrange(produced...)
                return (out, false)
            }
        }
    }
}
