"""The call log a drill's timeline is made of (ecsdrill_sandbox.calls): who made a call,
which service and operation it was, and the window a drill asks for. The server's part
(every signed request noted, GET /_ecsdrill/calls) is checked end to end by the drill
tests in tests/drills.rs."""

import unittest

import fakes  # noqa: F401 - puts the server package on sys.path
from ecsdrill_sandbox import calls
from ecsdrill_sandbox.calls import CallLog

AUTH = ("AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/{}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc")


class Parsing(unittest.TestCase):
    def test_callers_are_told_apart_by_user_agent(self):
        self.assertEqual(calls.who("aws-cli/2.27.0 md/awscrt#0.26 ua/2.1 os/linux"), "cli")
        self.assertEqual(calls.who("aws-sdk-rust/1.3.9 os/linux lang/rust/1.88.0"), "ecsdrill")
        self.assertEqual(calls.who("Boto3/1.40 md/Botocore#1.40"), "other")
        self.assertEqual(calls.who(""), "other")

    def test_the_service_comes_from_the_credential_scope(self):
        self.assertEqual(calls.service_of(AUTH.format("elasticloadbalancing")), "elasticloadbalancing")
        self.assertEqual(calls.service_of(AUTH.format("ecs")), "ecs")
        self.assertIsNone(calls.service_of("Bearer x"))

    def test_the_operation_comes_from_the_target_or_the_form_action(self):
        self.assertEqual(calls.operation_of("AmazonEC2ContainerServiceV20141113.DescribeServices", "", b""),
                         "DescribeServices")
        self.assertEqual(calls.operation_of("", "application/x-www-form-urlencoded; charset=utf-8",
                                            b"Action=DescribeTargetHealth&Version=2015-12-01"),
                         "DescribeTargetHealth")
        self.assertIsNone(calls.operation_of("", "application/json", b"{}"))


class Window(unittest.TestCase):
    def test_calls_since_a_time_and_of_one_caller_oldest_first(self):
        log = CallLog()
        log.note(100.0, "ecs", "CreateService", 200, "ecsdrill")
        log.note(110.0, "ecs", "DescribeServices", 200, "cli")
        log.note(120.0, "ecs", "DescribeTasks", 400, "cli")
        got = log.since(105.0, "cli")
        self.assertEqual([c["operation"] for c in got], ["DescribeServices", "DescribeTasks"])
        self.assertEqual(got[1]["status"], 400)
        self.assertEqual(len(log.since(0)), 3)
        self.assertEqual(got[0]["seq"] + 1, got[1]["seq"])

    def test_only_the_newest_are_kept_and_reset_clears(self):
        log = CallLog(limit=3)
        for t in range(5):
            log.note(float(t), "ecs", f"Op{t}", 200, "cli")
        self.assertEqual([c["operation"] for c in log.since(0)], ["Op2", "Op3", "Op4"])
        log.clear()
        self.assertEqual(log.since(0), [])


if __name__ == "__main__":
    unittest.main()
