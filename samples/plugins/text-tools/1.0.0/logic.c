/*
 * text-tools 1.0.0 -- a VYRA plugin in C that passes strings, bytes and JSON
 * through linear memory and calls back into the host.
 *
 * ABI: see pdk/c/vyra.h. Memory values arrive as (ptr, len) and are returned
 * as an i64 (ptr << 32) | len in a fresh vyra_alloc buffer that the host frees.
 * The argument buffers are never modified or freed here: they belong to the
 * host.
 *
 * Rebuild: ./build.sh   (check: ./build.sh --check)
 */
#define VYRA_IMPLEMENTATION
#include "vyra.h"

static int32_t g_event_count;

/* Allocate `len` bytes for a result or trap: the host then reports a trap
 * instead of receiving a silently empty value. */
static char *alloc_or_trap(int32_t len)
{
    int32_t p = vyra_alloc(len);
    if (p == 0)
        __builtin_trap();
    return (char *)vyra_ptr(p);
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Writes the decimal form of v into out (at least 11 bytes); returns the length. */
static int32_t format_u32(uint32_t v, char *out)
{
    char tmp[10];
    int32_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    for (int32_t i = 0; i < n; ++i)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* upper(text: string) -> string
 * ASCII a-z become A-Z; every other byte (including all bytes of multi-byte
 * UTF-8 sequences, which are >= 0x80) is copied unchanged. */
VYRA_EXPORT(upper)
int64_t upper(const char *text, int32_t len)
{
    if (len < 0)
        __builtin_trap();
    char *out = alloc_or_trap(len);
    for (int32_t i = 0; i < len; ++i) {
        char c = text[i];
        out[i] = (c >= 'a' && c <= 'z') ? (char)(c - ('a' - 'A')) : c;
    }
    return vyra_pack(vyra_addr(out), len);
}

/* echo(text: string) -> string : the same bytes, in a new buffer. */
VYRA_EXPORT(echo)
int64_t echo(const char *text, int32_t len)
{
    return vyra_return_string(text, len);
}

/* byte_sum(data: bytes) -> i32 : sum of the unsigned byte values (wraps modulo 2^32). */
VYRA_EXPORT(byte_sum)
int32_t byte_sum(const uint8_t *data, int32_t len)
{
    uint32_t sum = 0;
    for (int32_t i = 0; i < len; ++i)
        sum += data[i];
    return (int32_t)sum;
}

/* word_count(text: string) -> i32 : runs of non-whitespace bytes separated by
 * ASCII whitespace (space, \t, \n, \r, \v, \f). */
VYRA_EXPORT(word_count)
int32_t word_count(const char *text, int32_t len)
{
    int32_t words = 0;
    int in_word = 0;
    for (int32_t i = 0; i < len; ++i) {
        if (is_space((unsigned char)text[i])) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            ++words;
        }
    }
    return words;
}

/* greet(name: string) -> string : logs "greet: <name>" through host_log and
 * returns "Hello, <name>!". */
VYRA_EXPORT(greet)
int64_t greet(const char *name, int32_t len)
{
    static const char log_prefix[] = "greet: ";
    static const char hello[] = "Hello, ";
    const int32_t log_prefix_len = (int32_t)sizeof(log_prefix) - 1;
    const int32_t hello_len = (int32_t)sizeof(hello) - 1;

    if (len < 0 || len > 0x7FFFFFFF - 16)
        __builtin_trap();

    /* log message in a scratch buffer, freed right after the call */
    int32_t log_len = log_prefix_len + len;
    char *msg = alloc_or_trap(log_len);
    memcpy(msg, log_prefix, (size_t)log_prefix_len);
    memcpy(msg + log_prefix_len, name, (size_t)len);
    host_log(msg, log_len);
    vyra_free(vyra_addr(msg), log_len);

    int32_t out_len = hello_len + len + 1;
    char *out = alloc_or_trap(out_len);
    memcpy(out, hello, (size_t)hello_len);
    memcpy(out + hello_len, name, (size_t)len);
    out[out_len - 1] = '!';
    return vyra_pack(vyra_addr(out), out_len);
}

/* shout(text: string) -> i32 : emits event "text.shout" with the text as its
 * payload and returns the text's byte length. */
VYRA_EXPORT(shout)
int32_t shout(const char *text, int32_t len)
{
    vyra_emit("text.shout", text, len);
    return len;
}

/* describe(doc: json) -> json : {"length":N}, N = byte length of the JSON text
 * received (the text is not parsed). */
VYRA_EXPORT(describe)
int64_t describe(const char *doc, int32_t len)
{
    (void)doc;
    static const char head[] = "{\"length\":";
    const int32_t head_len = (int32_t)sizeof(head) - 1;
    char buf[sizeof(head) + 12];
    memcpy(buf, head, (size_t)head_len);
    int32_t n = head_len;
    n += format_u32((uint32_t)(len < 0 ? 0 : len), buf + n);
    buf[n++] = '}';
    return vyra_return_string(buf, n);
}

/* on_event(name: string, data: json) -> void : counts the event and passes
 * its name (exactly, nothing added) to host_log. */
VYRA_EXPORT(on_event)
void on_event(const char *name, int32_t name_len, const char *data, int32_t data_len)
{
    (void)data;
    (void)data_len;
    ++g_event_count;
    host_log(name, name_len);
}

/* event_count() -> i32 : how many times on_event has run in this instance. */
VYRA_EXPORT(event_count)
int32_t event_count(void)
{
    return g_event_count;
}
