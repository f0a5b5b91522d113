"""Each day's activity summed per tasker, packed (`core.workforce.rollup.member_day`), and summed over a range.

The table per tasker sums a month of activity per member: 700k rows at `large`, which SQLite reads
in seconds. The roll-up keeps, per UTC day and member region, one blob of the day's members
(ids, newline-separated, sorted) and one of their summed measures (fixed-size records in the same
order), so a month is a few dozen rows unpacked with numpy.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.workforce.quality import COUNTS, FLOAT_COUNTS

# Per member and day: whether any of its rows submitted a task, then each measure's sum; stored column after column.
COLUMNS = {"worked": np.dtype("<i1"), **{name: np.dtype("<f8" if name in FLOAT_COUNTS else "<i8") for name in COUNTS}}


def pack_day(rows: pd.DataFrame) -> tuple[bytes, bytes]:
    """One day's (and region's) per-member sums (`member_id`, `worked`, the measures) as (ids, columns) blobs."""
    rows = rows.sort_values("member_id")
    columns = b"".join(rows[name].to_numpy().astype(kind).tobytes() for name, kind in COLUMNS.items())
    return "\n".join(rows["member_id"].tolist()).encode("utf-8"), columns


def _columns(blobs, counts) -> dict[str, np.ndarray]:
    """The packed columns of several days, each concatenated over the days."""
    parts: dict[str, list] = {name: [] for name in COLUMNS}
    for blob, count in zip(blobs, counts):
        at = 0
        for name, kind in COLUMNS.items():
            parts[name].append(np.frombuffer(blob, dtype=kind, count=count, offset=at))
            at += kind.itemsize * count
    return {name: np.concatenate(values) if values else np.zeros(0, dtype=COLUMNS[name])
            for name, values in parts.items()}


def member_sums(ids, columns, counts) -> pd.DataFrame:
    """Sums per member over the packed days given (`ids` and `columns` blobs of the same rows, `counts` members
    each): member_id, each measure under its `COUNTS` name, active_days (days with a submitted task), by member."""
    # Split, hashed and sorted by Arrow: a month is 650k ids at `large`, several times slower as Python strings.
    days = pa.array([bytes(blob).decode("utf-8") for blob in ids if len(blob)], type=pa.string())
    encoded = pc.split_pattern(days, "\n").flatten().dictionary_encode()
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)] if len(order) else np.zeros(0, dtype="int64")
    members = encoded.dictionary.take(pa.array(order, type=pa.int64())).to_pandas(types_mapper=pd.ArrowDtype) \
        .astype("str")
    values = _columns([bytes(blob) for blob in columns], [int(count) for count in counts])
    sums = pd.DataFrame({"member_id": members})
    for name, label in COUNTS.items():
        total = np.bincount(codes, weights=values[name], minlength=len(members))
        sums[label] = total if name in FLOAT_COUNTS else total.round().astype("int64")
    sums["active_days"] = np.bincount(codes, weights=values["worked"], minlength=len(members)).astype("int64")
    return sums
