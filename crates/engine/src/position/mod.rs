//! Positions: entry and sizing (this file), the exits ([`exits`]), pyramiding ([`pyramid`]),
//! seed 003's hedged short and its leg order ([`spread`]),
//! the protective stop at the broker ([`protective`]) and the trade rows of closed positions
//! ([`trade`]).

pub mod exits;
pub mod protective;
pub mod pyramid;
pub mod spread;
pub mod trade;

use crate::agent::{PendingSignal, Position};
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::risk_glue::Admission;
use crate::settings::{Instrument, SegmentSettings, Sizing, StopBasis};
use domain::order::OrderPurpose;
use domain::{Decimal, Direction, Side, Tick};
use risk::{IntentKind, OrderIntent};
use rust_decimal_macros::dec;
use serde_json::json;
use strategy::exits::{StopTracker, UnderlyingStops};
use strategy::option_selection::select_contract;

impl Engine {
    /// The feed should carry `contract`'s ticks (marks and the touch): queued for
    /// [`Engine::take_subscriptions`] once.
    pub(crate) fn subscribe_contract(&mut self, contract: &domain::OptionContract) {
        if let Some(token) = contract.instrument_token
            && self.subscribed.insert(token)
        {
            self.subscriptions.push(token);
        }
    }

    /// Loss per unit if the stop is hit, ₹: the premium now minus the premium at the stop
    /// level (model or market marks); for an option-basis stop, premium × stop %; for the
    /// underlying (`FUT`/`EQ`), the stop distance itself.
    pub(crate) fn risk_per_unit(
        &mut self,
        contract: &domain::OptionContract,
        direction: Direction,
        stops: &UnderlyingStops,
        tick: &Tick,
    ) -> Option<Decimal> {
        let (now, _) = self.marks.mark(contract, tick.price, tick.ts)?;
        if self.settings.exits.stop_basis == StopBasis::Option {
            return Some(now * self.settings.exits.stop_loss_pct / dec!(100));
        }
        // The underlying itself moves one for one with the stop distance.
        if !contract.option_type.is_option() {
            return Some(stops.sl_points);
        }
        let at_stop = match direction {
            Direction::Long => tick.price - stops.sl_points,
            Direction::Short => tick.price + stops.sl_points,
        };
        let (then, _) = self.marks.mark(contract, at_stop, tick.ts)?;
        let d = now - then;
        // Market marks ignore the index level: fall back to |delta| ≈ 0.5.
        Some(if d > Decimal::ZERO {
            d
        } else {
            stops.sl_points * dec!(0.5)
        })
    }

    /// How an event message names the watched price of `contract`'s agent: `at index` for an
    /// option (the index price), `at` for a future or a share (its own price).
    pub(crate) fn at_price(contract: &domain::OptionContract) -> &'static str {
        if contract.option_type.is_option() {
            "at index"
        } else {
            "at"
        }
    }

    /// How an entry message names the trade: the signal (`BUY_CE`) for an option bought,
    /// `LONG`/`SHORT` for a future or a share traded itself.
    fn entry_words(signal: domain::Signal, contract: &domain::OptionContract) -> &'static str {
        match (contract.option_type.is_option(), signal.direction()) {
            (true, _) => signal.code(),
            (false, Some(Direction::Short)) => "SHORT",
            (false, _) => "LONG",
        }
    }

    pub(crate) fn skip_entry(
        &mut self,
        seg: domain::Segment,
        p: &PendingSignal,
        tick: &Tick,
        reason: &str,
        rule: &str,
        detail: String,
    ) -> Result<(), EngineError> {
        self.skipped += 1;
        let signal = p.signal;
        self.emit(
            tick.ts,
            Some(seg),
            EngineEvent::EntrySkipped,
            format!("{signal} skipped: {detail}"),
            json!({"signal": signal.code(), "reason": reason, "rule": rule, "detail": detail}),
        )
    }

    /// Open a position for agent `i` (of `seg`, with its `params`) on signal `p` at `tick`
    /// (spec §4, §5, §7): square-off
    /// time, contract selection, sizing and the risk decision, then the entry orders.
    pub(crate) async fn try_enter(
        &mut self,
        i: usize,
        seg: domain::Segment,
        params: &SegmentSettings,
        p: &PendingSignal,
        direction: Direction,
        tick: &Tick,
    ) -> Result<(), EngineError> {
        let signal = p.signal;
        if tick.ts.time() >= self.settings.square_off_time {
            let t = self.settings.square_off_time;
            return self.skip_entry(
                seg,
                p,
                tick,
                "after_square_off",
                "square_off_time",
                format!("at or after square-off {t}"),
            );
        }
        if self.stale_for_entry(tick) {
            return self.skip_entry(
                seg,
                p,
                tick,
                "missed_while_down",
                "catch_up",
                format!(
                    "signal missed while the engine was down (older than {}s at catch-up)",
                    crate::restore::CATCH_UP_ENTRY_MAX_AGE_SECS
                ),
            );
        }
        if params.instrument == Instrument::HedgedShort {
            return self.try_enter_spread(i, params, p, direction, tick).await;
        }
        let chosen = match params.instrument {
            Instrument::Option | Instrument::HedgedShort => select_contract(
                self.contracts.as_ref(),
                seg,
                direction,
                tick.price,
                self.date,
                &params.selection,
            ),
            Instrument::Underlying => self
                .contracts
                .underlying_contract(seg, self.date, tick.price),
        };
        let contract = match chosen {
            Ok(c) => c,
            Err(e) => {
                return self.skip_entry(
                    seg,
                    p,
                    tick,
                    "contract",
                    "option_selection",
                    e.to_string(),
                );
            }
        };
        let stops = match p.stop_points {
            Some(sp) => UnderlyingStops {
                sl_points: sp,
                trailing_stop_points: sp,
            },
            None => params.stops,
        };
        // Sized on the price the entry will pay: the premium mark for an option, the
        // instrument's own price for the underlying.
        let price = match self.settings.sizing {
            Sizing::Lots => tick.price,
            Sizing::Capital { .. } => self
                .marks
                .mark(&contract, tick.price, tick.ts)
                .map_or(tick.price, |(m, _)| m),
        };
        let Some(quantity) = self.settings.sizing.quantity(
            self.settings.capital,
            price,
            contract.lot_size,
            params.initial_lots,
        ) else {
            return self.skip_entry(
                seg,
                p,
                tick,
                "sizing",
                "sizing",
                format!(
                    "{:?} gives less than one lot of {} at ₹{price}",
                    self.settings.sizing, contract.lot_size
                ),
            );
        };
        let intent = OrderIntent {
            segment: seg,
            kind: IntentKind::Entry,
            time: tick.ts,
            quantity,
            lot_size: contract.lot_size,
            risk_per_unit: self.risk_per_unit(&contract, direction, &stops, tick),
            strategy: Some(p.strategy.clone()).filter(|s| !s.is_empty()),
        };
        let quantity = match self.admit(seg, &intent, tick, true).await? {
            Admission::Quantity(q) => q,
            Admission::Refused { rule, reason } => {
                return self.skip_entry(seg, p, tick, "risk", rule.code(), reason);
            }
        };
        let tracker = StopTracker::new(direction, tick.price, stops);
        // Every option is bought; the underlying is bought for a long and sold for a short.
        let entry_side = match (params.instrument, direction) {
            (Instrument::Underlying, Direction::Short) => Side::Sell,
            _ => Side::Buy,
        };
        self.agents[i].open_position(
            Position::opened(
                direction,
                signal,
                p.origin,
                contract.clone(),
                entry_side,
                tick,
                self.tick_seq,
                tracker,
            ),
            &p.strategy,
        );
        self.subscribe_contract(&contract);
        let (s, t) = (tracker.initial_stop(), tracker.trailing_stop());
        self.emit(
            tick.ts,
            Some(seg),
            EngineEvent::Entry,
            format!("{} {} qty {quantity} {} {} (SL {s}, TSL {t})", Self::entry_words(signal, &contract), contract.tradingsymbol, Self::at_price(&contract), tick.price),
            json!({"signal": signal.code(), "tradingsymbol": contract.tradingsymbol, "quantity": quantity,
                   "index": tick.price, "sl": s, "tsl": t, "strike": contract.strike, "expiry": contract.expiry,
                   "strategy": p.strategy}),
        )?;
        let seq = self.tick_seq;
        self.send_split(
            i,
            seq,
            &contract,
            entry_side,
            quantity,
            OrderPurpose::Entry,
            tick.ts,
        )
        .await
    }
}
