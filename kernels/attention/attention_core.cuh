// DGPA dual-path (CBAM) attention forward, per-item work of each phase of the fused kernel:
// channel attention sigma(MLP(avg) + MLP(max)), then 7x7 spatial attention
// sigma(conv([mean_c; max_c])) on the channel-refined features, then the product.
// One CUDA block handles one sample; its threads share the phases' items and meet at a
// barrier between phases. Compiled for the host too (attention_host.cpp), where the phases
// run one after another, so the tests check this exact code against the PyTorch reference
// (facecli/models/attention.py) without a GPU.
#pragma once

#ifndef __CUDACC__
#define __host__
#define __device__
#define __forceinline__ inline
#include <math.h>
#endif

namespace attention_core {

struct Shapes {
  int C, R, H, W, K;  // channels, MLP hidden width, height, width, spatial kernel side (odd)
};

// Floats of per-sample scratch: avg[C], max[C], hidden[2R], channel[C], pooled[2HW], spatial[HW].
__host__ __device__ __forceinline__ int scratch_floats(const Shapes& s) { return 3 * s.C + 2 * s.R + 3 * s.H * s.W; }

__host__ __device__ __forceinline__ float sigmoid_(float v) { return 1.0f / (1.0f + expf(-v)); }

// Phase 1, item c < C: mean and max of channel c over the map.
__host__ __device__ __forceinline__ void channel_pool(const float* x, const Shapes& s, int c, float* avg, float* mx) {
  const float* p = x + (long long)c * s.H * s.W;
  int hw = s.H * s.W;
  float sum = 0.0f, m = p[0];
  for (int t = 0; t < hw; ++t) {
    sum += p[t];
    m = p[t] > m ? p[t] : m;
  }
  avg[c] = sum / (float)hw;
  mx[c] = m;
}

// Phase 2, item r < 2R: hidden unit r % R of the shared MLP on avg (r < R) or max (r >= R).
__host__ __device__ __forceinline__ void mlp_hidden(const float* w1, const float* b1, const Shapes& s, int r,
                                                    const float* avg, const float* mx, float* hidden) {
  const float* v = r < s.R ? avg : mx;
  int u = r % s.R;
  float acc = b1[u];
  for (int c = 0; c < s.C; ++c) acc += w1[u * s.C + c] * v[c];
  hidden[r] = acc > 0.0f ? acc : 0.0f;
}

// Phase 3, item c < C: channel weight sigma(W2 h_avg + b2 + W2 h_max + b2).
__host__ __device__ __forceinline__ void channel_weight(const float* w2, const float* b2, const Shapes& s, int c,
                                                        const float* hidden, float* channel) {
  float a = b2[c], m = b2[c];
  for (int r = 0; r < s.R; ++r) {
    a += w2[c * s.R + r] * hidden[r];
    m += w2[c * s.R + r] * hidden[s.R + r];
  }
  channel[c] = sigmoid_(a + m);
}

// Phase 4, item p < HW: mean and max over channels of the channel-refined features at pixel p.
__host__ __device__ __forceinline__ void spatial_pool(const float* x, const Shapes& s, int p, const float* channel,
                                                      float* pooled) {
  int hw = s.H * s.W;
  float sum = 0.0f, m = x[p] * channel[0];
  for (int c = 0; c < s.C; ++c) {
    float v = x[(long long)c * hw + p] * channel[c];
    sum += v;
    m = v > m ? v : m;
  }
  pooled[p] = sum / (float)s.C;
  pooled[hw + p] = m;
}

// Phase 5, item p < HW: spatial weight sigma(bs + ws * pooled) at pixel p (zero padding K/2).
__host__ __device__ __forceinline__ void spatial_weight(const float* ws, const float* bs, const Shapes& s, int p,
                                                        const float* pooled, float* spatial) {
  int y = p / s.W, x = p % s.W, h = s.K / 2, hw = s.H * s.W;
  float acc = bs[0];
  for (int ch = 0; ch < 2; ++ch) {
    for (int dy = 0; dy < s.K; ++dy) {
      int yy = y + dy - h;
      if (yy < 0 || yy >= s.H) continue;
      for (int dx = 0; dx < s.K; ++dx) {
        int xx = x + dx - h;
        if (xx < 0 || xx >= s.W) continue;
        acc += ws[(ch * s.K + dy) * s.K + dx] * pooled[ch * hw + yy * s.W + xx];
      }
    }
  }
  spatial[p] = sigmoid_(acc);
}

// Phase 6, item e < C*HW: the output x * channel * spatial.
__host__ __device__ __forceinline__ void apply(const float* x, const Shapes& s, long long e, const float* channel,
                                               const float* spatial, float* y) {
  int hw = s.H * s.W;
  int c = (int)(e / hw), p = (int)(e % hw);
  y[e] = x[e] * channel[c] * spatial[p];
}

}  // namespace attention_core
