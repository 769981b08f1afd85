//! The faer backend against naive reference loops.

use proptest::prelude::*;
use scorediff_backend::prelude::*;
use scorediff_backend::{Activation, Binary, ColumnBlock, Transpose, Unary};
use scorediff_faer::{FaerBackend, FaerMatrix};

fn naive_gemm(
    a: &[f32],
    (ar, ac): (usize, usize),
    ta: bool,
    b: &[f32],
    (br, bc): (usize, usize),
    tb: bool,
) -> (Vec<f64>, usize, usize) {
    let get_a = |i: usize, k: usize| if ta { a[k * ac + i] } else { a[i * ac + k] };
    let get_b = |k: usize, j: usize| if tb { b[j * bc + k] } else { b[k * bc + j] };
    let (m, inner) = if ta { (ac, ar) } else { (ar, ac) };
    let n = if tb { br } else { bc };
    let mut c = vec![0.0f64; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..inner)
                .map(|k| f64::from(get_a(i, k)) * f64::from(get_b(k, j)))
                .sum();
        }
    }
    (c, m, n)
}

fn values(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-3.0f32..3.0, n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn gemm_matches_naive_for_every_transpose(
        m in 0usize..9, k in 0usize..9, n in 0usize..9,
        ta in any::<bool>(), tb in any::<bool>(),
        alpha in -2.0f32..2.0, beta in prop::sample::select(vec![0.0f32, 1.0, -0.5]),
        seed in values(3 * 81),
    ) {
        let be = FaerBackend::default();
        let (a_shape, b_shape) = (if ta { (k, m) } else { (m, k) }, if tb { (n, k) } else { (k, n) });
        let a_data = &seed[..m * k];
        let b_data = &seed[81..81 + k * n];
        let c_data = &seed[162..162 + m * n];
        let a = be.from_host(a_shape.0, a_shape.1, a_data).unwrap();
        let b = be.from_host(b_shape.0, b_shape.1, b_data).unwrap();
        let mut c = be.from_host(m, n, c_data).unwrap();
        let t = |f: bool| if f { Transpose::Yes } else { Transpose::No };
        be.gemm(alpha, &a, t(ta), &b, t(tb), beta, &mut c).unwrap();
        let (ab, _, _) = naive_gemm(a_data, a_shape, ta, b_data, b_shape, tb);
        let got = be.to_host(&c).unwrap();
        for i in 0..m * n {
            let want = f64::from(alpha) * ab[i] + f64::from(beta) * f64::from(c_data[i]);
            prop_assert!((f64::from(got[i]) - want).abs() < 1e-4 * (1.0 + want.abs()));
        }
    }

    #[test]
    fn broadcasts_and_reductions_match_loops(r in 0usize..7, c in 0usize..7, data in values(49), v in values(7)) {
        let be = FaerBackend::default();
        let a = be.from_host(r, c, &data[..r * c]).unwrap();
        let row = be.from_host(1, c, &v[..c]).unwrap();
        let col = be.from_host(r, 1, &v[..r]).unwrap();
        let br = be.to_host(&be.broadcast_row(Binary::Sub, &a, &row).unwrap()).unwrap();
        let bc = be.to_host(&be.broadcast_col(Binary::Mul, &a, &col).unwrap()).unwrap();
        let rs = be.to_host(&be.row_sums(&a).unwrap()).unwrap();
        let cs = be.to_host(&be.col_sums(&a).unwrap()).unwrap();
        for i in 0..r {
            let mut s = 0.0;
            for j in 0..c {
                let x = data[i * c + j];
                prop_assert_eq!(br[i * c + j], x - v[j]);
                prop_assert_eq!(bc[i * c + j], x * v[i]);
                s += x;
            }
            prop_assert!((rs[i] - s).abs() < 1e-5);
        }
        for j in 0..c {
            let s: f32 = (0..r).map(|i| data[i * c + j]).sum();
            prop_assert!((cs[j] - s).abs() < 1e-5);
        }
    }
}

#[test]
fn an_uploaded_vector_is_the_uploaded_slice() {
    let be = FaerBackend::default();
    let data: Vec<f32> = (0..6).map(|i| i as f32 * 0.5 - 1.0).collect();
    let owned = be.from_host_vec(2, 3, data.clone()).unwrap();
    assert_eq!(owned, be.from_host(2, 3, &data).unwrap());
    assert_eq!(owned.shape(), (2, 3));
    assert_eq!(be.to_host(&owned).unwrap(), data);
}

#[test]
fn shape_errors_are_reported_not_panicked() {
    let be = FaerBackend::default();
    let a = be.zeros(2, 3).unwrap();
    let b = be.zeros(2, 2).unwrap();
    let mut c = be.zeros(2, 2).unwrap();
    assert!(
        be.gemm(1.0, &a, Transpose::No, &b, Transpose::No, 0.0, &mut c)
            .is_err()
    );
    assert!(be.binary(Binary::Add, &a, &b).is_err());
    assert!(be.from_host(2, 2, &[1.0; 3]).is_err());
    assert!(be.from_host_vec(2, 2, vec![1.0; 5]).is_err());
    assert!(be.gather_rows(&a, &[2]).is_err());
    assert!(be.slice_cols(&a, 2, 4).is_err());
    assert!(be.softmax_blocks(&a, &[ColumnBlock::new(2, 2)]).is_err());
}

#[test]
fn softmax_blocks_normalises_blocks_and_its_backward_matches_finite_differences() {
    let be = FaerBackend::default();
    let x = [0.3f32, -1.0, 2.0, 500.0, 499.0, 0.7];
    let blocks = [ColumnBlock::new(1, 2), ColumnBlock::new(3, 2)];
    let a = be.from_host(1, 6, &x).unwrap();
    let y = be
        .to_host(&be.softmax_blocks(&a, &blocks).unwrap())
        .unwrap();
    assert_eq!(y[0], 0.3);
    assert_eq!(y[5], 0.7);
    assert!((y[1] + y[2] - 1.0).abs() < 1e-6 && (y[3] + y[4] - 1.0).abs() < 1e-6);
    assert!(
        (y[3] - 1.0 / (1.0 + (-1.0f32).exp())).abs() < 1e-6,
        "stable at large logits"
    );
    // d/dx of L = sum_j w_j y_j, by central differences in f64.
    let w = [0.5f64, -1.0, 2.0, 0.25, -0.75, 1.5];
    let loss = |x: &[f64]| -> f64 {
        let mut y = x.to_vec();
        for b in &blocks {
            let m = y[b.start..b.end()].iter().cloned().fold(f64::MIN, f64::max);
            let s: f64 = y[b.start..b.end()].iter().map(|v| (v - m).exp()).sum();
            for v in &mut y[b.start..b.end()] {
                *v = (*v - m).exp() / s;
            }
        }
        y.iter().zip(&w).map(|(a, b)| a * b).sum()
    };
    let xs = [0.3f64, -1.0, 2.0, 5.0, 4.0, 0.7];
    let a = be.from_host(1, 6, &xs.map(|v| v as f32)).unwrap();
    let y = be.softmax_blocks(&a, &blocks).unwrap();
    let dy = be.from_host(1, 6, &w.map(|v| v as f32)).unwrap();
    let dx = be
        .to_host(&be.softmax_blocks_backward(&y, &dy, &blocks).unwrap())
        .unwrap();
    for i in 0..6 {
        let (mut p, mut m) = (xs, xs);
        p[i] += 1e-5;
        m[i] -= 1e-5;
        let fd = (loss(&p) - loss(&m)) / 2e-5;
        assert!(
            (f64::from(dx[i]) - fd).abs() < 1e-4,
            "column {i}: {} vs {fd}",
            dx[i]
        );
    }
}

/// Documented bound of the backend's exp, sigmoid, silu, silu_grad and tanh kernels
/// (relative, on normal results; see `fastmath` in this crate).
const EXP_FAMILY_TOL: f64 = 4e-7;

/// The maps the backend runs on its branch-free kernels.
#[derive(Debug, Clone, Copy)]
enum ExpFamily {
    Exp,
    Sigmoid,
    Silu,
    SiluGrad,
    Tanh,
}

impl ExpFamily {
    fn run(self, be: &FaerBackend, a: &FaerMatrix) -> Vec<f32> {
        let out = match self {
            ExpFamily::Exp => be.unary(Unary::Exp, a),
            ExpFamily::Sigmoid => be.unary(Unary::Sigmoid, a),
            ExpFamily::Silu => be.activation(Activation::Silu, a),
            ExpFamily::SiluGrad => be.activation_grad(Activation::Silu, a),
            ExpFamily::Tanh => be.unary(Unary::Tanh, a),
        };
        be.to_host(&out.unwrap()).unwrap()
    }

    /// The exact value in f64 and the scale its error bound is relative to
    /// (`s + |x s (1 - s)|` for silu_grad, whose value crosses zero).
    fn exact(self, x: f32) -> (f64, f64) {
        let x = f64::from(x);
        let s = 1.0 / (1.0 + (-x).exp());
        match self {
            ExpFamily::Exp => (x.exp(), x.exp()),
            ExpFamily::Sigmoid => (s, s),
            ExpFamily::Silu => (x * s, (x * s).abs()),
            ExpFamily::SiluGrad => (s + x * s * (1.0 - s), s + (x * s * (1.0 - s)).abs()),
            ExpFamily::Tanh => (x.tanh(), x.tanh().abs()),
        }
    }
}

#[test]
fn exp_family_ops_are_accurate_and_identical_with_any_threading() {
    // Larger than one parallel block (2^15 elements), so the threaded path splits it.
    let n = 70_001;
    let data: Vec<f32> = (0..n).map(|i| (i as f32 - 35_000.0) * 2.5e-3).collect();
    let par = FaerBackend::default();
    let seq = FaerBackend::new(faer::Par::Seq);
    let a = par.from_host(1, n, &data).unwrap();
    let b = par
        .from_host(1, n, &data.iter().rev().copied().collect::<Vec<_>>())
        .unwrap();
    for op in [
        ExpFamily::Exp,
        ExpFamily::Sigmoid,
        ExpFamily::Silu,
        ExpFamily::SiluGrad,
        ExpFamily::Tanh,
    ] {
        let got = op.run(&par, &a);
        let got_seq = op.run(&seq, &a);
        assert!(
            got.iter()
                .zip(&got_seq)
                .all(|(p, s)| p.to_bits() == s.to_bits())
        );
        for (g, &x) in got.iter().zip(&data) {
            let (want, scale) = op.exact(x);
            assert!(
                (f64::from(*g) - want).abs() <= EXP_FAMILY_TOL * scale,
                "{op:?}({x}) = {g}, want {want}"
            );
        }
    }
    let bw = par
        .to_host(&par.activation_backward(Activation::Silu, &a, &b).unwrap())
        .unwrap();
    let bw_seq = seq
        .to_host(&seq.activation_backward(Activation::Silu, &a, &b).unwrap())
        .unwrap();
    let grad = ExpFamily::SiluGrad.run(&par, &a);
    let dy = par.to_host(&b).unwrap();
    for i in 0..n {
        assert_eq!(bw[i].to_bits(), bw_seq[i].to_bits());
        // The fused backward is exactly dy * silu_grad(a), rounded once.
        assert_eq!(bw[i].to_bits(), (dy[i] * grad[i]).to_bits());
    }
}

#[test]
fn unary_and_structure_ops_follow_their_definitions() {
    let be = FaerBackend::default();
    let data: Vec<f32> = (0..12).map(|i| i as f32 * 0.37 - 2.0).collect();
    let a = be.from_host(3, 4, &data).unwrap();
    let fast = |op: Unary| match op {
        Unary::Exp => Some(ExpFamily::Exp),
        Unary::Sigmoid => Some(ExpFamily::Sigmoid),
        Unary::Tanh => Some(ExpFamily::Tanh),
        _ => None,
    };
    for op in Unary::ALL {
        let got = be.to_host(&be.unary(op, &a).unwrap()).unwrap();
        for (g, &x) in got.iter().zip(&data) {
            match fast(op).map(|f| f.exact(x)) {
                // Branch-free kernels: within their documented bound of the f64 value.
                Some((want, scale)) => assert!(
                    (f64::from(*g) - want).abs() <= EXP_FAMILY_TOL * scale,
                    "{}({x}) = {g}, want {want}",
                    op.name()
                ),
                None => assert!(
                    g.to_bits() == op.apply(x).to_bits() || (g.is_nan() && op.apply(x).is_nan()),
                    "{}",
                    op.name()
                ),
            }
        }
    }
    // The scalar-defined activation maps bit for bit.
    let relu = be
        .to_host(&be.activation(Activation::Relu, &a).unwrap())
        .unwrap();
    let step = be
        .to_host(&be.activation_grad(Activation::Relu, &a).unwrap())
        .unwrap();
    for ((r, s), &x) in relu.iter().zip(&step).zip(&data) {
        assert_eq!(r.to_bits(), Activation::Relu.apply(x).to_bits());
        assert_eq!(s.to_bits(), Activation::Relu.derivative(x).to_bits());
    }
    let g = be.gather_rows(&a, &[2, 0, 2]).unwrap();
    assert_eq!(be.to_host(&g).unwrap()[..4], data[8..12]);
    let s = be.slice_cols(&a, 1, 3).unwrap();
    assert_eq!(
        be.to_host(&s).unwrap(),
        vec![data[1], data[2], data[5], data[6], data[9], data[10]]
    );
    let cc = be.concat_cols(&[&s, &a]).unwrap();
    assert_eq!(cc.shape(), (3, 6));
    let cr = be.concat_rows(&[&a, &a]).unwrap();
    assert_eq!(be.to_host(&cr).unwrap()[12..], data[..]);
    let t = be.transpose(&a).unwrap();
    assert_eq!(be.to_host(&t).unwrap()[1], data[4]);
}

/// The composed defaults of `ActivationOps` (what a backend without fused kernels runs)
/// agree with the fused kernels on values of every magnitude.
#[test]
fn composed_activation_defaults_agree_with_the_fused_kernels() {
    use scorediff_backend::{ArcCos, ops::composed};
    let be = FaerBackend::new(faer::Par::Seq);
    let x: Vec<f32> = (0..4001).map(|i| (i as f32 - 2000.0) * 0.01).collect();
    let dy: Vec<f32> = x.iter().map(|v| (v * 3.1).sin() * 2.0).collect();
    let cos: Vec<f32> = (0..4001).map(|i| (i as f32 - 2000.0) * 6e-4).collect();
    let (a, g, c) = (
        be.from_host(1, x.len(), &x).unwrap(),
        be.from_host(1, dy.len(), &dy).unwrap(),
        be.from_host(1, cos.len(), &cos).unwrap(),
    );
    let close = |fused: FaerMatrix, default: FaerMatrix, what: &str| {
        let (f, d) = (be.to_host(&fused).unwrap(), be.to_host(&default).unwrap());
        let scale = f.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-30);
        for (i, (u, v)) in f.iter().zip(&d).enumerate() {
            assert!(
                (u - v).abs() <= 2e-6 * scale,
                "{what}[{i}]: fused {u}, composed {v}"
            );
        }
    };
    for act in Activation::ALL {
        let name = act.name();
        close(
            be.activation(act, &a).unwrap(),
            composed::activation(&be, act, &a).unwrap(),
            name,
        );
        close(
            be.activation_grad(act, &a).unwrap(),
            composed::activation_grad(&be, act, &a).unwrap(),
            name,
        );
        close(
            be.activation_backward(act, &a, &g).unwrap(),
            composed::activation_backward(&be, act, &a, &g).unwrap(),
            name,
        );
    }
    for degree in ArcCos::ALL {
        close(
            be.arc_cosine(degree, &c).unwrap(),
            composed::arc_cosine(&be, degree, &c).unwrap(),
            degree.name(),
        );
    }
}
