"""The environment's private network: VPC, private subnets over several AZs, VPC endpoints for every
AWS service the workloads call, flow logs, and a default security group that allows nothing."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from mlops_kit.config import Environment, ResourceNames
from stacks.encryption import EnvironmentKey
from stacks.policy import document, service_trust, statement

# Interface endpoints: SageMaker API and runtime, ECR (API and image layers), STS, CloudWatch
# Logs and metrics; for the training cluster's nodes to join and scale without NAT: EC2, EKS, EKS
# Auth (Pod Identity credentials) and Auto Scaling (the cluster autoscaler). S3 is a gateway
# endpoint. With these the subnets need no NAT or internet.
INTERFACE_ENDPOINT_SERVICES = (
    "sagemaker.api",
    "sagemaker.runtime",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "monitoring",
    "ec2",
    "eks",
    "eks-auth",
    "autoscaling",
)
LOG_RETENTION_DAYS = 365


class Network(Construct):
    """VPC with private subnets only; `subnet_ids` and `workload_security_group_id` for the others."""

    def __init__(self, scope: Construct, id_: str, *, env: Environment, key: EnvironmentKey) -> None:
        super().__init__(scope, id_)
        names = ResourceNames(env)
        net = env.network
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=net.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": names.vpc},
        )
        # AWS creates a default security group with open egress; adopting it with no rules closes it.
        DefaultSecurityGroup(self, "default-sg", vpc_id=self.vpc.id)

        self.route_table = RouteTable(
            self, "private-routes", vpc_id=self.vpc.id, tags={"Name": f"{names.vpc}-private"}
        )
        self.subnets: list[Subnet] = []
        for index, cidr in enumerate(net.subnet_cidrs()):
            subnet = Subnet(
                self,
                f"private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=env.availability_zones[index],
                map_public_ip_on_launch=False,
                tags={"Name": f"{names.vpc}-private-{index}", "kubernetes.io/role/internal-elb": "1"},
            )
            RouteTableAssociation(
                self, f"private-{index}-routes", subnet_id=subnet.id, route_table_id=self.route_table.id
            )
            self.subnets.append(subnet)

        self.workload_security_group = SecurityGroup(
            self,
            "workloads",
            name=f"{names.base}-workloads",
            description="SageMaker jobs, endpoints and cluster nodes: HTTPS within the VPC only",
            vpc_id=self.vpc.id,
            ingress=[
                SecurityGroupIngress(
                    description="HTTPS from inside the VPC",
                    from_port=443,
                    to_port=443,
                    protocol="tcp",
                    cidr_blocks=[net.cidr],
                ),
                SecurityGroupIngress(
                    description="Traffic between workloads of this group (training, NCCL)",
                    from_port=0,
                    to_port=65535,
                    protocol="tcp",
                    self_attribute=True,
                ),
            ],
            egress=[
                SecurityGroupEgress(
                    description="HTTPS to VPC endpoints",
                    from_port=443,
                    to_port=443,
                    protocol="tcp",
                    cidr_blocks=[net.cidr],
                ),
                SecurityGroupEgress(
                    description="Traffic between workloads of this group",
                    from_port=0,
                    to_port=65535,
                    protocol="tcp",
                    self_attribute=True,
                ),
            ],
        )
        self._endpoints(env)
        self._flow_logs(env, key)

    @property
    def subnet_ids(self) -> list[str]:
        return [s.id for s in self.subnets]

    def _endpoints(self, env: Environment) -> None:
        VpcEndpoint(
            self,
            "endpoint-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{env.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[self.route_table.id],
        )
        for service in INTERFACE_ENDPOINT_SERVICES:
            VpcEndpoint(
                self,
                f"endpoint-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{env.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.subnet_ids,
                security_group_ids=[self.workload_security_group.id],
            )

    def _flow_logs(self, env: Environment, key: EnvironmentKey) -> None:
        names = ResourceNames(env)
        group = CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=names.flow_log_group,
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=key.key.arn,
        )
        role = IamRole(
            self,
            "flow-log-role",
            name=names.role("flow-logs"),
            assume_role_policy=service_trust("vpc-flow-logs.amazonaws.com", source_account=env.account_id),
        )
        IamRolePolicy(
            self,
            "flow-log-policy",
            role=role.id,
            name="write-flow-logs",
            policy=document(
                [
                    statement(
                        "WriteFlowLogs",
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [group.arn, f"{group.arn}:*"],
                    )
                ]
            ),
        )
        FlowLog(
            self,
            "flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
        )
