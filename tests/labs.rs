//! Every lab, end to end against the real sandbox: `lab start` runs the setup, the reference
//! solution in tests/labs/ID.yaml is performed with the real `aws` CLI, and `lab check`
//! must pass; each typical wrong solution must fail the checks it names. Then the same
//! checks run with IAM enforcement on and only the read-only checker policy
//! (sandbox/aws/ecsdrill-checker-policy.json), through `sandbox use aws`: that proves they
//! only read, and exercises the real-account path (STS allow-list) against the sandbox.

mod labenv;

use std::path::Path;
use std::process::{Output, Stdio};

use labenv::{BIN, Env, failed_ids, http_post, text};

/// Sets up a read-only IAM user in the sandbox and turns IAM enforcement on; labs then
/// run against the sandbox as if it were an AWS account (`sandbox use aws`).
fn enforce_read_only(env: &Env) {
    let policy =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sandbox/aws/ecsdrill-checker-policy.json");
    let script = format!(
        r#"aws iam create-user --user-name checker >/dev/null
aws iam put-user-policy --user-name checker --policy-name read-only --policy-document file://{policy} >/dev/null
aws iam create-access-key --user-name checker --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text"#,
        policy = policy.display()
    );
    let out = env.script(&script);
    assert!(out.status.success(), "checker user: {}", text(&out.stderr));
    let keys = text(&out.stdout);
    let mut it = keys.split_whitespace();
    let (id, secret) = (it.next().unwrap(), it.next().unwrap());
    std::fs::write(
        env.work.path().join("aws-credentials"),
        format!("[checker]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    std::fs::write(
        env.work.path().join("aws-config"),
        "[profile checker]\nregion = us-east-1\n",
    )
    .unwrap();
    let out = http_post(&env.endpoint, "/moto-api/reset-auth", "0");
    assert!(
        out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200"),
        "reset-auth: {out}"
    );
}

fn run_lab(id: &str) {
    let sol = labenv::solution(id);
    assert!(
        sol.wrong.len() >= 5,
        "{id}: at least five careless solutions"
    );
    let env = Env::new(id);

    for w in &sol.wrong {
        env.fresh();
        env.start(id);
        let out = env.script(&sol.script(&w.script));
        assert!(
            out.status.success(),
            "{id} / {}: script failed: {}",
            w.name,
            text(&out.stderr)
        );
        let (out, v) = env.check(id, &w.answers);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{id} / {}: must fail: {}{}",
            w.name,
            text(&out.stdout),
            text(&out.stderr)
        );
        let failed = failed_ids(&v);
        for f in &w.fails {
            assert!(
                failed.iter().any(|x| x.starts_with(&format!("{f}: "))),
                "{id} / {}: `{f}` should fail; failed: {failed:#?}",
                w.name
            );
        }
        if let Some(m) = &w.message {
            let m = env.fill(m);
            assert!(
                failed.iter().any(|x| x.contains(m.as_str())),
                "{id} / {}: no message with {m:?} in {failed:#?}",
                w.name
            );
        }
    }

    env.fresh();
    env.start(id);
    let out = env.script(&sol.script(&sol.solution));
    assert!(
        out.status.success(),
        "{id}: solution script failed: {}",
        text(&out.stderr)
    );
    let answers = env.answers(&sol);
    let (out, v) = env.check(id, &answers);
    assert!(
        out.status.success() && v["passed"] == true,
        "{id}: the reference solution must pass: {:#?}\n{}",
        failed_ids(&v),
        text(&out.stderr)
    );
    // On a fresh sandbox the answers read from the live state are the fixed ones.
    for q in sol.live.keys() {
        if let Some(fixed) = sol.answers.get(q) {
            assert_eq!(answers[q], env.fill(fixed), "{id}: live answer to {q}");
        }
    }
    if id == "auto-scaling" {
        // Target tracking asks for ceil(tasks × load / target) tasks, target 60 %.
        let want = env
            .fill("${draw.tasks} ${draw.cpu}")
            .split(' ')
            .map(|n| n.parse::<u32>().unwrap())
            .reduce(|tasks, cpu| (tasks * cpu).div_ceil(60))
            .unwrap();
        assert_eq!(
            answers["desired-now"],
            want.to_string(),
            "{}",
            env.fill("${draw.tasks} tasks at ${draw.cpu} %")
        );
        assert_eq!(
            answers["last-activity"],
            format!("Setting desired count to {want}.")
        );
    }
    let status = env.ecsdrill(&["lab", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap();
    assert_eq!(row["status"], "passed");
    if id == "ecr-push" {
        // Plain line mode asks each question on a `> ` line of its own, answered on stdin.
        let order = ["repo-uri", "digest"];
        let input: String = order
            .iter()
            .map(|q| format!("{}\n", env.fill(&sol.answers[*q])))
            .collect();
        let mut child = env
            .cmd(Path::new(BIN))
            .args(["--plain", "lab", "check", id])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let o = text(&out.stdout);
        assert!(out.status.success(), "{o}");
        assert_eq!(
            o.lines()
                .filter(|l| *l == "> type the answer (Enter skips)")
                .count(),
            2,
            "{o}"
        );
        assert!(o.contains("question (digest): What is the digest"), "{o}");
    }
    // A passed lab is evidence for each of its topics.
    let stats = env.ecsdrill(&["stats", "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    for t in row["topics"].as_array().unwrap() {
        let topic = stats["topics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| &x["id"] == t)
            .unwrap();
        assert!(
            topic["labs_passed"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == id),
            "{id}: stats for {t} should count the lab: {topic}"
        );
    }

    // The same checks, read-only: IAM enforced, the checker policy only, as an AWS account
    // whose private subnets are given with `--subnet` (as a learner does once).
    let out = env.script(
        "aws ec2 describe-subnets --filters Name=tag:ecsdrill:tier,Values=private --query 'Subnets[].SubnetId' --output text",
    );
    let private: Vec<String> = text(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(private.len(), 2, "{id}: the sandbox's private subnets");
    enforce_read_only(&env);
    let out = env
        .cmd(Path::new(BIN))
        .args([
            "sandbox",
            "use",
            "aws",
            "--profile",
            "checker",
            "--region",
            "us-east-1",
            "--account",
            "123456789012",
        ])
        .args(private.iter().flat_map(|p| ["--subnet", p.as_str()]))
        .env("AWS_ENDPOINT_URL", &env.endpoint)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{id}: sandbox use aws: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    env.share_attempt(id, "aws:123456789012:us-east-1");
    let out = env
        .cmd(Path::new(BIN))
        .args(["lab", "check", id, "--json"])
        .args(
            answers
                .iter()
                .flat_map(|(k, v)| ["--answer".to_string(), format!("{k}={}", env.fill(v))]),
        )
        .env("AWS_ENDPOINT_URL", &env.endpoint)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(
        out.status.success() && v["passed"] == true,
        "{id}: checks with the read-only policy under IAM enforcement: {:#?}\n{}{}",
        failed_ids(&v),
        text(&out.stdout),
        text(&out.stderr)
    );
    // The enforcement is real: the same credentials may not write.
    let out = env.script(
        "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY aws ecs create-cluster --cluster-name not-allowed --profile checker",
    );
    assert!(
        !out.status.success() && text(&out.stderr).contains("AccessDenied"),
        "{id}: a write with the checker policy must be denied: {}",
        text(&out.stderr)
    );
}

macro_rules! lab_tests {
    ($($name:ident => $id:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_lab($id);
            }
        )*
    };
}

lab_tests! {
    lab_01_ecr_push => "ecr-push",
    lab_02_task_definition => "task-definition",
    lab_03_two_roles => "two-roles",
    lab_04_secrets => "secrets",
    lab_05_run_task => "run-task",
    lab_06_alb_service => "alb-service",
    lab_07_rolling_deploy => "rolling-deploy",
    lab_08_crash_loop => "crash-loop",
    lab_09_cannot_pull => "cannot-pull",
    lab_10_auto_scaling => "auto-scaling",
    lab_11_logs => "logs",
    lab_12_blue_green => "blue-green",
    lab_13_canary_pause => "canary-pause",
    lab_14_service_connect => "service-connect",
    lab_15_github_actions => "github-actions",
}

fn stderr_has(out: &Output, code: i32, want: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains(want),
        "want {want:?} in: {}",
        text(&out.stderr)
    );
}

/// The rules for a real account, tested against the sandbox posing as one (its STS says
/// 123456789012): a fake allow-list refuses every write; the real one lets setup write
/// tagged resources and cleanup delete only those; faults are one line and exit 2.
#[test]
fn real_account_safety_rules() {
    let env = Env::new("safety");
    env.fresh();
    std::fs::write(
        env.work.path().join("aws-credentials"),
        "[learner]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = example\n",
    )
    .unwrap();
    std::fs::write(
        env.work.path().join("aws-config"),
        "[profile learner]\nregion = us-east-1\n[profile nocreds]\nregion = us-east-1\n",
    )
    .unwrap();
    let as_account = |args: &[&str]| {
        env.cmd(Path::new(BIN))
            .args(args)
            .env("AWS_ENDPOINT_URL", &env.endpoint)
            .output()
            .unwrap()
    };
    let use_target = |profile: &str, region: &str, account: &str| {
        as_account(&[
            "sandbox",
            "use",
            "aws",
            "--profile",
            profile,
            "--region",
            region,
            "--account",
            account,
        ])
    };
    let use_aws = |account: &str| {
        let out = use_target("learner", "us-east-1", account);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };

    // A fake allow-list: the credentials' account is not it, so nothing may be written.
    assert!(use_aws("111111111111").contains("setup and cleanup will refuse"));
    let out = as_account(&["lab", "start", "task-definition"]);
    stderr_has(
        &out,
        2,
        "refusing to write: these credentials are for account 123456789012, not the allow-listed 111111111111",
    );
    stderr_has(&as_account(&["lab", "cleanup"]), 2, "refusing to write");
    let listed = env.script("aws ecs list-clusters --query 'length(clusterArns)'; aws iam list-roles --query 'length(Roles)'");
    assert_eq!(
        text(&listed.stdout).split_whitespace().collect::<Vec<_>>(),
        ["0", "0"],
        "nothing was created"
    );

    // Billable labs ask first; without a yes nothing starts.
    let out = as_account(&["lab", "start", "alb-service"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("billable"),
        "{}",
        text(&out.stdout)
    );

    // The allow-listed account: setup writes, tagged; cleanup deletes only what is tagged.
    // (In an account, the learner pushes the lab's image with docker; here push-image does.)
    use_aws("123456789012");
    assert!(
        env.ecsdrill(&["sandbox", "push-image", "web:v1"])
            .status
            .success()
    );
    let out = as_account(&["lab", "start", "task-definition"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("setup: created"),
        "{}",
        text(&out.stderr)
    );
    let mine = env.script(
        "aws ecs create-cluster --cluster-name mine >/dev/null
         aws logs untag-log-group --log-group-name /ecs/drill --tags ecsdrill:lab
         aws iam list-role-tags --role-name ecsdrill-exec --query 'Tags[0].Key' --output text",
    );
    assert!(mine.status.success(), "{}", text(&mine.stderr));
    assert_eq!(
        text(&mine.stdout).trim(),
        "ecsdrill:lab",
        "setup tags what it creates"
    );
    let out = as_account(&["lab", "cleanup"]);
    let said = text(&out.stdout);
    assert!(said.contains("deleted role ecsdrill-exec"), "{said}");
    assert!(said.contains("left alone: log group /ecs/drill"), "{said}");
    let left = env.script(
        "aws ecs describe-clusters --clusters mine --query 'clusters[0].status' --output text
         aws logs describe-log-groups --log-group-name-prefix /ecs/drill --query 'length(logGroups)'
         aws iam list-roles --query 'length(Roles)'",
    );
    assert_eq!(
        text(&left.stdout).split_whitespace().collect::<Vec<_>>(),
        ["ACTIVE", "1", "0"]
    );

    // Faults: no credentials, a bad region, the sandbox down; each one line with the fix.
    let out = use_target("nocreds", "us-east-1", "123456789012");
    stderr_has(&out, 2, "no AWS credentials for profile `nocreds`");
    assert!(text(&out.stderr).contains("aws sso login --profile nocreds"));
    let out = use_target("learner", "useast1", "123456789012");
    stderr_has(&out, 2, "is not an AWS region name");

    // Access denied names the action.
    let deny = env.script(
        "aws iam create-user --user-name nobody >/dev/null
         aws iam create-access-key --user-name nobody --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text",
    );
    let keys = text(&deny.stdout);
    let mut it = keys.split_whitespace();
    std::fs::write(
        env.work.path().join("aws-credentials"),
        format!(
            "[learner]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            it.next().unwrap(),
            it.next().unwrap()
        ),
    )
    .unwrap();
    http_post(&env.endpoint, "/moto-api/reset-auth", "0");
    let out = as_account(&["lab", "check", "task-definition"]);
    stderr_has(&out, 2, "access denied: you may not call ");
    assert!(
        text(&out.stderr).contains("ecsdrill-checker-policy.json"),
        "{}",
        text(&out.stderr)
    );
    http_post(&env.endpoint, "/moto-api/reset-auth", "inf");

    env.cmd(Path::new(BIN))
        .args(["sandbox", "use", "local"])
        .output()
        .unwrap();
    env.ecsdrill(&["sandbox", "down"]);
    let out = env.ecsdrill(&["lab", "check", "task-definition"]);
    stderr_has(&out, 2, "the local sandbox is not running");
    assert!(text(&out.stderr).contains("ecsdrill sandbox up"));
}

#[test]
fn every_lab_has_a_reference_solution_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(dir.join("tests/labs.rs")).unwrap();
    for entry in std::fs::read_dir(dir.join("sandbox/labs")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let id = name
            .trim_end_matches(".yaml")
            .split_once('-')
            .unwrap()
            .1
            .to_string();
        assert!(
            src.contains(&format!("=> \"{id}\"")),
            "no test for lab {id}"
        );
        assert!(
            dir.join(format!("tests/labs/{id}.yaml")).exists(),
            "no tests/labs/{id}.yaml"
        );
    }
}
