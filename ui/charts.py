"""`core.charts` for pages: each chart is built once per content and kept as a ready Vega-Lite spec.

Building an Altair chart and turning it into a spec costs 5–15 ms, on every rerun of every
session, for charts whose data has not changed. Here a chart is keyed by its builder and
arguments (frames by their content), and the spec is kept with its data already as Arrow
bytes, which `st.vega_lite_chart` sends as they are. Pages import this module in place of
`core.charts`; `ui.widgets.chart` and `clickable_chart` take what it returns.
"""

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import pandas as pd
from streamlit import dataframe_util

from core import charts as _charts
from core.charts import BAD, GOOD, NEUTRAL, PALETTE, WARN  # noqa: F401  (the colours pages pass in)
from ui.widgets import vega_lite_spec

MEMO_SIZE = 256  # specs kept (LRU); each holds a chart's aggregate rows only
_memo: OrderedDict[bytes, dict] = OrderedDict()
_lock = threading.Lock()


def _fingerprint(value) -> bytes:
    if isinstance(value, pd.DataFrame):
        rows = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        shape = repr((list(value.columns), [str(kind) for kind in value.dtypes]))
        return b"frame:" + rows + shape.encode()
    if isinstance(value, (list, tuple)):
        return b"[" + b",".join(_fingerprint(item) for item in value) + b"]"
    return repr(value).encode()


def _with_arrow_data(spec: dict) -> dict:
    # Streamlit internals, guarded by tests/app/test_streamlit_internals.py: the same converter
    # `st.vega_lite_chart` runs on every dataset on every rerun, which sends a dataset that is
    # already bytes as it is. Measured: 0.25 ms for a 12-row frame, 0.4 ms for the 168-cell week
    # heatmap, 0.9 ms for a 360-row dated frame; a page shows 4-8 charts, so 2-5 ms a warm rerun.
    datasets = spec.get("datasets")
    if datasets:
        spec["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(frame)
                            if isinstance(frame, pd.DataFrame) else frame for name, frame in datasets.items()}
    return spec


def _memoised(builder: Callable) -> Callable[..., dict]:
    @functools.wraps(builder)
    def build(*args, **kwargs) -> dict:
        try:
            parts = [builder.__name__.encode(), *map(_fingerprint, args),
                     *(name.encode() + b"=" + _fingerprint(value) for name, value in sorted(kwargs.items()))]
        except TypeError:  # unhashable cells: build it every time
            return _with_arrow_data(vega_lite_spec(builder(*args, **kwargs)))
        key = hashlib.blake2b(b"\x00".join(parts), digest_size=16).digest()
        with _lock:
            spec = _memo.get(key)
            if spec is not None:
                _memo.move_to_end(key)
                return spec
        spec = _with_arrow_data(vega_lite_spec(builder(*args, **kwargs)))
        with _lock:
            _memo[key] = spec
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
        return spec

    return build


line = _memoised(_charts.line)
bars = _memoised(_charts.bars)
heatmap = _memoised(_charts.heatmap)
estimates = _memoised(_charts.estimates)
line_with_rule = _memoised(_charts.line_with_rule)
week_hours = _memoised(_charts.week_hours)
