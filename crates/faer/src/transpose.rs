//! Out-of-place transpose of a row-major matrix, in square tiles.
//!
//! faer's strided copy (`copy_from(a.transpose())`) reads or writes with a stride of one
//! row; on 4096 x 512 it took 12.7 ms (2 threads), where a copy of the same matrix takes
//! about 1 ms. Tiles of [`TILE`] x [`TILE`] go through a local block, so that both sides
//! move whole 64-byte cache lines: 7-9 ms on the same matrix. Output row blocks run on rayon
//! above [`PAR_MIN`] elements; each element is a copy, so the result does not depend on the
//! split.

use crate::FaerMatrix;
use rayon::prelude::*;

/// Side of a tile: 16 `f32`s are one 64-byte cache line.
const TILE: usize = 16;

/// Elements below which one thread is faster than a fan-out.
const PAR_MIN: usize = 1 << 16;

/// `a^T`, with `parallel` allowing rayon for large matrices.
pub(crate) fn transpose(parallel: bool, a: &FaerMatrix) -> FaerMatrix {
    let (rows, cols) = (a.rows, a.cols);
    let mut out = vec![0.0f32; rows * cols];
    if rows == 0 || cols == 0 {
        return FaerMatrix::from_vec(cols, rows, out);
    }
    // Task `jb`: output rows j0..j0 + TILE, i.e. input columns j0..j0 + TILE.
    let kernel = |(jb, dst): (usize, &mut [f32])| {
        let j0 = jb * TILE;
        let w = TILE.min(cols - j0);
        let mut tile = [[0.0f32; TILE]; TILE];
        for i0 in (0..rows).step_by(TILE) {
            let h = TILE.min(rows - i0);
            let band = a.data[i0 * cols..(i0 + h) * cols].chunks_exact(cols);
            for (di, row) in band.enumerate() {
                for (dj, &v) in row[j0..j0 + w].iter().enumerate() {
                    tile[dj][di] = v;
                }
            }
            for (dj, t) in tile.iter().enumerate().take(w) {
                dst[dj * rows + i0..dj * rows + i0 + h].copy_from_slice(&t[..h]);
            }
        }
    };
    let block = TILE * rows;
    if parallel && out.len() >= PAR_MIN {
        out.par_chunks_mut(block).enumerate().for_each(kernel);
    } else {
        out.chunks_mut(block).enumerate().for_each(kernel);
    }
    FaerMatrix::from_vec(cols, rows, out)
}
