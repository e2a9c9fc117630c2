"""Nearest PDQ hashes fast: multi-index hashing over 16-bit chunks.

A 256-bit hash is cut into 16 chunks of 16 bits. Two hashes within distance 31 differ in at most
one bit in at least one chunk (16 chunks, 31 differing bits: some chunk has 0 or 1), so the
candidates of a query are the hashes whose chunk c equals the query's chunk c or one of its 16
one-bit neighbours, for some c: 16 x 17 bucket lookups, then an exact distance on those few.
Exact for max_distance <= 31; above that it falls back to a scan of every hash.

The buckets are one sorted array of (chunk number, chunk value) keys, so a bank of a million hashes
is three numpy arrays: 32 MB of hashes, 64 MB of positions, 8 MB of offsets.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

CHUNKS = 16
_NEIGHBOURS = np.array([0] + [1 << b for b in range(16)], dtype=np.uint32)  # xor masks: itself, then 1 bit off


def to_words(hexes: Iterable[str]) -> np.ndarray:
    """Hex hashes as an (n, 4) array of big-endian uint64 words."""
    raw = b"".join(bytes.fromhex(h) for h in hexes)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


class HashIndex:
    """An immutable index of PDQ hashes; `query` gives (position, distance) of those within a distance."""

    def __init__(self, words: np.ndarray):
        self.words = np.ascontiguousarray(words, dtype=np.uint64).reshape(-1, 4)
        n = len(self.words)
        chunks = self._chunks(self.words)  # (n, 16) uint32
        keys = (np.arange(CHUNKS, dtype=np.uint32)[None, :] << 16) | chunks  # chunk number in the high bits
        flat = keys.ravel()
        order = np.argsort(flat, kind="stable")
        self._positions = (order // CHUNKS).astype(np.int32)  # which hash each sorted key belongs to
        self._offsets = np.searchsorted(flat[order], np.arange(CHUNKS * 65536 + 1, dtype=np.uint32)).astype(np.int64)
        self.size = n

    @classmethod
    def from_hex(cls, hexes: Sequence[str]) -> "HashIndex":
        return cls(to_words(hexes) if len(hexes) else np.zeros((0, 4), dtype=np.uint64))

    @staticmethod
    def _chunks(words: np.ndarray) -> np.ndarray:
        shifts = np.array([48, 32, 16, 0], dtype=np.uint64)
        parts = (words[:, :, None] >> shifts[None, None, :]) & np.uint64(0xFFFF)
        return parts.reshape(len(words), CHUNKS).astype(np.uint32)

    def distances(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        bits = np.bitwise_count(np.take(self.words, positions, axis=0) ^ query[None, :])  # take: 5x fancy indexing
        return bits[:, 0] + bits[:, 1] + bits[:, 2] + bits[:, 3]  # faster than .sum(axis=1) on short rows

    def query(self, hex_hash: str, max_distance: int = 31) -> list[tuple[int, int]]:
        """(position, distance) of every hash within max_distance of this one, nearest first."""
        if self.size == 0:
            return []
        q = to_words([hex_hash])[0]
        if max_distance > 31:
            candidates = np.arange(self.size)
        else:
            chunk_keys = (np.arange(CHUNKS, dtype=np.uint32) << 16) | self._chunks(q[None, :])[0]
            probes = (chunk_keys[:, None] ^ _NEIGHBOURS[None, :]).ravel()  # stays inside its chunk's key range
            starts, ends = np.take(self._offsets, probes), np.take(self._offsets, probes + 1)
            lengths = ends - starts
            total = int(lengths.sum())
            if total == 0:
                return []
            before = np.cumsum(lengths) - lengths  # where each range begins among all candidates
            every = np.repeat(starts - before, lengths) + np.arange(total)  # each [start, end) range, no Python loop
            candidates = np.take(self._positions, every)  # a hash can come twice (two chunks near): settled below
        d = self.distances(q, candidates)
        keep = d <= max_distance
        found = sorted(set(zip(d[keep].tolist(), candidates[keep].tolist())))
        return [(p, dist) for dist, p in found]

    def linear(self, hex_hash: str, max_distance: int = 31) -> list[tuple[int, int]]:
        """The same answer by comparing with every hash (the baseline the index is measured against)."""
        if self.size == 0:
            return []
        q = to_words([hex_hash])[0]
        d = np.bitwise_count(self.words ^ q[None, :]).sum(axis=1)
        hits = np.nonzero(d <= max_distance)[0]
        return sorted(((int(p), int(d[p])) for p in hits), key=lambda x: (x[1], x[0]))
