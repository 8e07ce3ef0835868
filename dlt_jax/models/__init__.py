"""The network (Flax NNX): screenshot and html encoders, fusion, and the DiT denoiser (DESIGN §3)."""

from dlt_jax.models.dlt import COMPUTE_DTYPES, Conditions, DLTModel, ModelSpec, Prediction, image_input_key
from dlt_jax.models.layers import TREE_RELATIONS, tree_relations
from dlt_jax.models.vit import VISION_ENCODERS

__all__ = ["COMPUTE_DTYPES", "Conditions", "DLTModel", "ModelSpec", "Prediction", "TREE_RELATIONS",
           "VISION_ENCODERS", "image_input_key", "tree_relations"]
