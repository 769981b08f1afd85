//! Accuracy of the branch-free kernels against `f64` references, and their special values.

use super::*;
use proptest::prelude::*;

/// Bound on the relative error of [`exp`] on normal results (module documentation).
const EXP_MAX_REL_ERR: f64 = 1e-7;
/// Bound on the relative error of [`sigmoid`] and [`silu`].
const SIGMOID_MAX_REL_ERR: f64 = 3e-7;
/// Bound on the error of [`silu_grad`] relative to `s + |x s (1 - s)|`.
const SILU_GRAD_MAX_REL_ERR: f64 = 4e-7;
/// Bound on the relative error of [`tanh`].
const TANH_MAX_REL_ERR: f64 = 2e-7;
/// Smallest positive normal `f32`, as `f64`.
const MIN_NORMAL: f64 = f32::MIN_POSITIVE as f64;
/// One ulp of the subnormal range, `2^-149`.
const SUBNORMAL_ULP: f64 = 1.401_298_464_324_817e-45;

fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Every `stride`-th `f32` in `[lo, hi]`, walking the bit patterns (so every binade is
/// covered at the same density), both ends included.
fn sweep(lo: f32, hi: f32, stride: u32) -> Vec<f32> {
    let key = |v: f32| {
        let b = v.to_bits() as i64;
        if b >> 31 == 1 { -(b & 0x7fff_ffff) } else { b }
    };
    let from_key = |k: i64| {
        if k < 0 {
            f32::from_bits(((-k) as u32) | 0x8000_0000)
        } else {
            f32::from_bits(k as u32)
        }
    };
    let mut out: Vec<f32> = (key(lo)..=key(hi))
        .step_by(stride as usize)
        .map(from_key)
        .collect();
    out.push(hi);
    out
}

/// Error of `got` against `want` measured as [`exp`]'s bound is stated: relative for
/// normal results, absolute in subnormal ulps below; `None` when both are the same
/// infinity or both zero.
fn exp_error(got: f32, want: f64) -> Result<(), String> {
    let g = f64::from(got);
    if want > f64::from(f32::MAX) {
        return if got == f32::INFINITY {
            Ok(())
        } else {
            Err(format!("{got} instead of +inf"))
        };
    }
    if want >= MIN_NORMAL {
        let rel = (g - want).abs() / want;
        if rel <= EXP_MAX_REL_ERR {
            return Ok(());
        }
        return Err(format!("relative error {rel:e}"));
    }
    if (g - want).abs() <= SUBNORMAL_ULP {
        Ok(())
    } else {
        Err(format!(
            "absolute error {:e} in the subnormal range",
            (g - want).abs()
        ))
    }
}

fn check_exp(x: f32) {
    if let Err(e) = exp_error(exp(x), f64::from(x).exp()) {
        panic!("exp({x:e}) = {:e}: {e}", exp(x));
    }
}

/// `|got - want| <= tol * scale + (1 + |x|) 2^-149`: relative to `scale`, plus the
/// absolute error of subnormal intermediates (a subnormal `sigmoid(x)` carries one
/// subnormal ulp, which `silu` multiplies by `|x|`).
fn close(what: &str, x: f32, got: f32, want: f64, scale: f64, tol: f64) {
    let err = (f64::from(got) - want).abs();
    assert!(
        err <= tol * scale + (1.0 + f64::from(x.abs())) * SUBNORMAL_ULP,
        "{what}({x:e}) = {got:e}, want {want:e}: error {:e} of scale {scale:e}",
        err
    );
}

fn check_logistic_family(x: f32) {
    let xd = f64::from(x);
    let s = sigmoid64(xd);
    close("sigmoid", x, sigmoid(x), s, s, SIGMOID_MAX_REL_ERR);
    close(
        "silu",
        x,
        silu(x),
        xd * s,
        (xd * s).abs(),
        SIGMOID_MAX_REL_ERR,
    );
    let one_minus = sigmoid64(-xd);
    let grad_scale = s + (xd * s * one_minus).abs();
    let grad = s + xd * s * one_minus;
    close(
        "silu_grad",
        x,
        silu_grad(x),
        grad,
        grad_scale,
        SILU_GRAD_MAX_REL_ERR,
    );
}

fn check_tanh(x: f32) {
    let want = f64::from(x).tanh();
    close("tanh", x, tanh(x), want, want.abs(), TANH_MAX_REL_ERR);
}

#[test]
fn exp_meets_its_bound_on_a_dense_sweep() {
    // About 2 million points over the whole range where exp is neither 0 nor inf.
    for x in sweep(-104.0, 89.0, 1021) {
        check_exp(x);
    }
}

#[test]
fn exp_special_values_and_range_ends() {
    assert_eq!(exp(0.0).to_bits(), 1.0f32.to_bits());
    assert_eq!(exp(-0.0).to_bits(), 1.0f32.to_bits());
    assert_eq!(exp(f32::INFINITY), f32::INFINITY);
    assert_eq!(exp(f32::NEG_INFINITY).to_bits(), 0.0f32.to_bits());
    assert!(exp(f32::NAN).is_nan());
    assert!(exp(-f32::NAN).is_nan());
    // ln(f32::MAX) = 88.7228391...: the largest finite result and the first overflow.
    let last_finite = 88.722_83f32;
    assert!(exp(last_finite).is_finite());
    check_exp(last_finite);
    assert_eq!(
        exp(f32::from_bits(last_finite.to_bits() + 1)),
        f32::INFINITY
    );
    assert_eq!(exp(88.8), f32::INFINITY);
    assert_eq!(exp(1e30), f32::INFINITY);
    assert_eq!(exp(f32::MAX), f32::INFINITY);
    // The normal/subnormal boundary (ln 2^-126 = -87.336...) and subnormal results.
    for x in [
        -87.33, -87.336_55, -87.34, -88.0, -95.0, -100.0, -103.0, -103.27,
    ] {
        check_exp(x);
        assert!(exp(x) > 0.0, "exp({x}) is subnormal, not zero");
    }
    // Below ln 2^-150 the result rounds to zero.
    for x in [-103.98f32, -104.0, -200.0, -1e30, f32::MIN] {
        assert_eq!(exp(x).to_bits(), 0.0f32.to_bits(), "exp({x})");
    }
    // Tiny and subnormal arguments give exactly 1.
    for x in [1e-45f32, -1e-45, 1e-30, -1e-30, 1e-9] {
        assert_eq!(exp(x), 1.0, "exp({x})");
    }
    check_exp(1.0);
    check_exp(-1.0);
}

#[test]
fn activations_meet_their_bounds_on_a_dense_sweep() {
    for x in sweep(-120.0, 120.0, 4093) {
        check_logistic_family(x);
        check_tanh(x);
    }
}

#[test]
fn tanh_is_accurate_across_the_polynomial_switch_and_saturates() {
    let at = TANH_POLY_MAX;
    for k in -64..64 {
        let x = f32::from_bits((at.to_bits() as i32 + k) as u32);
        check_tanh(x);
        check_tanh(-x);
    }
    for x in [1e-45f32, 1e-38, 1e-20, 1e-7, 1e-4] {
        assert_eq!(tanh(x), x, "tanh({x}) rounds to x");
        assert_eq!(tanh(-x), -x);
    }
    assert_eq!(tanh(0.0).to_bits(), 0.0f32.to_bits());
    assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    for x in [9.1f32, 20.0, 1e4, f32::MAX, f32::INFINITY] {
        assert_eq!(tanh(x), 1.0, "tanh({x})");
        assert_eq!(tanh(-x), -1.0, "tanh({})", -x);
    }
    assert!(tanh(f32::NAN).is_nan());
}

#[test]
fn special_values_agree_with_the_scalar_definitions() {
    use scorediff_backend::{Activation, Unary};
    let specials = [
        0.0f32,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        88.8,
        -88.8,
        -104.0,
        -1e30,
        1e30,
        f32::MAX,
        f32::MIN,
        1e-45,
    ];
    type Kernel = fn(f32) -> f32;
    type Scalar = fn(f32) -> f32;
    let fast: [(&str, Kernel, Scalar); 5] = [
        ("exp", exp, |x| Unary::Exp.apply(x)),
        ("sigmoid", sigmoid, |x| Unary::Sigmoid.apply(x)),
        ("silu", silu, |x| Activation::Silu.apply(x)),
        ("silu_grad", silu_grad, |x| Activation::Silu.derivative(x)),
        ("tanh", tanh, |x| Unary::Tanh.apply(x)),
    ];
    for (name, f, scalar) in fast {
        for x in specials {
            let (got, want) = (f(x), scalar(x));
            let same = (got.is_nan() && want.is_nan())
                || got == want
                || (want.is_finite()
                    && f64::from(got - want).abs() <= 1e-6 * f64::from(want.abs()));
            assert!(same, "{name}({x}) = {got}, scalar definition {want}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn exp_meets_its_bound_on_random_values(x in -110.0f32..95.0) {
        prop_assert!(exp_error(exp(x), f64::from(x).exp()).is_ok(), "exp({:e})", x);
    }

    #[test]
    fn exp_handles_any_bit_pattern(bits in any::<u32>()) {
        let x = f32::from_bits(bits);
        if x.is_nan() {
            prop_assert!(exp(x).is_nan());
        } else {
            prop_assert!(exp_error(exp(x), f64::from(x).exp()).is_ok(), "exp({:e})", x);
        }
    }

    #[test]
    fn activations_meet_their_bounds_on_random_values(x in -100.0f32..100.0, tiny in -1e-3f32..1e-3) {
        check_logistic_family(x);
        check_tanh(x);
        check_logistic_family(tiny);
        check_tanh(tiny);
    }
}

/// Exhaustive check of [`exp`] on every `f32` in `[-104, 89]` (about 2.2e9 values): run
/// with `cargo test --release -p scorediff-faer -- --ignored exp_is_accurate_on_every_f32`.
#[test]
#[ignore = "exhaustive, about 80 s in release"]
fn exp_is_accurate_on_every_f32() {
    let mut worst = (0.0f64, 0.0f32);
    for x in sweep(-104.0, 89.0, 1) {
        let want = f64::from(x).exp();
        if let Err(e) = exp_error(exp(x), want) {
            panic!("exp({x:e}): {e}");
        }
        if want >= MIN_NORMAL && want <= f64::from(f32::MAX) {
            let rel = (f64::from(exp(x)) - want).abs() / want;
            if rel > worst.0 {
                worst = (rel, x);
            }
        }
    }
    eprintln!("max relative error {:e} at x = {:e}", worst.0, worst.1);
}
