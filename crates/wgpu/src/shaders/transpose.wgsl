// out (cols x rows) = transpose of x (rows x cols), through a padded 16 x 16 tile in
// workgroup memory so both the read and the write are row-contiguous.

struct Params {
    rows: u32,
    cols: u32,
    tiles_c: u32,
    tiles: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> tile_mem: array<f32, 272>; // 16 x 17: padding avoids bank conflicts

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
    let r0 = (t / p.tiles_c) * 16u;
    let c0 = (t % p.tiles_c) * 16u;
    let r = r0 + lid.y;
    let cc = c0 + lid.x;
    if (r < p.rows && cc < p.cols) {
        tile_mem[lid.y * 17u + lid.x] = x[r * p.cols + cc];
    }
    workgroupBarrier();
    // Output row = input column c0 + lid.y, output column = input row r0 + lid.x.
    let orow = c0 + lid.y;
    let ocol = r0 + lid.x;
    if (orow < p.cols && ocol < p.rows) {
        out[orow * p.rows + ocol] = tile_mem[lid.x * 17u + lid.y];
    }
}
