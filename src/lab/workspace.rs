//! The repository of a CI/CD lab on this machine: a directory beside the progress database
//! (so a test's temporary home keeps its own), holding the files the lab provides and the
//! ones the learner writes. ecsdrill writes only the lab's files into it, never deletes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{LabRepository, Vars};

/// Files larger than this are not read into a replay (a deploy reads small text files).
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// The lab's repository directory: `<directory of the database>/workspace/<lab id>`.
pub fn dir(db_path: &Path, lab: &str) -> PathBuf {
    db_path
        .parent()
        .unwrap_or(Path::new("."))
        .join("workspace")
        .join(lab)
}

/// Whether a path from a lab file stays inside the repository.
pub fn is_relative_inside(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty()
        && p.is_relative()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// Writes the lab's files (with `${...}` expanded), replacing earlier versions of them.
pub fn write_files(dir: &Path, repo: &LabRepository, vars: &Vars) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (rel, text) in &repo.files {
        let rel = vars.expand(rel);
        anyhow::ensure!(
            is_relative_inside(&rel),
            "lab file path `{rel}` leaves the repository"
        );
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, vars.expand(text))
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Every text file of the repository (path relative to it → text), `.git` left out.
pub fn read_files(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, at: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(at) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if e.file_name() == ".git" {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                walk(root, &path, out);
            } else if meta.len() <= MAX_FILE_BYTES
                && let (Ok(text), Ok(rel)) =
                    (std::fs::read_to_string(&path), path.strip_prefix(root))
            {
                out.insert(rel.to_string_lossy().replace('\\', "/"), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_and_files_round_trip() {
        assert!(is_relative_inside(".aws/task-definition.json"));
        assert!(!is_relative_inside("../x"));
        assert!(!is_relative_inside("/etc/passwd"));
        assert!(!is_relative_inside(""));
        let tmp = tempfile::tempdir().unwrap();
        let repo = LabRepository {
            name: "acme/shop".into(),
            branch: "main".into(),
            commit: "abc".into(),
            workflow: ".github/workflows/deploy.yml".into(),
            files: BTreeMap::from([("app/${draw.x}.txt".to_string(), "in ${region}".to_string())]),
        };
        let mut vars = Vars::sample();
        vars.drawn.insert("x".into(), serde_json::json!("main"));
        write_files(tmp.path(), &repo, &vars).unwrap();
        std::fs::create_dir_all(tmp.path().join(".git")).unwrap();
        std::fs::write(tmp.path().join(".git/HEAD"), "ref").unwrap();
        let files = read_files(tmp.path());
        assert_eq!(
            files,
            BTreeMap::from([("app/main.txt".to_string(), "in us-east-1".to_string())])
        );
        assert_eq!(
            dir(Path::new("/h/ecsdrill.db"), "github-actions"),
            PathBuf::from("/h/workspace/github-actions")
        );
    }
}
