//! A cache of the validated catalog. Parsing and checking every YAML deck on each start
//! would dominate start-up (about 10 ms for the built-in decks, far more for large user
//! decks), so the result is stored as JSON in the cache directory, keyed by a fingerprint
//! of the embedded content, the build, and each user deck file's path, size and mtime.
//! A catalog with errors is never cached; an unreadable cache is ignored.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::load::{EMBEDDED_HASH, read_dir_paths};
use super::{Catalog, Diagnostic, LoadOptions, load_catalog};
use crate::rng::hash_str;

#[derive(Serialize, Deserialize)]
struct CacheFile {
    key: String,
    catalog: Catalog,
}

/// What the catalog depends on; any change gives another key.
pub fn fingerprint(opts: &LoadOptions) -> Option<String> {
    let mut parts = vec![
        env!("CARGO_PKG_VERSION").to_string(),
        EMBEDDED_HASH.to_string(),
    ];
    for dir in &opts.user_dirs {
        parts.push(format!("dir {}", dir.display()));
        for file in read_dir_paths(dir).ok()? {
            let meta = std::fs::metadata(&file).ok()?;
            let mtime = meta
                .modified()
                .ok()?
                .duration_since(UNIX_EPOCH)
                .ok()?
                .as_nanos();
            parts.push(format!("{} {} {mtime}", file.display(), meta.len()));
        }
    }
    Some(format!("{:016x}", hash_str(&parts.join("\n"))))
}

/// One file per set of deck directories, so switching `--decks` does not evict the other.
fn cache_path(dir: &Path, opts: &LoadOptions) -> PathBuf {
    let dirs: Vec<String> = opts
        .user_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    dir.join(format!("catalog-{:016x}.json", hash_str(&dirs.join("\n"))))
}

/// Loads the catalog from the cache when it is current, else from the decks (and then
/// refreshes the cache, if `cache_dir` is writable).
pub fn load_cached(
    opts: &LoadOptions,
    cache_dir: Option<&Path>,
) -> Result<Catalog, Vec<Diagnostic>> {
    let key = fingerprint(opts);
    if let (Some(dir), Some(key)) = (cache_dir, &key) {
        if let Ok(bytes) = std::fs::read(cache_path(dir, opts)) {
            if let Ok(file) = serde_json::from_slice::<CacheFile>(&bytes) {
                if &file.key == key {
                    return Ok(file.catalog);
                }
            }
        }
    }
    let catalog = load_catalog(opts)?;
    if let (Some(dir), Some(key)) = (cache_dir, key) {
        let file = CacheFile { key, catalog };
        if let Ok(json) = serde_json::to_vec(&file) {
            let tmp = dir.join(format!("catalog.json.{}.tmp", std::process::id()));
            let written = std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&tmp, json));
            if written
                .and_then(|_| std::fs::rename(&tmp, cache_path(dir, opts)))
                .is_err()
            {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        return Ok(file.catalog);
    }
    Ok(catalog)
}
