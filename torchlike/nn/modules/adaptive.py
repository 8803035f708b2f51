"""AdaptiveLogSoftmaxWithLoss: a head softmax over the frequent classes plus one entry per
tail cluster, each cluster a low-rank projection with a softmax of its own."""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from ... import _creation as C
from ...ops import reduction as _R
from ..functional import log_softmax
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if not cutoffs:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             "n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            self.tail.append(Sequential(
                Linear(in_features, hidden, bias=False, **kw),
                Linear(hidden, self.cutoffs[i + 1] - self.cutoffs[i], bias=False, **kw)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection in self.tail:
            for layer in projection:
                layer.reset_parameters()

    def forward(self, input_, target_) -> _ASMoutput:
        if target_.ndim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            if input_.ndim != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {input_.size()}")
        elif target_.ndim == 0:
            if input_.ndim != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target_.ndim > 0
        x = input_ if batched else input_.unsqueeze(0)
        t = target_ if batched else target_.unsqueeze(0)
        labels = np.asarray(t.tolist(), dtype=np.int64).reshape(-1)
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{labels.min()}, {labels.max()}] were found. ")
        # each row's cluster: 0 for the shortlist, i for the tail cluster i
        cluster = np.searchsorted(np.asarray(self.cutoffs), labels, side="right")
        head_target = np.where(cluster == 0, labels, self.shortlist_size + cluster - 1)
        output = x.new_zeros(labels.size)
        for i in range(1, self.n_clusters + 1):
            rows = np.flatnonzero(cluster == i)
            if rows.size == 0:
                continue
            index = C.tensor(rows)
            logp = log_softmax(self.tail[i - 1](x.index_select(0, index)), dim=1)
            local = C.tensor(labels[rows] - self.cutoffs[i - 1]).unsqueeze(1)
            output.index_copy_(0, index, logp.gather(1, local).squeeze(1))
        head_logp = log_softmax(self.head(x), dim=1)
        output += head_logp.gather(1, C.tensor(head_target).unsqueeze(1)).squeeze(1)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, input, head_output):
        """log-probabilities of all n_classes: the head's for the shortlist, each cluster's
        own plus the head's entry for that cluster."""
        out = input.new_empty((head_output.shape[0], self.n_classes))
        head_logp = log_softmax(head_output, dim=1)
        s = self.shortlist_size
        out[:, :s] = head_logp[:, :s]
        for i, projection in enumerate(self.tail):
            start, stop = self.cutoffs[i], self.cutoffs[i + 1]
            out[:, start:stop] = (log_softmax(projection(input), dim=1)
                                  + head_logp[:, s + i].unsqueeze(1))
        return out

    def log_prob(self, input):
        return self._full_log_prob(input, self.head(input))

    def predict(self, input):
        head_output = self.head(input)
        best = _R.argmax(head_output, dim=1)
        in_tail = best >= self.shortlist_size
        if not bool(in_tail.any()):
            return best
        if bool(in_tail.all()):
            return _R.argmax(self._full_log_prob(input, head_output), dim=1)
        best[in_tail] = _R.argmax(self._full_log_prob(input[in_tail], head_output[in_tail]),
                                  dim=1)
        return best
