#!/usr/bin/env python3
"""Logits of a ddtrain export computed by Hugging Face transformers' LlamaForCausalLM (torch, float32).

Used by Tests/InteropTests/ExportHFTests.swift, with the Python that launch/test installs torch and transformers
into (DDTRAIN_PYTHON); exits with status 3 and a message on stderr when they do not import, so the test can skip.
Never used in the training path.

Usage: hf_compare.py DIR --tokens 1,2,3 --out FILE     (writes float32 logits [T, V], little-endian)
       hf_compare.py DIR --text FILE --out FILE        (the ids are FILE's UTF-8 text encoded by
           GPT2TokenizerFast.from_pretrained(DIR), i.e. the export's vocab.json and merges.txt; prints
           {"ids": [...], "tokenizer_size": N, "decoded": "..."} on stdout, then writes the logits of those ids)
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--tokens")
    source.add_argument("--text")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    try:
        import torch
        from transformers import GPT2TokenizerFast, LlamaForCausalLM
    except Exception as e:  # noqa: BLE001 - any import failure means "not available here"
        print(f"transformers/torch not available: {e}", file=sys.stderr)
        sys.exit(3)
    model = LlamaForCausalLM.from_pretrained(a.dir, dtype=torch.float32)
    model.eval()
    if a.text is not None:
        tokenizer = GPT2TokenizerFast.from_pretrained(a.dir)
        with open(a.text, encoding="utf-8") as f:
            text = f.read()
        ids = tokenizer(text)["input_ids"]
        print(json.dumps({"ids": ids, "tokenizer_size": len(tokenizer), "decoded": tokenizer.decode(ids)}))
    else:
        ids = [int(s) for s in a.tokens.split(",")]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids], dtype=torch.long)).logits[0].numpy()
    logits.astype("<f4").tofile(a.out)


if __name__ == "__main__":
    main()
