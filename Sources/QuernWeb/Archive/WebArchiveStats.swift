import QuernIO

/// Damage the reader found and skipped.
public enum WebArchiveIssue: String, Sendable, CaseIterable {
    /// Bad version line, header line without a colon, missing or non-numeric Content-Length.
    case badHeader = "bad header"
    /// The block is not followed by the blank line and the next record.
    case wrongContentLength = "wrong content-length"
    /// The input ends inside a record (header or block).
    case truncatedRecord = "truncated record"
    case corruptMember = "corrupt gzip member"
    case truncatedMember = "truncated gzip member"
    /// Damage in a zstd/bzip2/xz stream (the rest of that input is lost).
    case corruptStream = "corrupt stream"
    /// Bytes that are neither a record nor a gzip member.
    case garbage = "garbage between records"

    var errorKind: QuernIOError.Kind {
        switch self {
        case .badHeader, .wrongContentLength: return .malformedRecord
        case .truncatedRecord, .truncatedMember: return .truncated
        case .corruptMember, .corruptStream: return .corrupt
        case .garbage: return .trailingGarbage
        }
    }
}

/// Why a record gives no text to the pipeline.
public enum WebSkipReason: String, Sendable, CaseIterable {
    case warcinfo, request, metadata, revisit, continuation, dns
    case unknownType = "unknown record type"
    case nonHTML = "non-html payload"
    case httpStatus = "http status not 2xx"
    case malformedHTTP = "malformed http"
    case contentEncodingOther = "content-encoding other"
    case bodyTooLarge = "body too large"
    /// The block exceeded the reader's `maxBlockBytes` and was not read.
    case blockOmitted = "block too large"
    case emptyBody = "empty body"
}

/// What a record holds for the pipeline.
public enum WebContent: Sendable {
    /// An HTML page: the decoded body, the HTTP response when there was one (its `charset` is the
    /// header's), and the page URL.
    case html(body: ArraySlice<UInt8>, http: HTTPResponse?, url: String?)
    /// Text a WET `conversion` record carries (UTF-8 by Common Crawl's convention).
    case conversionText(body: [UInt8], url: String?)
    case skip(WebSkipReason)

    /// Decides what `record` is: `response`/`resource`/ARC records whose HTTP Content-Type (else
    /// the record's Content-Type, else WARC-Identified-Payload-Type) is HTML-ish, or which carry no
    /// type and whose body sniffs as HTML; WET `conversion` text; or a skip with its reason.
    public static func classify(_ record: WebRecord, maxBodyBytes: Int = 64 << 20) -> WebContent {
        switch record.kind {
        case .warcinfo: return .skip(.warcinfo)
        case .request: return .skip(.request)
        case .metadata: return .skip(.metadata)
        case .revisit: return .skip(.revisit)
        case .continuation: return .skip(.continuation)
        case .dns: return .skip(.dns)
        case .unknown: return .skip(.unknownType)
        case .conversion:
            if record.blockOmitted { return .skip(.blockOmitted) }
            if record.block.isEmpty { return .skip(.emptyBody) }
            return .conversionText(body: record.block, url: record.targetURI)
        case .response, .resource:
            break
        }
        if record.blockOmitted { return .skip(.blockOmitted) }
        let recordType = record.contentType.map { HTTPResponse.parseContentType($0).mime } ?? nil
        let isHTTP: Bool
        if let recordType, recordType.hasPrefix("application/http") {
            isHTTP = true
        } else {
            // ARC records, and response records of writers that omit or misstate the record's
            // Content-Type, carry a raw HTTP response without saying so.
            isHTTP = (record.format == .arc || record.type == .response) && record.block.starts(with: "HTTP/".utf8)
        }
        if isHTTP {
            let http: HTTPResponse
            do {
                http = try HTTPResponse.parse(record.block, maxBodyBytes: maxBodyBytes)
            } catch {
                switch error {
                case .malformed: return .skip(.malformedHTTP)
                case .unsupportedEncoding: return .skip(.contentEncodingOther)
                case .bodyTooLarge: return .skip(.bodyTooLarge)
                }
            }
            guard (200..<300).contains(http.status) else { return .skip(.httpStatus) }
            if http.body.isEmpty { return .skip(.emptyBody) }
            let mime = http.mimeType ?? (record.format == .arc ? recordType : nil)
                ?? record.identifiedPayloadType.map { $0.lowercased() }
            guard isHTMLType(mime, body: http.body) else { return .skip(.nonHTML) }
            return .html(body: http.body, http: http, url: record.targetURI)
        }
        if record.block.isEmpty { return .skip(.emptyBody) }
        let mime = recordType ?? record.identifiedPayloadType.map { $0.lowercased() }
        guard isHTMLType(mime, body: record.block[...]) else { return .skip(.nonHTML) }
        return .html(body: record.block[...], http: nil, url: record.targetURI)
    }

    /// HTML by MIME type; with no usable type, by sniffing the body.
    static func isHTMLType(_ mime: String?, body: ArraySlice<UInt8>) -> Bool {
        if let mime, !mime.isEmpty, mime != "unknown", mime != "application/octet-stream",
           mime != "no-type", mime != "unk", mime != "*/*" {
            return mime == "text/html" || mime == "application/xhtml+xml"
                || mime == "application/vnd.wap.xhtml+xml" || mime == "text/x-server-parsed-html"
        }
        return body.withUnsafeBufferPointer { HTMLSniffer.looksLikeHTML($0) }
    }
}

/// The HTML signatures of the WHATWG MIME sniffing standard ("<!DOCTYPE HTML", "<HTML", "<HEAD",
/// "<SCRIPT", ..., "<!--"), after leading whitespace and a UTF-8 BOM, each followed by a space
/// or ">".
public enum HTMLSniffer {
    static let tags = ["!doctype html", "html", "head", "script", "iframe", "h1", "div", "font",
                       "table", "a", "style", "title", "b", "body", "br", "p", "!--"]

    public static func looksLikeHTML(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        while i < bytes.count && (ASCII.isSpace(bytes[i]) || bytes[i] == 0x0C) { i += 1 }
        guard i < bytes.count, bytes[i] == 0x3C else { return false }
        let rest = UnsafeBufferPointer(rebasing: bytes[(i + 1)...])
        for tag in tags where ASCII.hasPrefixIgnoringCase(rest, tag) {
            let after = tag.utf8.count
            if tag == "!--" { return true }
            if after < rest.count && (rest[after] == 0x20 || rest[after] == 0x3E || rest[after] == 0x09
                                      || rest[after] == 0x0A || rest[after] == 0x0D) { return true }
        }
        return false
    }
}

/// Counts for one or many archive files: records read by kind, damage by issue, and what the
/// classification made of the records (HTML pages, WET texts, skips by reason). Merges across
/// files and workers; serializes to JSON with stable key order.
public struct WebArchiveStats: Sendable, Equatable {
    public var files = 0
    public var records: [WebRecordKind: Int] = [:]
    public var issues: [WebArchiveIssue: Int] = [:]
    public var html = 0
    public var conversionTexts = 0
    public var skips: [WebSkipReason: Int] = [:]

    public init() {}

    public var recordCount: Int { records.values.reduce(0, +) }
    public var issueCount: Int { issues.values.reduce(0, +) }

    /// Counts one classification result.
    public mutating func count(_ content: WebContent) {
        switch content {
        case .html: html += 1
        case .conversionText: conversionTexts += 1
        case .skip(let reason): skips[reason, default: 0] += 1
        }
    }

    public mutating func merge(_ other: WebArchiveStats) {
        files += other.files
        records.merge(other.records, uniquingKeysWith: +)
        issues.merge(other.issues, uniquingKeysWith: +)
        html += other.html
        conversionTexts += other.conversionTexts
        skips.merge(other.skips, uniquingKeysWith: +)
    }

    public var json: JSONValue {
        func object<K: RawRepresentable>(_ d: [K: Int]) -> JSONValue where K.RawValue == String {
            .object(JSONObject(d.map { ($0.key.rawValue, JSONValue.number(JSONNumber($0.value))) }
                .sorted { $0.0 < $1.0 }))
        }
        return .object(JSONObject([
            ("files", .number(JSONNumber(files))),
            ("records", object(records)),
            ("issues", object(issues)),
            ("html", .number(JSONNumber(html))),
            ("conversion_texts", .number(JSONNumber(conversionTexts))),
            ("skips", object(skips)),
        ]))
    }

    /// Reads back what `json` wrote; unknown keys are an error.
    public init(json: JSONValue) throws {
        guard let o = json.objectValue else { throw QuernIOError(.malformedRecord, file: "-", message: "stats: not an object") }
        func dict<K: RawRepresentable>(_ key: String, _: K.Type) throws -> [K: Int] where K.RawValue == String {
            var out: [K: Int] = [:]
            for (k, v) in o[key]?.objectValue ?? JSONObject() {
                guard let kind = K(rawValue: k), let n = v.intValue else {
                    throw QuernIOError(.malformedRecord, file: "-", message: "stats: bad entry \(key).\(k)")
                }
                out[kind] = n
            }
            return out
        }
        files = o["files"]?.intValue ?? 0
        records = try dict("records", WebRecordKind.self)
        issues = try dict("issues", WebArchiveIssue.self)
        html = o["html"]?.intValue ?? 0
        conversionTexts = o["conversion_texts"]?.intValue ?? 0
        skips = try dict("skips", WebSkipReason.self)
    }
}
