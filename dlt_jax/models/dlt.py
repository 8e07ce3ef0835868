"""The whole network: screenshot + html encoders, fusion, and the DiT denoiser (DESIGN §3).

`encode` runs once per example (the conditions do not depend on the noise), so
a sampler calls it once and `denoise` at every step. With `model.roi_pool = k`
each node's html token gets what the node looks like (the patch tokens pooled
in its DOM box, `fusion.NodeLook`) before fusion, and a training pass returns
both sides for the html-pixel alignment loss (`Prediction.alignment`). With `data.node_crop = S`
each node's token also gets its own pixel views read at the stored resolution (`models.crops`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
from flax import nnx

from dlt_jax.models.conditions import Conditions
from dlt_jax.models.crops import NodeCrops
from dlt_jax.models.dit import Denoiser
from dlt_jax.models.fusion import Fusion, NodeLook
from dlt_jax.models.html import HtmlEncoder
from dlt_jax.models.layers import patch_centers, tree_relations
from dlt_jax.models.vit import VISION_ENCODERS, ScreenshotEncoder

COMPUTE_DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the data fixes about the network's shapes; stored beside every checkpoint (JSON)."""

    vocab_size: int
    type_action_ids: tuple[int, ...]          # action id of each element type (presence head order)
    feature_sizes: Mapping[str, int]          # html feature embedding table sizes (HtmlTokenizer.sizes)
    image_input_dim: int                      # patch pixels (p * p * 3) or precomputed feature size
    max_patches: int
    node_crop: int = 0                        # side of each node's pixel views (data.node_crop; 0: none)

    def to_json(self) -> dict[str, Any]:
        spec = {"vocab_size": self.vocab_size, "type_action_ids": list(self.type_action_ids),
                "feature_sizes": dict(self.feature_sizes), "image_input_dim": self.image_input_dim,
                "max_patches": self.max_patches}
        return {**spec, "node_crop": self.node_crop} if self.node_crop else spec

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ModelSpec":
        return cls(int(data["vocab_size"]), tuple(int(i) for i in data["type_action_ids"]),
                   {k: int(v) for k, v in data["feature_sizes"].items()}, int(data["image_input_dim"]),
                   int(data["max_patches"]), int(data.get("node_crop", 0)))


def image_input_key(model_config: Any) -> str:
    """The batch key the screenshot encoder reads: pixel patches, or an external encoder's features."""
    encoder = model_config.vision.encoder
    if encoder not in VISION_ENCODERS:
        raise ValueError(f"model.vision.encoder {encoder!r} not in {VISION_ENCODERS}")
    return "patches" if encoder == "vit" else "image_features"


@flax.struct.dataclass
class Alignment:
    """Both sides of the html-pixel alignment loss, in a shared space (float32)."""

    html: jax.Array    # b n e: each node's html token
    look: jax.Array    # b n e: the patch tokens pooled in each node's DOM box
    valid: jax.Array   # b n bool: a real slot with a given box and a kept screenshot


@flax.struct.dataclass
class Prediction:
    action_logits: jax.Array            # b n V, float32
    boxes: jax.Array                    # b n 4, x0 in [-1, 1]
    presence_logits: jax.Array | None   # b T
    alignment: Alignment | None = None  # with model.roi_pool, from a training pass (`__call__`)


def dom_box_given(batch: Mapping[str, jax.Array]) -> jax.Array:
    """`b n` bool: slots whose DOM box may be read by the encoder: a real slot with a box, none of whose
    coordinates is generated (`gen_box`), since in generation the DOM box is the target."""
    return batch["slot_valid"] & batch["box_valid"] & ~jnp.any(batch["gen_box"], axis=-1)


class DLTModel(nnx.Module):
    def __init__(self, spec: ModelSpec, config: Any, *, rngs: nnx.Rngs):
        if config.dtype not in COMPUTE_DTYPES:
            raise ValueError(f"model.dtype {config.dtype!r} not in {tuple(COMPUTE_DTYPES)}")
        self.image_key = image_input_key(config)
        common = dict(num_heads=config.num_heads, mlp_ratio=config.mlp_ratio, dtype=COMPUTE_DTYPES[config.dtype],
                      implementation=config.attention or None, rngs=rngs)
        dim = config.d_model
        vision = config.vision
        shifted = bool(vision.get("shifted_patches", False))
        if shifted and self.image_key != "patches":
            raise ValueError("model.vision.shifted_patches shifts screenshot pixels: it needs "
                             "model.vision.encoder='vit'")
        self.screenshot = ScreenshotEncoder(spec.image_input_dim, spec.max_patches, dim, config.vit_layers,
                                            shifted_patches=shifted,
                                            locality_attention=bool(vision.get("locality_attention", False)),
                                            **common)
        self.html = HtmlEncoder(spec.feature_sizes, dim, config.html_layers, **common)
        self.fusion = Fusion(dim, config.fusion_layers, **common)
        self.box_pixels = int(config.get("box_pixels", 0))
        if self.box_pixels and self.image_key != "patches":
            raise ValueError("model.box_pixels samples raw screenshot pixels: it needs model.vision.encoder='vit'")
        self.denoiser = Denoiser(spec.vocab_size, len(spec.type_action_ids), dim, config.dit_layers,
                                 cross_attention=config.dit_cross_attn, presence_head=config.presence_head,
                                 box_patch_bias=config.get("box_patch_bias", False), box_pixels=self.box_pixels,
                                 **common)
        roi_pool = int(config.get("roi_pool", 0))
        self.look = NodeLook(dim, roi_pool, dtype=common["dtype"], rngs=rngs) if roi_pool else None
        self.crops = NodeCrops(spec.node_crop, dim, dtype=common["dtype"], rngs=rngs) if spec.node_crop else None

    def encode(self, batch: Mapping[str, jax.Array], drop_image: jax.Array, drop_html: jax.Array) -> Conditions:
        """The conditions of a batch (see the pipeline's keys); drop_* `b` bool drop a modality (CFG)."""
        return self.encode_aligned(batch, drop_image, drop_html)[0]

    def encode_aligned(self, batch: Mapping[str, jax.Array], drop_image: jax.Array,
                       drop_html: jax.Array) -> tuple[Conditions, Alignment | None]:
        """`encode`, and with model.roi_pool the alignment pair of the nodes (else None)."""
        patches, pooled = self.screenshot(batch[self.image_key], batch["patch_row"], batch["patch_col"],
                                          batch["patch_valid"], drop_image)
        relations = tree_relations(batch["parent_slot"])
        nodes = self.html(batch, relations, drop_html)
        alignment = None
        if self.look is not None:
            seen = dom_box_given(batch) & ~drop_image[:, None]
            look, raw_look = self.look(patches, batch["patch_row"], batch["patch_col"], batch["patch_valid"],
                                       batch["image_grid"], batch["boxes"], seen)
            alignment = Alignment(*self.look.alignment(nodes, raw_look), seen)
            nodes = nodes + look
        if self.crops is not None:
            nodes = nodes + self.crops(batch["node_crops"], dom_box_given(batch) & ~drop_image[:, None])
        c_i, c_g = self.fusion(nodes, batch["slot_valid"], relations, patches, batch["patch_valid"], pooled)
        centers = patch_centers(batch["patch_row"], batch["patch_col"], batch["image_grid"])
        if not self.box_pixels:
            return Conditions(patches, batch["patch_valid"], centers, c_i, c_g, relations), alignment
        return Conditions(patches, batch["patch_valid"], centers, c_i, c_g, relations, batch[self.image_key],
                          batch["image_grid"], jnp.logical_not(drop_image)), alignment

    def denoise(self, conditions: Conditions, noisy_actions: jax.Array, noisy_boxes: jax.Array, u: jax.Array,
                gen_action: jax.Array, gen_box: jax.Array, slot_valid: jax.Array,
                with_presence: bool = False) -> Prediction:
        """One denoising pass at time fraction `u` `b` (see Denoiser); `with_presence`: also the presence
        logits (training's auxiliary loss; sampling does not read them)."""
        logits, boxes, presence = self.denoiser(conditions, noisy_actions, noisy_boxes, u, gen_action, gen_box,
                                                slot_valid, with_presence)
        return Prediction(logits, boxes, presence)

    def __call__(self, batch: Mapping[str, jax.Array], noisy_actions: jax.Array, noisy_boxes: jax.Array,
                 u: jax.Array, drop_image: jax.Array, drop_html: jax.Array) -> Prediction:
        conditions, alignment = self.encode_aligned(batch, drop_image, drop_html)
        prediction = self.denoise(conditions, noisy_actions, noisy_boxes, u, batch["gen_action"], batch["gen_box"],
                                  batch["slot_valid"], with_presence=True)
        return prediction.replace(alignment=alignment)
