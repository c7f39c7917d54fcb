//! Answer cues in choice cards. The one cue measured here: the correct option being the
//! longest. If keys are usually the longest option, a learner who always picks the longest
//! one scores well knowing nothing (and `assess` inherits that). With four options chance
//! is about 25 %; `decks check` warns about a deck above [`LONGEST_KEY_BAR`].

use super::{Card, Diagnostic, Kind};

/// The highest share of single-answer choice cards whose key may be the longest option.
pub const LONGEST_KEY_BAR: f64 = 0.35;

/// A deck with fewer single-answer choice cards than this is not judged on its own: with
/// two or three cards one longest key is already a third or more, which says nothing about
/// the author's habit. Its cards still count in the overall share.
pub const LONGEST_KEY_MIN_CARDS: usize = 4;

/// A choice card with exactly one correct option.
pub fn single_answer(card: &Card) -> bool {
    card.kind == Kind::Choice && card.options.iter().filter(|o| o.correct).count() == 1
}

/// A single-answer choice card whose correct option is strictly longer (in characters)
/// than every other option.
pub fn key_is_longest(card: &Card) -> bool {
    if !single_answer(card) {
        return false;
    }
    let len = |s: &str| s.chars().count();
    let Some(key) = card.options.iter().find(|o| o.correct) else {
        return false;
    };
    card.options
        .iter()
        .filter(|o| !o.correct)
        .all(|o| len(&o.text) < len(&key.text))
}

/// Where the key stands when the options are sorted longest first: 1 when no option is
/// longer than the key (ties go to the key), 2 when one is, and so on. `None` unless the
/// card has a single answer. Catches the cue that de-cueing by lengthening one distractor
/// leaves behind: the key is then the second-longest option.
pub fn key_length_rank(card: &Card) -> Option<usize> {
    if !single_answer(card) {
        return None;
    }
    let len = |s: &str| s.chars().count();
    let key = len(&card.options.iter().find(|o| o.correct)?.text);
    Some(
        1 + card
            .options
            .iter()
            .filter(|o| !o.correct && len(&o.text) > key)
            .count(),
    )
}

/// How many single-answer choice cards a set has, and which of them have the longest key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LongestKey {
    pub cards: usize,
    pub longest: Vec<String>,
}

impl LongestKey {
    pub fn of<'a>(cards: impl IntoIterator<Item = &'a Card>) -> LongestKey {
        let mut out = LongestKey::default();
        for card in cards.into_iter().filter(|c| single_answer(c)) {
            out.cards += 1;
            if key_is_longest(card) {
                out.longest.push(card.id.clone());
            }
        }
        out
    }

    /// The share of single-answer cards whose key is the longest (0 when there are none).
    pub fn share(&self) -> f64 {
        if self.cards == 0 {
            0.0
        } else {
            self.longest.len() as f64 / self.cards as f64
        }
    }

    /// Above the bar, for a set large enough to judge.
    pub fn above_bar(&self) -> bool {
        self.cards >= LONGEST_KEY_MIN_CARDS && self.share() > LONGEST_KEY_BAR
    }

    /// `14 of 21 single-answer choice cards (67 %)`.
    pub fn describe(&self) -> String {
        format!(
            "{} of {} single-answer choice cards ({:.0} %)",
            self.longest.len(),
            self.cards,
            self.share() * 100.0
        )
    }
}

/// One warning per deck file whose keys are too often the longest option, at the first
/// such card (`at` gives a card's line and column).
pub fn longest_key_warnings<'a>(
    cards: impl IntoIterator<Item = &'a Card>,
    at: impl Fn(&Card) -> (u64, u64),
) -> Vec<Diagnostic> {
    let mut files: Vec<(&str, Vec<&Card>)> = Vec::new();
    for card in cards {
        match files.iter_mut().find(|(f, _)| *f == card.origin) {
            Some((_, v)) => v.push(card),
            None => files.push((&card.origin, vec![card])),
        }
    }
    let mut out = Vec::new();
    for (file, cards) in files {
        let m = LongestKey::of(cards.iter().copied());
        if !m.above_bar() {
            continue;
        }
        let first = cards.iter().find(|c| key_is_longest(c)).copied();
        let (line, column) = first.map(&at).unwrap_or((1, 1));
        out.push(Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: format!(
                "the correct option is the longest in {} of {} single-answer choice cards ({:.0} %, above {:.0} %), so length gives the answer away; make the distractors as specific as the key, or tighten the key, in: {}",
                m.longest.len(),
                m.cards,
                m.share() * 100.0,
                LONGEST_KEY_BAR * 100.0,
                m.longest.join(", ")
            ),
            warning: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::{ChoiceOption, sample_card};

    fn choice(id: &str, origin: &str, texts: &[(&str, bool)]) -> Card {
        let mut c = sample_card(id, "t", Kind::Choice);
        c.origin = origin.into();
        c.options = texts
            .iter()
            .map(|(t, correct)| ChoiceOption {
                text: t.to_string(),
                correct: *correct,
                misconception: None,
                why: None,
            })
            .collect();
        c
    }

    #[test]
    fn only_a_strictly_longest_single_key_counts() {
        assert!(key_is_longest(&choice(
            "a",
            "f",
            &[("long key", true), ("no", false)]
        )));
        // a tie is no cue
        assert!(!key_is_longest(&choice(
            "b",
            "f",
            &[("abc", true), ("xyz", false)]
        )));
        assert!(!key_is_longest(&choice(
            "c",
            "f",
            &[("k", true), ("longer", false)]
        )));
        // characters, not bytes
        assert!(!key_is_longest(&choice(
            "d",
            "f",
            &[("éé", true), ("abc", false)]
        )));
        assert_eq!(
            key_length_rank(&choice(
                "r",
                "f",
                &[("kk", true), ("long", false), ("k", false)]
            )),
            Some(2)
        );
        // several correct options: not a single-answer card
        let multi = choice("e", "f", &[("long one", true), ("x", true), ("y", false)]);
        assert!(!single_answer(&multi) && !key_is_longest(&multi));
        assert_eq!(key_length_rank(&multi), None);
        let mut recall = sample_card("r", "t", Kind::Recall);
        recall.answer = Some("a".into());
        assert!(!single_answer(&recall));
    }

    #[test]
    fn share_and_warning_per_file() {
        let long = |id: &str, f: &str| choice(id, f, &[("the long key", true), ("short", false)]);
        let fair = |id: &str, f: &str| choice(id, f, &[("key", true), ("a distractor", false)]);
        let cards = vec![
            long("a1", "a.yaml"),
            long("a2", "a.yaml"),
            fair("a3", "a.yaml"),
            fair("a4", "a.yaml"),
            long("b1", "b.yaml"),
            fair("b2", "b.yaml"),
            fair("b3", "b.yaml"),
            fair("b4", "b.yaml"),
            long("c1", "c.yaml"), // too few cards to judge the file alone
        ];
        let all = LongestKey::of(&cards);
        assert_eq!((all.cards, all.longest.len()), (9, 4));
        assert!((all.share() - 4.0 / 9.0).abs() < 1e-9);
        let w = longest_key_warnings(&cards, |c| (c.id.len() as u64, 7));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].file, "a.yaml");
        assert!(w[0].warning);
        assert_eq!((w[0].line, w[0].column), (2, 7));
        assert!(
            w[0].message
                .contains("2 of 4 single-answer choice cards (50 %, above 35 %)")
                && w[0].message.ends_with("in: a1, a2"),
            "{}",
            w[0].message
        );
        assert_eq!(LongestKey::of(&[]).share(), 0.0);
    }
}
