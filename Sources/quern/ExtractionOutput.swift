import ArgumentParser
import QuernBooks
import QuernIO
import QuernWeb
import QuernWiki

/// A report an `extract` job returns: JSON for `--report`, one line for people.
protocol ExtractionReport {
    var json: JSONValue { get }
    var summary: String { get }
}

extension WebExtractionReport: ExtractionReport {}
extension WikiExtractionReport: ExtractionReport {}
extension BookExtractionReport: ExtractionReport {}

/// The options every `extract` subcommand shares, and what each does around its library call:
/// the output opened (atomic; `-` is standard output) and discarded if the job fails, the first
/// damage reports printed, the JSON report written, the summary line printed.
struct ExtractionOutput: ParsableArguments {
    @Option(name: .shortAndLong, help: "Output JSONL file (.zst, .gz or plain by its name; - for standard output).")
    var output: String

    @Option(help: "Write the counts (inputs, documents, skips and damage by reason, bytes, throughput) to this JSON file.")
    var report: String?

    @Option(help: "Damage reports printed on stderr (all are counted in the report).")
    var maxIssuesShown = 20

    func run<Report: ExtractionReport>(
        _ label: String,
        _ job: (ByteWriter, Progress, @escaping (QuernIOError) -> Void) throws -> Report
    ) throws -> Report {
        let file: OutputFile? = output == "-" ? nil : try OutputFile(path: output)
        let writer: ByteWriter = file ?? StandardOutput()
        let limit = maxIssuesShown
        nonisolated(unsafe) var shown = 0
        let result: Report
        do {
            result = try job(writer, Progress(label, totalBytes: nil)) { error in
                shown += 1
                if shown <= limit { StandardError.write("quern: \(error)\n") }
            }
            try writer.finish()
        } catch {
            file?.discard()
            throw error
        }
        if shown > limit {
            StandardError.write("quern: \(shown - limit) more damage reports not shown (see the report)\n")
        }
        if let report {
            var bytes: [UInt8] = []
            result.json.write(to: &bytes)
            bytes.append(0x0A)
            try OutputFile.write(bytes, to: report, codec: .plain)
        }
        StandardError.write(result.summary + "\n")
        return result
    }
}
