"""ml_collections configs: `get_config()` files, each with the command that runs it in its docstring."""
