"""The records of a torch zip checkpoint, found as torch's reader finds them.

torch.load reads checkpoints with caffe2's PytorchStreamReader over miniz. `Archive` follows the
same rules: the end record is found by a backwards scan and the zip64 end record wins when its
locator is there; names are matched ignoring ASCII case (duplicates resolved by miniz's heap
sort); each record's data is found through its own local header; CRCs are not checked; offsets
wrap as miniz's unsigned arithmetic does. Where miniz or the reader stops, it raises torch's
exception with torch's wording (RuntimeError, and the ValueError / UnicodeDecodeError torch's
Python file adapter and string conversion produce).

Difference: where torch hands back memory it never filled (a directory entry with a size, a
deflated record that does not inflate), torchlike refuses the file.
"""
from __future__ import annotations

import os
import re
import struct
import zlib

_MINIZ = (". This is an internal miniz error. If you are seeing this error, there is a high "
          "likelihood that your checkpoint file is corrupted. This can happen if the checkpoint "
          "was not saved properly, was transferred incorrectly, or the file was modified after "
          "saving.")
NOT_ZIP, NO_END = "not a ZIP archive", "failed finding central directory"
CORRUPT, MULTIDISK = "invalid header or archive is corrupted", "unsupported multidisk archive"
READ_FAILED, NOT_FOUND = "file read failed", "file not found"
_END, _END64, _LOCATOR = 0x06054B50, 0x06064B50, 0x07064B50
_CENTRAL, _LOCAL, _U32 = 0x02014B50, 0x04034B50, 0xFFFFFFFF
try:  # a record torch could not allocate either is refused before it is inflated
    MEMORY = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
except (ValueError, OSError, AttributeError):
    MEMORY = 2**40


def failed(what: str, why: str) -> RuntimeError:
    """torch's error when miniz fails `what` (e.g. "reading zip archive")."""
    return RuntimeError(f"PytorchStreamReader failed {what}: {why}{_MINIZ}".split("\0")[0])


def _enforce(line: int, *parts: str | bytes) -> RuntimeError:
    """A C++ check's error: its text is read as a C string, and decoded strictly (torch raises
    UnicodeDecodeError for a message quoting bytes that are no UTF-8)."""
    text = b"".join(p if isinstance(p, bytes) else p.encode() for p in parts)
    message = f"[enforce fail at inline_container.cc:{line}] . ".encode() + text
    return RuntimeError(message.split(b"\0")[0].decode("utf-8"))


def _seek(offset: int) -> None:
    """torch's file reader seeks to miniz's offsets; one past 2**63 is negative there."""
    if offset >= 2**63:
        raise ValueError(f"negative seek value {offset - 2**64}")


def _u16(b, at: int) -> int:
    return struct.unpack_from("<H", b, at)[0]


def _u32(b, at: int) -> int:
    return struct.unpack_from("<I", b, at)[0]


def _u64(b, at: int) -> int:
    return struct.unpack_from("<Q", b, at)[0]


def _find_end(data, size: int) -> int | None:
    """The end record's offset: miniz scans back in 4 KiB blocks, at most ~64 KiB."""
    cur = max(size - 4096, 0)
    while True:
        at = data.rfind(b"PK\x05\x06", cur, min(cur + 4096, size - 22 + 4))
        if at >= 0:
            return at
        if cur == 0 or size - cur >= 0xFFFF + 22:
            return None
        if cur < 4096 - 3:  # miniz's unsigned step wraps below 0, and torch's reader seeks there
            raise ValueError(f"negative seek value {cur - (4096 - 3)}")
        cur -= 4096 - 3


def _directory_zip64(extra: bytes, want: list[int]) -> list[int]:
    """The (size, compressed size, local header offset) miniz's directory pass takes from an
    entry's zip64 extra field: a field walk, then as many 64-bit values as fit."""
    at, left = 0, len(extra)
    while True:
        if left < 4 or _u16(extra, at + 2) + 4 > left:
            raise failed("reading zip archive", CORRUPT)
        if _u16(extra, at) == 1:
            break
        at, left = at + 4 + _u16(extra, at + 2), left - 4 - _u16(extra, at + 2)
        if not left:
            break
    out = list(want)
    if left >= 4:
        at, left = at + 4, left - 4
        for i, v in enumerate(want):
            if v == _U32 and left >= 8:
                out[i], at, left = _u64(extra, at), at + 8, left - 8
    return out


def _stat_zip64(extra: bytes, want: list[int]) -> list[int] | str:
    """The same values as miniz's file stat reads them (within the field, else an error)."""
    at, left = 0, len(extra)
    while left:
        if left < 4:
            return CORRUPT
        fid, n = _u16(extra, at), _u16(extra, at + 2)
        if n + 4 > left:
            return CORRUPT
        if fid == 1:
            field, out, pos = extra[at + 4:at + 4 + n], list(want), 0
            for i, v in enumerate(want):
                if v == _U32:
                    if len(field) - pos < 8:
                        return CORRUPT
                    out[i], pos = _u64(field, pos), pos + 8
            return out
        at, left = at + 4 + n, left - 4 - n
    return want


def _miniz_order(keys: list[bytes]) -> list[int]:
    """Indices sorted by key as miniz's heap sort leaves them (which of equal names a lookup
    finds depends on it; with distinct names any sort gives the same order)."""
    idx = list(range(len(keys)))
    if len(set(keys)) == len(keys):
        return sorted(idx, key=keys.__getitem__)

    def sift(root: int, end: int) -> None:
        while (child := 2 * root + 1) < end:
            if child + 1 < end and keys[idx[child]] < keys[idx[child + 1]]:
                child += 1
            if not keys[idx[root]] < keys[idx[child]]:
                return
            idx[root], idx[child] = idx[child], idx[root]
            root = child

    for start in range((len(idx) - 2) // 2, -1, -1):
        sift(start, len(idx))
    for end in range(len(idx) - 1, 0, -1):
        idx[end], idx[0] = idx[0], idx[end]
        sift(0, end)
    return idx


class Archive:
    """The records of a checkpoint archive (bytes or mmap), found as torch's reader does."""

    def __init__(self, data):
        self.data, size = data, len(data)
        self.size = size
        if size < 22:
            raise failed("reading zip archive", NOT_ZIP)
        end = _find_end(data, size)
        if end is None:
            raise failed("reading zip archive", NO_END)
        self.headers = self._central_directory(end)
        self.keys = [self._name(i).lower() for i in range(len(self.headers))]
        self.sorted = _miniz_order(self.keys)
        if not self.headers:
            raise _enforce(171, "archive does not contain any files")
        first = self._name(0)
        if b"/" not in first:
            raise _enforce(180, b"file in archive is not in a subdirectory: ", first)
        self.prefix = first[:first.index(b"/") + 1]
        self.serialization_id = b""
        if self.has(".data/serialization_id"):
            self.serialization_id = bytes(self.record(".data/serialization_id"))
        if self.has(".data/version"):
            self._check_version(self.record(".data/version"))
        elif self.has("version"):
            self._check_version(self.record("version"))
        else:
            raise RuntimeError('Expected hasRecord("version") to be true, but got false.  '
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")

    def _central_directory(self, end: int) -> list[int]:
        """Offsets of the central headers, after miniz's checks of the end records and each
        header."""
        data, size, err = self.data, self.size, lambda why: failed("reading zip archive", why)
        _, disk, cd_disk, on_disk, total, cd_size, cd_ofs = struct.unpack_from(
            "<IHHHHII", data, end)
        if end >= 20 + 56 and _u32(data, end - 20) == _LOCATOR:
            locator, at = bytes(data[end - 20:end]), _u64(data, end - 12)
            if at > size - 56:
                raise err(NOT_ZIP)
            if _u32(data, at) == _END64:
                if _u64(data, at + 4) < 44:
                    raise err(CORRUPT)
                if _u32(locator, 16) != 1:
                    raise err(MULTIDISK)
                total, on_disk = _u64(data, at + 32), _u64(data, at + 24)
                if max(total, on_disk) > _U32:
                    raise err("too many files")
                cd_size = _u64(data, at + 40)
                if cd_size > _U32:
                    raise err("unsupported central directory size")
                disk, cd_disk, cd_ofs = _u32(data, at + 16), _u32(data, at + 20), _u64(
                    data, at + 48)
        if total != on_disk or ((disk | cd_disk) and (disk != 1 or cd_disk != 1)):
            raise err(MULTIDISK)
        if cd_size < total * 46 or (cd_ofs + cd_size) % 2**64 > size:  # miniz's u64 sum
            raise err(CORRUPT)
        if total:
            _seek(cd_ofs)
        headers, p, left = [], cd_ofs, cd_size
        for _ in range(total):
            if left < 46 or _u32(data, p) != _CENTRAL:
                raise err(CORRUPT)
            headers.append(p)
            comp, full, name_len, extra_len = struct.unpack_from("<IIHH", data, p + 20)
            local = _u32(data, p + 42)
            if extra_len and _U32 in (comp, full, local):
                at = p + 46 + name_len
                if 46 + name_len + extra_len > left:  # miniz reads it from the directory start
                    at = cd_ofs + 46 + name_len
                    if at + extra_len > size:
                        raise err(READ_FAILED)
                full, comp, local = _directory_zip64(bytes(data[at:at + extra_len]),
                                                     [full, comp, local])
            if comp != _U32 and full != _U32 and (
                    (_u32(data, p + 10) == 0 and full != comp) or (full and not comp)):
                raise err(CORRUPT)
            first_disk = _u16(data, p + 34)
            if first_disk == 0xFFFF or first_disk not in (disk, 1):
                raise err(MULTIDISK)
            if comp != _U32 and (local + 30 + comp) % 2**64 > size:
                raise err(CORRUPT)
            if _u16(data, p + 8) & 0x2000:
                raise err("unsupported encryption")
            step = 46 + name_len + extra_len + _u16(data, p + 32)
            if step > left:
                raise err(CORRUPT)
            p, left = p + step, left - step
        return headers

    def _name(self, i: int) -> bytes:
        p = self.headers[i]
        return bytes(self.data[p + 46:p + 46 + _u16(self.data, p + 28)])

    def _locate(self, name: bytes) -> int | None:
        """miniz's binary search over the names sorted without regard to ASCII case (for the
        name as a C string)."""
        want, lo, hi = name.split(b"\0")[0].lower(), 0, len(self.sorted) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            got = self.keys[self.sorted[mid]]
            if got == want:
                return self.sorted[mid]
            lo, hi = (mid + 1, hi) if got < want else (lo, mid - 1)
        return None

    def has(self, name: str) -> bool:
        return self._locate(self.prefix + name.encode()) is not None

    def names(self) -> list[str]:
        """torch's getAllRecords: every name, which must lie under the archive's folder."""
        out = []
        for i in range(len(self.headers)):
            name = self._name(i)[:511].split(b"\0")[0]
            if not name.startswith(self.prefix):
                raise _enforce(340, b"file in archive is not in a subdirectory ", self.prefix,
                               b": ", name)
            out.append(name[len(self.prefix):].decode("utf-8"))  # as torch's binding does
        return out

    def record(self, name: str):
        """The bytes of record `name` (a memoryview of stored data, without a copy)."""
        i = self._locate(self.prefix + name.encode())
        if i is None:
            raise failed(f"locating file {name}", NOT_FOUND)
        data, p = self.data, self.headers[i]
        flags, method = _u16(data, p + 8), _u16(data, p + 10)
        comp, full, name_len, extra_len = struct.unpack_from("<IIHH", data, p + 20)
        local = _u32(data, p + 42)
        why = None
        if method not in (0, 8):
            why = "unsupported method"
        elif flags & 0x41:
            why = "unsupported encryption"
        elif flags & 0x20:
            why = "unsupported feature"
        if extra_len and _U32 in (comp, full, local):
            extra = bytes(data[p + 46 + name_len:p + 46 + name_len + extra_len])
            got = _stat_zip64(extra, [full, comp, local])
            if isinstance(got, str):
                why = got
            else:
                full, comp, local = got
        if why:
            raise failed(f"retrieving file meta-data for {name}", why)
        is_dir = self._name(i).endswith(b"/") or _u32(data, p + 38) & 0x10
        if is_dir or not comp:
            if full:  # torch would return `full` bytes of memory it never wrote
                raise failed(f"reading file {name}", "torchlike refuses a record of "
                             f"{full} bytes that the archive gives no data for")
            return memoryview(b"")
        _seek(local)
        if local + 30 > self.size:
            raise failed(f"reading file {name}", READ_FAILED)
        if _u32(data, local) != _LOCAL:
            raise failed(f"reading file {name}", CORRUPT)
        start = (local + 30 + _u16(data, local + 26) + _u16(data, local + 28)) % 2**64
        if (start + comp) % 2**64 > self.size:
            raise failed(f"reading file {name}", CORRUPT)
        _seek(start)
        if method == 0:
            if start + full > self.size:
                raise failed(f"reading file {name}", READ_FAILED)
            return memoryview(data)[start:start + full]
        return memoryview(self._inflate(name, data[start:start + comp], full))

    @staticmethod
    def _inflate(name: str, raw, full: int) -> bytes:
        if not full:
            return b""
        if full > MEMORY:
            raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate "
                               f"{full} bytes.")
        inflater = zlib.decompressobj(-15)
        try:
            out = inflater.decompress(raw, full)
        except zlib.error:
            out = None
        if out is not None and len(out) == full:
            return out
        if out is not None and inflater.eof:
            raise failed(f"reading file {name}", "unexpected decompressed size")
        # miniz gives up without an error here, and torch reads the unfilled buffer
        raise failed(f"reading file {name}", "decompression failed or archive is corrupted")

    @staticmethod
    def _check_version(text) -> None:
        """caffe2's version check (std::stoull, then the supported range 1..10)."""
        raw = bytes(text)
        m = re.match(rb"[ \t\n\r\x0b\x0c]*([+-]?)(\d+)", raw)
        if m is None:
            raise _enforce(215, b"Couldn't parse the version ", raw, b" as Long Long.")
        value = int(m.group(2))
        if value >= 2**64:
            raise IndexError("stoull")
        value = (-value if m.group(1) == b"-" else value) % 2**64
        value -= 2**64 if value >= 2**63 else 0  # torch keeps it in an int64
        if value < 1:
            raise _enforce(219, f"Attempted to read a PyTorch file with version {value}, but "
                           "the minimum supported version for reading is 1. Your PyTorch "
                           "script module file is too old. Please regenerate it with latest "
                           "version of PyTorch to mitigate this issue.")
        if value > 10:
            raise _enforce(230, f"Attempted to read a PyTorch file with version {value}, but "
                           "the maximum supported version for reading is 10. The version of "
                           "your PyTorch installation may be too old, please upgrade PyTorch "
                           "to latest version to mitigate this issue.")
