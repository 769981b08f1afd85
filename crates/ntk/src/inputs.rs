//! Kernel inputs `z = (x, t, 1)` and the truncation of unbounded inputs to a ball
//! (DESIGN.md §1: "time and a bias as inputs"; "truncation to a ball of radius R ~ sqrt(log N)").

use crate::error::{Result, invalid, shape};
use scorediff_backend::{Backend, DeviceMatrix};

/// Builds the network/kernel input `z = (x, t, 1)` (DESIGN.md §1) on the backend: `x` is
/// `rows x d`, `t` the `rows x 1` column of times; the result is `rows x (d + 2)`.
pub fn ntk_inputs<B: Backend>(be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
    if t.cols() != 1 || t.rows() != x.rows() {
        return Err(shape(format!(
            "times must be a {}x1 column, got {}x{}",
            x.rows(),
            t.rows(),
            t.cols()
        )));
    }
    let ones = be.full(x.rows(), 1, 1.0)?;
    Ok(be.concat_cols(&[x, t, &ones])?)
}

/// The truncation radius `R_N = constant * sqrt(ln N)` for `N` records.
///
/// In the theory the noised inputs `X_t` are Gaussian, hence unbounded; the analysis
/// restricts them to a ball whose radius grows like `sqrt(log N)` (a Gaussian vector leaves
/// it with probability polynomially small in `N`). The constant is a choice, named
/// `truncation_constant` in [`crate::StoppingRuleConfig`]. Returns `constant` for `N <= e`
/// (where `ln N < 1`) so the radius never collapses to zero.
pub fn truncation_radius(n: usize, constant: f64) -> f64 {
    let log_n = (n.max(1) as f64).ln().max(1.0);
    constant * log_n.sqrt()
}

/// The radius that a standard Gaussian vector in `R^d` leaves with probability at most
/// `1 / N`: `sqrt(d) + sqrt(2 ln N)` (Gaussian concentration of the norm, a 1-Lipschitz
/// function). A concrete choice of `R ~ sqrt(log N)` for noised inputs `X_t`, whose law is
/// close to `N(0, I_d)` for large `t`.
pub fn gaussian_truncation_radius(n: usize, d: usize) -> f64 {
    (d as f64).sqrt() + (2.0 * (n.max(1) as f64).ln()).sqrt()
}

/// Indices of the rows of a host row-major `rows x cols` matrix whose Euclidean norm is at
/// most `radius` (filtering records to the truncation ball). Apply it to the data part `x`
/// (not to the time or bias coordinates of `z`).
pub fn rows_in_ball(data: &[f32], rows: usize, cols: usize, radius: f64) -> Result<Vec<usize>> {
    check_host(data, rows, cols)?;
    if radius.is_nan() || radius < 0.0 {
        return Err(invalid(format!("radius must be >= 0, got {radius}")));
    }
    let r2 = radius * radius;
    Ok((0..rows)
        .filter(|&i| row_sq_norm(&data[i * cols..(i + 1) * cols]) <= r2)
        .collect())
}

/// Projects every row of a host row-major `rows x cols` matrix onto the ball of radius
/// `radius` (rows outside are scaled back to the sphere), in place. The alternative to
/// [`rows_in_ball`] when every record must be kept.
pub fn clip_to_ball(data: &mut [f32], rows: usize, cols: usize, radius: f64) -> Result<()> {
    check_host(data, rows, cols)?;
    if radius.is_nan() || radius < 0.0 {
        return Err(invalid(format!("radius must be >= 0, got {radius}")));
    }
    for row in data.chunks_mut(cols.max(1)).take(rows) {
        let norm = row_sq_norm(row).sqrt();
        if norm > radius {
            let s = (radius / norm) as f32;
            row.iter_mut().for_each(|v| *v *= s);
        }
    }
    Ok(())
}

fn row_sq_norm(row: &[f32]) -> f64 {
    row.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

fn check_host(data: &[f32], rows: usize, cols: usize) -> Result<()> {
    if rows.checked_mul(cols) != Some(data.len()) {
        return Err(shape(format!(
            "{rows}x{cols} matrix from {} values",
            data.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_grows_like_sqrt_log() {
        let r1 = truncation_radius(1000, 2.0);
        let r2 = truncation_radius(1_000_000, 2.0);
        assert!((r2 / r1 - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(truncation_radius(1, 3.0), 3.0);
    }

    #[test]
    fn ball_filter_and_clip_agree_on_membership() {
        let mut x = vec![3.0f32, 4.0, 0.1, 0.2, -6.0, 8.0];
        assert_eq!(rows_in_ball(&x, 3, 2, 5.0).unwrap(), vec![0, 1]);
        clip_to_ball(&mut x, 3, 2, 5.0).unwrap();
        assert!((x[4] + 3.0).abs() < 1e-6 && (x[5] - 4.0).abs() < 1e-6);
        assert_eq!(x[0], 3.0);
        assert!(rows_in_ball(&x, 2, 2, 1.0).is_err());
    }
}
