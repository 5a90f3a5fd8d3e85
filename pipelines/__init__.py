"""SageMaker pipeline definitions (built with the SageMaker Python SDK v3) and their step scripts."""
