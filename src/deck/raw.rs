//! The YAML shapes as written, with source spans, and their validation into the model.
//! Every field is optional here so that a missing field is reported by our own checks,
//! at the card's location, instead of by the parser without one.

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::{Card, ChoiceOption, Diagnostic, FORMAT_VERSION, Kind, Misconception, Stage, Topic};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeck {
    pub format_version: Option<Spanned<u32>>,
    pub id: Option<Spanned<String>>,
    pub title: Option<String>,
    #[allow(dead_code)] // accepted for deck authors; not displayed yet
    pub description: Option<String>,
    pub cards: Option<Vec<Spanned<RawCard>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCard {
    pub id: Option<Spanned<String>>,
    pub topic: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub stage: Option<Spanned<String>>,
    pub prompt: Option<String>,
    pub answer: Option<Spanned<String>>,
    pub accept: Option<Vec<String>>,
    pub tolerance: Option<Spanned<f64>>,
    pub options: Option<Vec<Spanned<RawOption>>>,
    pub items: Option<Vec<Spanned<String>>>,
    pub explanation: Option<String>,
    pub sources: Option<Vec<Spanned<String>>>,
    pub misconceptions: Option<Vec<Spanned<String>>>,
    pub hint: Option<String>,
    pub as_of: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    pub text: Option<Spanned<String>>,
    #[serde(default)]
    pub correct: bool,
    pub misconception: Option<Spanned<String>>,
    pub why: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopics {
    pub format_version: Option<Spanned<u32>>,
    pub topics: Option<Vec<Spanned<RawTopic>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub id: Option<Spanned<String>>,
    pub title: Option<String>,
    pub summary: Option<String>,
    #[serde(default)]
    pub prerequisites: Vec<Spanned<String>>,
    #[serde(default)]
    pub confusable_with: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMisconceptions {
    pub format_version: Option<Spanned<u32>>,
    pub misconceptions: Option<Vec<Spanned<RawMisconception>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMisconception {
    pub id: Option<Spanned<String>>,
    pub wrong: Option<String>,
    pub correct: Option<String>,
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    pub as_of: Option<Spanned<String>>,
}

/// Ids a topic refers to (prerequisites, confusable topics), with where they are written.
pub type TopicRefs = Vec<(String, Location)>;

/// Collects diagnostics for one file.
pub struct Reporter<'a> {
    pub file: &'a str,
    pub out: &'a mut Vec<Diagnostic>,
}

impl Reporter<'_> {
    pub fn error(&mut self, at: Location, message: impl Into<String>) {
        self.push(at.line(), at.column(), message.into(), false);
    }

    pub fn warn(&mut self, at: Location, message: impl Into<String>) {
        self.push(at.line(), at.column(), message.into(), true);
    }

    pub fn push(&mut self, line: u64, column: u64, message: String, warning: bool) {
        self.out.push(Diagnostic {
            file: self.file.to_string(),
            line: line.max(1),
            column: column.max(1),
            message,
            warning,
        });
    }
}

/// Parses YAML into `T`, turning a parser error into a located diagnostic.
pub fn parse<T: for<'de> Deserialize<'de>>(text: &str, rep: &mut Reporter) -> Option<T> {
    match serde_saphyr::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let detail = first_line(&e.to_string());
            let (line, column) = match e.location() {
                Some(loc) if loc.line() > 0 => (loc.line(), loc.column()),
                _ => locate_named_key(text, &detail).unwrap_or((1, 1)),
            };
            let (line, column) = inside_text(text, line, column);
            rep.push(line, column, strip_location(&detail), false);
            None
        }
    }
}

/// A text's lines as YAML breaks them: at `\n`, `\r\n` or a lone `\r`.
pub fn yaml_lines(text: &str) -> Vec<&str> {
    text.split("\r\n")
        .flat_map(|l| l.split(['\n', '\r']))
        .collect()
}

/// The parser can place an error at end of input one line past a file that does not end
/// in a newline; point at the end of the last line instead.
fn inside_text(text: &str, line: u64, column: u64) -> (u64, u64) {
    let lines = yaml_lines(text);
    let last = lines.len() as u64;
    if line <= last {
        return (line, column);
    }
    let end = lines.last().map_or(0, |l| l.chars().count()) as u64 + 1;
    (last, end)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// The parser repeats the location inside its message; we print it once, in front.
fn strip_location(msg: &str) -> String {
    let msg = msg.strip_prefix("error: ").unwrap_or(msg);
    let msg = match msg.find(": ") {
        Some(i) if msg.starts_with("line ") => &msg[i + 2..],
        _ => msg,
    };
    // Sometimes twice: "simple key expected at line 3, column 1 at line 3, column 1".
    let mut msg = msg;
    while let Some(i) = msg.rfind(" at line ") {
        let tail = &msg[i + " at line ".len()..];
        let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
        let is_location = tail
            .split_once(", column ")
            .is_some_and(|(l, c)| digits(l) && digits(c));
        if !is_location {
            break;
        }
        msg = &msg[..i];
    }
    msg.to_string()
}

/// "unknown field `foo`" carries no location: find the first `foo:` key in the text.
fn locate_named_key(text: &str, message: &str) -> Option<(u64, u64)> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    let key = &message[start..start + len];
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let body = trimmed.strip_prefix("- ").unwrap_or(trimmed);
        if body.starts_with(key) && body[key.len()..].trim_start().starts_with(':') {
            let column = line.len() - body.len() + 1;
            return Some((n as u64 + 1, column as u64));
        }
    }
    // "unknown variant `foo`": the value, as `key: foo` or a flow map's `{foo: ...}`.
    for (n, line) in text.lines().enumerate() {
        for pat in [format!(": {key}"), format!("{{{key}:")] {
            if let Some(i) = line.find(&pat) {
                let at = i + pat.find(key).unwrap_or(0);
                let end = at + key.len();
                let whole = line[end..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric() && c != '-' && c != '_');
                if whole {
                    return Some((n as u64 + 1, at as u64 + 1));
                }
            }
        }
    }
    None
}

pub fn check_format_version(v: &Option<Spanned<u32>>, rep: &mut Reporter) -> bool {
    check_format_version_of(v, FORMAT_VERSION, rep)
}

/// A file's `format_version` against the one this build reads.
pub fn check_format_version_of(v: &Option<Spanned<u32>>, reads: u32, rep: &mut Reporter) -> bool {
    match v {
        None => {
            rep.push(
                1,
                1,
                format!("missing `format_version` (this build reads {reads})"),
                false,
            );
            false
        }
        Some(v) if v.value != reads => {
            let msg = if v.value > reads {
                format!(
                    "format_version {} is newer than this build reads ({reads}): update ecsdrill",
                    v.value
                )
            } else {
                format!(
                    "unknown format_version {} (this build reads {reads})",
                    v.value
                )
            };
            rep.error(v.referenced, msg);
            false
        }
        Some(_) => true,
    }
}

pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

fn check_id(
    id: &Option<Spanned<String>>,
    what: &str,
    at: Location,
    rep: &mut Reporter,
) -> Option<(String, Location)> {
    match id {
        None => {
            rep.error(at, format!("{what} has no `id`"));
            None
        }
        Some(id) if !valid_id(&id.value) => {
            rep.error(
                id.referenced,
                format!("{what} id `{}` must be kebab-case: lowercase letters, digits and dashes, at most 64 characters", id.value),
            );
            None
        }
        Some(id) => Some((id.value.clone(), id.referenced)),
    }
}

fn check_url(url: &Spanned<String>, rep: &mut Reporter) {
    let u = url.value.trim();
    let rest = u.strip_prefix("https://");
    match rest {
        None => rep.error(url.referenced, format!("source `{u}` is not an https URL")),
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            if host.is_empty() || !host.contains('.') || u.contains(char::is_whitespace) {
                rep.error(
                    url.referenced,
                    format!("source `{u}` is not a valid https URL"),
                );
            } else if !(host == "repost.aws"
                || host.ends_with(".amazon.com")
                || host == "aws.amazon.com"
                || is_vendor_source(host, rest))
            {
                rep.warn(
                    url.referenced,
                    format!("source `{u}` is not an AWS page: prefer the AWS documentation"),
                );
            }
        }
    }
}

fn check_date(d: &Option<Spanned<String>>, rep: &mut Reporter) -> Option<String> {
    let d = d.as_ref()?;
    if chrono::NaiveDate::parse_from_str(d.value.trim(), "%Y-%m-%d").is_err() {
        rep.error(
            d.referenced,
            format!("as_of `{}` is not a date like 2026-11-22", d.value),
        );
        return None;
    }
    Some(d.value.trim().to_string())
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A card id with where it was defined, to name both places in duplicate errors.
pub struct CardAt {
    pub card: Card,
    pub id_at: Location,
    pub topic_at: Location,
    pub misconceptions_at: Vec<(String, Location)>,
}

/// Validates one deck's cards. Cross-file rules (unique ids, known topics) run later.
pub fn deck_cards(
    raw: RawDeck,
    origin: &str,
    rep: &mut Reporter,
) -> (Option<(String, String)>, Vec<CardAt>) {
    if !check_format_version(&raw.format_version, rep) {
        return (None, Vec::new());
    }
    let start = Location::UNKNOWN;
    let deck_id = check_id(&raw.id, "deck", start, rep).map(|(id, _)| id);
    let title = nonempty(&raw.title);
    if title.is_none() {
        rep.push(1, 1, "deck has no `title`".into(), false);
    }
    let Some(raw_cards) = raw.cards else {
        rep.push(1, 1, "deck has no `cards`".into(), false);
        return (None, Vec::new());
    };
    if raw_cards.is_empty() {
        rep.push(1, 1, "deck has no cards".into(), false);
    }
    let deck_id = deck_id.unwrap_or_default();
    let mut cards = Vec::new();
    for rc in raw_cards {
        if let Some(c) = card(rc, &deck_id, origin, rep) {
            cards.push(c);
        }
    }
    (Some((deck_id, title.unwrap_or_default())), cards)
}

fn card(rc: Spanned<RawCard>, deck: &str, origin: &str, rep: &mut Reporter) -> Option<CardAt> {
    let at = rc.referenced;
    let r = rc.value;
    let before = rep.out.iter().filter(|d| !d.warning).count();
    let id = check_id(&r.id, "card", at, rep);
    let label = id
        .as_ref()
        .map(|(i, _)| format!("card `{i}`"))
        .unwrap_or_else(|| "card".into());

    let topic = match &r.topic {
        Some(t) if !t.value.trim().is_empty() => Some((t.value.trim().to_string(), t.referenced)),
        _ => {
            rep.error(at, format!("{label} has no `topic`"));
            None
        }
    };
    let kind = match &r.kind {
        None => {
            rep.error(
                at,
                format!("{label} has no `kind` (recall, choice, typed or order)"),
            );
            None
        }
        Some(k) => {
            let kind = Kind::parse(k.value.trim());
            if kind.is_none() {
                rep.error(
                    k.referenced,
                    format!(
                        "unknown kind `{}`: use recall, choice, typed or order",
                        k.value
                    ),
                );
            }
            kind
        }
    };
    let stage = r.stage.as_ref().and_then(|s| {
        let st = Stage::parse(s.value.trim());
        if st.is_none() {
            rep.error(
                s.referenced,
                format!(
                    "unknown stage `{}`: use definition, comparison or scenario",
                    s.value
                ),
            );
        }
        st
    });
    let prompt = nonempty(&r.prompt);
    if prompt.is_none() {
        rep.error(at, format!("{label} has no `prompt`"));
    }
    let explanation = nonempty(&r.explanation);
    if explanation.is_none() {
        rep.error(
            at,
            format!("{label} has no `explanation`: say why the answer is right"),
        );
    }
    let sources = r.sources.unwrap_or_default();
    if sources.is_empty() {
        rep.error(
            at,
            format!("{label} has no `sources`: add the AWS documentation page that backs it"),
        );
    }
    for s in &sources {
        check_url(s, rep);
    }
    let as_of = check_date(&r.as_of, rep);
    let mut misconceptions_at: Vec<(String, Location)> = r
        .misconceptions
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.value.trim().to_string(), m.referenced))
        .collect();

    let mut options = Vec::new();
    let mut items = Vec::new();
    let answer = r
        .answer
        .as_ref()
        .map(|a| a.value.trim().to_string())
        .filter(|a| !a.is_empty());
    if let Some(kind) = kind {
        let misplaced = |rep: &mut Reporter, present: bool, field: &str| {
            if present {
                rep.error(
                    at,
                    format!(
                        "{label}: `{field}` does not apply to a {} card",
                        kind.as_str()
                    ),
                );
            }
        };
        match kind {
            Kind::Recall => {
                if answer.is_none() {
                    rep.error(at, format!("{label}: a recall card needs an `answer`"));
                }
                misplaced(rep, r.options.is_some(), "options");
                misplaced(rep, r.items.is_some(), "items");
                misplaced(rep, r.accept.is_some(), "accept");
                misplaced(rep, r.tolerance.is_some(), "tolerance");
            }
            Kind::Typed => {
                if answer.is_none() {
                    rep.error(at, format!("{label}: a typed card needs an `answer`"));
                }
                if let (Some(t), Some(a)) = (&r.tolerance, &answer) {
                    if crate::grade::parse_number(a).is_none() {
                        rep.error(
                            t.referenced,
                            format!("{label}: `tolerance` needs a numeric answer, not `{a}`"),
                        );
                    } else if t.value.is_nan() || t.value < 0.0 {
                        rep.error(
                            t.referenced,
                            format!("{label}: `tolerance` must be zero or more"),
                        );
                    }
                }
                misplaced(rep, r.options.is_some(), "options");
                misplaced(rep, r.items.is_some(), "items");
            }
            Kind::Choice => {
                misplaced(rep, r.answer.is_some(), "answer");
                misplaced(rep, r.items.is_some(), "items");
                let raw_opts = r.options.unwrap_or_default();
                if raw_opts.len() < 2 {
                    rep.error(
                        at,
                        format!("{label}: a choice card needs at least 2 `options`"),
                    );
                }
                if raw_opts.len() > 8 {
                    rep.error(
                        at,
                        format!("{label}: at most 8 options (it has {})", raw_opts.len()),
                    );
                }
                let mut seen: Vec<String> = Vec::new();
                for o in raw_opts {
                    let oat = o.referenced;
                    let o = o.value;
                    let Some(text) = o.text.as_ref().filter(|t| !t.value.trim().is_empty()) else {
                        rep.error(oat, format!("{label}: option has no `text`"));
                        continue;
                    };
                    let norm = crate::grade::normalize(&text.value);
                    if seen.contains(&norm) {
                        rep.error(
                            text.referenced,
                            format!("{label}: duplicate option `{}`", text.value.trim()),
                        );
                    }
                    seen.push(norm);
                    if let Some(m) = &o.misconception {
                        if o.correct {
                            rep.error(
                                m.referenced,
                                format!("{label}: a correct option cannot reveal a misconception"),
                            );
                        }
                        if !misconceptions_at.iter().any(|(id, _)| id == m.value.trim()) {
                            misconceptions_at.push((m.value.trim().to_string(), m.referenced));
                        }
                    }
                    options.push(ChoiceOption {
                        text: text.value.trim().to_string(),
                        correct: o.correct,
                        misconception: o.misconception.as_ref().map(|m| m.value.trim().to_string()),
                        why: nonempty(&o.why),
                    });
                }
                if !options.is_empty() && !options.iter().any(|o| o.correct) {
                    rep.error(at, format!("{label}: no option is marked `correct: true`"));
                }
                if !options.is_empty() && options.iter().all(|o| o.correct) {
                    rep.error(
                        at,
                        format!("{label}: every option is correct, so the card tests nothing"),
                    );
                }
            }
            Kind::Order => {
                misplaced(rep, r.answer.is_some(), "answer");
                misplaced(rep, r.options.is_some(), "options");
                let raw_items = r.items.unwrap_or_default();
                if raw_items.len() < 3 {
                    rep.error(
                        at,
                        format!(
                            "{label}: an order card needs at least 3 `items` (it has {})",
                            raw_items.len()
                        ),
                    );
                }
                if raw_items.len() > 10 {
                    rep.error(
                        at,
                        format!("{label}: at most 10 items (it has {})", raw_items.len()),
                    );
                }
                let mut seen: Vec<String> = Vec::new();
                for it in raw_items {
                    let norm = crate::grade::normalize(&it.value);
                    if norm.is_empty() {
                        rep.error(it.referenced, format!("{label}: empty item"));
                    } else if seen.contains(&norm) {
                        rep.error(
                            it.referenced,
                            format!("{label}: duplicate item `{}`", it.value.trim()),
                        );
                    }
                    seen.push(norm);
                    items.push(it.value.trim().to_string());
                }
            }
        }
    }

    let errors_now = rep.out.iter().filter(|d| !d.warning).count();
    if errors_now > before {
        return None;
    }
    let (id, id_at) = id?;
    let (topic, topic_at) = topic?;
    let card = Card {
        id,
        deck: deck.to_string(),
        topic,
        kind: kind?,
        stage,
        prompt: prompt?,
        answer,
        accept: r
            .accept
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.trim().to_string())
            .collect(),
        tolerance: r.tolerance.map(|t| t.value),
        options,
        items,
        explanation: explanation?,
        sources: sources
            .into_iter()
            .map(|s| s.value.trim().to_string())
            .collect(),
        misconceptions: misconceptions_at.iter().map(|(m, _)| m.clone()).collect(),
        hint: nonempty(&r.hint),
        as_of,
        origin: origin.to_string(),
    };
    Some(CardAt {
        card,
        id_at,
        topic_at,
        misconceptions_at,
    })
}

pub fn topics(raw: RawTopics, rep: &mut Reporter) -> Vec<(Topic, Location, TopicRefs)> {
    if !check_format_version(&raw.format_version, rep) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for rt in raw.topics.unwrap_or_default() {
        let at = rt.referenced;
        let t = rt.value;
        let Some((id, id_at)) = check_id(&t.id, "topic", at, rep) else {
            continue;
        };
        let title = nonempty(&t.title);
        if title.is_none() {
            rep.error(at, format!("topic `{id}` has no `title`"));
        }
        let refs: Vec<(String, Location)> = t
            .prerequisites
            .iter()
            .chain(t.confusable_with.iter())
            .map(|p| (p.value.trim().to_string(), p.referenced))
            .collect();
        out.push((
            Topic {
                id,
                title: title.unwrap_or_default(),
                summary: nonempty(&t.summary).unwrap_or_default(),
                prerequisites: t
                    .prerequisites
                    .iter()
                    .map(|p| p.value.trim().to_string())
                    .collect(),
                confusable_with: t
                    .confusable_with
                    .iter()
                    .map(|p| p.value.trim().to_string())
                    .collect(),
            },
            id_at,
            refs,
        ));
    }
    out
}

pub fn misconceptions(
    raw: RawMisconceptions,
    rep: &mut Reporter,
) -> Vec<(Misconception, Location)> {
    if !check_format_version(&raw.format_version, rep) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for rm in raw.misconceptions.unwrap_or_default() {
        let at = rm.referenced;
        let m = rm.value;
        let Some((id, id_at)) = check_id(&m.id, "misconception", at, rep) else {
            continue;
        };
        let wrong = nonempty(&m.wrong);
        let correct = nonempty(&m.correct);
        if wrong.is_none() {
            rep.error(
                at,
                format!("misconception `{id}` has no `wrong` (the wrong belief)"),
            );
        }
        if correct.is_none() {
            rep.error(
                at,
                format!("misconception `{id}` has no `correct` (the correct statement)"),
            );
        }
        if m.sources.is_empty() {
            rep.error(at, format!("misconception `{id}` has no `sources`"));
        }
        for s in &m.sources {
            check_url(s, rep);
        }
        let as_of = check_date(&m.as_of, rep);
        out.push((
            Misconception {
                id,
                wrong: wrong.unwrap_or_default(),
                correct: correct.unwrap_or_default(),
                sources: m
                    .sources
                    .iter()
                    .map(|s| s.value.trim().to_string())
                    .collect(),
                as_of,
            },
            id_at,
        ));
    }
    out
}

/// Sources beside AWS's own pages that are authoritative for what the decks teach about the
/// CI/CD path: GitHub's documentation and changelog (OIDC claims, workflow syntax) and the
/// GitHub actions AWS maintains (their inputs).
fn is_vendor_source(host: &str, rest: &str) -> bool {
    host == "docs.github.com"
        || host == "github.blog"
        || rest.starts_with("github.com/aws-actions/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_repeated_in_the_message_is_dropped() {
        assert_eq!(
            strip_location("simple key expected at line 3, column 1 at line 3, column 1"),
            "simple key expected"
        );
        assert_eq!(
            strip_location("found at line breaks"),
            "found at line breaks"
        );
    }

    #[test]
    fn an_error_past_the_end_points_at_the_last_line() {
        let text = "id: bad\ntitle: [x]]";
        assert_eq!(inside_text(text, 3, 1), (2, 12));
        assert_eq!(inside_text(text, 2, 5), (2, 5));
        assert_eq!(inside_text("a\rb\r\nc", 3, 1), (3, 1));
        assert_eq!(
            inside_text("a\n", 2, 1),
            (2, 1),
            "after a final newline is inside"
        );
    }

    #[test]
    fn unknown_field_is_located_by_key() {
        let text = "format_version: 1\ncards:\n  - id: a\n    kindx: x\n";
        assert_eq!(
            locate_named_key(text, "unknown field `kindx`, expected one of"),
            Some((4, 5))
        );
    }

    #[test]
    fn ids_are_kebab_case() {
        assert!(valid_id("ecr-vs-ecs-1"));
        assert!(!valid_id("ECR"));
        assert!(!valid_id("a_b"));
        assert!(!valid_id("-a"));
        assert!(!valid_id(""));
    }

    #[test]
    fn parser_location_is_printed_once() {
        assert_eq!(
            strip_location(
                "error: line 4 column 11: unexpected event: expected string scalar at line 4, column 11"
            ),
            "unexpected event: expected string scalar"
        );
    }
}
