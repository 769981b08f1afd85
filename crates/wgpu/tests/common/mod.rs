//! Opening the GPU backend in tests, or skipping when no adapter exists.

use scorediff_backend::Backend;
use scorediff_wgpu::{WgpuBackend, WgpuConfig};

/// The wgpu backend, or `None` (with a message on stderr) when no adapter can be opened.
/// With `SCOREDIFF_REQUIRE_GPU=1` (set by `.ci/run`, which installs Mesa's lavapipe) a
/// missing adapter fails the test instead of skipping it.
#[allow(dead_code)] // not every test binary uses both openers
pub fn backend() -> Option<WgpuBackend> {
    backend_with(WgpuConfig::default())
}

/// Like [`backend`], with explicit options.
pub fn backend_with(config: WgpuConfig) -> Option<WgpuBackend> {
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
