//! The local sandbox, end to end: `ecsdrill sandbox install` builds the Python environment
//! (kept under target/tmp, so later runs reuse it), the server runs on 127.0.0.1, and the
//! real `aws` CLI from that environment talks to it. The simulation's own end-to-end suite
//! (sandbox/tests, driven through the same CLI) runs here too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

const BIN: &str = env!("CARGO_BIN_EXE_ecsdrill");
static INSTALL: Mutex<bool> = Mutex::new(false);

fn home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox-home")
}

fn ecsdrill(args: &[&str]) -> Output {
    ecsdrill_env(args, &[])
}

fn ecsdrill_env(args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("ECSDRILL_SANDBOX_HOME", home())
        .env("HOME", home())
        .stdin(Stdio::null());
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Installs once per test run (and is a no-op when an earlier run installed the same pins).
fn installed() {
    let mut done = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if !*done {
        let out = ecsdrill(&["sandbox", "install"]);
        assert!(
            out.status.success(),
            "install failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        *done = true;
    }
}

/// The real aws CLI from the sandbox environment, configured by `ecsdrill sandbox env`.
fn aws(args: &[&str]) -> Output {
    let env_out = ecsdrill(&["sandbox", "env"]);
    assert!(env_out.status.success(), "{}", text(&env_out.stderr));
    let mut cmd = Command::new(home().join("venv/bin/aws"));
    cmd.env_clear();
    for line in text(&env_out.stdout).lines() {
        if let Some((k, v)) = line
            .strip_prefix("export ")
            .and_then(|kv| kv.split_once('='))
        {
            cmd.env(k, v.trim_matches('\''));
        }
    }
    cmd.env("HOME", home())
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    cmd.args(args).arg("--output").arg("json").output().unwrap()
}

fn aws_json(args: &[&str]) -> serde_json::Value {
    let out = aws(args);
    assert!(out.status.success(), "aws {args:?}: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
fn sandbox_lifecycle_with_the_real_aws_cli() {
    installed();
    let again = ecsdrill(&["sandbox", "install"]);
    assert!(text(&again.stdout).contains("already installed"));
    ecsdrill(&["sandbox", "down"]);

    // up is idempotent and prints the endpoint.
    let up = ecsdrill(&["sandbox", "up", "--clock", "manual", "--seed", "7"]);
    assert!(up.status.success(), "{}", text(&up.stderr));
    let endpoint = text(&up.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_string();
    let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(
        listeners(port),
        ["0100007F"],
        "the sandbox must listen on 127.0.0.1 only"
    );
    let up2 = ecsdrill(&["sandbox", "up", "--seed", "8"]);
    assert!(text(&up2.stdout).contains(&format!("already running at {endpoint}")));
    assert!(
        text(&up2.stdout).contains("--seed applies when the sandbox starts"),
        "{}",
        text(&up2.stdout)
    );
    let status: serde_json::Value =
        serde_json::from_slice(&ecsdrill(&["sandbox", "status", "--json"]).stdout).unwrap();
    assert_eq!(status["running"], true);
    assert_eq!(status["endpoint"], endpoint.as_str());
    assert_eq!(status["moto_version"], "5.2.5");
    assert_eq!(
        status["seed"], 7,
        "the running server keeps the seed it started with"
    );

    // A service on a pushed image reaches a steady state as the sandbox clock advances.
    let push = ecsdrill(&["sandbox", "push-image", "web:v1"]);
    assert!(push.status.success(), "{}", text(&push.stderr));
    let image = text(&push.stdout)
        .split_whitespace()
        .find(|w| w.contains(".dkr.ecr."))
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_string();
    aws_json(&["ecs", "create-cluster", "--cluster-name", "lab"]);
    aws_json(&["logs", "create-log-group", "--log-group-name", "/ecs/web"]);
    let role = aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "exec",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    ]);
    aws_json(&[
        "iam",
        "attach-role-policy",
        "--role-name",
        "exec",
        "--policy-arn",
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    ]);
    let containers = format!(
        r#"[{{"name":"web","image":"{image}","essential":true,"portMappings":[{{"containerPort":8080}}],"logConfiguration":{{"logDriver":"awslogs","options":{{"awslogs-group":"/ecs/web","awslogs-region":"us-east-1","awslogs-stream-prefix":"web"}}}}}}]"#
    );
    aws_json(&[
        "ecs",
        "register-task-definition",
        "--family",
        "web",
        "--requires-compatibilities",
        "FARGATE",
        "--network-mode",
        "awsvpc",
        "--cpu",
        "256",
        "--memory",
        "512",
        "--execution-role-arn",
        role["Role"]["Arn"].as_str().unwrap(),
        "--container-definitions",
        &containers,
    ]);
    let subnets = aws_json(&["ec2", "describe-subnets", "--query", "Subnets[].SubnetId"]);
    let subnet = subnets[0].as_str().unwrap();
    aws_json(&[
        "ecs",
        "create-service",
        "--cluster",
        "lab",
        "--service-name",
        "web",
        "--task-definition",
        "web",
        "--desired-count",
        "2",
        "--launch-type",
        "FARGATE",
        "--network-configuration",
        &format!("awsvpcConfiguration={{subnets=[{subnet}],assignPublicIp=ENABLED}}"),
    ]);
    let adv = ecsdrill(&["sandbox", "advance", "120"]);
    assert!(adv.status.success(), "{}", text(&adv.stderr));
    let describe = || {
        aws_json(&[
            "ecs",
            "describe-services",
            "--cluster",
            "lab",
            "--services",
            "web",
        ])
    };
    let svc = describe();
    assert_eq!(svc["services"][0]["runningCount"], 2, "{svc}");
    let events = svc["services"][0]["events"].to_string();
    assert!(events.contains("has reached a steady state"), "{events}");

    // ecsdrill's own client (the AWS SDK for Rust) reads the same live state.
    let status = ecsdrill(&["sandbox", "status"]);
    assert!(
        text(&status.stdout).contains("cluster lab: 1 services, 2 running tasks, 0 pending"),
        "{}",
        text(&status.stdout)
    );
    let sj: serde_json::Value =
        serde_json::from_slice(&ecsdrill(&["sandbox", "status", "--json"]).stdout).unwrap();
    assert_eq!(sj["clusters"][0]["running_tasks"], 2, "{sj}");

    // `sandbox shell` opens a shell whose `aws` is the sandbox's and talks to it.
    let mut shell = Command::new(BIN)
        .args(["sandbox", "shell"])
        .env("ECSDRILL_SANDBOX_HOME", home())
        .env("HOME", home())
        .env("SHELL", "/bin/sh")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    shell
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"command -v aws; aws ecs list-clusters --output text --query 'clusterArns[0]'\n",
        )
        .unwrap();
    let out = shell.wait_with_output().unwrap();
    let o = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        o.contains(&home().join("venv/bin/aws").display().to_string()),
        "{o}"
    );
    assert!(o.contains("cluster/lab"), "{o}");

    // down and up keep the learner's work: the service comes back as it was, at the
    // same simulated time, and goes on from there.
    let before = describe();
    let down = ecsdrill(&["sandbox", "down"]);
    assert!(
        text(&down.stdout).contains("its state is saved in"),
        "{}",
        text(&down.stdout)
    );
    assert!(home().join("state/snapshot.pickle").exists());
    let up = ecsdrill(&["sandbox", "up", "--clock", "manual"]);
    assert!(up.status.success(), "{}", text(&up.stderr));
    assert!(
        text(&up.stdout).contains("restored what `sandbox down` saved (clusters: 1, services: 1;"),
        "{}",
        text(&up.stdout)
    );
    let after = describe();
    assert_eq!(after["services"][0]["runningCount"], 2, "{after}");
    assert_eq!(
        after["services"][0]["events"],
        before["services"][0]["events"]
    );
    let tasks = aws_json(&["ecs", "list-tasks", "--cluster", "lab"]);
    assert_eq!(
        tasks["taskArns"].as_array().map(Vec::len),
        Some(2),
        "{tasks}"
    );

    // reset empties it, and what down saves then is the empty sandbox.
    assert!(ecsdrill(&["sandbox", "reset"]).status.success());
    assert_eq!(
        aws_json(&["ecs", "list-clusters"])["clusterArns"],
        serde_json::json!([])
    );
    aws_json(&["ecs", "create-cluster", "--cluster-name", "scratch"]);
    assert!(ecsdrill(&["sandbox", "down"]).status.success());
    let reset_down = ecsdrill(&["sandbox", "reset"]);
    assert!(
        text(&reset_down.stdout).contains("saved state is deleted"),
        "{}",
        text(&reset_down.stdout)
    );
    let up = ecsdrill(&["sandbox", "up", "--clock", "manual"]);
    assert!(up.status.success(), "{}", text(&up.stderr));
    assert_eq!(
        aws_json(&["ecs", "list-clusters"])["clusterArns"],
        serde_json::json!([])
    );
    let status: serde_json::Value =
        serde_json::from_slice(&ecsdrill(&["sandbox", "status", "--json"]).stdout).unwrap();
    let pid = status["pid"].as_u64().unwrap();

    // The server dies: status says so, up restarts it.
    unsafe { libc_kill(pid as i32, 9) };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let st = ecsdrill(&["sandbox", "status"]);
    assert_eq!(st.status.code(), Some(1));
    assert!(
        text(&st.stdout).contains("stopped unexpectedly"),
        "{}",
        text(&st.stdout)
    );
    let env_err = ecsdrill(&["sandbox", "env"]);
    assert_eq!(env_err.status.code(), Some(2));
    assert!(text(&env_err.stderr).contains("ecsdrill sandbox up"));
    assert!(
        ecsdrill(&["sandbox", "up", "--clock", "manual"])
            .status
            .success()
    );

    // down stops only what up started.
    let down = ecsdrill(&["sandbox", "down"]);
    assert!(
        text(&down.stdout).contains("stopped the sandbox"),
        "{}",
        text(&down.stdout)
    );
    assert_eq!(ecsdrill(&["sandbox", "status"]).status.code(), Some(1));
    let mut other = Command::new("sleep").arg("60").spawn().unwrap();
    std::fs::write(
        home().join("run.json"),
        format!(r#"{{"pid": {}, "endpoint": "http://127.0.0.1:9", "moto_version": "x", "started_at": "x"}}"#, other.id()),
    )
    .unwrap();
    let refused = ecsdrill(&["sandbox", "down"]);
    assert!(
        text(&refused.stdout).contains("nothing was signalled"),
        "{}",
        text(&refused.stdout)
    );
    assert!(
        other.try_wait().unwrap().is_none(),
        "down killed a process it did not start"
    );
    other.kill().unwrap();
    other.wait().unwrap();
}

#[test]
fn missing_python_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let out = ecsdrill_env(
        &["sandbox", "install"],
        &[
            ("ECSDRILL_PYTHON", "/nonexistent/python3"),
            ("ECSDRILL_SANDBOX_HOME", dir.path().to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("Python was not found") && err.contains("hint: install Python 3.10"),
        "{err}"
    );
}

#[test]
fn simulation_end_to_end_suite_with_the_real_aws_cli() {
    installed();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("sandbox/run-tests.sh");
    let out = Command::new(script)
        .arg(home().join("venv"))
        .env("HOME", home())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{all}");
    let last = all
        .lines()
        .rev()
        .find(|l| l.contains(" passed, "))
        .unwrap_or_default()
        .to_string();
    assert!(last.ends_with("0 failed"), "{last}");
    // The suites' own counts, in the test command's output (written past libtest's capture).
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    for phase in ["in-process: ", "end-to-end: "] {
        let line = all.lines().rev().find(|l| l.starts_with(phase));
        assert!(line.is_some(), "no {phase}line: {all}");
        let _ = writeln!(err, "sandbox suites: {}", line.unwrap_or_default());
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// The local addresses (kernel hex) of every listening TCP socket on `port`, IPv4 and IPv6.
fn listeners(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (cols.get(1), cols.get(3)) else {
                continue;
            };
            let Some((addr, hex_port)) = local.split_once(':') else {
                continue;
            };
            if *state == "0A" && u16::from_str_radix(hex_port, 16) == Ok(port) {
                found.push(addr.to_string());
            }
        }
    }
    found
}
