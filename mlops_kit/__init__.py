"""mlops-kit core: configuration, AWS access, registry, promotion, drift and the local emulator.

The core never prints and never imports typer, rich or cdktf; the CLI and the stacks build on it.
"""

__version__ = "0.1.0"
