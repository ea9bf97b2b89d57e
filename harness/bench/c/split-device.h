/*
 * Device side of the split ring for the C twin: a line-by-line mirror of
 * reference-impl/virtqueue/split-device.ts and device-chain.ts (the paths
 * the benchmark configures: no indirect descriptors, no IN_ORDER). See
 * split-twin.c.
 */
#ifndef SPLIT_DEVICE_H
#define SPLIT_DEVICE_H

#include "ring-common.h"

/* Device error codes, the subset the checks can produce. */
enum {
  DEV_OK,
  DEV_AVAIL_IDX_JUMP,
  DEV_IN_FLIGHT_EXCEEDS_SIZE,
  DEV_HEAD_OUT_OF_RANGE,
  DEV_HEAD_IN_FLIGHT,
  DEV_CHAIN_LOOP,
  DEV_ZERO_LENGTH,
  DEV_ADDRESS_OUT_OF_RANGE,
  DEV_WRITABLE_BEFORE_READABLE,
  DEV_NEXT_OUT_OF_RANGE,
  DEV_INDIRECT_NOT_NEGOTIATED,
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

/* ---- SplitDeviceQueue (split-device.ts) ---- */

typedef struct {
  guest_memory *mem;
  uint16_t *u16;
  uint32_t *u32;
  uint32_t size, mask;
  int event_idx, indirect, in_order;
  uint32_t initial_index;
  uint32_t desc32, avail_flags16, avail_idx16, avail_ring16, used_event16;
  uint32_t used_flags16, used_idx16, used_ring32, avail_event16;
  uint32_t last_avail, cached_avail, used, used_flags, unsignalled;
  int failure;
  int64_t mem_size;
  uint8_t *head_held;
  /* Chains are recycled last-in first-out (the engine's `spare` array used as a stack). */
  device_chain **spare;
  uint32_t spare_count;
  device_chain **all;
  uint32_t all_count;
  uint32_t held;
  int32_t pop_seq, push_seq;
  uint32_t deferred_count;
} split_device;

static void device_init(split_device *q, guest_memory *mem, queue_layout layout, int event_idx) {
  uint32_t size = layout.size;
  memset(q, 0, sizeof *q);
  q->mem = mem;
  q->u16 = mem->u16;
  q->u32 = mem->u32;
  q->size = size;
  q->mask = size - 1;
  q->event_idx = event_idx;
  q->desc32 = layout.desc_addr >> 2;
  uint32_t a = layout.driver_addr >> 1;
  q->avail_flags16 = a;
  q->avail_idx16 = a + 1;
  q->avail_ring16 = a + 2;
  q->used_event16 = a + 2 + size;
  uint32_t u = layout.device_addr >> 1;
  q->used_flags16 = u;
  q->used_idx16 = u + 1;
  q->used_ring32 = (layout.device_addr >> 2) + 1;
  q->avail_event16 = u + 2 + 4 * size;
  q->mem_size = mem->size;
  q->head_held = calloc(size, 1);
  /* At most `size` chains are ever in flight, so the pool never needs more. */
  q->spare = calloc(size + 1, sizeof(device_chain *));
  q->all = calloc(size + 1, sizeof(device_chain *));
}

static void device_reset(split_device *q) {
  q->last_avail = q->cached_avail = q->used = q->initial_index;
  q->used_flags = 0;
  q->unsignalled = 0;
  q->failure = DEV_OK;
  for (uint32_t i = 0; i < q->all_count; i++) q->all[i]->held = 0;
  q->spare_count = 0;
  for (uint32_t i = 0; i < q->all_count; i++) q->spare[q->spare_count++] = q->all[i];
  memset(q->head_held, 0, q->size);
  q->held = 0;
  q->pop_seq = q->push_seq = 0;
  q->deferred_count = 0;
}

static int refill(split_device *q, uint32_t last) {
  uint32_t idx = q->u16[q->avail_idx16];
  if (((idx - last) & 0xffff) > q->size) {
    q->failure = DEV_AVAIL_IDX_JUMP;
    return 0;
  }
  q->cached_avail = idx;
  return idx != last;
}

static int bad_head(split_device *q, uint32_t head) {
  if (q->held >= q->size) return q->failure = DEV_IN_FLIGHT_EXCEEDS_SIZE;
  if (head >= q->size) return q->failure = DEV_HEAD_OUT_OF_RANGE;
  return q->failure = DEV_HEAD_IN_FLIGHT;
}

static device_chain *new_chain(split_device *q) {
  device_chain *chain = chain_new(q);
  q->all[q->all_count++] = chain;
  return chain;
}

/* A direct buffer descriptor with len 0 or outside guest memory. */
static int buffer_error(split_device *q, uint32_t i) {
  return q->u32[q->desc32 + (i << 2) + 2] == 0 ? DEV_ZERO_LENGTH : DEV_ADDRESS_OUT_OF_RANGE;
}

static int walk(split_device *q, device_chain *chain, uint32_t head) {
  const uint16_t *u16 = q->u16;
  const uint32_t *u32 = q->u32;
  uint32_t size = q->size;
  int64_t mem_size = q->mem_size;
  uint32_t *addrs = chain->addr;
  uint32_t *lens = chain->len;
  uint32_t i = head;
  uint32_t count = 0;
  uint32_t readable = 0;
  uint64_t readable_bytes = 0;
  uint64_t writable_bytes = 0;
  int64_t indirect_at = -1;
  for (;;) {
    if (count == size) return DEV_CHAIN_LOOP;
    uint32_t d = q->desc32 + (i << 2);
    uint32_t lo = u32[d];
    uint32_t len = u32[d + 2];
    uint32_t flags = u16[(d << 1) + 6];
    if ((flags & VIRTQ_DESC_F_INDIRECT) != 0) {
      indirect_at = i;
      break;
    }
    if (len == 0 || u32[d + 1] != 0 || (int64_t)lo > mem_size - len) return buffer_error(q, i);
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
    if ((flags & VIRTQ_DESC_F_NEXT) == 0) break;
    i = u16[(d << 1) + 7];
    if (i >= size) return DEV_NEXT_OUT_OF_RANGE;
  }
  chain_finish(chain, count, readable, readable_bytes, writable_bytes);
  if (indirect_at < 0) return DEV_OK;
  /* walkSplitIndirect: its first check; indirect tables are not negotiated in the benchmark. */
  if (!q->indirect) return DEV_INDIRECT_NOT_NEGOTIATED;
  abort();
}

/* Returns a validated chain, or NULL: empty ring (failure == DEV_OK) or a failed queue. */
NOINLINE static device_chain *device_pop(split_device *q) {
  if (q->failure != DEV_OK) return NULL;
  uint32_t last = q->last_avail;
  if (last == q->cached_avail && !refill(q, last)) return NULL;
  uint32_t head = q->u16[q->avail_ring16 + (last & q->mask)];
  if (head >= q->size || q->head_held[head] != 0 || q->held >= q->size) return (bad_head(q, head), NULL);
  device_chain *chain = q->spare_count > 0 ? q->spare[--q->spare_count] : new_chain(q);
  int err = walk(q, chain, head);
  if (err != DEV_OK) {
    q->spare[q->spare_count++] = chain;
    return (q->failure = err, NULL);
  }
  chain->id = (int32_t)head;
  chain->slot = (int32_t)last;
  chain->held = 1;
  chain->seq = q->pop_seq;
  q->head_held[head] = 1;
  q->held++;
  q->last_avail = (last + 1) & 0xffff;
  q->pop_seq = (int32_t)((uint32_t)q->pop_seq + 1);
  return chain;
}

static void release(split_device *q, device_chain *chain) {
  chain->held = 0;
  q->head_held[chain->id] = 0;
  q->held--;
  q->push_seq = (int32_t)((uint32_t)chain->seq + 1);
  q->spare[q->spare_count++] = chain;
}

/* Returns 0, or -1 where the engine throws (a chain not in flight on this queue). */
NOINLINE static int device_push(split_device *q, device_chain *chain, uint32_t len) {
  if (chain->queue != q || !chain->held) return -1;
  if (q->deferred_count > 0) abort(); /* IN_ORDER batching is not used in the benchmark */
  uint32_t e = q->used_ring32 + ((q->used & q->mask) << 1);
  q->u32[e] = (uint32_t)chain->id;
  q->u32[e + 1] = len;
  q->used = (q->used + 1) & 0xffff;
  q->u16[q->used_idx16] = (uint16_t)q->used;
  q->unsignalled++;
  release(q, chain);
  return 0;
}

static int device_has_available(split_device *q) {
  if (q->failure != DEV_OK) return 0;
  return q->last_avail != q->cached_avail || q->u16[q->avail_idx16] != q->last_avail;
}

NOINLINE static int device_enable_notifications(split_device *q) {
  if (q->event_idx) {
    q->u16[q->avail_event16] = (uint16_t)q->last_avail;
  } else if (q->used_flags != 0) {
    q->used_flags = 0;
    q->u16[q->used_flags16] = 0;
  }
  return device_has_available(q);
}

NOINLINE static int device_needs_notify(split_device *q) {
  uint32_t n = q->unsignalled;
  q->unsignalled = 0;
  if (n == 0) return 0;
  if (q->event_idx) {
    if (n > 0xffff) return 1;
    return vring_need_event(q->u16[q->used_event16], q->used, (q->used - n) & 0xffff);
  }
  return (q->u16[q->avail_flags16] & VIRTQ_AVAIL_F_NO_INTERRUPT) == 0;
}

#endif
