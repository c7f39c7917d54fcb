"""9. Fidelity in sequences: what the sandbox does not serve says so at once."""

import os
import stat
import tempfile

from harness import REGISTRY, SandboxTest, setUpModule, tearDownModule  # noqa: F401



class NotServed(SandboxTest):
    def fails_fast(self, *args, path=None):
        # --debug logs every retry ("Retry needed, ..."): a 500 is retried, an answer naming
        # the operation is not. Counted, not timed, so a loaded machine cannot fail it.
        proc = self.sb.aws(*args, "--debug", check=False, path=path)
        self.assertFalse(isinstance(proc, (dict, type(None))), f"aws {args[:2]} succeeded")
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn("Retry needed", proc.stderr)
        self.assertNotIn("Internal Server Error", proc.stderr)
        return proc.stderr

    def test_ecs_operations_the_sandbox_does_not_serve_fail_at_once_and_name_themselves(self):
        self.sb.cluster()
        cases = {
            "ListServicesByNamespace": ["list-services-by-namespace", "--namespace", "shop"],
            "DescribeExpressGatewayService": ["describe-express-gateway-service", "--service-arn",
                                             "arn:aws:ecs:us-east-1:123456789012:service/lab/web"],
            "UpdateTaskProtection": ["update-task-protection", "--cluster", "lab", "--tasks", "abc",
                                     "--protection-enabled"],
            "GetTaskProtection": ["get-task-protection", "--cluster", "lab"],
        }
        for op, args in cases.items():
            with self.subTest(op=op):
                err = self.fails_fast("ecs", *args)
                self.assertIn(f"An error occurred (NotImplemented) when calling the {op} operation: "
                              f"{op} is not available in the ecsdrill sandbox", err)

    def test_execute_command_fails_at_once(self):
        # The CLI runs session-manager-plugin before it calls ECS: a stub that exits 0.
        with tempfile.TemporaryDirectory() as bindir:
            plugin = os.path.join(bindir, "session-manager-plugin")
            with open(plugin, "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(plugin, stat.S_IRWXU)
            err = self.fails_fast("ecs", "execute-command", "--cluster", "lab", "--task", "abc",
                                  "--interactive", "--command", "ls", path=bindir)
        self.assertIn("ExecuteCommand is not available in the ecsdrill sandbox", err)

    def test_query_protocol_services_answer_in_their_shape(self):
        err = self.fails_fast("iam", "list-instance-profile-tags", "--instance-profile-name", "x")
        self.assertIn("(NotImplemented) when calling the ListInstanceProfileTags operation: "
                      "ListInstanceProfileTags is not available in the ecsdrill sandbox", err)
        err = self.fails_fast("elbv2", "describe-trust-stores")
        self.assertIn("DescribeTrustStores is not available in the ecsdrill sandbox", err)

    def test_implemented_operations_are_unchanged(self):
        self.sb.cluster()
        self.assertEqual(self.sb.aws("ecs", "list-clusters")["clusterArns"],
                         ["arn:aws:ecs:us-east-1:123456789012:cluster/lab"])
        err = self.sb.aws_error("ecs", "describe-services", "--cluster", "nope", "--services", "web")
        self.assertIn("ClusterNotFoundException", err)


NOT_ASSOCIATED = ("An error occurred (InvalidParameterException) when calling the {op} operation: "
                  "The specified capacity provider strategy cannot contain a capacity provider "
                  "that is not associated with the cluster.")


class CapacityProviders(SandboxTest):
    def setUp(self):
        super().setUp()
        sb = self.sb
        sb.exec_role()
        sb.cluster()
        sb.push("web", "v1")
        self.td = sb.task_definition("web", f"{REGISTRY}/web:v1")

    def clusters(self):
        return self.sb.aws("ecs", "describe-clusters", "--clusters", "lab")["clusters"][0]

    def test_a_new_cluster_has_empty_lists(self):
        c = self.clusters()
        self.assertEqual(c["capacityProviders"], [])
        self.assertEqual(c["defaultCapacityProviderStrategy"], [])

    def test_requires_attributes_is_a_list_and_started_by_absent_unless_given(self):
        sb, td = self.sb, self.td
        self.assertEqual(sb.aws("ecs", "describe-task-definition", "--task-definition", td)
                         ["taskDefinition"]["requiresAttributes"], [])
        run = ["ecs", "run-task", "--cluster", "lab", "--task-definition", td, "--launch-type", "FARGATE",
               "--network-configuration", sb.netconf()]
        plain = sb.aws(*run)["tasks"][0]
        self.assertNotIn("startedBy", plain)
        tagged = sb.api("ecs", "run_task", cluster="lab", taskDefinition=td, launchType="FARGATE",
                        networkConfiguration=sb.network_configuration(), startedBy="ci-job-7")["tasks"][0]
        described = {t["taskArn"]: t for t in sb.describe_tasks([plain["taskArn"], tagged["taskArn"]])}
        self.assertNotIn("startedBy", described[plain["taskArn"]])
        self.assertEqual(described[tagged["taskArn"]]["startedBy"], "ci-job-7")
        listed = sb.api("ecs", "list_tasks", cluster="lab", startedBy="ci-job-7")["taskArns"]
        self.assertEqual(listed, [tagged["taskArn"]])

    def test_fargate_providers_must_be_associated_first(self):
        sb = self.sb
        spot = ["--capacity-provider-strategy", "capacityProvider=FARGATE_SPOT,weight=1"]
        err = sb.aws_error("ecs", "run-task", "--cluster", "lab", "--task-definition", self.td,
                           "--network-configuration", sb.netconf(), *spot)
        self.assertIn(NOT_ASSOCIATED.format(op="RunTask"), err)
        err = sb.aws_error("ecs", "create-service", "--cluster", "lab", "--service-name", "web",
                           "--task-definition", self.td, "--desired-count", "1",
                           "--network-configuration", sb.netconf(), *spot)
        self.assertIn(NOT_ASSOCIATED.format(op="CreateService"), err)
        self.assertEqual(sb.api("ecs", "list_services", cluster="lab")["serviceArns"], [])

        sb.aws("ecs", "put-cluster-capacity-providers", "--cluster", "lab",
               "--capacity-providers", "FARGATE", "FARGATE_SPOT", "--default-capacity-provider-strategy", "[]")
        self.assertEqual(self.clusters()["capacityProviders"], ["FARGATE", "FARGATE_SPOT"])
        task = sb.aws("ecs", "run-task", "--cluster", "lab", "--task-definition", self.td,
                      "--network-configuration", sb.netconf(), *spot)["tasks"][0]
        self.assertEqual(task["capacityProviderName"], "FARGATE_SPOT")
        svc = sb.api("ecs", "create_service", cluster="lab", serviceName="web", taskDefinition=self.td,
                     desiredCount=1, networkConfiguration=sb.network_configuration(),
                     capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])["service"]
        self.assertEqual(svc["capacityProviderStrategy"][0]["capacityProvider"], "FARGATE_SPOT")

    def test_update_service_to_a_provider_not_associated(self):
        sb = self.sb
        sb.service("web", self.td, 1)  # launch type FARGATE needs no association
        err = sb.aws_error("ecs", "update-service", "--cluster", "lab", "--service", "web",
                           "--capacity-provider-strategy", "capacityProvider=FARGATE_SPOT,weight=1")
        self.assertIn(NOT_ASSOCIATED.format(op="UpdateService"), err)


if __name__ == "__main__":
    import unittest

    unittest.main()
