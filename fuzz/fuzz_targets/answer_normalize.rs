//! Any pair of strings as (answer, reply): normalising, number parsing, choice, order and
//! rating parsing, typed grading and lab-answer matching must never panic, and must keep
//! the properties a learner relies on (an answer typed exactly is right; normalising twice
//! changes nothing; parsed choices and orders stay inside the options shown).
#![no_main]

use ecsdrill::deck::{Card, Kind};
use ecsdrill::grade::{self, TypedVerdict};
use ecsdrill::lab::AnswerKind;
use ecsdrill::lab::eval::answer_matches;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (answer, reply) = text.split_once('\u{0}').unwrap_or((text, text));

    let once = grade::normalize(reply);
    assert_eq!(grade::normalize(&once), once, "normalize is not idempotent");
    if let Some(v) = grade::parse_number(reply) {
        assert!(v.is_finite());
    }
    if let Some(r) = grade::parse_rating(reply) {
        assert!((1..=4).contains(&r));
    }
    let n = answer.chars().count() % 12 + 1;
    if let Some(picked) = grade::parse_choice(reply, n) {
        assert!(!picked.is_empty() && picked.iter().all(|&i| i < n));
    }
    if let Some(seq) = grade::parse_order(reply, n) {
        let mut sorted = seq.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "order is not a permutation");
    }

    let card = typed_card(answer);
    let _ = grade::grade_typed(&card, reply);
    let exact = grade::grade_typed(&card, answer);
    let answerable = !grade::normalize(answer).is_empty() || grade::parse_number(answer).is_some();
    if answerable {
        assert_eq!(exact, TypedVerdict::Exact, "the answer itself is not accepted: {answer:?}");
    }
    let _ = grade::grade_typed_verdict(&card, reply);

    let expected = Value::String(answer.to_string());
    for kind in [
        AnswerKind::Text,
        AnswerKind::ErrorName,
        AnswerKind::Number,
        AnswerKind::AnyOf,
        AnswerKind::Tail,
    ] {
        let _ = answer_matches(kind, &expected, reply);
    }
    if !grade::normalize(answer).is_empty() {
        assert!(answer_matches(AnswerKind::Text, &expected, answer));
    }
});

fn typed_card(answer: &str) -> Card {
    Card {
        id: "fuzz".into(),
        deck: "fuzz".into(),
        topic: "fuzz".into(),
        kind: Kind::Typed,
        stage: None,
        prompt: "?".into(),
        answer: Some(answer.to_string()),
        accept: vec![],
        tolerance: None,
        options: vec![],
        items: vec![],
        explanation: "-".into(),
        sources: vec![],
        misconceptions: vec![],
        hint: None,
        as_of: None,
        origin: "fuzz".into(),
    }
}
