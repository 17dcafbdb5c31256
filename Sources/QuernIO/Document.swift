/// One document of a corpus: the unit every later stage reads and writes, one JSON line each.
///
/// Reads the two common record shapes:
/// - dolma: `{"id", "text", "source", "added", "created", "metadata": {...}}`
/// - datatrove: `{"text", "id", "media", "metadata": {"url", ...}}`
///
/// and keeps everything else, so a record read and written again has the same fields:
/// - `url`, `title` and `date` come from the top-level string field of that name, else from the
///   same key in `metadata` (which stays in `metadata`; it is then not repeated at top level on
///   output). A top-level field of that name that is not a string (such as `null`) stays in
///   `extra`.
/// - `id` may be a string or a number (`idIsNumber`; its text is kept exactly).
/// - A `source` or `metadata` of another type than string/object stays in `extra`.
/// - Every other top-level field is kept in `extra`, in order.
///
/// Output normalizes only the order of the known fields and drops what carries no information:
/// an empty `id` or `source`, an empty `metadata`, and a top-level `url`/`title`/`date` that
/// repeats the same string in `metadata`. When a known field appears twice in one record, the last
/// one counts (as in Python's `json`).
///
/// Equality compares strings by their UTF-8 bytes.
public struct Document: Sendable, Equatable {
    /// The record's id (the digits of a numeric id when `idIsNumber`). Empty when absent.
    public var id: String
    /// The id was a JSON number; it is written back as one.
    public var idIsNumber: Bool
    /// The text. A record without a string `text` is malformed.
    public var text: String
    /// Where the document comes from (dolma's `source`); empty when absent.
    public var source: String
    public var url: String?
    public var title: String?
    public var date: String?
    /// The record's `metadata` object, members in order (including any `url`/`title`/`date`).
    public var metadata: JSONObject
    /// Every other top-level field, in order.
    public var extra: JSONObject

    public init(id: String, text: String, source: String = "", url: String? = nil, title: String? = nil,
                date: String? = nil, metadata: JSONObject = JSONObject(), extra: JSONObject = JSONObject(),
                idIsNumber: Bool = false) {
        self.id = id
        self.idIsNumber = idIsNumber
        self.text = text
        self.source = source
        self.url = url
        self.title = title
        self.date = date
        self.metadata = metadata
        self.extra = extra
    }

    // MARK: Reading

    /// A document from a parsed JSON record. Throws when `json` is not an object, has no string
    /// `text`, or has an `id` that is neither a string nor a number.
    public init(json: JSONValue) throws(JSONError) {
        guard case .object(let record) = json else {
            throw JSONError(offset: 0, message: "expected '{' to open a JSON object record, found \(Document.kind(json))")
        }
        try self.init(record: record)
    }

    /// A document from one JSON line (UTF-8, without its newline).
    public init(jsonLine bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) {
        var parser = JSONParser()
        try self.init(jsonLine: bytes, parser: &parser)
    }

    /// A document from one JSON line held in a String.
    public init(jsonLine text: String) throws(JSONError) {
        var text = text
        let result = text.withUTF8 { bytes -> Result<Document, JSONError> in
            do throws(JSONError) { return .success(try Document(jsonLine: bytes)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// As `init(jsonLine:)` with a parser kept by the caller (its buffers are reused).
    public init(jsonLine bytes: UnsafeBufferPointer<UInt8>, parser: inout JSONParser) throws(JSONError) {
        // Refuse non-objects before parsing them whole: a record is always an object.
        var first = 0
        while first < bytes.count, bytes[first] == 0x20 || bytes[first] == 0x09 { first &+= 1 }
        if first < bytes.count, bytes[first] != UInt8(ascii: "{") {
            throw JSONError(offset: first, message: "expected '{' to open a JSON object record, found '\(JSONParser.printable(bytes[first]))'")
        }
        try self.init(json: parser.parse(bytes))
    }

    private init(record: JSONObject) throws(JSONError) {
        // One pass over the members; values are moved, never re-read (text is not touched again).
        var id: String?
        var idIsNumber = false
        var text: String?
        var source: String?
        var url: String?, title: String?, date: String?
        var metadata: JSONObject?
        var extra = JSONObject()
        for (key, value) in record.fields {
            switch (key, value) {
            case ("text", .string(let s)): text = s
            case ("text", _):
                throw JSONError(offset: 0, message: "\"text\" must be a string, found \(Document.kind(value))")
            case ("id", .string(let s)): id = s; idIsNumber = false
            case ("id", .number(let n)): id = n.text; idIsNumber = true
            case ("id", _):
                throw JSONError(offset: 0, message: "\"id\" must be a string or a number, found \(Document.kind(value))")
            case ("source", .string(let s)): source = s
            case ("url", .string(let s)): url = s
            case ("title", .string(let s)): title = s
            case ("date", .string(let s)): date = s
            case ("metadata", .object(let o)): metadata = o
            default: extra.fields.append((key, value))
            }
        }
        guard let text else { throw JSONError(offset: 0, message: "missing \"text\" field") }
        let meta = metadata ?? JSONObject()
        self.init(id: id ?? "", text: text, source: source ?? "",
                  url: url ?? meta["url"]?.stringValue,
                  title: title ?? meta["title"]?.stringValue,
                  date: date ?? meta["date"]?.stringValue,
                  metadata: meta, extra: extra, idIsNumber: idIsNumber)
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: Writing

    /// The record as one JSON line without its newline: `id`, `text`, `source`, then `url`,
    /// `title`, `date` where they are not already in `metadata`, then `metadata`, then `extra`.
    public func jsonLine() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 256)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the record's JSON (no newline) to `out`.
    public func write(to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
        if !id.isEmpty {
            key("id")
            if idIsNumber, let number = JSONNumber(id) {
                JSONValue.appendUTF8(of: number.text, to: &out)
            } else {
                JSONValue.writeString(id, to: &out)
            }
        }
        key("text")
        JSONValue.writeString(text, to: &out)
        if !source.isEmpty {
            key("source")
            JSONValue.writeString(source, to: &out)
        }
        if let url, !metadataHolds("url", url) { key("url"); JSONValue.writeString(url, to: &out) }
        if let title, !metadataHolds("title", title) { key("title"); JSONValue.writeString(title, to: &out) }
        if let date, !metadataHolds("date", date) { key("date"); JSONValue.writeString(date, to: &out) }
        if !metadata.isEmpty {
            key("metadata")
            JSONValue.writeObject(metadata, to: &out)
        }
        let fields = extra.fields
        for i in fields.indices {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeString(fields[i].key, to: &out)
            out.append(UInt8(ascii: ":"))
            fields[i].value.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The whole record as a JSON object, as `write(to:)` would write it.
    public var json: JSONValue {
        var record = JSONObject()
        if !id.isEmpty {
            record.append("id", idIsNumber ? JSONNumber(id).map(JSONValue.number) ?? .string(id) : .string(id))
        }
        record.append("text", .string(text))
        if !source.isEmpty { record.append("source", .string(source)) }
        if let url, !metadataHolds("url", url) { record.append("url", .string(url)) }
        if let title, !metadataHolds("title", title) { record.append("title", .string(title)) }
        if let date, !metadataHolds("date", date) { record.append("date", .string(date)) }
        if !metadata.isEmpty { record.append("metadata", .object(metadata)) }
        record.fields.append(contentsOf: extra.fields)
        return .object(record)
    }

    private func metadataHolds(_ key: String, _ value: String) -> Bool {
        guard let held = metadata[key]?.stringValue else { return false }
        return utf8Equal(held, value)
    }

    public static func == (a: Document, b: Document) -> Bool {
        a.idIsNumber == b.idIsNumber && utf8Equal(a.id, b.id) && utf8Equal(a.text, b.text)
            && utf8Equal(a.source, b.source) && optionalEqual(a.url, b.url)
            && optionalEqual(a.title, b.title) && optionalEqual(a.date, b.date)
            && a.metadata == b.metadata && a.extra == b.extra
    }

    private static func optionalEqual(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?): return utf8Equal(x, y)
        default: return false
        }
    }
}
