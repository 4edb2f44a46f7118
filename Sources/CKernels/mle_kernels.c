#include "mle_kernels.h"
#include <math.h>

void mle_adam_step(float *restrict params, const float *restrict grads, float *restrict m,
                   float *restrict v, size_t n, float lr, float beta1, float beta2, float eps,
                   long step) {
    const float c1 = 1.0f - powf(beta1, (float)step);
    const float c2 = 1.0f - powf(beta2, (float)step);
    const float step_size = lr / c1;
    const float inv_c2 = 1.0f / c2;
    const float b1c = 1.0f - beta1, b2c = 1.0f - beta2;
    for (size_t i = 0; i < n; i++) {
        const float g = grads[i];
        const float mi = beta1 * m[i] + b1c * g;
        const float vi = beta2 * v[i] + b2c * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= step_size * mi / (sqrtf(vi * inv_c2) + eps);
    }
}
