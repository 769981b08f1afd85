//! Throughput of the elementwise ops, reductions and transpose on an `n x n` matrix.
//!
//! GB/s counts the bytes an op must move (4 per element read or written); Gelem/s counts
//! output elements (input elements for reductions).

use super::timing::{secs, time};
use crate::backends::Sync;
use anyhow::Result;
use scorediff_backend::{Activation, Binary, ColumnBlock, Unary};

/// One benchmarked op: name, f32 words moved per element, and the op.
type Op<'a> = (&'static str, f64, Box<dyn Fn() -> Result<()> + 'a>);

pub fn section<B: Sync>(be: &B, n: usize, reps: usize) -> Result<()> {
    let data: Vec<f32> = (0..n * n)
        .map(|i| ((i % 1999) as f32) / 1000.0 - 1.0)
        .collect();
    let a = be.from_host(n, n, &data)?;
    let b = be.from_host(n, n, &data)?;
    let row = be.from_host(1, n, &data[..n])?;
    let col = be.from_host(n, 1, &data[..n])?;
    let blocks: Vec<ColumnBlock> = (0..n / 8).map(|k| ColumnBlock::new(8 * k, 8)).collect();
    let mut y = be.zeros(n, n)?;
    let ops: Vec<Op<'_>> = vec![
        (
            "activation relu",
            2.0,
            Box::new(|| {
                be.activation(Activation::Relu, &a)?;
                Ok(())
            }),
        ),
        (
            "unary tanh",
            2.0,
            Box::new(|| {
                be.unary(Unary::Tanh, &a)?;
                Ok(())
            }),
        ),
        (
            "unary exp",
            2.0,
            Box::new(|| {
                be.unary(Unary::Exp, &a)?;
                Ok(())
            }),
        ),
        (
            "binary add",
            3.0,
            Box::new(|| {
                be.binary(Binary::Add, &a, &b)?;
                Ok(())
            }),
        ),
        (
            "activation_backward silu",
            3.0,
            Box::new(|| {
                be.activation_backward(Activation::Silu, &a, &b)?;
                Ok(())
            }),
        ),
        (
            "affine",
            2.0,
            Box::new(|| {
                be.affine(&a, 2.0, 1.0)?;
                Ok(())
            }),
        ),
        (
            "broadcast_row add",
            2.0,
            Box::new(|| {
                be.broadcast_row(Binary::Add, &a, &row)?;
                Ok(())
            }),
        ),
        (
            "broadcast_col mul",
            2.0,
            Box::new(|| {
                be.broadcast_col(Binary::Mul, &a, &col)?;
                Ok(())
            }),
        ),
        (
            "row_sums",
            1.0,
            Box::new(|| {
                be.row_sums(&a)?;
                Ok(())
            }),
        ),
        (
            "col_sums",
            1.0,
            Box::new(|| {
                be.col_sums(&a)?;
                Ok(())
            }),
        ),
        (
            "transpose",
            2.0,
            Box::new(|| {
                be.transpose(&a)?;
                Ok(())
            }),
        ),
        (
            "softmax_blocks (8 wide)",
            2.0,
            Box::new(|| {
                be.softmax_blocks(&a, &blocks)?;
                Ok(())
            }),
        ),
    ];
    println!("elementwise, {n} x {n} f32 on {}", be.name());
    println!(
        "{:<26} {:>10} {:>10} {:>10}",
        "op", "GB/s", "Gelem/s", "median ms"
    );
    let elems = (n * n) as f64;
    for (name, words, f) in &ops {
        let t = time(be, reps, f)?;
        println!(
            "{name:<26} {:>10.2} {:>10.3} {:>10.3}",
            words * 4.0 * elems / secs(t.best) / 1e9,
            elems / secs(t.best) / 1e9,
            secs(t.median) * 1e3
        );
    }
    drop(ops);
    // axpby updates in place, so it is timed outside the shared-borrow closures.
    let t = time(be, reps, || Ok(be.axpby(0.5, &a, 0.5, &mut y)?))?;
    println!(
        "{:<26} {:>10.2} {:>10.3} {:>10.3}",
        "axpby",
        3.0 * 4.0 * elems / secs(t.best) / 1e9,
        elems / secs(t.best) / 1e9,
        secs(t.median) * 1e3
    );
    Ok(())
}
