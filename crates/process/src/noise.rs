//! Noising: draws `(t_j, x_tj)` from clean records `x_0j` (DESIGN.md §1).
//!
//! Each row gets its own time `t_j` from a [`TimeSampler`] and its own noise `eps_j`, and
//! `x_tj = alpha_tj x_0j + sqrt(h_tj) eps_j`. All randomness is drawn on the host from the
//! caller's RNG, in a fixed order (first the `rows` times, then the noise row by row), and
//! uploaded, so a seed gives the same numbers on every backend.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use scorediff_backend::{Backend, Binary, DeviceMatrix};

use crate::error::{Result, shape_err};
use crate::process::{ForwardProcess, score_coefficients};
use crate::time::TimeSampler;

/// Host-side draws for noising `rows x cols` records: one time per row and one standard
/// normal vector per row. Keep one to build a validation set at fixed draws.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseDraw {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns (the data dimension `d`).
    pub cols: usize,
    /// One time per row, as the `f32` the models will see.
    pub t: Vec<f32>,
    /// `rows x cols` standard normal draws, row-major.
    pub eps: Vec<f32>,
}

impl NoiseDraw {
    /// Draws `rows` times from `sampler`, then `rows * cols` standard normals, from `rng`.
    pub fn draw<R: Rng + ?Sized>(
        rows: usize,
        cols: usize,
        sampler: &TimeSampler,
        rng: &mut R,
    ) -> Result<Self> {
        let t = draw_times(rows, sampler, rng)?;
        let eps = standard_normal(rng, rows * cols);
        Ok(Self { rows, cols, t, eps })
    }

    /// Draws noise for `rows` records that all share the time `t` (e.g. to check a model at
    /// one noise level).
    pub fn at_time<R: Rng + ?Sized>(rows: usize, cols: usize, t: f64, rng: &mut R) -> Self {
        let eps = standard_normal(rng, rows * cols);
        Self {
            rows,
            cols,
            t: vec![t as f32; rows],
            eps,
        }
    }
}

/// A noised batch on the device.
#[derive(Debug)]
pub struct NoisedBatch<B: Backend> {
    /// Times, `rows x 1`.
    pub t: B::Matrix,
    /// Noisy records `x_t = alpha_t x_0 + sqrt(h_t) eps`, `rows x d`.
    pub x_t: B::Matrix,
    /// The standard normal noise `eps`, `rows x d`.
    pub eps: B::Matrix,
}

/// `rows` times from `sampler`, each rounded to the `f32` the models see: the first draws of
/// every noising, before its noise.
fn draw_times<R: Rng + ?Sized>(
    rows: usize,
    sampler: &TimeSampler,
    rng: &mut R,
) -> Result<Vec<f32>> {
    sampler.validate()?;
    Ok((0..rows).map(|_| sampler.sample(rng) as f32).collect())
}

/// `n` standard normal `f32` draws from `rng` (each drawn in `f64` and rounded).
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            z as f32
        })
        .collect()
}

/// Noises host records `x0` (row-major, `d` columns): draws a fresh time and noise per row
/// from `rng` ([`NoiseDraw::draw`]), uploads, and applies [`apply_noise`].
pub fn noise_batch<B, P, R>(
    backend: &B,
    process: &P,
    x0: &[f32],
    d: usize,
    sampler: &TimeSampler,
    rng: &mut R,
) -> Result<NoisedBatch<B>>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    R: Rng + ?Sized,
{
    if d == 0 || !x0.len().is_multiple_of(d) {
        return Err(shape_err(format!(
            "{} values do not form rows of d = {d} columns",
            x0.len()
        )));
    }
    let rows = x0.len() / d;
    let x0 = backend.from_host(rows, d, x0)?;
    noise_matrix(backend, process, &x0, sampler, rng)
}

/// Noises device records `x0` (`rows x d`), drawing times and noise from `rng`.
pub fn noise_matrix<B, P, R>(
    backend: &B,
    process: &P,
    x0: &B::Matrix,
    sampler: &TimeSampler,
    rng: &mut R,
) -> Result<NoisedBatch<B>>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    R: Rng + ?Sized,
{
    let draw = NoiseDraw::draw(x0.rows(), x0.cols(), sampler, rng)?;
    apply_noise(backend, process, x0, &draw)
}

/// Times and noisy records of [`noise_matrix`] without its full-size temporaries.
#[derive(Debug)]
pub struct NoisedRecords<B: Backend> {
    /// The times as drawn, on the host.
    pub t_host: Vec<f32>,
    /// Times, `rows x 1`.
    pub t: B::Matrix,
    /// Noisy records, `rows x d`.
    pub x_t: B::Matrix,
}

/// [`noise_matrix`] built `block_rows` rows at a time: the same draws from `rng` (all the
/// times first, then the noise row by row) and the same `x_t`, bit for bit (the arithmetic is
/// per element), but the noise is never held whole. One call on `n x d` records holds the
/// finished `x_t` (on the host, then on the device; once on a host backend) and one block,
/// where [`noise_matrix`]
/// holds the noise on the host and on the device, `alpha_t x_0`, `sqrt(h_t) eps` and `x_t`:
/// five `n x d` matrices, 1.4 GB for an epoch of a million rows of 80 columns.
pub fn noise_in_blocks<B, P, R>(
    backend: &B,
    process: &P,
    x0: &B::Matrix,
    sampler: &TimeSampler,
    rng: &mut R,
    block_rows: usize,
) -> Result<NoisedRecords<B>>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    R: Rng + ?Sized,
{
    let (rows, cols) = x0.shape();
    let t_host = draw_times(rows, sampler, rng)?;
    let t = backend.from_host(rows, 1, &t_host)?;
    let block_rows = block_rows.max(1);
    // One block: noised where the records are, without a gather and a trip through the host.
    if rows <= block_rows {
        let eps = standard_normal(rng, rows * cols);
        let draw = NoiseDraw {
            rows,
            cols,
            t: t_host.clone(),
            eps,
        };
        let x_t = apply_noise(backend, process, x0, &draw)?.x_t;
        return Ok(NoisedRecords { t_host, t, x_t });
    }
    let mut x_t = Vec::with_capacity(rows * cols);
    for start in (0..rows).step_by(block_rows) {
        let end = (start + block_rows).min(rows);
        let draw = NoiseDraw {
            rows: end - start,
            cols,
            t: t_host[start..end].to_vec(),
            eps: standard_normal(rng, (end - start) * cols),
        };
        let x0_block = backend.gather_rows(x0, &(start..end).collect::<Vec<_>>())?;
        let block = apply_noise(backend, process, &x0_block, &draw)?;
        x_t.extend(backend.to_host(&block.x_t)?);
    }
    let x_t = backend.from_host_vec(rows, cols, x_t)?;
    Ok(NoisedRecords { t_host, t, x_t })
}

/// Applies fixed draws: `x_tj = alpha_tj x_0j + sqrt(h_tj) eps_j`, with `alpha_t`, `h_t`
/// computed in `f64` on the host from each row's `f32` time and uploaded as `rows x 1`
/// columns.
pub fn apply_noise<B, P>(
    backend: &B,
    process: &P,
    x0: &B::Matrix,
    draw: &NoiseDraw,
) -> Result<NoisedBatch<B>>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
{
    if x0.shape() != (draw.rows, draw.cols) {
        return Err(shape_err(format!(
            "data is {}x{}, noise draw is {}x{}",
            x0.rows(),
            x0.cols(),
            draw.rows,
            draw.cols
        )));
    }
    let (alpha, sqrt_h) = coefficient_columns(process, &draw.t, |a, h| (a, h.sqrt()))?;
    let alpha = backend.from_host(draw.rows, 1, &alpha)?;
    let sqrt_h = backend.from_host(draw.rows, 1, &sqrt_h)?;
    let eps = backend.from_host(draw.rows, draw.cols, &draw.eps)?;
    let signal = backend.broadcast_col(Binary::Mul, x0, &alpha)?;
    let noise = backend.broadcast_col(Binary::Mul, &eps, &sqrt_h)?;
    let x_t = backend.add(&signal, &noise)?;
    let t = backend.from_host(draw.rows, 1, &draw.t)?;
    Ok(NoisedBatch { t, x_t, eps })
}

/// Per-row columns `map(alpha_t, h_t)` (computed in `f64`, rounded to `f32`) for the times
/// `t`, after checking each time with [`score_coefficients`].
pub(crate) fn coefficient_columns<P: ForwardProcess + ?Sized>(
    process: &P,
    t: &[f32],
    map: impl Fn(f64, f64) -> (f64, f64),
) -> Result<(Vec<f32>, Vec<f32>)> {
    let mut first = Vec::with_capacity(t.len());
    let mut second = Vec::with_capacity(t.len());
    for &tj in t {
        let (alpha_t, h_t) = score_coefficients(process, f64::from(tj))?;
        let (a, b) = map(alpha_t, h_t);
        first.push(a as f32);
        second.push(b as f32);
    }
    Ok((first, second))
}
