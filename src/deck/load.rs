//! Assembles the catalog from the embedded content and the user's deck directories, and
//! runs the rules that span files: unique ids, known topics and misconceptions.
//!
//! Two ways to load: `decks check` wants every problem and loads nothing if there is one
//! ([`load_catalog`]); the quiz commands leave out a user file with errors so one typo in
//! a learner's own deck does not take the built-in cards away ([`load_catalog_skipping`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_saphyr::Location;

use super::raw::{self, RawDeck, RawMisconceptions, RawTopics, Reporter};
use super::{Card, DeckInfo, Diagnostic, Misconception, Topic, cues};

include!(concat!(env!("OUT_DIR"), "/embedded_decks.rs"));

/// One content file's text and where it came from.
#[derive(Clone, Debug)]
pub struct Source {
    pub path: String,
    pub text: String,
    pub builtin: bool,
}

impl Source {
    fn file_name(&self) -> &str {
        self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path)
    }
}

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Directories of extra or overriding decks, in priority order (later wins).
    pub user_dirs: Vec<PathBuf>,
}

/// Everything the quiz needs: valid cards, topics and misconceptions.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Catalog {
    pub cards: Vec<Card>,
    pub topics: Vec<Topic>,
    pub misconceptions: Vec<Misconception>,
    pub decks: Vec<DeckInfo>,
    pub warnings: Vec<Diagnostic>,
    /// User files left out for their errors: the first error of each, in file order.
    #[serde(default)]
    pub skipped: Vec<Diagnostic>,
}

impl Catalog {
    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    pub fn misconception(&self, id: &str) -> Option<&Misconception> {
        self.misconceptions.iter().find(|m| m.id == id)
    }
}

pub fn embedded_sources() -> Vec<Source> {
    EMBEDDED_FILES
        .iter()
        .map(|(path, text)| Source {
            path: path.to_string(),
            text: text.to_string(),
            builtin: true,
        })
        .collect()
}

/// The `.yaml`/`.yml` files in a directory (or the file itself), sorted by name.
pub fn read_dir_paths(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let p = entry?.path();
            let is_yaml = p.extension().is_some_and(|e| e == "yaml" || e == "yml");
            if is_yaml && p.is_file() {
                files.push(p);
            }
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    Ok(files)
}

/// Reads every deck file of a directory (or the file itself).
pub fn read_path(path: &Path) -> std::io::Result<Vec<Source>> {
    read_dir_paths(path)?
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p)?;
            Ok(Source {
                path: p.display().to_string(),
                text,
                builtin: false,
            })
        })
        .collect()
}

/// Loads the embedded content plus the user directories. Any error rejects the whole load.
pub fn load_catalog(opts: &LoadOptions) -> Result<Catalog, Vec<Diagnostic>> {
    let mut sources = embedded_sources();
    for dir in &opts.user_dirs {
        match read_path(dir) {
            Ok(s) => sources.extend(s),
            Err(e) => {
                return Err(vec![cannot_read(dir, "cannot read deck directory", &e)]);
            }
        }
    }
    assemble(&sources)
}

/// Loads the embedded content plus every user file that is free of errors. A user file
/// with an error is left out whole (its cards, and so its overrides of built-in cards,
/// with it) and named in `skipped`; errors in the embedded content still reject the load.
/// Leaving out one file can break another (a deck using a topic of a skipped
/// `topics.yaml`), so the files are checked again until the rest is clean.
pub fn load_catalog_skipping(opts: &LoadOptions) -> Result<Catalog, Vec<Diagnostic>> {
    let mut sources = embedded_sources();
    let mut skipped = Vec::new();
    for dir in &opts.user_dirs {
        let paths = match read_dir_paths(dir) {
            Ok(p) => p,
            Err(e) => {
                skipped.push(cannot_read(dir, "cannot read deck directory", &e));
                continue;
            }
        };
        for p in paths {
            match std::fs::read_to_string(&p) {
                Ok(text) => sources.push(Source {
                    path: p.display().to_string(),
                    text,
                    builtin: false,
                }),
                Err(e) => skipped.push(cannot_read(&p, "cannot read", &e)),
            }
        }
    }
    assemble_skipping(sources, skipped)
}

/// Assembles `sources`, leaving out user files with errors until the rest is clean.
fn assemble_skipping(
    mut sources: Vec<Source>,
    mut skipped: Vec<Diagnostic>,
) -> Result<Catalog, Vec<Diagnostic>> {
    loop {
        let diags = match assemble(&sources) {
            Ok(mut catalog) => {
                skipped.sort_by(|a, b| a.file.cmp(&b.file));
                catalog.skipped = skipped;
                return Ok(catalog);
            }
            Err(diags) => diags,
        };
        let mut first: Vec<Diagnostic> = Vec::new();
        for d in diags.iter().filter(|d| !d.warning) {
            match sources.iter().find(|s| s.path == d.file) {
                Some(s) if !s.builtin => {}
                _ => return Err(diags), // the embedded content is broken: fatal, as tested
            }
            match first.iter_mut().find(|f| f.file == d.file) {
                Some(f) if (d.line, d.column) < (f.line, f.column) => *f = d.clone(),
                Some(_) => {}
                None => first.push(d.clone()),
            }
        }
        if first.is_empty() {
            return Err(diags);
        }
        sources.retain(|s| !first.iter().any(|f| f.file == s.path));
        skipped.extend(first);
    }
}

fn cannot_read(path: &Path, what: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic {
        file: path.display().to_string(),
        line: 1,
        column: 1,
        message: format!("{what}: {e}"),
        warning: false,
    }
}

/// `decks check PATH...`: the files given, with the embedded topics and misconceptions
/// unless the paths bring their own.
pub fn check_paths(paths: &[PathBuf]) -> Result<Catalog, Vec<Diagnostic>> {
    let mut sources = Vec::new();
    let mut diags = Vec::new();
    for p in paths {
        match read_path(p) {
            Ok(s) => sources.extend(s),
            Err(e) => diags.push(cannot_read(p, "cannot read", &e)),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    check_sources(sources)
}

/// Checks deck files already read, adding the embedded topics and misconceptions unless
/// the files bring their own. The fuzz target for deck parsing enters here.
pub fn check_sources(sources: Vec<Source>) -> Result<Catalog, Vec<Diagnostic>> {
    let has = |name: &str| sources.iter().any(|s| s.file_name() == name);
    let (has_topics, has_misc) = (has("topics.yaml"), has("misconceptions.yaml"));
    let mut all: Vec<Source> = embedded_sources()
        .into_iter()
        .filter(|s| {
            (!has_topics && s.file_name() == "topics.yaml")
                || (!has_misc && s.file_name() == "misconceptions.yaml")
        })
        .collect();
    all.extend(sources);
    assemble(&all)
}

fn assemble(sources: &[Source]) -> Result<Catalog, Vec<Diagnostic>> {
    let mut diags: Vec<Diagnostic> = Vec::new();
    // (topic, file, where its id is, the topic ids it refers to)
    let mut topics: Vec<(Topic, String, Location, raw::TopicRefs)> = Vec::new();
    let mut miscs: Vec<(Misconception, String, Location)> = Vec::new();
    let mut decks: Vec<DeckInfo> = Vec::new();
    let mut cards: Vec<(raw::CardAt, bool)> = Vec::new();

    for src in sources {
        let mut rep = Reporter {
            file: &src.path,
            out: &mut diags,
        };
        match src.file_name() {
            "topics.yaml" | "topics.yml" => {
                if let Some(r) = raw::parse::<RawTopics>(&src.text, &mut rep) {
                    for (t, at, refs) in raw::topics(r, &mut rep) {
                        topics.retain(|(old, file, ..)| !(old.id == t.id && *file != src.path));
                        if let Some((_, file, old_at, _)) =
                            topics.iter().find(|(o, ..)| o.id == t.id)
                        {
                            let msg = format!(
                                "duplicate topic id `{}` (first at {file}:{})",
                                t.id,
                                old_at.line()
                            );
                            rep.error(at, msg);
                        }
                        topics.push((t, src.path.clone(), at, refs));
                    }
                }
            }
            "misconceptions.yaml" | "misconceptions.yml" => {
                if let Some(r) = raw::parse::<RawMisconceptions>(&src.text, &mut rep) {
                    for (m, at) in raw::misconceptions(r, &mut rep) {
                        miscs.retain(|(old, file, _)| !(old.id == m.id && *file != src.path));
                        if let Some((_, file, old_at)) = miscs.iter().find(|(o, ..)| o.id == m.id) {
                            let msg = format!(
                                "duplicate misconception id `{}` (first at {file}:{})",
                                m.id,
                                old_at.line()
                            );
                            rep.error(at, msg);
                        }
                        miscs.push((m, src.path.clone(), at));
                    }
                }
            }
            _ => {
                if let Some(r) = raw::parse::<RawDeck>(&src.text, &mut rep) {
                    let (info, deck_cards) = raw::deck_cards(r, &src.path, &mut rep);
                    if let Some((id, title)) = info {
                        if let Some(d) = decks
                            .iter()
                            .find(|d| d.id == id && d.builtin == src.builtin)
                        {
                            let msg = format!("duplicate deck id `{id}` (also in {})", d.origin);
                            rep.push(1, 1, msg, false);
                        }
                        decks.push(DeckInfo {
                            id,
                            title,
                            origin: src.path.clone(),
                            builtin: src.builtin,
                        });
                    }
                    cards.extend(deck_cards.into_iter().map(|c| (c, src.builtin)));
                }
            }
        }
    }

    // Cross-file rules.
    let topic_ids: Vec<&str> = topics.iter().map(|(t, ..)| t.id.as_str()).collect();
    for (t, file, _, refs) in &topics {
        for (r, at) in refs {
            if !topic_ids.contains(&r.as_str()) {
                let msg = format!(
                    "topic `{}` refers to unknown topic `{r}`{}",
                    t.id,
                    unknown_hint(r, &topic_ids, TOPICS_LIST)
                );
                diag(&mut diags, file, *at, msg);
            }
        }
    }
    let misc_ids: Vec<&str> = miscs.iter().map(|(m, ..)| m.id.as_str()).collect();
    let mut first_seen: HashMap<(&str, bool), (&str, Location)> = HashMap::new();
    for (c, builtin) in &cards {
        let card = &c.card;
        if let Some((file, at)) = first_seen.get(&(card.id.as_str(), *builtin)) {
            let msg = format!(
                "duplicate card id `{}` (first defined at {file}:{}:{})",
                card.id,
                at.line(),
                at.column()
            );
            diag(&mut diags, &card.origin, c.id_at, msg);
        } else {
            first_seen.insert(
                (card.id.as_str(), *builtin),
                (card.origin.as_str(), c.id_at),
            );
        }
        if !topic_ids.contains(&card.topic.as_str()) {
            let msg = format!(
                "card `{}` has unknown topic `{}`{}",
                card.id,
                card.topic,
                unknown_hint(&card.topic, &topic_ids, TOPICS_LIST)
            );
            diag(&mut diags, &card.origin, c.topic_at, msg);
        }
        for (m, at) in &c.misconceptions_at {
            if !misc_ids.contains(&m.as_str()) {
                let msg = format!(
                    "card `{}` names unknown misconception `{m}`{}",
                    card.id,
                    unknown_hint(m, &misc_ids, MISCONCEPTIONS_LIST)
                );
                diag(&mut diags, &card.origin, *at, msg);
            }
        }
    }

    // Answer cues, per deck file: a warning, never an error.
    let id_at: HashMap<(&str, &str), (u64, u64)> = cards
        .iter()
        .map(|(c, _)| {
            let at = (c.id_at.line().max(1), c.id_at.column().max(1));
            ((c.card.origin.as_str(), c.card.id.as_str()), at)
        })
        .collect();
    diags.extend(cues::longest_key_warnings(
        cards.iter().map(|(c, _)| &c.card),
        |card| {
            id_at
                .get(&(card.origin.as_str(), card.id.as_str()))
                .copied()
                .unwrap_or((1, 1))
        },
    ));

    let (warnings, errors): (Vec<Diagnostic>, Vec<Diagnostic>) =
        diags.into_iter().partition(|d| d.warning);
    if !errors.is_empty() {
        let mut all = errors;
        all.extend(warnings);
        return Err(all);
    }

    // User cards replace built-in cards with the same id, in place.
    let mut final_cards: Vec<Card> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (c, _) in cards {
        match index.get(&c.card.id) {
            Some(&i) => final_cards[i] = c.card,
            None => {
                index.insert(c.card.id.clone(), final_cards.len());
                final_cards.push(c.card);
            }
        }
    }
    Ok(Catalog {
        cards: final_cards,
        topics: topics.into_iter().map(|(t, ..)| t).collect(),
        misconceptions: miscs.into_iter().map(|(m, ..)| m).collect(),
        decks,
        warnings,
        skipped: Vec::new(),
    })
}

const TOPICS_LIST: &str = "`ecsdrill decks list --topics` lists every topic";
const MISCONCEPTIONS_LIST: &str =
    "`ecsdrill decks list --misconceptions` lists every misconception";

/// ` (did you mean `x`? LIST)`, or ` (LIST)` when no known id is close.
fn unknown_hint(unknown: &str, known: &[&str], list: &str) -> String {
    match super::did_you_mean(unknown, known) {
        Some(close) => format!(" (did you mean `{close}`? {list})"),
        None => format!(" ({list})"),
    }
}

fn diag(out: &mut Vec<Diagnostic>, file: &str, at: Location, message: String) {
    out.push(Diagnostic {
        file: file.to_string(),
        line: at.line().max(1),
        column: at.column().max(1),
        message,
        warning: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(path: &str, text: &str) -> Source {
        Source {
            path: path.into(),
            text: text.into(),
            builtin: false,
        }
    }

    fn deck(id: &str, card: &str, topic: &str, extra: &str) -> String {
        format!(
            "format_version: 1\nid: {id}\ntitle: T\ncards:\n  - id: {card}\n    topic: {topic}\n    kind: recall\n    prompt: p\n    answer: a\n    explanation: e\n    sources: [https://docs.aws.amazon.com/x]\n{extra}"
        )
    }

    fn with_embedded(users: Vec<Source>) -> Result<Catalog, Vec<Diagnostic>> {
        let mut all = embedded_sources();
        all.extend(users);
        assemble_skipping(all, Vec::new())
    }

    #[test]
    fn a_user_file_with_an_error_is_left_out_and_the_rest_loads() {
        let builtin = load_catalog(&LoadOptions::default()).unwrap();
        let overridden = builtin.cards[0].id.clone();
        let c = with_embedded(vec![
            user("/u/bad.yaml", &deck("bad", &overridden, "servce", "")),
            user("/u/good.yaml", &deck("good", "my-own-card", "cluster", "")),
        ])
        .unwrap();
        assert_eq!(c.skipped.len(), 1, "{:?}", c.skipped);
        let s = &c.skipped[0];
        assert_eq!((s.file.as_str(), s.line, s.column), ("/u/bad.yaml", 6, 12));
        assert!(
            s.message
                .contains("unknown topic `servce` (did you mean `service`?"),
            "{}",
            s.message
        );
        assert_eq!(c.cards.len(), builtin.cards.len() + 1);
        let kept = c.cards.iter().find(|x| x.id == overridden).unwrap();
        assert_eq!(
            kept.origin, builtin.cards[0].origin,
            "the skipped file's override does not replace the built-in card"
        );
        assert!(c.cards.iter().any(|x| x.id == "my-own-card"));
        assert!(!c.decks.iter().any(|d| d.id == "bad"));
    }

    #[test]
    fn the_first_error_of_a_file_is_named_and_the_strict_load_reports_all() {
        let text = deck(
            "bad",
            "card-one",
            "clustr",
            "    misconceptions: [deregister-stop-tasks]\n",
        );
        let c = with_embedded(vec![user("/u/bad.yaml", &text)]).unwrap();
        assert_eq!(c.skipped.len(), 1);
        assert!(c.skipped[0].message.contains("`clustr`"), "{:?}", c.skipped);
        let mut all = embedded_sources();
        all.push(user("/u/bad.yaml", &text));
        let errors = assemble(&all).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[1].message.contains(
                "unknown misconception `deregister-stop-tasks` (did you mean `deregister-stops-tasks`? `ecsdrill decks list --misconceptions`"
            ),
            "{errors:?}"
        );
    }

    #[test]
    fn leaving_out_a_topics_file_leaves_out_the_decks_that_need_it() {
        let topics = "format_version: 1\ntopics:\n  - id: my-topic\n    title: Mine\n    summary: s\n    prerequisites: [nope]\n";
        let c = with_embedded(vec![
            user("/u/topics.yaml", topics),
            user(
                "/u/mine.yaml",
                &deck("mine", "uses-my-topic", "my-topic", ""),
            ),
        ])
        .unwrap();
        let files: Vec<&str> = c.skipped.iter().map(|d| d.file.as_str()).collect();
        assert_eq!(files, ["/u/mine.yaml", "/u/topics.yaml"], "{:?}", c.skipped);
        assert!(c.topic("my-topic").is_none());
        assert!(c.topic("cluster").is_some(), "the built-in topics stay");
    }

    #[test]
    fn an_error_in_embedded_content_still_rejects_the_load() {
        let mut all = embedded_sources();
        all.push(Source {
            path: "decks/broken.yaml".into(),
            text: deck("broken", "broken-card", "servce", ""),
            builtin: true,
        });
        all.push(user(
            "/u/good.yaml",
            &deck("good", "my-own-card", "cluster", ""),
        ));
        let errors = assemble_skipping(all, Vec::new()).unwrap_err();
        assert!(errors.iter().any(|d| d.file == "decks/broken.yaml"));
    }

    #[test]
    fn did_you_mean_only_when_close() {
        let known = ["service", "cluster", "iam-roles", "task", "task-definition"];
        assert_eq!(
            super::super::did_you_mean("servce", &known),
            Some("service")
        );
        assert_eq!(
            super::super::did_you_mean("Cluster", &known),
            Some("cluster")
        );
        assert_eq!(super::super::did_you_mean("tasks", &known), Some("task"));
        assert_eq!(super::super::did_you_mean("iam", &known), Some("iam-roles"));
        assert_eq!(super::super::did_you_mean("kubernetes", &known), None);
        assert_eq!(super::super::did_you_mean("ta", &known), None);
    }

    /// A deck whose keys are mostly the longest option loads, with one warning that names
    /// the file, the share and the cards; a fair deck gets none.
    #[test]
    fn a_deck_whose_keys_are_the_longest_option_gets_a_warning() {
        let choice = |id: &str, key: &str, other: &str| {
            format!(
                "  - id: {id}\n    topic: cluster\n    kind: choice\n    prompt: p\n    options:\n      - text: {key}\n        correct: true\n      - text: {other}\n      - text: x\n    explanation: e\n    sources: [https://docs.aws.amazon.com/x]\n"
            )
        };
        let deck = |cards: &[String]| {
            format!(
                "format_version: 1\nid: cued\ntitle: T\ncards:\n{}",
                cards.concat()
            )
        };
        let cued = deck(&[
            choice("c1", "the long and detailed key", "short"),
            choice("c2", "the long and detailed key", "short"),
            choice("c3", "key", "a longer distractor"),
            choice("c4", "the long and detailed key", "short"),
        ]);
        let c = check_sources(vec![user("/u/cued.yaml", &cued)]).unwrap();
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        let w = &c.warnings[0];
        assert!(w.warning);
        assert_eq!((w.file.as_str(), w.line, w.column), ("/u/cued.yaml", 5, 9));
        assert!(
            w.message
                .contains("longest in 3 of 4 single-answer choice cards (75 %, above 35 %)")
                && w.message.ends_with("in: c1, c2, c4"),
            "{}",
            w.message
        );
        let fair = deck(&[
            choice("c1", "the long and detailed key", "short"),
            choice("c2", "key", "a longer distractor"),
            choice("c3", "key", "a longer distractor"),
            choice("c4", "key", "a longer distractor"),
        ]);
        let c = check_sources(vec![user("/u/fair.yaml", &fair)]).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }
}
