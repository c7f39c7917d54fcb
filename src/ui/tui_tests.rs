//! Screen tests of the full-screen reviewer: every card kind in every state, drawn on
//! ratatui's test backend at 80x24 (the smallest supported size) and 120x40, with and
//! without colour, and the keys that must (and must not) answer a card.

use std::sync::OnceLock;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use super::markdown::Look;
use super::tui::*;
use super::{AfterVerdict, EndChoice, Feedback, Question, Reply, Summary};
use crate::deck::{Card, Catalog, LoadOptions, load_catalog};
use crate::session::{Counts, Rating, SessionMode};

/// The built-in decks plus tests/fixtures/screens: frozen copies of seven built-in cards,
/// so a content edit never changes a snapshot.
fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        let screens = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/screens");
        load_catalog(&LoadOptions {
            user_dirs: vec![screens.into()],
        })
        .expect("decks load")
    })
}

/// A snapshot card, by the id of the built-in card it was copied from.
fn card(id: &str) -> &'static Card {
    let frozen = format!("screen-{id}");
    catalog()
        .cards
        .iter()
        .find(|c| c.id == frozen)
        .unwrap_or_else(|| panic!("no card {frozen}"))
}

const COLOR: Look = Look { color: true };
const NO_COLOR: Look = Look { color: false };

fn question(card: &'static Card) -> Question<'static> {
    let n = match card.kind {
        crate::deck::Kind::Choice => card.options.len(),
        crate::deck::Kind::Order => card.items.len(),
        _ => 0,
    };
    // A fixed, non-trivial display order: reversed.
    let order: Vec<usize> = (0..n).rev().collect();
    Question {
        card,
        topic_title: catalog()
            .topic(&card.topic)
            .map_or("topic", |t| t.title.as_str()),
        order,
        mode: SessionMode::Review,
        counts: Counts {
            new: 8,
            learning: 2,
            review: 5,
            done: 4,
            total: 20,
            started: 5,
        },
        intervals: vec!["10m".into(), "1d".into(), "3d".into(), "8d".into()],
        notice: Some("saved: good · next review in 3 days (2026-11-25)".into()),
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(k: KeyCode) -> KeyEvent {
    KeyEvent::new(k, KeyModifiers::NONE)
}

fn terminal(w: u16, h: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(w, h)).unwrap()
}

/// Every cell's colours are unset without colour; every line fits.
fn check_buffer(t: &Terminal<TestBackend>, look: Look) {
    let buf = t.backend().buffer();
    if !look.color {
        for cell in buf.content() {
            assert_eq!(cell.fg, Color::Reset, "colour used with NO_COLOR: {cell:?}");
            assert_eq!(cell.bg, Color::Reset, "colour used with NO_COLOR: {cell:?}");
        }
    }
}

fn ask_screen(q: &Question, st: &mut AskState, w: u16, h: u16, look: Look) -> String {
    let mut t = terminal(w, h);
    t.draw(|f| draw_ask(f, q, st, look, q.notice.as_deref()))
        .unwrap();
    check_buffer(&t, look);
    t.backend().to_string()
}

fn verdict_screen(
    q: &Question,
    fb: &Feedback,
    st: &mut VerdictState,
    w: u16,
    h: u16,
    look: Look,
) -> String {
    let mut t = terminal(w, h);
    t.draw(|f| draw_verdict(f, q, fb, st, look)).unwrap();
    check_buffer(&t, look);
    t.backend().to_string()
}

fn feedback<'a>(q: &Question, reply: &'a Reply, correct: bool, rating: Rating) -> Feedback<'a> {
    let revealed = match reply {
        Reply::Choice(p) if !correct => p
            .iter()
            .filter_map(|&i| q.card.options[i].misconception.as_deref())
            .filter_map(|m| catalog().misconception(m).cloned())
            .collect(),
        _ => Vec::new(),
    };
    Feedback {
        correct,
        rating,
        slow: false,
        hinted: false,
        overridden: false,
        note: None,
        revealed,
        option_notes: Vec::new(),
        reply,
        next_due: if correct {
            "in 3 days (2026-11-25)".into()
        } else {
            "in 10 min".into()
        },
        leech_warning: false,
    }
}

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

#[test]
fn recall_question_and_revealed_answer_with_a_code_block() {
    let q = question(card("ts-describe-tasks-query"));
    for (w, h) in SIZES {
        let mut st = AskState::new(&q);
        insta::assert_snapshot!(
            format!("recall_question_{w}x{h}"),
            ask_screen(&q, &mut st, w, h, COLOR)
        );
        assert_eq!(
            ask_key(&q, &mut st, key(' ')).map(|r| r.reply),
            None,
            "Space reveals"
        );
        let screen = ask_screen(&q, &mut st, w, h, COLOR);
        assert!(screen.contains("1 Again 10m · 2 Hard 1d · 3 Good 3d · 4 Easy 8d"));
        insta::assert_snapshot!(format!("recall_revealed_{w}x{h}"), screen);
    }
    // The code line is never re-wrapped: it is cut with a marker at 80 columns.
    let mut st = AskState::new(&q);
    ask_key(&q, &mut st, key(' '));
    let screen = ask_screen(&q, &mut st, 120, 40, COLOR);
    assert!(screen.contains("aws ecs describe-tasks --cluster prod --tasks <task-id> \\"));
}

#[test]
fn recall_keys_follow_anki() {
    let q = question(card("log-retention-default"));
    let mut st = AskState::new(&q);
    assert!(ask_key(&q, &mut st, code(KeyCode::Enter)).is_none());
    let r = ask_key(&q, &mut st, key(' ')).unwrap();
    assert_eq!(r.reply, Reply::Rated(3), "Space on the answer side is Good");
    let mut st = AskState::new(&q);
    ask_key(&q, &mut st, key(' '));
    assert_eq!(
        ask_key(&q, &mut st, key('1')).unwrap().reply,
        Reply::Rated(1)
    );
    let mut st = AskState::new(&q);
    assert_eq!(ask_key(&q, &mut st, key('q')).unwrap().reply, Reply::Quit);
    let mut st = AskState::new(&q);
    assert_eq!(ask_key(&q, &mut st, key('u')).unwrap().reply, Reply::Undo);
    let mut st = AskState::new(&q);
    assert_eq!(
        ask_key(
            &q,
            &mut st,
            KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL)
        )
        .unwrap()
        .reply,
        Reply::Undo
    );
}

#[test]
fn a_long_choice_card_fits_or_scrolls_at_80x24() {
    let q = question(card("ecr-vs-ecs-docker-hub-pull-cost"));
    let mut st = AskState::new(&q);
    insta::assert_snapshot!(
        "choice_question_80x24",
        ask_screen(&q, &mut st, 80, 24, COLOR)
    );
    // Moving to the last option scrolls it into view.
    for _ in 0..q.order.len() {
        ask_key(&q, &mut st, code(KeyCode::Down));
    }
    insta::assert_snapshot!(
        "choice_question_last_option_80x24",
        ask_screen(&q, &mut st, 80, 24, COLOR)
    );
    let mut st = AskState::new(&q);
    insta::assert_snapshot!(
        "choice_question_120x40",
        ask_screen(&q, &mut st, 120, 40, COLOR)
    );
}

#[test]
fn choice_keys_pick_by_letter_and_number_and_space_never_submits() {
    let q = question(card("log-create-group-permission"));
    let mut st = AskState::new(&q);
    assert!(
        ask_key(&q, &mut st, key(' ')).is_none(),
        "Space does not answer a single choice"
    );
    assert!(
        ask_key(&q, &mut st, key('b')).is_none(),
        "a letter picks, Enter answers"
    );
    let r = ask_key(&q, &mut st, code(KeyCode::Enter)).unwrap();
    assert_eq!(r.reply, Reply::Choice(vec![q.order[1]]));
    assert_eq!(r.raw, "b");
    let mut st = AskState::new(&q);
    ask_key(&q, &mut st, key('3'));
    let r = ask_key(&q, &mut st, code(KeyCode::Enter)).unwrap();
    assert_eq!(r.reply, Reply::Choice(vec![q.order[2]]));
    let mut st = AskState::new(&q);
    assert!(ask_key(&q, &mut st, key('?')).is_none());
    assert!(
        !st.hint || q.card.hint.is_some(),
        "? does nothing on a card without a hint"
    );
}

#[test]
fn multi_select_asks_again_when_nothing_is_ticked_and_marks_each_option() {
    let q = question(card("launch-types-fargate-valid-pairs"));
    assert!(q.multiple());
    let mut st = AskState::new(&q);
    assert!(
        ask_key(&q, &mut st, code(KeyCode::Enter)).is_none(),
        "nothing ticked: asked again"
    );
    assert!(st.warn.is_some());
    insta::assert_snapshot!(
        "multi_nothing_ticked_80x24",
        ask_screen(&q, &mut st, 80, 24, COLOR)
    );
    ask_key(&q, &mut st, key('a'));
    ask_key(&q, &mut st, code(KeyCode::Down));
    ask_key(&q, &mut st, code(KeyCode::Down));
    ask_key(&q, &mut st, key(' '));
    insta::assert_snapshot!(
        "multi_ticked_80x24",
        ask_screen(&q, &mut st, 80, 24, NO_COLOR)
    );
    let r = ask_key(&q, &mut st, code(KeyCode::Enter)).unwrap();
    let Reply::Choice(picked) = &r.reply else {
        panic!("a choice")
    };
    assert_eq!(picked, &vec![q.order[0], q.order[2]]);
    let correct = crate::grade::grade_choice(q.card, picked).correct;
    let fb = feedback(
        &q,
        &r.reply,
        correct,
        if correct { Rating::Good } else { Rating::Again },
    );
    let mut vs = VerdictState::default();
    let screen = verdict_screen(&q, &fb, &mut vs, 120, 40, COLOR);
    assert!(screen.contains("[x]") && screen.contains("[ ]"));
    insta::assert_snapshot!("multi_verdict_120x40", screen);
}

#[test]
fn choice_verdicts_right_and_wrong() {
    let q = question(card("log-create-group-permission"));
    let right = q.card.correct_options()[0];
    let wrong = (0..q.card.options.len())
        .find(|i| !q.card.options[*i].correct)
        .unwrap();
    for (w, h) in SIZES {
        let reply = Reply::Choice(vec![right]);
        let fb = feedback(&q, &reply, true, Rating::Good);
        let mut vs = VerdictState::default();
        insta::assert_snapshot!(
            format!("choice_right_{w}x{h}"),
            verdict_screen(&q, &fb, &mut vs, w, h, COLOR)
        );
        let reply = Reply::Choice(vec![wrong]);
        let fb = feedback(&q, &reply, false, Rating::Again);
        let mut vs = VerdictState::default();
        let screen = verdict_screen(&q, &fb, &mut vs, w, h, COLOR);
        assert!(screen.contains("✗ Wrong"));
        assert!(
            !screen.contains("✔"),
            "a wrong pick is never shown with a tick"
        );
        insta::assert_snapshot!(format!("choice_wrong_{w}x{h}"), screen);
    }
}

#[test]
fn typed_question_with_hint_and_verdicts_typo_and_slow() {
    let q = question(card("launch-types-retirement-wait-setting"));
    let mut st = AskState::new(&q);
    ask_key(&q, &mut st, key('?'));
    assert!(st.hint);
    for c in "quit".chars() {
        assert!(
            ask_key(&q, &mut st, key(c)).is_none(),
            "letters are text in a typed answer"
        );
    }
    insta::assert_snapshot!("typed_hint_80x24", ask_screen(&q, &mut st, 80, 24, COLOR));
    assert_eq!(
        ask_key(&q, &mut st, code(KeyCode::Esc)).unwrap().reply,
        Reply::Quit
    );

    let reply = Reply::Typed("fargateTaskRetirmentWaitPeriod".into());
    let mut fb = feedback(&q, &reply, true, Rating::Good);
    fb.note =
        Some("accepted with a typo: the spelling is \"fargateTaskRetirementWaitPeriod\"".into());
    let mut vs = VerdictState::default();
    insta::assert_snapshot!(
        "typed_typo_80x24",
        verdict_screen(&q, &fb, &mut vs, 80, 24, COLOR)
    );

    let reply = Reply::Typed("fargateTaskRetirementWaitPeriod".into());
    let mut fb = feedback(&q, &reply, true, Rating::Hard);
    fb.slow = true;
    let mut vs = VerdictState::default();
    let screen = verdict_screen(&q, &fb, &mut vs, 80, 24, NO_COLOR);
    assert!(screen.contains("Right, but slow"));
    assert!(screen.contains("3 Good · 4 Easy"));
    insta::assert_snapshot!("typed_slow_80x24_no_color", screen);
    assert_eq!(
        verdict_key(&fb, &mut vs, key('3')),
        Some(AfterVerdict::Rerate(Rating::Good))
    );
    assert_eq!(
        verdict_key(&fb, &mut vs, key('4')),
        Some(AfterVerdict::Rerate(Rating::Easy))
    );

    let reply = Reply::Typed("two".into());
    let fb = feedback(&q, &reply, false, Rating::Again);
    let mut vs = VerdictState::default();
    let screen = verdict_screen(&q, &fb, &mut vs, 80, 24, COLOR);
    assert!(screen.contains("Your answer: two"));
    assert!(screen.contains("o I was right"));
    assert_eq!(
        verdict_key(&fb, &mut vs, key('o')),
        Some(AfterVerdict::IWasRight)
    );
    assert_eq!(
        verdict_key(&fb, &mut vs, key('4')),
        None,
        "a wrong answer cannot be made Easy"
    );
}

#[test]
fn typed_empty_enter_asks_before_counting_dont_know() {
    let q = question(card("launch-types-retirement-wait-setting"));
    let mut st = AskState::new(&q);
    assert!(ask_key(&q, &mut st, code(KeyCode::Enter)).is_none());
    assert!(st.warn.is_some());
    assert_eq!(
        ask_key(&q, &mut st, code(KeyCode::Enter)).unwrap().reply,
        Reply::DontKnow
    );
}

#[test]
fn order_items_are_numbered_and_move_when_held() {
    let q = question(card("s2s-sc-migration-order"));
    let mut st = AskState::new(&q);
    insta::assert_snapshot!(
        "order_question_80x24",
        ask_screen(&q, &mut st, 80, 24, COLOR)
    );
    ask_key(&q, &mut st, key(' '));
    ask_key(&q, &mut st, code(KeyCode::Down));
    insta::assert_snapshot!(
        "order_held_80x24_no_color",
        ask_screen(&q, &mut st, 80, 24, NO_COLOR)
    );
    let r = ask_key(&q, &mut st, code(KeyCode::Enter)).unwrap();
    let Reply::Order(given) = &r.reply else {
        panic!("an order")
    };
    assert_eq!(given[0], q.order[1]);
    assert_eq!(given[1], q.order[0]);
    let correct = crate::grade::grade_order(q.card, given).correct;
    let fb = feedback(&q, &r.reply, correct, Rating::Again);
    let mut vs = VerdictState::default();
    let screen = verdict_screen(&q, &fb, &mut vs, 80, 24, COLOR);
    assert!(screen.contains("The right order:"));
    insta::assert_snapshot!("order_verdict_80x24", screen);
}

#[test]
fn a_long_verdict_scrolls_with_page_keys() {
    let q = question(card("ecr-vs-ecs-docker-hub-pull-cost"));
    let reply = Reply::Choice(vec![q.card.correct_options()[0]]);
    let fb = feedback(&q, &reply, true, Rating::Good);
    let mut vs = VerdictState::default();
    let top = verdict_screen(&q, &fb, &mut vs, 80, 24, COLOR);
    assert!(top.contains("↓ more"));
    assert_eq!(verdict_key(&fb, &mut vs, code(KeyCode::PageDown)), None);
    let scrolled = verdict_screen(&q, &fb, &mut vs, 80, 24, COLOR);
    assert_ne!(top, scrolled);
    insta::assert_snapshot!("long_verdict_scrolled_80x24", scrolled);
}

#[test]
fn resizing_redraws_to_the_new_width() {
    let q = question(card("ecr-vs-ecs-docker-hub-pull-cost"));
    let mut st = AskState::new(&q);
    let mut t = terminal(120, 40);
    t.draw(|f| draw_ask(f, &q, &mut st, COLOR, None)).unwrap();
    t.backend_mut().resize(80, 24);
    t.resize(ratatui::layout::Rect::new(0, 0, 80, 24)).unwrap();
    t.draw(|f| draw_ask(f, &q, &mut st, COLOR, None)).unwrap();
    let screen = t.backend().to_string();
    assert_eq!(screen.lines().count(), 24);
    assert!(
        screen
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 82)
    );
    insta::assert_snapshot!("resized_to_80x24", screen);
}

#[test]
fn help_and_summary_screens() {
    let q = question(card("log-retention-default"));
    let mut st = AskState::new(&q);
    ask_key(&q, &mut st, key('h'));
    insta::assert_snapshot!("help_80x24", ask_screen(&q, &mut st, 80, 24, COLOR));
    assert!(ask_key(&q, &mut st, key('x')).is_none());
    assert!(!st.help, "any key closes the help");

    let s = Summary {
        answered: 14,
        cards: 8,
        correct: 11,
        seconds: 312,
        due_tomorrow: 6,
        due_week: 31,
        cram: false,
        nothing_due: false,
        new_left_today: 12,
        steps_left: 2,
        next_step: Some("in 18 min".into()),
        offer_continue: true,
        finished: true,
        drills_today: (1, 8),
    };
    let mut t = terminal(80, 24);
    t.draw(|f| draw_summary(f, &s, COLOR)).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("2 learning cards come back in 18 min."));
    assert!(
        screen.contains("1 drill due (about 8 min): ecsdrill drill"),
        "{screen}"
    );
    insta::assert_snapshot!("summary_80x24", screen);
    assert_eq!(summary_choice(&s, key('c')), Some(EndChoice::Continue));
    assert_eq!(summary_choice(&s, key('q')), Some(EndChoice::Quit));
}

#[test]
fn every_builtin_card_draws_at_80x24_with_no_colour_leak() {
    for card in catalog().cards.iter().filter(|c| c.deck != "screens") {
        let q = question(card);
        let mut st = AskState::new(&q);
        let mut t = terminal(80, 24);
        t.draw(|f| draw_ask(f, &q, &mut st, COLOR, q.notice.as_deref()))
            .unwrap();
        let reply = match card.kind {
            crate::deck::Kind::Choice => Reply::Choice(vec![0]),
            crate::deck::Kind::Order => Reply::Order((0..card.items.len()).rev().collect()),
            crate::deck::Kind::Typed => Reply::Typed("x".into()),
            crate::deck::Kind::Recall => Reply::Rated(3),
        };
        let fb = feedback(&q, &reply, false, Rating::Again);
        let mut vs = VerdictState::default();
        t.draw(|f| draw_verdict(f, &q, &fb, &mut vs, NO_COLOR))
            .unwrap();
        check_buffer(&t, NO_COLOR);
    }
}

#[test]
fn source_links_are_whole_urls_and_every_cell_is_still_drawn() {
    let q = question(card("ts-describe-tasks-query"));
    let mut st = AskState::new(&q);
    ask_key(&q, &mut st, key(' '));
    let mut t = terminal(120, 40);
    t.draw(|f| {
        draw_ask(f, &q, &mut st, COLOR, None);
        link_sources(f.buffer_mut(), &q.card.sources);
    })
    .unwrap();
    // The test backend holds what the diff sent: each source is one link cell with its URL.
    let buf = t.backend().buffer();
    let linked: Vec<&str> = buf
        .content()
        .iter()
        .map(|c| c.symbol())
        .filter(|s| s.starts_with("\x1b]8;;"))
        .collect();
    assert_eq!(linked.len(), q.card.sources.len(), "{linked:?}");
    for url in &q.card.sources {
        assert!(
            linked
                .iter()
                .any(|s| s.starts_with(&format!("\x1b]8;;{url}\x1b\\{url}"))),
            "{url} is linked whole"
        );
    }
}

#[test]
fn hyperlinks_only_where_the_terminal_says_it_supports_them() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    assert!(hyperlinks_supported(&env(&[("VTE_VERSION", "7200")])));
    assert!(hyperlinks_supported(&env(&[("TERM_PROGRAM", "WezTerm")])));
    assert!(!hyperlinks_supported(&env(&[("TERM", "xterm-256color")])));
    assert!(!hyperlinks_supported(&env(&[
        ("VTE_VERSION", "7200"),
        ("TMUX", "/tmp/t")
    ])));
    assert!(!hyperlinks_supported(&env(&[
        ("VTE_VERSION", "7200"),
        ("ECSDRILL_HYPERLINKS", "0")
    ])));
    assert!(hyperlinks_supported(&env(&[("ECSDRILL_HYPERLINKS", "1")])));
}

/// Every kind, question and verdict side, at both sizes, with and without colour.
#[test]
fn every_kind_at_both_sizes_with_and_without_colour() {
    let cases: [(&str, Reply, bool); 5] = [
        ("log-retention-default", Reply::Rated(3), true),
        ("log-create-group-permission", Reply::Choice(vec![0]), false),
        (
            "launch-types-fargate-valid-pairs",
            Reply::Choice(vec![0, 1]),
            false,
        ),
        (
            "launch-types-retirement-wait-setting",
            Reply::Typed("retirementWait".into()),
            false,
        ),
        (
            "s2s-sc-migration-order",
            Reply::Order(vec![1, 0, 2, 3, 4]),
            false,
        ),
    ];
    for (id, reply, correct) in cases {
        let q = question(card(id));
        for (w, h) in SIZES {
            for (look, name) in [(COLOR, "color"), (NO_COLOR, "no_color")] {
                let mut st = AskState::new(&q);
                let screen = ask_screen(&q, &mut st, w, h, look);
                insta::assert_snapshot!(format!("{id}_question_{w}x{h}_{name}"), screen);
                let rating = if correct { Rating::Good } else { Rating::Again };
                let fb = feedback(&q, &reply, correct, rating);
                let mut vs = VerdictState::default();
                let screen = verdict_screen(&q, &fb, &mut vs, w, h, look);
                insta::assert_snapshot!(format!("{id}_verdict_{w}x{h}_{name}"), screen);
            }
        }
    }
}

#[test]
fn plain_text_keeps_whole_paragraphs_and_code_verbatim() {
    let text = "The service is turned off and\nnothing running.\n\n```\naws ecs list-tasks \\\n  --cluster prod\n```\n";
    assert_eq!(
        super::markdown_text(text, false),
        "The service is turned off and nothing running.\n\n  aws ecs list-tasks \\\n    --cluster prod"
    );
}

#[test]
fn tiny_terminals_never_panic() {
    let q = question(card("ecr-vs-ecs-docker-hub-pull-cost"));
    let reply = Reply::Choice(vec![0]);
    let fb = feedback(&q, &reply, false, Rating::Again);
    for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 10), (79, 23)] {
        let mut st = AskState::new(&q);
        st.help = true;
        let mut t = terminal(w, h);
        t.draw(|f| draw_ask(f, &q, &mut st, COLOR, Some("notice")))
            .unwrap();
        let mut vs = VerdictState {
            scroll: 500,
            help: true,
        };
        t.draw(|f| draw_verdict(f, &q, &fb, &mut vs, NO_COLOR))
            .unwrap();
    }
}
