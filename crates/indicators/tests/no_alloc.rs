//! The update path never touches the heap: a counting global allocator records every
//! allocation made by this thread while the indicators are fed (after construction).
//! Its own test binary with a single test, so no other test's allocations interfere.

// A `GlobalAlloc` implementation is `unsafe` by definition; this test file alone may use it
// (indicators' `[lints]` deny, not forbid, `unsafe_code` for this reason).
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use indicators::{
    Atr, Donchian, Ema, HighLow, Hlc, Indicator, Rsi, RsiCrossoverSet, Sma, Wma, ZeroLagMacd, Zlema,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: delegates to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn updates_do_not_allocate() {
    let mut sma = Sma::new(20);
    let mut ema = Ema::new(20);
    let mut wma = Wma::new(20);
    let mut rsi = Rsi::new(14);
    let mut atr = Atr::new(14);
    let mut donchian = Donchian::new(20);
    let mut zlema = Zlema::new(26);
    let mut macd = ZeroLagMacd::default();
    let mut set = RsiCrossoverSet::default();

    let before = allocations();
    let mut checksum = 0.0;
    for round in 0..2 {
        for i in 0..5_000 {
            let x = 22_000.0 + 50.0 * (f64::from(i) * 0.37).sin() + f64::from(i % 11);
            checksum += sma.update(x).unwrap_or(0.0);
            checksum += ema.update(x).unwrap_or(0.0);
            checksum += wma.update(x).unwrap_or(0.0);
            checksum += rsi.update(x).unwrap_or(0.0);
            checksum += atr.update(Hlc::new(x + 5.0, x - 5.0, x)).unwrap_or(0.0);
            checksum += donchian
                .update(HighLow::new(x + 5.0, x - 5.0))
                .map_or(0.0, |c| c.middle());
            checksum += zlema.update(x).unwrap_or(0.0);
            checksum += macd.update(x).map_or(0.0, |m| m.histogram());
            checksum += set.update(x).price_strength.unwrap_or(0.0);
            checksum += usize::from(set.is_ready()) as f64;
        }
        if round == 0 {
            sma.reset();
            ema.reset();
            wma.reset();
            rsi.reset();
            atr.reset();
            donchian.reset();
            zlema.reset();
            macd.reset();
            set.reset();
        }
    }
    let during = allocations() - before;
    assert!(checksum.is_finite());
    assert_eq!(during, 0, "the update path allocated {during} times");

    // The counter works: constructing does allocate (the ring buffers).
    let before = allocations();
    let sma = std::hint::black_box(Sma::new(5));
    assert!(allocations() > before);
    drop(sma);
}
