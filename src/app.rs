//! What every command may need, opened on demand: the clock, the paths, the catalog and
//! the store. Nothing here starts an async runtime or reads AWS configuration.

use std::cell::{Cell, OnceCell};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;

use crate::clock::Clock;
use crate::deck::{Catalog, Diagnostic, LoadOptions, load_cached, skipped_cached};
use crate::error::UserError;
use crate::sched::{SchedConfig, Scheduler};
use crate::store::Store;

pub struct App {
    pub clock: Clock,
    pub plain: bool,
    pub color: bool,
    pub db_path: PathBuf,
    pub deck_dirs: Vec<PathBuf>,
    /// The catalog once loaded: several steps of one command ask for it.
    catalog: OnceCell<Catalog>,
    /// Whether the user files left out of the catalog were named on stderr already.
    warned: Cell<bool>,
}

/// The per-user data directory (XDG on Linux: $XDG_DATA_HOME/ecsdrill).
pub fn data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "ecsdrill")
        .map(|p| p.data_dir().to_path_buf())
        .ok_or_else(|| {
            UserError::env("cannot find your home directory to keep progress in")
                .with_hint("set HOME, or pass --db PATH")
                .into()
        })
}

fn cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "ecsdrill").map(|p| p.cache_dir().to_path_buf())
}

/// `warning: skipped FILE:LINE:COL: MESSAGE; run `ecsdrill decks check` for every problem`
pub fn skipped_warning(d: &Diagnostic) -> String {
    format!(
        "warning: skipped {}:{}:{}: {}; run `ecsdrill decks check` for every problem",
        d.file, d.line, d.column, d.message
    )
}

impl App {
    pub fn new(cli: &crate::cli::Cli) -> Result<App> {
        let clock = Clock::from_env()?;
        let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        let plain = cli.plain || !interactive;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = !plain && !no_color;
        console::set_colors_enabled(color);
        let db_path = match &cli.db {
            Some(p) => p.clone(),
            None => data_dir()?.join("ecsdrill.db"),
        };
        let mut deck_dirs = Vec::new();
        if let Ok(dir) = data_dir().map(|d| d.join("decks"))
            && dir.is_dir()
        {
            deck_dirs.push(dir);
        }
        for d in &cli.deck_dirs {
            if !d.exists() {
                return Err(UserError::env(format!(
                    "deck directory {} does not exist",
                    d.display()
                ))
                .with_hint("pass an existing directory of .yaml decks to --decks")
                .into());
            }
            deck_dirs.push(d.clone());
        }
        Ok(App {
            clock,
            plain,
            color,
            db_path,
            deck_dirs,
            catalog: OnceCell::new(),
            warned: Cell::new(false),
        })
    }

    /// Where decks come from: the embedded ones plus the user's directories.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            user_dirs: self.deck_dirs.clone(),
        }
    }

    /// All decks. A user file with errors is left out with a warning on stderr (one line
    /// per file; `decks check` lists every problem); an error in the built-in decks stops
    /// here, before anything is shown or written.
    pub fn catalog(&self) -> Result<Catalog> {
        if let Some(c) = self.catalog.get() {
            return Ok(c.clone());
        }
        let catalog =
            load_cached(&self.load_options(), cache_dir().as_deref()).map_err(|diags| {
                let errors: Vec<String> = diags
                    .iter()
                    .filter(|d| !d.warning)
                    .map(|d| d.to_string())
                    .collect();
                let n = errors.len();
                UserError::env(format!(
                    "{}\n{n} error{} in the built-in decks; nothing was loaded",
                    errors.join("\n"),
                    if n == 1 { "" } else { "s" }
                ))
                .with_hint(
                    "fix the file at the line and column shown, then run `ecsdrill decks check`",
                )
            })?;
        self.warn_skipped(&catalog.skipped);
        Ok(self.catalog.get_or_init(|| catalog).clone())
    }

    /// Names the user files left out of the catalog, for commands that may not load it
    /// (`review` reads its cards from the database): from the cache when it is current,
    /// else by loading the catalog.
    pub fn warn_skipped_decks(&self) -> Result<()> {
        if self.deck_dirs.is_empty() || self.warned.get() {
            return Ok(());
        }
        match skipped_cached(&self.load_options(), cache_dir().as_deref()) {
            Some(skipped) => self.warn_skipped(&skipped),
            None => {
                self.catalog()?;
            }
        }
        Ok(())
    }

    fn warn_skipped(&self, skipped: &[Diagnostic]) {
        if self.warned.replace(true) {
            return;
        }
        let mut err = std::io::stderr().lock();
        for d in skipped {
            let _ = writeln!(err, "{}", skipped_warning(d));
        }
    }

    pub fn store(&self) -> Result<Store> {
        Store::open(&self.db_path)
    }

    /// The scheduler with this learner's FSRS parameters if `optimize` stored any.
    pub fn scheduler(&self, store: &Store) -> Result<Scheduler> {
        self.scheduler_with(store, SchedConfig::default())
    }

    /// The scheduler for drills: the same memory model, no learning steps (an incident is
    /// not repeated minutes later; a wrong one comes back the next day or so).
    pub fn drill_scheduler(&self, store: &Store) -> Result<Scheduler> {
        self.scheduler_with(
            store,
            SchedConfig {
                learning_steps_secs: vec![],
                relearning_steps_secs: vec![],
                leech_threshold: 0,
                ..SchedConfig::default()
            },
        )
    }

    fn scheduler_with(&self, store: &Store, cfg: SchedConfig) -> Result<Scheduler> {
        let params: Vec<f32> = store
            .setting(crate::commands::optimize::PARAMS_KEY)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        Ok(Scheduler::new(&params, cfg)?)
    }

    /// The store with its catalog index in step with the decks. The decks are parsed only
    /// when they changed since the last session (or the database is new), and a bad deck
    /// stops everything before a new database file is created.
    pub fn synced_store(&self) -> Result<Store> {
        let key = crate::deck::fingerprint(&self.load_options()).unwrap_or_default();
        let mut fresh = if self.db_path.exists() {
            None
        } else {
            Some(self.catalog()?)
        };
        let mut store = self.store()?;
        if key.is_empty() || store.catalog_key()?.as_deref() != Some(key.as_str()) {
            let catalog = match fresh.take() {
                Some(c) => c,
                None => self.catalog()?,
            };
            store.sync_catalog(&key, &catalog)?;
        }
        Ok(store)
    }
}
