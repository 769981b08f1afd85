// out = op(a, b) elementwise; `op` is a `Binary` op code (see the prelude).

struct Params {
    n: u32,
    op: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
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
        out[i] = apply_binary(p.op, a[i], b[i]);
    }
}
