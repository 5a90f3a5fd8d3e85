"""Serving: what the endpoints run before and after promotion."""
