"""A 2-block GPT (d=64, 4 heads, vocabulary 65) sampling 96 tokens with torch.multinomial from a
one-token context, twice: the first pass meets every sequence length for the first time, the
second is the steady state. Plain PyTorch; bench/first_run.py runs it under torch and torchlike
and reads the two times it prints."""
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
V, D, H, L, T = 65, 64, 4, 2, 128


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.mlp = nn.Sequential(nn.Linear(D, 4 * D), nn.GELU(), nn.Linear(4 * D, D))

    def forward(self, x):
        B, N, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        q, k, v = (t.view(B, N, H, D // H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (D // H) ** -0.5
        att = att.masked_fill(torch.tril(torch.ones(N, N)) == 0, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, N, D)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(V, D), nn.Embedding(T, D)
        self.blocks = nn.Sequential(*[Block() for _ in range(L)])
        self.ln, self.head = nn.LayerNorm(D), nn.Linear(D, V)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        return self.head(self.ln(self.blocks(x)))


@torch.no_grad()
def generate(model, idx, n):
    for _ in range(n):
        probs = F.softmax(model(idx)[:, -1, :], dim=-1)
        idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
    return idx


model = GPT().eval()
for label in ("first", "steady"):
    torch.manual_seed(1)
    t = time.perf_counter()
    out = generate(model, torch.zeros(1, 1, dtype=torch.long), 96)
    print(f"{label} {time.perf_counter() - t:.4f} s", "".join(chr(48 + i % 64) for i in
                                                          out[0, -20:].tolist()))
