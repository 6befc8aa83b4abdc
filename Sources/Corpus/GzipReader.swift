/// Streams the decompressed contents of a gzip file in chunks, so corpora larger than memory can be read.
///
/// Memory use is fixed (a 1 MiB input buffer and a 1 MiB + 32 KiB output window) whatever the file size.
/// Not thread-safe: one reader per thread.
public final class GzipReader {
    private let stream: GzipStream
    /// Output decoded but not yet handed out by `read(into:max:)`.
    private var pending = UnsafeBufferPointer<UInt8>(start: nil, count: 0)

    /// Opens a gzip file; errors name the path. `chunkSize` bounds the output handed out at once and
    /// `inputBufferSize` the compressed bytes read at once (both set the memory used).
    public init(path: String, chunkSize: Int = 1 << 20, inputBufferSize: Int = 1 << 20) throws {
        stream = GzipStream(input: try InflateInput(path: path, bufferSize: inputBufferSize), chunkSize: chunkSize)
    }

    /// The next chunk of decompressed bytes, or nil at the end of the file.
    public func nextChunk() throws -> [UInt8]? {
        if pending.count > 0 {
            defer { pending = UnsafeBufferPointer(start: nil, count: 0) }
            return Array(pending)
        }
        return try stream.nextChunk().map { Array($0) }
    }

    /// Appends up to `max` decompressed bytes to `buffer`; returns how many were appended (0 at the end).
    public func read(into buffer: inout [UInt8], max: Int) throws -> Int {
        guard max > 0 else { return 0 }
        if pending.count == 0 {
            guard let chunk = try stream.nextChunk() else { return 0 }
            pending = chunk
        }
        let n = Swift.min(max, pending.count)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: pending[0..<n]))
        pending = UnsafeBufferPointer(rebasing: pending[n...])
        return n
    }
}
