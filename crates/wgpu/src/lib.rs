//! The GPU backend of scorediff, on wgpu compute shaders written in WGSL.
//!
//! Device matrices are row-major `f32` storage buffers ([`WgpuMatrix`]). Every operation
//! checks shapes on the host, records its kernels into one command buffer and submits it
//! without waiting; the host synchronises only where a value is read back (`to_host`,
//! `sum`), as the `Backend` contract asks (DESIGN.md §2).
//!
//! - Matrix multiply: a tiled kernel (64 x 64 output tiles, 16 x 16 invocations each
//!   computing a 4 x 4 register block, K in slabs of 16 staged in workgroup memory);
//!   transposes are flags in its parameter block, edges are zero-padded.
//! - Elementwise maps: one kernel per family (unary, binary, affine, axpby, broadcasts),
//!   the op chosen by an op code; transcendental functions use argument reduction and
//!   minimax polynomials so results agree with the CPU backend on any driver.
//! - Reductions: tree reductions in workgroup memory.
//! - Buffers come from a size-class pool and return to it when a matrix is dropped;
//!   pipelines are compiled on first use and cached.
//! - Launch grids are two-dimensional, so no dispatch exceeds
//!   `max_compute_workgroups_per_dimension`.
//! - wgpu errors (validation, out of memory, device loss) are captured and returned as
//!   [`BackendError`]s by the operation that observes them.
//!
//! Adapter choice: `WGPU_BACKEND` (`vulkan`, `gl`, `metal`, `dx12`) restricts the APIs
//! tried, `WGPU_ADAPTER_NAME` picks the first adapter whose name contains it, and
//! `WGPU_POWER_PREF` (`low`, `high`) steers the default choice.

mod context;
mod encode;
mod kernel;
mod matrix;
mod ops;
mod pool;
#[cfg(feature = "testing")]
pub mod testing;

pub use context::WgpuConfig;
pub use matrix::WgpuMatrix;
pub use pool::PoolStats;
/// The wgpu version this backend is built on, for its types in [`WgpuBackend::adapter_info`].
pub use wgpu;

use context::Context;
use ops::elementwise::{BinaryMap, UnaryMap};
use scorediff_backend::{
    Activation, ActivationOps, ArcCos, BackendError, Binary, ColumnBlock, Device, ElementwiseOps,
    LinalgOps, MemoryOps, ReduceOps, Result, StructureOps, Transpose, Unary,
};
use std::sync::Arc;

/// The wgpu backend: a handle to one device, cheap to clone (clones share the device,
/// its buffer pool and its compiled kernels).
#[derive(Debug, Clone)]
pub struct WgpuBackend {
    ctx: Arc<Context>,
}

impl WgpuBackend {
    /// Opens the adapter chosen by the environment (see the crate documentation) with
    /// the default [`WgpuConfig`]. Fails with [`BackendError::NoDevice`] when no adapter
    /// or driver is available.
    pub fn new() -> Result<Self> {
        Self::with_config(WgpuConfig::default())
    }

    /// Like [`WgpuBackend::new`], with explicit options.
    pub fn with_config(config: WgpuConfig) -> Result<Self> {
        Ok(Self {
            ctx: Arc::new(Context::open(&config)?),
        })
    }

    /// The adapter in use (name, driver, API).
    pub fn adapter_info(&self) -> wgpu::AdapterInfo {
        self.ctx.info.clone()
    }

    /// Whether the adapter is a CPU implementation (Mesa's lavapipe, WARP, SwiftShader).
    pub fn is_software(&self) -> bool {
        self.ctx.info.device_type == wgpu::DeviceType::Cpu
    }

    /// Counters of the buffer pool.
    pub fn pool_stats(&self) -> PoolStats {
        self.ctx.pool.stats()
    }

    /// Releases every idle pooled buffer to the driver.
    pub fn trim_pool(&self) {
        self.ctx.pool.trim();
    }

    /// Largest matrix, in bytes, the device can hold in one buffer.
    pub fn max_matrix_bytes(&self) -> u64 {
        self.ctx.pool.max_bytes()
    }

    /// Number of compute pipelines compiled so far (each kernel compiles once).
    pub fn compiled_kernels(&self) -> usize {
        self.ctx.kernels.len()
    }

    /// Waits until every submitted operation has finished (for timing).
    pub fn synchronize(&self) -> Result<()> {
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| BackendError::DeviceLost(format!("waiting for the device: {e}")))?;
        self.ctx.check()
    }
}

impl Device for WgpuBackend {
    type Matrix = WgpuMatrix;

    fn name(&self) -> String {
        let info = &self.ctx.info;
        format!("wgpu: {} ({:?})", info.name, info.backend)
    }
}

impl MemoryOps for WgpuBackend {
    fn zeros(&self, rows: usize, cols: usize) -> Result<WgpuMatrix> {
        ops::memory::full(&self.ctx, rows, cols, 0.0)
    }

    fn full(&self, rows: usize, cols: usize, value: f32) -> Result<WgpuMatrix> {
        ops::memory::full(&self.ctx, rows, cols, value)
    }

    fn from_host(&self, rows: usize, cols: usize, data: &[f32]) -> Result<WgpuMatrix> {
        ops::memory::from_host(&self.ctx, rows, cols, data)
    }

    fn to_host(&self, a: &WgpuMatrix) -> Result<Vec<f32>> {
        ops::memory::to_host(&self.ctx, a)
    }

    fn write(&self, dst: &mut WgpuMatrix, data: &[f32]) -> Result<()> {
        ops::memory::write(&self.ctx, dst, data)
    }

    fn copy(&self, a: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::memory::copy(&self.ctx, a)
    }
}

impl LinalgOps for WgpuBackend {
    fn gemm(
        &self,
        alpha: f32,
        a: &WgpuMatrix,
        trans_a: Transpose,
        b: &WgpuMatrix,
        trans_b: Transpose,
        beta: f32,
        c: &mut WgpuMatrix,
    ) -> Result<()> {
        ops::linalg::gemm(&self.ctx, alpha, a, trans_a, b, trans_b, beta, c)
    }

    fn transpose(&self, a: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::linalg::transpose(&self.ctx, a)
    }
}

impl ElementwiseOps for WgpuBackend {
    fn unary(&self, op: Unary, a: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::elementwise::unary(&self.ctx, UnaryMap::Core(op), a)
    }

    fn binary(&self, op: Binary, a: &WgpuMatrix, b: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::elementwise::binary(&self.ctx, BinaryMap::Core(op), a, b)
    }

    fn affine(&self, a: &WgpuMatrix, scale: f32, shift: f32) -> Result<WgpuMatrix> {
        ops::elementwise::affine(&self.ctx, a, scale, shift)
    }

    fn axpby(&self, alpha: f32, x: &WgpuMatrix, beta: f32, y: &mut WgpuMatrix) -> Result<()> {
        ops::elementwise::axpby(&self.ctx, alpha, x, beta, y)
    }

    fn broadcast_row(&self, op: Binary, a: &WgpuMatrix, row: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::elementwise::broadcast_row(&self.ctx, op, a, row)
    }

    fn broadcast_col(&self, op: Binary, a: &WgpuMatrix, col: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::elementwise::broadcast_col(&self.ctx, op, a, col)
    }
}

impl ReduceOps for WgpuBackend {
    fn row_sums(&self, a: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::reduce::row_sums(&self.ctx, a)
    }

    fn col_sums(&self, a: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::reduce::col_sums(&self.ctx, a)
    }
}

impl StructureOps for WgpuBackend {
    fn gather_rows(&self, a: &WgpuMatrix, indices: &[usize]) -> Result<WgpuMatrix> {
        ops::structure::gather_rows(&self.ctx, a, indices)
    }

    fn slice_rows(&self, a: &WgpuMatrix, start: usize, end: usize) -> Result<WgpuMatrix> {
        ops::structure::slice_rows(&self.ctx, a, start, end)
    }

    fn slice_cols(&self, a: &WgpuMatrix, start: usize, end: usize) -> Result<WgpuMatrix> {
        ops::structure::slice_cols(&self.ctx, a, start, end)
    }

    fn concat_cols(&self, parts: &[&WgpuMatrix]) -> Result<WgpuMatrix> {
        ops::structure::concat_cols(&self.ctx, parts)
    }

    fn concat_rows(&self, parts: &[&WgpuMatrix]) -> Result<WgpuMatrix> {
        ops::structure::concat_rows(&self.ctx, parts)
    }

    fn softmax_blocks(&self, a: &WgpuMatrix, blocks: &[ColumnBlock]) -> Result<WgpuMatrix> {
        ops::structure::softmax_blocks(&self.ctx, a, blocks)
    }

    fn softmax_blocks_backward(
        &self,
        y: &WgpuMatrix,
        dy: &WgpuMatrix,
        blocks: &[ColumnBlock],
    ) -> Result<WgpuMatrix> {
        ops::structure::softmax_blocks_backward(&self.ctx, y, dy, blocks)
    }
}

/// The composed defaults (a product then the bias pass; Adam as seven dispatches).
impl scorediff_backend::FusedOps for WgpuBackend {}

/// One fused kernel per map (instead of the composed defaults).
impl ActivationOps for WgpuBackend {
    fn activation(&self, act: Activation, x: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::elementwise::unary(&self.ctx, UnaryMap::Activation(act), x)
    }

    fn activation_grad(&self, act: Activation, x: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::elementwise::unary(&self.ctx, UnaryMap::Derivative(act), x)
    }

    fn activation_backward(
        &self,
        act: Activation,
        x: &WgpuMatrix,
        dy: &WgpuMatrix,
    ) -> Result<WgpuMatrix> {
        ops::elementwise::binary(&self.ctx, BinaryMap::Backward(act), x, dy)
    }

    fn arc_cosine(&self, degree: ArcCos, c: &WgpuMatrix) -> Result<WgpuMatrix> {
        ops::elementwise::unary(&self.ctx, UnaryMap::ArcCos(degree), c)
    }
}
