"""7. Validation that real ECS does and moto alone does not."""

import json

from harness import REGISTRY, RUNNING_BY, SandboxTest, setUpModule, tearDownModule  # noqa: F401


class Validation(SandboxTest):
    def register(self, *extra: str, image: str = "nginx:1.27", role: bool = True) -> str:
        args = ["ecs", "register-task-definition", "--family", "v",
                "--container-definitions", json.dumps([{"name": "app", "image": image}]), *extra]
        if role:
            args += ["--execution-role-arn", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"]
        return self.sb.aws_error(*args)

    def test_fargate_task_definitions(self):
        fargate = ["--requires-compatibilities", "FARGATE"]
        err = self.register(*fargate, "--network-mode", "awsvpc", "--cpu", "256", "--memory", "4096")
        self.assertIn("(ClientException) when calling the RegisterTaskDefinition operation: No Fargate configuration "
                      "exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid "
                      "values.", err)
        err = self.register(*fargate, "--network-mode", "awsvpc", "--cpu", "1024", "--memory", "1024")
        self.assertIn("No Fargate configuration exists for given values: 1024 CPU, 1024 memory.", err)
        err = self.register(*fargate, "--network-mode", "awsvpc", "--cpu", "300", "--memory", "512")
        self.assertIn("(ClientException) when calling the RegisterTaskDefinition operation: Invalid 'cpu' setting for "
                      "task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", err)
        err = self.register(*fargate, "--network-mode", "bridge", "--cpu", "256", "--memory", "512")
        self.assertIn("(ClientException) when calling the RegisterTaskDefinition operation: Fargate only supports "
                      "network mode \u2018awsvpc\u2019.", err)
        err = self.register(*fargate, "--cpu", "256", "--memory", "512")
        self.assertIn("Fargate only supports network mode", err)
        err = self.register(*fargate, "--network-mode", "awsvpc", "--memory", "512")
        self.assertIn("Fargate requires that 'cpu' be defined at the task level.", err)
        err = self.register(*fargate, "--network-mode", "awsvpc", "--cpu", "256", "--memory", "512",
                            image=f"{REGISTRY}/web:v1", role=False)
        self.assertIn("Fargate requires task definition to have execution role ARN to support ECR images.", err)
        err = self.sb.aws_error("ecs", "register-task-definition", "--family", "s", "--container-definitions", json.dumps(
            [{"name": "app", "image": "nginx", "memory": 128,
              "secrets": [{"name": "P", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/p"}]}]))
        self.assertIn("When you are specifying container secrets, you must also specify a value for "
                      "'executionRoleArn'.", err)
        # every valid size registers (through botocore), and the vCPU/GB notation through the CLI
        for cpu, memory in (("256", "512"), ("512", "4096"), ("1024", "8192"), ("2048", "16384"), ("4096", "30720"),
                            ("8192", "61440"), ("16384", "122880")):
            td = self.sb.api("ecs", "register_task_definition", family="ok", requiresCompatibilities=["FARGATE"],
                             networkMode="awsvpc", cpu=cpu, memory=memory,
                             containerDefinitions=[{"name": "app", "image": "nginx"}])["taskDefinition"]
            self.assertEqual((td["compatibilities"], td["cpu"], td["memory"]), (["EC2", "FARGATE"], cpu, memory))
        td = self.sb.aws("ecs", "register-task-definition", "--family", "ok", "--requires-compatibilities",
                         "FARGATE", "--network-mode", "awsvpc", "--cpu", "1 vCPU", "--memory", "3 GB",
                         "--container-definitions", json.dumps([{"name": "app", "image": "nginx"}]))["taskDefinition"]
        self.assertEqual(td["compatibilities"], ["EC2", "FARGATE"])
        self.assertEqual((td["cpu"], td["memory"]), ("1024", "3072"))

    def test_services(self):
        sb = self.sb
        sb.cluster()
        ec2_only = sb.aws("ecs", "register-task-definition", "--family", "ec2only", "--network-mode", "bridge",
                          "--container-definitions", json.dumps([{"name": "app", "image": "nginx", "memory": 128}]))
        self.assertEqual(ec2_only["taskDefinition"]["compatibilities"], ["EC2"])
        err = sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "a", "--task-definition",
                           "ec2only", "--desired-count", "1", "--launch-type", "FARGATE")
        self.assertIn("(InvalidParameterException) when calling the CreateService operation: Task definition does not "
                      "support launch_type FARGATE.", err)
        td = sb.task_definition("web", "nginx:1.27", role=None)
        err = sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "b", "--task-definition", td,
                           "--desired-count", "1", "--launch-type", "FARGATE")
        self.assertIn("(InvalidParameterException) when calling the CreateService operation: Network Configuration "
                      "must be provided when networkMode 'awsvpc' is specified.", err)
        sb.service("c", td, 1)
        err = sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "c", "--task-definition", td,
                           "--desired-count", "1", "--launch-type", "FARGATE", "--network-configuration", sb.netconf())
        self.assertIn("(InvalidParameterException) when calling the CreateService operation: Creation of service was "
                      "not idempotent.", err)
        err = sb.aws_error("ecs", "run-task", "--cluster", "lab", "--task-definition", td, "--launch-type", "FARGATE")
        self.assertIn("Network Configuration must be provided when networkMode 'awsvpc' is specified.", err)
        # without security groups, the VPC's default one is used
        d = self.describe("c")
        self.assertEqual(d["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"],
                         [sb.network()["default_security_group"]])
        self.assertEqual(d["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"], "ENABLED")
        err = sb.aws_error("ecs", "update-service", "--cluster", "lab", "--service", "nope", "--desired-count", "2")
        self.assertIn("ServiceNotFoundException", err)
        cps = sb.aws("ecs", "describe-capacity-providers")["capacityProviders"]
        self.assertEqual([c["name"] for c in cps], ["FARGATE", "FARGATE_SPOT"])
        out = sb.aws("ecs", "describe-capacity-providers", "--capacity-providers", "FARGATE_SPOT", "nope")
        self.assertEqual([c["name"] for c in out["capacityProviders"]], ["FARGATE_SPOT"])
        self.assertEqual([f["reason"] for f in out["failures"]], ["MISSING"])
        # a service on Fargate Spot through a capacity provider strategy
        sb.aws("ecs", "put-cluster-capacity-providers", "--cluster", "lab", "--capacity-providers", "FARGATE",
               "FARGATE_SPOT", "--default-capacity-provider-strategy", "capacityProvider=FARGATE_SPOT,weight=1")
        spot = sb.aws("ecs", "create-service", "--cluster", "lab", "--service-name", "spot", "--task-definition", td,
                      "--desired-count", "1", "--network-configuration", sb.netconf())["service"]
        self.assertNotIn("launchType", spot)
        self.assertEqual(spot["capacityProviderStrategy"][0]["capacityProvider"], "FARGATE_SPOT")
        sb.advance(RUNNING_BY)
        task = sb.tasks(service="spot")[0]
        self.assertEqual((task["capacityProviderName"], task["launchType"], task["lastStatus"]),
                         ("FARGATE_SPOT", "FARGATE", "RUNNING"))
        err = sb.aws_error("ecs", "stop-task", "--cluster", "lab", "--task", "0123456789abcdef0123456789abcdef")
        self.assertIn("The referenced task was not found.", err)


if __name__ == "__main__":
    import unittest

    unittest.main()
