// Host build of the FPFH kernels' per-thread code (fpfh_core.cuh): the same functions run in
// a loop over the threads' indices, so the tests can compare the kernels' arithmetic with the
// PyTorch reference on a machine without a GPU. Not a fast CPU path.
#include "fpfh_core.cuh"

using namespace fpfh_core;

extern "C" {

void host_radius_search_brute(const float* pts, int n, float radius, int k, int* idx, float* dist2, int* count) {
  for (int i = 0; i < n; ++i) {
    int c = 0;
    brute_candidates(pts, i, 0, n, radius * radius, k, idx + (long long)i * k, dist2 + (long long)i * k, &c);
    count[i] = c;
  }
}

void host_radius_search_grid(const float* pts, const int* cell, const long long* dims, const long long* keys,
                             const int* starts, const int* sizes, int m, const int* order, int n, float radius, int k,
                             int* idx, float* dist2, int* count) {
  for (int i = 0; i < n; ++i) {
    int c = 0;
    grid_query(pts, cell, dims, keys, starts, sizes, m, order, i, radius * radius, k, idx + (long long)i * k,
               dist2 + (long long)i * k, &c);
    count[i] = c;
  }
}

void host_spfh(const float* pts, const float* nrm, const int* idx, const int* count, int n, int k, float* out) {
  for (int i = 0; i < n; ++i) spfh_point(pts, nrm, i, idx + (long long)i * k, count[i], out + (long long)i * FPFH_DIM);
}

void host_fpfh(const float* spfh, const int* idx, const float* dist2, const int* count, int n, int k, float* out) {
  for (int i = 0; i < n; ++i)
    fpfh_point(spfh, idx + (long long)i * k, dist2 + (long long)i * k, count[i], i, out + (long long)i * FPFH_DIM);
}

}  // extern "C"
