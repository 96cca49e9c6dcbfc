"""`loads` and `dumps` as json's, without `import json`: the stand-in CLI (standin.py) starts
afresh for every `pulumi` call, some 500 times a run of the driver's tests, and `import json`
was about 9 ms of its ~20 ms start, nearly all of it `re` and the regexes that json's
pure-Python fallbacks compile at import.

json.loads and json.dumps (default arguments) do their work in CPython's C accelerator `_json`,
and that alone is used here, called as json calls it: `JSONDecoder.__init__` builds its scanner
with `_json.make_scanner(self)`, which reads the attributes `_Decoding` sets
(Lib/json/decoder.py; Modules/_json.c `scanner_new`), and `JSONEncoder.iterencode` builds
`c_make_encoder(markers, default, encode_basestring_ascii, indent, ": ", ", ", sort_keys,
skipkeys, allow_nan)` (Lib/json/encoder.py, CPython 3.10 to 3.13). Same C code, same values and
texts (tests/rollout_driver/test_standin_json.py compares them with json's).
"""

from __future__ import annotations

import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class _Decoding:
    """What `_json.make_scanner` reads off a json.JSONDecoder made with default arguments."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    # json's _CONSTANTS: "NaN", "Infinity", "-Infinity" -> the same floats float() gives.
    parse_constant = float


def _not_serializable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_scan = _json.make_scanner(_Decoding())
_SPACE = " \t\n\r"  # what JSON calls whitespace (json/decoder.py WHITESPACE)


def loads(text: str) -> Any:
    """json.loads(text); a ValueError (json's JSONDecodeError is one) for anything else."""
    start = len(text) - len(text.lstrip(_SPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as error:
        raise ValueError(f"no JSON value at character {error.value}") from None
    if text[end:].strip(_SPACE):
        raise ValueError(f"extra data at character {end}")
    return value


def dumps(value: Any) -> str:
    """json.dumps(value)."""
    encode = _json.make_encoder(
        {},  # markers, new for each call as json's: check_circular=True
        _not_serializable,
        _json.encode_basestring_ascii,  # ensure_ascii=True
        None,  # indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    return "".join(encode(value, 0))
