// Fused DGPA dual-path attention forward: one kernel launch, one block per sample, the
// phases of attention_core.cuh separated by block barriers, all intermediates in shared
// memory. When it fits, the sample itself is first copied to shared memory (coalesced, once),
// and every phase reads it from there rather than from global memory (three passes). The PyTorch reference launches about fifteen kernels and writes each intermediate
// to global memory; grid-attn calls this on many small per-cell maps (B*G*G samples of
// C x P x P), where launches and memory traffic dominate.
#include <cuda_runtime.h>

#include "attention_core.cuh"

using namespace attention_core;

namespace {

constexpr int kThreads = 128;
// Dynamic shared memory a launch may ask for without opting in, on every CUDA GPU.
constexpr size_t kStaticSmemBytes = 48 * 1024;

__global__ void dpa_forward(const float* __restrict__ x, const float* __restrict__ w1, const float* __restrict__ b1,
                            const float* __restrict__ w2, const float* __restrict__ b2, const float* __restrict__ ws,
                            const float* __restrict__ bs, Shapes s, int stage, float* y, float* channel_out,
                            float* spatial_out) {
  extern __shared__ float smem[];
  float* avg = smem;
  float* mx = avg + s.C;
  float* hidden = mx + s.C;
  float* channel = hidden + 2 * s.R;
  float* pooled = channel + s.C;
  float* spatial = pooled + 2 * s.H * s.W;
  const int hw = s.H * s.W;
  const long long b = blockIdx.x;
  const float* xg = x + b * s.C * hw;
  const float* xb = xg;
  if (stage) {  // the sample after the scratch, in shared memory
    float* xs = spatial + hw;
    for (int e = threadIdx.x; e < s.C * hw; e += blockDim.x) xs[e] = xg[e];
    __syncthreads();
    xb = xs;
  }
  for (int c = threadIdx.x; c < s.C; c += blockDim.x) channel_pool(xb, s, c, avg, mx);
  __syncthreads();
  for (int r = threadIdx.x; r < 2 * s.R; r += blockDim.x) mlp_hidden(w1, b1, s, r, avg, mx, hidden);
  __syncthreads();
  for (int c = threadIdx.x; c < s.C; c += blockDim.x) {
    channel_weight(w2, b2, s, c, hidden, channel);
    channel_out[b * s.C + c] = channel[c];
  }
  __syncthreads();
  for (int p = threadIdx.x; p < hw; p += blockDim.x) spatial_pool(xb, s, p, channel, pooled);
  __syncthreads();
  for (int p = threadIdx.x; p < hw; p += blockDim.x) {
    spatial_weight(ws, bs, s, p, pooled, spatial);
    spatial_out[b * hw + p] = spatial[p];
  }
  __syncthreads();
  float* yb = y + b * s.C * hw;
  for (long long e = threadIdx.x; e < (long long)s.C * hw; e += blockDim.x) apply(xb, s, e, channel, spatial, yb);
}

}  // namespace

extern "C" {

// Bytes of shared memory one block needs at least (the caller uses the reference when it is
// too many); the launch also stages the sample there when the sample fits beside it.
int facecli_attention_smem_bytes(int C, int R, int H, int W) {
  Shapes s{C, R, H, W, 1};
  return scratch_floats(s) * (int)sizeof(float);
}

int facecli_attention_forward(const float* x, const float* w1, const float* b1, const float* w2, const float* b2,
                              const float* ws, const float* bs, int B, int C, int R, int H, int W, int K, float* y,
                              float* channel, float* spatial, void* stream) {
  if (B <= 0) return 0;
  Shapes s{C, R, H, W, K};
  size_t smem = (size_t)scratch_floats(s) * sizeof(float);
  size_t staged = smem + (size_t)C * H * W * sizeof(float);
  int stage = staged <= kStaticSmemBytes;
  dpa_forward<<<B, kThreads, stage ? staged : smem, (cudaStream_t)stream>>>(x, w1, b1, w2, b2, ws, bs, s, stage, y,
                                                                             channel, spatial);
  return (int)cudaGetLastError();
}

}  // extern "C"
