//! Choosing and opening backends by name (`--backends faer,wgpu`).

use anyhow::{Context, Result, bail};
use scorediff_backend::Backend;
use scorediff_faer::FaerBackend;
use scorediff_wgpu::WgpuBackend;

/// A backend the tasks know how to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `scorediff_faer::FaerBackend` on all cores.
    Faer,
    /// `scorediff_wgpu::WgpuBackend` on the adapter the environment selects.
    Wgpu,
}

impl Kind {
    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Faer => "faer",
            Kind::Wgpu => "wgpu",
        }
    }
}

/// Parses a comma-separated list such as `faer,wgpu`.
pub fn parse_list(list: &str) -> Result<Vec<Kind>> {
    let mut kinds = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let kind = match name {
            "faer" | "cpu" => Kind::Faer,
            "wgpu" | "gpu" => Kind::Wgpu,
            other => bail!("unknown backend {other:?} (known: faer, wgpu)"),
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        bail!("no backend selected");
    }
    Ok(kinds)
}

/// The faer backend.
pub fn faer() -> FaerBackend {
    FaerBackend::default()
}

/// Opens the wgpu backend and prints the adapter in use.
pub fn wgpu() -> Result<WgpuBackend> {
    let gpu = scorediff_synth::device::open_wgpu()
        .context("the wgpu benchmarks (pass --backends faer to run without them)")?;
    let info = gpu.adapter_info();
    println!(
        "wgpu adapter: {} ({:?}, {:?}, driver {} {})",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    );
    Ok(gpu)
}

/// Whether the adapter is a CPU emulation such as Mesa's lavapipe (benchmarks shrink).
pub fn is_software(gpu: &WgpuBackend) -> bool {
    gpu.is_software()
}

/// Waiting for a backend's queued work, so timings cover execution, not submission.
pub trait Sync: Backend {
    /// Blocks until every submitted operation finished.
    fn sync(&self) -> Result<()>;
}

impl Sync for FaerBackend {
    fn sync(&self) -> Result<()> {
        Ok(())
    }
}

impl Sync for WgpuBackend {
    fn sync(&self) -> Result<()> {
        Ok(self.synchronize()?)
    }
}
