/*
 * wsbench: what the /ws bench tools share (wsbench.h).
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "wsbench.h"


#define WS_GUID  "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static const uint8_t  mask_key[4] = { 0x37, 0xfa, 0x21, 0x3d };


void
die(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
            errno ? strerror(errno) : "");
    exit(1);
}


void
fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", program_invocation_short_name);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}


int64_t
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


void
parse_addr(const char *s, struct sockaddr_in *sa)
{
    char         host[64];
    const char  *colon;

    colon = strrchr(s, ':');
    if (colon == NULL || (size_t) (colon - s) >= sizeof(host)) {
        fail("bad address %s (HOST:PORT)", s);
    }

    memcpy(host, s, colon - s);
    host[colon - s] = '\0';

    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons(atoi(colon + 1));

    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        fail("bad host %s", host);
    }
}


void
nonblock(int fd)
{
    int  one = 1;

    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
        die("fcntl");
    }

    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}


int
connect_to(const struct sockaddr_in *sa, int ep, void *data)
{
    int                  fd;
    struct epoll_event   ev;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) {
        die("socket (ulimit -n?)");
    }

    nonblock(fd);

    if (connect(fd, (const struct sockaddr *) sa, sizeof(*sa)) == -1
        && errno != EINPROGRESS)
    {
        die("connect");
    }

    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.ptr = data;

    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
        die("epoll_ctl");
    }

    return fd;
}


size_t
upgrade_request(int fd, char *out, size_t size, const char *path,
    const char *host, const char *header)
{
    int        err;
    socklen_t  len = sizeof(err);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err) {
        errno = err;
        die("connect");
    }

    return (size_t) snprintf(out, size,
                             "GET %s HTTP/1.1\r\nHost: %s\r\n"
                             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n%s%s\r\n",
                             path, host, header,
                             header[0] ? "\r\n" : "");
}


int
write_out(int fd, const uint8_t *buf, size_t *off, size_t *len)
{
    ssize_t  n;

    while (*off < *len) {
        n = write(fd, buf + *off, *len - *off);

        if (n == -1) {
            return errno == EAGAIN ? 0 : -1;
        }

        *off += n;
    }

    *off = *len = 0;

    return 1;
}


int
listen_on(const struct sockaddr_in *sa)
{
    int  fd, one = 1;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) {
        die("socket");
    }

    (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

    if (bind(fd, (const struct sockaddr *) sa, sizeof(*sa)) == -1
        || listen(fd, 4096) == -1)
    {
        die("bind/listen");
    }

    nonblock(fd);

    return fd;
}


/* a new connection's peer, watched from now on */
static void
serve_accept(int ep, int fd, size_t size)
{
    void                *p;
    struct epoll_event   ev;

    p = calloc(1, size);
    if (p == NULL) {
        die("calloc");
    }

    *(int *) p = fd;
    nonblock(fd);

    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.ptr = p;

    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
        die("epoll_ctl");
    }
}


void
serve(const struct sockaddr_in *sa, size_t size,
    int (*on_write)(void *peer), int (*on_read)(void *peer))
{
    int                  lfd, fd, ep, i, n;
    void                *p;
    struct epoll_event   ev, evs[256];

    lfd = listen_on(sa);

    ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;

    if (ep == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
        die("epoll");
    }

    for ( ;; ) {
        n = epoll_wait(ep, evs, 256, -1);
        if (n == -1 && errno != EINTR) {
            die("epoll_wait");
        }

        for (i = 0; i < n; i++) {
            p = evs[i].data.ptr;

            if (p == NULL) {
                while ((fd = accept(lfd, NULL, NULL)) != -1) {
                    serve_accept(ep, fd, size);
                }
                continue;
            }

            if (((evs[i].events & EPOLLOUT) && on_write(p) != 0)
                || ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    && on_read(p) != 0))
            {
                close(*(int *) p);
                free(p);
            }
        }
    }
}


size_t
frame_build(uint8_t *buf, int opcode, const uint8_t *p, size_t len)
{
    size_t  i, h;

    buf[0] = 0x80 | opcode;

    if (len < 126) {
        buf[1] = 0x80 | len;
        h = 2;

    } else if (len < 65536) {
        buf[1] = 0x80 | 126;
        buf[2] = len >> 8;
        buf[3] = len & 0xff;
        h = 4;

    } else {
        buf[1] = 0x80 | 127;
        for (i = 0; i < 8; i++) {
            buf[2 + i] = (uint8_t) ((uint64_t) len >> (56 - 8 * i));
        }
        h = 10;
    }

    memcpy(buf + h, mask_key, 4);
    h += 4;

    for (i = 0; i < len; i++) {
        buf[h + i] = p[i] ^ mask_key[i & 3];
    }

    return h + len;
}


int
frame_parse(const uint8_t *p, size_t n, int *op, const uint8_t **payload,
    size_t *len, size_t *total, const uint8_t **mask)
{
    size_t    h, i;
    uint64_t  l;

    if (n < 2) {
        return 0;
    }

    l = p[1] & 0x7f;
    h = 2;

    if (l == 126) {
        if (n < 4) {
            return 0;
        }
        l = ((uint64_t) p[2] << 8) | p[3];
        h = 4;

    } else if (l == 127) {
        if (n < 10) {
            return 0;
        }
        for (l = 0, i = 0; i < 8; i++) {
            l = (l << 8) | p[2 + i];
        }
        h = 10;
    }

    if (mask) {
        *mask = (p[1] & 0x80) ? p + h : NULL;
    }

    if (p[1] & 0x80) {
        h += 4;
    }

    if (l > WSB_FRAME_MAX - h) {
        return -1;
    }

    if (n < h + l) {
        return 0;
    }

    *op = p[0] & 0x0f;
    *payload = p + h;
    *len = l;
    *total = h + l;

    return 1;
}


int
ws_accept_answer(const uint8_t *head, size_t len, char *out, size_t size)
{
    char            acc[64], key[128];
    uint8_t         md[EVP_MAX_MD_SIZE];
    const uint8_t  *k, *e, *end;
    size_t          kl;
    unsigned int    mdl;

    end = head + len;

    k = memmem(head, len, "Sec-WebSocket-Key:", 18);
    if (k == NULL) {
        k = memmem(head, len, "sec-websocket-key:", 18);
    }
    if (k == NULL) {
        return -1;
    }

    for (k += 18; k < end && *k == ' '; k++) { /* void */ }
    e = memmem(k, end - k, "\r\n", 2);
    kl = (e ? e : end) - k;
    if (kl == 0 || kl > 64) {
        return -1;
    }

    memcpy(key, k, kl);
    memcpy(key + kl, WS_GUID, sizeof(WS_GUID) - 1);

    EVP_Digest(key, kl + sizeof(WS_GUID) - 1, md, &mdl, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *) acc, md, mdl);

    return snprintf(out, size,
                    "HTTP/1.1 101 Switching Protocols\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
}


long
rss_kib(long pid)
{
    char   path[64], line[256];
    long   kib = -1;
    FILE  *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);

    f = fopen(path, "r");
    if (f == NULL) {
        die(path);
    }

    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = atol(line + 6);
        }
    }

    fclose(f);

    return kib;
}


long
cpu_ms(long pid)
{
    char                 path[64], buf[1024], *p;
    size_t               n;
    FILE                *f;
    unsigned long long   ut, st;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);

    f = fopen(path, "r");
    if (f == NULL) {
        die(path);
    }

    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';

    /* after "(comm)": state is field 3, utime 14 and stime 15 */
    p = strrchr(buf, ')');
    if (p == NULL
        || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                  &ut, &st) != 2)
    {
        fail("cannot read %s", path);
    }

    return (long) ((ut + st) * 1000 / sysconf(_SC_CLK_TCK));
}
