"""Canonical JSON and fingerprints: the one way plain data becomes bytes in fupin-rules.

Used for fingerprints of rule sets and calendars and for every JSON the library writes, so that
the same data always gives the same bytes: keys sorted, no insignificant whitespace, exact
decimals written as JSON numbers, non-ASCII kept as UTF-8.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

__all__ = [
    "EXACT",
    "canonical_json",
    "decimal_text",
    "digest",
    "dumps",
    "escape_lone_surrogates",
    "exact_json",
    "fingerprint",
    "fragment",
    "plain",
    "raw_json",
    "render_number",
]

EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)
"""A context that never rounds: used where numbers are only rewritten, never computed, so the
caller's decimal settings cannot change the text."""


PLAIN_DIGITS = 400
"""Numbers whose decimal exponent is beyond this are written with their exponent."""


def render_number(value: Decimal | int | float) -> str:
    """A number as its shortest exact text.

    ``Decimal('3535.00')`` gives ``3535`` and ``Decimal('0.50')`` gives ``0.5``.
    """
    if type(value) is Decimal:
        text = decimal_text(value)
        if text is not None:
            return text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if not value.is_finite():
        msg = f"not a finite number: {value}"
        raise ValueError(msg)
    if abs(value.adjusted()) > PLAIN_DIGITS:
        # Written out, 1E+999999999999 would take a terabyte (records are hashed before their
        # numbers are checked): such a number keeps its exponent. No number within the record
        # and rule-file limits is this large or small, so no result is written this way.
        return format(value.normalize(EXACT), "E")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(EXACT), "f")


def decimal_text(value: Decimal) -> str | None:
    """:func:`render_number` of a finite decimal written without an exponent (the usual case),
    from its text: trailing zeros of the fraction dropped, ``-0`` as ``0``. None for other
    decimals (exponent notation, NaN, infinities), which take the general way."""
    text = str(value)
    if "E" in text or not (text[0].isdigit() or text[1:2].isdigit()):
        return None
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


_AS_THEY_ARE = frozenset({str, int, bool, type(None)})


def plain(value: Any) -> Any:
    """Turn data into JSON-ready values: Decimal to an exact text-backed number, tuples to lists."""
    # The exact types a finding's values hold take one look-up each; anything else (a
    # subclass, a float, a mapping of another type) goes the general way below.
    t = type(value)
    if t in _AS_THEY_ARE:
        return value
    if t is Decimal:
        text = decimal_text(value)
        return _Number(text if text is not None else render_number(value))
    if t is dict or t is MappingProxyType:
        return {k if type(k) is str else str(k): plain(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [plain(v) for v in value]
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Decimal | float):
        return _Number(render_number(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    msg = f"cannot turn {type(value).__name__} into JSON"
    raise TypeError(msg)


class _Number(float):
    """A float subclass carrying its exact decimal text, so json writes that text verbatim."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> _Number:
        obj = super().__new__(cls, text)
        obj.text = text
        return obj

    def __repr__(self) -> str:
        return self.text


class _Encoder(json.JSONEncoder):
    def iterencode(self, o: Any, _one_shot: bool = False) -> Any:
        # The C encoder formats floats itself; the Python one calls float.__repr__ via
        # floatstr, which we route to the exact text.
        return json.encoder._make_iterencode(  # type: ignore[attr-defined]
            {} if self.check_circular else None,
            self.default,
            _encode_str,
            self.indent,
            lambda f: f.text if isinstance(f, _Number) else float.__repr__(f),
            self.key_separator,
            self.item_separator,
            self.sort_keys,
            self.skipkeys,
            _one_shot,
        )(o, 0)


_encode_str = json.encoder.encode_basestring


def dumps(value: Any, *, indent: int | None = None) -> str:
    """Deterministic JSON text of ``value`` (keys sorted, exact decimals, UTF-8 kept).

    With orjson installed the compact form is written by orjson, exact numbers passed as raw
    fragments: the same text, several times faster. Anything orjson refuses (lone surrogates,
    integers beyond 64 bits) is written by the standard library encoder.
    """
    if indent is None and _FRAGMENT is not None:
        try:
            raw: bytes = _orjson.dumps(_fragments(value), option=_orjson.OPT_SORT_KEYS)
            return raw.decode("utf-8")
        except (TypeError, _orjson.JSONEncodeError):
            pass
    separators = (",", ":") if indent is None else (",", ": ")
    return _Encoder(
        ensure_ascii=False, sort_keys=True, separators=separators, indent=indent
    ).encode(plain(value))


_orjson: Any
try:  # optional: see dumps
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    _orjson = None
_FRAGMENT: Any = getattr(_orjson, "Fragment", None)
_LEAVES = frozenset({str, int, bool, type(None)})
_TUPLES: dict[tuple[Any, ...], Any] = {}


def _fragments(value: Any) -> Any:
    """As :func:`plain`, with exact numbers as orjson raw fragments."""
    t = type(value)
    if t in _LEAVES:
        return value
    if t is dict:
        return {
            k if type(k) is str else str(k): v if type(v) in _LEAVES else _fragments(v)
            for k, v in value.items()
        }
    if t is Decimal or t is float:
        return _FRAGMENT(render_number(value))
    if t is tuple and len(value) and type(value[0]) is str:
        # Tuples of text recur (a criterion's sources in every finding): written once.
        found = _TUPLES.get(value)
        if found is None:
            found = _FRAGMENT(_orjson.dumps([_fragments(v) for v in value]))
            if len(_TUPLES) < 4096:
                _TUPLES[value] = found
        return found
    if t is list or t is tuple:
        return [v if type(v) in _LEAVES else _fragments(v) for v in value]
    if t is _Number:
        return _FRAGMENT(value.text)
    if t is _FRAGMENT:
        return value
    if isinstance(value, Mapping):
        return _fragments(dict(value))
    if isinstance(value, str | int):
        return value
    msg = f"cannot turn {t.__name__} into JSON"
    raise TypeError(msg)


def raw_json(value: Any) -> bytes | None:
    """The canonical JSON bytes of ``value`` by orjson; None if orjson is not installed or
    refuses the value (the caller then uses :func:`dumps`)."""
    if _FRAGMENT is None:
        return None
    try:
        raw: bytes = _orjson.dumps(_fragments(value), option=_orjson.OPT_SORT_KEYS)
    except (TypeError, _orjson.JSONEncodeError):
        return None
    return raw


def fragment(raw: bytes) -> Any:
    """Bytes from :func:`raw_json` to place verbatim inside a value given to :func:`dumps`."""
    return _FRAGMENT(raw)


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of ``value``: what a fingerprint hashes."""
    return dumps(value).encode("utf-8")


def digest(value: Any) -> str | None:
    """``sha256:<hex>`` of the canonical JSON of ``value`` (a checked record), or None if it
    is not JSON-like data (a Python object, a NaN): such a record has no digest to check.

    The bytes hashed are :func:`dumps`'s. Where orjson is installed they are written by it
    directly, decimals through a hook (a record holds few), which is about twice as fast as
    converting the whole value first; anything that path refuses is written by :func:`dumps`.
    """
    if _FRAGMENT is not None:
        try:
            raw: bytes = _orjson.dumps(value, default=_hooked, option=_orjson.OPT_SORT_KEYS)
        except (TypeError, ValueError, _orjson.JSONEncodeError):
            pass
        else:
            return "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        return fingerprint(value)
    except (TypeError, ValueError):
        return None


def _hooked(value: Any) -> Any:
    """What orjson cannot write itself, as :func:`_fragments` writes it."""
    if type(value) is Decimal:
        return _FRAGMENT(render_number(value))
    if isinstance(value, Mapping):
        return dict(value)
    msg = f"cannot turn {type(value).__name__} into JSON"
    raise TypeError(msg)


def exact_json(value: Any) -> bytes | None:
    """:func:`dumps`'s bytes of ``value`` written by orjson in one pass, exact decimals through
    a ``default=`` hook (no copy of the data first); None if orjson is not installed or
    refuses the value (a lone surrogate, an integer beyond 64 bits, a key that is not text),
    and the caller then uses :func:`dumps`.

    Only for data that holds no ``float``: orjson writes floats itself (``2.0``, ``1e16``),
    where :func:`dumps` writes their exact decimal text (``2``, ``10000000000000000``).
    Results of evaluation qualify: records are checked into exact decimals and the language
    computes with them."""
    if _FRAGMENT is None:
        return None
    try:
        raw: bytes = _orjson.dumps(value, default=_hooked, option=_orjson.OPT_SORT_KEYS)
    except (TypeError, ValueError, _orjson.JSONEncodeError):
        return None
    return raw


_LONE = re.compile("[\ud800-\udfff]")


def escape_lone_surrogates(text: str) -> str:
    """JSON text that UTF-8 can carry: each lone surrogate (which only a string read from
    JSON such as ``"\\ud800"`` can hold) written back as that escape of four hex digits,
    which means the same character inside a JSON string (outside strings JSON text is
    ASCII)."""
    if _LONE.search(text) is None:
        return text
    return _LONE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fingerprint(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()
