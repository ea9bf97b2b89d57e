/*
 * Driver side of the packed ring for the C twin: a line-by-line mirror of
 * reference-impl/virtqueue/segment-stage.ts, packed-driver-state.ts and
 * packed-driver.ts (the paths the benchmark configures: no indirect pool,
 * no IN_ORDER, callbacks never disabled). See packed-twin.c.
 */
#ifndef PACKED_DRIVER_H
#define PACKED_DRIVER_H

#include "packed-common.h"

/* A JS `undefined` token: the benchmark's tokens are >= 0. */
#define TOKEN_NONE (-1)

/* Results of an add (driver-result.ts). */
enum { ADD_ADDED, ADD_NO_SPACE, ADD_BROKEN, ADD_THROWS };

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

/* ---- driver side (packed-driver-state.ts, packed-driver.ts) ---- */

typedef struct {
  int32_t token;
  uint32_t len;
} used_slot;

typedef struct {
  guest_memory *mem;
  queue_layout layout;
  uint16_t *u16;
  uint32_t *u32;
  uint32_t size;
  int event_idx, in_order;
  uint32_t indirect_max;
  uint32_t desc32, drv_off_wrap16, drv_flags16, dev_off_wrap16, dev_flags16;
  uint16_t *id_next;
  int32_t *tokens;
  uint16_t *chain_descs;
  double *writable;
  uint8_t *completed;
  uint32_t free_id, free_count, next_avail, avail_wrap, avail_used_flags, last_used, used_wrap, num_added;
  uint32_t event_flags_shadow;
  int event_triggered, broken, slow;
  int32_t id;
  used_slot result;
  segment_stage stage;
} packed_driver;

static void driver_reset(packed_driver *q) {
  /* init(): zero the ring and both event areas; start at slot 0 with wrap 1 (no initial index). */
  memset(q->mem->u8 + q->layout.desc_addr, 0, 16 * q->size);
  memset(q->mem->u8 + q->layout.driver_addr, 0, PVIRTQ_EVENT_SUPPRESS_SIZE);
  memset(q->mem->u8 + q->layout.device_addr, 0, PVIRTQ_EVENT_SUPPRESS_SIZE);
  for (uint32_t i = 0; i < q->size; i++) q->id_next[i] = (uint16_t)(i + 1 < q->size ? i + 1 : 0);
  for (uint32_t i = 0; i < q->size; i++) q->tokens[i] = TOKEN_NONE;
  memset(q->completed, 0, q->size);
  q->free_id = 0;
  q->free_count = q->size;
  q->next_avail = q->last_used = 0;
  q->avail_wrap = q->used_wrap = 1;
  q->avail_used_flags = VIRTQ_DESC_F_AVAIL;
  q->num_added = 0;
  q->event_triggered = 0;
  q->broken = 0;
  q->slow = q->in_order;
  q->id = -1;
  q->event_flags_shadow = RING_EVENT_FLAGS_ENABLE;
  stage_clear(&q->stage);
}

static void driver_init(packed_driver *q, guest_memory *mem, queue_layout layout, int event_idx) {
  uint32_t size = layout.size;
  memset(q, 0, sizeof *q);
  q->mem = mem;
  q->u16 = mem->u16;
  q->u32 = mem->u32;
  q->layout = layout;
  q->size = size;
  q->event_idx = event_idx;
  q->in_order = 0;
  q->indirect_max = 0; /* no indirect pool: never indirect */
  q->desc32 = layout.desc_addr >> 2;
  q->drv_off_wrap16 = layout.driver_addr >> 1;
  q->drv_flags16 = (layout.driver_addr >> 1) + 1;
  q->dev_off_wrap16 = layout.device_addr >> 1;
  q->dev_flags16 = (layout.device_addr >> 1) + 1;
  q->id_next = calloc(size, sizeof(uint16_t));
  q->tokens = calloc(size, sizeof(int32_t));
  q->chain_descs = calloc(size, sizeof(uint16_t));
  q->writable = calloc(size, sizeof(double));
  q->completed = calloc(size, 1);
  q->stage.capacity = size;
  q->stage.out_addr = calloc(size, sizeof(double));
  q->stage.out_len = calloc(size, sizeof(uint32_t));
  q->stage.in_addr = calloc(size, sizeof(double));
  q->stage.in_len = calloc(size, sizeof(uint32_t));
  driver_reset(q);
}

static inline void record(packed_driver *q, uint32_t id, int32_t token, uint32_t descs, double writable) {
  q->tokens[id] = token;
  q->chain_descs[id] = (uint16_t)descs;
  q->writable[id] = writable;
  q->completed[id] = 0;
  q->id = (int32_t)id;
}

/* Next slot after i; flips the driver wrap counter after the last slot. */
static inline uint32_t step(packed_driver *q, uint32_t i) {
  if (i + 1 < q->size) return i + 1;
  q->avail_wrap ^= 1;
  q->avail_used_flags ^= VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;
  return 0;
}

static inline void write_desc(packed_driver *q, uint32_t d, double addr, uint32_t len, uint32_t id) {
  uint32_t lo = (uint32_t)(int64_t)addr;
  q->u32[d] = lo;
  q->u32[d + 1] = addr < 4294967296.0 ? 0 : (uint32_t)((addr - lo) / 4294967296.0);
  q->u32[d + 2] = len;
  q->u16[(d << 1) + 6] = (uint16_t)id;
}

static int refuse(packed_driver *q, int32_t token) {
  if (token == TOKEN_NONE) return ADD_THROWS;
  return q->broken ? ADD_BROKEN : ADD_NO_SPACE;
}

NOINLINE static int driver_add_buffer(packed_driver *q, double addr, uint32_t len, int writable, int32_t token) {
  if (q->free_count == 0 || q->broken || token == TOKEN_NONE) return refuse(q, token);
  uint32_t id = q->free_id;
  q->free_id = q->id_next[id];
  uint32_t head = q->next_avail;
  uint32_t d = q->desc32 + (head << 2);
  write_desc(q, d, addr, len, id);
  uint32_t flags = q->avail_used_flags | (writable ? VIRTQ_DESC_F_WRITE : 0);
  q->next_avail = step(q, head);
  /* Flags last: they publish the descriptor. */
  q->u16[(d << 1) + 7] = (uint16_t)flags;
  q->free_count--;
  q->num_added++;
  record(q, id, token, 1, writable ? (double)len : 0.0);
  return ADD_ADDED;
}

NOINLINE static int driver_add(packed_driver *q, int32_t token) {
  segment_stage *st = &q->stage;
  uint32_t outs = st->out_count;
  uint32_t total = outs + st->in_count;
  if (total == 1) {
    st->out_count = st->in_count = 0;
    return outs == 1 ? driver_add_buffer(q, st->out_addr[0], st->out_len[0], 0, token)
                     : driver_add_buffer(q, st->in_addr[0], st->in_len[0], 1, token);
  }
  if (total == 0) return ADD_THROWS;
  if (token == TOKEN_NONE) return ADD_THROWS;
  if (q->broken) {
    stage_clear(st);
    return ADD_BROKEN;
  }
  int use_indirect = total > 1 && total <= q->indirect_max && q->free_count > 0;
  uint32_t descs = use_indirect ? 1 : total;
  /* Room for the whole list before the first descriptor is published. */
  if (q->free_count < descs) {
    stage_clear(st);
    return ADD_NO_SPACE;
  }
  if (use_indirect) abort(); /* no indirect pool in the benchmark */
  uint32_t id = q->free_id;
  q->free_id = q->id_next[id];
  uint32_t head = q->next_avail;
  uint32_t head_flags = q->avail_used_flags | (total > 1 ? VIRTQ_DESC_F_NEXT : 0) | (outs == 0 ? VIRTQ_DESC_F_WRITE : 0);
  double writable = 0;
  uint32_t i = head;
  for (uint32_t n = 0; n < total; n++) {
    int is_in = n >= outs;
    uint32_t k = is_in ? n - outs : n;
    uint32_t len = is_in ? st->in_len[k] : st->out_len[k];
    uint32_t d = q->desc32 + (i << 2);
    write_desc(q, d, is_in ? st->in_addr[k] : st->out_addr[k], len, id);
    if (n > 0) {
      q->u16[(d << 1) + 7] = (uint16_t)(q->avail_used_flags | (n + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (is_in ? VIRTQ_DESC_F_WRITE : 0));
    }
    if (is_in) writable += len;
    i = step(q, i);
  }
  q->u16[((q->desc32 + (head << 2)) << 1) + 7] = (uint16_t)head_flags;
  stage_clear(st);
  q->next_avail = i;
  q->free_count -= descs;
  q->num_added += descs;
  record(q, id, token, descs, writable);
  return ADD_ADDED;
}

NOINLINE static int driver_kick_prepare(packed_driver *q) {
  uint32_t added = q->num_added;
  q->num_added = 0;
  if (q->broken) return 0;
  uint32_t off_wrap = q->u16[q->dev_off_wrap16];
  uint32_t flags = q->u16[q->dev_flags16];
  if (flags != RING_EVENT_FLAGS_DESC) return flags != RING_EVENT_FLAGS_DISABLE;
  if (added >= q->size) return 1;
  return vring_packed_need_event(off_wrap, q->avail_wrap, q->size, q->next_avail, q->next_avail - added);
}

/* complete() and release() */
static inline used_slot *complete(packed_driver *q, uint32_t id, uint32_t len) {
  used_slot *r = &q->result;
  r->token = q->tokens[id];
  r->len = len;
  q->tokens[id] = TOKEN_NONE;
  q->completed[id] = 1;
  uint32_t n = q->chain_descs[id];
  q->free_count += q->chain_descs[id];
  q->id_next[id] = (uint16_t)q->free_id;
  q->free_id = id;
  uint32_t pos = q->last_used + n;
  if (pos >= q->size) {
    pos -= q->size;
    q->used_wrap ^= 1;
  }
  q->last_used = pos;
  if (q->event_flags_shadow == RING_EVENT_FLAGS_DESC) q->u16[q->drv_off_wrap16] = (uint16_t)pack_event_off_wrap(pos, q->used_wrap);
  return r;
}

/* Returns the shared result slot, NULL when the next slot is not used yet, or sets *err and returns NULL. */
NOINLINE static used_slot *driver_get_used(packed_driver *q, int *err) {
  if (q->slow) {
    *err = 1; /* broken or IN_ORDER: not taken in the benchmark */
    return NULL;
  }
  uint32_t d = q->desc32 + (q->last_used << 2);
  uint32_t flags = q->u16[(d << 1) + 7];
  uint32_t w = q->used_wrap;
  if (((flags >> 7) & 1) != w || flags >> 15 != w) return NULL;
  uint32_t id = q->u16[(d << 1) + 6];
  uint32_t len = (flags & VIRTQ_DESC_F_WRITE) != 0 ? q->u32[d + 2] : 0;
  if (id >= q->size || q->tokens[id] == TOKEN_NONE || len > q->writable[id]) {
    /* usedError: breaks the queue */
    q->broken = 1;
    q->slow = 1;
    *err = 1;
    return NULL;
  }
  return complete(q, id, len);
}

NOINLINE static int driver_enable_callbacks(packed_driver *q) {
  /* enableCallbacksPrepare */
  q->event_triggered = 0;
  uint32_t pos = pack_event_off_wrap(q->last_used, q->used_wrap);
  if (q->event_idx) q->u16[q->drv_off_wrap16] = (uint16_t)pos;
  /* clearDisable */
  if (q->event_flags_shadow == RING_EVENT_FLAGS_DISABLE) {
    q->event_flags_shadow = q->event_idx ? RING_EVENT_FLAGS_DESC : RING_EVENT_FLAGS_ENABLE;
    q->u16[q->drv_flags16] = (uint16_t)q->event_flags_shadow;
  }
  /* poll */
  if (q->broken) return 1;
  uint32_t slot = pos & 0x7fff;
  return !is_packed_desc_used(q->u16[((q->desc32 + (slot << 2)) << 1) + 7], pos >> 15);
}

#endif
