#include "mle_kernels.h"
#include <math.h>
#include <stdlib.h>

/* The training kernels are compiled three times, for AVX-512, AVX2 and plain x86-64, and the
 * loader picks the widest the machine has (the build cannot assume more than SSE2). The package
 * compiles them with -ffp-contract=off, so no clone fuses a multiply and an add the others do
 * not: every machine computes the same numbers. Measured on the ensemble bench (scripts/bench/
 * imbalance.py): Adam's step was 14% of the time with SSE2's four lanes. */
#if defined(__x86_64__) && defined(__clang__)
#define MLE_WIDE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MLE_WIDE
#endif

MLE_WIDE
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

/* Per-step passes of training, in C so that they vectorise (perf: Swift's loops over the bias
 * and the column sums took 6% of a wide MLP's training, against 1% here). */
MLE_WIDE
void mle_bias_activate(float *restrict m, size_t rows, size_t cols, const float *restrict bias, int relu) {
    for (size_t r = 0; r < rows; r++) {
        float *restrict row = m + r * cols;
        if (relu) {
            for (size_t j = 0; j < cols; j++) { const float v = row[j] + bias[j]; row[j] = 0.0f >= v ? 0.0f : v; }
        } else {
            for (size_t j = 0; j < cols; j++) row[j] += bias[j];
        }
    }
}

MLE_WIDE
void mle_column_sums(const float *restrict m, size_t rows, size_t cols, float *restrict out) {
    for (size_t j = 0; j < cols; j++) out[j] = 0.0f;
    for (size_t r = 0; r < rows; r++) {
        const float *restrict row = m + r * cols;
        for (size_t j = 0; j < cols; j++) out[j] += row[j];
    }
}

MLE_WIDE
void mle_column_min_max(const float *restrict m, size_t rows, size_t cols, float *restrict low,
                        float *restrict high) {
    for (size_t r = 0; r < rows; r++) {
        const float *restrict row = m + r * cols;
        for (size_t j = 0; j < cols; j++) {
            const float v = row[j];
            low[j] = v < low[j] ? v : low[j];
            high[j] = v > high[j] ? v : high[j];
        }
    }
}

/* CSV numbers. Written by hand because it is the whole cost of loading a numeric file: Swift's
 * Float(String) needs a String per field and calls strtof, about 2.2 s for 10 million fields
 * (scripts/bench/data.py); this scanner reads the same file in a fraction of that. */
#include <float.h>
#include <stdint.h>
#include <string.h>

static const double mle_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const float mle_pow10f[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

/* The float nearest m · 10^e10 (m > 0), or 0 when this method cannot guarantee it. */
static inline int mle_scale(uint64_t m, int e10, float *value) {
    /* m ≤ 2^24 and 10^|e10| ≤ 10^10 are exact floats: one float operation rounds once. */
    if (m <= (UINT64_C(1) << 24) && e10 >= -10 && e10 <= 10) {
        *value = e10 >= 0 ? (float)m * mle_pow10f[e10] : (float)m / mle_pow10f[-e10];
        return 1;
    }
    if (e10 < -22 || e10 > 22) return 0;
    /* m < 2^53 is exact in a double and one multiplication or division by an exact power of ten
     * rounds once: d is the double nearest the decimal. Otherwise d is within 2 ulps of it. */
    const int exact = m < (UINT64_C(1) << 53);
    const double dm = (double)m;
    const double d = e10 >= 0 ? dm * mle_pow10[e10] : dm / mle_pow10[-e10];
    if (!(d >= FLT_MIN && d <= FLT_MAX)) return 0;
    /* Rounding d to float gives the float nearest the decimal unless a float midpoint (a double
     * whose low 29 significand bits are 1 followed by zeros) lies between or on them. */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    const uint64_t low = bits & ((UINT64_C(1) << 29) - 1), half = UINT64_C(1) << 28;
    const uint64_t margin = exact ? 0 : 4;
    if (low + margin >= half && low <= half + margin) return 0;
    *value = (float)d;
    return 1;
}

/* The exponent part [eE][+-]?D+ at p, if any, added to *e10; NULL when it is malformed. */
static inline const unsigned char *mle_exponent(const unsigned char *p, const unsigned char *end, int *e10) {
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int negative = 0, digits = 0, ex = 0;
        if (p < end && (*p == '+' || *p == '-')) { negative = *p == '-'; p++; }
        while (p < end && (unsigned)(*p - '0') < 10) {
            if (ex > 100000) return NULL;
            ex = ex * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0) return NULL;
        *e10 += negative ? -ex : ex;
    }
    return p;
}

/* Significant digits counted one by one (leading zeros skipped): for numbers with more than 19
 * digits in all. */
static const unsigned char *mle_parse_float_careful(const unsigned char *p, const unsigned char *end,
                                                    int negative, float *value) {
    uint64_t m = 0;
    int digits = 0, significant = 0, e10 = 0, point = 0;
    for (; p < end; p++) {
        if (*p == '.' && !point) { point = 1; continue; }
        const unsigned d = (unsigned)(*p - '0');
        if (d >= 10) break;
        digits++;
        if (m != 0 || d != 0) {
            if (significant == 19) return NULL;
            m = m * 10 + d;
            significant++;
        }
        if (point) e10--;
    }
    if (digits == 0) return NULL;
    p = mle_exponent(p, end, &e10);
    if (p == NULL) return NULL;
    float f = 0.0f;
    if (m != 0 && !mle_scale(m, e10, &f)) return NULL;
    *value = negative ? -f : f;
    return p;
}

/* The parser proper. With `bounded` 0 it reads past `end` up to the first byte that cannot
 * continue a number, which the caller guarantees exists (the line's end). */
static inline const unsigned char *mle_parse_float_at(const unsigned char *p, const unsigned char *end,
                                                      float *value, const int bounded) {
#define MLE_HAS(q) (!bounded || (q) < end)
    int negative = 0;
    if (MLE_HAS(p) && (*p == '+' || *p == '-')) { negative = *p == '-'; p++; }
    const unsigned char *const first = p;
    /* Common case: at most 19 digits in all, so every digit fits in m. */
    uint64_t m = 0;
    const unsigned char *q = p;
    while (MLE_HAS(q) && (unsigned)(*q - '0') < 10) { m = m * 10 + (*q - '0'); q++; }
    int digits = (int)(q - p), fraction = 0;
    if (MLE_HAS(q) && *q == '.') {
        q++;
        const unsigned char *f = q;
        while (MLE_HAS(q) && (unsigned)(*q - '0') < 10) { m = m * 10 + (*q - '0'); q++; }
        fraction = (int)(q - f);
    }
#undef MLE_HAS
    digits += fraction;
    if (digits == 0) return NULL;
    if (digits > 19) return mle_parse_float_careful(first, end, negative, value);
    int e10 = -fraction;
    q = mle_exponent(q, end, &e10);
    if (q == NULL) return NULL;
    float f = 0.0f;
    if (m != 0 && !mle_scale(m, e10, &f)) return NULL;
    *value = negative ? -f : f;
    return q;
}

const unsigned char *mle_parse_float(const unsigned char *p, const unsigned char *end, float *value) {
    return mle_parse_float_at(p, end, value, 1);
}

size_t mle_csv_scan(const unsigned char *buf, size_t len, size_t *pos, size_t ncols,
                    const unsigned char *modes, const long *slot, const long *textslot,
                    size_t nfeatures, size_t ntext, int blank_is_missing, unsigned char sep,
                    float *out, unsigned int *ranges, size_t first_row, size_t max_rows) {
    /* Blanks around a field are skipped: spaces, and tabs unless they separate the fields. */
    const int tab_is_blank = sep != '\t';
    size_t at = *pos, rows = 0;
    while (rows < max_rows && at < len) {
        const unsigned char *start = buf + at;
        const unsigned char *nl = memchr(start, '\n', len - at);
        if (nl == NULL) break;
        const unsigned char *line_end = (nl > start && nl[-1] == '\r') ? nl - 1 : nl;
        if (line_end == start) break;   /* a blank line: the general reader skips it */
        const size_t row = first_row + rows;
        float *out_row = out + row * nfeatures;
        unsigned int *range_row = ranges + rows * ntext * 2;
        const unsigned char *p = start;
        int plain = 1;
        for (size_t j = 0; j < ncols; j++) {
            while (p < line_end && (*p == ' ' || (*p == '\t' && tab_is_blank))) p++;
            const unsigned char *field = p;
            if (modes[j] == MLE_CSV_NUMBER) {
                float v;
                if (p == line_end || *p == sep) {
                    if (!blank_is_missing) { plain = 0; break; }
                    v = NAN;
                } else {
                    p = mle_parse_float_at(p, line_end, &v, 0);
                    if (p == NULL) { plain = 0; break; }
                    while (p < line_end && (*p == ' ' || (*p == '\t' && tab_is_blank))) p++;
                }
                if (slot[j] >= 0) out_row[slot[j]] = v;
            } else {
                const unsigned char *last = field;
                while (p < line_end && *p != sep) {
                    if (*p == '"' || *p == '\r') { plain = 0; break; }
                    if (*p != ' ' && *p != '\t') last = p + 1;
                    p++;
                }
                if (!plain) break;
                unsigned int *r = range_row + textslot[j] * 2;
                r[0] = (unsigned int)(field - buf);
                r[1] = (unsigned int)(last - field);
                if (slot[j] >= 0) out_row[slot[j]] = NAN;
            }
            /* A field ends at the separator, or at the line's end for the last one. */
            if (j + 1 < ncols) {
                if (p == line_end || *p != sep) { plain = 0; break; }
                p++;
            } else if (p != line_end) {
                plain = 0; break;
            }
        }
        if (!plain) break;
        rows++;
        at = (size_t)(nl + 1 - buf);
    }
    *pos = at;
    return rows;
}

void mle_csv_match(const unsigned char *buf, const unsigned int *ranges, size_t stride, size_t rows,
                   const unsigned char *known, const size_t *offsets, size_t nknown, int *codes) {
    for (size_t r = 0; r < rows; r++) {
        const unsigned char *cell = buf + ranges[r * stride];
        const size_t n = ranges[r * stride + 1];
        int code = -1;
        for (size_t k = 0; k < nknown; k++) {
            if (offsets[k + 1] - offsets[k] != n) continue;
            /* Class names are short: a byte loop, not a call of memcmp per cell (perf). */
            const unsigned char *text = known + offsets[k];
            size_t i = 0;
            while (i < n && text[i] == cell[i]) i++;
            if (i == n) { code = (int)k; break; }
        }
        codes[r] = code;
    }
}

/* The bootstrap's generator: four xoshiro256** streams side by side, one per lane of a 64-bit
 * vector (the lanes' states from SplitMix64 of the seed, lane by lane), each step giving eight
 * 32-bit candidates, mapped to 0 ..< n by Lemire's multiply-shift with rejection. One stream of
 * xoshiro256** (the first version) gave a draw in 1.7–2.3 ns; four lanes in 0.95 (a throwaway C
 * harness, alternating; not kept). */
typedef uint64_t mle_u64x4 __attribute__((vector_size(32)));

typedef struct {
    uint64_t s[4][4];    /* s[word][lane] */
    uint32_t pending[8]; /* accepted candidates of the last step not handed out yet */
    unsigned npending, next;
} mle_bootstrap_rng;

static void mle_bootstrap_seed(mle_bootstrap_rng *g, uint64_t seed) {
    uint64_t x = seed;
    for (int lane = 0; lane < 4; lane++)
        for (int w = 0; w < 4; w++) {
            x += UINT64_C(0x9E3779B97F4A7C15);
            uint64_t z = x;
            z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
            z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
            g->s[w][lane] = z ^ (z >> 31);
        }
    g->npending = g->next = 0;
}

#define MLE_ROTL4(x, k) (((x) << (k)) | ((x) >> (64 - (k))))

/* The stream's next `count` indices into out (inlined into each caller's clone). */
static inline __attribute__((always_inline)) void mle_bootstrap_fill(mle_bootstrap_rng *restrict g, uint32_t n,
                                                                     uint32_t *restrict out, size_t count) {
    size_t k = 0;
    while (k < count && g->next < g->npending) out[k++] = g->pending[g->next++];
    if (k == count) return;
    const uint32_t threshold = (uint32_t)(-n) % n; /* 2^32 mod n: low halves below it are rejected */
    const mle_u64x4 low = (mle_u64x4){0} + UINT64_C(0xFFFFFFFF), nn = (mle_u64x4){0} + n,
                    limit = (mle_u64x4){0} + threshold;
    mle_u64x4 s0, s1, s2, s3;
    memcpy(&s0, g->s[0], 32); memcpy(&s1, g->s[1], 32);
    memcpy(&s2, g->s[2], 32); memcpy(&s3, g->s[3], 32);
    while (k < count) {
        mle_u64x4 r = MLE_ROTL4(s1 + (s1 << 2), 7);
        r += r << 3;
        const mle_u64x4 t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = MLE_ROTL4(s3, 45);
        const mle_u64x4 hi = (r >> 32) * nn, lo = (r & low) * nn;
        const mle_u64x4 bad = (mle_u64x4)(((hi & low) < limit) | ((lo & low) < limit));
        if (!(bad[0] | bad[1] | bad[2] | bad[3]) && count - k >= 8) {
            for (int l = 0; l < 4; l++) {
                out[k + l] = (uint32_t)(hi[l] >> 32);
                out[k + 4 + l] = (uint32_t)(lo[l] >> 32);
            }
            k += 8;
            continue;
        }
        /* A rejection (probability below n / 2^32 per candidate) or the end of the request. */
        uint32_t accepted[8];
        unsigned m = 0;
        for (int l = 0; l < 4; l++)
            if ((hi[l] & 0xFFFFFFFF) >= threshold) accepted[m++] = (uint32_t)(hi[l] >> 32);
        for (int l = 0; l < 4; l++)
            if ((lo[l] & 0xFFFFFFFF) >= threshold) accepted[m++] = (uint32_t)(lo[l] >> 32);
        unsigned i = 0;
        while (i < m && k < count) out[k++] = accepted[i++];
        g->npending = g->next = 0;
        while (i < m) g->pending[g->npending++] = accepted[i++];
    }
    memcpy(g->s[0], &s0, 32); memcpy(g->s[1], &s1, 32);
    memcpy(g->s[2], &s2, 32); memcpy(g->s[3], &s3, 32);
}

MLE_WIDE
void mle_bootstrap_indices(unsigned long long seed, size_t n, size_t count, unsigned int *out) {
    if (n == 0) return;
    mle_bootstrap_rng g;
    mle_bootstrap_seed(&g, seed);
    mle_bootstrap_fill(&g, (uint32_t)n, out, count);
}

typedef double mle_f64x4 __attribute__((vector_size(32)));
typedef unsigned char mle_u8x4 __attribute__((vector_size(4)));

/* A row's four weights as doubles (a macro: a function returning a vector has no one ABI across
 * the clones; memcpy, as the bytes need not be 4-aligned). */
#define MLE_WEIGHTS4(p) \
    ({ mle_u8x4 w4_; memcpy(&w4_, (p), 4); __builtin_convertvector(w4_, mle_f64x4); })

/* Resamples are taken four at a time: each draw adds `weight_step` to its row's weight (one byte
 * per row and resample, the four resamples' bytes side by side: 400 KB for 100,000 rows, in L2),
 * then one pass over the rows, sorted by bin, sums weight × term for the four at once in vector
 * lanes, and the sums are divided by the step (a power of two: exact). Against gathering each
 * drawn row's 32-byte record from L3 and adding it into its bin (the first version), about 2.3 ns
 * per draw instead of 4–6 (the harness above). A byte that wrapped (a row drawn 256 / step times
 * or more in one resample) shows as a total weight short of n; that resample is summed again by
 * gathering, from the same draws. Production passes step 1; tests pass larger steps to make the
 * bytes wrap and check that the result does not change. */
MLE_WIDE
void mle_calibration_resamples(const double *d, const double *brier, const double *loss, const size_t *bin_end,
                               size_t n, size_t nbins, unsigned long long seed, size_t resamples,
                               unsigned weight_step, unsigned char *weights, double *out) {
    enum { R = 4, BATCH = 256 };
    if (n == 0 || nbins == 0) return;
    mle_bootstrap_rng g;
    mle_bootstrap_seed(&g, seed);
    const size_t width = 2 * nbins + 2;
    const unsigned char step = (unsigned char)weight_step;
    const double unit = 1.0 / weight_step;
    uint32_t idx[BATCH];
    for (size_t r0 = 0; r0 < resamples; r0 += R) {
        const size_t m = resamples - r0 < R ? resamples - r0 : R;
        memset(weights, 0, n * R);
        mle_bootstrap_rng before[R];
        for (size_t r = 0; r < m; r++) {
            before[r] = g;
            unsigned char *w = weights + r;
            for (size_t k = 0; k < n; k += BATCH) {
                const size_t b = n - k < BATCH ? n - k : BATCH;
                mle_bootstrap_fill(&g, (uint32_t)n, idx, b);
                for (size_t j = 0; j < b; j++) w[(size_t)idx[j] * R] += step;
            }
        }
        mle_f64x4 b4 = {0}, b5 = {0}, l4 = {0}, l5 = {0}, total = {0};
        size_t lo = 0;
        for (size_t b = 0; b < nbins; b++) {
            const size_t hi = bin_end[b];
            mle_f64x4 c4 = {0}, c5 = {0}, s4 = {0}, s5 = {0};
            size_t j = lo;
            for (; j + 1 < hi; j += 2) {
                const mle_f64x4 w = MLE_WEIGHTS4(weights + j * R), v = MLE_WEIGHTS4(weights + (j + 1) * R);
                c4 += w; s4 += w * d[j]; b4 += w * brier[j]; l4 += w * loss[j];
                c5 += v; s5 += v * d[j + 1]; b5 += v * brier[j + 1]; l5 += v * loss[j + 1];
            }
            if (j < hi) {
                const mle_f64x4 w = MLE_WEIGHTS4(weights + j * R);
                c4 += w; s4 += w * d[j]; b4 += w * brier[j]; l4 += w * loss[j];
            }
            c4 += c5; s4 += s5;
            total += c4;
            for (size_t r = 0; r < m; r++) {
                out[(r0 + r) * width + b] = c4[r] * unit;
                out[(r0 + r) * width + nbins + b] = s4[r] * unit;
            }
            lo = hi;
        }
        b4 += b5; l4 += l5;
        for (size_t r = 0; r < m; r++) {
            double *o = out + (r0 + r) * width;
            o[2 * nbins] = b4[r] * unit;
            o[2 * nbins + 1] = l4[r] * unit;
            if (total[r] * unit == (double)n) continue;
            /* A weight wrapped: the same draws again, each drawn row added into its bin. */
            mle_bootstrap_rng again = before[r];
            for (size_t b = 0; b < width; b++) o[b] = 0;
            for (size_t k = 0; k < n; k += BATCH) {
                const size_t c = n - k < BATCH ? n - k : BATCH;
                mle_bootstrap_fill(&again, (uint32_t)n, idx, c);
                for (size_t j = 0; j < c; j++) {
                    const size_t row = idx[j];
                    size_t b = 0;
                    while (b + 1 < nbins && bin_end[b] <= row) b++;
                    o[b] += 1; o[nbins + b] += d[row];
                    o[2 * nbins] += brier[row]; o[2 * nbins + 1] += loss[row];
                }
            }
        }
    }
}

/* Blocks of 255 × 32 bytes are counted in the 32 one-byte lanes of a vector (255 matches at
 * most: none overflows), with the compiler's vector extension — left to itself it vectorised the
 * wrong loop. memchr once per line (the first version) took 6 ms of the 95 ms load of a 28 MB
 * predictions file (perf). */
typedef unsigned char mle_bytes32 __attribute__((vector_size(32)));

MLE_WIDE
size_t mle_count_byte(const unsigned char *buf, size_t len, unsigned char byte) {
    enum { LANES = 32, BLOCK = 255 * LANES };
    const mle_bytes32 wanted = (mle_bytes32){0} + byte;
    size_t n = 0, i = 0;
    while (len - i >= BLOCK) {
        mle_bytes32 counts = {0};
        for (size_t k = 0; k < BLOCK; k += LANES) {
            mle_bytes32 v;
            memcpy(&v, buf + i + k, LANES);
            counts -= (mle_bytes32)(v == wanted);  /* a match is -1 in its lane */
        }
        for (size_t l = 0; l < LANES; l++) n += counts[l];
        i += BLOCK;
    }
    for (; i < len; i++) n += buf[i] == byte;
    return n;
}

/* CROWN's relaxation and row sums, in double precision. Eight partial sums per row let the
 * compiler vectorise the loops (a single running sum is a serial chain it may not reorder); perf
 * on a 784-256-256-10 network: the scalar Swift loop was 18% of certification. */
MLE_WIDE
void mle_crown_relax(double *restrict a, size_t rows, size_t width, const double *restrict upper_slope,
                     const double *restrict lower_slope, const double *restrict upper_at,
                     double *restrict constant) {
    for (size_t r = 0; r < rows; r++) {
        double *restrict row = a + r * width;
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        size_t i = 0;
        for (; i + 8 <= width; i += 8) {
            for (size_t l = 0; l < 8; l++) {
                const double c = row[i + l];
                const double pos = c > 0 ? c : 0.0, neg = c < 0 ? c : 0.0;
                const double t = pos * upper_slope[i + l];
                row[i + l] = t + neg * lower_slope[i + l];
                acc[l] += t * upper_at[i + l];
            }
        }
        double tail = 0;
        for (; i < width; i++) {
            const double c = row[i];
            const double pos = c > 0 ? c : 0.0, neg = c < 0 ? c : 0.0;
            const double t = pos * upper_slope[i];
            row[i] = t + neg * lower_slope[i];
            tail += t * upper_at[i];
        }
        constant[r] -= ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
    }
}

MLE_WIDE
void mle_crown_relax_lower(double *restrict a, size_t rows, size_t width, const long *restrict block,
                           const double *restrict low_slope, const double *restrict up_slope,
                           const double *restrict up_intercept, double *restrict constant) {
    for (size_t r = 0; r < rows; r++) {
        double *restrict row = a + r * width;
        const size_t at = (size_t)block[r] * width;
        const double *restrict sl = low_slope + at, *restrict su = up_slope + at, *restrict tu = up_intercept + at;
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        size_t i = 0;
        for (; i + 8 <= width; i += 8) {
            for (size_t l = 0; l < 8; l++) {
                const double c = row[i + l];
                const double pos = c > 0 ? c : 0.0, neg = c < 0 ? c : 0.0;
                row[i + l] = pos * sl[i + l] + neg * su[i + l];
                acc[l] += neg * tu[i + l];
            }
        }
        double tail = 0;
        for (; i < width; i++) {
            const double c = row[i];
            const double pos = c > 0 ? c : 0.0, neg = c < 0 ? c : 0.0;
            row[i] = pos * sl[i] + neg * su[i];
            tail += neg * tu[i];
        }
        constant[r] += ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
    }
}

MLE_WIDE
void mle_row_dots(const double *restrict a, const double *restrict b, size_t rows, size_t cols,
                  size_t b_stride, double *restrict out) {
    for (size_t r = 0; r < rows; r++) {
        const double *restrict x = a + r * cols, *restrict y = b + r * b_stride;
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        size_t i = 0;
        for (; i + 8 <= cols; i += 8)
            for (size_t l = 0; l < 8; l++) acc[l] += x[i + l] * y[i + l];
        double tail = 0;
        for (; i < cols; i++) tail += x[i] * y[i];
        out[r] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
    }
}

MLE_WIDE
void mle_row_abs_sums(const double *restrict a, size_t rows, size_t cols, double *restrict out) {
    for (size_t r = 0; r < rows; r++) {
        const double *restrict x = a + r * cols;
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        size_t i = 0;
        for (; i + 8 <= cols; i += 8)
            for (size_t l = 0; l < 8; l++) acc[l] += fabs(x[i + l]);
        double tail = 0;
        for (; i < cols; i++) tail += fabs(x[i]);
        out[r] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
    }
}

/* Small float products. For the products of an MLP's mini-batches (32 × 64 by 64 × 32, say)
 * OpenBLAS's sgemm spends more time in its interface, buffer lock and packing than in
 * arithmetic: measured in C on this machine, 1.31 µs for 32×64·64×32 against 0.55 µs here,
 * 5.3 against 2.5 µs for 32×64·64×128, and two threads calling OpenBLAS at once slow each
 * other on its lock. Every element of C is one fmaf chain over k in index order, started
 * from 0 and added to C last when beta is 1, whichever tile or strategy computes it: the
 * result does not depend on the shape's split, the clone the loader picks or the thread. */

/* An R × W tile of C: rows i.. of op(A) (element (i, p) at a[i * a_row + p * a_col]) times
 * columns j.. of B (row-major, row stride ldb). */
static inline __attribute__((always_inline)) void mle_gemm_tile(const float *restrict a, size_t a_row, size_t a_col,
                                                                const float *restrict b, size_t ldb, float *restrict c,
                                                                size_t ldc, size_t k, int beta, const int R, const int W) {
    float acc[4][32];
    for (int r = 0; r < R; r++)
        for (int l = 0; l < W; l++) acc[r][l] = 0.0f;
    for (size_t p = 0; p < k; p++) {
        const float *restrict bp = b + p * ldb;
        for (int r = 0; r < R; r++) {
            const float av = a[r * a_row + p * a_col];
            for (int l = 0; l < W; l++) acc[r][l] = fmaf(av, bp[l], acc[r][l]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *restrict cr = c + r * ldc;
        if (beta) {
            for (int l = 0; l < W; l++) cr[l] = cr[l] + acc[r][l];
        } else {
            for (int l = 0; l < W; l++) cr[l] = acc[r][l];
        }
    }
}

/* C (m × n, row stride ldc) = A' · B (+ C), A' given by strides, B row-major k × n. */
static inline __attribute__((always_inline)) void mle_gemm_rows(const float *restrict a, size_t a_row, size_t a_col,
                                                                const float *restrict b, size_t ldb, float *restrict c,
                                                                size_t ldc, size_t m, size_t n, size_t k, int beta) {
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const float *ai = a + i * a_row;
        float *ci = c + i * ldc;
        size_t j = 0;
        for (; j + 32 <= n; j += 32) mle_gemm_tile(ai, a_row, a_col, b + j, ldb, ci + j, ldc, k, beta, 4, 32);
        for (; j + 16 <= n; j += 16) mle_gemm_tile(ai, a_row, a_col, b + j, ldb, ci + j, ldc, k, beta, 4, 16);
        for (; j + 8 <= n; j += 8) mle_gemm_tile(ai, a_row, a_col, b + j, ldb, ci + j, ldc, k, beta, 4, 8);
        for (; j < n; j++) mle_gemm_tile(ai, a_row, a_col, b + j, ldb, ci + j, ldc, k, beta, 4, 1);
    }
    for (; i < m; i++) {
        const float *ai = a + i * a_row;
        float *ci = c + i * ldc;
        size_t j = 0;
        for (; j + 32 <= n; j += 32) mle_gemm_tile(ai, a_row, a_col, b + j, ldb, ci + j, ldc, k, beta, 1, 32);
        for (; j + 8 <= n; j += 8) mle_gemm_tile(ai, a_row, a_col, b + j, ldb, ci + j, ldc, k, beta, 1, 8);
        for (; j < n; j++) mle_gemm_tile(ai, a_row, a_col, b + j, ldb, ci + j, ldc, k, beta, 1, 1);
    }
}

MLE_WIDE
int mle_sgemm_small(int trans_a, int trans_b, size_t m, size_t n, size_t k, const float *a, size_t lda,
                    const float *b, size_t ldb, int beta, float *c, size_t ldc) {
    if (m == 0 || n == 0) return 1;
    if (n < 8 && m >= 8) {
        /* Few columns. With A transposed, compute Cᵀ = op(B)ᵀ · Aᵀ, vectorised along C's rows,
         * reading A as it lies; fmaf(x, y, z) equals fmaf(y, x, z), so every element is the same
         * chain as in the direct form. Otherwise A would have to be transposed first, and
         * OpenBLAS is faster (measured: 5.3 µs against 12 µs for 128×256 · 256×2). */
        if (!trans_a) return 0;
        float *ct = malloc(n * m * sizeof(float));
        if (!ct) return 0;
        /* op(B)ᵀ's element (j, p) is op(B)'s (p, j). */
        if (trans_b) mle_gemm_rows(b, ldb, 1, a, lda, ct, m, n, m, k, 0);
        else mle_gemm_rows(b, 1, ldb, a, lda, ct, m, n, m, k, 0);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) c[i * ldc + j] = beta ? c[i * ldc + j] + ct[j * m + i] : ct[j * m + i];
        free(ct);
        return 1;
    }
    /* Column counts that are not a multiple of 8 end in one-column tiles, chains of dependent
     * fmas (measured 1.2 µs against OpenBLAS's 0.68 µs for 32×64 · 64×10); and packing a
     * transposed B bigger than 64 KB would take fresh pages from the system on every call
     * (malloc maps blocks that large). OpenBLAS does both. */
    if (n % 8 != 0 || (trans_b && k * n > 16384)) return 0;
    float *packed = NULL;
    const float *bb = b;
    size_t ldbb = ldb;
    if (trans_b) {
        packed = malloc(k * n * sizeof(float));
        if (!packed) return 0;
        for (size_t j = 0; j < n; j++)
            for (size_t p = 0; p < k; p++) packed[p * n + j] = b[j * ldb + p];
        bb = packed;
        ldbb = n;
    }
    if (trans_a) mle_gemm_rows(a, 1, lda, bb, ldbb, c, ldc, m, n, k, beta);
    else mle_gemm_rows(a, lda, 1, bb, ldbb, c, ldc, m, n, k, beta);
    free(packed);
    return 1;
}

MLE_WIDE
size_t mle_count_nan(const float *restrict m, size_t rows, size_t cols, long *restrict counts) {
    size_t total = 0;
    for (size_t r = 0; r < rows; r++) {
        const float *restrict row = m + r * cols;
        for (size_t j = 0; j < cols; j++) counts[j] += row[j] != row[j];
    }
    for (size_t j = 0; j < cols; j++) total += (size_t)counts[j];
    return total;
}
