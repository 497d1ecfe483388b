// The JSON structural index of Admission/JSONParser.swift: byte classes of 64 bytes at once, as
// bit masks (bit i = byte i), then the brackets outside strings matched on a stack. SSE2's and
// AVX2's byte compares and movemask are compiler builtins Swift cannot call, so they are here;
// other CPUs take the plain loop. Error messages and decoding are Swift's.
#ifndef CSCAN_H
#define CSCAN_H
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct {
    uint64_t quote;      // "
    uint64_t backslash;  // backslash
    uint64_t open;       // { or [
    uint64_t close;      // } or ]
    uint64_t control;    // below 0x20
} scan_masks;

static inline scan_masks scan_classify64(const uint8_t *p) {
    scan_masks m = {0, 0, 0, 0, 0};
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
    const __m128i fold = _mm_set1_epi8(0x20), highestControl = _mm_set1_epi8(0x1F);
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
        __m128i folded = _mm_or_si128(v, fold);  // '[' | 0x20 == '{' and ']' | 0x20 == '}'; no other byte
        int shift = 16 * i;
        m.quote |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << shift;
        m.backslash |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, backslash)) << shift;
        m.open |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(folded, open)) << shift;
        m.close |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(folded, close)) << shift;
        m.control |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, highestControl), v)) << shift;
    }
#else
    for (int i = 0; i < 64; i++) {
        uint8_t c = p[i];
        uint64_t bit = (uint64_t)1 << i;
        if (c == '"') m.quote |= bit;
        if (c == '\\') m.backslash |= bit;
        if (c == '{' || c == '[') m.open |= bit;
        if (c == '}' || c == ']') m.close |= bit;
        if (c < 0x20) m.control |= bit;
    }
#endif
    return m;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

// The same masks with AVX2: 32 bytes per compare, half the instructions. Compiled for AVX2 on
// its own (the rest of the build targets baseline x86-64) and called only when
// scan_cpu_has_avx2() says the CPU and the OS support it.
__attribute__((target("avx2")))
static inline scan_masks scan_classify64_avx2(const uint8_t *p) {
    const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\');
    const __m256i open = _mm256_set1_epi8('{'), close = _mm256_set1_epi8('}');
    const __m256i fold = _mm256_set1_epi8(0x20), highestControl = _mm256_set1_epi8(0x1F);
    __m256i lo = _mm256_loadu_si256((const __m256i *)p), hi = _mm256_loadu_si256((const __m256i *)(p + 32));
    __m256i foldedLo = _mm256_or_si256(lo, fold), foldedHi = _mm256_or_si256(hi, fold);
#define SCAN_MASK(a, b) ((uint64_t)(uint32_t)_mm256_movemask_epi8(a) | (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32)
    scan_masks m;
    m.quote = SCAN_MASK(_mm256_cmpeq_epi8(lo, quote), _mm256_cmpeq_epi8(hi, quote));
    m.backslash = SCAN_MASK(_mm256_cmpeq_epi8(lo, backslash), _mm256_cmpeq_epi8(hi, backslash));
    m.open = SCAN_MASK(_mm256_cmpeq_epi8(foldedLo, open), _mm256_cmpeq_epi8(foldedHi, open));
    m.close = SCAN_MASK(_mm256_cmpeq_epi8(foldedLo, close), _mm256_cmpeq_epi8(foldedHi, close));
    m.control = SCAN_MASK(_mm256_cmpeq_epi8(_mm256_min_epu8(lo, highestControl), lo),
                          _mm256_cmpeq_epi8(_mm256_min_epu8(hi, highestControl), hi));
#undef SCAN_MASK
    return m;
}

// 1 when the CPU has AVX2 and the OS saves the YMM registers on a context switch.
static inline int scan_cpu_has_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;  // XMM and YMM state
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & bit_AVX2) != 0;
}
#else
static inline scan_masks scan_classify64_avx2(const uint8_t *p) { return scan_classify64(p); }
static inline int scan_cpu_has_avx2(void) { return 0; }
#endif

// What one block holds for the index, after its strings are known.
typedef struct {
    uint64_t open;           // { and [ outside strings
    uint64_t close;          // } and ] outside strings
    uint64_t string_starts;  // opening quotes
    uint64_t bad_control;    // control bytes inside strings (not JSON, even escaped)
} scan_block;

// Carried from one block to the next.
typedef struct {
    uint64_t escaped;    // 1 when the next block's first byte is escaped
    uint64_t in_string;  // all ones when the next block starts inside a string
} scan_carry;

// Deepest nesting the index accepts.
#define SCAN_MAX_DEPTH 256

typedef enum {
    scan_ok = 0,
    scan_too_deep,          // an opening bracket past SCAN_MAX_DEPTH
    scan_unbalanced,        // a closing bracket with nothing open
    scan_mismatched,        // `]` closing `{` or `}` closing `[`
    scan_control,           // a control byte inside a string
    scan_unterminated,      // input ends inside a string (offset: the last opening quote)
    scan_unexpected_end,    // input ends with a bracket open (offset: the innermost one)
} scan_status;

typedef struct {
    scan_status status;
    int64_t offset;  // where the error is; unused when ok
} scan_result;

// The whole index of n bytes: for each `{` or `[` at i, ends[i] = the index just past its match
// (other slots untouched; ends has room for n). Stops at the first error, in input order.
scan_result scan_index_sse2(const uint8_t *b, int64_t n, int32_t *ends);
scan_result scan_index_avx2(const uint8_t *b, int64_t n, int32_t *ends);

#endif
