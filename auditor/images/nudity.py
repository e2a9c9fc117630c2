"""The opt-in nudity detector: NudeNet's 320n model, on the CPU, through onnxruntime.

Installed with `pip install 'auditor[nudity]'`. NudeNet's wheel says MIT in its metadata but ships
an AGPL-3.0 LICENSE, so it is never a core dependency (the README says what that means). It gives
labels such as FACE_FEMALE, FEMALE_BREAST_EXPOSED or BUTTOCKS_COVERED with a score in 0..1; about
40-150 ms an image on 2 cores. It is a hint for a reviewer, never a verdict: a rule that uses it
says `image_nudity: {labels: [...], min_score: 0.6}`.

The image is decoded by Pillow under the same pixel cap as PDQ (`pdq.decode`), never by OpenCV
from scraped bytes.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import numpy as np

from auditor.images.pdq import decode


def available() -> bool:
    return importlib.util.find_spec("nudenet") is not None


@lru_cache(maxsize=1)
def _detector():
    from nudenet import NudeDetector  # loads its bundled 12 MB model once per process

    return NudeDetector()


def detect(data: bytes) -> list[tuple[str, float]]:
    """(label, score) of what the detector sees, highest score first, each label once (BadImage if unreadable)."""
    rgb = decode(data)
    found = _detector().detect(np.ascontiguousarray(rgb[:, :, ::-1]))  # NudeNet reads OpenCV's BGR
    best: dict[str, float] = {}
    for d in found:
        label, score = str(d["class"]), round(float(d["score"]), 3)
        best[label] = max(score, best.get(label, 0.0))
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
