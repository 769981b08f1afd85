//! Opening the backend in test suites: one backend shared by every test of a test binary,
//! or a skip (with a message) on machines without an adapter.
//!
//! With the environment variable `SCOREDIFF_REQUIRE_GPU=1` (set by the project's CI, which
//! installs Mesa's lavapipe) a missing adapter fails the test instead of skipping it, so GPU
//! tests cannot pass by silently not running.

use crate::WgpuBackend;
use scorediff_backend::Backend;
use std::sync::OnceLock;

/// The shared backend of this process, opened on first use; `None` when no adapter can be
/// opened and `SCOREDIFF_REQUIRE_GPU` is not `1` (then it panics).
pub fn shared() -> Option<&'static WgpuBackend> {
    static GPU: OnceLock<Option<WgpuBackend>> = OnceLock::new();
    let gpu = GPU.get_or_init(|| match WgpuBackend::new() {
        Ok(b) => {
            eprintln!("using {}", b.name());
            Some(b)
        }
        Err(e) => {
            if std::env::var("SCOREDIFF_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("SCOREDIFF_REQUIRE_GPU=1 but no wgpu adapter could be opened: {e}");
            }
            eprintln!("no wgpu adapter could be opened: {e}");
            None
        }
    });
    if gpu.is_none() {
        eprintln!(
            "SKIPPED: no wgpu adapter; install a Vulkan driver such as mesa-vulkan-drivers (lavapipe) to run the GPU tests"
        );
    }
    gpu.as_ref()
}
