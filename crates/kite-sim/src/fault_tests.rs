//! Unit tests of the fault forms (JSON and CLI).

use super::*;

#[test]
fn json_forms() {
    let cases = [
        (r#"{"kind":"drop_socket"}"#, Fault::DropSocket),
        (
            r#"{"kind":"stall_feed","secs":5}"#,
            Fault::StallFeed(Duration::from_secs(5)),
        ),
        (
            r#"{"kind":"delay_placement","ms":9000,"count":2}"#,
            Fault::DelayPlacement {
                delay: Duration::from_secs(9),
                count: 2,
            },
        ),
        (
            r#"{"kind":"reject_orders","count":1,"message":"no"}"#,
            Fault::RejectOrders {
                count: 1,
                message: "no".into(),
            },
        ),
        (r#"{"kind":"expire_token"}"#, Fault::ExpireToken),
        (r#"{"kind":"restore_token"}"#, Fault::RestoreToken),
        (
            r#"{"kind":"rate_limit","count":3}"#,
            Fault::RateLimit { count: 3 },
        ),
    ];
    for (text, want) in cases {
        let got: Fault = serde_json::from_str(text).unwrap();
        assert_eq!(got, want, "{text}");
        let back: Fault = serde_json::from_value(serde_json::to_value(&got).unwrap()).unwrap();
        assert_eq!(back, want);
    }
    assert!(serde_json::from_str::<Fault>(r#"{"kind":"melt"}"#).is_err());
    assert!(serde_json::from_str::<Fault>(r#"{"kind":"stall_feed","secs":-1}"#).is_err());
    let d: Fault = serde_json::from_str(r#"{"kind":"delay_placement","ms":10}"#).unwrap();
    assert_eq!(
        d,
        Fault::DelayPlacement {
            delay: Duration::from_millis(10),
            count: 1
        }
    );
}

#[test]
fn cli_forms() {
    let (t, f) = parse_scheduled("10:30:00=drop_socket").unwrap();
    assert_eq!(t, chrono::NaiveTime::from_hms_opt(10, 30, 0).unwrap());
    assert_eq!(f, Fault::DropSocket);
    assert_eq!(
        "stall-feed:2.5".parse::<Fault>().unwrap(),
        Fault::StallFeed(Duration::from_millis(2500))
    );
    assert_eq!(
        "delay_placement:9000".parse::<Fault>().unwrap(),
        Fault::DelayPlacement {
            delay: Duration::from_secs(9),
            count: 1
        }
    );
    assert_eq!(
        "reject_orders:2:RMS: blocked".parse::<Fault>().unwrap(),
        Fault::RejectOrders {
            count: 2,
            message: "RMS: blocked".into()
        }
    );
    assert_eq!(
        "rate_limit:3".parse::<Fault>().unwrap(),
        Fault::RateLimit { count: 3 }
    );
    assert!("drop_socket:1".parse::<Fault>().is_err());
    assert!("rate_limit:x".parse::<Fault>().is_err());
    assert!(parse_scheduled("25:00:00=drop_socket").is_err());
    assert!(parse_scheduled("drop_socket").is_err());
    for f in [
        Fault::DropSocket,
        Fault::StallFeed(Duration::from_secs(3)),
        Fault::RateLimit { count: 2 },
        Fault::DelayPlacement {
            delay: Duration::from_millis(700),
            count: 3,
        },
    ] {
        assert_eq!(f.to_string().parse::<Fault>().unwrap(), f);
    }
}

#[test]
fn margin_fault_forms() {
    use rust_decimal_macros::dec;
    let f: Fault = serde_json::from_str(r#"{"kind":"margin_error"}"#).unwrap();
    assert_eq!(
        f,
        Fault::MarginError {
            count: 1,
            message: DEFAULT_MARGIN_MESSAGE.into()
        }
    );
    let f: Fault = serde_json::from_str(r#"{"kind":"available_cash","rupees":"2500.50"}"#).unwrap();
    assert_eq!(f, Fault::AvailableCash(dec!(2500.50)));
    let f: Fault = serde_json::from_str(r#"{"kind":"available_cash","rupees":1000}"#).unwrap();
    assert_eq!(f, Fault::AvailableCash(dec!(1000)));
    assert!(serde_json::from_str::<Fault>(r#"{"kind":"available_cash","rupees":"-1"}"#).is_err());
    assert!(serde_json::from_str::<Fault>(r#"{"kind":"available_cash"}"#).is_err());
    assert_eq!(
        "margin_error:2:down".parse::<Fault>().unwrap(),
        Fault::MarginError {
            count: 2,
            message: "down".into()
        }
    );
    assert_eq!(
        "available-cash:5000".parse::<Fault>().unwrap(),
        Fault::AvailableCash(dec!(5000))
    );
    assert!("available_cash".parse::<Fault>().is_err());
    assert!("available_cash:lots".parse::<Fault>().is_err());
    for f in [
        Fault::MarginError {
            count: 3,
            message: "x".into(),
        },
        Fault::AvailableCash(dec!(12.5)),
    ] {
        assert_eq!(f.to_string().parse::<Fault>().unwrap(), f);
        let back: Fault = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }
}
