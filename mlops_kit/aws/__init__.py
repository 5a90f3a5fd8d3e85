"""AWS access: one client factory (sessions, retries, assume-role per environment) and error mapping."""

from mlops_kit.aws.clients import AwsClients, Caller, acting_as, client_error, clients_for, identify_caller
from mlops_kit.aws.errors import map_client_error

__all__ = [
    "AwsClients",
    "Caller",
    "acting_as",
    "client_error",
    "clients_for",
    "identify_caller",
    "map_client_error",
]
