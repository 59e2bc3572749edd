//! The wall corpus, `snapshots/walls/`, and its `cases.toml`.

use serde::Deserialize;

/// `cases.toml`.
#[derive(Deserialize)]
pub struct Cases {
    /// Every page and what it is.
    pub case: Vec<Case>,
}

/// One page of the corpus.
#[derive(Deserialize)]
pub struct Case {
    /// The page, under `snapshots/walls/`.
    pub file: String,
    /// A wall kind, or `none`.
    pub kind: String,
    /// The page stored as the last version before it, if any.
    pub previous: Option<String>,
    /// Where the redirect ended, for sign-in redirects.
    pub final_url: Option<String>,
    /// What the page shows.
    pub note: Option<String>,
}

/// A file of the corpus.
pub fn read(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/walls").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The cases.
pub fn cases() -> Vec<Case> {
    toml::from_str::<Cases>(&read("cases.toml")).expect("cases.toml parses").case
}
