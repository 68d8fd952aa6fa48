"""The sealed debrief: the incident's true timeline, locked until every question is solved.

The data set may not hold the ground truth in the open, yet a learner who has
solved everything deserves to see how their findings compare with what really
happened. So the generator encrypts the timeline with a key made from the
*plaintext* answers, which only a solver has: each correct ``check`` records an
unlock token (an HMAC of the question id and the learner's canonical answer) in
their attempts log, and the tokens of all the required questions together open
the seal. Questions answered within a tolerance (a time, a rounded number) give
no exact text and are not required.

The cipher is a SHA-256 keystream with an HMAC tag (standard library only): it
keeps a spoiler out of reach, like the answer hashes; it is not meant to resist
a determined cryptanalyst.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from helpers.quiz.normalise import Normalised
from helpers.quiz.question import Question

SEALED_FILE = "debrief.sealed.json"


def required(questions: Iterable[Question]) -> list[str]:
    """Ids of the questions whose answers open the seal: exact answers of the storyline."""
    return sorted(
        q.id
        for q in questions
        if not q.id.startswith("start-here.") and not q.tolerance and q.kind != "float"
    )


def token(salt: bytes, qid: str, kind: str, n: Normalised) -> str:
    """The unlock token of a correct answer (its canonical text; sets in any order)."""
    values = sorted(n.values) if kind == "set" else list(n.values)
    message = "\x1f".join(["unlock", qid, *values]).encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()


def _key(tokens: Mapping[str, str], qids: list[str]) -> bytes:
    return hashlib.sha256("".join(tokens[q] for q in qids).encode()).digest()


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hashlib.sha256(key + nonce + i.to_bytes(8, "big")).digest() for i in range(blocks)
    )[:length]


def seal(payload: Any, tokens: Mapping[str, str], qids: list[str]) -> dict[str, Any]:
    """Encrypt a JSON-able payload under the tokens of ``qids``."""
    key = _key(tokens, qids)
    nonce = secrets.token_bytes(16)
    plain = json.dumps(payload).encode()
    cipher = bytes(a ^ b for a, b in zip(plain, _stream(key, nonce, len(plain)), strict=True))
    tag = hmac.new(key, nonce + cipher, hashlib.sha256).hexdigest()
    return {"required": qids, "nonce": nonce.hex(), "cipher": cipher.hex(), "tag": tag}


def open_seal(sealed: Mapping[str, Any], tokens: Mapping[str, str]) -> Any | None:
    """The payload, or None when a required token is missing or wrong."""
    qids = list(sealed["required"])
    if any(q not in tokens for q in qids):
        return None
    key = _key(tokens, qids)
    nonce, cipher = bytes.fromhex(sealed["nonce"]), bytes.fromhex(sealed["cipher"])
    tag = hmac.new(key, nonce + cipher, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(tag, sealed["tag"]):
        return None
    plain = bytes(a ^ b for a, b in zip(cipher, _stream(key, nonce, len(cipher)), strict=True))
    return json.loads(plain)


def write_sealed(
    dataset_dir: Path, payload: Any, tokens: Mapping[str, str], qids: list[str]
) -> Path:
    path = Path(dataset_dir) / SEALED_FILE
    path.write_text(json.dumps(seal(payload, tokens, qids)) + "\n")
    return path
