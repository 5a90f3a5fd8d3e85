"""The twin's EKS answers the access-entry, add-on and pod-identity APIs the cluster stacks call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import Emulator

ADMIN = "arn:aws:iam::123456789012:role/platform/admins"
POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


@pytest.fixture(scope="module")
def eks(emulator: Emulator) -> Iterator[Any]:
    client = boto3.client("eks", region_name="us-east-1", endpoint_url=emulator.endpoint_url)
    client.create_cluster(
        name="objects",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    yield client
    client.delete_cluster(name="objects")


pytestmark = pytest.mark.emulator


def test_access_entry_of_a_role_with_a_path_is_described_after_creation(eks: Any) -> None:
    eks.create_access_entry(clusterName="objects", principalArn=ADMIN, type="STANDARD")
    entry = eks.describe_access_entry(clusterName="objects", principalArn=ADMIN)["accessEntry"]
    assert (entry["principalArn"], entry["type"]) == (ADMIN, "STANDARD")


def test_access_policy_association_is_listed_with_its_scope_and_removed(eks: Any) -> None:
    principal = "arn:aws:iam::123456789012:role/submitter"
    eks.create_access_entry(clusterName="objects", principalArn=principal)
    scope = {"type": "namespace", "namespaces": ["training"]}
    eks.associate_access_policy(
        clusterName="objects", principalArn=principal, policyArn=POLICY, accessScope=scope
    )
    listed = eks.list_associated_access_policies(clusterName="objects", principalArn=principal)
    assert [(p["policyArn"], p["accessScope"]) for p in listed["associatedAccessPolicies"]] == [
        (POLICY, scope)
    ]
    eks.disassociate_access_policy(clusterName="objects", principalArn=principal, policyArn=POLICY)
    listed = eks.list_associated_access_policies(clusterName="objects", principalArn=principal)
    assert listed["associatedAccessPolicies"] == []


def test_deleted_access_entry_is_not_found(eks: Any) -> None:
    principal = "arn:aws:iam::123456789012:role/leaver"
    eks.create_access_entry(clusterName="objects", principalArn=principal)
    eks.delete_access_entry(clusterName="objects", principalArn=principal)
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_access_entry(clusterName="objects", principalArn=principal)


def test_addon_is_active_at_its_pinned_version_until_deleted(eks: Any) -> None:
    eks.create_addon(
        clusterName="objects", addonName="eks-pod-identity-agent", addonVersion="v1.3.4-eksbuild.1"
    )
    addon = eks.describe_addon(clusterName="objects", addonName="eks-pod-identity-agent")["addon"]
    assert (addon["status"], addon["addonVersion"]) == ("ACTIVE", "v1.3.4-eksbuild.1")
    eks.delete_addon(clusterName="objects", addonName="eks-pod-identity-agent")
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_addon(clusterName="objects", addonName="eks-pod-identity-agent")


def test_pod_identity_association_maps_a_service_account_to_its_role(eks: Any) -> None:
    created = eks.create_pod_identity_association(
        clusterName="objects",
        namespace="training",
        serviceAccount="training-job",
        roleArn="arn:aws:iam::123456789012:role/training-pods",
    )["association"]
    described = eks.describe_pod_identity_association(
        clusterName="objects", associationId=created["associationId"]
    )["association"]
    assert (described["namespace"], described["serviceAccount"], described["roleArn"]) == (
        "training",
        "training-job",
        "arn:aws:iam::123456789012:role/training-pods",
    )


def test_a_retried_pod_identity_association_create_gets_the_same_association(eks: Any) -> None:
    """A create resent with the same clientRequestToken (the SDK's retry after a lost answer) is the
    same request, as in EKS; a new request for the same service account conflicts."""
    request = {
        "clusterName": "objects",
        "namespace": "retries",
        "serviceAccount": "job",
        "roleArn": "arn:aws:iam::123456789012:role/training-pods",
    }
    first = eks.create_pod_identity_association(**request, clientRequestToken="token-1")["association"]
    again = eks.create_pod_identity_association(**request, clientRequestToken="token-1")["association"]
    assert again["associationId"] == first["associationId"]
    with pytest.raises(eks.exceptions.ResourceInUseException):
        eks.create_pod_identity_association(**request, clientRequestToken="token-2")
