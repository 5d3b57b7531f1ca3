//! A figure with its standard deviation, and how the deviation carries into
//! ratios: relative errors add in quadrature, as hyperfine does for its
//! relative speeds (`src/benchmark/relative_speed.rs`): for r = a ÷ b,
//! σr = r · √((σa/a)² + (σb/b)²). As there, a ratio has a deviation only
//! when both of its terms have one: the article's figures are single
//! measurements (samples = 1) whose spread is unknown, not zero.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Value {
    pub value: f64,
    /// One standard deviation, in the unit of `value`; `None` when unknown.
    pub stddev: Option<f64>,
}

impl Value {
    pub fn new(value: f64, stddev: Option<f64>) -> Value {
        Value {
            value,
            stddev: stddev.filter(|s| s.is_finite() && *s >= 0.0),
        }
    }

    /// A figure whose spread is unknown.
    pub fn bare(value: f64) -> Value {
        Value {
            value,
            stddev: None,
        }
    }

    /// A result row's median with its sample standard deviation; unknown
    /// below two samples.
    pub fn measured(value: f64, stddev: f64, samples: usize) -> Value {
        Value::new(value, (samples >= 2).then_some(stddev))
    }

    /// σ ÷ |value|.
    pub fn relative(&self) -> Option<f64> {
        let s = self.stddev?;
        (self.value != 0.0).then(|| s / self.value.abs())
    }

    /// `self` × an exact factor (a clock, a core count, 1 ÷ watts).
    pub fn scale(self, factor: f64) -> Value {
        Value::new(self.value * factor, self.stddev.map(|s| s * factor.abs()))
    }

    /// `to`, with the relative deviation of `self` (a figure derived from
    /// this one by exact factors: cycles/byte, MB/s/W).
    pub fn carry(self, to: f64) -> Value {
        Value::new(to, self.relative().map(|r| r * to.abs()))
    }

    /// `self` ÷ `other`, the deviation propagated; `None` when `other` is 0.
    pub fn ratio(self, other: Value) -> Option<Value> {
        if other.value == 0.0 || !other.value.is_finite() || !self.value.is_finite() {
            return None;
        }
        let r = self.value / other.value;
        let stddev = match (self.relative(), other.relative()) {
            (Some(a), Some(b)) => Some(r.abs() * a.hypot(b)),
            _ => None,
        };
        Some(Value::new(r, stddev))
    }

    /// Geometric mean of ratios; its relative deviation is
    /// √(Σ (σi/ri)²) ÷ n (independent terms), known only if every term's is.
    pub fn geometric_mean(values: &[Value]) -> Option<Value> {
        if values.is_empty() || values.iter().any(|v| v.value.is_nan() || v.value <= 0.0) {
            return None;
        }
        let n = values.len() as f64;
        let g = (values.iter().map(|v| v.value.ln()).sum::<f64>() / n).exp();
        let rel: Option<Vec<f64>> = values.iter().map(Value::relative).collect();
        let stddev = rel.map(|r| g * r.iter().map(|x| x * x).sum::<f64>().sqrt() / n);
        Some(Value::new(g, stddev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_errors_add_in_quadrature() {
        let a = Value::new(100.0, Some(3.0));
        let b = Value::new(50.0, Some(2.0));
        let r = a.ratio(b).unwrap();
        assert_eq!(r.value, 2.0);
        let expected = 2.0 * (0.03f64.powi(2) + 0.04f64.powi(2)).sqrt();
        assert!((r.stddev.unwrap() - expected).abs() < 1e-12);
        // Unknown on either side: unknown, as hyperfine.
        assert_eq!(a.ratio(Value::bare(50.0)).unwrap().stddev, None);
        assert_eq!(a.ratio(Value::bare(0.0)), None);
    }

    #[test]
    fn single_samples_have_no_known_spread() {
        assert_eq!(Value::measured(97.5, 0.0, 1).stddev, None);
        assert_eq!(Value::measured(97.5, 0.5, 5).stddev, Some(0.5));
        assert_eq!(Value::new(4.0, Some(0.4)).scale(0.5).stddev, Some(0.2));
    }

    #[test]
    fn geometric_mean_of_ratios() {
        let g = Value::geometric_mean(&[Value::bare(2.0), Value::bare(8.0)]).unwrap();
        assert!((g.value - 4.0).abs() < 1e-12);
        assert_eq!(g.stddev, None);
        let g = Value::geometric_mean(&[Value::new(2.0, Some(0.2)), Value::new(8.0, Some(0.8))])
            .unwrap();
        // Both 10 %: √(0.01 + 0.01) ÷ 2 = 7.07 %.
        assert!((g.stddev.unwrap() / g.value - 0.02f64.sqrt() / 2.0).abs() < 1e-12);
        assert_eq!(Value::geometric_mean(&[]), None);
    }
}
