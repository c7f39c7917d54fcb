"""Target-tracking service auto scaling, driven by a simulated load.

Application Auto Scaling stores scalable targets and policies (read through the
sim's World: ``scalable_targets``, ``scaling_policies``, ``set_alarm_state``); this
module evaluates ``TargetTrackingScaling`` policies on ECS services once per
simulated minute, the way the two CloudWatch alarms that real target tracking
creates would:

* scale out when the metric is above the target for 3 consecutive minutes
  (AlarmHigh), to ``ceil(capacity x metric / target)``;
* scale in when it is below 90 % of the target for 15 consecutive minutes
  (AlarmLow), unless ``DisableScaleIn``, never during a deployment;
* several policies: out if any says out, in only if all say in;
* cooldowns (``ScaleOutCooldown``/``ScaleInCooldown``, default 300 s) apply;
* the result is clamped to [MinCapacity, MaxCapacity]; a desired count outside
  the range is moved into it at the next evaluation;
* no load set for a service = insufficient data = no scaling.

The load is a total demand: ``cpu``/``memory`` percent and
``requests_per_target`` are what the service's tasks see at the task count it
has when the load is set; adding tasks spreads the same demand, so the average
falls, as in real life.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timedelta

EVAL_PERIOD_S = 60
OUT_DATAPOINTS = 3
IN_DATAPOINTS = 15
IN_FACTOR = 0.9
DEFAULT_COOLDOWN = 300

METRICS = {
    "ECSServiceAverageCPUUtilization": "cpu",
    "ECSServiceAverageMemoryUtilization": "memory",
    "ALBRequestCountPerTarget": "requests",
}


class AutoScaling:
    def __init__(self, sim, world=None) -> None:
        self.sim = sim
        self.world = world if world is not None else sim.world
        self.reset()

    def reset(self) -> None:
        self.history: dict[str, deque] = {}
        self.last_out: dict[str, datetime] = {}
        self.last_in: dict[str, datetime] = {}
        self.out_capacity: dict[str, int] = {}  # the desired count the last scale-out set
        self.high_since_out: dict[str, int] = {}  # datapoints above the target since then, in a row
        self.activities: dict[tuple[str, str], list[dict]] = {}
        self._next_eval: datetime | None = None

    STATE = ("history", "last_out", "last_in", "out_capacity", "high_since_out", "activities", "_next_eval")

    def persistent_state(self) -> dict:
        """What it remembers between evaluations (the server's snapshot)."""
        return {name: getattr(self, name) for name in self.STATE}

    def restore_state(self, state: dict) -> None:
        self.reset()
        for name in self.STATE:
            if name in state:
                setattr(self, name, state[name])

    # ------------------------------------------------------------------ load
    def set_load(self, account: str, region: str, cluster: str, service: str, load: dict) -> dict:
        svc = self._service(account, region, cluster, service)
        if svc is None:
            raise KeyError(f"service {service} not found in cluster {cluster}")
        n = max(1, int(svc.running_count or 0))
        entry = {"tasks_at_set": n}
        if load.get("cpu") is not None:
            entry["cpu_demand"] = float(load["cpu"]) * n
        if load.get("memory") is not None:
            entry["memory_demand"] = float(load["memory"]) * n
        if load.get("requests_per_target") is not None:
            entry["requests_total"] = float(load["requests_per_target"]) * n
        self.sim.loads[(account, region, cluster, service)] = entry
        return entry

    def metric(self, account, region, cluster, service, kind: str, running: int) -> float | None:
        load = self.sim.loads.get((account, region, cluster, service))
        if not load:
            return None
        n = max(1, running)
        if kind == "cpu" and "cpu_demand" in load:
            return min(100.0, load["cpu_demand"] / n)
        if kind == "memory" and "memory_demand" in load:
            return min(100.0, load["memory_demand"] / n)
        if kind == "requests" and "requests_total" in load:
            return load["requests_total"] / n
        return None

    # ------------------------------------------------------------------ step
    def step(self, now: datetime) -> None:
        if self._next_eval is None:
            self._next_eval = now + timedelta(seconds=EVAL_PERIOD_S)
            return
        if now < self._next_eval:
            return
        self._next_eval = now + timedelta(seconds=EVAL_PERIOD_S)
        for target in self.world.scalable_targets():
            if target.scalable_dimension == "ecs:service:DesiredCount" and target.service_namespace == "ecs":
                self._evaluate(target.account, target.region, target, now)

    def _service(self, account: str, region: str, cluster: str, service: str):
        ecs = self.sim.store.regions.get((account, region))
        return ecs.services.get(f"{cluster}:{service}") if ecs is not None else None

    def _evaluate(self, account, region, target, now: datetime) -> None:
        parts = target.resource_id.split("/")
        if len(parts) != 3:
            return
        _, cluster, service = parts
        ecs = self.sim.store.regions.get((account, region))
        svc = ecs.services.get(f"{cluster}:{service}") if ecs is not None else None
        if svc is None or svc.status != "ACTIVE":
            return
        lo, hi = int(target.min_capacity or 0), int(target.max_capacity or 0)
        suspended = target.suspended_state or {}
        current = int(svc.desired_count or 0)
        if current < lo and not suspended.get("DynamicScalingOutSuspended"):
            self._apply(account, region, ecs, svc, target, lo, now,
                        f"the desired count was less than the minimum capacity {lo}")
            return
        if current > hi and not suspended.get("DynamicScalingInSuspended"):
            self._apply(account, region, ecs, svc, target, hi, now,
                        f"the desired count was greater than the maximum capacity {hi}")
            return

        policies = [p for p in self.world.scaling_policies(account, region)
                    if p.resource_id == target.resource_id and p.service_namespace == "ecs"
                    and p.scalable_dimension == target.scalable_dimension
                    and p.policy_type == "TargetTrackingScaling"]
        if not policies:
            return
        running = int(svc.running_count or 0)
        outs, ins, all_in = [], [], True
        for policy in policies:
            conf = policy.target_tracking or {}
            kind = METRICS.get((conf.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType"))
            target_value = float(conf.get("TargetValue") or 0)
            value = self.metric(account, region, cluster, service, kind, running) if kind else None
            hist = self.history.setdefault(policy.policy_arn, deque(maxlen=IN_DATAPOINTS))
            if value is None or target_value <= 0:
                all_in = False
                continue
            hist.append(value)
            high = self.high_since_out.get(policy.policy_arn, 0)
            self.high_since_out[policy.policy_arn] = high + 1 if value > target_value else 0
            proposal = max(1, math.ceil(current * value / target_value)) if current else 1
            if len(hist) >= OUT_DATAPOINTS and all(v > target_value for v in list(hist)[-OUT_DATAPOINTS:]):
                outs.append((proposal, policy, value))
                self._set_alarm(account, region, policy, "AlarmHigh", "ALARM")
            else:
                self._set_alarm(account, region, policy, "AlarmHigh", "OK")
            low = (len(hist) >= IN_DATAPOINTS and all(v < target_value * IN_FACTOR for v in hist))
            self._set_alarm(account, region, policy, "AlarmLow", "ALARM" if low else "OK")
            if low and not conf.get("DisableScaleIn"):
                ins.append((proposal, policy, value))
            else:
                all_in = False
        key = target.resource_id
        if outs and not suspended.get("DynamicScalingOutSuspended"):
            proposal, policy, value = max(outs, key=lambda x: x[0])
            new = min(hi, max(lo, proposal))
            cooldown = int((policy.target_tracking or {}).get("ScaleOutCooldown", DEFAULT_COOLDOWN))
            cooled = key not in self.last_out or now >= self.last_out[key] + timedelta(seconds=cooldown)
            # within the cooldown only a larger scale-out, seen on fresh datapoints (taken since
            # the last one) so that tasks still starting do not count twice
            larger = (new > self.out_capacity.get(key, 0)
                      and self.high_since_out.get(policy.policy_arn, 0) >= OUT_DATAPOINTS)
            if new > current and (cooled or larger):
                self.last_out[key] = now
                self.out_capacity[key] = new
                for p in policies:
                    self.high_since_out[p.policy_arn] = 0
                self._apply(account, region, ecs, svc, target, new, now, self._cause(policy, "AlarmHigh"))
            return
        if ins and all_in and not suspended.get("DynamicScalingInSuspended"):
            # a deployment in progress (a FAILED one, left without rollback, is not)
            in_deployment = bool(svc.deployments) and svc.deployments[0].get("rolloutState") == "IN_PROGRESS"
            if in_deployment:
                return
            proposal, policy, value = max(ins, key=lambda x: x[0])
            new = min(hi, max(lo, proposal))
            cooldown = int((policy.target_tracking or {}).get("ScaleInCooldown", DEFAULT_COOLDOWN))
            if new < current and (key not in self.last_in or now >= self.last_in[key] + timedelta(seconds=cooldown)):
                self.last_in[key] = now
                self._apply(account, region, ecs, svc, target, new, now, self._cause(policy, "AlarmLow"))

    def _alarm_name(self, policy, which: str) -> str:
        for name in policy.alarm_names:
            if which in name:
                return name
        return f"TargetTracking-{policy.resource_id}-{which}-{self.world.uuid4()}"

    def _cause(self, policy, which: str) -> str:
        return (f"monitor alarm {self._alarm_name(policy, which)} in state ALARM triggered policy "
                f"{policy.policy_name}")

    def _set_alarm(self, account: str, region: str, policy, which: str, state: str) -> None:
        for name in policy.alarm_names:
            if which in name:
                try:
                    self.world.set_alarm_state(account, region, name, state)
                except Exception:
                    pass

    def _apply(self, account, region, ecs, svc, target, new: int, now: datetime, cause: str) -> None:
        old = int(svc.desired_count or 0)
        if new == old:
            return
        if new > old:
            self.sim.scale_out_older_deployments(ecs, svc, new - old)
        svc.desired_count = new
        if svc.deployments:
            svc.deployments[0]["desiredCount"] = new
        activity = {
            "ActivityId": str(self.world.uuid4()),
            "ServiceNamespace": "ecs",
            "ResourceId": target.resource_id,
            "ScalableDimension": target.scalable_dimension,
            "Description": f"Setting desired count to {new}.",
            "Cause": cause,
            "StartTime": now.timestamp(),
            "EndTime": (now + timedelta(seconds=1)).timestamp(),
            "StatusCode": "Successful",
            "StatusMessage": f"Successfully set desired count to {new}. Change successfully fulfilled by ecs.",
        }
        self.activities.setdefault((account, region), []).insert(0, activity)
        del self.activities[(account, region)][500:]
        self.sim.settle(ecs, svc)

    def describe_activities(self, account: str, region: str, namespace: str | None,
                            resource_id: str | None, dimension: str | None) -> list[dict]:
        out = []
        for a in self.activities.get((account, region), []):
            if namespace and a["ServiceNamespace"] != namespace:
                continue
            if resource_id and a["ResourceId"] != resource_id:
                continue
            if dimension and a["ScalableDimension"] != dimension:
                continue
            out.append(a)
        return out
