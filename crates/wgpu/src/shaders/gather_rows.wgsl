// out[r, j] = x[idx[r], j]; indices were range-checked on the host.

struct Params {
    n: u32,
    cols: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256, 1, 1)
fn main(
    @builtin(local_invocation_index) li: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let i = linear_workgroup(wid, nwg) * 256u + li;
    if (i < p.n) {
        let r = i / p.cols;
        let j = i % p.cols;
        out[i] = x[idx[r] * p.cols + j];
    }
}
