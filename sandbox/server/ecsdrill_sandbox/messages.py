"""The texts real Amazon ECS writes, in one place.

Sources: the ECS Developer Guide (service event messages, stopped task errors,
deployment circuit breaker), the ECS/Fargate agents' error formats, and texts
quoted from real service events and stopped tasks. Placeholders are filled by
the scheduler.
"""

# --- service events -------------------------------------------------------
STARTED = "(service {svc}) has started {n} tasks: {tasks}."
REPLACED_UNHEALTHY = " Amazon ECS replaced {n} tasks due to an unhealthy status."
STEADY = "(service {svc}) has reached a steady state."
STOPPED = "(service {svc}) has stopped {n} running tasks: {tasks}."
DEPLOYMENT_COMPLETED = "(service {svc}) (deployment {dep}) deployment completed."
DEPLOYMENT_FAILED = "(service {svc}) (deployment {dep}) deployment failed: tasks failed to start."
ROLLING_BACK = "(service {svc}) rolling back to deployment {dep}."
REGISTERED_TARGETS = "(service {svc}) registered {n} targets in (target-group {tg})"
DRAINING = "(service {svc}) has begun draining connections on {n} tasks."
DEREGISTERED_TARGETS = "(service {svc}) deregistered {n} targets in (target-group {tg})"
UNHEALTHY_TARGET = (
    "(service {svc}) (task {task}) (port {port}) is unhealthy in (target-group {tg}) "
    "due to (reason {reason})."
)
FAILED_CONTAINER_HC = "(service {svc}) (task {task}) failed container health checks."
THROTTLED = (
    "(service {svc}) is unable to consistently start tasks successfully. "
    "For more information, see the Troubleshooting section."
)
NO_CONTAINER_INSTANCES = (
    "(service {svc}) was unable to place a task because no container instance met all "
    "of its requirements. Reason: No Container Instances were found in your cluster. "
    "For more information, see the Troubleshooting section."
)
FAILED_TO_LAUNCH = "(service {svc}) failed to launch a task with (error {error})."

# --- deployments ------------------------------------------------------------
ROLLOUT_IN_PROGRESS = "ECS deployment {dep} in progress."
ROLLOUT_COMPLETED = "ECS deployment {dep} completed."
ROLLOUT_BREAKER_FAILED = "ECS deployment circuit breaker: tasks failed to start."
ROLLOUT_BREAKER_ROLLBACK = "ECS deployment circuit breaker: rolling back to deploymentId {dep}."

# --- blue/green, linear and canary deployments (strategies.py) ----------------
# ECS's own wording for these events is not documented; these follow the style of
# the events above and name the lifecycle stage as the API does.
STAGE_ENTERED = "(service {svc}) (deployment {dep}) entered lifecycle stage {stage}."
HOOK_PAUSED = ("(service {svc}) (deployment {dep}) is paused at {stage}: lifecycle hook {hook} awaits "
               "ContinueServiceDeployment (times out at {expires}, then {action}).")
HOOK_TIMED_OUT = "(service {svc}) (deployment {dep}) lifecycle hook {hook} timed out at {stage}: {action}."
LAMBDA_NOT_RUN = ("(service {svc}) (deployment {dep}) lifecycle hook {hook} at {stage} would invoke {fn}; "
                  "Lambda functions do not run in the ecsdrill sandbox, so its declared outcome {outcome} "
                  "(hookDetails.ecsdrillOutcome) is used.")
HOOK_FAILED = "(service {svc}) (deployment {dep}) lifecycle hook {hook} returned FAILED at {stage}."
TRAFFIC_SHIFTED = ("(service {svc}) (deployment {dep}) shifted {kind} traffic: {pct}% to (target-group {green}), "
                   "{rest}% to (target-group {blue}).")
TRAFFIC_SHIFT_DENIED = ("(service {svc}) (deployment {dep}) could not shift traffic: the infrastructure role {role} "
                        "is not authorized to perform {action} on {rule}.")
BG_ROLLING_BACK = "(service {svc}) (deployment {dep}) rolling back to deployment {target}: {reason}."
ALARM_FAILED = "(service {svc}) (deployment {dep}) deployment failed: alarm {alarm} is in ALARM."
ROLLOUT_ALARM_FAILED = "ECS deployment alarm: {alarm} is in ALARM."
ROLLOUT_ALARM_ROLLBACK = "ECS deployment alarm {alarm} is in ALARM: rolling back to deploymentId {dep}."
ROLLOUT_STOP_ROLLBACK = "Service deployment rolled back by a StopServiceDeployment request: rolling back to deploymentId {dep}."
ROLLOUT_HOOK_ROLLBACK = "Lifecycle hook {hook} at {stage}: rolling back to deploymentId {dep}."
# statusReason ECS gives (quoted in the migration guide's troubleshooting)
ROLLOUT_INVALID_NETWORKING = ("Service deployment rolled back because of invalid networking configuration. Both "
                              "targetGroup and alternateTargetGroup must be associated with the "
                              "productionListenerRule or testListenerRule.")
ROLLOUT_SHIFT_FAILED = "ECS could not shift traffic with the infrastructure role: rolling back to deploymentId {dep}."

# --- task stop reasons and codes ------------------------------------------
SCALING_ACTIVITY = "Scaling activity initiated by (deployment {dep})"
# describe-target-health of a target group no listener forwards to (ELB target health reasons)
TARGET_NOT_IN_USE = "Target.NotInUse"
TARGET_NOT_IN_USE_DESC = "Target group is not configured to receive traffic from the load balancer"
ELB_HEALTH = "Task failed ELB health checks in (target-group {tg})"
CONTAINER_HEALTH = "Task failed container health checks"
ESSENTIAL_EXITED = "Essential container in task exited"
USER_STOPPED = "Task stopped by user"
OOM_CONTAINER_REASON = "OutOfMemoryError: Container killed due to memory usage"

STOP_SCHEDULER = "ServiceSchedulerInitiated"
STOP_USER = "UserInitiated"
STOP_ESSENTIAL = "EssentialContainerExited"
STOP_FAILED_TO_START = "TaskFailedToStart"

# --- image pull and resource initialisation ---------------------------------
_INIT = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
_DENIED = (
    "api error AccessDeniedException: User: {principal} is not authorized to perform: {action} "
    "on resource: {resource} {why}"
)

PULL_NOT_FOUND = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
    "failed to resolve ref {image}: {image}: not found"
)
PULL_FORBIDDEN = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
    "failed to resolve ref {image}: pulling from host {host} failed with status code "
    "[manifests {ref}]: 403 Forbidden"
)
# no network path (2024 wording: the cause first, "There is a connection issue between the
# task and ...", then the SDK's error; the earlier texts ended "Please check your task network
# configuration."): as quoted from stopped tasks and service events, 2025-2026
_NO_PATH = "ResourceInitializationError: unable to pull secrets or registry auth: "
ECR_AUTH_TIMEOUT = (
    _NO_PATH + "The task cannot pull registry auth from Amazon ECR: There is a connection issue between the "
    "task and Amazon ECR. Check your task network configuration. operation error ECR: GetAuthorizationToken, "
    "exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send "
    "failed, Post \"https://api.ecr.{region}.amazonaws.com/\": dial tcp {ip}:443: i/o timeout"
)
SSM_TIMEOUT = (
    _NO_PATH + "unable to retrieve secrets from ssm: The task cannot pull secrets from AWS Systems Manager. "
    "There is a connection issue between the task and AWS Systems Manager Parameter Store. Check your task "
    "network configuration. operation error SSM: GetParameters, https response error StatusCode: 0, "
    "RequestID: , canceled, context deadline exceeded"
)
ASM_TIMEOUT = (
    _NO_PATH + "unable to retrieve secret from asm: There is a connection issue between the task and AWS "
    "Secrets Manager. Check your task network configuration. failed to fetch secret {secret} from secrets "
    "manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 0, "
    "RequestID: , canceled, context deadline exceeded"
)
# a registry other than ECR (Docker Hub) out of reach: containerd's text, as still quoted in 2025-2026
PULL_TIMEOUT = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: "
    "failed to do request: Head \"https://{host}/v2/{path}/manifests/{ref}\": dial tcp {ip}:443: i/o timeout"
)
ECR_AUTH_DENIED = (
    _INIT + "unable to retrieve ecr registry auth: service call has been retried 3 time(s): "
    "operation error ECR: GetAuthorizationToken, https response error StatusCode: 400, "
    "RequestID: {rid}, " + _DENIED
)
SSM_DENIED = (
    _INIT + "unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
    "operation error SSM: GetParameters, https response error StatusCode: 400, "
    "RequestID: {rid}, " + _DENIED
)
SSM_INVALID = (
    _INIT + "unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
    "invalid ssm parameters: {names}"
)
ASM_DENIED = (
    _INIT + "unable to retrieve secret from asm: service call has been retried 1 time(s): "
    "failed to fetch secret {secret} from secrets manager: operation error Secrets Manager: "
    "GetSecretValue, https response error StatusCode: 400, RequestID: {rid}, " + _DENIED
)
ASM_NOT_FOUND = (
    _INIT + "unable to retrieve secret from asm: service call has been retried 1 time(s): "
    "failed to fetch secret {secret} from secrets manager: operation error Secrets Manager: "
    "GetSecretValue, https response error StatusCode: 400, RequestID: {rid}, "
    "ResourceNotFoundException: Secrets Manager can't find the specified secret."
)
ASM_NO_JSON_KEY = (
    _INIT + "unable to retrieve secret from asm: retrieved secret from Secrets Manager did not "
    "contain json key {key}"
)
NO_EXECUTION_ROLE = (
    _INIT + "the task definition has no execution role (executionRoleArn) to retrieve {what}"
)
LOG_GROUP_MISSING = (
    "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
    "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. "
    ": exit status 1"
)
LOG_DENIED = (
    "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
    "failed to create Cloudwatch log {what}: AccessDeniedException: User: {principal} is not authorized to perform: "
    "{action} on resource: {resource} {why} "
    "status code: 400, request id: {rid} : exit status 1"
)
ASSUME_ROLE = (
    "ECS was unable to assume the role '{role}' that was provided for this task. Please verify "
    "that the role being passed has the proper trust relationship and permissions and that "
    "your IAM user has permissions to pass this role."
)

# --- API validation (ClientException / InvalidParameterException) ------------
FARGATE_NETWORK_MODE = "Fargate only supports network mode \u2018awsvpc\u2019."
FARGATE_CPU_REQUIRED = "Fargate requires that 'cpu' be defined at the task level."
FARGATE_MEMORY_REQUIRED = "Fargate requires that 'memory' be defined at the task level."
INVALID_CPU = (
    "Invalid 'cpu' setting for task. For more information, see the Troubleshooting section "
    "of the Amazon ECS Developer Guide."
)
NO_FARGATE_CONFIG = (
    "No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
    "See the Amazon ECS documentation for the valid values."
)
FARGATE_ECR_EXEC_ROLE = "Fargate requires task definition to have execution role ARN to support ECR images."
FARGATE_AWSLOGS_EXEC_ROLE = (
    "Fargate requires task definition to have execution role ARN to support log driver awslogs."
)
SECRETS_EXEC_ROLE = (
    "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
)
BOTH_LAUNCH_TYPE_AND_STRATEGY = "Specifying both a launch type and capacity provider strategy is not supported."
CAPACITY_PROVIDER_NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider "
    "that is not associated with the cluster."
)
LAUNCH_TYPE_UNSUPPORTED = "Task definition does not support launch_type {lt}."
NETWORK_CONFIG_REQUIRED = (
    "Network Configuration must be provided when networkMode 'awsvpc' is specified."
)
TG_TARGET_TYPE = (
    "The provided target group {tg} has target type {tt}, which is incompatible with the "
    "awsvpc network mode specified in the task definition."
)
TG_NO_LB = "The target group with targetGroupArn {tg} does not have an associated load balancer."
TG_NOT_FOUND = (
    "Unable to assume role and validate the specified targetGroupArn. Please verify that the "
    "ECS service role being passed has the proper permissions."
)
NOT_IDEMPOTENT = "Creation of service was not idempotent."
TD_INACTIVE = "TaskDefinition is inactive"
SERVICE_NOT_ACTIVE = "Service was not ACTIVE."
TASK_NOT_FOUND = "The referenced task was not found."
NO_CONTAINER_INSTANCES_RUN = "No Container Instances were found in your cluster."
CLUSTER_HAS_SERVICES = "The Cluster cannot be deleted while Services are active."
CLUSTER_HAS_TASKS = "The Cluster cannot be deleted while Tasks are active."
# RegisterTaskDefinition with every container "essential": false (ECS refuses it;
# the wording is ours, the refusal is documented in the task definition parameters)
NO_ESSENTIAL_CONTAINER = "A task definition must have at least one essential container."
# maximumPercent leaves no room to start a task and minimumHealthyPercent none to stop one
DEPLOYMENT_CONFIG_STUCK = (
    "(service {svc}) was unable to stop or start tasks during a deployment because of the service deployment "
    "configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
)
