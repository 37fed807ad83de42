/*
 * vyra.h -- a single-header kit for writing VYRA plugins in C (wasm32, no libc).
 *
 * ---------------------------------------------------------------------------
 * Build
 * ---------------------------------------------------------------------------
 *
 *     clang-14 --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--stack-first \
 *              -I<path-to>/pdk/c -o logic.wasm logic.c
 *
 * (the linker is wasm-ld from lld-14: apt-get install -y lld-14).
 * -Wl,--stack-first is recommended: it puts the 64 KiB C stack below the
 * static data, so a stack overflow traps instead of silently overwriting data.
 *
 * Exactly ONE .c file of the plugin must define VYRA_IMPLEMENTATION before
 * including this header; that file gets the allocator (vyra_alloc/vyra_free)
 * and the libc shims (memcpy, memmove, memset, memcmp, strlen). Every other
 * file includes the header plainly.
 *
 *     #define VYRA_IMPLEMENTATION
 *     #include "vyra.h"
 *
 *     VYRA_EXPORT(add) int32_t add(int32_t a, int32_t b) { return a + b; }
 *
 * wasm-ld exports the linear memory as "memory" by default, which the ABI
 * needs. Only functions marked VYRA_EXPORT are exported.
 *
 * ---------------------------------------------------------------------------
 * The ABI (see DESIGN.md section 3 of Vyra.Sdk)
 * ---------------------------------------------------------------------------
 *
 *  - Scalars travel as plain wasm values: i32, i64, f32, f64 (bool = i32 0/1).
 *
 *  - Memory values (string, bytes, json) are passed INTO a function as two
 *    wasm params (ptr: i32, len: i32). Strings and json are UTF-8 and are NOT
 *    NUL-terminated. The host obtains the buffer from the plugin's exported
 *    vyra_alloc(len), copies the bytes in, and calls the function. In C the
 *    pair is simply written as (const char *p, int32_t len): a pointer is an
 *    i32 on wasm32.
 *
 *  - A memory value RETURNED from a function is one i64:
 *        (ptr << 32) | len        (both halves unsigned 32-bit)
 *    built with vyra_pack(). The buffer must come from vyra_alloc (use
 *    vyra_return_string / vyra_return_bytes); the host copies it out and then
 *    releases it with vyra_free(ptr, len). Never return a pointer into static
 *    data or into an argument buffer: the host will free it.
 *
 *  - The same rules hold for host imports: memory values go to the host as
 *    (ptr, len) pairs that stay owned by the plugin.
 *
 *  - Host imports live in import module "vyra". Well-known ones:
 *        host_log(msg: string)                           -> (i32 ptr, i32 len)
 *        host_emit_event(type: string, payload: string)  -> (ptr, len, ptr, len)
 *    List the ones you use in metadata.json "imports".
 *
 * ---------------------------------------------------------------------------
 * The plugin bus (Vyra.Sdk docs/bus.md, "Guest imports")
 * ---------------------------------------------------------------------------
 *
 * VYRA's module-template imports, in module "vyra" (every string and json is
 * a (ptr, len) pair owned by the plugin; json is UTF-8 JSON text):
 *
 *   import       C declaration        wasm type                   gate
 *   log          vyra_log             (i32 i32) -> ()             none
 *   notify_ui    vyra_notify_ui       (i32 i32 i32 i32) -> ()     throttled
 *   publish      vyra_publish         (i32 i32 i32 i32) -> ()     permission publish
 *   request      vyra_request         (i32 i32 i32 i32) -> i64    permission client
 *   subscribe    vyra_subscribe       (i32 i32) -> ()             permission subscribe
 *   serve        vyra_serve           (i32 i32) -> ()             permission server
 *
 * A topic or service is "name" (the host's own module), "module/name" or
 * "module/instance/name". The manifest's permissions.interfaces must allow
 * each publish / subscribe / request / serve (e.g. "publish:local"); a denied,
 * blocked (rate limit) or malformed operation fails the plugin's current call
 * on the host side (PermissionDenied, Blocked, InvalidArgument).
 *
 *  - vyra_request returns the reply as a packed memory value (ptr << 32) | len
 *    in a buffer the host got from vyra_alloc: the plugin owns it and frees it
 *    with vyra_free(ptr, len). The reply is the JSON object
 *        {"plugin_id": ..., "success": true|false, "data": ..., "error": ...}
 *    and a timeout is {"plugin_id":null,"success":false,"data":null,
 *    "error":"timeout"}.
 *  - Events of subscribed topics arrive at the export on_event(name, data),
 *    name being the topic text the plugin subscribed with: define it with
 *    VYRA_ON_EVENT. Requests to served services arrive at the export
 *    on_request(service, data) -> json, whose return value is the reply's
 *    data: define it with VYRA_ON_REQUEST. A trap there answers the caller
 *    with success false.
 *  - The *_cstr helpers take NUL-terminated strings (the NUL is not sent).
 *
 * Note: vyra_log(msg, len) is the bus's "log" import. Before it, vyra_log was
 * a helper taking a NUL-terminated string for host_log; that is now
 * vyra_host_log_cstr (the old call no longer compiles, nothing changes
 * silently).
 *
 * ---------------------------------------------------------------------------
 * The allocator (vyra_alloc / vyra_free)
 * ---------------------------------------------------------------------------
 *
 * A first-fit, address-ordered FREE-LIST allocator over the heap that wasm-ld
 * reserves after the static data (__heap_base), grown with memory.grow.
 *
 *  - Every block has an 8-byte header {size, tag}; payloads are 8-byte aligned
 *    and at least 8 bytes long.
 *  - vyra_alloc(len): len < 0, a heap that would pass 2 GiB, or a failing
 *    memory.grow (e.g. the host's memory_mb limit) return 0. All size
 *    arithmetic is checked, nothing can overflow. vyra_alloc(0) returns a valid,
 *    unique, non-zero pointer (an empty string still has an address).
 *    Returned pointers are always below 2^31, so they are positive as an i32.
 *    Memory is NOT zeroed.
 *  - vyra_free(ptr, len): the size is taken from the block header; len is
 *    accepted for the ABI and ignored. ptr == 0, pointers that are not live
 *    blocks of this allocator and double frees are ignored (best effort: a
 *    forged pointer into the middle of a live block whose bytes happen to
 *    look like a header is not detected). Neighbouring free blocks are merged
 *    and a free block at the top of the heap is given back to the top, so
 *    freeing everything returns the heap to its initial state. Wasm memory
 *    itself never shrinks.
 *  - Not thread-safe (wasm plugins are single-threaded).
 *
 * Configuration macros (define before including):
 *    VYRA_IMPLEMENTATION   emit the allocator and libc shims in this file
 *    VYRA_NO_LIBC_SHIMS    do not declare/define memcpy, memset, ... (e.g.
 *                          when linking against a real libc such as wasi-libc)
 */
#ifndef VYRA_H
#define VYRA_H

/* ---- fixed-width types without libc (compiler-provided type macros) ---- */
typedef __INT8_TYPE__ int8_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __INT16_TYPE__ int16_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __INT32_TYPE__ int32_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __SIZE_TYPE__ size_t;

#ifndef __cplusplus
#ifndef __bool_true_false_are_defined
#define bool _Bool
#define true 1
#define false 0
#define __bool_true_false_are_defined 1
#endif
#endif

#ifndef NULL
#define NULL ((void *)0)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- export / import markers ---- */

/* Export the following function from the module under the wasm name `name`. */
#define VYRA_EXPORT(name) __attribute__((export_name(#name)))

/* Import the following (declared, not defined) function from module "vyra". */
#define VYRA_IMPORT(name) __attribute__((import_module("vyra"), import_name(#name)))

/* ---- host imports ---- */

/* Write a UTF-8 message (not NUL-terminated) to the host's log. */
VYRA_IMPORT(host_log)
void host_log(const char *msg, int32_t len);

/* Publish an event `type` with a UTF-8 payload on the host's event bus. */
VYRA_IMPORT(host_emit_event)
void host_emit_event(const char *type, int32_t type_len, const char *payload, int32_t payload_len);

/* ---- the plugin bus (module "vyra"; see "The plugin bus" above) ---- */

/* log(msg: string): a line in the host's log (not checked, not throttled). */
VYRA_IMPORT(log)
void vyra_log(const char *msg, int32_t msg_len);

/* notify_ui(event_name: string, data: json): tell the UI (throttled). */
VYRA_IMPORT(notify_ui)
void vyra_notify_ui(const char *event_name, int32_t event_name_len, const char *data, int32_t data_len);

/* publish(topic: string, payload: json): publish on the bus (permission publish). */
VYRA_IMPORT(publish)
void vyra_publish(const char *topic, int32_t topic_len, const char *payload, int32_t payload_len);

/* request(topic: string, payload: json) -> json: ask a service and wait for its
 * reply (permission client). Returns the packed reply; free it with vyra_free. */
VYRA_IMPORT(request)
int64_t vyra_request(const char *topic, int32_t topic_len, const char *payload, int32_t payload_len);

/* subscribe(topic: string): events of `topic` arrive at on_event (permission subscribe). */
VYRA_IMPORT(subscribe)
void vyra_subscribe(const char *topic, int32_t topic_len);

/* serve(service: string): requests to `service` arrive at on_request (permission server). */
VYRA_IMPORT(serve)
void vyra_serve(const char *service, int32_t service_len);

/* Define the on_event export; the four names are the parameters' names:
 *     VYRA_ON_EVENT(name, name_len, data, data_len) { ... }           */
#define VYRA_ON_EVENT(name, name_len, data, data_len) \
    VYRA_EXPORT(on_event) void on_event(const char *name, int32_t name_len, const char *data, int32_t data_len)

/* Define the on_request export; return the reply's data as JSON, e.g. with
 * vyra_return_cstring("{\"ok\":true}"):
 *     VYRA_ON_REQUEST(service, service_len, data, data_len) { ... }   */
#define VYRA_ON_REQUEST(service, service_len, data, data_len) \
    VYRA_EXPORT(on_request) int64_t on_request(const char *service, int32_t service_len, const char *data, int32_t data_len)

/* ---- allocator exports (defined once, under VYRA_IMPLEMENTATION) ---- */

VYRA_EXPORT(vyra_alloc)
int32_t vyra_alloc(int32_t len);

VYRA_EXPORT(vyra_free)
void vyra_free(int32_t ptr, int32_t len);

/* ---- libc shims (clang may emit calls to memcpy/memset/memmove) ---- */

#ifndef VYRA_NO_LIBC_SHIMS
void *memcpy(void *__restrict dst, const void *__restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
#endif

/* ---- helpers ---- */

/* Turn an i32 address (as vyra_alloc returns it) into a pointer. */
static inline void *vyra_ptr(int32_t addr) { return (void *)(uintptr_t)(uint32_t)addr; }

/* Turn a pointer into its i32 address. */
static inline int32_t vyra_addr(const void *p) { return (int32_t)(uint32_t)(uintptr_t)p; }

/* Pack a returned memory value: (ptr << 32) | len, both as unsigned 32-bit. */
static inline int64_t vyra_pack(int32_t ptr, int32_t len)
{
    return (int64_t)(((uint64_t)(uint32_t)ptr << 32) | (uint64_t)(uint32_t)len);
}

/* Split a packed value (e.g. one returned by a host import). */
static inline int32_t vyra_unpack_ptr(int64_t packed) { return (int32_t)(uint32_t)((uint64_t)packed >> 32); }
static inline int32_t vyra_unpack_len(int64_t packed) { return (int32_t)(uint32_t)(uint64_t)packed; }

/* Copy `len` bytes into a fresh vyra_alloc buffer and return the packed i64.
 * Traps (wasm `unreachable`) when len < 0 or the allocation fails, so the host
 * sees an error instead of a silently empty result. */
static inline int64_t vyra_return_bytes(const void *data, int32_t len)
{
    if (len < 0)
        __builtin_trap();
    int32_t p = vyra_alloc(len);
    if (p == 0)
        __builtin_trap();
    if (len > 0)
        memcpy(vyra_ptr(p), data, (size_t)len);
    return vyra_pack(p, len);
}

/* Same for UTF-8 text of `len` bytes. */
static inline int64_t vyra_return_string(const char *s, int32_t len) { return vyra_return_bytes(s, len); }

/* Same for a NUL-terminated string (the NUL is not included). */
static inline int64_t vyra_return_cstring(const char *s) { return vyra_return_bytes(s, (int32_t)strlen(s)); }

/* host_log with a NUL-terminated message. */
static inline void vyra_host_log_cstr(const char *cstr) { host_log(cstr, (int32_t)strlen(cstr)); }

/* True when the (ptr, len) text equals the NUL-terminated `cstr` (e.g. an
 * on_event name against a topic). */
static inline bool vyra_text_equals(const char *text, int32_t len, const char *cstr)
{
    size_t n = strlen(cstr);
    return len >= 0 && (size_t)len == n && memcmp(text, cstr, n) == 0;
}

/* The bus imports with NUL-terminated strings; payloads and data are JSON text. */
static inline void vyra_log_cstr(const char *msg) { vyra_log(msg, (int32_t)strlen(msg)); }

static inline void vyra_notify_ui_cstr(const char *event_name, const char *json)
{
    vyra_notify_ui(event_name, (int32_t)strlen(event_name), json, (int32_t)strlen(json));
}

static inline void vyra_publish_cstr(const char *topic, const char *json)
{
    vyra_publish(topic, (int32_t)strlen(topic), json, (int32_t)strlen(json));
}

/* Returns the packed reply (free it with vyra_free(vyra_unpack_ptr(r), vyra_unpack_len(r))). */
static inline int64_t vyra_request_cstr(const char *topic, const char *json)
{
    return vyra_request(topic, (int32_t)strlen(topic), json, (int32_t)strlen(json));
}

static inline void vyra_subscribe_cstr(const char *topic) { vyra_subscribe(topic, (int32_t)strlen(topic)); }

static inline void vyra_serve_cstr(const char *service) { vyra_serve(service, (int32_t)strlen(service)); }

/* host_emit_event with a NUL-terminated type and a (ptr, len) payload. */
static inline void vyra_emit(const char *type, const char *payload, int32_t payload_len)
{
    host_emit_event(type, (int32_t)strlen(type), payload, payload_len);
}

#ifdef __cplusplus
}
#endif

#endif /* VYRA_H */

/* =======================================================================
 * Implementation: outside the include guard (so it is emitted even when the
 * header was already included without VYRA_IMPLEMENTATION), at most once
 * per translation unit.
 * ======================================================================= */
#if defined(VYRA_IMPLEMENTATION) && !defined(VYRA_IMPLEMENTATION_DONE)
#define VYRA_IMPLEMENTATION_DONE

#ifdef __cplusplus
extern "C" {
#endif

/* ---- libc shims ----
 * Defined weak so a real libc, if one is ever linked, wins. `no_builtin`
 * keeps clang from turning these loops back into calls to themselves. */
#ifndef VYRA_NO_LIBC_SHIMS
__attribute__((weak, no_builtin("memcpy")))
void *memcpy(void *__restrict dst, const void *__restrict src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--)
        *d++ = *s++;
    return dst;
}

__attribute__((weak, no_builtin("memmove")))
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d == s || n == 0)
        return dst;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

__attribute__((weak, no_builtin("memset")))
void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = (unsigned char *)dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

__attribute__((weak, no_builtin("memcmp")))
int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    for (; n; --n, ++x, ++y) {
        if (*x != *y)
            return (int)*x - (int)*y;
    }
    return 0;
}

__attribute__((weak, no_builtin("strlen")))
size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        ++p;
    return (size_t)(p - s);
}
#endif /* VYRA_NO_LIBC_SHIMS */

/* ---- free-list allocator ---- */

extern unsigned char __heap_base; /* provided by wasm-ld: first byte after data + stack */

#define VYRA__HDR 8u                  /* header bytes */
#define VYRA__ALIGN 8u                /* payload alignment and minimum payload */
#define VYRA__LIMIT 0x80000000ull     /* the heap never extends past 2 GiB */
#define VYRA__PAGE 65536ull
#define VYRA__TAG_USED 0x41525956u    /* "VYRA" */
#define VYRA__TAG_FREE 0x45455246u    /* "FREE" */

typedef struct vyra__block {
    uint32_t size; /* payload bytes, a multiple of VYRA__ALIGN */
    uint32_t tag;  /* VYRA__TAG_USED or VYRA__TAG_FREE */
    /* free blocks keep the address of the next free block in the first 4 payload bytes */
} vyra__block;

static uint32_t vyra__heap_start; /* first block header; 0 = not initialised */
static uint32_t vyra__heap_top;   /* end of the last block; [start, top) is carved into blocks */
static uint32_t vyra__free_head;  /* first free block (address order), 0 = none */

static inline vyra__block *vyra__blk(uint32_t h) { return (vyra__block *)(uintptr_t)h; }
static inline uint32_t vyra__next(uint32_t h) { return *(uint32_t *)(uintptr_t)(h + VYRA__HDR); }
static inline void vyra__set_next(uint32_t h, uint32_t next) { *(uint32_t *)(uintptr_t)(h + VYRA__HDR) = next; }
static inline uint32_t vyra__end(uint32_t h) { return h + VYRA__HDR + vyra__blk(h)->size; }

static inline void vyra__link(uint32_t prev, uint32_t h)
{
    if (prev)
        vyra__set_next(prev, h);
    else
        vyra__free_head = h;
}

static void vyra__init(void)
{
    if (vyra__heap_start)
        return;
    uint32_t base = (uint32_t)(uintptr_t)&__heap_base;
    base = (base + (VYRA__ALIGN - 1u)) & ~(VYRA__ALIGN - 1u);
    if (base < VYRA__ALIGN)
        base = VYRA__ALIGN; /* never hand out address 0 */
    vyra__heap_start = base;
    vyra__heap_top = base;
    vyra__free_head = 0;
}

int32_t vyra_alloc(int32_t len)
{
    if (len < 0)
        return 0;
    uint32_t need = (uint32_t)len; /* <= 0x7FFFFFFF */
    if (need < VYRA__ALIGN)
        need = VYRA__ALIGN;
    need = (need + (VYRA__ALIGN - 1u)) & ~(VYRA__ALIGN - 1u); /* <= 0x80000000, no overflow */
    vyra__init();

    /* 1. first fit in the free list */
    uint32_t prev = 0;
    for (uint32_t cur = vyra__free_head; cur; prev = cur, cur = vyra__next(cur)) {
        vyra__block *b = vyra__blk(cur);
        if (b->size < need)
            continue;
        uint32_t next = vyra__next(cur);
        if (b->size - need >= VYRA__HDR + VYRA__ALIGN) {
            /* split: the tail stays free in the same list position */
            uint32_t rest = cur + VYRA__HDR + need;
            vyra__block *r = vyra__blk(rest);
            r->size = b->size - need - VYRA__HDR;
            r->tag = VYRA__TAG_FREE;
            vyra__set_next(rest, next);
            vyra__link(prev, rest);
            b->size = need;
        } else {
            vyra__link(prev, next);
        }
        b->tag = VYRA__TAG_USED;
        return (int32_t)(cur + VYRA__HDR);
    }

    /* 2. carve a new block at the top, growing memory if needed */
    uint64_t h = vyra__heap_top;
    uint64_t end = h + VYRA__HDR + need;
    if (end > VYRA__LIMIT)
        return 0;
    uint64_t mem_end = (uint64_t)__builtin_wasm_memory_size(0) * VYRA__PAGE;
    if (end > mem_end) {
        uint64_t pages = (end - mem_end + VYRA__PAGE - 1u) / VYRA__PAGE;
        if (__builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1)
            return 0;
    }
    vyra__block *b = vyra__blk((uint32_t)h);
    b->size = need;
    b->tag = VYRA__TAG_USED;
    vyra__heap_top = (uint32_t)end;
    return (int32_t)((uint32_t)h + VYRA__HDR);
}

void vyra_free(int32_t ptr, int32_t len)
{
    (void)len; /* the header knows the size */
    uint32_t p = (uint32_t)ptr;
    if (p == 0 || vyra__heap_start == 0)
        return;
    if (p < vyra__heap_start + VYRA__HDR || p >= vyra__heap_top || (p & (VYRA__ALIGN - 1u)))
        return; /* not a pointer of this heap */
    uint32_t h = p - VYRA__HDR;
    vyra__block *b = vyra__blk(h);
    if (b->tag != VYRA__TAG_USED || b->size > vyra__heap_top - p)
        return; /* double free or not a block start */

    /* find the neighbours in the address-ordered free list */
    uint32_t pprev = 0, prev = 0, cur = vyra__free_head;
    while (cur && cur < h) {
        pprev = prev;
        prev = cur;
        cur = vyra__next(cur);
    }

    b->tag = VYRA__TAG_FREE;
    /* merge with the following free block */
    if (cur && vyra__end(h) == cur) {
        b->size += VYRA__HDR + vyra__blk(cur)->size;
        vyra__set_next(h, vyra__next(cur));
        vyra__blk(cur)->tag = 0;
    } else {
        vyra__set_next(h, cur);
    }
    /* merge with the preceding free block */
    uint32_t before = prev; /* list predecessor of the merged block */
    if (prev && vyra__end(prev) == h) {
        vyra__blk(prev)->size += VYRA__HDR + b->size;
        vyra__set_next(prev, vyra__next(h));
        b->tag = 0;
        h = prev;
        before = pprev;
    } else {
        vyra__link(prev, h);
    }
    /* a free block touching the top goes back to the top (it is the last one in the list) */
    if (vyra__end(h) == vyra__heap_top) {
        vyra__link(before, 0);
        vyra__blk(h)->tag = 0;
        vyra__heap_top = h;
    }
}

#ifdef __cplusplus
}
#endif

#endif /* VYRA_IMPLEMENTATION && !VYRA_IMPLEMENTATION_DONE */
