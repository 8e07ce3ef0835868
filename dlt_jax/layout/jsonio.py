"""JSON that keeps key order and duplicate keys, both ways.

Html objects and layouts repeat sibling keys (`li.item` three times); Python's
`dict` would silently keep only the last one, so every object is a `JsonObject`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


class JsonObject:
    """An ordered list of (key, value) pairs that may repeat keys.

    Behaves like a read-mostly mapping where that is unambiguous: `obj[key]`
    and `get` return the first value under `key`; iteration yields keys in
    order (repeats included); `items()` yields every pair.
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, Any]] | dict | None = None):
        if pairs is None:
            pairs = ()
        elif isinstance(pairs, (dict, JsonObject)):
            pairs = pairs.items()
        self._pairs: list[tuple[str, Any]] = [(str(k), v) for k, v in pairs]

    def items(self) -> list[tuple[str, Any]]:
        return list(self._pairs)

    def keys(self) -> list[str]:
        return [k for k, _ in self._pairs]

    def values(self) -> list[Any]:
        return [v for _, v in self._pairs]

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self._pairs:
            if k == key:
                return v
        return default

    def get_all(self, key: str) -> list[Any]:
        return [v for k, v in self._pairs if k == key]

    def append(self, key: str, value: Any) -> None:
        self._pairs.append((key, value))

    def __getitem__(self, key: str) -> Any:
        for k, v in self._pairs:
            if k == key:
                return v
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self._pairs)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsonObject):
            return self._pairs == other._pairs
        if isinstance(other, dict):
            return self._pairs == list(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"JsonObject({self._pairs!r})"


def load_json(text: str | bytes) -> Any:
    """Parses JSON text; every object becomes a `JsonObject` (order, repeats kept)."""
    return json.loads(text, object_pairs_hook=JsonObject)


def to_json_object(value: Any) -> Any:
    """Converts nested dicts (e.g. hand-built in Python) to `JsonObject`s."""
    if isinstance(value, (dict, JsonObject)):
        return JsonObject((k, to_json_object(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [to_json_object(v) for v in value]
    return value


def dump_json(value: Any, indent: int | None = None) -> str:
    """Writes JSON text, repeating duplicate keys as they were read."""
    parts: list[str] = []
    _write(value, indent, 0, parts)
    return "".join(parts)


def _write(value: Any, indent: int | None, level: int, out: list[str]) -> None:
    if isinstance(value, (JsonObject, dict)):
        items = list(value.items())
        _write_container("{", "}", items, indent, level, out, is_object=True)
    elif isinstance(value, (list, tuple)):
        _write_container("[", "]", list(value), indent, level, out, is_object=False)
    else:
        out.append(json.dumps(value, ensure_ascii=False, allow_nan=False))


def _write_container(open_: str, close: str, entries: list, indent: int | None,
                     level: int, out: list[str], is_object: bool) -> None:
    if not entries:
        out.append(open_ + close)
        return
    if indent is None:
        item_sep, head, tail, key_sep = ", ", "", "", ": "
    else:
        head = "\n" + " " * (indent * (level + 1))
        item_sep, tail, key_sep = "," + head, "\n" + " " * (indent * level), ": "
    out.append(open_ + head)
    for position, entry in enumerate(entries):
        if position:
            out.append(item_sep)
        if is_object:
            key, entry = entry
            out.append(json.dumps(str(key), ensure_ascii=False) + key_sep)
        _write(entry, indent, level + 1, out)
    out.append(tail + close)
