/*
 * Packed-ring constants and helpers shared by the packed C twin's driver and
 * device (specs/virtqueue/packed.ts and notification.ts). See packed-twin.c.
 */
#ifndef PACKED_COMMON_H
#define PACKED_COMMON_H

#include "ring-common.h"

#define VIRTQ_DESC_F_AVAIL 0x80u
#define VIRTQ_DESC_F_USED 0x8000u
#define RING_EVENT_FLAGS_ENABLE 0x0u
#define RING_EVENT_FLAGS_DISABLE 0x1u
#define RING_EVENT_FLAGS_DESC 0x2u
#define RING_EVENT_FLAGS_MASK 0x3u
#define PVIRTQ_EVENT_SUPPRESS_SIZE 4u

/* packEventOffWrap */
static inline uint32_t pack_event_off_wrap(uint32_t off, uint32_t wrap) {
  return (off & 0x7fff) | ((wrap & 1) << 15);
}

/* isPackedDescUsed: AVAIL == USED == the reader's wrap counter. */
static inline int is_packed_desc_used(uint32_t flags, uint32_t wrap) {
  uint32_t avail = (flags >> 7) & 1;
  return avail == ((flags >> 15) & 1) && avail == wrap;
}

/* vring_packed_need_event: an event offset from the other lap moves back by num (mod 2^16 arithmetic, as in TS). */
static inline int vring_packed_need_event(uint32_t off_wrap, uint32_t wrap, uint32_t num, uint32_t new_idx, uint32_t old_idx) {
  uint32_t event = off_wrap & 0x7fff;
  if (((off_wrap >> 15) & 1) != wrap) event -= num;
  return vring_need_event(event, new_idx, old_idx);
}

#endif
