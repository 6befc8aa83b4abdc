#!/usr/bin/env python3
"""Logits of a ddtrain export computed by Hugging Face transformers' LlamaForCausalLM (torch, float32).

Used by Tests/TrainerTests/ExportHFTests.swift when transformers and torch import; exits with status 3 and a
message on stderr when they do not, so the test can skip. Never used in the training path.

Usage: hf_compare.py DIR --tokens 1,2,3 --out FILE     (writes float32 logits [T, V], little-endian)
"""
import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    try:
        import torch
        from transformers import LlamaForCausalLM
    except Exception as e:  # noqa: BLE001 - any import failure means "not available here"
        print(f"transformers/torch not available: {e}", file=sys.stderr)
        sys.exit(3)
    model = LlamaForCausalLM.from_pretrained(a.dir, torch_dtype=torch.float32)
    model.eval()
    ids = torch.tensor([[int(s) for s in a.tokens.split(",")]], dtype=torch.long)
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].numpy()
    logits.astype("<f4").tofile(a.out)


if __name__ == "__main__":
    main()
