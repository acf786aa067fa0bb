//! Property tests: the streaming indicators equal a naive recomputation from the whole input
//! history at every step (spec §4.1 definitions, written out directly).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use indicators::{Donchian, Ema, HighLow, Indicator, Sma, Wma, Zlema};
use proptest::prelude::*;

/// Inputs on a price-like scale, including negatives and repeats.
fn series() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![-1.0e5..1.0e5_f64, (-50i32..50).prop_map(f64::from)],
        0..200,
    )
}

/// Tolerance relative to the magnitude of the inputs.
fn tol(xs: &[f64]) -> f64 {
    1e-9 * xs.iter().fold(1.0_f64, |m, x| m.max(x.abs()))
}

fn naive_sma(xs: &[f64], n: usize) -> Option<f64> {
    (xs.len() >= n).then(|| xs[xs.len() - n..].iter().sum::<f64>() / n as f64)
}

fn naive_wma(xs: &[f64], n: usize) -> Option<f64> {
    (xs.len() >= n).then(|| {
        let w = &xs[xs.len() - n..];
        let s: f64 = w.iter().enumerate().map(|(i, x)| (i + 1) as f64 * x).sum();
        s / (n * (n + 1) / 2) as f64
    })
}

/// EMA in closed form: with k inputs after the seed,
/// `e = (1−α)ᵏ·SMA(x₀…xₙ₋₁) + Σⱼ α(1−α)^(k−j)·xₙ₋₁₊ⱼ` (j = 1…k).
fn naive_ema(xs: &[f64], n: usize) -> Option<f64> {
    if xs.len() < n {
        return None;
    }
    let alpha = 2.0 / (n as f64 + 1.0);
    let seed = xs[..n].iter().sum::<f64>() / n as f64;
    let tail = &xs[n..];
    let k = tail.len() as i32;
    let mut e = (1.0 - alpha).powi(k) * seed;
    for (j, x) in tail.iter().enumerate() {
        e += alpha * (1.0 - alpha).powi(k - 1 - j as i32) * x;
    }
    Some(e)
}

fn check<I: Indicator<Input = f64, Output = f64>>(
    mut ind: I,
    xs: &[f64],
    naive: impl Fn(&[f64]) -> Option<f64>,
) -> Result<(), TestCaseError> {
    let t = tol(xs);
    for i in 0..xs.len() {
        let got = ind.update(xs[i]);
        let expected = naive(&xs[..=i]);
        prop_assert_eq!(got.is_some(), expected.is_some(), "readiness at {}", i);
        prop_assert_eq!(got, ind.value());
        if let (Some(g), Some(e)) = (got, expected) {
            prop_assert!(
                (g - e).abs() <= t,
                "at {}: streaming {} vs naive {}",
                i,
                g,
                e
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sma_equals_naive(xs in series(), n in 1usize..30) {
        check(Sma::new(n), &xs, |h| naive_sma(h, n))?;
    }

    #[test]
    fn ema_equals_naive(xs in series(), n in 1usize..30) {
        check(Ema::new(n), &xs, |h| naive_ema(h, n))?;
    }

    #[test]
    fn wma_equals_naive(xs in series(), n in 1usize..30) {
        check(Wma::new(n), &xs, |h| naive_wma(h, n))?;
    }

    #[test]
    fn zlema_is_the_ema_of_the_delagged_series(xs in series(), n in 1usize..30) {
        let lag = (n - 1) / 2;
        check(Zlema::new(n), &xs, |h| {
            if h.len() <= lag {
                return None;
            }
            let delagged: Vec<f64> = (lag..h.len()).map(|i| 2.0 * h[i] - h[i - lag]).collect();
            naive_ema(&delagged, n)
        })?;
    }

    #[test]
    fn donchian_equals_naive_scan_of_previous_bars(
        bars in prop::collection::vec((-1.0e4..1.0e4_f64, 0.0..100.0_f64), 0..200),
        n in 1usize..20,
    ) {
        let mut d = Donchian::new(n);
        for i in 0..bars.len() {
            let (mid, half) = bars[i];
            let got = d.update(HighLow::new(mid + half, mid - half));
            let expected = (i >= n).then(|| {
                let w = &bars[i - n..i];
                let upper = w.iter().map(|(m, h)| m + h).fold(f64::MIN, f64::max);
                let lower = w.iter().map(|(m, h)| m - h).fold(f64::MAX, f64::min);
                (upper, lower)
            });
            prop_assert_eq!(got.map(|c| (c.upper, c.lower)), expected, "bar {}", i);
        }
    }

    #[test]
    fn reset_equals_a_fresh_instance(xs in series(), ys in series(), n in 1usize..30) {
        let mut used = Wma::new(n);
        for &x in &xs {
            used.update(x);
        }
        used.reset();
        let mut fresh = Wma::new(n);
        for &y in &ys {
            prop_assert_eq!(used.update(y), fresh.update(y));
        }
    }
}
