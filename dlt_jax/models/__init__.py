"""Flax NNX networks: screenshot ViT, html node encoder, fusion, the DiT denoiser (DESIGN.md §3).

Empty until the issue that builds it lands; the package exists so imports have one home."""
