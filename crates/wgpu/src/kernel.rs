//! WGSL kernels: their sources, bind-group layouts, the pipeline cache and launch grids.
//!
//! Every kernel is one WGSL file with a `main` entry point, compiled with the shared
//! prelude `common.wgsl` (math functions, op-code tables). Bindings follow one convention:
//! read-only storage buffers first, then read-write storage buffers, then one uniform
//! block of parameters. A pipeline is compiled the first time its kernel is used and
//! cached for the life of the device.

use scorediff_backend::{BackendError, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The compute kernels of the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kernel {
    /// Tiled `C = alpha op(A) op(B) + beta C`.
    Gemm,
    /// Tiled transpose through workgroup memory.
    Transpose,
    /// Elementwise unary op chosen by an op code.
    Unary,
    /// Elementwise binary op chosen by an op code.
    Binary,
    /// `scale * x + shift`.
    Affine,
    /// In place `y = alpha x + beta y`.
    Axpby,
    /// `op(a[i, j], row[j])`.
    BroadcastRow,
    /// `op(a[i, j], col[i])`.
    BroadcastCol,
    /// Fill with a constant.
    Fill,
    /// Row sums, one invocation per row (narrow matrices).
    RowSumsNarrow,
    /// Row sums, one workgroup per row with a tree reduction (wide matrices).
    RowSumsWide,
    /// Partial column sums over chunks of rows, reduced in workgroup memory.
    ColSumsPartial,
    /// Row gather through an index table.
    GatherRows,
    /// Strided copy of a block of columns (column slices and concatenations).
    CopyBlock,
    /// Softmax within column blocks, in place on a copy of the input.
    Softmax,
    /// Backward pass of the block softmax, in place on a copy of `dy`.
    SoftmaxBackward,
}

/// Invocations per workgroup of the one-dimensional kernels.
pub(crate) const WG_1D: u64 = 256;
/// Output tile of the matmul kernel (square).
pub(crate) const GEMM_TILE: u64 = 64;
/// Tile of the transpose kernel (square).
pub(crate) const TRANSPOSE_TILE: u64 = 16;
/// Columns handled by one column-sum workgroup.
pub(crate) const COLSUM_COLS: u64 = 16;
/// Rows reduced by one column-sum workgroup (16 lanes x 16 rows each).
pub(crate) const COLSUM_ROWS: u64 = 256;
/// Widest matrix summed by the one-invocation-per-row kernel.
pub(crate) const ROW_SUMS_NARROW_MAX_COLS: usize = 64;

const PRELUDE: &str = include_str!("shaders/common.wgsl");

impl Kernel {
    fn source(self) -> &'static str {
        match self {
            Kernel::Gemm => include_str!("shaders/gemm.wgsl"),
            Kernel::Transpose => include_str!("shaders/transpose.wgsl"),
            Kernel::Unary => include_str!("shaders/unary.wgsl"),
            Kernel::Binary => include_str!("shaders/binary.wgsl"),
            Kernel::Affine => include_str!("shaders/affine.wgsl"),
            Kernel::Axpby => include_str!("shaders/axpby.wgsl"),
            Kernel::BroadcastRow => include_str!("shaders/broadcast_row.wgsl"),
            Kernel::BroadcastCol => include_str!("shaders/broadcast_col.wgsl"),
            Kernel::Fill => include_str!("shaders/fill.wgsl"),
            Kernel::RowSumsNarrow => include_str!("shaders/row_sums_narrow.wgsl"),
            Kernel::RowSumsWide => include_str!("shaders/row_sums_wide.wgsl"),
            Kernel::ColSumsPartial => include_str!("shaders/col_sums_partial.wgsl"),
            Kernel::GatherRows => include_str!("shaders/gather_rows.wgsl"),
            Kernel::CopyBlock => include_str!("shaders/copy_block.wgsl"),
            Kernel::Softmax => include_str!("shaders/softmax.wgsl"),
            Kernel::SoftmaxBackward => include_str!("shaders/softmax_backward.wgsl"),
        }
    }

    /// `(read-only storage bindings, read-write storage bindings)`.
    fn bindings(self) -> (u32, u32) {
        match self {
            Kernel::Gemm => (2, 1),
            Kernel::Fill => (0, 1),
            Kernel::Axpby => (1, 1),
            Kernel::Binary | Kernel::BroadcastRow | Kernel::BroadcastCol | Kernel::GatherRows => {
                (2, 1)
            }
            Kernel::Softmax => (1, 1),
            Kernel::SoftmaxBackward => (2, 1),
            Kernel::Transpose
            | Kernel::Unary
            | Kernel::Affine
            | Kernel::RowSumsNarrow
            | Kernel::RowSumsWide
            | Kernel::ColSumsPartial
            | Kernel::CopyBlock => (1, 1),
        }
    }

    /// The full WGSL source: prelude plus kernel.
    pub(crate) fn wgsl(self) -> String {
        format!("{PRELUDE}\n{}", self.source())
    }
}

/// A compiled kernel: its pipeline and bind-group layout.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
    pub(crate) reads: u32,
    pub(crate) writes: u32,
}

/// Pipelines compiled so far, by kernel.
#[derive(Debug, Default)]
pub(crate) struct KernelCache {
    compiled: Mutex<HashMap<Kernel, Arc<Compiled>>>,
}

impl KernelCache {
    /// The compiled kernel, compiling it on first use.
    pub(crate) fn get(&self, device: &wgpu::Device, kernel: Kernel) -> Result<Arc<Compiled>> {
        let mut map = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = map.get(&kernel) {
            return Ok(Arc::clone(c));
        }
        let c = Arc::new(compile(device, kernel)?);
        map.insert(kernel, Arc::clone(&c));
        Ok(c)
    }

    /// Number of pipelines compiled so far.
    pub(crate) fn len(&self) -> usize {
        self.compiled.lock().map(|m| m.len()).unwrap_or(0)
    }
}

fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn compile(device: &wgpu::Device, kernel: Kernel) -> Result<Compiled> {
    let (reads, writes) = kernel.bindings();
    let mut entries: Vec<_> = (0..reads).map(|b| storage_entry(b, true)).collect();
    entries.extend((reads..reads + writes).map(|b| storage_entry(b, false)));
    entries.push(wgpu::BindGroupLayoutEntry {
        binding: reads + writes,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    });
    let label = format!("scorediff {kernel:?}");
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(&label),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(&label),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(&label),
        source: wgpu::ShaderSource::Wgsl(kernel.wgsl().into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(&label),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: wgpu::PipelineCompilationOptions::default(),
        cache: None,
    });
    if let Some(err) = pollster::block_on(scope.pop()) {
        return Err(BackendError::DeviceLost(format!(
            "kernel {kernel:?} failed to compile: {err}"
        )));
    }
    Ok(Compiled {
        pipeline,
        layout,
        reads,
        writes,
    })
}

/// The parameter block of one dispatch: sixteen 32-bit words, filled in the order the
/// kernel's WGSL `Params` struct declares its fields (`u32` and `f32` only).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Params {
    words: [u32; 16],
    len: usize,
}

impl Params {
    /// An empty parameter block.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Appends an unsigned integer. Callers have checked sizes against the device
    /// limits, which keep every element count below `u32::MAX`.
    pub(crate) fn u(mut self, v: usize) -> Self {
        debug_assert!(u32::try_from(v).is_ok(), "kernel parameter {v} exceeds u32");
        self.words[self.len] = v as u32;
        self.len += 1;
        self
    }

    /// Appends a float.
    pub(crate) fn f(mut self, v: f32) -> Self {
        self.words[self.len] = v.to_bits();
        self.len += 1;
        self
    }

    /// The bytes uploaded to the uniform buffer.
    pub(crate) fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.words)
    }
}

/// Size of the uniform parameter buffer, in bytes.
pub(crate) const PARAMS_BYTES: u64 = 64;

/// Splits `groups` workgroups into a 2-D grid `(x, y)` with both sides at most
/// `max_dim`; kernels recover the linear id as `wid.x + wid.y * num_workgroups.x` and
/// return early past `groups`.
pub(crate) fn grid(groups: u64, max_dim: u32) -> Result<(u32, u32)> {
    let max = u64::from(max_dim.max(1));
    let x = groups.min(max);
    let y = groups.div_ceil(x.max(1));
    if y > max {
        return Err(BackendError::OutOfMemory {
            bytes: groups.saturating_mul(WG_1D * 4),
        });
    }
    Ok((x as u32, y as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_every_workgroup_within_the_limit() {
        for &(g, max) in &[
            (1u64, 65535u32),
            (65535, 65535),
            (65536, 65535),
            (1 << 24, 65535),
            (4, 2),
            (5, 3),
        ] {
            let (x, y) = grid(g, max).unwrap();
            assert!(x <= max && y <= max);
            assert!(u64::from(x) * u64::from(y) >= g);
            assert!(u64::from(x) * (u64::from(y) - 1) < g, "no empty grid row");
        }
        assert!(grid(10, 3).is_err());
    }

    #[test]
    fn params_pack_floats_by_bits() {
        let p = Params::new().u(3).f(-1.5);
        let w: &[u32] = bytemuck::cast_slice(p.bytes());
        assert_eq!(w[0], 3);
        assert_eq!(f32::from_bits(w[1]), -1.5);
        assert_eq!(p.bytes().len() as u64, PARAMS_BYTES);
    }
}
