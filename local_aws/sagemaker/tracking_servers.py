"""SageMaker managed MLflow tracking servers in the emulator (moto 5.2.5 has none of their API).

Enough for Terraform's `aws_sagemaker_mlflow_tracking_server` and the kit: create, describe, update,
list, delete, and tags on the server's ARN. A server is created at once (status Created); its URL
names no real server (locally, runs go to `kit local up`'s own MLflow server).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from local_aws.patching import wrap as _wrap
from mlops_kit import clock

KIND = "mlflow-tracking-server"
DEFAULT_MLFLOW_VERSION = "2.16.2"


class TrackingServer:
    """One tracking server as DescribeMlflowTrackingServer shows it; `tags` as moto keeps tags."""

    def __init__(self, arn: str, request: dict[str, Any]) -> None:
        self.arn = arn
        self.name = str(request["TrackingServerName"])
        self.fields: dict[str, Any] = {
            "ArtifactStoreUri": request["ArtifactStoreUri"],
            "RoleArn": request["RoleArn"],
            "TrackingServerSize": request.get("TrackingServerSize") or "Small",
            "MlflowVersion": request.get("MlflowVersion") or DEFAULT_MLFLOW_VERSION,
            "AutomaticModelRegistration": bool(request.get("AutomaticModelRegistration", False)),
        }
        if request.get("WeeklyMaintenanceWindowStart"):
            self.fields["WeeklyMaintenanceWindowStart"] = request["WeeklyMaintenanceWindowStart"]
        self.tags: list[dict[str, str]] = list(request.get("Tags") or [])
        self.created = clock.now().timestamp()

    def describe(self, region: str) -> dict[str, Any]:
        return {
            "TrackingServerArn": self.arn,
            "TrackingServerName": self.name,
            **self.fields,
            "TrackingServerStatus": "Created",
            "IsActive": "Active",
            "TrackingServerUrl": f"https://{self.name}.mlflow.{region}.emulated.invalid",
            "CreationTime": self.created,
            "LastModifiedTime": self.created,
        }


def _servers(backend: Any) -> dict[str, TrackingServer]:
    if not hasattr(backend, "kit_tracking_servers"):
        backend.kit_tracking_servers = {}
    servers: dict[str, TrackingServer] = backend.kit_tracking_servers
    return servers


def _get(backend: Any, name: str) -> TrackingServer:
    from moto.sagemaker.exceptions import ResourceNotFound

    server = _servers(backend).get(name.split("/")[-1])
    if server is None:
        raise ResourceNotFound(message=f"Tracking server {name} does not exist.")
    return server


def _operations() -> None:
    from moto.sagemaker.exceptions import ResourceInUseException
    from moto.sagemaker.responses import SageMakerResponse

    def create_mlflow_tracking_server(self: Any) -> str:
        backend = self.sagemaker_backend
        request = json.loads(self.body)
        name = request["TrackingServerName"]
        if name in _servers(backend):
            raise ResourceInUseException(message=f"Tracking server {name} already exists.")
        arn = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:{KIND}/{name}"
        _servers(backend)[name] = TrackingServer(arn, request)
        return json.dumps({"TrackingServerArn": arn})

    def describe_mlflow_tracking_server(self: Any) -> str:
        backend = self.sagemaker_backend
        server = _get(backend, self._get_param("TrackingServerName"))
        return json.dumps(server.describe(backend.region_name))

    def update_mlflow_tracking_server(self: Any) -> str:
        backend = self.sagemaker_backend
        request = json.loads(self.body)
        server = _get(backend, request["TrackingServerName"])
        for key in ("ArtifactStoreUri", "TrackingServerSize", "AutomaticModelRegistration"):
            if key in request:
                server.fields[key] = request[key]
        if request.get("WeeklyMaintenanceWindowStart"):
            server.fields["WeeklyMaintenanceWindowStart"] = request["WeeklyMaintenanceWindowStart"]
        return json.dumps({"TrackingServerArn": server.arn})

    def delete_mlflow_tracking_server(self: Any) -> str:
        backend = self.sagemaker_backend
        server = _get(backend, self._get_param("TrackingServerName"))
        del _servers(backend)[server.name]
        return json.dumps({"TrackingServerArn": server.arn})

    def list_mlflow_tracking_servers(self: Any) -> str:
        backend = self.sagemaker_backend
        summaries = [
            {
                key: value
                for key, value in server.describe(backend.region_name).items()
                if key
                in (
                    "TrackingServerArn",
                    "TrackingServerName",
                    "CreationTime",
                    "LastModifiedTime",
                    "TrackingServerStatus",
                    "IsActive",
                    "MlflowVersion",
                )
            }
            for server in _servers(backend).values()
        ]
        return json.dumps({"TrackingServerSummaries": summaries})

    for handler in (
        create_mlflow_tracking_server,
        describe_mlflow_tracking_server,
        update_mlflow_tracking_server,
        delete_mlflow_tracking_server,
        list_mlflow_tracking_servers,
    ):
        setattr(SageMakerResponse, handler.__name__, handler)


def _tags_on_tracking_servers() -> None:
    """AddTags, ListTags and DeleteTags find a resource by its ARN's kind; moto knows no tracking server."""
    from moto.sagemaker.models import SageMakerModelBackend

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def get_resource_from_arn(self: Any, arn: str) -> Any:
            if f":{KIND}/" in arn:
                return _get(self, arn.rsplit("/", 1)[-1])
            return original(self, arn)

        return get_resource_from_arn

    _wrap(SageMakerModelBackend, "_get_resource_from_arn", make)


def install() -> None:
    """Apply this module's patches."""
    _operations()
    _tags_on_tracking_servers()
