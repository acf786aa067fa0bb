//! Message texts: an engine event, a completed trade, the day's summary and the command
//! replies. Plain text (no parse mode); ₹ amounts are the engine's `Decimal`s printed as the
//! journal prints them; times are IST `HH:MM:SS` (the engine's clock, not the wall clock).
//!
//! Which event says what (engine `EngineEvent`, its `data`):
//! - entry: `entry` (signal, tradingsymbol, quantity, index, SL, TSL); the premium is the fill's,
//!   from the snapshot's position (see `notify`); a future or a scanned stock's share (strike
//!   0) reads `LONG`/`SHORT` at its price, in the exit too;
//! - exit: the completed [`Trade`] of the snapshot (reason, quantity, premiums, net P&L, as
//!   `trades.csv`), since the `exit` event is the decision, before the fill;
//! - `pyramid_add`, `risk` (BLOCK/REDUCE normal, HALT critical), `lock`;
//! - failures, critical: `order_error`, `broker_error`, `entry_failed`, `pyramid_failed`,
//!   `critical` (session invalid, reconciliation mismatch, feed stopped, exits failing);
//! - low: `feed`, `kill_switch`, `operator`, `warning`, `session` lines other than the day's
//!   start (normal) and end (the summary).

use crate::outbox::{Message, Priority};
use domain::Trade;
use domain::time::IstDateTime;
use engine::control::Snapshot;
use engine::{EngineEvent, EventRecord};
use rust_decimal::Decimal;
use serde_json::Value;

/// `HH:MM:SS` IST.
pub fn hms(t: &IstDateTime) -> String {
    t.format("%H:%M:%S").to_string()
}

fn seg(ev: &EventRecord) -> String {
    ev.segment.map_or_else(String::new, |s| format!("{s} "))
}

fn field(data: &Value, key: &str) -> String {
    match &data[key] {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// ₹ with the sign first: `₹1234.50`, `-₹12.00`.
pub fn rupees(v: Decimal) -> String {
    if v.is_sign_negative() && !v.is_zero() {
        format!("-₹{}", -v)
    } else {
        format!("₹{v}")
    }
}

/// The day's session ended: the engine's last `session` event (`day ended: ...`, data with
/// `trades` and `net_pnl`).
pub fn is_day_end(ev: &EventRecord) -> bool {
    ev.event == EngineEvent::Session && ev.data.get("net_pnl").is_some()
}

/// A future's or a share's position (strike 0, issue 15: `instrument = "underlying"` or a
/// scanned stock): a bullish signal opened a long, a bearish one a short.
fn direction(signal: &str) -> &'static str {
    if signal == "BUY_PE" { "SHORT" } else { "LONG" }
}

fn strike_is_zero(d: &Value) -> bool {
    match &d["strike"] {
        Value::String(s) => s.parse::<Decimal>().is_ok_and(|v| v.is_zero()),
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// The entry message: segment, signal, option, quantity, premium (when filled), index, SL, TSL.
/// A future or a share (strike 0) reads `LONG`/`SHORT … at ₹price`, without the index line.
pub fn entry(ev: &EventRecord, premium: Option<Decimal>) -> String {
    let d = &ev.data;
    if let Some(s) = d.get("spread").filter(|s| s.is_object()) {
        // Seed 003's hedged short (spec §4.3): the hedge is bought first, then the short sold.
        return format!(
            "🟢 ENTRY {}{} credit spread: buy hedge {} then sell {} qty {}\nindex {} · {} IST",
            seg(ev),
            field(d, "signal"),
            field(s, "hedge"),
            field(s, "short"),
            field(d, "quantity"),
            field(d, "index"),
            hms(&ev.ts)
        );
    }
    if strike_is_zero(d) {
        let price = premium.map_or_else(|| "price pending".into(), |p| format!("at ₹{p}"));
        return format!(
            "🟢 ENTRY {}{} {} qty {} {price}\nSL {} · TSL {} · {} IST",
            seg(ev),
            direction(&field(d, "signal")),
            field(d, "tradingsymbol"),
            field(d, "quantity"),
            field(d, "sl"),
            field(d, "tsl"),
            hms(&ev.ts)
        );
    }
    let premium = premium.map_or_else(|| "premium pending".into(), |p| format!("premium ₹{p}"));
    format!(
        "🟢 ENTRY {}{} {} qty {} {premium}\nindex {} · SL {} · TSL {} · {} IST",
        seg(ev),
        field(d, "signal"),
        field(d, "tradingsymbol"),
        field(d, "quantity"),
        field(d, "index"),
        field(d, "sl"),
        field(d, "tsl"),
        hms(&ev.ts)
    )
}

/// The exit message of a completed trade (the `trades.csv` row): reason, quantity, premiums,
/// index, net P&L. A future or a share names `LONG`/`SHORT` and its prices only.
pub fn exit(t: &Trade) -> String {
    let icon = if t.net_pnl.is_sign_negative() && !t.net_pnl.is_zero() {
        "🔴"
    } else {
        "✅"
    };
    if !t.option_type.is_option() {
        return format!(
            "{icon} EXIT {} {} {} {} qty {} ₹{} → ₹{}\nnet P&L {} (gross {}, charges ₹{}) · {} IST",
            t.segment,
            t.exit_reason.code(),
            t.direction(),
            t.option_symbol,
            t.quantity,
            t.entry_price,
            t.exit_price,
            rupees(t.net_pnl),
            rupees(t.pnl_value),
            t.charges,
            hms(&t.exit_time)
        );
    }
    // A hedged short's leg says which side it was (`SELL_PE` sold, `BUY_PE` its hedge).
    let leg = if t.is_short_row() || t.is_hedge_row() {
        format!("{} ", t.direction())
    } else {
        String::new()
    };
    format!(
        "{icon} EXIT {} {} {leg}{} qty {} ₹{} → ₹{}\nindex {} → {} · net P&L {} (gross {}, charges ₹{}) · {} IST",
        t.segment,
        t.exit_reason.code(),
        t.option_symbol,
        t.quantity,
        t.entry_price,
        t.exit_price,
        t.index_entry_spot,
        t.index_exit_spot,
        rupees(t.net_pnl),
        rupees(t.pnl_value),
        t.charges,
        hms(&t.exit_time)
    )
}

/// The message of an engine event, if it is one the trader hears about (entries and the day's
/// end are made elsewhere: [`entry`], [`summary`]).
pub fn event(ev: &EventRecord) -> Option<Message> {
    use EngineEvent as E;
    let d = &ev.data;
    let at = hms(&ev.ts);
    let (priority, text) = match ev.event {
        E::PyramidAdd => (
            Priority::Normal,
            format!(
                "➕ PYRAMID {}add {} units (held {} → {}), stop {} · {at} IST",
                seg(ev),
                field(d, "add"),
                field(d, "held"),
                field(d, "new_quantity"),
                field(d, "stop")
            ),
        ),
        E::Risk if d["decision"] == "HALT" => (
            Priority::Critical,
            format!(
                "⛔ HALT {}: {} · {at} IST",
                field(d, "rule"),
                field(d, "reason")
            ),
        ),
        E::Risk => (
            Priority::Normal,
            format!(
                "🚫 RISK {}{}: {} · {at} IST",
                seg(ev),
                field(d, "decision"),
                ev.message
            ),
        ),
        E::Lock => (
            Priority::Normal,
            format!("🔒 {}{} · {at} IST", seg(ev), ev.message),
        ),
        E::OrderError | E::BrokerError | E::EntryFailed | E::PyramidFailed | E::Critical => (
            Priority::Critical,
            format!(
                "⚠️ {} {}{} · {at} IST",
                ev.event.kind().to_uppercase(),
                seg(ev),
                ev.message
            ),
        ),
        E::Session if is_day_end(ev) => return None,
        E::Session if d.get("strategy").is_some() => {
            (Priority::Normal, format!("▶️ {} · {at} IST", ev.message))
        }
        E::Feed
            if !d["status"]
                .as_str()
                .is_some_and(|s| s.starts_with("Connected")) =>
        {
            (
                Priority::Normal,
                format!("📡 {}{} · {at} IST", seg(ev), ev.message),
            )
        }
        E::SpreadLeg => (
            Priority::Normal,
            format!("🔗 SPREAD {}{} · {at} IST", seg(ev), ev.message),
        ),
        E::Session | E::Feed | E::KillSwitch | E::Operator | E::Warning => (
            Priority::Low,
            format!("{}{} · {at} IST", seg(ev), ev.message),
        ),
        E::Entry
        | E::Exit
        | E::Candle
        | E::Signal
        | E::SignalIgnored
        | E::EntrySkipped
        | E::StopUpdate
        | E::ProtectiveStop => return None,
    };
    Some(Message::new(priority, text))
}

/// "Feed stale": no index tick for `age_secs` seconds while the session runs (the ticker
/// socket's state beside it: `connected` means ticks stopped on a live socket).
pub fn feed_stale(age_secs: f64, socket: &str) -> String {
    format!(
        "⚠️ FEED STALE: no index tick for {age_secs:.0} s (ticker socket {socket}); stops and \
         exits act on stale prices until ticks resume"
    )
}

/// Ticks resumed after a "feed stale" message.
pub fn feed_back() -> String {
    "✅ feed back: index ticks are arriving again".to_string()
}

/// The daily summary from the final snapshot's totals (the page's and `trades.csv`'s numbers).
pub fn summary(s: &Snapshot) -> String {
    let t = &s.totals;
    let mut text = format!(
        "📊 DAY SUMMARY {} {}\ntrades {} · win rate {}%\ngross {} · charges ₹{} · net P&L {}",
        s.mode,
        s.date,
        t.trades,
        t.win_rate_pct,
        rupees(t.gross_pnl),
        t.charges,
        rupees(t.net_pnl)
    );
    for c in &s.segments {
        text.push_str(&format!(
            "\n{}: {} trades, net {}",
            c.segment,
            c.trades,
            rupees(c.net_pnl)
        ));
    }
    if !t.open_pnl.is_zero() {
        text.push_str(&format!("\nopen P&L {}", rupees(t.open_pnl)));
    }
    text
}

/// `/status`: mode, date, engine time, entries allowed or why not, one line per segment.
pub fn status(s: &Snapshot) -> String {
    let now = s.now.as_ref().map_or_else(|| "-".into(), hms);
    let entries = if s.entries_allowed {
        "entries allowed".to_string()
    } else if let Some(h) = &s.halted {
        format!("entries halted: {h}")
    } else if s.paused {
        "paused (kill switch)".to_string()
    } else if s.entries_stopped {
        "entries stopped".to_string()
    } else if let Some(u) = &s.unreconciled {
        format!("entries blocked: {u}")
    } else {
        "entries blocked".to_string()
    };
    let mut text = format!("{} {} · {now} IST · {entries}", s.mode, s.date);
    for c in &s.segments {
        let ltp = c.index_ltp.map_or_else(|| "-".into(), |v| v.to_string());
        // An index's level, or the watched future's or share's price.
        let what = match c.watches {
            "INDEX" => "index",
            "FUTURE" => "future",
            _ => "LTP",
        };
        text.push_str(&format!("\n{} {} · {what} {ltp}", c.segment, c.state));
    }
    text.push_str(&format!("\nnet P&L {}", rupees(s.totals.net_pnl)));
    text
}

/// `/positions`: the open positions.
pub fn positions(s: &Snapshot) -> String {
    let open: Vec<String> = s
        .segments
        .iter()
        .filter_map(|c| c.position.as_ref())
        .map(|p| {
            let opt = |v: Option<Decimal>| v.map_or_else(|| "-".into(), |v| v.to_string());
            // A hedged short: the option sold, then its hedge (spec §4.3).
            let name = match &p.hedge {
                Some(h) => format!("sold {} (hedge {h})", p.option_symbol),
                None => p.option_symbol.clone(),
            };
            format!(
                "{} {} qty {} @ ₹{} · LTP ₹{} · SL {} · TSL {} · open {}{}",
                p.segment,
                name,
                p.quantity,
                opt(p.entry_price),
                opt(p.ltp),
                opt(p.sl),
                opt(p.tsl),
                p.open_pnl.map_or_else(|| "-".into(), rupees),
                if p.closing { " (closing)" } else { "" }
            )
        })
        .collect();
    if open.is_empty() {
        "no open positions".into()
    } else {
        open.join("\n")
    }
}

/// `/pnl`: the day's totals (the same [`engine::control::DayTotals`] as the page).
pub fn pnl(s: &Snapshot) -> String {
    let t = &s.totals;
    format!(
        "net P&L {} (gross {}, charges ₹{}) · open {} · {} trades, win rate {}%",
        rupees(t.net_pnl),
        rupees(t.gross_pnl),
        t.charges,
        rupees(t.open_pnl),
        t.trades,
        t.win_rate_pct
    )
}

/// `/trades`: the day's last ten completed trades.
pub fn trades(s: &Snapshot) -> String {
    if s.trades.is_empty() {
        return "no trades yet".into();
    }
    let skip = s.trades.len().saturating_sub(10);
    let mut lines = vec![format!("{} trades today", s.trades.len())];
    lines.extend(s.trades.iter().skip(skip).map(|t| {
        format!(
            "{} {} {} {} qty {} ₹{} → ₹{} net {}",
            hms(&t.exit_time),
            t.segment,
            t.option_symbol,
            t.exit_reason.code(),
            t.quantity,
            t.entry_price,
            t.exit_price,
            rupees(t.net_pnl)
        )
    }));
    lines.join("\n")
}

#[cfg(test)]
mod feed_tests {
    use super::*;

    #[test]
    fn feed_messages_say_how_long_and_the_socket() {
        let m = feed_stale(42.4, "connected");
        assert!(m.contains("42 s") && m.contains("connected"), "{m}");
        assert!(feed_back().contains("feed back"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Segment;
    use domain::time::ist_hms;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn ev(event: EngineEvent, data: Value, message: &str) -> EventRecord {
        EventRecord {
            ts: ist_hms(
                chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
                9,
                45,
                0,
            ),
            segment: Some(Segment::Nifty),
            event,
            message: message.into(),
            data,
        }
    }

    #[test]
    fn entry_names_option_quantity_premium_index_and_stops() {
        let e = ev(
            EngineEvent::Entry,
            json!({"signal": "BUY_CE", "tradingsymbol": "NIFTY2460623200CE", "quantity": 25,
                   "index": "23210.5", "sl": "23170.5", "tsl": "23180.5"}),
            "x",
        );
        assert_eq!(
            entry(&e, Some(dec!(142.35))),
            "🟢 ENTRY NIFTY BUY_CE NIFTY2460623200CE qty 25 premium ₹142.35\nindex 23210.5 · SL 23170.5 · TSL 23180.5 · 09:45:00 IST"
        );
        assert!(entry(&e, None).contains("premium pending"));
    }

    /// Seed 003's hedged short: the entry names both legs in their order.
    #[test]
    fn a_spread_entry_names_the_hedge_then_the_short() {
        let e = ev(
            EngineEvent::Entry,
            json!({"signal": "BUY_CE", "tradingsymbol": "NIFTY22NOV18300PE", "quantity": 50,
                   "index": "18292.80", "strike": "18300", "side": "SELL",
                   "spread": {"short": "NIFTY22NOV18300PE", "hedge": "NIFTY22NOV18200PE"}}),
            "x",
        );
        assert_eq!(
            entry(&e, None),
            "🟢 ENTRY NIFTY BUY_CE credit spread: buy hedge NIFTY22NOV18200PE then sell NIFTY22NOV18300PE qty 50\nindex 18292.80 · 09:45:00 IST"
        );
    }

    /// A scanned stock's short (seed 001): no premium, no index line.
    #[test]
    fn a_share_entry_reads_long_or_short_at_its_price() {
        let mut e = ev(
            EngineEvent::Entry,
            json!({"signal": "BUY_PE", "tradingsymbol": "RELIANCE", "quantity": 243,
                   "index": "1232.90", "sl": "1240.10", "tsl": "1240.10", "strike": "0"}),
            "x",
        );
        e.segment = Some("RELIANCE".parse().unwrap());
        assert_eq!(
            entry(&e, Some(dec!(1232.85))),
            "🟢 ENTRY RELIANCE SHORT RELIANCE qty 243 at ₹1232.85\nSL 1240.10 · TSL 1240.10 · 09:45:00 IST"
        );
        assert!(entry(&e, None).contains("price pending"));
        e.data["signal"] = json!("BUY_CE");
        assert!(entry(&e, None).contains(" LONG RELIANCE "));
    }

    /// The scanner's RELIANCE short of 2025-01-13 (replay's trade): prices, not premiums.
    #[test]
    fn a_share_exit_reads_short_with_its_prices() {
        let d = chrono::NaiveDate::from_ymd_opt(2025, 1, 13).unwrap();
        let t = Trade {
            trade_id: "RELIANCE-2025-01-13-1".into(),
            mode: "PAPER".into(),
            segment: "RELIANCE".parse().unwrap(),
            index_symbol: "RELIANCE".into(),
            index_entry_spot: dec!(1232.90),
            time_interval: "5m".into(),
            rsi_period: 0,
            signal_type: domain::Signal::BuyPe,
            option_symbol: "RELIANCE".into(),
            option_type: domain::OptionType::EQ,
            strike_price: dec!(0),
            expiry: d,
            lots: 243,
            quantity: 243,
            entry_time: domain::time::ist_hms(d, 9, 20, 0),
            entry_price: dec!(1232.85),
            stop_loss_points: dec!(7.2),
            initial_sl_price: dec!(1240.10),
            trailing_stop_points: dec!(7.2),
            exit_time: domain::time::ist_hms(d, 9, 29, 30),
            index_exit_spot: dec!(1235.00),
            exit_price: dec!(1235.05),
            exit_reason: domain::ExitReason::TrailingStop,
            pnl_points: dec!(-2.20),
            pnl_value: dec!(-534.60),
            charges: dec!(153.53),
            net_pnl: dec!(-688.13),
            return_pct: dec!(-0.18),
            max_favorable_excursion: dec!(0),
            max_adverse_excursion: dec!(-2.2),
            premium_source: domain::PremiumSource::Market,
        };
        assert_eq!(
            exit(&t),
            "🔴 EXIT RELIANCE TSL SHORT RELIANCE qty 243 ₹1232.85 → ₹1235.05\nnet P&L -₹688.13 (gross -₹534.60, charges ₹153.53) · 09:29:30 IST"
        );
    }

    #[test]
    fn failures_are_critical_and_noise_is_not_sent() {
        let m = event(&ev(EngineEvent::OrderError, json!({}), "exit rejected")).unwrap();
        assert_eq!(m.priority, Priority::Critical);
        assert_eq!(m.text, "⚠️ ORDER_ERROR NIFTY exit rejected · 09:45:00 IST");
        let halt = ev(
            EngineEvent::Risk,
            json!({"decision": "HALT", "rule": "MAX_DAILY_LOSS", "reason": "net -5000"}),
            "",
        );
        assert_eq!(event(&halt).unwrap().priority, Priority::Critical);
        let block = ev(EngineEvent::Risk, json!({"decision": "BLOCK"}), "block: r");
        assert_eq!(event(&block).unwrap().priority, Priority::Normal);
        for k in [
            EngineEvent::Candle,
            EngineEvent::StopUpdate,
            EngineEvent::Exit,
            EngineEvent::Entry,
        ] {
            assert!(event(&ev(k, json!({}), "")).is_none(), "{k:?}");
        }
        let end = ev(
            EngineEvent::Session,
            json!({"trades": 2, "net_pnl": "10"}),
            "day ended",
        );
        assert!(is_day_end(&end) && event(&end).is_none());
        let op = event(&ev(EngineEvent::Operator, json!({}), "pause")).unwrap();
        assert_eq!(op.priority, Priority::Low);
    }

    #[test]
    fn rupees_put_the_sign_first() {
        assert_eq!(rupees(dec!(-12.50)), "-₹12.50");
        assert_eq!(rupees(dec!(1234.5)), "₹1234.5");
        assert_eq!(rupees(dec!(0)), "₹0");
    }
}
