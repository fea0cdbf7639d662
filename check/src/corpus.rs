//! The scenario corpus: the JSON files under `tests/scenarios/` (and the
//! examples under `examples/`), listed in name order, so every test that
//! walks the corpus sees the same files in the same order.
//!
//! The files are returned as text: parsing them is the CLI's
//! (`fedcm_workbench::scenario::Scenario`), which depends on this crate.

use std::io;
use std::path::{Path, PathBuf};

/// The workspace's root directory (this crate lives in `check/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `tests/scenarios/`: the self-checking scenarios.
pub fn scenarios_dir() -> PathBuf {
    workspace_root().join("tests/scenarios")
}

/// `examples/`: the example scenarios and IdP descriptions.
pub fn examples_dir() -> PathBuf {
    workspace_root().join("examples")
}

/// One file of a corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file name (`001-options-mode-button-type-error.json`).
    pub name: String,
    /// The whole path.
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
}

/// The `.json` files directly in `dir`, sorted by path.
pub fn json_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Every `.json` file directly in `dir`, read, in name order.
pub fn read(dir: &Path) -> io::Result<Vec<Entry>> {
    json_files(dir)?
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(Entry { name, path, text })
        })
        .collect()
}

/// The scenarios under `tests/scenarios/`, read, in name order.
pub fn scenarios() -> io::Result<Vec<Entry>> {
    read(&scenarios_dir())
}
