"""Recurrent language models: a 2-layer LSTM over word embeddings with a softmax-vocabulary
projection (Zaremba et al. 2014 'medium': 650 units, 10k words) and a GRU variant."""

from __future__ import annotations

from torch import Tensor, nn


class RNNLM(nn.Module):
    def __init__(self, cell: str = "lstm", vocab: int = 10000, dim: int = 650, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(dim, dim, num_layers=layers, batch_first=True)
        self.head = nn.Linear(dim, vocab)

    def forward(self, input_ids: Tensor) -> Tensor:
        return self.head(self.rnn(self.embed(input_ids))[0])


CONFIGS = {"lstm-lm": ("lstm", 10000, 650, 2), "lstm-lm-large": ("lstm", 10000, 1500, 2), "gru-lm": ("gru", 10000, 650, 2)}


def build(name: str) -> RNNLM:
    return RNNLM(*CONFIGS[name])
