//! # cli-error — one error line for a terminal
//!
//! One job: render an error and its `source()` chain as the text a command-line tool prints
//! after its name (`replay`, `convert`, `login`, `paper`/`live`), each distinct cause once.
//!
//! Many errors print their source inside their own message (`thiserror`'s
//! `#[error("... {0}")]` over a `#[from]` field, `anyhow`'s context over a message that
//! already names it); walking the chain naively then repeats that text. [`one_cause_each`]
//! joins the chain with `": "` and skips a cause whose text the line so far already shows.
//! A multi-line cause (a TOML error with its caret snippet) keeps its lines; trailing
//! whitespace of each cause is trimmed.
//!
//! ```
//! #[derive(Debug)]
//! struct Outer(std::io::Error);
//! impl std::fmt::Display for Outer {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         write!(f, "config.toml: {}", self.0) // shows its source itself
//!     }
//! }
//! impl std::error::Error for Outer {
//!     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
//!         Some(&self.0)
//!     }
//! }
//! let e = Outer(std::io::Error::other("permission denied"));
//! assert_eq!(cli_error::one_cause_each(&e), "config.toml: permission denied");
//! ```
//!
//! With `anyhow`, pass the error as a `dyn Error`: `one_cause_each(err.as_ref())`.

use std::error::Error;

/// `e` and its `source()` chain joined by `": "`, each distinct cause once.
///
/// A cause is skipped when its text (trailing whitespace trimmed) already appears in the line
/// built so far, i.e. an outer error already printed it; an empty cause is skipped too. Text
/// is kept as each error displays it otherwise, so a multi-line cause keeps its lines. Never
/// fails; the chain is walked to its end (a `source()` chain is finite by contract).
pub fn one_cause_each(e: &(dyn Error + 'static)) -> String {
    let mut out = String::new();
    let mut next = Some(e);
    while let Some(cause) = next {
        let text = cause.to_string();
        let text = text.trim_end();
        if !out.contains(text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    /// An error with a message and an optional source; `shows_source` makes its Display
    /// repeat the source's text (as a `thiserror` `{0}` message does).
    #[derive(Debug)]
    struct E {
        msg: &'static str,
        shows_source: bool,
        source: Option<Box<E>>,
    }

    impl fmt::Display for E {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.msg)?;
            match &self.source {
                Some(s) if self.shows_source => write!(f, ": {s}"),
                _ => Ok(()),
            }
        }
    }

    impl Error for E {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.source.as_deref().map(|s| s as &(dyn Error + 'static))
        }
    }

    fn e(msg: &'static str, shows_source: bool, source: Option<E>) -> E {
        E {
            msg,
            shows_source,
            source: source.map(Box::new),
        }
    }

    #[test]
    fn a_cause_the_message_already_shows_prints_once() {
        let inner = e("No such file or directory (os error 2)", false, None);
        let outer = e("reading config.toml", true, Some(inner));
        assert_eq!(
            outer.to_string(),
            "reading config.toml: No such file or directory (os error 2)"
        );
        assert_eq!(
            one_cause_each(&outer),
            "reading config.toml: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn distinct_causes_all_print_in_order() {
        let root = e("connection refused", false, None);
        let mid = e("GET /user/margins", false, Some(root));
        let top = e("kite session check failed", false, Some(mid));
        assert_eq!(
            one_cause_each(&top),
            "kite session check failed: GET /user/margins: connection refused"
        );
        // a single error is just its message
        assert_eq!(one_cause_each(&e("bad --date", false, None)), "bad --date");
    }

    #[test]
    fn a_repeat_deeper_in_the_chain_is_skipped_but_later_causes_are_kept() {
        // the middle error repeats its source; the top one does not
        let root = e("invalid decimal \"23x1\"", false, None);
        let mid = e("NIFTY/2024-06-03.csv:17: field `high`", true, Some(root));
        let top = e("loading day 2024-06-03", false, Some(mid));
        assert_eq!(
            one_cause_each(&top),
            "loading day 2024-06-03: NIFTY/2024-06-03.csv:17: field `high`: invalid decimal \"23x1\""
        );
    }

    #[test]
    fn anyhow_context_chain_prints_each_cause_once() {
        let io = std::io::Error::other("permission denied");
        let err = anyhow::Error::new(io)
            .context("writing journal/trades.csv")
            .context("replay 2024-06-03");
        assert_eq!(
            one_cause_each(err.as_ref()),
            "replay 2024-06-03: writing journal/trades.csv: permission denied"
        );
        // context that already names its cause
        let err = anyhow::Error::new(std::io::Error::other("permission denied"))
            .context("writing trades.csv: permission denied");
        assert_eq!(
            one_cause_each(err.as_ref()),
            "writing trades.csv: permission denied"
        );
    }

    #[test]
    fn toml_caret_snippet_keeps_its_lines() {
        let toml_err = toml::from_str::<toml::Table>("[engine]\nlots = \n").unwrap_err();
        let snippet = toml_err.to_string();
        assert!(snippet.contains('\n') && snippet.contains('^'), "{snippet}");
        let err = anyhow::Error::new(toml_err).context("config/kestrel.toml");
        let line = one_cause_each(err.as_ref());
        assert_eq!(line, format!("config/kestrel.toml: {}", snippet.trim_end()));
        assert!(line.lines().count() >= 3, "{line}");
        assert!(
            line.lines()
                .any(|l| l.trim_start().starts_with('|') && l.contains('^'))
        );
    }
}
