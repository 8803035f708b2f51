"""torch.utils.tensorboard against real torch: the same SummaryWriter calls made with torch's
writer and torchlike's into two directories, the event files read back (TFRecord framing and
its masked CRC32C checked by our own reader) and every event compared, wall times aside:
steps, tags, summary values, plugin metadata, histogram buckets, PNG/WAV bytes, text, hparams,
the add_scalars / add_hparams sub-runs and the embedding projector's files. Also the summary
functions, FileWriter, errors, and the ImportError without tensorboard."""
from __future__ import annotations

import importlib.util
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboard")
pytest.importorskip("PIL")  # a dependency of tensorboard; torch needs it for images too

import torch  # noqa: E402
import torch.utils.tensorboard as torch_tb  # noqa: E402
import torch.utils.tensorboard.summary as torch_summary  # noqa: E402
from _helper import assert_same, assert_same_error  # noqa: E402
from _record import mark  # noqa: E402
from google.protobuf import text_format  # noqa: E402
from tensorboard.compat.proto.event_pb2 import Event  # noqa: E402

import torchlike  # noqa: E402
import torchlike.utils.tensorboard as tl_tb  # noqa: E402
import torchlike.utils.tensorboard.summary as tl_summary  # noqa: E402

TB = {torch: torch_tb, torchlike: tl_tb}
SUMMARY = {torch: torch_summary, torchlike: tl_summary}
R = np.random.default_rng(0)


# ---- reading event files back -------------------------------------------------------------

def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def _masked_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _records(path: str) -> list[bytes]:
    """The records of a TFRecord file, both CRCs of each checked."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos < len(data):
        header = data[pos:pos + 8]
        (length,), (length_crc,) = struct.unpack("<Q", header), struct.unpack(
            "<I", data[pos + 8:pos + 12])
        assert length_crc == _masked_crc32c(header), f"{path}: bad length CRC at {pos}"
        body = data[pos + 12:pos + 12 + length]
        (body_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        assert len(body) == length and body_crc == _masked_crc32c(body), \
            f"{path}: bad data CRC at {pos}"
        out.append(body)
        pos += 16 + length
    return out


_NAME = re.compile(r"events\.out\.tfevents\.(\d+)\.(.+)\.(\d+)\.(\d+)(.*)$")


def _run(root: str) -> dict[str, list[str]]:
    """{directory under root: its events as text, wall_time cleared, file after file}."""
    runs = {}
    for path, _, files in os.walk(root):
        events = []
        names = [f for f in files if f.startswith("events.out.tfevents.")]
        names.sort(key=lambda f: int(_NAME.match(f).group(4)))  # the writer's counter
        for name in names:
            events.append(f"--- file suffix {_NAME.match(name).group(5)!r}")
            for record in _records(os.path.join(path, name)):
                event = Event.FromString(record)
                assert event.wall_time > 0
                event.ClearField("wall_time")
                events.append(text_format.MessageToString(event))
        if events:
            runs[os.path.relpath(path, root)] = events
    return runs


def _compare(want_root: str, got_root: str) -> None:
    want, got = _run(want_root), _run(got_root)
    assert sorted(want) == sorted(got), f"run directories {sorted(got)} != {sorted(want)}"
    assert want, "no event files"
    for run in want:
        assert len(want[run]) == len(got[run]), f"{run}: {len(got[run])} events != torch's"
        for i, (w, g) in enumerate(zip(want[run], got[run])):
            assert_same(w, g, f"{run} event {i}")


def _both(tmp_path, calls, **kwargs) -> None:
    """calls(lib, writer) with torch's SummaryWriter and torchlike's; the files compared."""
    for lib in (torch, torchlike):
        with TB[lib].SummaryWriter(str(tmp_path / lib.__name__), **kwargs) as w:
            calls(lib, w)
    _compare(str(tmp_path / "torch"), str(tmp_path / "torchlike"))
    mark(w)  # the files torchlike's writer made are torch's (coverage: SummaryWriter compared)


def _raises(fn):
    """fn(lib) raises the same exception type and message in both."""
    errors = []
    for lib in (torch, torchlike):
        try:
            fn(lib)
        except Exception as e:  # noqa: BLE001 - we compare whatever torch raises
            errors.append(e)
        else:
            raise AssertionError(f"{lib.__name__} did not raise")
    assert_same_error(errors[0], errors[1])


def _t(lib, array, dtype=None):
    return lib.tensor(array) if dtype is None else lib.tensor(array, dtype=getattr(lib, dtype))


# ---- SummaryWriter, event by event --------------------------------------------------------

def test_scalars(tmp_path):
    def calls(lib, w):
        w.add_scalar("py/float", 0.1, 0)
        w.add_scalar("py/int", 3, 1)
        w.add_scalar("py/bool", True, 2)
        w.add_scalar("np/float32", np.float32(1.1), np.int64(3))
        w.add_scalar("np/array", np.array([[2.5]]), 4)
        w.add_scalar("t/0d", _t(lib, 1.3), 5, walltime=12.5)
        w.add_scalar("t/1elem", _t(lib, [[7.1]], "float64"), 6)
        w.add_scalar("t/bf16", _t(lib, 1.3, "bfloat16"), 7)
        w.add_scalar("t/bf16/big", _t(lib, [1e30], "bfloat16"), 7)  # inf: torch goes by float16
        w.add_scalar("t/int", _t(lib, 9), 8)
        w.add_scalar("t/grad", _t(lib, 2.0).requires_grad_() * 3, 9)
        w.add_scalar("new", 0.1, 10, new_style=True)
        w.add_scalar("new/double", 0.1, 11, new_style=True, double_precision=True)
        w.add_scalar("no_step", 1e30)
        w.add_scalars("main/tag", {"a": 1.0, "b": _t(lib, 2.0)}, 3)
        w.add_scalars("main/tag", {"a": 1.5, "c": np.float64(-1)}, 4, walltime=3.0)
        w.add_scalar("after", 2.0, 12)
    _both(tmp_path, calls)


def test_histograms(tmp_path):
    x = R.standard_normal(500).astype(np.float32)
    ints = R.integers(-5, 20, (4, 6))

    def calls(lib, w):
        w.add_histogram("tf/float32", _t(lib, x), 0)
        w.add_histogram("tf/int", _t(lib, ints), 1)
        w.add_histogram("tf/numpy", x.astype(np.float64) * 1e3, 2)
        w.add_histogram("tf/constant", np.zeros(7), 3)
        w.add_histogram("tf/bf16", _t(lib, x[:20], "bfloat16"), 4)
        for i, bins in enumerate(["auto", "fd", "doane", "sqrt", "sturges", "rice", "scott",
                                  "stone", 10, [-1.0, 0.0, 0.5, 3.0]]):
            w.add_histogram(f"np/{bins}", _t(lib, x), i)
        w.add_histogram("max_bins", _t(lib, x), 0, bins=50, max_bins=7)
        w.add_histogram("max_bins/even", _t(lib, x), 0, bins=40, max_bins=8)
        w.add_histogram("tf/max_bins", _t(lib, x), 0, max_bins=30)
        w.add_histogram_raw("raw", min=-1.0, max=3.0, num=6, sum=4.5, sum_squares=11.25,
                            bucket_limits=[-1.0, 0.0, 3.0], bucket_counts=[1, 2, 3],
                            global_step=9, walltime=5.0)
    _both(tmp_path, calls)


def test_histogram_errors(tmp_path):
    def writer(lib):
        return TB[lib].SummaryWriter(str(tmp_path / lib.__name__))

    _raises(lambda lib: writer(lib).add_histogram("e", _t(lib, np.zeros(0))))
    _raises(lambda lib: writer(lib).add_histogram("e", [1.0, 2.0]))
    _raises(lambda lib: writer(lib).add_histogram_raw("e", 0, 1, 1, 1, 1, [1, 2], [1]))
    _raises(lambda lib: writer(lib).add_scalar("e", _t(lib, [1.0, 2.0, 3.0])))


def test_images(tmp_path):
    chw = R.random((3, 8, 10)).astype(np.float32)
    hwc_u8 = R.integers(0, 256, (6, 5, 3)).astype(np.uint8)
    batch = R.random((5, 3, 4, 6)).astype(np.float32)

    def calls(lib, w):
        w.add_image("chw", _t(lib, chw), 0)
        w.add_image("chw/1ch", _t(lib, chw[:1]), 1)
        w.add_image("chw/out_of_range", _t(lib, chw * 3 - 1), 2)
        w.add_image("hwc/uint8", _t(lib, hwc_u8), 3, dataformats="HWC")
        w.add_image("hwc/numpy", hwc_u8, 3, dataformats="HWC")
        w.add_image("hwc/rgba", np.concatenate([hwc_u8, hwc_u8[..., :1]], 2), 3,
                    dataformats="HWC")
        w.add_image("hw", _t(lib, chw[0], "float64"), 4, dataformats="HW")
        w.add_image("wh", _t(lib, chw[0]), 4, dataformats="WH")
        w.add_image("cwh/lowercase", _t(lib, chw), 4, dataformats="chw")
        w.add_images("nchw", _t(lib, batch), 5)
        w.add_images("nchw/1ch", _t(lib, batch[:, :1]), 5)
        w.add_images("nhwc", _t(lib, batch.transpose(0, 2, 3, 1)), 6, dataformats="NHWC")
        w.add_images("many", np.concatenate([batch] * 2), 7)
        w.add_image_with_boxes("boxes", _t(lib, chw), _t(lib, [[1.0, 1.0, 6.0, 5.0],
                                                              [0.0, 2.0, 3.0, 7.0]]), 8,
                               labels=["a", "bc"])
        w.add_image_with_boxes("boxes/labels_dropped", _t(lib, chw),
                               _t(lib, [[1.0, 1.0, 6.0, 5.0]]), 9, labels=["a", "b"],
                               rescale=2)
    _both(tmp_path, calls)


def test_image_errors(tmp_path):
    def writer(lib):
        return TB[lib].SummaryWriter(str(tmp_path / lib.__name__))

    img = R.random((3, 4, 4)).astype(np.float32)
    _raises(lambda lib: writer(lib).add_image("e", _t(lib, img), dataformats="HW"))
    _raises(lambda lib: writer(lib).add_image("e", _t(lib, img), dataformats="CCW"))
    _raises(lambda lib: writer(lib).add_images("e", _t(lib, np.stack([img[:2]] * 2))))


def test_text_tensor_audio_custom_scalars(tmp_path):
    wave = np.sin(np.linspace(0, 20, 300)).astype(np.float32)
    data = R.standard_normal((2, 3)) * 4

    def calls(lib, w):
        w.add_text("note", "hello *markdown* \u00e9", 0)
        w.add_text("note", "", 1, walltime=2.0)
        for i, dtype in enumerate(["float32", "float64", "float16", "bfloat16", "int64",
                                   "int32", "int16", "int8", "uint8", "bool", "complex64",
                                   "complex128"]):
            values = data + 1j * data[::-1] if dtype.startswith("complex") else data
            values = abs(values) if dtype == "uint8" else values  # casts of negatives differ
            w.add_tensor(f"tensor/{dtype}", _t(lib, values).to(getattr(lib, dtype)), i)
        w.add_tensor("tensor/0d", _t(lib, 2.5), 0)
        w.add_audio("audio", _t(lib, wave), 0, sample_rate=8000)
        w.add_audio("audio/clipped", wave[None] * 2, 1)
        w.add_custom_scalars({"cat": {"loss": ["Multiline", ["loss/train", "loss/val"]],
                                      "band": ["Margin", ["m", "lo", "hi"]]},
                              "other": {"acc": ["Multiline", ["acc"]]}})
        w.add_custom_scalars_multilinechart(["a", "b"], category="c", title="t")
        w.add_custom_scalars_marginchart(["a", "b", "c"])
    _both(tmp_path, calls)


def test_pr_curves_mesh_video(tmp_path, capsys):
    if importlib.util.find_spec("moviepy") is not None:
        pytest.skip("moviepy installed: its GIF encoding is not compared")
    labels = R.integers(0, 2, 40)
    preds = R.random(40).astype(np.float32)
    raw = R.integers(0, 10, (6, 5)).astype(np.float32)
    verts = R.random((1, 4, 3)).astype(np.float32)
    faces = np.array([[[0, 1, 2], [1, 2, 3]]])
    clip = R.random((3, 2, 3, 4, 4)).astype(np.float32)

    def calls(lib, w):
        w.add_pr_curve("pr", _t(lib, labels), _t(lib, preds), 0)
        w.add_pr_curve("pr/numpy", labels, preds.astype(np.float64), 1, num_thresholds=10)
        w.add_pr_curve("pr/weights", labels, preds, 2, num_thresholds=300,
                       weights=np.linspace(0, 1, 40))
        w.add_pr_curve("pr/tiny_weights", labels, preds, 2, weights=np.full(40, 1e-9))
        w.add_pr_curve_raw("pr/raw", *raw, global_step=3, num_thresholds=5)
        w.add_mesh("mesh", _t(lib, verts), colors=_t(lib, (verts * 255).astype(np.uint8)),
                   faces=_t(lib, faces), config_dict={"camera": {"fov": 75}}, global_step=4)
        w.add_mesh("mesh/numpy", verts, global_step=5)
        w.add_video("video", _t(lib, clip), 6)
    _both(tmp_path, calls)
    printed = capsys.readouterr().out.splitlines()
    assert_same(printed[0], printed[1], "add_video's message without moviepy")


def test_pr_curve_raw_tensors(tmp_path):
    counts = R.integers(0, 10, (6, 7)).astype(np.float32)

    def calls(lib, w):
        w.add_pr_curve_raw("raw", *[_t(lib, row) for row in counts], global_step=1)
    _both(tmp_path, calls)


def test_hparams(tmp_path):
    def calls(lib, w):
        w.add_scalar("loss", 1.0, 0)
        w.add_hparams({"lr": 0.1, "layers": 3, "opt": "adam", "flag": True, "none": None,
                       "t": _t(lib, [0.5])},
                      {"hparam/accuracy": 0.9, "hparam/loss": _t(lib, 0.25)},
                      hparam_domain_discrete={"opt": ["adam", "sgd"], "layers": [1, 3]},
                      run_name="run1", global_step=7)
        w.add_hparams({"lr": 0.2}, {"m": 1}, run_name="run2")
    _both(tmp_path, calls)


def test_hparams_errors(tmp_path):
    def writer(lib):
        return TB[lib].SummaryWriter(str(tmp_path / lib.__name__))

    _raises(lambda lib: writer(lib).add_hparams([("lr", 1)], {}))
    _raises(lambda lib: writer(lib).add_hparams({"lr": [1, 2]}, {}, run_name="x"))
    _raises(lambda lib: writer(lib).add_hparams({"lr": 1.0}, {}, hparam_domain_discrete=[1]))
    _raises(lambda lib: writer(lib).add_hparams({"lr": 1.0}, {},
                                                hparam_domain_discrete={"lr": [1, 2]}))
    _raises(lambda lib: SUMMARY[lib].hparams({"a": 1}, None))


def test_writer_options_and_lifecycle(tmp_path):
    def calls(lib, w):
        assert_same(w.log_dir.endswith(lib.__name__), True)
        w.add_scalar("a", 1.0, 5)
        w.flush()
        w.close()
        w.close()  # a second close does nothing
        w.add_scalar("b", 2.0, 6)  # a new event file in the same directory
        w.add_scalars("s", {"x": 1.0}, 6)
    _both(tmp_path, calls, purge_step=3, max_queue=2, flush_secs=5, filename_suffix=".sfx")
    for lib in (torch, torchlike):
        w = TB[lib].SummaryWriter(str(tmp_path / "attrs" / lib.__name__), comment="ignored",
                                  max_queue=3, flush_secs=7, filename_suffix="x")
        got = (w.get_logdir().endswith(lib.__name__), w.purge_step, w.max_queue, w.flush_secs,
               w.filename_suffix, w.default_bins, sorted(w.all_writers) == [w.get_logdir()])
        w.close()
        if lib is torch:
            want = got
    assert_same(want, got, "writer attributes")


def test_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dirs = []
    for lib in (torch, torchlike):
        w = TB[lib].SummaryWriter(comment="_lr0.1")
        dirs.append(w.get_logdir())
        w.close()
    stamp = re.compile(r"^runs/[A-Z][a-z]{2}\d\d_\d\d-\d\d-\d\d_")
    assert stamp.match(dirs[0]) and stamp.match(dirs[1]), dirs
    assert_same(stamp.sub("", dirs[0]), stamp.sub("", dirs[1]), "log_dir after the time")
    assert os.path.isdir(dirs[1])


def test_embedding(tmp_path, capsys):
    mat = R.standard_normal((6, 4)).astype(np.float32)
    imgs = R.random((6, 3, 5, 5)).astype(np.float32)

    def calls(lib, w):
        w.add_embedding(_t(lib, mat), metadata=list(range(6)), label_img=_t(lib, imgs))
        w.add_embedding(mat.astype(np.float64), metadata=[[i, f"n{i}"] for i in range(6)],
                        metadata_header=["id", "name"], global_step=3, tag="a/b%c\\d")
        w.add_embedding(_t(lib, mat[:2]), global_step=3, tag="a/b%c\\d")  # dir exists: warns
    _both(tmp_path, calls)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2
    assert_same(printed[0], printed[1], "the existing-directory warning")
    roots = [tmp_path / "torch", tmp_path / "torchlike"]
    files = [sorted(os.path.relpath(os.path.join(p, f), r) for p, _, fs in os.walk(r)
                    for f in fs if not f.startswith("events.")) for r in roots]
    assert_same(files[0], files[1], "embedding files")
    assert len(files[0]) == 6
    for name in files[0]:
        assert_same((roots[0] / name).read_bytes(), (roots[1] / name).read_bytes(), name)

    def bad(lib, **kw):
        with TB[lib].SummaryWriter(str(tmp_path / "bad" / lib.__name__)) as w:
            w.add_embedding(**kw)
    _raises(lambda lib: bad(lib, mat=mat, metadata=[1, 2]))
    _raises(lambda lib: bad(lib, mat=mat[0], metadata=[1, 2, 3, 4]))
    _raises(lambda lib: bad(lib, mat=mat, label_img=_t(lib, imgs[:2])))
    _raises(lambda lib: bad(lib, mat=mat, metadata=[[1]] * 6, metadata_header=["a", "b"]))


def test_graph_and_figure(tmp_path):
    with tl_tb.SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(NotImplementedError, match="SummaryWriter.add_graph"):
            w.add_graph(torchlike.nn.Linear(2, 2), torchlike.zeros(1, 2))
        with pytest.raises(NotImplementedError, match="SummaryWriter.add_onnx_graph"):
            w.add_onnx_graph("model.onnx")
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def calls(lib, w):
        figure = plt.figure(figsize=(2, 1), dpi=20)
        plt.plot([0, 1], [1, 0])
        w.add_figure("fig", figure, 0)
        w.add_figure("figs", [plt.figure(figsize=(1, 1), dpi=10) for _ in range(2)], 1)
    _both(tmp_path / "fig", calls)


# ---- the summary functions, FileWriter, reading with TensorBoard, import --------------------

def test_summary_functions():
    x = R.standard_normal(100)
    img = R.random((2, 3, 4, 4)).astype(np.float32)
    for lib in (torch, torchlike):
        s = SUMMARY[lib]
        out = [s.scalar("a", _t(lib, 2.5)), s.scalar("b", 1, new_style=True),
               s.histogram("h", _t(lib, x), bins="auto"), s.histogram("h", x, 7, max_bins=3),
               s.image("i", _t(lib, img)), s.image("i", img[0], rescale=0.5, dataformats="CHW"),
               s.text("t", "hi"), *s.hparams({"x": 1.0}, {"y": 2.0}),
               s.custom_scalars({"c": {"t": ["Multiline", ["x"]]}}),
               s.pr_curve("p", x > 0, np.abs(np.tanh(x)), 20),
               s.tensor_proto("tp", _t(lib, [[1, 2]])),
               s.make_histogram(x, bins=5),
               s.histogram_raw("r", 0.0, 1.0, 2, 1.0, 1.0, [0.5, 1.0], [1, 1])]
        out = [o.SerializeToString() for o in out]
        out += [s.compute_curve(x > 0, np.abs(np.tanh(x)), num_thresholds=9),
                s.half_to_int(1.5), s.int_to_half(s.half_to_int(0.1)), sorted(s.__all__)]
        if lib is torch:
            want = out
    assert_same(want, out, "summaries")
    for bad in ([1.0, 2.0], {"a": 1}):
        _raises(lambda lib: SUMMARY[lib].scalar("s", bad))
    _raises(lambda lib: SUMMARY[lib].audio("a", np.zeros((2, 3))))
    _raises(lambda lib: SUMMARY[lib].custom_scalars({"c": {"t": ["Margin", ["a"]]}}))
    _raises(lambda lib: SUMMARY[lib].mesh("m", np.zeros((4, 3)), None, None, None))


def test_file_writer(tmp_path):
    for lib in (torch, torchlike):
        d = tmp_path / lib.__name__
        fw = TB[lib].writer.FileWriter(d, max_queue=1, filename_suffix="_fw")
        assert_same(fw.get_logdir(), str(d))
        fw.add_summary(SUMMARY[lib].scalar("x", 1.0), global_step=np.int32(4), walltime=1.0)
        fw.add_event(Event(step=9, file_version="custom"), walltime=2.0)
        fw.add_event(Event(), step=torch.tensor(3) if lib is torch else torchlike.tensor(3))
        fw.flush()
        fw.close()
    _compare(str(tmp_path / "torch"), str(tmp_path / "torchlike"))
    _raises(lambda lib: TB[lib].writer.FileWriter(tmp_path / "r" / lib.__name__).reopen())
    assert_same(sorted(torch_tb.__all__), sorted(tl_tb.__all__), "__all__")
    assert tl_tb.RecordWriter is torch_tb.RecordWriter  # both tensorboard's


def test_tensorboard_reads_it(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator as ea

    with tl_tb.SummaryWriter(str(tmp_path)) as w:
        for step in range(3):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_histogram("w", torchlike.randn(50), 2)
        w.add_image("img", torchlike.rand(3, 4, 4), 2)
        w.add_text("txt", "hello", 2)
    acc = ea.EventAccumulator(str(tmp_path), size_guidance={ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    assert [e.step for e in acc.Scalars("loss")] == [0, 1, 2]
    assert acc.Scalars("loss")[2].value == pytest.approx(1 / 3)
    assert acc.Histograms("w")[0].histogram_value.num == 50
    assert (acc.Images("img")[0].width, acc.Images("img")[0].height) == (4, 4)
    assert "txt/text_summary" in tags["tensors"]


def _import_error(lib_name: str, tensorboard_stub) -> Exception:
    """The error of importing `<lib>.utils.tensorboard` with `tensorboard` replaced by the
    stub (None: not installed); sys.modules put back afterwards."""
    saved = {k: v for k, v in sys.modules.items()
             if k == "tensorboard" or k.startswith(f"{lib_name}.utils.tensorboard")}
    for k in saved:
        del sys.modules[k]
    sys.modules["tensorboard"] = tensorboard_stub
    try:
        __import__(f"{lib_name}.utils.tensorboard")
    except ImportError as e:
        return e
    finally:
        for k in [k for k in sys.modules if k.startswith(f"{lib_name}.utils.tensorboard")]:
            del sys.modules[k]
        sys.modules.update(saved)
    raise AssertionError(f"{lib_name}.utils.tensorboard imported without tensorboard")


@pytest.mark.parametrize("version", [None, "1.14.0", "no version"])
def test_import_error_without_tensorboard(version):
    import types

    stub = None
    if version is not None:
        stub = types.ModuleType("tensorboard")
        if version != "no version":
            stub.__version__ = version
    assert_same_error(_import_error("torch", stub), _import_error("torchlike", stub))
    assert tl_tb.SummaryWriter is sys.modules["torchlike.utils.tensorboard"].SummaryWriter


def test_alias():
    code = ("import sys, torchlike._alias as a; a.install_alias()\n"
            "from torch.utils.tensorboard import SummaryWriter\n"
            "import torch.utils.tensorboard.summary as s\n"
            "import torchlike.utils.tensorboard as tl\n"
            "print(SummaryWriter is tl.SummaryWriter, s is tl.summary,\n"
            "      sys.modules['torch.utils.tensorboard'] is tl)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split() == ["True", "True", "True"], out.stderr
