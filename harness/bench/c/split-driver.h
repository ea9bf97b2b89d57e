/*
 * Driver side of the split ring for the C twin: a line-by-line mirror of
 * reference-impl/virtqueue/segment-stage.ts and split-driver.ts (the paths
 * the benchmark configures: no indirect pool, no IN_ORDER). See split-twin.c.
 */
#ifndef SPLIT_DRIVER_H
#define SPLIT_DRIVER_H

#include "ring-common.h"

/* A JS `undefined` token: the benchmark's tokens are >= 0. */
#define TOKEN_NONE (-1)

/* Results of an add (driver-result.ts). */
enum { ADD_ADDED, ADD_NO_SPACE, ADD_NO_SPACE_NOTIFY, ADD_BROKEN, ADD_THROWS };

/* ---- segment stage (segment-stage.ts) ---- */

typedef struct {
  double *out_addr;
  uint32_t *out_len;
  double *in_addr;
  uint32_t *in_len;
  uint32_t out_count, in_count, capacity;
} segment_stage;

NOINLINE static int stage_out(segment_stage *s, double addr, uint32_t len) {
  if (s->out_count + s->in_count >= s->capacity) return -1; /* TS throws RangeError */
  s->out_addr[s->out_count] = addr;
  s->out_len[s->out_count] = len;
  s->out_count++;
  return 0;
}

static void stage_clear(segment_stage *s) {
  s->out_count = 0;
  s->in_count = 0;
}

/* ---- driver side (split-driver.ts) ---- */

typedef struct {
  int32_t token;
  uint32_t len;
} used_slot;

typedef struct {
  guest_memory *mem;
  queue_layout layout;
  uint16_t *u16;
  uint32_t *u32;
  uint32_t size, mask;
  int event_idx, in_order;
  uint32_t indirect_max;
  uint32_t desc32, avail_flags16, avail_idx16, avail_ring16, used_event16;
  uint32_t used_flags16, used_idx16, used_ring32, avail_event16;
  uint16_t *desc_next;
  int32_t *tokens;
  uint16_t *chain_descs, *chain_last;
  double *writable;
  uint8_t *completed;
  uint16_t *head_at, *seq_of;
  uint32_t free_head, free_count, avail_shadow, num_added, last_used, avail_flags_shadow;
  int event_triggered, broken, slow;
  int32_t head;
  used_slot result;
  segment_stage stage;
} split_driver;

static void driver_reset(split_driver *q) {
  memset(q->mem->u8 + q->layout.desc_addr, 0, 16 * q->size);
  memset(q->mem->u8 + q->layout.driver_addr, 0, 6 + 2 * q->size);
  memset(q->mem->u8 + q->layout.device_addr, 0, 6 + 8 * q->size);
  for (uint32_t i = 0; i < q->size; i++) q->desc_next[i] = (i + 1) & q->mask;
  for (uint32_t i = 0; i < q->size; i++) q->tokens[i] = TOKEN_NONE;
  memset(q->completed, 0, q->size);
  q->free_head = 0;
  q->free_count = q->size;
  q->avail_shadow = q->last_used = 0;
  q->u16[q->avail_idx16] = 0;
  q->u16[q->used_idx16] = 0;
  q->num_added = 0;
  q->event_triggered = 0;
  q->broken = 0;
  q->slow = q->in_order;
  q->head = -1;
  q->avail_flags_shadow = 0;
  stage_clear(&q->stage);
}

static void driver_init(split_driver *q, guest_memory *mem, queue_layout layout, int event_idx) {
  uint32_t size = layout.size;
  memset(q, 0, sizeof *q);
  q->mem = mem;
  q->u16 = mem->u16;
  q->u32 = mem->u32;
  q->size = size;
  q->mask = size - 1;
  q->event_idx = event_idx;
  q->in_order = 0;
  q->indirect_max = 0; /* no indirect pool: never indirect */
  q->layout = layout;
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
  q->desc_next = calloc(size, sizeof(uint16_t));
  q->tokens = calloc(size, sizeof(int32_t));
  q->chain_descs = calloc(size, sizeof(uint16_t));
  q->chain_last = calloc(size, sizeof(uint16_t));
  q->writable = calloc(size, sizeof(double));
  q->completed = calloc(size, 1);
  q->head_at = calloc(size, sizeof(uint16_t));
  q->seq_of = calloc(size, sizeof(uint16_t));
  q->stage.capacity = size;
  q->stage.out_addr = calloc(size, sizeof(double));
  q->stage.out_len = calloc(size, sizeof(uint32_t));
  q->stage.in_addr = calloc(size, sizeof(double));
  q->stage.in_len = calloc(size, sizeof(uint32_t));
  driver_reset(q);
}

static inline void write_desc(split_driver *q, uint32_t d, double addr, uint32_t len, uint32_t flags, uint32_t next) {
  uint32_t lo = (uint32_t)(int64_t)addr;
  q->u32[d] = lo;
  q->u32[d + 1] = addr < 4294967296.0 ? 0 : (uint32_t)((addr - lo) / 4294967296.0);
  q->u32[d + 2] = len;
  q->u16[(d << 1) + 6] = (uint16_t)flags;
  q->u16[(d << 1) + 7] = (uint16_t)next;
}

static inline void publish(split_driver *q, uint32_t head, int32_t token, uint32_t descs, uint32_t last, double writable) {
  q->tokens[head] = token;
  q->chain_descs[head] = (uint16_t)descs;
  q->chain_last[head] = (uint16_t)last;
  q->writable[head] = writable;
  uint32_t pos = q->avail_shadow;
  if (q->in_order) {
    q->head_at[pos & q->mask] = (uint16_t)head;
    q->seq_of[head] = (uint16_t)pos;
  }
  q->u16[q->avail_ring16 + (pos & q->mask)] = (uint16_t)head;
  q->avail_shadow = (pos + 1) & 0xffff;
  q->u16[q->avail_idx16] = (uint16_t)q->avail_shadow;
  q->num_added++;
  q->head = (int32_t)head;
}

static int refuse(split_driver *q, int writable, int32_t token) {
  if (token == TOKEN_NONE) return ADD_THROWS;
  if (q->broken) return ADD_BROKEN;
  return writable ? ADD_NO_SPACE : ADD_NO_SPACE_NOTIFY;
}

NOINLINE static int driver_add_buffer(split_driver *q, double addr, uint32_t len, int writable, int32_t token) {
  if (q->free_count == 0 || q->broken || token == TOKEN_NONE) return refuse(q, writable, token);
  uint32_t head = q->free_head;
  uint32_t next = q->desc_next[head];
  write_desc(q, q->desc32 + (head << 2), addr, len, writable ? VIRTQ_DESC_F_WRITE : 0, next);
  q->completed[head] = 0;
  q->free_head = next;
  q->free_count--;
  publish(q, head, token, 1, head, writable ? (double)len : 0.0);
  return ADD_ADDED;
}

static int refuse_staged(split_driver *q, int32_t token) {
  if (q->stage.out_count + q->stage.in_count == 0) return ADD_THROWS;
  if (token == TOKEN_NONE) return ADD_THROWS;
  stage_clear(&q->stage);
  return ADD_BROKEN;
}

/* The cases driver_add leaves out of its fast path (addOther). */
static int driver_add_other(split_driver *q, int32_t token) {
  segment_stage *st = &q->stage;
  uint32_t outs = st->out_count;
  uint32_t total = outs + st->in_count;
  if (total == 1) {
    stage_clear(st);
    return outs == 1 ? driver_add_buffer(q, st->out_addr[0], st->out_len[0], 0, token)
                     : driver_add_buffer(q, st->in_addr[0], st->in_len[0], 1, token);
  }
  if (total == 0 || token == TOKEN_NONE || q->broken) return refuse_staged(q, token);
  if (total <= q->indirect_max && q->free_count > 0) return ADD_THROWS; /* addIndirect: no indirect pool in the benchmark */
  stage_clear(st);
  return outs > 0 ? ADD_NO_SPACE_NOTIFY : ADD_NO_SPACE;
}

NOINLINE static int driver_add(split_driver *q, int32_t token) {
  segment_stage *st = &q->stage;
  uint32_t outs = st->out_count;
  uint32_t total = outs + st->in_count;
  if (total < 2 || total <= q->indirect_max || q->free_count < total || q->broken || token == TOKEN_NONE) {
    return driver_add_other(q, token);
  }
  uint16_t *desc_next = q->desc_next;
  uint32_t head = q->free_head;
  uint32_t i = head;
  uint32_t last = head;
  double writable = 0;
  for (uint32_t n = 0; n < total; n++) {
    uint32_t next = desc_next[i];
    int is_in = n >= outs;
    uint32_t len = is_in ? st->in_len[n - outs] : st->out_len[n];
    double addr = is_in ? st->in_addr[n - outs] : st->out_addr[n];
    uint32_t more = n + 1 < total ? VIRTQ_DESC_F_NEXT : 0;
    write_desc(q, q->desc32 + (i << 2), addr, len, is_in ? more | VIRTQ_DESC_F_WRITE : more, next);
    if (is_in) writable += len;
    q->completed[i] = 0;
    last = i;
    i = next;
  }
  st->out_count = st->in_count = 0;
  q->free_head = i;
  q->free_count -= total;
  publish(q, head, token, total, last, writable);
  return ADD_ADDED;
}

NOINLINE static int driver_kick_prepare(split_driver *q) {
  uint32_t added = q->num_added;
  q->num_added = 0;
  if (q->broken) return 0;
  if (q->event_idx) {
    if (added > 0xffff) return 1;
    uint32_t now = q->avail_shadow;
    return vring_need_event(q->u16[q->avail_event16], now, (now - added) & 0xffff);
  }
  return (q->u16[q->used_flags16] & VIRTQ_USED_F_NO_NOTIFY) == 0;
}

/* Returns the shared result slot, NULL when the ring is empty, or sets *err and returns NULL. */
NOINLINE static used_slot *driver_get_used(split_driver *q, int *err) {
  if (q->slow) {
    *err = 1; /* broken or IN_ORDER: not taken in the benchmark */
    return NULL;
  }
  uint32_t last = q->last_used;
  if (q->u16[q->used_idx16] == last) return NULL;
  uint32_t e = q->used_ring32 + ((last & q->mask) << 1);
  uint32_t id = q->u32[e];
  uint32_t len = q->u32[e + 1];
  if (id >= q->size) goto bad;
  int32_t token = q->tokens[id];
  if (token == TOKEN_NONE || len > q->writable[id]) goto bad;
  q->tokens[id] = TOKEN_NONE;
  q->completed[id] = 1;
  q->free_count += q->chain_descs[id];
  q->desc_next[q->chain_last[id]] = (uint16_t)q->free_head;
  q->free_head = id;
  q->last_used = (last + 1) & 0xffff;
  if ((q->avail_flags_shadow & VIRTQ_AVAIL_F_NO_INTERRUPT) == 0) q->u16[q->used_event16] = (uint16_t)q->last_used;
  q->result.token = token;
  q->result.len = len;
  return &q->result;
bad:
  q->broken = 1;
  q->slow = 1;
  *err = 1;
  return NULL;
}

NOINLINE static int driver_enable_callbacks(split_driver *q) {
  /* enableCallbacksPrepare */
  q->event_triggered = 0;
  if ((q->avail_flags_shadow & VIRTQ_AVAIL_F_NO_INTERRUPT) != 0) {
    q->avail_flags_shadow &= ~VIRTQ_AVAIL_F_NO_INTERRUPT;
    if (!q->event_idx) q->u16[q->avail_flags16] = (uint16_t)q->avail_flags_shadow;
  }
  q->u16[q->used_event16] = (uint16_t)q->last_used;
  uint32_t opaque = q->last_used;
  /* poll */
  int pending = !q->broken && q->u16[q->used_idx16] != (opaque & 0xffff);
  return !pending;
}

#endif
