"""Image signals: perceptual hashes (PDQ), hash banks of confirmed images, provenance, seller networks, the
opt-in nudity detector, and a run's picture work (taker).

May import evidence/, crawl/, rules/, sites/, the store and the shared vocabulary; never run/ or above.
"""

from auditor.images.index import HashIndex
from auditor.images.pdq import Pdq, hash_image, dihedral_hashes

__all__ = ["Pdq", "hash_image", "dihedral_hashes", "HashIndex"]
