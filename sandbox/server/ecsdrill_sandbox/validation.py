"""Checks real ECS makes on RegisterTaskDefinition, CreateService and RunTask
that moto does not. Error texts: see messages.py."""

from __future__ import annotations

from . import messages as M

# task-level CPU units -> allowed memory in MiB (Linux), from the Fargate size table
_FARGATE = {
    256: {512, 1024, 2048},
    512: {1024, 2048, 3072, 4096},
    1024: set(range(2048, 8192 + 1, 1024)),
    2048: set(range(4096, 16384 + 1, 1024)),
    4096: set(range(8192, 30720 + 1, 1024)),
    8192: set(range(16384, 61440 + 1, 4096)),
    16384: set(range(32768, 122880 + 1, 8192)),
}


def cpu_units(value) -> int | None:
    """'256', 256, '.25 vCPU', '1 vcpu' -> CPU units."""
    if value is None or value == "":
        return None
    s = str(value).strip().lower()
    try:
        if "vcpu" in s:
            return int(round(float(s.replace("vcpu", "").strip()) * 1024))
        return int(float(s))
    except ValueError:
        return -1


def memory_mib(value) -> int | None:
    if value is None or value == "":
        return None
    s = str(value).strip().lower()
    try:
        if s.endswith("gb"):
            return int(round(float(s[:-2].strip()) * 1024))
        if s.endswith("mb") or s.endswith("mib"):
            return int(float(s.rstrip("mib").strip()))
        return int(float(s))
    except ValueError:
        return -1


def fargate_size_error(cpu, memory) -> str | None:
    if cpu is None or cpu == "":
        return M.FARGATE_CPU_REQUIRED
    if memory is None or memory == "":
        return M.FARGATE_MEMORY_REQUIRED
    c, m = cpu_units(cpu), memory_mib(memory)
    if c not in _FARGATE:
        return M.INVALID_CPU
    if m not in _FARGATE[c]:
        return M.NO_FARGATE_CONFIG.format(cpu=cpu, memory=memory)
    return None


def fargate_compatible(network_mode, cpu, memory) -> bool:
    return (network_mode in (None, "awsvpc")) and fargate_size_error(cpu, memory) is None


def register_errors(params: dict) -> str | None:
    """ClientException message for a RegisterTaskDefinition request, or None."""
    execution_role = params.get("executionRoleArn")
    if not execution_role and any(cd.get("secrets") for cd in params.get("containerDefinitions") or []):
        return M.SECRETS_EXEC_ROLE
    requires = params.get("requiresCompatibilities") or []
    if "FARGATE" not in requires:
        return None
    if params.get("networkMode") != "awsvpc":
        return M.FARGATE_NETWORK_MODE
    err = fargate_size_error(params.get("cpu"), params.get("memory"))
    if err:
        return err
    for cd in params.get("containerDefinitions") or []:
        image = cd.get("image") or ""
        if ".dkr.ecr." in image and not execution_role:
            return M.FARGATE_ECR_EXEC_ROLE
        log = cd.get("logConfiguration") or {}
        if log.get("logDriver") == "awslogs" and not execution_role:
            return M.FARGATE_AWSLOGS_EXEC_ROLE
    return None
