// Backward pass of the block softmax, in place on `dx` (a copy of dy):
// dx = y * (dy - <dy, y>_block) inside each block, the softmax Jacobian
// diag(y) - y y^T applied to dy.

struct Params {
    rows: u32,
    cols: u32,
    blocks: u32,
}

@group(0) @binding(0) var<storage, read> spans: array<u32>; // (start, len) pairs
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256, 1, 1)
fn main(
    @builtin(local_invocation_index) li: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let i = linear_workgroup(wid, nwg) * 256u + li;
    if (i >= p.rows * p.blocks) {
        return;
    }
    let r = i / p.blocks;
    let b = i % p.blocks;
    let base = r * p.cols + spans[2u * b];
    let len = spans[2u * b + 1u];
    var inner = 0.0;
    for (var j = 0u; j < len; j = j + 1u) {
        inner = inner + y[base + j] * dx[base + j];
    }
    for (var j = 0u; j < len; j = j + 1u) {
        dx[base + j] = y[base + j] * (dx[base + j] - inner);
    }
}
