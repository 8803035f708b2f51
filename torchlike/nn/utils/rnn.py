"""torch.nn.utils.rnn: PackedSequence and the functions that pack, pad and unpad batches of
variable-length sequences, composed as torch composes them (torch/nn/utils/rnn.py and ATen's
PackedSequence.cpp), so results, errors and grad_fn names are torch's: the packed data's
PackPaddedSequenceBackward0, the padded tensors' CopySlices."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar

from ... import _dtype as D
from ..._creation import arange, as_tensor, empty_like, full
from ..._errors import missing as _missing
from ..._tensor import _SHORT
from ..._tensor import Tensor as Tensor
from ...ops._registry import run
from ...ops.rnn import pack_padded as _pack_op
from ...ops.shape import broadcast_shape
from ...ops.sorting import sort as _sort

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]

_T = TypeVar("_T")
_R = TypeVar("_R")


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def bind(optional: _T | None, fn: Callable[[_T], _R]) -> _R | None:
    """fn(optional), or None for None."""
    return None if optional is None else fn(optional)


def _converter(name: str, dtype) -> Callable:
    """PackedSequence.double() and its kin: self.to(dtype=...)."""
    def convert(self) -> PackedSequence:
        return self.to(dtype=dtype)
    convert.__name__, convert.__qualname__ = name, f"PackedSequence.{name}"
    return convert


class PackedSequence(PackedSequence_):
    """The data and batch_sizes of a packed batch of sequences (made by pack_padded_sequence
    or pack_sequence); sorted_indices / unsorted_indices map between the caller's order and
    the order by decreasing length. batch_sizes always stays a CPU int64 tensor."""

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        return super().__new__(cls, *_packed_sequence_init_args(
            data, batch_sizes, sorted_indices, unsorted_indices))

    def pin_memory(self) -> PackedSequence:
        return type(self)(self.data.pin_memory(), self.batch_sizes,
                          bind(self.sorted_indices, lambda t: t.pin_memory()),
                          bind(self.unsorted_indices, lambda t: t.pin_memory()))

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """self.data converted as by Tensor.to (self where nothing changes); the indices
        follow the data's device, batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def call_to(t: Tensor) -> Tensor:
            return t.to(data.device)

        return type(self)(data, self.batch_sizes, bind(self.sorted_indices, call_to),
                          bind(self.unsorted_indices, call_to))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        ex = as_tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.is_cuda:
            return self.to(*args, **kwargs)
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        ex = as_tensor((), dtype=self.data.dtype, device=self.data.device).to(*args, **kwargs)
        if ex.device.type == "cpu":
            return self.to(*args, **kwargs)
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    double = _converter("double", D.float64)
    float = _converter("float", D.float32)
    half = _converter("half", D.float16)
    long = _converter("long", D.int64)
    int = _converter("int", D.int32)
    short = _converter("short", D.int16)
    char = _converter("char", D.int8)
    byte = _converter("byte", D.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        """Always False: torchlike allocates no pinned (page-locked) memory."""
        return False


def _packed_sequence_init_args(data, batch_sizes=None, sorted_indices=None,
                               unsorted_indices=None) -> tuple:
    if unsorted_indices is None:
        unsorted_indices = invert_permutation(sorted_indices)
    if batch_sizes is not None:  # PackedSequence(data, batch_sizes, sorted_indices)
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return data, batch_sizes, sorted_indices, unsorted_indices
    # PackedSequence((data, batch_sizes), *, sorted_indices)
    if not (isinstance(data, (list, tuple)) and len(data) == 2):
        raise AssertionError("Expected data to be a list or tuple of length 2")
    return data[0], data[1], sorted_indices, unsorted_indices


def _packed_sequence_init(data, batch_sizes=None, sorted_indices=None,
                          unsorted_indices=None) -> PackedSequence:
    return PackedSequence(*_packed_sequence_init_args(data, batch_sizes, sorted_indices,
                                                      unsorted_indices))


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of `permutation` (a 1-D index tensor); None for None."""
    if permutation is None:
        return None
    output = empty_like(permutation)
    output.scatter_(0, permutation, arange(0, permutation.numel(), device=permutation.device))
    return output


def _check_long_cpu(tensor: Tensor) -> None:
    if tensor.dim() != 1 or tensor.device.type != "cpu" or tensor.dtype is not D.int64:
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{tensor.dim()}D {tensor.device} {_SHORT[tensor.dtype.name]} tensor")


def _pack_padded(input: Tensor, lengths: Tensor, batch_first: bool) -> tuple:
    """torch._pack_padded_sequence: (data, batch_sizes) of a padded batch sorted by length."""
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if batch_first:
        input.transpose(0, 1)  # torch's dimension error for 1-D input comes first
    _check_long_cpu(lengths)
    batch = input.size(0 if batch_first else 1)
    lens = lengths.tolist()
    if len(lens) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={batch})")
    if lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if any(a < b for a, b in zip(lens, lens[1:])):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability.")
    steps = input.size(1 if batch_first else 0)
    # ATen cuts each length at the padded length (no error for a longer one)
    sizes = tuple(sum(n > t for n in lens) for t in range(min(lens[0], steps)))
    data = run(_pack_op, (input,), (("batch_sizes", sizes), ("batch_first", batch_first)))
    return data, as_tensor(sizes, dtype=D.int64)


def pack_padded_sequence(input: Tensor, lengths: Tensor | list[int], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Packs a padded batch (T x B x *, or B x T x * with batch_first) of sequences of the
    given lengths; enforce_sorted=False sorts them by decreasing length first."""
    if not isinstance(lengths, Tensor):
        lengths = as_tensor(lengths, dtype=D.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=D.int64)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = _sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack_padded(input, lengths, batch_first)
    return _packed_sequence_init(data, batch_sizes, sorted_indices, None)


def _pad_packed(data: Tensor, batch_sizes: Tensor, batch_first: bool, padding_value,
                steps: int) -> tuple:
    """torch._pad_packed_sequence: the padded batch of `steps` steps (blocks of equal batch
    size copied into a tensor filled with padding_value: CopySlices) and the sorted lengths."""
    _check_long_cpu(batch_sizes)
    sizes = batch_sizes.tolist()
    batch = sizes[0]
    output = full((steps, batch, *data.shape[1:]), padding_value, dtype=data.dtype,
                  device=data.device)
    lengths = [0] * batch
    offset, prev_i, prev = 0, 0, batch
    for i in range(len(sizes) + 1):
        size = sizes[i] if i < len(sizes) else 0
        if size != prev:
            n = prev * (i - prev_i)
            block = data.narrow(0, offset, n).view(i - prev_i, prev, *data.shape[1:])
            if (i - prev_i, prev) == tuple(output.shape[:2]):  # indexing would not slice
                output.narrow(0, 0, i).narrow(1, 0, prev).copy_(block)
            else:  # torch's slice().slice().copy_(): indexing records its one CopySlices
                output[prev_i:i, :prev] = block
            offset += n
            prev_i = i
        for j in range(size, prev):
            lengths[j] = i
        prev = size
    if batch_first:
        output = output.transpose(0, 1)
    return output, as_tensor(lengths, dtype=D.int64)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The padded batch of a PackedSequence and each sequence's length, in the order the
    sequences were packed in."""
    max_seq_length = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_seq_length}")
        max_seq_length = total_length
    padded_output, lengths = _pad_packed(sequence.data, sequence.batch_sizes, batch_first,
                                         padding_value, max_seq_length)
    unsorted_indices = sequence.unsorted_indices
    if unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        return (padded_output.index_select(batch_dim, unsorted_indices),
                lengths[unsorted_indices.cpu()])
    return padded_output, lengths


def pad_sequence(sequences: Tensor | list[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stacks sequences (L x *) along a new batch dimension, padded with padding_value to the
    longest: T x B x *, or B x T x * with batch_first."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    for i, seq in enumerate(sequences):
        if not isinstance(seq, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(seq).__name__}")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    if first.dim() == 0:
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    if any(seq.dim() == 0 for seq in sequences):
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    max_len = max(seq.size(0) for seq in sequences)
    dims = (len(sequences), max_len) if batch_first else (max_len, len(sequences))
    out = full((*dims, *first.shape[1:]), padding_value, dtype=first.dtype,
               device=first.device)
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    for i, seq in enumerate(sequences):
        length = seq.size(0)
        start = max_len - length if padding_side == "left" else 0
        slot = (length, *first.shape[1:])
        if broadcast_shape(slot, seq.shape) != slot:  # torch's copy_ errors
            raise RuntimeError(f"output with shape {list(slot)} doesn't match the broadcast "
                               f"shape {list(broadcast_shape(slot, seq.shape))}")
        if batch_first:  # torch's select().narrow().copy_(), as one node
            out[i, start:start + length] = seq
        else:
            out[start:start + length, i] = seq
    return out


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    """The sequences of a padded batch, each cut to its length. Transposes padded_sequences
    in place when batch_first is False, as torch does."""
    unpadded_sequences = []
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    max_length = padded_sequences.shape[1]
    idx = arange(max_length, device=lengths.device)
    for seq, length in zip(padded_sequences, lengths, strict=True):
        unpadded_sequences.append(seq[idx < length])
    return unpadded_sequences


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """pack_padded_sequence of pad_sequence(sequences)."""
    lengths = as_tensor([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The sequences of a PackedSequence, in the order they were packed in."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)


__getattr__ = _missing("torch.nn.utils.rnn")  # names torchlike lacks: NotImplementedError
