//! Drill progress: each drill's FSRS memory state (the columns of a card's) and its attempts.
//! An attempt is written when the incident is built and updated as the learner goes, each
//! step in its own statement, so nothing is lost on Ctrl-C.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

use super::{STATE_COLUMNS, Store, explain, state_from_row, upsert_state};
use crate::drill::Ending;
use crate::sched::CardState;
use crate::session::Rating;

/// One attempt at a drill.
#[derive(Clone, Debug, PartialEq)]
pub struct DrillAttempt {
    pub id: i64,
    pub drill: String,
    pub seed: u64,
    /// Practice outside the schedule: the drill's memory state is left alone.
    pub cram: bool,
    pub started_ms: i64,
    /// When the incident was ready, on the sandbox's clock (epoch seconds).
    pub sandbox_start: f64,
    /// The causes the live state showed when the incident was built.
    pub causes_found: Vec<String>,
    pub cause_answer: Option<String>,
    pub hints: u32,
    pub checks_run: u32,
    pub ended_ms: Option<i64>,
    pub ending: Option<Ending>,
    pub rating: Option<Rating>,
    /// JSON: the last check outcomes and the timeline, once it ended.
    pub detail: Option<String>,
}

pub struct NewDrillAttempt<'a> {
    pub drill: &'a str,
    pub seed: u64,
    pub cram: bool,
    pub started_ms: i64,
    pub sandbox_start: f64,
    pub causes_found: &'a [String],
}

const ATTEMPT_COLUMNS: &str = "id, drill, seed, cram, started_ms, sandbox_start, causes_found, cause_answer, hints, checks_run, ended_ms, ending, rating, detail";

fn attempt_from_row(r: &rusqlite::Row) -> rusqlite::Result<DrillAttempt> {
    let causes: String = r.get(6)?;
    let ending: Option<String> = r.get(11)?;
    let rating: Option<u8> = r.get(12)?;
    Ok(DrillAttempt {
        id: r.get(0)?,
        drill: r.get(1)?,
        seed: r.get::<_, i64>(2)? as u64,
        cram: r.get::<_, i64>(3)? != 0,
        started_ms: r.get(4)?,
        sandbox_start: r.get(5)?,
        causes_found: serde_json::from_str(&causes).unwrap_or_default(),
        cause_answer: r.get(7)?,
        hints: r.get(8)?,
        checks_run: r.get(9)?,
        ended_ms: r.get(10)?,
        ending: ending.as_deref().and_then(Ending::parse),
        rating: rating.and_then(Rating::from_u8),
        detail: r.get(13)?,
    })
}

impl Store {
    /// The memory state of every drill attempted on the schedule.
    pub fn drill_states(&self) -> Result<HashMap<String, CardState>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT drill, {STATE_COLUMNS} FROM drill_state s"))
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, state_from_row(r, 1)?)))
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<HashMap<_, _>>>()
            .map_err(|e| explain(&self.path, e))
    }

    pub fn start_drill_attempt(&self, a: &NewDrillAttempt) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO drill_attempt (drill, seed, cram, started_ms, sandbox_start, causes_found)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    a.drill,
                    a.seed as i64,
                    a.cram,
                    a.started_ms,
                    a.sandbox_start,
                    serde_json::to_string(a.causes_found)?
                ],
            )
            .map_err(|e| explain(&self.path, e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The attempt under way, if any (the newest one not ended).
    pub fn open_drill_attempt(&self) -> Result<Option<DrillAttempt>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {ATTEMPT_COLUMNS} FROM drill_attempt WHERE ended_ms IS NULL
                     ORDER BY id DESC LIMIT 1"
                ),
                [],
                attempt_from_row,
            )
            .optional()
            .map_err(|e| explain(&self.path, e))
    }

    /// Every attempt, oldest first.
    pub fn drill_attempts(&self) -> Result<Vec<DrillAttempt>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {ATTEMPT_COLUMNS} FROM drill_attempt ORDER BY started_ms, id"
            ))
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map([], attempt_from_row)
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| explain(&self.path, e))
    }

    pub fn drill_cause_answered(&self, attempt: i64, cause: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE drill_attempt SET cause_answer = ?2 WHERE id = ?1",
                params![attempt, cause],
            )
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    /// Counts one more hint shown; returns how many have been.
    pub fn drill_hint_shown(&self, attempt: i64) -> Result<u32> {
        self.conn
            .query_row(
                "UPDATE drill_attempt SET hints = hints + 1 WHERE id = ?1 RETURNING hints",
                params![attempt],
                |r| r.get(0),
            )
            .map_err(|e| explain(&self.path, e))
    }

    pub fn drill_checked(&self, attempt: i64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE drill_attempt SET checks_run = checks_run + 1 WHERE id = ?1",
                params![attempt],
            )
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    /// Ends an attempt and, when it was on the schedule, stores the drill's new memory state,
    /// in one transaction.
    pub fn end_drill_attempt(
        &mut self,
        attempt: &DrillAttempt,
        ended_ms: i64,
        ending: Ending,
        rating: Rating,
        detail: &str,
        state: Option<&CardState>,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| explain(&self.path, e))?;
        tx.execute(
            "UPDATE drill_attempt SET ended_ms = ?2, ending = ?3, rating = ?4, detail = ?5 WHERE id = ?1",
            params![attempt.id, ended_ms, ending.as_str(), rating as u8, detail],
        )
        .map_err(|e| explain(&self.path, e))?;
        if let Some(s) = state {
            upsert_state(&tx, "drill_state", "drill", &attempt.drill, s)
                .map_err(|e| explain(&self.path, e))?;
        }
        tx.commit().map_err(|e| explain(&self.path, e))
    }

    /// The median time of the learner's last 200 answers (ms), `None` before the first.
    pub fn median_response_ms(&self) -> Result<Option<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT response_ms FROM review_log ORDER BY id DESC LIMIT 200")
            .map_err(|e| explain(&self.path, e))?;
        let mut times = stmt
            .query_map([], |r| r.get::<_, i64>(0))
            .map_err(|e| explain(&self.path, e))?
            .collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(|e| explain(&self.path, e))?;
        times.sort_unstable();
        Ok(times.get(times.len() / 2).copied())
    }

    /// Drills met on the schedule for the first time since `since_ms` (the daily new limit).
    pub fn drills_introduced_since(&self, since_ms: i64) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM (SELECT drill, MIN(started_ms) AS first FROM drill_attempt
                 WHERE cram = 0 GROUP BY drill) WHERE first >= ?1",
                params![since_ms],
                |r| r.get(0),
            )
            .map_err(|e| explain(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::Phase;

    fn attempt<'a>(
        drill: &'a str,
        causes: &'a [String],
        cram: bool,
        at: i64,
    ) -> NewDrillAttempt<'a> {
        NewDrillAttempt {
            drill,
            seed: 42,
            cram,
            started_ms: at,
            sandbox_start: 1_700_000_000.5,
            causes_found: causes,
        }
    }

    #[test]
    fn an_attempt_is_kept_step_by_step_and_ends_with_the_state() {
        let mut s = Store::open_in_memory().unwrap();
        let causes = vec!["desired-count-zero".to_string()];
        let id = s
            .start_drill_attempt(&attempt("users-see-503", &causes, false, 1000))
            .unwrap();
        let open = s.open_drill_attempt().unwrap().unwrap();
        assert_eq!(open.id, id);
        assert_eq!(open.causes_found, causes);
        assert_eq!(open.sandbox_start, 1_700_000_000.5);
        assert_eq!(s.drill_hint_shown(id).unwrap(), 1);
        assert_eq!(s.drill_hint_shown(id).unwrap(), 2);
        s.drill_cause_answered(id, "desired-count-zero").unwrap();
        s.drill_checked(id).unwrap();
        let open = s.open_drill_attempt().unwrap().unwrap();
        assert_eq!((open.hints, open.checks_run), (2, 1));
        assert_eq!(open.cause_answer.as_deref(), Some("desired-count-zero"));
        let state = CardState {
            phase: Phase::Review,
            due_ms: 5_000_000,
            stability: Some(3.0),
            difficulty: Some(5.0),
            reps: 1,
            scheduled_days: 3,
            last_review_ms: Some(2000),
            ..CardState::new_card()
        };
        s.end_drill_attempt(&open, 2000, Ending::Fixed, Rating::Hard, "{}", Some(&state))
            .unwrap();
        assert!(s.open_drill_attempt().unwrap().is_none());
        assert_eq!(s.drill_states().unwrap()["users-see-503"], state);
        let all = s.drill_attempts().unwrap();
        assert_eq!(all[0].ending, Some(Ending::Fixed));
        assert_eq!(all[0].rating, Some(Rating::Hard));
        assert_eq!(s.drills_introduced_since(0).unwrap(), 1);
        assert_eq!(s.drills_introduced_since(1001).unwrap(), 0);
        // cram is not an introduction, and leaves no state
        let id2 = s
            .start_drill_attempt(&attempt("other", &causes, true, 3000))
            .unwrap();
        let open = s.open_drill_attempt().unwrap().unwrap();
        assert_eq!(open.id, id2);
        s.end_drill_attempt(&open, 4000, Ending::WrongCause, Rating::Again, "{}", None)
            .unwrap();
        assert_eq!(s.drills_introduced_since(0).unwrap(), 1);
        assert!(!s.drill_states().unwrap().contains_key("other"));
    }
}
