//! Opening the GPU backend in tests, or skipping when no adapter exists
//! (`scorediff_wgpu::testing::open_with`).

use scorediff_wgpu::{WgpuBackend, WgpuConfig, testing};

/// The wgpu backend with the default options, or `None` when no adapter can be opened.
#[allow(dead_code)] // not every test binary uses both openers
pub fn backend() -> Option<WgpuBackend> {
    testing::open_with(WgpuConfig::default())
}

/// Like [`backend`], with explicit options.
pub fn backend_with(config: WgpuConfig) -> Option<WgpuBackend> {
    testing::open_with(config)
}
