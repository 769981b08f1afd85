// Softmax within column blocks, in place on `y` (a copy of the input). One invocation
// per (row, block); the block maximum is subtracted first so large logits do not overflow.

struct Params {
    rows: u32,
    cols: u32,
    blocks: u32,
}

@group(0) @binding(0) var<storage, read> spans: array<u32>; // (start, len) pairs
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

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
    var m = y[base];
    for (var j = 1u; j < len; j = j + 1u) {
        m = max(m, y[base + j]);
    }
    var total = 0.0;
    for (var j = 0u; j < len; j = j + 1u) {
        let e = exp_acc(y[base + j] - m);
        y[base + j] = e;
        total = total + e;
    }
    for (var j = 0u; j < len; j = j + 1u) {
        y[base + j] = y[base + j] / total;
    }
}
