//! The weighted regression loss of a batch and its gradient (DESIGN.md §1):
//!
//! ```text
//! L_w = 1/(2N) sum_j w_j ||f(x_tj, t_j) - x0_j||^2,     dL/df_j = w_j (f_j - x0_j) / N,
//! ```
//!
//! with `w_j = w(t_j) q(t_j)` the loss weighting times the time sampler's importance weight
//! (1 for the plain regression under a `Uniform` or `LogUniform` law). A batch carries its
//! times both on the device (the network embeds them) and on the host (the weights and the
//! preconditioner's coefficients are computed from them there, once per pass, without a
//! download). Large batches run in passes of at most `max_rows_per_pass` rows whose
//! gradients are summed.

use scorediff_backend::{Backend, Binary, DeviceMatrix, Unary};
use scorediff_net::ScoreNet;

use crate::config::LossWeighting;
use crate::error::{Result, TrainError};
use crate::trainer::Trainer;

/// Records at their drawn times and noise.
#[derive(Debug)]
pub(crate) struct Batch<'a, B: Backend> {
    /// Clean records `x_0`, `rows x d`.
    pub x0: &'a B::Matrix,
    /// Times, `rows x 1`.
    pub t: &'a B::Matrix,
    /// The same times on the host.
    pub t_host: &'a [f32],
    /// Noisy records `x_t`, `rows x d`.
    pub x_t: &'a B::Matrix,
}

/// The rows `s..e` of a batch: borrowed when they are the whole batch, sliced otherwise.
struct Pass<'a, B: Backend> {
    x0: Part<'a, B>,
    t: Part<'a, B>,
    t_host: &'a [f32],
    x_t: Part<'a, B>,
}

enum Part<'a, B: Backend> {
    Whole(&'a B::Matrix),
    Rows(B::Matrix),
}

impl<B: Backend> Part<'_, B> {
    fn get(&self) -> &B::Matrix {
        match self {
            Part::Whole(m) => m,
            Part::Rows(m) => m,
        }
    }
}

impl<'a, B: Backend> Batch<'a, B> {
    fn rows(&self) -> usize {
        self.x0.rows()
    }

    fn pass(&self, be: &B, s: usize, e: usize) -> Result<Pass<'a, B>> {
        if self.t_host.len() != self.rows() {
            return Err(TrainError::Data(format!(
                "{} host times for {} records",
                self.t_host.len(),
                self.rows()
            )));
        }
        if s == 0 && e == self.rows() {
            return Ok(Pass {
                x0: Part::Whole(self.x0),
                t: Part::Whole(self.t),
                t_host: self.t_host,
                x_t: Part::Whole(self.x_t),
            });
        }
        Ok(Pass {
            x0: Part::Rows(be.slice_rows(self.x0, s, e)?),
            t: Part::Rows(be.slice_rows(self.t, s, e)?),
            t_host: &self.t_host[s..e],
            x_t: Part::Rows(be.slice_rows(self.x_t, s, e)?),
        })
    }
}

/// Row ranges of at most `max` rows covering `0..rows`.
fn passes(rows: usize, max: usize) -> impl Iterator<Item = (usize, usize)> {
    let max = max.max(1);
    (0..rows.div_ceil(max)).map(move |i| (i * max, ((i + 1) * max).min(rows)))
}

impl<B: Backend, N: ScoreNet<B>> Trainer<B, N> {
    /// `L_w` and its parameter gradients on a batch (each pass uses `dL/df = w (f - x_0) / N`
    /// with `N` the whole batch's rows).
    pub(crate) fn loss_and_grads(&self, batch: &Batch<'_, B>) -> Result<(f64, Vec<B::Matrix>)> {
        let rows = batch.rows();
        let inv_b = 1.0 / rows as f64;
        let mut loss = 0.0;
        let mut total: Option<Vec<B::Matrix>> = None;
        for (s, e) in passes(rows, self.config.max_rows_per_pass) {
            let p = batch.pass(&self.be, s, e)?;
            let fwd = self
                .net
                .forward_at(&self.be, p.x_t.get(), p.t.get(), p.t_host)?;
            let diff = self.be.sub(&fwd.output, p.x0.get())?;
            let weights = self.loss_weights(p.t_host)?;
            loss += 0.5 * inv_b * self.weighted_square_sum(&diff, weights.as_ref())?;
            let g = self.weighted(self.be.scale(&diff, inv_b as f32)?, weights.as_ref())?;
            let grads = self.net.backward(&self.be, &fwd, &g)?;
            match total.as_mut() {
                None => total = Some(grads),
                Some(acc) => {
                    for (a, gr) in acc.iter_mut().zip(&grads) {
                        self.be.axpby(1.0, gr, 1.0, a)?;
                    }
                }
            }
        }
        let grads = total.ok_or_else(|| TrainError::Data("empty batch".into()))?;
        Ok((loss, grads))
    }

    /// `L_w` alone (validation).
    pub(crate) fn loss_only(&self, batch: &Batch<'_, B>) -> Result<f64> {
        let rows = batch.rows();
        let mut loss = 0.0;
        for (s, e) in passes(rows, self.config.max_rows_per_pass) {
            let p = batch.pass(&self.be, s, e)?;
            let f = self
                .net
                .predict_at(&self.be, p.x_t.get(), p.t.get(), p.t_host)?;
            let diff = self.be.sub(&f, p.x0.get())?;
            let weights = self.loss_weights(p.t_host)?;
            loss += self.weighted_square_sum(&diff, weights.as_ref())?;
        }
        Ok(0.5 * loss / rows.max(1) as f64)
    }

    /// The column of `w_j` for the rows' times, computed on the host; `None` when every
    /// weight is 1.
    fn loss_weights(&self, t_host: &[f32]) -> Result<Option<B::Matrix>> {
        let (weighting, law) = (self.config.loss_weighting, self.config.time_sampler);
        if weighting == LossWeighting::Plain && !law.is_importance_weighted() {
            return Ok(None);
        }
        let w: Vec<f32> = t_host
            .iter()
            .map(|&ti| {
                let ti = f64::from(ti);
                (weighting.weight(&self.config.process, ti) * law.importance_weight(ti)) as f32
            })
            .collect();
        Ok(Some(self.be.from_host(w.len(), 1, &w)?))
    }

    /// `sum_j w_j ||f_j - x0_j||^2` of the difference rows `diff = f - x0`, shared by
    /// training and validation.
    fn weighted_square_sum(&self, diff: &B::Matrix, weights: Option<&B::Matrix>) -> Result<f64> {
        let sq = self.weighted(self.be.unary(Unary::Square, diff)?, weights)?;
        Ok(self.be.sum(&sq)?)
    }

    /// `m` with row `j` multiplied by `w_j` (unchanged without weights).
    fn weighted(&self, m: B::Matrix, weights: Option<&B::Matrix>) -> Result<B::Matrix> {
        match weights {
            None => Ok(m),
            Some(w) => Ok(self.be.broadcast_col(Binary::Mul, &m, w)?),
        }
    }
}
