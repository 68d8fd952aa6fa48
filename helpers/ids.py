"""AWS-shaped identifiers drawn from a numpy random generator, vectorised.

Access keys, principal ids, instance ids and event ids all have a fixed shape;
building them from one block of random bytes keeps a million of them cheap.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BASE32 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", dtype=np.uint8)
UPPER_DIGITS = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
ALNUM = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8
)


def random_strings(
    rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray
) -> list[str]:
    """``n`` random strings of ``length`` characters from ``alphabet``."""
    codes = alphabet[rng.integers(0, len(alphabet), size=(n, length))]
    return codes.view(f"S{length}").ravel().astype(str).tolist()


def random_array(rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray) -> pa.Array:
    codes = alphabet[rng.integers(0, len(alphabet), size=(n, length))]
    return pa.array(codes.view(f"S{length}").ravel(), type=pa.binary(length)).cast(pa.string())


def prefixed(
    rng: np.random.Generator, prefix: str, n: int, length: int, alphabet: np.ndarray
) -> list[str]:
    return [prefix + s for s in random_strings(rng, n, length, alphabet)]


def access_key(rng: np.random.Generator, temporary: bool = False) -> str:
    """``AKIA`` + 16 base32 characters (``ASIA`` for a session's temporary key)."""
    return prefixed(rng, "ASIA" if temporary else "AKIA", 1, 16, BASE32)[0]


def access_keys(rng: np.random.Generator, n: int, temporary: bool = True) -> pa.Array:
    body = random_array(rng, n, 16, BASE32)
    return pc.binary_join_element_wise("ASIA" if temporary else "AKIA", body, "")


def principal_id(rng: np.random.Generator, prefix: str) -> str:
    """``AIDA...`` for users, ``AROA...`` for roles: 4 + 17 characters."""
    return prefixed(rng, prefix, 1, 17, UPPER_DIGITS)[0]


def resource_id(rng: np.random.Generator, prefix: str, n: int = 1, length: int = 17) -> list[str]:
    """``i-0abc...``-style ids: prefix, then ``length`` hex digits (``i-`` + 17 for EC2)."""
    return prefixed(rng, prefix, n, length, HEX)


def uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random version-4 UUID strings, built as one byte matrix."""
    chars = HEX[rng.integers(0, 16, size=(n, 36), dtype=np.uint8)]
    chars[:, [8, 13, 18, 23]] = ord("-")
    chars[:, 14] = ord("4")
    chars[:, 19] = HEX[8 + rng.integers(0, 4, size=n)]
    return pa.array(chars.view("S36").ravel(), type=pa.binary(36)).cast(pa.string())
