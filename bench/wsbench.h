/*
 * wsbench: what the /ws bench tools share (bench/wsload.c,
 * bench/wsstream.c): errors, the clock, addresses, sockets, WebSocket
 * frames (client frames masked with a fixed key), the server's answer to
 * an upgrade, a process's memory and CPU time from /proc.
 */

#ifndef WSBENCH_H
#define WSBENCH_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* the largest frame frame_parse() takes, header included */
#define WSB_FRAME_MAX  65536

/* print "NAME: what: errno's text" and exit 1 */
void die(const char *what);

/* print "NAME: " fmt (one %s: arg) and exit 1 */
void fail(const char *fmt, const char *arg);

/* CLOCK_MONOTONIC, ns */
int64_t now_ns(void);

/* HOST:PORT (IPv4) into sa; exits on a bad one */
void parse_addr(const char *s, struct sockaddr_in *sa);

/* O_NONBLOCK and TCP_NODELAY */
void nonblock(int fd);

/* a listening non-blocking socket at sa */
int listen_on(const struct sockaddr_in *sa);

/* writes buf from *off to *len as far as fd takes it: 1 all went (both
 * back to 0), 0 it would block, -1 the peer is gone */
int write_out(int fd, const uint8_t *buf, size_t *off, size_t *len);

/* a non-blocking connect to sa, the socket in epoll ep (edge-triggered,
 * in and out) with data; its fd */
int connect_to(const struct sockaddr_in *sa, int ep, void *data);

/* once connected (dies if the connect failed): the WebSocket upgrade for
 * path on host, header ("Name: value", or "") among its headers, into out;
 * its length */
size_t upgrade_request(int fd, char *out, size_t size, const char *path,
    const char *host, const char *header);

/*
 * A server at sa, until killed: each connection it accepts gets a zeroed
 * peer of size bytes whose first member is its fd (an int); on_write and
 * on_read are called for its events, and -1 from either closes and frees
 * it.
 */
void serve(const struct sockaddr_in *sa, size_t size,
    int (*on_write)(void *peer), int (*on_read)(void *peer));

/* a masked client frame of payload p into buf; its length (buf needs len
 * + 14 bytes) */
size_t frame_build(uint8_t *buf, int opcode, const uint8_t *p, size_t len);

/*
 * The frame at p: 1 and its parts when all of it is in the n bytes (mask:
 * its key, NULL when unmasked), 0 when more is needed, -1 when it is over
 * WSB_FRAME_MAX.
 */
int frame_parse(const uint8_t *p, size_t n, int *op, const uint8_t **payload,
    size_t *len, size_t *total, const uint8_t **mask);

/* the 101 answering the upgrade request head (its headers, up to the
 * empty line) into out; its length, -1 without a usable
 * Sec-WebSocket-Key */
int ws_accept_answer(const uint8_t *head, size_t len, char *out,
    size_t size);

/* process pid's VmRSS, KiB (exits when it is gone) */
long rss_kib(long pid);

/* process pid's utime + stime, ms */
long cpu_ms(long pid);

#endif /* WSBENCH_H */
