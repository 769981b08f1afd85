//! Named device matrices in safetensors form: the one place that turns parameters into
//! bytes and back, for training checkpoints and model directories alike. Every tensor is
//! `f32`, little-endian, of shape `[rows, cols]`.

use std::collections::HashMap;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use scorediff_backend::{Backend, DeviceMatrix};

/// The safetensors bytes of `tensors` (name, matrix), with `metadata` in the header.
pub fn to_bytes<B: Backend>(
    be: &B,
    tensors: &[(String, &B::Matrix)],
    metadata: Option<HashMap<String, String>>,
) -> Result<Vec<u8>, String> {
    let mut host: Vec<(String, (usize, usize), Vec<u8>)> = Vec::with_capacity(tensors.len());
    for (name, m) in tensors {
        let bytes = be
            .to_host(m)
            .map_err(|e| e.to_string())?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        host.push((name.clone(), m.shape(), bytes));
    }
    let views = host
        .iter()
        .map(|(name, (r, c), bytes)| {
            TensorView::new(Dtype::F32, vec![*r, *c], bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    safetensors::serialize(views, metadata).map_err(|e| e.to_string())
}

/// Tensor `name` of `st` as a device matrix, which must be `f32` of `shape`.
pub fn matrix<B: Backend>(
    be: &B,
    st: &SafeTensors<'_>,
    name: &str,
    shape: (usize, usize),
) -> Result<B::Matrix, String> {
    let view = st
        .tensor(name)
        .map_err(|_| format!("tensor `{name}` is missing"))?;
    if view.dtype() != Dtype::F32 || view.shape() != [shape.0, shape.1] {
        return Err(format!(
            "tensor `{name}` is {:?} {:?}, expected F32 [{}, {}]",
            view.dtype(),
            view.shape(),
            shape.0,
            shape.1
        ));
    }
    let values: Vec<f32> = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    be.from_host(shape.0, shape.1, &values)
        .map_err(|e| e.to_string())
}

/// The number of `f32` values `st` stores, over all its tensors.
pub fn element_count(st: &SafeTensors<'_>) -> u128 {
    st.tensors()
        .iter()
        .map(|(_, t)| t.shape().iter().map(|&n| n as u128).product::<u128>())
        .sum()
}
