"""The bundled demo marketplace: catalogue generator, days with ground truth, its local server.

A marketplace like any other, started by its targets (hosting). May import run/ and everything below it; never
ops/, serve/ or cli/ (`auditor demo` hands its days ops' start_audit)."""

from auditor.demo.catalog import Catalog, DemoListing, generate
from auditor.demo.server import DemoServer, serve_demo
from auditor.demo.world import DemoWorld

__all__ = ["Catalog", "DemoListing", "DemoServer", "DemoWorld", "generate", "serve_demo", "score"]


def score(flagged: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float]:
    """Precision and recall of an audit's flagged listings against the ground truth."""
    true_pos = len(flagged & truth)
    precision = true_pos / len(flagged) if flagged else (1.0 if not truth else 0.0)
    recall = true_pos / len(truth) if truth else 1.0
    return precision, recall
