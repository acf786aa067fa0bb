//! Reconciliation with the broker (spec §11; NautilusTrader's model: refuse to trade on a
//! mismatch). Run before any entry after a restart, and after every ticker reconnect (Kite
//! does not resend order updates missed while disconnected).
//!
//! 1. Missed reports first: placements of unknown outcome are settled by tag, then the
//!    broker is drained (a resumed broker reports the status changes and fills of the
//!    checkpoint's orders that happened while the engine was down, so positions close, trades
//!    are booked and charges counted by the ordinary order path).
//! 2. The broker's book ([`domain::ports::Broker::book`]): new tags use a run above any run of
//!    today's tags in it; engine-tagged orders the engine does not know (placed after the last
//!    checkpoint) are kept as *orphans* that a re-made decision takes over
//!    ([`crate::orders::OrderManager::set_orphans`]).
//! 3. [`Engine::check_book`] (also after catch-up): net units per tradingsymbol at the broker
//!    against the engine's fills (plus what the operator adopted), open orders the engine
//!    does not know, and filled orders with today's engine tags it has no record of. Anything that differs is a `critical` event naming it and **blocks
//!    entries** (risk rule `reconciliation`) until resolved; exits and stops of known positions
//!    keep working. [`Resolve`] (CLI `--resolve-unknown adopt|flatten`) settles unknown
//!    positions and orders explicitly.

use crate::agent::{Leg, Position};
use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use domain::order::{EngineTag, OrderId, OrderPurpose};
use domain::ports::{BrokerBook, Clock};
use domain::{Decimal, Direction, OptionType, Side, Signal};
use serde_json::json;
use strategy::SignalOrigin;
use strategy::exits::StopTracker;

/// What the operator decided for positions and open orders at the broker the engine does not
/// know (spec §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// Manage them: an unknown long option position becomes the position of its segment's
    /// agent (stops from the index now, exits as usual); unknown open orders are left alone
    /// and no longer block.
    Adopt,
    /// Close them: sell unknown long units at market and cancel unknown open orders.
    Flatten,
}

/// One disagreement between the broker and the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Net units differ for a tradingsymbol.
    Quantity {
        /// Contract.
        tradingsymbol: String,
        /// Broker's net units.
        broker: i64,
        /// Engine's net units.
        engine: i64,
    },
    /// An open order at the broker the engine does not know.
    UnknownOrder {
        /// Broker order id.
        broker_order_id: String,
        /// Contract.
        tradingsymbol: String,
        /// Its tag, if any.
        tag: Option<String>,
    },
    /// An order with today's engine tag, filled at the broker, that the engine has no record
    /// of (placed before a crash and not taken over by a re-made decision): its fills are in
    /// no trade, so the day's P&L is wrong even when the net units agree.
    UnbookedFill {
        /// Broker order id.
        broker_order_id: String,
        /// Contract.
        tradingsymbol: String,
        /// Its tag.
        tag: String,
        /// Units filled.
        filled: u32,
    },
    /// The book could not be read.
    NoBook(String),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Quantity {
                tradingsymbol,
                broker,
                engine,
            } => write!(f, "{tradingsymbol}: broker holds {broker}, engine {engine}"),
            Mismatch::UnknownOrder {
                broker_order_id,
                tradingsymbol,
                tag,
            } => write!(
                f,
                "open order {broker_order_id} on {tradingsymbol} (tag {}) unknown to the engine",
                tag.as_deref().unwrap_or("none")
            ),
            Mismatch::UnbookedFill {
                broker_order_id,
                tradingsymbol,
                tag,
                filled,
            } => write!(
                f,
                "order {broker_order_id} ({tag}) filled {filled} {tradingsymbol} with no engine record"
            ),
            Mismatch::NoBook(e) => write!(f, "broker book unavailable: {e}"),
        }
    }
}

impl Engine {
    /// Apply the operator's `resolve` at the first index tick of the session (the broker's
    /// guard needs an exchange time, an adopted position its index price); entries cannot
    /// happen before it. Until it succeeds, entries stay blocked.
    pub fn resolve_when_trading(&mut self, resolve: Resolve) {
        self.pending_resolve = Some(resolve);
    }

    /// Steps 1 and 2 of the module: missed reports, the run number and the orphans. Returns
    /// the book (or `None` when the broker cannot report it; [`Engine::check_book`] then
    /// blocks entries).
    ///
    /// # Errors
    /// A journal failure.
    pub async fn reconcile_start(&mut self) -> Result<Option<BrokerBook>, EngineError> {
        self.settle_unknown_orders().await?;
        self.sync_orders().await?;
        let book = match self.broker.book().await {
            Ok(b) => b,
            Err(e) => {
                let m = vec![Mismatch::NoBook(e.to_string())];
                self.block_on(&m)?;
                return Ok(None);
            }
        };
        let date = self.date;
        let tags: Vec<EngineTag> = book
            .orders
            .iter()
            .filter_map(|o| o.tag.as_deref().and_then(EngineTag::parse))
            .filter(|t| t.is_of(date))
            .collect();
        if let Some(max) = tags.iter().map(|t| t.run).max() {
            self.orders.ensure_run_above(max);
        }
        let orphans: Vec<_> = book
            .orders
            .iter()
            .filter(|o| {
                o.tag
                    .as_deref()
                    .and_then(EngineTag::parse)
                    .is_some_and(|t| t.is_of(date))
                    && self.orders.by_broker_id(&o.broker_order_id).is_none()
                    && o.tag
                        .as_deref()
                        .is_none_or(|t| self.orders.by_tag(t).is_none())
            })
            .cloned()
            .collect();
        if !orphans.is_empty() {
            let now = self.clock.now();
            let list: Vec<String> = orphans
                .iter()
                .map(|o| format!("{} {}", o.tag.as_deref().unwrap_or(""), o.tradingsymbol))
                .collect();
            self.emit(
                now,
                None,
                EngineEvent::Warning,
                format!(
                    "orders of this engine placed after the last checkpoint: {} (taken over if the same decision is made again while catching up)",
                    list.join(", ")
                ),
                json!({"orders": list}),
            )?;
        }
        self.orders.set_orphans(orphans);
        Ok(Some(book))
    }

    /// Reconcile with the broker: [`Engine::reconcile_start`] then the comparison of
    /// [`Engine::check_book`] on the same book (after a ticker reconnect or a re-login).
    ///
    /// # Errors
    /// A journal or broker failure that stops the engine.
    pub async fn reconcile(
        &mut self,
        resolve: Option<Resolve>,
    ) -> Result<Vec<Mismatch>, EngineError> {
        match self.reconcile_start().await? {
            Some(book) => self.check_against(book, resolve).await,
            None => self.check_book(resolve).await,
        }
    }

    /// Step 3 of the module on a fresh book: compare, resolve what the operator asked, block
    /// entries on what remains (or unblock when all matches). Returns what remains.
    ///
    /// # Errors
    /// A journal or broker failure that stops the engine.
    pub async fn check_book(
        &mut self,
        resolve: Option<Resolve>,
    ) -> Result<Vec<Mismatch>, EngineError> {
        self.settle_unknown_orders().await?;
        self.sync_orders().await?;
        match self.broker.book().await {
            Ok(book) => self.check_against(book, resolve).await,
            Err(e) => {
                let m = vec![Mismatch::NoBook(e.to_string())];
                self.block_on(&m)?;
                Ok(m)
            }
        }
    }

    /// [`Engine::check_book`] on a book just fetched.
    async fn check_against(
        &mut self,
        book: BrokerBook,
        resolve: Option<Resolve>,
    ) -> Result<Vec<Mismatch>, EngineError> {
        let mut found = self.compare(&book);
        let mut deferred = false;
        if let Some(r) = resolve
            && !found.is_empty()
        {
            deferred = self.resolve(r, &found, &book).await?;
            self.sync_orders().await?;
            found = match self.broker.book().await {
                Ok(b) => self.compare(&b),
                Err(e) => vec![Mismatch::NoBook(e.to_string())],
            };
        }
        if deferred && !found.is_empty() {
            // Tried again at the next index tick; entries stay blocked meanwhile.
            self.pending_resolve = resolve;
            let summary: Vec<String> = found.iter().map(ToString::to_string).collect();
            self.unreconciled = Some(summary.join("; "));
            return Ok(found);
        }
        if found.is_empty() {
            if self.unreconciled.take().is_some() {
                let now = self.clock.now();
                self.emit(
                    now,
                    None,
                    EngineEvent::Session,
                    "reconciled: the broker's orders and positions match the engine's; entries allowed".into(),
                    json!({}),
                )?;
            }
        } else {
            self.block_on(&found)?;
        }
        Ok(found)
    }

    /// What differs between `book` and the engine (pure).
    pub fn compare(&self, book: &BrokerBook) -> Vec<Mismatch> {
        let mut engine = self.orders.net_filled();
        for (ts, q) in &self.adopted {
            *engine.entry(ts.clone()).or_insert(0) += q;
        }
        let mut broker: std::collections::BTreeMap<String, i64> = Default::default();
        for p in book
            .positions
            .iter()
            .filter(|p| self.in_scope(&p.tradingsymbol, p.product, &engine))
        {
            *broker.entry(p.tradingsymbol.clone()).or_insert(0) += p.quantity;
        }
        let mut out = Vec::new();
        let symbols: std::collections::BTreeSet<&String> =
            engine.keys().chain(broker.keys()).collect();
        for ts in symbols {
            let (b, e) = (
                broker.get(ts).copied().unwrap_or(0),
                engine.get(ts).copied().unwrap_or(0),
            );
            if b != e {
                out.push(Mismatch::Quantity {
                    tradingsymbol: ts.clone(),
                    broker: b,
                    engine: e,
                });
            }
        }
        for o in &book.orders {
            let known = self.orders.by_broker_id(&o.broker_order_id).is_some()
                || self.ignored_orders.contains(&o.broker_order_id);
            if !o.status.is_terminal()
                && !known
                && self.in_scope(&o.tradingsymbol, o.product, &engine)
            {
                out.push(Mismatch::UnknownOrder {
                    broker_order_id: o.broker_order_id.clone(),
                    tradingsymbol: o.tradingsymbol.clone(),
                    tag: o.tag.clone(),
                });
            } else if o.status.is_terminal()
                && !known
                && o.filled_quantity > 0
                && let Some(tag) = o.tag.as_deref()
                && EngineTag::parse(tag).is_some_and(|t| t.is_of(self.date))
            {
                out.push(Mismatch::UnbookedFill {
                    broker_order_id: o.broker_order_id.clone(),
                    tradingsymbol: o.tradingsymbol.clone(),
                    tag: tag.to_string(),
                    filled: o.filled_quantity,
                });
            }
        }
        out
    }

    /// Whether a broker position or order is the engine's business: a contract the engine
    /// has traded today, or an option of a configured segment (`<SEGMENT><digit>…`) in the
    /// engine's product. Other instruments and products in the account (a trader's own
    /// equity or NRML positions) are not compared.
    fn in_scope(
        &self,
        tradingsymbol: &str,
        product: domain::Product,
        known: &std::collections::BTreeMap<String, i64>,
    ) -> bool {
        if known.contains_key(tradingsymbol) {
            return true;
        }
        product == self.settings.product
            && self.agents.iter().any(|a| {
                tradingsymbol
                    .strip_prefix(a.segment.code())
                    .and_then(|r| r.bytes().next())
                    .is_some_and(|b| b.is_ascii_digit())
            })
    }

    fn block_on(&mut self, found: &[Mismatch]) -> Result<(), EngineError> {
        let summary: Vec<String> = found.iter().map(ToString::to_string).collect();
        let summary = summary.join("; ");
        if self.unreconciled.as_deref() == Some(summary.as_str()) {
            return Ok(());
        }
        self.unreconciled = Some(summary.clone());
        let now = self.clock.now();
        self.emit(
            now,
            None,
            EngineEvent::Critical,
            format!(
                "reconciliation mismatch, entries blocked until resolved (restart with --resolve-unknown adopt|flatten): {summary}"
            ),
            json!({"mismatches": found.iter().map(ToString::to_string).collect::<Vec<_>>()}),
        )
    }

    /// Apply `how` to what was found; `Ok(true)` when some of it must wait for the first index
    /// tick (no exchange time or index price yet).
    async fn resolve(
        &mut self,
        how: Resolve,
        found: &[Mismatch],
        book: &BrokerBook,
    ) -> Result<bool, EngineError> {
        let now = self.clock.now();
        if self.last_tick_at.is_none() {
            return Ok(true);
        }
        let mut deferred = false;
        for m in found {
            match m {
                Mismatch::UnknownOrder {
                    broker_order_id, ..
                } => match how {
                    Resolve::Adopt => {
                        self.ignored_orders.insert(broker_order_id.clone());
                    }
                    Resolve::Flatten => {
                        if let Err(e) = self.broker.cancel_order(broker_order_id).await {
                            self.emit(now, None, EngineEvent::OrderError,
                                format!("--resolve-unknown flatten: cancel of {broker_order_id} failed: {e}"),
                                json!({"broker_order_id": broker_order_id, "error": e.to_string()}))?;
                        }
                    }
                },
                // Acknowledged: any units it left are a `Quantity` mismatch settled on its own.
                Mismatch::UnbookedFill {
                    broker_order_id, ..
                } => {
                    self.ignored_orders.insert(broker_order_id.clone());
                }
                Mismatch::Quantity {
                    tradingsymbol,
                    broker,
                    engine,
                } if broker > engine => {
                    let units = broker - engine;
                    deferred |= self.resolve_units(how, tradingsymbol, units, book).await?;
                }
                other => {
                    self.emit(
                        now,
                        None,
                        EngineEvent::Warning,
                        format!("--resolve-unknown cannot settle: {other} (the engine holds more than the broker: check the broker's trades)"),
                        json!({"mismatch": other.to_string()}),
                    )?;
                }
            }
        }
        Ok(deferred)
    }

    /// Settle `units` of `tradingsymbol` the broker holds and the engine does not; `Ok(true)`
    /// when adopting must wait for its segment's first index tick.
    async fn resolve_units(
        &mut self,
        how: Resolve,
        tradingsymbol: &str,
        units: i64,
        book: &BrokerBook,
    ) -> Result<bool, EngineError> {
        let now = self.clock.now();
        let Some(contract) = self.contracts.by_tradingsymbol(tradingsymbol) else {
            return self
                .emit(
                    now,
                    None,
                    EngineEvent::Warning,
                    format!("--resolve-unknown: {tradingsymbol} is not in today's instruments; settle it by hand"),
                    json!({"tradingsymbol": tradingsymbol}),
                )
                .map(|()| false);
        };
        let Some(i) = self
            .agents
            .iter()
            .position(|a| a.segment == contract.segment)
        else {
            return self
                .emit(
                    now,
                    None,
                    EngineEvent::Warning,
                    format!("--resolve-unknown: {tradingsymbol} belongs to {}, which this session does not trade; settle it by hand", contract.segment),
                    json!({"tradingsymbol": tradingsymbol}),
                )
                .map(|()| false);
        };
        let qty = u32::try_from(units).unwrap_or(u32::MAX);
        match how {
            Resolve::Flatten => {
                self.emit(
                    now,
                    Some(contract.segment),
                    EngineEvent::Session,
                    format!("--resolve-unknown flatten: selling {qty} {tradingsymbol} at market (no trade row: the position was not the engine's)"),
                    json!({"tradingsymbol": tradingsymbol, "quantity": qty}),
                )?;
                // The engine takes the units over (so its fills net to the broker's) and sells
                // them; not a leg of any position: journaled as an order, not a trade.
                *self.adopted.entry(tradingsymbol.to_string()).or_insert(0) += units;
                self.send_split(
                    i,
                    u64::MAX,
                    &contract,
                    Side::Sell,
                    qty,
                    OrderPurpose::Exit,
                    now,
                )
                .await
                .map(|()| false)
            }
            Resolve::Adopt => {
                // Stops are set from the segment's index: wait for its first tick.
                let Some(tick) = self.agents[i].last_tick else {
                    return Ok(true);
                };
                if self.agents[i].position.is_some() {
                    return self.emit(now, Some(contract.segment), EngineEvent::Warning,
                        format!("--resolve-unknown adopt: the {} agent already holds a position; {tradingsymbol} left to settle by hand", contract.segment),
                        json!({"tradingsymbol": tradingsymbol})).map(|()| false);
                }
                let average = average_buy(book, tradingsymbol);
                let direction = match contract.option_type {
                    // The broker's bought units: a call, a future or a share is long.
                    OptionType::CE | OptionType::FUT | OptionType::EQ => Direction::Long,
                    OptionType::PE => Direction::Short,
                };
                let signal = match direction {
                    Direction::Long => Signal::BuyCe,
                    Direction::Short => Signal::BuyPe,
                };
                let stops = self.agents[i].params.stops;
                *self.adopted.entry(tradingsymbol.to_string()).or_insert(0) += units;
                let seq = self.tick_seq;
                let mut p = Position::opened(
                    direction,
                    signal,
                    SignalOrigin::Fresh,
                    contract.clone(),
                    Side::Buy,
                    &tick,
                    seq,
                    StopTracker::new(direction, tick.price, stops),
                );
                // The broker's units, bought outside the engine: no engine order.
                p.legs.push(Leg {
                    order: OrderId(0),
                    side: Side::Buy,
                    requested: qty,
                    filled: qty,
                    average,
                    done: true,
                    failed: false,
                });
                self.agents[i].open_position(p, "adopted");
                self.subscribe_contract(&contract);
                self.emit(
                    now,
                    Some(contract.segment),
                    EngineEvent::Entry,
                    format!("--resolve-unknown adopt: {qty} {tradingsymbol} at ₹{average} managed as the {} position (stops from index {})", contract.segment, tick.price),
                    json!({"tradingsymbol": tradingsymbol, "quantity": qty, "average": average, "index": tick.price, "adopted": true}),
                )
                .map(|()| false)
            }
        }
    }
}

/// Average price of the broker's buys of `tradingsymbol`, ₹ (0 when none).
fn average_buy(book: &BrokerBook, tradingsymbol: &str) -> Decimal {
    let (q, v) = book
        .trades
        .iter()
        .filter(|t| t.tradingsymbol == tradingsymbol && t.side == Side::Buy)
        .fold((0u32, Decimal::ZERO), |(q, v), t| {
            (q + t.quantity, v + t.price * Decimal::from(t.quantity))
        });
    if q == 0 {
        Decimal::ZERO
    } else {
        (v / Decimal::from(q)).round_dp(2)
    }
}

impl Engine {
    /// An exit of agent `i`'s closing position (entered at tick `entry_seq`) failed
    /// [`crate::engine::EXIT_FAILURES_BEFORE_HALT`] times or more: before sending it again, ask
    /// the broker whether the units are still held (spec §10.2). When the broker no longer
    /// holds them (sold outside the engine: by hand, by Kite's RMS square-off, or a stop the
    /// engine did not place), retrying can never succeed: the position is closed at the
    /// average of the broker's sells the engine does not know (else its last mark), the trade
    /// is booked with the exit already decided, and a critical event says so. Returns whether
    /// it was settled that way.
    ///
    /// # Errors
    /// A journal failure.
    pub(crate) async fn settle_failed_exit(
        &mut self,
        i: usize,
        entry_seq: u64,
    ) -> Result<bool, EngineError> {
        let Some(p) = self.agents[i]
            .closing
            .iter()
            .find(|p| p.entry_seq == entry_seq)
        else {
            return Ok(false);
        };
        if p.exit_failures < crate::engine::EXIT_FAILURES_BEFORE_HALT || p.entry_in_flight() {
            return Ok(false);
        }
        let (ts, held) = (p.contract.tradingsymbol.clone(), p.open_quantity());
        let exit_side = p.exit_side();
        // Units the position holds, signed as the broker nets them (a short is negative).
        let signed_held = match p.entry_side {
            Side::Buy => i64::from(held),
            Side::Sell => -i64::from(held),
        };
        let fallback = p.last_mark.unwrap_or_else(|| p.average_entry());
        let Ok(book) = self.broker.book().await else {
            return Ok(false);
        };
        let mut engine_net = self.orders.net_filled().get(&ts).copied().unwrap_or(0);
        engine_net += self.adopted.get(&ts).copied().unwrap_or(0);
        let broker_net = book.net_quantity(&ts);
        // The broker no longer holds them: its net moved at least `held` units towards
        // flat beyond what the engine's own fills explain.
        let gone = match p.entry_side {
            Side::Buy => broker_net <= engine_net - signed_held,
            Side::Sell => broker_net >= engine_net - signed_held,
        };
        if held == 0 || !gone {
            return Ok(false);
        }
        let (q, v) = book
            .trades
            .iter()
            .filter(|t| {
                t.tradingsymbol == ts
                    && t.side == exit_side
                    && self.orders.by_broker_id(&t.broker_order_id).is_none()
            })
            .fold((0u32, Decimal::ZERO), |(q, v), t| {
                (q + t.quantity, v + t.price * Decimal::from(t.quantity))
            });
        let price = if q > 0 {
            (v / Decimal::from(q)).round_dp(2)
        } else {
            fallback
        };
        *self.adopted.entry(ts.clone()).or_insert(0) -= signed_held;
        let agent = &mut self.agents[i];
        let seg = agent.segment;
        if let Some(p) = agent.position_by_seq_mut(entry_seq) {
            p.exit_retry = false;
            p.legs.push(Leg {
                order: OrderId(0),
                side: exit_side,
                requested: held,
                filled: held,
                average: price,
                done: true,
                failed: false,
            });
        }
        let now = self.clock.now();
        self.emit(
            now,
            Some(seg),
            EngineEvent::Critical,
            format!("exit of {held} {ts} keeps failing and the broker no longer holds them (sold outside the engine): position closed at ₹{price} from the broker's trades, no more retries"),
            json!({"tradingsymbol": ts, "quantity": held, "price": price}),
        )?;
        let rows = self.agents[i].close_trade(entry_seq, self.date, self.mode.code());
        self.record_trade(rows)?;
        Ok(true)
    }
}
