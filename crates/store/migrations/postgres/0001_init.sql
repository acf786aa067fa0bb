-- Kestrel store schema v1 (postgres); crates/store/src/tables.rs describes the same tables.
-- Money is exact (NUMERIC), times carry their zone
-- (TIMESTAMPTZ). Empty optional values are NULL.

CREATE TABLE "runs" (
    "run_id" TEXT NOT NULL,
    "mode" TEXT,
    "started_at" TIMESTAMPTZ,
    "command" TEXT,
    "config" TEXT,
    PRIMARY KEY ("run_id")
);

CREATE TABLE "orders" (
    "journal_mode" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "timestamp" TIMESTAMPTZ,
    "order_id" BIGINT,
    "tag" TEXT,
    "broker_order_id" TEXT,
    "segment" TEXT,
    "tradingsymbol" TEXT,
    "side" TEXT,
    "purpose" TEXT,
    "order_type" TEXT,
    "price" NUMERIC,
    "quantity" BIGINT,
    "status" TEXT,
    "filled_quantity" BIGINT,
    "average_price" NUMERIC,
    "message" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id", "seq")
);

CREATE TABLE "fills" (
    "journal_mode" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "timestamp" TIMESTAMPTZ,
    "order_id" BIGINT,
    "fill_id" TEXT,
    "segment" TEXT,
    "tradingsymbol" TEXT,
    "side" TEXT,
    "quantity" BIGINT,
    "price" NUMERIC,
    "reference_price" NUMERIC,
    "premium_source" TEXT,
    "brokerage" NUMERIC,
    "stt" NUMERIC,
    "exchange_txn" NUMERIC,
    "sebi" NUMERIC,
    "stamp" NUMERIC,
    "gst" NUMERIC,
    "charges" NUMERIC,
    PRIMARY KEY ("journal_mode", "day", "run_id", "seq")
);

CREATE TABLE "trades" (
    "journal_mode" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "trade_id" TEXT,
    "mode" TEXT,
    "segment" TEXT,
    "index_symbol" TEXT,
    "index_entry_spot" NUMERIC,
    "time_interval" TEXT,
    "rsi_period" BIGINT,
    "signal_type" TEXT,
    "option_symbol" TEXT,
    "option_type" TEXT,
    "strike_price" NUMERIC,
    "expiry" DATE,
    "lots" BIGINT,
    "quantity" BIGINT,
    "entry_time" TIMESTAMPTZ,
    "entry_price" NUMERIC,
    "stop_loss_points" NUMERIC,
    "initial_sl_price" NUMERIC,
    "trailing_stop_points" NUMERIC,
    "exit_time" TIMESTAMPTZ,
    "index_exit_spot" NUMERIC,
    "exit_price" NUMERIC,
    "exit_reason" TEXT,
    "pnl_points" NUMERIC,
    "pnl_value" NUMERIC,
    "charges" NUMERIC,
    "net_pnl" NUMERIC,
    "return_pct" NUMERIC,
    "max_favorable_excursion" NUMERIC,
    "max_adverse_excursion" NUMERIC,
    "premium_source" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id", "seq")
);

CREATE TABLE "events" (
    "journal_mode" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "timestamp" TIMESTAMPTZ,
    "segment" TEXT,
    "kind" TEXT,
    "message" TEXT,
    "data" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id", "seq")
);

CREATE TABLE "summaries" (
    "journal_mode" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "run_id" TEXT NOT NULL,
    "strategy" TEXT,
    "trades" BIGINT,
    "gross_pnl" NUMERIC,
    "charges" NUMERIC,
    "net_pnl" NUMERIC,
    "max_drawdown" NUMERIC,
    "json" TEXT,
    PRIMARY KEY ("journal_mode", "day", "run_id")
);

CREATE TABLE "bars" (
    "series" TEXT NOT NULL,
    "day" DATE,
    "ts" TIMESTAMPTZ NOT NULL,
    "open" NUMERIC,
    "high" NUMERIC,
    "low" NUMERIC,
    "close" NUMERIC,
    "volume" BIGINT,
    PRIMARY KEY ("series", "ts")
);

CREATE TABLE "ticks" (
    "series" TEXT NOT NULL,
    "day" DATE,
    "seq" BIGINT NOT NULL,
    "ts" TIMESTAMPTZ NOT NULL,
    "last_price" NUMERIC,
    "volume" BIGINT,
    "oi" BIGINT,
    PRIMARY KEY ("series", "ts", "seq")
);

CREATE TABLE "instruments" (
    "day" DATE NOT NULL,
    "source" TEXT NOT NULL,
    "csv" TEXT,
    PRIMARY KEY ("day", "source")
);

CREATE TABLE "sweep_results" (
    "sweep" TEXT NOT NULL,
    "set_id" TEXT NOT NULL,
    "params" TEXT,
    "trades" BIGINT,
    "win_rate" NUMERIC,
    "gross_pnl" NUMERIC,
    "net_pnl" NUMERIC,
    "charges" NUMERIC,
    "max_drawdown" NUMERIC,
    "worst_day" NUMERIC,
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
