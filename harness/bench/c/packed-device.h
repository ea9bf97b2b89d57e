/*
 * Device side of the packed ring for the C twin: a line-by-line mirror of
 * reference-impl/virtqueue/packed-device.ts and device-chain.ts (the paths
 * the benchmark configures: no indirect descriptors, no IN_ORDER). See
 * packed-twin.c.
 */
#ifndef PACKED_DEVICE_H
#define PACKED_DEVICE_H

#include "packed-common.h"

/* Device error codes, the subset the checks can produce. */
enum {
  DEV_OK,
  DEV_IN_FLIGHT_EXCEEDS_SIZE,
  DEV_BUFFER_ID_IN_FLIGHT,
  DEV_CHAIN_TOO_LONG,
  DEV_DESC_NOT_AVAILABLE,
  DEV_INDIRECT_IN_CHAIN,
  DEV_ZERO_LENGTH,
  DEV_ADDRESS_OUT_OF_RANGE,
  DEV_WRITABLE_BEFORE_READABLE,
};

/* ---- DeviceChain (device-chain.ts) ---- */

typedef struct {
  int32_t id, slot, ring_descs;
  int indirect;
  uint32_t count, readable_count;
  uint64_t readable_bytes, writable_bytes;
  uint32_t *addr, *len;
  uint32_t capacity;
  const void *queue;
  int held;
  int32_t seq;
} device_chain;

static device_chain *chain_new(const void *queue) {
  device_chain *c = calloc(1, sizeof *c);
  if (c == NULL) exit(3);
  c->queue = queue;
  c->capacity = 4;
  c->addr = calloc(4, sizeof(uint32_t));
  c->len = calloc(4, sizeof(uint32_t));
  return c;
}

static void chain_grow(device_chain *c) {
  uint32_t n = c->capacity * 2;
  uint32_t *addr = calloc(n, sizeof(uint32_t));
  uint32_t *len = calloc(n, sizeof(uint32_t));
  memcpy(addr, c->addr, c->capacity * sizeof(uint32_t));
  memcpy(len, c->len, c->capacity * sizeof(uint32_t));
  free(c->addr);
  free(c->len);
  c->addr = addr;
  c->len = len;
  c->capacity = n;
}

static inline void chain_finish(device_chain *c, uint32_t count, uint32_t readable, uint64_t readable_bytes, uint64_t writable_bytes) {
  c->count = count;
  c->readable_count = readable;
  c->readable_bytes = readable_bytes;
  c->writable_bytes = writable_bytes;
  c->ring_descs = (int32_t)count;
  c->indirect = 0;
}

/* ---- PackedDeviceQueue (packed-device.ts) ---- */

typedef struct {
  guest_memory *mem;
  uint16_t *u16;
  uint32_t *u32;
  uint32_t size;
  int event_idx, indirect, in_order;
  uint32_t initial_index;
  uint32_t desc32, drv_off_wrap16, drv_flags16, dev_off_wrap16, dev_flags16;
  uint32_t avail_pos, avail_wrap, used_pos, used_wrap, unsignalled;
  int failure;
  int64_t mem_size;
  uint8_t *id_held; /* 0x10000 entries, as the engine's */
  /* Chains are recycled last-in first-out (the engine's `spare` array used as a stack). */
  device_chain **spare;
  uint32_t spare_count;
  device_chain **all;
  uint32_t all_count;
  uint32_t held;
  int32_t pop_seq, push_seq;
  uint32_t deferred_count;
} packed_device;

static void device_reset(packed_device *q) {
  q->avail_pos = q->used_pos = q->initial_index & 0x7fff;
  q->avail_wrap = q->used_wrap = q->initial_index >> 15;
  q->unsignalled = 0;
  q->failure = DEV_OK;
  for (uint32_t i = 0; i < q->all_count; i++) q->all[i]->held = 0;
  q->spare_count = 0;
  for (uint32_t i = 0; i < q->all_count; i++) q->spare[q->spare_count++] = q->all[i];
  memset(q->id_held, 0, 0x10000);
  q->held = 0;
  q->pop_seq = q->push_seq = 0;
  q->deferred_count = 0;
}

static void device_init(packed_device *q, guest_memory *mem, queue_layout layout, int event_idx) {
  uint32_t size = layout.size;
  memset(q, 0, sizeof *q);
  q->mem = mem;
  q->u16 = mem->u16;
  q->u32 = mem->u32;
  q->size = size;
  q->event_idx = event_idx;
  q->initial_index = 0x8000;
  q->desc32 = layout.desc_addr >> 2;
  q->drv_off_wrap16 = layout.driver_addr >> 1;
  q->drv_flags16 = (layout.driver_addr >> 1) + 1;
  q->dev_off_wrap16 = layout.device_addr >> 1;
  q->dev_flags16 = (layout.device_addr >> 1) + 1;
  q->mem_size = mem->size;
  q->id_held = calloc(0x10000, 1);
  /* At most `size` chains are ever in flight, so the pool never needs more. */
  q->spare = calloc(size + 1, sizeof(device_chain *));
  q->all = calloc(size + 1, sizeof(device_chain *));
  device_reset(q);
}

/* AVAIL = w and USED = !w: available to a reader with wrap counter w. */
static inline int is_avail(uint32_t flags, uint32_t w) {
  return ((flags >> 7) & 1) == w && flags >> 15 != w;
}

static device_chain *new_chain(packed_device *q) {
  device_chain *chain = chain_new(q);
  q->all[q->all_count++] = chain;
  return chain;
}

static int walk(packed_device *q, device_chain *chain, uint32_t slot) {
  const uint16_t *u16 = q->u16;
  const uint32_t *u32 = q->u32;
  uint32_t size = q->size;
  int64_t mem_size = q->mem_size;
  uint32_t *addrs = chain->addr;
  uint32_t *lens = chain->len;
  uint32_t i = slot;
  uint32_t w = q->avail_wrap;
  uint32_t count = 0;
  uint32_t readable = 0;
  uint64_t readable_bytes = 0;
  uint64_t writable_bytes = 0;
  for (;;) {
    if (count == size) return DEV_CHAIN_TOO_LONG;
    uint32_t d = q->desc32 + (i << 2);
    uint32_t flags = u16[(d << 1) + 7];
    if (count > 0 && !is_avail(flags, w)) return DEV_DESC_NOT_AVAILABLE;
    uint32_t lo = u32[d];
    uint32_t hi = u32[d + 1];
    uint32_t len = u32[d + 2];
    if ((flags & VIRTQ_DESC_F_INDIRECT) != 0) {
      if (count > 0) return DEV_INDIRECT_IN_CHAIN;
      abort(); /* walkPackedIndirect: indirect tables are not used in the benchmark */
    }
    if (len == 0) return DEV_ZERO_LENGTH;
    if (hi != 0 || (int64_t)lo > mem_size - len) return DEV_ADDRESS_OUT_OF_RANGE;
    if ((flags & VIRTQ_DESC_F_WRITE) != 0)
      writable_bytes += len;
    else if (readable != count)
      return DEV_WRITABLE_BEFORE_READABLE;
    else {
      readable = count + 1;
      readable_bytes += len;
    }
    if (count == chain->capacity) {
      chain_grow(chain);
      addrs = chain->addr;
      lens = chain->len;
    }
    addrs[count] = lo;
    lens[count] = len;
    count++;
    if ((flags & VIRTQ_DESC_F_NEXT) == 0) {
      chain_finish(chain, count, readable, readable_bytes, writable_bytes);
      chain->id = u16[(d << 1) + 6];
      return DEV_OK;
    }
    i++;
    if (i == size) {
      i = 0;
      w ^= 1;
    }
  }
}

/* Returns a validated chain, or NULL: next slot not available (failure == DEV_OK) or a failed queue. */
NOINLINE static device_chain *device_pop(packed_device *q) {
  if (q->failure != DEV_OK) return NULL;
  uint32_t slot = q->avail_pos;
  if (!is_avail(q->u16[((q->desc32 + (slot << 2)) << 1) + 7], q->avail_wrap)) return NULL;
  if (q->held >= q->size) return (q->failure = DEV_IN_FLIGHT_EXCEEDS_SIZE, NULL);
  device_chain *chain = q->spare_count > 0 ? q->spare[--q->spare_count] : new_chain(q);
  int err = walk(q, chain, slot);
  if (err != DEV_OK) {
    q->spare[q->spare_count++] = chain;
    return (q->failure = err, NULL);
  }
  uint32_t id = (uint32_t)chain->id;
  if (q->id_held[id] != 0) {
    q->spare[q->spare_count++] = chain;
    return (q->failure = DEV_BUFFER_ID_IN_FLIGHT, NULL);
  }
  q->id_held[id] = 1;
  chain->slot = (int32_t)slot;
  chain->held = 1;
  chain->seq = q->pop_seq;
  q->held++;
  uint32_t pos = slot + (uint32_t)chain->ring_descs;
  if (pos >= q->size) {
    pos -= q->size;
    q->avail_wrap ^= 1;
  }
  q->avail_pos = pos;
  q->pop_seq = (int32_t)((uint32_t)q->pop_seq + 1);
  return chain;
}

static inline void write_used(packed_device *q, uint32_t pos, uint32_t wrap, uint32_t id, uint32_t len, int write) {
  uint32_t d = q->desc32 + (pos << 2);
  q->u32[d + 2] = len;
  q->u16[(d << 1) + 6] = (uint16_t)id;
  q->u16[(d << 1) + 7] = (uint16_t)((wrap != 0 ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0) | (write ? VIRTQ_DESC_F_WRITE : 0));
}

static inline void advance_used(packed_device *q, uint32_t slots) {
  uint32_t pos = q->used_pos + slots;
  if (pos >= q->size) {
    pos -= q->size;
    q->used_wrap ^= 1;
  }
  q->used_pos = pos;
  q->unsignalled += slots;
}

static inline void release(packed_device *q, device_chain *chain) {
  chain->held = 0;
  q->id_held[chain->id] = 0;
  q->held--;
  q->push_seq = (int32_t)((uint32_t)chain->seq + 1);
  q->spare[q->spare_count++] = chain;
}

/* Returns 0, or -1 where the engine throws (a chain not in flight on this queue). */
NOINLINE static int device_push(packed_device *q, device_chain *chain, uint32_t len) {
  if (chain->queue != q || !chain->held) return -1;
  if (q->deferred_count > 0) abort(); /* IN_ORDER batching is not used in the benchmark */
  write_used(q, q->used_pos, q->used_wrap, (uint32_t)chain->id, len, chain->count > chain->readable_count);
  advance_used(q, (uint32_t)chain->ring_descs);
  release(q, chain);
  return 0;
}

static int device_has_available(packed_device *q) {
  if (q->failure != DEV_OK) return 0;
  return is_avail(q->u16[((q->desc32 + (q->avail_pos << 2)) << 1) + 7], q->avail_wrap);
}

NOINLINE static int device_enable_notifications(packed_device *q) {
  if (q->event_idx) {
    q->u16[q->dev_off_wrap16] = (uint16_t)pack_event_off_wrap(q->avail_pos, q->avail_wrap);
    q->u16[q->dev_flags16] = RING_EVENT_FLAGS_DESC;
  } else {
    q->u16[q->dev_flags16] = RING_EVENT_FLAGS_ENABLE;
  }
  return device_has_available(q);
}

NOINLINE static int device_needs_notify(packed_device *q) {
  uint32_t n = q->unsignalled;
  q->unsignalled = 0;
  if (n == 0) return 0;
  uint32_t flags = q->u16[q->drv_flags16] & RING_EVENT_FLAGS_MASK;
  if (!q->event_idx || flags != RING_EVENT_FLAGS_DESC) return flags != RING_EVENT_FLAGS_DISABLE;
  if (n >= q->size) return 1;
  uint32_t pos = q->used_pos;
  return vring_packed_need_event(q->u16[q->drv_off_wrap16], q->used_wrap, q->size, pos, pos - n);
}

#endif
