//! Order statistics of repeated measurements. Medians, not means: on a shared machine a
//! neighbour's compile lands on a few samples, and the median ignores them.

/// The sample at quantile `q` (0 to 1) by the nearest-rank method: with 50 samples, p90 is the
/// 45th smallest.
pub fn quantile<T: Ord + Copy>(samples: &[T], q: f64) -> T {
    assert!(!samples.is_empty(), "a quantile of no samples");
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// The median (the lower one of an even count, which is what nearest rank gives).
pub fn median<T: Ord + Copy>(samples: &[T]) -> T {
    quantile(samples, 0.5)
}
