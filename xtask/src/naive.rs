//! A naive host backend: the scalar definitions of `scorediff_backend::ops`, plain loops,
//! sums accumulated in `f64`. It is the reference of `cargo xtask conformance`, independent
//! of both real backends (so faer is checked too, not only compared with itself).

use scorediff_backend::ops::check_blocks;
use scorediff_backend::prelude::*;
use scorediff_backend::{
    Activation, ActivationOps, AdamStep, ArcCos, Average, Binary, ColumnBlock, Result, Transpose,
    Unary, arg_err, shape_err,
};

/// A row-major host matrix.
#[derive(Debug, Clone)]
pub struct NaiveMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl DeviceMatrix for NaiveMatrix {
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
}

impl NaiveMatrix {
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.cols + j]
    }

    fn new(rows: usize, cols: usize, data: Vec<f32>) -> Self {
        Self { rows, cols, data }
    }

    fn map(&self, f: impl Fn(usize, usize, f32) -> f32) -> Self {
        let mut out = self.clone();
        for i in 0..self.rows {
            for j in 0..self.cols {
                out.data[i * self.cols + j] = f(i, j, self.at(i, j));
            }
        }
        out
    }
}

/// The naive reference backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct NaiveBackend;

fn same(op: &'static str, a: &NaiveMatrix, b: &NaiveMatrix) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(shape_err(op, format!("{:?} vs {:?}", a.shape(), b.shape())));
    }
    Ok(())
}

fn check_len(op: &'static str, rows: usize, cols: usize, len: usize) -> Result<()> {
    if rows.checked_mul(cols) != Some(len) {
        return Err(shape_err(op, format!("{rows}x{cols} from {len} values")));
    }
    Ok(())
}

fn range(op: &'static str, start: usize, end: usize, n: usize) -> Result<()> {
    if start > end || end > n {
        return Err(arg_err(op, format!("range {start}..{end} of {n}")));
    }
    Ok(())
}

impl Device for NaiveBackend {
    type Matrix = NaiveMatrix;

    fn name(&self) -> String {
        "naive host reference".into()
    }
}

impl MemoryOps for NaiveBackend {
    fn zeros(&self, rows: usize, cols: usize) -> Result<NaiveMatrix> {
        self.full(rows, cols, 0.0)
    }

    fn full(&self, rows: usize, cols: usize, value: f32) -> Result<NaiveMatrix> {
        let n = rows
            .checked_mul(cols)
            .ok_or_else(|| shape_err("full", "overflow"))?;
        Ok(NaiveMatrix::new(rows, cols, vec![value; n]))
    }

    fn from_host(&self, rows: usize, cols: usize, data: &[f32]) -> Result<NaiveMatrix> {
        check_len("from_host", rows, cols, data.len())?;
        Ok(NaiveMatrix::new(rows, cols, data.to_vec()))
    }

    fn to_host(&self, a: &NaiveMatrix) -> Result<Vec<f32>> {
        Ok(a.data.clone())
    }

    fn write(&self, dst: &mut NaiveMatrix, data: &[f32]) -> Result<()> {
        check_len("write", dst.rows, dst.cols, data.len())?;
        dst.data.copy_from_slice(data);
        Ok(())
    }

    fn copy(&self, a: &NaiveMatrix) -> Result<NaiveMatrix> {
        Ok(a.clone())
    }
}

impl LinalgOps for NaiveBackend {
    /// Each entry of `op(A) op(B)` is a dot product accumulated in `f64`.
    fn gemm(
        &self,
        alpha: f32,
        a: &NaiveMatrix,
        trans_a: Transpose,
        b: &NaiveMatrix,
        trans_b: Transpose,
        beta: f32,
        c: &mut NaiveMatrix,
    ) -> Result<()> {
        let (m, k) = if trans_a.is_yes() {
            (a.cols, a.rows)
        } else {
            (a.rows, a.cols)
        };
        let (kb, n) = if trans_b.is_yes() {
            (b.cols, b.rows)
        } else {
            (b.rows, b.cols)
        };
        if k != kb || c.shape() != (m, n) {
            return Err(shape_err(
                "gemm",
                format!("op(A) {m}x{k}, op(B) {kb}x{n}, C {:?}", c.shape()),
            ));
        }
        let opa = |i: usize, p: usize| {
            if trans_a.is_yes() {
                a.at(p, i)
            } else {
                a.at(i, p)
            }
        };
        let opb = |p: usize, j: usize| {
            if trans_b.is_yes() {
                b.at(j, p)
            } else {
                b.at(p, j)
            }
        };
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..k)
                    .map(|p| f64::from(opa(i, p)) * f64::from(opb(p, j)))
                    .sum();
                let old = if beta == 0.0 {
                    0.0
                } else {
                    f64::from(beta) * f64::from(c.at(i, j))
                };
                c.data[i * n + j] = (f64::from(alpha) * dot + old) as f32;
            }
        }
        Ok(())
    }

    fn transpose(&self, a: &NaiveMatrix) -> Result<NaiveMatrix> {
        let t = NaiveMatrix::new(a.cols, a.rows, vec![0.0; a.data.len()]);
        Ok(t.map(|i, j, _| a.at(j, i)))
    }
}

impl ElementwiseOps for NaiveBackend {
    fn unary(&self, op: Unary, a: &NaiveMatrix) -> Result<NaiveMatrix> {
        Ok(a.map(|_, _, x| op.apply(x)))
    }

    fn binary(&self, op: Binary, a: &NaiveMatrix, b: &NaiveMatrix) -> Result<NaiveMatrix> {
        same("binary", a, b)?;
        Ok(a.map(|i, j, x| op.apply(x, b.at(i, j))))
    }

    fn affine(&self, a: &NaiveMatrix, scale: f32, shift: f32) -> Result<NaiveMatrix> {
        Ok(a.map(|_, _, x| scale * x + shift))
    }

    fn axpby(&self, alpha: f32, x: &NaiveMatrix, beta: f32, y: &mut NaiveMatrix) -> Result<()> {
        same("axpby", x, y)?;
        *y = y.map(|i, j, v| {
            let old = if beta == 0.0 { 0.0 } else { beta * v };
            alpha * x.at(i, j) + old
        });
        Ok(())
    }

    fn broadcast_row(&self, op: Binary, a: &NaiveMatrix, row: &NaiveMatrix) -> Result<NaiveMatrix> {
        if row.shape() != (1, a.cols) {
            return Err(shape_err(
                "broadcast_row",
                format!("{:?} and row {:?}", a.shape(), row.shape()),
            ));
        }
        Ok(a.map(|_, j, x| op.apply(x, row.data[j])))
    }

    fn broadcast_col(&self, op: Binary, a: &NaiveMatrix, col: &NaiveMatrix) -> Result<NaiveMatrix> {
        if col.shape() != (a.rows, 1) {
            return Err(shape_err(
                "broadcast_col",
                format!("{:?} and column {:?}", a.shape(), col.shape()),
            ));
        }
        Ok(a.map(|i, _, x| op.apply(x, col.data[i])))
    }
}

impl ReduceOps for NaiveBackend {
    fn row_sums(&self, a: &NaiveMatrix) -> Result<NaiveMatrix> {
        let s = (0..a.rows).map(|i| (0..a.cols).map(|j| f64::from(a.at(i, j))).sum::<f64>() as f32);
        Ok(NaiveMatrix::new(a.rows, 1, s.collect()))
    }

    fn col_sums(&self, a: &NaiveMatrix) -> Result<NaiveMatrix> {
        let s = (0..a.cols).map(|j| (0..a.rows).map(|i| f64::from(a.at(i, j))).sum::<f64>() as f32);
        Ok(NaiveMatrix::new(1, a.cols, s.collect()))
    }
}

impl StructureOps for NaiveBackend {
    fn gather_rows(&self, a: &NaiveMatrix, indices: &[usize]) -> Result<NaiveMatrix> {
        let mut data = Vec::with_capacity(indices.len() * a.cols);
        for &i in indices {
            if i >= a.rows {
                return Err(arg_err("gather_rows", format!("row {i} of {}", a.rows)));
            }
            data.extend((0..a.cols).map(|j| a.at(i, j)));
        }
        Ok(NaiveMatrix::new(indices.len(), a.cols, data))
    }

    fn slice_rows(&self, a: &NaiveMatrix, start: usize, end: usize) -> Result<NaiveMatrix> {
        range("slice_rows", start, end, a.rows)?;
        self.gather_rows(a, &(start..end).collect::<Vec<_>>())
    }

    fn slice_cols(&self, a: &NaiveMatrix, start: usize, end: usize) -> Result<NaiveMatrix> {
        range("slice_cols", start, end, a.cols)?;
        let t = NaiveMatrix::new(a.rows, end - start, vec![0.0; a.rows * (end - start)]);
        Ok(t.map(|i, j, _| a.at(i, start + j)))
    }

    fn concat_cols(&self, parts: &[&NaiveMatrix]) -> Result<NaiveMatrix> {
        let rows = parts.first().map_or(0, |p| p.rows);
        if parts.iter().any(|p| p.rows != rows) {
            return Err(shape_err("concat_cols", "row counts differ"));
        }
        let mut data = Vec::new();
        for i in 0..rows {
            for p in parts {
                data.extend((0..p.cols).map(|j| p.at(i, j)));
            }
        }
        Ok(NaiveMatrix::new(
            rows,
            parts.iter().map(|p| p.cols).sum(),
            data,
        ))
    }

    fn concat_rows(&self, parts: &[&NaiveMatrix]) -> Result<NaiveMatrix> {
        let cols = parts.first().map_or(0, |p| p.cols);
        if parts.iter().any(|p| p.cols != cols) {
            return Err(shape_err("concat_rows", "column counts differ"));
        }
        let data = parts.iter().flat_map(|p| p.data.iter().copied()).collect();
        Ok(NaiveMatrix::new(
            parts.iter().map(|p| p.rows).sum(),
            cols,
            data,
        ))
    }

    fn softmax_blocks(&self, a: &NaiveMatrix, blocks: &[ColumnBlock]) -> Result<NaiveMatrix> {
        check_blocks("softmax_blocks", blocks, a.cols)?;
        let mut out = a.clone();
        for i in 0..a.rows {
            for b in blocks {
                let max = (b.start..b.end())
                    .map(|j| a.at(i, j))
                    .fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f64> = (b.start..b.end())
                    .map(|j| f64::from(a.at(i, j) - max).exp())
                    .collect();
                let total: f64 = e.iter().sum();
                for (j, v) in (b.start..b.end()).zip(e) {
                    out.data[i * a.cols + j] = (v / total) as f32;
                }
            }
        }
        Ok(out)
    }

    fn softmax_blocks_backward(
        &self,
        y: &NaiveMatrix,
        dy: &NaiveMatrix,
        blocks: &[ColumnBlock],
    ) -> Result<NaiveMatrix> {
        same("softmax_blocks_backward", y, dy)?;
        check_blocks("softmax_blocks_backward", blocks, y.cols)?;
        let mut dx = dy.clone();
        for i in 0..y.rows {
            for b in blocks {
                let inner: f64 = (b.start..b.end())
                    .map(|j| f64::from(y.at(i, j)) * f64::from(dy.at(i, j)))
                    .sum();
                for j in b.start..b.end() {
                    let v = f64::from(y.at(i, j)) * (f64::from(dy.at(i, j)) - inner);
                    dx.data[i * y.cols + j] = v as f32;
                }
            }
        }
        Ok(dx)
    }
}

/// The scalar definitions ([`Activation`], [`ArcCos`]), one map per call.
impl ActivationOps for NaiveBackend {
    fn activation(&self, act: Activation, x: &NaiveMatrix) -> Result<NaiveMatrix> {
        Ok(x.map(|_, _, v| act.apply(v)))
    }

    fn activation_grad(&self, act: Activation, x: &NaiveMatrix) -> Result<NaiveMatrix> {
        Ok(x.map(|_, _, v| act.derivative(v)))
    }

    fn activation_backward(
        &self,
        act: Activation,
        x: &NaiveMatrix,
        dy: &NaiveMatrix,
    ) -> Result<NaiveMatrix> {
        same("activation_backward", x, dy)?;
        Ok(x.map(|i, j, v| act.backward(v, dy.at(i, j))))
    }

    fn arc_cosine(&self, degree: ArcCos, c: &NaiveMatrix) -> Result<NaiveMatrix> {
        Ok(c.map(|_, _, v| degree.apply(v)))
    }
}

/// The product of `gemm` then the bias, and [`AdamStep::apply`] element by element.
impl FusedOps for NaiveBackend {
    fn linear(
        &self,
        scale: f32,
        x: &NaiveMatrix,
        w: &NaiveMatrix,
        trans_w: Transpose,
        bias: Option<&NaiveMatrix>,
    ) -> Result<NaiveMatrix> {
        let cols = if trans_w.is_yes() { w.rows } else { w.cols };
        let mut y = self.zeros(x.rows, cols)?;
        self.gemm(scale, x, Transpose::No, w, trans_w, 0.0, &mut y)?;
        match bias {
            Some(b) => self.broadcast_row(Binary::Add, &y, b),
            None => Ok(y),
        }
    }

    fn adam_update(
        &self,
        step: &AdamStep,
        p: &mut NaiveMatrix,
        g: &NaiveMatrix,
        m: &mut NaiveMatrix,
        v: &mut NaiveMatrix,
        ema: Option<(&mut NaiveMatrix, Average)>,
    ) -> Result<()> {
        same("adam_update", p, g)?;
        same("adam_update", p, m)?;
        same("adam_update", p, v)?;
        if let Some((e, _)) = &ema {
            same("adam_update", p, e)?;
        }
        for i in 0..p.data.len() {
            (p.data[i], m.data[i], v.data[i]) =
                step.apply(p.data[i], g.data[i], m.data[i], v.data[i]);
        }
        if let Some((e, avg)) = ema {
            for (e, &p) in e.data.iter_mut().zip(&p.data) {
                *e = avg.apply(p, *e);
            }
        }
        Ok(())
    }
}
