"""dlt_jax: website sections (screenshot + html tree) to nested page-builder layouts."""

__version__ = "0.1.0"
