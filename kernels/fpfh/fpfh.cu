// CUDA kernels for FPFH on float32 clouds: radius search (tiled brute force, or a uniform
// grid whose cell sort is done by the caller with torch), SPFH and FPFH, one thread per
// point. The per-thread code is fpfh_core.cuh (shared with the host build the tests use).
// Every entry point takes device pointers and a cudaStream_t, launches, and returns the
// cudaError_t of the launch (0 = success).
#include <cuda_runtime.h>

#include "fpfh_core.cuh"

using namespace fpfh_core;

namespace {

constexpr int kThreads = 128;

__global__ void brute_kernel(const float* __restrict__ pts, int n, float r2, int k, int* idx, float* dist2,
                             int* count) {
  __shared__ float tile[3 * kThreads];
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int c = 0;
  int* row_i = idx + (long long)(i < n ? i : 0) * k;
  float* row_d = dist2 + (long long)(i < n ? i : 0) * k;
  for (int t0 = 0; t0 < n; t0 += kThreads) {
    int j = t0 + threadIdx.x;
    if (j < n) {
      tile[3 * threadIdx.x] = pts[3 * j];
      tile[3 * threadIdx.x + 1] = pts[3 * j + 1];
      tile[3 * threadIdx.x + 2] = pts[3 * j + 2];
    }
    __syncthreads();
    if (i < n) {
      float px = pts[3 * i], py = pts[3 * i + 1], pz = pts[3 * i + 2];
      int m = min(kThreads, n - t0);
      for (int s = 0; s < m; ++s) {
        float dx = tile[3 * s] - px, dy = tile[3 * s + 1] - py, dz = tile[3 * s + 2] - pz;
        float d2 = dx * dx + dy * dy + dz * dz;
        if (d2 <= r2) insert_neighbour(row_i, row_d, &c, k, t0 + s, d2);
      }
    }
    __syncthreads();
  }
  if (i < n) count[i] = c;
}

__global__ void grid_kernel(const float* __restrict__ pts, const int* __restrict__ cell, const long long* dims,
                            const long long* __restrict__ keys, const int* __restrict__ starts,
                            const int* __restrict__ sizes, int m, const int* __restrict__ order, int n, float r2,
                            int k, int* idx, float* dist2, int* count) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  int c = 0;
  grid_query(pts, cell, dims, keys, starts, sizes, m, order, i, r2, k, idx + (long long)i * k,
             dist2 + (long long)i * k, &c);
  count[i] = c;
}

__global__ void spfh_kernel(const float* __restrict__ pts, const float* __restrict__ nrm,
                            const int* __restrict__ idx, const int* __restrict__ count, int n, int k, float* out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  spfh_point(pts, nrm, i, idx + (long long)i * k, count[i], out + (long long)i * FPFH_DIM);
}

__global__ void fpfh_kernel(const float* __restrict__ spfh, const int* __restrict__ idx,
                            const float* __restrict__ dist2, const int* __restrict__ count, int n, int k, float* out) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  fpfh_point(spfh, idx + (long long)i * k, dist2 + (long long)i * k, count[i], i, out + (long long)i * FPFH_DIM);
}

inline int blocks(int n) { return (n + kThreads - 1) / kThreads; }

}  // namespace

extern "C" {

int facecli_radius_search_brute(const float* pts, int n, float radius, int k, int* idx, float* dist2, int* count,
                                void* stream) {
  if (n <= 0) return 0;
  brute_kernel<<<blocks(n), kThreads, 0, (cudaStream_t)stream>>>(pts, n, radius * radius, k, idx, dist2, count);
  return (int)cudaGetLastError();
}

int facecli_radius_search_grid(const float* pts, const int* cell, const long long* dims, const long long* keys,
                               const int* starts, const int* sizes, int m, const int* order, int n, float radius,
                               int k, int* idx, float* dist2, int* count, void* stream) {
  if (n <= 0) return 0;
  grid_kernel<<<blocks(n), kThreads, 0, (cudaStream_t)stream>>>(pts, cell, dims, keys, starts, sizes, m, order, n,
                                                                 radius * radius, k, idx, dist2, count);
  return (int)cudaGetLastError();
}

int facecli_spfh(const float* pts, const float* nrm, const int* idx, const int* count, int n, int k, float* out,
                 void* stream) {
  if (n <= 0) return 0;
  spfh_kernel<<<blocks(n), kThreads, 0, (cudaStream_t)stream>>>(pts, nrm, idx, count, n, k, out);
  return (int)cudaGetLastError();
}

int facecli_fpfh(const float* spfh, const int* idx, const float* dist2, const int* count, int n, int k, float* out,
                 void* stream) {
  if (n <= 0) return 0;
  fpfh_kernel<<<blocks(n), kThreads, 0, (cudaStream_t)stream>>>(spfh, idx, dist2, count, n, k, out);
  return (int)cudaGetLastError();
}

}  // extern "C"
