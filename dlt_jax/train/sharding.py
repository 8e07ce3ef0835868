"""Data parallelism over every device: a 1-D mesh `data`, batches split along it, weights replicated.

The same code runs on one CPU, 8 fake CPU devices in tests, a GPU, or the
hosts of a TPU slice (each host feeds its own rows of the global batch).
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DATA_AXIS = "data"


def make_mesh() -> Mesh:
    """All devices on one `data` axis; Auto axis types, so XLA propagates shardings through the model."""
    return jax.make_mesh((jax.device_count(),), (DATA_AXIS,), axis_types=(jax.sharding.AxisType.Auto,))


def replicated(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def check_batch_size(global_batch_size: int, mesh: Mesh, what: str = "data.batch_size") -> None:
    devices = mesh.devices.size
    if global_batch_size % devices:
        raise ValueError(f"{what} {global_batch_size} is not divisible by the {devices} devices of the mesh; "
                         f"use a multiple of {devices}")


def global_batch(local_batch: Mapping[str, np.ndarray], sharding: NamedSharding) -> dict[str, jax.Array]:
    """This host's rows of a batch -> global arrays split over the mesh's `data` axis."""
    return {key: jax.make_array_from_process_local_data(sharding, np.asarray(value))
            for key, value in local_batch.items()}
