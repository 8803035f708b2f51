"""Damaged checkpoints, case by case: torchlike.load raises what torch.load raises, with
torch's message, and never reads outside a record (the fuzzed counterpart is
test_serialization_fuzz.py).

Each file is built here: torch.save's output cut or edited, or a pickle written op by op as
torch writes it (`_rebuild_tensor_v2(storage, offset, size, stride, ...)`) with fields no
torch.save writes. torch loads each in this process and its exception is the expectation.
"""
from __future__ import annotations

import io
import pickle
import struct
import warnings
import zipfile

import numpy as np
import pytest
import torch

import torchlike
import torchlike._checkpoint_tensors as tensors

LIBS = {"torch": torch, "torchlike": torchlike}


def _int(v: int) -> bytes:
    if isinstance(v, bool):
        return pickle.NEWTRUE if v else pickle.NEWFALSE
    if 0 <= v < 256:
        return pickle.BININT1 + bytes([v])
    if -2**31 <= v < 2**31:
        return pickle.BININT + struct.pack("<i", v)
    b = pickle.encode_long(v)
    return pickle.LONG1 + bytes([len(b)]) + b


def _str(s: str) -> bytes:
    return pickle.BINUNICODE + struct.pack("<I", len(s.encode())) + s.encode()


def _ints(values) -> bytes:
    return pickle.MARK + b"".join(_int(v) for v in values) + pickle.TUPLE


def _tensor_pickle(offset=0, size=(6,), stride=(1,), numel=6, kind="FloatStorage", key="0",
                   location="cpu") -> bytes:
    """torch's pickle of one tensor, op by op, with any field values."""
    pid = (pickle.MARK + _str("storage") + b"ctorch\n" + kind.encode() + b"\n" + _str(key)
           + _str(location) + _int(numel) + pickle.TUPLE + pickle.BINPERSID)
    args = (pickle.MARK + pid + _int(offset) + _ints(size) + _ints(stride) + pickle.NEWFALSE
            + b"ccollections\nOrderedDict\n" + pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.TUPLE)
    return (pickle.PROTO + b"\x02" + b"ctorch._utils\n_rebuild_tensor_v2\n" + args
            + pickle.REDUCE + pickle.STOP)


def _archive(pkl: bytes, records: dict[str, bytes], drop: tuple = ()) -> bytes:
    """A checkpoint archive of these records (and torch's bookkeeping ones)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, value in [("data.pkl", pkl), ("byteorder", b"little"), *(
                (f"data/{k}", v) for k, v in records.items()), ("version", b"3\n")]:
            if name not in drop:
                z.writestr(f"archive/{name}", value)
    return buf.getvalue()


SIX = {"0": np.arange(6, dtype=np.float32).tobytes()}


def _tensor_file(records=SIX, **fields) -> bytes:
    return _archive(_tensor_pickle(**fields), records)


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _raised(lib, data: bytes, **kw) -> BaseException:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            lib.load(io.BytesIO(data), **kw)
    return info.value


def _same_error(data: bytes, **kw) -> BaseException:
    """torchlike raises torch's exception type with torch's message (torch's C++ stack trace,
    and the build path some of its checks prefix, left out)."""
    theirs, ours = _raised(torch, data, **kw), _raised(torchlike, data, **kw)
    assert type(ours) is type(theirs), (theirs, ours)
    want, got = str(theirs).split("\nException raised from")[0], str(ours)
    if "Invoked with: <torch.PyTorchFileReader object at " in want:  # an address
        want, got = want.split("Invoked with:")[0], got.split("Invoked with:")[0]
    assert want == got or (want.endswith(": " + got) and "/pytorch/" in want) or (
        got.endswith('"') and want == got[:-1]), (want, got)
    return ours


# ---- storages and views ---------------------------------------------------------------------
@pytest.mark.parametrize("record", [20, 28, 0, 4])
def test_record_size_must_match_the_pickle(record):
    """torch: `record size (N bytes) does not match expected size ...`"""
    data = _tensor_file({"0": bytes(record)})
    assert "does not match expected size" in str(_same_error(data))
    assert "does not match expected size" in str(_same_error(data, weights_only=False))


@pytest.mark.parametrize("fields", [
    {"size": (7,)}, {"offset": 1}, {"offset": 5, "size": (2,)}, {"size": (2, 3), "stride": (4, 1)},
    {"size": (), "stride": (), "offset": 6}, {"size": (3, 3), "stride": (2, 2)}])
def test_views_past_the_storage_are_refused(fields):
    ours = _same_error(_tensor_file(**fields))
    assert str(ours) == "Trying to resize storage that is not resizable"
    _same_error(_tensor_file(**fields), weights_only=False)


@pytest.mark.parametrize("fields", [
    {"offset": -1}, {"offset": -2**63}, {"size": (-1,)}, {"size": (3, -1), "stride": (1, 1)},
    {"stride": (-1,)}, {"size": (2, 2), "stride": (2**62, 1)}, {"offset": 2**62},
    {"size": (2**62, 2**62), "stride": (1, 1)}, {"size": (2**31, 2**31, 4), "stride": (0, 0, 0)},
    {"size": (2, 3), "stride": (1,)}, {"size": (), "stride": (1,)},
    {"size": (1,), "stride": (-2**63,)}, {"size": (-2**63,)}])
def test_negative_and_overflowing_geometry_is_refused(fields):
    """torch's checks and words: invalid storage offset, numel overflow, storage size
    overflow, unequal lengths, symbolic-int markers."""
    assert isinstance(_same_error(_tensor_file(**fields)), RuntimeError)


@pytest.mark.parametrize("fields", [
    {"size": (2**63,)}, {"stride": (2**64,)}, {"offset": 2**63}, {"size": (2, 3.0)},
    {"numel": -1}, {"numel": 2**62}, {"size": (True,)}])
def test_values_beyond_int64_or_of_wrong_type(fields):
    """set_()'s argument parsing: TypeError, or ValueError for an offset past int64."""
    if "size" in fields and 3.0 in fields["size"]:
        pkl = _tensor_pickle(size=(2, 3)).replace(_int(2) + _int(3) + pickle.TUPLE,
                                                  _int(2) + pickle.BINFLOAT
                                                  + struct.pack(">d", 3.0) + pickle.TUPLE)
        data = _archive(pkl, SIX)
    else:
        data = _tensor_file(**fields)
    assert type(_same_error(data)) in (TypeError, ValueError)


@pytest.mark.parametrize("fields", [
    {"offset": 1, "size": (5,)}, {"size": (100,), "stride": (0,)}, {"size": (0,), "offset": 100},
    {"size": (3, 3), "stride": (1, 1)}, {"size": (1,), "stride": (-5,)},
    {"size": (2, 1), "stride": (1, -1)}, {"size": (3, 2), "stride": (1, 3)},
    {"size": (), "stride": (), "offset": 5}, {"size": (1,), "stride": (2**58,)},
    {"size": (0, 3), "stride": (2**63 - 1, 1)}, {"size": (6,), "stride": ()}])
def test_edge_views_inside_the_storage_load_as_in_torch(fields):
    data = _tensor_file(**fields)
    theirs, ours = torch.load(io.BytesIO(data)), torchlike.load(io.BytesIO(data))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.stride() == theirs.stride()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_storage_kinds_locations_and_keys():
    for fields in ({"kind": "LongStorage"}, {"location": "cpv"}, {"location": "cuda:x"},
                   {"key": "1"}, {"kind": "UntypedStorage", "numel": 24, "size": (24,)},
                   {"kind": "BogusStorage"}):
        _same_error(_tensor_file(**fields))


# ---- the archive ------------------------------------------------------------------------------
def _valid() -> bytes:
    x = torch.arange(12.0).view(3, 4)
    return _saved({"x": x, "t": x.t(), "n": torch.ones(2, dtype=torch.int64)})


def test_truncated_files():
    data = _valid()
    for cut in (1, 4, 10, 21, 22, 100, len(data) // 2, len(data) - 22, len(data) - 1):
        assert isinstance(_same_error(data[:cut]), (RuntimeError, pickle.UnpicklingError,
                                                    EOFError))


def test_empty_garbage_and_non_zip_files():
    rng = np.random.default_rng(0)
    assert type(_same_error(b"")) is EOFError
    for junk in (b"garbage", rng.integers(0, 256, 300, dtype=np.uint8).tobytes(),
                 b"\x80\x02K\x05.", b"\x80\x04\x95" + bytes(20), b"PK\x03\x04",
                 b"PK\x03\x04" + bytes(200)):
        _same_error(junk)


def test_a_mid_sized_file_without_end_record():
    """miniz steps its scan below offset 0; torch's file reader refuses the seek."""
    ours = _same_error(b"PK\x03\x04" + bytes(5000))
    assert type(ours) is ValueError and "negative seek value" in str(ours)


@pytest.mark.parametrize("missing", ["data/0", "data.pkl", "version"])
def test_missing_records(missing):
    ours = _same_error(_archive(_tensor_pickle(), SIX, drop=(missing,)))
    assert isinstance(ours, RuntimeError)


@pytest.mark.parametrize("version", [b"", b"x", b"0\n", b"99\n", b"-1", b" 3", b"3x"])
def test_version_records(version):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_valid())) as src, zipfile.ZipFile(buf, "w") as dst:
        for n in src.namelist():
            dst.writestr(n, version if n.endswith("/version") else src.read(n))
    data = buf.getvalue()
    if version in (b" 3", b"3x"):  # what stoull reads as 3
        assert torchlike.load(io.BytesIO(data))["x"].tolist() == torch.load(
            io.BytesIO(data))["x"].tolist()
    else:
        _same_error(data)


def test_truncated_and_garbled_pickle():
    pkl = _tensor_pickle()
    assert type(_same_error(_archive(pkl[:-1], SIX))) is EOFError
    assert type(_same_error(_archive(pkl[:40], SIX))) is struct.error  # a short length field
    for at in (0, 2, 37):  # an opcode torch's weights_only unpickler does not run
        ours = _same_error(_archive(pkl[:at] + b"i" + pkl[at + 1:], SIX))
        assert type(ours) is pickle.UnpicklingError
    assert "Unsupported operand 105" in str(ours)


def _zip_fields(data: bytes, name: str) -> tuple[int, int]:
    """(central header offset, local header offset) of record `name` in a valid archive."""
    end = data.rfind(b"PK\x05\x06")
    p = struct.unpack_from("<I", data, end + 16)[0]
    while True:
        n, e, c = struct.unpack_from("<HHH", data, p + 28)
        if data[p + 46:p + 46 + n].decode().endswith(name):
            return p, struct.unpack_from("<I", data, p + 42)[0]
        p += 46 + n + e + c


def _set(data: bytes, at: int, fmt: str, value: int) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, at, value)
    return bytes(b)


def test_zip_header_damage():
    data = _archive(_tensor_pickle(), SIX)
    central, local = _zip_fields(data, "data/0")
    for at, fmt, value in [(local, "<I", 0), (central, "<I", 0), (central + 10, "<H", 9),
                           (central + 8, "<H", 1), (central + 8, "<H", 0x2000),
                           (central + 42, "<I", local + 1), (central + 24, "<I", 2**32 - 1)]:
        _same_error(_set(data, at, fmt, value))
    # torch's reader finds data through the local header, ignores CRCs, and checks sizes only
    # when the entry's method and time fields are both 0: so does torchlike
    for damaged in (_set(data, local + 26, "<H", 15), _set(data, central + 16, "<I", 0),
                    _set(data, central + 20, "<I", 20)):
        theirs, ours = torch.load(io.BytesIO(damaged)), torchlike.load(io.BytesIO(damaged))
        assert ours.numpy().tobytes() == theirs.numpy().tobytes()


def test_names_match_without_case_as_in_miniz():
    data = _archive(_tensor_pickle(), SIX)
    central, _ = _zip_fields(data, "data/0")
    upper = _set(data, central + 46 + len("archive/"), "<B", ord("D"))
    assert torchlike.load(io.BytesIO(upper)).tolist() == torch.load(io.BytesIO(upper)).tolist()


def test_compressed_records_load():
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_valid())) as src, zipfile.ZipFile(
            buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for n in src.namelist():
            dst.writestr(n, src.read(n))
    theirs = torch.load(io.BytesIO(buf.getvalue()))
    ours = torchlike.load(io.BytesIO(buf.getvalue()))
    for k in theirs:
        assert ours[k].tolist() == theirs[k].tolist() and ours[k].stride() == theirs[k].stride()


def test_records_torch_would_read_from_unfilled_memory_are_refused():
    """A directory entry with a size, or a 'deflated' record that does not inflate: torch's
    reader returns without filling its buffer (torch then loads whatever memory held); torchlike
    refuses the file."""
    data = _archive(_tensor_pickle(), SIX)
    central, _ = _zip_fields(data, "data/0")
    for damaged in (_set(data, central + 38, "<I", 0x10), _set(data, central + 10, "<H", 8)):
        assert torch.load(io.BytesIO(damaged)).shape == (6,)  # whatever the buffer held
        with pytest.raises(RuntimeError, match="PytorchStreamReader failed reading file data/0"):
            torchlike.load(io.BytesIO(damaged))


# ---- what torch holds and torchlike cannot ------------------------------------------------------
def test_an_expanded_view_too_large_to_materialize():
    data = _tensor_file(size=(2**40,), stride=(0,))
    assert torch.load(io.BytesIO(data)).shape == (2**40,)
    with pytest.raises(RuntimeError, match="torchlike tensors are dense"):
        torchlike.load(io.BytesIO(data))
    assert tensors.DENSE_LIMIT >= 2**20


def test_a_negative_size_or_a_huge_stride():
    data = _tensor_file(size=(0, -1), stride=(1, 1))
    assert tuple(torch.load(io.BytesIO(data)).shape) == (0, -1)
    with pytest.raises(NotImplementedError, match="negative"):
        torchlike.load(io.BytesIO(data))
    data = _tensor_file(size=(1,), stride=(2**63 - 1,))
    assert torch.load(io.BytesIO(data)).stride() == (2**63 - 1,)
    with pytest.raises(NotImplementedError, match="2\\*\\*59"):
        torchlike.load(io.BytesIO(data))


def test_a_genuine_legacy_checkpoint_says_so():
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf, _use_new_zipfile_serialization=False)
    assert torch.load(io.BytesIO(buf.getvalue()))["w"].tolist() == [1.0, 1.0]
    with pytest.raises(NotImplementedError, match="legacy"):
        torchlike.load(io.BytesIO(buf.getvalue()))
    buf = io.BytesIO()
    torch.save([1, "a"], buf, _use_new_zipfile_serialization=False)  # no storages: it loads
    assert torchlike.load(io.BytesIO(buf.getvalue())) == torch.load(
        io.BytesIO(buf.getvalue())) == [1, "a"]


def test_weights_only_allowlist_is_torchs():
    """The names torchlike's weights_only unpickler resolves are exactly torch's (those it
    lacks raise NotImplementedError, checked here for one)."""
    from torch._weights_only_unpickler import _get_allowed_globals

    from torchlike._weights_only import TORCH_ALLOWED
    assert set(_get_allowed_globals()) == TORCH_ALLOWED
    pkl = _tensor_pickle().replace(b"ctorch\nFloatStorage\n", b"ctorch\nQInt8Storage\n")
    with pytest.raises(NotImplementedError, match="QInt8Storage"):
        torchlike.load(io.BytesIO(_archive(pkl, SIX)))
