"""The `kit` command line: thin typer commands over the core. No AWS logic lives here."""
