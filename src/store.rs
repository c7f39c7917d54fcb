//! Progress on disk: one SQLite file holding card memory state, the full review log and
//! sessions. The schema is versioned with `PRAGMA user_version` and changed only by
//! appending migrations; the file is backed up before any migration. Every answer is
//! committed in its own transaction the moment it is given, so nothing answered is lost.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::types::Value;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use crate::deck::{Card, Catalog, DeckInfo, Misconception, Topic};
use crate::error::UserError;
use crate::lab::resource::ResourceKind;
use crate::sched::{CardState, Phase};

mod drills;
pub use drills::{DrillAttempt, NewDrillAttempt};

/// Append-only: never edit a released migration, add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: card state, sessions, the review log, settings.
    r#"
    CREATE TABLE card_state (
        card_id TEXT PRIMARY KEY,
        phase TEXT NOT NULL,
        step INTEGER NOT NULL,
        stability REAL,
        difficulty REAL,
        due_ms INTEGER NOT NULL,
        last_review_ms INTEGER,
        reps INTEGER NOT NULL,
        lapses INTEGER NOT NULL,
        scheduled_days INTEGER NOT NULL,
        leech INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX card_state_due ON card_state(due_ms);
    CREATE TABLE session (
        id INTEGER PRIMARY KEY,
        started_ms INTEGER NOT NULL,
        ended_ms INTEGER,
        mode TEXT NOT NULL,
        filter TEXT NOT NULL DEFAULT '',
        answered INTEGER NOT NULL DEFAULT 0,
        correct INTEGER NOT NULL DEFAULT 0,
        end_reason TEXT
    ) STRICT;
    CREATE TABLE review_log (
        id INTEGER PRIMARY KEY,
        card_id TEXT NOT NULL,
        session_id INTEGER REFERENCES session(id),
        reviewed_ms INTEGER NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        answer TEXT NOT NULL,
        correct INTEGER NOT NULL,
        response_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        phase_before TEXT NOT NULL,
        stability_before REAL,
        difficulty_before REAL,
        due_before_ms INTEGER,
        phase_after TEXT NOT NULL,
        stability_after REAL,
        difficulty_after REAL,
        due_after_ms INTEGER,
        elapsed_days INTEGER NOT NULL,
        scheduled_days INTEGER NOT NULL,
        misconceptions TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX review_log_card ON review_log(card_id, reviewed_ms);
    CREATE INDEX review_log_time ON review_log(reviewed_ms);
    CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    "#,
    // 2: an index of the deck content, so a review starts in time proportional to the
    // cards due, not to the size of the collection. Rebuilt when the decks change.
    r#"
    CREATE TABLE catalog_card (
        id TEXT PRIMARY KEY,
        deck TEXT NOT NULL,
        topic TEXT NOT NULL,
        ord INTEGER NOT NULL,
        seen INTEGER NOT NULL DEFAULT 0,
        body TEXT NOT NULL
    ) STRICT;
    CREATE INDEX catalog_card_new ON catalog_card(seen, ord);
    CREATE INDEX catalog_card_scope ON catalog_card(id, topic, deck);
    CREATE INDEX card_state_due_cover ON card_state(due_ms, phase, card_id);
    "#,
    // 3: labs. One row per lab and target (local sandbox or an AWS account), every check
    // run, and what setups created (what `lab cleanup` may delete).
    r#"
    CREATE TABLE lab_progress (
        lab TEXT NOT NULL,
        target TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        hints_shown INTEGER NOT NULL DEFAULT 0,
        passed_ms INTEGER,
        PRIMARY KEY (lab, target)
    ) STRICT;
    CREATE TABLE lab_check_log (
        id INTEGER PRIMARY KEY,
        lab TEXT NOT NULL,
        target TEXT NOT NULL,
        checked_ms INTEGER NOT NULL,
        passed INTEGER NOT NULL,
        checks_passed INTEGER NOT NULL,
        checks_total INTEGER NOT NULL,
        detail TEXT NOT NULL
    ) STRICT;
    CREATE INDEX lab_check_log_lab ON lab_check_log(lab, checked_ms);
    CREATE TABLE lab_resource (
        id INTEGER PRIMARY KEY,
        lab TEXT NOT NULL,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    ) STRICT;
    "#,
    // 4: self-assessments: one row per test, one per topic in it (score out of 5 and the
    // learner's confidence before it, when given).
    r#"
    CREATE TABLE assessment (
        id INTEGER PRIMARY KEY,
        taken_ms INTEGER NOT NULL,
        overall REAL NOT NULL,
        level TEXT NOT NULL
    ) STRICT;
    CREATE TABLE assessment_topic (
        assessment_id INTEGER NOT NULL REFERENCES assessment(id),
        topic TEXT NOT NULL,
        score REAL NOT NULL,
        confidence INTEGER,
        asked INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        PRIMARY KEY (assessment_id, topic)
    ) STRICT;
    CREATE INDEX assessment_topic_topic ON assessment_topic(topic, assessment_id);
    CREATE INDEX review_log_time_cover ON review_log(reviewed_ms, kind, rating);
    CREATE INDEX review_log_revealed ON review_log(reviewed_ms) WHERE misconceptions != '';
    "#,
    // 5: the learner overrode the grader ("I was right"): kept apart so analyses can tell.
    r#"
    ALTER TABLE review_log ADD COLUMN overridden INTEGER NOT NULL DEFAULT 0;
    "#,
    // 6: the seed a lab attempt drew its values from (`draw:`); NULL for attempts started
    // before labs drew values.
    r#"
    ALTER TABLE lab_progress ADD COLUMN seed INTEGER;
    "#,
    // 7: incident drills: each drill's memory state (as a card's) and every attempt, with
    // the causes the live state showed, the learner's answer, the hints and the result.
    r#"
    CREATE TABLE drill_state (
        drill TEXT PRIMARY KEY,
        phase TEXT NOT NULL,
        step INTEGER NOT NULL,
        stability REAL,
        difficulty REAL,
        due_ms INTEGER NOT NULL,
        last_review_ms INTEGER,
        reps INTEGER NOT NULL,
        lapses INTEGER NOT NULL,
        scheduled_days INTEGER NOT NULL,
        leech INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE drill_attempt (
        id INTEGER PRIMARY KEY,
        drill TEXT NOT NULL,
        seed INTEGER NOT NULL,
        cram INTEGER NOT NULL,
        started_ms INTEGER NOT NULL,
        sandbox_start REAL NOT NULL,
        causes_found TEXT NOT NULL,
        cause_answer TEXT,
        hints INTEGER NOT NULL DEFAULT 0,
        checks_run INTEGER NOT NULL DEFAULT 0,
        ended_ms INTEGER,
        ending TEXT,
        rating INTEGER,
        detail TEXT
    ) STRICT;
    CREATE INDEX drill_attempt_drill ON drill_attempt(drill, started_ms);
    "#,
];

/// The setting with the unseen cards to introduce first (see [`Store::schedule_cards_now`]).
const PRIORITY_NEW_KEY: &str = "priority_new_cards";
/// At most this many are kept; the newest asked for first.
const PRIORITY_NEW_MAX: usize = 200;

/// What [`Store::schedule_cards_now`] did.
#[derive(Debug, Default, PartialEq)]
pub struct Scheduled {
    /// Studied cards, now due.
    pub due_now: Vec<String>,
    /// Unseen cards, introduced first in the next review.
    pub new_first: Vec<String>,
}

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Debug, Clone, PartialEq)]
pub struct LabProgress {
    pub lab: String,
    pub started_ms: i64,
    pub hints_shown: i64,
    pub passed_ms: Option<i64>,
    pub checks_run: i64,
}

pub struct LabCheckRun {
    pub lab: String,
    pub target: String,
    pub checked_ms: i64,
    pub passed: bool,
    pub checks_passed: i64,
    pub checks_total: i64,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopicResult {
    pub topic: String,
    pub score: f64,
    pub confidence: Option<i64>,
    pub asked: i64,
    pub correct: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentRow {
    pub id: i64,
    pub taken_ms: i64,
    pub overall: f64,
    pub level: String,
    pub topics: Vec<TopicResult>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabResource {
    pub id: i64,
    pub lab: String,
    pub kind: ResourceKind,
    pub name: String,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Topics, misconceptions and decks of the content this database was last synced with.
#[derive(serde::Serialize, serde::Deserialize, Default)]
pub struct CatalogMeta {
    pub topics: Vec<Topic>,
    pub misconceptions: Vec<Misconception>,
    pub decks: Vec<DeckInfo>,
}

/// `AND topic IN (?, ...) AND deck IN (?, ...)` for the filters that are set.
fn scope_sql(topics: &[String], decks: &[String]) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut args = Vec::new();
    for (col, vals) in [("c.topic", topics), ("c.deck", decks)] {
        if !vals.is_empty() {
            sql.push_str(&format!(
                " AND {col} IN ({})",
                vec!["?"; vals.len()].join(", ")
            ));
            args.extend(vals.iter().map(|v| Value::Text(v.clone())));
        }
    }
    (sql, args)
}

fn state_from_row(r: &rusqlite::Row, at: usize) -> rusqlite::Result<CardState> {
    let phase: String = r.get(at)?;
    Ok(CardState {
        phase: Phase::parse(&phase).unwrap_or(Phase::New),
        step: r.get(at + 1)?,
        stability: r.get::<_, Option<f64>>(at + 2)?.map(|v| v as f32),
        difficulty: r.get::<_, Option<f64>>(at + 3)?.map(|v| v as f32),
        due_ms: r.get(at + 4)?,
        last_review_ms: r.get(at + 5)?,
        reps: r.get(at + 6)?,
        lapses: r.get(at + 7)?,
        scheduled_days: r.get(at + 8)?,
        leech: r.get::<_, i64>(at + 9)? != 0,
    })
}

const STATE_COLUMNS: &str = "s.phase, s.step, s.stability, s.difficulty, s.due_ms, s.last_review_ms, s.reps, s.lapses, s.scheduled_days, s.leech";

/// One answer, as written to the review log.
pub struct AnswerRecord<'a> {
    pub session_id: i64,
    pub card_id: &'a str,
    pub reviewed_ms: i64,
    pub rating: u8,
    pub answer: &'a str,
    pub correct: bool,
    pub response_ms: i64,
    /// learn, review, relearn, cram or assess.
    pub kind: &'a str,
    pub before: &'a CardState,
    pub after: &'a CardState,
    pub elapsed_days: i64,
    /// False for cram: the log gets the answer, the schedule stays as it was.
    pub update_schedule: bool,
    pub misconceptions: &'a [String],
    /// The learner said "I was right" against the grader.
    pub overridden: bool,
}

/// What it takes to take an answer back: the log row, and the card's state as it was.
#[derive(Clone, Debug, PartialEq)]
pub struct UndoRecord {
    pub review_id: i64,
    pub session_id: i64,
    pub card_id: String,
    pub correct: bool,
    /// The stored state before the answer; None when the card had none (never seen).
    pub stored_before: Option<CardState>,
    /// False for cram answers, which never touched the schedule.
    pub touched_schedule: bool,
}

/// The rows of one answer, inside the caller's transaction.
fn write_answer(tx: &rusqlite::Transaction, a: &AnswerRecord) -> rusqlite::Result<UndoRecord> {
    let stored_before = if a.update_schedule {
        tx.prepare_cached(&format!(
            "SELECT {STATE_COLUMNS} FROM card_state s WHERE card_id = ?1"
        ))?
        .query_row(params![a.card_id], |r| state_from_row(r, 0))
        .optional()?
    } else {
        None
    };
    let after = if a.update_schedule { a.after } else { a.before };
    tx.prepare_cached(
            "INSERT INTO review_log (card_id, session_id, reviewed_ms, rating, answer, correct, response_ms, kind,
                phase_before, stability_before, difficulty_before, due_before_ms,
                phase_after, stability_after, difficulty_after, due_after_ms,
                elapsed_days, scheduled_days, misconceptions, overridden)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
        )
        .and_then(|mut s| {
            s.execute(params![
                a.card_id,
                a.session_id,
                a.reviewed_ms,
                a.rating,
                a.answer,
                a.correct,
                a.response_ms,
                a.kind,
                a.before.phase.as_str(),
                a.before.stability,
                a.before.difficulty,
                (a.before.phase != Phase::New).then_some(a.before.due_ms),
                after.phase.as_str(),
                after.stability,
                after.difficulty,
                (after.phase != Phase::New).then_some(after.due_ms),
                a.elapsed_days,
                after.scheduled_days,
                a.misconceptions.join(","),
                a.overridden,
            ])
        })?;
    let review_id = tx.last_insert_rowid();
    if a.update_schedule {
        put_state(tx, a.card_id, a.after)?;
    }
    if a.update_schedule && a.before.phase == Phase::New {
        tx.prepare_cached("UPDATE catalog_card SET seen = 1 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![a.card_id]))?;
    }
    tx.prepare_cached(
        "UPDATE session SET answered = answered + 1, correct = correct + ?2 WHERE id = ?1",
    )
    .and_then(|mut s| s.execute(params![a.session_id, a.correct]))?;
    Ok(UndoRecord {
        review_id,
        session_id: a.session_id,
        card_id: a.card_id.to_string(),
        correct: a.correct,
        stored_before,
        touched_schedule: a.update_schedule,
    })
}

/// Writes a card's state, inside the caller's transaction.
fn put_state(tx: &rusqlite::Transaction, card_id: &str, s: &CardState) -> rusqlite::Result<()> {
    upsert_state(tx, "card_state", "card_id", card_id, s)
}

/// Writes one memory state into `table` (`card_state` or `drill_state`), keyed by `key`.
fn upsert_state(
    conn: &Connection,
    table: &str,
    key: &str,
    id: &str,
    s: &CardState,
) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO {table} ({key}, phase, step, stability, difficulty, due_ms, last_review_ms, reps,
            lapses, scheduled_days, leech)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT({key}) DO UPDATE SET phase = excluded.phase, step = excluded.step,
            stability = excluded.stability, difficulty = excluded.difficulty, due_ms = excluded.due_ms,
            last_review_ms = excluded.last_review_ms, reps = excluded.reps, lapses = excluded.lapses,
            scheduled_days = excluded.scheduled_days, leech = excluded.leech"
    ))?
    .execute(params![
        id,
        s.phase.as_str(),
        s.step,
        s.stability,
        s.difficulty,
        s.due_ms,
        s.last_review_ms,
        s.reps,
        s.lapses,
        s.scheduled_days,
        s.leech,
    ])?;
    Ok(())
}

/// Removes one answer and puts back what it changed, inside the caller's transaction.
fn erase_answer(tx: &rusqlite::Transaction, u: &UndoRecord) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM review_log WHERE id = ?1", params![u.review_id])?;
    if u.touched_schedule {
        match &u.stored_before {
            Some(s) => put_state(tx, &u.card_id, s)?,
            None => {
                tx.execute(
                    "DELETE FROM card_state WHERE card_id = ?1",
                    params![u.card_id],
                )?;
            }
        }
        if u.stored_before
            .as_ref()
            .is_none_or(|s| s.phase == Phase::New)
        {
            tx.execute(
                "UPDATE catalog_card SET seen = 0 WHERE id = ?1",
                params![u.card_id],
            )?;
        }
    }
    tx.execute(
        "UPDATE session SET answered = answered - 1, correct = correct - ?2 WHERE id = ?1",
        params![u.session_id, u.correct],
    )?;
    Ok(())
}

fn damaged(path: &Path, detail: &str) -> UserError {
    UserError::env(format!(
        "{} is not a usable ecsdrill database: {detail}",
        path.display()
    ))
    .with_hint(
        "the file was not changed; `ecsdrill doctor` checks it and restores an automatic backup, \
         or move it aside to start fresh, or point --db (ECSDRILL_DB) at another file",
    )
}

/// Maps SQLite's "not a database" and "corrupt" codes to a message that names the file.
pub fn explain(path: &Path, err: rusqlite::Error) -> anyhow::Error {
    if let rusqlite::Error::SqliteFailure(e, ref msg) = err {
        match e.code {
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
                return damaged(path, msg.as_deref().unwrap_or("the file is corrupt")).into();
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return UserError::env(format!(
                    "{} is busy: another ecsdrill holds a write lock",
                    path.display()
                ))
                .with_hint("finish the other session and try again")
                .into();
            }
            ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied => {
                return UserError::env(format!(
                    "cannot open {} for writing: {err}",
                    path.display()
                ))
                .with_hint(
                    "check the directory exists and is writable, or choose another file with --db",
                )
                .into();
            }
            _ => {}
        }
    }
    anyhow::Error::new(err).context(format!("database {}", path.display()))
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                UserError::env(format!("cannot create {}: {e}", dir.display()))
                    .with_hint("choose a writable location with --db or ECSDRILL_DB")
            })?;
        }
        check_header(path)?;
        let conn = Connection::open(path).map_err(|e| explain(path, e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store
            .conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| explain(path, e))?;
        // Refuse a newer or damaged file before anything (even the WAL switch) writes to it.
        store.refuse_newer()?;
        store.configure().map_err(|e| explain(path, e))?;
        store.migrate()?;
        Ok(store)
    }

    pub fn open_in_memory() -> Result<Store> {
        let store = Store {
            conn: Connection::open_in_memory()?,
            path: PathBuf::from(":memory:"),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }

    fn user_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| explain(&self.path, e))
    }

    fn refuse_newer(&self) -> Result<()> {
        let current = self.user_version()?;
        if current > SCHEMA_VERSION {
            return Err(UserError::env(format!(
                "{} uses database schema version {current}, but this ecsdrill knows versions up to {SCHEMA_VERSION}",
                self.path.display()
            ))
            .with_hint("upgrade ecsdrill to open it; the file was not changed")
            .into());
        }
        Ok(())
    }

    fn migrate(&self) -> Result<()> {
        let current = self.user_version()?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        if current > 0 && self.path.exists() {
            self.backup(current)?;
        }
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| explain(&self.path, e))?;
        let applied = (|| -> Result<()> {
            // Re-read under the write lock: another process may have migrated meanwhile.
            let current = self.user_version()?;
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
                self.conn
                    .execute_batch(sql)
                    .with_context(|| format!("migration {} of {}", i + 1, self.path.display()))?;
                self.conn
                    .pragma_update(None, "user_version", (i + 1) as i64)?;
            }
            Ok(())
        })();
        match applied {
            Ok(()) => self
                .conn
                .execute_batch("COMMIT")
                .map_err(|e| explain(&self.path, e))?,
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(())
    }

    /// A copy of the whole database next to it, taken before a migration.
    fn backup(&self, version: i64) -> Result<PathBuf> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let mut dest = self.path.with_extension(format!("v{version}-{stamp}.bak"));
        let mut n = 1;
        while dest.exists() {
            n += 1;
            dest = self
                .path
                .with_extension(format!("v{version}-{stamp}-{n}.bak"));
        }
        self.conn
            .execute("VACUUM INTO ?1", params![dest.to_string_lossy()])
            .map_err(|e| explain(&self.path, e))?;
        Ok(dest)
    }

    pub fn card_states(&self) -> Result<HashMap<String, CardState>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT s.card_id, {STATE_COLUMNS} FROM card_state s"
            ))
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, state_from_row(r, 1)?)))
            .map_err(|e| explain(&self.path, e))?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, st) = row.map_err(|e| explain(&self.path, e))?;
            out.insert(id, st);
        }
        Ok(out)
    }

    pub fn start_session(&self, mode: &str, filter: &str, now_ms: i64) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO session (started_ms, mode, filter) VALUES (?1, ?2, ?3)",
                params![now_ms, mode, filter],
            )
            .map_err(|e| explain(&self.path, e))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn end_session(&self, id: i64, now_ms: i64, reason: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE session SET ended_ms = ?2, end_reason = ?3 WHERE id = ?1",
                params![id, now_ms, reason],
            )
            .map_err(|e| explain(&self.path, e))?;
        Ok(())
    }

    /// Writes one answer: the log row, the card's new state and the session counters,
    /// in one transaction. Returns what `undo_answer` needs to take it back.
    pub fn record_answer(&mut self, a: &AnswerRecord) -> Result<UndoRecord> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| explain(&path, e))?;
        let undo = write_answer(&tx, a).map_err(|e| explain(&path, e))?;
        tx.commit().map_err(|e| explain(&path, e))?;
        Ok(undo)
    }

    /// Takes an answer back in one transaction: its log row goes, the card's state and
    /// the session counters are what they were before it.
    pub fn undo_answer(&mut self, u: &UndoRecord) -> Result<()> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| explain(&path, e))?;
        erase_answer(&tx, u).map_err(|e| explain(&path, e))?;
        tx.commit().map_err(|e| explain(&path, e))?;
        Ok(())
    }

    /// Replaces an answer by another from the same state (a re-rating), in one transaction.
    pub fn replace_answer(&mut self, old: &UndoRecord, new: &AnswerRecord) -> Result<UndoRecord> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| explain(&path, e))?;
        erase_answer(&tx, old).map_err(|e| explain(&path, e))?;
        let undo = write_answer(&tx, new).map_err(|e| explain(&path, e))?;
        tx.commit().map_err(|e| explain(&path, e))?;
        Ok(undo)
    }

    /// Cards seen for the first time (outside cram) since a moment: counts against the new-card limit.
    pub fn new_cards_since(&self, since_ms: i64) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT COUNT(DISTINCT card_id) FROM review_log INDEXED BY review_log_time
                 WHERE reviewed_ms >= ?1 AND phase_before = 'new' AND kind != 'cram'",
                params![since_ms],
                |r| r.get(0),
            )
            .map_err(|e| explain(&self.path, e))
    }

    /// Every answer as (card, time, rating), by card then time: the optimiser's input.
    pub fn review_history(&self) -> Result<Vec<(String, i64, u32)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT card_id, reviewed_ms, rating FROM review_log ORDER BY card_id, reviewed_ms",
            )
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| explain(&self.path, e))
    }

    pub fn record_assessment(
        &self,
        taken_ms: i64,
        overall: f64,
        level: &str,
        topics: &[TopicResult],
    ) -> Result<i64> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| explain(&self.path, e))?;
        tx.execute(
            "INSERT INTO assessment (taken_ms, overall, level) VALUES (?1, ?2, ?3)",
            params![taken_ms, overall, level],
        )
        .map_err(|e| explain(&self.path, e))?;
        let id = tx.last_insert_rowid();
        for t in topics {
            tx.execute(
                "INSERT INTO assessment_topic (assessment_id, topic, score, confidence, asked, correct)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, t.topic, t.score, t.confidence, t.asked, t.correct],
            )
            .map_err(|e| explain(&self.path, e))?;
        }
        tx.commit().map_err(|e| explain(&self.path, e))?;
        Ok(id)
    }

    pub fn set_assessment_level(&self, id: i64, level: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE assessment SET level = ?2 WHERE id = ?1",
                params![id, level],
            )
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    /// Every assessment, oldest first, with its topics.
    pub fn assessments(&self) -> Result<Vec<AssessmentRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, taken_ms, overall, level FROM assessment ORDER BY taken_ms, id")
            .map_err(|e| explain(&self.path, e))?;
        let mut rows: Vec<AssessmentRow> = stmt
            .query_map([], |r| {
                Ok(AssessmentRow {
                    id: r.get(0)?,
                    taken_ms: r.get(1)?,
                    overall: r.get(2)?,
                    level: r.get(3)?,
                    topics: Vec::new(),
                })
            })
            .map_err(|e| explain(&self.path, e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| explain(&self.path, e))?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT assessment_id, topic, score, confidence, asked, correct FROM assessment_topic
                 ORDER BY assessment_id, topic",
            )
            .map_err(|e| explain(&self.path, e))?;
        let topics = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    TopicResult {
                        topic: r.get(1)?,
                        score: r.get(2)?,
                        confidence: r.get(3)?,
                        asked: r.get(4)?,
                        correct: r.get(5)?,
                    },
                ))
            })
            .map_err(|e| explain(&self.path, e))?;
        for t in topics {
            let (id, t) = t.map_err(|e| explain(&self.path, e))?;
            if let Some(a) = rows.iter_mut().find(|a| a.id == id) {
                a.topics.push(t);
            }
        }
        Ok(rows)
    }

    /// The latest assessment score of each topic taken since `since_ms`.
    pub fn recent_topic_scores(
        &self,
        since_ms: i64,
    ) -> Result<std::collections::HashMap<String, f64>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.topic, t.score FROM assessment_topic t JOIN assessment a ON a.id = t.assessment_id
                 WHERE a.taken_ms >= ?1 ORDER BY a.taken_ms, a.id",
            )
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map(params![since_ms], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?))
            })
            .map_err(|e| explain(&self.path, e))?;
        let mut out = std::collections::HashMap::new();
        for r in rows {
            let (t, s) = r.map_err(|e| explain(&self.path, e))?;
            out.insert(t, s);
        }
        Ok(out)
    }

    /// Answers per day since `since_ms`; a day starts at 4 a.m. at `offset_secs` from UTC.
    /// Days are counted from 1970-01-01.
    pub fn answers_per_day(&self, since_ms: i64, offset_secs: i64) -> Result<Vec<(i64, u32)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT (reviewed_ms + ?2 * 1000 - 14400000) / 86400000 AS d, COUNT(*) FROM review_log
                 WHERE reviewed_ms >= ?1 GROUP BY d ORDER BY d",
            )
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map(params![since_ms, offset_secs], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| explain(&self.path, e))
    }

    /// Answers on cards in the review phase between two times, and how many were recalled.
    pub fn review_recall_between(&self, from_ms: i64, to_ms: i64) -> Result<(u32, u32)> {
        self.conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(rating > 1), 0) FROM review_log
                 WHERE reviewed_ms >= ?1 AND reviewed_ms < ?2 AND kind = 'review'",
                params![from_ms, to_ms],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| explain(&self.path, e))
    }

    /// Due times of every card past `new`, due before `until_ms`.
    pub fn due_times_before(&self, until_ms: i64) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT due_ms FROM card_state WHERE due_ms < ?1 AND phase != 'new'")
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map(params![until_ms], |r| r.get(0))
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| explain(&self.path, e))
    }

    /// Misconceptions an answer revealed that no right answer on the same card has
    /// followed since: (misconception, card, when revealed), latest reveal first.
    pub fn misconceptions_held(&self) -> Result<Vec<(String, String, i64)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.misconceptions, r.card_id, r.reviewed_ms FROM review_log r
                 WHERE r.misconceptions != '' AND NOT EXISTS (
                    SELECT 1 FROM review_log l WHERE l.card_id = r.card_id
                      AND l.reviewed_ms > r.reviewed_ms AND l.correct = 1)
                 ORDER BY r.reviewed_ms DESC",
            )
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| explain(&self.path, e))?;
        let mut out: Vec<(String, String, i64)> = Vec::new();
        for row in rows {
            let (list, card, at) = row.map_err(|e| explain(&self.path, e))?;
            for m in list.split(',').filter(|m| !m.is_empty()) {
                if !out.iter().any(|(x, _, _)| x == m) {
                    out.push((m.to_string(), card.clone(), at));
                }
            }
        }
        Ok(out)
    }

    pub fn delete_setting(&self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM setting WHERE key = ?1", params![key])
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    pub fn reviews_total(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM review_log", [], |r| r.get(0))
            .map_err(|e| explain(&self.path, e))
    }

    pub fn reviews_since(&self, since_ms: i64) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM review_log WHERE reviewed_ms >= ?1",
                params![since_ms],
                |r| r.get(0),
            )
            .map_err(|e| explain(&self.path, e))
    }

    /// Share of reviews of cards in the review phase answered right since a moment.
    pub fn retention_since(&self, since_ms: i64) -> Result<Option<f64>> {
        self.conn
            .query_row(
                "SELECT AVG(correct) FROM review_log WHERE reviewed_ms >= ?1 AND phase_before = 'review' AND kind = 'review'",
                params![since_ms],
                |r| r.get(0),
            )
            .map_err(|e| explain(&self.path, e))
    }

    /// Whether any answer was logged in [from, to).
    pub fn any_review_between(&self, from_ms: i64, to_ms: i64) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM review_log WHERE reviewed_ms >= ?1 AND reviewed_ms < ?2)",
                params![from_ms, to_ms],
                |r| r.get(0),
            )
            .map_err(|e| explain(&self.path, e))
    }

    /// The fingerprint of the decks the catalog index was built from.
    pub fn catalog_key(&self) -> Result<Option<String>> {
        self.setting("catalog_key")
    }

    /// Rebuilds the catalog index from a freshly loaded catalog, in one transaction.
    pub fn sync_catalog(&mut self, key: &str, catalog: &Catalog) -> Result<()> {
        let path = self.path.clone();
        let meta = CatalogMeta {
            topics: catalog.topics.clone(),
            misconceptions: catalog.misconceptions.clone(),
            decks: catalog.decks.clone(),
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| explain(&path, e))?;
        tx.execute("DELETE FROM catalog_card", [])
            .map_err(|e| explain(&path, e))?;
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO catalog_card (id, deck, topic, ord, seen, body)
                     VALUES (?1, ?2, ?3, ?4, EXISTS (SELECT 1 FROM card_state WHERE card_id = ?1), ?5)",
                )
                .map_err(|e| explain(&path, e))?;
            for (ord, card) in catalog.cards.iter().enumerate() {
                let body = serde_json::to_string(card)?;
                ins.execute(params![card.id, card.deck, card.topic, ord as i64, body])
                    .map_err(|e| explain(&path, e))?;
            }
        }
        for (k, v) in [
            ("catalog_meta", serde_json::to_string(&meta)?),
            ("catalog_key", key.to_string()),
        ] {
            tx.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )
            .map_err(|e| explain(&path, e))?;
        }
        tx.commit().map_err(|e| explain(&path, e))?;
        Ok(())
    }

    pub fn catalog_meta(&self) -> Result<CatalogMeta> {
        Ok(self
            .setting("catalog_meta")?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    /// A card's content from the catalog index.
    pub fn card(&self, id: &str) -> Result<Option<Card>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM catalog_card WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| explain(&self.path, e))?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }

    pub fn card_state(&self, id: &str) -> Result<Option<CardState>> {
        self.conn
            .query_row(
                &format!("SELECT {STATE_COLUMNS} FROM card_state s WHERE s.card_id = ?1"),
                params![id],
                |r| state_from_row(r, 0),
            )
            .optional()
            .map_err(|e| explain(&self.path, e))
    }

    /// Cards in scope that have been studied and are due by `now_ms`: (id, topic, phase, due).
    /// Answered from indexes alone; a card's full state is read when it is shown.
    pub fn due_cards(
        &self,
        now_ms: i64,
        topics: &[String],
        decks: &[String],
    ) -> Result<Vec<(String, String, Phase, i64)>> {
        let (scope, scope_args) = scope_sql(topics, decks);
        let sql = format!(
            "SELECT s.card_id, c.topic, s.phase, s.due_ms FROM card_state s INDEXED BY card_state_due_cover
             JOIN catalog_card c INDEXED BY catalog_card_scope ON c.id = s.card_id
             WHERE s.due_ms <= ? AND s.phase != 'new'{scope}"
        );
        let args: Vec<Value> = std::iter::once(Value::Integer(now_ms))
            .chain(scope_args)
            .collect();
        self.query_all(&sql, &args, |r| {
            let phase: String = r.get(2)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                Phase::parse(&phase).unwrap_or(Phase::New),
                r.get(3)?,
            ))
        })
    }

    /// Runs a query and maps every row.
    fn query_all<T>(
        &self,
        sql: &str,
        args: &[Value],
        map: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), map)
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| explain(&self.path, e))
    }

    /// Every card in scope with its state, if any (for cram, which may show any card).
    pub fn scope_cards(
        &self,
        topics: &[String],
        decks: &[String],
    ) -> Result<Vec<(String, String, Option<CardState>)>> {
        let (scope, args) = scope_sql(topics, decks);
        let sql = format!(
            "SELECT c.id, c.topic, s.card_id IS NOT NULL, {STATE_COLUMNS} FROM catalog_card c
             LEFT JOIN card_state s ON s.card_id = c.id WHERE 1 = 1{scope} ORDER BY c.ord"
        );
        self.query_all(&sql, &args, |r| {
            let has: bool = r.get(2)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                if has {
                    Some(state_from_row(r, 3)?)
                } else {
                    None
                },
            ))
        })
    }

    /// Unseen cards in scope, at most `per_topic` from each topic: (id, topic). The cards
    /// asked for first ([`Store::priority_new_cards`]) come first, in the order asked, then
    /// the rest in deck order.
    pub fn new_cards(
        &self,
        per_topic: u32,
        topics: &[String],
        decks: &[String],
    ) -> Result<Vec<(String, String)>> {
        let (scope, scope_args) = scope_sql(topics, decks);
        // `,a,b,`: a card's position in it orders it; 0 (not asked for) sorts after all.
        let first = format!(",{},", self.priority_new_cards()?.join(","));
        let sql = format!(
            "SELECT id, topic FROM (
                SELECT id, topic, ord, pri, ROW_NUMBER() OVER (PARTITION BY topic ORDER BY pri, ord) AS rn
                FROM (SELECT c.id, c.topic, c.ord,
                        COALESCE(NULLIF(instr(?, ',' || c.id || ','), 0), 9223372036854775807) AS pri
                      FROM catalog_card c WHERE c.seen = 0{scope}))
             WHERE rn <= ? ORDER BY pri, ord"
        );
        let args: Vec<Value> = std::iter::once(Value::Text(first))
            .chain(scope_args)
            .chain(std::iter::once(Value::Integer(per_topic as i64)))
            .collect();
        self.query_all(&sql, &args, |r| Ok((r.get(0)?, r.get(1)?)))
    }

    /// Unseen cards to introduce before any other in the next review, in order (the list may
    /// hold cards seen since; `new_cards` skips those).
    pub fn priority_new_cards(&self) -> Result<Vec<String>> {
        Ok(self
            .setting(PRIORITY_NEW_KEY)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    /// Puts cards in front of the next review, in one transaction: a card already studied
    /// becomes due now (`due_ms = now_ms`); an unseen card is introduced before any other
    /// new card. `lab check` uses it for the cards that teach a failed check.
    ///
    /// Unseen cards go in a short list in `setting` (`priority_new_cards`) that
    /// [`Store::new_cards`] orders first, rather than by changing `catalog_card.ord`: the
    /// catalog index is rebuilt whenever the decks change, and would lose it, while a
    /// setting needs no schema change and a card drops out of it by being seen.
    pub fn schedule_cards_now(&mut self, ids: &[String], now_ms: i64) -> Result<Scheduled> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| explain(&path, e))?;
        let mut done = Scheduled::default();
        let run = |tx: &rusqlite::Transaction, done: &mut Scheduled| -> rusqlite::Result<()> {
            for id in ids {
                let n = tx.execute(
                    "UPDATE card_state SET due_ms = ?2 WHERE card_id = ?1 AND phase != 'new'",
                    params![id, now_ms],
                )?;
                if n > 0 {
                    done.due_now.push(id.clone());
                } else if !done.new_first.contains(id) {
                    done.new_first.push(id.clone());
                }
            }
            if done.new_first.is_empty() {
                return Ok(());
            }
            let old: Vec<String> = tx
                .query_row(
                    "SELECT value FROM setting WHERE key = ?1",
                    params![PRIORITY_NEW_KEY],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default();
            let mut list = done.new_first.clone();
            list.extend(old.into_iter().filter(|id| !done.new_first.contains(id)));
            list.truncate(PRIORITY_NEW_MAX);
            tx.execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![
                    PRIORITY_NEW_KEY,
                    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
                ],
            )?;
            Ok(())
        };
        run(&tx, &mut done).map_err(|e| explain(&path, e))?;
        tx.commit().map_err(|e| explain(&path, e))?;
        Ok(done)
    }

    /// Studied cards in scope due before `limit_ms`.
    pub fn due_count_before(
        &self,
        limit_ms: i64,
        topics: &[String],
        decks: &[String],
    ) -> Result<usize> {
        let (scope, scope_args) = scope_sql(topics, decks);
        let sql = format!(
            "SELECT COUNT(*) FROM card_state s JOIN catalog_card c ON c.id = s.card_id
             WHERE s.due_ms < ? AND s.phase != 'new'{scope}"
        );
        let args: Vec<Value> = std::iter::once(Value::Integer(limit_ms))
            .chain(scope_args)
            .collect();
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as usize)
            .map_err(|e| explain(&self.path, e))
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    /// Starts (or restarts) a lab: progress row reset to no hints, not passed, with the seed
    /// its values were drawn from.
    pub fn lab_started(&self, lab: &str, target: &str, now_ms: i64, seed: u64) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO lab_progress (lab, target, started_ms, hints_shown, passed_ms, seed)
                 VALUES (?1, ?2, ?3, 0, NULL, ?4)
                 ON CONFLICT(lab, target) DO UPDATE SET started_ms = excluded.started_ms,
                    hints_shown = 0, passed_ms = NULL, seed = excluded.seed",
                params![lab, target, now_ms, seed as i64],
            )
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    /// The seed of the lab's current attempt; `None` when it was never started here (or
    /// started by a version that drew nothing).
    pub fn lab_seed(&self, lab: &str, target: &str) -> Result<Option<u64>> {
        self.conn
            .query_row(
                "SELECT seed FROM lab_progress WHERE lab = ?1 AND target = ?2",
                params![lab, target],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()
            .map(|s| s.flatten().map(|s| s as u64))
            .map_err(|e| explain(&self.path, e))
    }

    pub fn lab_progress(&self, target: &str) -> Result<Vec<LabProgress>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.lab, p.started_ms, p.hints_shown, p.passed_ms,
                    (SELECT COUNT(*) FROM lab_check_log c WHERE c.lab = p.lab AND c.target = p.target)
                 FROM lab_progress p WHERE p.target = ?1 ORDER BY p.started_ms",
            )
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map(params![target], |r| {
                Ok(LabProgress {
                    lab: r.get(0)?,
                    started_ms: r.get(1)?,
                    hints_shown: r.get(2)?,
                    passed_ms: r.get(3)?,
                    checks_run: r.get(4)?,
                })
            })
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| explain(&self.path, e))
    }

    /// Labs passed in any target: the evidence for the `application` level.
    pub fn labs_passed(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT lab FROM lab_progress WHERE passed_ms IS NOT NULL")
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| explain(&self.path, e))
    }

    /// The number of the next hint to show (0-based), counting it as shown.
    pub fn next_hint(&self, lab: &str, target: &str) -> Result<Option<i64>> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| explain(&self.path, e))?;
        let shown: Option<i64> = tx
            .query_row(
                "SELECT hints_shown FROM lab_progress WHERE lab = ?1 AND target = ?2",
                params![lab, target],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| explain(&self.path, e))?;
        if shown.is_some() {
            tx.execute(
                "UPDATE lab_progress SET hints_shown = hints_shown + 1 WHERE lab = ?1 AND target = ?2",
                params![lab, target],
            )
            .map_err(|e| explain(&self.path, e))?;
        }
        tx.commit().map_err(|e| explain(&self.path, e))?;
        Ok(shown)
    }

    /// Records one `lab check` run, and the lab as passed the first time all checks pass.
    pub fn record_lab_check(&self, run: &LabCheckRun) -> Result<()> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| explain(&self.path, e))?;
        tx.execute(
            "INSERT INTO lab_check_log (lab, target, checked_ms, passed, checks_passed, checks_total, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                run.lab,
                run.target,
                run.checked_ms,
                run.passed as i64,
                run.checks_passed,
                run.checks_total,
                run.detail
            ],
        )
        .map_err(|e| explain(&self.path, e))?;
        tx.execute(
            "INSERT INTO lab_progress (lab, target, started_ms, hints_shown, passed_ms)
             VALUES (?1, ?2, ?3, 0, CASE WHEN ?4 THEN ?3 END)
             ON CONFLICT(lab, target) DO UPDATE SET
                passed_ms = COALESCE(lab_progress.passed_ms, CASE WHEN ?4 THEN ?3 END)",
            params![run.lab, run.target, run.checked_ms, run.passed],
        )
        .map_err(|e| explain(&self.path, e))?;
        tx.commit().map_err(|e| explain(&self.path, e))
    }

    pub fn record_lab_resource(
        &self,
        lab: &str,
        target: &str,
        kind: ResourceKind,
        name: &str,
        now_ms: i64,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO lab_resource (lab, target, kind, name, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![lab, target, kind, name, now_ms],
            )
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    /// Resources setups created in a target, newest first (the order to delete them in).
    pub fn lab_resources(&self, target: &str, lab: Option<&str>) -> Result<Vec<LabResource>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, lab, kind, name FROM lab_resource
                 WHERE target = ?1 AND (?2 IS NULL OR lab = ?2) ORDER BY id DESC",
            )
            .map_err(|e| explain(&self.path, e))?;
        let rows = stmt
            .query_map(params![target, lab], |r| {
                Ok(LabResource {
                    id: r.get(0)?,
                    lab: r.get(1)?,
                    kind: r.get(2)?,
                    name: r.get(3)?,
                })
            })
            .map_err(|e| explain(&self.path, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| explain(&self.path, e))
    }

    pub fn forget_lab_resource(&self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM lab_resource WHERE id = ?1", params![id])
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    /// `lab reset`: progress of a lab in a target is forgotten (the check log stays).
    pub fn forget_lab(&self, lab: &str, target: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM lab_progress WHERE lab = ?1 AND target = ?2",
                params![lab, target],
            )
            .map(|_| ())
            .map_err(|e| explain(&self.path, e))
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT value FROM setting WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| explain(&self.path, e))
    }
}

/// Refuses a file that is not SQLite before SQLite sees it, so it is never touched.
fn check_header(path: &Path) -> Result<()> {
    let Ok(mut f) = std::fs::File::open(path) else {
        return Ok(());
    };
    let mut header = [0u8; 16];
    let n = f.read(&mut header).unwrap_or(0);
    if n == 0 {
        return Ok(()); // an empty file: SQLite treats it as a new database
    }
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(damaged(path, "it is not an SQLite file").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_reach_the_latest_version() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.user_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn lab_resources_are_stored_by_their_kinds_name() {
        let s = Store::open_in_memory().unwrap();
        s.record_lab_resource("lab", "local", ResourceKind::TaskDefinition, "arn:web:1", 5)
            .unwrap();
        let kind: String = s
            .conn
            .query_row("SELECT kind FROM lab_resource", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kind, "task_definition");
        let listed = s.lab_resources("local", Some("lab")).unwrap();
        assert_eq!(listed[0].kind, ResourceKind::TaskDefinition);
    }

    #[test]
    fn answers_and_states_round_trip() {
        let mut s = Store::open_in_memory().unwrap();
        let sid = s.start_session("review", "", 1000).unwrap();
        let before = CardState::new_card();
        let after = CardState {
            phase: Phase::Learning,
            stability: Some(2.3),
            difficulty: Some(2.1),
            due_ms: 5000,
            last_review_ms: Some(1000),
            reps: 1,
            ..CardState::new_card()
        };
        let rec = AnswerRecord {
            session_id: sid,
            card_id: "c1",
            reviewed_ms: 1000,
            rating: 3,
            answer: "b",
            correct: true,
            response_ms: 1200,
            kind: "learn",
            before: &before,
            after: &after,
            elapsed_days: 0,
            update_schedule: true,
            misconceptions: &[],
            overridden: false,
        };
        s.record_answer(&rec).unwrap();
        let states = s.card_states().unwrap();
        assert_eq!(states["c1"], after);
        assert_eq!(s.reviews_total().unwrap(), 1);
        assert_eq!(s.new_cards_since(0).unwrap(), 1);
        let cram = AnswerRecord {
            card_id: "c2",
            kind: "cram",
            update_schedule: false,
            ..rec
        };
        s.record_answer(&cram).unwrap();
        assert!(!s.card_states().unwrap().contains_key("c2"));
        assert_eq!(s.new_cards_since(0).unwrap(), 1);
    }

    #[test]
    fn undo_and_replace_restore_the_state_and_leave_one_log_row() {
        let mut s = Store::open_in_memory().unwrap();
        let sid = s.start_session("review", "", 1000).unwrap();
        let new = CardState::new_card();
        let learned = CardState {
            phase: Phase::Review,
            stability: Some(3.0),
            difficulty: Some(5.0),
            due_ms: 9000,
            last_review_ms: Some(1000),
            reps: 2,
            ..CardState::new_card()
        };
        let rec =
            |before: &'static CardState, after: &'static CardState, rating: u8| AnswerRecord {
                session_id: sid,
                card_id: "c1",
                reviewed_ms: 2000,
                rating,
                answer: "b",
                correct: rating > 1,
                response_ms: 900,
                kind: "learn",
                before,
                after,
                elapsed_days: 0,
                update_schedule: true,
                misconceptions: &[],
                overridden: false,
            };
        let new: &'static CardState = Box::leak(Box::new(new));
        let learned: &'static CardState = Box::leak(Box::new(learned));
        let relearn: &'static CardState = Box::leak(Box::new(CardState {
            phase: Phase::Relearning,
            lapses: 1,
            ..learned.clone()
        }));
        let session_row = |s: &Store| -> (i64, i64) {
            s.conn
                .query_row(
                    "SELECT answered, correct FROM session WHERE id = ?1",
                    [sid],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap()
        };
        // A new card: undo removes its state and its log row, and it counts as unseen again.
        let u = s.record_answer(&rec(new, learned, 3)).unwrap();
        assert_eq!(u.stored_before, None);
        s.undo_answer(&u).unwrap();
        assert!(s.card_states().unwrap().is_empty());
        assert_eq!(s.reviews_total().unwrap(), 0);
        assert_eq!(session_row(&s), (0, 0));
        // A learned card: re-rating replaces the row, undo puts the old state back exactly.
        s.record_answer(&rec(new, learned, 3)).unwrap();
        let u = s.record_answer(&rec(learned, relearn, 1)).unwrap();
        assert_eq!(u.stored_before.as_ref(), Some(learned));
        let u = s
            .replace_answer(
                &u,
                &AnswerRecord {
                    overridden: true,
                    ..rec(learned, learned, 3)
                },
            )
            .unwrap();
        assert_eq!(s.reviews_total().unwrap(), 2);
        assert_eq!(session_row(&s), (2, 2));
        let overridden: i64 = s
            .conn
            .query_row(
                "SELECT overridden FROM review_log WHERE id = ?1",
                [u.review_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(overridden, 1);
        s.undo_answer(&u).unwrap();
        assert_eq!(s.card_states().unwrap()["c1"], *learned);
        assert_eq!(s.reviews_total().unwrap(), 1);
        assert_eq!(session_row(&s), (1, 1));
    }
}
