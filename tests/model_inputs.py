"""Tiny model inputs built inline for the model and train-step tests (no data set needed)."""

import numpy as np

from configs import test as test_config
from dlt_jax.data.tokenize import GEOMETRY_FEATURES, HtmlTokenizer
from dlt_jax.layout import CONTENT_KEYS, DEFAULT_VOCAB
from dlt_jax.models import ModelSpec

MAX_PATCHES, PATCH_DIM = 16, 8 * 8 * 3


def tiny_config():
    return test_config.get_config()


def tiny_spec(max_patches: int = MAX_PATCHES, image_dim: int = PATCH_DIM) -> ModelSpec:
    vocab = DEFAULT_VOCAB
    return ModelSpec(vocab.size, tuple(vocab.action_id(t) for t in vocab.element_types),
                     HtmlTokenizer(tags=("div", "a", "h1"), tag_vocab_size=16, tag_hash_buckets=4,
                                   class_hash_buckets=256).sizes, image_dim, max_patches)


def tree_batch(node_counts, slots: int, seed: int = 0, max_patches: int = MAX_PATCHES,
               image_dim: int = PATCH_DIM) -> dict[str, np.ndarray]:
    """A batch shaped like the pipeline's: chains of nodes (node i's parent is i - 1, except every
    third node, a sibling), random features, actions and boxes, `slots` slots."""
    rng = np.random.default_rng(seed)
    b = len(node_counts)
    valid = np.arange(slots)[None, :] < np.asarray(node_counts)[:, None]
    parents = np.array([-1] + [i - 1 if i % 3 else max(i - 2, 0) for i in range(1, slots)], np.int32)
    rows, cols = 2, max_patches // 2
    vocab = DEFAULT_VOCAB
    return {
        "patches": rng.uniform(-1, 1, (b, max_patches, image_dim)).astype(np.float32),
        "patch_row": np.tile(np.repeat(np.arange(1, rows + 1), cols), (b, 1)).astype(np.int32),
        "patch_col": np.tile(np.tile(np.arange(1, cols + 1), rows), (b, 1)).astype(np.int32),
        "patch_valid": np.ones((b, max_patches), bool),
        "image_grid": np.tile([rows, cols], (b, 1)).astype(np.int32),
        "tag_id": (rng.integers(1, 5, (b, slots)) * valid).astype(np.int32),
        "class_ids": (rng.integers(0, 50, (b, slots, 8)) * valid[..., None]).astype(np.int32),
        "css_parts": (rng.integers(0, 3, (b, slots, 8, 5)) * valid[..., None, None]).astype(np.int32),
        "content_kinds": (rng.random((b, slots, len(CONTENT_KEYS))) < 0.3) & valid[..., None],
        "depth": (np.minimum(np.arange(slots), 31)[None] * valid).astype(np.int32),
        "sibling_index": (rng.integers(0, 4, (b, slots)) * valid).astype(np.int32),
        "child_count": (rng.integers(0, 4, (b, slots)) * valid).astype(np.int32),
        "parent_slot": np.where(valid, parents[None], -1).astype(np.int32),
        "class_part_ids": (rng.integers(0, 40, (b, slots, 16)) * valid[..., None]).astype(np.int32),
        "descendant_content": (rng.random((b, slots, len(CONTENT_KEYS))) < 0.3) & valid[..., None],
        "text_length": (rng.integers(1, 6, (b, slots)) * valid).astype(np.int32),
        "inline_text": (rng.random((b, slots)) < 0.2) & valid,
        "sibling_count": (rng.integers(0, 4, (b, slots)) * valid).astype(np.int32),
        "descendant_count": (rng.integers(0, 9, (b, slots)) * valid).astype(np.int32),
        "geometry": (rng.uniform(0, 1, (b, slots, len(GEOMETRY_FEATURES))) * valid[..., None]).astype(np.float32),
        "geometry_valid": valid.copy(),
        "alignment": (rng.integers(1, 17, (b, slots)) * valid).astype(np.int32),
        "rule_action": np.where(valid, rng.integers(2, vocab.size, (b, slots)), 0).astype(np.int32),
        "actions": np.where(valid, rng.integers(2, vocab.size, (b, slots)), 0).astype(np.int32),
        "boxes": (rng.uniform(-0.9, 0.9, (b, slots, 4)) * valid[..., None]).astype(np.float32),
        "slot_valid": valid, "box_valid": valid.copy(), "gen_action": valid.copy(),
        "gen_box": np.repeat(valid[..., None], 4, axis=-1),
        "example_valid": np.ones(b, bool),
    }
