//! Keeping freed buffers in the process (glibc's allocator settings).
//!
//! A training step allocates and frees the same few dozen matrices every step (4096 x 512
//! `f32`s are 8 MiB). glibc serves blocks above its mmap threshold (128 KiB, raised
//! dynamically up to 32 MiB) with fresh `mmap`s and returns them with `munmap`, and trims the
//! heap top above 128 KiB: every step then page-faults its buffers in again, zero-filled by
//! the kernel. Measured on a 4,000-row table's fit (1,000 steps, 2 cores): 41.7 of 179.4
//! CPU-seconds in the kernel, against 7.4 of 152.2 with the settings below, and the
//! benchmark's two-layer network (m = 8192) trained 4,089 -> 6,850 rows/s.
//!
//! [`retain_freed_memory`] raises the mmap threshold and the trim threshold to 1 GiB, so
//! such blocks come from the heap and stay there for the next step; the process keeps its
//! peak heap instead of returning it between steps. The binaries call it first thing; a
//! library user may too (it changes only how glibc recycles memory, never what is
//! allocated). It does nothing on other C libraries.

/// Blocks below this come from the heap and freed heap memory is kept (bytes).
const RETAIN_BYTES: i32 = 1 << 30;

/// Makes glibc keep freed blocks of up to 1 GiB for reuse instead of unmapping them (see
/// the module documentation). Returns whether the settings were applied.
pub fn retain_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes glibc's allocator parameters; it is safe to call at
        // any time, from any thread.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, RETAIN_BYTES) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, RETAIN_BYTES) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = RETAIN_BYTES;
        false
    }
}
