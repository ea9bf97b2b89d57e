/*
 * Shared by the C twins of the ring benchmarks (harness/bench/c/): build
 * switches, ring flag constants, the event-index test and guest memory.
 * See split-twin.c.
 */
#ifndef RING_COMMON_H
#define RING_COMMON_H

#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef ALLOW_INLINE
#define NOINLINE
#else
#define NOINLINE __attribute__((noinline))
#endif

#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

/* vring_need_event (specs/virtqueue/notification.ts). */
static inline int vring_need_event(uint32_t event, uint32_t new_idx, uint32_t old_idx) {
  return ((new_idx - event - 1) & 0xffff) < ((new_idx - old_idx) & 0xffff);
}

/* ---- guest memory (guest-memory.ts): one buffer, u16 and u32 views ---- */

typedef struct {
  uint32_t size;
  uint8_t *u8;
  uint16_t *u16;
  uint32_t *u32;
} guest_memory;

static void memory_init(guest_memory *m, uint32_t size) {
  m->size = size;
  m->u8 = aligned_alloc(64, size);
  if (m->u8 == NULL) exit(3);
  memset(m->u8, 0, size);
  m->u16 = (uint16_t *)(void *)m->u8;
  m->u32 = (uint32_t *)(void *)m->u8;
}

/* Where a queue lives in guest memory (queue-config.ts VirtqueueLayout), as byte addresses. */
typedef struct {
  uint32_t size, desc_addr, driver_addr, device_addr;
} queue_layout;

#endif
