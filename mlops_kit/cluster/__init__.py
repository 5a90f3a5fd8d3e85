"""The EKS training cluster: job manifests for `kit train --on eks`, the local run of a job's
workers, and preflight checks of what a deploy and a run would hit."""
