//! Runs a generic command on the backend the user chose.

use crate::args::BackendChoice;
use scorediff::backend::Backend;
use scorediff::{Error, Result};

/// A command generic over the backend.
pub trait OnBackend {
    /// What the command returns.
    type Output;
    /// Runs the command on `be`.
    fn run<B: Backend>(self, be: B) -> Result<Self::Output>;
}

/// Runs `job` on the chosen backend.
pub fn dispatch<J: OnBackend>(choice: BackendChoice, job: J) -> Result<J::Output> {
    match choice {
        BackendChoice::Cpu => cpu(job),
        BackendChoice::Wgpu => gpu(job),
    }
}

#[cfg(feature = "cpu")]
fn cpu<J: OnBackend>(job: J) -> Result<J::Output> {
    job.run(scorediff::faer::FaerBackend::default())
}

#[cfg(not(feature = "cpu"))]
fn cpu<J: OnBackend>(_job: J) -> Result<J::Output> {
    Err(Error::Usage(
        "this build has no CPU backend: rebuild with `--features cpu`".into(),
    ))
}

#[cfg(feature = "wgpu")]
fn gpu<J: OnBackend>(job: J) -> Result<J::Output> {
    let be = scorediff::wgpu::WgpuBackend::new()
        .map_err(|e| Error::Usage(format!("--backend wgpu: {e}; try --backend cpu")))?;
    job.run(be)
}

#[cfg(not(feature = "wgpu"))]
fn gpu<J: OnBackend>(_job: J) -> Result<J::Output> {
    Err(Error::Usage(
        "this build has no GPU backend: rebuild with `--features wgpu`".into(),
    ))
}
