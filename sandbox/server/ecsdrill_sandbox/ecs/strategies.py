"""ECS-native blue/green, linear and canary deployments (deploymentConfiguration.strategy).

Why a module of its own: a rolling deployment is a count problem (sim.reconcile_service
keeps tasks between minimumHealthyPercent and maximumPercent); these strategies are a
stage machine over two full sets of tasks and two target groups, with traffic moved by
rewriting listener rules. The simulation hands a service to this module while its
primary deployment is one of these (``drives``) and takes it back for everything
else: the first deployment of a service, rollbacks, and replacing tasks once a
deployment is done.

What it follows (ECS Developer Guide, "Amazon ECS blue/green service deployments
workflow", "linear deployments", "canary deployments", "Lifecycle hooks for Amazon ECS
service deployments", and the ECS API reference for DeploymentConfiguration,
DeploymentLifecycleHook, ServiceDeployment and ContinueServiceDeployment):

- the green revision scales up to the full desired count in the target group that does
  not serve production (``alternateTargetGroupArn`` the first time, then the two swap);
- stages in order: RECONCILE_SERVICE (only when an earlier deployment was still under
  way), PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT,
  PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP;
- the test listener rule forwards 100 % to green at TEST_TRAFFIC_SHIFT; the production
  rule's forward weights move at PRODUCTION_TRAFFIC_SHIFT: all at once (BLUE_GREEN),
  ``canaryPercent`` then the rest after ``canaryBakeTimeInMinutes`` (CANARY), or
  ``stepPercent`` at a time with ``stepBakeTimeInMinutes`` between steps (LINEAR);
  PRE_PRODUCTION_TRAFFIC_SHIFT hooks run before every step;
- both revisions keep running for ``bakeTimeInMinutes``; then CLEAN_UP stops blue;
- a rollback (a hook, a hook's timeout, StopServiceDeployment, a deployment alarm, or
  a traffic shift the infrastructure role may not make) moves both rules back to blue
  and stops green; blue's tasks were never stopped, so nothing restarts;
- PAUSE hooks wait for ContinueServiceDeployment; AWS_LAMBDA hooks cannot run here:
  their outcome is declared in ``hookDetails.ecsdrillOutcome`` (SUCCEEDED by default)
  and an event says so; a hook not resolved by its ``timeoutInMinutes`` (default 1440)
  takes its timeout action (default ROLLBACK).

Left out: the deployment circuit breaker (the API reference scopes it to rolling
updates), Service Connect and VPC Lattice traffic, NLB listeners with test traffic on
another port (a listener ARN as the production "rule" works: its default action moves).

Pure like sim.py: the listener rules, roles and alarms are reached through the World.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import iam_eval
from .. import messages as M

STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")
ALL_STRATEGIES = ("ROLLING",) + STRATEGIES
HOOK_STAGES = ("RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
               "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
               "POST_PRODUCTION_TRAFFIC_SHIFT")
LAMBDA_ONLY_STAGES = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
# the order a deployment goes through (ServiceDeploymentLifecycleStage)
STAGES = ("RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
          "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME",
          "CLEAN_UP")
DEFAULT_HOOK_TIMEOUT_MIN = 1440
LAMBDA_RUN_S = 5  # how long a declared Lambda outcome takes to arrive
LINEAR_DEFAULTS = {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}
CANARY_DEFAULTS = {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}


def now_plus(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def strategy_of(conf: dict | None) -> str:
    return ((conf or {}).get("strategy") or "ROLLING").upper()


# ---------------------------------------------------------------- validation
def validate(conf: dict, load_balancers: list, world, account: str, region: str) -> str | None:
    """Why CreateService/UpdateService refuses this configuration (None: it is fine)."""
    strategy = (conf or {}).get("strategy") or "ROLLING"
    if strategy not in ALL_STRATEGIES:
        return f"strategy should be one of [{','.join(ALL_STRATEGIES)}]"
    bake = conf.get("bakeTimeInMinutes")
    if strategy == "BLUE_GREEN" and bake is None:
        return "bakeTimeInMinutes must be specified when the deployment strategy is BLUE_GREEN."
    if bake is not None and not 0 <= int(bake) <= 1440:
        return "bakeTimeInMinutes must be between 0 and 1440."
    if conf.get("linearConfiguration") and strategy != "LINEAR":
        return "linearConfiguration is only valid when the deployment strategy is LINEAR."
    if conf.get("canaryConfiguration") and strategy != "CANARY":
        return "canaryConfiguration is only valid when the deployment strategy is CANARY."
    if strategy == "LINEAR":
        lin = _settings(conf, "linearConfiguration", LINEAR_DEFAULTS)
        if not _tenth(lin["stepPercent"]) or not 3.0 <= float(lin["stepPercent"]) <= 100.0:
            return "linearConfiguration.stepPercent must be a multiple of 0.1 from 3.0 to 100.0."
        if not 0 <= int(lin["stepBakeTimeInMinutes"]) <= 1440:
            return "linearConfiguration.stepBakeTimeInMinutes must be between 0 and 1440."
    if strategy == "CANARY":
        can = _settings(conf, "canaryConfiguration", CANARY_DEFAULTS)
        if not _tenth(can["canaryPercent"]) or not 0.1 <= float(can["canaryPercent"]) <= 100.0:
            return "canaryConfiguration.canaryPercent must be a multiple of 0.1 from 0.1 to 100.0."
        if not 0 <= int(can["canaryBakeTimeInMinutes"]) <= 1440:
            return "canaryConfiguration.canaryBakeTimeInMinutes must be between 0 and 1440."
    for hook in conf.get("lifecycleHooks") or []:
        problem = _hook_problem(hook)
        if problem:
            return problem
    if strategy == "ROLLING":
        return None
    for lb in load_balancers or []:
        problem = _advanced_problem(lb, world, account, region)
        if problem:
            return problem
    return None


def _settings(conf: dict, key: str, defaults: dict) -> dict:
    """A strategy's configuration with ECS's defaults for what is not given."""
    return {**defaults, **{k: v for k, v in (conf.get(key) or {}).items() if v is not None}}


def _tenth(value: Any) -> bool:
    try:
        return abs(float(value) * 10 - round(float(value) * 10)) < 1e-6
    except (TypeError, ValueError):
        return False


def _hook_problem(hook: dict) -> str | None:
    kind = hook.get("targetType") or "AWS_LAMBDA"
    if kind not in ("AWS_LAMBDA", "PAUSE"):
        return "targetType should be one of [AWS_LAMBDA,PAUSE]"
    stages = hook.get("lifecycleStages") or []
    if not stages:
        return "lifecycleStages must be specified for a deployment lifecycle hook."
    for stage in stages:
        if stage not in HOOK_STAGES:
            return f"Invalid lifecycle stage {stage}: should be one of [{','.join(HOOK_STAGES)}]"
        if kind == "PAUSE" and stage in LAMBDA_ONLY_STAGES:
            return f"PAUSE hooks cannot be configured at the {stage} stage; use an AWS_LAMBDA hook there."
    if kind == "AWS_LAMBDA":
        if not hook.get("hookTargetArn"):
            return "hookTargetArn must be specified for an AWS_LAMBDA lifecycle hook."
        if not hook.get("roleArn"):
            return "roleArn must be specified for an AWS_LAMBDA lifecycle hook."
    timeout = hook.get("timeoutConfiguration") or {}
    minutes = timeout.get("timeoutInMinutes")
    if minutes is not None and not 1 <= int(minutes) <= 20160:
        return "timeoutConfiguration.timeoutInMinutes must be between 1 and 20160."
    if timeout.get("action") not in (None, "CONTINUE", "ROLLBACK"):
        return "timeoutConfiguration.action should be one of [CONTINUE,ROLLBACK]"
    return None


def _advanced_problem(lb: dict, world, account: str, region: str) -> str | None:
    adv = lb.get("advancedConfiguration") or {}
    for key in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
        if not adv.get(key):
            return (f"advancedConfiguration.{key} must be specified for each load balancer of a service that "
                    "uses the BLUE_GREEN, LINEAR or CANARY deployment strategy.")
    if adv["alternateTargetGroupArn"] == lb.get("targetGroupArn"):
        return "The alternate target group must be different from the target group."
    if world.target_group(account, region, adv["alternateTargetGroupArn"]) is None:
        return f"Target group {adv['alternateTargetGroupArn']} does not exist."
    for key in ("productionListenerRule", "testListenerRule"):
        if adv.get(key) and world.forward_weights(account, region, adv[key]) is None:
            return f"The {key} {adv[key]} does not exist or does not forward to a target group."
    role = world.role(account, adv["roleArn"])
    if role is None:
        return f"The infrastructure role {adv['roleArn']} does not exist."
    if not iam_eval.trusts_service(role, "ecs.amazonaws.com"):
        return (f"Amazon ECS cannot assume the infrastructure role {adv['roleArn']}: its trust policy must allow "
                "ecs.amazonaws.com to call sts:AssumeRole.")
    return None


# ---------------------------------------------------------------- target groups
def serving_target_groups(svc, deployment: dict | None) -> list[str | None]:
    """The target group per load balancer that a deployment's tasks register in."""
    lbs = svc.load_balancers or []
    tgs = list((deployment or {}).get("_tgs") or [])
    if len(tgs) != len(lbs):
        return [lb.get("targetGroupArn") for lb in lbs]
    out = []
    for lb, tg in zip(lbs, tgs):
        pair = (lb.get("targetGroupArn"), (lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn"))
        out.append(tg if tg in pair else lb.get("targetGroupArn"))
    return out


def _other(lb: dict, tg: str | None) -> str | None:
    primary = lb.get("targetGroupArn")
    alternate = (lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")
    return alternate if tg == primary else primary


# ---------------------------------------------------------------- starting
def begin(sim, region, svc, dep: dict, now: datetime) -> None:
    """Called for every new deployment: where its tasks register, and for a strategy
    deployment that replaces a completed one, its stage machine."""
    blue = next((d for d in svc.deployments[1:] if d.get("_completed")), None)
    serving = serving_target_groups(svc, blue)
    conf = svc.deployment_configuration or {}
    strategy = strategy_of(conf)
    if strategy not in STRATEGIES or blue is None:
        dep["_tgs"] = serving
        return
    lbs = svc.load_balancers or []
    dep["_tgs"] = [_other(lb, tg) for lb, tg in zip(lbs, serving)]
    dep["_strategy"] = strategy
    dep["_blue"] = blue["id"]
    dep["_prod_weight"] = 0.0
    dep["_test_weight"] = 0.0
    dep["_hooks"] = []
    dep["_invoked"] = []
    dep["_step"] = 0
    dep["_phase"] = "pre"
    # an earlier deployment still under way: reconcile first
    others = [d for d in svc.deployments[1:] if d is not blue
              and any(t._deployment_id == d["id"] and t.desired_status == "RUNNING" for t in sim.tasks_of(region, svc))]
    for d in svc.deployments[1:]:
        if d.get("_stage"):
            d["_stage"] = None  # superseded
    _enter(sim, svc, dep, "RECONCILE_SERVICE" if others else "PRE_SCALE_UP", now)


def drives(svc) -> bool:
    return bool(svc.deployments) and bool(svc.deployments[0].get("_stage"))


def _enter(sim, svc, dep: dict, stage: str | None, now: datetime) -> None:
    if dep.get("_stage"):
        dep["_last_stage"] = dep["_stage"]
    dep["_stage"] = stage
    dep["_stage_since"] = now
    dep["updatedAt"] = now
    if stage is not None:
        sim.emit(svc, M.STAGE_ENTERED.format(svc=svc.name, dep=dep["id"], stage=stage), now)


def _conf(svc, dep: dict) -> dict:
    return dep.get("_configuration") or svc.deployment_configuration or {}


# ---------------------------------------------------------------- the step
def reconcile(sim, region, svc, now: datetime) -> None:
    dep = svc.deployments[0]
    blue = next((d for d in svc.deployments if d["id"] == dep.get("_blue")), None)
    desired = int(svc.desired_count or 0)
    dep["desiredCount"] = desired
    st = sim.state(svc)
    tasks = sim.tasks_of(region, svc)
    live = [t for t in tasks if t.last_status != "STOPPED" and t.desired_status == "RUNNING"]
    green = [t for t in live if t._deployment_id == dep["id"]]
    old = [t for t in live if t._deployment_id != dep["id"]]

    alarm = _alarm_in_alarm(sim, region, _conf(svc, dep))
    if alarm is not None:
        rollback = bool((_conf(svc, dep).get("alarms") or {}).get("rollback"))
        sim.emit(svc, M.ALARM_FAILED.format(svc=svc.name, dep=dep["id"], alarm=alarm), now)
        if rollback and blue is not None:
            roll_back(sim, region, svc, dep, M.ROLLOUT_ALARM_ROLLBACK.format(alarm=alarm, dep=blue["id"]), now)
        else:
            _fail(svc, dep, M.ROLLOUT_ALARM_FAILED.format(alarm=alarm), now)
        return

    if not dep.get("_rules_checked"):
        dep["_rules_checked"] = True
        if not _rules_reference_both(sim, region, svc, dep, blue):
            roll_back(sim, region, svc, dep, M.ROLLOUT_INVALID_NETWORKING, now)
            return

    stage = dep["_stage"]
    launch_ok = st.next_launch_at is None or now >= st.next_launch_at
    # blue keeps serving at full strength until CLEAN_UP: a lost task comes back
    if blue is not None and stage != "CLEAN_UP" and launch_ok:
        owed = blue.get("_owed", 0)
        if owed:
            started = sim.launch_for_service(region, svc, blue, owed, now)
            blue["_owed"] = owed - len(started)
    # green: the full desired count from SCALE_UP on, unhealthy tasks replaced
    if stage not in ("RECONCILE_SERVICE", "PRE_SCALE_UP"):
        unhealthy = [t for t in green if t._unhealthy is not None]
        if unhealthy:
            sim._stop_unhealthy(region, svc, unhealthy, now)
            green = [t for t in green if t._unhealthy is None]
        if len(green) > desired:
            extra = sorted(green, key=lambda t: (sim._is_healthy(svc, t, now), t.created_at))[: len(green) - desired]
            sim._stop_tasks(region, svc, extra, now, dep["id"])
            green = [t for t in green if t not in extra]
        if len(green) < desired and launch_ok:
            green += sim.launch_for_service(region, svc, dep, desired - len(green), now)

    _advance(sim, region, svc, dep, blue, green, old, now)
    tasks = sim.tasks_of(region, svc)
    sim._update_counts(svc, tasks)
    if dep.get("_stage") is None and dep.get("rolloutState") == "IN_PROGRESS":
        sim._check_completion(region, svc, tasks, now)


def _advance(sim, region, svc, dep: dict, blue: dict | None, green: list, old: list, now: datetime) -> None:
    conf = _conf(svc, dep)
    for _ in range(len(STAGES) * 4):  # several stages may pass in one step
        stage = dep.get("_stage")
        if stage is None or svc.deployments[0] is not dep:
            return
        nxt = STAGES[STAGES.index(stage) + 1] if stage != "CLEAN_UP" else None
        if stage == "RECONCILE_SERVICE":
            stray = [t for t in old if blue is None or t._deployment_id != blue["id"]]
            sim._stop_tasks(region, svc, stray, now, dep["id"])
            if not _hooks_done(sim, region, svc, dep, stage, 0, now):
                return
        elif stage == "SCALE_UP":
            healthy = [t for t in green if sim._is_healthy(svc, t, now)]
            if len(healthy) < int(svc.desired_count or 0):
                return
        elif stage == "TEST_TRAFFIC_SHIFT":
            if not dep.get("_test_shifted"):
                if not _shift(sim, region, svc, dep, blue, "testListenerRule", 100.0, now):
                    return
                dep["_test_shifted"] = True
            if not _hooks_done(sim, region, svc, dep, stage, 0, now):
                return
        elif stage == "PRODUCTION_TRAFFIC_SHIFT":
            if not _production_steps(sim, region, svc, dep, blue, conf, now):
                return
        elif stage == "BAKE_TIME":
            minutes = int(conf.get("bakeTimeInMinutes") or 0)
            if now < now_plus(dep["_stage_since"], minutes * 60):
                return
        elif stage == "CLEAN_UP":
            sim._stop_tasks(region, svc, old, now, dep["id"])
            left = [t for t in sim.tasks_of(region, svc) if t._deployment_id != dep["id"] and t.last_status != "STOPPED"]
            if left:
                return
        elif not _hooks_done(sim, region, svc, dep, stage, 0, now):
            return
        if dep.get("_stage") != stage:
            return  # a hook rolled the deployment back
        _enter(sim, svc, dep, nxt, now)


def _production_steps(sim, region, svc, dep: dict, blue, conf: dict, now: datetime) -> bool:
    """The production traffic shift, step by step; True once 100 % is on green."""
    strategy = dep["_strategy"]
    while True:
        step = dep["_step"]
        phase = dep["_phase"]
        if phase == "pre":
            if not _hooks_done(sim, region, svc, dep, "PRE_PRODUCTION_TRAFFIC_SHIFT", step, now):
                return False
            dep["_phase"] = "shift"
        elif phase == "shift":
            if not _shift(sim, region, svc, dep, blue, "productionListenerRule", _step_percent(strategy, conf, step), now):
                return False
            dep["_phase"] = "during"
        elif phase == "during":
            if not _hooks_done(sim, region, svc, dep, "PRODUCTION_TRAFFIC_SHIFT", step, now):
                return False
            if dep["_prod_weight"] >= 100.0:
                return True
            dep["_wait_until"] = now_plus(now, _step_bake_minutes(strategy, conf) * 60)
            dep["_phase"] = "wait"
        elif phase == "wait":
            if now < dep["_wait_until"]:
                return False
            dep["_step"] = step + 1
            dep["_phase"] = "pre"
        if dep.get("_stage") != "PRODUCTION_TRAFFIC_SHIFT":
            return False  # rolled back meanwhile


def _step_percent(strategy: str, conf: dict, step: int) -> float:
    if strategy == "CANARY":
        share = float(_settings(conf, "canaryConfiguration", CANARY_DEFAULTS)["canaryPercent"])
        return share if step == 0 else 100.0
    if strategy == "LINEAR":
        step_pct = float(_settings(conf, "linearConfiguration", LINEAR_DEFAULTS)["stepPercent"])
        return min(100.0, round(step_pct * (step + 1), 1))
    return 100.0


def _step_bake_minutes(strategy: str, conf: dict) -> int:
    if strategy == "CANARY":
        return int(_settings(conf, "canaryConfiguration", CANARY_DEFAULTS)["canaryBakeTimeInMinutes"])
    if strategy == "LINEAR":
        return int(_settings(conf, "linearConfiguration", LINEAR_DEFAULTS)["stepBakeTimeInMinutes"])
    return 0


# ---------------------------------------------------------------- traffic
def _shift(sim, region, svc, dep: dict, blue, rule_key: str, pct: float, now: datetime) -> bool:
    """Point ``pct`` % of a rule's traffic at green (the rest at blue) for every load
    balancer; False if the infrastructure role may not, after rolling back."""
    kind = "production" if rule_key == "productionListenerRule" else "test"
    acct, rname = region.account_id, region.region_name
    blue_tgs = serving_target_groups(svc, blue)
    for lb, green_tg, blue_tg in zip(svc.load_balancers or [], dep.get("_tgs") or [], blue_tgs):
        adv = lb.get("advancedConfiguration") or {}
        rule = adv.get(rule_key)
        if not rule:
            continue
        action = ("elasticloadbalancing:ModifyRule" if ":listener-rule/" in rule
                  else "elasticloadbalancing:ModifyListener")
        role = sim.world.role(acct, adv.get("roleArn"))
        if role is None or not iam_eval.is_allowed(role, action, rule):
            sim.emit(svc, M.TRAFFIC_SHIFT_DENIED.format(svc=svc.name, dep=dep["id"], role=adv.get("roleArn"),
                                                        action=action, rule=rule), now)
            roll_back(sim, region, svc, dep, M.ROLLOUT_SHIFT_FAILED.format(dep=blue["id"] if blue else "-"), now)
            return False
        green_w = int(round(pct))
        sim.world.set_forward_weights(acct, rname, rule, {green_tg: green_w, blue_tg: 100 - green_w})
        sim.emit(svc, M.TRAFFIC_SHIFTED.format(svc=svc.name, dep=dep["id"], kind=kind, pct=_pct(pct), green=_tg_name(green_tg),
                                               rest=_pct(100.0 - pct), blue=_tg_name(blue_tg)), now)
    dep["_prod_weight" if kind == "production" else "_test_weight"] = pct
    dep["updatedAt"] = now
    return True


def _rules_reference_both(sim, region, svc, dep: dict, blue) -> bool:
    """ECS moves weights between target groups a rule already forwards to: each of the
    two must be in the production or the test rule."""
    acct, rname = region.account_id, region.region_name
    for lb, green_tg, blue_tg in zip(svc.load_balancers or [], dep.get("_tgs") or [],
                                     serving_target_groups(svc, blue)):
        adv = lb.get("advancedConfiguration") or {}
        referenced: set[str] = set()
        for key in ("productionListenerRule", "testListenerRule"):
            if adv.get(key):
                referenced |= set(sim.world.forward_weights(acct, rname, adv[key]) or {})
        if not {green_tg, blue_tg} <= referenced:
            return False
    return True


def _restore_traffic(sim, region, svc, dep: dict, blue) -> None:
    acct, rname = region.account_id, region.region_name
    blue_tgs = serving_target_groups(svc, blue)
    for lb, green_tg, blue_tg in zip(svc.load_balancers or [], dep.get("_tgs") or [], blue_tgs):
        adv = lb.get("advancedConfiguration") or {}
        for key, moved in (("productionListenerRule", dep.get("_prod_weight")), ("testListenerRule", dep.get("_test_weight"))):
            if adv.get(key) and moved:
                sim.world.set_forward_weights(acct, rname, adv[key], {green_tg: 0, blue_tg: 100})
    dep["_prod_weight"] = 0.0
    dep["_test_weight"] = 0.0


def _pct(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _tg_name(arn: str | None) -> str:
    parts = (arn or "").split("/")
    return parts[1] if len(parts) >= 3 else (arn or "")


# ---------------------------------------------------------------- hooks
def _hooks_done(sim, region, svc, dep: dict, stage: str, step: int, now: datetime) -> bool:
    """Invoke the hooks configured for this stage (once per step) and say whether
    they all let the deployment go on; a hook that says roll back rolls it back."""
    key = f"{stage}#{step}"
    if key not in dep["_invoked"]:
        dep["_invoked"].append(key)
        for hook in _conf(svc, dep).get("lifecycleHooks") or []:
            if stage in (hook.get("lifecycleStages") or []):
                dep["_hooks"].append(_invoke(sim, svc, dep, hook, stage, key, now))
    details = [h for h in dep["_hooks"] if h["_key"] == key]
    for h in details:
        if h["status"] == "IN_PROGRESS" and now >= h["_ends_at"]:
            h["status"] = h["_outcome"]
            if h["status"] == "FAILED":
                sim.emit(svc, M.HOOK_FAILED.format(svc=svc.name, dep=dep["id"], hook=h["hookId"], stage=stage), now)
                h["_action"] = "ROLLBACK"
        if h["status"] in ("AWAITING_ACTION", "IN_PROGRESS") and now >= h["expiresAt"]:
            h["status"] = "TIMED_OUT"
            h["_action"] = h["timeoutAction"]
            sim.emit(svc, M.HOOK_TIMED_OUT.format(svc=svc.name, dep=dep["id"], hook=h["hookId"], stage=stage,
                                                  action=h["timeoutAction"]), now)
    failed = next((h for h in details if h.get("_action") == "ROLLBACK"), None)
    if failed is not None:
        blue = next((d for d in svc.deployments if d["id"] == dep.get("_blue")), None)
        roll_back(sim, region, svc, dep, M.ROLLOUT_HOOK_ROLLBACK.format(
            hook=failed["hookId"], stage=stage, dep=blue["id"] if blue else "-"), now)
        return False
    return not any(h["status"] in ("AWAITING_ACTION", "IN_PROGRESS") for h in details)


def _invoke(sim, svc, dep: dict, hook: dict, stage: str, key: str, now: datetime) -> dict:
    kind = hook.get("targetType") or "AWS_LAMBDA"
    timeout = hook.get("timeoutConfiguration") or {}
    minutes = int(timeout.get("timeoutInMinutes") or DEFAULT_HOOK_TIMEOUT_MIN)
    action = timeout.get("action") or "ROLLBACK"
    detail = {"hookId": _hook_id(sim, kind), "targetType": kind, "expiresAt": now_plus(now, minutes * 60),
              "timeoutAction": action, "_key": key, "_stage": stage}
    if kind == "PAUSE":
        detail["status"] = "AWAITING_ACTION"
        sim.emit(svc, M.HOOK_PAUSED.format(svc=svc.name, dep=dep["id"], stage=stage, hook=detail["hookId"],
                                           expires=detail["expiresAt"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                                           action=action), now)
    else:
        outcome = str(((hook.get("hookDetails") or {}) if isinstance(hook.get("hookDetails"), dict) else {})
                      .get("ecsdrillOutcome") or "SUCCEEDED").upper()
        outcome = outcome if outcome in ("SUCCEEDED", "FAILED") else "SUCCEEDED"
        detail.update(status="IN_PROGRESS", targetArn=hook.get("hookTargetArn"), _outcome=outcome,
                      _ends_at=now_plus(now, LAMBDA_RUN_S))
        sim.emit(svc, M.LAMBDA_NOT_RUN.format(svc=svc.name, dep=dep["id"], hook=detail["hookId"], stage=stage,
                                              fn=hook.get("hookTargetArn"), outcome=outcome), now)
    return detail


def _hook_id(sim, kind: str) -> str:
    """``ecs-pause-`` and 11 URL-safe characters for a PAUSE hook, as describe-service-deployments
    shows them; a Lambda hook's id has the same form with ``ecs-lambda-``."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    suffix = "".join(alphabet[sim.world.randint(0, len(alphabet) - 1)] for _ in range(11))
    return f"ecs-{'pause' if kind == 'PAUSE' else 'lambda'}-{suffix}"


def continue_hook(sim, region, svc, dep: dict, hook_id: str | None, action: str) -> str | None:
    """ContinueServiceDeployment; the reason it is refused, or None."""
    if dep.get("_stage") is None or svc.deployments[0] is not dep:
        return "The service deployment is not paused at a lifecycle hook."
    waiting = [h for h in dep.get("_hooks", []) if h["status"] == "AWAITING_ACTION"]
    if not waiting:
        return "The service deployment is not paused at a lifecycle hook."
    hook = next((h for h in waiting if h["hookId"] == hook_id), None) if hook_id else waiting[0]
    if hook is None:
        return f"No lifecycle hook {hook_id} awaits action in this service deployment."
    now = sim.clock.now()
    hook["status"] = "SUCCEEDED" if action == "CONTINUE" else "FAILED"
    hook["_action"] = action
    dep["updatedAt"] = now
    return None


# ---------------------------------------------------------------- failing
def _fail(svc, dep: dict, reason: str, now: datetime) -> None:
    dep["rolloutState"] = "FAILED"
    dep["rolloutStateReason"] = reason
    dep["updatedAt"] = now
    dep["_finished_at"] = now
    if dep.get("_stage"):
        dep["_last_stage"] = dep["_stage"]
    dep["_stage"] = None


def roll_back(sim, region, svc, dep: dict, reason: str, now: datetime) -> bool:
    """Send traffic back to blue and stop green; blue's tasks carry on as the
    rollback deployment. False when there is nothing to go back to."""
    blue = next((d for d in svc.deployments[1:] if d.get("_completed")), None)
    if blue is None:
        _fail(svc, dep, reason, now)
        return False
    _restore_traffic(sim, region, svc, dep, blue)
    sim.emit(svc, M.BG_ROLLING_BACK.format(svc=svc.name, dep=dep["id"], target=blue["id"], reason=reason.rstrip(".")),
             now)
    _fail(svc, dep, reason, now)
    sim.begin_rollback(region, svc, dep, blue, now, reason)
    return True


# ---------------------------------------------------------------- the API's view
def view(dep: dict) -> dict:
    """ServiceDeployment members this module owns."""
    out: dict = {}
    if dep.get("_strategy"):
        out["lifecycleStage"] = dep.get("_stage") or dep.get("_last_stage")
        out["lifecycleHookDetails"] = [dict(h) for h in dep.get("_hooks", [])]
    return out


def weights(dep: dict) -> tuple[float, float] | None:
    """(production, test) traffic on a strategy deployment's green revision."""
    if not dep.get("_strategy"):
        return None
    return float(dep.get("_prod_weight") or 0.0), float(dep.get("_test_weight") or 0.0)


# ---------------------------------------------------------------- alarms
def _alarm_in_alarm(sim, region, conf: dict) -> str | None:
    alarms = conf.get("alarms") or {}
    if not alarms.get("enable"):
        return None
    for name in alarms.get("alarmNames") or []:
        if sim.world.alarm_state(region.account_id, region.region_name, name) == "ALARM":
            return name
    return None
