//! Opening the backend in test suites: one backend shared by every test of a test binary,
//! or a skip (with a message) on machines without an adapter. Compiled only with the
//! `testing` feature, which the crates' dev-dependencies enable: the `panic!` below fails a
//! test and never reaches a user.
//!
//! With the environment variable `SCOREDIFF_REQUIRE_GPU=1` (set by the project's CI, which
//! installs Mesa's lavapipe) a missing adapter fails the test instead of skipping it, so GPU
//! tests cannot pass by silently not running.

use crate::{WgpuBackend, WgpuConfig};
use scorediff_backend::Device;
use std::sync::OnceLock;

/// A new backend with `config`, or `None` (with a message on stderr) when no adapter can
/// be opened and `SCOREDIFF_REQUIRE_GPU` is not `1` (then it panics).
pub fn open_with(config: WgpuConfig) -> Option<WgpuBackend> {
    match WgpuBackend::with_config(config) {
        Ok(b) => {
            eprintln!("using {}", b.name());
            Some(b)
        }
        Err(e) => {
            if std::env::var("SCOREDIFF_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("SCOREDIFF_REQUIRE_GPU=1 but no wgpu adapter could be opened: {e}");
            }
            eprintln!(
                "SKIPPED: no wgpu adapter could be opened ({e}); install a Vulkan driver such as mesa-vulkan-drivers (lavapipe) to run the GPU tests"
            );
            None
        }
    }
}

/// The shared backend of this process, opened on first use with the default options (see
/// [`open_with`]).
pub fn shared() -> Option<&'static WgpuBackend> {
    static GPU: OnceLock<Option<WgpuBackend>> = OnceLock::new();
    let gpu = GPU.get_or_init(|| open_with(WgpuConfig::default()));
    if gpu.is_none() {
        eprintln!("SKIPPED: no wgpu adapter (see the first skipped test for why)");
    }
    gpu.as_ref()
}
