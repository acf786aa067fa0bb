//! Rendering of [`Metrics`] in the Prometheus text format.

use super::*;
use rust_decimal_macros::dec;

/// The value of the sample line `name{labels}` (labels as rendered, `""` for none).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn an_empty_registry_renders_every_family_with_help_and_type() {
    let m = Metrics::new();
    // A labelled family renders nothing until its first series exists.
    assert!(!m.render().contains("kestrel_ticks_total"));
    m.index_tick("NIFTY");
    m.candle("NIFTY");
    m.event("session", None);
    m.risk_decision("BLOCK", "entry_window");
    m.broker_error("poll", "unavailable");
    m.set_book(&BookFigures {
        orders_by_status: vec![("OPEN".into(), 0)],
        trades: 0,
        realized_pnl: dec!(0),
        open_pnl: dec!(0),
    });
    let text = m.render();
    for (name, kind) in [
        ("kestrel_ticks_total", "counter"),
        ("kestrel_option_ticks_total", "counter"),
        ("kestrel_candles_total", "counter"),
        ("kestrel_events_total", "counter"),
        ("kestrel_risk_decisions_total", "counter"),
        ("kestrel_order_requests_total", "counter"),
        ("kestrel_orders", "gauge"),
        ("kestrel_fills_total", "counter"),
        ("kestrel_trades", "gauge"),
        ("kestrel_realized_pnl_rupees", "gauge"),
        ("kestrel_open_pnl_rupees", "gauge"),
        ("kestrel_broker_errors_total", "counter"),
        ("kestrel_reconnects_total", "counter"),
        ("kestrel_last_tick_age_seconds", "gauge"),
        ("kestrel_tick_to_intent_seconds", "histogram"),
        ("kestrel_order_round_trip_seconds", "histogram"),
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "{name} {kind} missing in\n{text}"
        );
        assert!(text.contains(&format!("# HELP {name} ")), "{name} help");
    }
    assert_eq!(sample(&text, "kestrel_fills_total"), Some(0.0));
    assert!(
        sample(&text, "kestrel_last_tick_age_seconds")
            .unwrap()
            .is_nan()
    );
    // No OpenMetrics terminator in the 0.0.4 format.
    assert!(!text.contains("# EOF"));
    assert_eq!(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
}

#[test]
fn counters_and_gauges_carry_their_labels_and_values() {
    let m = Metrics::new();
    for _ in 0..3 {
        m.index_tick("NIFTY");
    }
    m.index_tick("BANKNIFTY");
    m.option_tick();
    m.candle("NIFTY");
    m.event("entry", Some("NIFTY"));
    m.event("session", None);
    m.risk_decision("BLOCK", "max_trades_per_segment");
    m.order_request();
    m.fills(2);
    m.broker_error("place", "rejected");
    m.reconnect();
    m.set_last_tick_age(Some(1.5));
    m.set_book(&BookFigures {
        orders_by_status: vec![("COMPLETE".into(), 4), ("OPEN".into(), 1)],
        trades: 2,
        realized_pnl: dec!(-1234.56),
        open_pnl: dec!(75.25),
    });
    let t = m.render();
    assert_eq!(
        sample(&t, "kestrel_ticks_total{segment=\"NIFTY\"}"),
        Some(3.0)
    );
    assert_eq!(
        sample(&t, "kestrel_ticks_total{segment=\"BANKNIFTY\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&t, "kestrel_option_ticks_total"), Some(1.0));
    assert_eq!(
        sample(&t, "kestrel_candles_total{segment=\"NIFTY\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &t,
            "kestrel_events_total{event=\"entry\",segment=\"NIFTY\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&t, "kestrel_events_total{event=\"session\",segment=\"\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &t,
            "kestrel_risk_decisions_total{decision=\"BLOCK\",rule=\"max_trades_per_segment\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&t, "kestrel_order_requests_total"), Some(1.0));
    assert_eq!(sample(&t, "kestrel_fills_total"), Some(2.0));
    assert_eq!(
        sample(
            &t,
            "kestrel_broker_errors_total{op=\"place\",kind=\"rejected\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&t, "kestrel_reconnects_total"), Some(1.0));
    assert_eq!(sample(&t, "kestrel_last_tick_age_seconds"), Some(1.5));
    assert_eq!(sample(&t, "kestrel_orders{status=\"COMPLETE\"}"), Some(4.0));
    assert_eq!(sample(&t, "kestrel_trades"), Some(2.0));
    assert_eq!(sample(&t, "kestrel_realized_pnl_rupees"), Some(-1234.56));
    assert_eq!(sample(&t, "kestrel_open_pnl_rupees"), Some(75.25));

    // A status gone from the book drops to 0 rather than keeping its old count.
    m.set_book(&BookFigures {
        orders_by_status: vec![("COMPLETE".into(), 5)],
        trades: 2,
        realized_pnl: dec!(0),
        open_pnl: dec!(0),
    });
    let t = m.render();
    assert_eq!(sample(&t, "kestrel_orders{status=\"OPEN\"}"), Some(0.0));
    assert_eq!(sample(&t, "kestrel_orders{status=\"COMPLETE\"}"), Some(5.0));
}

#[test]
fn latencies_fill_histogram_buckets_and_exact_samples() {
    let m = Metrics::new();
    assert_eq!(m.latency().tick_to_intent, None);
    assert_eq!(
        m.latency().to_string(),
        "tick-to-intent none; order round trip none"
    );
    m.tick_to_intent(Duration::from_micros(3));
    m.tick_to_intent(Duration::from_micros(30));
    m.order_round_trip(Duration::from_millis(4));
    let t = m.render();
    let b = |le: &str| {
        sample(
            &t,
            &format!("kestrel_tick_to_intent_seconds_bucket{{le=\"{le}\"}}"),
        )
    };
    // Cumulative buckets: 3 µs is in le=5e-6, 30 µs first in le=5e-5.
    assert_eq!(b("1e-06"), Some(0.0));
    assert_eq!(b("5e-06"), Some(1.0));
    assert_eq!(b("2.5e-05"), Some(1.0));
    assert_eq!(b("5e-05"), Some(2.0));
    assert_eq!(b("0.0001"), Some(2.0));
    assert_eq!(b("+Inf"), Some(2.0));
    assert_eq!(
        sample(&t, "kestrel_tick_to_intent_seconds_count"),
        Some(2.0)
    );
    let sum = sample(&t, "kestrel_tick_to_intent_seconds_sum").unwrap();
    assert!((sum - 33e-6).abs() < 1e-12, "{sum}");
    assert_eq!(
        sample(&t, "kestrel_order_round_trip_seconds_count"),
        Some(1.0)
    );
    let r = m.latency();
    let tti = r.tick_to_intent.unwrap();
    assert_eq!(
        (tti.count, tti.p50, tti.max),
        (2, Duration::from_micros(3), Duration::from_micros(30))
    );
    assert_eq!(r.order_round_trip.unwrap().max, Duration::from_millis(4));
}

#[test]
fn buckets_run_from_a_microsecond_to_ten_seconds() {
    let b = LATENCY_BUCKETS;
    assert!((b[0] - 1e-6).abs() < 1e-18);
    assert_eq!(b[21], 10.0);
    assert!(b.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn two_values_never_share_figures() {
    let a = Metrics::new();
    let b = Metrics::new();
    a.index_tick("NIFTY");
    assert_eq!(
        sample(&a.render(), "kestrel_ticks_total{segment=\"NIFTY\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&b.render(), "kestrel_ticks_total{segment=\"NIFTY\"}"),
        None
    );
}
