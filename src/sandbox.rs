//! The local sandbox as a process ecsdrill manages: a Python virtual environment with the
//! pinned moto and `aws` CLI, the server code (embedded in this binary and written out at
//! install), and one server process on 127.0.0.1 that `up` starts and `down` stops by pid.
//! The simulation itself lives in Python (sandbox/server); this module only installs,
//! starts, stops and talks to it over its control API.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::rng::hash_str;

include!(concat!(env!("OUT_DIR"), "/embedded_sandbox.rs"));

const READY: &str = "ECSDRILL_SANDBOX_READY ";
pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";

/// What `up` recorded about the server it started.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunInfo {
    pub pid: u32,
    pub endpoint: String,
    pub moto_version: String,
    pub started_at: String,
}

/// How the sandbox's clock moves.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// Simulated time follows wall time (times --speed)
    Realtime,
    /// Time moves only when told to
    Manual,
}

impl ClockMode {
    /// The server's `--clock` value.
    pub fn as_arg(self) -> &'static str {
        match self {
            ClockMode::Realtime => "realtime",
            ClockMode::Manual => "manual",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct InstallMarker {
    /// The pinned packages and the server code together: `is_installed` compares it.
    requirements: String,
    /// The pinned packages alone: when only the server code changed, `install` keeps the
    /// virtual environment and rewrites the server.
    #[serde(default)]
    packages: String,
    python: String,
    installed_at: String,
}

pub struct Sandbox {
    pub dir: PathBuf,
}

fn not_running() -> UserError {
    UserError::env("the local sandbox is not running")
        .with_hint("start it with `ecsdrill sandbox up`")
}

impl Sandbox {
    /// `$ECSDRILL_SANDBOX_HOME`, or `sandbox/` in the data directory.
    pub fn locate() -> Result<Sandbox> {
        let dir = match std::env::var_os("ECSDRILL_SANDBOX_HOME") {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => crate::app::data_dir()?.join("sandbox"),
        };
        Ok(Sandbox { dir })
    }

    pub fn venv(&self) -> PathBuf {
        self.dir.join("venv")
    }

    pub fn bin(&self, tool: &str) -> PathBuf {
        self.venv().join("bin").join(tool)
    }

    fn run_file(&self) -> PathBuf {
        self.dir.join("run.json")
    }

    pub fn log_file(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn marker(&self) -> PathBuf {
        self.dir.join("install.json")
    }

    fn packages_key() -> String {
        format!("{:016x}", hash_str(SANDBOX_REQUIREMENTS))
    }

    fn requirements_key() -> String {
        let mut all = String::from(SANDBOX_REQUIREMENTS);
        for (path, text) in SANDBOX_FILES {
            all.push_str(path);
            all.push_str(text);
        }
        format!("{:016x}", hash_str(&all))
    }

    /// Installed, complete, and for this build's requirements and server code.
    pub fn is_installed(&self) -> bool {
        let marker: Option<InstallMarker> = std::fs::read(self.marker())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        marker.is_some_and(|m| m.requirements == Self::requirements_key())
            && self.bin("python").exists()
            && self.bin("aws").exists()
    }

    /// Creates (or repairs) the virtual environment and writes the server code. An
    /// interrupted install leaves no marker, so the next one starts over.
    pub fn install(&self) -> Result<()> {
        let python = std::env::var("ECSDRILL_PYTHON").unwrap_or_else(|_| "python3".into());
        let version = python_version(&python)?;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| UserError::env(format!("cannot create {}: {e}", self.dir.display())))?;
        let previous: Option<InstallMarker> = std::fs::read(self.marker())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let _ = std::fs::remove_file(self.marker());
        let progress = Progress::new();
        let packages_current = previous
            .is_some_and(|m| m.packages == Self::packages_key() && m.python == version)
            && self.bin("python").exists()
            && self.bin("aws").exists();
        if !packages_current {
            self.install_packages(&python, &progress)?;
        }
        self.write_server(&progress)?;
        let marker = InstallMarker {
            requirements: Self::requirements_key(),
            packages: Self::packages_key(),
            python: version,
            installed_at: chrono::Utc::now().to_rfc3339(),
        };
        std::fs::write(self.marker(), serde_json::to_vec_pretty(&marker)?)?;
        progress.finish("sandbox installed");
        Ok(())
    }

    /// A fresh virtual environment with the pinned, hash-checked packages.
    fn install_packages(&self, python: &str, progress: &Progress) -> Result<()> {
        progress.step("creating the virtual environment");
        let venv = run_quiet(
            Command::new(python)
                .arg("-m")
                .arg("venv")
                .arg("--clear")
                .arg(self.venv()),
        )?;
        if !venv.0 {
            return Err(UserError::env(format!("`{python} -m venv` failed: {}", last_lines(&venv.1, 3)))
                .with_hint("install Python's venv module (Debian/Ubuntu: `apt install python3-venv`), then run `ecsdrill sandbox install` again")
                .into());
        }
        let req = self.dir.join("requirements.txt");
        std::fs::write(&req, SANDBOX_REQUIREMENTS)?;
        progress.step("installing moto, flask and the aws CLI (pinned, hash-checked)");
        let mut child = Command::new(self.bin("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--require-hashes",
                "--no-input",
                "--disable-pip-version-check",
            ])
            .args(["--progress-bar", "off", "-r"])
            .arg(&req)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting pip")?;
        let mut stderr = child.stderr.take();
        let err_thread = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(e) = stderr.as_mut() {
                let _ = e.read_to_string(&mut s);
            }
            s
        });
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let line = line.trim();
                if line.starts_with("Collecting")
                    || line.starts_with("Installing")
                    || line.starts_with("Successfully")
                {
                    progress.detail(line);
                }
            }
        }
        let status = child.wait()?;
        let err_text = err_thread.join().unwrap_or_default();
        if !status.success() {
            progress.finish("install failed");
            return Err(UserError::env(format!("pip could not install the sandbox packages: {}", last_lines(&err_text, 4)))
                .with_hint("check the network can reach PyPI, then run `ecsdrill sandbox install` again (it resumes)")
                .into());
        }
        Ok(())
    }

    fn write_server(&self, progress: &Progress) -> Result<()> {
        progress.step("writing the sandbox server");
        // a module an earlier version had and this one has not must not linger
        match std::fs::remove_dir_all(self.dir.join("server")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        for (path, text) in SANDBOX_FILES {
            let dest = self.dir.join(path);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(dest, text)?;
        }
        Ok(())
    }

    /// The server recorded by `up`, if that process is alive and is the sandbox.
    pub fn running(&self) -> Option<RunInfo> {
        let info: RunInfo = serde_json::from_slice(&std::fs::read(self.run_file()).ok()?).ok()?;
        self.is_our_server(info.pid).then_some(info)
    }

    /// True if `pid` is alive and its command line is this installation's sandbox server.
    fn is_our_server(&self, pid: u32) -> bool {
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            return false;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        cmdline.contains("ecsdrill_sandbox")
            && cmdline.contains(&self.dir.join("state").display().to_string())
    }

    /// Whether a run record exists whose process is gone (the server died).
    pub fn died(&self) -> bool {
        self.run_file().exists() && self.running().is_none()
    }

    /// Takes the home's exclusive lock (`flock` on `up.lock`), which `up` and `down` hold while
    /// they start or stop the server and write run.json. Another holder is waited for, up to
    /// `LOCK_WAIT`; the lock goes with the process, so a crashed holder leaves none behind.
    fn lock(&self) -> Result<HomeLock> {
        use std::os::fd::AsRawFd;
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| UserError::env(format!("cannot create {}: {e}", self.dir.display())))?;
        let path = self.dir.join("up.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| UserError::env(format!("cannot open {}: {e}", path.display())))?;
        let try_lock = || {
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                Ok(true)
            } else {
                let e = std::io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EWOULDBLOCK) | Some(libc::EINTR) => Ok(false),
                    _ => Err(UserError::env(format!("cannot lock {}: {e}", path.display()))
                        .with_hint("the sandbox home must be on a local file system; set ECSDRILL_SANDBOX_HOME to a local directory")),
                }
            }
        };
        if !try_lock()? {
            eprintln!(
                "sandbox: another `ecsdrill sandbox up` or `down` is at work in {}; waiting for it",
                self.dir.display()
            );
            let started = Instant::now();
            while !try_lock()? {
                if started.elapsed() > LOCK_WAIT {
                    return Err(UserError::env(format!(
                        "another `ecsdrill sandbox up` is still starting the sandbox in {} after {} s",
                        self.dir.display(),
                        LOCK_WAIT.as_secs()
                    ))
                    .with_hint("let it finish, then `ecsdrill sandbox status` shows the running sandbox")
                    .into());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(HomeLock { _file: file })
    }

    /// Writes run.json whole or not at all: a temporary file renamed over it.
    fn write_run_file(&self, info: &RunInfo) -> Result<()> {
        let tmp = self
            .dir
            .join(format!("run.json.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(info)?)?;
        std::fs::rename(&tmp, self.run_file())?;
        Ok(())
    }

    /// Starts the server unless one runs; `(info, false)` when it was already running.
    /// Two `up` at once on one home: the second waits for the first and reports its server.
    pub fn up(&self, clock: ClockMode, speed: f64, seed: Option<u64>) -> Result<(RunInfo, bool)> {
        let _lock = self.lock()?;
        if let Some(info) = self.running()
            && request(&info.endpoint, "GET", "/_ecsdrill/status", None).is_ok()
        {
            return Ok((info, false));
        }
        if !self.is_installed() {
            self.install()?;
        }
        let _ = std::fs::remove_file(self.run_file());
        let log = std::fs::File::create(self.log_file())?;
        let mut cmd = Command::new(self.bin("python"));
        cmd.args([
            "-m",
            "ecsdrill_sandbox",
            "--port",
            "0",
            "--clock",
            clock.as_arg(),
            "--speed",
            &speed.to_string(),
        ])
        .args(
            seed.map(|n| ["--seed".to_string(), n.to_string()])
                .into_iter()
                .flatten(),
        )
        .arg("--state-dir")
        .arg(self.dir.join("state"))
        .env("PYTHONPATH", self.dir.join("server"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().context("starting the sandbox server")?;
        let started = Instant::now();
        let endpoint = loop {
            let text = std::fs::read_to_string(self.log_file()).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.starts_with(READY)) {
                break line[READY.len()..].trim().to_string();
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(UserError::env(format!(
                    "the sandbox server exited ({status}): {}",
                    last_lines(&text, 5)
                ))
                .with_hint(format!(
                    "see {}; `ecsdrill sandbox install` repairs a broken installation",
                    self.log_file().display()
                ))
                .into());
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                return Err(
                    UserError::env("the sandbox server did not start within 30 s")
                        .with_hint(format!("see {}", self.log_file().display()))
                        .into(),
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let status = request(&endpoint, "GET", "/_ecsdrill/status", None)?;
        let moto_version = serde_json::from_str::<serde_json::Value>(&status.1)
            .ok()
            .and_then(|v| v["moto_version"].as_str().map(str::to_string))
            .unwrap_or_default();
        let info = RunInfo {
            pid: child.id(),
            endpoint,
            moto_version,
            started_at: chrono::Utc::now().to_rfc3339(),
        };
        self.write_run_file(&info)?;
        Ok((info, true))
    }

    /// Stops the server `up` started. Never signals a process that is not that server.
    pub fn down(&self) -> Result<DownOutcome> {
        if !self.run_file().exists() && !self.dir.join("up.lock").exists() {
            return Ok(DownOutcome::NotRunning);
        }
        let _lock = self.lock()?;
        let Ok(bytes) = std::fs::read(self.run_file()) else {
            return Ok(DownOutcome::NotRunning);
        };
        let info: Option<RunInfo> = serde_json::from_slice(&bytes).ok();
        let _ = std::fs::remove_file(self.run_file());
        let Some(info) = info else {
            return Ok(DownOutcome::NotRunning);
        };
        if !self.is_our_server(info.pid) {
            return Ok(DownOutcome::Stale(info.pid));
        }
        unsafe { libc::kill(info.pid as libc::pid_t, libc::SIGTERM) };
        let t = Instant::now();
        while self.is_our_server(info.pid) && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(25));
        }
        if self.is_our_server(info.pid) {
            unsafe { libc::kill(info.pid as libc::pid_t, libc::SIGKILL) };
        }
        Ok(DownOutcome::Stopped(info.pid))
    }

    /// The endpoint of the running sandbox, or the error that says how to start it.
    pub fn endpoint(&self) -> Result<String> {
        match self.running() {
            Some(info) => Ok(info.endpoint),
            None if self.died() => Err(UserError::env("the local sandbox stopped unexpectedly")
                .with_hint(format!(
                    "`ecsdrill sandbox up` restarts it; its log is {}",
                    self.log_file().display()
                ))
                .into()),
            None => Err(not_running().into()),
        }
    }

    /// The state the server saves on disk so that `down`/`up` keeps a learner's work.
    pub fn snapshot_file(&self) -> PathBuf {
        self.dir.join("state").join("snapshot.pickle")
    }

    /// Deletes the saved state; true if there was one.
    pub fn forget_state(&self) -> Result<bool> {
        match std::fs::remove_file(self.snapshot_file()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Environment for a shell or a child process whose `aws` should talk to the sandbox.
    pub fn env_vars(&self, endpoint: &str) -> Vec<(String, String)> {
        let path = std::env::var("PATH").unwrap_or_default();
        vec![
            ("AWS_ENDPOINT_URL".into(), endpoint.into()),
            ("AWS_REGION".into(), REGION.into()),
            ("AWS_DEFAULT_REGION".into(), REGION.into()),
            ("AWS_ACCESS_KEY_ID".into(), "test".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
            ("AWS_PAGER".into(), String::new()),
            (
                "PATH".into(),
                format!("{}:{path}", self.venv().join("bin").display()),
            ),
        ]
    }

    /// `GET /_ecsdrill/status` of the running sandbox: its clock, network and settings.
    pub fn status(&self) -> Result<serde_json::Value> {
        let endpoint = self.endpoint()?;
        let (code, text) = request(&endpoint, "GET", "/_ecsdrill/status", None)?;
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) if code == 200 => Ok(v),
            _ => Err(
                UserError::env(format!("the sandbox answered its status with HTTP {code}"))
                    .with_hint("restart it: `ecsdrill sandbox down`, then `ecsdrill sandbox up`")
                    .into(),
            ),
        }
    }

    /// POST to the control API of the running sandbox; returns the JSON answer.
    /// What the server says of itself (`GET /_ecsdrill/status`): clock, settings, and what
    /// its saved state gave back at start.
    pub fn server_status(&self) -> Result<serde_json::Value> {
        let endpoint = self.endpoint()?;
        let (_, text) = request(&endpoint, "GET", "/_ecsdrill/status", None)?;
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    pub fn control(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
        let endpoint = self.endpoint()?;
        let (code, text) = request(&endpoint, "POST", path, Some(&body.to_string()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        if code >= 400 {
            let msg = value["error"].as_str().unwrap_or(text.as_str()).to_string();
            return Err(UserError::env(format!("the sandbox refused the request: {msg}")).into());
        }
        Ok(value)
    }

    /// A control API read: `GET path?query` (the query's values URL-encoded here).
    pub fn control_get(&self, path: &str, query: &[(&str, &str)]) -> Result<serde_json::Value> {
        let endpoint = self.endpoint()?;
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencoding::encode(v)))
            .collect();
        let (code, text) = request(
            &endpoint,
            "GET",
            &format!("{path}?{}", query.join("&")),
            None,
        )?;
        let value: serde_json::Value =
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        if code >= 400 {
            let msg = value["error"].as_str().unwrap_or(text.as_str()).to_string();
            return Err(UserError::env(format!("the sandbox refused the request: {msg}")).into());
        }
        Ok(value)
    }
}

/// How long `up` or `down` waits for another one working on the same home.
const LOCK_WAIT: Duration = Duration::from_secs(300);

/// The home's lock, released when dropped (the file is closed).
struct HomeLock {
    _file: std::fs::File,
}

pub enum DownOutcome {
    Stopped(u32),
    NotRunning,
    /// A record pointed at a process that is not the sandbox: nothing was signalled.
    Stale(u32),
}

fn python_version(python: &str) -> Result<String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, venv; print('%d.%d' % sys.version_info[:2])",
        ])
        .stdin(Stdio::null())
        .output();
    let hint = "install Python 3.10 or newer with its venv module (Debian/Ubuntu: `apt install python3 python3-venv`), or point ECSDRILL_PYTHON at one";
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            return Err(UserError::env(format!(
                "`{python}` cannot create virtual environments: {}",
                last_lines(&String::from_utf8_lossy(&o.stderr), 2)
            ))
            .with_hint(hint)
            .into());
        }
        Err(_) => {
            return Err(UserError::env(format!("Python was not found (`{python}`)"))
                .with_hint(hint)
                .into());
        }
    };
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (major, minor) = v
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .unwrap_or((0, 0));
    if (major, minor) < (3, 10) {
        return Err(UserError::env(format!(
            "the sandbox needs Python 3.10 or newer; `{python}` is {v}"
        ))
        .with_hint(hint)
        .into());
    }
    Ok(v)
}

fn run_quiet(cmd: &mut Command) -> Result<(bool, String)> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .context("running Python")?;
    Ok((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// Progress for the install: a spinner on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new() -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.enable_steady_tick(Duration::from_millis(100));
            b
        });
        Progress { bar }
    }

    fn step(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.set_message(msg.to_string()),
            None => eprintln!("sandbox: {msg}..."),
        }
    }

    fn detail(&self, msg: &str) {
        if let Some(b) = &self.bar {
            b.set_message(msg.to_string());
        }
    }

    fn finish(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.finish_with_message(msg.to_string()),
            None => eprintln!("sandbox: {msg}"),
        }
    }
}

/// A minimal HTTP/1.1 request to the sandbox on loopback: (status code, body).
pub fn request(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, String)> {
    request_with(
        endpoint,
        method,
        path,
        "Content-Type: application/json\r\n",
        body,
    )
}

/// An AWS JSON-protocol call (`X-Amz-Target: PREFIX.Operation`) to the sandbox, unsigned
/// (the sandbox checks signatures only with IAM enforcement on); the body passes as it is.
pub fn aws_json(endpoint: &str, service: &str, target: &str, body: &str) -> Result<(u16, String)> {
    let headers = format!(
        "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {target}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n"
    );
    request_with(endpoint, "POST", "/", &headers, Some(body))
}

fn request_with(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: Option<&str>,
) -> Result<(u16, String)> {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let addr: std::net::SocketAddr = host
        .parse()
        .map_err(|_| UserError::env(format!("bad sandbox endpoint {endpoint}")))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|_| not_running())?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    Ok((
        code,
        if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        },
    ))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Splits `REPO:TAG` (tag defaults to latest).
pub fn parse_image(spec: &str) -> Result<(String, String)> {
    let (repo, tag) = match spec.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (spec, "latest"),
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
    };
    if !valid(repo) || !valid(tag) {
        return Err(
            UserError::env(format!("`{spec}` is not an image name like web:v1"))
                .with_hint("use REPOSITORY:TAG, e.g. `ecsdrill sandbox push-image web:v1`")
                .into(),
        );
    }
    Ok((repo.to_string(), tag.to_string()))
}

/// A setting's name as a crash image may require it (`--requires`, a lab's `requires`): an
/// environment variable name of capital letters, digits and `_`, starting with a letter.
pub fn is_setting_name(s: &str) -> bool {
    s.len() <= 128
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_names() {
        for ok in ["APP_MODE", "ORDERS_DB_URL", "A", "S3_BUCKET"] {
            assert!(is_setting_name(ok), "{ok}");
        }
        for bad in ["", "app_mode", "_MODE", "3D", "APP-MODE", "APP MODE", "ÄPP"] {
            assert!(!is_setting_name(bad), "{bad}");
        }
    }

    #[test]
    fn image_specs() {
        assert_eq!(parse_image("web:v1").unwrap(), ("web".into(), "v1".into()));
        assert_eq!(
            parse_image("team/web").unwrap(),
            ("team/web".into(), "latest".into())
        );
        assert!(parse_image("web:").is_err());
        assert!(parse_image("we b:v1").is_err());
    }

    #[test]
    fn chunked_bodies_decode() {
        assert_eq!(dechunk("4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"), "{\"a\":1}");
    }

    #[test]
    fn embedded_server_and_requirements_are_present() {
        assert!(
            SANDBOX_REQUIREMENTS.contains("moto==")
                && SANDBOX_REQUIREMENTS.contains("--hash=sha256:")
        );
        assert!(
            SANDBOX_FILES
                .iter()
                .any(|(p, _)| p.ends_with("__main__.py"))
        );
    }
}
