//! Opening a backend by kind, and running backend-generic work on it.
//!
//! Work generic over `B: Backend` implements [`OnBackend`]; [`run_on`] opens the backend the
//! user chose and runs it there, so that callers (the binary, the bindings) never name a
//! backend type. A build without a backend's feature says how to get it.

use scorediff_backend::Backend;

use crate::{Error, Result};

/// A compute backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendKind {
    /// faer on all CPU cores (`RAYON_NUM_THREADS` to limit).
    #[default]
    Cpu,
    /// wgpu compute shaders on the first adapter (a GPU, or Mesa's lavapipe on the CPU).
    Wgpu,
}

/// Work that runs on any backend.
pub trait OnBackend {
    /// What the work returns.
    type Output;
    /// Runs the work on `be`.
    fn run<B: Backend>(self, be: B) -> Result<Self::Output>;
}

/// Opens the backend of `kind` and runs `job` on it.
pub fn run_on<J: OnBackend>(kind: BackendKind, job: J) -> Result<J::Output> {
    match kind {
        BackendKind::Cpu => cpu(job),
        BackendKind::Wgpu => gpu(job),
    }
}

#[cfg(feature = "cpu")]
fn cpu<J: OnBackend>(job: J) -> Result<J::Output> {
    job.run(scorediff_faer::FaerBackend::default())
}

#[cfg(not(feature = "cpu"))]
fn cpu<J: OnBackend>(_job: J) -> Result<J::Output> {
    Err(Error::Usage(
        "this build has no CPU backend: rebuild with `--features cpu`".into(),
    ))
}

/// Opens the wgpu backend on the default adapter; the error says what to install.
#[cfg(feature = "wgpu")]
pub fn open_wgpu() -> Result<scorediff_wgpu::WgpuBackend> {
    scorediff_wgpu::WgpuBackend::new().map_err(|e| {
        Error::Usage(format!(
            "opening the wgpu backend: {e}; install a Vulkan driver (e.g. mesa-vulkan-drivers) or use the CPU backend"
        ))
    })
}

#[cfg(feature = "wgpu")]
fn gpu<J: OnBackend>(job: J) -> Result<J::Output> {
    job.run(open_wgpu()?)
}

#[cfg(not(feature = "wgpu"))]
fn gpu<J: OnBackend>(_job: J) -> Result<J::Output> {
    Err(Error::Usage(
        "this build has no GPU backend: rebuild with `--features wgpu`".into(),
    ))
}
