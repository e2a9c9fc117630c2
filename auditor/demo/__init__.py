"""The bundled demo marketplace: catalogue generator with ground truth, and its local server."""

from auditor.demo.catalog import Catalog, DemoListing, generate
from auditor.demo.server import DemoServer, serve_demo

__all__ = ["Catalog", "DemoListing", "DemoServer", "generate", "serve_demo", "score"]


def score(flagged: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float]:
    """Precision and recall of an audit's flagged listings against the ground truth."""
    true_pos = len(flagged & truth)
    precision = true_pos / len(flagged) if flagged else (1.0 if not truth else 0.0)
    recall = true_pos / len(truth) if truth else 1.0
    return precision, recall
