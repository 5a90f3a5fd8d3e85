"""EKS APIs the training cluster's access and add-on resources call, absent from moto 5.2.5's EKS:
access entries and their access policies, add-ons, and pod identity associations.

moto routes EKS by URL: the routes below are added to `moto.eks.urls.url_paths`, and the actions to
`EKSResponse`. ARNs in paths (principal, policy) contain slashes, so the patterns are greedy and the
handlers take the path apart themselves.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult, EmptyResult
from moto.eks.exceptions import ResourceInUseException, ResourceNotFoundException
from moto.eks.responses import EKSResponse

ROUTES = (
    "{0}/clusters/(?P<name>[^/]+)/access-entries$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<entryPath>.+)$",
    "{0}/clusters/(?P<name>[^/]+)/addons$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$",
)
_ENTRY_PATH = re.compile(r"/clusters/([^/]+)/access-entries/(.+?)(?:/access-policies(?:/(.+))?)?$")


def _now() -> datetime:
    return datetime.now(UTC)


def _store(response: Any, kind: str) -> dict[Any, Any]:
    backend = response.eks_backend
    stores = backend.__dict__.setdefault("kit_cluster_objects", {})
    return stores.setdefault(kind, {})  # type: ignore[no-any-return]


def _cluster(response: Any) -> Any:
    name = response._get_param("name") or response.path.split("/")[2]
    cluster = response.eks_backend.clusters.get(name)
    if cluster is None:
        raise ResourceNotFoundException(clusterName=name, message=f"No cluster found for name: {name}.")
    return cluster


def _entry_parts(response: Any) -> tuple[str, str, str | None]:
    match = _ENTRY_PATH.search(unquote(response.path))
    if not match:
        raise ResourceNotFoundException(message=f"not an access entry path: {response.path}")
    cluster, principal, policy = match.groups()
    return cluster, principal, policy


def _access_entry(self: Any, principal: str) -> dict[str, Any]:
    cluster = _cluster(self)
    entry = _store(self, "access_entries").get((cluster.name, principal))
    if entry is None:
        raise ResourceNotFoundException(
            message=f"The specified access entry resource is not found: {principal}"
        )
    return entry  # type: ignore[no-any-return]


def create_access_entry(self: Any) -> ActionResult:
    cluster = _cluster(self)
    principal = self._get_param("principalArn")
    entries = _store(self, "access_entries")
    if (cluster.name, principal) in entries:
        raise ResourceInUseException(
            message=f"The specified access entry resource is already in use: {principal}"
        )
    now = _now()
    role_name = principal.rsplit("/", 1)[-1]
    entries[(cluster.name, principal)] = {
        "clusterName": cluster.name,
        "principalArn": principal,
        "kubernetesGroups": self._get_param("kubernetesGroups") or [],
        "accessEntryArn": f"arn:aws:eks:{self.region}:{self.current_account}:access-entry/{cluster.name}/"
        f"role/{self.current_account}/{role_name}/{uuid.uuid4().hex[:8]}",
        "createdAt": now,
        "modifiedAt": now,
        "tags": self._get_param("tags") or {},
        "username": self._get_param("username") or f"{principal}",
        "type": self._get_param("type") or "STANDARD",
    }
    return ActionResult({"accessEntry": entries[(cluster.name, principal)]})


def describe_access_entry(self: Any) -> ActionResult:
    _, principal, _ = _entry_parts(self)
    return ActionResult({"accessEntry": _access_entry(self, principal)})


def delete_access_entry(self: Any) -> ActionResult:
    cluster_name, principal, _ = _entry_parts(self)
    _access_entry(self, principal)
    del _store(self, "access_entries")[(cluster_name, principal)]
    _store(self, "access_policies").pop((cluster_name, principal), None)
    return EmptyResult()


def associate_access_policy(self: Any) -> ActionResult:
    cluster_name, principal, _ = _entry_parts(self)
    _access_entry(self, principal)
    now = _now()
    policy = {
        "policyArn": self._get_param("policyArn"),
        "accessScope": self._get_param("accessScope"),
        "associatedAt": now,
        "modifiedAt": now,
    }
    _store(self, "access_policies").setdefault((cluster_name, principal), {})[policy["policyArn"]] = policy
    return ActionResult(
        {"clusterName": cluster_name, "principalArn": principal, "associatedAccessPolicy": policy}
    )


def list_associated_access_policies(self: Any) -> ActionResult:
    cluster_name, principal, _ = _entry_parts(self)
    _access_entry(self, principal)
    policies = list(_store(self, "access_policies").get((cluster_name, principal), {}).values())
    return ActionResult(
        {"clusterName": cluster_name, "principalArn": principal, "associatedAccessPolicies": policies}
    )


def disassociate_access_policy(self: Any) -> ActionResult:
    cluster_name, principal, policy_arn = _entry_parts(self)
    policies = _store(self, "access_policies").get((cluster_name, principal), {})
    if policy_arn not in policies:
        raise ResourceNotFoundException(message=f"no association of {policy_arn} with {principal}")
    del policies[policy_arn]
    return EmptyResult()


def create_addon(self: Any) -> ActionResult:
    cluster = _cluster(self)
    name = self._get_param("addonName")
    addons = _store(self, "addons")
    if (cluster.name, name) in addons:
        raise ResourceInUseException(addonName=name, message=f"Addon already exists: {name}")
    now = _now()
    addons[(cluster.name, name)] = {
        "addonName": name,
        "clusterName": cluster.name,
        "status": "ACTIVE",  # Like the rest of moto's EKS: ready at once.
        "addonVersion": self._get_param("addonVersion") or "v0.0.0-eksbuild.1",
        "health": {"issues": []},
        "addonArn": f"arn:aws:eks:{self.region}:{self.current_account}:addon/{cluster.name}/{name}/"
        f"{uuid.uuid4().hex[:8]}",
        "createdAt": now,
        "modifiedAt": now,
        "tags": self._get_param("tags") or {},
        **({"serviceAccountRoleArn": arn} if (arn := self._get_param("serviceAccountRoleArn")) else {}),
        **({"configurationValues": cv} if (cv := self._get_param("configurationValues")) else {}),
    }
    return ActionResult({"addon": addons[(cluster.name, name)]})


def _addon(self: Any) -> tuple[tuple[str, str], dict[str, Any]]:
    cluster = _cluster(self)
    key = (cluster.name, self._get_param("addonName") or self.path.rstrip("/").split("/")[-1])
    addon = _store(self, "addons").get(key)
    if addon is None:
        raise ResourceNotFoundException(
            addonName=key[1], message=f"No addon: {key[1]} found in cluster: {key[0]}"
        )
    return key, addon


def describe_addon(self: Any) -> ActionResult:
    return ActionResult({"addon": _addon(self)[1]})


def delete_addon(self: Any) -> ActionResult:
    key, addon = _addon(self)
    del _store(self, "addons")[key]
    return ActionResult({"addon": {**addon, "status": "DELETING"}})


def create_pod_identity_association(self: Any) -> ActionResult:
    cluster = _cluster(self)
    associations = _store(self, "pod_identities")
    namespace, account = self._get_param("namespace"), self._get_param("serviceAccount")
    # A retry of the same request (the SDK resends a create whose answer was lost, with the same
    # clientRequestToken) gets the association it made, as in EKS, not a conflict.
    token = self._get_param("clientRequestToken")
    for existing in associations.values():
        if token and existing.get("_clientRequestToken") == token and existing["clusterName"] == cluster.name:
            return ActionResult({"association": _public(existing)})
    # Unique per cluster, as in EKS: other clusters of the account may use the same service account.
    if any(
        a["clusterName"] == cluster.name and a["namespace"] == namespace and a["serviceAccount"] == account
        for a in associations.values()
    ):
        raise ResourceInUseException(message=f"Association already exists for {namespace}/{account}")
    association_id = f"a-{uuid.uuid4().hex[:17]}"
    now = _now()
    associations[(cluster.name, association_id)] = {
        "clusterName": cluster.name,
        "namespace": namespace,
        "serviceAccount": account,
        "roleArn": self._get_param("roleArn"),
        "associationArn": f"arn:aws:eks:{self.region}:{self.current_account}:podidentityassociation/"
        f"{cluster.name}/{association_id}",
        "associationId": association_id,
        "tags": self._get_param("tags") or {},
        "createdAt": now,
        "modifiedAt": now,
        "disableSessionTags": bool(self._get_param("disableSessionTags")),
        "_clientRequestToken": token,
    }
    return ActionResult({"association": _public(associations[(cluster.name, association_id)])})


def _public(association: dict[str, Any]) -> dict[str, Any]:
    """The association as EKS describes it (without the emulator's bookkeeping)."""
    return {k: v for k, v in association.items() if not k.startswith("_")}


def _association(self: Any) -> tuple[tuple[str, str], dict[str, Any]]:
    cluster = _cluster(self)
    key = (cluster.name, self._get_param("associationId") or self.path.rstrip("/").split("/")[-1])
    association = _store(self, "pod_identities").get(key)
    if association is None:
        raise ResourceNotFoundException(message=f"Could not find association {key[1]}")
    return key, association


def describe_pod_identity_association(self: Any) -> ActionResult:
    return ActionResult({"association": _public(_association(self)[1])})


def delete_pod_identity_association(self: Any) -> ActionResult:
    key, association = _association(self)
    del _store(self, "pod_identities")[key]
    return ActionResult({"association": _public(association)})


ACTIONS = (
    create_access_entry,
    describe_access_entry,
    delete_access_entry,
    associate_access_policy,
    list_associated_access_policies,
    disassociate_access_policy,
    create_addon,
    describe_addon,
    delete_addon,
    create_pod_identity_association,
    describe_pod_identity_association,
    delete_pod_identity_association,
)


def install() -> None:
    """Add the routes and actions (moto 5.2.5 has none of these EKS APIs)."""
    from moto.eks import urls

    for route in ROUTES:
        urls.url_paths.setdefault(route, urls.response.dispatch)
    for action in ACTIONS:
        setattr(EKSResponse, action.__name__, action)
