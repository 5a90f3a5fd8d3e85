"""AWS access: one client factory (sessions, retries, assume-role per environment) and error mapping."""

from mlops_kit.aws.clients import AwsClients, client_error, clients_for
from mlops_kit.aws.errors import map_client_error

__all__ = ["AwsClients", "client_error", "clients_for", "map_client_error"]
