//! Reading and linting lab files. Every problem is a diagnostic with file, line and column;
//! a set of labs with any error is never used. The linter is what keeps "checks only read"
//! true: a read can only name an operation of [`super::ops::ReadAction`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_saphyr::Location;

use super::ops::Param;
use super::{Count, FORMAT_VERSION, Lab, SetupAction, Vars};
use crate::deck::Diagnostic;
use crate::deck::raw::{Reporter, parse, valid_id};

pub struct LabSet {
    pub labs: Vec<Lab>,
}

impl LabSet {
    pub fn get(&self, id: &str) -> Option<&Lab> {
        self.labs.iter().find(|l| l.id() == id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.labs.iter().map(|l| l.id()).collect()
    }
}

/// The labs built into this binary, in learning-path order (file names start with a number).
pub fn embedded_labs() -> Vec<(String, String)> {
    crate::sandbox::LAB_FILES
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

/// What labs refer to in the decks: topic ids and card ids, checked when given.
#[derive(Default)]
pub struct Known {
    pub topics: BTreeSet<String>,
    pub cards: BTreeSet<String>,
}

impl Known {
    /// The topic and card ids of a catalog.
    pub fn of(catalog: &crate::deck::Catalog) -> Known {
        Known {
            topics: catalog.topics.iter().map(|t| t.id.clone()).collect(),
            cards: catalog.cards.iter().map(|c| c.id.clone()).collect(),
        }
    }
}

/// Loads and lints the embedded labs against the decks' topics and cards.
pub fn load_labs(known: Option<&Known>) -> Result<LabSet, Vec<Diagnostic>> {
    lint(&embedded_labs(), known)
}

/// `lab check-files PATH...`: lab files or directories of them.
pub fn check_lab_paths(
    paths: &[PathBuf],
    known: Option<&Known>,
) -> std::io::Result<Result<LabSet, Vec<Diagnostic>>> {
    let mut files = Vec::new();
    for p in paths {
        for f in crate::deck::read_dir_paths(p)? {
            files.push((f.display().to_string(), std::fs::read_to_string(&f)?));
        }
    }
    Ok(lint(&files, known))
}

/// Lints lab files given as (path, text); `known` (the deck topic and card ids) is checked
/// when given. The fuzz target for lab files enters here.
pub fn lint(files: &[(String, String)], known: Option<&Known>) -> Result<LabSet, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut labs: Vec<(Lab, String)> = Vec::new();
    for (path, text) in files {
        let mut rep = Reporter {
            file: path,
            out: &mut out,
        };
        let Some(lab) = parse::<Lab>(text, &mut rep) else {
            continue;
        };
        lint_one(&lab, path, known, &mut rep);
        lint_draws(&lab, text, &mut rep);
        if lab.is_drill()
            || !lab.distractors.is_empty()
            || !lab.hints.is_empty()
            || !lab.expert_path.is_empty()
        {
            rep.error(
                lab.id.referenced,
                "`cause`, `distractors`, `hints` and `expert_path` belong in drills (sandbox/drills/), not labs",
            );
        }
        labs.push((lab, path.clone()));
    }
    let ids: BTreeSet<String> = labs.iter().map(|(l, _)| l.id().to_string()).collect();
    let mut seen = BTreeSet::new();
    for (lab, path) in &labs {
        let mut rep = Reporter {
            file: path,
            out: &mut out,
        };
        if !seen.insert(lab.id()) {
            rep.error(
                lab.id.referenced,
                format!("lab id `{}` is used twice", lab.id()),
            );
        }
        for p in &lab.prerequisites {
            if !ids.contains(&p.value) {
                rep.error(
                    p.referenced,
                    format!("unknown prerequisite lab `{}`", p.value),
                );
            }
        }
    }
    if out.iter().any(|d| !d.warning) {
        return Err(out);
    }
    Ok(LabSet {
        labs: labs.into_iter().map(|(l, _)| l).collect(),
    })
}

pub(crate) fn lint_one(lab: &Lab, path: &str, known: Option<&Known>, rep: &mut Reporter) {
    if !crate::deck::raw::check_format_version_of(&lab.format_version, FORMAT_VERSION, rep) {
        return;
    }
    let at = lab.id.referenced;
    if !valid_id(lab.id()) {
        rep.error(
            at,
            format!(
                "lab id `{}` must be lowercase letters, digits and dashes",
                lab.id()
            ),
        );
    }
    let stem = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    let stem = stem.split_once('-').map_or(stem, |(n, rest)| {
        if n.bytes().all(|b| b.is_ascii_digit()) {
            rest
        } else {
            stem
        }
    });
    if stem != lab.id() {
        rep.error(
            at,
            format!(
                "lab id `{}` does not match its file name `{stem}`",
                lab.id()
            ),
        );
    }
    if lab.topics.is_empty() {
        rep.error(at, "a lab needs at least one topic");
    }
    for t in &lab.topics {
        if known.is_some_and(|k| !k.topics.contains(&t.value)) {
            rep.error(
                t.referenced,
                format!(
                    "unknown topic `{}` (topics are listed in decks/topics.yaml)",
                    t.value
                ),
            );
        }
    }
    if lab.steps.is_empty() {
        rep.error(at, "a lab needs at least one step");
    }
    for step in &lab.steps {
        if step.value.text.trim().is_empty() {
            rep.error(
                step.referenced,
                format!("step `{}` has no text", step.value.title),
            );
        }
        let step_at = step.referenced;
        let step = &step.value;
        for cmd in &step.try_commands {
            // a lab about a repository also has the learner look at and edit its files
            let in_repository = lab.repository.is_some() && cmd.contains("${workspace}");
            if !(cmd.starts_with("aws ") || cmd.starts_with("ecsdrill ") || in_repository) {
                rep.error(
                    step_at,
                    format!(
                        "step `{}`: a command to try starts with `aws ` or `ecsdrill ` (or works in `${{workspace}}`, in a lab with a repository), not `{cmd}`",
                        step.title
                    ),
                );
            }
        }
    }
    if lab.checks.is_empty() {
        rep.error(at, "a lab needs at least one check");
    }
    for s in &lab.sources {
        if !s.value.starts_with("https://") {
            rep.error(s.referenced, "a source is an https:// URL");
        }
    }
    if let Some(repo) = &lab.repository {
        let vars = Vars::sample_for(lab);
        for path in repo.value.files.keys().chain([&repo.value.workflow]) {
            if !super::workspace::is_relative_inside(&vars.expand(path)) {
                rep.error(
                    repo.referenced,
                    format!("`{path}` must be a relative path inside the repository (no `..`)"),
                );
            }
        }
        if repo.value.files.contains_key(&repo.value.workflow) {
            rep.error(
                repo.referenced,
                "the workflow is the learner's to write: it cannot be one of the lab's `files`",
            );
        }
    }
    lint_reads(lab, rep);
    if let Some(k) = known {
        let cards = lab
            .cards
            .iter()
            .chain(lab.checks.iter().flat_map(|c| &c.value.cards));
        lint_cards(cards, &k.cards, rep);
    }
    let vars = Vars::sample_for(lab);
    let mut ids = BTreeSet::new();
    for c in &lab.checks {
        let c = &c.value;
        if !valid_id(&c.id.value) || !ids.insert(c.id.value.clone()) {
            rep.error(
                c.id.referenced,
                format!("check id `{}` is invalid or used twice", c.id.value),
            );
        }
        if !lab.reads.contains_key(&c.read.value) {
            rep.error(
                c.read.referenced,
                format!("unknown read `{}`", c.read.value),
            );
        }
        lint_query(&c.query.value, c.query.referenced, &vars, rep);
    }
    for q in &lab.questions {
        let q = &q.value;
        if !valid_id(&q.id.value) || !ids.insert(q.id.value.clone()) {
            rep.error(
                q.id.referenced,
                format!("question id `{}` is invalid or used twice", q.id.value),
            );
        }
        if !lab.reads.contains_key(&q.read.value) {
            rep.error(
                q.read.referenced,
                format!("unknown read `{}`", q.read.value),
            );
        }
        lint_query(&q.query.value, q.query.referenced, &vars, rep);
    }
    for a in &lab.setup {
        if let SetupAction::PushImage { behavior, .. } = &a.value
            && !["healthy", "crash", "oom", "slow-start", "no-health"].contains(&behavior.as_str())
        {
            rep.error(
                    a.referenced,
                    format!("unknown image behaviour `{behavior}`: healthy, crash, oom, slow-start or no-health"),
                );
        }
        if let SetupAction::PushImage {
            behavior,
            requires: Some(name),
            ..
        } = &a.value
        {
            // a setting name, or one `${draw.NAME}` whose candidates are setting names
            let names: Vec<&str> = match name
                .strip_prefix("${draw.")
                .and_then(|r| r.strip_suffix('}'))
            {
                Some(d) => lab.draw.get(d).map_or(vec![], |c| {
                    c.value.iter().map(|v| v.as_str().unwrap_or("")).collect()
                }),
                None => vec![name.as_str()],
            };
            if behavior != "crash" {
                rep.error(
                    a.referenced,
                    "`requires` is the setting a crash image needs: use it with `behavior: crash`",
                );
            } else if names.iter().any(|n| !crate::sandbox::is_setting_name(n)) {
                rep.error(
                    a.referenced,
                    format!("requires `{name}`: a setting name like ORDERS_DB_URL (capital letters, digits and _), or one `${{draw.NAME}}` whose candidates are such names"),
                );
            }
        }
    }
}

/// `draw`: names of lowercase letters and `_`, at least two candidates of one kind (text or
/// whole numbers), every draw used and every `${draw.NAME}` declared (anywhere in the file:
/// setup, text, reads, checks, questions); a drawn setup number draws only whole numbers.
pub(crate) fn lint_draws(lab: &Lab, text: &str, rep: &mut Reporter) {
    for (name, candidates) in &lab.draw {
        let c = &candidates.value;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            rep.error(
                candidates.referenced,
                format!("draw `{name}`: use lowercase letters and `_`"),
            );
        }
        let texts = c.iter().all(serde_json::Value::is_string);
        let numbers = c.iter().all(serde_json::Value::is_i64);
        if c.len() < 2 || !(texts || numbers) {
            rep.error(
                candidates.referenced,
                format!(
                    "draw `{name}` needs at least two candidates, all text or all whole numbers"
                ),
            );
        }
        if c.iter().enumerate().any(|(i, v)| c[..i].contains(v)) {
            rep.error(
                candidates.referenced,
                format!("draw `{name}` lists a candidate twice"),
            );
        }
        if !text.contains(&format!("${{draw.{name}}}")) {
            rep.error(
                candidates.referenced,
                format!("draw `{name}` is never used as ${{draw.{name}}}"),
            );
        }
    }
    for (i, _) in text.match_indices("${draw.") {
        let name = text[i + 7..].split('}').next().unwrap_or("");
        if !lab.draw.contains_key(name) {
            let before = &text[..i];
            let line = before.matches('\n').count() as u64 + 1;
            let column = (i - before.rfind('\n').map_or(0, |n| n + 1)) as u64 + 1;
            rep.push(
                line,
                column,
                format!("`${{draw.{name}}}` is not declared in the lab's `draw`"),
                false,
            );
        }
    }
    let whole = |n: &Count| match n {
        Count::Fixed(_) => true,
        Count::Drawn(s) => s
            .strip_prefix("${draw.")
            .and_then(|r| r.strip_suffix('}'))
            .and_then(|name| lab.draw.get(name))
            .is_some_and(|c| c.value.iter().all(serde_json::Value::is_i64)),
    };
    for a in &lab.setup {
        let counts: Vec<&Count> = match &a.value {
            SetupAction::CreateService {
                desired_count,
                load_balancer,
                health_check_grace,
                min_healthy,
                max_percent,
                ..
            } => std::iter::once(desired_count)
                .chain(load_balancer.iter().map(|lb| &lb.port))
                .chain(
                    [health_check_grace, min_healthy, max_percent]
                        .into_iter()
                        .flatten(),
                )
                .collect(),
            SetupAction::UpdateService {
                desired_count,
                min_healthy,
                max_percent,
                health_check_grace,
                ..
            } => [desired_count, min_healthy, max_percent, health_check_grace]
                .into_iter()
                .flatten()
                .collect(),
            SetupAction::PushImage { exit_code, .. } => exit_code.iter().collect(),
            SetupAction::RegisterTaskDefinition {
                earlier_revisions,
                container,
                ..
            } => {
                let hc = container.health_check.iter().flat_map(|h| {
                    [&h.interval, &h.retries, &h.start_period]
                        .into_iter()
                        .flatten()
                });
                [earlier_revisions, &container.memory]
                    .into_iter()
                    .flatten()
                    .chain(hc)
                    .collect()
            }
            SetupAction::CreateLoadBalancer { port, .. }
            | SetupAction::CreateTargetGroup { port, .. } => vec![port],
            // `traffic-port` is a health check port too.
            SetupAction::ModifyTargetGroup { health_port, .. } => health_port
                .iter()
                .filter(|p| **p != Count::Drawn("traffic-port".into()))
                .collect(),
            _ => vec![],
        };
        for n in counts {
            if !whole(n) {
                rep.error(
                    a.referenced,
                    format!("{n:?}: a setup number is a whole number or one `${{draw.NAME}}` whose candidates are whole numbers"),
                );
            }
        }
    }
}

/// Card ids must name cards of the decks; a near miss is suggested.
fn lint_cards<'a>(
    cards: impl Iterator<Item = &'a serde_saphyr::Spanned<String>>,
    known: &BTreeSet<String>,
    rep: &mut Reporter,
) {
    let all: Vec<&str> = known.iter().map(String::as_str).collect();
    for c in cards {
        if known.contains(&c.value) {
            continue;
        }
        let near = crate::deck::did_you_mean(&c.value, &all)
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        rep.error(
            c.referenced,
            format!(
                "unknown card `{}` (cards are the ids in decks/*.yaml){near}",
                c.value
            ),
        );
    }
}

fn lint_query(q: &str, at: Location, vars: &Vars, rep: &mut Reporter) {
    let q = vars.expand(q);
    if q.contains("${") {
        rep.error(
            at,
            "a query may use only ${account}, ${region}, ${ecr}, ${lab_started}, ${private_subnets} and ${draw.NAME} of the lab's `draw`",
        );
    }
    if let Err(e) = jmespath::compile(&q) {
        rep.error(
            at,
            format!("JMESPath does not parse: {}", first_line(&e.to_string())),
        );
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Reads: known operations, known parameters of the right type, `with` sources that exist
/// and form no cycle.
fn lint_reads(lab: &Lab, rep: &mut Reporter) {
    let vars = Vars::sample_for(lab);
    for (name, read) in &lab.reads {
        let r = &read.value;
        if !valid_id(name) && !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            rep.error(
                read.referenced,
                format!("read name `{name}`: use lowercase letters and `_`"),
            );
        }
        let op = r.action.value;
        let given: BTreeSet<&str> = r
            .params
            .keys()
            .chain(r.with.keys())
            .map(String::as_str)
            .collect();
        for (k, v) in &r.params {
            match op.params().iter().find(|(p, _)| p == k) {
                None => rep.error(
                    v.referenced,
                    format!(
                        "`{op}` takes no parameter `{k}` (it takes: {})",
                        names(op.params())
                    ),
                ),
                Some((_, kind)) if !fits(*kind, &v.value) => rep.error(
                    v.referenced,
                    format!("parameter `{k}` of `{op}` must be {}", kind_name(*kind)),
                ),
                _ => {}
            }
        }
        for (k, from, expr) in r.sources() {
            let src = &r.with[k];
            if !op.params().iter().any(|(p, _)| p == &k) {
                rep.error(src.referenced, format!("`{op}` takes no parameter `{k}`"));
            }
            match expr {
                Some(expr) if lab.reads.contains_key(from) => {
                    lint_query(expr, src.referenced, &vars, rep)
                }
                _ => rep.error(
                    src.referenced,
                    format!("`with` takes \"READ | JMESPath\", where READ is another read of this lab: `{}`", src.value),
                ),
            }
        }
        for req in op.required() {
            if !given.contains(req) {
                rep.error(
                    read.referenced,
                    format!("`{op}` needs the parameter `{req}`"),
                );
            }
        }
        if let Some(m) = &r.missing_when {
            lint_query(&m.value, m.referenced, &vars, rep);
        }
        if r.missing.as_deref().is_none_or(|t| t.trim().is_empty()) {
            rep.error(
                read.referenced,
                format!("read `{name}` needs a `missing` text: which resource is missing and how to create it"),
            );
        }
        if depends_on(lab, name, name, 0) {
            rep.error(
                read.referenced,
                format!("read `{name}` depends on itself through `with`"),
            );
        }
    }
}

fn depends_on(lab: &Lab, start: &str, target: &str, depth: usize) -> bool {
    if depth > lab.reads.len() {
        return true;
    }
    let Some(r) = lab.reads.get(start) else {
        return false;
    };
    r.value
        .sources()
        .any(|(_, from, _)| from == target || depends_on(lab, from, target, depth + 1))
}

fn fits(kind: Param, v: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match kind {
        Param::Str => v.is_string(),
        Param::Int => v.is_i64(),
        Param::StrList => v.as_array().is_some_and(|a| a.iter().all(V::is_string)),
        Param::ObjectList => v.as_array().is_some_and(|a| a.iter().all(V::is_object)),
        Param::Object => v.is_object(),
    }
}

fn kind_name(kind: Param) -> &'static str {
    match kind {
        Param::Str => "a string",
        Param::Int => "an integer",
        Param::StrList => "a list of strings",
        Param::ObjectList => "a list of objects",
        Param::Object => "an object",
    }
}

fn names(params: &[(&str, Param)]) -> String {
    if params.is_empty() {
        return "none".into();
    }
    params
        .iter()
        .map(|(p, _)| *p)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads in the order they can run: every read after the reads its `with` uses.
/// Returns waves; the reads of one wave run concurrently.
pub fn read_waves(lab: &Lab) -> Vec<Vec<&str>> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut waves = Vec::new();
    let mut left: BTreeMap<&str, Vec<&str>> = lab
        .reads
        .iter()
        .map(|(name, r)| {
            let deps = r
                .value
                .sources()
                .filter_map(|(_, from, _)| lab.reads.get_key_value(from).map(|(k, _)| k.as_str()))
                .collect();
            (name.as_str(), deps)
        })
        .collect();
    while !left.is_empty() {
        let ready: Vec<&str> = left
            .iter()
            .filter(|(_, deps)| deps.iter().all(|d| done.contains(d)))
            .map(|(n, _)| *n)
            .collect();
        if ready.is_empty() {
            break; // a cycle; the linter reports it
        }
        for n in &ready {
            left.remove(n);
            done.insert(n);
        }
        waves.push(ready);
    }
    waves
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Known {
        Known {
            topics: ["ecr-vs-ecs", "cluster", "task"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            cards: ["cluster-what-is-a-cluster", "cluster-region-specific"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    const GOOD: &str = r#"format_version: 1
id: tiny
title: Tiny
topics: [cluster]
cards: [cluster-what-is-a-cluster]
minutes: 5
intro: Make a cluster.
steps:
  - title: Create it
    text: Create a cluster named `drill`.
    try: ["aws ecs create-cluster --cluster-name drill"]
    hints: ["Use create-cluster."]
reads:
  cluster:
    action: ecs:DescribeClusters
    params: {clusters: [drill]}
    missing_when: "length(clusters[?status=='ACTIVE']) == `0`"
    missing: "There is no cluster `drill`: `aws ecs create-cluster --cluster-name drill`."
  services:
    action: ecs:DescribeServices
    params: {cluster: drill}
    with: {services: "names | serviceArns"}
    missing: "No services."
  names:
    action: ecs:ListServices
    params: {cluster: drill}
    missing: "No cluster."
checks:
  - id: active
    title: the cluster is active
    read: cluster
    query: "clusters[0].status"
    expect: {equals: ACTIVE}
    fail: "Create the cluster."
"#;

    #[test]
    fn a_good_lab_passes_and_reads_run_in_waves() {
        let set = lint(&[("labs/tiny.yaml".into(), GOOD.into())], Some(&topics())).unwrap();
        let lab = set.get("tiny").unwrap();
        assert_eq!(
            read_waves(lab),
            vec![vec!["cluster", "names"], vec!["services"]]
        );
    }

    #[test]
    fn a_check_names_its_own_cards_or_the_labs() {
        let text = GOOD.replace(
            "    fail: \"Create the cluster.\"\n",
            "    fail: \"Create the cluster.\"\n    cards: [cluster-region-specific]\n",
        );
        let set = lint(&[("labs/tiny.yaml".into(), text)], Some(&topics())).unwrap();
        let lab = set.get("tiny").unwrap();
        assert_eq!(lab.cards_for("active"), vec!["cluster-region-specific"]);
        assert_eq!(lab.cards_for("other"), vec!["cluster-what-is-a-cluster"]);
    }

    #[test]
    fn a_repository_keeps_its_paths_inside_and_leaves_the_workflow_to_the_learner() {
        let with = |files: &str| {
            GOOD.replace(
                "steps:\n",
                &format!("repository:\n  name: acme/shop\n  branch: main\n  commit: abc\n  workflow: .github/workflows/deploy.yml\n  files:\n{files}steps:\n"),
            )
        };
        assert_eq!(
            errors(&with("    Dockerfile: FROM x\n")),
            Vec::<String>::new()
        );
        let e = errors(&with("    ../outside: x\n"));
        assert!(
            e.iter()
                .any(|m| m.contains("`../outside` must be a relative path inside the repository")),
            "{e:?}"
        );
        let e = errors(&with("    .github/workflows/deploy.yml: x\n"));
        assert!(
            e.iter()
                .any(|m| m.contains("the workflow is the learner's to write")),
            "{e:?}"
        );
        // only a lab with a repository may show commands on its files
        let e = errors(&GOOD.replace("try: [\"aws ecs", "try: [\"ls ${workspace}\", \"aws ecs"));
        assert!(
            e.iter().any(|m| m.contains("not `ls ${workspace}`")),
            "{e:?}"
        );
    }

    #[test]
    fn queries_may_use_the_lab_start_time() {
        let text = GOOD.replace(
            "\"clusters[0].status\"",
            "\"clusters[?registeredAt >= `${lab_started}`] | [0].status\"",
        );
        assert_eq!(errors(&text), Vec::<String>::new());
    }

    /// GOOD with a drawn cluster name used in the text and the read.
    fn drawn() -> String {
        GOOD.replace(
            "minutes: 5\n",
            "minutes: 5\ndraw:\n  name: [drill, pit, bay]\n",
        )
        .replace(
            "params: {clusters: [drill]}",
            "params: {clusters: [\"${draw.name}\"]}",
        )
        .replace("named `drill`", "named `${draw.name}`")
    }

    #[test]
    fn draws_are_declared_used_and_drawn_from_candidates() {
        assert_eq!(errors(&drawn()), Vec::<String>::new());
        let cases = [
            (
                drawn().replace("named `${draw.name}`", "named `${draw.nam}`"),
                "labs/tiny.yaml:12:35: error: `${draw.nam}` is not declared",
            ),
            (
                drawn().replace("[drill, pit, bay]", "[drill]"),
                "needs at least two candidates",
            ),
            (
                drawn().replace("[drill, pit, bay]", "[drill, 3]"),
                "all text or all whole numbers",
            ),
            (
                drawn().replace("[drill, pit, bay]", "[drill, pit, drill]"),
                "lists a candidate twice",
            ),
            (
                drawn().replace("  name: [drill, pit, bay]\n", "  name: [drill, pit, bay]\n  unused: [1, 2]\n"),
                "draw `unused` is never used",
            ),
            (
                drawn().replace("steps:\n", "setup:\n  - create_service: {cluster: drill, name: s, task_definition: s, desired_count: \"${draw.name}\"}\nsteps:\n"),
                "a setup number is a whole number",
            ),
            (
                drawn().replace("steps:\n", "setup:\n  - push_image: {repository: r, tag: t, behavior: crash, requires: \"${draw.name}\"}\nsteps:\n"),
                "requires `${draw.name}`: a setting name like ORDERS_DB_URL",
            ),
            (
                drawn().replace("steps:\n", "setup:\n  - push_image: {repository: \"${draw.name}\", tag: t, requires: API_KEY}\nsteps:\n"),
                "use it with `behavior: crash`",
            ),
        ];
        for (text, want) in cases {
            let got = errors(&text);
            assert!(
                got.iter().any(|e| e.contains(want)),
                "want {want:?}, got {got:?}"
            );
        }
    }

    #[test]
    fn drawn_values_expand_in_setup_reads_and_expectations() {
        use crate::lab::{Count, SetupAction, Vars, draw::draw};
        let text = drawn().replace("minutes: 5\ndraw:\n", "minutes: 5\ndraw:\n  tasks: [3, 4, 5]\n").replace(
            "steps:\n",
            "setup:\n  - create_service: {cluster: \"${draw.name}\", name: s, task_definition: s, desired_count: \"${draw.tasks}\"}\nsteps:\n",
        ).replace("{equals: ACTIVE}", "{equals: \"${draw.tasks}\"}");
        let set = lint(&[("labs/tiny.yaml".into(), text)], Some(&topics())).unwrap();
        let lab = set.get("tiny").unwrap();
        let vars = Vars {
            drawn: draw(lab, 5),
            ..Vars::sample()
        };
        let (name, tasks) = (
            vars.drawn["name"].as_str().unwrap().to_string(),
            vars.drawn["tasks"].as_i64().unwrap(),
        );
        match lab.setup[0].value.expanded(&vars) {
            SetupAction::CreateService {
                cluster,
                desired_count,
                ..
            } => {
                assert_eq!(cluster, name);
                assert_eq!(desired_count.resolve(&vars), Some(tasks as i32));
                assert_eq!(desired_count, Count::Fixed(tasks as i32));
            }
            other => panic!("{other:?}"),
        }
        let read = &lab.reads["cluster"].value.params["clusters"].value;
        assert_eq!(vars.expand_json(read), serde_json::json!([name]));
        let expect = match &lab.checks[0].value.expect.value {
            crate::lab::Expect::Equals(v) => vars.expand_json(v),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            expect,
            serde_json::json!(tasks),
            "a drawn number compares as a number"
        );
    }

    fn errors(text: &str) -> Vec<String> {
        match lint(&[("labs/tiny.yaml".into(), text.into())], Some(&topics())) {
            Ok(_) => vec![],
            Err(d) => d.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn bad_labs_are_located() {
        let cases = [
            (
                GOOD.replace("ecs:DescribeClusters", "ecs:DeleteCluster"),
                "labs/tiny.yaml:15:13: error: `ecs:DeleteCluster` is not a read",
            ),
            (
                GOOD.replace("topics: [cluster]", "topics: [clusterz]"),
                "labs/tiny.yaml:4:10: error: unknown topic `clusterz`",
            ),
            (
                GOOD.replace("clusters: [drill]", "clusterz: [drill]"),
                "takes no parameter `clusterz`",
            ),
            (
                GOOD.replace("clusters: [drill]", "clusters: drill"),
                "must be a list of strings",
            ),
            (
                GOOD.replace("read: cluster\n", "read: clusterz\n"),
                "unknown read `clusterz`",
            ),
            (
                GOOD.replace("\"clusters[0].status\"", "\"clusters[0.status\""),
                "JMESPath does not parse",
            ),
            (
                GOOD.replace("names | serviceArns", "nope | serviceArns"),
                "`with` takes",
            ),
            (
                GOOD.replace("names | serviceArns", "services | serviceArns"),
                "depends on itself",
            ),
            (
                GOOD.replace("id: tiny", "id: other"),
                "does not match its file name",
            ),
            (
                GOOD.replace("format_version: 1", "format_version: 9"),
                "newer than this build",
            ),
            (
                GOOD.replace("aws ecs create-cluster", "rm -rf /; aws"),
                "starts with `aws `",
            ),
            (GOOD.replace("{equals: ACTIVE}", "{equal: ACTIVE}"), "equal"),
            (
                GOOD.replace(
                    "\"clusters[0].status\"",
                    "\"clusters[?createdAt > `${started}`]\"",
                ),
                "a query may use only",
            ),
            (
                GOOD.replace("    missing: \"No cluster.\"\n", ""),
                "missing",
            ),
            (
                GOOD.replace(
                    "cards: [cluster-what-is-a-cluster]",
                    "cards: [cluster-what-is-a-clustr]",
                ),
                "labs/tiny.yaml:5:9: error: unknown card `cluster-what-is-a-clustr` (cards are the ids in decks/*.yaml); did you mean `cluster-what-is-a-cluster`?",
            ),
            (
                GOOD.replace(
                    "    fail: \"Create the cluster.\"\n",
                    "    fail: \"Create the cluster.\"\n    cards: [nope-card]\n",
                ),
                "unknown card `nope-card`",
            ),
        ];
        for (text, want) in cases {
            let got = errors(&text);
            assert!(
                got.iter().any(|e| e.contains(want)),
                "want {want:?}, got {got:?}"
            );
        }
    }
}
