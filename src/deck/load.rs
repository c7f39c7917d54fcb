//! Assembles the catalog from the embedded content and the user's deck directories, and
//! runs the rules that span files: unique ids, known topics and misconceptions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_saphyr::Location;

use super::raw::{self, RawDeck, RawMisconceptions, RawTopics, Reporter};
use super::{Card, DeckInfo, Diagnostic, Misconception, Topic};

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
                return Err(vec![Diagnostic {
                    file: dir.display().to_string(),
                    line: 1,
                    column: 1,
                    message: format!("cannot read deck directory: {e}"),
                    warning: false,
                }]);
            }
        }
    }
    assemble(&sources)
}

/// `decks check PATH...`: the files given, with the embedded topics and misconceptions
/// unless the paths bring their own.
pub fn check_paths(paths: &[PathBuf]) -> Result<Catalog, Vec<Diagnostic>> {
    let mut sources = Vec::new();
    let mut diags = Vec::new();
    for p in paths {
        match read_path(p) {
            Ok(s) => sources.extend(s),
            Err(e) => diags.push(Diagnostic {
                file: p.display().to_string(),
                line: 1,
                column: 1,
                message: format!("cannot read: {e}"),
                warning: false,
            }),
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
                diag(
                    &mut diags,
                    file,
                    *at,
                    format!("topic `{}` refers to unknown topic `{r}`", t.id),
                );
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
                "card `{}` has unknown topic `{}` (topics are listed in decks/topics.yaml)",
                card.id, card.topic
            );
            diag(&mut diags, &card.origin, c.topic_at, msg);
        }
        for (m, at) in &c.misconceptions_at {
            if !misc_ids.contains(&m.as_str()) {
                let msg = format!(
                    "card `{}` names unknown misconception `{m}` (see decks/misconceptions.yaml)",
                    card.id
                );
                diag(&mut diags, &card.origin, *at, msg);
            }
        }
    }

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
    })
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
