import Transformer

/// Reads the parameters for `--init-from` when `path` is not a ddtrain checkpoint: the flat parameters of `config`'s
/// model, or nil when `path` is none of the importer's formats (it is then read as a checkpoint). The trainer knows
/// no export format; the executable passes Interop's `ModelImport.importer` (export folders, .safetensors files).
public typealias ParameterImporter = (_ path: String, _ config: ModelConfig) throws -> [Float]?
