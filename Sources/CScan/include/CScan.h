// Byte classes of 64 bytes at once, as bit masks (bit i = byte i), for the JSON structural index
// in Admission/JSONParser.swift, which does all the JSON logic. SSE2's byte compares and movemask
// are compiler builtins Swift cannot call, so they are wrapped here; other CPUs take the plain loop.
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

#endif
