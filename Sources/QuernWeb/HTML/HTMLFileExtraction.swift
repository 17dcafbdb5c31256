import QuernIO

/// `quern extract html`: standalone HTML files (plain or compressed) to main text, on all cores,
/// in input order.
public enum HTMLFileExtraction {
    /// Output of one file: the rendered output bytes, or the error that stopped it.
    struct Outcome: Sendable {
        var output: [UInt8]
        var error: String? = nil
        var note: String? = nil
    }

    /// Reads a whole (decompressed) file, at most `limit` bytes; the rest is skipped and the
    /// extractor's input cap flags the page.
    public static func readAll(_ path: String, limit: Int) throws -> [UInt8] {
        let reader = try Input.open(path, threads: 1)
        var bytes: [UInt8] = []
        while let chunk = try reader.nextChunk() {
            if bytes.count < limit { bytes.append(contentsOf: chunk.prefix(limit - bytes.count + 1)) }
        }
        return bytes
    }

    /// The page as UTF-8: its charset found as a browser would (BOM, `<meta charset>`, then
    /// detection) and decoded by `Charset.decodeHTML`.
    public static func utf8(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        try bytes.withUnsafeBufferPointer { _ = try Charset.decodeHTML($0, contentType: nil, into: &out) }
        return out
    }

    /// Extracts one file into its output form: JSON line `{"path","title","text"}` or the text
    /// followed by a newline.
    public static func render(path: String, html: [UInt8], extractor: HTMLExtractor, jsonl: Bool) -> [UInt8] {
        render(path: path, page: html.withUnsafeBufferPointer { extractor.extract(utf8: $0) }, jsonl: jsonl)
    }

    /// Names of the caps a page hit ("input", "tokens", "depth", "time").
    public static func capNames(_ caps: ExtractedPage.Caps) -> [String] {
        var names: [String] = []
        if caps.contains(.inputTruncated) { names.append("input") }
        if caps.contains(.tokenLimit) { names.append("tokens") }
        if caps.contains(.depthLimit) { names.append("depth") }
        if caps.contains(.timeLimit) { names.append("time") }
        return names
    }

    static func render(path: String, page: ExtractedPage, jsonl: Bool) -> [UInt8] {
        var out: [UInt8] = []
        if jsonl {
            var object = JSONObject()
            object.append("path", .string(path))
            object.append("title", page.title.map { .string($0) } ?? .null)
            object.append("text", .string(page.text))
            if let date = page.date { object.append("date", .string(date)) }
            if let language = page.language { object.append("language", .string(language)) }
            if !page.capped.isEmpty { object.append("capped", .array(capNames(page.capped).map { .string($0) })) }
            JSONValue.writeObject(object, to: &out)
            out.append(10)
        } else {
            out.append(contentsOf: page.text.utf8)
            if !page.text.isEmpty { out.append(10) }
        }
        return out
    }

    /// Runs over `paths` with `threads` workers; returns the number of files that failed (each
    /// reported on stderr with its path).
    public static func run(paths: [String], options: HTMLExtractionOptions, jsonl: Bool, threads: Int,
                           to writer: ByteWriter) throws -> Int {
        let extractor = HTMLExtractor(options: options)
        let queue = OrderedWorkQueue<Outcome>()
        var failures = 0
        func take() throws {
            guard let outcome = queue.next() else { return }
            if let error = outcome.error { StandardError.write("quern: \(error)\n"); failures += 1 }
            if let note = outcome.note { StandardError.write("quern: \(note)\n") }
            if !outcome.output.isEmpty { try writer.write(outcome.output) }
        }
        let limit = options.maxInputBytes
        for path in paths {
            queue.submit {
                do {
                    let html = try utf8(try readAll(path, limit: limit))
                    let page = html.withUnsafeBufferPointer { extractor.extract(utf8: $0) }
                    let note = page.capped.isEmpty ? nil
                        : "\(path): hit the \(capNames(page.capped).joined(separator: ", ")) cap; its text may be partial"
                    return Outcome(output: render(path: path, page: page, jsonl: jsonl), note: note)
                } catch let error as QuernIOError {
                    return Outcome(output: [], error: "\(error)")
                } catch {
                    return Outcome(output: [], error: "\(path): \(error)")
                }
            }
            while queue.inFlight >= 2 * max(1, threads) { try take() }
        }
        while queue.inFlight > 0 { try take() }
        return failures
    }
}
