//! The memorisation guard: a privacy check while the network trains.
//!
//! A score network trained long enough on few rows learns the training rows themselves, and
//! its samples start to copy them. The guard measures that during the fit, with the test the
//! evaluation protocol uses afterwards (DESIGN.md §3, `scorediff_eval::dcr`): every
//! [`GuardConfig::every`] steps, and once on the final weights, it draws
//! [`GuardConfig::rows`] rows from the evaluation weights (the EMA) with the fit's own
//! sampler, decodes them, and counts the share of them whose nearest real row is a training
//! row rather than a held-out one. The held-out rows are the fit's validation rows, which
//! the network never trains on; the training rows are subsampled to as many. A model that
//! generates from the distribution gives 50%; a resample of the training table gives about
//! 55% on Credit Default (docs/recipe.md).
//!
//! One check's share varies for two reasons. The `rows` synthetic rows are a sample: variance
//! `share (1 - share) / rows`. And the `2n` reference rows are split into training and
//! held-out ones at random: if the synthetic rows fall into the reference rows' nearest-row
//! cells with masses `w_r`, the share is the mass of the training rows' cells, whose variance
//! over the split is about `(1/4) sum_r w_r^2`, `1 / (8n)` for equal cells and more for
//! unequal ones; the guard takes `1 / (4n)`. With 200 held-out rows (a 4,009-row table) that
//! is 3.5 points, three times the sampling error of 2,000 rows, and without it the guard
//! stopped a fit whose DCR on the test rows was 49.4% (docs/panel.md). The guard acts when
//! the one-sided 95% lower bound `share - 1.645 sqrt(share (1 - share) / rows + 1 / (4 n))`
//! exceeds [`GuardConfig::limit_pct`] (default 53%, the project's DCR target): a model at the
//! limit is not stopped by noise alone. On Credit Default (1,350 held-out rows) it acts from a
//! share of about 55.9%; below [`MIN_HOLDOUT_ROWS`] held-out rows it does not run and says so.
//!
//! What it does then ([`GuardAction`]): `stop` ends the run and keeps the weights of the last
//! check that passed (`scorediff fit` prints which step, and `model.json` records every
//! check); `warn` records and reports it and trains on. The checks draw from their own seeded
//! stream and leave the training draws alone, so a run the guard does not stop ends with the
//! same weights, bit for bit, as a run without the guard.
//!
//! The habit followed is SDMetrics' `DCRBaselineProtection` / `DCROverfittingProtection`
//! (distance to the closest record, training rows against held-out rows) applied on line,
//! as an early-stopping callback is in Keras or PyTorch Lightning.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::Backend;
use scorediff_eval::NoProgress;
use scorediff_eval::config::DEFAULT_MAX_ROWS;
use scorediff_eval::dcr::{DcrResult, dcr};
use scorediff_net::AnyNet;
use scorediff_process::{ProcessConfig, SamplerConfig};
use scorediff_tabular::{Column, Encoder, Schema, Table};
use scorediff_train::Preconditioned;
use serde::{Deserialize, Serialize};
use std::time::Instant;

use crate::Result;
use crate::pipeline::sample_table;

/// Fewest held-out rows for which the guard runs (a nearest-neighbour share against fewer
/// reference rows says little).
pub const MIN_HOLDOUT_ROWS: usize = 50;

/// z of the one-sided 95% bound.
const Z_95: f64 = 1.645;

/// The share's variance from which reference rows happen to be training rows, times the
/// reference count `n`: `0.25 / n` (see the module documentation).
const REFERENCE_VARIANCE: f64 = 0.25;

/// What the guard does when a check exceeds the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardAction {
    /// End the run and keep the weights of the last check that passed.
    #[default]
    Stop,
    /// Record it, say it, and train on.
    Warn,
}

/// Settings of the memorisation guard (`FitConfig::guard`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    /// Steps between checks; 0 turns the guard off (no check at the end either).
    pub every: u64,
    /// Synthetic rows drawn at each check.
    pub rows: usize,
    /// Share of synthetic rows closer to a training row than to a held-out one, in percent,
    /// that the check's 95% lower bound must exceed for the guard to act.
    pub limit_pct: f64,
    /// What the guard does then.
    pub action: GuardAction,
}

impl Default for GuardConfig {
    /// A check every 3,000 steps on 2,000 rows, limit 53%, stop.
    fn default() -> Self {
        Self {
            every: 3000,
            rows: 2000,
            limit_pct: 53.0,
            action: GuardAction::Stop,
        }
    }
}

impl GuardConfig {
    /// The guard switched off.
    pub fn off() -> Self {
        Self {
            every: 0,
            ..Self::default()
        }
    }

    /// Whether checks run.
    pub fn is_on(&self) -> bool {
        self.every > 0
    }

    /// Checks the settings.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.is_on() && self.rows == 0 {
            return Err("guard.rows must be at least 1 (or guard.every 0 to turn it off)".into());
        }
        if !(self.limit_pct.is_finite() && (50.0..=100.0).contains(&self.limit_pct)) {
            return Err(format!(
                "guard.limit_pct must lie in [50, 100] (50 is an independent sample), got {}",
                self.limit_pct
            ));
        }
        Ok(())
    }
}

/// One check of the guard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardCheck {
    /// Steps trained when the check ran.
    pub step: u64,
    /// Share of the check's rows closer to a training row than to a held-out one, percent.
    pub share_pct: f64,
    /// Its one-sided 95% lower bound, percent (what is compared with the limit).
    pub lower_pct: f64,
    /// Median distance of a synthetic row to its nearest training row.
    pub median_dcr_train: f64,
    /// Median distance of a synthetic row to its nearest held-out row.
    pub median_dcr_holdout: f64,
    /// Whether the lower bound exceeded the limit.
    pub exceeded: bool,
    /// Seconds the check took (sampling, decoding and the distances).
    pub seconds: f64,
}

/// Everything the guard did in a fit; stored in `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardReport {
    /// The settings it ran with.
    pub config: GuardConfig,
    /// Held-out and training reference rows of each check (equal).
    pub n_reference: usize,
    /// The checks, in step order; the last one ran on the weights the model was trained to
    /// (before any reversal by `stop`).
    pub checks: Vec<GuardCheck>,
    /// With `stop`: the step whose weights the model keeps after the guard stopped the run
    /// (`None`: not stopped, or no check had passed before, so the last weights are kept).
    pub kept_step: Option<u64>,
    /// Why the guard did not run, when it did not (e.g. too few held-out rows).
    pub skipped: Option<String>,
}

impl GuardReport {
    /// The report of a guard that did not run.
    pub fn skipped(config: GuardConfig, why: String) -> Self {
        Self {
            config,
            n_reference: 0,
            checks: Vec::new(),
            kept_step: None,
            skipped: Some(why),
        }
    }

    /// The first check that exceeded the limit.
    pub fn first_exceeded(&self) -> Option<&GuardCheck> {
        self.checks.iter().find(|c| c.exceeded)
    }

    /// The check of the weights the model carries: the kept step's, or the last one.
    pub fn model_check(&self) -> Option<&GuardCheck> {
        match self.kept_step {
            Some(step) => self.checks.iter().find(|c| c.step == step),
            None => self.checks.last(),
        }
    }

    /// One line for `fit`'s output.
    pub fn describe(&self) -> String {
        if let Some(why) = &self.skipped {
            return format!("memorisation guard: not run ({why})");
        }
        let Some(last) = self.model_check() else {
            return "memorisation guard: no check ran".into();
        };
        let head = format!(
            "memorisation guard: {:.1}% of {} sampled rows closer to a training row than to a held-out one at step {} (50% = no copying; limit {}% on the 95% lower bound; {} checks)",
            last.share_pct,
            self.config.rows,
            last.step,
            self.config.limit_pct,
            self.checks.len()
        );
        match (self.first_exceeded(), self.config.action) {
            (None, _) => head,
            (Some(c), GuardAction::Stop) => match self.kept_step {
                Some(kept) => format!(
                    "{head}; step {} reached {:.1}%: stopped there and kept the weights of step {kept}",
                    c.step, c.share_pct
                ),
                None => format!(
                    "{head}; step {} reached {:.1}% before any check passed: stopped, the model may copy training rows",
                    c.step, c.share_pct
                ),
            },
            (Some(c), GuardAction::Warn) => format!(
                "{head}; the limit was exceeded from step {} ({:.1}%): the model may copy training rows",
                c.step, c.share_pct
            ),
        }
    }
}

/// The real rows a guard compares with, and its settings.
pub(crate) struct Guard {
    config: GuardConfig,
    train_ref: Table,
    holdout: Table,
    seed: u64,
}

impl Guard {
    /// A guard for a fit of `table` whose validation rows are `holdout_rows` (the others
    /// train); `Err(report)` when it cannot run. Only the schema's modelled columns are
    /// compared, as the synthetic rows have no others.
    pub fn new(
        config: GuardConfig,
        table: &Table,
        schema: &Schema,
        train_rows: &[usize],
        holdout_rows: &[usize],
        seed: u64,
    ) -> std::result::Result<Self, GuardReport> {
        if holdout_rows.len() < MIN_HOLDOUT_ROWS {
            return Err(GuardReport::skipped(
                config,
                format!(
                    "{} held-out rows, fewer than {MIN_HOLDOUT_ROWS}; raise validation_fraction",
                    holdout_rows.len()
                ),
            ));
        }
        Ok(Self {
            config,
            train_ref: modelled_rows(table, schema, &capped(train_rows, seed)),
            holdout: modelled_rows(table, schema, &capped(holdout_rows, seed ^ 1)),
            seed,
        })
    }

    /// The next step a check is due after `step`.
    pub fn next_due(&self, step: u64) -> u64 {
        (step / self.config.every + 1) * self.config.every
    }

    /// Rows of each reference table.
    pub fn n_reference(&self) -> usize {
        self.holdout.n_rows().min(self.train_ref.n_rows())
    }

    /// Draws the check's rows from `net` and measures them.
    pub fn check<B: Backend>(
        &self,
        be: &B,
        net: &Preconditioned<AnyNet<B>>,
        encoder: &Encoder,
        process: ProcessConfig,
        sampler: &SamplerConfig,
        step: u64,
    ) -> Result<GuardCheck> {
        let started = Instant::now();
        // A stream of its own per check: the training draws are not touched.
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x6775_6172_6400_0000 ^ step);
        let syn = sample_table(
            be,
            net,
            encoder,
            process,
            self.config.rows,
            None,
            sampler,
            &mut rng,
            &mut |_, _| {},
        )?;
        let r: DcrResult = dcr(&self.train_ref, &self.holdout, &syn, self.seed, &NoProgress)?;
        let share = r.share_closer_to_train / 100.0;
        let draws = share * (1.0 - share) / self.config.rows as f64;
        let references = REFERENCE_VARIANCE / r.n_reference.max(1) as f64;
        let se = (draws + references).sqrt();
        let lower_pct = 100.0 * (share - Z_95 * se);
        Ok(GuardCheck {
            step,
            share_pct: r.share_closer_to_train,
            lower_pct,
            median_dcr_train: r.median_dcr_train,
            median_dcr_holdout: r.median_dcr_holdout,
            exceeded: lower_pct > self.config.limit_pct,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// Reference rows the guard keeps of the training part and of the held-out part, at most:
/// the evaluation's cap on nearest-neighbour metrics ([`DEFAULT_MAX_ROWS`]). A longer part is
/// subsampled by the fit's seed; a table below the cap (Credit Default's 24,300 and 2,700) is
/// compared whole, as it always was. At a million rows the whole parts made the guard hold a
/// second copy of the table and its checks embed 900,000 rows each time.
pub const MAX_REFERENCE_ROWS: usize = DEFAULT_MAX_ROWS;

/// `rows`, or `MAX_REFERENCE_ROWS` of them drawn by `seed` (in their order) when longer.
fn capped(rows: &[usize], seed: u64) -> Vec<usize> {
    let mut kept = rows.to_vec();
    if kept.len() > MAX_REFERENCE_ROWS {
        kept.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x7265_6665_7265_6e63));
        kept.truncate(MAX_REFERENCE_ROWS);
        kept.sort_unstable();
    }
    kept
}

/// The schema's modelled columns of `table` at `rows`, copied once (not the whole table first:
/// at a million rows that copy alone was 880 MB).
fn modelled_rows(table: &Table, schema: &Schema, rows: &[usize]) -> Table {
    let keep: Vec<&str> = schema.modelled().map(|c| c.name.as_str()).collect();
    Table {
        columns: table
            .columns
            .iter()
            .filter(|c| keep.contains(&c.name.as_str()))
            .map(|c| Column {
                name: c.name.clone(),
                data: c.data.select(rows),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_rows_are_capped_and_short_parts_kept_whole() {
        let short: Vec<usize> = (0..100).map(|i| 3 * i).collect();
        assert_eq!(capped(&short, 7), short);
        let long: Vec<usize> = (0..MAX_REFERENCE_ROWS + 500).map(|i| 2 * i + 1).collect();
        let kept = capped(&long, 7);
        assert_eq!(kept.len(), MAX_REFERENCE_ROWS);
        assert!(kept.windows(2).all(|w| w[0] < w[1]), "in order, distinct");
        assert!(kept.iter().all(|r| r % 2 == 1), "drawn from the part");
        assert_eq!(kept, capped(&long, 7), "the seed decides");
        assert_ne!(kept, capped(&long, 8));
    }

    fn check(step: u64, share: f64, exceeded: bool) -> GuardCheck {
        GuardCheck {
            step,
            share_pct: share,
            lower_pct: share - 1.8,
            median_dcr_train: 1.0,
            median_dcr_holdout: 1.0,
            exceeded,
            seconds: 0.1,
        }
    }

    #[test]
    fn defaults_validate_and_bad_limits_are_refused() {
        assert!(GuardConfig::default().validate().is_ok());
        assert!(GuardConfig::off().validate().is_ok());
        for limit in [49.9, 100.1, f64::NAN] {
            let c = GuardConfig {
                limit_pct: limit,
                ..GuardConfig::default()
            };
            assert!(c.validate().is_err(), "{limit}");
        }
        let c = GuardConfig {
            rows: 0,
            ..GuardConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("guard.rows"));
    }

    #[test]
    fn the_description_names_the_kept_step_or_the_risk() {
        let mut r = GuardReport {
            config: GuardConfig::default(),
            n_reference: 100,
            checks: vec![check(2000, 50.5, false), check(4000, 58.0, true)],
            kept_step: Some(2000),
            skipped: None,
        };
        let line = r.describe();
        assert!(
            line.contains("50.5%") && line.contains("step 2000"),
            "{line}"
        );
        assert!(line.contains("kept the weights of step 2000"), "{line}");
        assert_eq!(r.model_check().map(|c| c.step), Some(2000));
        r.kept_step = None;
        assert!(r.describe().contains("may copy"), "{}", r.describe());
        r.config.action = GuardAction::Warn;
        assert!(r.describe().contains("from step 4000"), "{}", r.describe());
        let s = GuardReport::skipped(GuardConfig::default(), "12 held-out rows".into());
        assert!(s.describe().contains("not run (12 held-out rows"));
    }
}
