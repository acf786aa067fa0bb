//! The client against `breeze-fake` serving the shipped catalog: the session, a day's
//! candles, paging past the candle cap, the call limits, retries, error envelopes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use breeze::{BreezeError, BreezeHistory, Credentials, Instrument, Secret, codes};
use breeze_fake::FakeSettings;
use common::{client, day, fake, settings, shipped};
use domain::Segment;
use domain::ports::{HistoricalData, HistoryError};
use std::collections::BTreeMap;
use std::time::Duration;

fn nifty() -> Instrument {
    codes::resolve(&BTreeMap::new(), "NIFTY").unwrap()
}

fn at(d: &str, t: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(&format!("{d} {t}"), "%Y-%m-%d %H:%M").unwrap()
}

#[tokio::test]
async fn a_day_comes_back_with_breeze_extras_and_warms_up_to_the_catalog_bars() {
    let f = fake(FakeSettings::default()).await;
    let c = client(&f, settings(&f));
    let raw = c
        .candles(
            &nifty(),
            at("2024-06-03", "09:00"),
            at("2024-06-03", "15:45"),
        )
        .await
        .unwrap();
    let cat = shipped().bars("NIFTY", day("2024-06-03")).unwrap();
    // 09:07 pre-open + the 375 regular bars + 15:30 post-close.
    assert_eq!(raw.len(), cat.len() + 2);
    assert_eq!(raw[0].ts.time().to_string(), "09:07:00");
    assert_eq!(raw.last().unwrap().ts.time().to_string(), "15:30:00");
    assert_eq!(&raw[1..raw.len() - 1], cat.as_slice());
    // The session was opened once, and every bar of an index has no volume.
    assert_eq!(f.calls().customerdetails, 1);
    assert!(raw.iter().all(|b| b.volume.is_none()));
    let h = BreezeHistory::new(c);
    let so_far = h
        .session_so_far(Segment::Nifty, day("2024-06-03"))
        .await
        .unwrap();
    assert_eq!(so_far, cat);
    assert_eq!(
        f.calls(),
        breeze_fake::Calls {
            customerdetails: 1,
            historical: 2
        }
    );
}

#[tokio::test]
async fn answers_at_the_cap_are_paged_and_stitched() {
    // Windows of 5 weekdays (≈ 1,885 candles) against a 1,000-candle cap.
    let f = fake(FakeSettings::default()).await;
    let mut s = settings(&f);
    s.days_per_request = 5;
    let h = BreezeHistory::new(client(&f, s));
    let got = h
        .sessions_between(
            "BANKNIFTY",
            day("2024-05-27"),
            day("2024-06-07"),
            |_, _, _| {},
        )
        .await
        .unwrap();
    let cat = shipped();
    let want: Vec<_> = cat
        .bar_dates("BANKNIFTY")
        .unwrap()
        .into_iter()
        .filter(|d| *d >= day("2024-05-27") && *d <= day("2024-06-07"))
        .collect();
    assert_eq!(got.keys().copied().collect::<Vec<_>>(), want);
    for (d, bars) in &got {
        assert_eq!(bars, &cat.bars("BANKNIFTY", *d).unwrap(), "{d}");
    }
    let reqs = f.requests();
    // Two windows, each answered in two pages: the first full (1,000), the second the rest.
    assert_eq!(reqs.len(), 4, "{reqs:?}");
    assert_eq!(reqs[0].candles, 1000);
    assert!(reqs[1].candles < 1000 && reqs[1].candles > 0, "{reqs:?}");
    assert_eq!(reqs[0].to_date, reqs[1].to_date);
    assert!(reqs.iter().all(|r| r.stock_code == "CNXBAN"));
}

#[tokio::test]
async fn calls_are_spaced_by_the_minute_limit_and_stop_at_the_day_budget() {
    let f = fake(FakeSettings::default()).await;
    let mut s = settings(&f);
    // 600 a minute (one per 100 ms) with no burst, and 4 calls a day.
    s.limits.per_minute = 600;
    s.limits.burst = 1;
    s.limits.per_day = 4;
    let c = client(&f, s);
    let h = BreezeHistory::new(c.clone());
    let e = h
        .sessions_between("NIFTY", day("2024-05-27"), day("2024-06-14"), |_, _, _| {})
        .await
        .unwrap_err();
    assert!(matches!(e, BreezeError::RateLimited(_)), "{e}");
    assert!(e.to_string().contains("4 Breeze calls are used up"), "{e}");
    // customerdetails + 3 windows reached the fake, nothing more.
    assert_eq!(
        f.calls(),
        breeze_fake::Calls {
            customerdetails: 1,
            historical: 3
        }
    );
    assert_eq!(c.calls_today(), (4, 4));
    let times = f.call_times();
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(gap >= Duration::from_millis(85), "calls {gap:?} apart");
    }
    let he: HistoryError = e.into();
    assert!(matches!(he, HistoryError::Source(_)));
}

#[tokio::test]
async fn bad_keys_and_sessions_are_refused_with_breezes_words() {
    let f = fake(FakeSettings::default()).await;
    let bad_session = Credentials {
        session_token: Secret::new("SENTINEL-WRONG-SESSION"),
        ..common::credentials(&f)
    };
    let c = breeze::BreezeClient::new(settings(&f), bad_session).unwrap();
    let e = c.open_session().await.unwrap_err();
    assert_eq!(e, BreezeError::SessionInvalid("Invalid session.".into()));
    assert!(!format!("{c:?}").contains("SENTINEL"), "{c:?}");
    let bad_key = Credentials {
        api_key: Secret::new("SENTINEL-WRONG-KEY"),
        ..common::credentials(&f)
    };
    let c = breeze::BreezeClient::new(settings(&f), bad_key).unwrap();
    let h = BreezeHistory::new(c);
    let e = h
        .sessions_before(Segment::Nifty, day("2024-06-03"), 2)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Public Key does not exist."), "{e}");
    assert!(!e.to_string().contains("SENTINEL"), "{e}");
    // No historical call went out without a session.
    assert_eq!(f.calls().historical, 0);
    // An expired session is reported as such, not retried.
    let c = client(&f, settings(&f));
    c.open_session().await.unwrap();
    f.expire_session();
    let e = c
        .request(
            &nifty(),
            at("2024-06-03", "09:15"),
            at("2024-06-03", "15:29"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e,
        BreezeError::SessionInvalid("Resource not available.".into())
    );
    assert_eq!(f.calls().historical, 1);
}

#[tokio::test]
async fn transport_failures_and_5xx_are_retried_then_reported() {
    let f = fake(FakeSettings::default()).await;
    let mut s = settings(&f);
    s.retry.max_retries = 2;
    let c = client(&f, s.clone());
    f.fail_next(2);
    c.open_session().await.unwrap();
    assert_eq!(f.calls().customerdetails, 3);
    f.fail_next(3);
    let e = c
        .request(
            &nifty(),
            at("2024-06-03", "09:15"),
            at("2024-06-03", "09:20"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, BreezeError::Server(_)), "{e}");
    assert_eq!(f.calls().historical, 3);
    // Nobody listening: a transport error after the retries.
    let mut dead = s;
    dead.api_url = "http://127.0.0.1:9/breezeapi/api/v1/".into();
    let c = client(&f, dead);
    let e = c.open_session().await.unwrap_err();
    assert!(matches!(e, BreezeError::Transport(_)), "{e}");
    // A day without data is `[]`, no error.
    let c = client(&f, settings(&f));
    let none = c
        .request(
            &nifty(),
            at("2024-06-02", "09:15"),
            at("2024-06-02", "15:29"),
        )
        .await
        .unwrap();
    assert!(none.is_empty());
}
