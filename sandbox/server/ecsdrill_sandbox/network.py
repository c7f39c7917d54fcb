"""The sandbox's default network in us-east-1.

moto already creates the default VPC (172.31.0.0/16, one default subnet per
availability zone, a default security group). On top of it the sandbox adds
what a real default VPC has and labs need:

* an internet gateway attached to the VPC and a 0.0.0.0/0 route to it in the
  main route table, so the default subnets are public;
* the default subnets of us-east-1a and us-east-1b tagged ``ecsdrill:tier=public``;
* two private subnets (172.31.96.0/20 in us-east-1a, 172.31.112.0/20 in
  us-east-1b) tagged ``ecsdrill:tier=private``, associated with a route table
  that has only the local route.
"""

from __future__ import annotations

from moto.ec2 import ec2_backends

TIER_TAG = "ecsdrill:tier"
AZS = ("us-east-1a", "us-east-1b")
PRIVATE_CIDRS = {"us-east-1a": "172.31.96.0/20", "us-east-1b": "172.31.112.0/20"}


def default_vpc(ec2):
    for vpc in ec2.vpcs.values():
        if getattr(vpc, "is_default", False):
            return vpc
    return None


def create_default_network(account: str, region: str = "us-east-1") -> dict:
    ec2 = ec2_backends[account][region]
    vpc = default_vpc(ec2)
    if vpc is None:  # pragma: no cover - moto always creates one
        vpc = ec2.create_default_vpc()
    igw = ec2.create_internet_gateway(tags=[{"Key": "Name", "Value": "ecsdrill-igw"}])
    ec2.attach_internet_gateway(igw.id, vpc.id)
    main_rt = next(rt for rt in ec2.route_tables.values()
                   if rt.vpc_id == vpc.id and rt.main_association_id)
    ec2.create_route(main_rt.id, "0.0.0.0/0", gateway_id=igw.id)
    ec2.create_tags([main_rt.id], {"Name": "ecsdrill-public"})

    public, private = [], []
    for az in AZS:
        subnet = next(s for s in ec2.subnets[az].values() if s.vpc_id == vpc.id and s.default_for_az)
        ec2.create_tags([subnet.id], {TIER_TAG: "public", "Name": f"ecsdrill-public-{az}"})
        public.append(subnet.id)

    private_rt = ec2.create_route_table(vpc.id, tags=[{"Key": "Name", "Value": "ecsdrill-private"}])
    for az in AZS:
        subnet = ec2.create_subnet(vpc.id, PRIVATE_CIDRS[az], availability_zone=az)
        ec2.create_tags([subnet.id], {TIER_TAG: "private", "Name": f"ecsdrill-private-{az}"})
        ec2.associate_route_table(private_rt.id, subnet_id=subnet.id)
        private.append(subnet.id)

    sg = next(g for g in ec2.groups[vpc.id].values() if g.name == "default")
    return {
        "vpc_id": vpc.id,
        "internet_gateway_id": igw.id,
        "public_subnets": public,
        "private_subnets": private,
        "default_security_group": sg.id,
    }


def default_security_group(ec2, subnet_id: str) -> str | None:
    try:
        subnet = ec2.get_subnet(subnet_id)
    except Exception:
        return None
    for g in ec2.groups.get(subnet.vpc_id, {}).values():
        if g.name == "default":
            return g.id
    return None


def route_table_for(ec2, subnet):
    main = None
    for rt in ec2.route_tables.values():
        if rt.vpc_id != subnet.vpc_id:
            continue
        if subnet.id in rt._associations.values():
            return rt
        if rt.main_association_id:
            main = rt
    return main


def egress(ec2, subnet_id: str, public_ip: bool, service: str) -> bool:
    """Can a task ENI in this subnet reach the regional endpoint of ``service``
    ('ecr', 'docker', 'ssm', 'secretsmanager', 'logs')? Through an internet gateway
    with a public IP, a NAT gateway, or interface endpoints (ECR also needs the S3
    gateway endpoint for its layers)."""
    try:
        subnet = ec2.get_subnet(subnet_id)
    except Exception:
        return True
    rt = route_table_for(ec2, subnet)
    for route in (rt.routes if rt else []):
        if route.destination_cidr_block != "0.0.0.0/0":
            continue
        if route.nat_gateway is not None:
            return True
        gw = route.gateway
        if gw is not None and getattr(gw, "id", "").startswith("igw-") and public_ip:
            return True
    if service == "docker":
        return False
    endpoints = [e for e in ec2.vpc_end_points.values() if e.vpc_id == subnet.vpc_id and e.state == "available"]
    names = {e.service_name.split(".")[-1] if not e.service_name.endswith(("ecr.api", "ecr.dkr"))
             else ".".join(e.service_name.split(".")[-2:]) for e in endpoints}
    if service == "ecr":
        has_s3 = any(e.service_name.endswith(".s3") and (e.vpc_endpoint_type or "Gateway") == "Gateway"
                     and rt is not None and rt.id in (e.route_table_ids or []) for e in endpoints)
        return {"ecr.api", "ecr.dkr"} <= names and has_s3
    return service in names
