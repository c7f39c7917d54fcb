//! Incident drills: hands-on troubleshooting scheduled like a card. A drill is a lab-format
//! file (`sandbox/drills/ID.yaml`) whose setup breaks the healthy service of
//! `sandbox/drills/baseline.yaml` in one way; the learner names the cause and fixes it.
//!
//! A drill is merged with the baseline when it is loaded (draws, setup, reads and checks), so
//! the rest of ecsdrill sees an ordinary [`Lab`]: the same setup, read plan and check
//! evaluation. What is particular to drills lives here and is pure: which causes the live
//! state shows ([`detect`]), the options offered ([`options`]) and the FSRS rating of an
//! attempt ([`rating`]). See docs/drill-format.md.

pub mod timeline;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::deck::Diagnostic;
use crate::deck::raw::{Reporter, parse, valid_id};
use crate::lab::eval::{ReadResult, meets, query};
use crate::lab::load::{Known, lint_draws, lint_one};
use crate::lab::{Cause, Lab, Vars};
use crate::rng::SplitMix64;
use crate::session::Rating;

/// The file every drill builds on.
pub const BASELINE: &str = "baseline";

/// Fewest causes a drill offers besides its own.
const MIN_DISTRACTORS: usize = 3;

pub struct DrillSet {
    /// Each drill merged with the baseline, in file-name order.
    pub drills: Vec<Lab>,
}

impl DrillSet {
    pub fn get(&self, id: &str) -> Option<&Lab> {
        self.drills.iter().find(|d| d.id() == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.drills.iter().map(|d| d.id()).collect()
    }

    /// Every drill's cause, by id.
    pub fn causes(&self) -> BTreeMap<&str, &Cause> {
        self.drills
            .iter()
            .filter_map(|d| d.cause.as_ref())
            .map(|c| (c.value.id.value.as_str(), &c.value))
            .collect()
    }
}

/// The drills built into this binary.
pub fn embedded_drills() -> Vec<(String, String)> {
    crate::sandbox::DRILL_FILES
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

/// The built-in drills. With `known` (the decks' topics and cards) every file is linted, as
/// `drill check-files` and the tests do; without, they are only parsed and merged: the
/// built-in files are linted by the test suite, and a command should not pay for it on every
/// start.
pub fn load_drills(known: Option<&Known>) -> Result<DrillSet, Vec<Diagnostic>> {
    match known {
        Some(k) => lint(&embedded_drills(), Some(k)),
        None => merge_only(&embedded_drills()),
    }
}

/// Parses and merges drill files without linting them (see [`load_drills`]).
fn merge_only(files: &[(String, String)]) -> Result<DrillSet, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let Some((base_path, base_text)) = files.iter().find(|(p, _)| is_baseline(p)) else {
        return lint(files, None);
    };
    let mut rep = Reporter {
        file: base_path,
        out: &mut out,
    };
    let Some(base) = parse::<Lab>(base_text, &mut rep) else {
        return Err(out);
    };
    let mut drills = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| !is_baseline(p)) {
        let mut rep = Reporter {
            file: path,
            out: &mut out,
        };
        if let Some(drill) = parse::<Lab>(text, &mut rep) {
            drills.push(merge(base.clone(), drill, &mut rep));
        }
    }
    if out.iter().any(|d| !d.warning) {
        return Err(out);
    }
    Ok(DrillSet { drills })
}

/// `drill check-files PATH...`: drill files or directories of them, checked beside the
/// built-in drills and baseline (which a file of the same name replaces).
pub fn check_drill_paths(
    paths: &[PathBuf],
    known: Option<&Known>,
) -> std::io::Result<Result<DrillSet, Vec<Diagnostic>>> {
    let mut files = Vec::new();
    for p in paths {
        for f in crate::deck::read_dir_paths(p)? {
            files.push((f.display().to_string(), std::fs::read_to_string(&f)?));
        }
    }
    // The built-in drills stand beside the files given (a file of the same name replaces
    // one), so the baseline and the causes they offer as distractors are known.
    let name = |p: &str| Path::new(p).file_name().map(|n| n.to_os_string());
    let given: BTreeSet<_> = files.iter().map(|(p, _)| name(p)).collect();
    files.extend(
        embedded_drills()
            .into_iter()
            .filter(|(p, _)| !given.contains(&name(p))),
    );
    Ok(lint(&files, known))
}

fn is_baseline(path: &str) -> bool {
    Path::new(path).file_stem().and_then(|s| s.to_str()) == Some(BASELINE)
}

/// Lints drill files given as (path, text), one of them the baseline, and merges each drill
/// with it.
pub fn lint(
    files: &[(String, String)],
    known: Option<&Known>,
) -> Result<DrillSet, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let Some((base_path, base_text)) = files.iter().find(|(p, _)| is_baseline(p)) else {
        out.push(Diagnostic {
            file: "sandbox/drills".into(),
            line: 1,
            column: 1,
            message: "no baseline.yaml: every drill builds on it".into(),
            warning: false,
        });
        return Err(out);
    };
    let base = {
        let mut rep = Reporter {
            file: base_path,
            out: &mut out,
        };
        let Some(base) = parse::<Lab>(base_text, &mut rep) else {
            return Err(out);
        };
        lint_one(&base, base_path, known, &mut rep);
        lint_draws(&base, base_text, &mut rep);
        if base.is_drill() || base.setup.is_empty() {
            rep.error(
                base.id.referenced,
                "the baseline builds the healthy service: a setup and no cause",
            );
        }
        base
    };
    let base_reads: BTreeSet<String> = base.reads.keys().cloned().collect();
    let base_draws: BTreeSet<String> = base.draw.keys().cloned().collect();
    if out.iter().any(|d| !d.warning) {
        return Err(out);
    }
    let mut drills: Vec<(Lab, String)> = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| !is_baseline(p)) {
        let mut rep = Reporter {
            file: path,
            out: &mut out,
        };
        let Some(drill) = parse::<Lab>(text, &mut rep) else {
            continue;
        };
        lint_drill_fields(&drill, &base_reads, &base_draws, &mut rep);
        let merged = merge(base.clone(), drill, &mut rep);
        lint_one(&merged, path, known, &mut rep);
        // The drill's text first, so a draw it uses undeclared is located in it.
        lint_draws(&merged, &format!("{text}\n{base_text}"), &mut rep);
        drills.push((merged, path.clone()));
    }
    let causes: BTreeSet<&str> = drills
        .iter()
        .filter_map(|(d, _)| d.cause.as_ref())
        .map(|c| c.value.id.value.as_str())
        .collect();
    let mut seen_ids = BTreeSet::new();
    let mut seen_causes = BTreeSet::new();
    for (drill, path) in &drills {
        let mut rep = Reporter {
            file: path,
            out: &mut out,
        };
        if !seen_ids.insert(drill.id()) {
            rep.error(
                drill.id.referenced,
                format!("drill id `{}` is used twice", drill.id()),
            );
        }
        let Some(cause) = &drill.cause else { continue };
        let own = cause.value.id.value.as_str();
        if !seen_causes.insert(own) {
            rep.error(
                cause.value.id.referenced,
                format!("cause `{own}` is another drill's cause too"),
            );
        }
        for d in &drill.distractors {
            if d.value == own {
                rep.error(d.referenced, "a drill's own cause is not a distractor");
            } else if !causes.contains(d.value.as_str()) {
                rep.error(
                    d.referenced,
                    format!(
                        "unknown cause `{}` (a distractor is another drill's cause id)",
                        d.value
                    ),
                );
            }
        }
    }
    if out.iter().any(|d| !d.warning) {
        return Err(out);
    }
    Ok(DrillSet {
        drills: drills.into_iter().map(|(d, _)| d).collect(),
    })
}

/// What a drill file must have, and may not have, before it is merged.
fn lint_drill_fields(
    drill: &Lab,
    base_reads: &BTreeSet<String>,
    base_draws: &BTreeSet<String>,
    rep: &mut Reporter,
) {
    let at = drill.id.referenced;
    let Some(cause) = &drill.cause else {
        rep.error(at, "a drill needs a `cause` (see docs/drill-format.md)");
        return;
    };
    let c = &cause.value;
    if !valid_id(&c.id.value) {
        rep.error(
            c.id.referenced,
            format!(
                "cause id `{}` must be lowercase letters, digits and dashes",
                c.id.value
            ),
        );
    }
    if c.text.trim().is_empty() {
        rep.error(
            cause.referenced,
            "a cause needs a `text`, shown among the options",
        );
    }
    if !base_reads.contains(&c.read.value) {
        rep.error(
            c.read.referenced,
            format!(
                "a cause reads only the baseline's reads (every drill's cause is looked for in every incident); `{}` is not one of them",
                c.read.value
            ),
        );
    }
    let used = format!("{} {:?}", c.query.value, c.expect.value);
    for name in used
        .split("${draw.")
        .skip(1)
        .filter_map(|t| t.split('}').next())
    {
        if !base_draws.contains(name) {
            rep.error(
                c.query.referenced,
                format!("a cause may use only the baseline's draws; `${{draw.{name}}}` is not one"),
            );
        }
    }
    let vars = Vars::sample_for(drill);
    if let Err(e) = jmespath::compile(&vars.expand(&c.query.value)) {
        rep.error(c.query.referenced, format!("invalid JMESPath: {e}"));
    }
    if drill.distractors.len() < MIN_DISTRACTORS {
        rep.error(
            at,
            format!("a drill offers at least {MIN_DISTRACTORS} other causes (`distractors`)"),
        );
    }
    if !drill.steps.is_empty() || !drill.questions.is_empty() || !drill.prerequisites.is_empty() {
        rep.error(
            at,
            "a drill has no steps, questions or prerequisites: it gives the symptom (`intro`) and `hints`",
        );
    }
    if drill.hints.is_empty() {
        rep.error(at, "a drill needs at least one hint");
    }
    if drill.expert_path.is_empty() {
        rep.error(
            at,
            "a drill needs an `expert_path`: the shortest investigation",
        );
    }
    for s in &drill.expert_path {
        let (at, s) = (s.referenced, &s.value);
        if !(s.command.starts_with("aws ") || s.command.starts_with("ecsdrill ")) {
            rep.error(
                at,
                format!(
                    "an expert_path command starts with `aws ` or `ecsdrill `, not `{}`",
                    s.command
                ),
            );
        }
    }
    if drill.minutes == 0 {
        rep.error(
            at,
            "`minutes` is the drill's target time and must be more than 0",
        );
    }
    if drill.cards.is_empty() {
        rep.error(at, "a drill names the cards that teach it (`cards`)");
    }
    for name in drill.reads.keys() {
        if base_reads.contains(name) {
            rep.error(
                drill.reads[name].referenced,
                format!("read `{name}` is the baseline's; give this one another name"),
            );
        }
    }
}

/// The drill with the baseline's draws (the drill's own win), setup first, reads, checks first
/// and its one step.
fn merge(base: Lab, mut drill: Lab, rep: &mut Reporter) -> Lab {
    let mut draw = base.draw;
    draw.append(&mut drill.draw);
    let mut setup = base.setup;
    setup.append(&mut drill.setup);
    let mut reads = base.reads;
    for (name, read) in std::mem::take(&mut drill.reads) {
        if reads.contains_key(&name) {
            rep.error(read.referenced, format!("read `{name}` is the baseline's"));
            continue;
        }
        reads.insert(name, read);
    }
    let mut checks = base.checks;
    checks.append(&mut drill.checks);
    Lab {
        draw,
        setup,
        reads,
        checks,
        steps: base.steps,
        ..drill
    }
}

/// The causes whose detector passes on these reads: what the live state shows. A read that
/// found nothing answers `null`.
pub fn detect(set: &DrillSet, results: &BTreeMap<String, ReadResult>, vars: &Vars) -> Vec<String> {
    set.causes()
        .into_iter()
        .filter(|(_, c)| present(c, results, vars))
        .map(|(id, _)| id.to_string())
        .collect()
}

/// Whether this cause's detector passes on these reads.
pub fn present(cause: &Cause, results: &BTreeMap<String, ReadResult>, vars: &Vars) -> bool {
    let found = match results.get(&cause.read.value) {
        Some(ReadResult::Found(v)) => {
            query(&vars.expand(&cause.query.value), v).unwrap_or(Value::Null)
        }
        _ => Value::Null,
    };
    meets(&crate::lab::eval::expand(&cause.expect.value, vars), &found)
}

/// The causes offered for a drill, as (id, text): its own and its distractors, in an order
/// drawn from the attempt's seed.
pub fn options(set: &DrillSet, drill: &Lab, seed: u64) -> Vec<(String, String)> {
    let causes = set.causes();
    let mut out: Vec<(String, String)> = drill
        .cause
        .iter()
        .map(|c| c.value.id.value.as_str())
        .chain(drill.distractors.iter().map(|d| d.value.as_str()))
        .filter_map(|id| {
            causes
                .get(id)
                .map(|c| (id.to_string(), c.text.trim().to_string()))
        })
        .collect();
    SplitMix64::new(seed ^ 0x0d71_11ca_05e5).shuffle(&mut out);
    out
}

/// The learner's reply to "what is wrong?" as a cause id: an option's number, letter or id.
pub fn pick(options: &[(String, String)], reply: &str) -> Option<String> {
    let r = reply.trim().to_ascii_lowercase();
    if let Ok(n) = r.parse::<usize>() {
        return options.get(n.checked_sub(1)?).map(|(id, _)| id.clone());
    }
    if r.len() == 1 && r.as_bytes()[0].is_ascii_lowercase() {
        let i = (r.as_bytes()[0] - b'a') as usize;
        return options.get(i).map(|(id, _)| id.clone());
    }
    options
        .iter()
        .find(|(id, _)| *id == r)
        .map(|(id, _)| id.clone())
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The cause named was not what the live state showed.
    WrongCause,
    /// The learner stopped before the checks passed.
    GaveUp,
    /// Right cause, and every check passed.
    Fixed,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::WrongCause => "wrong-cause",
            Ending::GaveUp => "gave-up",
            Ending::Fixed => "fixed",
        }
    }

    pub fn parse(s: &str) -> Option<Ending> {
        match s {
            "wrong-cause" => Some(Ending::WrongCause),
            "gave-up" => Some(Ending::GaveUp),
            "fixed" => Some(Ending::Fixed),
            _ => None,
        }
    }
}

/// The FSRS rating of an attempt, on whole minutes (started ones count): fixed in fewer minutes
/// than the target with no hint is Easy, in the target's own minute Good; a hint or more
/// minutes than the target make it Hard; a wrong cause or giving up is Again.
pub fn rating(ending: Ending, hints: u32, elapsed_secs: i64, target_minutes: u32) -> Rating {
    let minutes = (elapsed_secs.max(0) + 59) / 60;
    let target = i64::from(target_minutes);
    match ending {
        Ending::WrongCause | Ending::GaveUp => Rating::Again,
        Ending::Fixed if hints > 0 || minutes > target => Rating::Hard,
        Ending::Fixed if minutes < target => Rating::Easy,
        Ending::Fixed => Rating::Good,
    }
}

/// New drills met on the schedule per day: an incident takes minutes, not seconds.
pub const NEW_PER_DAY: u32 = 1;

/// What the schedule asks for now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Drills due, the most overdue first.
    pub due: Vec<String>,
    /// Drills never met on the schedule that may start today, in file order.
    pub new: Vec<String>,
    /// The earliest due time among the drills not due yet.
    pub next_due_ms: Option<i64>,
}

impl Plan {
    /// The drill `ecsdrill drill` starts: the most overdue, else a new one.
    pub fn next(&self) -> Option<&str> {
        self.due.first().or(self.new.first()).map(String::as_str)
    }

    /// The drills to do today and the minutes they should take.
    pub fn today(&self, set: &DrillSet) -> (usize, u32) {
        let ids = self.due.iter().chain(&self.new);
        let minutes = ids
            .clone()
            .filter_map(|id| set.get(id))
            .map(|d| d.minutes)
            .sum();
        (ids.count(), minutes)
    }
}

/// Due and new drills at `now_ms`, given each drill's memory state and how many drills were
/// met for the first time today.
pub fn plan(
    set: &DrillSet,
    states: &std::collections::HashMap<String, crate::sched::CardState>,
    now_ms: i64,
    introduced_today: u32,
) -> Plan {
    let mut due: Vec<(&str, i64)> = Vec::new();
    let mut new = Vec::new();
    let mut next_due_ms: Option<i64> = None;
    for d in &set.drills {
        match states.get(d.id()) {
            Some(s) if s.due_ms <= now_ms => due.push((d.id(), s.due_ms)),
            Some(s) => next_due_ms = Some(next_due_ms.map_or(s.due_ms, |n| n.min(s.due_ms))),
            None => new.push(d.id().to_string()),
        }
    }
    due.sort_by_key(|&(id, at)| (at, id));
    new.truncate(NEW_PER_DAY.saturating_sub(introduced_today) as usize);
    Plan {
        due: due.into_iter().map(|(id, _)| id.to_string()).collect(),
        new,
        next_due_ms,
    }
}

#[cfg(test)]
mod tests;

/// The drills to do today (due and new) and their minutes, from the stored memory states;
/// `(0, 0)` when the built-in drills cannot be read.
pub fn due_today(
    store: &crate::store::Store,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<(usize, u32)> {
    let Ok(set) = load_drills(None) else {
        return Ok((0, 0));
    };
    let since = crate::clock::day_start(crate::clock::study_day(now), now).timestamp_millis();
    let p = plan(
        &set,
        &store.drill_states()?,
        now.timestamp_millis(),
        store.drills_introduced_since(since)?,
    );
    Ok(p.today(&set))
}
