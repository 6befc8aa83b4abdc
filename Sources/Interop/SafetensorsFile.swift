import Support
#if canImport(Glibc)
import Glibc
#endif

/// A `.safetensors` file (the Hugging Face format, https://github.com/huggingface/safetensors):
///
///     8 bytes   N, UInt64 little-endian: length of the header
///     N bytes   UTF-8 JSON object: for every tensor {"dtype": "F32", "shape": [..], "data_offsets": [begin, end)}
///               with offsets relative to the start of the data section; an optional "__metadata__" object of
///               string → string; the reference writer pads the JSON with spaces to a multiple of 8 bytes
///     rest      the data section: raw little-endian tensors, row-major, covering it exactly (no holes, no overlap)
///
/// Written here in F32 only (ddtrain's parameters are Float32); read in F32, F16 and BF16 (widened to Float),
/// since models made elsewhere often come in half precision. Assumes a little-endian host (x86-64, arm64).
public struct SafetensorsFile {
    /// One tensor's entry in the header.
    public struct Entry: Equatable {
        public let name: String
        /// "F32", "F16" or "BF16" (others are rejected on read).
        public let dtype: String
        public let shape: [Int]
        /// Byte range inside the data section.
        public let begin: Int, end: Int
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// A tensor to write: its name, row-major shape and Float32 values.
    public struct Tensor {
        public let name: String
        public let shape: [Int]
        public let data: [Float]
        /// A tensor of `data.count` = product of `shape` values.
        public init(name: String, shape: [Int], data: [Float]) { self.name = name; self.shape = shape; self.data = data }
    }

    /// Largest header accepted (the reference implementation's limit), so a corrupt length cannot exhaust memory.
    public static let maxHeaderBytes = 100_000_000
    static let elementBytes: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2]

    /// Path the file was read from (used in error messages).
    public let path: String
    /// Entries by tensor name.
    public let entries: [String: Entry]
    /// The "__metadata__" object (empty when absent).
    public let metadata: [String: String]
    private let bytes: [UInt8]
    private let dataStart: Int

    // MARK: writing

    /// Writes `tensors` (and string `metadata`) to `path` atomically, tensors ordered by name as the reference
    /// writer orders tensors of one dtype, header padded with spaces to a multiple of 8 bytes.
    public static func write(path: String, tensors: [Tensor], metadata: [(String, String)] = []) throws {
        for t in tensors where t.shape.reduce(1, *) != t.data.count || t.shape.contains(where: { $0 < 0 }) {
            throw DDError("safetensors writer: tensor '\(t.name)' has shape \(t.shape) but \(t.data.count) values (fix: pass matching shape and data)")
        }
        let sorted = tensors.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var pairs: [(String, JSON)] = []
        if !metadata.isEmpty { pairs.append(("__metadata__", .object(metadata.map { ($0.0, .string($0.1)) }))) }
        var offset = 0
        for t in sorted {
            let n = t.data.count * 4
            pairs.append((t.name, .obj(["dtype": .string("F32"), "shape": .ints(t.shape), "data_offsets": .ints([offset, offset + n])])))
            offset += n
        }
        var header = Array(JSON.object(pairs).compact.utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var head = [UInt8]()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { head += $0 }
        head += header

        let tmp = AtomicFile.temporaryName(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.ioError(path, "cannot create") }
        do {
            try head.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            for t in sorted { try t.data.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) } }
            guard fsync(fd) == 0 else { throw AtomicFile.ioError(path, "cannot fsync") }
            close(fd)
        } catch {
            close(fd); unlink(tmp); throw error
        }
        guard rename(tmp, path) == 0 else { let e = AtomicFile.ioError(path, "cannot rename into place"); unlink(tmp); throw e }
        AtomicFile.syncDirectory(of: path)
    }

    // MARK: reading

    /// Reads and validates the file: header length, JSON, every entry's dtype, shape and offsets, and that the
    /// entries tile the data section exactly. Errors name the file and the tensor.
    public init(path: String) throws {
        self.path = path
        let bytes = try FileIO.readAll(path)
        let fix = "write the file with a safetensors writer (e.g. ddtrain export or safetensors.numpy.save_file)"
        guard bytes.count >= 8 else {
            throw DDError.file(path, "is \(bytes.count) bytes, too short for the 8-byte safetensors header length", fix: fix)
        }
        let n = bytes.withUnsafeBytes { Int(clamping: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard n >= 2, n <= Self.maxHeaderBytes, 8 + n <= bytes.count else {
            throw DDError.file(path, "header length \(n) does not fit the file of \(bytes.count) bytes (truncated or not safetensors)", fix: fix)
        }
        let json = try JSONParser.parse(Array(bytes[8..<8 + n]), source: path + " (safetensors header)")
        guard let pairs = json.objectValue else {
            throw DDError.file(path, "safetensors header is a JSON \(json.kindName), not an object", fix: fix)
        }
        let dataLength = bytes.count - 8 - n
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in pairs {
            if name == "__metadata__" {
                guard let items = value.objectValue else {
                    throw DDError.file(path, "\"__metadata__\" is a JSON \(value.kindName), not an object of strings", fix: fix)
                }
                for (k, v) in items {
                    guard let s = v.stringValue else {
                        throw DDError.file(path, "\"__metadata__\".\"\(k)\" is a JSON \(v.kindName), not a string", fix: fix)
                    }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try Self.entry(name, value, dataLength: dataLength, path: path)
        }
        // The entries must tile the data section: sorted by offset, each begins where the previous ended.
        var position = 0
        for e in entries.values.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard e.begin == position else {
                throw DDError.file(path, "tensor '\(e.name)' starts at data byte \(e.begin) but the previous tensor ends at \(position) (hole or overlap)", fix: fix)
            }
            position = e.end
        }
        guard position == dataLength else {
            throw DDError.file(path, "the tensors cover \(position) data bytes but the data section has \(dataLength)", fix: fix)
        }
        self.entries = entries
        self.metadata = metadata
        self.bytes = bytes
        dataStart = 8 + n
    }

    /// Parses and checks one header entry.
    private static func entry(_ name: String, _ value: JSON, dataLength: Int, path: String) throws -> Entry {
        let fix = "repair the writer of this file"
        guard let dtype = value["dtype"]?.stringValue, let size = elementBytes[dtype] else {
            throw DDError.file(path, "tensor '\(name)' has dtype \(value["dtype"]?.compact ?? "(missing)"); this reader takes F32, F16 or BF16",
                               fix: "convert the model to float32, float16 or bfloat16")
        }
        guard let shapeJSON = value["shape"]?.arrayValue else {
            throw DDError.file(path, "tensor '\(name)' has no \"shape\" array", fix: fix)
        }
        let shape = shapeJSON.compactMap(\.intValue)
        guard shape.count == shapeJSON.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw DDError.file(path, "tensor '\(name)' has shape \(shapeJSON.map(\.compact)) (not non-negative integers)", fix: fix)
        }
        guard let offsets = value["data_offsets"]?.arrayValue?.compactMap(\.intValue), offsets.count == 2,
              offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
            throw DDError.file(path, "tensor '\(name)' has data_offsets \(value["data_offsets"]?.compact ?? "(missing)") outside the data section of \(dataLength) bytes",
                               fix: fix)
        }
        // A hostile shape must not overflow the element count (that would trap instead of failing cleanly).
        var count = 1, overflow = false
        for d in shape + [size] where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: d) }
        guard !overflow, offsets[1] - offsets[0] == count else {
            throw DDError.file(path, "tensor '\(name)' spans \(offsets[1] - offsets[0]) bytes but shape \(shape) in \(dtype) needs "
                               + (overflow ? "more than Int.max" : "\(count)"), fix: fix)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    /// The values of tensor `name` as Float32 (half precision widened exactly).
    public func floats(_ name: String) throws -> [Float] {
        guard let e = entries[name] else {
            throw DDError.file(path, "has no tensor '\(name)'", fix: "check the tensor names (ddtrain export writes Hugging Face Llama names)")
        }
        let start = dataStart + e.begin
        return bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: e.count) { out, written in
                switch e.dtype {
                case "F32":
                    if e.count > 0 { memcpy(out.baseAddress!, raw.baseAddress! + start, e.count * 4) }
                case "BF16":
                    // bfloat16 is the top half of a float32.
                    for i in 0..<e.count {
                        out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self)) << 16)
                    }
                default:
                    for i in 0..<e.count {
                        out[i] = Self.halfToFloat(raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self))
                    }
                }
                written = e.count
            }
        }
    }

    /// IEEE 754 binary16 → Float32, exact (normals, subnormals, infinities, NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1f), mantissa = Float(h & 0x3ff)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
