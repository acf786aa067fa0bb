//! `config/kite.example.toml` parses into the adapter settings and matches the defaults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use broker_kite::KiteSettings;
use rust_decimal_macros::dec;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kite: KiteSettings,
}

#[test]
fn example_config_is_valid_and_matches_the_defaults() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/kite.example.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let f: File = toml::from_str(&text).unwrap();
    let mut expected = KiteSettings::default();
    for (k, v) in [("NIFTY", 65), ("BANKNIFTY", 30), ("SENSEX", 20)] {
        expected.lot_sizes.insert(k.into(), v);
    }
    for (k, v) in [
        ("NIFTY", dec!(50)),
        ("BANKNIFTY", dec!(100)),
        ("SENSEX", dec!(100)),
    ] {
        expected.strike_steps.insert(k.into(), v);
    }
    assert_eq!(f.kite, expected);
    assert!(!text.contains("api_secret =") && !text.contains("access_token ="));
}

#[test]
fn unknown_keys_are_refused() {
    let err = toml::from_str::<File>("[kite]\napi_sekret = \"x\"\n")
        .err()
        .unwrap();
    assert!(err.to_string().contains("api_sekret"), "{err}");
    let err = toml::from_str::<File>("[kite.orders]\nmarket_order_style = \"yolo\"\n")
        .err()
        .unwrap();
    assert!(err.to_string().contains("yolo"), "{err}");
}
