//! Ctrl-C during a session. Answers are committed as they are given, so stopping loses
//! nothing; this only closes the session record and says how many answers were kept.
//! In interactive mode the key reader reports the interrupt and the session ends
//! normally; in plain mode the main thread may be blocked reading stdin, so the handler
//! finishes the session itself.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static MAIN_HANDLING: AtomicBool = AtomicBool::new(false);
static ANSWERED: AtomicUsize = AtomicUsize::new(0);
static ACTIVE: Mutex<Option<(PathBuf, i64)>> = Mutex::new(None);

/// Registers the running session; safe to call once per process.
pub fn watch_session(db: PathBuf, session_id: i64) {
    if let Ok(mut a) = ACTIVE.lock() {
        *a = Some((db, session_id));
    }
    let _ = ctrlc::set_handler(on_interrupt);
}

pub fn answered_one() {
    ANSWERED.fetch_add(1, Ordering::SeqCst);
}

/// True once Ctrl-C was pressed; the caller then ends the session itself.
pub fn take_over() -> bool {
    if INTERRUPTED.load(Ordering::SeqCst) {
        MAIN_HANDLING.store(true, Ordering::SeqCst);
        true
    } else {
        false
    }
}

pub fn session_over() {
    MAIN_HANDLING.store(true, Ordering::SeqCst);
}

fn on_interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(300));
    if MAIN_HANDLING.load(Ordering::SeqCst) {
        return;
    }
    if let Some((db, id)) = ACTIVE.lock().ok().and_then(|a| a.clone())
        && let Ok(conn) = rusqlite::Connection::open(&db)
    {
        let _ = conn.busy_timeout(Duration::from_secs(2));
        let now = crate::clock::Clock::from_env()
            .map(|c| c.now().timestamp_millis())
            .unwrap_or(0);
        let _ = conn.execute(
                "UPDATE session SET ended_ms = ?2, end_reason = 'interrupted' WHERE id = ?1 AND ended_ms IS NULL",
                rusqlite::params![id, now],
            );
    }
    let _ = console::Term::stdout().show_cursor();
    let n = ANSWERED.load(Ordering::SeqCst);
    println!(
        "\ninterrupted: {n} answer{} saved.",
        if n == 1 { "" } else { "s" }
    );
    std::process::exit(130);
}
