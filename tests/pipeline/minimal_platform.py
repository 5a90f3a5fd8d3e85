"""Only the parts of an environment's platform that the training pipeline touches, created with
boto3 in seconds (the full `platform` fixture deploys every stack with Terraform)."""

from __future__ import annotations

import json

from mlops_kit.config import Environment, ResourceNames
from mlops_kit.pipeline.platform import PlatformFacts, resolve_platform
from tests.conftest import admin_clients


def create_minimal_platform(env: Environment) -> PlatformFacts:
    """Bucket, KMS alias, roles, VPC subnets and security group, model package group of `env`."""
    clients = admin_clients(env)
    names = ResourceNames(env)
    s3, ec2, iam, kms = (clients.client(s) for s in ("s3", "ec2", "iam", "kms"))
    sagemaker = clients.client("sagemaker")
    s3.create_bucket(Bucket=names.artifact_bucket)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=names.kms_alias, TargetKeyId=key)
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    for purpose in ("sagemaker-execution", "pipeline"):
        iam.create_role(RoleName=names.role(purpose), AssumeRolePolicyDocument=trust)
    vpc = ec2.create_vpc(CidrBlock=env.network.cidr)["Vpc"]["VpcId"]
    for index, (cidr, zone) in enumerate(
        zip(env.network.subnet_cidrs(), env.availability_zones, strict=True)
    ):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        ec2.create_tags(Resources=[subnet], Tags=[{"Key": "Name", "Value": f"{names.vpc}-private-{index}"}])
    ec2.create_security_group(GroupName=f"{names.base}-workloads", Description="workloads", VpcId=vpc)
    for model in env.models:
        sagemaker.create_model_package_group(ModelPackageGroupName=names.model_package_group(model))
    return resolve_platform(clients, env)
