//! A pool of device buffers, reused by size class.
//!
//! Allocating a GPU buffer is expensive (a driver call, often a page-table update), and a
//! training step creates and drops dozens of intermediate matrices of the same few sizes.
//! Buffers are therefore rounded up to a size class and, when the matrix owning one is
//! dropped, handed back to the pool instead of to the driver. The pool keeps at most
//! `max_free_bytes` of idle buffers; beyond that, returned buffers are released.
//!
//! Reuse is safe without host synchronisation: every operation is submitted to the one
//! queue in program order, so a buffer handed out again is only written by commands that
//! run after every earlier command that read it (wgpu keeps the buffer alive while those
//! are in flight).

use scorediff_backend::{BackendError, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Smallest buffer the pool allocates, in bytes.
const MIN_CLASS: u64 = 256;

/// What a pooled buffer is used for; buffers of different kinds are never exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BufKind {
    /// Matrix data and small index tables: storage, copy source and destination.
    Storage,
    /// Kernel parameters (a uniform block).
    Uniform,
    /// Host-mappable staging buffers for reading results back.
    Readback,
}

impl BufKind {
    fn usage(self) -> wgpu::BufferUsages {
        use wgpu::BufferUsages as U;
        match self {
            BufKind::Storage => U::STORAGE | U::COPY_SRC | U::COPY_DST,
            BufKind::Uniform => U::UNIFORM | U::COPY_DST,
            BufKind::Readback => U::MAP_READ | U::COPY_DST,
        }
    }
}

/// Counters describing the pool, for tests and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers created with the driver since the pool was made.
    pub allocations: u64,
    /// Requests served by an idle pooled buffer.
    pub reuses: u64,
    /// Buffers released to the driver because the pool was full.
    pub releases: u64,
    /// Idle buffers currently held.
    pub free_buffers: usize,
    /// Bytes of idle buffers currently held.
    pub free_bytes: u64,
    /// Bytes of buffers currently handed out (owned by live matrices or in use).
    pub live_bytes: u64,
}

#[derive(Default)]
struct PoolState {
    free: HashMap<(BufKind, u64), Vec<wgpu::Buffer>>,
    stats: PoolStats,
}

/// The buffer pool of one device.
pub(crate) struct BufferPool {
    device: wgpu::Device,
    /// Largest buffer that may be created and bound as one storage binding.
    max_bytes: u64,
    max_free_bytes: u64,
    state: Mutex<PoolState>,
}

impl std::fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferPool")
            .field("max_bytes", &self.max_bytes)
            .field("max_free_bytes", &self.max_free_bytes)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Rounds a request up to its size class: a multiple of 1/8 of the next power of two, so
/// at most 25% is wasted while a few classes per octave keep reuse high.
pub(crate) fn size_class(bytes: u64) -> u64 {
    let b = bytes.max(MIN_CLASS);
    let step = (b.next_power_of_two() / 8).max(4);
    b.div_ceil(step) * step
}

impl BufferPool {
    pub(crate) fn new(device: wgpu::Device, max_bytes: u64, max_free_bytes: u64) -> Self {
        Self {
            device,
            max_bytes,
            max_free_bytes,
            state: Mutex::new(PoolState::default()),
        }
    }

    /// Largest buffer (bytes) the pool can hand out.
    pub(crate) fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A panic while holding the lock cannot leave the maps inconsistent: recover.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current counters.
    pub(crate) fn stats(&self) -> PoolStats {
        self.lock().stats
    }

    /// Releases every idle buffer to the driver.
    pub(crate) fn trim(&self) {
        let mut st = self.lock();
        let n: usize = st.free.values().map(Vec::len).sum();
        st.free.clear();
        st.stats.releases += n as u64;
        st.stats.free_buffers = 0;
        st.stats.free_bytes = 0;
    }

    /// A buffer of at least `bytes` bytes, reused when an idle one of its class exists.
    pub(crate) fn acquire(self: &Arc<Self>, kind: BufKind, bytes: u64) -> Result<PooledBuffer> {
        if bytes > self.max_bytes {
            return Err(BackendError::OutOfMemory { bytes });
        }
        let class = size_class(bytes).min(self.max_bytes.max(MIN_CLASS));
        let reused = {
            let mut st = self.lock();
            let hit = st.free.get_mut(&(kind, class)).and_then(Vec::pop);
            if hit.is_some() {
                st.stats.reuses += 1;
                st.stats.free_buffers -= 1;
                st.stats.free_bytes -= class;
            }
            st.stats.live_bytes += class;
            hit
        };
        let buffer = match reused {
            Some(b) => b,
            None => match self.create(kind, class) {
                Ok(b) => b,
                Err(e) => {
                    self.lock().stats.live_bytes -= class;
                    return Err(e);
                }
            },
        };
        Ok(PooledBuffer {
            buffer: Some(buffer),
            kind,
            class,
            pool: Arc::clone(self),
        })
    }

    fn create(&self, kind: BufKind, class: u64) -> Result<wgpu::Buffer> {
        // An error scope turns an allocation failure into a value instead of a panic.
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("scorediff pooled buffer"),
            size: class,
            usage: kind.usage(),
            mapped_at_creation: false,
        });
        if pollster::block_on(scope.pop()).is_some() {
            return Err(BackendError::OutOfMemory { bytes: class });
        }
        self.lock().stats.allocations += 1;
        Ok(buffer)
    }

    fn release(&self, kind: BufKind, class: u64, buffer: wgpu::Buffer) {
        let mut st = self.lock();
        st.stats.live_bytes -= class;
        if st.stats.free_bytes + class > self.max_free_bytes {
            st.stats.releases += 1;
            drop(st);
            drop(buffer);
            return;
        }
        st.free.entry((kind, class)).or_default().push(buffer);
        st.stats.free_buffers += 1;
        st.stats.free_bytes += class;
    }
}

/// A buffer borrowed from a [`BufferPool`]; returns to the pool when dropped.
pub(crate) struct PooledBuffer {
    buffer: Option<wgpu::Buffer>,
    kind: BufKind,
    class: u64,
    pool: Arc<BufferPool>,
}

impl PooledBuffer {
    /// The wgpu buffer.
    pub(crate) fn raw(&self) -> &wgpu::Buffer {
        // Only `drop` takes the buffer out.
        self.buffer
            .as_ref()
            .expect("pooled buffer present until drop")
    }

    /// Whether this buffer came from `pool`.
    pub(crate) fn is_from(&self, pool: &Arc<BufferPool>) -> bool {
        Arc::ptr_eq(&self.pool, pool)
    }

    /// Size of the underlying buffer (its size class), in bytes.
    pub(crate) fn capacity(&self) -> u64 {
        self.class
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(b) = self.buffer.take() {
            self.pool.release(self.kind, self.class, b);
        }
    }
}

impl std::fmt::Debug for PooledBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledBuffer")
            .field("kind", &self.kind)
            .field("class", &self.class)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_cover_the_request_and_waste_at_most_a_quarter() {
        for bytes in (1..100_000u64).step_by(37).chain([1 << 20, (1 << 20) + 4]) {
            let c = size_class(bytes);
            assert!(c >= bytes && c >= 256, "{bytes} -> {c}");
            assert_eq!(c % 4, 0);
            if bytes > 256 {
                assert!(c as f64 <= bytes as f64 * 1.25 + 4.0, "{bytes} -> {c}");
            }
        }
        // Nearby sizes share a class (that is what makes reuse work).
        assert_eq!(size_class(4000), size_class(4090));
    }
}
