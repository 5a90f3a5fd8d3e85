"""Names of the training cluster's Kubernetes-side objects, shared by the stacks (pod identity,
access entries) and `kit train` (manifests), so the two can never disagree."""

from __future__ import annotations

# The service account training pods run as; EKS Pod Identity maps it to the training role.
TRAINING_SERVICE_ACCOUNT = "training-job"
# The cluster autoscaler's service account (kube-system), mapped to the autoscaler's role.
AUTOSCALER_NAMESPACE = "kube-system"
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
# What training pods may read and write in the artifact bucket: nothing else.
DATA_PREFIX = "datasets/"
ARTIFACTS_PREFIX = "eks-training/"
# Role purposes (ResourceNames.role(purpose)).
SUBMITTER_ROLE = "training-submitter"
TRAINING_POD_ROLE = "training-pods"
AUTOSCALER_ROLE = "cluster-autoscaler"
# The label every node of a kit pool carries (set by the stacks, selected by `kit train`).
POOL_LABEL = "mlops-kit/pool"
