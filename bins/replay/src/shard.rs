//! `--shard I/N`: a deterministic 1/N share of the work (issue 13). `I` is **0-based**
//! (`0 ≤ I < N`), like Kubernetes' `JOB_COMPLETION_INDEX` and a Slurm array
//! `--array=0-(N-1)`'s `SLURM_ARRAY_TASK_ID`. Item `k` (0-based position of a date in the
//! calendar range, or of a parameter set in cartesian order) belongs to shard `k mod N`: every
//! item to exactly one shard, and neighbouring days spread over all shards.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based index, `< count`.
    pub index: usize,
    /// Number of shards, ≥ 1.
    pub count: usize,
}

impl Shard {
    /// The whole work as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether item `k` (0-based) belongs to this shard.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with `0 ≤ I < N`. Errors name the offending part.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected I/N, e.g. 0/3 (0-based index)"))?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: index `{i}` is not a whole number"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: count `{n}` is not a whole number"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "`{s}`: need 0 ≤ I < N (the index is 0-based, like JOB_COMPLETION_INDEX)"
            ));
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_zero_based_and_rejects_out_of_range() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        assert!("3/3".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("a/3".parse::<Shard>().unwrap_err().contains("index `a`"));
        assert!("1".parse::<Shard>().is_err());
    }

    #[test]
    fn every_item_belongs_to_exactly_one_shard() {
        for n in 1..6 {
            for k in 0..40 {
                let owners = (0..n)
                    .filter(|i| {
                        Shard {
                            index: *i,
                            count: n,
                        }
                        .owns(k)
                    })
                    .count();
                assert_eq!(owners, 1, "item {k} of {n} shards");
            }
        }
    }
}
