import Interop
import Support
import Trainer

/// `ddtrain export`: a checkpoint as model.safetensors + config.json (Hugging Face Llama convention).
let exportCommand = Command(
    name: "export", summary: "write a checkpoint as model.safetensors + config.json (Hugging Face Llama names)",
    help: """
    usage: ddtrain export --checkpoint PATH --out DIR [--json]

    Writes DIR/model.safetensors (float32; names model.embed_tokens.weight, model.layers.N.self_attn.q_proj.weight,
    …, model.norm.weight, lm_head.weight), DIR/config.json (LlamaConfig fields: hidden_size, intermediate_size,
    num_hidden_layers, num_attention_heads, rope_theta, rms_norm_eps, …) and the tokenizer description
    (ddtrain_tokenizer.json; GPT-2's vocab.json and merges.txt for the gpt2 tokenizer). ddtrain's RoPE rotates
    interleaved pairs, HF Llama rotates halves: the q and k projection rows are permuted per head so that
    LlamaForCausalLM computes the same logits. A model outside Llama (GELU MLP, LayerNorm, qk-norm) keeps
    ddtrain's own tensor names and gets model_type "ddtrain" (with a warning). Load it back with
    'ddtrain train --init-from DIR'; tools/safetensors_reference.py computes logits from DIR with numpy alone.
      --checkpoint PATH   a RUN/checkpoints/checkpoint-*.ddt file or a run folder (its newest checkpoint that
                          verifies); the run's config.json names the tokenizer
      --out DIR           output folder (created)
      --json              print what was written as one JSON object
    """,
    options: ["checkpoint": true, "out": true, "json": false]
) { args in
    let checkpoint = try args.required("checkpoint", command: "export")
    let out = try args.required("out", command: "export")
    let result = try ModelExport.export(checkpoint: checkpoint, to: out)
    if args.flag("json") {
        print(JSON.obj(["out": .string(out), "convention": .string(result.convention.rawValue), "tensors": .int(result.tensors),
                        "parameters": .int(result.parameters), "files": .array(result.files.map { .string($0) }),
                        "outside_llama": .array(result.reasons.map { .string($0) })]).compact)
    } else {
        print("exported \(result.tensors) tensors (\(result.parameters) parameters, \(result.convention.rawValue) convention) to \(out): "
              + result.files.joined(separator: ", "))
    }
    return 0
}
