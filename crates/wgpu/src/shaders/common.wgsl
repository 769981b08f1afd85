// Shared prelude of every scorediff kernel: launch-grid helpers, accurate f32 math
// functions and the op-code tables of `Unary` and `Binary`.
//
// The WGSL/Vulkan precision requirements for exp, tanh, sin, cos and acos are loose
// (e.g. sin only to 2^-11 absolute inside [-pi, pi]), so these are implemented here from
// argument reduction plus short minimax polynomials (Cody-Waite reduction, the Cephes
// single-precision coefficients). They agree with the host's libm to a few ulps and keep
// the GPU within the conformance tolerances on every driver.

const PI: f32 = 3.14159265358979;
const HALF_PI: f32 = 1.57079632679490;

// Linear id of the current workgroup in a 2-D launch grid.
fn linear_workgroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// e^x = 2^n e^r with n = round(x / ln 2) and r = x - n ln 2 (ln 2 split in two parts so
// that n * LN2_HI is exact), |r| <= ln2 / 2 where the built-in exp is accurate.
fn exp_acc(x: f32) -> f32 {
    if (x > 88.0) {
        return exp(x);
    }
    if (x < -103.0) {
        return 0.0;
    }
    let n = round(x * 1.44269504088896);
    let r = (x - n * 0.693359375) - n * -2.12194440e-4;
    return ldexp(exp(r), i32(n));
}

// Logistic function without overflow: e^x is never evaluated for large positive x.
fn sigmoid_acc(x: f32) -> f32 {
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp_acc(-x));
    }
    let e = exp_acc(x);
    return e / (1.0 + e);
}

// tanh: odd polynomial for |x| < 0.625 (no cancellation near 0), else 1 - 2 / (e^{2|x|} + 1).
fn tanh_acc(x: f32) -> f32 {
    let a = abs(x);
    var t: f32;
    if (a < 0.625) {
        let s = x * x;
        return ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s
            + 1.33314422036e-1) * s - 3.33332819422e-1) * s * x + x;
    }
    if (a > 44.0) {
        t = 1.0;
    } else {
        t = 1.0 - 2.0 / (exp_acc(2.0 * a) + 1.0);
    }
    return select(t, -t, x < 0.0);
}

// sin(r) and cos(r) for |r| <= pi/4.
fn sin_poly(r: f32) -> f32 {
    let z = r * r;
    return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
}

fn cos_poly(r: f32) -> f32 {
    let z = r * r;
    return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z
        - 0.5 * z + 1.0;
}

// Octant reduction: |x| = j pi/4 + r with j even, |r| <= pi/4 (pi/4 split in three parts).
struct Reduced {
    r: f32,
    j: u32,
}

fn reduce_quarter_pi(a: f32) -> Reduced {
    var j = u32(a * 1.27323954473516);
    var y = f32(j);
    if ((j & 1u) == 1u) {
        j = j + 1u;
        y = y + 1.0;
    }
    let r = ((a - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
    return Reduced(r, j & 7u);
}

fn sin_acc(x: f32) -> f32 {
    var neg = x < 0.0;
    let red = reduce_quarter_pi(abs(x));
    var j = red.j;
    if (j > 3u) {
        neg = !neg;
        j = j - 4u;
    }
    var v: f32;
    if (j == 1u || j == 2u) {
        v = cos_poly(red.r);
    } else {
        v = sin_poly(red.r);
    }
    return select(v, -v, neg);
}

fn cos_acc(x: f32) -> f32 {
    let red = reduce_quarter_pi(abs(x));
    var j = red.j;
    var neg = false;
    if (j > 3u) {
        j = j - 4u;
        neg = !neg;
    }
    if (j > 1u) {
        neg = !neg;
    }
    var v: f32;
    if (j == 1u || j == 2u) {
        v = sin_poly(red.r);
    } else {
        v = cos_poly(red.r);
    }
    return select(v, -v, neg);
}

// asin on [-0.5, 0.5] (odd polynomial).
fn asin_poly(a: f32) -> f32 {
    let z = a * a;
    return ((((4.2163199048e-2 * z + 2.4181311049e-2) * z + 4.5470025998e-2) * z
        + 7.4953002686e-2) * z + 1.6666752422e-1) * z * a + a;
}

// acos on [-1, 1] through asin: half-angle identity near +-1, pi/2 - asin elsewhere.
fn acos_acc(c: f32) -> f32 {
    if (c > 0.5) {
        return 2.0 * asin_poly(sqrt(0.5 * (1.0 - c)));
    }
    if (c < -0.5) {
        return PI - 2.0 * asin_poly(sqrt(0.5 * (1.0 + c)));
    }
    return HALF_PI - asin_poly(c);
}

// Rust's f32::max / f32::min: a NaN operand yields the other operand.
fn max_num(a: f32, b: f32) -> f32 {
    return select(b, a, a > b || b != b);
}

fn min_num(a: f32, b: f32) -> f32 {
    return select(b, a, a < b || b != b);
}

fn silu_grad(x: f32) -> f32 {
    let s = sigmoid_acc(x);
    return s + x * s * (1.0 - s);
}

// Op codes of the unary maps (`UnaryMap` in ops/elementwise.rs): core ops, activations,
// their derivatives and the arc-cosine maps.
fn apply_unary(op: u32, x: f32) -> f32 {
    switch op {
        case 0u: { return select(0.0, x, x > 0.0); }
        case 1u: { return select(0.0, 1.0, x > 0.0); }
        case 2u: { return x * sigmoid_acc(x); }
        case 3u: { return silu_grad(x); }
        case 4u: { return sigmoid_acc(x); }
        case 5u: { return tanh_acc(x); }
        case 6u: { return exp_acc(x); }
        case 7u: { return log(x); }
        case 8u: { return sqrt(x); }
        case 9u: { return x * x; }
        case 10u: { return abs(x); }
        case 11u: { return 1.0 / x; }
        case 12u: { return sin_acc(x); }
        case 13u: { return cos_acc(x); }
        case 14u: {
            let c = clamp(x, -1.0, 1.0);
            return (PI - acos_acc(c)) / PI;
        }
        case 15u: {
            let c = clamp(x, -1.0, 1.0);
            return (sqrt(max(1.0 - c * c, 0.0)) + (PI - acos_acc(c)) * c) / PI;
        }
        case 16u: { return acos_acc(clamp(x, -1.0, 1.0)); }
        default: { return x; }
    }
}

// Op codes of the binary maps (`BinaryMap` in ops/elementwise.rs): `Binary::ALL` in order,
// then the fused ReLU and SiLU backward maps.
fn apply_binary(op: u32, a: f32, b: f32) -> f32 {
    switch op {
        case 0u: { return a + b; }
        case 1u: { return a - b; }
        case 2u: { return a * b; }
        case 3u: { return a / b; }
        case 4u: { return max_num(a, b); }
        case 5u: { return min_num(a, b); }
        case 6u: { return select(0.0, b, a > 0.0); }
        case 7u: { return b * silu_grad(a); }
        default: { return a; }
    }
}
