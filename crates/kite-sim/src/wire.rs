//! The ticker's binary wire format (kite-connect.md §7.3–§7.4): frames, index packets and
//! quote/full packets with depth. All integers big-endian; prices in **paise** (₹ × 100, the
//! divisor of every NSE/BSE/NFO/BFO segment); timestamps Unix epoch seconds.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// The 1-byte binary heartbeat frame (kite-connect.md §7.3): clients skip frames shorter than
/// 2 bytes.
pub const HEARTBEAT: [u8; 1] = [0];

/// The price divisor of the simulated segments (NSE/BSE indices, NFO/BFO options).
pub const PAISE_PER_RUPEE: i64 = 100;

/// A subscription mode of one token (kite-connect.md §7.2): which packet layout it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// 8 bytes: token, LTP.
    Ltp,
    /// Index 28 bytes / tradable 44 bytes. Kite's default for a new subscription.
    Quote,
    /// Index 32 bytes (with the exchange timestamp) / tradable 184 bytes (with depth).
    Full,
}

impl Mode {
    /// `ltp`, `quote` or `full`.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "ltp" => Some(Mode::Ltp),
            "quote" => Some(Mode::Quote),
            "full" => Some(Mode::Full),
            _ => None,
        }
    }
}

/// ₹ → paise (rounded to the paisa, clamped to `u32`).
pub fn paise(rupees: Decimal) -> u32 {
    (rupees * Decimal::from(PAISE_PER_RUPEE))
        .round()
        .to_u32()
        .unwrap_or(0)
}

/// Signed ₹ difference → paise as a two's-complement `i32` (the index `change` field).
fn signed_paise(rupees: Decimal) -> i32 {
    (rupees * Decimal::from(PAISE_PER_RUPEE))
        .round()
        .to_i32()
        .unwrap_or(0)
}

/// An index packet (segment 9, kite-connect.md §7.4): note the OHLC order
/// high, low, open, close, which differs from tradable packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexPacket {
    /// `instrument_token` (256265, 260105, 265).
    pub token: u32,
    /// Last price, paise.
    pub last: u32,
    /// Day high so far, paise.
    pub high: u32,
    /// Day low so far, paise.
    pub low: u32,
    /// Day open, paise.
    pub open: u32,
    /// Previous session's close, paise.
    pub close: u32,
    /// `last − close`, paise, signed.
    pub change: i32,
    /// Exchange timestamp, Unix seconds (full mode only).
    pub exchange_time: u32,
}

impl IndexPacket {
    /// The packet in `mode`: 8 (ltp), 28 (quote) or 32 (full) bytes.
    pub fn encode(&self, mode: Mode) -> Vec<u8> {
        let mut p = Vec::with_capacity(32);
        p.extend_from_slice(&self.token.to_be_bytes());
        p.extend_from_slice(&self.last.to_be_bytes());
        if mode == Mode::Ltp {
            return p;
        }
        for v in [self.high, self.low, self.open, self.close] {
            p.extend_from_slice(&v.to_be_bytes());
        }
        p.extend_from_slice(&self.change.to_be_bytes());
        if mode == Mode::Full {
            p.extend_from_slice(&self.exchange_time.to_be_bytes());
        }
        p
    }
}

/// One market-depth level (12 bytes on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DepthLevel {
    /// Quantity, units.
    pub quantity: u32,
    /// Price, paise.
    pub price: u32,
    /// Number of orders.
    pub orders: u16,
}

/// A tradable (option) packet: quote mode is the first 44 bytes, full mode 184 bytes with
/// timestamps, OI and 5 + 5 depth levels (kite-connect.md §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotePacket {
    /// `instrument_token`.
    pub token: u32,
    /// Last traded price, paise.
    pub last: u32,
    /// Last traded quantity, units.
    pub last_quantity: u32,
    /// Average traded price, paise.
    pub average: u32,
    /// Volume traded today, units.
    pub volume: u32,
    /// Total pending buy quantity, units.
    pub buy_quantity: u32,
    /// Total pending sell quantity, units.
    pub sell_quantity: u32,
    /// Day open, paise.
    pub open: u32,
    /// Day high, paise.
    pub high: u32,
    /// Day low, paise.
    pub low: u32,
    /// Previous close, paise.
    pub close: u32,
    /// Last trade time, Unix seconds.
    pub last_trade_time: u32,
    /// Open interest.
    pub oi: u32,
    /// OI day high.
    pub oi_day_high: u32,
    /// OI day low.
    pub oi_day_low: u32,
    /// Exchange timestamp, Unix seconds.
    pub exchange_time: u32,
    /// Bids, best first.
    pub bids: [DepthLevel; 5],
    /// Asks, best first.
    pub asks: [DepthLevel; 5],
}

impl QuotePacket {
    /// The packet in `mode`: 8 (ltp), 44 (quote) or 184 (full) bytes.
    pub fn encode(&self, mode: Mode) -> Vec<u8> {
        let mut p = Vec::with_capacity(184);
        p.extend_from_slice(&self.token.to_be_bytes());
        p.extend_from_slice(&self.last.to_be_bytes());
        if mode == Mode::Ltp {
            return p;
        }
        for v in [
            self.last_quantity,
            self.average,
            self.volume,
            self.buy_quantity,
            self.sell_quantity,
            self.open,
            self.high,
            self.low,
            self.close,
        ] {
            p.extend_from_slice(&v.to_be_bytes());
        }
        if mode == Mode::Quote {
            return p;
        }
        for v in [
            self.last_trade_time,
            self.oi,
            self.oi_day_high,
            self.oi_day_low,
            self.exchange_time,
        ] {
            p.extend_from_slice(&v.to_be_bytes());
        }
        for l in self.bids.iter().chain(self.asks.iter()) {
            p.extend_from_slice(&l.quantity.to_be_bytes());
            p.extend_from_slice(&l.price.to_be_bytes());
            p.extend_from_slice(&l.orders.to_be_bytes());
            p.extend_from_slice(&[0, 0]);
        }
        p
    }
}

/// A binary frame: `u16` packet count, then each packet prefixed with its `u16` length
/// (kite-connect.md §7.3).
pub fn frame(packets: &[Vec<u8>]) -> Vec<u8> {
    let len: usize = packets.iter().map(|p| p.len() + 2).sum();
    let mut f = Vec::with_capacity(2 + len);
    let n = u16::try_from(packets.len()).unwrap_or(u16::MAX);
    f.extend_from_slice(&n.to_be_bytes());
    for p in packets.iter().take(usize::from(n)) {
        let l = u16::try_from(p.len()).unwrap_or(u16::MAX);
        f.extend_from_slice(&l.to_be_bytes());
        f.extend_from_slice(p);
    }
    f
}

/// An index packet for `last` with the day's `high`/`low`/`open` so far and the previous
/// `close` (all ₹), stamped `exchange_time` (Unix seconds).
pub fn index_packet(
    token: u32,
    last: Decimal,
    ohlc: (Decimal, Decimal, Decimal, Decimal),
    exchange_time: u32,
) -> IndexPacket {
    let (open, high, low, close) = ohlc;
    IndexPacket {
        token,
        last: paise(last),
        high: paise(high),
        low: paise(low),
        open: paise(open),
        close: paise(close),
        change: signed_paise(last - close),
        exchange_time,
    }
}

/// A stock's tradable packet (NSE segment 1, kite-connect.md §7.4; 8/44/184 bytes by mode):
/// LTP `last` (₹), the day's `(open, high, low, previous close)` (₹), `volume_traded` = the
/// day's cumulative volume so far (units; clamped to `u32`), `last_quantity` the units of
/// this tick, average price = LTP, no pending quantities, both sides of the depth's first
/// level at the LTP (the simulator fills a stock at its stream price), timestamps
/// `exchange_time` (Unix seconds).
pub fn equity_packet(
    token: u32,
    last: Decimal,
    ohlc: (Decimal, Decimal, Decimal, Decimal),
    volume_traded: u64,
    last_quantity: u64,
    exchange_time: u32,
) -> QuotePacket {
    let (open, high, low, close) = ohlc;
    let ltp = paise(last);
    let level = DepthLevel {
        quantity: 0,
        price: ltp,
        orders: 0,
    };
    let mut pk = QuotePacket {
        token,
        last: ltp,
        last_quantity: u32::try_from(last_quantity).unwrap_or(u32::MAX),
        average: ltp,
        volume: u32::try_from(volume_traded).unwrap_or(u32::MAX),
        open: paise(open),
        high: paise(high),
        low: paise(low),
        close: paise(close),
        last_trade_time: exchange_time,
        exchange_time,
        ..QuotePacket::default()
    };
    pk.bids[0] = level;
    pk.asks[0] = level;
    pk
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn fixture(name: &str) -> Vec<u8> {
        let p = format!(
            "{}/../../../shared/fixtures/kite/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let alt = format!(
            "{}/../broker-kite/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&p)
            .or_else(|_| std::fs::read(&alt))
            .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
    }

    #[test]
    fn index_packets_decode_with_the_kiteconnect_parser() {
        let pk = index_packet(
            256_265,
            dec!(23337.9),
            (dec!(23337.9), dec!(23400.05), dec!(23086.75), dec!(22530.7)),
            1_717_386_300,
        );
        for (mode, len) in [(Mode::Ltp, 8), (Mode::Quote, 28), (Mode::Full, 32)] {
            let bytes = pk.encode(mode);
            assert_eq!(bytes.len(), len);
            let ticks = kiteconnect::ticker::parse_binary(&frame(&[bytes]));
            assert_eq!(ticks.len(), 1);
            let t = &ticks[0];
            assert!(t.is_index);
            assert_eq!(t.instrument_token, 256_265);
            assert_eq!(t.last_price, Some(23337.9));
            if mode != Mode::Ltp {
                assert_eq!(t.high, Some(23400.05));
                assert_eq!(t.low, Some(23086.75));
                assert_eq!(t.open, Some(23337.9));
                assert_eq!(t.close, Some(22530.7));
            }
            let want = (mode == Mode::Full).then_some(1_717_386_300);
            assert_eq!(t.exchange_time, want);
        }
        // The change field is signed: a fall below the previous close.
        let down = index_packet(
            265,
            dec!(100),
            (dec!(100), dec!(100), dec!(100), dec!(101.5)),
            1,
        );
        let b = down.encode(Mode::Full);
        assert_eq!(i32::from_be_bytes([b[24], b[25], b[26], b[27]]), -150);
    }

    #[test]
    fn equity_packets_decode_with_the_kiteconnect_parser() {
        // RELIANCE (NSE token 738561) at ₹1229.95 after 339113 shares, 2025-01-13 09:15:45 IST.
        let pk = equity_packet(
            738_561,
            dec!(1229.95),
            (dec!(1230), dec!(1234.15), dec!(1226.85), dec!(1241.3)),
            339_113,
            339_113,
            1_736_739_945,
        );
        for (mode, len) in [(Mode::Ltp, 8), (Mode::Quote, 44), (Mode::Full, 184)] {
            let bytes = pk.encode(mode);
            assert_eq!(bytes.len(), len);
            let ticks = kiteconnect::ticker::parse_binary(&frame(&[bytes]));
            assert_eq!(ticks.len(), 1);
            let t = &ticks[0];
            assert!(!t.is_index);
            assert_eq!(t.instrument_token, 738_561);
            assert_eq!(t.last_price, Some(1229.95));
            if mode == Mode::Ltp {
                assert_eq!(t.volume, None);
                continue;
            }
            assert_eq!(t.volume, Some(339_113));
            assert_eq!(t.last_quantity, Some(339_113));
            assert_eq!(
                (t.open, t.high, t.low, t.close),
                (Some(1230.0), Some(1234.15), Some(1226.85), Some(1241.3))
            );
            let want = (mode == Mode::Full).then_some(1_736_739_945);
            assert_eq!(t.exchange_time, want);
            assert_eq!(t.last_trade_time, want);
            if mode == Mode::Full {
                let d = t.depth.as_ref().unwrap();
                assert_eq!((d.buy[0].price, d.sell[0].price), (1229.95, 1229.95));
            }
        }
    }

    #[test]
    fn full_packet_round_trips_the_fixture_frame() {
        // fullMode_binary.packet: one 184-byte full packet of token 884737 (kiteconnectjs).
        let raw = fixture("fullMode_binary.packet");
        let ticks = kiteconnect::ticker::parse_binary(&raw);
        assert_eq!(ticks.len(), 1);
        let t = &ticks[0];
        let dec_f = |x: f64| x.to_string().parse::<Decimal>().unwrap();
        let p = |x: Option<f64>| paise(dec_f(x.unwrap()));
        let d = t.depth.clone().unwrap();
        let level = |l: &kiteconnect::ticker::DepthEntry| DepthLevel {
            quantity: l.quantity,
            price: paise(dec_f(l.price)),
            orders: l.orders,
        };
        let mut pk = QuotePacket {
            token: t.instrument_token,
            last: p(t.last_price),
            last_quantity: t.last_quantity.unwrap(),
            average: p(t.average_price),
            volume: u32::try_from(t.volume.unwrap()).unwrap(),
            buy_quantity: u32::try_from(t.buy_quantity.unwrap()).unwrap(),
            sell_quantity: u32::try_from(t.sell_quantity.unwrap()).unwrap(),
            open: p(t.open),
            high: p(t.high),
            low: p(t.low),
            close: p(t.close),
            last_trade_time: t.last_trade_time.unwrap(),
            oi: u32::try_from(t.oi.unwrap()).unwrap(),
            oi_day_high: u32::try_from(t.oi_day_high.unwrap()).unwrap(),
            oi_day_low: u32::try_from(t.oi_day_low.unwrap()).unwrap(),
            exchange_time: t.exchange_time.unwrap(),
            ..QuotePacket::default()
        };
        for i in 0..5 {
            pk.bids[i] = level(&d.buy[i]);
            pk.asks[i] = level(&d.sell[i]);
        }
        assert_eq!(frame(&[pk.encode(Mode::Full)]), raw);
        // And the quote-mode prefix is the fixture's first 44 bytes of the packet.
        let q = pk.encode(Mode::Quote);
        assert_eq!(q.len(), 44);
        assert_eq!(q[..], raw[4..48]);
        assert_eq!(pk.encode(Mode::Ltp)[..], raw[4..12]);
    }

    #[test]
    fn frames_carry_several_packets_and_heartbeats_parse_to_nothing() {
        let a = index_packet(256_265, dec!(1), (dec!(1), dec!(1), dec!(1), dec!(1)), 5);
        let b = QuotePacket {
            token: 12_345_602,
            last: 10_005,
            bids: [DepthLevel {
                quantity: 500,
                price: 10_000,
                orders: 5,
            }; 5],
            ..QuotePacket::default()
        };
        let f = frame(&[b.encode(Mode::Full), a.encode(Mode::Full)]);
        let ticks = kiteconnect::ticker::parse_binary(&f);
        assert_eq!(ticks.len(), 2);
        assert_eq!(ticks[0].instrument_token, 12_345_602);
        assert_eq!(ticks[0].last_price, Some(100.05));
        assert_eq!(ticks[0].depth.as_ref().unwrap().buy[0].price, 100.0);
        assert_eq!(ticks[1].instrument_token, 256_265);
        assert!(kiteconnect::ticker::parse_binary(&HEARTBEAT).is_empty());
    }
}
