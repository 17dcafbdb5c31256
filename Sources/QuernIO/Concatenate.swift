#if canImport(Glibc)
import Glibc
#endif

/// `quern cat`: the decompressed bytes of each input, one after another, into a writer.
public enum Concatenate {
    /// Writes every input's bytes to `output`. A damaged input contributes everything decodable
    /// before the damage; its error goes to `report` and the next input is read. Returns the
    /// number of inputs that failed. Errors writing the output are thrown.
    public static func run(_ paths: [String], threads: Int, to output: ByteWriter,
                           report: (QuernIOError) -> Void = Concatenate.printToStandardError) throws -> Int {
        var failures = 0
        // Progress only when the bytes go somewhere other than the terminal (like pv).
        let showProgress = isatty(STDERR_FILENO) == 1 && isatty(STDOUT_FILENO) == 0
        for path in paths {
            let reader: ByteReader
            do {
                reader = try Input.open(path, threads: threads)
            } catch let error as QuernIOError {
                report(error)
                failures += 1
                continue
            }
            let progress = Progress("cat \(path)", totalBytes: reader.storedSize, enabled: showProgress)
            var chunks = 0
            do {
                while let chunk = try reader.nextChunk() {
                    try output.write(UnsafeRawBufferPointer(chunk))
                    chunks &+= 1
                    progress.update(records: chunks, bytesRead: reader.storedBytesRead)
                }
            } catch let error as QuernIOError where error.file == path {
                report(error)
                failures += 1
            }
            progress.finish()
        }
        try output.finish()
        return failures
    }

    public static func printToStandardError(_ error: QuernIOError) {
        StandardError.write("quern: \(error)\n")
    }
}
