//! Unit tests of the kite-sim library surface: speed parsing and the sim configuration (tokens, bind address).

use super::*;

#[test]
fn speed_parses() {
    assert_eq!("max".parse::<Speed>().unwrap(), Speed::Max);
    assert_eq!("60".parse::<Speed>().unwrap(), Speed::Times(60.0));
    assert_eq!("2.5x".parse::<Speed>().unwrap(), Speed::Times(2.5));
    assert!("0".parse::<Speed>().is_err());
    assert!("fast".parse::<Speed>().is_err());
}

#[test]
fn tokens_are_random_hex_and_not_in_debug() {
    let cfg = SimConfig::new(
        NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
        vec![Segment::Nifty],
        SimMarket::default(),
        PathBuf::from("data"),
    );
    assert!(!format!("{cfg:?}").contains(&cfg.access_token));
    let a = random_token();
    let b = random_token();
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
}

#[tokio::test]
async fn refuses_a_non_loopback_bind() {
    let date = NaiveDate::from_ymd_opt(2024, 6, 3).unwrap();
    let mut cfg = SimConfig::new(
        date,
        vec![Segment::Nifty],
        SimMarket::default(),
        PathBuf::from("/nonexistent"),
    );
    cfg.bind = "0.0.0.0:0".parse().unwrap();
    let e = Simulator::start(cfg.clone()).await.unwrap_err();
    assert!(matches!(e, SimError::NonLoopback(_)), "{e}");
    assert!(e.to_string().contains("loopback"));
    cfg.bind = "127.0.0.1:0".parse().unwrap();
    let e = Simulator::start(cfg).await.unwrap_err();
    assert!(e.to_string().contains("/nonexistent"), "{e}");
}
