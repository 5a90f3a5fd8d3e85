"""The model contract: what a model folder (`models/<name>/`) must provide, and the offline check of it."""
