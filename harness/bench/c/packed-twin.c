/*
 * C twin of the packed-ring benchmark (harness/bench/ring/packed-workload.ts).
 *
 *   packed-twin DESCRIPTORS BATCH BUFFERS REPS
 *
 * Does, per buffer, the same work as the packed reference engine
 * (reference-impl/virtqueue/packed-driver*.ts + packed-device.ts over
 * reference-impl/memory/guest-memory.ts) does for the TypeScript side: the
 * same shadows and their types (u16 id free list, f64 writable lengths and
 * stage addresses, u8 completion flags, a 64 Ki-entry u8 id-held table, a
 * LIFO pool of chain objects), the same checks in the same order (list length
 * bound, AVAIL/USED of every descriptor, INDIRECT, zero length, address range
 * with addr_hi, readable-before-writable, id in flight, used id / token / len),
 * the same ring writes (head flags last), and the same per-batch kick,
 * event-suppression and notification decisions with VIRTIO_F_EVENT_IDX.
 * Paths the benchmark never takes (indirect tables, IN_ORDER, broken
 * queues) are reduced to the checks that select them.
 *
 * The loop, warm-up, timing and output are split-twin.c's; engine entry
 * points stay out of line (NOINLINE) unless built with -DALLOW_INLINE.
 *
 * packed-driver.h and packed-device.h follow the engine line by line; when
 * the engine's hot paths change, update them and PACKED_TWIN_MIRRORS in
 * harness/bench/ring/packed-suite.ts (the bench warns until then).
 *
 * Prints one JSON line: {"lang":"c",...,"ns":[wall per rep],"cpuNs":[CPU per rep],"checksums":{...}}.
 * The checksums must equal the TypeScript side's for the same arguments.
 */
#define _POSIX_C_SOURCE 199309L
#include "packed-device.h"
#include "packed-driver.h"

/* Layout (packed-workload.ts). */
enum {
  QUEUE_SIZE = 512,
  MEMORY_SIZE = 0x105000,
  DESC_ADDR = 0x0000,
  DRIVER_EVENT_ADDR = 0x2000,
  DEVICE_EVENT_ADDR = 0x3000,
  BUFFER_BASE = 0x5000,
  RX_LEN = 1526,
  HDR_LEN = 12,
  PKT_LEN = 1514,
  SLOT_SHIFT = 11,
  SLOT_MASK = QUEUE_SIZE - 1,
  ONE_BATCH_CALLS = 32,
  WARMUP_CALLS = 8,
};

/* ---- the benchmark loop (PackedRingWorkload.run) ---- */

typedef struct {
  uint32_t driver, device;
  uint64_t kicks, irqs;
} checksums;

static void die(const char *step, uint64_t at) {
  fprintf(stderr, "packed-twin: %s failed at buffer %llu\n", step, (unsigned long long)at);
  exit(1);
}

static checksums run(packed_driver *driver, packed_device *device, int two, uint32_t batch, uint64_t buffers) {
  segment_stage *stage = &driver->stage;
  uint32_t drv = 0, dev = 0;
  uint64_t kicks = 0, irqs = 0;
  uint64_t t = 0;
  while (t < buffers) {
    uint64_t end = t + batch;
    for (; t < end; t++) {
      double slot = (double)(BUFFER_BASE + (((uint32_t)t & SLOT_MASK) << SLOT_SHIFT));
      int added;
      if (two) {
        if (stage_out(stage, slot, HDR_LEN) != 0) die("stage", t);
        if (stage_out(stage, slot + HDR_LEN, PKT_LEN) != 0) die("stage", t);
        added = driver_add(driver, (int32_t)t);
      } else {
        added = driver_add_buffer(driver, slot, RX_LEN, 1, (int32_t)t);
      }
      if (added != ADD_ADDED) die("add", t);
    }
    if (driver_kick_prepare(driver)) kicks++;
    for (;;) {
      device_chain *chain = device_pop(device);
      if (chain == NULL) {
        if (device->failure != DEV_OK) die("pop", t);
        break;
      }
      dev += (uint32_t)(chain->readable_bytes + chain->writable_bytes) + (uint32_t)chain->id;
      if (device_push(device, chain, (uint32_t)chain->writable_bytes) != 0) die("push", t);
    }
    if (device_enable_notifications(device)) die("enable-notifications", t);
    if (device_needs_notify(device)) irqs++;
    for (;;) {
      int err = 0;
      used_slot *used = driver_get_used(driver, &err);
      if (used == NULL) {
        if (err) die("get-used", t);
        break;
      }
      drv += used->len + (uint32_t)used->token;
    }
    if (!driver_enable_callbacks(driver)) die("enable-callbacks", t);
  }
  checksums c = {drv, dev, kicks, irqs};
  return c;
}

static double now_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long arg(const char *s, const char *name, long min) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < min) {
    fprintf(stderr, "packed-twin: %s must be an integer >= %ld, got '%s'\n", name, min, s);
    exit(1);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: packed-twin DESCRIPTORS BATCH BUFFERS REPS\n");
    return 1;
  }
  long descriptors = arg(argv[1], "descriptors", 1);
  long batch = arg(argv[2], "batch", 1);
  long buffers = arg(argv[3], "buffers", batch);
  long reps = arg(argv[4], "reps", 1);
  if (descriptors > 2 || batch > QUEUE_SIZE / 2 || buffers % batch != 0 || buffers > INT32_MAX) {
    fprintf(stderr, "packed-twin: bad arguments\n");
    return 1;
  }
  guest_memory mem;
  memory_init(&mem, MEMORY_SIZE);
  packed_driver driver;
  packed_device device;
  queue_layout layout = {QUEUE_SIZE, DESC_ADDR, DRIVER_EVENT_ADDR, DEVICE_EVENT_ADDR};
  driver_init(&driver, &mem, layout, 1);
  device_init(&device, &mem, layout, 1);
  int two = descriptors == 2;

  /* Warm-up as the TypeScript child does: ONE_BATCH_CALLS one-batch calls, then a quarter of a rep in WARMUP_CALLS calls. */
  long warmup = (buffers / WARMUP_CALLS / 4 / batch) * batch;
  if (warmup < batch) warmup = batch;
  for (int i = 0; i < ONE_BATCH_CALLS + WARMUP_CALLS; i++) {
    driver_reset(&driver);
    device_reset(&device);
    run(&driver, &device, two, (uint32_t)batch, (uint64_t)(i < ONE_BATCH_CALLS ? batch : warmup));
  }

  double *ns = calloc((size_t)reps, sizeof(double));
  double *cpu_ns = calloc((size_t)reps, sizeof(double));
  checksums first = {0, 0, 0, 0};
  for (long rep = 0; rep < reps; rep++) {
    driver_reset(&driver);
    device_reset(&device);
    double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = now_ns(CLOCK_MONOTONIC);
    checksums c = run(&driver, &device, two, (uint32_t)batch, (uint64_t)buffers);
    double t1 = now_ns(CLOCK_MONOTONIC);
    double c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (rep > 0 && (c.driver != first.driver || c.device != first.device || c.kicks != first.kicks || c.irqs != first.irqs)) {
      fprintf(stderr, "packed-twin: rep %ld checksums differ from rep 0\n", rep);
      return 1;
    }
    first = c;
    ns[rep] = (t1 - t0) / (double)buffers;
    cpu_ns[rep] = (c1 - c0) / (double)buffers;
  }
  printf("{\"lang\":\"c\",\"descriptors\":%ld,\"batch\":%ld,\"buffers\":%ld,\"ns\":[", descriptors, batch, buffers);
  for (long rep = 0; rep < reps; rep++) printf("%s%.4f", rep ? "," : "", ns[rep]);
  printf("],\"cpuNs\":[");
  for (long rep = 0; rep < reps; rep++) printf("%s%.4f", rep ? "," : "", cpu_ns[rep]);
  printf("],\"checksums\":{\"driver\":%u,\"device\":%u,\"kicks\":%llu,\"irqs\":%llu}}\n", first.driver, first.device,
         (unsigned long long)first.kicks, (unsigned long long)first.irqs);
  return 0;
}
