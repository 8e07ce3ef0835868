"""Train state, the pure train step, orbax checkpoints, sharding, the training loop (DESIGN.md §6).

Empty until the issue that builds it lands; the package exists so imports have one home."""
