// Whether a byte string may occur in a range of JSON text: for a reader that skips decoding what
// cannot hold the key it looks for. The needle's first and last bytes are compared at 64
// positions at once (AVX2 where the CPU has it, else SSE2, x86-64's baseline), the rest only
// where both match (Wojciech Muła's SIMD-friendly substring search); a backslash anywhere also
// says "maybe", since an escaped key can spell the needle in other bytes. One test per 64 bytes
// keeps the common case (nothing there) near half an instruction a byte.
#include <string.h>
#include "CScan.h"
#if defined(__SSE2__)
#include <immintrin.h>
#endif

// Position i, one at a time: a backslash, or the needle.
static inline int scan_at(const uint8_t *b, int64_t i, int64_t n, const uint8_t *needle, int64_t m) {
    return b[i] == '\\' || (i + m <= n && b[i] == needle[0] && memcmp(b + i, needle, (size_t)m) == 0);
}

// Positions from..<to one at a time, and the last bytes no vector step looked at for backslashes.
static int scan_rest(const uint8_t *b, int64_t from, int64_t n, const uint8_t *needle, int64_t m) {
    for (int64_t i = from; i < n; i++) {
        if (i + m > n) return memchr(b + i, '\\', (size_t)(n - i)) != NULL;
        if (scan_at(b, i, n, needle, m)) return 1;
    }
    return 0;
}

#if defined(__SSE2__)
// Candidates flagged in mask (bit k: position base + k): a backslash, or the needle's whole text.
static inline int scan_bits(const uint8_t *b, int64_t base, uint32_t mask, const uint8_t *needle, int64_t m) {
    for (; mask; mask &= mask - 1) {
        const int64_t j = base + __builtin_ctz(mask);
        if (b[j] == '\\' || memcmp(b + j, needle, (size_t)m) == 0) return 1;
    }
    return 0;
}

// 64 positions from i (i + m - 1 + 64 <= n), and the backslashes among the 64 bytes at i + m - 1.
__attribute__((target("avx2")))
static inline int scan_step_avx2(const uint8_t *b, int64_t i, const uint8_t *needle, int64_t m,
                                 __m256i first, __m256i last, __m256i backslash) {
    const __m256i a0 = _mm256_loadu_si256((const __m256i *)(b + i)), a1 = _mm256_loadu_si256((const __m256i *)(b + i + 32));
    const __m256i e0 = _mm256_loadu_si256((const __m256i *)(b + i + m - 1)), e1 = _mm256_loadu_si256((const __m256i *)(b + i + 32 + m - 1));
    const __m256i c0 = _mm256_or_si256(_mm256_cmpeq_epi8(a0, backslash), _mm256_and_si256(_mm256_cmpeq_epi8(a0, first), _mm256_cmpeq_epi8(e0, last)));
    const __m256i c1 = _mm256_or_si256(_mm256_cmpeq_epi8(a1, backslash), _mm256_and_si256(_mm256_cmpeq_epi8(a1, first), _mm256_cmpeq_epi8(e1, last)));
    const __m256i any = _mm256_or_si256(_mm256_or_si256(c0, c1), _mm256_cmpeq_epi8(e1, backslash));
    if (_mm256_testz_si256(any, any)) return 0;
    if (!_mm256_testz_si256(_mm256_cmpeq_epi8(e1, backslash), _mm256_cmpeq_epi8(e1, backslash))) return 1;
    return scan_bits(b, i, (uint32_t)_mm256_movemask_epi8(c0), needle, m) || scan_bits(b, i + 32, (uint32_t)_mm256_movemask_epi8(c1), needle, m);
}

__attribute__((target("avx2")))
static int scan_may_contain_avx2(const uint8_t *b, int64_t n, const uint8_t *needle, int64_t m) {
    if (n < m - 1 + 64) return scan_rest(b, 0, n, needle, m);
    const __m256i first = _mm256_set1_epi8((char)needle[0]), last = _mm256_set1_epi8((char)needle[m - 1]);
    const __m256i backslash = _mm256_set1_epi8('\\');
    int64_t i = 0;
    for (; i + m - 1 + 64 <= n; i += 64) {
        if (scan_step_avx2(b, i, needle, m, first, last, backslash)) return 1;
    }
    // The last step again, ending at n: overlapping positions are read twice, which changes nothing.
    return scan_step_avx2(b, n - (m - 1) - 64, needle, m, first, last, backslash);
}

static int scan_may_contain_sse2(const uint8_t *b, int64_t n, const uint8_t *needle, int64_t m) {
    const __m128i first = _mm_set1_epi8((char)needle[0]), last = _mm_set1_epi8((char)needle[m - 1]);
    const __m128i backslash = _mm_set1_epi8('\\');
    int64_t i = 0;
    for (; i + m - 1 + 64 <= n; i += 64) {
        __m128i any = _mm_setzero_si128();
        for (int k = 0; k < 64; k += 16) {
            const __m128i at = _mm_loadu_si128((const __m128i *)(b + i + k));
            const __m128i end = _mm_loadu_si128((const __m128i *)(b + i + k + m - 1));
            any = _mm_or_si128(any, _mm_or_si128(_mm_cmpeq_epi8(at, backslash),
                                                 _mm_and_si128(_mm_cmpeq_epi8(at, first), _mm_cmpeq_epi8(end, last))));
        }
        if (_mm_movemask_epi8(any) == 0) continue;
        for (int64_t j = i; j < i + 64; j++) if (scan_at(b, j, n, needle, m)) return 1;
    }
    return scan_rest(b, i, n, needle, m);
}
#endif

int scan_may_contain(const uint8_t *b, int64_t n, const uint8_t *needle, int64_t m, int avx2) {
    if (m <= 0) return 1;
#if defined(__SSE2__)
    return avx2 ? scan_may_contain_avx2(b, n, needle, m) : scan_may_contain_sse2(b, n, needle, m);
#else
    return scan_rest(b, 0, n, needle, m);
#endif
}
