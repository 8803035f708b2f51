"""Summaries that carry a TensorBoard plugin's metadata: text, hyperparameters, PR curves,
custom-scalar layouts and meshes (re-exported by `summary`)."""
from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from ..._tensor import Tensor
from ._convert import make_np

logger = logging.getLogger(__name__.rpartition(".")[0] + ".summary")  # summary's logger


def _metadata(plugin_name: str, content: bytes = b"") -> SummaryMetadata:
    return SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=plugin_name,
                                                                  content=content))


def _dims(*sizes: int) -> TensorShapeProto:
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(s)) for s in sizes])


def text(tag: str, text: str) -> Summary:
    """A string for the "text" plugin, under the tag `tag + "/text_summary"`."""
    metadata = _metadata("text", TextPluginData(version=0).SerializeToString())
    proto = TensorProto(dtype="DT_STRING", string_val=[text.encode(encoding="utf_8")],
                        tensor_shape=_dims(1))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata,
                                        tensor=proto)])


def custom_scalars(layout: dict[str, dict[str, list[Any]]]) -> Summary:
    """A custom-scalars layout: {category: {chart title: ["Multiline", tags] or
    ["Margin", [value, lower, upper]]}}."""
    categories = []
    for category, charts in layout.items():
        built = []
        for title, (kind, tags) in ((t, spec[:2]) for t, spec in charts.items()):
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1],
                                                              upper=tags[2])
                built.append(layout_pb2.Chart(
                    title=title, margin=layout_pb2.MarginChartContent(series=[series])))
            else:
                built.append(layout_pb2.Chart(
                    title=title, multiline=layout_pb2.MultilineChartContent(tag=tags)))
        categories.append(layout_pb2.Category(title=category, chart=built))
    proto = TensorProto(dtype="DT_STRING",
                        string_val=[layout_pb2.Layout(category=categories).SerializeToString()],
                        tensor_shape=TensorShapeProto())
    return Summary(value=[Summary.Value(tag="custom_scalars__config__", tensor=proto,
                                        metadata=_metadata("custom_scalars"))])


def _check_hparams_args(hparam_dict: Any, metric_dict: Any, domains: Any) -> dict:
    for name, value in (("hparam_dict", hparam_dict), ("metric_dict", metric_dict)):
        if not isinstance(value, dict):
            logger.warning("parameter: %s should be a dictionary, nothing logged.", name)
            raise TypeError(f"parameter: {name} should be a dictionary, nothing logged.")
    domains = domains or {}
    if not isinstance(domains, dict):
        raise TypeError(
            "parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in domains.items():
        if (k not in hparam_dict or not isinstance(v, list)
                or not all(isinstance(d, type(hparam_dict[k])) for d in v)):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")
    return domains


def hparams(hparam_dict: dict | None = None, metric_dict: dict | None = None,
            hparam_domain_discrete: dict | None = None) -> tuple[Summary, Summary, Summary]:
    """The hparams plugin's three summaries: (experiment, session start, session end).
    As in torch, a bool value is recorded as a number (bool is an int)."""
    from tensorboard.plugins.hparams import metadata as hp
    from tensorboard.plugins.hparams.api_pb2 import (DataType, Experiment, HParamInfo,
                                                     MetricInfo, MetricName, Status)
    from tensorboard.plugins.hparams.plugin_data_pb2 import (HParamsPluginData, SessionEndInfo,
                                                             SessionStartInfo)

    domains = _check_hparams_args(hparam_dict, metric_dict, hparam_domain_discrete)
    infos = []
    start = SessionStartInfo()
    for name, value in hparam_dict.items():
        if value is None:
            continue
        if isinstance(value, Tensor):
            start.hparams[name].number_value = make_np(value)[0]
            infos.append(HParamInfo(name=name, type=DataType.Value("DATA_TYPE_FLOAT64")))
            continue
        # (value field, data type) by kind; the first that matches wins, so bools are numbers
        for kind, field, data_type in ((int, "number_value", "FLOAT64"),
                                       (float, "number_value", "FLOAT64"),
                                       (str, "string_value", "STRING"),
                                       (bool, "bool_value", "BOOL")):
            if isinstance(value, kind):
                break
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        setattr(start.hparams[name], field, value)
        domain = None
        if name in domains:
            domain = struct_pb2.ListValue(
                values=[struct_pb2.Value(**{field: d}) for d in domains[name]])
        infos.append(HParamInfo(name=name, type=DataType.Value("DATA_TYPE_" + data_type),
                                domain_discrete=domain))

    def summary(tag: str, **content: Any) -> Summary:
        data = HParamsPluginData(version=hp.PLUGIN_DATA_VERSION, **content)
        return Summary(value=[Summary.Value(
            tag=tag, metadata=_metadata(hp.PLUGIN_NAME, data.SerializeToString()))])

    experiment = Experiment(hparam_infos=infos,
                            metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    end = SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))
    return (summary(hp.EXPERIMENT_TAG, experiment=experiment),
            summary(hp.SESSION_START_INFO_TAG, session_start_info=start),
            summary(hp.SESSION_END_INFO_TAG, session_end_info=end))


def _pr_summary(tag: str, data: np.ndarray, num_thresholds: int) -> Summary:
    content = PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    proto = TensorProto(dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(),
                        tensor_shape=_dims(*data.shape[:2]))
    return Summary(value=[Summary.Value(tag=tag, metadata=_metadata("pr_curves", content),
                                        tensor=proto)])


def _np_or_value(x: Any) -> Any:
    return make_np(x) if isinstance(x, Tensor) else x


def pr_curve_raw(tag: str, tp: Any, fp: Any, tn: Any, fn: Any, precision: Any, recall: Any,
                 num_thresholds: int = 127, weights: Any = None) -> Summary:
    """A precision-recall curve from precomputed counts (at most 127 thresholds)."""
    data = np.stack([_np_or_value(x) for x in (tp, fp, tn, fn, precision, recall)])
    return _pr_summary(tag, data, min(num_thresholds, 127))


def pr_curve(tag: str, labels: Any, predictions: Any, num_thresholds: int = 127,
             weights: Any = None) -> Summary:
    """A precision-recall curve of `predictions` in [0, 1] against 0/1 `labels`."""
    num_thresholds = min(num_thresholds, 127)
    data = compute_curve(labels, predictions, num_thresholds=num_thresholds, weights=weights)
    return _pr_summary(tag, data, num_thresholds)


def compute_curve(labels: np.ndarray, predictions: np.ndarray, num_thresholds: int | None = None,
                  weights: Any = None) -> np.ndarray:
    """Rows tp, fp, tn, fn, precision, recall at each of `num_thresholds` thresholds."""
    weights = 1.0 if weights is None else _np_or_value(weights)
    bucket = np.int32(np.floor(predictions * (num_thresholds - 1)))
    positive = labels.astype(np.float64)

    def counts(weight: Any) -> np.ndarray:
        hist, _ = np.histogram(bucket, bins=num_thresholds, range=(0, num_thresholds - 1),
                               weights=weight * weights)
        return np.cumsum(hist[::-1])[::-1]  # count at or above each threshold

    tp, fp = counts(positive), counts(1.0 - positive)
    tn, fn = fp[0] - fp, tp[0] - tp
    tiny = 1e-7  # keeps 0 / 0 at 0
    precision = tp / np.maximum(tiny, tp + fp)
    recall = tp / np.maximum(tiny, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def mesh(tag: str, vertices: Any, colors: Any, faces: Any, config_dict: dict | None,
         display_name: str | None = None, description: str | None = None) -> Summary:
    """A 3D mesh: vertices, faces and colors (each BxNx3 or None) for the "mesh" plugin."""
    from tensorboard.plugins.mesh import metadata
    from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData

    from ... import as_tensor

    json_config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    parts = [(t, kind) for t, kind in ((vertices, MeshPluginData.VERTEX),
                                       (faces, MeshPluginData.FACE),
                                       (colors, MeshPluginData.COLOR)) if t is not None]
    components = metadata.get_components_bitmask([kind for _, kind in parts])
    values = []
    for tensor, kind in parts:
        tensor = as_tensor(tensor)
        tensor_metadata = metadata.create_summary_metadata(
            tag, display_name, kind, components, tensor.shape, description,
            json_config=json_config)
        proto = TensorProto(dtype="DT_FLOAT", float_val=tensor.reshape(-1).tolist(),
                            tensor_shape=_dims(*tensor.shape[:3]))
        values.append(Summary.Value(tag=metadata.get_instance_name(tag, kind), tensor=proto,
                                    metadata=tensor_metadata))
    return Summary(value=values)
