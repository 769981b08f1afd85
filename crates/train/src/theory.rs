//! The theory's early-stopping rule for a training run (DESIGN.md §1; docs/theory.md).
//!
//! Before training, [`plan_theory_stop`] computes the stopping step of the local
//! empirical kernel complexity rule (Raskutti, Wainwright and Yu 2014) for the run:
//!
//! 1. the training inputs `z_j = (x_tj, t_j, 1)` are the run's own noisy triples, drawn
//!    exactly as the trainer draws them (epoch 0 of the run's noise stream; with
//!    [`NoiseMode::Fixed`] these are the triples of the whole run);
//! 2. the kernel: for [`TwoLayerNet`] its analytic NTK `k(z, z')` (DESIGN.md §1, the
//!    `m -> infinity` limit that full-batch GD on the wide network tracks); for any other
//!    network (the MLP) the empirical NTK at the current weights, `J J^T` from per-record
//!    parameter gradients through [`ScoreNet::backward`], estimated for the vector output
//!    with random output projections ([`scorediff_ntk::projected_jacobian_gram`]);
//! 3. on at most [`TheoryStopConfig::max_records`] records (a strided subsample when the
//!    data set is larger), the eigenvalues `lambda_hat_i` of `K_n / n`, padded with zeros
//!    to `N` values so that `R(eps)^2 = (1/N) sum_i min(lambda_hat_i, eps^2)` keeps the full
//!    run's `1/N` (the tail beyond the subsample is taken as 0, as for Nyström);
//! 4. `sigma` from held-out records ([`scorediff_ntk::noise::estimate_sigma`], the
//!    estimator named in the rule's configuration) and optionally the target norm `B`
//!    ([`NormBound::Estimated`]);
//! 5. `eta` = the gradient-descent step on the `1/(2N)` loss, and
//!    [`scorediff_ntk::theory_stopping_step`].
//!
//! [`fit_with_theory_stop`] runs the trainer with `EarlyStop::Theory { at_step: k }`
//! and returns the [`TheoryPlan`] (decision, curve, sigma) alongside the report.
//!
//! Scope, stated plainly: the rule is derived for gradient descent on a fixed sample.
//! With [`NoiseMode::FreshEachEpoch`] the labels change every epoch and the run overfits
//! less, so the step computed from epoch 0's triples is conservative (early). Minibatch
//! GD is mapped to GD time step for step (`eta k`, equal in expectation). Adam is not
//! gradient descent in any fixed kernel's function space (its per-parameter scaling
//! changes the kernel along the run); the plan refuses it unless the caller names a GD
//! step to evaluate the rule with ([`TheoryStopConfig::assume_gd_step`]), and the step
//! count obtained for that GD run is then applied to the Adam run as is, a heuristic
//! without a guarantee.

use std::ops::ControlFlow;

use faer::Mat;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_net::{NetConfig, ScoreNet};
use scorediff_ntk::noise::{SigmaEstimate, estimate_sigma, estimate_target_norm};
use scorediff_ntk::{
    NtkError, SigmaEstimator, StoppingDecision, StoppingRuleConfig, TwoLayerReluNtk,
    callback_error, default_block_rows, eigenvalues_over_n, gram, ntk_inputs,
    projected_jacobian_gram, theory_stopping_step,
};
use scorediff_process::{NoiseDraw, NoisedBatch, apply_noise};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[cfg(doc)]
use crate::config::NoiseMode;
use crate::config::{Decay, OptimizerConfig, TrainConfig};
use crate::data::Dataset;
use crate::error::TrainError;
use crate::rng::{Purpose, stream};
use crate::stop::EarlyStop;
use crate::trainer::{Progress, TrainReport, Trainer};

#[cfg(doc)]
use scorediff_net::TwoLayerNet;

/// An error of the theory stopping rule's preparation.
#[derive(Debug, Error)]
pub enum TheoryError {
    /// Drawing the triples, running the network or training failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// A kernel, eigenvalue or stopping-rule computation failed.
    #[error(transparent)]
    Ntk(#[from] NtkError),
    /// The run is outside what the rule covers (e.g. Adam without an assumed GD step, a
    /// learning-rate schedule).
    #[error("theory stopping rule: {0}")]
    Unsupported(String),
}

/// Result type of this module.
pub type TheoryResult<T> = std::result::Result<T, TheoryError>;

/// Where the rule's target-norm bound `B` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormBound {
    /// `StoppingRuleConfig::rkhs_norm_bound` as configured (the paper: `B = 1`).
    #[default]
    Configured,
    /// `B` = the RKHS norm of the kernel ridge fit of `Y - f_0(Z)` at the hold-out-selected
    /// penalty ([`scorediff_ntk::noise::estimate_target_norm`]); use it with
    /// [`StoppingRuleConfig::balanced`].
    Estimated,
}

/// Settings of [`plan_theory_stop`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TheoryStopConfig {
    /// The rule's constants and the sigma estimator (default: the paper's literal rule).
    pub rule: StoppingRuleConfig,
    /// Where `B` comes from.
    pub norm: NormBound,
    /// At most this many records enter the Gram matrix (its eigendecomposition is
    /// `O(n^3)`); a strided subsample is used beyond.
    pub max_records: usize,
    /// Random output projections of the empirical NTK (networks other than the two-layer
    /// net); the relative error is about `1 / sqrt(probes d)`.
    pub probes: usize,
    /// For Adam: evaluate the rule for gradient descent with this step and apply the step
    /// count to the Adam run (a heuristic; see the module documentation). `None` refuses Adam.
    pub assume_gd_step: Option<f64>,
}

impl Default for TheoryStopConfig {
    /// The paper's literal rule, `B` as configured, 1024 records, 16 probes, GD only.
    fn default() -> Self {
        Self {
            rule: StoppingRuleConfig::paper_literal(),
            norm: NormBound::Configured,
            max_records: 1024,
            probes: 16,
            assume_gd_step: None,
        }
    }
}

/// Which kernel the plan used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelSource {
    /// The two-layer network's analytic NTK.
    TwoLayerAnalytic,
    /// The empirical NTK at the current weights, from projected Jacobians.
    EmpiricalProjected {
        /// Number of output projections.
        probes: usize,
    },
}

/// The rule's outcome for one run, with everything that produced it (serialisable, for
/// plots and reports).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TheoryPlan {
    /// The stopping decision: step, critical radius, the `R(eps)` / threshold curve.
    pub decision: StoppingDecision,
    /// The noise estimate the decision used.
    pub sigma: SigmaEstimate,
    /// The estimated target norm, when [`NormBound::Estimated`].
    pub rkhs_norm: Option<f64>,
    /// The GD step `eta` the rule was evaluated with.
    pub eta: f64,
    /// The kernel used.
    pub kernel: KernelSource,
    /// Records in the Gram matrix.
    pub records: usize,
    /// Records of the run (`N`).
    pub total_records: usize,
    /// Eigenvalues of `K_n / n` of the records used, decreasing.
    pub eigenvalues_over_n: Vec<f64>,
}

impl TheoryPlan {
    /// The trainer's early stop for this plan: `Theory { at_step: k }`, or no early stop when the rule
    /// does not fire within its horizon.
    pub fn early_stop(&self) -> EarlyStop {
        match self.decision.step {
            Some(k) => EarlyStop::Theory { at_step: k },
            None => EarlyStop::None,
        }
    }
}

/// A run stopped by the theory rule: the trainer's report and the plan behind the stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TheoryRun {
    /// The training report.
    pub report: TrainReport,
    /// The stopping rule's plan.
    pub plan: TheoryPlan,
}

/// The run's first-epoch training triples exactly as [`Trainer::fit`] draws them: times and
/// noise from the run's noise stream for epoch 0, `x_t = alpha_t x_0 + sqrt(h_t) eps`. With
/// [`NoiseMode::Fixed`] these are the run's triples for every epoch.
pub fn fixed_training_inputs<B: Backend>(
    be: &B,
    config: &TrainConfig,
    data: &Dataset,
) -> std::result::Result<NoisedBatch<B>, TrainError> {
    let x0 = be.from_host(data.rows(), data.dim(), data.data())?;
    let mut rng = stream(config.seed, Purpose::TrainNoise, 0, 0);
    let draw = NoiseDraw::draw(data.rows(), data.dim(), &config.time_sampler, &mut rng)?;
    Ok(apply_noise(be, &config.process, &x0, &draw)?)
}

/// Computes the theory's stopping step for training `net` on `data` with `config`
/// (before training: the network's current weights give `f_0` and, for the MLP, the
/// empirical kernel). See the module documentation for every step.
pub fn plan_theory_stop<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &N,
    config: &TrainConfig,
    data: &Dataset,
    cfg: &TheoryStopConfig,
) -> TheoryResult<TheoryPlan> {
    let eta = gd_step(config, cfg)?;
    if cfg.max_records == 0 || cfg.probes == 0 {
        return Err(TheoryError::Unsupported(
            "max_records and probes must be at least 1".into(),
        ));
    }
    let big_n = data.rows();
    let noised = fixed_training_inputs(be, config, data)?;
    let rows = subsample(big_n, cfg.max_records);
    let x0 = be
        .from_host(data.rows(), data.dim(), data.data())
        .map_err(TrainError::from)?;
    let pick = |m: &B::Matrix| be.gather_rows(m, &rows).map_err(TrainError::from);
    let (x_t, t, y) = (pick(&noised.x_t)?, pick(&noised.t)?, pick(&x0)?);
    let (k, kernel) = match net.config() {
        NetConfig::TwoLayer(_) => {
            let z = ntk_inputs(be, &x_t, &t)?;
            let k = gram(be, &TwoLayerReluNtk, &z, default_block_rows(rows.len()))?;
            (k, KernelSource::TwoLayerAnalytic)
        }
        _ => {
            let k = empirical_ntk(be, net, &x_t, &t, cfg.probes, config.seed)?;
            (k, KernelSource::EmpiricalProjected { probes: cfg.probes })
        }
    };
    let y_host = host_mat(be, &y)?;
    let f0 = host_mat(be, &net.predict(be, &x_t, &t).map_err(TrainError::from)?)?;
    let sigma = estimate_sigma(&cfg.rule.sigma_estimator, &k, &y_host)?;
    let mut rule = cfg.rule.clone();
    let rkhs_norm = match cfg.norm {
        NormBound::Configured => None,
        NormBound::Estimated => {
            let mu = if sigma.mu > 0.0 {
                sigma.mu
            } else {
                let holdout = SigmaEstimator::HoldoutRidge {
                    holdout_fraction: 0.2,
                };
                estimate_sigma(&holdout, &k, &y_host)?.mu
            };
            let b = estimate_target_norm(&k, &y_host, Some(&f0), mu)?;
            rule.rkhs_norm_bound = b.max(f64::MIN_POSITIVE);
            Some(b)
        }
    };
    let eigs = eigenvalues_over_n(&k)?;
    let mut padded = eigs.clone();
    padded.resize(big_n.max(eigs.len()), 0.0);
    let decision = theory_stopping_step(&padded, eta, sigma.sigma, &rule)?;
    Ok(TheoryPlan {
        decision,
        sigma,
        rkhs_norm,
        eta,
        kernel,
        records: rows.len(),
        total_records: big_n,
        eigenvalues_over_n: eigs,
    })
}

/// Plans the theory stop for the trainer's network and settings, installs it as the
/// trainer's early stop, trains, and returns the report with the plan. The run must start
/// at step 0 (the plan is computed from the initial weights).
pub fn fit_with_theory_stop<B: Backend, N: ScoreNet<B>>(
    trainer: &mut Trainer<B, N>,
    data: &Dataset,
    val: Option<&Dataset>,
    cfg: &TheoryStopConfig,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> TheoryResult<TheoryRun> {
    if trainer.step() != 0 {
        return Err(TheoryError::Unsupported(format!(
            "the plan needs the initial weights; the run is at step {}",
            trainer.step()
        )));
    }
    let plan = plan_theory_stop(&trainer.be, &trainer.net, &trainer.config, data, cfg)?;
    trainer.early_stop = plan.early_stop();
    let report = trainer.fit(data, val, progress)?;
    Ok(TheoryRun { report, plan })
}

/// The GD step the rule is evaluated with, or why the run is not covered.
fn gd_step(config: &TrainConfig, cfg: &TheoryStopConfig) -> TheoryResult<f64> {
    let s = &config.schedule;
    if s.warmup_steps > 0 || s.decay != Decay::None {
        return Err(TheoryError::Unsupported(
            "the rule is computed for a constant step; use LrSchedule::default()".into(),
        ));
    }
    match (config.optimizer, cfg.assume_gd_step) {
        (OptimizerConfig::Gd { lr }, _) => Ok(lr),
        (OptimizerConfig::Adam { .. }, Some(eta)) if eta.is_finite() && eta > 0.0 => Ok(eta),
        (OptimizerConfig::Adam { .. }, _) => Err(TheoryError::Unsupported(
            "the rule is derived for gradient descent; for Adam set assume_gd_step".into(),
        )),
    }
}

/// `min(n, cap)` strided indices `floor(i N / n)` of `0..N`.
fn subsample(n: usize, cap: usize) -> Vec<usize> {
    let m = n.min(cap);
    (0..m).map(|i| i * n / m.max(1)).collect()
}

/// A device matrix as a host `f64` matrix.
fn host_mat<B: Backend>(be: &B, m: &B::Matrix) -> std::result::Result<Mat<f64>, TrainError> {
    let v = be.to_host(m)?;
    let c = m.cols();
    Ok(Mat::from_fn(m.rows(), c, |i, j| f64::from(v[i * c + j])))
}

/// The empirical NTK of any network at its current weights on the records `(x, t)`: for
/// each probe `u ~ N(0, I_d)`, row `j` of `J_u` is the gradient of `u . f(x_j, t_j)` with
/// respect to the trainable parameters (one backward pass per record, with
/// `grad_out = u`), and `K = mean_u J_u J_u^T / d` ([`projected_jacobian_gram`]).
fn empirical_ntk<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &N,
    x: &B::Matrix,
    t: &B::Matrix,
    probes: usize,
    seed: u64,
) -> TheoryResult<Mat<f64>> {
    let (n, d) = (x.rows(), net.data_dim());
    let p = net.n_trainable();
    // About 64 MiB of Jacobian rows per block.
    let block = ((1usize << 24) / p.max(1)).clamp(1, n.max(1));
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6e74_6b5f_7072_6f62);
    let k = projected_jacobian_gram(be, n, d, probes, block, &mut rng, |u, s, e| {
        jacobian_rows(be, net, x, t, u, s, e).map_err(callback_error)
    })?;
    Ok(k)
}

/// Rows `s..e` of the projected Jacobian `J_u` (`(e - s) x P`, trainable parameters in
/// [`ScoreNet::params`] order, each flattened row-major).
fn jacobian_rows<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &N,
    x: &B::Matrix,
    t: &B::Matrix,
    u: &[f32],
    s: usize,
    e: usize,
) -> std::result::Result<B::Matrix, TrainError> {
    let p = net.n_trainable();
    let probe = be.from_host(1, u.len(), u)?;
    let mut out = Vec::with_capacity((e - s) * p);
    for j in s..e {
        let (xj, tj) = (be.slice_rows(x, j, j + 1)?, be.slice_rows(t, j, j + 1)?);
        let fwd = net.forward(be, &xj, &tj)?;
        let grads = net.backward(be, &fwd, &probe)?;
        for (param, g) in net.params().iter().zip(&grads) {
            if param.trainable {
                out.extend(be.to_host(g)?);
            }
        }
    }
    Ok(be.from_host(e - s, p, &out)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsample_is_strided_and_capped() {
        assert_eq!(subsample(10, 4), vec![0, 2, 5, 7]);
        assert_eq!(subsample(3, 8), vec![0, 1, 2]);
        assert!(subsample(0, 8).is_empty());
    }
}
