//! What the lab tests share (tests/labs.rs, tests/journey.rs): a sandbox of its own per test
//! (sharing one installed Python environment), the real `aws` CLI pointed at it, `ecsdrill`
//! in a hermetic home, and the reference solutions of tests/labs/ID.yaml.

#![allow(dead_code)] // each test binary uses a part of it

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use serde::Deserialize;

pub const BIN: &str = env!("CARGO_BIN_EXE_ecsdrill");
static INSTALL: Mutex<bool> = Mutex::new(false);

pub fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

pub fn shared_home() -> PathBuf {
    tmp().join("sandbox-home")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A lab's reference solution and typical wrong ones (tests/labs/ID.yaml).
#[derive(Deserialize)]
pub struct Solution {
    pub lab: String,
    /// Commands every script of the file begins with (the solution's and each wrong one's):
    /// what a learner does the same way whatever they get wrong later.
    #[serde(default)]
    pub common: String,
    pub solution: String,
    /// The answers to the lab's questions on a fresh sandbox.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// Shell commands that print an answer from the live state, as a learner finds it, for
    /// answers that differ on a sandbox other labs have used (revisions, IPs, counts). On a
    /// fresh sandbox each must print the answer in `answers`.
    #[serde(default)]
    pub live: BTreeMap<String, String>,
    #[serde(default)]
    pub wrong: Vec<Wrong>,
}

#[derive(Deserialize)]
pub struct Wrong {
    pub name: String,
    pub script: String,
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    pub fails: Vec<String>,
    pub message: Option<String>,
}

impl Solution {
    /// `script` after the file's `common` commands.
    pub fn script(&self, script: &str) -> String {
        format!("{}\n{script}", self.common)
    }
}

pub fn solution(id: &str) -> Solution {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/labs/{id}.yaml"));
    let sol: Solution = serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(sol.lab, id);
    sol
}

/// The labs in learning-path order (sandbox/labs/NN-ID.yaml).
pub fn lab_ids() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sandbox/labs");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            n.trim_end_matches(".yaml")
                .split_once('-')
                .unwrap()
                .1
                .to_string()
        })
        .collect()
}

/// Installs the sandbox's Python environment once per test binary (a no-op when an earlier
/// run installed the same pins).
pub fn install() {
    let mut done = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if !*done {
        let out = Command::new(BIN)
            .args(["sandbox", "install"])
            .env("ECSDRILL_SANDBOX_HOME", shared_home())
            .env("HOME", shared_home())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "install: {}", text(&out.stderr));
        *done = true;
    }
}

/// A sandbox home of its own for one test, sharing the installed Python environment.
pub fn new_home(name: &str) -> PathBuf {
    install();
    let home = tmp().join(format!("lab-{name}"));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    for entry in ["venv", "server"] {
        std::os::unix::fs::symlink(shared_home().join(entry), home.join(entry)).unwrap();
    }
    std::fs::copy(
        shared_home().join("install.json"),
        home.join("install.json"),
    )
    .unwrap();
    home
}

/// A sandbox of its own for one test (manual clock), and a hermetic home for `ecsdrill`.
pub struct Env {
    pub home: PathBuf,
    pub work: tempfile::TempDir,
    pub endpoint: String,
    /// Starts so far: each start of a lab gets its own seed, so a test run meets several draws.
    starts: Cell<u64>,
    /// What each lab's current attempt drew: lab → (`${draw.NAME}` → value), for [`Env::fill`].
    drawn: RefCell<BTreeMap<String, BTreeMap<String, String>>>,
    /// The lab whose draws scripts are filled with: the one started last, or [`Env::focus`].
    focus: RefCell<String>,
    /// Each lab's current seed.
    seeds: RefCell<BTreeMap<String, u64>>,
}

impl Env {
    pub fn new(name: &str) -> Env {
        let mut env = Env {
            home: new_home(name),
            work: tempfile::tempdir().unwrap(),
            endpoint: String::new(),
            starts: Cell::new(0),
            drawn: RefCell::new(BTreeMap::new()),
            focus: RefCell::new(String::new()),
            seeds: RefCell::new(BTreeMap::new()),
        };
        env.up();
        env
    }

    /// `sandbox up --clock manual --seed N`, and the endpoint it answers at: a manual clock and
    /// a seeded world, so a run's task timings and ids are the same every time. N is 1 unless
    /// `ECSDRILL_TEST_SANDBOX_SEED` says otherwise (to try a test on other draws).
    pub fn up(&mut self) {
        let seed = std::env::var("ECSDRILL_TEST_SANDBOX_SEED").unwrap_or_else(|_| "1".into());
        let out = self.ecsdrill(&["sandbox", "up", "--clock", "manual", "--seed", &seed]);
        assert!(out.status.success(), "up: {}", text(&out.stderr));
        let out = self.ecsdrill(&["sandbox", "status", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        self.endpoint = v["endpoint"].as_str().unwrap().to_string();
    }

    pub fn cmd(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        let data = self.work.path().join("data");
        c.env("ECSDRILL_SANDBOX_HOME", &self.home)
            .env("HOME", self.work.path())
            .env("XDG_DATA_HOME", &data)
            .env("XDG_CACHE_HOME", self.work.path().join("cache"))
            .env("XDG_CONFIG_HOME", self.work.path().join("config"))
            .env("ECSDRILL_DB", self.work.path().join("progress.db"))
            .env("ECSDRILL_NOW", "2026-11-22T10:00:00+00:00")
            .env("AWS_CONFIG_FILE", self.work.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.work.path().join("aws-credentials"),
            )
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        c
    }

    pub fn ecsdrill(&self, args: &[&str]) -> Output {
        self.cmd(Path::new(BIN)).args(args).output().unwrap()
    }

    /// `ecsdrill ARGS` that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.ecsdrill(args);
        assert!(
            out.status.success(),
            "ecsdrill {}: {}{}",
            args.join(" "),
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Runs a script with `aws` pointed at the sandbox and `ecsdrill` on PATH.
    pub fn script(&self, script: &str) -> Output {
        let env_out = self.ecsdrill(&["sandbox", "env"]);
        let mut c = self.cmd(Path::new("/bin/bash"));
        for line in text(&env_out.stdout).lines() {
            if let Some((k, v)) = line
                .strip_prefix("export ")
                .and_then(|kv| kv.split_once('='))
            {
                c.env(k, v.trim_matches('\''));
            }
        }
        let bin_dir = Path::new(BIN).parent().unwrap();
        let path = format!(
            "{}:{}:/usr/bin:/bin",
            bin_dir.display(),
            self.home.join("venv/bin").display()
        );
        c.env("PATH", path)
            .args(["-euo", "pipefail", "-c", &self.fill(script)])
            .output()
            .unwrap()
    }

    /// A script that must succeed; its stdout, trimmed.
    pub fn run(&self, what: &str, script: &str) -> String {
        let out = self.script(script);
        succeeded(&format!("{what}: script"), &out);
        text(&out.stdout).trim().to_string()
    }

    pub fn fresh(&self) {
        let _ = std::fs::remove_file(self.work.path().join("progress.db"));
        let out = self.ecsdrill(&["sandbox", "reset"]);
        assert!(out.status.success(), "reset: {}", text(&out.stderr));
    }

    /// `lab start LAB --seed S`; what it drew is kept for [`Env::fill`].
    pub fn start(&self, lab: &str) {
        succeeded(&format!("lab start {lab}"), &self.begin("start", lab));
    }

    /// `lab reset LAB --seed S` (a new attempt, with new values).
    pub fn reset(&self, lab: &str) {
        succeeded(&format!("lab reset {lab}"), &self.try_reset(lab));
    }

    /// `lab reset LAB --seed S`, whatever its outcome.
    pub fn try_reset(&self, lab: &str) -> Output {
        self.begin("reset", lab)
    }

    /// Records `lab`'s current attempt (its seed) for another target too, as if it had been
    /// started there: the read-only checks run as an AWS account over the same state.
    pub fn share_attempt(&self, lab: &str, target_key: &str) {
        let seed = *self
            .seeds
            .borrow()
            .get(lab)
            .unwrap_or_else(|| panic!("{lab} was not started"));
        let store = ecsdrill::store::Store::open(&self.work.path().join("progress.db")).unwrap();
        store.lab_started(lab, target_key, 0, seed).unwrap();
        // the CI/CD lab's last replay (`lab replay` keeps it per target and lab)
        if let Some(run) = store.setting(&format!("lab_replay:local:{lab}")).unwrap() {
            store
                .set_setting(&format!("lab_replay:{target_key}:{lab}"), &run)
                .unwrap();
        }
    }

    /// Scripts are filled with `drawn` (as `key`'s draw) from now on: a drill's values.
    pub fn set_drawn(&self, key: &str, drawn: BTreeMap<String, serde_json::Value>) {
        self.drawn.borrow_mut().insert(
            key.to_string(),
            drawn
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect(),
        );
        self.focus(key);
    }

    /// Scripts are filled with what `lab` drew from now on.
    pub fn focus(&self, lab: &str) {
        *self.focus.borrow_mut() = lab.to_string();
    }

    fn begin(&self, how: &str, lab: &str) -> Output {
        let n = self.starts.get();
        self.starts.set(n + 1);
        let seed = ecsdrill::rng::hash_str(lab) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let seed = (seed % 1_000_000_000).to_string();
        let out = self.ecsdrill(&["lab", how, lab, "--seed", &seed]);
        // The lab's text is shown with its names and numbers filled in (`${{ }}` is a GitHub
        // Actions expression, shown as written).
        assert!(
            !text(&out.stdout).replace("${{", "").contains("${"),
            "lab {how} {lab} shows a variable unexpanded: {}",
            text(&out.stdout)
        );
        let set = ecsdrill::lab::load_labs(None)
            .unwrap_or_else(|d| panic!("the built-in labs load: {}", d.len()));
        self.seeds
            .borrow_mut()
            .insert(lab.to_string(), seed.parse().unwrap());
        let drawn = ecsdrill::lab::draw::draw(set.get(lab).unwrap(), seed.parse().unwrap());
        self.drawn.borrow_mut().insert(
            lab.to_string(),
            drawn
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect(),
        );
        self.focus(lab);
        out
    }

    /// A solution's text with `${draw.NAME}` replaced by what the current attempt drew, as a
    /// learner reads the names and numbers off the lab and the live state; `${draw.NAME+K}`
    /// adds K to a drawn number (a revision after the drawn history, say).
    pub fn fill(&self, s: &str) -> String {
        self.fill_for(&self.focus.borrow(), s)
    }

    /// [`Env::fill`] with what `lab`'s current attempt drew.
    pub fn fill_for(&self, lab: &str, s: &str) -> String {
        let all = self.drawn.borrow();
        let none = BTreeMap::new();
        let drawn = all.get(lab).unwrap_or(&none);
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${draw.") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 7..];
            let end = after.find('}').expect("`${draw.` is closed");
            // `${draw.NAME}`, `${draw.NAME+K}` or `${draw.NAME*K}`
            let spec = &after[..end];
            let (name, op) = match spec.find(['+', '*']) {
                Some(i) => {
                    let k = spec[i + 1..].parse::<i64>().expect("`+K`/`*K` is a number");
                    (&spec[..i], Some((spec.as_bytes()[i], k)))
                }
                None => (spec, None),
            };
            let v = drawn
                .get(name)
                .unwrap_or_else(|| panic!("the lab drew no `{name}`: {drawn:?}"));
            match op {
                None => out.push_str(v),
                Some((op, k)) => {
                    let n = v.parse::<i64>().expect("a drawn number");
                    out.push_str(&if op == b'+' { n + k } else { n * k }.to_string());
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    pub fn check(
        &self,
        lab: &str,
        answers: &BTreeMap<String, String>,
    ) -> (Output, serde_json::Value) {
        let mut args = vec![
            "lab".to_string(),
            "check".into(),
            lab.into(),
            "--json".into(),
        ];
        for (k, v) in answers {
            args.push("--answer".into());
            args.push(format!("{k}={}", self.fill_for(lab, v)));
        }
        let out = self.cmd(Path::new(BIN)).args(&args).output().unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out, v)
    }

    /// The answers of a solution, those in `live` read from the sandbox now.
    pub fn answers(&self, sol: &Solution) -> BTreeMap<String, String> {
        let mut answers = sol.answers.clone();
        for (q, script) in &sol.live {
            let got = self.run(&format!("{} / live answer {q}", sol.lab), script);
            answers.insert(q.clone(), got);
        }
        answers
    }

    /// `lab check` with the solution's answers must pass.
    pub fn passes(&self, sol: &Solution, when: &str) {
        let answers = self.answers(sol);
        let (out, v) = self.check(&sol.lab, &answers);
        assert!(
            out.status.success() && v["passed"] == true,
            "{} ({when}): the reference solution must pass: {:#?}\n{}",
            sol.lab,
            failed_ids(&v),
            text(&out.stderr)
        );
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.ecsdrill(&["sandbox", "down"]);
    }
}

/// Fails the test with the command's output unless it succeeded.
fn succeeded(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// `id: message` of each check that failed.
pub fn failed_ids(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["passed"] == false)
                .map(|c| {
                    format!(
                        "{}: {}",
                        c["id"].as_str().unwrap_or(""),
                        c["message"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A POST to the sandbox on loopback (moto's own API or the control API), answered as text.
pub fn http_post(endpoint: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    r
}

/// A GET on the sandbox's loopback endpoint, answered as text.
pub fn http_get(endpoint: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    r
}
