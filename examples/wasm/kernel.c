/* The benchmark kernel declared in kernel.h. It is plain C that also
 * compiles as C++, uses no library function, and has no mutable static
 * state, so the same file builds natively into the benchmark and into the
 * freestanding WASM agent (kernel_agent.c) without a libc. */
#include "kernel.h"

/* A linear congruential generator modulo 2^32, which uint32_t wrap-around
 * provides. Its period is the full 2^32 because the increment is odd and
 * the multiplier minus 1 is a multiple of 4 (Hull-Dobell theorem). */
static uint32_t next_random(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  /* The low bits of an LCG modulo a power of two have short periods.
   * Folding the high half into them hides that. */
  return *state ^ (*state >> 16);
}

/* Restores the max-heap property of values[0, count) below root. */
static void sift_down(uint32_t *values, uint32_t root, uint32_t count) {
  for (;;) {
    uint32_t child = 2 * root + 1;
    if (child >= count)
      return;
    if (child + 1 < count && values[child] < values[child + 1])
      ++child;
    if (values[root] >= values[child])
      return;
    uint32_t swap = values[root];
    values[root] = values[child];
    values[child] = swap;
    root = child;
  }
}

/* Heap sort needs neither recursion nor extra memory, so the WASM stack
 * stays small and every target performs the same steps. */
static void heap_sort(uint32_t *values, uint32_t count) {
  for (uint32_t root = count / 2; root-- > 0;)
    sift_down(values, root, count);
  for (uint32_t end = count; end-- > 1;) {
    uint32_t swap = values[0];
    values[0] = values[end];
    values[end] = swap;
    sift_down(values, 0, end);
  }
}

uint32_t corral_kernel(uint32_t rounds) {
  uint32_t values[CORRAL_KERNEL_VALUES];
  /* 2166136261 and 16777619 are the 32-bit FNV offset basis and prime. */
  uint32_t checksum = 2166136261u;

  for (uint32_t round = 0; round < rounds; ++round) {
    /* Seeding from the checksum chains the rounds, so no compiler can drop
     * or merge rounds whose results would otherwise be unused. */
    uint32_t state = checksum ^ round;
    for (uint32_t i = 0; i < CORRAL_KERNEL_VALUES; ++i)
      values[i] = next_random(&state);

    heap_sort(values, CORRAL_KERNEL_VALUES);

    for (uint32_t i = 0; i < CORRAL_KERNEL_VALUES; ++i)
      checksum = (checksum ^ values[i]) * 16777619u;
  }
  return checksum;
}
