"""The sandbox's default network in us-east-1, and which endpoints a task's ENI reaches.

moto already creates the default VPC (172.31.0.0/16, one default subnet per
availability zone, a default security group). On top of it the sandbox adds
what a real default VPC has and labs need (moto_adapter.create_default_network):

* an internet gateway attached to the VPC and a 0.0.0.0/0 route to it in the
  main route table, so the default subnets are public;
* the default subnets of us-east-1a and us-east-1b tagged ``ecsdrill:tier=public``;
* two private subnets (172.31.96.0/20 in us-east-1a, 172.31.112.0/20 in
  us-east-1b) tagged ``ecsdrill:tier=private``, associated with a route table
  that has only the local route.

Pure: the rules over plain data; moto_adapter reads routes and endpoints from EC2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TIER_TAG = "ecsdrill:tier"
AZS = ("us-east-1a", "us-east-1b")
PRIVATE_CIDRS = {"us-east-1a": "172.31.96.0/20", "us-east-1b": "172.31.112.0/20"}


@dataclass
class Route:
    destination: str | None  # CIDR block
    nat_gateway: bool = False
    gateway_id: str | None = None  # igw-..., vgw-...


@dataclass
class Endpoint:
    service_name: str  # com.amazonaws.us-east-1.ecr.api
    endpoint_type: str = "Gateway"
    route_table_ids: list[str] = field(default_factory=list)


def egress_allowed(routes: list[Route], route_table_id: str | None, endpoints: list[Endpoint],
                   public_ip: bool, service: str) -> bool:
    """Can a task ENI reach the regional endpoint of ``service`` ('ecr', 'docker',
    'ssm', 'secretsmanager', 'logs') given its subnet's route table (its routes and
    id) and the VPC's available endpoints? Through an internet gateway with a public
    IP, a NAT gateway, or interface endpoints (ECR also needs the S3 gateway endpoint
    on the subnet's route table for its layers)."""
    for route in routes:
        if route.destination != "0.0.0.0/0":
            continue
        if route.nat_gateway:
            return True
        if (route.gateway_id or "").startswith("igw-") and public_ip:
            return True
    if service == "docker":
        return False
    names = {e.service_name.split(".")[-1] if not e.service_name.endswith(("ecr.api", "ecr.dkr"))
             else ".".join(e.service_name.split(".")[-2:]) for e in endpoints}
    if service == "ecr":
        has_s3 = any(e.service_name.endswith(".s3") and (e.endpoint_type or "Gateway") == "Gateway"
                     and route_table_id is not None and route_table_id in (e.route_table_ids or [])
                     for e in endpoints)
        return {"ecr.api", "ecr.dkr"} <= names and has_s3
    return service in names
