// C = alpha op(A) op(B) + beta C, row-major, tiled.
//
// Each 16 x 16 workgroup computes a 64 x 64 tile of C; each invocation a 4 x 4 block
// (rows ty + 16 i, columns tx + 16 j, strided so that neighbouring invocations read
// neighbouring workgroup-memory words). The K dimension is walked in slabs of 16: the
// 64 x 16 slab of op(A) and the 16 x 64 slab of op(B) are staged in workgroup memory,
// zero-padded past the matrix edges, so sizes need not divide the tile.
//
// One dispatch covers the slice k_begin..k_end of the inner dimension; the host splits a
// long K into several dispatches (the later ones accumulate with beta = 1), because some
// drivers (Mesa's llvmpipe) silently stop an invocation after 65,535 loop iterations.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    lda: u32,
    ldb: u32,
    ldc: u32,
    trans_a: u32,
    trans_b: u32,
    alpha: f32,
    beta: f32,
    tiles_n: u32,
    tiles: u32,
    k_begin: u32,
    k_end: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const TILE: u32 = 64u;
const SLAB: u32 = 16u;

var<workgroup> a_slab: array<f32, 1024>; // [SLAB][TILE], k-major
var<workgroup> b_slab: array<f32, 1024>; // [SLAB][TILE], k-major

// op(A)[row, kk], zero outside the matrix.
fn load_a(row: u32, kk: u32) -> f32 {
    if (row >= p.m || kk >= p.k_end) {
        return 0.0;
    }
    if (p.trans_a == 0u) {
        return a[row * p.lda + kk];
    }
    return a[kk * p.lda + row];
}

// op(B)[kk, col], zero outside the matrix.
fn load_b(kk: u32, col: u32) -> f32 {
    if (kk >= p.k_end || col >= p.n) {
        return 0.0;
    }
    if (p.trans_b == 0u) {
        return b[kk * p.ldb + col];
    }
    return b[col * p.ldb + kk];
}

@compute @workgroup_size(16, 16, 1)
fn main(
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let tile = linear_workgroup(wid, nwg);
    if (tile >= p.tiles) {
        return;
    }
    let row0 = (tile / p.tiles_n) * TILE;
    let col0 = (tile % p.tiles_n) * TILE;
    let tx = lid.x;
    let ty = lid.y;
    let tid = ty * 16u + tx;
    var acc: array<f32, 16>;
    for (var k0 = p.k_begin; k0 < p.k_end; k0 = k0 + SLAB) {
        // 256 invocations stage 1024 elements of each slab; the index order follows the
        // operand's storage order so that neighbouring invocations read neighbouring words.
        for (var s = 0u; s < 4u; s = s + 1u) {
            let e = tid + s * 256u;
            var am: u32;
            var ak: u32;
            if (p.trans_a == 0u) {
                am = e / SLAB;
                ak = e % SLAB;
            } else {
                ak = e / TILE;
                am = e % TILE;
            }
            a_slab[ak * TILE + am] = load_a(row0 + am, k0 + ak);
            var bk: u32;
            var bn: u32;
            if (p.trans_b == 0u) {
                bk = e / TILE;
                bn = e % TILE;
            } else {
                bn = e / SLAB;
                bk = e % SLAB;
            }
            b_slab[bk * TILE + bn] = load_b(k0 + bk, col0 + bn);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < SLAB; kk = kk + 1u) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i = i + 1u) {
                av[i] = a_slab[kk * TILE + ty + 16u * i];
                bv[i] = b_slab[kk * TILE + tx + 16u * i];
            }
            for (var i = 0u; i < 4u; i = i + 1u) {
                for (var j = 0u; j < 4u; j = j + 1u) {
                    acc[i * 4u + j] = acc[i * 4u + j] + av[i] * bv[j];
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
        let row = row0 + ty + 16u * i;
        for (var j = 0u; j < 4u; j = j + 1u) {
            let col = col0 + tx + 16u * j;
            if (row < p.m && col < p.n) {
                let idx = row * p.ldc + col;
                var v = p.alpha * acc[i * 4u + j];
                // beta == 0 ignores C entirely (NaNs in it do not propagate).
                if (p.beta != 0.0) {
                    v = v + p.beta * c[idx];
                }
                c[idx] = v;
            }
        }
    }
}
