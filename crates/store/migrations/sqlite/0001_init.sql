-- Kestrel store schema v1 (sqlite); crates/store/src/tables.rs describes the same tables.
-- Money is exact (TEXT decimal: SQLite numeric affinity would make it a float), times carry their zone
-- (TEXT ISO-8601 with +05:30). Empty optional values are NULL.

CREATE TABLE "runs" (
    "run_id" TEXT NOT NULL,
    "mode" TEXT,
    "started_at" TEXT,
    "command" TEXT,
    "config" TEXT,
    PRIMARY KEY ("run_id")
);

CREATE TABLE "orders" (
    "journal_mode" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "timestamp" TEXT,
    "order_id" INTEGER,
    "tag" TEXT,
    "broker_order_id" TEXT,
    "segment" TEXT,
    "tradingsymbol" TEXT,
    "side" TEXT,
    "purpose" TEXT,
    "order_type" TEXT,
    "price" TEXT,
    "quantity" INTEGER,
    "status" TEXT,
    "filled_quantity" INTEGER,
    "average_price" TEXT,
    "message" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id", "seq")
);

CREATE TABLE "fills" (
    "journal_mode" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "timestamp" TEXT,
    "order_id" INTEGER,
    "fill_id" TEXT,
    "segment" TEXT,
    "tradingsymbol" TEXT,
    "side" TEXT,
    "quantity" INTEGER,
    "price" TEXT,
    "reference_price" TEXT,
    "premium_source" TEXT,
    "brokerage" TEXT,
    "stt" TEXT,
    "exchange_txn" TEXT,
    "sebi" TEXT,
    "stamp" TEXT,
    "gst" TEXT,
    "charges" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id", "seq")
);

CREATE TABLE "trades" (
    "journal_mode" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "trade_id" TEXT,
    "mode" TEXT,
    "segment" TEXT,
    "index_symbol" TEXT,
    "index_entry_spot" TEXT,
    "time_interval" TEXT,
    "rsi_period" INTEGER,
    "signal_type" TEXT,
    "option_symbol" TEXT,
    "option_type" TEXT,
    "strike_price" TEXT,
    "expiry" TEXT,
    "lots" INTEGER,
    "quantity" INTEGER,
    "entry_time" TEXT,
    "entry_price" TEXT,
    "stop_loss_points" TEXT,
    "initial_sl_price" TEXT,
    "trailing_stop_points" TEXT,
    "exit_time" TEXT,
    "index_exit_spot" TEXT,
    "exit_price" TEXT,
    "exit_reason" TEXT,
    "pnl_points" TEXT,
    "pnl_value" TEXT,
    "charges" TEXT,
    "net_pnl" TEXT,
    "return_pct" TEXT,
    "max_favorable_excursion" TEXT,
    "max_adverse_excursion" TEXT,
    "premium_source" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id", "seq")
);

CREATE TABLE "events" (
    "journal_mode" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "timestamp" TEXT,
    "segment" TEXT,
    "kind" TEXT,
    "message" TEXT,
    "data" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id", "seq")
);

CREATE TABLE "summaries" (
    "journal_mode" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "strategy" TEXT,
    "trades" INTEGER,
    "gross_pnl" TEXT,
    "charges" TEXT,
    "net_pnl" TEXT,
    "max_drawdown" TEXT,
    "json" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id")
);

CREATE TABLE "bars" (
    "series" TEXT NOT NULL,
    "day" TEXT,
    "ts" TEXT NOT NULL,
    "open" TEXT,
    "high" TEXT,
    "low" TEXT,
    "close" TEXT,
    "volume" INTEGER,
    PRIMARY KEY ("series", "ts")
);

CREATE TABLE "ticks" (
    "series" TEXT NOT NULL,
    "day" TEXT,
    "seq" INTEGER NOT NULL,
    "ts" TEXT NOT NULL,
    "last_price" TEXT,
    "volume" INTEGER,
    "oi" INTEGER,
    PRIMARY KEY ("series", "ts", "seq")
);

CREATE TABLE "instruments" (
    "day" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "csv" TEXT,
    PRIMARY KEY ("day", "source")
);

CREATE TABLE "sweep_results" (
    "sweep" TEXT NOT NULL,
    "set_id" TEXT NOT NULL,
    "params" TEXT,
    "trades" INTEGER,
    "win_rate" TEXT,
    "gross_pnl" TEXT,
    "net_pnl" TEXT,
    "charges" TEXT,
    "max_drawdown" TEXT,
    "worst_day" TEXT,
    "profit_factor" TEXT,
    "sharpe" TEXT,
    PRIMARY KEY ("sweep", "set_id")
);

CREATE INDEX "bars_day" ON "bars" ("day", "series");

CREATE INDEX "ticks_day" ON "ticks" ("series", "day", "seq");

CREATE INDEX "orders_day" ON "orders" ("day", "journal_mode");

CREATE INDEX "fills_day" ON "fills" ("day", "journal_mode");

CREATE INDEX "trades_day" ON "trades" ("day", "journal_mode");

CREATE INDEX "events_day" ON "events" ("day", "journal_mode");
CREATE UNIQUE INDEX "trades_id" ON "trades" ("journal_mode", "day", "trade_id");
