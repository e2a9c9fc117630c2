"""Image signals: perceptual hashes (PDQ), hash banks of confirmed images, and what images carry."""

from auditor.images.pdq import Pdq, hash_image, dihedral_hashes
from auditor.images.index import HashIndex

__all__ = ["Pdq", "hash_image", "dihedral_hashes", "HashIndex"]
