import Corpus
import Support

/// The byte-level tokenizer as Hugging Face `tokenizers` describes one, so `AutoTokenizer.from_pretrained(export)`
/// loads it and gives ddtrain's ids: UTF-8 byte b is id b, "<|endoftext|>" is id 256.
///
/// It is a BPE model without merges over the 256 byte symbols, behind the ByteLevel pre-tokenizer (no regex split,
/// no prefix space) that spells each byte as GPT-2's printable character for it; the ByteLevel decoder turns them
/// back into bytes.
enum ByteTokenizerExport {
    static let endOfText = "<|endoftext|>"

    /// tokenizer.json (the `tokenizers` library's format).
    static func tokenizerJSON(endOfTextId: Int) -> JSON {
        let vocab = (0..<256).map { b in (String(Character(Unicode.Scalar(GPT2Vocabulary.byteToScalar[b])!)), JSON.int(b)) }
        let byteLevel = JSON.obj(["type": .string("ByteLevel"), "add_prefix_space": .bool(false), "trim_offsets": .bool(false),
                                  "use_regex": .bool(false)])
        return .obj([
            "version": .string("1.0"), "truncation": .null, "padding": .null,
            "added_tokens": .array([.obj(["id": .int(endOfTextId), "content": .string(endOfText), "single_word": .bool(false),
                                          "lstrip": .bool(false), "rstrip": .bool(false), "normalized": .bool(false), "special": .bool(true)])]),
            "normalizer": .null, "pre_tokenizer": byteLevel, "post_processor": .null, "decoder": byteLevel,
            "model": .obj(["type": .string("BPE"), "dropout": .null, "unk_token": .null, "continuing_subword_prefix": .null,
                           "end_of_word_suffix": .null, "fuse_unk": .bool(false), "byte_fallback": .bool(false),
                           "vocab": .object(vocab), "merges": .array([])]),
        ])
    }

    /// tokenizer_config.json: the fast tokenizer class and its special token (no BOS: documents end with it).
    static var configJSON: JSON {
        .obj(["tokenizer_class": .string("PreTrainedTokenizerFast"), "eos_token": .string(endOfText),
              "bos_token": .null, "unk_token": .null, "pad_token": .null, "add_bos_token": .bool(false), "model_max_length": .int(1 << 30)])
    }

    /// Writes both files into `directory`; returns their names.
    static func write(endOfTextId: Int, to directory: String) throws -> [String] {
        try AtomicFile.write(tokenizerJSON(endOfTextId: endOfTextId).pretty, to: directory + "/tokenizer.json")
        try AtomicFile.write(configJSON.pretty, to: directory + "/tokenizer_config.json")
        return ["tokenizer.json", "tokenizer_config.json"]
    }
}
