//! The learning path on one sandbox (issue 13): every lab in learning-path order with its
//! reference solution (tests/labs/ID.yaml, done with the real `aws` CLI), then `lab reset`
//! of each and its solution again, then a few labs in a seeded random order; each must
//! pass every time. Plus the regressions that kept the path from working: `push-image` of
//! an image the registry has, `lab reset` while the lab's service runs, two `sandbox up` at
//! once, checks after the sandbox lost its state, the run-task lab's newest task, hints.
//! Simulated time moves only through `sandbox advance` and the labs' setups.

mod labenv;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use labenv::{BIN, Env, failed_ids, lab_ids, solution, text};

/// A small deterministic generator for the random order (xorshift64).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The seed of the random order; the order it gives is printed.
const SEED: u64 = 0x1313_2026;
const RANDOM_LABS: usize = 4;

fn solve(env: &Env, id: &str, when: &str) {
    env.focus(id);
    let sol = solution(id);
    env.run(&format!("{id} ({when})"), &sol.script(&sol.solution));
    env.passes(&sol, when);
}

#[test]
fn the_learning_path_on_one_sandbox() {
    let env = Env::new("journey");
    let ids = lab_ids();
    assert_eq!(ids.len(), 15, "{ids:?}");
    let t = Instant::now();
    for id in &ids {
        env.start(id);
        solve(&env, id, "in learning-path order");
    }
    eprintln!("journey: fifteen labs in order: {:.0?}", t.elapsed());

    let t = Instant::now();
    for id in &ids {
        env.reset(id);
        solve(&env, id, "after `lab reset`");
    }
    eprintln!("journey: each reset and done again: {:.0?}", t.elapsed());

    let t = Instant::now();
    let mut rng = Rng(SEED);
    let mut pool = ids.clone();
    let order: Vec<String> = (0..RANDOM_LABS)
        .map(|_| pool.remove(rng.below(pool.len())))
        .collect();
    eprintln!("journey: random order (seed {SEED:#x}): {order:?}");
    for id in &order {
        env.reset(id);
        solve(&env, id, &format!("in the random order {order:?}"));
    }
    eprintln!("journey: random order: {:.0?}", t.elapsed());
}

fn describe_images(env: &Env, extra: &str) -> serde_json::Value {
    let out = env.run(
        "describe-images",
        &format!("aws ecr describe-images --repository-name web --output json {extra}"),
    );
    serde_json::from_str(&out).unwrap()
}

/// As `docker push`: pushing an image ECR has is a no-op, and pushing new content to a tag
/// moves the tag and leaves the old image untagged, still there by digest. So labs whose
/// setups push `web:v1` start after each other, and after themselves.
#[test]
fn push_image_is_a_no_op_for_an_image_ecr_has_and_moves_a_tag_to_new_content() {
    let env = Env::new("push-image");
    let first = env.ok(&["sandbox", "push-image", "web:v1"]);
    assert!(first.starts_with("pushed web:v1 (healthy)"), "{first}");
    let again = env.ok(&["sandbox", "push-image", "web:v1"]);
    assert!(again.contains("nothing pushed"), "{again}");
    let images = describe_images(&env, "");
    assert_eq!(images["imageDetails"].as_array().unwrap().len(), 1);
    let old = images["imageDetails"][0]["imageDigest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        first.contains(&old) && again.contains(&old),
        "{first}{again}"
    );

    let moved = env.ok(&["sandbox", "push-image", "web:v1", "--behavior", "crash"]);
    assert!(
        moved.contains("the tag v1 moved") && moved.contains(&format!("web@{old}")),
        "{moved}"
    );
    let untagged = describe_images(&env, &format!("--image-ids imageDigest={old}"));
    assert!(
        untagged["imageDetails"][0].get("imageTags").is_none(),
        "the old image stays, untagged: {untagged}"
    );
    let tagged = describe_images(&env, "--image-ids imageTag=v1");
    assert_ne!(tagged["imageDetails"][0]["imageDigest"], old.as_str());

    // Labs 2, 3, 4 and 6 push web:v1 (healthy) in their setups: each starts after the
    // others and after itself.
    for id in [
        "task-definition",
        "two-roles",
        "secrets",
        "alb-service",
        "task-definition",
    ] {
        env.start(id);
    }
    let tagged = describe_images(&env, "--image-ids imageTag=v1");
    assert_eq!(
        tagged["imageDetails"][0]["imageDigest"],
        old.as_str(),
        "the healthy image is web:v1 again"
    );
}

/// `lab reset` deletes the lab's service and waits until it is INACTIVE (in the sandbox by
/// moving its clock) before it creates the service again: twice in a row, while it runs.
#[test]
fn lab_reset_waits_for_the_running_service_to_drain() {
    let env = Env::new("reset-drain");
    for id in ["rolling-deploy", "crash-loop", "auto-scaling"] {
        env.start(id);
        for round in 1..=2 {
            let out = env.try_reset(id);
            let err = text(&out.stderr);
            assert!(
                out.status.success(),
                "{id}: reset {round}: {}{err}",
                text(&out.stdout)
            );
            assert!(err.contains("to drain"), "{id}: reset {round}: {err}");
            assert!(!err.contains("region"), "{id}: {err}");
        }
    }
    let services = env.run(
        "services",
        "aws ecs describe-services --cluster drill --services api orders search \
         --query 'services[].[serviceName,status]' --output text | sort",
    );
    let active: Vec<&str> = services.lines().filter(|l| l.ends_with("ACTIVE")).collect();
    assert_eq!(active.len(), 3, "{services}");
    // The reset is complete: the lab passes with its solution.
    solve(&env, "rolling-deploy", "after two resets");
}

fn run_info(home: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(home.join("run.json")).unwrap()).unwrap()
}

/// Server processes of one sandbox home.
fn servers_of(home: &Path) -> usize {
    let state = home.join("state").display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains("ecsdrill_sandbox") && c.contains(&state))
        .count()
}

/// Two `sandbox up` at once on one home: one starts the server, the other waits for it and
/// reports it; run.json names that server.
#[test]
fn two_sandbox_ups_at_once_leave_one_server_and_one_run_record() {
    let home = labenv::new_home("up-race");
    let up = || {
        Command::new(BIN)
            .args(["sandbox", "up", "--clock", "manual"])
            .env("ECSDRILL_SANDBOX_HOME", &home)
            .env("HOME", &home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let down = || {
        Command::new(BIN)
            .args(["sandbox", "down"])
            .env("ECSDRILL_SANDBOX_HOME", &home)
            .env("HOME", &home)
            .output()
            .unwrap()
    };
    // Whatever happens, no server of this home outlives the test.
    struct Down<F: Fn() -> std::process::Output>(F);
    impl<F: Fn() -> std::process::Output> Drop for Down<F> {
        fn drop(&mut self) {
            (self.0)();
        }
    }
    let _down = Down(down);
    let down = || (_down.0)();
    for round in 0..3 {
        let (a, b) = (up(), up());
        let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        for o in &outs {
            assert!(o.status.success(), "round {round}: {}", text(&o.stderr));
        }
        let said: Vec<String> = outs.iter().map(|o| text(&o.stdout)).collect();
        let started = said
            .iter()
            .filter(|s| s.starts_with("sandbox running at"))
            .count();
        let reported = said
            .iter()
            .filter(|s| s.starts_with("sandbox already running at"))
            .count();
        assert_eq!((started, reported), (1, 1), "round {round}: {said:?}");
        let info = run_info(&home);
        let endpoint = info["endpoint"].as_str().unwrap();
        for s in &said {
            assert!(
                s.contains(&format!("{endpoint} (pid {}", info["pid"])),
                "{s}"
            );
        }
        assert_eq!(servers_of(&home), 1, "round {round}");
        assert!(
            labenv::http_get(endpoint, "/_ecsdrill/status").contains("moto_version"),
            "round {round}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&home)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        assert!(down().status.success());
        assert_eq!(servers_of(&home), 0);
    }
}

/// After `sandbox reset` or `sandbox down` + `up` the sandbox is empty: a lab with a setup
/// says its resources are gone and how to set it up again, not which single resource to
/// create. A lab whose setup resources are there keeps its ordinary messages.
#[test]
fn checks_after_the_sandbox_lost_its_state_name_lab_reset_and_down_up_keeps_it() {
    let mut env = Env::new("lost-state");
    env.start("task-definition");
    let (out, v) = env.check("task-definition", &Default::default());
    assert_eq!(out.status.code(), Some(1));
    let failed = failed_ids(&v);
    assert!(
        failed
            .iter()
            .any(|f| f.contains("it is your teammate's draft")),
        "the learner's own work is asked for: {failed:#?}"
    );
    assert!(
        failed.iter().all(|f| !f.contains("lab reset")),
        "{failed:#?}"
    );

    env.start("rolling-deploy");
    let lost = |env: &Env, how: &str| {
        let (out, v) = env.check("rolling-deploy", &Default::default());
        assert_eq!(out.status.code(), Some(1), "{how}: {}", text(&out.stderr));
        let failed = failed_ids(&v);
        assert!(!failed.is_empty());
        for f in &failed {
            assert!(
                f.contains("This lab's resources are gone")
                    && f.contains("service api in cluster drill")
                    && f.contains("`ecsdrill lab reset rolling-deploy`"),
                "{how}: {f}"
            );
            assert!(!f.contains("There is no active service"), "{how}: {f}");
        }
    };
    env.ok(&["sandbox", "reset"]);
    lost(&env, "after sandbox reset");
    env.reset("rolling-deploy");
    // down and up keep the sandbox's state: the lab goes on where it was...
    let (_, before) = env.check("rolling-deploy", &Default::default());
    env.ok(&["sandbox", "down"]);
    env.up();
    let (_, after) = env.check("rolling-deploy", &Default::default());
    assert_eq!(
        failed_ids(&after),
        failed_ids(&before),
        "down and up lost the lab's state"
    );
    // ... and `sandbox reset` while it is down forgets it.
    env.ok(&["sandbox", "down"]);
    env.ok(&["sandbox", "reset"]);
    env.up();
    lost(&env, "after sandbox reset while it was down");
    env.reset("rolling-deploy");
    solve(
        &env,
        "rolling-deploy",
        "after the sandbox restarted and lab reset",
    );
}

/// The run-task checks judge the newest task started since `lab start`: a correct run right
/// after an older one was stopped by hand passes, and right after `lab reset` nothing does.
#[test]
fn run_task_judges_the_newest_task_since_lab_start() {
    let env = Env::new("run-task-newest");
    env.start("run-task");
    let run = "SUBNETS=$(aws ec2 describe-subnets --filters Name=tag:ecsdrill:tier,Values=private \
                 --query 'Subnets[].SubnetId' --output text | tr '\\t ' ',,')
               aws ecs run-task --cluster drill --launch-type FARGATE --task-definition report \
                 --network-configuration \"awsvpcConfiguration={subnets=[$SUBNETS],assignPublicIp=DISABLED}\" \
                 --query 'tasks[0].taskArn' --output text";
    // A run stopped by hand is not a run that ended by itself...
    let arn = env.run("run", run);
    env.run(
        "stop",
        &format!("aws ecs stop-task --cluster drill --task {arn} > /dev/null; ecsdrill sandbox advance 30 > /dev/null"),
    );
    let (out, v) = env.check("run-task", &Default::default());
    assert_eq!(out.status.code(), Some(1));
    let failed = failed_ids(&v);
    assert!(
        failed.iter().any(|f| f.starts_with("ended-by-itself: ")
            && f.contains("(expected EssentialContainerExited; found UserInitiated)")),
        "{failed:#?}"
    );
    // ... and one stopped by hand, then a correct run at once: the newest one counts.
    let older = env.run("run", run);
    env.run(
        "stop, run again",
        &format!("aws ecs stop-task --cluster drill --task {older} > /dev/null\n{run} > /dev/null\necsdrill sandbox advance 60 > /dev/null"),
    );
    env.passes(&solution("run-task"), "a correct run after a stopped one");

    // Right after `lab reset`, the runs of the attempt before do not count.
    env.reset("run-task");
    let (out, v) = env.check("run-task", &Default::default());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let failed = failed_ids(&v);
    assert!(
        failed.iter().any(|f| f.starts_with("ran: ")
            && f.contains("No task of `report` has stopped yet since you started the lab")),
        "{failed:#?}"
    );
    solve(&env, "run-task", "after lab reset");
}

/// The hint counter stops at the last hint.
#[test]
fn the_hint_counter_stops_at_the_last_hint() {
    let env = Env::new("hints");
    env.start("task-definition");
    let mut n = 0;
    loop {
        let out = env.ok(&["lab", "hint", "task-definition"]);
        if out.starts_with("no more hints") {
            break;
        }
        n += 1;
        assert!(out.starts_with(&format!("hint {n} of ")), "{out}");
    }
    assert!(n >= 2);
    for _ in 0..3 {
        let out = env.ok(&["lab", "hint"]);
        assert!(
            out.starts_with(&format!("no more hints: all {n} are shown")),
            "{out}"
        );
    }
    let status = env.ok(&["lab", "status"]);
    assert!(status.contains(&format!(" {n} hints ")), "{status}");
}
