//! L2-regularised logistic regression fitted by Newton's method, scikit-learn's
//! `LogisticRegression(C)` objective: `min 1/2 |w|^2 + C sum_i [log(1 + e^{z_i}) - y_i z_i]`,
//! `z_i = x_i . w + b`, the intercept `b` unpenalised.

use rayon::prelude::*;

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// Feature weights.
    pub w: Vec<f64>,
    /// Intercept.
    pub b: f64,
}

/// Rows per parallel task when accumulating gradients and hessians.
const CHUNK: usize = 2048;

/// Objective, gradient and (lower-triangular, row-major) hessian at `theta = (w, b)` for
/// row-major `x` (`n x p`).
fn derivatives(
    x: &[f64],
    y: &[bool],
    theta: &[f64],
    c: f64,
    with_hessian: bool,
) -> (f64, Vec<f64>, Vec<f64>) {
    let p = theta.len() - 1;
    let q = p + 1;
    let n = y.len();
    let zero = || {
        (
            0.0,
            vec![0.0; q],
            if with_hessian {
                vec![0.0; q * q]
            } else {
                Vec::new()
            },
        )
    };
    let (loss, mut grad, mut hess) = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|k| {
            let (mut l, mut g, mut h) = zero();
            let mut xa = vec![0.0; q];
            for i in k * CHUNK..((k + 1) * CHUNK).min(n) {
                xa[..p].copy_from_slice(&x[i * p..(i + 1) * p]);
                xa[p] = 1.0;
                let z: f64 = xa.iter().zip(theta).map(|(a, t)| a * t).sum();
                let yi = if y[i] { 1.0 } else { 0.0 };
                // log(1 + e^z) computed stably.
                l += if z > 0.0 {
                    z + (-z).exp().ln_1p()
                } else {
                    z.exp().ln_1p()
                } - yi * z;
                let s = 1.0 / (1.0 + (-z).exp());
                let r = s - yi;
                g.iter_mut().zip(&xa).for_each(|(gj, a)| *gj += r * a);
                if with_hessian {
                    let d = s * (1.0 - s);
                    for a in 0..q {
                        let da = d * xa[a];
                        let row = &mut h[a * q..a * q + a + 1];
                        row.iter_mut()
                            .zip(&xa[..=a])
                            .for_each(|(hv, xb)| *hv += da * xb);
                    }
                }
            }
            (l, g, h)
        })
        .reduce(zero, |(l1, mut g1, mut h1), (l2, g2, h2)| {
            g1.iter_mut().zip(&g2).for_each(|(a, b)| *a += b);
            h1.iter_mut().zip(&h2).for_each(|(a, b)| *a += b);
            (l1 + l2, g1, h1)
        });
    let penalty: f64 = theta[..p].iter().map(|t| t * t).sum::<f64>() * 0.5;
    grad.iter_mut().for_each(|g| *g *= c);
    grad[..p]
        .iter_mut()
        .zip(&theta[..p])
        .for_each(|(g, t)| *g += t);
    if with_hessian {
        hess.iter_mut().for_each(|h| *h *= c);
        (0..p).for_each(|a| hess[a * q + a] += 1.0);
    }
    (c * loss + penalty, grad, hess)
}

/// Solves `H d = g` for a symmetric positive-definite `H` given by its lower triangle
/// (Cholesky); a tiny ridge keeps it definite.
fn solve_spd(h: &[f64], g: &[f64]) -> Vec<f64> {
    let q = g.len();
    let mut l = vec![0.0; q * q];
    for i in 0..q {
        for j in 0..=i {
            let s: f64 = h[i * q + j] - (0..j).map(|k| l[i * q + k] * l[j * q + k]).sum::<f64>();
            l[i * q + j] = if i == j {
                (s + 1e-10).max(1e-12).sqrt()
            } else {
                s / l[j * q + j]
            };
        }
    }
    let mut z = g.to_vec();
    for i in 0..q {
        z[i] = (z[i] - (0..i).map(|k| l[i * q + k] * z[k]).sum::<f64>()) / l[i * q + i];
    }
    for i in (0..q).rev() {
        z[i] = (z[i] - (i + 1..q).map(|k| l[k * q + i] * z[k]).sum::<f64>()) / l[i * q + i];
    }
    z
}

impl Logistic {
    /// Fits on row-major `x` (`y.len()` rows of `p` features) with inverse penalty `c`:
    /// Newton steps with backtracking until the gradient's max-norm is below `1e-6 (1 + C n)`
    /// relative or 50 steps.
    pub fn fit(x: &[f64], p: usize, y: &[bool], c: f64) -> Self {
        let mut theta = vec![0.0; p + 1];
        let tol = 1e-8 * (1.0 + c * y.len() as f64);
        for _ in 0..50 {
            let (f0, g, h) = derivatives(x, y, &theta, c, true);
            if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) < tol {
                break;
            }
            let d = solve_spd(&h, &g);
            let slope: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
            let mut step = 1.0;
            loop {
                let cand: Vec<f64> = theta.iter().zip(&d).map(|(t, di)| t - step * di).collect();
                let (f1, _, _) = derivatives(x, y, &cand, c, false);
                if f1 <= f0 - 1e-4 * step * slope || step < 1e-8 {
                    theta = cand;
                    break;
                }
                step *= 0.5;
            }
        }
        let b = theta[p];
        theta.truncate(p);
        Self { w: theta, b }
    }

    /// Log-odds `x . w + b` of every row of row-major `x`.
    pub fn decision(&self, x: &[f64]) -> Vec<f64> {
        let p = self.w.len();
        x.par_chunks(p.max(1))
            .map(|r| r.iter().zip(&self.w).map(|(a, w)| a * w).sum::<f64>() + self.b)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intercept_only_by_hand() {
        // No features (p = 0): the unpenalised intercept solves sigmoid(b) = mean(y) = 1/4,
        // b = ln(1/3).
        let m = Logistic::fit(&[], 0, &[true, false, false, false], 1.0);
        assert!((m.b - (1.0f64 / 3.0).ln()).abs() < 1e-8);
    }

    #[test]
    fn stationarity_of_penalised_objective() {
        // x = (-1, 0, 1, 2), y = (0, 1, 0, 1), C = 1: at the optimum
        // w + sum (s_i - y_i) x_i = 0 and sum (s_i - y_i) = 0.
        let x = [-1.0, 0.0, 1.0, 2.0];
        let y = [false, true, false, true];
        let m = Logistic::fit(&x, 1, &y, 1.0);
        let (mut gw, mut gb) = (m.w[0], 0.0);
        for (xi, yi) in x.iter().zip(y) {
            let r = 1.0 / (1.0 + (-(m.w[0] * xi + m.b)).exp()) - if yi { 1.0 } else { 0.0 };
            gw += r * xi;
            gb += r;
        }
        assert!(gw.abs() < 1e-7 && gb.abs() < 1e-7);
        assert!(m.w[0] > 0.0);
    }
}
