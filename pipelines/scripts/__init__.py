"""Step scripts: run inside SageMaker containers (or the local runner) under the container contract."""
