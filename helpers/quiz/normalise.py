"""Turn whatever a learner gives into canonical text, or say what to fix.

One function, :func:`normalise`, serves the answer file's writer and the
checker alike (and, later, a server), so the two can never disagree. It never
raises: anything it cannot read comes back as a :class:`Normalised` with a
``problem`` that says what to fix ("write 10.0.0.1 without leading zeros").

What it accepts: text in any Unicode form (NFKC: full-width digits work), with
stray spaces, quotes or backticks; and values straight from a query: a
one-column DataFrame, a Series, a list or tuple, numpy scalars and arrays,
pandas Timestamps.

>>> normalise("  ＂010.0.0.1＂ ", Rules("ip")).problem
'write 10.0.0.1 without leading zeros (010 can be read as octal)'
>>> normalise("::ffff:10.0.0.1", Rules("ip")).values
('10.0.0.1',)
>>> normalise("b, A ;c", Rules("set")).values
('a', 'b', 'c')
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: The version of these rules; answers.json records it, and a checker refuses another.
NORMALISATION = 1
#: Longer answers are refused before any work is done on them.
MAX_CHARS = 100_000
#: Longest list, Series or column accepted as an answer.
MAX_ITEMS = 10_000

_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_QUOTES = {'"': '"', "'": "'", "`": "`", "“": "”", "‘": "’", "«": "»", "„": "“"}
_BRACKETS = {"[": "]", "(": ")", "{": "}"}
_SEPARATORS = re.compile(r"[\s,;、]+")
_V4_LIKE = re.compile(r"\d+(?:\.\d+){3}")
_V4_PORT = re.compile(r"(\d+(?:\.\d+){3}):(\d+)")
_INT = re.compile(r"[+-]?\d+")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:([, _'])\d{3})(?:\1\d{3})*(?:\.\d+)?")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_LETTER = re.compile(r"\(?([a-z])[).:]?")
_LETTER_PREFIX = re.compile(r"\(?([a-z])[).:]\s+(.+)")
_MAX_DIGITS = 4000


@dataclass(frozen=True)
class Rules:
    """What a question's answer must look like: all the checker needs to normalise.

    Built from a :class:`~helpers.quiz.question.Question` or from an entry of
    ``answers.json``, so the file's writer and its checker normalise alike.
    """

    kind: str
    choices: tuple[str, ...] = ()
    case_sensitive: bool = False
    decimals: int | None = None
    tolerance: float = 0.0

    @classmethod
    def of(cls, question: Any) -> Rules:
        """The rules of a Question (or any object with the same attributes)."""
        return cls(
            kind=question.kind,
            choices=tuple(question.choices),
            case_sensitive=bool(question.case_sensitive),
            decimals=question.decimals,
            tolerance=float(question.tolerance),
        )


@dataclass(frozen=True)
class Normalised:
    """Canonical text of an answer (one value, or one per element), or a problem.

    ``number`` is the value of a float, or the epoch seconds of a timestamp,
    for checks within a tolerance.
    """

    values: tuple[str, ...] = ()
    number: float | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Problem(ValueError):
    """Raised inside this module only; :func:`normalise` turns it into a problem."""


def normalise(value: Any, rules: Rules) -> Normalised:
    """Canonical form of ``value`` for a question's ``rules``; never raises.

    >>> normalise("1 234", Rules("int")).values
    ('1234',)
    >>> normalise("2026-03-05 14:02:11", Rules("timestamp")).values
    ('2026-03-05T14:02:11Z',)
    """
    try:
        return _normalise(value, rules)
    except _Problem as problem:
        return Normalised(problem=str(problem))
    except Exception as exc:  # the last line of defence: a checker never raises
        return Normalised(problem=f"could not read that answer ({type(exc).__name__})")


def clean_text(text: str) -> str:
    """NFKC, no zero-width characters, spaces collapsed, surrounding quotes gone.

    >>> clean_text("  `Admin  Role` ")
    'Admin Role'
    """
    text = unicodedata.normalize("NFKC", text)
    text = " ".join(_ZERO_WIDTH.sub("", text).split())
    while len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text


# -- containers -------------------------------------------------------------------------------


def _normalise(value: Any, rules: Rules) -> Normalised:
    items = _items(value)
    if rules.kind in ("set", "list"):
        return _many(items, rules)
    if not items:
        raise _Problem("empty answer: no value given")
    if len(items) > 1:
        raise _Problem(f"expected one value, got {len(items)}")
    item = items[0]
    if _is_container(item):
        raise _Problem("expected one value, got a nested list")
    if _is_missing(item):
        raise _Problem("no answer given")
    parse = _SCALARS.get(rules.kind)
    if parse is None:
        raise _Problem(f"unknown answer kind {rules.kind!r}")
    return parse(item, rules)


_CONTAINERS = (list, tuple, set, frozenset, np.ndarray, pd.Series, pd.DataFrame, pd.Index, Mapping)


def _is_container(value: Any) -> bool:
    return isinstance(value, _CONTAINERS)


def _items(value: Any) -> list[Any]:
    """The values a learner gave, as a flat list (one value for a scalar)."""
    if isinstance(value, pd.DataFrame):
        if value.shape[1] == 0:
            return []
        if value.shape[1] > 1:
            raise _Problem(
                f"that table has {value.shape[1]} columns: pick one, e.g. df[{value.columns[0]!r}]"
            )
        value = value.iloc[:, 0]
    if isinstance(value, pd.Series | pd.Index):
        _check_count(len(value))
        return value.tolist()
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return [value.item()]
        if value.ndim == 2 and value.shape[1] == 1:
            value = value.ravel()
        if value.ndim != 1:
            raise _Problem(f"expected a list of values, got an array of shape {value.shape}")
        _check_count(len(value))
        return value.tolist()
    if isinstance(value, Mapping):
        raise _Problem("expected a value or a list, got a dict")
    if isinstance(value, list | tuple):
        _check_count(len(value))
        return list(value)
    if isinstance(value, set | frozenset):
        _check_count(len(value))
        return sorted(value, key=repr)
    return [value]


def _check_count(n: int) -> None:
    if n > MAX_ITEMS:
        raise _Problem(f"{n:,} values is far too many for an answer")


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    if isinstance(value, decimal.Decimal):
        return value.is_nan()
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


def _many(items: list[Any], rules: Rules) -> Normalised:
    elements: list[str] = []
    chars = 0
    for item in items:
        if _is_container(item):
            raise _Problem("nested lists: give a flat list of values")
        if _is_missing(item):
            continue
        text = _as_text(item)
        chars += len(text)
        if chars > MAX_CHARS:
            raise _Problem(f"that answer is over {MAX_CHARS:,} characters long: answers are short")
        text = clean_text(text)
        if len(text) >= 2 and _BRACKETS.get(text[0]) == text[-1]:
            text = text[1:-1]
        for token in _SEPARATORS.split(text):
            token = clean_text(token)
            if token:
                elements.append(element(token, rules.case_sensitive))
        _check_count(len(elements))
    if not elements:
        raise _Problem("empty answer: no values given")
    if rules.kind == "set":
        return Normalised(values=tuple(sorted(set(elements))))
    return Normalised(values=tuple(elements))


def element(token: str, case_sensitive: bool = False) -> str:
    """Canonical text of one element of a set or list answer.

    An address becomes its canonical form, a whole number loses leading zeros
    and grouping, anything else is text (case-folded unless ``case_sensitive``).
    Raises ``ValueError`` on an address written with leading zeros.

    >>> element("::FFFF:10.0.0.1"), element("0443"), element("Admin")
    ('10.0.0.1', '443', 'admin')
    """
    token = clean_text(token)
    if _V4_LIKE.fullmatch(token) or (":" in token and _maybe_v6(token)):
        return _ip_text(token)
    if _INT.fullmatch(token) and len(token) <= _MAX_DIGITS:
        return str(int(token))
    return token if case_sensitive else token.casefold()


def _maybe_v6(token: str) -> bool:
    try:
        ipaddress.IPv6Address(token)
    except ValueError:
        return False
    return True


# -- scalars ----------------------------------------------------------------------------------


def _as_text(value: Any) -> str:
    """A scalar as text: str as is, bytes decoded, numbers and times spelled out."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        if len(value) > MAX_CHARS:
            raise _Problem(f"that answer is {len(value):,} characters long: answers are short")
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if len(raw) > MAX_CHARS:
            raise _Problem(f"that answer is {len(raw):,} bytes long: answers are short")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Problem("could not read those bytes as UTF-8 text") from None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        if value.bit_length() > _MAX_DIGITS * 3:
            raise _Problem("that number is far too long")
        return str(value)
    if isinstance(value, float | decimal.Decimal):
        if not math.isfinite(value):
            raise _Problem("that is not a number")
        return str(int(value)) if value == int(value) else repr(float(value))
    if isinstance(value, dt.datetime | dt.date | np.datetime64):
        return _iso(_epoch(value))
    raise _Problem(f"cannot read a {type(value).__name__} as an answer")


def _text(value: Any, rules: Rules) -> Normalised:
    text = clean_text(_as_text(value))
    if not text:
        raise _Problem("empty answer")
    return Normalised(values=(text if rules.case_sensitive else text.casefold(),))


def _choice(value: Any, rules: Rules) -> Normalised:
    text = clean_text(_as_text(value)).casefold()
    options = [clean_text(c).casefold() for c in rules.choices]
    last = chr(ord("a") + len(options) - 1) if options else "a"
    if text in options:
        return Normalised(values=(text,))
    letter = _LETTER.fullmatch(text)
    prefixed = _LETTER_PREFIX.fullmatch(text)
    if prefixed and prefixed.group(2) in options:
        return Normalised(values=(prefixed.group(2),))
    if letter or prefixed:
        index = ord((letter or prefixed).group(1)) - ord("a")  # type: ignore[union-attr]
        if index < len(options):
            return Normalised(values=(options[index],))
        raise _Problem(f"there are only {len(options)} choices: a to {last}")
    raise _Problem(f"answer with a letter (a to {last}) or the text of one of the choices")


def _ip(value: Any, rules: Rules) -> Normalised:
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        raise _Problem("give the address in its usual form, e.g. 203.0.113.7")
    text = clean_text(_as_text(value))
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        text = text[1:-1]
    port = _V4_PORT.fullmatch(text)
    if port:
        raise _Problem(f"give the address without the port: {port.group(1)}")
    if "/" in text:
        address, _, prefix = text.partition("/")
        if prefix not in ("32", "128"):
            raise _Problem(f"give one address, not a network ({_short(text)})")
        text = address
    return Normalised(values=(_ip_text(text),))


def _ip_text(text: str) -> str:
    if _V4_LIKE.fullmatch(text):
        octets = text.split(".")
        if any(len(o) > 3 or int(o) > 255 for o in octets):
            raise _Problem(f"{_short(text)} is not an IP address: each part is 0 to 255")
        if any(len(o) > 1 and o.startswith("0") for o in octets):
            fixed = ".".join(str(int(o)) for o in octets)
            raise _Problem(
                f"write {fixed} without leading zeros ({octets[0]} can be read as octal)"
                if octets[0].startswith("0") and len(octets[0]) > 1
                else f"write {fixed} without leading zeros"
            )
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise _Problem(f"{_short(text)} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _int(value: Any, rules: Rules) -> Normalised:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        raise _Problem(f"expected a whole number, got {value}")
    if isinstance(value, int):
        return Normalised(values=(_as_text(value),), number=None)
    if isinstance(value, float | decimal.Decimal):
        if not math.isfinite(value):
            raise _Problem("that is not a number")
        if value != int(value):
            raise _Problem(f"expected a whole number, got {value}")
        return Normalised(values=(str(int(value)),))
    text = clean_text(_as_text(value))
    if len(text) > _MAX_DIGITS:
        raise _Problem("that number is far too long")
    if _INT.fullmatch(text):
        return Normalised(values=(str(int(text)),))
    if _GROUPED.fullmatch(text):
        text = re.sub(r"[, _']", "", text)
        if _INT.fullmatch(text):
            return Normalised(values=(str(int(text)),))
    if _FLOAT.fullmatch(text):
        number = float(text)
        if math.isfinite(number) and number == int(number):
            return Normalised(values=(str(int(number)),))
        raise _Problem(f"expected a whole number, got {_short(text)}")
    raise _Problem(f"expected a whole number like 1234, got {_short(text)}")


def _float(value: Any, rules: Rules) -> Normalised:
    number = _number(value)
    # -0.0 + 0.0 is 0.0
    canonical = repr(number + 0.0) if rules.decimals is None else _round(number, rules.decimals)
    return Normalised(values=(canonical,), number=number)


def _number(value: Any) -> float:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        raise _Problem(f"expected a number, got {value}")
    if isinstance(value, int | float | decimal.Decimal):
        try:
            number = float(value)
        except OverflowError:
            raise _Problem("that number is far too large") from None
    else:
        text = clean_text(_as_text(value))
        if text.endswith("%"):
            raise _Problem("give the number without the % sign")
        if _GROUPED.fullmatch(text):
            text = re.sub(r"[, _']", "", text)
        if not _FLOAT.fullmatch(text) or len(text) > _MAX_DIGITS:
            raise _Problem(f"expected a number like 12.5, got {_short(text)}")
        number = float(text)
    if not math.isfinite(number):
        raise _Problem("that is not a finite number")
    return number


def _round(number: float, decimals: int) -> str:
    """``number`` rounded half away from zero, with exactly ``decimals`` places."""
    context = decimal.Context(prec=1000, rounding=decimal.ROUND_HALF_UP)
    exact = decimal.Decimal(repr(number))
    rounded = exact.quantize(decimal.Decimal(1).scaleb(-decimals), context=context)
    if rounded == 0:
        rounded = abs(rounded)
    return f"{rounded:f}"


def _timestamp(value: Any, rules: Rules) -> Normalised:
    seconds = _epoch(value)
    return Normalised(values=(_iso(seconds),), number=seconds)


def _epoch(value: Any) -> float:
    """Seconds since the epoch (UTC) of a time in any of the accepted forms."""
    if isinstance(value, np.datetime64):
        try:
            value = pd.Timestamp(value)
        except (ValueError, OverflowError):
            raise _Problem("that time is out of range") from None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return _checked((value if value.tzinfo else value.tz_localize("UTC")).timestamp())
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=_UTC)
        return _checked((value - _EPOCH).total_seconds())
    if isinstance(value, dt.date):
        midnight = dt.datetime(value.year, value.month, value.day, tzinfo=_UTC)
        return _checked((midnight - _EPOCH).total_seconds())
    if isinstance(value, bool):
        raise _Problem(f"expected a time, got {value}")
    if isinstance(value, int | float | decimal.Decimal):
        return _from_number(float(value))
    text = clean_text(_as_text(value))
    if _FLOAT.fullmatch(text):
        return _from_number(float(text))
    iso = re.sub(r"\s*(?:UTC|GMT|Z)$", "+00:00", text, flags=re.IGNORECASE)
    try:
        parsed = dt.datetime.fromisoformat(iso)
    except ValueError:
        raise _Problem(
            f"could not read {_short(text)} as a time: use ISO-8601, e.g. 2026-03-05T14:02:11Z"
        ) from None
    return _epoch(parsed)


def _from_number(number: float) -> float:
    """Epoch seconds; a number too large for seconds is read as milliseconds."""
    if not math.isfinite(number):
        raise _Problem("that is not a time")
    if 1e11 <= abs(number) < 1e14:
        number /= 1000.0
    return _checked(number)


def _checked(seconds: float) -> float:
    if not math.isfinite(seconds) or not -62135596800 <= seconds < 253402300800:
        raise _Problem("that time is out of range (years 1 to 9999)")
    return seconds


def _iso(seconds: float) -> str:
    """``2026-03-05T14:02:11Z``: the whole second a time falls in."""
    t = _EPOCH + dt.timedelta(seconds=math.floor(seconds))
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


_SCALARS = {
    "text": _text,
    "choice": _choice,
    "ip": _ip,
    "int": _int,
    "float": _float,
    "timestamp": _timestamp,
}
