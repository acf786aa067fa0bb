//! The configuration error: the file, and what is wrong (a TOML error keeps its caret).

use std::path::{Path, PathBuf};

/// A configuration error naming the file (and, from the TOML parser, line, column and key).
///
/// Displayed as `<path>: <message>`. A TOML error's message is the parser's own multi-line
/// report, kept as is so its caret stays under the fault:
///
/// ```text
/// config/x.toml: TOML parse error at line 3, column 19
///   |
/// 3 | warmup_sessions = "x"
///   |                   ^^^
/// invalid type: string "x", expected usize
/// ```
///
/// The message holds every cause (an I/O error's text included); the error has no
/// `source()`, so a printer of the cause chain shows each cause once.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// The file (for a file with `include`, the chain: `over.toml over base.toml`).
    pub path: PathBuf,
    /// What is wrong; for a TOML error, its multi-line caret report.
    pub message: String,
}

impl ConfigError {
    /// A TOML error in `path`: the parser's report with its caret snippet when `text` is the
    /// file's own text (`snippet`), else (a merged `include` chain, whose line numbers are
    /// those of no file) only the message.
    pub(crate) fn toml(path: &Path, e: &toml::de::Error, snippet: bool) -> Self {
        let message = if snippet {
            e.to_string().trim_end().to_string()
        } else {
            format!(
                "{} (in the configuration merged from the include chain)",
                e.message().trim_end()
            )
        };
        ConfigError {
            path: path.to_path_buf(),
            message,
        }
    }
}
