//! Symbol rules: option contracts parsed from raw file names (GDFL `NAME+YYMMDD+STRIKE+CE|PE`,
//! Kite weekly symbols), their real Kite tradingsymbol by the domain expiry calendar
//! (kite-connect.md §8.4), and the catalog series of continuous futures files.

use crate::error::CatalogError;
use chrono::NaiveDate;
use domain::calendar::{Expiry, ExpiryCalendar};
use domain::instrument::kite_option_symbol;
use domain::{Decimal, OptionType, Segment};
use std::path::Path;
use std::str::FromStr;

/// An option contract parsed from a raw file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedOption {
    /// The underlying's segment (the name in the file is its option name: `NIFTY`,
    /// `BANKNIFTY`, `SENSEX`).
    pub segment: Segment,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// Strike, index points.
    pub strike: Decimal,
    /// CE or PE.
    pub option_type: OptionType,
}

impl ParsedOption {
    /// The contract's expiry as `expiries` lists it, with its monthly flag; `None` if the
    /// calendar has no expiry of the segment on that date (a wrong file name, or a date
    /// outside the modelled history).
    pub fn listed_expiry(&self, expiries: &ExpiryCalendar) -> Option<Expiry> {
        expiries
            .expiries_in(self.segment, self.expiry, self.expiry)
            .into_iter()
            .next()
    }

    /// The contract's real Kite tradingsymbol (kite-connect.md §8.4): the monthly form
    /// (`NIFTY22NOV18300CE`) if `expiries` flags the expiry as its month's monthly contract,
    /// else the weekly form (`SENSEX2591180500CE`). `None` as for
    /// [`ParsedOption::listed_expiry`].
    pub fn kite_symbol(&self, expiries: &ExpiryCalendar) -> Option<String> {
        let e = self.listed_expiry(expiries)?;
        Some(kite_option_symbol(
            self.segment.option_name(),
            self.expiry,
            e.monthly,
            self.strike,
            self.option_type,
        ))
    }
}

fn split_name(s: &str) -> Option<(Segment, &str, OptionType)> {
    let (body, ot) = if let Some(b) = s.strip_suffix("CE") {
        (b, OptionType::CE)
    } else if let Some(b) = s.strip_suffix("PE") {
        (b, OptionType::PE)
    } else {
        return None;
    };
    let n = body.find(|c: char| c.is_ascii_digit())?;
    let (name, rest) = body.split_at(n);
    let segment = Segment::ALL.into_iter().find(|s| s.option_name() == name)?;
    Some((segment, rest, ot))
}

fn parse_strike(digits: &str) -> Option<Decimal> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Decimal::from_str(digits).ok()
}

/// Parse the GDFL-style file names of `nfo-ticks-2022-11-18/options/`:
/// `{NAME}{YYMMDD}{STRIKE}{CE|PE}`, e.g. `NIFTY22112418300CE` = NIFTY, 2022-11-24, 18300, CE.
/// (Not a Kite symbol: Kite writes the month as one character, and monthly contracts as
/// `NIFTY22NOV18300CE`.)
pub fn parse_yymmdd_option(s: &str) -> Option<ParsedOption> {
    let (segment, rest, option_type) = split_name(s)?;
    if rest.len() < 7 {
        return None;
    }
    let (ymd, strike) = rest.split_at(6);
    let expiry = NaiveDate::parse_from_str(&format!("20{ymd}"), "%Y%m%d").ok()?;
    Some(ParsedOption {
        segment,
        expiry,
        strike: parse_strike(strike)?,
        option_type,
    })
}

/// Parse a Kite weekly option symbol `{NAME}{YY}{M}{DD}{STRIKE}{CE|PE}` (M = `1`–`9`, `O`,
/// `N`, `D`), e.g. `SENSEX2591180500CE` = SENSEX, 2025-09-11, 80500, CE.
pub fn parse_kite_weekly_option(s: &str) -> Option<ParsedOption> {
    let (segment, rest, option_type) = split_name(s)?;
    let b = rest.as_bytes();
    if b.len() < 6 {
        return None;
    }
    let yy: i32 = rest.get(0..2)?.parse().ok()?;
    let month = match b[2] {
        c @ b'1'..=b'9' => u32::from(c - b'0'),
        b'O' => 10,
        b'N' => 11,
        b'D' => 12,
        _ => return None,
    };
    let dd: u32 = rest.get(3..5)?.parse().ok()?;
    let expiry = NaiveDate::from_ymd_opt(2000 + yy, month, dd)?;
    Some(ParsedOption {
        segment,
        expiry,
        strike: parse_strike(rest.get(5..)?)?,
        option_type,
    })
}

/// Catalog series of a continuous futures file of `nfo-ticks-2022-11-18/futures/`:
/// `NIFTY-I` → `NIFTY-FUT` (near month), `NIFTY-II` → `NIFTY-FUT2` (next month),
/// `NIFTY-III` → `NIFTY-FUT3`.
pub fn futures_series(stem: &str) -> Option<String> {
    let (name, roman) = stem.rsplit_once('-')?;
    let n = match roman {
        "I" => "",
        "II" => "2",
        "III" => "3",
        _ => return None,
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    Some(format!("{name}-FUT{n}"))
}

/// The Kite symbol of `opt`, parsed from the name of `path`, or an error naming the file.
pub(super) fn kite_symbol_of(
    opt: &ParsedOption,
    expiries: &ExpiryCalendar,
    path: &Path,
) -> Result<(String, bool), CatalogError> {
    match (opt.listed_expiry(expiries), opt.kite_symbol(expiries)) {
        (Some(e), Some(symbol)) => Ok((symbol, e.monthly)),
        _ => Err(CatalogError::File {
            path: path.to_path_buf(),
            message: format!(
                "{} is not a {} expiry by the domain expiry calendar",
                opt.expiry, opt.segment
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn nfo_2022_file_names_become_kite_monthly_symbols() {
        let cal = ExpiryCalendar::builtin();
        let o = parse_yymmdd_option("NIFTY22112418300CE").unwrap();
        assert_eq!(o.segment, Segment::Nifty);
        assert_eq!(o.expiry, d(2022, 11, 24));
        assert_eq!(o.strike, dec!(18300));
        assert_eq!(o.option_type, OptionType::CE);
        assert!(
            o.listed_expiry(&cal).unwrap().monthly,
            "2022-11-24 is Nov 2022's last Thursday"
        );
        assert_eq!(o.kite_symbol(&cal).unwrap(), "NIFTY22NOV18300CE");
        let b = parse_yymmdd_option("BANKNIFTY22112441500PE").unwrap();
        assert_eq!(b.kite_symbol(&cal).unwrap(), "BANKNIFTY22NOV41500PE");
        assert_eq!(
            parse_yymmdd_option("NIFTY22112417850PE")
                .unwrap()
                .kite_symbol(&cal)
                .unwrap(),
            "NIFTY22NOV17850PE"
        );
        assert!(parse_yymmdd_option("NIFTY-I").is_none());
        assert!(parse_yymmdd_option("NIFTY22133118300CE").is_none());
        assert!(
            parse_yymmdd_option("FINNIFTY22112218300CE").is_none(),
            "not a traded segment"
        );
        // A Wednesday is no NIFTY expiry in Nov 2022: no symbol rather than a guessed one.
        let wed = parse_yymmdd_option("NIFTY22112318300CE").unwrap();
        assert_eq!(wed.kite_symbol(&cal), None);
    }

    #[test]
    fn sensex_2025_09_11_is_a_weekly_expiry() {
        let cal = ExpiryCalendar::builtin();
        let o = parse_kite_weekly_option("SENSEX2591180500CE").unwrap();
        assert_eq!(o.expiry, d(2025, 9, 11));
        assert_eq!(o.strike, dec!(80500));
        assert!(!o.listed_expiry(&cal).unwrap().monthly);
        assert_eq!(
            cal.monthly_expiry(Segment::Sensex, 2025, 9),
            Some(d(2025, 9, 25))
        );
        assert_eq!(o.kite_symbol(&cal).unwrap(), "SENSEX2591180500CE");
        // October/November/December month letters
        let n = parse_kite_weekly_option("NIFTY22N1718300PE").unwrap();
        assert_eq!(n.expiry, d(2022, 11, 17));
        assert_eq!(n.kite_symbol(&cal).unwrap(), "NIFTY22N1718300PE");
        assert!(parse_kite_weekly_option("SENSEX25X1180500CE").is_none());
    }

    #[test]
    fn futures_names() {
        assert_eq!(futures_series("NIFTY-I").as_deref(), Some("NIFTY-FUT"));
        assert_eq!(
            futures_series("BANKNIFTY-II").as_deref(),
            Some("BANKNIFTY-FUT2")
        );
        assert_eq!(futures_series("NIFTY"), None);
    }
}
