//! The fused kernels against the composed defaults they replace: Adam bit for bit (the
//! same IEEE operations in the same order), the bias-in-accumulation product within
//! rounding, and the tiled transpose exactly, on shapes around the tile and block sizes.

use proptest::prelude::*;
use scorediff_backend::ops::composed;
use scorediff_backend::prelude::*;
use scorediff_backend::{AdamStep, Average, Transpose};
use scorediff_faer::{FaerBackend, FaerMatrix};

fn values(n: usize, seed: u32, positive: bool) -> Vec<f32> {
    // A cheap deterministic spread of magnitudes and signs (an LCG).
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let u = (s >> 8) as f32 / (1u32 << 24) as f32;
            let x = (u - 0.5) * 2.0 * 10f32.powi((s % 7) as i32 - 4);
            if positive { x.abs() } else { x }
        })
        .collect()
}

fn mat(be: &FaerBackend, rows: usize, cols: usize, seed: u32, positive: bool) -> FaerMatrix {
    be.from_host(rows, cols, &values(rows * cols, seed, positive))
        .unwrap()
}

fn bits(be: &FaerBackend, m: &FaerMatrix) -> Vec<u32> {
    be.to_host(m).unwrap().iter().map(|v| v.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn adam_update_is_the_composed_default_bit_for_bit(
        len in prop_oneof![1usize..64, 32_760usize..32_780, 70_000usize..70_010],
        k in 1u64..2000,
        decay_wd in 0usize..4,
        seed in 0u32..1000,
    ) {
        let be = FaerBackend::default();
        let wd = [0.0, 1e-2][decay_wd % 2];
        let step = AdamStep::new(0.9, 0.999, 1e-8, wd, 2e-3, k);
        let avg = (decay_wd >= 2).then(|| Average::new(0.999));
        let p0 = mat(&be, 1, len, seed, false);
        let g = mat(&be, 1, len, seed + 1, false);
        let m0 = mat(&be, 1, len, seed + 2, false);
        let v0 = mat(&be, 1, len, seed + 3, true);
        let e0 = mat(&be, 1, len, seed + 4, false);
        let (mut p1, mut m1, mut v1, mut e1) = (p0.clone(), m0.clone(), v0.clone(), e0.clone());
        be.adam_update(&step, &mut p1, &g, &mut m1, &mut v1, avg.map(|a| (&mut e1, a))).unwrap();
        let (mut p2, mut m2, mut v2, mut e2) = (p0, m0, v0, e0);
        composed::adam_update(&be, &step, &mut p2, &g, &mut m2, &mut v2, avg.map(|a| (&mut e2, a)))
            .unwrap();
        prop_assert_eq!(bits(&be, &p1), bits(&be, &p2));
        prop_assert_eq!(bits(&be, &m1), bits(&be, &m2));
        prop_assert_eq!(bits(&be, &v1), bits(&be, &v2));
        prop_assert_eq!(bits(&be, &e1), bits(&be, &e2));
    }

    #[test]
    fn transpose_is_exact(rows in 0usize..150, cols in 0usize..150, seed in 0u32..1000) {
        let be = FaerBackend::default();
        let a = mat(&be, rows, cols, seed, false);
        let t = be.transpose(&a).unwrap();
        prop_assert_eq!(t.shape(), (cols, rows));
        let (a, t) = (be.to_host(&a).unwrap(), be.to_host(&t).unwrap());
        for i in 0..rows {
            for j in 0..cols {
                prop_assert_eq!(t[j * rows + i].to_bits(), a[i * cols + j].to_bits());
            }
        }
    }

    #[test]
    fn linear_matches_product_then_bias(
        m in 0usize..40, k in 0usize..40, n in 1usize..40,
        trans in any::<bool>(), with_bias in any::<bool>(), seed in 0u32..1000,
    ) {
        let be = FaerBackend::default();
        let tw = if trans { Transpose::Yes } else { Transpose::No };
        let x = mat(&be, m, k, seed, false);
        let w = if trans { mat(&be, n, k, seed + 1, false) } else { mat(&be, k, n, seed + 1, false) };
        let b = mat(&be, 1, n, seed + 2, false);
        let bias = with_bias.then_some(&b);
        let fused = be.to_host(&be.linear(0.5, &x, &w, tw, bias).unwrap()).unwrap();
        let plain = be.to_host(&composed::linear(&be, 0.5, &x, &w, tw, bias).unwrap()).unwrap();
        // Both round the same terms; the bias may join the sum at another point.
        let scale = fused.iter().chain(&plain).map(|v| v.abs()).fold(1e-30f32, f32::max);
        for (a, b) in fused.iter().zip(&plain) {
            prop_assert!((a - b).abs() <= 1e-5 * scale, "{} vs {}", a, b);
        }
    }
}

#[test]
fn large_transposes_are_exact() {
    let be = FaerBackend::default();
    for (rows, cols) in [(4096, 512), (513, 1031), (1, 70_000), (70_000, 1)] {
        let a = mat(&be, rows, cols, 7, false);
        let t = be.to_host(&be.transpose(&a).unwrap()).unwrap();
        let a = be.to_host(&a).unwrap();
        for i in (0..rows).step_by(7) {
            for j in (0..cols).step_by(3) {
                assert_eq!(
                    t[j * rows + i],
                    a[i * cols + j],
                    "({i}, {j}) of {rows}x{cols}"
                );
            }
        }
    }
}
