//! A fake [`Backend`] that records the commands it is sent and answers canned snapshots built
//! from the engine's real types. Shared: the console's tests use it through `support/mod.rs`,
//! the Telegram bot's tests include this file by path.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use async_trait::async_trait;
use console::backend::{StartError, StartReply};
use console::{Auth, AuthError, AuthStatus, Backend, Health, StartRequest, Update};
use domain::time::ist_hms;
use domain::{ExitReason, OptionType, Segment, Signal, Trade};
use engine::EventRecord;
use engine::control::{
    Command, CommandError, CommandReply, DayTotals, EquityPoint, PositionView, PyramidView,
    SegmentCard, Snapshot,
};
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// What the fake saw and will answer.
#[derive(Default)]
pub struct Seen {
    /// Commands, in arrival order.
    pub commands: Vec<Command>,
    /// Start requests.
    pub starts: Vec<StartRequest>,
    /// `complete` request tokens.
    pub completions: Vec<String>,
}

/// The fake backend.
pub struct Fake {
    pub seen: Mutex<Seen>,
    pub snapshot: Mutex<Option<Arc<Snapshot>>>,
    pub events: Mutex<Vec<EventRecord>>,
    pub tx: broadcast::Sender<Update>,
    /// When set, every command fails with this.
    pub command_error: Mutex<Option<CommandError>>,
    pub auth: FakeAuth,
}

/// The fake login side.
pub struct FakeAuth {
    pub completions: Mutex<Vec<String>>,
}

impl Fake {
    pub fn new(snapshot: Option<Snapshot>) -> Arc<Self> {
        let (tx, _) = broadcast::channel(64);
        Arc::new(Self {
            seen: Mutex::new(Seen::default()),
            snapshot: Mutex::new(snapshot.map(Arc::new)),
            events: Mutex::new(vec![]),
            tx,
            command_error: Mutex::new(None),
            auth: FakeAuth {
                completions: Mutex::new(vec![]),
            },
        })
    }

    pub fn commands(&self) -> Vec<Command> {
        self.seen.lock().unwrap().commands.clone()
    }

    pub fn starts(&self) -> Vec<StartRequest> {
        self.seen.lock().unwrap().starts.clone()
    }

    /// Journal an event: keep it and push it to subscribers.
    pub fn push_event(&self, e: EventRecord) {
        let mut evs = self.events.lock().unwrap();
        let seq = evs.len();
        evs.push(e.clone());
        let _ = self.tx.send(Update::Event { seq, event: e });
    }
}

#[async_trait]
impl Backend for Fake {
    async fn params(&self) -> StartRequest {
        StartRequest {
            rsi_period: Some(9),
            ..StartRequest::default()
        }
    }
    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.lock().unwrap().clone()
    }
    fn events(&self, from: usize) -> Vec<EventRecord> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .skip(from)
            .cloned()
            .collect()
    }
    fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.tx.subscribe()
    }
    fn health(&self) -> Health {
        let running = self.snapshot.lock().unwrap().is_some();
        Health {
            session_running: running,
            mode: running.then(|| "PAPER".to_string()),
            broker_session_valid: true,
            socket: if running { "connected" } else { "not_started" }.into(),
            last_tick_age_secs: running.then_some(0.5),
            reconnects: 1,
        }
    }
    async fn command(&self, cmd: Command) -> Result<CommandReply, CommandError> {
        if let Some(e) = self.command_error.lock().unwrap().clone() {
            return Err(e);
        }
        self.seen.lock().unwrap().commands.push(cmd.clone());
        Ok(CommandReply {
            message: format!("done: {cmd:?}"),
            orders: vec![],
        })
    }
    async fn start(&self, req: StartRequest) -> Result<StartReply, StartError> {
        if req.mode.as_deref() == Some("live") && !req.confirm_live {
            return Err(StartError::Refused(
                "live needs confirm_live: true".to_string(),
            ));
        }
        self.seen.lock().unwrap().starts.push(req.clone());
        Ok(StartReply {
            message: "paper session started".into(),
            mode: "PAPER".into(),
            segments: req.segments.unwrap_or_else(|| vec![Segment::Nifty]),
            resumed: false,
        })
    }
    fn auth(&self) -> &dyn Auth {
        &self.auth
    }
}

#[async_trait]
impl Auth for FakeAuth {
    fn login_url(&self) -> Result<String, AuthError> {
        Ok("https://kite.example/connect/login?v=3&api_key=k".into())
    }
    async fn complete(&self, request_token: &str) -> Result<AuthStatus, AuthError> {
        self.completions
            .lock()
            .unwrap()
            .push(request_token.to_string());
        if request_token == "bad" {
            return Err(AuthError::Kite("checksum mismatch".into()));
        }
        Ok(AuthStatus {
            authenticated: true,
            user_id: Some("AB1234".into()),
            message: None,
            login_time: Some("2024-06-03T08:55:00+05:30".into()),
        })
    }
    async fn status(&self) -> AuthStatus {
        AuthStatus {
            authenticated: false,
            user_id: None,
            message: Some("no session stored".into()),
            login_time: None,
        }
    }
}

/// A completed NIFTY trade of 2024-06-03.
pub fn sample_trade() -> Trade {
    let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    Trade {
        trade_id: "NIFTY-2024-06-03-1".into(),
        mode: "PAPER".into(),
        segment: Segment::Nifty,
        index_symbol: "NIFTY 50".into(),
        index_entry_spot: dec!(23250.5),
        time_interval: "5m".into(),
        rsi_period: 14,
        signal_type: Signal::BuyPe,
        option_symbol: "NIFTY2460623300PE".into(),
        option_type: OptionType::PE,
        strike_price: dec!(23300),
        expiry: chrono::NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
        lots: 2,
        quantity: 50,
        entry_time: ist_hms(d, 9, 35, 2),
        entry_price: dec!(120.5),
        stop_loss_points: dec!(10),
        initial_sl_price: dec!(23260.5),
        trailing_stop_points: dec!(5),
        exit_time: ist_hms(d, 10, 5, 40),
        index_exit_spot: dec!(23210),
        exit_price: dec!(141.25),
        exit_reason: ExitReason::TrailingStop,
        pnl_points: dec!(20.75),
        pnl_value: dec!(1037.5),
        charges: dec!(61.32),
        net_pnl: dec!(976.18),
        return_pct: dec!(17.22),
        max_favorable_excursion: dec!(25),
        max_adverse_excursion: dec!(-3.5),
        premium_source: domain::PremiumSource::Market,
    }
}

/// A snapshot with one open NIFTY position, one idle BANKNIFTY and one trade.
pub fn sample_snapshot() -> Snapshot {
    let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    let pyr = PyramidView {
        enabled: true,
        pyramid_points: dec!(10),
        lot_addition: 5,
        max_quantity: 1500,
    };
    Snapshot {
        date: d,
        mode: "PAPER".into(),
        version: 42,
        now: Some(ist_hms(d, 11, 0, 0)),
        entries_allowed: true,
        paused: false,
        entries_stopped: false,
        halted: None,
        unreconciled: None,
        segments: vec![
            SegmentCard {
                segment: Segment::Nifty,
                state: "IN_POSITION".into(),
                index_ltp: Some(dec!(23190.1)),
                watches: "INDEX",
                position: Some(PositionView {
                    segment: Segment::Nifty,
                    option_symbol: "NIFTY2460623200PE".into(),
                    strike: dec!(23200),
                    expiry: chrono::NaiveDate::from_ymd_opt(2024, 6, 6).unwrap(),
                    option_type: "PE".into(),
                    direction: "BUY_PE".into(),
                    side: "BUY".into(),
                    quantity: 25,
                    lots: 1,
                    entry_time: ist_hms(d, 10, 45, 3),
                    entry_spot: dec!(23220),
                    entry_price: Some(dec!(98.4)),
                    sl: Some(dec!(23230)),
                    tsl: None,
                    ltp: Some(dec!(104.9)),
                    open_pnl: Some(dec!(122.3)),
                    closing: false,
                    origin: "STRATEGY".into(),
                    hedge: None,
                }),
                trades: 1,
                win_rate_pct: dec!(100),
                net_pnl: dec!(976.18),
                pyramid: pyr.clone(),
            },
            SegmentCard {
                segment: Segment::BankNifty,
                state: "WAITING_FOR_SIGNAL".into(),
                index_ltp: Some(dec!(49800)),
                watches: "INDEX",
                position: None,
                trades: 0,
                win_rate_pct: dec!(0),
                net_pnl: dec!(0),
                pyramid: pyr,
            },
        ],
        totals: DayTotals {
            trades: 1,
            win_rate_pct: dec!(100),
            gross_pnl: dec!(1037.5),
            charges: dec!(61.32),
            net_pnl: dec!(976.18),
            open_pnl: dec!(122.3),
        },
        orders: vec![],
        trades: vec![sample_trade()],
        equity: vec![
            EquityPoint {
                ts: ist_hms(d, 10, 5, 0),
                equity: dec!(976.18),
            },
            EquityPoint {
                ts: ist_hms(d, 11, 0, 0),
                equity: dec!(1098.48),
            },
        ],
    }
}

/// An event of 2024-06-03.
pub fn sample_event(kind: engine::EngineEvent, msg: &str) -> EventRecord {
    let d = chrono::NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    EventRecord {
        ts: ist_hms(d, 9, 40, 0),
        segment: Some(Segment::Nifty),
        event: kind,
        message: msg.to_string(),
        data: serde_json::json!({"reason": "max trades", "rsi": 71.5}),
    }
}
