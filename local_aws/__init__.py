"""Local stand-ins for AWS: what imitates AWS on this machine, apart from the product."""
