#ifndef MLE_KERNELS_H
#define MLE_KERNELS_H
#include <stddef.h>

/// One Adam step over n parameters (Kingma & Ba 2015), in place. `restrict` lets the compiler
/// vectorise the loop, square root included, which Swift's SIMD types did not (perf showed a
/// scalar sqrtss per lane).
void mle_adam_step(float *restrict params, const float *restrict grads, float *restrict m,
                   float *restrict v, size_t n, float lr, float beta1, float beta2, float eps,
                   long step);

/// m[r][j] += bias[j], then with `relu` max(·, 0) as Swift's max(x, 0) (NaN stays NaN), in one
/// pass over the rows × cols row-major matrix.
void mle_bias_activate(float *restrict m, size_t rows, size_t cols, const float *restrict bias, int relu);

/// out[j] = Σ_r m[r][j], summed in row order.
void mle_column_sums(const float *restrict m, size_t rows, size_t cols, float *restrict out);

/// low[j] = min(low[j], m[r][j]) and high[j] = max(high[j], m[r][j]) over the rows.
void mle_column_min_max(const float *restrict m, size_t rows, size_t cols, float *restrict low,
                        float *restrict high);

/// How mle_csv_scan reads a column.
enum { MLE_CSV_NUMBER = 0, MLE_CSV_TEXT = 1 };

/// Parses a decimal number `[+-]?(D+(.D*)?|.D+)([eE][+-]?D+)?` in [p, end) into the float
/// nearest to it (ties to even), as strtof does. Returns the end of the number, or NULL when the
/// text is not of that form or the fast method cannot guarantee the correctly rounded result
/// (more than 19 significant digits, a decimal exponent beyond ±22, a value outside the normal
/// float range, or one within four double ulps of a float midpoint); the caller then uses a
/// general parser.
const unsigned char *mle_parse_float(const unsigned char *p, const unsigned char *end, float *value);

/// Reads whole CSV records from buf[*pos ..< len] while they are plain: ended by LF or CRLF,
/// no quotes, `ncols` fields, every MLE_CSV_NUMBER field a number mle_parse_float reads (or blank
/// when `blank_is_missing`, read as NaN), blanks and tabs around fields ignored (tabs only when `sep`, the field
/// separator, is not a tab). Field j of row r
/// goes to out[(first_row + r) * nfeatures + slot[j]] when slot[j] >= 0 (NaN for a text field);
/// a text field's trimmed byte range (start relative to buf, length) goes to
/// ranges[(r * ntext + textslot[j]) * 2 ...]. Stops before the first record that is
/// not plain, that is not wholly in the buffer, or when max_rows rows are read; *pos is then that
/// record's start. Returns the number of records read.
size_t mle_csv_scan(const unsigned char *buf, size_t len, size_t *pos, size_t ncols,
                    const unsigned char *modes, const long *slot, const long *textslot,
                    size_t nfeatures, size_t ntext, int blank_is_missing, unsigned char sep,
                    float *out, unsigned int *ranges, size_t first_row, size_t max_rows);

/// For each of `rows` text cells — cell r's byte range (start in buf, length) at
/// ranges[r * stride], ranges[r * stride + 1] — the number k of the known text equal to it, or
/// -1: known text k is known[offsets[k] ..< offsets[k + 1]], k < nknown.
void mle_csv_match(const unsigned char *buf, const unsigned int *ranges, size_t stride, size_t rows,
                   const unsigned char *known, const size_t *offsets, size_t nknown, int *codes);

/// `resamples` bootstrap resamples of n rows sorted by bin (bin b is rows bin_end[b − 1] ..<
/// bin_end[b]), drawn uniformly with replacement by the generator `mle_bootstrap_indices`
/// describes, seeded with `seed`, resample after resample: per resample, the count and the sum of
/// d of each of the `nbins` bins, then the sums of the Brier and log-loss terms, into
/// out[r * (2 * nbins + 2) ...]. `weights` is scratch of 4n bytes; `weight_step` is 1, or a larger
/// power of two up to 128 with which tests make a row's one-byte weight wrap sooner (a resample
/// whose weight wrapped is summed by gathering instead; the result does not depend on the step).
void mle_calibration_resamples(const double *d, const double *brier, const double *loss, const size_t *bin_end,
                               size_t n, size_t nbins, unsigned long long seed, size_t resamples,
                               unsigned weight_step, unsigned char *weights, double *out);

/// The first `count` indices in 0 ..< n the bootstrap generator draws from `seed`: four
/// xoshiro256** streams side by side (each seeded by four SplitMix64 outputs of `seed`, stream 0
/// first), each step's eight 32-bit candidates taken as the high halves of streams 0–3 then their
/// low halves, mapped to 0 ..< n by Lemire's multiply-shift with rejection (no modulo bias);
/// 0 < n < 2^32.
void mle_bootstrap_indices(unsigned long long seed, size_t n, size_t count, unsigned int *out);

/// How many bytes of buf[0 ..< len] equal `byte`.
size_t mle_count_byte(const unsigned char *buf, size_t len, unsigned char byte);

/// CROWN's relaxation of ReLU units, for every row of the rows × width matrix `a` of
/// coefficients on the units' outputs (row-major), in place: a coefficient c > 0 takes the upper
/// line, c·upper_slope, and subtracts c·upper_slope·upper_at from the row's constant; c < 0
/// takes the lower line, c·lower_slope. An inactive unit has both slopes 0, an active one both 1
/// and upper_at 0.
void mle_crown_relax(double *restrict a, size_t rows, size_t width, const double *restrict upper_slope,
                     const double *restrict lower_slope, const double *restrict upper_at,
                     double *restrict constant);

/// The same relaxation for a lower bound, each row with its own units' lines (the verifier's
/// domains differ): row r uses the width values at block[r]·width of each array. A coefficient
/// c ≥ 0 takes the lower line, c·low_slope; c < 0 the upper line, c·up_slope, adding
/// c·up_intercept to the row's constant.
void mle_crown_relax_lower(double *restrict a, size_t rows, size_t width, const long *restrict block,
                           const double *restrict low_slope, const double *restrict up_slope,
                           const double *restrict up_intercept, double *restrict constant);

/// out[r] = Σ_i a[r·cols + i]·b[r·b_stride + i] (b_stride 0: the same vector b for every row).
void mle_row_dots(const double *restrict a, const double *restrict b, size_t rows, size_t cols,
                  size_t b_stride, double *restrict out);

/// out[r] = Σ_i |a[r·cols + i]|.
void mle_row_abs_sums(const double *restrict a, size_t rows, size_t cols, double *restrict out);

/// C (m × n, row stride ldc) = op(A) · op(B), plus C when `beta` is 1, for small products
/// (row-major; op transposes when trans_a / trans_b; A is m × k or, transposed, k × m with row
/// stride lda; B likewise). Each element is one fmaf chain over k in index order, so the result
/// does not depend on the machine's vector width or how the product is tiled. Returns 0, with C
/// untouched, for the shapes it leaves to OpenBLAS (fewer than 8 columns with A not transposed;
/// otherwise a column count that is not a multiple of 8, or B transposed with more than 16384
/// values) or when scratch memory could not be allocated; else 1.
int mle_sgemm_small(int trans_a, int trans_b, size_t m, size_t n, size_t k, const float *a, size_t lda,
                    const float *b, size_t ldb, int beta, float *c, size_t ldc);

/// Adds to counts[j] the NaNs of column j of the rows × cols row-major matrix; returns the total
/// of counts afterwards. (Swift's loop with an isNaN branch per element did not vectorise: a
/// model's every prediction checks its input this way.)
size_t mle_count_nan(const float *restrict m, size_t rows, size_t cols, long *restrict counts);
#endif
