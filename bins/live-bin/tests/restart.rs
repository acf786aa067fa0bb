//! Crash-restart acceptance (issue 10 "Done when", spec §10.2, §10.3, §11): the real
//! `live-bin` binary trades 2024-06-03 against an in-process `kite-sim` (paced, holding its
//! clock while nobody listens), is SIGKILLed at points read from the simulator's book and clock,
//! and is started again with the same command. Afterwards the simulator's book has no duplicate
//! tag, every option bought was sold, and `trades.csv` equals the replay of the day.
//!
//! Kill points come from what the simulator shows (its order book and clock), never from the
//! engine's own output; waits poll the book every few ms, bounded by a simulated-clock deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod restart_support;

use chrono::{NaiveTime, TimeDelta};
use domain::{ExitReason, Side, Trade};
use kite_sim::{Fault, SimOrder};
use restart_support::*;
use std::time::Duration;

/// Where the chained run of `killed_ten_times_trades_like_replay` kills live-bin. `trade` is
/// an index into the replay's trades sorted by entry time.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// The simulator's clock reaches this time (HH:MM).
    At(&'static str),
    /// A new BUY of the trade's option appears in the book. `delayed`: the placement's HTTP
    /// answer is held back 3 s (`Fault::DelayPlacement`, injected when the stage begins, the
    /// trade's entry being the next placement of the day), so live-bin cannot have seen the
    /// order id or the fill when it dies.
    EntryPlaced { trade: usize, delayed: bool },
    /// The trade's entry is COMPLETE in the book and no SELL of that option exists yet.
    Open { trade: usize },
    /// A SELL of the trade's option appears in the book (exit decided, fill not yet known to
    /// the engine when `delayed`, as above).
    ExitPlaced { trade: usize, delayed: bool },
}

/// The plan over the replay of 2024-06-03 with `config/default.toml` (9 trades, one lot each,
/// pyramiding off in the default config so no pyramid add exists that day):
/// T0 NIFTY PE 09:45→09:48:30, T1 BANKNIFTY CE 10:00→10:03:30, T2 NIFTY CE 10:10→10:36:30,
/// T3 BANKNIFTY CE 10:30→10:30:30, T4 BANKNIFTY PE 10:40→10:46:30, T5 BANKNIFTY CE
/// 11:00→11:03:30, T6 NIFTY CE 11:10→13:40:30, T7 BANKNIFTY PE 11:35→11:36:30, T8 NIFTY CE
/// 13:55→15:15 (EOD). A `delayed` stage is only used where its order is the next placement.
const PLAN: [KillPoint; 14] = [
    KillPoint::At("09:30"),
    KillPoint::EntryPlaced {
        trade: 0,
        delayed: true,
    },
    KillPoint::Open { trade: 0 },
    KillPoint::ExitPlaced {
        trade: 0,
        delayed: true,
    },
    KillPoint::EntryPlaced {
        trade: 1,
        delayed: false,
    },
    KillPoint::Open { trade: 2 },
    KillPoint::ExitPlaced {
        trade: 3,
        delayed: false,
    },
    KillPoint::At("10:50"),
    KillPoint::EntryPlaced {
        trade: 5,
        delayed: true,
    },
    KillPoint::ExitPlaced {
        trade: 5,
        delayed: true,
    },
    KillPoint::Open { trade: 7 },
    KillPoint::At("12:30"),
    KillPoint::Open { trade: 8 },
    KillPoint::ExitPlaced {
        trade: 8,
        delayed: true,
    },
];

/// The delayed answer of a placement: long enough that the kill (a few ms after the order
/// shows in the book) always comes first, shorter than the 7 s request timeout.
const DELAY: Duration = Duration::from_secs(3);

fn plus(t: NaiveTime, minutes: i64) -> NaiveTime {
    let (t2, wrap) = t.overflowing_add_signed(TimeDelta::minutes(minutes));
    if wrap != 0 { hm("23:59") } else { t2 }
}

fn entry_complete(book: &[SimOrder], symbol: &str) -> bool {
    of(book, symbol, Side::Buy)
        .iter()
        .any(|o| o.status == "COMPLETE")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_ten_times_trades_like_replay() {
    let started = std::time::Instant::now();
    let replay = replay_trades().await;
    assert!(
        replay.len() >= 9,
        "the plan needs the 9 trades of the replay, got {}",
        replay.len()
    );
    assert!(
        replay.iter().all(|t| t.lots == 1),
        "the replay now pyramids: add an after-the-add kill point to the plan"
    );
    let mut h = Harness::start("").await;
    h.launch(&[]);
    let mut misses = Vec::new();
    for (n, point) in PLAN.iter().enumerate() {
        let n = n + 1;
        let before = h.book();
        let injected_at = match point {
            KillPoint::EntryPlaced { delayed: true, .. }
            | KillPoint::ExitPlaced { delayed: true, .. } => {
                h.sim.inject(Fault::DelayPlacement {
                    delay: DELAY,
                    count: 1,
                });
                Some(before.len())
            }
            _ => None,
        };
        let (what, until, hit) = match *point {
            KillPoint::At(t) => {
                let t = hm(t);
                let what = format!("clock {t}");
                let hit = h
                    .wait_for(&what, hm("15:30"), |h| (h.clock() >= t).then_some(()))
                    .await;
                (what, t, hit.map(|_| None))
            }
            KillPoint::EntryPlaced { trade, .. } => {
                let sym = replay[trade].option_symbol.clone();
                let had = of(&before, &sym, Side::Buy).len();
                let what = format!("BUY of {sym} (T{trade}) placed");
                let until = plus(replay[trade].entry_time.time(), 5);
                let hit = h
                    .wait_for(&what, until, |h| {
                        let book = h.book();
                        let buys = of(&book, &sym, Side::Buy);
                        (buys.len() > had).then(|| buys.last().map(|o| o.order_id.clone()))
                    })
                    .await;
                (what, until, hit)
            }
            KillPoint::Open { trade } => {
                let sym = replay[trade].option_symbol.clone();
                let what = format!("position in {sym} (T{trade}) open");
                let until = replay[trade].exit_time.time();
                let hit = h
                    .wait_for(&what, until, |h| {
                        let book = h.book();
                        (entry_complete(&book, &sym) && of(&book, &sym, Side::Sell).is_empty())
                            .then_some(None)
                    })
                    .await;
                (what, until, hit)
            }
            KillPoint::ExitPlaced { trade, .. } => {
                let sym = replay[trade].option_symbol.clone();
                let had = of(&before, &sym, Side::Sell).len();
                let what = format!("SELL of {sym} (T{trade}) placed");
                let until = plus(replay[trade].exit_time.time(), 5);
                let hit = h
                    .wait_for(&what, until, |h| {
                        let book = h.book();
                        let sells = of(&book, &sym, Side::Sell);
                        (sells.len() > had).then(|| sells.last().map(|o| o.order_id.clone()))
                    })
                    .await;
                (what, until, hit)
            }
        };
        match hit {
            Ok(awaited) => {
                h.kill_and_restart(&format!("kill point {n}: {what}"));
                if let (Some(i), Some(id)) = (injected_at, awaited) {
                    let first = h.book().get(i).map(|o| o.order_id.clone());
                    if first.as_ref() != Some(&id) {
                        h.notes.push(format!(
                            "kill point {n}: the delayed placement was {first:?}, not {id}"
                        ));
                    }
                }
            }
            Err(()) => {
                misses.push(format!(
                    "kill point {n} ({what}) not reached by sim {until}"
                ));
                h.notes.push(format!("kill point {n}: MISSED ({what})"));
            }
        }
    }
    h.wait_exit_ok().await;

    let book = h.book();
    let mut failures = Vec::new();
    let dup = duplicate_tags(&book);
    if !dup.is_empty() {
        failures.push(format!("duplicate tags in the simulator's book: {dup:?}"));
    }
    let open = open_quantities(&book);
    if !open.is_empty() {
        failures.push(format!(
            "filled BUY − SELL units not 0 per tradingsymbol: {open:?}"
        ));
    }
    let (got, want) = (keys(&h.trades()), keys(&replay));
    if got != want {
        failures.push(format!(
            "trades.csv differs from the replay\n  live:   {got:#?}\n  replay: {want:#?}"
        ));
    }
    failures.extend(misses);
    eprintln!(
        "killed_ten_times_trades_like_replay: {} starts, wall {:?}",
        h.starts(),
        started.elapsed()
    );
    if !failures.is_empty() {
        h.fail(&failures.join("\n"));
    }
    eprintln!("{}", h.notes.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protective_stop_fills_while_down() {
    let started = std::time::Instant::now();
    let mut h = Harness::start("[kite.protective_stop]\nenabled = true\n").await;
    h.launch(&[]);
    // A protective SL (or SL-M) SELL resting for a filled entry.
    let (sl_id, sym) = h
        .expect(
            "protective stop resting for an open position",
            hm("15:00"),
            |h| {
                let book = h.book();
                book.iter()
                    .find(|o| {
                        o.side == Side::Sell
                            && (o.order_type == "SL" || o.order_type == "SL-M")
                            && (o.status == "TRIGGER PENDING" || o.status == "OPEN")
                            && entry_complete(&book, &o.tradingsymbol)
                    })
                    .map(|o| (o.order_id.clone(), o.tradingsymbol.clone()))
            },
        )
        .await;
    h.kill(&format!("protective stop {sl_id} rests for {sym}"));
    // Nobody listens: advance the simulator a few minutes at a time until the stop fills.
    loop {
        let book = h.book();
        let sl = book.iter().find(|o| o.order_id == sl_id).expect("SL order");
        if sl.status == "COMPLETE" {
            break;
        }
        let now = h.clock();
        if now >= hm("15:30") || h.sim.status().finished {
            h.fail(&format!(
                "the protective stop {sl_id} of {sym} never triggered (status {})",
                sl.status
            ));
        }
        let target = plus(now, 3).min(hm("15:30"));
        let body = format!("{{\"until\":\"{}\"}}", target.format("%H:%M:%S"));
        let (status, text) = h
            .http("POST", "/sim/advance", "application/json", &body, false)
            .await;
        if status != 200 {
            h.fail(&format!("POST /sim/advance {body}: HTTP {status} {text}"));
        }
        h.wait_sim(target).await;
    }
    h.notes
        .push(format!("stop {sl_id} of {sym} filled at sim {}", h.clock()));
    h.restart();
    h.wait_exit_ok().await;

    let book = h.book();
    let mut failures = Vec::new();
    let sells: Vec<&SimOrder> = of(&book, &sym, Side::Sell);
    let sell_ids: Vec<&str> = sells.iter().map(|o| o.order_id.as_str()).collect();
    if sell_ids != [sl_id.as_str()] {
        failures.push(format!(
            "{sym}: the protective stop {sl_id} must be its only SELL, got {sell_ids:?}"
        ));
    }
    let filled: Vec<&&SimOrder> = sells.iter().filter(|o| o.filled_quantity > 0).collect();
    if filled.len() != 1 {
        failures.push(format!(
            "{sym}: {} filled SELL orders, want exactly 1",
            filled.len()
        ));
    }
    let trades: Vec<Trade> = h
        .trades()
        .into_iter()
        .filter(|t| t.option_symbol == sym)
        .collect();
    if trades.len() != 1 || trades[0].exit_reason != ExitReason::BrokerStop {
        failures.push(format!(
            "{sym}: want one trade with exit reason BROKER_SL in trades.csv, got {:?}",
            trades
                .iter()
                .map(|t| t.exit_reason.code())
                .collect::<Vec<_>>()
        ));
    }
    let dup = duplicate_tags(&book);
    if !dup.is_empty() {
        failures.push(format!("duplicate tags: {dup:?}"));
    }
    let open = open_quantities(&book);
    if !open.is_empty() {
        failures.push(format!("positions left at the broker: {open:?}"));
    }
    eprintln!(
        "protective_stop_fills_while_down: wall {:?}",
        started.elapsed()
    );
    if !failures.is_empty() {
        h.fail(&failures.join("\n"));
    }
    eprintln!("{}", h.notes.join("\n"));
}

/// An in-the-money NIFTY call of the nearest expiry that the replay never trades, and its lot
/// size, from the simulator's instruments dump and its NIFTY quote.
async fn itm_nifty_call(h: &Harness, replay: &[Trade]) -> (String, u32) {
    let (status, body) = h
        .http("GET", "/quote/ltp?i=NSE:NIFTY%2050", "text/plain", "", true)
        .await;
    assert_eq!(status, 200, "quote: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("quote JSON");
    let spot = v["data"]["NSE:NIFTY 50"]["last_price"]
        .as_f64()
        .unwrap_or_else(|| panic!("no NIFTY LTP in {body}"));
    let (status, dump) = h
        .http("GET", "/instruments/NFO", "text/plain", "", true)
        .await;
    assert_eq!(status, 200, "instruments");
    let mut rows: Vec<(String, String, f64, u32)> = csv::Reader::from_reader(dump.as_bytes())
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| r.expect("instruments row"))
        .filter(|r| r["name"] == "NIFTY" && r["instrument_type"] == "CE")
        .map(|r| {
            (
                r["expiry"].clone(),
                r["tradingsymbol"].clone(),
                r["strike"].parse().expect("strike"),
                r["lot_size"].parse().expect("lot size"),
            )
        })
        .filter(|(_, sym, strike, _)| {
            *strike <= spot - 200.0 && replay.iter().all(|t| &t.option_symbol != sym)
        })
        .collect();
    let nearest = rows.iter().map(|r| r.0.clone()).min().expect("a NIFTY CE");
    rows.retain(|r| r.0 == nearest);
    rows.sort_by(|a, b| a.2.total_cmp(&b.2));
    let (_, sym, _, lot) = rows.pop().expect("an ITM NIFTY CE");
    (sym, lot)
}

/// Buy one lot of `sym` at the simulator with no tag (someone else's order, kite-connect.md
/// §3.2/§3.3) and wait until it is COMPLETE.
async fn place_untagged_buy(h: &mut Harness, sym: &str, lot: u32) {
    let form = format!(
        "tradingsymbol={sym}&exchange=NFO&transaction_type=BUY&order_type=MARKET&quantity={lot}&product=MIS&validity=DAY"
    );
    let (status, body) = h
        .http(
            "POST",
            "/orders/regular",
            "application/x-www-form-urlencoded",
            &form,
            true,
        )
        .await;
    assert_eq!(status, 200, "placing the untagged BUY: {body}");
    let sym = sym.to_string();
    h.expect("the untagged BUY filled", hm("15:30"), |h| {
        entry_complete(&h.book(), &sym).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_position_blocks_entries_until_resolved() {
    let started = std::time::Instant::now();
    let replay = replay_trades().await;
    let first_entry = replay[0].entry_time.time();
    let mut h = Harness::start("").await;
    let (sym, lot) = itm_nifty_call(&h, &replay).await;
    place_untagged_buy(&mut h, &sym, lot).await;
    h.notes
        .push(format!("unknown position: {lot} × {sym} (no tag)"));

    // Blocked: no engine order for some stream minutes that include replay entries.
    h.launch(&[]);
    let watch_until = plus(first_entry, 20);
    let early = h
        .wait_for("an engine order while blocked", watch_until, |h| {
            h.book().iter().find(|o| is_engine(o)).map(|o| {
                format!(
                    "{} {:?} {}",
                    o.tag.clone().unwrap_or_default(),
                    o.side,
                    o.tradingsymbol
                )
            })
        })
        .await;
    let critical = h
        .events()
        .into_iter()
        .any(|(kind, msg)| kind == "critical" && msg.contains(&sym));
    let mut failures = Vec::new();
    if let Ok(order) = early {
        failures.push(format!(
            "entries not blocked by the unknown {sym}: engine order {order} at sim {}",
            h.clock()
        ));
    }
    if !critical {
        failures.push(format!("no critical event naming {sym} in events.csv"));
    }
    if !failures.is_empty() {
        h.fail(&failures.join("\n"));
    }

    // Resolve by flattening: the unknown position is sold, then the engine trades again.
    h.kill("blocked by the unknown position");
    let known = ids(&h.book());
    h.launch(&["--resolve-unknown", "flatten"]);
    let s = sym.clone();
    h.expect("the unknown position flattened", plus(h.clock(), 30), |h| {
        (!open_quantities(&h.book()).contains_key(&s)).then_some(())
    })
    .await;
    h.expect("an engine BUY after the flatten", hm("15:00"), |h| {
        h.book()
            .iter()
            .any(|o| is_engine(o) && o.side == Side::Buy && !known.contains(&o.order_id))
            .then_some(())
    })
    .await;
    h.wait_exit_ok().await;
    let book = h.book();
    let dup = duplicate_tags(&book);
    let open = open_quantities(&book);
    eprintln!(
        "unknown_position_blocks_entries_until_resolved: wall {:?}",
        started.elapsed()
    );
    if !dup.is_empty() || !open.is_empty() {
        h.fail(&format!("duplicate tags {dup:?}, open positions {open:?}"));
    }
    eprintln!("{}", h.notes.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_position_adopted_is_closed_by_eod() {
    let started = std::time::Instant::now();
    let replay = replay_trades().await;
    let mut h = Harness::start("").await;
    let (sym, lot) = itm_nifty_call(&h, &replay).await;
    place_untagged_buy(&mut h, &sym, lot).await;
    h.launch(&["--resolve-unknown", "adopt"]);
    // No block: the engine places entries.
    h.expect(
        "an engine BUY (adopting does not block)",
        hm("15:00"),
        |h| {
            h.book()
                .iter()
                .any(|o| is_engine(o) && o.side == Side::Buy)
                .then_some(())
        },
    )
    .await;
    h.wait_exit_ok().await;
    let book = h.book();
    let mut failures = Vec::new();
    let sells = of(&book, &sym, Side::Sell);
    if !sells.iter().all(|o| is_engine(o)) || sells.is_empty() {
        failures.push(format!(
            "the adopted {sym} must be sold by the engine (K tag): {:?}",
            sells.iter().map(|o| o.tag.clone()).collect::<Vec<_>>()
        ));
    }
    let open = open_quantities(&book);
    if !open.is_empty() {
        failures.push(format!("positions left at the broker: {open:?}"));
    }
    let dup = duplicate_tags(&book);
    if !dup.is_empty() {
        failures.push(format!("duplicate tags: {dup:?}"));
    }
    eprintln!(
        "unknown_position_adopted_is_closed_by_eod: wall {:?}",
        started.elapsed()
    );
    if !failures.is_empty() {
        h.fail(&failures.join("\n"));
    }
}
