//! Faults at the edges, end to end. The binary talks to a fake AWS endpoint on 127.0.0.1
//! that answers as real AWS does when a session has expired or calls are throttled, that
//! answers garbage, or that dies in the middle of a request as a killed sandbox does. Each
//! fault must give one clear line with the fix, exit 2, and write nothing to the progress
//! database. The same runs prove that credentials are never printed or stored. Last, a
//! source audit: no code a lab file reaches can start a process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ecsdrill");
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzFAULTSECRET1";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEFAULTTOKENnever-print-me";
const ACCOUNT: &str = "210987654321";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// STS answers who the caller is; other services answer an empty JSON object.
    Healthy,
    /// Every call: the session token has expired.
    Expired,
    /// STS works, every other call is throttled.
    Throttled,
    /// STS works, every other call is denied by IAM.
    Denied,
    /// HTTP 200 whose body is not an AWS response.
    Garbage,
    /// Bytes that are not HTTP at all.
    NotHttp,
    /// The first request kills the "sandbox" process and the connection drops unanswered;
    /// the port then refuses connections.
    Die,
}

/// A fake AWS endpoint on 127.0.0.1.
struct FakeAws {
    endpoint: String,
    mode: Arc<Mutex<Mode>>,
    requests: Arc<Mutex<Vec<String>>>,
    victim: Arc<Mutex<Option<u32>>>,
    dead: Arc<AtomicBool>,
}

impl FakeAws {
    fn start(mode: Mode) -> FakeAws {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let fake = FakeAws {
            endpoint: format!("http://{}", listener.local_addr().unwrap()),
            mode: Arc::new(Mutex::new(mode)),
            requests: Arc::default(),
            victim: Arc::default(),
            dead: Arc::default(),
        };
        let (mode, requests, victim, dead) = (
            fake.mode.clone(),
            fake.requests.clone(),
            fake.victim.clone(),
            fake.dead.clone(),
        );
        std::thread::spawn(move || {
            while !dead.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (mode, requests, victim, dead) =
                            (mode.clone(), requests.clone(), victim.clone(), dead.clone());
                        std::thread::spawn(move || serve(stream, &mode, &requests, &victim, &dead));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            // The listener drops here: from now on the port refuses connections.
        });
        fake
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    mode: &Mutex<Mode>,
    requests: &Mutex<Vec<String>>,
    victim: &Mutex<Option<u32>>,
    dead: &AtomicBool,
) {
    stream.set_nonblocking(false).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut head = Vec::new();
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(v) = line
                .to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
            {
                content_length = v.parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
            head.push(line);
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let head = head.concat();
        let body = text(&body);
        requests.lock().unwrap().push(format!("{head}\n{body}"));
        let sts = body.contains("Action=GetCallerIdentity");
        let current = *mode.lock().unwrap();
        let (status, content_type, payload) = match current {
            Mode::Die => {
                if let Some(pid) = victim.lock().unwrap().take() {
                    unsafe { kill(pid as i32, 9) };
                    // A killed server's sockets close only once it has exited: wait for that
                    // (a dead child's command line reads empty) before dropping the connection.
                    let cmdline = format!("/proc/{pid}/cmdline");
                    for _ in 0..400 {
                        if std::fs::read(&cmdline).map_or(true, |c| c.is_empty()) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
                dead.store(true, Ordering::SeqCst);
                return; // the connection drops with the request unanswered
            }
            Mode::NotHttp => {
                let _ = out.write_all(b"SSH-2.0-OpenSSH_9.6 definitely not HTTP\r\n\x00\xff\xfe");
                return;
            }
            Mode::Garbage => (
                200,
                "application/x-amz-json-1.1",
                "<html>\u{0}}{ not an AWS answer".to_string(),
            ),
            Mode::Expired if sts => (
                403,
                "text/xml",
                sts_error(
                    "ExpiredToken",
                    "The security token included in the request is expired",
                ),
            ),
            Mode::Expired => (
                400,
                "application/x-amz-json-1.1",
                json_error(
                    "ExpiredTokenException",
                    "The security token included in the request is expired",
                ),
            ),
            Mode::Throttled if !sts => (
                400,
                "application/x-amz-json-1.1",
                json_error("ThrottlingException", "Rate exceeded"),
            ),
            Mode::Denied if !sts => (
                400,
                "application/x-amz-json-1.1",
                json_error(
                    "AccessDeniedException",
                    "User: arn:aws:iam::210987654321:user/learner is not authorized to perform: ecs:DescribeTaskDefinition",
                ),
            ),
            Mode::Healthy | Mode::Throttled | Mode::Denied if sts => (
                200,
                "text/xml",
                format!(
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/learner</Arn><UserId>AIDAFAKE</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
                ),
            ),
            Mode::Healthy | Mode::Throttled | Mode::Denied => {
                (200, "application/x-amz-json-1.1", "{}".to_string())
            }
        };
        let reply = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-requestid: 1\r\n\r\n{payload}",
            payload.len()
        );
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn sts_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )
}

fn json_error(code: &str, message: &str) -> String {
    format!(r#"{{"__type":"{code}","message":"{message}"}}"#)
}

unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

/// A temporary home with AWS profiles that hold the secret this file must never leak.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(
            env.path("aws-credentials"),
            format!(
                "[learner]\naws_access_key_id = ASIAFAULTKEYID000001\naws_secret_access_key = {SECRET_KEY}\naws_session_token = {SESSION_TOKEN}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            env.path("aws-config"),
            "[profile learner]\nregion = eu-west-1\n",
        )
        .unwrap();
        std::fs::create_dir_all(env.path("sandbox-home/state")).unwrap();
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn db(&self) -> PathBuf {
        self.path("progress.db")
    }

    fn run(&self, args: &[&str], endpoint: Option<&str>) -> Output {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("ECSDRILL_DB", self.db())
            .env("ECSDRILL_SANDBOX_HOME", self.path("sandbox-home"))
            .env("ECSDRILL_NOW", "2026-11-22T10:00:00+00:00")
            .env("AWS_CONFIG_FILE", self.path("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.path("aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .stdin(Stdio::null());
        match endpoint {
            Some(e) => c.env("AWS_ENDPOINT_URL", e),
            None => c.env_remove("AWS_ENDPOINT_URL"),
        };
        let out = c.output().unwrap();
        assert_no_secret(&out);
        out
    }

    fn use_account(&self, region: &str, endpoint: Option<&str>) -> Output {
        self.run(
            &[
                "sandbox",
                "use",
                "aws",
                "--profile",
                "learner",
                "--region",
                region,
                "--account",
                ACCOUNT,
            ],
            endpoint,
        )
    }

    /// Every row of every table: what "nothing written" is checked against.
    fn db_dump(&self) -> String {
        let conn = rusqlite::Connection::open_with_flags(
            self.db(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        tables.retain(|t| !t.starts_with("sqlite_"));
        let mut dump = String::new();
        for t in tables {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap();
            for row in rows {
                dump.push_str(&format!("{t}: {}\n", row.unwrap()));
            }
        }
        dump
    }

    /// Runs a command that must fail with one error line (plus its hint), exit 2, and
    /// leave every table as it was. Returns the error line.
    fn fails_cleanly(&self, args: &[&str], endpoint: Option<&str>) -> String {
        let before = self.db_dump();
        let out = self.run(args, endpoint);
        let err = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}\nstdout: {}\nstderr: {err}",
            text(&out.stdout)
        );
        // Notes may come first; the failure is one `error:` line, then its hint.
        let lines: Vec<&str> = err
            .lines()
            .skip_while(|l| l.starts_with("note: "))
            .collect();
        assert!(
            lines.len() <= 2
                && lines.first().is_some_and(|l| l.starts_with("error: "))
                && lines.get(1).is_none_or(|h| h.starts_with("hint: ")),
            "{args:?}: one error line and its hint, got:\n{err}\nstdout: {}",
            text(&out.stdout)
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(self.db_dump(), before, "{args:?} wrote to the database");
        self.assert_nothing_stored();
        lines[0].to_string()
    }

    /// No file ecsdrill wrote (database, WAL, settings, caches) holds the secret.
    fn assert_nothing_stored(&self) {
        for file in walk(self.dir.path()) {
            if file.ends_with("aws-credentials") {
                continue;
            }
            let bytes = std::fs::read(&file).unwrap_or_default();
            for secret in [SECRET_KEY, SESSION_TOKEN] {
                assert!(
                    !contains(&bytes, secret.as_bytes()),
                    "{} holds a credential",
                    file.display()
                );
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn assert_no_secret(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        for secret in [SECRET_KEY, SESSION_TOKEN] {
            assert!(
                !contains(stream, secret.as_bytes()),
                "a credential was printed: {}",
                text(stream)
            );
        }
    }
}

#[test]
fn aws_errors_give_one_line_with_the_fix_and_write_nothing() {
    let env = Env::new();
    let aws = FakeAws::start(Mode::Healthy);
    let out = env.use_account("eu-west-1", Some(&aws.endpoint));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The fake saw real signed requests, and the signature never carries the secret.
    let seen = aws.requests();
    assert!(
        seen.iter().any(|r| r
            .to_ascii_lowercase()
            .contains("authorization: aws4-hmac-sha256")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|r| r.contains(SESSION_TOKEN)),
        "the session token is sent to AWS, as it must be"
    );
    assert!(
        !seen.iter().any(|r| r.contains(SECRET_KEY)),
        "the secret key never leaves the machine"
    );

    aws.set(Mode::Expired);
    let line = env.fails_cleanly(&["lab", "check", "task-definition"], Some(&aws.endpoint));
    assert!(
        line.contains("the AWS session of profile `learner` has expired"),
        "{line}"
    );
    let err = text(
        &env.run(&["lab", "check", "task-definition"], Some(&aws.endpoint))
            .stderr,
    );
    assert!(err.contains("aws sso login --profile learner"), "{err}");
    env.fails_cleanly(&["lab", "start", "task-definition"], Some(&aws.endpoint));
    env.fails_cleanly(&["lab", "cleanup"], Some(&aws.endpoint));

    aws.set(Mode::Throttled);
    let line = env.fails_cleanly(&["lab", "check", "task-definition"], Some(&aws.endpoint));
    assert!(line.contains("AWS is throttling these calls"), "{line}");

    aws.set(Mode::Garbage);
    let line = env.fails_cleanly(&["lab", "check", "task-definition"], Some(&aws.endpoint));
    assert!(line.contains("not an AWS response"), "{line}");

    aws.set(Mode::Denied);
    let line = env.fails_cleanly(&["lab", "check", "task-definition"], Some(&aws.endpoint));
    assert!(
        line.contains("access denied: you may not call ecs:"),
        "{line}"
    );

    // The saved profile loses its keys: no credentials.
    std::fs::write(env.path("aws-credentials"), "[learner]\n").unwrap();
    aws.set(Mode::Healthy);
    let line = env.fails_cleanly(&["lab", "check", "task-definition"], Some(&aws.endpoint));
    assert!(
        line.contains("no AWS credentials for profile `learner`"),
        "{line}"
    );
}

#[test]
fn an_unknown_region_is_named() {
    let env = Env::new();
    // No endpoint override: the SDK asks for sts.mars-north-1.amazonaws.com, which no
    // network can reach.
    let out = env.use_account("mars-north-1", None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("`mars-north-1` is not an AWS region"), "{err}");
    assert!(err.contains("--region"), "{err}");
    assert!(
        !env.db().exists() || !env.db_dump().contains("mars-north-1"),
        "the target was saved"
    );
}

/// A stand-in for the sandbox server process: `running()` accepts a live process whose
/// command line names the sandbox module and this home's state directory.
fn decoy_sandbox(env: &Env, endpoint: &str) -> Child {
    let state = env.path("sandbox-home/state");
    let child = Command::new("sh")
        .args(["-c", "sleep 600; exit 0", "ecsdrill_sandbox"])
        .arg(&state)
        .spawn()
        .unwrap();
    std::fs::write(
        env.path("sandbox-home/run.json"),
        format!(
            r#"{{"pid": {}, "endpoint": "{endpoint}", "moto_version": "5.2.5", "started_at": "2026-11-22T10:00:00Z"}}"#,
            child.id()
        ),
    )
    .unwrap();
    child
}

#[test]
fn a_sandbox_killed_in_the_middle_of_a_check_says_how_to_restart() {
    let env = Env::new();
    let fake = FakeAws::start(Mode::Die);
    let mut decoy = decoy_sandbox(&env, &fake.endpoint);
    *fake.victim.lock().unwrap() = Some(decoy.id());
    env.run(&["stats"], None); // creates the database
    let line = env.fails_cleanly(&["lab", "check", "task-definition"], None);
    assert!(line.contains("the local sandbox stopped"), "{line}");
    let err = text(&env.run(&["lab", "check", "task-definition"], None).stderr);
    assert!(err.contains("ecsdrill sandbox up"), "{err}");
    assert!(
        fake.dead.load(Ordering::SeqCst),
        "the check never reached the sandbox"
    );
    let _ = decoy.wait();
}

#[test]
fn a_sandbox_answering_garbage_is_named_with_the_way_out() {
    for mode in [Mode::Garbage, Mode::NotHttp] {
        let env = Env::new();
        let fake = FakeAws::start(mode);
        let mut decoy = decoy_sandbox(&env, &fake.endpoint);
        env.run(&["stats"], None);
        let line = env.fails_cleanly(&["lab", "check", "task-definition"], None);
        assert!(line.contains(&fake.endpoint), "{mode:?}: {line}");
        assert!(
            line.contains("not an AWS response") || line.contains("did not answer"),
            "{mode:?}: {line}"
        );
        let _ = decoy.kill();
        let _ = decoy.wait();
    }
}

/// Lab files are data. The only places that start processes are the sandbox edge (python,
/// pip) and `sandbox shell` (the learner's own shell); nothing under the lab, AWS, deck or
/// quiz modules does, so no lab field can run a command.
#[test]
fn no_code_a_lab_file_reaches_can_start_a_process() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut spawners: Vec<String> = walk(&src)
        .into_iter()
        .filter(|p| {
            let code = std::fs::read_to_string(p).unwrap_or_default();
            ["process::Command", "Command::new", "libc::exec", "fork("]
                .iter()
                .any(|s| code.contains(s))
        })
        .map(|p| p.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    spawners.sort();
    assert_eq!(spawners, ["commands/sandbox.rs", "sandbox.rs"]);
    let lab_mod = std::fs::read_to_string(src.join("lab/mod.rs")).unwrap();
    assert!(
        lab_mod.contains("deny_unknown_fields"),
        "lab files reject fields they do not know"
    );
}
