// dst[r, dst_off + j] = src[r, src_off + j] for r < rows, j < cols, with row strides
// src_ld and dst_ld: column slices and side-by-side concatenations.

struct Params {
    rows: u32,
    cols: u32,
    src_ld: u32,
    src_off: u32,
    dst_ld: u32,
    dst_off: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256, 1, 1)
fn main(
    @builtin(local_invocation_index) li: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let i = linear_workgroup(wid, nwg) * 256u + li;
    if (i < p.rows * p.cols) {
        let r = i / p.cols;
        let j = i % p.cols;
        dst[r * p.dst_ld + p.dst_off + j] = src[r * p.src_ld + p.src_off + j];
    }
}
