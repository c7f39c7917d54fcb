//! A cache of the validated catalog. Parsing and checking every YAML deck on each start
//! would dominate start-up (about 10 ms for the built-in decks, far more for large user
//! decks), so the result is stored as JSON in the cache directory, keyed by a fingerprint
//! of the embedded content, the build, and each user deck file's path, size and mtime.
//! A user file skipped for its errors is part of the key like any other, so fixing it
//! gives a new key and the next load reads it again. The user files skipped also go into
//! a small file of their own, so `review` (which reads its cards from the database) can
//! warn about them without reading the whole catalog. An unreadable cache is ignored.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::load::{EMBEDDED_HASH, read_dir_paths};
use super::{Catalog, Diagnostic, LoadOptions, load_catalog_skipping};
use crate::rng::hash_str;

/// Part of the cache file names: a build that stores something else uses another name.
const LAYOUT: &str = "v2";

#[derive(Serialize, Deserialize)]
struct CacheFile {
    key: String,
    catalog: Catalog,
}

#[derive(Serialize, Deserialize)]
struct SkippedFile {
    key: String,
    skipped: Vec<Diagnostic>,
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
fn cache_path(dir: &Path, opts: &LoadOptions, what: &str) -> PathBuf {
    let dirs: Vec<String> = opts
        .user_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    dir.join(format!(
        "{what}-{LAYOUT}-{:016x}.json",
        hash_str(&dirs.join("\n"))
    ))
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write_atomic(dir: &Path, path: &Path, json: &[u8]) {
    let tmp = dir.join(format!("cache.{}.tmp", std::process::id()));
    let written = std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&tmp, json));
    if written.and_then(|_| std::fs::rename(&tmp, path)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

fn write_skipped(dir: &Path, path: &Path, key: &str, catalog: &Catalog) {
    let file = SkippedFile {
        key: key.to_string(),
        skipped: catalog.skipped.clone(),
    };
    if let Ok(json) = serde_json::to_vec(&file) {
        write_atomic(dir, path, &json);
    }
}

/// Loads the catalog from the cache when it is current, else from the decks (and then
/// refreshes the cache, if `cache_dir` is writable). User files with errors are left out
/// and named in `skipped`; only errors in the embedded content are an `Err`.
pub fn load_cached(
    opts: &LoadOptions,
    cache_dir: Option<&Path>,
) -> Result<Catalog, Vec<Diagnostic>> {
    let key = fingerprint(opts);
    if let (Some(dir), Some(key)) = (cache_dir, &key)
        && let Ok(bytes) = std::fs::read(cache_path(dir, opts, "catalog"))
        && let Ok(file) = serde_json::from_slice::<CacheFile>(&bytes)
        && &file.key == key
    {
        let skipped = cache_path(dir, opts, "skipped");
        if !skipped.exists() {
            write_skipped(dir, &skipped, key, &file.catalog);
        }
        return Ok(file.catalog);
    }
    let catalog = load_catalog_skipping(opts)?;
    if let (Some(dir), Some(key)) = (cache_dir, key) {
        // The list of skipped files first: whoever finds the catalog current finds it too.
        write_skipped(dir, &cache_path(dir, opts, "skipped"), &key, &catalog);
        let file = CacheFile { key, catalog };
        if let Ok(json) = serde_json::to_vec(&file) {
            write_atomic(dir, &cache_path(dir, opts, "catalog"), &json);
        }
        return Ok(file.catalog);
    }
    Ok(catalog)
}

/// The user files the current catalog leaves out, from the cache alone; `None` when the
/// cache does not know (then load the catalog).
pub fn skipped_cached(opts: &LoadOptions, cache_dir: Option<&Path>) -> Option<Vec<Diagnostic>> {
    let key = fingerprint(opts)?;
    let bytes = std::fs::read(cache_path(cache_dir?, opts, "skipped")).ok()?;
    let file = serde_json::from_slice::<SkippedFile>(&bytes).ok()?;
    (file.key == key).then_some(file.skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROKEN: &str = "format_version: 1\nid: mine\ntitle: Mine\ncards:\n  - id: cluster-what\n    topic: servce\n    kind: recall\n    prompt: p\n    answer: a\n    explanation: e\n    sources: [https://docs.aws.amazon.com/x]\n";

    #[test]
    fn a_skipped_file_is_cached_and_read_again_once_fixed() {
        let tmp = tempfile::tempdir().unwrap();
        let decks = tmp.path().join("decks");
        let cache = tmp.path().join("cache");
        std::fs::create_dir_all(&decks).unwrap();
        let mine = decks.join("mine.yaml");
        std::fs::write(&mine, BROKEN).unwrap();
        let opts = LoadOptions {
            user_dirs: vec![decks.clone()],
        };
        assert!(
            skipped_cached(&opts, Some(&cache)).is_none(),
            "nothing cached yet"
        );
        let first = load_cached(&opts, Some(&cache)).unwrap();
        assert_eq!(first.skipped.len(), 1);
        let from_cache = skipped_cached(&opts, Some(&cache)).unwrap();
        assert_eq!(from_cache, first.skipped);
        for f in std::fs::read_dir(&cache).unwrap() {
            let f = f.unwrap().path();
            if f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("skipped")
            {
                std::fs::remove_file(f).unwrap();
            }
        }
        let again = load_cached(&opts, Some(&cache)).unwrap();
        assert_eq!(
            again.skipped, first.skipped,
            "the cached catalog keeps the list"
        );
        assert_eq!(
            skipped_cached(&opts, Some(&cache)),
            Some(first.skipped.clone()),
            "a cache hit writes the list again when it is missing"
        );

        // Fixed (a different size, so the key changes whatever the clock's resolution).
        std::fs::write(&mine, BROKEN.replace("servce", "service")).unwrap();
        assert!(skipped_cached(&opts, Some(&cache)).is_none(), "stale");
        let fixed = load_cached(&opts, Some(&cache)).unwrap();
        assert!(fixed.skipped.is_empty());
        assert_eq!(skipped_cached(&opts, Some(&cache)), Some(vec![]));
        assert!(fixed.cards.iter().any(|c| c.origin.ends_with("mine.yaml")));
    }
}
