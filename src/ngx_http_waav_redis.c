/*
 * waav: Redis for fleet-wide limits, through hiredis' async API attached to
 * nginx's event loop (never a blocking call in a worker).
 *
 * One connection per worker and Redis target, opened on first use and
 * re-opened with backoff (100 ms doubling to 5 s) when it drops.  The host
 * is resolved when the configuration is read, so hiredis only ever sees an
 * IP address.  Commands go out with a callback and the caller's own
 * timeout; a late reply for a request that has moved on is dropped.
 */

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_redis.h"


#define NGX_HTTP_WAAV_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_WAAV_REDIS_BACKOFF_MAX  5000


static void ngx_http_waav_redis_connect(ngx_http_waav_redis_t *rd);
static void ngx_http_waav_redis_drop(ngx_http_waav_redis_t *rd);
static void ngx_http_waav_redis_notify(ngx_http_waav_redis_t *rd);


/* --- hiredis' event hooks on an nginx connection ------------------------ */

static void
ngx_http_waav_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    redisAsyncHandleRead(c->data);
}


static void
ngx_http_waav_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t       *c = ev->data;
    redisAsyncContext      *ac = c->data;
    ngx_http_waav_redis_t  *rd = ac->data;

    /* inside, a wish to write more means the socket is full: wait for it */
    rd->writing = 1;
    redisAsyncHandleWrite(ac);
    rd->writing = 0;
}


static void
ngx_http_waav_redis_add_read(void *data)
{
    ngx_connection_t  *c = data;

    /* level-triggered: hiredis reads once per call */
    if (!c->read->active) {
        (void) ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_waav_redis_del_read(void *data)
{
    ngx_connection_t  *c = data;

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_waav_redis_add_write(void *data)
{
    ngx_connection_t       *c = data;
    redisAsyncContext      *ac = c->data;
    ngx_http_waav_redis_t  *rd = ac->data;

    /*
     * Once connected, commands are written when this turn of the event
     * loop ends (all the turn's commands in one write, no epoll_ctl per
     * command); only a full socket waits for a write event.
     */
    if (rd->connected && !rd->writing) {
        if (!c->write->posted && !c->write->active) {
            ngx_post_event(c->write, &ngx_posted_events);
        }

        return;
    }

    if (!c->write->active) {
        (void) ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_waav_redis_del_write(void *data)
{
    ngx_connection_t  *c = data;

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }
}


static void
ngx_http_waav_redis_cleanup(void *data)
{
    ngx_connection_t  *c = data;

    ngx_http_waav_redis_del_read(c);
    ngx_http_waav_redis_del_write(c);

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    /* hiredis closes the socket itself */
    ngx_free_connection(c);
    c->fd = (ngx_socket_t) -1;
}


/* --- connecting --------------------------------------------------------- */

static void
ngx_http_waav_redis_log(ngx_http_waav_redis_t *rd, const char *what,
    const char *detail)
{
    rd->failing = 1;
    ngx_http_waav_metrics_redis(rd, 0);

    /* once per 10 s, not per request */
    if (ngx_time() - rd->last_log < 10) {
        return;
    }

    rd->last_log = ngx_time();

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "waav: redis %V %s: %s (limits %s meanwhile)", &rd->url,
                  what, detail, rd->fail_open ? "fall back to local counters"
                                              : "refuse requests");
}


static void
ngx_http_waav_redis_retry(ngx_event_t *ev)
{
    ngx_http_waav_redis_connect(ev->data);
}


/* a connect failed or the connection is gone: try again later */
static void
ngx_http_waav_redis_schedule(ngx_http_waav_redis_t *rd)
{
    rd->connecting = 0;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    rd->backoff = rd->backoff ? ngx_min(rd->backoff * 2,
                                        NGX_HTTP_WAAV_REDIS_BACKOFF_MAX)
                              : NGX_HTTP_WAAV_REDIS_BACKOFF_MIN;

    rd->reconnect.handler = ngx_http_waav_redis_retry;
    rd->reconnect.data = rd;
    rd->reconnect.log = ngx_cycle->log;
    rd->reconnect.cancelable = 1;

    if (!rd->reconnect.timer_set) {
        ngx_add_timer(&rd->reconnect, rd->backoff);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "waav redis %V: reconnect in %M ms", &rd->url,
                       rd->backoff);
    }

    /* whoever waits for the connect learns it failed */
    ngx_http_waav_redis_notify(rd);
}


/* AUTH, SELECT and PING answered: commands may go out */
static void
ngx_http_waav_redis_ready(ngx_http_waav_redis_t *rd)
{
    ngx_http_waav_metrics_redis(rd, 1);
    rd->ready = 1;
    rd->connecting = 0;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav redis %V: ready", &rd->url);

    ngx_http_waav_redis_notify(rd);
}


static void
ngx_http_waav_redis_notify(ngx_http_waav_redis_t *rd)
{
    if (rd->notify) {
        rd->notify(rd->data);
    }
}


static char  ngx_http_waav_redis_auth_failed[] = "AUTH failed";
static char  ngx_http_waav_redis_select_failed[] = "SELECT failed";
static char  ngx_http_waav_redis_ping_failed[] = "PING failed";


static void
ngx_http_waav_redis_setup_reply(redisAsyncContext *ac, void *reply, void *data)
{
    redisReply             *rep = reply;
    ngx_http_waav_redis_t  *rd = ac->data;

    if (rep == NULL || (!rd->connecting && !rd->ready)) {
        return;                         /* gone, or already given up */
    }

    if (rep->type == REDIS_REPLY_ERROR) {
        ngx_http_waav_redis_log(rd, data, rep->str);

        /* not usable: hang up when the replies are in, then back off */
        rd->ready = 0;
        rd->connecting = 0;
        redisAsyncDisconnect(ac);
        ngx_http_waav_redis_notify(rd);
        return;
    }

    /* PING is sent last: Redis itself answered, not just the kernel */
    if (data == ngx_http_waav_redis_ping_failed) {
        ngx_http_waav_redis_ready(rd);
    }
}


static void
ngx_http_waav_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_http_waav_redis_t  *rd = ac->data;

    if (status != REDIS_OK) {
        if (rd->connect_timer.timer_set) {
            ngx_del_timer(&rd->connect_timer);
        }

        ngx_http_waav_redis_log(rd, "connect failed", ac->errstr);
        rd->ac = NULL;                  /* hiredis frees it */
        ngx_http_waav_redis_schedule(rd);
        return;
    }

    rd->connected = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav redis %V: connected", &rd->url);

    /* usable once AUTH, SELECT and PING answered OK */
    if (rd->password.len) {
        redisAsyncCommand(rd->ac, ngx_http_waav_redis_setup_reply,
                          ngx_http_waav_redis_auth_failed, "AUTH %b",
                          rd->password.data,
                          rd->password.len);
    }

    if (rd->db) {
        redisAsyncCommand(rd->ac, ngx_http_waav_redis_setup_reply,
                          ngx_http_waav_redis_select_failed, "SELECT %d",
                          (int) rd->db);
    }

    redisAsyncCommand(rd->ac, ngx_http_waav_redis_setup_reply,
                      ngx_http_waav_redis_ping_failed, "PING");
}


/* a connect that hangs (a black-holed host, a Redis that does not answer)
 * is given up */
static void
ngx_http_waav_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_http_waav_redis_t  *rd = ev->data;

    if (rd->ac && !rd->ready) {
        ngx_http_waav_redis_log(rd, "connect failed", "timed out");
        ngx_http_waav_redis_drop(rd);
    }
}


static void
ngx_http_waav_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_http_waav_redis_t  *rd = ac->data;

    if (rd->ac != ac) {
        return;                         /* already dropped by us */
    }

    rd->ac = NULL;
    rd->connected = 0;
    ngx_http_waav_metrics_redis(rd, -1);
    rd->ready = 0;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav redis %V: disconnected (%s)", &rd->url,
                   status == REDIS_OK ? "by us" : ac->errstr);

    if (status != REDIS_OK) {
        ngx_http_waav_redis_log(rd, "connection lost", ac->errstr);
    }

    ngx_http_waav_redis_schedule(rd);
}


static void
ngx_http_waav_redis_connect(ngx_http_waav_redis_t *rd)
{
    redisAsyncContext  *ac;
    ngx_connection_t   *c;

    if (rd->ac) {
        return;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav redis %V: connecting to %V:%d", &rd->url, &rd->host,
                   (int) rd->port);

    rd->connecting = 1;

    ac = redisAsyncConnect((char *) rd->host.data, (int) rd->port);

    if (ac == NULL || ac->err) {
        ngx_http_waav_redis_log(rd, "connect failed",
                                ac ? ac->errstr : "out of memory");
        if (ac) {
            redisAsyncFree(ac);
        }

        ngx_http_waav_redis_schedule(rd);
        return;
    }

    c = ngx_get_connection(ac->c.fd, ngx_cycle->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_waav_redis_schedule(rd);
        return;
    }

    c->data = ac;
    c->read->handler = ngx_http_waav_redis_read_handler;
    c->write->handler = ngx_http_waav_redis_write_handler;
    c->read->log = c->log;
    c->write->log = c->log;

    ac->data = rd;
    ac->ev.data = c;
    ac->ev.addRead = ngx_http_waav_redis_add_read;
    ac->ev.delRead = ngx_http_waav_redis_del_read;
    ac->ev.addWrite = ngx_http_waav_redis_add_write;
    ac->ev.delWrite = ngx_http_waav_redis_del_write;
    ac->ev.cleanup = ngx_http_waav_redis_cleanup;

    rd->ac = ac;

    redisAsyncSetConnectCallback(ac, ngx_http_waav_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_http_waav_redis_on_disconnect);

    rd->connect_timer.handler = ngx_http_waav_redis_connect_timeout;
    rd->connect_timer.data = rd;
    rd->connect_timer.log = ngx_cycle->log;
    rd->connect_timer.cancelable = 1;

    ngx_add_timer(&rd->connect_timer, ngx_max(10 * rd->timeout, 1000));
}


/* gives the connection up now: pending calls get NULL, then back off */
static void
ngx_http_waav_redis_drop(ngx_http_waav_redis_t *rd)
{
    redisAsyncContext  *ac;

    ac = rd->ac;
    rd->ac = NULL;
    rd->connected = 0;
    ngx_http_waav_metrics_redis(rd, -1);
    rd->ready = 0;
    rd->timeouts = 0;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    /* first: the calls failed by the free must not reconnect at once */
    ngx_http_waav_redis_schedule(rd);

    if (ac) {
        redisAsyncFree(ac);
    }
}


/* --- commands ----------------------------------------------------------- */

static void
ngx_http_waav_redis_reply(redisAsyncContext *ac, void *reply, void *data)
{
    ngx_http_waav_redis_call_t  *call = data;
    redisReply                  *rep = reply;
    ngx_http_waav_redis_t       *rd;
    int                          rc;

    rd = ac->data;

    if (rep && rep->type != REDIS_REPLY_ERROR) {
        /* an answer: Redis is there */
        rd->timeouts = 0;
        rd->backoff = 0;

        if (rd->failing) {
            rd->failing = 0;
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "waav: redis %V is back", &rd->url);
        }
    }

    /* a script Redis does not know (after a restart): send it whole */
    if (rep && rep->type == REDIS_REPLY_ERROR
        && ngx_strncmp(rep->str, "NOSCRIPT", 8) == 0 && !call->retried)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "waav redis %V: NOSCRIPT, the script goes whole",
                       &rd->url);

        call->retried = 1;
        call->argv[0] = "EVAL";
        call->argvlen[0] = 4;
        call->argv[1] = (char *) call->script.data;
        call->argvlen[1] = call->script.len;

        rc = redisAsyncCommandArgv(ac, ngx_http_waav_redis_reply, call,
                                   call->argc, (const char **) call->argv,
                                   call->argvlen);
        if (rc == REDIS_OK) {
            return;
        }
    }

    if (rd->pending) {
        rd->pending--;
    }

    if (call->handler) {
        call->handler(call, rep);
    }

    ngx_free(call);
}


/* 1: commands can go out now (if not, a connect may be under way) */
ngx_uint_t
ngx_http_waav_redis_usable(ngx_http_waav_redis_t *rd)
{
    /* reconnects wait for the backoff timer; none once the worker exits */
    if (rd->ac == NULL && !rd->reconnect.timer_set && !rd->closed
        && !ngx_exiting)
    {
        ngx_http_waav_redis_connect(rd);
    }

    /* while Redis is slow, do not pile up work for it without bound */
    return rd->ac != NULL && rd->ready && rd->pending < 10000;
}


/* 1: a connect (or its AUTH and SELECT) is under way: worth waiting for */
ngx_uint_t
ngx_http_waav_redis_connecting(ngx_http_waav_redis_t *rd)
{
    return rd->ac != NULL && rd->connecting;
}


/*
 * Sends EVALSHA sha ..., falling back to EVAL script on NOSCRIPT; the
 * handler gets the reply, or NULL when the connection went away, and the
 * call is freed after it.  NGX_DECLINED: Redis is not usable (nothing was
 * sent, the call is still the caller's).
 */
ngx_int_t
ngx_http_waav_redis_eval(ngx_http_waav_redis_t *rd,
    ngx_http_waav_redis_call_t *call)
{
    if (!ngx_http_waav_redis_usable(rd)) {
        return NGX_DECLINED;
    }

    call->redis = rd;
    call->argv[0] = "EVALSHA";
    call->argvlen[0] = 7;
    call->argv[1] = (char *) call->sha.data;
    call->argvlen[1] = call->sha.len;

    if (redisAsyncCommandArgv(rd->ac, ngx_http_waav_redis_reply, call,
                              call->argc, (const char **) call->argv,
                              call->argvlen)
        != REDIS_OK)
    {
        return NGX_DECLINED;
    }

    rd->pending++;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav redis %V: script call sent, %d arguments, %ui out",
                   &rd->url, call->argc, rd->pending);

    return NGX_OK;
}


/* warms the connection up in a worker so the first requests find it open */
ngx_int_t
ngx_http_waav_redis_init_process(ngx_http_waav_redis_t *rd)
{
    ngx_http_waav_redis_connect(rd);

    return NGX_OK;
}


void
ngx_http_waav_redis_failure(ngx_http_waav_redis_t *rd, const char *what,
    const char *detail)
{
    ngx_http_waav_redis_log(rd, what, detail);
}


/* a call went unanswered: three in a row, and the connection is reset */
void
ngx_http_waav_redis_timeout(ngx_http_waav_redis_t *rd)
{
    ngx_http_waav_redis_log(rd, "timed out", "no answer in time");

    if (++rd->timeouts >= 3 && rd->ac) {
        ngx_http_waav_redis_drop(rd);
    }
}


void
ngx_http_waav_redis_exit_process(ngx_http_waav_redis_t *rd)
{
    redisAsyncContext  *ac;

    ac = rd->ac;
    rd->ac = NULL;
    rd->closed = 1;
    ngx_http_waav_metrics_redis(rd, -1);

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    if (ac) {
        redisAsyncFree(ac);
    }
}


/* redis://[:password@]host[:port][/db] */
char *
ngx_http_waav_redis_parse(ngx_conf_t *cf, ngx_str_t *url,
    ngx_http_waav_redis_t *rd)
{
    u_char     *p, *last, *at, *slash;
    ngx_url_t   u;
    ngx_str_t   rest;
    socklen_t   len;
    u_char      text[NGX_SOCKADDR_STRLEN];

    rd->url = *url;

    if (url->len < 8 || ngx_strncmp(url->data, "redis://", 8) != 0) {
        return "needs redis=redis://[:password@]host[:port][/db]";
    }

    p = url->data + 8;
    last = url->data + url->len;

    at = ngx_strlchr(p, last, '@');
    if (at) {
        if (*p == ':') {
            p++;
        }

        rd->password.data = p;
        rd->password.len = at - p;
        p = at + 1;
    }

    slash = ngx_strlchr(p, last, '/');
    if (slash) {
        rd->db = ngx_atoi(slash + 1, last - slash - 1);
        if (rd->db == NGX_ERROR) {
            return "has an invalid redis database number";
        }

        last = slash;
    }

    rest.data = p;
    rest.len = last - p;

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = rest;
    u.default_port = 6379;

    /* resolved now, while reading the configuration */
    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "redis %V: %s", &rest,
                           u.err ? u.err : "host not found");
        return NGX_CONF_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text,
                        NGX_SOCKADDR_STRLEN, 0);

    rd->host.data = ngx_pnalloc(cf->pool, len + 1);
    if (rd->host.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(rd->host.data, text, len);
    rd->host.data[len] = '\0';
    rd->host.len = len;
    rd->port = u.port;

    return NGX_CONF_OK;
}
