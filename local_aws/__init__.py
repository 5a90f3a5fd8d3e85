"""The local twin of AWS: moto server on 127.0.0.1 (`server.py`, `serve.py`), extended where the kit needs
what moto lacks, one package per AWS service (`extensions.py` lists them), and the `kit local` and
`kit demo` commands (`commands/`). Installed with the `local` extra; the product never imports it."""
