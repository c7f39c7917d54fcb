"""The control API, the default network, images, the clock and reset."""

import base64
import hashlib
import json
import time

from harness import ACCOUNT, REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401


class Control(SandboxTest):
    def test_status_and_clock(self):
        sb = self.sb
        status, st = sb.control("GET", "/_ecsdrill/status")
        self.assertEqual(status, 200)
        self.assertEqual(st["moto_version"], "5.2.5")
        self.assertEqual(st["clock"], {"mode": "manual", "speed": 1.0})
        t0 = st["sim_time"]
        st = sb.advance(90)
        self.assertEqual(st["sim_elapsed_seconds"], 90)
        self.assertGreater(st["sim_time"], t0)
        self.assertEqual(sb.control("GET", "/_ecsdrill/status")[1]["sim_elapsed_seconds"], 90)
        # realtime: the server's clock follows wall time (how fast, and that manual time stands
        # still, is unit/test_clock.py with a fake wall clock). Waited for, never timed.
        st = sb.post("/_ecsdrill/clock", {"mode": "realtime", "speed": 1000})
        self.assertEqual(st["clock"], {"mode": "realtime", "speed": 1000.0})
        deadline = time.monotonic() + 60
        while sb.control("GET", "/_ecsdrill/status")[1]["sim_elapsed_seconds"] <= 90:
            self.assertLess(time.monotonic(), deadline, "the realtime clock did not move")
            time.sleep(0.02)
        st = sb.post("/_ecsdrill/clock", {"mode": "manual", "speed": 1})
        self.assertEqual(st["clock"], {"mode": "manual", "speed": 1.0})
        frozen = st["sim_elapsed_seconds"]
        self.assertEqual(sb.control("GET", "/_ecsdrill/status")[1]["sim_elapsed_seconds"], frozen)
        for bad in ({"advance": -1}, {"advance": "x"}, {"mode": "fast"}, {"speed": 0}):
            status, body = sb.control("POST", "/_ecsdrill/clock", bad)
            self.assertEqual(status, 400, (bad, body))
            self.assertIn("error", body)
        self.assertEqual(sb.control("GET", "/_ecsdrill/nope")[0], 404)

    def test_default_network(self):
        sb = self.sb
        net = sb.network()
        subnets = sb.aws("ec2", "describe-subnets", "--filters", "Name=tag:ecsdrill:tier,Values=public,private")["Subnets"]
        tiers = {s["SubnetId"]: ([t["Value"] for t in s["Tags"] if t["Key"] == "ecsdrill:tier"][0], s["AvailabilityZone"])
                 for s in subnets}
        self.assertEqual(sorted(az for tier, az in tiers.values() if tier == "public"), ["us-east-1a", "us-east-1b"])
        self.assertEqual(sorted(az for tier, az in tiers.values() if tier == "private"), ["us-east-1a", "us-east-1b"])
        self.assertEqual(sorted(net["public_subnets"] + net["private_subnets"]), sorted(tiers))
        rts = sb.api("ec2", "describe_route_tables",
                     Filters=[{"Name": "vpc-id", "Values": [net["vpc_id"]]}])["RouteTables"]

        def routes_for(subnet):
            explicit = [rt for rt in rts if any(a.get("SubnetId") == subnet for a in rt.get("Associations", []))]
            table = explicit[0] if explicit else [rt for rt in rts if any(a.get("Main") for a in rt["Associations"])][0]
            return {r.get("DestinationCidrBlock"): r.get("GatewayId") for r in table["Routes"]}

        for s in net["public_subnets"]:
            self.assertEqual(routes_for(s).get("0.0.0.0/0"), net["internet_gateway_id"])
        for s in net["private_subnets"]:
            self.assertNotIn("0.0.0.0/0", routes_for(s))
        sgs = sb.api("ec2", "describe_security_groups", GroupIds=[net["default_security_group"]])["SecurityGroups"]
        self.assertEqual(sgs[0]["GroupName"], "default")

    def test_images(self):
        sb = self.sb
        out = sb.push("shop/api", "v1", "slow-start", start_delay=30)
        self.assertEqual(out["imageUri"], f"{REGISTRY}/shop/api:v1")
        self.assertEqual((out["behavior"], out["start_delay"]), ("slow-start", 30))
        detail = sb.aws("ecr", "describe-images", "--repository-name", "shop/api")["imageDetails"][0]
        self.assertEqual(detail["imageTags"], ["v1"])
        self.assertEqual(detail["imageDigest"], out["imageDigest"])
        img = sb.api("ecr", "batch_get_image", repositoryName="shop/api", imageIds=[{"imageTag": "v1"}])["images"][0]
        manifest = json.loads(img["imageManifest"])
        self.assertEqual(manifest["mediaType"], "application/vnd.docker.distribution.manifest.v2+json")
        self.assertEqual(out["imageDigest"], "sha256:" + hashlib.sha256(img["imageManifest"].encode()).hexdigest())
        self.assertEqual(detail["imageSizeInBytes"], sum(layer["size"] for layer in manifest["layers"]))
        self.assertEqual((out["pushed"], out["previousDigest"]), (True, None))
        # the same image again: nothing changes, as `docker push` of an image ECR has
        same = sb.push("shop/api", "v1", "slow-start", start_delay=30)
        self.assertEqual((same["pushed"], same["imageDigest"]), (False, out["imageDigest"]))
        self.assertEqual(len(sb.api("ecr", "describe_images", repositoryName="shop/api")["imageDetails"]), 1)
        # same tag, another behaviour: a new image, the tag moves; the old image stays untagged
        again = sb.push("shop/api", "v1", "crash")
        self.assertNotEqual(again["imageDigest"], out["imageDigest"])
        self.assertEqual((again["pushed"], again["previousDigest"]), (True, out["imageDigest"]))
        tags = {d["imageDigest"]: d.get("imageTags", []) for d in
                sb.api("ecr", "describe_images", repositoryName="shop/api")["imageDetails"]}
        self.assertEqual(tags, {again["imageDigest"]: ["v1"], out["imageDigest"]: []})
        old = sb.aws("ecr", "describe-images", "--repository-name", "shop/api",
                     "--image-ids", f"imageDigest={out['imageDigest']}")["imageDetails"][0]
        self.assertNotIn("imageTags", old)
        # back to the first content: the tag moves back to the untagged image, nothing is lost
        back = sb.push("shop/api", "v1", "slow-start", start_delay=30)
        self.assertEqual((back["pushed"], back["imageDigest"]), (True, out["imageDigest"]))
        tags = {d["imageDigest"]: d.get("imageTags", []) for d in
                sb.api("ecr", "describe_images", repositoryName="shop/api")["imageDetails"]}
        self.assertEqual(tags, {again["imageDigest"]: [], out["imageDigest"]: ["v1"]})
        # put-image through the ECR API keeps ECR's own rule for an identical image and tag
        manifest_text = img["imageManifest"]
        err = sb.aws_error("ecr", "put-image", "--repository-name", "shop/api", "--image-tag", "v1",
                           "--image-manifest", manifest_text)
        self.assertIn("ImageAlreadyExistsException", err)
        for bad in ({"repository": "x", "behavior": "explode"}, {"tag": "v1"}):
            self.assertEqual(sb.control("POST", "/_ecsdrill/images", bad)[0], 400)
        token = sb.aws("ecr", "get-authorization-token")["authorizationData"][0]
        self.assertTrue(base64.b64decode(token["authorizationToken"]).startswith(b"AWS:"))

    def test_reset_empties_state(self):
        sb = self.sb
        sb.cluster()
        sb.push("web", "v1")
        extra = sb.api("ec2", "create_vpc", CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        sb.advance(30)
        st = sb.reset()
        self.assertEqual(st["sim_elapsed_seconds"], 0)
        self.assertEqual(sb.aws("ecs", "list-clusters")["clusterArns"], [])
        self.assertEqual(sb.api("ecr", "describe_repositories")["repositories"], [])
        vpcs = [v["VpcId"] for v in sb.api("ec2", "describe_vpcs")["Vpcs"]]
        self.assertNotIn(extra, vpcs)
        self.assertIn(sb.network()["vpc_id"], vpcs)
        self.assertEqual(len(sb.api("ec2", "describe_subnets", Filters=[
            {"Name": "tag:ecsdrill:tier", "Values": ["private"]}])["Subnets"]), 2)
        # the IAM managed policies are there
        policy = sb.api("iam", "get_policy",
                        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")["Policy"]
        self.assertEqual(policy["PolicyName"], "AmazonECSTaskExecutionRolePolicy")
        self.assertEqual(sb.aws("sts", "get-caller-identity")["Account"], ACCOUNT)

    def test_a_seeded_sandbox_replays_the_same_world_after_each_reset(self):
        """--seed 7 (the harness's): every reset seeds the simulation's generator again, so the
        same requests give the same task ids and timings, whatever ran before the reset."""
        sb = self.sb
        self.assertEqual(sb.control("GET", "/_ecsdrill/status")[1]["seed"], 7)

        def one_task():
            sb.cluster()
            sb.push("web", "v1")
            sb.exec_role()
            td = sb.task_definition("web", f"{REGISTRY}/web:v1")
            arn = sb.api("ecs", "run_task", cluster="lab", taskDefinition=td, launchType="FARGATE",
                         networkConfiguration=sb.network_configuration())["tasks"][0]["taskArn"]
            seconds = sb.until(lambda: sb.describe_tasks([arn])[0]["lastStatus"] == "RUNNING", 120)
            attachment = sb.describe_tasks([arn])[0]["attachments"][0]["id"]
            return arn, attachment, seconds

        first = one_task()
        sb.api("logs", "create_log_group", logGroupName="/other/work")  # more of moto loaded
        sb.reset()
        self.assertEqual(one_task(), first)

    def test_startup_time(self):
        self.assertIsNotNone(self.sb.startup_seconds)
        self.assertLess(self.sb.startup_seconds, 5.0)  # budget 2 s on an idle machine; generous under test load


if __name__ == "__main__":
    import unittest

    unittest.main()
