// out[i] = sum_j x[i, j], one workgroup per row: each invocation sums a strided part of
// the row, then a tree reduction in workgroup memory (pairwise, so the rounding error
// grows like log2(256) rather than the row length).

struct Params {
    rows: u32,
    cols: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256, 1, 1)
fn main(
    @builtin(local_invocation_index) li: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let row = linear_workgroup(wid, nwg);
    if (row >= p.rows) {
        return;
    }
    let base = row * p.cols;
    var s = 0.0;
    for (var j = li; j < p.cols; j = j + 256u) {
        s = s + x[base + j];
    }
    part[li] = s;
    workgroupBarrier();
    for (var span = 128u; span > 0u; span = span / 2u) {
        if (li < span) {
            part[li] = part[li] + part[li + span];
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        out[row] = part[0];
    }
}
