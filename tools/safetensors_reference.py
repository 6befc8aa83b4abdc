#!/usr/bin/env python3
"""Independent numpy reader of a ddtrain export (or any float Llama model folder) and a float64 forward pass.

Used by the tests (Tests/InteropTests/Export*Tests.swift), never in the training path. It parses the
safetensors layout itself (no safetensors package):

    8 bytes  N, unsigned little-endian: header length
    N bytes  JSON: {name: {"dtype": "F32"|"F16"|"BF16", "shape": [...], "data_offsets": [begin, end)}, "__metadata__": {...}}
    rest     data section, tensors at their offsets (little-endian, row-major)

and computes logits the way Hugging Face's LlamaForCausalLM does (written from the HF modeling_llama
definitions, not from ddtrain's code): RMSNorm x * rsqrt(mean(x^2) + eps) * w; RoPE with
inv_freq = theta^(-arange(0, D, 2)/D), cos/sin = cat(freqs, freqs) and rotate_half(x) = cat(-x2, x1) over the
two HALVES of each head; causal softmax attention with scale 1/sqrt(D) (grouped heads repeated when
num_key_value_heads < num_attention_heads); MLP down(silu(gate(x)) * up(x)); lm_head (or the embedding when
tie_word_embeddings). An export with model_type "ddtrain" (a model outside Llama) is run through
tools/reference_model.py instead, whose tensors carry ddtrain's own names.

Usage:
  safetensors_reference.py logits DIR --tokens 1,2,3 --out FILE   writes float32 logits [T, V] (little-endian)
  safetensors_reference.py make DIR --layers L --dim C --heads H --kv-heads K --vocab V --hidden F
                                  [--seed S] [--tied] [--rope-theta X] [--eps E] [--dtype F32|F16|BF16]
      writes a random Llama model (HF names and layout, own safetensors writer) with a config.json
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": 4, "F16": 2, "BF16": 2}


def read_safetensors(path):
    """Returns {name: float64 array}, metadata; checks every entry and that the data section is tiled exactly."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise SystemExit(f"{path}: header length {n} exceeds the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors, spans = {}, []
    for name, e in header.items():
        dtype, shape, (b, end) = e["dtype"], e["shape"], e["data_offsets"]
        count = int(np.prod(shape)) if shape else 1
        if dtype not in DTYPES or end - b != count * DTYPES[dtype] or not 0 <= b <= end <= len(data):
            raise SystemExit(f"{path}: bad entry {name}: {e}")
        buf = data[b:end]
        if dtype == "F32":
            a = np.frombuffer(buf, dtype="<f4")
        elif dtype == "F16":
            a = np.frombuffer(buf, dtype="<f2")
        else:  # bfloat16: the high half of a float32
            a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view("<f4")
        tensors[name] = a.astype(np.float64).reshape(shape)
        spans.append((b, end))
    pos = 0
    for b, end in sorted(spans):
        if b != pos:
            raise SystemExit(f"{path}: hole or overlap at data byte {pos}")
        pos = end
    if pos != len(data):
        raise SystemExit(f"{path}: tensors cover {pos} of {len(data)} data bytes")
    return tensors, meta


def write_safetensors(path, tensors, metadata):
    """Own writer (same layout as the reference: header padded with spaces to a multiple of 8)."""
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        a, dtype = tensors[name]
        if dtype == "F32":
            b = a.astype("<f4").tobytes()
        elif dtype == "F16":
            b = a.astype("<f2").tobytes()
        else:  # round-to-nearest-even bfloat16
            u = a.astype("<f4").view("<u4").astype(np.uint64)
            b = (((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def llama_logits(cfg, t, tokens):
    C, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    K = cfg.get("num_key_value_heads", H)
    D = cfg.get("head_dim") or C // H
    eps, theta = cfg["rms_norm_eps"], cfg.get("rope_theta", 10000.0)
    T = len(tokens)
    pos = np.arange(T, dtype=np.float64)
    inv_freq = 1.0 / (theta ** (np.arange(0, D, 2, dtype=np.float64) / D))
    freqs = pos[:, None] * inv_freq[None, :]
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb)[:, None, :], np.sin(emb)[:, None, :]  # [T, 1, D]
    mask = np.tril(np.ones((T, T), dtype=bool))
    x = t["model.embed_tokens.weight"][tokens]
    for i in range(L):
        p = f"model.layers.{i}."
        h = rms_norm(x, t[p + "input_layernorm.weight"], eps)
        q = (h @ t[p + "self_attn.q_proj.weight"].T).reshape(T, H, D)
        k = (h @ t[p + "self_attn.k_proj.weight"].T).reshape(T, K, D)
        v = (h @ t[p + "self_attn.v_proj.weight"].T).reshape(T, K, D)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = np.repeat(k, H // K, axis=1), np.repeat(v, H // K, axis=1)
        out = np.zeros((T, H, D))
        for hd in range(H):
            s = (q[:, hd] @ k[:, hd].T) / math.sqrt(D)
            s = np.where(mask, s, -np.inf)
            s = np.exp(s - s.max(-1, keepdims=True))
            out[:, hd] = (s / s.sum(-1, keepdims=True)) @ v[:, hd]
        x = x + out.reshape(T, H * D) @ t[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, t[p + "post_attention_layernorm.weight"], eps)
        g, u = h @ t[p + "mlp.gate_proj.weight"].T, h @ t[p + "mlp.up_proj.weight"].T
        x = x + (g / (1.0 + np.exp(-g)) * u) @ t[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, t["model.norm.weight"], eps)
    head = t["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else t["lm_head.weight"]
    return x @ head.T


def ddtrain_logits(cfg, t, tokens):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import reference_model as rm
    mcfg = cfg["ddtrain"]["model"]
    flat = np.concatenate([t[name].reshape(-1) for name, _, _ in rm.layout(mcfg)])
    T = len(tokens)
    model = rm.Model(mcfg, flat)
    logits, *_ = model.run(np.array(tokens), np.full(T, -1), np.arange(T), [0, T], 0.0, backward=False)
    return logits


def cmd_logits(a):
    with open(os.path.join(a.dir, "config.json")) as f:
        cfg = json.load(f)
    tensors, _ = read_safetensors(os.path.join(a.dir, "model.safetensors"))
    tokens = [int(s) for s in a.tokens.split(",")]
    if cfg.get("model_type") == "llama":
        logits = llama_logits(cfg, tensors, tokens)
    elif cfg.get("model_type") == "ddtrain":
        logits = ddtrain_logits(cfg, tensors, tokens)
    else:
        raise SystemExit(f"unknown model_type {cfg.get('model_type')}")
    logits.astype("<f4").tofile(a.out)


def cmd_make(a):
    rng = np.random.default_rng(a.seed)
    C, H, K, F, V, L = a.dim, a.heads, a.kv_heads, a.hidden, a.vocab, a.layers
    D = C // H
    t = {"model.embed_tokens.weight": rng.normal(0, 0.5, (V, C)), "model.norm.weight": rng.uniform(0.5, 1.5, C)}
    for i in range(L):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = rng.uniform(0.5, 1.5, C)
        t[p + "post_attention_layernorm.weight"] = rng.uniform(0.5, 1.5, C)
        t[p + "self_attn.q_proj.weight"] = rng.normal(0, 0.3, (H * D, C))
        t[p + "self_attn.k_proj.weight"] = rng.normal(0, 0.3, (K * D, C))
        t[p + "self_attn.v_proj.weight"] = rng.normal(0, 0.3, (K * D, C))
        t[p + "self_attn.o_proj.weight"] = rng.normal(0, 0.2, (C, H * D))
        t[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.2, (F, C))
        t[p + "mlp.up_proj.weight"] = rng.normal(0, 0.2, (F, C))
        t[p + "mlp.down_proj.weight"] = rng.normal(0, 0.1, (C, F))
    if not a.tied:
        t["lm_head.weight"] = rng.normal(0, 0.3, (V, C))
    os.makedirs(a.dir, exist_ok=True)
    write_safetensors(os.path.join(a.dir, "model.safetensors"), {n: (v, a.dtype) for n, v in t.items()}, {"format": "pt"})
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": C, "intermediate_size": F,
           "num_hidden_layers": L, "num_attention_heads": H, "num_key_value_heads": K, "vocab_size": V,
           "rope_theta": a.rope_theta, "rms_norm_eps": a.eps, "max_position_embeddings": 256,
           "tie_word_embeddings": a.tied, "hidden_act": "silu", "torch_dtype": "float32"}
    with open(os.path.join(a.dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    lg = sub.add_parser("logits")
    lg.add_argument("dir")
    lg.add_argument("--tokens", required=True)
    lg.add_argument("--out", required=True)
    mk = sub.add_parser("make")
    mk.add_argument("dir")
    for k in ["layers", "dim", "heads", "kv-heads", "vocab", "hidden"]:
        mk.add_argument("--" + k, type=int, required=True)
    mk.add_argument("--seed", type=int, default=0)
    mk.add_argument("--tied", action="store_true")
    mk.add_argument("--rope-theta", type=float, default=10000.0)
    mk.add_argument("--eps", type=float, default=1e-5)
    mk.add_argument("--dtype", default="F32", choices=sorted(DTYPES))
    a = ap.parse_args()
    (cmd_logits if a.cmd == "logits" else cmd_make)(a)


if __name__ == "__main__":
    main()
