"""mlops-kit core: configuration, AWS access, registry, promotion, serving and drift.

The local twin of AWS (emulator, local runner, model host) lives apart, in `local_aws/`; nothing here
imports it.

The core never prints and never imports typer, rich or cdktf; the CLI and the stacks build on it.
"""

__version__ = "0.1.0"
