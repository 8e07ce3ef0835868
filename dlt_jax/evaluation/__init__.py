"""Structure and box metrics, the rule baseline, evaluation reports (DESIGN.md §7).

Empty until the issue that builds it lands; the package exists so imports have one home."""
