//! Recording kernels and copies into one command buffer, submitted as one unit.

use crate::context::Context;
use crate::kernel::{Kernel, PARAMS_BYTES, Params, grid};
use crate::pool::{BufKind, PooledBuffer};
use scorediff_backend::Result;

/// The commands of one backend operation. Nothing runs until [`Pass::submit`]; the
/// submission does not wait for the device.
pub(crate) struct Pass<'c> {
    ctx: &'c Context,
    encoder: wgpu::CommandEncoder,
    /// Parameter and scratch buffers that must not be reused before the submission.
    hold: Vec<PooledBuffer>,
}

impl<'c> Pass<'c> {
    pub(crate) fn new(ctx: &'c Context) -> Self {
        let encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("scorediff op"),
            });
        Self {
            ctx,
            encoder,
            hold: Vec::new(),
        }
    }

    /// Keeps a scratch buffer alive (out of the pool) until the submission.
    pub(crate) fn hold(&mut self, buf: PooledBuffer) {
        self.hold.push(buf);
    }

    /// Records `kernel` over `groups` workgroups (laid out on a 2-D grid), binding `reads`
    /// read-only, `writes` read-write, and `params` as the uniform block.
    pub(crate) fn dispatch(
        &mut self,
        kernel: Kernel,
        reads: &[&wgpu::Buffer],
        writes: &[&wgpu::Buffer],
        params: Params,
        groups: u64,
    ) -> Result<()> {
        if groups == 0 {
            return Ok(());
        }
        let compiled = self.ctx.kernels.get(&self.ctx.device, kernel)?;
        debug_assert_eq!(reads.len() as u32, compiled.reads, "{kernel:?} reads");
        debug_assert_eq!(writes.len() as u32, compiled.writes, "{kernel:?} writes");
        let (x, y) = grid(groups, self.ctx.max_dim)?;
        let uniform = self.ctx.pool.acquire(BufKind::Uniform, PARAMS_BYTES)?;
        self.ctx
            .queue
            .write_buffer(uniform.raw(), 0, params.bytes());
        let entries: Vec<wgpu::BindGroupEntry<'_>> = reads
            .iter()
            .chain(writes)
            .chain(std::iter::once(&uniform.raw()))
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        let bind_group = self
            .ctx
            .device
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &compiled.layout,
                entries: &entries,
            });
        {
            let mut cpass = self
                .encoder
                .begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: None,
                    timestamp_writes: None,
                });
            cpass.set_pipeline(&compiled.pipeline);
            cpass.set_bind_group(0, &bind_group, &[]);
            cpass.dispatch_workgroups(x, y, 1);
        }
        self.hold.push(uniform);
        Ok(())
    }

    /// Records a copy of `len` f32 elements between buffers, offsets in elements.
    pub(crate) fn copy(
        &mut self,
        src: &wgpu::Buffer,
        src_off: usize,
        dst: &wgpu::Buffer,
        dst_off: usize,
        len: usize,
    ) {
        if len > 0 {
            self.encoder.copy_buffer_to_buffer(
                src,
                4 * src_off as u64,
                dst,
                4 * dst_off as u64,
                4 * len as u64,
            );
        }
    }

    /// Records zeroing the whole of `buf`.
    pub(crate) fn clear(&mut self, buf: &wgpu::Buffer) {
        self.encoder.clear_buffer(buf, 0, None);
    }

    /// Submits the recorded commands and reports any error wgpu raised while recording.
    pub(crate) fn submit(self) -> Result<()> {
        self.ctx.queue.submit([self.encoder.finish()]);
        drop(self.hold);
        self.ctx.check()
    }
}
