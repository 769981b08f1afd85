//! The run's random streams.
//!
//! Every draw of a run comes from a ChaCha8 generator whose 32-byte key is
//! `(seed, purpose, epoch, batch)` as four little-endian `u64`s. Each epoch's shuffle and
//! noise can then be regenerated from the run seed and the position alone, so a run resumed
//! from a checkpoint draws exactly what the uninterrupted run would have drawn, and the
//! validation draws never depend on how long training ran.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for (the second word of its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Purpose {
    /// The order of the records in an epoch.
    Shuffle = 1,
    /// The times and noise of the training records in an epoch.
    TrainNoise = 2,
    /// The fixed times and noise of the validation records.
    Validation = 3,
}

/// The generator of stream `(seed, purpose, epoch, batch)`.
pub(crate) fn stream(seed: u64, purpose: Purpose, epoch: u64, batch: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    for (i, word) in [seed, purpose as u64, epoch, batch].into_iter().enumerate() {
        key[8 * i..8 * i + 8].copy_from_slice(&word.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

/// A uniformly random permutation of `0..n` (Fisher-Yates, drawing from `rng`).
pub(crate) fn permutation(rng: &mut ChaCha8Rng, n: usize) -> Vec<usize> {
    use rand::RngExt;
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}
