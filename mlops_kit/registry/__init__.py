"""Model registry: the metadata contract of model package versions, and registry operations."""
