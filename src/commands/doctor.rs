//! `ecsdrill doctor`: checks the progress database without changing it, lists the backups
//! ecsdrill took before migrations, and restores one on request. The damaged file is moved
//! aside, never deleted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use rusqlite::{Connection, OpenFlags};

use crate::app::App;
use crate::error::UserError;
use crate::store::SCHEMA_VERSION;

/// Backups taken next to the database: `<stem>.v<N>-<stamp>.bak`, newest last.
pub fn backups(db: &Path) -> Vec<PathBuf> {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    name.starts_with(&format!("{stem}.v")) && name.ends_with(".bak")
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// `Ok(summary)` if the file is a sound SQLite database, `Err(problem)` otherwise.
fn check(path: &Path) -> Result<String, String> {
    let header = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    if header.is_empty() {
        return Err("it is empty".into());
    }
    if header.len() < 16 || &header[..16] != b"SQLite format 3\0" {
        return Err("it is not an SQLite file".into());
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if result != "ok" {
        return Err(format!("the integrity check failed: {result}"));
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let reviews: i64 = conn
        .query_row("SELECT COUNT(*) FROM review_log", [], |r| r.get(0))
        .unwrap_or(0);
    Ok(format!(
        "schema version {version} (this ecsdrill: {SCHEMA_VERSION}), {reviews} answers logged"
    ))
}

pub fn run(app: &App, restore: Option<&PathBuf>) -> Result<ExitCode> {
    let db = &app.db_path;
    if let Some(backup) = restore {
        if let Err(problem) = check(backup) {
            return Err(UserError::env(format!(
                "the backup {} is not usable: {problem}",
                backup.display()
            ))
            .with_hint("choose another file from the list `ecsdrill doctor` prints")
            .into());
        }
        if db.exists() {
            let aside = db.with_extension(format!(
                "damaged-{}",
                chrono::Utc::now().format("%Y%m%dT%H%M%S")
            ));
            std::fs::rename(db, &aside)?;
            for ext in ["db-wal", "db-shm"] {
                let side = db.with_extension(ext);
                if side.exists() {
                    std::fs::rename(
                        &side,
                        aside.with_extension(format!(
                            "{}-{ext}",
                            aside.extension().unwrap_or_default().to_string_lossy()
                        )),
                    )?;
                }
            }
            println!("moved the current database aside to {}", aside.display());
        }
        std::fs::copy(backup, db)?;
        println!("restored {} from {}", db.display(), backup.display());
        println!(
            "answers given after that backup was taken are in the file moved aside, not in the restored one"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let list = backups(db);
    let healthy = match (db.exists(), check(db)) {
        (false, _) => {
            println!(
                "{}: no database yet (it is created by the first review)",
                db.display()
            );
            true
        }
        (true, Ok(summary)) => {
            println!("{}: ok, {summary}", db.display());
            true
        }
        (true, Err(problem)) => {
            println!("{}: damaged: {problem}", db.display());
            false
        }
    };
    if list.is_empty() {
        println!("no backups (ecsdrill takes one before each schema migration)");
    } else {
        println!("backups (taken before schema migrations):");
        for b in &list {
            let state = check(b).unwrap_or_else(|p| format!("not usable: {p}"));
            println!("  {}: {state}", b.display());
        }
    }
    if !healthy {
        let newest = list.iter().rev().find(|b| check(b).is_ok());
        match newest {
            Some(b) => println!(
                "to restore the newest good backup: ecsdrill doctor --restore {}",
                b.display()
            ),
            None => println!(
                "no usable backup: move the file aside to start fresh; it is kept for you to inspect"
            ),
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
