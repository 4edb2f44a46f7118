#ifndef MLE_KERNELS_H
#define MLE_KERNELS_H
#include <stddef.h>

/// One Adam step over n parameters (Kingma & Ba 2015), in place. `restrict` lets the compiler
/// vectorise the loop, square root included, which Swift's SIMD types did not (perf showed a
/// scalar sqrtss per lane).
void mle_adam_step(float *restrict params, const float *restrict grads, float *restrict m,
                   float *restrict v, size_t n, float lr, float beta1, float beta2, float eps,
                   long step);
#endif
