//! scorediff: a facade over the workspace's crates.
pub use scorediff_backend as backend;
#[cfg(feature = "cpu")]
pub use scorediff_faer as faer;
#[cfg(feature = "wgpu")]
pub use scorediff_wgpu as wgpu;
pub use scorediff_eval as eval;
pub use scorediff_net as net;
pub use scorediff_ntk as ntk;
pub use scorediff_process as process;
pub use scorediff_tabular as tabular;
pub use scorediff_train as train;
