"""Response seconds packed per creation day and group (`core.queues.rollup.seconds`), and unpacked at read.

A median or p90 needs every value, not a sum, so the roll-up keeps each (creation day, queue,
priority, project) group's seconds as one sorted array of little-endian float64 in a blob: a
month's quarter million items read as a few thousand rows.
"""

import numpy as np

PACKED = np.dtype("<f8")


def pack(values) -> bytes:
    """The non-missing values, sorted, as a blob."""
    array = np.asarray(values, dtype="float64")
    return np.sort(array[~np.isnan(array)]).astype(PACKED).tobytes()


def unpack(blobs, items) -> np.ndarray:
    """Each blob's values followed by NaN up to its group's `items` (its items without a value), all concatenated."""
    counts = np.asarray(items, dtype="int64")
    out = np.full(int(counts.sum()), np.nan)
    at = 0
    for blob, count in zip(blobs, counts):
        values = np.frombuffer(bytes(blob), dtype=PACKED)
        out[at:at + len(values)] = values
        at += int(count)
    return out
