//! Constructor errors.

use std::fmt;

/// A period (window length) outside what an indicator accepts, reported by the `try_new`
/// constructors (the `new` constructors panic with the same message instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodError {
    /// The indicator, e.g. `"Sma"`.
    pub indicator: &'static str,
    /// The parameter, e.g. `"period"` or `"slow_period"`.
    pub parameter: &'static str,
    /// The value given.
    pub value: usize,
    /// The smallest value accepted.
    pub min: usize,
}

impl PeriodError {
    /// `Ok(value)` if `value >= min`, else the error naming `indicator` and `parameter`.
    pub(crate) fn check(
        indicator: &'static str,
        parameter: &'static str,
        value: usize,
        min: usize,
    ) -> Result<usize, PeriodError> {
        if value >= min {
            Ok(value)
        } else {
            Err(PeriodError {
                indicator,
                parameter,
                value,
                min,
            })
        }
    }
}

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} must be at least {}, got {}",
            self.indicator, self.parameter, self.min, self.value
        )
    }
}

impl std::error::Error for PeriodError {}

/// Unwraps a `try_new` result in a `new` constructor, panicking with the error's message.
pub(crate) fn or_panic<T>(result: Result<T, PeriodError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{error}"),
    }
}
