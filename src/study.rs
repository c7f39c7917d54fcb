//! The one ask → grade → schedule → record loop, shared by `review` and `assess`. It drives
//! a `Session` (pure) through a `Ui` (plain or full-screen) and commits each answer before
//! the verdict is shown, so quitting anywhere keeps every answer. Re-rating and undo
//! replace or erase that answer in one transaction.

use std::time::Instant;

use anyhow::Result;
use chrono::{DateTime, FixedOffset};

use crate::clock::{Clock, day_start, days_between, from_ms, study_day, to_ms};
use crate::deck::{Card, Kind, Misconception};
use crate::rng::{hash_str, shuffled_indices};
use crate::sched::{CardState, Phase, Scheduler, describe_due};
use crate::session::{Rating, Session, SessionMode, grade_response};
use crate::store::{AnswerRecord, Store, UndoRecord};
use crate::ui::{AfterVerdict, Feedback, Question, Reply, Response, Ui};

/// What the session keeps of each answer: enough to undo it and to score it.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub undo: UndoRecord,
    pub topic: String,
    pub correct: bool,
    pub revealed: Vec<String>,
    pub was_new: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// No card left to show now (learning steps may still wait).
    Done,
    Quit,
    Interrupted,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Done => "done",
            EndReason::Quit => "quit",
            EndReason::Interrupted => "interrupted",
        }
    }
}

/// Where cards and names come from; the store and the catalog differ between callers.
pub trait Content {
    fn card(&mut self, store: &Store, id: &str) -> Result<Option<Card>>;
    fn topic_title(&self, topic: &str) -> String;
    fn misconception(&self, id: &str) -> Option<Misconception>;
}

pub struct Study<'a> {
    pub store: &'a mut Store,
    pub sched: &'a Scheduler,
    pub clock: &'a Clock,
    pub mode: SessionMode,
    pub session_id: i64,
    /// Mixed into the option shuffle, so options move between sessions.
    pub shuffle_salt: u64,
}

/// The intervals each rating would give, shown before the learner presses a key.
pub fn intervals(
    sched: &Scheduler,
    card_id: &str,
    before: &CardState,
    now: DateTime<FixedOffset>,
) -> Vec<String> {
    let now_ms = to_ms(now);
    Rating::ALL
        .iter()
        .map(|r| {
            sched
                .answer(card_id, before, r.as_u8(), now)
                .map(|o| short_interval(o.after.due_ms - now_ms))
                .unwrap_or_default()
        })
        .collect()
}

/// Anki's short interval labels: 10m, 3h, 4d, 1.5mo, 1.1y.
pub fn short_interval(ms: i64) -> String {
    let mins = (ms.max(0) as f64 / 60_000.0).round();
    let days = mins / 1440.0;
    if mins < 60.0 {
        format!("{}m", mins.max(1.0))
    } else if mins < 1440.0 {
        format!("{}h", (mins / 60.0).round())
    } else if days < 30.0 {
        format!("{}d", days.round())
    } else if days < 365.0 {
        format!("{:.1}mo", days / 30.4)
    } else {
        format!("{:.1}y", days / 365.0)
    }
}

impl Study<'_> {
    /// Shows cards until none is left now, or the learner quits.
    pub fn run(
        &mut self,
        session: &mut Session<Kept>,
        content: &mut dyn Content,
        ui: &mut dyn Ui,
    ) -> Result<EndReason> {
        let mut notice: Option<String> = None;
        loop {
            let now = self.clock.now();
            let Some(pick) = session.next(to_ms(now)) else {
                return Ok(EndReason::Done);
            };
            let Some(card) = content.card(self.store, &pick.card_id)? else {
                // A card removed from the decks since it was queued.
                session.skip(&pick);
                continue;
            };
            let before = self
                .store
                .card_state(&card.id)?
                .unwrap_or_else(CardState::new_card);
            let title = content.topic_title(&card.topic);
            let q = Question {
                card: &card,
                topic_title: &title,
                order: self.option_order(&card, &before),
                mode: self.mode,
                counts: session.counts(Some(&pick)),
                intervals: if self.mode == SessionMode::Cram {
                    Vec::new()
                } else {
                    intervals(self.sched, &card.id, &before, now)
                },
                notice: notice.take(),
            };
            let asked = Instant::now();
            let resp = ui.ask(&q)?;
            if crate::interrupt::take_over() {
                return Ok(EndReason::Interrupted);
            }
            match resp.reply {
                Reply::Quit => return Ok(EndReason::Quit),
                Reply::Undo => {
                    notice = Some(self.undo(session)?);
                    continue;
                }
                _ => {}
            }
            let graded = grade_response(&card, &resp, asked.elapsed().as_secs());
            let at = self.clock.now();
            let response_ms = asked.elapsed().as_millis() as i64;
            let mut answer = Answer {
                card: &card,
                before: &before,
                resp: &resp,
                at_ms: to_ms(at),
                response_ms,
                correct: graded.verdict.correct,
                rating: graded.rating,
                revealed: graded.verdict.revealed.clone(),
                overridden: false,
            };
            let mut saved = self.commit(&answer, None)?;
            session.answer(
                pick.clone(),
                answer.correct,
                saved.step_due,
                saved.kept.clone(),
            );
            crate::interrupt::answered_one();
            loop {
                let fb = Feedback {
                    correct: answer.correct,
                    rating: answer.rating,
                    slow: graded.slow && answer.rating == Rating::Hard,
                    hinted: graded.hinted && answer.rating == Rating::Hard,
                    overridden: answer.overridden,
                    note: graded.verdict.note.clone(),
                    revealed: answer
                        .revealed
                        .iter()
                        .filter_map(|m| content.misconception(m))
                        .collect(),
                    option_notes: if answer.correct {
                        Vec::new()
                    } else {
                        graded.option_notes.clone()
                    },
                    reply: &resp.reply,
                    next_due: saved.next_due.clone(),
                    leech_warning: saved.leech,
                };
                let q = Question {
                    counts: session.counts(None),
                    notice: None,
                    ..q.clone()
                };
                match ui.verdict(&q, &fb)? {
                    AfterVerdict::Next => break,
                    AfterVerdict::Quit => return Ok(EndReason::Quit),
                    AfterVerdict::Undo => {
                        notice = Some(self.undo(session)?);
                        break;
                    }
                    AfterVerdict::Rerate(r) => {
                        answer.rating = r;
                    }
                    AfterVerdict::IWasRight => {
                        answer.rating = Rating::Good;
                        answer.correct = true;
                        answer.overridden = true;
                        answer.revealed.clear();
                    }
                }
                saved = self.commit(&answer, Some(&saved.kept.undo))?;
                session.amend_last(answer.correct, saved.step_due, saved.kept.clone());
            }
            if crate::interrupt::take_over() {
                return Ok(EndReason::Interrupted);
            }
        }
    }

    /// Takes back the last answer of this session, storage first; the message says what happened.
    fn undo(&mut self, session: &mut Session<Kept>) -> Result<String> {
        let Some(last) = session.last() else {
            return Ok(
                "nothing to undo in this session (answers from earlier sessions stay as they are)"
                    .into(),
            );
        };
        self.store.undo_answer(&last.record.undo)?;
        session.undo();
        Ok("undone: your last answer was taken back; here is that card again".into())
    }

    /// Saves an answer, replacing `old` when re-rating.
    fn commit(&mut self, a: &Answer, old: Option<&UndoRecord>) -> Result<Saved> {
        let at = from_ms(a.at_ms, self.clock.now());
        let outcome = self
            .sched
            .answer(&a.card.id, a.before, a.rating.as_u8(), at)?;
        let schedule = self.mode != SessionMode::Cram;
        let record = AnswerRecord {
            session_id: self.session_id,
            card_id: &a.card.id,
            reviewed_ms: a.at_ms,
            rating: a.rating.as_u8(),
            answer: &a.resp.raw,
            correct: a.correct,
            response_ms: a.response_ms,
            kind: self.mode.review_kind(a.before.phase).as_str(),
            before: a.before,
            after: &outcome.after,
            elapsed_days: a
                .before
                .last_review_ms
                .map(|l| days_between(from_ms(l, at), at))
                .unwrap_or(0),
            update_schedule: schedule,
            misconceptions: &a.revealed,
            overridden: a.overridden,
        };
        let undo = match old {
            Some(old) => self.store.replace_answer(old, &record)?,
            None => self.store.record_answer(&record)?,
        };
        let tomorrow = to_ms(day_start(study_day(at) + chrono::Duration::days(1), at));
        let step = (schedule
            && matches!(outcome.after.phase, Phase::Learning | Phase::Relearning)
            && outcome.after.due_ms < tomorrow)
            .then_some(outcome.after.due_ms);
        let kept = Kept {
            undo,
            topic: a.card.topic.clone(),
            correct: a.correct,
            revealed: a.revealed.clone(),
            was_new: a.before.phase == Phase::New,
        };
        Ok(Saved {
            kept,
            step_due: step,
            next_due: describe_due(&outcome.after, at),
            leech: outcome.leech_warning && schedule,
        })
    }

    fn option_order(&self, card: &Card, before: &CardState) -> Vec<usize> {
        let seed = hash_str(&card.id) ^ (before.reps as u64) ^ self.shuffle_salt;
        match card.kind {
            Kind::Choice => shuffled_indices(card.options.len(), seed),
            Kind::Order => shuffled_indices(card.items.len(), seed),
            _ => Vec::new(),
        }
    }
}

/// An answer as saved: what the session keeps of it, when the card comes back today (a
/// learning step), the due date in words, and whether it made the card a leech.
struct Saved {
    kept: Kept,
    step_due: Option<i64>,
    next_due: String,
    leech: bool,
}

struct Answer<'a> {
    card: &'a Card,
    before: &'a CardState,
    resp: &'a Response,
    at_ms: i64,
    response_ms: i64,
    correct: bool,
    rating: Rating,
    revealed: Vec<String>,
    overridden: bool,
}
