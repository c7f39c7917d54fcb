//! Content: decks of cards, the topic taxonomy and the misconceptions cards teach against.
//! Content is data (YAML with a `format_version`), checked by `ecsdrill decks check` with a
//! file, line and column for every problem. The embedded content must be free of errors;
//! a user file with errors is left out of the quiz commands' catalog and named in a warning.

mod cache;
pub mod cues;
mod load;
pub(crate) mod raw;

#[cfg(test)]
mod coverage;

pub use cache::{fingerprint, load_cached, skipped_cached};
pub use load::{
    Catalog, LoadOptions, Source, check_paths, check_sources, load_catalog, load_catalog_skipping,
    read_dir_paths,
};
pub use raw::yaml_lines;

use serde::{Deserialize, Serialize};
use std::fmt;

/// The known id closest to a mistyped one, if it is close: a few edits away (more for
/// longer ids; case ignored), else the one known id that starts with it.
pub fn did_you_mean<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let u = unknown.trim().to_lowercase();
    let allowed = match u.chars().count() {
        0..=2 => return None,
        3..=5 => 1,
        6..=9 => 2,
        _ => 3,
    };
    let near = (0..=allowed).find_map(|max| {
        known
            .iter()
            .copied()
            .find(|k| *k != unknown && crate::grade::within_edits(&u, k, max))
    });
    near.or_else(|| {
        let mut prefixed = known.iter().copied().filter(|k| k.starts_with(&u));
        match (prefixed.next(), prefixed.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    })
}

/// The deck format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Recall,
    Choice,
    Typed,
    Order,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Recall => "recall",
            Kind::Choice => "choice",
            Kind::Typed => "typed",
            Kind::Order => "order",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "recall" => Kind::Recall,
            "choice" => Kind::Choice,
            "typed" => Kind::Typed,
            "order" => Kind::Order,
            _ => return None,
        })
    }
}

/// How demanding a card is: a definition, a comparison of two things, or a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Definition,
    Comparison,
    Scenario,
}

impl Stage {
    fn parse(s: &str) -> Option<Stage> {
        Some(match s {
            "definition" => Stage::Definition,
            "comparison" => Stage::Comparison,
            "scenario" => Stage::Scenario,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub text: String,
    pub correct: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub misconception: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    pub deck: String,
    pub topic: String,
    pub kind: Kind,
    pub stage: Option<Stage>,
    pub prompt: String,
    /// Recall: the answer shown on reveal. Typed: the canonical answer.
    pub answer: Option<String>,
    pub accept: Vec<String>,
    pub tolerance: Option<f64>,
    pub options: Vec<ChoiceOption>,
    /// Order: the items in their correct order.
    pub items: Vec<String>,
    pub explanation: String,
    pub sources: Vec<String>,
    pub misconceptions: Vec<String>,
    pub hint: Option<String>,
    pub as_of: Option<String>,
    /// Where the card was read from, for messages.
    pub origin: String,
}

impl Card {
    pub fn correct_options(&self) -> Vec<usize> {
        (0..self.options.len())
            .filter(|&i| self.options[i].correct)
            .collect()
    }

    /// The right answer as one line of text, whatever the kind.
    pub fn answer_text(&self) -> String {
        match self.kind {
            Kind::Recall | Kind::Typed => self.answer.clone().unwrap_or_default(),
            Kind::Choice => self
                .options
                .iter()
                .filter(|o| o.correct)
                .map(|o| o.text.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            Kind::Order => self.items.join(" → "),
        }
    }
}

/// A minimal valid card for unit tests.
#[cfg(test)]
pub fn sample_card(id: &str, topic: &str, kind: Kind) -> Card {
    Card {
        id: id.into(),
        deck: "d".into(),
        topic: topic.into(),
        kind,
        stage: None,
        prompt: "p".into(),
        answer: None,
        accept: vec![],
        tolerance: None,
        options: vec![],
        items: vec![],
        explanation: "e".into(),
        sources: vec![],
        misconceptions: vec![],
        hint: None,
        as_of: None,
        origin: "o".into(),
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Topic {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub prerequisites: Vec<String>,
    pub confusable_with: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Misconception {
    pub id: String,
    pub wrong: String,
    pub correct: String,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeckInfo {
    pub id: String,
    pub title: String,
    pub origin: String,
    pub builtin: bool,
}

/// One problem found in a content file, with its location (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub warning: bool,
}

/// Prints located problems on stderr and a count of the errors; the exit code of a linter
/// that found them (`decks check`, `lab check-files`, `drill check-files`).
pub fn report_diagnostics(diags: &[Diagnostic]) -> std::process::ExitCode {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{d}");
    }
    let n = diags.iter().filter(|d| !d.warning).count();
    let _ = writeln!(
        err,
        "{n} error{} found; fix them at the locations shown",
        if n == 1 { "" } else { "s" }
    );
    std::process::ExitCode::from(1)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.warning { "warning" } else { "error" };
        write!(
            f,
            "{}:{}:{}: {level}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}
