//! The store's tables, described once: names, columns and column types. The migrations in
//! `migrations/{sqlite,postgres}/` create exactly these (a test checks the journal tables'
//! columns against the CSV journals' headers, so the two records cannot drift apart).
//!
//! Every value crosses the SQL boundary as text: money as exact decimal text (PostgreSQL
//! `NUMERIC`, SQLite `TEXT`: SQLite's numeric affinity would turn `101.50` into a float),
//! times as `2024-06-03T09:15:00+05:30` (PostgreSQL `TIMESTAMPTZ`, SQLite `TEXT`), dates as
//! `YYYY-MM-DD`, whole numbers as `BIGINT`/`INTEGER`.

/// A column's type, which decides the SQL cast on write and the text form on read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Free text.
    Text,
    /// Exact decimal (₹, index points, percentages).
    Num,
    /// Whole number.
    Int,
    /// Timestamp with time zone, IST on read.
    Ts,
    /// Calendar date.
    Date,
}

/// One table: name, key columns first (the part a row does not carry itself), then the
/// row's own columns in their CSV order.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// SQL table name.
    pub name: &'static str,
    /// Key columns the writer supplies (mode, day, run, sequence, …).
    pub key: &'static [(&'static str, Ty)],
    /// The row's columns, in the order of the matching CSV file's header.
    pub cols: &'static [(&'static str, Ty)],
}

impl Table {
    /// All column names, key first.
    pub fn all(&self) -> impl Iterator<Item = (&'static str, Ty)> + '_ {
        self.key.iter().chain(self.cols.iter()).copied()
    }
}

use Ty::*;

const JOURNAL_KEY: &[(&str, Ty)] = &[
    ("journal_mode", Text),
    ("day", Date),
    ("run_id", Text),
    ("seq", Int),
];

/// `orders.csv`: every order and each status change.
pub const ORDERS: Table = Table {
    name: "orders",
    key: JOURNAL_KEY,
    cols: &[
        ("timestamp", Ts),
        ("order_id", Int),
        ("tag", Text),
        ("broker_order_id", Text),
        ("segment", Text),
        ("tradingsymbol", Text),
        ("side", Text),
        ("purpose", Text),
        ("order_type", Text),
        ("price", Num),
        ("quantity", Int),
        ("status", Text),
        ("filled_quantity", Int),
        ("average_price", Num),
        ("message", Text),
    ],
};

/// `fills.csv`: every execution with its charges.
pub const FILLS: Table = Table {
    name: "fills",
    key: JOURNAL_KEY,
    cols: &[
        ("timestamp", Ts),
        ("order_id", Int),
        ("fill_id", Text),
        ("segment", Text),
        ("tradingsymbol", Text),
        ("side", Text),
        ("quantity", Int),
        ("price", Num),
        ("reference_price", Num),
        ("premium_source", Text),
        ("brokerage", Num),
        ("stt", Num),
        ("exchange_txn", Num),
        ("sebi", Num),
        ("stamp", Num),
        ("gst", Num),
        ("charges", Num),
    ],
};

/// `trades.csv`: one row per completed trade (spec §11 columns).
pub const TRADES: Table = Table {
    name: "trades",
    key: JOURNAL_KEY,
    cols: &[
        ("trade_id", Text),
        ("mode", Text),
        ("segment", Text),
        ("index_symbol", Text),
        ("index_entry_spot", Num),
        ("time_interval", Text),
        ("rsi_period", Int),
        ("signal_type", Text),
        ("option_symbol", Text),
        ("option_type", Text),
        ("strike_price", Num),
        ("expiry", Date),
        ("lots", Int),
        ("quantity", Int),
        ("entry_time", Ts),
        ("entry_price", Num),
        ("stop_loss_points", Num),
        ("initial_sl_price", Num),
        ("trailing_stop_points", Num),
        ("exit_time", Ts),
        ("index_exit_spot", Num),
        ("exit_price", Num),
        ("exit_reason", Text),
        ("pnl_points", Num),
        ("pnl_value", Num),
        ("charges", Num),
        ("net_pnl", Num),
        ("return_pct", Num),
        ("max_favorable_excursion", Num),
        ("max_adverse_excursion", Num),
        ("premium_source", Text),
    ],
};

/// `events.csv`: the event log (`data` is the JSON text of the event's data).
pub const EVENTS: Table = Table {
    name: "events",
    key: JOURNAL_KEY,
    cols: &[
        ("timestamp", Ts),
        ("segment", Text),
        ("kind", Text),
        ("message", Text),
        ("data", Text),
    ],
};

/// The journal tables in the order rows are written.
pub const JOURNAL_TABLES: [Table; 4] = [ORDERS, FILLS, TRADES, EVENTS];

/// `summary.json` of a day: key numbers plus the whole JSON.
pub const SUMMARIES: Table = Table {
    name: "summaries",
    key: &[("journal_mode", Text), ("day", Date), ("run_id", Text)],
    cols: &[
        ("strategy", Text),
        ("trades", Int),
        ("gross_pnl", Num),
        ("charges", Num),
        ("net_pnl", Num),
        ("max_drawdown", Num),
        ("json", Text),
    ],
};

/// 1-minute (or suffixed-timeframe) bars per series per day (spec §9).
pub const BARS: Table = Table {
    name: "bars",
    key: &[("series", Text), ("day", Date)],
    cols: &[
        ("ts", Ts),
        ("open", Num),
        ("high", Num),
        ("low", Num),
        ("close", Num),
        ("volume", Int),
    ],
};

/// Trade ticks per series per day, `seq` = arrival order within the day (spec §9).
pub const TICKS: Table = Table {
    name: "ticks",
    key: &[("series", Text), ("day", Date), ("seq", Int)],
    cols: &[
        ("ts", Ts),
        ("last_price", Num),
        ("volume", Int),
        ("oi", Int),
    ],
};

/// The instruments dump of a day, verbatim (Kite's CSV).
pub const INSTRUMENTS: Table = Table {
    name: "instruments",
    key: &[("day", Date), ("source", Text)],
    cols: &[("csv", Text)],
};

/// One run of a binary: what wrote the journal rows.
pub const RUNS: Table = Table {
    name: "runs",
    key: &[("run_id", Text)],
    cols: &[
        ("mode", Text),
        ("started_at", Ts),
        ("command", Text),
        ("config", Text),
    ],
};

/// A sweep's results: one row per parameter set (issue 13's `results.csv`).
pub const SWEEP_RESULTS: Table = Table {
    name: "sweep_results",
    key: &[("sweep", Text), ("set_id", Text)],
    cols: &[
        ("params", Text),
        ("trades", Int),
        ("win_rate", Num),
        ("gross_pnl", Num),
        ("net_pnl", Num),
        ("charges", Num),
        ("max_drawdown", Num),
        ("worst_day", Num),
        ("profit_factor", Text),
        ("sharpe", Text),
    ],
};
