//! Opening the device: adapter choice, limits, and turning wgpu errors into values.

use crate::kernel::KernelCache;
use crate::pool::{BufKind, BufferPool, PooledBuffer};
use scorediff_backend::{BackendError, Result};
use std::sync::{Arc, Mutex};

/// Options of [`crate::WgpuBackend::with_config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WgpuConfig {
    /// Most bytes of idle buffers the pool keeps for reuse; returned buffers beyond this
    /// are released to the driver.
    pub pool_max_free_bytes: u64,
    /// Caps the workgroups per grid dimension below the device limit. Kernels then fold
    /// larger launches onto a 2-D grid sooner; used by tests to exercise that path on
    /// small matrices. `None` uses the device limit.
    pub max_workgroups_per_dimension: Option<u32>,
}

impl Default for WgpuConfig {
    /// Keeps up to 1 GiB of idle buffers; launch grids use the device limit.
    fn default() -> Self {
        Self {
            pool_max_free_bytes: 1 << 30,
            max_workgroups_per_dimension: None,
        }
    }
}

/// Errors reported by wgpu outside an error scope, waiting to be returned by the next
/// operation that checks.
#[derive(Debug, Default)]
struct ErrorSlot {
    pending: Mutex<Option<BackendError>>,
    lost: Mutex<Option<String>>,
}

impl ErrorSlot {
    fn record(&self, err: wgpu::Error) {
        let mapped = match err {
            wgpu::Error::OutOfMemory { .. } => BackendError::OutOfMemory { bytes: 0 },
            wgpu::Error::Validation { description, .. } => {
                BackendError::DeviceLost(format!("validation error: {description}"))
            }
            wgpu::Error::Internal { description, .. } => {
                BackendError::DeviceLost(format!("internal error: {description}"))
            }
        };
        let mut slot = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(mapped);
    }
}

/// One opened device with its queue, buffer pool and compiled kernels.
pub(crate) struct Context {
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    pub(crate) info: wgpu::AdapterInfo,
    /// `max_compute_workgroups_per_dimension` of the device.
    pub(crate) max_dim: u32,
    pub(crate) pool: Arc<BufferPool>,
    pub(crate) kernels: KernelCache,
    errors: Arc<ErrorSlot>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("adapter", &self.info.name)
            .field("backend", &self.info.backend)
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// Picks the adapter: the first whose name contains `WGPU_ADAPTER_NAME` (case-insensitive)
/// when that variable is set, else wgpu's default choice with `WGPU_POWER_PREF`.
/// `WGPU_BACKEND` (e.g. `vulkan`, `gl`) restricts the instance's backends.
fn select_adapter(instance: &wgpu::Instance) -> Result<wgpu::Adapter> {
    if let Ok(wanted) = std::env::var("WGPU_ADAPTER_NAME") {
        let needle = wanted.to_lowercase();
        let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
        return adapters
            .into_iter()
            .find(|a| a.get_info().name.to_lowercase().contains(&needle))
            .ok_or_else(|| {
                BackendError::NoDevice(format!(
                    "no adapter matches WGPU_ADAPTER_NAME={wanted:?} (found {names:?})"
                ))
            });
    }
    let options = wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::from_env()
            .unwrap_or(wgpu::PowerPreference::HighPerformance),
        force_fallback_adapter: false,
        compatible_surface: None,
        apply_limit_buckets: false,
    };
    pollster::block_on(instance.request_adapter(&options))
        .map_err(|e| BackendError::NoDevice(format!("no wgpu adapter: {e}")))
}

impl Context {
    pub(crate) fn open(config: &WgpuConfig) -> Result<Self> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = select_adapter(&instance)?;
        let info = adapter.get_info();
        // Ask for everything the adapter offers: the default storage-binding limit
        // (128 MiB) is too small for Gram matrices of a few thousand records.
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("scorediff"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| BackendError::NoDevice(format!("{}: {e}", info.name)))?;
        let errors = Arc::new(ErrorSlot::default());
        let sink = Arc::clone(&errors);
        device.on_uncaptured_error(Arc::new(move |e| sink.record(e)));
        let lost = Arc::clone(&errors);
        device.set_device_lost_callback(move |reason, msg| {
            let mut slot = lost.lost.lock().unwrap_or_else(|e| e.into_inner());
            *slot = Some(format!("{reason:?}: {msg}"));
        });
        // One binding covers a whole buffer, so both limits bound a matrix; keep 4-byte
        // granularity for copies.
        let max_bytes = limits
            .max_buffer_size
            .min(limits.max_storage_buffer_binding_size)
            & !3;
        let pool = Arc::new(BufferPool::new(
            device.clone(),
            max_bytes,
            config.pool_max_free_bytes,
        ));
        Ok(Self {
            device,
            queue,
            info,
            max_dim: config
                .max_workgroups_per_dimension
                .map_or(limits.max_compute_workgroups_per_dimension, |cap| {
                    cap.clamp(1, limits.max_compute_workgroups_per_dimension)
                }),
            pool,
            kernels: KernelCache::default(),
            errors,
        })
    }

    /// Returns the first error wgpu reported since the last check, or a lost device.
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(reason) = self
            .errors
            .lost
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Err(BackendError::DeviceLost(reason));
        }
        let pending = self
            .errors
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        pending.map_or(Ok(()), Err)
    }

    /// A storage buffer of at least `bytes` bytes (at least 4: bindings cannot be empty).
    pub(crate) fn storage(&self, bytes: u64) -> Result<PooledBuffer> {
        self.pool.acquire(BufKind::Storage, bytes.max(4))
    }

    /// Uploads a table of `u32` (indices, block spans) to a storage buffer.
    pub(crate) fn upload_u32(&self, data: &[u32]) -> Result<PooledBuffer> {
        let buf = self.storage(4 * data.len() as u64)?;
        if !data.is_empty() {
            self.queue
                .write_buffer(buf.raw(), 0, bytemuck::cast_slice(data));
        }
        Ok(buf)
    }

    /// Copies the first `bytes` bytes of `src` to the host. Synchronises with the device.
    pub(crate) fn read_back(&self, src: &wgpu::Buffer, bytes: u64) -> Result<Vec<f32>> {
        if bytes == 0 {
            return Ok(Vec::new());
        }
        let staging = self.pool.acquire(BufKind::Readback, bytes)?;
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("scorediff readback"),
            });
        encoder.copy_buffer_to_buffer(src, 0, staging.raw(), 0, bytes);
        self.queue.submit([encoder.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging
            .raw()
            .map_async(wgpu::MapMode::Read, 0..bytes, move |r| {
                // The receiver waits below; a send error only means it gave up.
                let _ = tx.send(r);
            });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| BackendError::DeviceLost(format!("waiting for the device: {e}")))?;
        self.check()?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(BackendError::DeviceLost(format!("readback: {e}"))),
            Err(_) => return Err(BackendError::DeviceLost("readback never completed".into())),
        }
        let data = {
            let view = staging
                .raw()
                .get_mapped_range(0..bytes)
                .map_err(|e| BackendError::DeviceLost(format!("readback: {e}")))?;
            bytemuck::pod_collect_to_vec::<u8, f32>(&view)
        };
        staging.raw().unmap();
        Ok(data)
    }
}
