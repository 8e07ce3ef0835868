"""dlt_jax: website sections to page-builder layouts with joint discrete-continuous diffusion."""

from setuptools import find_packages, setup

setup(
    name="dlt_jax",
    version="0.1.0",
    description="Website sections (screenshot + html tree) to nested page-builder layouts, "
                "with DLT-style layout diffusion in JAX/Flax.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["dlt_jax", "dlt_jax.*", "data_tools", "data_tools.*", "configs"]),
    include_package_data=True,
    package_data={"dlt_jax": ["data/bundled/**/*", "data/embedded/**/*", "data/real/**/*", "pretrained/**/*"]},
    install_requires=[
        "jax~=0.10.2",
        "flax~=0.12.8",
        "optax~=0.2.8",
        "orbax-checkpoint~=0.12.8",
        "grain~=0.2.18",
        "tensorflow-datasets~=4.9.10",
        "array_record~=0.8.6",
        "einops~=0.8.1",
        "pillow>=11,<14",
        "ml_collections~=1.1.0",
        "absl-py~=2.3",
        "tqdm~=4.67",
        "pyyaml~=6.0",
        "numpy>=2.0,<3",
        "matplotlib>=3.9,<4",
        "playwright~=1.55",
        "tensorboardX~=2.6",
        "apted~=1.0.3",
    ],
    extras_require={
        # the Beam pipeline for the synthetic data (data_tools.synth.beam); it holds protobuf below 7
        "beam": ["apache-beam~=2.77"],
        "test": ["pytest~=9.0", "hypothesis~=6.140", "nbclient~=0.11", "nbformat~=5.11", "ipykernel~=7.4",
                 "apache-beam~=2.77"],
    },
)
