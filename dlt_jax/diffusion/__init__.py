"""Noise schedules, masked (discrete) and gaussian (continuous) processes, the jitted sampler (DESIGN.md §4).

Empty until the issue that builds it lands; the package exists so imports have one home."""
