//! The standard normal CDF and its inverse, to double precision.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Standard normal CDF, `Phi(z) = erfc(-z / sqrt 2) / 2` (accurate in both tails).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z * FRAC_1_SQRT_2)
}

/// Inverse standard normal CDF for `p` in (0, 1): Acklam's rational approximation (relative
/// error below 1.2e-9) polished by one Halley step on [`normal_cdf`], which brings it to
/// double precision and makes it the inverse of this module's CDF. `p <= 0` gives `-inf`,
/// `p >= 1` gives `+inf`.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let x = acklam(p);
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

// The coefficients as published (some carry a digit beyond f64 precision).
#[allow(clippy::excessive_precision)]
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    const P_LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < P_LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - P_LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Phi^{-1}(0.975) = 1.959963984540054..., Phi(1) = 0.841344746068543...
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert!((normal_cdf(1.0) - 0.841_344_746_068_543).abs() < 1e-15);
        assert_eq!(normal_quantile(0.5), 0.0);
    }

    #[test]
    fn inverse_of_cdf_everywhere() {
        for k in 1..2000 {
            let p = k as f64 / 2000.0;
            let q = normal_quantile(p);
            assert!(
                (normal_cdf(q) - p).abs() < 1e-15 * p.max(1e-3) * 8.0,
                "p={p}"
            );
        }
        for p in [1e-7, 1e-12, 1.0 - 1e-7] {
            let q = normal_quantile(p);
            assert!(((normal_cdf(q) - p) / p.min(1.0 - p)).abs() < 1e-8, "p={p}");
        }
    }
}
