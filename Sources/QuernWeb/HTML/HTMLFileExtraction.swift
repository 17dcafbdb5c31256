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

    /// Extracts one file into its output form: JSON line `{"path","title","text"}` or the text
    /// followed by a newline.
    public static func render(path: String, html: [UInt8], extractor: HTMLExtractor, jsonl: Bool) -> [UInt8] {
        var scratch: [UInt8] = []
        let (page, _) = html.withUnsafeBufferPointer {
            WebPageExtraction.extract($0, contentType: nil, extractor: extractor, scratch: &scratch)
        }
        return render(path: path, page: page, jsonl: jsonl)
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
            if !page.capped.isEmpty { object.append("capped", .array(page.capped.names.map { .string($0) })) }
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
                    // The charset found as a browser would (BOM, <meta>, then detection),
                    // exactly as `extract web` does for a page without an HTTP header.
                    let raw = try readAll(path, limit: limit)
                    var scratch: [UInt8] = []
                    let (page, _) = raw.withUnsafeBufferPointer {
                        WebPageExtraction.extract($0, contentType: nil, extractor: extractor, scratch: &scratch)
                    }
                    let note = page.capped.isEmpty ? nil
                        : "\(path): hit the \(page.capped.names.joined(separator: ", ")) cap; its text may be partial"
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
