"""What the denoiser conditions on: the encoded screenshot and html of a batch, one record
(`DLTModel.encode` makes it once per batch; the denoiser reads it at every step)."""

from __future__ import annotations

import flax.struct
import jax


@flax.struct.dataclass
class Conditions:
    """The encoded screenshot and html of a batch: everything the denoiser conditions on."""

    patches: jax.Array      # b m d
    patch_valid: jax.Array  # b m
    patch_centers: jax.Array  # b m 2, (x, y) in [0, 1] of the screenshot
    c_i: jax.Array          # b n d
    c_g: jax.Array          # b d
    relations: jax.Array    # b n n
    pixels: jax.Array | None = None         # b m (p p 3) raw patch pixels, for model.box_pixels
    image_grid: jax.Array | None = None     # b 2 (rows, cols) of the patch grid
    image_present: jax.Array | None = None  # b bool: False where the screenshot was dropped
