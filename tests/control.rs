//! Operator commands and the snapshot (spec §12, issue 11) on a shipped day with paper fills:
//! the cards follow the day, close-position closes with reason `MANUAL`, stop-trading blocks
//! the next entry with the rule `entries_stopped` and start-trading lets entries through
//! again, a manual BUY becomes a managed position and a manual SELL closes it, bad orders are
//! refused naming the field, and the equity curve ends at the day's net P&L.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod paper_day;

use broker_paper::{PaperBroker, PaperSettings};
use catalog::replay::CalendarContracts;
use chrono::NaiveDate;
use domain::ports::{ContractError, ContractSource};
use domain::{Decimal, ExitReason, OptionContract, OptionType, Segment, Side};
use engine::control::{Command, CommandError, ManualOrder, ManualOrderType, Snapshot};
use engine::{Engine, EngineEvent};
use paper_day::PaperDay;

/// The calendar's contracts, also found by tradingsymbol (as the instruments dump does in
/// paper and live) for strikes of the day's range.
struct Known(CalendarContracts, NaiveDate);

impl ContractSource for Known {
    fn option_contract(
        &self,
        segment: Segment,
        trade_date: NaiveDate,
        strike: Decimal,
        option_type: OptionType,
        skip_expiry_day: bool,
    ) -> Result<OptionContract, ContractError> {
        self.0
            .option_contract(segment, trade_date, strike, option_type, skip_expiry_day)
    }

    fn by_tradingsymbol(&self, tradingsymbol: &str) -> Option<OptionContract> {
        let (segment, from, to, step) = if tradingsymbol.starts_with("BANKNIFTY") {
            (Segment::BankNifty, 40_000, 60_000, 100)
        } else {
            (Segment::Nifty, 18_000, 28_000, 50)
        };
        (from..to).step_by(step).find_map(|k| {
            [OptionType::CE, OptionType::PE].into_iter().find_map(|t| {
                self.0
                    .option_contract(segment, self.1, Decimal::from(k), t, false)
                    .ok()
                    .filter(|c| c.tradingsymbol == tradingsymbol)
            })
        })
    }
}

struct Run {
    day: PaperDay,
    engine: Engine,
    next: usize,
}

impl Run {
    async fn start() -> Self {
        let day = PaperDay::new().await;
        let broker = PaperBroker::new(
            PaperSettings {
                slippage_ticks: day.ctx.config.paper.slippage_ticks,
            },
            Box::new(day.pricer()),
        );
        let contracts = Known(day.contracts(), day.date);
        let engine = day
            .engine_with(
                Box::new(broker),
                Box::new(contracts),
                &day.catalog_history(),
            )
            .await;
        Self {
            day,
            engine,
            next: 0,
        }
    }

    /// Process events until `until` holds on the snapshot (or the day ends: `false`).
    async fn until(&mut self, mut until: impl FnMut(&Snapshot) -> bool) -> bool {
        while self.next < self.day.events.len() {
            let ev = self.day.events[self.next].clone();
            self.next += 1;
            let end = self.engine.handle(ev).await.unwrap().is_some();
            if until(&self.engine.snapshot()) {
                return true;
            }
            if end {
                return false;
            }
        }
        false
    }

    fn count(&self, kind: EngineEvent) -> usize {
        self.engine
            .events()
            .iter()
            .filter(|e| e.event == kind)
            .count()
    }
}

fn in_position(s: &Snapshot, seg: Segment) -> bool {
    s.segments
        .iter()
        .any(|c| c.segment == seg && c.state == "IN_POSITION" && c.position.is_some())
}

#[tokio::test(flavor = "current_thread")]
async fn operator_commands_drive_a_shipped_day() {
    let mut r = Run::start().await;
    let s = r.engine.snapshot();
    assert_eq!(
        s.segments.iter().map(|c| c.segment).collect::<Vec<_>>(),
        vec![Segment::Nifty, Segment::BankNifty]
    );
    assert!(
        s.segments.iter().all(|c| c.state == "WAITING_FOR_SIGNAL"),
        "{s:?}"
    );
    assert!(s.entries_allowed);

    // The first strategy position: its card is filled in.
    assert!(
        r.until(|s| s.segments.iter().any(|c| c.position.is_some()))
            .await
    );
    let s = r.engine.snapshot();
    let card = s.segments.iter().find(|c| c.position.is_some()).unwrap();
    let seg = card.segment;
    let p = card.position.as_ref().unwrap();
    assert_eq!(card.state, "IN_POSITION");
    assert!(p.option_symbol.starts_with(seg.option_name()), "{p:?}");
    assert!(p.strike > Decimal::ZERO && p.entry_price.is_some(), "{p:?}");
    assert!(p.sl.is_some() && p.tsl.is_some());
    assert_eq!(p.origin, "STRATEGY");
    assert!(
        s.orders
            .iter()
            .any(|o| o.tradingsymbol == p.option_symbol && o.purpose == "ENTRY")
    );

    // Close it by hand: a trade with reason MANUAL.
    let before = r.engine.trades().len();
    let reply = r
        .engine
        .command(Command::ClosePosition { segment: seg })
        .await
        .unwrap();
    assert!(reply.message.contains("closing"), "{reply:?}");
    assert!(r.until(|s| s.trades.len() > before).await);
    let t = r.engine.trades().last().unwrap();
    assert_eq!((t.segment, t.exit_reason), (seg, ExitReason::Manual));
    let again = r
        .engine
        .command(Command::ClosePosition { segment: seg })
        .await;
    assert!(matches!(again, Err(CommandError::NotFound(_))), "{again:?}");

    // Stop entries: the next signal is blocked by the rule entries_stopped.
    r.engine
        .command(Command::StopEntries { close_all: false })
        .await
        .unwrap();
    assert!(r.engine.snapshot().entries_stopped);
    assert!(!r.engine.snapshot().entries_allowed);
    let entries = r.count(EngineEvent::Entry);
    let blocked = |r: &Run| {
        r.engine
            .events()
            .iter()
            .filter(|e| e.data["rule"] == "entries_stopped")
            .count()
    };
    let mut found = false;
    while !found {
        assert!(
            r.until(|_| true).await,
            "the day ended before a blocked signal"
        );
        found = blocked(&r) > 0;
    }
    assert_eq!(
        r.count(EngineEvent::Entry),
        entries,
        "no entry while stopped"
    );

    // Start again: entries go through.
    r.engine.command(Command::StartEntries).await.unwrap();
    assert!(r.engine.snapshot().entries_allowed);
    assert!(
        r.until(|s| s.segments.iter().any(|c| c.position.is_some()))
            .await,
        "no entry after start-trading"
    );
    assert!(r.count(EngineEvent::Entry) > entries);
}

#[tokio::test(flavor = "current_thread")]
async fn manual_orders_open_and_close_a_managed_position() {
    let mut r = Run::start().await;
    // Some NIFTY index ticks first (a manual order needs the index price).
    let mut n = 0;
    assert!(
        r.until(|s| {
            n += 1;
            n > 40 && !in_position(s, Segment::Nifty)
        })
        .await
    );
    let spot = r.engine.snapshot().segments[0].index_ltp.unwrap();
    let strike = (spot / Decimal::from(50)).floor() * Decimal::from(50) - Decimal::from(100);
    let c = Known(r.day.contracts(), r.day.date)
        .option_contract(Segment::Nifty, r.day.date, strike, OptionType::CE, false)
        .unwrap();
    let order = |side, quantity| ManualOrder {
        tradingsymbol: c.tradingsymbol.clone(),
        side,
        quantity,
        order_type: ManualOrderType::Market,
        price: None,
    };

    // Refusals name the field and change nothing.
    let orders = r.engine.snapshot().orders.len();
    let bad = r
        .engine
        .command(Command::PlaceOrder(order(Side::Buy, c.lot_size + 1)))
        .await;
    assert!(
        matches!(&bad, Err(CommandError::Invalid { field, .. }) if field == "quantity"),
        "{bad:?}"
    );
    let mut limit = order(Side::Buy, c.lot_size);
    limit.order_type = ManualOrderType::Limit;
    let bad = r.engine.command(Command::PlaceOrder(limit)).await;
    assert!(
        matches!(&bad, Err(CommandError::Invalid { field, .. }) if field == "price"),
        "{bad:?}"
    );
    let mut unknown = order(Side::Buy, c.lot_size);
    unknown.tradingsymbol = "NIFTY99XYZ".into();
    let bad = r.engine.command(Command::PlaceOrder(unknown)).await;
    assert!(
        matches!(&bad, Err(CommandError::Invalid { field, .. }) if field == "tradingsymbol"),
        "{bad:?}"
    );
    let bad = r
        .engine
        .command(Command::PlaceOrder(order(Side::Sell, c.lot_size)))
        .await;
    assert!(
        matches!(&bad, Err(CommandError::Invalid { field, .. }) if field == "tradingsymbol"),
        "{bad:?}"
    );
    // A test order checks and places nothing.
    let ok = r
        .engine
        .command(Command::TestOrder(order(Side::Buy, c.lot_size)))
        .await
        .unwrap();
    assert!(ok.message.starts_with("test order OK"), "{ok:?}");
    assert!(ok.orders.is_empty());
    assert_eq!(r.engine.snapshot().orders.len(), orders);

    // The kill switch blocks a manual entry like any other (risk rule `paused`).
    r.engine.command(Command::Pause).await.unwrap();
    let bad = r
        .engine
        .command(Command::PlaceOrder(order(Side::Buy, c.lot_size)))
        .await;
    assert!(
        matches!(&bad, Err(CommandError::Risk { rule, .. }) if rule == "paused"),
        "{bad:?}"
    );
    r.engine.command(Command::Resume).await.unwrap();

    // A manual BUY: a managed position, its order shown as MANUAL.
    let reply = r
        .engine
        .command(Command::PlaceOrder(order(Side::Buy, c.lot_size)))
        .await
        .unwrap();
    assert_eq!(reply.orders.len(), 1, "{reply:?}");
    assert_eq!(reply.orders[0].purpose, "MANUAL");
    let s = r.engine.snapshot();
    let p = s.segments[0].position.as_ref().expect("a NIFTY position");
    assert_eq!((p.origin.as_str(), p.quantity), ("MANUAL", c.lot_size));
    assert_eq!(p.option_symbol, c.tradingsymbol);
    assert!(
        r.engine
            .events()
            .iter()
            .any(|e| e.event == EngineEvent::Entry && e.data["origin"] == "MANUAL")
    );

    // A cancel of a filled order is refused; of an unknown one, not found.
    let tag = reply.orders[0].tag.clone();
    let bad = r.engine.command(Command::CancelOrder { id: tag }).await;
    assert!(
        matches!(&bad, Err(CommandError::Invalid { field, .. }) if field == "id"),
        "{bad:?}"
    );
    let bad = r
        .engine
        .command(Command::CancelOrder { id: "X1".into() })
        .await;
    assert!(matches!(bad, Err(CommandError::NotFound(_))), "{bad:?}");

    // A SELL of part of it is refused; of all of it closes the position (MANUAL).
    let bad = r
        .engine
        .command(Command::PlaceOrder(order(Side::Sell, 2 * c.lot_size)))
        .await;
    assert!(
        matches!(&bad, Err(CommandError::Invalid { field, .. }) if field == "quantity"),
        "{bad:?}"
    );
    let before = r.engine.trades().len();
    r.engine
        .command(Command::PlaceOrder(order(Side::Sell, c.lot_size)))
        .await
        .unwrap();
    assert!(r.until(|s| s.trades.len() > before).await);
    let t = r.engine.trades().last().unwrap();
    assert_eq!(t.option_symbol, c.tradingsymbol);
    assert_eq!(t.exit_reason, ExitReason::Manual);

    // The rest of the day: the equity curve ends at the day's net P&L.
    r.until(|_| false).await;
    let s = r.engine.snapshot();
    let net: Decimal = s.trades.iter().map(|t| t.net_pnl).sum();
    assert_eq!(s.totals.net_pnl, net);
    assert_eq!(s.totals.trades as usize, s.trades.len());
    assert_eq!(
        s.equity.last().map(|e| e.equity),
        Some(net),
        "{:?}",
        s.equity.last()
    );
    assert!(s.equity.len() >= 2, "{:?}", s.equity);
    assert!(
        s.equity.windows(2).all(|w| w[0].ts < w[1].ts),
        "one point per minute, in order"
    );
}
