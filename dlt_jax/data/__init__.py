"""Example readers (DATA_FORMAT §1.3) and, later, the grain input pipeline."""

from dlt_jax.data.example import DatasetError, Example, ExampleError
from dlt_jax.data.readers import (default_data_path, inference_example, read_examples, read_folder,
                                  read_manifest, read_splits)

__all__ = ["DatasetError", "Example", "ExampleError", "default_data_path", "inference_example",
           "read_examples", "read_folder", "read_manifest", "read_splits"]
