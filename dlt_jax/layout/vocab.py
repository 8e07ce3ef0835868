"""Element types, background props and the per-node action vocabulary.

The defaults follow DATA_FORMAT §1.2 and §2; a dataset may add element types
or props through configuration (`Vocabulary.extended`), never silently.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence

LAYOUT_TYPES = ("section", "grid", "column", "wrapper", "freedom")
BASIC_TYPES = ("heading", "paragraph", "button", "icon", "image", "list", "map",
               "qr", "counter", "divider", "video", "marquee")
ADVANCED_TYPES = ("carousel", "accordion", "tab", "social", "gallery", "masonry")
DEFAULT_ELEMENT_TYPES = LAYOUT_TYPES + BASIC_TYPES + ADVANCED_TYPES
DEFAULT_PROPS = ("bi", "bo", "bv")

PAD = "PAD"
MASK = "MASK"
DROP = "DROP"
MERGE_UP = "MERGE_UP"
MERGE_LEFT = "MERGE_LEFT"
SPECIAL_ACTIONS = (PAD, MASK)
STRUCTURAL_ACTIONS = (DROP, MERGE_UP, MERGE_LEFT)

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


def prop_action(prop: str) -> str:
    """`bi` -> `PROP_BI`."""
    return "PROP_" + prop.upper()


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """Element types and props, and the action ids derived from them.

    Action ids: PAD, MASK, DROP, MERGE_UP, MERGE_LEFT, PROP_* (one per prop),
    then one per element type, in that order, so extending the vocabulary
    appends ids and never renumbers the structural ones.
    """

    element_types: tuple[str, ...] = DEFAULT_ELEMENT_TYPES
    props: tuple[str, ...] = DEFAULT_PROPS

    def __post_init__(self):
        for kind, names in (("element type", self.element_types), ("prop", self.props)):
            for name in names:
                if not _NAME.match(name):
                    raise ValueError(
                        f"{kind} name {name!r} must match [a-z][a-z0-9_]* "
                        "(no '@' or '.', which separate the parts of an output key)")
            duplicates = sorted({n for n in names if list(names).count(n) > 1})
            if duplicates:
                raise ValueError(f"duplicate {kind} names: {duplicates}")

    @classmethod
    def extended(cls, element_types: Iterable[str] = (), props: Iterable[str] = ()) -> "Vocabulary":
        """The default vocabulary plus extra element types / props."""
        return cls(DEFAULT_ELEMENT_TYPES + tuple(element_types), DEFAULT_PROPS + tuple(props))

    @property
    def prop_actions(self) -> tuple[str, ...]:
        return tuple(prop_action(p) for p in self.props)

    @functools.cached_property
    def actions(self) -> tuple[str, ...]:
        return SPECIAL_ACTIONS + STRUCTURAL_ACTIONS + self.prop_actions + self.element_types

    @property
    def size(self) -> int:
        return len(self.actions)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def mask_id(self) -> int:
        return 1

    def action_id(self, action: str) -> int:
        try:
            return self._ids[action]
        except KeyError:
            raise ValueError(f"unknown action {action!r}; known: {', '.join(self.actions)}") from None

    def action_name(self, action_id: int) -> str:
        if not 0 <= int(action_id) < self.size:
            raise ValueError(f"action id {action_id} outside [0, {self.size})")
        return self.actions[int(action_id)]

    def action_ids(self, actions: Sequence[str]) -> list[int]:
        return [self.action_id(a) for a in actions]

    def action_names(self, ids: Iterable[int]) -> list[str]:
        return [self.action_name(i) for i in ids]

    def is_type(self, action: str) -> bool:
        return action in self._types

    def prop_of(self, action: str) -> str | None:
        """`PROP_BI` -> `bi`; None for any other action."""
        return self._props_by_action.get(action)

    @functools.cached_property
    def _ids(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.actions)}

    @functools.cached_property
    def _types(self) -> frozenset[str]:
        return frozenset(self.element_types)

    @functools.cached_property
    def _props_by_action(self) -> dict[str, str]:
        return {prop_action(p): p for p in self.props}


DEFAULT_VOCAB = Vocabulary()
