"""The layout contract: vocabulary, html trees, layout <-> actions (DATA_FORMAT.md).

Imports nothing else of dlt_jax, so every other part can build on it (legality is jitted: it needs jax).
"""

from dlt_jax.layout.codec import (DEFAULT_STYLE, REASONS, Decoded, Encoded, LayoutError, OutputStyle,
                                  decode_layout, encode_layout, layout_element_types, split_layout)
from dlt_jax.layout.html import (CONTENT_KEYS, CompactClass, HtmlError, HtmlNode, HtmlTree, NodeKey,
                                 decompose_class, parse_html, parse_key)
from dlt_jax.layout.legality import DEFAULT_ROOT_ACTIONS, legal_action_mask
from dlt_jax.layout.jsonio import JsonObject, dump_json, load_json, to_json_object
from dlt_jax.layout.vocab import DEFAULT_VOCAB, Vocabulary

__all__ = [
    "CONTENT_KEYS", "CompactClass", "DEFAULT_ROOT_ACTIONS", "DEFAULT_STYLE", "DEFAULT_VOCAB", "Decoded", "Encoded", "HtmlError",
    "HtmlNode", "HtmlTree", "JsonObject", "LayoutError", "NodeKey", "OutputStyle", "REASONS", "Vocabulary",
    "decode_layout", "decompose_class", "dump_json", "encode_layout", "layout_element_types",
    "legal_action_mask", "load_json", "parse_html", "parse_key", "split_layout", "to_json_object",
]
