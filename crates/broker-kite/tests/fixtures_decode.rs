//! Every relevant Kite fixture (Zerodha's mocks, `tests/fixtures/`) decoded by the adapter, and
//! the binary ticker packets decoded to the values of their JSON twins (kite-connect.md §7.4).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use broker_kite::convert::{ist_from_epoch, rupees};
use broker_kite::feed::engine_tick;
use broker_kite::orders::{BookOrder, BookPosition, BookTrade, KiteStatus, order_update};
use broker_kite::{InstrumentsMaster, convert};
use kite_sim::wire::{self, Mode};

fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}
use domain::order::{OrderId, OrderStatus};
use domain::ports::{ContractError, ContractSource};
use domain::time::fmt_iso;
use domain::{OptionType, Segment};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

fn data<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_value(fixture_json(name)["data"].clone())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn b64(name: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(fixture(name).trim())
        .unwrap()
}

/// A bare packet wrapped in a one-packet frame (count, length, packet).
fn framed(packet: &[u8]) -> Vec<u8> {
    wire::frame(&[packet.to_vec()])
}

fn d(v: &Value) -> Decimal {
    rupees(v.as_f64().unwrap())
}

#[test]
fn session_profile_and_margins() {
    let s: kiteconnect::UserSession = data("generate_session.json");
    assert_eq!(s.profile.user_id, "XX0000");
    assert_eq!(s.login_time.to_string(), "2021-01-01 16:15:14");
    let mut raw = fixture_json("generate_session.json")["data"].clone();
    raw["access_token"] = Value::String("SENTINEL-TOKEN".into());
    let s2: kiteconnect::UserSession = serde_json::from_value(raw).unwrap();
    assert!(
        !format!("{s2:?}").contains("SENTINEL"),
        "token must be redacted in Debug"
    );
    let logout = fixture_json("session_logout.json");
    assert_eq!(logout["data"], Value::Bool(true));
    let p: kiteconnect::UserProfile = data("profile.json");
    assert!(!p.user_id.is_empty());
    let full: kiteconnect::FullUserProfile = data("full_profile.json");
    assert_eq!(full.user_id, p.user_id);
    let m: kiteconnect::AllMargins = data("margins.json");
    assert_eq!(convert::money(m.equity.net), dec!(99725.05));
    let eq: kiteconnect::Margins = data("margins_equity.json");
    assert!(eq.enabled);
    let _c: kiteconnect::Margins = data("margin_commodity.json");
}

#[test]
fn order_responses() {
    for f in [
        "order_response.json",
        "order_modify.json",
        "order_cancel.json",
    ] {
        let r: kiteconnect::OrderResponse = data(f);
        assert!(!r.order_id.is_empty(), "{f}");
    }
    let auto: kiteconnect::OrderResponse = data("autoslice_response.json");
    assert_eq!(auto.order_id.len(), 19);
    assert!(auto.children.iter().any(|c| c.error.is_some()));
    assert!(auto.children.iter().any(|c| c.order_id.is_some()));
}

#[test]
fn order_book_maps_onto_the_state_machine() {
    let raw: Vec<kiteconnect::Order> = data("orders.json");
    let book: Vec<BookOrder> = raw.iter().map(BookOrder::from).collect();
    assert_eq!(book.len(), 10);
    let by_id = |id: &str| book.iter().find(|o| o.order_id == id).unwrap();
    assert_eq!(by_id("100000000000000").status, OrderStatus::Cancelled);
    let ioc = by_id("300000000000000");
    assert_eq!(ioc.status, OrderStatus::Complete);
    assert_eq!(ioc.price, dec!(109.4));
    assert_eq!(ioc.average_price, dec!(109.4));
    assert_eq!(fmt_iso(&ioc.order_time), "2021-05-31T15:20:28+05:30");
    let rej = by_id("220524001859672");
    assert_eq!(rej.status, OrderStatus::Rejected);
    assert_eq!(rej.tag.as_deref(), Some("icebergord"));
    // 19-digit ids are strings, never numbers.
    assert_eq!(by_id("1953367517686685697").filled_quantity, 150);
    // Updates for an engine order.
    let u = order_update(OrderId(7), &raw[1], 0).unwrap();
    assert_eq!(u.status, OrderStatus::Complete);
    assert_eq!(u.filled_quantity, 1);
    assert_eq!(u.average_price, Some(dec!(109.4)));
    assert_eq!(u.broker_order_id.as_deref(), Some("300000000000000"));
}

#[test]
fn order_history_transitions() {
    let hist: Vec<kiteconnect::Order> = data("order_info.json");
    let statuses: Vec<KiteStatus> = hist.iter().map(|o| KiteStatus::parse(&o.status)).collect();
    assert_eq!(
        statuses.first(),
        Some(&KiteStatus::Transient("PUT ORDER REQ RECEIVED".into()))
    );
    assert_eq!(statuses.last(), Some(&KiteStatus::Open));
    // Only OPEN rows become engine updates; the transient ones change nothing.
    let updates: Vec<OrderStatus> = hist
        .iter()
        .filter_map(|o| order_update(OrderId(1), o, 0))
        .map(|u| u.status)
        .collect();
    assert_eq!(updates, vec![OrderStatus::Open, OrderStatus::Open]);
}

#[test]
fn postback_is_an_order_update() {
    let o: kiteconnect::Order = serde_json::from_value(fixture_json("postback.json")).unwrap();
    let u = order_update(OrderId(3), &o, 0).unwrap();
    assert_eq!(u.status, OrderStatus::Complete);
    assert_eq!(u.average_price, Some(dec!(470)));
    assert_eq!(fmt_iso(&u.ts), "2022-03-03T09:24:25+05:30");
}

#[test]
fn trades_and_positions() {
    let t: Vec<kiteconnect::Trade> = data("trades.json");
    let t: Vec<BookTrade> = t.iter().map(BookTrade::from).collect();
    assert_eq!(t.len(), 4);
    assert_eq!(t[0].price, dec!(420.65));
    assert_eq!(t[1].price, dec!(72.755));
    assert_eq!(fmt_iso(&t[0].fill_time), "2021-05-31T09:16:39+05:30");
    let ot: Vec<kiteconnect::Trade> = data("order_trades.json");
    assert_eq!(BookTrade::from(&ot[0]).quantity, 1);
    let p: kiteconnect::Positions = data("positions.json");
    let net: Vec<BookPosition> = p.net.iter().map(BookPosition::from).collect();
    assert_eq!(net[0].tradingsymbol, "LEADMINI17DECFUT");
    assert_eq!(net[0].average_price, dec!(161.05));
    assert!(!p.day.is_empty());
}

#[test]
fn quotes_ltp_ohlc() {
    let q: std::collections::HashMap<String, kiteconnect::Quote> = data("quote.json");
    let infy = &q["NSE:INFY"];
    let raw = &fixture_json("quote.json")["data"]["NSE:INFY"];
    assert_eq!(rupees(infy.last_price), d(&raw["last_price"]));
    let depth = infy.depth.as_ref().unwrap();
    assert_eq!(depth.buy.len(), 5);
    let l: std::collections::HashMap<String, kiteconnect::QuoteLtp> = data("ltp.json");
    assert_eq!(l["NSE:INFY"].instrument_token, 408_065);
    assert_eq!(rupees(l["NSE:INFY"].last_price), dec!(1074.35));
    let o: std::collections::HashMap<String, kiteconnect::QuoteOhlc> = data("ohlc.json");
    let (k, v) = o.iter().next().unwrap();
    let raw = &fixture_json("ohlc.json")["data"][k];
    assert_eq!(rupees(v.ohlc.open), d(&raw["ohlc"]["open"]));
}

#[test]
fn instruments_csv_fixtures() {
    let mut m = InstrumentsMaster::new();
    let n = m
        .add_csv(
            "instruments_all.csv",
            fixture("instruments_all.csv").as_bytes(),
        )
        .unwrap();
    assert_eq!(n, 99);
    let n2 = InstrumentsMaster::new()
        .add_csv(
            "instruments_nse.csv",
            fixture("instruments_nse.csv").as_bytes(),
        )
        .unwrap();
    assert_eq!(n2, 99);
    let row = m.by_token(12_073_986).unwrap();
    assert_eq!(row.tradingsymbol, "BANKNIFTY18JAN23500CE");
    assert_eq!(row.strike, dec!(23500));
    assert_eq!(row.tick_size, dec!(0.05));
    assert_eq!(row.lot_size, 40);
    // `name` is empty in this old dump: the underlying comes from the symbol prefix.
    assert_eq!(row.underlying(), Some(Segment::BankNifty));
    let d = |y, mo, da| chrono::NaiveDate::from_ymd_opt(y, mo, da).unwrap();
    assert_eq!(
        m.expiries(Segment::BankNifty),
        vec![d(2017, 11, 30), d(2017, 12, 28), d(2018, 1, 25)]
    );
    let c = m
        .option_contract(
            Segment::BankNifty,
            d(2018, 1, 2),
            dec!(23600),
            OptionType::PE,
            false,
        )
        .unwrap();
    assert_eq!(c.tradingsymbol, "BANKNIFTY18JAN23600PE");
    assert_eq!(c.instrument_token, Some(12_074_754));
    assert_eq!((c.lot_size, c.tick_size), (40, dec!(0.05)));
    assert_eq!(
        m.strike_step(Segment::BankNifty, d(2018, 1, 25), Some(dec!(23550))),
        Some(dec!(100))
    );
    // Config disagrees with the dump: refuse.
    m.expect_lot_size(Segment::BankNifty, 30);
    assert!(matches!(
        m.option_contract(
            Segment::BankNifty,
            d(2018, 1, 2),
            dec!(23600),
            OptionType::PE,
            false
        ),
        Err(ContractError::Mismatch(_))
    ));
    assert!(matches!(
        m.check_config(Segment::BankNifty, d(2018, 1, 2), false, None),
        Err(ContractError::Mismatch(_))
    ));
    // A strike that is not listed is never guessed.
    assert!(matches!(
        m.option_contract(
            Segment::BankNifty,
            d(2018, 1, 2),
            dec!(23650),
            OptionType::PE,
            false
        ),
        Err(ContractError::NotFound(_))
    ));
}

#[test]
fn historical_candles_decode() {
    // The crate decodes the candle arrays; the adapter turns them into exact bars (the HTTP
    // path is exercised in `integration.rs`). Here: the fixture's values as decimals.
    let raw = fixture_json("historical_minute.json");
    let first = &raw["data"]["candles"][0];
    assert_eq!(first[0], "2017-12-15T09:15:00+0530");
    assert_eq!(d(&first[1]), dec!(1704.5));
    let oi = fixture_json("historical_oi.json");
    assert_eq!(oi["data"]["candles"][0].as_array().unwrap().len(), 7);
}

#[test]
fn ticker_quote_packet_matches_its_json_twin() {
    let packet = b64("ticker_quote.packet");
    assert_eq!(packet.len(), 44);
    let ticks = kiteconnect::parse_binary(&framed(&packet));
    assert_eq!(ticks.len(), 1);
    let t = &ticks[0];
    let j = fixture_json("ticker_quote.json");
    assert_eq!(t.instrument_token, 408_065);
    assert_eq!(j["mode"], "quote");
    assert_eq!(!t.is_index, j["tradable"].as_bool().unwrap());
    assert_eq!(rupees(t.last_price.unwrap()), d(&j["last_price"]));
    assert_eq!(
        u64::from(t.last_quantity.unwrap()),
        j["last_quantity"].as_u64().unwrap()
    );
    assert_eq!(rupees(t.average_price.unwrap()), d(&j["average_price"]));
    assert_eq!(t.volume.unwrap(), j["volume"].as_u64().unwrap());
    assert_eq!(t.buy_quantity.unwrap(), j["buy_quantity"].as_u64().unwrap());
    assert_eq!(
        t.sell_quantity.unwrap(),
        j["sell_quantity"].as_u64().unwrap()
    );
    for k in ["open", "high", "low", "close"] {
        let v = match k {
            "open" => t.open,
            "high" => t.high,
            "low" => t.low,
            _ => t.close,
        };
        assert_eq!(rupees(v.unwrap()), d(&j["ohlc"][k]), "{k}");
    }
    // The engine tick: exact ₹ price; a quote packet has no timestamp (the wall clock is used).
    let tick = engine_tick(t, None).unwrap();
    assert_eq!(tick.price, dec!(1573.15));
    assert_eq!(tick.volume, None);
}

#[test]
fn ticker_full_packet_matches_its_json_twin() {
    let packet = b64("ticker_full.packet");
    assert_eq!(packet.len(), 184);
    let ticks = kiteconnect::parse_binary(&framed(&packet));
    let t = &ticks[0];
    let j = fixture_json("ticker_full.json");
    assert_eq!(rupees(t.last_price.unwrap()), d(&j["last_price"]));
    assert_eq!(
        u64::from(t.last_quantity.unwrap()),
        j["last_quantity"].as_u64().unwrap()
    );
    assert_eq!(rupees(t.average_price.unwrap()), d(&j["average_price"]));
    assert_eq!(t.volume.unwrap(), j["volume"].as_u64().unwrap());
    assert_eq!(t.oi.unwrap(), j["oi"].as_u64().unwrap());
    assert_eq!(t.oi_day_high.unwrap(), j["oi_day_high"].as_u64().unwrap());
    assert_eq!(t.oi_day_low.unwrap(), j["oi_day_low"].as_u64().unwrap());
    assert_eq!(rupees(t.close.unwrap()), d(&j["ohlc"]["close"]));
    // "change" in the mock is absolute: ltp − close.
    assert_eq!(
        rupees(t.last_price.unwrap()) - rupees(t.close.unwrap()),
        rupees(j["change"].as_f64().unwrap()).round_dp(2)
    );
    assert_eq!(
        fmt_iso(&ist_from_epoch(t.exchange_time.unwrap())),
        j["timestamp"].as_str().unwrap()
    );
    assert_eq!(
        fmt_iso(&ist_from_epoch(t.last_trade_time.unwrap())),
        j["last_trade_time"].as_str().unwrap()
    );
    let depth = t.depth.as_ref().unwrap();
    for (side, levels) in [("buy", &depth.buy), ("sell", &depth.sell)] {
        let jl = j["depth"][side].as_array().unwrap();
        assert_eq!(levels.len(), jl.len());
        for (l, jl) in levels.iter().zip(jl) {
            assert_eq!(rupees(l.price), d(&jl["price"]), "{side}");
            assert_eq!(u64::from(l.quantity), jl["quantity"].as_u64().unwrap());
            assert_eq!(u64::from(l.orders), jl["orders"].as_u64().unwrap());
        }
    }
    // Engine tick: IST exchange timestamp, exact price, traded quantity since the last packet.
    let tick = engine_tick(t, Some(t.volume.unwrap() - 7)).unwrap();
    assert_eq!(fmt_iso(&tick.ts), "2021-07-05T10:41:27+05:30");
    assert_eq!(tick.price, dec!(1573.7));
    assert_eq!(tick.volume, Some(7));
}

#[test]
fn raw_binary_frames_decode() {
    // LTP frame: 884737 (NSE:TATAMOTORS), 39295 paise = ₹392.95.
    let ltp = kiteconnect::parse_binary(&fixture_bytes("ltpMode_binary.packet"));
    assert_eq!(ltp.len(), 1);
    assert_eq!(ltp[0].instrument_token, 884_737);
    let tick = engine_tick(&ltp[0], None).unwrap();
    assert_eq!(tick.price, dec!(392.95));
    let quote = kiteconnect::parse_binary(&fixture_bytes("quoteMode_binary.packet"));
    let q = &quote[0];
    assert_eq!(q.instrument_token, 884_737);
    assert_eq!(rupees(q.last_price.unwrap()), dec!(392.95));
    assert_eq!(rupees(q.average_price.unwrap()), dec!(403.07));
    assert_eq!(q.volume, Some(22_261_032));
    assert_eq!(rupees(q.open.unwrap()), dec!(420));
    assert_eq!(rupees(q.close.unwrap()), dec!(414.1));
    let full = kiteconnect::parse_binary(&fixture_bytes("fullMode_binary.packet"));
    let f = &full[0];
    let tick = engine_tick(f, None).unwrap();
    assert_eq!(fmt_iso(&tick.ts), fmt_iso(&ist_from_epoch(1_655_378_328)));
    let depth = f.depth.as_ref().unwrap();
    assert_eq!(rupees(depth.buy[0].price), dec!(392.95));
    assert_eq!(depth.buy[0].quantity, 5617);
    assert!(depth.sell.iter().all(|l| l.quantity == 0));
    // Heartbeat (1 byte) and an unknown packet length are skipped, not errors.
    assert!(kiteconnect::parse_binary(&[0]).is_empty());
    let odd = wire::frame(&[
        vec![1, 2, 3],
        fixture_bytes("ltpMode_binary.packet")[4..].to_vec(),
    ]);
    assert_eq!(kiteconnect::parse_binary(&odd).len(), 1);
}

#[test]
fn index_packet_tick_is_ist_and_exact() {
    // kite-sim's encoder, read by Zerodha's parser and our conversion.
    let ohlc = (dec!(24100), dec!(24400), dec!(24050), dec!(24200));
    let packet = wire::index_packet(256_265, dec!(24312.40), ohlc, 1_717_386_300);
    let f = wire::frame(&[packet.encode(Mode::Full)]);
    let t = &kiteconnect::parse_binary(&f)[0];
    assert!(t.is_index);
    let tick = engine_tick(t, None).unwrap();
    assert_eq!(tick.price, dec!(24312.40));
    assert_eq!(fmt_iso(&tick.ts), "2024-06-03T09:15:00+05:30");
    assert_eq!(tick.volume, None);
}

/// Issue 15 (seed 001's scanner in paper/live): a stock segment's share comes from the NSE
/// dump's `EQ` rows (Zerodha's own `instruments_nse.csv`): its token is what the agent
/// watches, its contract what the agent trades (lot 1, the dump's tick), and reconciliation
/// finds it by token and tradingsymbol.
#[test]
fn nse_equity_rows_give_a_stocks_share() {
    let d = chrono::NaiveDate::from_ymd_opt(2018, 1, 2).unwrap();
    let mut m = InstrumentsMaster::new().for_date(d);
    m.add_csv(
        "instruments_nse.csv",
        fixture("instruments_nse.csv").as_bytes(),
    )
    .unwrap();
    let adani: Segment = "ADANIPORTS".parse().unwrap();
    assert_eq!(m.watch_token(adani), Some(3_861_249));
    let c = m.underlying_contract(adani, d, dec!(400)).unwrap();
    assert_eq!(
        (
            c.tradingsymbol.as_str(),
            c.exchange,
            c.option_type,
            c.lot_size,
            c.tick_size,
            c.expiry,
            c.instrument_token
        ),
        (
            "ADANIPORTS",
            domain::Exchange::NSE,
            OptionType::EQ,
            1,
            dec!(0.05),
            d,
            Some(3_861_249)
        )
    );
    assert_eq!(m.contract_by_token(3_861_249).unwrap(), c);
    assert_eq!(m.by_tradingsymbol("ADANIPORTS"), Some(c));
    m.check_config(adani, d, false, None).unwrap();
    // Not listed: refused with the symbol named; the NSE dump lists no index future.
    let missing: Segment = "NOSUCHCO".parse().unwrap();
    assert_eq!(m.watch_token(missing), None);
    let e = m.check_config(missing, d, false, None).unwrap_err();
    assert!(
        matches!(&e, ContractError::NotFound(s) if s.contains("NOSUCHCO: no NSE EQ row")),
        "{e:?}"
    );
    assert!(
        m.underlying_contract(Segment::Nifty, d, dec!(10500))
            .is_err()
    );
    // The NSE dump's index rows are not shares.
    assert!(m.by_token(256_265).is_none_or(|r| !r.is_nse_equity()));
}

/// Issue 15 (index futures in paper/live): an index agent with `instrument = "underlying"`
/// trades the near-month future of the NFO/BFO dump (rows in Kite's columns,
/// kite-connect.md §3.7: `instrument_type` FUT, segment `NFO-FUT`); its lot is checked against
/// the configured one, the token finds it again, and an expired month is never picked.
#[test]
fn nfo_future_rows_give_an_indexs_near_month_future() {
    let csv = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n\
        13238786,51714,NIFTY24AUGFUT,NIFTY,0.0,2024-08-29,0.0,0.05,25,FUT,NFO-FUT,NFO\n\
        13368322,52220,NIFTY24SEPFUT,NIFTY,0.0,2024-09-26,0.0,0.05,25,FUT,NFO-FUT,NFO\n\
        13237250,51708,BANKNIFTY24AUGFUT,BANKNIFTY,0.0,2024-08-28,0.0,0.05,15,FUT,NFO-FUT,NFO\n\
        12335618,48186,NIFTY2481424500CE,NIFTY,0.0,2024-08-14,24500.0,0.05,25,CE,NFO-OPT,NFO\n";
    let on = |y, mo, day| chrono::NaiveDate::from_ymd_opt(y, mo, day).unwrap();
    let mut m = InstrumentsMaster::new();
    m.add_csv("api:NFO", csv.as_bytes()).unwrap();
    let c = m
        .underlying_contract(Segment::Nifty, on(2024, 8, 12), dec!(24350))
        .unwrap();
    assert_eq!(
        (
            c.tradingsymbol.as_str(),
            c.exchange,
            c.option_type,
            c.lot_size,
            c.tick_size,
            c.expiry,
            c.strike,
            c.instrument_token
        ),
        (
            "NIFTY24AUGFUT",
            domain::Exchange::NFO,
            OptionType::FUT,
            25,
            dec!(0.05),
            on(2024, 8, 29),
            dec!(0),
            Some(13_238_786)
        )
    );
    assert_eq!(m.contract_by_token(13_238_786).unwrap(), c);
    // On its expiry day the month's future is still the near month; the day after, the next.
    assert_eq!(
        m.future_row(Segment::Nifty, on(2024, 8, 29), 0)
            .unwrap()
            .tradingsymbol,
        "NIFTY24AUGFUT"
    );
    assert_eq!(
        m.future_contract(Segment::Nifty, on(2024, 8, 30))
            .unwrap()
            .tradingsymbol,
        "NIFTY24SEPFUT"
    );
    assert_eq!(
        m.future_row(Segment::Nifty, on(2024, 8, 12), 1)
            .unwrap()
            .tradingsymbol,
        "NIFTY24SEPFUT"
    );
    // Futures are not options: the option expiries and strikes are unchanged.
    assert_eq!(m.expiries(Segment::Nifty), vec![on(2024, 8, 14)]);
    // A configured lot other than the dump's refuses the future.
    m.expect_lot_size(Segment::BankNifty, 30);
    let e = m
        .future_contract(Segment::BankNifty, on(2024, 8, 12))
        .unwrap_err();
    assert!(
        matches!(&e, ContractError::Mismatch(s) if s.contains("BANKNIFTY24AUGFUT")),
        "{e:?}"
    );
    // None listed after the last expiry: NotFound naming the segment.
    let e = m
        .future_contract(Segment::Nifty, on(2024, 10, 1))
        .unwrap_err();
    assert!(
        matches!(&e, ContractError::NotFound(s) if s.contains("NIFTY: no future")),
        "{e:?}"
    );
}
