//! `ecsdrill drill ...`: incident drills in the local sandbox. `drill` starts the drill that
//! is due (or shows the one under way), `drill check` grades the cause and the fix from the
//! live state, and the attempt's rating goes to the drill's own FSRS memory state.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Result;
use serde_json::{Value, json};

use crate::app::App;
use crate::aws::Target;
use crate::cli::{DrillArgs, DrillCommand};
use crate::clock::{day_start, from_ms, study_day};
use crate::drill::timeline::{self, Call, Happening};
use crate::drill::{DrillSet, Ending, detect, options, pick, plan, rating};
use crate::error::UserError;
use crate::lab::eval::{Outcome, ReadResult, evaluate_checks};
use crate::lab::{Lab, draw};
use crate::live::{Conn, connect};
use crate::store::{DrillAttempt, NewDrillAttempt, Store};

fn drills() -> Result<DrillSet> {
    crate::drill::load_drills(None).map_err(|d| {
        let lines: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        UserError::env(format!("{}\nthe drills have errors", lines.join("\n")))
            .with_hint(
                "fix them at the line and column shown, then run `ecsdrill drill check-files`",
            )
            .into()
    })
}

/// The tag value (and resource owner) of what a drill's setup creates.
fn owner(drill: &str) -> String {
    format!("drill:{drill}")
}

fn find<'a>(set: &'a DrillSet, id: &str) -> Result<&'a Lab> {
    set.get(id).ok_or_else(|| {
        UserError::env(format!("there is no drill `{id}`"))
            .with_hint(format!("the drills are: {}", set.ids().join(", ")))
            .into()
    })
}

pub fn run(app: &App, args: &DrillArgs) -> Result<ExitCode> {
    if let Some(DrillCommand::CheckFiles { paths }) = &args.command {
        return check_files(app, paths);
    }
    let set = drills()?;
    let mut store = app.store()?;
    match &args.command {
        Some(DrillCommand::Start { id, seed }) => {
            begin(app, &store, &set, find(&set, id)?, *seed, true)
        }
        Some(DrillCommand::Check { cause, json }) => {
            check(app, &mut store, &set, cause.as_deref(), *json)
        }
        Some(DrillCommand::Hint) => hint(&store, &set),
        Some(DrillCommand::GiveUp) => give_up(app, &mut store, &set),
        Some(DrillCommand::History { json }) => history(&store, *json),
        Some(DrillCommand::CheckFiles { .. }) => unreachable!("handled above"),
        None if args.list => list(app, &store, &set, args.json),
        None => match &args.topic {
            Some(t) => by_topic(app, &store, &set, t),
            None => next(app, &store, &set),
        },
    }
}

fn check_files(app: &App, paths: &[std::path::PathBuf]) -> Result<ExitCode> {
    let known = crate::lab::Known::of(&app.catalog()?);
    let result = if paths.is_empty() {
        crate::drill::load_drills(Some(&known))
    } else {
        crate::drill::check_drill_paths(paths, Some(&known)).map_err(|e| {
            UserError::env(format!("cannot read the drill files: {e}"))
                .with_hint("pass drill files or directories that exist")
        })?
    };
    match result {
        Ok(set) => {
            println!("{} drills and their baseline: ok", set.drills.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(diags) => Ok(crate::deck::report_diagnostics(&diags)),
    }
}

fn today_plan(app: &App, store: &Store, set: &DrillSet) -> Result<crate::drill::Plan> {
    let now = app.clock.now();
    let since = day_start(study_day(now), now).timestamp_millis();
    Ok(plan(
        set,
        &store.drill_states()?,
        now.timestamp_millis(),
        store.drills_introduced_since(since)?,
    ))
}

/// `ecsdrill drill`: the attempt under way, else the drill that is due.
fn next(app: &App, store: &Store, set: &DrillSet) -> Result<ExitCode> {
    if let Some(a) = store.open_drill_attempt()? {
        let drill = find(set, &a.drill)?;
        let vars = shown_vars(drill, a.seed);
        println!(
            "A drill is under way (started {}).",
            when(app, a.started_ms)
        );
        print_incident(app, drill, &vars, a.hints);
        return Ok(ExitCode::SUCCESS);
    }
    let p = today_plan(app, store, set)?;
    match p.next() {
        Some(id) => begin(app, store, set, find(set, id)?, None, false),
        None if set.drills.is_empty() => {
            println!("This ecsdrill has no incident drills.");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let next = p
                .next_due_ms
                .map(|ms| format!("the next is due {}", when(app, ms)))
                .unwrap_or_else(|| "today's new drill has been met".into());
            println!(
                "No drill is due today ({next}). Practise one anyway: `ecsdrill drill start ID` (`ecsdrill drill --list`)."
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `drill --topic T`: practice outside the schedule, the due drill of that topic first.
fn by_topic(app: &App, store: &Store, set: &DrillSet, topic: &str) -> Result<ExitCode> {
    let of_topic: Vec<&Lab> = set
        .drills
        .iter()
        .filter(|d| d.topics().any(|t| t == topic))
        .collect();
    if of_topic.is_empty() {
        let mut topics: Vec<&str> = set.drills.iter().flat_map(|d| d.topics()).collect();
        topics.sort();
        topics.dedup();
        return Err(UserError::env(format!("no drill has the topic `{topic}`"))
            .with_hint(format!("drills have these topics: {}", topics.join(", ")))
            .into());
    }
    let attempts = store.drill_attempts()?;
    let last = |id: &str| {
        attempts
            .iter()
            .filter(|a| a.drill == id)
            .map(|a| a.started_ms)
            .max()
    };
    let p = today_plan(app, store, set)?;
    let chosen = of_topic
        .iter()
        .find(|d| p.due.iter().any(|x| x == d.id()))
        .or_else(|| of_topic.iter().min_by_key(|d| (last(d.id()), d.id())))
        .expect("not empty");
    begin(app, store, set, chosen, None, true)
}

/// Builds the incident: the previous drill's resources go, the baseline and the fault are set
/// up, and the live state must show this drill's cause and no other.
fn begin(
    app: &App,
    store: &Store,
    set: &DrillSet,
    drill: &Lab,
    seed: Option<u64>,
    cram: bool,
) -> Result<ExitCode> {
    if let Some(a) = store.open_drill_attempt()? {
        return Err(UserError::env(format!("the drill `{}` is under way", a.drill))
            .with_hint("finish it with `ecsdrill drill check`, or end it with `ecsdrill drill give-up`")
            .into());
    }
    let target = Target::Local;
    let mut conn = connect(&target)?;
    // Without a seed given, a build the learner's leftovers spoil (a log group they created
    // in an earlier attempt with the same names, say) is tried once more with other names.
    let tries = if seed.is_some() { 1 } else { 2 };
    let cause = cause_id(drill);
    let mut built = None;
    for attempt in 1..=tries {
        remove_previous(store, &target, &conn)?;
        let seed = seed.unwrap_or_else(draw::fresh_seed);
        conn.vars.drawn = draw::draw(drill, seed);
        eprintln!("drill: building the incident in the local sandbox...");
        let tag = owner(drill.id());
        for action in &drill.setup {
            if let Some(c) =
                conn.aws
                    .apply(&tag, &action.value, &conn.vars, conn.sandbox.as_ref())?
            {
                store.record_lab_resource(
                    &tag,
                    &target.key(),
                    c.kind,
                    &c.name,
                    app.clock.now().timestamp_millis(),
                )?;
            }
        }
        let results = crate::lab::plan::read_all(drill, &conn.vars, &conn.aws)
            .map_err(|f| conn.aws.explain(f))?;
        let found = detect(set, &results, &conn.vars);
        if found == [cause] {
            built = Some((seed, found));
            break;
        }
        let shown = if found.is_empty() {
            "no cause".to_string()
        } else {
            found
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if attempt < tries {
            eprintln!(
                "drill: the live state shows {shown} instead of the incident's cause alone; building it again with other names"
            );
            continue;
        }
        return Err(UserError::env(format!(
            "the incident `{}` did not build as intended: the live state shows {shown} instead of `{cause}` alone",
            drill.id(),
        ))
        .with_hint("this is a fault in the drill, or something left in the sandbox: `ecsdrill sandbox reset` empties it (and the labs' resources too); otherwise try another drill (`ecsdrill drill --list`), and report it")
        .into());
    }
    let (seed, found) = built.expect("built or returned");
    let sandbox_start = conn.now()?;
    store.start_drill_attempt(&NewDrillAttempt {
        drill: drill.id(),
        seed,
        cram,
        started_ms: app.clock.now().timestamp_millis(),
        sandbox_start,
        causes_found: &found,
    })?;
    print_incident(app, drill, &conn.vars, 0);
    if cram {
        println!("(practice: this attempt does not change when the drill is due)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Deletes what earlier drills' setups made in the sandbox.
fn remove_previous(store: &Store, target: &Target, conn: &Conn) -> Result<()> {
    let mut labs: Vec<String> = store
        .lab_resources(&target.key(), None)?
        .into_iter()
        .map(|r| r.lab)
        .filter(|l| l.starts_with("drill:"))
        .collect();
    labs.sort();
    labs.dedup();
    for lab in &labs {
        for (what, _, result) in crate::live::cleanup(store, target, conn, Some(lab))? {
            if let crate::aws::setup::Deleted::Failed(e) = result {
                eprintln!("drill: could not delete {what} of an earlier drill: {e}");
            }
        }
    }
    Ok(())
}

/// The variables of an attempt, to show its texts (`${draw.NAME}` filled).
fn shown_vars(drill: &Lab, seed: u64) -> crate::lab::Vars {
    let mut vars = crate::lab::Vars::sample();
    vars.drawn = draw::draw(drill, seed);
    vars
}

fn cause_id(drill: &Lab) -> &str {
    drill
        .cause
        .as_ref()
        .map(|c| c.value.id.value.as_str())
        .unwrap_or_default()
}

fn print_incident(app: &App, drill: &Lab, vars: &crate::lab::Vars, hints_shown: u32) {
    let md = |t: &str| crate::ui::markdown_text(&vars.expand(t), app.color);
    println!("# Incident (about {} min)\n", drill.minutes);
    println!("{}\n", md(&drill.intro));
    println!(
        "Investigate with the `aws` CLI in `ecsdrill sandbox shell` (or: eval \"$(ecsdrill sandbox env)\")."
    );
    println!(
        "When you know the cause and have fixed it: `ecsdrill drill check`. Stuck: `ecsdrill drill hint` ({} of {} shown). No way out: `ecsdrill drill give-up`.",
        hints_shown,
        drill.hints.len()
    );
}

fn open_attempt<'a>(store: &Store, set: &'a DrillSet) -> Result<(DrillAttempt, &'a Lab)> {
    let a = store.open_drill_attempt()?.ok_or_else(|| {
        anyhow::Error::from(
            UserError::env("no drill is under way")
                .with_hint("start the one that is due with `ecsdrill drill`"),
        )
    })?;
    let drill = set.get(&a.drill).ok_or_else(|| {
        anyhow::Error::from(
            UserError::env(format!(
                "the drill `{}` under way no longer exists",
                a.drill
            ))
            .with_hint("end it with `ecsdrill drill give-up`"),
        )
    })?;
    Ok((a, drill))
}

/// A connection to the sandbox with the attempt's values.
fn attempt_conn(drill: &Lab, a: &DrillAttempt) -> Result<Conn> {
    let mut conn = connect(&Target::Local)?;
    conn.vars.drawn = draw::draw(drill, a.seed);
    conn.vars.lab_started = a.sandbox_start;
    Ok(conn)
}

fn ask_cause(app: &App, opts: &[(String, String)]) -> Result<Option<String>> {
    println!("What is wrong?");
    for (n, (_, text)) in opts.iter().enumerate() {
        println!("  {}. {text}", n + 1);
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    for attempt in 0..2 {
        if app.plain {
            println!("> the number of the cause (Enter: look further first)");
        } else {
            print!("> ");
        }
        std::io::stdout().flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 || line.trim().is_empty() {
            return Ok(None);
        }
        if let Some(id) = pick(opts, &line) {
            return Ok(Some(id));
        }
        if attempt == 0 {
            println!("type a number from 1 to {}", opts.len());
        }
    }
    Ok(None)
}

fn check(
    app: &App,
    store: &mut Store,
    set: &DrillSet,
    cause: Option<&str>,
    json: bool,
) -> Result<ExitCode> {
    let (a, drill) = open_attempt(store, set)?;
    let opts = options(set, drill, a.seed);
    let answered = match (&a.cause_answer, cause) {
        (Some(c), _) => c.clone(),
        (None, Some(reply)) => pick(&opts, reply).ok_or_else(|| {
            anyhow::Error::from(
                UserError::env(format!("`{reply}` is not one of the causes offered")).with_hint(
                    format!(
                        "give its number or id: {}",
                        opts.iter()
                            .enumerate()
                            .map(|(n, (id, _))| format!("{} {id}", n + 1))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            )
        })?,
        (None, None) if json => {
            return Err(UserError::env("with --json, name the cause with --cause")
                .with_hint(format!(
                    "the causes offered: {}",
                    opts.iter()
                        .map(|(id, _)| id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .into());
        }
        (None, None) => match ask_cause(app, &opts)? {
            Some(id) => id,
            None => {
                println!(
                    "Nothing recorded: investigate further, then `ecsdrill drill check` again."
                );
                return Ok(ExitCode::SUCCESS);
            }
        },
    };
    if a.cause_answer.is_none() {
        store.drill_cause_answered(a.id, &answered)?;
    }
    let conn = attempt_conn(drill, &a)?;
    let right = a.causes_found.contains(&answered);
    // Only what the fix checks and the drill's own cause read (and `service`, for the
    // timeline): the other drills' causes were looked for when the incident was built.
    let mut wanted: Vec<&str> = vec!["service"];
    if right {
        wanted.extend(drill.checks.iter().map(|c| c.value.read.value.as_str()));
        wanted.extend(drill.cause.iter().map(|c| c.value.read.value.as_str()));
    }
    let results = crate::lab::plan::read_some(drill, &conn.vars, &conn.aws, Some(&wanted))
        .map_err(|f| conn.aws.explain(f))?;
    if !right {
        let ending = Ending::WrongCause;
        let done = finish(app, store, drill, &a, ending, &results, &conn, &[])?;
        report(app, drill, &a, Some(&answered), &[], &done, json, set)?;
        return Ok(ExitCode::from(1));
    }
    let mut outcomes = evaluate_checks(drill, &results, &conn.vars, None);
    let still = drill
        .cause
        .as_ref()
        .is_some_and(|c| crate::drill::present(&c.value, &results, &conn.vars));
    outcomes.push(Outcome {
        id: "cause-gone".into(),
        passed: !still,
        message: if still {
            format!(
                "The live state still shows the cause: {}",
                cause_text(drill)
            )
        } else {
            "the cause is gone from the live state".into()
        },
        question: false,
        cards: vec![],
    });
    store.drill_checked(a.id)?;
    if outcomes.iter().all(|o| o.passed) {
        let done = finish(
            app,
            store,
            drill,
            &a,
            Ending::Fixed,
            &results,
            &conn,
            &outcomes,
        )?;
        report(app, drill, &a, Some(&answered), &outcomes, &done, json, set)?;
        return Ok(ExitCode::SUCCESS);
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "drill": drill.id(),
                "cause": {"answered": answered, "right": true},
                "passed": false,
                "ended": false,
                "checks": outcomes,
            }))?
        );
    } else {
        println!("Cause: right. The fix is not complete yet:");
        for o in &outcomes {
            println!("  {} {}", if o.passed { "ok  " } else { "FAIL" }, o.message);
        }
        println!(
            "Fix and check again (`ecsdrill drill check`), or end it: `ecsdrill drill give-up`."
        );
    }
    Ok(ExitCode::from(1))
}

fn cause_text(drill: &Lab) -> String {
    drill
        .cause
        .as_ref()
        .map(|c| c.value.text.trim().to_string())
        .unwrap_or_default()
}

/// What ending an attempt gave: its rating, when the drill is due next, the cards scheduled
/// and the timeline.
struct Done {
    ending: Ending,
    rating: crate::session::Rating,
    minutes: i64,
    next_due_ms: Option<i64>,
    cards_due: Vec<String>,
    timeline: Vec<timeline::Line>,
}

#[allow(clippy::too_many_arguments)]
fn finish(
    app: &App,
    store: &mut Store,
    drill: &Lab,
    a: &DrillAttempt,
    ending: Ending,
    results: &BTreeMap<String, ReadResult>,
    conn: &Conn,
    outcomes: &[Outcome],
) -> Result<Done> {
    let now = app.clock.now();
    let elapsed = (now.timestamp_millis() - a.started_ms) / 1000;
    let r = rating(ending, a.hints, elapsed, drill.minutes);
    let state = if a.cram {
        None
    } else {
        let sched = app.drill_scheduler(store)?;
        let before = store
            .drill_states()?
            .remove(drill.id())
            .unwrap_or_else(crate::sched::CardState::new_card);
        Some(sched.answer(drill.id(), &before, r as u8, now)?.after)
    };
    let timeline = timeline::build(
        a.sandbox_start,
        &learner_calls(conn, a)?,
        &happenings(results),
    );
    let detail = json!({"checks": outcomes, "timeline": timeline});
    store.end_drill_attempt(
        a,
        now.timestamp_millis(),
        ending,
        r,
        &detail.to_string(),
        state.as_ref(),
    )?;
    let cards_due = if ending == Ending::WrongCause {
        let ids: Vec<String> = drill.cards.iter().map(|c| c.value.clone()).collect();
        let s = store.schedule_cards_now(&ids, now.timestamp_millis())?;
        s.due_now.into_iter().chain(s.new_first).collect()
    } else {
        vec![]
    };
    Ok(Done {
        ending,
        rating: r,
        minutes: (elapsed + 59) / 60,
        next_due_ms: state.map(|s| s.due_ms),
        cards_due,
        timeline,
    })
}

/// The learner's `aws` CLI calls since the incident was ready (the sandbox's call log).
fn learner_calls(conn: &Conn, a: &DrillAttempt) -> Result<Vec<Call>> {
    let Some(sb) = &conn.sandbox else {
        return Ok(vec![]);
    };
    let endpoint = sb.endpoint()?;
    let (code, text) = crate::sandbox::request(
        &endpoint,
        "GET",
        &format!("/_ecsdrill/calls?since={}&caller=cli", a.sandbox_start),
        None,
    )?;
    if code >= 400 {
        return Ok(vec![]);
    }
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    Ok(v["calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .map(|c| Call {
                    time: c["time"].as_f64().unwrap_or(0.0),
                    service: c["service"].as_str().unwrap_or("?").to_string(),
                    operation: c["operation"].as_str().unwrap_or("?").to_string(),
                    status: c["status"].as_u64().unwrap_or(0) as u16,
                })
                .collect()
        })
        .unwrap_or_default())
}

/// What the service did, from the baseline's `service` read: its events, and each deployment
/// started (with its task definition) since.
fn happenings(results: &BTreeMap<String, ReadResult>) -> Vec<Happening> {
    let Some(ReadResult::Found(v)) = results.get("service") else {
        return vec![];
    };
    let service = &v["services"][0];
    let events = service["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some(Happening {
                time: e["createdAt"].as_f64()?,
                text: e["message"].as_str()?.to_string(),
            })
        });
    let deployments = service["deployments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let td = d["taskDefinition"].as_str()?;
            Some(Happening {
                time: d["createdAt"].as_f64()?,
                text: format!(
                    "deployment {} of {} created",
                    d["id"].as_str().unwrap_or("?"),
                    td.rsplit('/').next().unwrap_or(td)
                ),
            })
        });
    events.chain(deployments).collect()
}

#[allow(clippy::too_many_arguments)]
fn report(
    app: &App,
    drill: &Lab,
    a: &DrillAttempt,
    answered: Option<&str>,
    outcomes: &[Outcome],
    done: &Done,
    json: bool,
    set: &DrillSet,
) -> Result<()> {
    let vars = shown_vars(drill, a.seed);
    let causes = set.causes();
    let text_of = |id: &str| {
        causes
            .get(id)
            .map(|c| c.text.trim().to_string())
            .unwrap_or_default()
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "drill": drill.id(),
                "title": drill.title,
                "cause": {
                    "answered": answered,
                    "right": answered.is_some_and(|x| a.causes_found.iter().any(|c| c == x)),
                    "actual": cause_id(drill),
                },
                "passed": done.ending == Ending::Fixed,
                "ended": true,
                "ending": done.ending.as_str(),
                "rating": done.rating.name(),
                "cram": a.cram,
                "minutes": done.minutes,
                "hints": a.hints,
                "next_due": done.next_due_ms.map(|ms| from_ms(ms, app.clock.now()).to_rfc3339()),
                "cards_due_now": done.cards_due,
                "checks": outcomes,
                "timeline": done.timeline,
            }))?
        );
        return Ok(());
    }
    let md = |t: &str| crate::ui::markdown_text(&vars.expand(t), app.color);
    match done.ending {
        Ending::Fixed => println!(
            "Fixed, and the cause was right: {}",
            text_of(cause_id(drill))
        ),
        Ending::WrongCause => {
            println!(
                "Not this time. You named: {}",
                answered.map(text_of).unwrap_or_default()
            );
            println!("The live state showed: {}", text_of(cause_id(drill)));
        }
        Ending::GaveUp => println!(
            "Ended without a fix. The cause was: {}",
            text_of(cause_id(drill))
        ),
    }
    println!("\n# {}\n", drill.title);
    println!(
        "Rated {} ({} min, target {}, {} hint{}){}.",
        capital(done.rating.name()),
        done.minutes,
        drill.minutes,
        a.hints,
        if a.hints == 1 { "" } else { "s" },
        match (a.cram, done.next_due_ms) {
            (true, _) => " — practice: the schedule is unchanged".to_string(),
            (false, Some(ms)) => format!(" — next due {}", when(app, ms)),
            (false, None) => String::new(),
        }
    );
    if !done.cards_due.is_empty() {
        println!(
            "The cards that teach it are due now: {} (`ecsdrill review`).",
            done.cards_due.join(", ")
        );
    }
    if let Some(d) = &drill.debrief {
        println!("\n{}", md(d));
    }
    println!("\nWhat you did, beside what ECS did:");
    let lines = timeline::render(&done.timeline);
    if lines.is_empty() {
        println!("  (no `aws` CLI calls reached the sandbox)");
    }
    for l in lines {
        println!("  {l}");
    }
    println!("\nThe shortest path:");
    for (n, s) in drill.expert_path.iter().map(|s| &s.value).enumerate() {
        println!("  {}. {}", n + 1, vars.expand(&s.command));
        println!("     {}", vars.expand(&s.why));
    }
    Ok(())
}

fn hint(store: &Store, set: &DrillSet) -> Result<ExitCode> {
    let (a, drill) = open_attempt(store, set)?;
    if a.hints as usize >= drill.hints.len() {
        println!(
            "No more hints ({} shown). Read the service's events and the stopped tasks' reasons.",
            a.hints
        );
        return Ok(ExitCode::SUCCESS);
    }
    let n = store.drill_hint_shown(a.id)?;
    let vars = shown_vars(drill, a.seed);
    println!(
        "Hint {n} of {}: {}",
        drill.hints.len(),
        vars.expand(&drill.hints[n as usize - 1])
    );
    Ok(ExitCode::SUCCESS)
}

fn give_up(app: &App, store: &mut Store, set: &DrillSet) -> Result<ExitCode> {
    let (a, drill) = open_attempt(store, set)?;
    let conn = attempt_conn(drill, &a)?;
    let results = crate::lab::plan::read_some(drill, &conn.vars, &conn.aws, Some(&["service"]))
        .map_err(|f| conn.aws.explain(f))?;
    let done = finish(app, store, drill, &a, Ending::GaveUp, &results, &conn, &[])?;
    report(
        app,
        drill,
        &a,
        a.cause_answer.as_deref(),
        &[],
        &done,
        false,
        set,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn history(store: &Store, json: bool) -> Result<ExitCode> {
    let attempts = store.drill_attempts()?;
    if json {
        let rows: Vec<Value> = attempts
            .iter()
            .map(|a| {
                json!({
                    "drill": a.drill,
                    "seed": a.seed,
                    "cram": a.cram,
                    "started_ms": a.started_ms,
                    "ended_ms": a.ended_ms,
                    "ending": a.ending.map(Ending::as_str),
                    "rating": a.rating.map(|r| r.name()),
                    "cause_answer": a.cause_answer,
                    "hints": a.hints,
                    "checks_run": a.checks_run,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if attempts.is_empty() {
        println!("No drill attempted yet: `ecsdrill drill` starts the one that is due.");
        return Ok(ExitCode::SUCCESS);
    }
    for a in &attempts {
        let minutes = a
            .ended_ms
            .map(|e| format!("{:>3} min", ((e - a.started_ms) / 1000 + 59) / 60))
            .unwrap_or_else(|| "under way".into());
        println!(
            "{}  {:<28} {:<11} {:<5} {}  {} hint{}{}",
            chrono::DateTime::from_timestamp_millis(a.started_ms)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            a.drill,
            a.ending.map_or("", Ending::as_str),
            a.rating.map_or("", |r| r.name()),
            minutes,
            a.hints,
            if a.hints == 1 { "" } else { "s" },
            if a.cram { "  (practice)" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(app: &App, store: &Store, set: &DrillSet, json: bool) -> Result<ExitCode> {
    let states = store.drill_states()?;
    let attempts = store.drill_attempts()?;
    let open = store.open_drill_attempt()?;
    let now_ms = app.clock.now().timestamp_millis();
    let state_of = |id: &str| -> (String, Option<i64>) {
        if open.as_ref().is_some_and(|a| a.drill == id) {
            return ("under way".into(), None);
        }
        match states.get(id) {
            None => ("new".into(), None),
            Some(s) if s.due_ms <= now_ms => ("due".into(), Some(s.due_ms)),
            Some(s) => (format!("due {}", when(app, s.due_ms)), Some(s.due_ms)),
        }
    };
    if json {
        let rows: Vec<Value> = set
            .drills
            .iter()
            .map(|d| {
                let (state, due) = state_of(d.id());
                let mine: Vec<&DrillAttempt> =
                    attempts.iter().filter(|a| a.drill == d.id()).collect();
                json!({
                    "id": d.id(),
                    "topics": d.topics().collect::<Vec<_>>(),
                    "minutes": d.minutes,
                    "state": state,
                    "due_ms": due,
                    "attempts": mine.len(),
                    "last": mine.last().and_then(|a| a.ending.map(Ending::as_str)),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("incident drills (the symptom is the name; the cause is yours to find):");
    for d in &set.drills {
        let (state, _) = state_of(d.id());
        let n = attempts.iter().filter(|a| a.drill == d.id()).count();
        println!(
            "  {:<30} {:>3} min  {:<18} {}  [{}]",
            d.id(),
            d.minutes,
            state,
            match n {
                0 => "never tried".to_string(),
                1 => "1 attempt".to_string(),
                n => format!("{n} attempts"),
            },
            d.topics().collect::<Vec<_>>().join(", ")
        );
    }
    println!(
        "`ecsdrill drill` starts the one that is due; `ecsdrill drill start ID` practises one now."
    );
    Ok(ExitCode::SUCCESS)
}

/// A moment, in the learner's words: "today", "tomorrow", "on 2026-12-09".
fn when(app: &App, ms: i64) -> String {
    let now = app.clock.now();
    let then = from_ms(ms, now);
    match (study_day(then) - study_day(now)).num_days() {
        0 => format!("today at {}", then.format("%H:%M")),
        1 => "tomorrow".into(),
        -1 => "yesterday".into(),
        d if d > 1 && d < 7 => format!("in {d} days"),
        _ => format!("on {}", then.format("%Y-%m-%d")),
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
