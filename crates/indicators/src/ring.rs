//! A fixed-capacity ring buffer of `f64`: allocated once, never grows.

/// The last `capacity` values pushed, oldest first. `push` returns the value it evicted once the
/// ring is full. Allocation happens only in [`Ring::new`].
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    buf: Box<[f64]>,
    /// Index of the oldest value (when full, also where the next push goes).
    head: usize,
    len: usize,
}

impl Ring {
    /// An empty ring holding up to `capacity` (≥ 1) values.
    pub(crate) fn new(capacity: usize) -> Self {
        debug_assert!(capacity >= 1);
        Ring {
            buf: vec![0.0; capacity].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    /// Appends `x`; if the ring was full, evicts and returns the oldest value.
    #[inline]
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let cap = self.buf.len();
        if self.len < cap {
            let mut slot = self.head + self.len;
            if slot >= cap {
                slot -= cap;
            }
            self.buf[slot] = x;
            self.len += 1;
            None
        } else {
            let old = std::mem::replace(&mut self.buf[self.head], x);
            self.head += 1;
            if self.head == cap {
                self.head = 0;
            }
            Some(old)
        }
    }

    /// Pushes `x` into a full ring and returns the evicted oldest value (the caller knows the
    /// ring is full: [`Ring::is_full`]).
    #[inline]
    pub(crate) fn push_full(&mut self, x: f64) -> f64 {
        debug_assert!(self.is_full());
        let old = std::mem::replace(&mut self.buf[self.head], x);
        self.head += 1;
        if self.head == self.buf.len() {
            self.head = 0;
        }
        old
    }

    /// Full, with the oldest value in slot 0: the storage is in window order (once every
    /// `capacity` pushes at steady state).
    #[inline]
    pub(crate) fn at_start(&self) -> bool {
        self.head == 0 && self.is_full()
    }

    /// The storage, slot 0 first: the window oldest first when [`Ring::at_start`].
    #[inline]
    pub(crate) fn slots(&self) -> &[f64] {
        &self.buf
    }

    /// The oldest value held, if any.
    #[inline]
    pub(crate) fn oldest(&self) -> Option<f64> {
        (self.len > 0).then(|| self.buf[self.head])
    }

    /// Whether the ring holds `capacity` values.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Number of values held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Empties the ring (keeps the buffer).
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn evicts_oldest_once_full() {
        let mut r = Ring::new(3);
        assert_eq!(r.oldest(), None);
        assert_eq!(r.push(1.0), None);
        assert_eq!(r.push(2.0), None);
        assert!(!r.is_full());
        assert_eq!(r.push(3.0), None);
        assert!(r.is_full());
        assert_eq!(r.oldest(), Some(1.0));
        assert_eq!(r.push(4.0), Some(1.0));
        assert_eq!(r.push(5.0), Some(2.0));
        assert_eq!(r.oldest(), Some(3.0));
        assert_eq!(r.len(), 3);
        r.clear();
        assert_eq!(r.len(), 0);
        assert_eq!(r.push(6.0), None);
        assert_eq!(r.oldest(), Some(6.0));
    }

    #[test]
    fn capacity_one() {
        let mut r = Ring::new(1);
        assert_eq!(r.push(1.0), None);
        assert_eq!(r.push(2.0), Some(1.0));
        assert_eq!(r.oldest(), Some(2.0));
    }

    #[test]
    fn push_full_and_order() {
        let mut r = Ring::new(3);
        for x in [1.0, 2.0, 3.0] {
            r.push(x);
        }
        assert!(r.at_start());
        assert_eq!(r.push_full(4.0), 1.0);
        assert!(!r.at_start());
        assert_eq!(r.slots(), [4.0, 2.0, 3.0]);
        assert_eq!(r.push_full(5.0), 2.0);
        assert_eq!(r.push_full(6.0), 3.0);
        assert!(r.at_start());
        assert_eq!(r.slots(), [4.0, 5.0, 6.0]);
    }
}

/// A running sum with error compensation (Knuth's TwoSum, branch-free): the rounding error of
/// every addition is kept in `comp`, so a sum that values are added to and subtracted from for
/// hours does not drift (a plain running sum's error grows like a random walk, and the WMA's
/// weighted sum, which subtracts the plain sum every step, like its integral). O(1), no
/// allocation.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompensatedSum {
    sum: f64,
    comp: f64,
}

impl CompensatedSum {
    /// Adds `x` (subtract by adding `-x`).
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let (s, err) = two_sum(self.sum, x);
        self.sum = s;
        self.comp += err;
    }

    /// The sum, rounded once.
    #[inline]
    pub(crate) fn value(&self) -> f64 {
        self.sum + self.comp
    }

    /// Back to zero.
    #[inline]
    pub(crate) fn clear(&mut self) {
        *self = CompensatedSum::default();
    }
}

/// Knuth's TwoSum: `a + b` rounded, and its exact rounding error.
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

#[cfg(test)]
mod compensated_tests {
    use super::CompensatedSum;

    #[test]
    fn does_not_drift_where_a_plain_sum_does() {
        // Add and remove the same values many times: the exact sum returns to 0.1 each time.
        let mut c = CompensatedSum::default();
        let mut plain = 0.0_f64;
        c.add(0.1);
        plain += 0.1;
        for i in 0..100_000 {
            let x = 22_000.0 + f64::from(i % 97) * 0.05 + 1e-3 * f64::from(i % 13);
            c.add(x);
            plain += x;
            c.add(-x);
            plain -= x;
        }
        assert_eq!(c.value(), 0.1);
        assert!(
            (plain - 0.1).abs() > 1e-13,
            "plain sum should have drifted: {plain}"
        );
        c.clear();
        assert_eq!(c.value(), 0.0);
    }
}
