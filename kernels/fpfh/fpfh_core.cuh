// FPFH per-thread work: the radius search (brute force or uniform grid), the SPFH of one
// point and the FPFH of one point. Each function is one CUDA thread's job and is also
// compiled for the host (fpfh_host.cpp), so the tests can check this exact code against the
// PyTorch reference (facecli/features/fpfh.py) on a machine without a GPU.
//
// Definitions follow the reference line by line: the Darboux-frame triple anchored at the
// point whose normal makes the smaller angle with the joining line, 11 bins per feature,
// each neighbour adding 100 / (count - 1) to its bins; FPFH = own SPFH + the neighbours'
// SPFH weighted by 1 / squared distance, each 11-bin block rescaled to 100.
#pragma once

#ifndef __CUDACC__
#define __host__
#define __device__
#define __forceinline__ inline
#include <math.h>
#endif

#define FPFH_BINS 11
#define FPFH_DIM 33

namespace fpfh_core {

__host__ __device__ __forceinline__ float rsqrt_(float x) { return 1.0f / sqrtf(x); }

// (alpha, cos_v, cos_d) of the pair (p1, n1) -> (p2, n2); (0, 0, 0) when degenerate.
__host__ __device__ __forceinline__ void pair_features(const float* p1, const float* n1, const float* p2,
                                                       const float* n2, float* alpha, float* cos_v, float* cos_d) {
  float dx = p2[0] - p1[0], dy = p2[1] - p1[1], dz = p2[2] - p1[2];
  float d2 = dx * dx + dy * dy + dz * dz;
  *alpha = 0.0f; *cos_v = 0.0f; *cos_d = 0.0f;
  if (!(d2 > 0.0f)) return;
  float inv = rsqrt_(d2);
  float a1 = (n1[0] * dx + n1[1] * dy + n1[2] * dz) * inv;
  float a2 = (n2[0] * dx + n2[1] * dy + n2[2] * dz) * inv;
  bool swap = fabsf(a1) < fabsf(a2);
  const float* a = swap ? n2 : n1;
  const float* b = swap ? n1 : n2;
  if (swap) { dx = -dx; dy = -dy; dz = -dz; }
  float cd = swap ? -a2 : a1;
  float vx = dy * a[2] - dz * a[1], vy = dz * a[0] - dx * a[2], vz = dx * a[1] - dy * a[0];
  float vn2 = vx * vx + vy * vy + vz * vz;
  if (!(vn2 > 0.0f)) return;
  float vinv = rsqrt_(vn2);
  vx *= vinv; vy *= vinv; vz *= vinv;
  float wx = a[1] * vz - a[2] * vy, wy = a[2] * vx - a[0] * vz, wz = a[0] * vy - a[1] * vx;
  *cos_v = vx * b[0] + vy * b[1] + vz * b[2];
  *alpha = atan2f(wx * b[0] + wy * b[1] + wz * b[2], a[0] * b[0] + a[1] * b[1] + a[2] * b[2]);
  *cos_d = cd;
}

__host__ __device__ __forceinline__ int bin_of(float x, float lo, float width) {
  int k = (int)floorf(FPFH_BINS * (x - lo) / width);
  return k < 0 ? 0 : (k > FPFH_BINS - 1 ? FPFH_BINS - 1 : k);
}

// Insert (j, d2) into row i's list, kept sorted by (d2, j) and at most k long.
__host__ __device__ __forceinline__ void insert_neighbour(int* idx, float* dist2, int* count, int k, int j, float d2) {
  int c = *count;
  if (c == k) {
    float wd = dist2[k - 1];
    if (d2 > wd || (d2 == wd && j > idx[k - 1])) return;
    c = k - 1;  // the worst one drops out
  }
  int pos = c;
  while (pos > 0 && (dist2[pos - 1] > d2 || (dist2[pos - 1] == d2 && idx[pos - 1] > j))) {
    dist2[pos] = dist2[pos - 1];
    idx[pos] = idx[pos - 1];
    --pos;
  }
  dist2[pos] = d2;
  idx[pos] = j;
  *count = c + 1;
}

__host__ __device__ __forceinline__ float dist2_(const float* pts, int i, int j) {
  float dx = pts[3 * j] - pts[3 * i], dy = pts[3 * j + 1] - pts[3 * i + 1], dz = pts[3 * j + 2] - pts[3 * i + 2];
  return dx * dx + dy * dy + dz * dz;
}

// Brute force: candidates [j0, j1) of the cloud for query i (the CUDA kernel feeds tiles).
__host__ __device__ __forceinline__ void brute_candidates(const float* pts, int i, int j0, int j1, float r2, int k,
                                                          int* idx, float* dist2, int* count) {
  for (int j = j0; j < j1; ++j) {
    float d2 = dist2_(pts, i, j);
    if (d2 <= r2) insert_neighbour(idx, dist2, count, k, j, d2);
  }
}

// Uniform grid: the 27 cells around query i's cell. Points are sorted by cell; `keys` holds
// the m occupied cells' linear keys (ascending), `starts`/`sizes` their runs in `order`.
__host__ __device__ __forceinline__ void grid_query(const float* pts, const int* cell, const long long* dims,
                                                    const long long* keys, const int* starts, const int* sizes,
                                                    int m, const int* order, int i, float r2, int k,
                                                    int* idx, float* dist2, int* count) {
  int cx = cell[3 * i], cy = cell[3 * i + 1], cz = cell[3 * i + 2];
  for (int dz = -1; dz <= 1; ++dz) {
    long long z = cz + dz;
    if (z < 0 || z >= dims[2]) continue;
    for (int dy = -1; dy <= 1; ++dy) {
      long long y = cy + dy;
      if (y < 0 || y >= dims[1]) continue;
      for (int dx = -1; dx <= 1; ++dx) {
        long long x = cx + dx;
        if (x < 0 || x >= dims[0]) continue;
        long long key = (z * dims[1] + y) * dims[0] + x;
        int lo = 0, hi = m;  // binary search for the cell's run
        while (lo < hi) {
          int mid = (lo + hi) >> 1;
          if (keys[mid] < key) lo = mid + 1; else hi = mid;
        }
        if (lo >= m || keys[lo] != key) continue;
        for (int t = starts[lo], e = starts[lo] + sizes[lo]; t < e; ++t) {
          int j = order[t];
          float d2 = dist2_(pts, i, j);
          if (d2 <= r2) insert_neighbour(idx, dist2, count, k, j, d2);
        }
      }
    }
  }
}

// SPFH of point i from its neighbour row (entry 0 is the point itself and is skipped).
__host__ __device__ __forceinline__ void spfh_point(const float* pts, const float* nrm, int i, const int* idx, int cnt,
                                                    float* out) {
  float h[FPFH_DIM];
  for (int b = 0; b < FPFH_DIM; ++b) h[b] = 0.0f;
  float incr = 100.0f / (float)(cnt - 1 > 1 ? cnt - 1 : 1);
  const float kPi = 3.14159265358979323846f;
  for (int t = 1; t < cnt; ++t) {
    int j = idx[t];
    float alpha, cos_v, cos_d;
    pair_features(pts + 3 * i, nrm + 3 * i, pts + 3 * j, nrm + 3 * j, &alpha, &cos_v, &cos_d);
    h[bin_of(alpha, -kPi, 2.0f * kPi)] += incr;
    h[FPFH_BINS + bin_of(cos_v, -1.0f, 2.0f)] += incr;
    h[2 * FPFH_BINS + bin_of(cos_d, -1.0f, 2.0f)] += incr;
  }
  for (int b = 0; b < FPFH_DIM; ++b) out[b] = h[b];
}

// FPFH of point i: own SPFH + the neighbours' SPFH weighted by 1/d^2, each block rescaled to 100.
__host__ __device__ __forceinline__ void fpfh_point(const float* spfh, const int* idx, const float* dist2, int cnt,
                                                    int i, float* out) {
  if (cnt <= 1) {
    for (int b = 0; b < FPFH_DIM; ++b) out[b] = 0.0f;
    return;
  }
  float acc[FPFH_DIM];
  for (int b = 0; b < FPFH_DIM; ++b) acc[b] = 0.0f;
  for (int t = 1; t < cnt; ++t) {
    if (!(dist2[t] > 0.0f)) continue;
    float w = 1.0f / dist2[t];
    const float* s = spfh + (long long)idx[t] * FPFH_DIM;
    for (int b = 0; b < FPFH_DIM; ++b) acc[b] += w * s[b];
  }
  for (int f = 0; f < 3; ++f) {
    float sum = 0.0f;
    for (int b = 0; b < FPFH_BINS; ++b) sum += acc[f * FPFH_BINS + b];
    float scale = sum != 0.0f ? 100.0f / sum : 0.0f;
    for (int b = 0; b < FPFH_BINS; ++b) acc[f * FPFH_BINS + b] *= scale;
  }
  const float* own = spfh + (long long)i * FPFH_DIM;
  for (int b = 0; b < FPFH_DIM; ++b) out[b] = acc[b] + own[b];
}

}  // namespace fpfh_core
