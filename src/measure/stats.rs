//! Statistics of the samples of one measurement.
//!
//! Outliers use the modified z-score of Iglewicz and Hoaglin (1993):
//! `M = 0.6745 (x − median) / MAD`, an outlier when `|M| > 3.5`. It is
//! robust where mean ± σ is not: one sample slowed by a cron job does not
//! hide itself by inflating σ.

use serde::Serialize;
use statrs::statistics::{Data, Distribution, Max, Median, Min};

/// One timed window: bytes processed by all threads over the common
/// wall-clock window. Integer nanoseconds, converted only for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sample {
    pub bytes: u64,
    pub elapsed_ns: u64,
}

impl Sample {
    /// MB/s with 1 MB = 10^6 bytes, as the article (and `openssl speed`).
    pub fn mb_per_s(&self) -> f64 {
        if self.elapsed_ns == 0 {
            return 0.0;
        }
        self.bytes as f64 * 1e3 / self.elapsed_ns as f64
    }
}

const OUTLIER_Z: f64 = 3.5;
const MAD_FLOOR: f64 = 0.002;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 with a single sample.
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    /// stddev ÷ mean, in percent.
    pub cv_percent: f64,
    /// Indices of the samples flagged as outliers.
    pub outliers: Vec<usize>,
    /// The first sample was an outlier on the slow side: the system was
    /// still ramping up (frequency, caches) when timing started.
    pub slow_first: bool,
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let data = Data::new(values.to_vec());
        let median = data.median();
        let mean = data.mean().unwrap_or(median);
        let stddev = if values.len() > 1 {
            data.std_dev().unwrap_or(0.0)
        } else {
            0.0
        };
        let deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
        // A floor of 0.2 % of the median: with a few very steady samples
        // the MAD can be tiny, and a 0.1 % wobble is not an outlier.
        let mad = Data::new(deviations).median().max(MAD_FLOOR * median.abs());
        let outliers: Vec<usize> = values
            .iter()
            .enumerate()
            .filter(|(_, &v)| {
                if mad > 0.0 {
                    (0.6745 * (v - median) / mad).abs() > OUTLIER_Z
                } else {
                    // Half the samples or more are identical: anything
                    // else is infinitely far in MAD units, but only flag
                    // a real difference.
                    (v - median).abs() > 1e-9 * median.abs().max(1.0)
                }
            })
            .map(|(i, _)| i)
            .collect();
        let slow_first = outliers.first() == Some(&0) && values[0] < median;
        Some(Summary {
            n: values.len(),
            median,
            mean,
            stddev,
            min: data.min(),
            max: data.max(),
            cv_percent: if mean > 0.0 {
                stddev / mean * 100.0
            } else {
                0.0
            },
            outliers,
            slow_first,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mb_per_s_uses_decimal_megabytes() {
        let s = Sample {
            bytes: 16_384_000,
            elapsed_ns: 1_000_000_000,
        };
        assert!((s.mb_per_s() - 16.384).abs() < 1e-12);
    }

    #[test]
    fn summary_of_known_values() {
        let s = Summary::of(&[10.0, 11.0, 12.0, 13.0, 14.0]).unwrap();
        assert_eq!(s.median, 12.0);
        assert_eq!(s.mean, 12.0);
        assert!((s.stddev - 2.5f64.sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max), (10.0, 14.0));
        assert!((s.cv_percent - 2.5f64.sqrt() / 12.0 * 100.0).abs() < 1e-9);
        assert!(s.outliers.is_empty());
        assert!(!s.slow_first);
    }

    #[test]
    fn a_slow_first_sample_is_an_outlier() {
        let s = Summary::of(&[60.0, 100.0, 101.0, 99.0, 100.5, 99.5]).unwrap();
        assert_eq!(s.outliers, vec![0]);
        assert!(s.slow_first);
    }

    #[test]
    fn single_sample_has_no_spread() {
        let s = Summary::of(&[5.0]).unwrap();
        assert_eq!((s.stddev, s.cv_percent), (0.0, 0.0));
        assert!(Summary::of(&[]).is_none());
    }
}
