#!/usr/bin/env python3
"""Measures ecsdrill's performance budgets and writes docs/PERFORMANCE.md.

Builds what it needs (release binary and the `bench` example), generates a synthetic
collection (10,000 cards in a user deck, their memory state and 1,000,000 review-log
rows), then measures, with the two sides of every comparison interleaved in one run:

- start-up to the first card printed in plain mode: embedded decks on an empty database
  against the large collection (median, min, max, and the ratio);
- committing one answer (p50/p99 over 2,000 commits through the real store);
- peak memory (max RSS) of a review of 30 cards on the large collection (every prompt answered `1`,
  so wrong answers bring cards back: about 120 answers);
- `stats` over the 1,000,000-row review log;
- `optimize` (the FSRS fit, evaluated before and after) on 100,000 reviews;
- that quiz commands start no async runtime (thread count during a review);
- `lab check` of the ALB lab (16 checks and a question), whole process, against one call of the
  `aws` CLI (`aws ecs describe-services`), interleaved, on the same sandbox;
- learning efficiency: `ecsdrill simulate` (FSRS-6 learners for a year under ecsdrill, SM-2
  and Leitner) over three seeds, and once with `ecsdrill optimize` simulated;
- `ecsdrill drill start` building an incident (the baseline service behind an ALB and the
  fault, on a reset sandbox and again over the previous incident, which it deletes first),
  and `ecsdrill drill check` of that incident, unfixed (the fix checks and the drill's own
  cause detector; every drill's detector runs at the build), whole process;
- `ecsdrill lab replay` of the CI/CD lab: a deploy workflow (OIDC credentials, ECR login, build
  and push, render, deploy and wait for stability) replayed against the sandbox, whole process;
- the local sandbox: first install into an empty directory, `ecsdrill sandbox up` until the
  server answers, describe-services latency (median of 50 calls from a client, after a
  lab-sized workload) and the server's memory after that workload.

Usage: python3 scripts/bench.py [--runs N] [--out docs/PERFORMANCE.md] [--no-sandbox]
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "ecsdrill")
BENCH = os.path.join(ROOT, "target", "release", "examples", "bench")
NOW = "2026-11-22T09:00:00+01:00"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def env_for(work):
    env = dict(os.environ)
    env.update(
        HOME=os.path.join(work, "home"),
        XDG_DATA_HOME=os.path.join(work, "data"),
        XDG_CACHE_HOME=os.path.join(work, "cache"),
        ECSDRILL_NOW=NOW,
        NO_COLOR="1",
    )
    env.pop("ECSDRILL_DB", None)
    return env


def first_card_ms(args, env):
    """Milliseconds from spawn to the first `> ` prompt line of a plain review."""
    t = time.perf_counter()
    p = subprocess.Popen([BIN, "--plain", *args, "review"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    elapsed = None
    for line in p.stdout:
        if line.startswith(b"> "):
            elapsed = (time.perf_counter() - t) * 1000
            break
    p.stdin.close()
    p.stdout.read()
    err = p.stderr.read()
    p.wait()
    if elapsed is None:
        sys.exit(f"no card was printed: {err.decode()}")
    return elapsed


def tui_first_card_ms(args, env):
    """Milliseconds from spawn to the first card drawn by the full-screen reviewer, in an
    80x24 pseudo-terminal (the header's counts are on screen)."""
    import fcntl, pty, select, struct, termios
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BIN, [BIN, *args, "review"], {**env, "TERM": "xterm-256color"})
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    t = time.perf_counter()
    seen, elapsed = b"", None
    while elapsed is None and time.perf_counter() - t < 10:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
            if b"Review" in seen:
                elapsed = (time.perf_counter() - t) * 1000
    os.write(fd, b"q")
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass
    os.waitpid(pid, 0)
    os.close(fd)
    if elapsed is None:
        sys.exit(f"the full-screen reviewer drew no card: {seen[-500:]!r}")
    return elapsed


def wall_ms(cmd, env, expect=0):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    if r.returncode != expect:
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}, expected {expect}")
    return (time.perf_counter() - t) * 1000


def peak_rss_kb(args, env, answers=30):
    """Max RSS of a review of `answers` cards (plain mode, `1` to every prompt, so some
    answers are wrong and their cards come back in the session)."""
    p = subprocess.Popen([BIN, "--plain", *args, "review", "--limit", str(answers)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    p.stdin.write(b"1\n" * (answers * 4))
    p.stdin.close()
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = status
    saved = out.count(b"\nsaved: ")
    return usage.ru_maxrss, saved


def answer_range(counts):
    """'120', or '118-120' when the runs differ."""
    lo, hi = min(counts), max(counts)
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def threads_during_review(args, env):
    """Threads of a review process waiting at its first prompt."""
    p = subprocess.Popen([BIN, "--plain", *args, "review"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    for line in p.stdout:
        if line.startswith(b"> "):
            break
    with open(f"/proc/{p.pid}/status") as f:
        threads = next(int(l.split()[1]) for l in f if l.startswith("Threads:"))
    p.stdin.close()
    p.stdout.read()
    p.wait()
    return threads


def measure_sandbox(work, env):
    """Install into an empty sandbox directory, then time `up` and run sandbox/bench.py."""
    import re
    senv = dict(env, ECSDRILL_SANDBOX_HOME=os.path.join(work, "sandbox"))
    print("sandbox: first install...", flush=True)
    t = time.perf_counter()
    subprocess.run([BIN, "sandbox", "install"], env=senv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    install = time.perf_counter() - t
    ups = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([BIN, "sandbox", "up"], env=senv, check=True, stdout=subprocess.DEVNULL)
        ups.append(time.perf_counter() - t)
        subprocess.run([BIN, "sandbox", "down"], env=senv, check=True, stdout=subprocess.DEVNULL)
    print("sandbox: workload, latency and memory...", flush=True)
    py = os.path.join(work, "sandbox", "venv", "bin", "python")
    out = subprocess.run([py, os.path.join(ROOT, "sandbox", "bench.py"), "--runs", "3"], capture_output=True,
                         text=True, check=True, env=senv).stdout
    describe = float(re.search(r"describe-services .*?median ([0-9.]+) ms", out).group(1))
    rss = float(re.search(r"RSS after workload: ([0-9.]+) MB", out).group(1))
    raw = "; ".join(l.strip() for l in out.splitlines() if l.strip() and not l.startswith("  "))
    return {"install": install, "up": ups, "describe": describe, "rss": rss, "raw": raw}


LAB = "alb-service"


def measure_lab_check(work, env, runs):
    """`lab check` of the ALB lab (16 checks and a question over 5 reads, two of them
    depending on others) after its reference solution, interleaved with one
    `aws ecs describe-services` of the aws CLI against the same sandbox."""
    senv = dict(env, ECSDRILL_SANDBOX_HOME=os.path.join(work, "sandbox"), ECSDRILL_DB=os.path.join(work, "lab.db"))
    venv = os.path.join(work, "sandbox", "venv")
    # The venv has PyYAML (moto's dependency): read the reference solution with it.
    sol = json.loads(subprocess.run(
        [os.path.join(venv, "bin", "python"), "-c",
         "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
         os.path.join(ROOT, "tests", "labs", f"{LAB}.yaml")],
        capture_output=True, text=True, check=True).stdout)
    subprocess.run([BIN, "sandbox", "up", "--clock", "manual"], env=senv, check=True, stdout=subprocess.DEVNULL)
    try:
        out = subprocess.run([BIN, "sandbox", "env"], env=senv, capture_output=True, text=True, check=True).stdout
        aws_env = dict(senv)
        for line in out.splitlines():
            k, _, v = line.removeprefix("export ").partition("=")
            aws_env[k] = v.strip("'")
        aws_env["PATH"] = os.path.dirname(BIN) + ":" + aws_env["PATH"]
        aws_env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        subprocess.run([BIN, "lab", "start", LAB], env=senv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["bash", "-euo", "pipefail", "-c", sol["solution"]], env=aws_env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        answers = [x for k, v in sol.get("answers", {}).items() for x in ("--answer", f"{k}={v}")]
        check_cmd = [BIN, "lab", "check", LAB, "--json", *answers]
        r = subprocess.run(check_cmd, env=senv, capture_output=True, text=True)
        verdict = json.loads(r.stdout)
        assert r.returncode == 0 and verdict["passed"], r.stdout + r.stderr
        n_checks = len(verdict["checks"])
        describe_cmd = [os.path.join(venv, "bin", "aws"), "ecs", "describe-services", "--cluster", "drill",
                        "--services", "web-alb"]
        checks, describes = [], []
        for _ in range(runs):
            checks.append(wall_ms(check_cmd, senv))
            describes.append(wall_ms(describe_cmd, aws_env))
    finally:
        subprocess.run([BIN, "sandbox", "down"], env=senv, stdout=subprocess.DEVNULL)
    return {"check": checks, "describe": describes, "n_checks": n_checks}


def measure_drill(work, env, runs):
    """`drill start` of the first drill (the incident built: baseline and fault, causes
    detected) on a reset sandbox and over the previous incident, then `drill check` of an
    unfixed incident with its cause named (the attempt stays open, so every run does the
    same reads)."""
    senv = dict(env, ECSDRILL_SANDBOX_HOME=os.path.join(work, "sandbox"), ECSDRILL_DB=os.path.join(work, "drill.db"))
    subprocess.run([BIN, "sandbox", "up", "--clock", "manual"], env=senv, check=True, stdout=subprocess.DEVNULL)
    try:
        drills = json.loads(subprocess.run([BIN, "drill", "--list", "--json"], env=senv, capture_output=True,
                                           text=True, check=True).stdout)
        drill = drills[0]["id"]
        fresh, over = [], []
        for i in range(5):
            subprocess.run([BIN, "sandbox", "reset"], env=senv, check=True, stdout=subprocess.DEVNULL)
            fresh.append(wall_ms([BIN, "drill", "start", drill, "--seed", str(i)], senv) / 1000)
            subprocess.run([BIN, "drill", "give-up"], env=senv, check=True, stdout=subprocess.DEVNULL)
            over.append(wall_ms([BIN, "drill", "start", drill, "--seed", str(100 + i)], senv) / 1000)
            subprocess.run([BIN, "drill", "give-up"], env=senv, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([BIN, "drill", "start", drill, "--seed", "7"], env=senv, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The right cause, from the record of what the build detected.
        import sqlite3
        db = sqlite3.connect(os.path.join(work, "drill.db"))
        cause = json.loads(db.execute("SELECT causes_found FROM drill_attempt ORDER BY id DESC LIMIT 1").fetchone()[0])[0]
        db.close()
        check_cmd = [BIN, "drill", "check", "--cause", cause, "--json"]
        r = subprocess.run(check_cmd, env=senv, capture_output=True, text=True)
        verdict = json.loads(r.stdout)
        assert r.returncode == 1 and verdict["ended"] is False, r.stdout + r.stderr
        # an unfixed incident: exit 1, the attempt stays open
        checks = [wall_ms(check_cmd, senv, expect=1) for _ in range(runs)]
    finally:
        subprocess.run([BIN, "sandbox", "down"], env=senv, stdout=subprocess.DEVNULL)
    return {"drill": drill, "fresh": fresh, "over": over, "check": checks, "n_checks": len(verdict["checks"])}


REPLAY_SETUP = r"""
ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
PROVIDER="arn:aws:iam::$ACCOUNT:oidc-provider/token.actions.githubusercontent.com"
aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com --client-id-list sts.amazonaws.com > /dev/null
aws iam create-role --role-name github-deploy --assume-role-policy-document '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "'"$PROVIDER"'"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}' > /dev/null
aws iam put-role-policy --role-name github-deploy --policy-name deploy --policy-document '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecr:*", "ecs:RegisterTaskDefinition", "ecs:DescribeServices", "ecs:UpdateService", "iam:PassRole"], "Resource": "*"}]}'
mkdir -p "$WS/.github/workflows"
sed "s/ACCOUNT_ID/$ACCOUNT/" > "$WS/.github/workflows/deploy.yml" <<'WORKFLOW'
on: push
permissions: {id-token: write, contents: read}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v7
      - uses: aws-actions/configure-aws-credentials@v6
        with: {role-to-assume: "arn:aws:iam::ACCOUNT_ID:role/github-deploy", aws-region: us-east-1}
      - id: ecr
        uses: aws-actions/amazon-ecr-login@v2
      - id: build
        run: |
          docker build -t ${{ steps.ecr.outputs.registry }}/storefront:${{ github.sha }} .
          docker push ${{ steps.ecr.outputs.registry }}/storefront:${{ github.sha }}
          echo "image=${{ steps.ecr.outputs.registry }}/storefront:${{ github.sha }}" >> "$GITHUB_OUTPUT"
      - id: render
        uses: aws-actions/amazon-ecs-render-task-definition@v1
        with: {task-definition: .aws/task-definition.json, container-name: web, image: "${{ steps.build.outputs.image }}"}
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with: {task-definition: "${{ steps.render.outputs.task-definition }}", service: storefront, cluster: drill, wait-for-service-stability: true}
WORKFLOW
"""


def measure_replay(work, env, runs):
    """`lab replay` of the CI/CD lab after its setup: the workflow linted and replayed, the
    deployment waited for on the sandbox's clock (each run deploys a new revision)."""
    db = os.path.join(work, "replay.db")
    senv = dict(env, ECSDRILL_SANDBOX_HOME=os.path.join(work, "sandbox"), ECSDRILL_DB=db)
    subprocess.run([BIN, "sandbox", "up", "--clock", "manual"], env=senv, check=True, stdout=subprocess.DEVNULL)
    try:
        out = subprocess.run([BIN, "sandbox", "env"], env=senv, capture_output=True, text=True, check=True).stdout
        aws_env = dict(senv, WS=os.path.join(work, "workspace", "github-actions"))
        for line in out.splitlines():
            k, _, v = line.removeprefix("export ").partition("=")
            aws_env[k] = v.strip("'")
        aws_env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        subprocess.run([BIN, "lab", "start", "github-actions", "--seed", "1"], env=senv, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["bash", "-euo", "pipefail", "-c", REPLAY_SETUP], env=aws_env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times = [wall_ms([BIN, "lab", "replay"], senv) / 1000 for _ in range(runs)]
    finally:
        subprocess.run([BIN, "sandbox", "down"], env=senv, stdout=subprocess.DEVNULL)
    return times


def simulate(env, seed, *extra):
    """One `ecsdrill simulate --json` run with its wall time in seconds."""
    start = time.perf_counter()
    out = subprocess.run([BIN, "simulate", "--seed", str(seed), "--json", *extra], env=env,
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    result["wall_s"] = time.perf_counter() - start
    return result


def efficiency_lines(sims, sim_opt):
    """The learning-efficiency section: the seed-1 table, then the savings over all seeds."""
    setup = sims[0]["setup"]
    lines = [
        "",
        "## Learning efficiency",
        "",
        f"`ecsdrill simulate --seed 1 --json` ({setup['learners']} simulated learners, {setup['days']} days,"
        f" {setup['new_per_day']} new cards a day). Each learner's memory follows FSRS-6 with the initial"
        " stabilities and the difficulty and growth weights scaled by e^(0.3·z); recall is drawn from the"
        " learner's true retrievability and buttons from the fsrs crate's simulator defaults (measured on"
        " Anki users). ecsdrill's desired retention is bisected until its final retention reaches the other"
        " scheduler's, so reviews compare at the same retention.",
        "",
        "| scheduler | reviews | reviews/day | retention at day 365 | pass rate | reviews per card remembered |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in sims[0]["rows"] + [row for row in sim_opt["rows"] if row["policy"]["scheduler"] == "ecsdrill-optimized"]:
        lines.append(f"| {r['label']} | {r['reviews']:,} | {r['reviews_per_day']:.1f} | {r['final_retention']:.3f} |"
                     f" {r['review_pass_rate']:.3f} | {r['reviews_per_card_remembered']:.2f} |")
    sm2 = summary([100 * s["saving_vs_sm2"] for s in sims])
    leitner = summary([100 * s["saving_vs_leitner"] for s in sims])
    opt = 100 * sim_opt["saving_optimized_vs_sm2"]
    lines += [
        "",
        "| measure (seeds 1, 2, 3) | budget | median | min | max | met |",
        "|---|---|---:|---:|---:|---|",
        f"| ecsdrill's saving in reviews against SM-2 at SM-2's final retention | ≥ 10 % | {sm2[0]:.1f} % | {sm2[1]:.1f} % |"
        f" {sm2[2]:.1f} % | {'yes' if sm2[0] >= 10 else '**no**'} |",
        f"| ecsdrill's saving against Leitner at Leitner's final retention | (reference) | {leitner[0]:.1f} % |"
        f" {leitner[1]:.1f} % | {leitner[2]:.1f} % | |",
        f"| with `ecsdrill optimize` rerun every 60 days, against SM-2 (seed 1) | ≥ 10 % | {opt:.1f} % | {opt:.1f} % |"
        f" {opt:.1f} % | {'yes' if opt >= 10 else '**no**'} |",
        "",
        f"Wall time: {summary([s['wall_s'] for s in sims])[0]:.1f} s per comparison, {sim_opt['wall_s']:.1f} s with"
        " the optimiser. See docs/LEARNING-EFFICIENCY.md for what the model assumes and what the figures mean.",
    ]
    return lines


def summary(xs):
    return statistics.median(xs), min(xs), max(xs)


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}, {rustc}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    ap.add_argument("--no-sandbox", action="store_true", help="skip the sandbox figures")
    a = ap.parse_args()

    print("building release binary and bench helper...", flush=True)
    sh(["cargo", "build", "--release", "--locked", "--bin", "ecsdrill", "--example", "bench"])

    work = tempfile.mkdtemp(prefix="ecsdrill-bench-")
    try:
        env = env_for(work)
        large = os.path.join(work, "large")
        print("generating the synthetic collection (10,000 cards, 1,000,000 review rows)...", flush=True)
        sh([BENCH, "synth", "--dir", large, "--cards", "10000", "--reviews", "1000000"], stdout=subprocess.DEVNULL)
        empty_args = ["--db", os.path.join(work, "empty.db")]
        large_args = ["--db", os.path.join(large, "ecsdrill.db"), "--decks", os.path.join(large, "decks")]

        # Cold starts: the first run parses the decks and builds the indexes.
        cold_empty = first_card_ms(empty_args, env)
        cold_large = first_card_ms(large_args, env)

        print(f"start-up, {a.runs} interleaved runs each...", flush=True)
        empty, big, tui = [], [], []
        for _ in range(a.runs):
            empty.append(first_card_ms(empty_args, env))
            big.append(first_card_ms(large_args, env))
            tui.append(tui_first_card_ms(empty_args, env))

        print("full-screen reviewer: keypress to redrawn frame...", flush=True)
        frames = [json.loads(subprocess.run([BENCH, "frame", "--n", "3000"], capture_output=True, text=True,
                                            check=True).stdout)["p50_ms"] for _ in range(3)]

        print("commit latency...", flush=True)
        commit_db = os.path.join(work, "commit.db")
        shutil.copy(os.path.join(large, "ecsdrill.db"), commit_db)
        p50s, p99s = [], []
        for _ in range(3):
            r = json.loads(subprocess.run([BENCH, "commit", "--db", commit_db, "--n", "2000"], capture_output=True,
                                          text=True, check=True).stdout)
            p50s.append(r["p50_ms"])
            p99s.append(r["p99_ms"])

        print("peak memory...", flush=True)
        rss, saved = [], []
        for i in range(5):
            # Each run on a fresh copy, so every run answers the same due cards.
            copy = os.path.join(work, f"mem{i}.db")
            shutil.copy(os.path.join(large, "ecsdrill.db"), copy)
            mem_args = ["--db", copy, "--decks", os.path.join(large, "decks")]
            kb, n = peak_rss_kb(mem_args, env)
            rss.append(kb / 1024)
            saved.append(n)

        print("stats over the large log...", flush=True)
        stats_cmd = [BIN, *large_args, "stats", "--json"]
        stats = [wall_ms(stats_cmd, env) for _ in range(10)]
        threads = threads_during_review(empty_args, env)

        print("optimize on 100,000 reviews...", flush=True)
        opt_dir = os.path.join(work, "opt")
        sh([BENCH, "synth", "--dir", opt_dir, "--cards", "1000", "--reviews", "100000"], stdout=subprocess.DEVNULL)
        opt = []
        for i in range(3):
            copy = os.path.join(work, f"opt{i}.db")
            shutil.copy(os.path.join(opt_dir, "ecsdrill.db"), copy)
            opt.append(wall_ms([BIN, "--db", copy, "--decks", os.path.join(opt_dir, "decks"), "optimize"], env) / 1000)
        print("learning efficiency: ecsdrill simulate over 3 seeds...", flush=True)
        sims = [simulate(env, seed) for seed in (1, 2, 3)]
        sim_opt = simulate(env, 1, "--with-optimize")
        sandbox = None if a.no_sandbox else measure_sandbox(work, env)
        print(f"lab check against aws describe-services, {min(a.runs, 30)} interleaved runs each...", flush=True)
        lab = None if a.no_sandbox else measure_lab_check(work, env, min(a.runs, 30))
        print("incident drills: build and check...", flush=True)
        drill = None if a.no_sandbox else measure_drill(work, env, min(a.runs, 30))
        print("lab replay of a deploy workflow...", flush=True)
        replay = None if a.no_sandbox else measure_replay(work, env, min(a.runs, 10))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    e, b = summary(empty), summary(big)
    ratio = b[0] / e[0]
    rows = [
        ("Start-up to first card, embedded decks, empty database", "≤ 20 ms median", e, "ms", e[0] <= 20),
        ("Start-up to first card, 10,000 cards + 1,000,000 review rows", "≤ 1.3 × the empty case", b, "ms", ratio <= 1.3),
        ("Full-screen reviewer: start-up to the first card drawn (80x24 pty), empty database", "≤ 1.5 × the plain-mode figure",
         summary(tui), "ms", statistics.median(tui) <= 1.5 * e[0]),
        ("Full-screen reviewer: keypress to redrawn 80x24 frame, median (3 × 3,000 keys)", "≤ 16 ms median",
         summary(frames), "ms", statistics.median(frames) <= 16),
        ("Commit one answer, p99 (2,000 commits, 3 rounds)", "≤ 5 ms p99", summary(p99s), "ms", statistics.median(p99s) <= 5),
        ("Peak memory of a review of 30 cards (wrong ones shown again), large collection", "≤ 30 MB", summary(rss), "MB", max(rss) <= 30),
        ("`stats --json` over 1,000,000 review rows", "≤ 300 ms", summary(stats), "ms", statistics.median(stats) <= 300),
        ("`optimize` on 100,000 reviews (1,000 cards), whole process, 3 runs", "≤ 5 s", summary(opt), "s", statistics.median(opt) <= 5),
    ]
    if sandbox:
        rows += [
            ("Sandbox first install (empty directory; pip's cache as found)", "≤ 90 s", (sandbox["install"],) * 3, "s", sandbox["install"] <= 90),
            ("`ecsdrill sandbox up` after install, until the server answers", "≤ 2 s", summary(sandbox["up"]), "s", statistics.median(sandbox["up"]) <= 2),
            ("describe-services (3 services), median of 50 calls after a lab workload", "≤ 20 ms median", (sandbox["describe"],) * 3, "ms", sandbox["describe"] <= 20),
            ("Sandbox server memory after a lab-sized workload", "≤ 300 MB", (sandbox["rss"],) * 3, "MB", sandbox["rss"] <= 300),
        ]
    if lab:
        c, d = summary(lab["check"]), summary(lab["describe"])
        rows += [
            (f"`ecsdrill lab check {LAB} --json` ({lab['n_checks']} checks and questions), whole process", "≤ 60 ms median", c, "ms", c[0] <= 60),
            ("One `aws ecs describe-services` of the aws CLI, same sandbox, interleaved", "(reference)", d, "ms", True),
            ("lab check / describe-services (medians)", "≤ 0.2", (c[0] / d[0],) * 3, "×", c[0] / d[0] <= 0.2),
        ]
    if drill:
        f, o, c = summary(drill["fresh"]), summary(drill["over"]), summary(drill["check"])
        rows += [
            (f"`ecsdrill drill start {drill['drill']}` on a reset sandbox: the incident built and its cause detected", "≤ 2 s median", f, "s", f[0] <= 2),
            (f"`ecsdrill drill start {drill['drill']}` over the previous incident (deleted first)", "≤ 2 s median", o, "s", o[0] <= 2),
            (f"`ecsdrill drill check --json` ({drill['n_checks']} checks and its own cause detector, on an unfixed incident), whole process", "≤ 60 ms median", c, "ms", c[0] <= 60),
        ]
    if replay:
        r = summary(replay)
        rows += [
            ("`ecsdrill lab replay` of the CI/CD lab's deploy workflow (6 steps, deploy waited to stability), whole process",
             "≤ 2 s median", r, "s", r[0] <= 2),
        ]
    lines = [
        "# Performance",
        "",
        f"Measured {datetime.date.today().isoformat()} by `python3 scripts/bench.py --runs {a.runs}` on {machine()}.",
        "Each figure is the median with min and max over the runs; the two start-up cases run interleaved in the",
        "same loop, so machine noise hits both alike. Times are wall-clock from spawning the process.",
        "",
        "| measure | budget | median | min | max | met |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, budget, (med, lo, hi), unit, met in rows:
        lines.append(f"| {name} | {budget} | {med:.2f} {unit} | {lo:.2f} {unit} | {hi:.2f} {unit} | {'yes' if met else '**no**'} |")
    lines += [
        "",
        f"- Large against empty start-up: **{ratio:.2f}×** (median against median).",
        f"- Cold start (first run: decks parsed and validated, catalog cache and index built): empty {cold_empty:.1f} ms,"
        f" large {cold_large:.1f} ms. Later runs read the cached catalog and only the due cards.",
        f"- Commit p50: {statistics.median(p50s):.3f} ms. WAL journal, `synchronous=NORMAL`: a commit survives a crash of"
        " the process (the crash-safety tests kill it with SIGKILL); a power cut can lose the last commits but never corrupts the file.",
        f"- Peak-memory runs: {answer_range(saved)} answers each: 30 cards, every prompt answered `1`, so the wrong"
        " answers' cards came back in the session until the input ran out.",
        f"- Quiz commands start no async runtime: {threads} threads while a review waits for input (main and the"
        " Ctrl-C handler). tokio and the AWS SDK are linked in, but only `sandbox` and `lab` commands"
        " build their one current-thread runtime (src/aws/mod.rs).",
        *( ["- `lab check` makes each wave of reads concurrently on that runtime (reads that use another read's"
            " answer wait for it), so its time is one process start, the SDK set-up and two rounds of calls;"
            " the aws CLI pays a Python start-up per call."] if lab else []),
        *( ["- `lab replay` waits for the deployment on the sandbox's clock (the waiter's 15-second polls move it on),"
            " so its time is the process, about six IAM policy simulations (one per step call; the five push actions share one), the ECS calls and the polls, not the"
            " minute or two a deployment takes; each run deploys a new revision of the same image."] if replay else []),
        *( ["- `drill start` on a reset sandbox pays for the reset: moto builds an IAM backend anew, with its 1,582"
            " AWS managed policies. The sandbox parses their data once per process (moto_adapter.init_aws_policies)"
            " and loads no public AMI catalogue; before that (2026-12-07, same machine) this figure was 1.87 s."]
           if drill else []),
        "",
        *( [f"- Sandbox: figures for install, describe and memory are single runs (min = max = median);"
            f" `sandbox up` over {len(sandbox['up'])} runs. The describe figure is measured with boto3 inside the"
            " sandbox's Python (no CLI start-up), after the workload in sandbox/bench.py: IAM, SSM, Secrets Manager,"
            " Logs, ECR, ELBv2, three ECS services and auto scaling over 30 simulated minutes.",
            f"- Sandbox bench output: {sandbox['raw']}"] if sandbox else []),
        *efficiency_lines(sims, sim_opt),
        "",
        "## Why start-up does not grow with the collection",
        "",
        "A review reads only what it shows. The validated catalog is cached (JSON in the cache directory,",
        "keyed by the embedded content and each user deck file's size and mtime), and the progress database",
        "holds an index of the cards (`catalog_card`, rebuilt only when the decks change) with a `seen` flag",
        "kept in the same transaction as each answer. Due cards come from the `card_state(due_ms)` index, new",
        "cards from `catalog_card(seen, ord)`, today's new-card count from `review_log(reviewed_ms)`, and a",
        "card's content is read when it is shown.",
        "",
        "Reproduce: `python3 scripts/bench.py` (about five minutes after the release build; it needs Python 3 and builds everything itself).",
    ]
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
