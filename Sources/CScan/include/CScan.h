// The JSON structural index of JSON/JSONDocument.swift, in C because SSE2's and AVX2's byte
// compares and movemask are compiler builtins Swift cannot call (other CPUs take a plain loop).
// CScan.c classifies 64 bytes at once as bit masks, finds the strings, and matches the brackets
// outside them; error messages and decoding are Swift's.
#ifndef CSCAN_H
#define CSCAN_H
#include <stdint.h>

// 1 when the CPU has AVX2 and the OS saves the YMM registers on a context switch.
int scan_cpu_has_avx2(void);

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

// 1 when the m bytes of needle occur in the n bytes of b, or a backslash does; else 0. avx2: as
// scan_cpu_has_avx2() said.
int scan_may_contain(const uint8_t *b, int64_t n, const uint8_t *needle, int64_t m, int avx2);

#endif
