//! The cross-backend op suite, wgpu against faer, over random seeds; with the device's
//! own launch limits and with a small cap on workgroups per grid dimension (which makes
//! every kernel fold its launch onto a 2-D grid).

mod common;

use proptest::prelude::*;
use scorediff_conformance::{SuiteConfig, run};
use scorediff_faer::FaerBackend;
use scorediff_wgpu::{WgpuBackend, WgpuConfig};
use std::sync::OnceLock;

/// Largest workgroup count the capped grid supports is 61^2 = 3721, enough for the
/// suite's largest launch (tall column sums, about 2600 workgroups).
const GRID_CAP: u32 = 61;

fn gpu(capped: bool) -> Option<&'static WgpuBackend> {
    static PLAIN: OnceLock<Option<WgpuBackend>> = OnceLock::new();
    static CAPPED: OnceLock<Option<WgpuBackend>> = OnceLock::new();
    let cell = if capped { &CAPPED } else { &PLAIN };
    cell.get_or_init(|| {
        common::backend_with(WgpuConfig {
            max_workgroups_per_dimension: capped.then_some(GRID_CAP),
            ..WgpuConfig::default()
        })
    })
    .as_ref()
}

fn check(capped: bool, config: &SuiteConfig) {
    let Some(gpu) = gpu(capped) else { return };
    let report = run(gpu, &FaerBackend::default(), config);
    if !report.passed() {
        eprintln!("{report}");
    }
    assert!(report.passed(), "failures: {:#?}", report.failures());
}

#[test]
fn suite_default_seed_passes() {
    check(false, &SuiteConfig::default());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn suite_passes_for_any_seed(seed in any::<u64>(), capped in any::<bool>()) {
        check(capped, &SuiteConfig { cases: 6, seed, max_dim: 130 });
    }
}
