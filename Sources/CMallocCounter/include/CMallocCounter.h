// Counts heap allocations, for the benchmark only: this target defines malloc and friends, which
// glibc supports replacing, and forwards to glibc's own implementation.
#ifndef CMALLOC_COUNTER_H
#define CMALLOC_COUNTER_H
#include <stdint.h>
uint64_t cmalloc_count(void);
#endif
