"""Training pipelines: upload code and data, upsert, start, follow; and the local runner that executes
a pipeline definition inside the emulator."""
