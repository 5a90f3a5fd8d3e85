"""GPUs and vCPUs of the EC2 GPU instance types the kit's pools may use (from the EC2 instance type
pages; `aws ec2 describe-instance-types` gives the same). Used to refuse a job that asks for more
GPUs than a node has, and to size the vCPU quota a pool needs."""

from __future__ import annotations

from typing import NamedTuple

from mlops_kit.errors import BadInput


class GpuInstance(NamedTuple):
    gpus: int
    vcpus: int


def _sizes(family: str, table: dict[str, tuple[int, int]]) -> dict[str, GpuInstance]:
    return {f"{family}.{size}": GpuInstance(*counts) for size, counts in table.items()}


_G5_LIKE = {
    "xlarge": (1, 4),
    "2xlarge": (1, 8),
    "4xlarge": (1, 16),
    "8xlarge": (1, 32),
    "16xlarge": (1, 64),
    "12xlarge": (4, 48),
    "24xlarge": (4, 96),
    "48xlarge": (8, 192),
}
GPU_INSTANCES: dict[str, GpuInstance] = {
    **_sizes("g5", _G5_LIKE),
    **_sizes("g6", _G5_LIKE),
    **_sizes("g6e", _G5_LIKE),
    **_sizes(
        "g4dn",
        {
            "xlarge": (1, 4),
            "2xlarge": (1, 8),
            "4xlarge": (1, 16),
            "8xlarge": (1, 32),
            "16xlarge": (1, 64),
            "12xlarge": (4, 48),
            "metal": (8, 96),
        },
    ),
    **_sizes("p3", {"2xlarge": (1, 8), "8xlarge": (4, 32), "16xlarge": (8, 64)}),
    "p3dn.24xlarge": GpuInstance(8, 96),
    "p4d.24xlarge": GpuInstance(8, 96),
    "p4de.24xlarge": GpuInstance(8, 96),
    "p5.48xlarge": GpuInstance(8, 192),
    "p5e.48xlarge": GpuInstance(8, 192),
    "p5en.48xlarge": GpuInstance(8, 192),
}


def gpu_instance(instance_type: str) -> GpuInstance:
    """GPUs and vCPUs of `instance_type`; BadInput for a type the table does not know."""
    found = GPU_INSTANCES.get(instance_type)
    if found is None:
        raise BadInput(
            f"{instance_type} is not in the kit's GPU instance table",
            argument="instance_types",
            hint="add it to mlops_kit/cluster/gpu_instances.py",
        )
    return found


def quota_family(instance_type: str) -> str:
    """The EC2 vCPU quota family of a GPU instance: 'P' for p*, 'G' for g* (G and VT instances)."""
    return "P" if instance_type.startswith("p") else "G"
