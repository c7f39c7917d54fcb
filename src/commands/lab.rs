//! `ecsdrill lab ...` and `ecsdrill sandbox use ...`: run the labs against the selected
//! target. The rules for a real account live here: checks only read (the lab format allows
//! nothing else); setup and cleanup run only after STS says the credentials belong to the
//! allow-listed account, and a lab with billable resources asks first.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use crate::app::App;
use crate::aws::setup::Deleted;
use crate::aws::{Aws, Target};
use crate::cli::{LabCommand, UseTarget};
use crate::error::UserError;
use crate::lab::eval::{
    Outcome, attach_cards, evaluate_checks, evaluate_questions, expected_answer, failed_cards,
    read_missing,
};
use crate::lab::{Lab, LabSet, Vars, draw};
use crate::live::{Conn, connect, may_write};
use crate::store::{LabCheckRun, Store};

const TARGET_KEY: &str = "lab_target";

fn current_key(target: &Target) -> String {
    format!("lab_current:{}", target.key())
}

/// The setting that keeps the record of the attempt's last `lab replay` (JSON).
fn replay_key(target: &Target, lab: &str) -> String {
    format!("lab_replay:{}:{lab}", target.key())
}

/// The setting that keeps when `lab start` finished, in the target's clock (`${lab_started}`).
fn started_key(target: &Target, lab: &str) -> String {
    format!("lab_started_at:{}:{lab}", target.key())
}

pub fn target(store: &Store) -> Result<Target> {
    Ok(store
        .setting(TARGET_KEY)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Target::Local))
}

fn labs() -> Result<LabSet> {
    crate::lab::load_labs(None).map_err(|d| lint_error(&d))
}

fn lint_error(diags: &[crate::deck::Diagnostic]) -> anyhow::Error {
    let lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    UserError::env(format!("{}\nthe labs have errors", lines.join("\n")))
        .with_hint("fix them at the line and column shown, then run `ecsdrill lab check-files`")
        .into()
}

fn find<'a>(set: &'a LabSet, id: &str) -> Result<&'a Lab> {
    set.get(id).ok_or_else(|| {
        UserError::env(format!("there is no lab `{id}`"))
            .with_hint(format!("the labs are: {}", set.ids().join(", ")))
            .into()
    })
}

pub fn run(app: &App, cmd: &LabCommand) -> Result<ExitCode> {
    if let LabCommand::CheckFiles { paths } = cmd {
        return check_files(app, paths);
    }
    let mut store = app.store()?;
    let target = target(&store)?;
    match cmd {
        LabCommand::List { json } => list(&store, &target, *json),
        LabCommand::Start { id, yes, seed } => {
            start(app, &store, &target, find(&labs()?, id)?, *yes, *seed)
        }
        LabCommand::Check {
            id,
            json,
            answers,
            schedule_cards,
        } => check(
            app,
            &mut store,
            &target,
            id.as_deref(),
            CheckOpts {
                json: *json,
                schedule_cards: *schedule_cards,
            },
            answers,
        ),
        LabCommand::Hint { id } => hint(&store, &target, id.as_deref()),
        LabCommand::Replay {
            id,
            branch,
            vars,
            secrets,
        } => replay(
            app,
            &store,
            &target,
            id.as_deref(),
            branch.as_deref(),
            (vars, secrets),
        ),
        LabCommand::Status => status(&store, &target),
        LabCommand::Reset { id, seed } => {
            let set = labs()?;
            let lab = find(&set, id)?;
            let conn = connect(&target)?;
            may_write(&conn, &target)?;
            cleanup(&store, &target, &conn, Some(lab.id()))?;
            store.forget_lab(lab.id(), &target.key())?;
            println!("forgot your progress in `{}`; starting it again", lab.id());
            start(app, &store, &target, lab, false, *seed)
        }
        LabCommand::Cleanup => {
            let conn = connect(&target)?;
            may_write(&conn, &target)?;
            cleanup(&store, &target, &conn, None)
        }
        LabCommand::CheckFiles { .. } => unreachable!("handled above"),
    }
}

fn check_files(app: &App, paths: &[std::path::PathBuf]) -> Result<ExitCode> {
    let known = crate::lab::Known::of(&app.catalog()?);
    let result = if paths.is_empty() {
        crate::lab::load_labs(Some(&known))
    } else {
        crate::lab::check_lab_paths(paths, Some(&known)).map_err(|e| {
            UserError::env(format!("cannot read the lab files: {e}"))
                .with_hint("pass lab files or directories that exist")
        })?
    };
    match result {
        Ok(set) => {
            let checks: usize = set
                .labs
                .iter()
                .map(|l| l.checks.len() + l.questions.len())
                .sum();
            println!("{} labs, {checks} checks and questions: ok", set.labs.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(diags) => Ok(crate::deck::report_diagnostics(&diags)),
    }
}

fn lab_state(p: Option<&crate::store::LabProgress>) -> &'static str {
    match p {
        None => "not started",
        Some(p) if p.passed_ms.is_some() => "passed",
        Some(p) if p.checks_run > 0 => "checked",
        Some(_) => "started",
    }
}

fn list(store: &Store, target: &Target, json: bool) -> Result<ExitCode> {
    let set = labs()?;
    let progress = store.lab_progress(&target.key())?;
    let of = |id: &str| progress.iter().find(|p| p.lab == id);
    if json {
        let rows: Vec<_> = set
            .labs
            .iter()
            .map(|l| {
                json!({
                    "id": l.id(),
                    "title": l.title,
                    "topics": l.topics().collect::<Vec<_>>(),
                    "minutes": l.minutes,
                    "prerequisites": l.prerequisites.iter().map(|p| &p.value).collect::<Vec<_>>(),
                    "billable": l.cost.is_some(),
                    "status": lab_state(of(l.id())),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("labs in {}:", target.describe());
    for (n, l) in set.labs.iter().enumerate() {
        println!(
            "{:>2}. {:<18} {:<11} {:>3} min  {}{}",
            n + 1,
            l.id(),
            lab_state(of(l.id())),
            l.minutes,
            l.title,
            if l.cost.is_some() {
                " (billable in AWS)"
            } else {
                ""
            }
        );
    }
    println!("start one with `ecsdrill lab start ID`");
    Ok(ExitCode::SUCCESS)
}

/// A prompt line: in plain mode a whole `> ...` line (the line-mode contract), in a
/// terminal `> ` with the cursor after it.
fn prompt(plain: bool, what: &str) -> Result<()> {
    if plain {
        println!("> {what}");
    } else {
        print!("> ");
    }
    std::io::stdout().flush()?;
    Ok(())
}

fn confirm(plain: bool, question: &str) -> Result<bool> {
    println!("{question} [y/N]");
    prompt(plain, "y or n")?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn start(
    app: &App,
    store: &Store,
    target: &Target,
    lab: &Lab,
    yes: bool,
    seed: Option<u64>,
) -> Result<ExitCode> {
    let passed = store.labs_passed()?;
    let missing: Vec<&str> = lab
        .prerequisites
        .iter()
        .map(|p| p.value.as_str())
        .filter(|p| !passed.iter().any(|x| x == p))
        .collect();
    if let (Target::Aws { .. }, true) = (target, lab.needs_local_sandbox()) {
        eprintln!(
            "note: this lab's setup pushes an image with a built-in behaviour; in your account it expects that image to exist already"
        );
    }
    let mut conn = connect(target)?;
    let seed = seed.unwrap_or_else(draw::fresh_seed);
    conn.vars.drawn = draw::draw(lab, seed);
    if let (Target::Aws { account, .. }, Some(cost)) = (target, &lab.cost) {
        println!(
            "This lab leads to billable resources in account {account}:\n{}",
            cost.trim()
        );
        if !yes && !confirm(app.plain, "Start it?")? {
            println!("not started; nothing was created");
            return Ok(ExitCode::from(1));
        }
    }
    if !lab.setup.is_empty() {
        may_write(&conn, target)?;
        for action in &lab.setup {
            let made =
                conn.aws
                    .apply(lab.id(), &action.value, &conn.vars, conn.sandbox.as_ref())?;
            if let Some(c) = made {
                store.record_lab_resource(
                    lab.id(),
                    &target.key(),
                    c.kind,
                    &c.name,
                    app.clock.now().timestamp_millis(),
                )?;
                eprintln!("setup: created {} {}", c.kind, shown_name(&c));
            }
        }
    }
    if let Some(repo) = &lab.repository {
        let dir = crate::lab::workspace::dir(&app.db_path, lab.id());
        conn.vars.workspace = dir.display().to_string();
        crate::lab::workspace::write_files(&dir, &repo.value, &conn.vars)?;
        store.delete_setting(&replay_key(target, lab.id()))?;
        eprintln!("setup: wrote the repository's files into {}", dir.display());
    }
    store.lab_started(
        lab.id(),
        &target.key(),
        app.clock.now().timestamp_millis(),
        seed,
    )?;
    store.set_setting(&current_key(target), lab.id())?;
    store.set_setting(&started_key(target, lab.id()), &conn.now()?.to_string())?;
    print_lab(app, lab, target, &missing, &conn.vars);
    Ok(ExitCode::SUCCESS)
}

/// What `lab start` says it created: a task definition by its family only, since its
/// revision number is what a question may ask.
fn shown_name(c: &crate::aws::setup::Created) -> &str {
    match c.kind {
        crate::lab::resource::ResourceKind::TaskDefinition => {
            c.name.rsplit_once('/').map_or(c.name.as_str(), |(_, rev)| {
                rev.split_once(':').map_or(rev, |(family, _)| family)
            })
        }
        _ => &c.name,
    }
}

/// The values the lab's current attempt drew (`${draw.NAME}`), from the seed kept with it. A
/// lab never started here has made nothing with them: it gets the draw of seed 0, and its
/// checks say what is missing (and that `lab start` sets it up).
fn drawn_values(
    store: &Store,
    target: &Target,
    lab: &Lab,
) -> Result<BTreeMap<String, serde_json::Value>> {
    if lab.draw.is_empty() {
        return Ok(BTreeMap::new());
    }
    let seed = store.lab_seed(lab.id(), &target.key())?;
    Ok(draw::draw(lab, seed.unwrap_or(0)))
}

fn print_lab(app: &App, lab: &Lab, target: &Target, missing_prereqs: &[&str], vars: &Vars) {
    let md = |t: &str| crate::ui::markdown_text(&vars.expand(t), app.color);
    println!(
        "# {} ({} min, in {})",
        lab.title,
        lab.minutes,
        target.describe()
    );
    if !missing_prereqs.is_empty() {
        println!("(recommended first: {})", missing_prereqs.join(", "));
    }
    println!("\n{}\n", md(&lab.intro));
    for (n, step) in lab.steps.iter().map(|s| &s.value).enumerate() {
        println!("## Step {}: {}\n", n + 1, step.title);
        println!("{}\n", md(&step.text));
        if !step.try_commands.is_empty() {
            println!("Try:");
            for c in &step.try_commands {
                println!("    {}", vars.expand(c));
            }
            println!();
        }
    }
    if matches!(target, Target::Local) {
        println!("Work in `ecsdrill sandbox shell` (or: eval \"$(ecsdrill sandbox env)\").");
    }
    println!(
        "When you think you are done: `ecsdrill lab check`. Stuck: `ecsdrill lab hint` ({} hints).",
        lab.hints().count()
    );
}

fn name_values(raw: &[String], flag: &str) -> Result<BTreeMap<String, String>> {
    raw.iter()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| {
                    UserError::env(format!("{flag} takes NAME=VALUE, not `{a}`"))
                        .with_hint(format!("e.g. {flag} AWS_REGION=us-east-1"))
                        .into()
                })
        })
        .collect()
}

/// `lab replay`: the lab's workflow, replayed on a push to its repository. Exit 0 when the
/// run succeeds, 1 when it fails or the push does not run it.
fn replay(
    app: &App,
    store: &Store,
    target: &Target,
    id: Option<&str>,
    branch: Option<&str>,
    (vars, secrets): (&[String], &[String]),
) -> Result<ExitCode> {
    let set = labs()?;
    let lab = resolve(&set, store, target, id)?;
    let Some(repo) = lab.repository.as_ref().map(|r| &r.value) else {
        return Err(
            UserError::env(format!("lab `{}` has no repository to push", lab.id()))
                .with_hint("`lab replay` is for the CI/CD lab: `ecsdrill lab start github-actions`")
                .into(),
        );
    };
    if !matches!(target, Target::Local) {
        return Err(UserError::env("`lab replay` replays the workflow against the local sandbox only")
            .with_hint("in your own account, push to GitHub and let Actions run the workflow; then `ecsdrill lab check`")
            .into());
    }
    let (vars, secrets) = (
        name_values(vars, "--var")?,
        name_values(secrets, "--secret")?,
    );
    let mut conn = connect(target)?;
    conn.vars.drawn = drawn_values(store, target, lab)?;
    let dir = crate::lab::workspace::dir(&app.db_path, lab.id());
    conn.vars.workspace = dir.display().to_string();
    let (name, lab_branch, commit, workflow) = (
        conn.vars.expand(&repo.name),
        conn.vars.expand(&repo.branch),
        conn.vars.expand(&repo.commit),
        conn.vars.expand(&repo.workflow),
    );
    let path = dir.join(&workflow);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        UserError::env(format!("there is no workflow at {}", path.display())).with_hint(format!(
            "write it there (the lab's repository is {}), then run `ecsdrill lab replay` again",
            dir.display()
        ))
    })?;
    let w = match crate::workflow::parse_workflow(&path.display().to_string(), &text) {
        Ok(w) => w,
        Err(diags) => {
            eprintln!("GitHub cannot read this workflow, so a push runs nothing:");
            return Ok(crate::deck::report_diagnostics(&diags));
        }
    };
    let findings = crate::workflow::lint::lint(&workflow, &w, branch.unwrap_or(&lab_branch));
    for f in &findings {
        let kind = match f.severity {
            crate::workflow::lint::Severity::Error => "error",
            crate::workflow::lint::Severity::Warning => "warning",
        };
        eprintln!("{kind}: {}", f.text);
    }
    let push = crate::workflow::replay::Push {
        repository: name,
        branch: branch.unwrap_or(&lab_branch).to_string(),
        sha: commit,
    };
    let files = crate::lab::workspace::read_files(&dir);
    let inputs = crate::workflow::replay::Inputs {
        path: &workflow,
        files: &files,
        vars: &vars,
        secrets: &secrets,
    };
    let Some(sandbox) = conn.sandbox.as_ref() else {
        return Err(UserError::env("the sandbox is not running")
            .with_hint("start it: `ecsdrill sandbox up`")
            .into());
    };
    let mut cloud = crate::aws::replay::SandboxCloud::new(&conn.aws, sandbox)?;
    println!(
        "push of {} to {} in {}: {workflow}",
        &push.sha[..push.sha.len().min(7)],
        push.branch,
        push.repository
    );
    let run = crate::workflow::replay::replay(&w, &push, &inputs, &mut cloud, &mut |line| {
        println!("{line}")
    })?;
    store.set_setting(&replay_key(target, lab.id()), &serde_json::to_string(&run)?)?;
    use crate::workflow::replay::Outcome;
    let (ok, bad) = if app.color {
        (
            console::style("✓").green().to_string(),
            console::style("✗").red().to_string(),
        )
    } else {
        ("PASS".to_string(), "FAIL".to_string())
    };
    match run.conclusion {
        Outcome::Success => {
            println!("{ok} the run succeeded; now `ecsdrill lab check`");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            println!(
                "{bad} {}",
                run.reason.as_deref().unwrap_or("the run did nothing")
            );
            println!("fix the workflow (or what it uses) and run `ecsdrill lab replay` again");
            Ok(ExitCode::from(1))
        }
    }
}

fn resolve<'a>(
    set: &'a LabSet,
    store: &Store,
    target: &Target,
    id: Option<&str>,
) -> Result<&'a Lab> {
    match id {
        Some(id) => find(set, id),
        None => match store.setting(&current_key(target))? {
            Some(id) => find(set, &id),
            None => Err(UserError::env("no lab started yet")
                .with_hint(
                    "start one with `ecsdrill lab start ID` (`ecsdrill lab list` shows them)",
                )
                .into()),
        },
    }
}

fn parse_answers(raw: &[String]) -> Result<BTreeMap<String, String>> {
    raw.iter()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| {
                    UserError::env(format!("--answer takes ID=TEXT, not `{a}`"))
                        .with_hint("e.g. --answer stopped-reason=CannotPullContainerError")
                        .into()
                })
        })
        .collect()
}

struct CheckOpts {
    json: bool,
    /// Schedule the cards that teach a failed check without asking.
    schedule_cards: bool,
}

fn check(
    app: &App,
    store: &mut Store,
    target: &Target,
    id: Option<&str>,
    opts: CheckOpts,
    answers: &[String],
) -> Result<ExitCode> {
    let json = opts.json;
    let set = labs()?;
    let lab = resolve(&set, store, target, id)?;
    let mut replies = parse_answers(answers)?;
    for k in replies.keys() {
        if !lab.questions.iter().any(|q| &q.value.id.value == k) {
            return Err(
                UserError::env(format!("lab `{}` has no question `{k}`", lab.id()))
                    .with_hint(format!(
                        "its questions are: {}",
                        lab.questions
                            .iter()
                            .map(|q| q.value.id.value.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .into(),
            );
        }
    }
    let mut conn = connect(target)?;
    conn.vars.drawn = drawn_values(store, target, lab)?;
    conn.vars.lab_started = store
        .setting(&started_key(target, lab.id()))?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    if lab.queries_use("private_subnets") {
        conn.vars.private_subnets = conn.private_subnets(target)?;
    }
    let workspace = crate::lab::workspace::dir(&app.db_path, lab.id());
    conn.vars.workspace = workspace.display().to_string();
    let reader = crate::live::LabReader {
        aws: &conn.aws,
        workspace,
        run: store
            .setting(&replay_key(target, lab.id()))?
            .and_then(|s| serde_json::from_str(&s).ok()),
    };
    let results =
        crate::lab::plan::read_all(lab, &conn.vars, &reader).map_err(|f| conn.aws.explain(f))?;
    // Something is missing: if what the setup made is gone too, the lab must be set up again
    // (not the single resources asked for one by one).
    let reads_used = lab
        .checks
        .iter()
        .map(|c| &c.value.read.value)
        .chain(lab.questions.iter().map(|q| &q.value.read.value));
    let gone = if !lab.setup.is_empty() && reads_used.into_iter().any(|r| read_missing(&results, r))
    {
        let gone = conn.aws.setup_gone(lab, &conn.vars);
        (!gone.is_empty()).then(|| gone_message(lab, target, &gone))
    } else {
        None
    };
    let mut outcomes: Vec<Outcome> = evaluate_checks(lab, &results, &conn.vars, gone.as_deref());
    // Ask what was not answered on the command line, when someone can answer.
    if !json {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        for q in &lab.questions {
            let q = &q.value;
            if replies.contains_key(&q.id.value)
                || expected_answer(q, &results, &conn.vars).is_none()
            {
                continue;
            }
            println!("question ({}): {}", q.id.value, conn.vars.expand(&q.ask));
            prompt(app.plain, "type the answer (Enter skips)")?;
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                println!();
                break;
            }
            if !line.trim().is_empty() {
                replies.insert(q.id.value.clone(), line.trim().to_string());
            }
        }
    }
    outcomes.extend(evaluate_questions(
        lab,
        &results,
        &replies,
        &conn.vars,
        gone.as_deref(),
    ));
    attach_cards(lab, &mut outcomes);
    let passed = outcomes.iter().all(|o| o.passed);
    let n_passed = outcomes.iter().filter(|o| o.passed).count();
    let already = store
        .lab_progress(&target.key())?
        .iter()
        .any(|p| p.lab == lab.id() && p.passed_ms.is_some());
    store.record_lab_check(&LabCheckRun {
        lab: lab.id().to_string(),
        target: target.key(),
        checked_ms: app.clock.now().timestamp_millis(),
        passed,
        checks_passed: n_passed as i64,
        checks_total: outcomes.len() as i64,
        detail: serde_json::to_string(&outcomes)?,
    })?;
    let cards = failed_cards(&outcomes);
    let now_ms = app.clock.now().timestamp_millis();
    if json {
        let mut out =
            json!({"lab": lab.id(), "passed": passed, "target": target.key(), "checks": outcomes});
        if opts.schedule_cards && !cards.is_empty() {
            let done = store.schedule_cards_now(&cards, now_ms)?;
            out["scheduled"] = json!({"due_now": done.due_now, "new_first": done.new_first});
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let (ok, bad) = if app.color {
            (
                console::style("✓").green().to_string(),
                console::style("✗").red().to_string(),
            )
        } else {
            ("PASS".to_string(), "FAIL".to_string())
        };
        println!("{} in {}:", lab.title, target.describe());
        for o in &outcomes {
            println!(
                "{} {}: {}",
                if o.passed { &ok } else { &bad },
                o.id,
                o.message
            );
            if !o.cards.is_empty() {
                println!("    cards that teach it: {}", o.cards.join(", "));
            }
        }
        println!("{n_passed} of {} passed", outcomes.len());
        if passed {
            if let Some(d) = &lab.debrief {
                println!(
                    "\n{}",
                    crate::ui::markdown_text(&conn.vars.expand(d), app.color)
                );
            }
            if !already {
                println!(
                    "lab passed: it counts for {} (see `ecsdrill stats`)",
                    lab.topics().collect::<Vec<_>>().join(", ")
                );
            }
        } else {
            println!(
                "fix what failed and run `ecsdrill lab check` again; `ecsdrill lab hint` helps"
            );
            offer_cards(app, store, &cards, opts.schedule_cards, now_ms)?;
        }
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// After a failed check: schedules the cards that teach it for today, with `--schedule-cards`
/// or when the learner says yes in a terminal (plain mode never asks: it would block scripts).
fn offer_cards(
    app: &App,
    store: &mut Store,
    cards: &[String],
    flag: bool,
    now_ms: i64,
) -> Result<()> {
    if cards.is_empty() {
        return Ok(());
    }
    let n = cards.len();
    let what = if n == 1 { "card" } else { "cards" };
    let yes = flag
        || (!app.plain
            && confirm(
                app.plain,
                &format!("Schedule the {n} {what} that teach this for today?"),
            )?);
    if !yes {
        if app.plain {
            println!(
                "`ecsdrill lab check --schedule-cards` puts the {n} {what} that teach this in your next review"
            );
        }
        return Ok(());
    }
    let done = store.schedule_cards_now(cards, now_ms)?;
    if !done.due_now.is_empty() {
        println!("due now: {}", done.due_now.join(", "));
    }
    if !done.new_first.is_empty() {
        println!("new, introduced first: {}", done.new_first.join(", "));
    }
    println!("scheduled {n} {what} for today: `ecsdrill review` shows them");
    Ok(())
}

/// What `lab check` says when the lab's own resources are gone.
fn gone_message(lab: &Lab, target: &Target, gone: &[String]) -> String {
    let why = match target {
        Target::Local => {
            "the sandbox was reset or restarted since `lab start` (it keeps nothing when it stops), or they were deleted"
        }
        Target::Aws { .. } => "they were deleted since `lab start`",
    };
    format!(
        "This lab's resources are gone ({}): {why}. Run `ecsdrill lab reset {}` to set the lab up again.",
        gone.join(", "),
        lab.id()
    )
}

fn hint(store: &Store, target: &Target, id: Option<&str>) -> Result<ExitCode> {
    let set = labs()?;
    let lab = resolve(&set, store, target, id)?;
    let hints: Vec<(usize, &str)> = lab.hints().collect();
    // Past the last hint the counter stays where it is: it counts hints shown, not asked.
    let shown = store
        .lab_progress(&target.key())?
        .iter()
        .find(|p| p.lab == lab.id())
        .map(|p| p.hints_shown);
    if shown.is_some_and(|n| n >= hints.len() as i64) {
        println!(
            "no more hints: all {} are shown. `ecsdrill lab check` says what is still missing.",
            hints.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(n) = store.next_hint(lab.id(), &target.key())? else {
        return Err(UserError::env(format!("lab `{}` is not started", lab.id()))
            .with_hint(format!("start it with `ecsdrill lab start {}`", lab.id()))
            .into());
    };
    match hints.get(n as usize) {
        Some((step, text)) => {
            let drawn = drawn_values(store, target, lab)?;
            println!(
                "hint {} of {} (step {}: {}):\n{}",
                n + 1,
                hints.len(),
                step + 1,
                lab.steps[*step].value.title,
                draw::fill(text, &drawn)
            );
        }
        None => println!(
            "no more hints: all {} are shown. `ecsdrill lab check` says what is still missing.",
            hints.len()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn status(store: &Store, target: &Target) -> Result<ExitCode> {
    let set = labs()?;
    let progress = store.lab_progress(&target.key())?;
    println!("target: {}", target.describe());
    if progress.is_empty() {
        println!("no lab started yet: `ecsdrill lab list` shows them");
        return Ok(ExitCode::SUCCESS);
    }
    let current = store.setting(&current_key(target))?;
    for p in &progress {
        let title = set
            .get(&p.lab)
            .map_or("(no longer built in)", |l| l.title.as_str());
        let mark = if current.as_deref() == Some(p.lab.as_str()) {
            "*"
        } else {
            " "
        };
        println!(
            "{mark} {:<18} {:<8} {} checks run, {} hints  {title}",
            p.lab,
            lab_state(Some(p)),
            p.checks_run,
            p.hints_shown
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn cleanup(store: &Store, target: &Target, conn: &Conn, lab: Option<&str>) -> Result<ExitCode> {
    let done = crate::live::cleanup(store, target, conn, lab)?;
    if done.is_empty() {
        println!("nothing to clean up in {}", target.describe());
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed = 0;
    for (what, lab, result) in &done {
        match result {
            Deleted::Deleted => println!("deleted {what}"),
            Deleted::Gone => println!("already gone: {what}"),
            Deleted::NotTagged => println!(
                "left alone: {what} (it no longer carries the tag {}={lab})",
                crate::lab::TAG_KEY
            ),
            Deleted::Failed(e) => {
                failed += 1;
                println!("could not delete {what}: {e}");
            }
        }
    }
    if failed > 0 {
        println!("{failed} left; run `ecsdrill lab cleanup` again once they can go");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `sandbox use local | aws ...`: choose the target; for AWS, prove the credentials first.
pub fn use_target(app: &App, t: &UseTarget) -> Result<ExitCode> {
    let store = app.store()?;
    let target = match t {
        UseTarget::Local => Target::Local,
        UseTarget::Aws {
            profile,
            region,
            account,
            subnets,
        } => {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(
                    UserError::env(format!("`{account}` is not an AWS account id"))
                        .with_hint("an account id is 12 digits, e.g. --account 123456789012")
                        .into(),
                );
            }
            if !valid_region(region) {
                return Err(
                    UserError::env(format!("`{region}` is not an AWS region name"))
                        .with_hint("e.g. --region us-east-1 or --region eu-west-1")
                        .into(),
                );
            }
            Target::Aws {
                profile: profile.clone(),
                region: region.clone(),
                account: account.clone(),
                subnets: subnets.clone(),
            }
        }
    };
    if let Target::Aws { account, .. } = &target {
        let aws = Aws::for_account(&target)?;
        let actual = aws.caller_account().map_err(|f| aws.explain(f))?;
        if &actual != account {
            println!(
                "warning: these credentials are for account {actual}, not {account}: checks will read {actual}, and setup and cleanup will refuse to run"
            );
        }
    }
    store.set_setting(TARGET_KEY, &serde_json::to_string(&target)?)?;
    println!("labs now run against {}", target.describe());
    if let Target::Aws { .. } = target {
        println!(
            "checks only read; setup and cleanup write only in the account above, and tag what they create `{}`",
            crate::lab::TAG_KEY
        );
        println!(
            "policies for your user: sandbox/aws/ecsdrill-checker-policy.json (read-only) and ecsdrill-learner-policy.json"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in ["us-east-1", "eu-west-3", "us-gov-west-1", "ap-southeast-2"] {
            assert!(valid_region(ok), "{ok}");
        }
        for bad in ["useast1", "us-east", "US-EAST-1", "us-east-1a", ""] {
            assert!(!valid_region(bad), "{bad}");
        }
    }

    #[test]
    fn answers_parse() {
        let a = parse_answers(&["q=web:2".into(), "n = 4".into()]).unwrap();
        assert_eq!(a["q"], "web:2");
        assert_eq!(a["n"], "4");
        assert!(parse_answers(&["nope".into()]).is_err());
    }
}
