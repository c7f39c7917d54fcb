//! One study session as a pure state machine: which card comes next, the counts a learner
//! sees (new · learning · review and cards finished out of a total that never grows), the
//! learning steps that come back within the session, and undo. `review` and `assess` drive
//! the same machine (through `study`); the terminal and SQLite stay outside, so every rule
//! here is tested with plain data and a clock value.

use std::collections::{HashSet, VecDeque};

use crate::deck::Card;
use crate::grade;
use crate::sched::Phase;
use crate::ui::{Reply, Response};

/// An FSRS rating; stored as 1-4 at the SQL boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rating {
    Again = 1,
    Hard = 2,
    Good = 3,
    Easy = 4,
}

impl Rating {
    pub const ALL: [Rating; 4] = [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy];

    pub fn from_u8(n: u8) -> Option<Rating> {
        Rating::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Rating::Again => "again",
            Rating::Hard => "hard",
            Rating::Good => "good",
            Rating::Easy => "easy",
        }
    }
}

/// Why a session runs; stored as the session's `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionMode {
    Review,
    Cram,
    Assess,
}

impl SessionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::Review => "review",
            SessionMode::Cram => "cram",
            SessionMode::Assess => "assess",
        }
    }

    /// The review log's `kind` of an answer given in this mode to a card in `before`.
    pub fn review_kind(self, before: Phase) -> ReviewKind {
        match (self, before) {
            (SessionMode::Cram, _) => ReviewKind::Cram,
            (_, Phase::New | Phase::Learning) => ReviewKind::Learn,
            (_, Phase::Review) => ReviewKind::Review,
            (_, Phase::Relearning) => ReviewKind::Relearn,
        }
    }
}

/// The review log's `kind` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewKind {
    Learn,
    Review,
    Relearn,
    Cram,
}

impl ReviewKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Learn => "learn",
            ReviewKind::Review => "review",
            ReviewKind::Relearn => "relearn",
            ReviewKind::Cram => "cram",
        }
    }
}

/// What kind of work a card is for the counts in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    New,
    Learning,
    Review,
}

impl Bucket {
    pub fn of(phase: Phase) -> Bucket {
        match phase {
            Phase::New => Bucket::New,
            Phase::Learning | Phase::Relearning => Bucket::Learning,
            Phase::Review => Bucket::Review,
        }
    }
}

/// Anki's three counts plus progress: `done` of `total` cards finished for this session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub learning: usize,
    pub review: usize,
    pub done: usize,
    pub total: usize,
    /// How many distinct cards have been shown, this one included when asked.
    pub started: usize,
}

/// Where the card on screen came from, so an answer or an undo can put it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Queue(Bucket),
    /// A learning step of this session, due at this time (ms).
    Step(i64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pick {
    pub card_id: String,
    pub source: Source,
}

/// One answer as the session remembers it, enough to take it back.
#[derive(Clone, Debug, PartialEq)]
pub struct Answered<S> {
    pub pick: Pick,
    pub correct: bool,
    /// When the card comes back in this session (a learning step), if it does.
    pub step_due_ms: Option<i64>,
    /// Whatever the caller keeps of it: how to undo it in storage, what to score.
    pub record: S,
}

/// The session. `S` is the storage side's undo record.
pub struct Session<S> {
    queue: VecDeque<(String, Bucket)>,
    steps: Vec<(i64, String)>,
    total: usize,
    started: HashSet<String>,
    learn_ahead_ms: i64,
    answers: Vec<Answered<S>>,
    pub answered: usize,
    pub correct: usize,
    /// Learning steps never come back in this session (assess asks each card once).
    requeue: bool,
}

impl<S> Session<S> {
    /// `queue` in the order to show, `steps` learning cards due soon (due ms, id).
    /// `limit` caps the number of distinct cards; learning steps of those cards later in
    /// the session do not count against it.
    pub fn new(
        queue: Vec<(String, Bucket)>,
        mut steps: Vec<(i64, String)>,
        limit: Option<usize>,
        learn_ahead_secs: i64,
        requeue: bool,
    ) -> Self {
        steps.sort();
        let mut queue: VecDeque<(String, Bucket)> = queue.into();
        if let Some(limit) = limit {
            // Cards already in learning are the most urgent: they fill the limit first.
            steps.truncate(limit);
            queue.truncate(limit - steps.len());
        }
        let mut ids: HashSet<&str> = queue.iter().map(|(id, _)| id.as_str()).collect();
        ids.extend(steps.iter().map(|(_, id)| id.as_str()));
        let total = ids.len();
        Session {
            queue,
            steps,
            total,
            started: HashSet::new(),
            learn_ahead_ms: learn_ahead_secs * 1000,
            answers: Vec::new(),
            answered: 0,
            correct: 0,
            requeue,
        }
    }

    /// The card to show at `now_ms`, without taking it: a learning step that is due, else
    /// the queue, else a step due within the learn-ahead window.
    pub fn next(&self, now_ms: i64) -> Option<Pick> {
        let step = self.steps.first();
        if let Some((due, id)) = step.filter(|(due, _)| *due <= now_ms) {
            return Some(Pick {
                card_id: id.clone(),
                source: Source::Step(*due),
            });
        }
        if let Some((id, bucket)) = self.queue.front() {
            return Some(Pick {
                card_id: id.clone(),
                source: Source::Queue(*bucket),
            });
        }
        step.filter(|(due, _)| *due <= now_ms + self.learn_ahead_ms)
            .map(|(due, id)| Pick {
                card_id: id.clone(),
                source: Source::Step(*due),
            })
    }

    /// The counts as shown while `showing` is on screen (it counts as started).
    pub fn counts(&self, showing: Option<&Pick>) -> Counts {
        let mut c = Counts {
            total: self.total,
            ..Counts::default()
        };
        for (_, b) in &self.queue {
            match b {
                Bucket::New => c.new += 1,
                Bucket::Learning => c.learning += 1,
                Bucket::Review => c.review += 1,
            }
        }
        c.learning += self.steps.len();
        let pending: HashSet<&str> = self
            .queue
            .iter()
            .map(|(id, _)| id.as_str())
            .chain(self.steps.iter().map(|(_, id)| id.as_str()))
            .collect();
        c.done = self.total.saturating_sub(pending.len());
        c.started = self.started.len()
            + showing.map_or(0, |p| usize::from(!self.started.contains(&p.card_id)));
        c
    }

    /// Takes the answer to `pick`. `step_due_ms` is when the card comes back today as a
    /// learning step (None when it graduated, or in a mode that does not requeue).
    pub fn answer(&mut self, pick: Pick, correct: bool, step_due_ms: Option<i64>, record: S) {
        self.take(&pick);
        let step_due_ms = step_due_ms.filter(|_| self.requeue);
        if let Some(due) = step_due_ms {
            self.steps.push((due, pick.card_id.clone()));
            self.steps.sort();
        }
        self.started.insert(pick.card_id.clone());
        self.answered += 1;
        self.correct += usize::from(correct);
        self.answers.push(Answered {
            pick,
            correct,
            step_due_ms,
            record,
        });
    }

    /// Replaces the last answer's outcome (a re-rating on the verdict screen).
    pub fn amend_last(&mut self, correct: bool, step_due_ms: Option<i64>, record: S) {
        let Some(last) = self.answers.pop() else {
            return;
        };
        self.forget_step(&last);
        self.answered -= 1;
        self.correct -= usize::from(last.correct);
        self.started.remove(&last.pick.card_id);
        let was_started_before = self
            .answers
            .iter()
            .any(|a| a.pick.card_id == last.pick.card_id);
        if was_started_before {
            self.started.insert(last.pick.card_id.clone());
        }
        // Put the card back where it was, then answer again.
        self.restore(&last.pick);
        self.answer(last.pick, correct, step_due_ms, record);
    }

    /// Drops a card that cannot be shown (removed from the decks) from the session.
    pub fn skip(&mut self, pick: &Pick) {
        self.take(pick);
        if !self.started.contains(&pick.card_id) {
            self.total = self.total.saturating_sub(1);
        }
    }

    /// The last answer of this session, the one `undo` would take back.
    pub fn last(&self) -> Option<&Answered<S>> {
        self.answers.last()
    }

    /// Takes back the last answer: the card is the next one shown again, exactly as it
    /// was before. Storage must be restored by the caller first.
    pub fn undo(&mut self) -> Option<Answered<S>> {
        let last = self.answers.pop()?;
        self.forget_step(&last);
        self.answered -= 1;
        self.correct -= usize::from(last.correct);
        if !self
            .answers
            .iter()
            .any(|a| a.pick.card_id == last.pick.card_id)
        {
            self.started.remove(&last.pick.card_id);
        }
        self.restore(&last.pick);
        Some(last)
    }

    /// When the next learning step of this session falls due, if any is left.
    pub fn next_step_due(&self) -> Option<i64> {
        self.steps.first().map(|(due, _)| *due)
    }

    /// How many learning steps are left for later.
    pub fn steps_left(&self) -> usize {
        self.steps.len()
    }

    /// Brings every remaining learning step forward so they are shown now (the learner
    /// chose to continue instead of waiting).
    pub fn pull_steps_forward(&mut self) {
        self.learn_ahead_ms = i64::MAX / 4;
    }

    /// Distinct cards answered at least once.
    pub fn cards_answered(&self) -> usize {
        self.answers
            .iter()
            .map(|a| a.pick.card_id.as_str())
            .collect::<HashSet<_>>()
            .len()
    }

    pub fn answers(&self) -> &[Answered<S>] {
        &self.answers
    }

    fn take(&mut self, pick: &Pick) {
        match pick.source {
            Source::Queue(_) => {
                if let Some(i) = self.queue.iter().position(|(id, _)| *id == pick.card_id) {
                    self.queue.remove(i);
                }
            }
            Source::Step(due) => {
                if let Some(i) = self
                    .steps
                    .iter()
                    .position(|(d, id)| *d == due && *id == pick.card_id)
                {
                    self.steps.remove(i);
                }
            }
        }
    }

    fn restore(&mut self, pick: &Pick) {
        match pick.source {
            Source::Queue(bucket) => self.queue.push_front((pick.card_id.clone(), bucket)),
            Source::Step(due) => {
                self.steps.push((due, pick.card_id.clone()));
                self.steps.sort();
            }
        }
    }

    fn forget_step(&mut self, a: &Answered<S>) {
        if let Some(due) = a.step_due_ms
            && let Some(i) = self
                .steps
                .iter()
                .position(|(d, id)| *d == due && *id == a.pick.card_id)
        {
            self.steps.remove(i);
        }
    }
}

/// An answer graded: the verdict, the rating it earns, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Graded {
    pub verdict: grade::Verdict,
    pub rating: Rating,
    /// Right, but slower than the card kind allows: saved as Hard.
    pub slow: bool,
    /// Right after the hint: saved as Hard.
    pub hinted: bool,
    /// `why` texts of the wrong options chosen.
    pub option_notes: Vec<String>,
}

/// Grades a reply given after `elapsed_secs`. A hint only costs when the card has one.
pub fn grade_response(card: &Card, resp: &Response, elapsed_secs: u64) -> Graded {
    let verdict = match &resp.reply {
        Reply::Choice(p) => grade::grade_choice(card, p),
        Reply::Order(p) => grade::grade_order(card, p),
        Reply::Typed(t) => grade::grade_typed_verdict(card, t),
        Reply::Rated(r) => grade::Verdict {
            correct: *r > 1,
            note: None,
            revealed: if *r == 1 {
                card.misconceptions.clone()
            } else {
                vec![]
            },
        },
        Reply::DontKnow | Reply::Quit | Reply::Undo => grade::Verdict {
            correct: false,
            note: None,
            revealed: card.misconceptions.clone(),
        },
    };
    let hinted = resp.used_hint && card.hint.is_some() && verdict.correct;
    let slow = verdict.correct && elapsed_secs >= grade::slow_after_secs(card.kind);
    let rating = match resp.reply {
        Reply::Rated(r) => Rating::from_u8(r).unwrap_or(Rating::Good),
        _ => Rating::from_u8(grade::auto_rating(verdict.correct, hinted, slow, resp.easy))
            .unwrap_or(Rating::Again),
    };
    let option_notes: Vec<String> = match &resp.reply {
        Reply::Choice(p) if !verdict.correct => p
            .iter()
            .filter_map(|&i| card.options.get(i))
            .filter(|o| !o.correct)
            .filter_map(|o| o.why.clone())
            .collect(),
        _ => Vec::new(),
    };
    Graded {
        verdict,
        rating,
        slow: slow && !matches!(resp.reply, Reply::Rated(_)),
        hinted,
        option_notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::{Kind, sample_card};

    fn session(queue: &[(&str, Bucket)], limit: Option<usize>) -> Session<u32> {
        Session::new(
            queue.iter().map(|(id, b)| (id.to_string(), *b)).collect(),
            Vec::new(),
            limit,
            20 * 60,
            true,
        )
    }

    #[test]
    fn the_total_never_grows_with_relearning_steps() {
        let mut s = session(&[("a", Bucket::New), ("b", Bucket::Review)], None);
        assert_eq!(s.counts(None).total, 2);
        let p = s.next(0).unwrap();
        assert_eq!(p.card_id, "a");
        s.answer(p, false, Some(60_000), 1);
        let c = s.counts(None);
        assert_eq!(
            (c.new, c.learning, c.review, c.done, c.total),
            (0, 1, 1, 0, 2)
        );
        let p = s.next(0).unwrap();
        assert_eq!(p.card_id, "b", "the queue comes before a step not yet due");
        s.answer(p, true, None, 2);
        let p = s.next(0).unwrap();
        assert_eq!(
            p.card_id, "a",
            "the step is shown early, within learn-ahead"
        );
        assert_eq!(s.counts(Some(&p)).started, 2);
        s.answer(p, true, None, 3);
        let c = s.counts(None);
        assert_eq!((c.done, c.total, c.started), (2, 2, 2));
        assert_eq!(s.answered, 3);
        assert!(s.next(0).is_none());
    }

    #[test]
    fn limit_counts_cards_not_answers() {
        let q: Vec<(String, Bucket)> = (0..20).map(|i| (format!("c{i}"), Bucket::New)).collect();
        let mut s: Session<()> = Session::new(q, vec![(5, "old".into())], Some(8), 1200, true);
        assert_eq!(s.counts(None).total, 8);
        let mut shown = HashSet::new();
        while let Some(p) = s.next(10) {
            shown.insert(p.card_id.clone());
            let again = s
                .answers()
                .iter()
                .filter(|a| a.pick.card_id == p.card_id)
                .count()
                < 1;
            s.answer(p, !again, again.then_some(70), ());
        }
        assert_eq!(shown.len(), 8);
        assert!(shown.contains("old"));
        assert_eq!(s.cards_answered(), 8);
        assert_eq!(
            s.answered, 16,
            "each card came back once, without growing the total"
        );
        assert_eq!(s.counts(None).total, 8);
    }

    #[test]
    fn undo_puts_the_card_back_first_and_restores_counts() {
        let mut s = session(&[("a", Bucket::New), ("b", Bucket::New)], None);
        let before = s.counts(None);
        let p = s.next(0).unwrap();
        s.answer(p, false, Some(60_000), 7);
        assert_eq!(s.counts(None).learning, 1);
        let undone = s.undo().unwrap();
        assert_eq!(undone.record, 7);
        assert_eq!(s.counts(None), before);
        assert_eq!(s.next(0).unwrap().card_id, "a");
        assert_eq!((s.answered, s.correct), (0, 0));
        assert!(s.undo().is_none(), "nothing else to take back");
    }

    #[test]
    fn undo_of_a_step_puts_it_back_as_a_step() {
        let mut s = session(&[("a", Bucket::New)], None);
        let p = s.next(0).unwrap();
        s.answer(p, false, Some(60_000), 1);
        let p = s.next(0).unwrap();
        assert_eq!(p.source, Source::Step(60_000));
        s.answer(p, true, Some(600_000), 2);
        s.undo();
        assert_eq!(s.steps, vec![(60_000, "a".to_string())]);
        assert_eq!(s.counts(None).learning, 1);
    }

    #[test]
    fn amending_replaces_the_outcome_without_a_second_answer() {
        let mut s = session(&[("a", Bucket::New), ("b", Bucket::New)], None);
        let p = s.next(0).unwrap();
        s.answer(p, false, Some(60_000), 1);
        s.amend_last(true, None, 2);
        assert_eq!((s.answered, s.correct), (1, 1));
        assert_eq!(s.steps_left(), 0);
        assert_eq!(s.last().unwrap().record, 2);
        assert_eq!(s.next(0).unwrap().card_id, "b");
    }

    #[test]
    fn assess_asks_each_card_once() {
        let mut s: Session<()> = Session::new(
            vec![("a".into(), Bucket::New)],
            Vec::new(),
            None,
            1200,
            false,
        );
        let p = s.next(0).unwrap();
        s.answer(p, false, Some(60), ());
        assert!(s.next(0).is_none());
    }

    #[test]
    fn steps_beyond_learn_ahead_wait_until_pulled_forward() {
        let mut s = session(&[("a", Bucket::New)], None);
        let p = s.next(0).unwrap();
        s.answer(p, false, Some(3_600_000), 1);
        assert!(s.next(0).is_none());
        assert_eq!(s.next_step_due(), Some(3_600_000));
        s.pull_steps_forward();
        assert_eq!(s.next(0).unwrap().card_id, "a");
    }

    fn response(reply: Reply, used_hint: bool) -> Response {
        Response {
            reply,
            raw: String::new(),
            used_hint,
            easy: false,
        }
    }

    fn typed_card() -> Card {
        let mut card = sample_card("t", "task", Kind::Typed);
        card.answer = Some("awsvpc".into());
        card
    }

    #[test]
    fn a_hint_costs_only_when_the_card_has_one() {
        let mut card = typed_card();
        let answer = card.answer_text();
        let g = grade_response(&card, &response(Reply::Typed(answer.clone()), true), 1);
        assert_eq!(g.rating, Rating::Good);
        card.hint = Some("think".into());
        let g = grade_response(&card, &response(Reply::Typed(answer), true), 1);
        assert_eq!(g.rating, Rating::Hard);
        assert!(g.hinted);
    }

    #[test]
    fn a_slow_right_answer_is_hard_and_says_so() {
        let card = typed_card();
        let g = grade_response(
            &card,
            &response(Reply::Typed(card.answer_text()), false),
            52,
        );
        assert_eq!((g.rating, g.slow), (Rating::Hard, true));
        let g = grade_response(
            &card,
            &response(Reply::Typed("nope nope".into()), false),
            52,
        );
        assert_eq!((g.rating, g.slow), (Rating::Again, false));
    }
}
