"""A small typed schema for YAML mappings that reports every error at once.

MkDocs' idea: each option is declared once with its type, default and help text;
validation collects all problems (``file:line: message``) instead of stopping at the
first, so one run tells users everything to fix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from digest.errors import DigestError
from digest.model import Extra
from digest.words import strip_invisible
from digest.yamlfile import Located


class Invalid(ValueError):
    """Raised by a converter; the message completes "<key>: ..."."""


Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    name: str
    convert: Converter
    default: Any = None
    required: bool = False
    help: str = ""


def validate(
    located: Located, fields: Sequence[Field], path: tuple[str | int, ...] = ()
) -> tuple[dict[str, Any], list[DigestError]]:
    """Check the mapping at ``path`` against ``fields``; return values and errors."""
    data = located.data
    for part in path:
        data = data[part]
    errors: list[DigestError] = []
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        where = ".".join(str(p) for p in path) or "the file"
        errors.append(located.error(f"{where} must be a mapping of keys to values", *path))
        return {f.name: f.default for f in fields}, errors
    known = {f.name: f for f in fields}
    for key in data:
        if key not in known:
            hint = _closest(str(key), known)
            errors.append(located.error(f"unknown key {key!r}{hint}", *path, str(key)))
    values: dict[str, Any] = {}
    for f in fields:
        if f.name not in data or data[f.name] is None:
            if f.required:
                errors.append(located.error(f"missing required key {f.name!r}", *path))
            values[f.name] = f.default
            continue
        try:
            values[f.name] = f.convert(data[f.name])
        except Invalid as exc:
            errors.append(located.error(f"{f.name}: {exc}", *path, f.name))
            values[f.name] = f.default
    return values, errors


def _closest(key: str, known: Mapping[str, Field]) -> str:
    from rapidfuzz import fuzz, process

    match = process.extractOne(key, list(known), scorer=fuzz.ratio, score_cutoff=70)
    return f" (did you mean {match[0]!r}?)" if match else f"; known keys: {', '.join(known)}"


# --- converters -------------------------------------------------------------------


def string(value: Any) -> str:
    """Text, without invisible or direction-changing characters (they could
    disguise or reorder what readers see)."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return strip_invisible(str(value)).strip()
    raise Invalid(f"expected text, got {_type_name(value)}")


def positive_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise Invalid(f"expected a positive whole number, got {value!r}")


def non_negative_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise Invalid(f"expected a whole number, 0 or more, got {value!r}")


def extra(value: Any) -> Extra:
    """Settings of the site's own, for its templates: any YAML under names."""
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return Extra(value)
    if isinstance(value, Mapping):
        raise Invalid("expected names (text) as keys, as in 'extra: {contact: desk@example.org}'")
    raise Invalid(f"expected a mapping of names to values, got {_type_name(value)}")


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise Invalid(f"expected true or false, got {value!r}")


def http_url(value: Any) -> str:
    text = string(value).strip()
    if not text.lower().startswith(("http://", "https://")):
        raise Invalid(f"expected an http(s) URL, got {text!r}")
    return text


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: Any) -> str:
    """A BCP 47 tag's shape ("en", "pt-BR", "zh-Hant-TW"): it goes into every page's
    ``lang`` and the feed's ``xml:lang``, where anything else is invalid markup."""
    text = string(value)
    if not _LANGUAGE_TAG.fullmatch(text):
        raise Invalid(f"expected a language tag such as 'en' or 'pt-BR', got {text!r}")
    return text


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise Invalid(f"expected a date like 2021-05-20, got {value!r}")


def string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    raise Invalid(f"expected a list of words, got {_type_name(value)}")


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)
