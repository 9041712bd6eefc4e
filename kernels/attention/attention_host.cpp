// Host build of the fused attention kernel's phases (attention_core.cuh): per sample, each
// phase's items in order, the phases one after another (what the block barriers guarantee
// on the GPU). For the tests only; not a fast CPU path.
#include <vector>

#include "attention_core.cuh"

using namespace attention_core;

extern "C" void host_attention_forward(const float* x, const float* w1, const float* b1, const float* w2,
                                       const float* b2, const float* ws, const float* bs, int B, int C, int R, int H,
                                       int W, int K, float* y, float* channel_out, float* spatial_out) {
  Shapes s{C, R, H, W, K};
  std::vector<float> scratch(scratch_floats(s));
  float* avg = scratch.data();
  float* mx = avg + C;
  float* hidden = mx + C;
  float* channel = hidden + 2 * R;
  float* pooled = channel + C;
  float* spatial = pooled + 2 * H * W;
  const int hw = H * W;
  for (int b = 0; b < B; ++b) {
    const float* xb = x + (long long)b * C * hw;
    for (int c = 0; c < C; ++c) channel_pool(xb, s, c, avg, mx);
    for (int r = 0; r < 2 * R; ++r) mlp_hidden(w1, b1, s, r, avg, mx, hidden);
    for (int c = 0; c < C; ++c) {
      channel_weight(w2, b2, s, c, hidden, channel);
      channel_out[(long long)b * C + c] = channel[c];
    }
    for (int p = 0; p < hw; ++p) spatial_pool(xb, s, p, channel, pooled);
    for (int p = 0; p < hw; ++p) {
      spatial_weight(ws, bs, s, p, pooled, spatial);
      spatial_out[(long long)b * hw + p] = spatial[p];
    }
    for (long long e = 0; e < (long long)C * hw; ++e) apply(xb, s, e, channel, spatial, y + (long long)b * C * hw);
  }
}
