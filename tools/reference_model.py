#!/usr/bin/env python3
"""Independent numpy (float64) reference of the ddtrain transformer, with a hand-written backward.

Used only to make golden files for Tests/TransformerTests (never in the training path). Every op is written
here from its mathematical definition, without looking at the Swift code:

  decoder-only, pre-norm; per layer:
    h = x + Wo · attn(rope(qknorm(Wq·n1(x))), rope(qknorm(Wk·n1(x))), Wv·n1(x))
    x' = h + mlp(n2(h))        mlp = Wdown·(silu(Wgate·u) * (Wup·u))   or   Wproj·gelu_tanh(Wfc·u)
  logits = lm_head · nf(x_L)   (lm_head = embedding when tied)
  loss = sum over targeted tokens of (lse - logit[target] + z·lse²)

Parameter layout (names, order and shapes shared with Swift's ParameterLayout; matrices are [out, in]):
  embedding [V,C]
  layers.{i}.attn_norm [C], layers.{i}.q_norm [D], layers.{i}.k_norm [D] (qk_norm only),
  layers.{i}.wq [C,C], layers.{i}.wk [C,C], layers.{i}.wv [C,C], layers.{i}.wo [C,C], layers.{i}.mlp_norm [C],
  swiglu: layers.{i}.w_gate [F,C], layers.{i}.w_up [F,C], layers.{i}.w_down [C,F]
  gelu:   layers.{i}.w_fc [F,C], layers.{i}.w_proj [C,F]
  final_norm [C], lm_head [V,C] (absent when tied)
Norms, embedding (and nothing else) are excluded from weight decay.

Usage: reference_model.py golden OUT_PREFIX --variant a|b     (writes OUT_PREFIX.json + OUT_PREFIX.bin)
       reference_model.py check                                (finite-difference check of this backward)
"""
import json
import math
import sys

import numpy as np


def mlp_hidden(cfg):
    if cfg["mlp"] == "gelu":
        return 4 * cfg["dim"]
    f = (8 * cfg["dim"] + 2) // 3  # ceil(8/3 * dim)
    return ((f + 255) // 256) * 256


def layout(cfg):
    """List of (name, shape, decays) in flat-buffer order."""
    C, V, L = cfg["dim"], cfg["vocab"], cfg["layers"]
    D = C // cfg["heads"]
    F = mlp_hidden(cfg)
    out = [("embedding", [V, C], False)]
    for i in range(L):
        p = f"layers.{i}."
        out.append((p + "attn_norm", [C], False))
        if cfg["qk_norm"]:
            out += [(p + "q_norm", [D], False), (p + "k_norm", [D], False)]
        out += [(p + "wq", [C, C], True), (p + "wk", [C, C], True), (p + "wv", [C, C], True), (p + "wo", [C, C], True)]
        out.append((p + "mlp_norm", [C], False))
        if cfg["mlp"] == "swiglu":
            out += [(p + "w_gate", [F, C], True), (p + "w_up", [F, C], True), (p + "w_down", [C, F], True)]
        else:
            out += [(p + "w_fc", [F, C], True), (p + "w_proj", [C, F], True)]
    out.append(("final_norm", [C], False))
    if not cfg["tied_embeddings"]:
        out.append(("lm_head", [V, C], True))
    return out


# ---------------------------------------------------------------- ops (forward returns a cache for backward)

def norm_fwd(x, g, kind, eps):
    if kind == "rmsnorm":
        mu = np.zeros(x.shape[:-1] + (1,))
    else:
        mu = x.mean(-1, keepdims=True)
    xc = x - mu
    rstd = 1.0 / np.sqrt((xc * xc).mean(-1, keepdims=True) + eps)
    xhat = xc * rstd
    return xhat * g, (xhat, rstd, g, kind)


def norm_bwd(dy, cache):
    xhat, rstd, g, kind = cache
    dg = (dy * xhat).reshape(-1, xhat.shape[-1]).sum(0)
    dxhat = dy * g
    n = xhat.shape[-1]
    # d/dx of xhat = (x - mu) * rstd: project out the xhat direction (and the mean for LayerNorm).
    dx = dxhat - xhat * (dxhat * xhat).sum(-1, keepdims=True) / n
    if kind == "layernorm":
        dx = dx - dxhat.mean(-1, keepdims=True)
    return dx * rstd, dg


def rope_angles(pos, D, base):
    i = np.arange(D // 2)
    inv = base ** (-2.0 * i / D)
    ang = pos[:, None].astype(np.float64) * inv[None, :]
    return np.cos(ang), np.sin(ang)  # [T, D/2]


def rope_fwd(x, cos, sin):  # x [T,H,D]
    a, b = x[..., 0::2], x[..., 1::2]
    c, s = cos[:, None, :], sin[:, None, :]
    y = np.empty_like(x)
    y[..., 0::2] = a * c - b * s
    y[..., 1::2] = a * s + b * c
    return y


def rope_bwd(dy, cos, sin):  # transpose of a rotation = rotation by -angle
    return rope_fwd(dy, cos, -sin)


def attention_fwd(q, k, v, starts):  # [T,H,D]
    T, H, D = q.shape
    scale = 1.0 / math.sqrt(D)
    out = np.zeros_like(q)
    probs = []
    for s, e in zip(starts[:-1], starts[1:]):
        l = e - s
        mask = np.tril(np.ones((l, l), dtype=bool))
        ps = []
        for h in range(H):
            sc = (q[s:e, h] @ k[s:e, h].T) * scale
            sc = np.where(mask, sc, -np.inf)
            sc = sc - sc.max(-1, keepdims=True)
            p = np.exp(sc)
            p /= p.sum(-1, keepdims=True)
            out[s:e, h] = p @ v[s:e, h]
            ps.append(p)
        probs.append(ps)
    return out, (q, k, v, starts, probs, scale)


def attention_bwd(dout, cache):
    q, k, v, starts, probs, scale = cache
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    H = q.shape[1]
    for n, (s, e) in enumerate(zip(starts[:-1], starts[1:])):
        for h in range(H):
            p = probs[n][h]
            do = dout[s:e, h]
            dv[s:e, h] = p.T @ do
            dp = do @ v[s:e, h].T
            ds = p * (dp - (dp * p).sum(-1, keepdims=True)) * scale
            dq[s:e, h] = ds @ k[s:e, h]
            dk[s:e, h] = ds.T @ q[s:e, h]
    return dq, dk, dv


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


GELU_K = math.sqrt(2.0 / math.pi)


def gelu_fwd(x):
    u = GELU_K * (x + 0.044715 * x ** 3)
    return 0.5 * x * (1.0 + np.tanh(u))


def gelu_grad(x):
    u = GELU_K * (x + 0.044715 * x ** 3)
    t = np.tanh(u)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_K * (1.0 + 3 * 0.044715 * x * x)


def cross_entropy(logits, targets, z):
    """Returns (sum, count, per-token loss, dlogits of the sum)."""
    m = logits.max(-1, keepdims=True)
    e = np.exp(logits - m)
    se = e.sum(-1, keepdims=True)
    lse = (m + np.log(se))[:, 0]
    p = e / se
    has = targets >= 0
    tgt = np.where(has, targets, 0)
    per = np.where(has, lse - logits[np.arange(len(targets)), tgt] + z * lse * lse, 0.0)
    d = p * (1.0 + 2.0 * z * lse)[:, None]
    d[np.arange(len(targets)), tgt] -= 1.0
    d *= has[:, None]
    return per.sum(), int(has.sum()), per, d


# ---------------------------------------------------------------- model

class Model:
    def __init__(self, cfg, flat):
        self.cfg = cfg
        self.lay = layout(cfg)
        self.p = {}
        o = 0
        for name, shape, _ in self.lay:
            n = int(np.prod(shape))
            self.p[name] = flat[o:o + n].reshape(shape)
            o += n
        self.count = o

    def run(self, tokens, targets, positions, starts, z, backward=True):
        cfg, p = self.cfg, self.p
        C, H, L = cfg["dim"], cfg["heads"], cfg["layers"]
        D = C // H
        eps, kind = cfg["norm_eps"], cfg["norm"]
        T = len(tokens)
        cos, sin = rope_angles(positions, D, cfg["rope_base"])
        x = p["embedding"][tokens].copy()
        caches = []
        for i in range(L):
            P = lambda n: p[f"layers.{i}.{n}"]
            c = {}
            u, c["n1"] = norm_fwd(x, P("attn_norm"), kind, eps)
            c["u1"] = u
            q = (u @ P("wq").T).reshape(T, H, D)
            k = (u @ P("wk").T).reshape(T, H, D)
            v = (u @ P("wv").T).reshape(T, H, D)
            if cfg["qk_norm"]:
                q, c["qn"] = norm_fwd(q, P("q_norm"), "rmsnorm", eps)
                k, c["kn"] = norm_fwd(k, P("k_norm"), "rmsnorm", eps)
            q, k = rope_fwd(q, cos, sin), rope_fwd(k, cos, sin)
            a, c["att"] = attention_fwd(q, k, v, starts)
            a = a.reshape(T, C)
            c["a"] = a
            h = x + a @ P("wo").T
            u2, c["n2"] = norm_fwd(h, P("mlp_norm"), kind, eps)
            c["u2"] = u2
            if cfg["mlp"] == "swiglu":
                g, up = u2 @ P("w_gate").T, u2 @ P("w_up").T
                act = g * sigmoid(g) * up
                c["g"], c["up"], c["act"] = g, up, act
                x = h + act @ P("w_down").T
            else:
                f = u2 @ P("w_fc").T
                act = gelu_fwd(f)
                c["f"], c["act"] = f, act
                x = h + act @ P("w_proj").T
            caches.append(c)
        xf, cf = norm_fwd(x, p["final_norm"], kind, eps)
        head = p["embedding"] if cfg["tied_embeddings"] else p["lm_head"]
        logits = xf @ head.T
        loss, count, per, dlogits = cross_entropy(logits, targets, z)
        if not backward:
            return logits, loss, count, per, None
        g = {n: np.zeros_like(v) for n, v in p.items()}
        ghead = g["embedding"] if cfg["tied_embeddings"] else g["lm_head"]
        ghead += dlogits.T @ xf
        dx, g["final_norm"] = norm_bwd(dlogits @ head, cf)
        for i in reversed(range(L)):
            P = lambda n: p[f"layers.{i}.{n}"]
            G = lambda n: g[f"layers.{i}.{n}"]
            c = caches[i]
            dh = dx
            if cfg["mlp"] == "swiglu":
                G("w_down")[...] += dx.T @ c["act"]
                dact = dx @ P("w_down")
                gg, up = c["g"], c["up"]
                s = sigmoid(gg)
                dup = dact * gg * s
                dgate = dact * up * (s + gg * s * (1 - s))
                G("w_gate")[...] += dgate.T @ c["u2"]
                G("w_up")[...] += dup.T @ c["u2"]
                du2 = dgate @ P("w_gate") + dup @ P("w_up")
            else:
                G("w_proj")[...] += dx.T @ c["act"]
                df = (dx @ P("w_proj")) * gelu_grad(c["f"])
                G("w_fc")[...] += df.T @ c["u2"]
                du2 = df @ P("w_fc")
            dn, dg2 = norm_bwd(du2, c["n2"])
            G("mlp_norm")[...] += dg2
            dh = dh + dn
            G("wo")[...] += dh.T @ c["a"]
            da = (dh @ P("wo")).reshape(T, H, D)
            dq, dk, dv = attention_bwd(da, c["att"])
            dq, dk = rope_bwd(dq, cos, sin), rope_bwd(dk, cos, sin)
            if cfg["qk_norm"]:
                dq, dgq = norm_bwd(dq, c["qn"])
                dk, dgk = norm_bwd(dk, c["kn"])
                G("q_norm")[...] += dgq
                G("k_norm")[...] += dgk
            dq, dk, dv = dq.reshape(T, C), dk.reshape(T, C), dv.reshape(T, C)
            u = c["u1"]
            G("wq")[...] += dq.T @ u
            G("wk")[...] += dk.T @ u
            G("wv")[...] += dv.T @ u
            du = dq @ P("wq") + dk @ P("wk") + dv @ P("wv")
            dn, dg1 = norm_bwd(du, c["n1"])
            G("attn_norm")[...] += dg1
            dx = dh + dn
        np.add.at(g["embedding"], tokens, dx)
        flatg = np.concatenate([g[n].reshape(-1) for n, _, _ in self.lay])
        return logits, loss, count, per, flatg


def adamw(params, grads, m, v, step, lr, wd, decay_mask, b1=0.9, b2=0.95, eps=1e-8):
    m[:] = b1 * m + (1 - b1) * grads
    v[:] = b2 * v + (1 - b2) * grads * grads
    mhat = m / (1 - b1 ** step)
    vhat = v / (1 - b2 ** step)
    params *= 1 - lr * wd * decay_mask
    params -= lr * mhat / (np.sqrt(vhat) + eps)


# ---------------------------------------------------------------- golden files and self-check

VARIANTS = {
    "a": dict(layers=2, dim=32, heads=4, vocab=37, norm="rmsnorm", qk_norm=True, rope_base=10000.0,
              mlp="swiglu", tied_embeddings=False, norm_eps=1e-5, z_loss=1e-2),
    "b": dict(layers=2, dim=32, heads=4, vocab=37, norm="layernorm", qk_norm=False, rope_base=500.0,
              mlp="gelu", tied_embeddings=True, norm_eps=1e-5, z_loss=0.0),
}


def make_params(cfg, rng, std):
    parts = []
    for name, shape, _ in layout(cfg):
        n = int(np.prod(shape))
        if len(shape) == 1:  # norm gains: near 1 but not exactly, so a wrong gain use shows up
            parts.append(1.0 + 0.1 * rng.standard_normal(n))
        else:
            parts.append(std * rng.standard_normal(n))
    return np.concatenate(parts).astype(np.float32)


def make_batch(cfg, rng, lengths):
    toks, tgts, pos, starts = [], [], [], [0]
    for l in lengths:
        seq = rng.integers(0, cfg["vocab"], size=l + 1)
        t = seq[1:].copy()
        t[rng.random(l) < 0.15] = -1  # some tokens carry no target
        toks += list(seq[:-1]); tgts += list(t); pos += list(range(l)); starts.append(starts[-1] + l)
    return (np.array(toks, np.int64), np.array(tgts, np.int64), np.array(pos, np.int64), starts)


def golden(prefix, variant):
    cfg = dict(VARIANTS[variant])
    rng = np.random.default_rng(20240 + ord(variant))
    flat32 = make_params(cfg, rng, 0.15)
    tokens, targets, positions, starts = make_batch(cfg, rng, [5, 17, 40])
    z = cfg["z_loss"]
    model = Model(cfg, flat32.astype(np.float64))
    logits, loss, count, per, grads = model.run(tokens, targets, positions, starts, z)
    # Ten AdamW steps on the mean-loss gradient (the trainer divides the summed gradient by the token count).
    lr, wd, steps = 1e-2, 0.1, 10
    decay = np.concatenate([np.full(int(np.prod(s)), 1.0 if d else 0.0) for _, s, d in model.lay])
    p = flat32.astype(np.float64).copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    losses = []
    for t in range(1, steps + 1):
        mod = Model(cfg, p)
        _, ls, cnt, _, g = mod.run(tokens, targets, positions, starts, z)
        losses.append(ls / cnt)
        adamw(p, g / cnt, m, v, t, lr, wd, decay)
    tensors, o = [], 0
    for name, shape, d in model.lay:
        n = int(np.prod(shape))
        tensors.append(dict(name=name, offset=o, count=n, shape=shape, decays=d))
        o += n
    n_p, n_l = len(flat32), logits.size
    header = dict(
        about="made by tools/reference_model.py (numpy float64, hand-written backward); do not edit",
        model={k: cfg[k] for k in ["layers", "dim", "heads", "vocab", "norm", "qk_norm", "rope_base", "mlp",
                                   "tied_embeddings", "norm_eps"]},
        z_loss=z, tokens=tokens.tolist(), targets=targets.tolist(), positions=positions.tolist(),
        segment_starts=starts, loss_sum=loss, count=count, token_losses=per.tolist(), tensors=tensors,
        adamw=dict(lr=lr, weight_decay=wd, beta1=0.9, beta2=0.95, eps=1e-8, steps=steps, mean_losses=losses),
        bin=dict(params=[0, n_p], grads=[n_p, n_p], logits=[2 * n_p, n_l]),
    )
    blob = np.concatenate([flat32, grads.astype(np.float32), logits.reshape(-1).astype(np.float32)])
    blob.astype("<f4").tofile(prefix + ".bin")
    with open(prefix + ".json", "w") as f:
        json.dump(header, f, indent=1)
        f.write("\n")
    print(f"{prefix}: {n_p} params, loss {loss:.6f} over {count} tokens, 10-step mean losses "
          f"{losses[0]:.4f} -> {losses[-1]:.4f}")


def check():
    """Central finite differences of this reference's loss against its own hand-written backward."""
    worst = 0.0
    for variant in "ab":
        for tweak in [{}, {"qk_norm": not VARIANTS[variant]["qk_norm"]}]:
            cfg = dict(VARIANTS[variant], **tweak)
            cfg.update(layers=2, dim=16, heads=2, vocab=11)
            rng = np.random.default_rng(7)
            flat = make_params(cfg, rng, 0.3).astype(np.float64)
            tokens, targets, positions, starts = make_batch(cfg, rng, [3, 9, 6])
            z = cfg["z_loss"]
            _, _, _, _, g = Model(cfg, flat).run(tokens, targets, positions, starts, z)
            idx = rng.choice(len(flat), size=300, replace=False)
            h = 1e-6
            for j in idx:
                fp, fm = flat.copy(), flat.copy()
                fp[j] += h; fm[j] -= h
                lp = Model(cfg, fp).run(tokens, targets, positions, starts, z, backward=False)[1]
                lm = Model(cfg, fm).run(tokens, targets, positions, starts, z, backward=False)[1]
                fd = (lp - lm) / (2 * h)
                err = abs(fd - g[j]) / (1e-6 + abs(fd) + abs(g[j]))
                worst = max(worst, err if abs(fd) > 1e-7 else 0.0)
    print(f"reference backward vs finite differences: worst relative error {worst:.2e}")
    return worst < 1e-5


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "check":
        sys.exit(0 if check() else 1)
    if len(sys.argv) == 5 and sys.argv[1] == "golden" and sys.argv[3] == "--variant":
        golden(sys.argv[2], sys.argv[4])
        sys.exit(0)
    print(__doc__)
    sys.exit(2)
