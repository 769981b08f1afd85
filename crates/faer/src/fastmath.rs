//! Branch-free `f32` exponential and the activations built on it, written so that a loop
//! over a slice auto-vectorises on baseline x86-64 (SSE2: no FMA, no `roundps`).
//!
//! The scalar `apply` definitions in `scorediff_backend::ops` call libm's `expf`, which the
//! compiler cannot vectorise; in MLP training that call dominated the elementwise maps.
//! Every function here is a straight-line sequence of adds, multiplies, one division,
//! compares turned into selects and integer bit operations, with no call and no branch,
//! so LLVM's loop vectoriser maps it onto 4-wide SSE registers (8-wide AVX2 registers where
//! the elementwise loops detect AVX2 at run time; both give the same bits).
//!
//! # Method ([`exp`])
//!
//! Cephes `expf` (S. L. Moshier) rearranged to be branch-free:
//!
//! 1. clamp `x` to `[-104, 89]` (below `-104`, `e^x < 2^-150` rounds to `0`; above `89`,
//!    `e^x > f32::MAX` and the result overflows to `+inf`); NaN passes the clamp unchanged;
//! 2. `n = round(x log2 e)` by adding and subtracting `1.5 * 2^23` (round to nearest even),
//!    `r = x - n C1 - n C2` with `C1 + C2 = ln 2` split so that `n C1` is exact
//!    (`C1 = 0.693359375` has 9 significant bits), giving `|r| <= ln 2 / 2` with no
//!    cancellation error;
//! 3. `e^r ~= 1 + r + r^2 P(r)`, `P` the degree-5 Cephes minimax polynomial (degree 7 in
//!    all, Horner without FMA);
//! 4. `2^n` built from exponent bits, as `2^(n >> 1) * 2^(n - (n >> 1))` so that both
//!    factors are normal numbers for every `n` in `[-150, 128]`: the first product is exact
//!    and only the second rounds, which yields correctly scaled subnormal results, `0`
//!    below the subnormal range and `+inf` above `f32::MAX`.
//!
//! # Accuracy
//!
//! Measured exhaustively, on every `f32` of the stated range, against `f64::exp` and the
//! `f64` formulas; the tests in this module check the bounds on dense sweeps and random
//! values (the ignored test `exp_is_accurate_on_every_f32` repeats the exhaustive `exp`
//! check).
//!
//! | function | range | max error, measured | bound tested |
//! | --- | --- | --- | --- |
//! | [`exp`], normal results | `[-87.3, 88.7]` | 8.2e-8 relative (1.4 ulp) | 1e-7 |
//! | [`exp`], subnormal results | `[-104, -87.3]` | one subnormal ulp (`2^-149`) absolute | `2^-149` |
//! | [`sigmoid`] | `[-120, 120]` | 2.0e-7 relative | 3e-7 |
//! | [`silu`] | `[-87.3, 120]` | 2.5e-7 relative | 3e-7 |
//! | [`silu_grad`] | `[-87.3, 120]` | 3.3e-7 relative to `s + |x s (1 - s)|` | 4e-7 |
//! | [`tanh`] | `[-120, 120]` | 1.5e-7 relative | 2e-7 |
//!
//! `silu_grad` is measured against the scale of its sum because its value crosses zero
//! near `x = -1.28`. Where `sigmoid(x)` is subnormal (`x < -87.3`) it carries one
//! subnormal ulp of absolute error, which `silu` and `silu_grad` multiply by `|x|`; the
//! scalar definitions behave the same. For comparison, the libm-based scalar definitions
//! measure 6.0e-8 (`exp`), 1.8e-7 (`sigmoid`), 2.2e-7 (`silu`), 9.8e-7
//! (`silu_grad`, which loses `1 - s` to cancellation) and 1.7e-7 (`tanh`).
//!
//! Special values follow the scalar definitions: `exp(±0) = 1`, `exp(-inf) = 0`,
//! `exp(+inf) = +inf`, NaN in gives NaN out, and every function is a pure function of its
//! input (same bits in, same bits out, whatever the threading).

/// Below this, `e^x` rounds to zero (`e^-104 ~= 6.8e-46 < 2^-150`).
const EXP_LO: f32 = -104.0;
/// Above this, `e^x` overflows (`ln f32::MAX ~= 88.72`).
const EXP_HI: f32 = 89.0;
/// `1.5 * 2^23`: adding it rounds a float of magnitude below `2^22` to an integer.
const ROUND_MAGIC: f32 = 12_582_912.0;
/// `log2 e`, to find `n = round(x / ln 2)`.
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// High part of `ln 2`, exact in 9 bits so that `n * LN2_HI` is exact for `|n| <= 2^15`.
const LN2_HI: f32 = 0.693_359_4;
/// `ln 2 - LN2_HI`.
const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes `expf` minimax coefficients of `(e^r - 1 - r) / r^2`, highest degree first
/// (the last, `0.500000012`, rounds to `0.5` in `f32`).
const EXP_P: [f32; 6] = [
    1.987_569_1e-4,
    1.398_199_9e-3,
    8.333_452e-3,
    4.166_579_6e-2,
    1.666_666_5e-1,
    0.5,
];
/// Below this `|x|`, [`tanh`] uses its odd polynomial (no cancellation in `1 - e^-2|x|`).
const TANH_POLY_MAX: f32 = 0.625;
/// Cephes `tanhf` minimax coefficients of `(tanh x - x) / x^3` in `z = x^2`, highest first.
const TANH_P: [f32; 5] = [
    -5.704_988_7e-3,
    2.063_908_8e-2,
    -5.373_971_6e-2,
    1.333_144_2e-1,
    -3.333_328e-1,
];

/// `2^k` for `k` in `[-126, 127]`, from the exponent bits.
#[inline(always)]
fn pow2i(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) as u32) << 23)
}

/// `e^x` in `f32`, branch-free; see the module documentation for the method and bounds.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    // `clamp` returns NaN for NaN, so NaN propagates through the arithmetic below.
    let xc = x.clamp(EXP_LO, EXP_HI);
    let t = xc * LOG2_E + ROUND_MAGIC;
    let n_f = t - ROUND_MAGIC;
    // The low mantissa bits of `t` hold `n` (two's complement within the magic offset).
    let n = (t.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    let r = xc - n_f * LN2_HI - n_f * LN2_LO;
    let mut p = EXP_P[0];
    for &c in &EXP_P[1..] {
        p = p * r + c;
    }
    let e_r = p * (r * r) + r + 1.0;
    let n1 = n >> 1;
    e_r * pow2i(n1) * pow2i(n.wrapping_sub(n1))
}

/// `e^{-|x|}` and `1 / (1 + e^{-|x|})`, the pieces of a stable logistic function:
/// `sigmoid(|x|) = d`, `sigmoid(-|x|) = e d`.
#[inline(always)]
fn logistic_parts(x: f32) -> (f32, f32) {
    let e = exp(-x.abs());
    (e, 1.0 / (1.0 + e))
}

/// `(sigmoid(x), 1 - sigmoid(x))`, each computed without cancellation.
#[inline(always)]
fn sigmoid_pair(x: f32) -> (f32, f32) {
    let (e, d) = logistic_parts(x);
    let small = e * d;
    if x >= 0.0 { (d, small) } else { (small, d) }
}

/// `1 / (1 + e^{-x})`, never evaluating `e^x` for large positive `x` (as
/// `scorediff_backend::ops::sigmoid`).
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    sigmoid_pair(x).0
}

/// `x sigmoid(x)`.
#[inline(always)]
pub(crate) fn silu(x: f32) -> f32 {
    x * sigmoid(x)
}

/// `silu'(x) = s + x s (1 - s)` with `s = sigmoid(x)`; `1 - s` is `sigmoid(-x)`, computed
/// directly rather than by cancellation.
#[inline(always)]
pub(crate) fn silu_grad(x: f32) -> f32 {
    let (s, one_minus_s) = sigmoid_pair(x);
    s + x * s * one_minus_s
}

/// `tanh(x)`: an odd minimax polynomial for `|x| < 0.625`, where `1 - e^{-2|x|}` would
/// cancel, else `(1 - e) / (1 + e)` with `e = e^{-2|x|}` and the sign of `x` (`e` underflows
/// to `0` for large `|x|`, giving exactly `±1`).
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let ax = x.abs();
    let z = x * x;
    let mut p = TANH_P[0];
    for &c in &TANH_P[1..] {
        p = p * z + c;
    }
    let small = ax + ax * z * p;
    let e = exp(-2.0 * ax);
    let large = (1.0 - e) / (1.0 + e);
    // NaN fails the comparison and takes the `large` branch, which is NaN. The sign is
    // applied last, so that `tanh(-0) = -0`.
    let magnitude = if ax < TANH_POLY_MAX { small } else { large };
    magnitude.copysign(x)
}

#[cfg(test)]
#[path = "fastmath_tests.rs"]
mod tests;
