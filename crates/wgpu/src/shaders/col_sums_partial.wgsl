// Partial column sums: workgroup (chunk, column tile) sums rows
// chunk * 256 .. chunk * 256 + 256 of 16 columns and writes out[chunk, col].
// Invocation (lx, ly) sums rows ly, ly + 16, ... of column lx (coalesced across lx);
// the 16 lanes are then combined by a tree in workgroup memory. The host repeats the
// pass on the partial sums until one row remains.

struct Params {
    rows: u32,
    cols: u32,
    tiles_c: u32,
    tiles: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> part: array<f32, 256>; // [ly][lx]

@compute @workgroup_size(16, 16, 1)
fn main(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let t = linear_workgroup(wid, nwg);
    if (t >= p.tiles) {
        return;
    }
    let chunk = t / p.tiles_c;
    let col = (t % p.tiles_c) * 16u + lid.x;
    let r0 = chunk * 256u;
    let r1 = min(r0 + 256u, p.rows);
    var s = 0.0;
    if (col < p.cols) {
        for (var r = r0 + lid.y; r < r1; r = r + 16u) {
            s = s + x[r * p.cols + col];
        }
    }
    part[lid.y * 16u + lid.x] = s;
    workgroupBarrier();
    for (var span = 8u; span > 0u; span = span / 2u) {
        if (lid.y < span) {
            part[lid.y * 16u + lid.x] = part[lid.y * 16u + lid.x]
                + part[(lid.y + span) * 16u + lid.x];
        }
        workgroupBarrier();
    }
    if (lid.y == 0u && col < p.cols) {
        out[chunk * p.cols + col] = part[lid.x];
    }
}
