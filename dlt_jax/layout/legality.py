"""Which actions a slot may take, from the html tree alone (DATA_FORMAT §2): the per-slot logit
masks the sampler draws under, as a jitted function of the slot arrays."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from dlt_jax.layout.vocab import Vocabulary

DEFAULT_ROOT_ACTIONS = ("section",)


@functools.partial(jax.jit, static_argnames=("vocab", "root_actions"))
def legal_action_mask(parent_slot: jax.Array, sibling_index: jax.Array, slot_valid: jax.Array, vocab: Vocabulary,
                      root_actions: tuple[int | str, ...] | None = DEFAULT_ROOT_ACTIONS) -> jax.Array:
    """Per-slot logit masks `b n V` bool (True = allowed).

    parent_slot `b n` (-1: top level), sibling_index `b n`, slot_valid `b n`. A padding slot may only
    be PAD; a real slot never PAD or MASK; MERGE_LEFT needs a previous sibling (sibling_index > 0);
    MERGE_UP needs a parent (parent_slot >= 0); the root (slot 0 when it is top level) may only take
    `root_actions` (ids or action names, default the `section` type; None: no restriction). `vocab`
    and `root_actions` are static.
    """
    parent_slot, sibling_index = jnp.asarray(parent_slot), jnp.asarray(sibling_index)
    slot_valid = jnp.asarray(slot_valid, bool)
    ids = jnp.arange(vocab.size)
    real = (ids != vocab.pad_id) & (ids != vocab.mask_id)
    real = real & ~((ids == vocab.action_id("MERGE_LEFT")) & (sibling_index[..., None] <= 0))
    real = real & ~((ids == vocab.action_id("MERGE_UP")) & (parent_slot[..., None] < 0))
    if root_actions is not None:
        root_ids = np.array([a if isinstance(a, (int, np.integer)) else vocab.action_id(a) for a in root_actions],
                            np.int32)
        root_allowed = (ids[:, None] == jnp.asarray(root_ids)[None, :]).any(axis=-1)
        is_root = (jnp.arange(slot_valid.shape[-1]) == 0) & (parent_slot < 0)
        real = real & ~(is_root[..., None] & ~root_allowed)
    return jnp.where(slot_valid[..., None], real, ids == vocab.pad_id)
