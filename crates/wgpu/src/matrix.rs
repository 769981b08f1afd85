//! The device matrix of the wgpu backend.

use crate::pool::PooledBuffer;
use scorediff_backend::DeviceMatrix;

/// A row-major `f32` matrix in a device storage buffer.
///
/// The buffer comes from the backend's pool and goes back to it when the matrix is
/// dropped. The buffer may be larger than the matrix (its size class); only the first
/// `rows * cols` elements are meaningful.
pub struct WgpuMatrix {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) buf: PooledBuffer,
}

impl WgpuMatrix {
    /// The storage buffer holding the elements.
    pub(crate) fn raw(&self) -> &wgpu::Buffer {
        self.buf.raw()
    }

    /// Bytes of meaningful data (`4 * rows * cols`).
    pub(crate) fn bytes(&self) -> u64 {
        4 * (self.rows * self.cols) as u64
    }

    /// Size of the underlying device buffer, in bytes.
    pub fn capacity_bytes(&self) -> u64 {
        self.buf.capacity()
    }
}

impl DeviceMatrix for WgpuMatrix {
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
}

impl std::fmt::Debug for WgpuMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WgpuMatrix({}x{})", self.rows, self.cols)
    }
}
