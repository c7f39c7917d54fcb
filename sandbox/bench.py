"""Measure the sandbox against its budgets: start-up to answering (<= 2 s),
describe-services median latency (<= 20 ms), server RSS after a lab-sized
workload (<= 300 MB).

Usage: VENV/bin/python sandbox/bench.py [--runs N]
(boto3 comes with moto in the sandbox venv; the server is started from
sandbox/server with that same Python, on a free port, manual clock.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_DIR = os.path.join(HERE, "server")


def start() -> tuple[subprocess.Popen, str, float, float]:
    env = dict(os.environ, PYTHONPATH=SERVER_DIR, PYTHONUNBUFFERED="1")
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "ecsdrill_sandbox", "--port", "0", "--clock", "manual"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    line = proc.stdout.readline()
    ready = time.monotonic() - t0
    endpoint = line.split()[1]
    # first real AWS answer: ECS ListClusters over plain HTTP (no client start-up in the figure)
    req = urllib.request.Request(endpoint + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ecs/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200, resp.status
    answering = time.monotonic() - t0
    return proc, endpoint, ready, answering


def control(endpoint: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=300) as resp:
        return json.loads(resp.read())


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def workload(endpoint: str) -> None:
    import boto3

    s = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    c = {n: s.client(n, endpoint_url=endpoint) for n in
         ("ecs", "iam", "ssm", "secretsmanager", "logs", "elbv2", "application-autoscaling", "ec2", "ecr", "sts")}
    net = json.loads(urllib.request.urlopen(endpoint + "/_ecsdrill/network").read())
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    c["sts"].get_caller_identity()
    c["iam"].create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=trust)
    c["iam"].attach_role_policy(RoleName="ecsTaskExecutionRole",
                                PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")
    c["iam"].put_role_policy(RoleName="ecsTaskExecutionRole", PolicyName="secrets", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameters",
                                                 "secretsmanager:GetSecretValue"], "Resource": "*"}]}))
    role = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
    c["ssm"].put_parameter(Name="/shop/db_password", Type="SecureString", Value="pw")
    secret = c["secretsmanager"].create_secret(Name="shop/api-key", SecretString='{"key":"k"}')["ARN"]
    c["logs"].create_log_group(logGroupName="/ecs/shop")
    for repo, tag, behavior in (("shop/web", "v1", "healthy"), ("shop/web", "v2", "crash"), ("shop/api", "v1", "healthy"),
                                ("shop/worker", "v1", "oom")):
        control(endpoint, "/_ecsdrill/images", {"repository": repo, "tag": tag, "behavior": behavior})
    lb = c["elbv2"].create_load_balancer(Name="shop", Subnets=net["public_subnets"])["LoadBalancers"][0]
    tg = c["elbv2"].create_target_group(Name="shop-web", Protocol="HTTP", Port=80, VpcId=net["vpc_id"], TargetType="ip",
                                        HealthCheckPath="/health", HealthCheckIntervalSeconds=10,
                                        HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    c["elbv2"].create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                               DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    c["ecs"].create_cluster(clusterName="shop")
    netconf = {"awsvpcConfiguration": {"subnets": net["public_subnets"], "assignPublicIp": "ENABLED"}}
    reg = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

    def td(family, image, **extra):
        cd = {"name": "app", "image": f"{reg}/{image}", "portMappings": [{"containerPort": 80}],
              "logConfiguration": {"logDriver": "awslogs", "options": {
                  "awslogs-group": "/ecs/shop", "awslogs-region": "us-east-1", "awslogs-stream-prefix": family}}}
        cd.update(extra)
        return c["ecs"].register_task_definition(
            family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
            executionRoleArn=role, containerDefinitions=[cd])["taskDefinition"]["taskDefinitionArn"]

    web1 = td("web", "shop/web:v1")
    web2 = td("web", "shop/web:v2")
    api = td("api", "shop/api:v1", secrets=[{"name": "DB", "valueFrom": "/shop/db_password"},
                                            {"name": "KEY", "valueFrom": f"{secret}:key::"}])
    worker = td("worker", "shop/worker:v1")
    breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    c["ecs"].create_service(cluster="shop", serviceName="web", taskDefinition=web1, desiredCount=3,
                            launchType="FARGATE", networkConfiguration=netconf, deploymentConfiguration=breaker,
                            loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}])
    c["ecs"].create_service(cluster="shop", serviceName="api", taskDefinition=api, desiredCount=2,
                            launchType="FARGATE", networkConfiguration=netconf)
    c["ecs"].create_service(cluster="shop", serviceName="worker", taskDefinition=worker, desiredCount=2,
                            launchType="FARGATE", networkConfiguration=netconf)
    c["application-autoscaling"].register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/shop/api", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2, MaxCapacity=6)
    c["application-autoscaling"].put_scaling_policy(
        PolicyName="cpu", ServiceNamespace="ecs", ResourceId="service/shop/api",
        ScalableDimension="ecs:service:DesiredCount", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={"TargetValue": 60, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    control(endpoint, "/_ecsdrill/clock", {"advance": 300})
    control(endpoint, "/_ecsdrill/load", {"cluster": "shop", "service": "api", "cpu": 95})
    c["ecs"].update_service(cluster="shop", service="web", taskDefinition=web2)
    control(endpoint, "/_ecsdrill/clock", {"advance": 1500})
    stopped = c["ecs"].list_tasks(cluster="shop", desiredStatus="STOPPED")["taskArns"]
    for svc in c["ecs"].describe_services(cluster="shop", services=["web", "api", "worker"])["services"]:
        deps = ", ".join(f"{d['status']} {d['taskDefinition'].split('/')[-1]} {d['rolloutState']}"
                         for d in svc["deployments"])
        print(f"  service {svc['serviceName']}: desired {svc['desiredCount']} running {svc['runningCount']} "
              f"[{deps}] last event: {svc['events'][0]['message']}")
    print(f"  {len(stopped)} stopped tasks kept (last simulated hour)")
    c["elbv2"].describe_target_health(TargetGroupArn=tg)
    c["ec2"].describe_subnets()
    c["ecr"].describe_images(repositoryName="shop/web")


def latency(endpoint: str, n: int) -> tuple[float, float]:
    import boto3

    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    ecs.describe_services(cluster="shop", services=["web", "api", "worker"])
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        ecs.describe_services(cluster="shop", services=["web", "api", "worker"])
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5, help="start-up measurements")
    p.add_argument("--calls", type=int, default=50, help="describe-services calls")
    args = p.parse_args()
    readies, answers = [], []
    for _ in range(args.runs):
        proc, endpoint, ready, answering = start()
        readies.append(ready)
        answers.append(answering)
        proc.terminate()
        proc.wait()
    print(f"start-up: READY line median {statistics.median(readies):.2f}s, first ECS answer median "
          f"{statistics.median(answers):.2f}s (max {max(answers):.2f}s) over {args.runs} runs")
    proc, endpoint, _, _ = start()
    try:
        print(f"RSS idle: {rss_mb(proc.pid):.0f} MB")
        t0 = time.monotonic()
        workload(endpoint)
        print(f"lab workload (IAM, SSM, Secrets, Logs, ECR, ELBv2, ECS x3 services, App Auto Scaling, "
              f"30 simulated minutes): {time.monotonic() - t0:.1f}s")
        med, p95 = latency(endpoint, args.calls)
        print(f"describe-services (3 services) over {args.calls} calls: median {med:.1f} ms, p95 {p95:.1f} ms")
        print(f"RSS after workload: {rss_mb(proc.pid):.0f} MB")
    finally:
        proc.terminate()
        proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
