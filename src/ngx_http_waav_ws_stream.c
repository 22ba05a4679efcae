/*
 * waav: streaming speech to text on /ws.
 *
 * A config naming a provider with a streaming API (Deepgram, AssemblyAI,
 * ElevenLabs, Cartesia: the adapter's stream, src/core/waav_stt_stream.h)
 * opens the provider's WebSocket (ngx_http_waav_wsc.c); WaaV's ready is
 * sent once it is up (the 101, or the provider's own "ready" message), and
 * a provider that refuses or is not up within the provider timeout costs
 * the config ("Failed to start voice manager: ...", no ready).
 *
 * The client's binary audio is forwarded as it arrives, each chunk a
 * provider message (wrapped as the provider wants it), so nothing is held
 * here: what the provider has not read yet waits in the connection's
 * queue, and more than NGX_HTTP_WAAV_WS_STREAM_HOLD seconds of it ends the
 * session (an error, close 1011).  A silent caller's stream gets the
 * provider's keepalive.  Each provider message becomes events: results go
 * through WaaV's turn logic (src/core/waav_stt_turn.c: blank finals
 * dropped, synthetic speech-finals from a timer) as stt_result; a provider
 * error or close ends the stream, not the session ("STT streaming error:
 * ...": a new config starts another).
 *
 * stt_seconds quotas are charged NGX_HTTP_WAAV_WS_STREAM_CHARGE seconds
 * ahead as audio passes, and what was not streamed goes back at the end.
 */

#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_ws.h"
#include "ngx_http_waav_util.h"
#include "waav_errmsg.h"


static void ngx_http_waav_ws_stream_open(void *data);
static void ngx_http_waav_ws_stream_text(void *data, const char *p,
    size_t len);
static void ngx_http_waav_ws_stream_closed(void *data, ngx_uint_t status,
    ngx_uint_t code, const char *why);
static void ngx_http_waav_ws_stream_fail(ngx_http_waav_ws_stream_t *st,
    const char *why);
static void ngx_http_waav_ws_stream_free(ngx_http_waav_ws_stream_t *st,
    ngx_uint_t code);
static void ngx_http_waav_ws_stream_ready_timeout(ngx_event_t *ev);
static void ngx_http_waav_ws_stream_keepalive(ngx_event_t *ev);
static void ngx_http_waav_ws_stream_turn(ngx_event_t *ev);
static void ngx_http_waav_ws_stream_charge(ngx_http_request_t *r);


static const ngx_http_waav_wsc_handler_t  ngx_http_waav_ws_stream_handler = {
    ngx_http_waav_ws_stream_open,
    ngx_http_waav_ws_stream_text,
    ngx_http_waav_ws_stream_closed
};


static void
ngx_http_waav_ws_stream_timer(ngx_http_waav_ws_stream_t *st, ngx_event_t *ev,
    ngx_event_handler_pt handler)
{
    ev->handler = handler;
    ev->data = st;
    ev->log = st->ws->request->connection->log;
    ev->cancelable = 1;             /* a reload closes sessions anyway */
}


ngx_int_t
ngx_http_waav_ws_stream_start(ngx_http_waav_ws_t *ws,
    ngx_http_waav_provider_t *p, waav_http_req_t *preq, char *ready,
    size_t ready_len, ngx_uint_t dag)
{
    ngx_pool_t                  *pool;
    ngx_http_request_t          *pr;
    ngx_http_waav_loc_conf_t    *wlcf;
    ngx_http_waav_ws_stream_t   *st;

    st = ngx_calloc(sizeof(ngx_http_waav_ws_stream_t),
                    ws->request->connection->log);
    pool = ngx_create_pool(4096, ws->request->connection->log);

    if (st == NULL || pool == NULL) {
        goto failed;
    }

    st->ws = ws;
    st->provider = p;
    st->ad = p->stt->stream;
    st->ready = ready;
    st->ready_len = ready_len;
    st->dag = dag ? 1 : 0;
    st->rate = waav_stt_stream_rate(&ws->stt);
    st->last_audio = ngx_current_msec;
    waav_stt_turn_init(&st->turn);

    /* whole samples: rate is bytes a second of whole frames */
    st->pend_min = st->rate * st->ad->min_chunk_ms / 1000;
    st->pend_min -= st->pend_min % (st->rate / ngx_max(ws->stt.sample_rate, 1));

    ngx_http_waav_ws_stream_timer(st, &st->ready_timer,
                                  ngx_http_waav_ws_stream_ready_timeout);
    ngx_http_waav_ws_stream_timer(st, &st->keepalive,
                                  ngx_http_waav_ws_stream_keepalive);
    ngx_http_waav_ws_stream_timer(st, &st->turn_timer,
                                  ngx_http_waav_ws_stream_turn);

    pr = ngx_http_waav_ws_parent(ws, pool, 0);
    if (pr == NULL) {
        goto failed;
    }

    st->wsc = ngx_http_waav_wsc_connect(pr, pool, p, &p->stream_location,
                                        preq, &ngx_http_waav_ws_stream_handler,
                                        st);
    if (st->wsc == NULL) {
        goto failed;
    }

    ngx_queue_insert_tail(&ws->clients, &st->wsc->queue);

    wlcf = ngx_http_get_module_loc_conf(ws->request, ngx_http_waav_module);
    st->wsc->idle_timeout = wlcf->ws_provider_idle_timeout;
    ngx_add_timer(&st->ready_timer, wlcf->ws_provider_timeout);

    ws->stream = st;
    ws->stream_dead = 0;

    return NGX_OK;

failed:

    if (pool) {
        ngx_destroy_pool(pool);
    }

    if (st) {
        ngx_free(st);
    }

    return NGX_ERROR;
}


/* --- up -------------------------------------------------------------------- */

/* the provider is up: WaaV's ready (a DAG's error first, as WaaV) */
static void
ngx_http_waav_ws_stream_up(ngx_http_waav_ws_stream_t *st)
{
    ngx_http_waav_ws_t  *ws;

    if (st->up) {
        return;
    }

    ws = st->ws;
    st->up = 1;

    if (st->ready_timer.timer_set) {
        ngx_del_timer(&st->ready_timer);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                   "waav ws: stream to \"%V\" is up", &st->provider->name);

    if (st->dag) {
        (void) ngx_http_waav_ws_send_error(ws,
                   "DAG routing is not enabled. Build with --features "
                   "dag-routing");
    }

    if (ngx_http_waav_ws_send_text(ws, st->ready, st->ready_len) != NGX_OK) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        return;
    }

    if (st->ad->keepalive) {
        ngx_add_timer(&st->keepalive, st->ad->keepalive_ms);
    }

    ngx_http_waav_ws_flush(ws);
}


static void
ngx_http_waav_ws_stream_open(void *data)
{
    ngx_http_waav_ws_stream_t *st = data;

    if (!st->ad->wait_ready) {
        ngx_http_waav_ws_stream_up(st);
    }
}


static void
ngx_http_waav_ws_stream_ready_timeout(ngx_event_t *ev)
{
    ngx_http_waav_ws_stream_t *st = ev->data;

    ngx_http_waav_ws_stream_fail(st, "Timeout waiting for voice providers "
                                     "to be ready");
}


/* --- the provider's messages ----------------------------------------------- */

/* a result through WaaV's turn logic to the client, the turn's timer
 * re-armed (the streamed providers' and local's) */
ngx_int_t
ngx_http_waav_ws_turn_result(ngx_http_waav_ws_t *ws, waav_stt_turn_t *turn,
    ngx_event_t *timer, waav_stt_event_t *ev, waav_alloc_t *a)
{
    char        *out;
    size_t       n;
    ngx_msec_t   now;
    uint64_t     deadline;

    now = ngx_current_msec;

    /* a TTS that may not be interrupted drops what is heard meanwhile */
    if (ws->uninterruptible_until
        && (ngx_msec_int_t) (ws->uninterruptible_until - now) > 0)
    {
        return NGX_OK;
    }

    if (!waav_stt_turn_result(turn, ev, now)) {
        return NGX_OK;
    }

    deadline = waav_stt_turn_deadline(turn);

    if (deadline) {
        ngx_add_timer(timer,
                      deadline > now ? (ngx_msec_t) (deadline - now) : 1);

    } else if (timer->timer_set) {
        ngx_del_timer(timer);
    }

    out = waav_ws_stt_result(a, ev->transcript, ev->is_final,
                             ev->is_speech_final, ev->confidence, &n);
    if (out == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_waav_ws_send_text(ws, out, n);
}


static ngx_int_t
ngx_http_waav_ws_stream_result(ngx_http_waav_ws_stream_t *st,
    waav_stt_event_t *ev, waav_alloc_t *a)
{
    return ngx_http_waav_ws_turn_result(st->ws, &st->turn, &st->turn_timer,
                                        ev, a);
}


/* WaaV's synthetic speech final: the caller's turn is over */
void
ngx_http_waav_ws_turn_fire(ngx_http_waav_ws_t *ws, waav_stt_turn_t *turn,
    ngx_event_t *ev)
{
    char         *out;
    size_t        n;
    uint64_t      deadline;
    ngx_pool_t   *pool;
    waav_str_t    empty;
    waav_alloc_t  a;

    if (waav_stt_turn_timer(turn, ngx_current_msec)) {
        pool = ngx_create_pool(512, ev->log);
        if (pool == NULL) {
            ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
            return;
        }

        ngx_http_waav_allocator(pool, &a);
        empty.data = "";
        empty.len = 0;

        out = waav_ws_stt_result(&a, empty, 1, 1, 1.0, &n);

        if (out == NULL
            || ngx_http_waav_ws_send_text(ws, out, n) != NGX_OK)
        {
            ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        }

        ngx_destroy_pool(pool);
        ngx_http_waav_ws_flush(ws);
    }

    deadline = waav_stt_turn_deadline(turn);

    if (deadline) {
        ngx_add_timer(ev, deadline > ngx_current_msec
                          ? (ngx_msec_t) (deadline - ngx_current_msec) : 1);
    }
}


static void
ngx_http_waav_ws_stream_turn(ngx_event_t *ev)
{
    ngx_http_waav_ws_stream_t *st = ev->data;

    ngx_http_waav_ws_turn_fire(st->ws, &st->turn, ev);
}


static void
ngx_http_waav_ws_stream_text(void *data, const char *p, size_t len)
{
    ngx_http_waav_ws_stream_t *st = data;

    char                 msg[WAAV_ERRMSG_MAX + 1];
    ngx_int_t            i, n;
    waav_str_t           key;
    ngx_pool_t          *pool;
    waav_alloc_t         a;
    waav_stt_event_t     ev[WAAV_STT_EV_MAX];
    ngx_http_waav_ws_t  *ws;

    /* st may go with any event (a failure frees it): ws stays */
    ws = st->ws;

    pool = ngx_create_pool(1024, ws->request->connection->log);
    if (pool == NULL) {
        ngx_http_waav_ws_close(st->ws, WAAV_WS_CLOSE_INTERNAL);
        return;
    }

    ngx_http_waav_allocator(pool, &a);

    n = st->ad->parse(p, len, ev, WAAV_STT_EV_MAX, &a);

    if (n < 0) {
        ngx_log_error(NGX_LOG_WARN, st->ws->request->connection->log, 0,
                      "waav: provider \"%V\" sent a message waav does not "
                      "understand: \"%*s\"", &st->provider->name,
                      ngx_min(len, 200), p);
        ngx_destroy_pool(pool);
        ngx_http_waav_ws_stream_fail(st, "the provider sent an unexpected "
                                         "message");
        return;
    }

    for (i = 0; i < n && ws->stream == st; i++) {

        switch (ev[i].type) {

        case WAAV_STT_EV_RESULT:
            if (ngx_http_waav_ws_stream_result(st, &ev[i], &a) != NGX_OK) {
                ngx_http_waav_ws_close(st->ws, WAAV_WS_CLOSE_INTERNAL);
            }
            break;

        case WAAV_STT_EV_READY:
            ngx_http_waav_ws_stream_up(st);
            break;

        case WAAV_STT_EV_ERROR:
            /* the provider's words, never the key (a BYOK one's either) */
            key = ws->stt.api_key.len ? ws->stt.api_key
                                      : (waav_str_t) { (char *) st->provider->key.data,
                                                       st->provider->key.len };
            (void) waav_scrub(ev[i].message.data, ev[i].message.len,
                              key.data, key.len, msg, sizeof(msg));
            ngx_http_waav_ws_stream_fail(st, msg);
            break;

        default: /* WAAV_STT_EV_DONE */
            ngx_http_waav_ws_stream_fail(st, "the provider ended the "
                                             "stream");
            break;
        }
    }

    ngx_destroy_pool(pool);

    ngx_http_waav_ws_flush(ws);
}


static void
ngx_http_waav_ws_stream_closed(void *data, ngx_uint_t status,
    ngx_uint_t code, const char *why)
{
    ngx_http_waav_ws_stream_t *st = data;

    char                      msg[WAAV_ERRMSG_MAX + 64];
    waav_err_t                err;
    ngx_http_waav_wsc_t      *wsc;
    ngx_http_waav_failure_t   f;
    ngx_http_waav_provider_t  pv;

    wsc = st->wsc;

    if (status && status != NGX_HTTP_SWITCHING_PROTOCOLS) {
        /* refused: the provider's own words, as on REST, without the key
         * the stream used (a BYOK one's too) */
        pv = *st->provider;

        if (st->ws->stt.api_key.len) {
            pv.key.data = (u_char *) st->ws->stt.api_key.data;
            pv.key.len = st->ws->stt.api_key.len;
        }

        ngx_memzero(&f, sizeof(ngx_http_waav_failure_t));
        ngx_memzero(&err, sizeof(waav_err_t));
        f.rc = NGX_OK;
        f.status = status;
        f.body = wsc->body;
        f.body_len = wsc->body_len;
        f.empty = "no WebSocket (it answered 2xx to the upgrade)";

        ngx_http_waav_provider_failure(st->ws->request, &pv, &f, &err);
        ngx_http_waav_ws_stream_fail(st, err.message);
        return;
    }

    if (code) {
        ngx_snprintf((u_char *) msg, sizeof(msg),
                     "the provider closed the stream (%ui)%Z", code);
        why = msg;
    }

    ngx_http_waav_ws_stream_fail(st, why);
}


/* the stream is over, the session goes on: the client is told (before
 * ready, the config failed: no ready, no audio) */
static void
ngx_http_waav_ws_stream_fail(ngx_http_waav_ws_stream_t *st, const char *why)
{
    char                 msg[WAAV_ERRMSG_MAX + 128];
    ngx_http_waav_ws_t  *ws;

    ws = st->ws;

    ngx_log_error(NGX_LOG_WARN, ws->request->connection->log, 0,
                  "waav: streaming speech to text with \"%V\": %s",
                  &st->provider->name, why);

    ngx_snprintf((u_char *) msg, sizeof(msg), "%s%s%Z",
                 st->up ? "STT streaming error: "
                        : "Failed to start voice manager: ", why);

    if (ws->stream == st) {
        ws->stream = NULL;
        ws->stream_dead = 1;
    }

    if (!st->up) {
        /* the config did not take: no audio, no speaks */
        ws->configured = 0;
        ngx_http_waav_ws_session_stop(ws);
        ws->stt_provider = NULL;
        ws->tts_provider = NULL;
    }

    ngx_http_waav_ws_stream_free(st, WAAV_WS_CLOSE_INTERNAL);

    (void) ngx_http_waav_ws_send_error(ws, msg);
    ngx_http_waav_ws_flush(ws);
}


/* --- audio ----------------------------------------------------------------- */

/* stt_seconds, charged ahead while audio passes (Redis may answer later:
 * the audio goes on meanwhile, within the charge before) */
static void
ngx_http_waav_ws_stream_charge(ngx_http_request_t *r)
{
    char                        msg[WAAV_ERRMSG_MAX + 64];
    ngx_int_t                   rc;
    waav_err_t                  err;
    ngx_http_waav_ws_t         *ws;
    ngx_http_waav_ws_stream_t  *st;

    ws = ngx_http_waav_ws_get(r);
    st = ws ? ws->stream : NULL;

    if (st == NULL || ws->finished) {
        return;
    }

    ngx_memzero(&err, sizeof(waav_err_t));

    rc = ngx_http_waav_limit_charge_q(r, &ws->stt_quota,
                                      NGX_HTTP_WAAV_QUOTA_STT_SECONDS,
                                      NGX_HTTP_WAAV_WS_STREAM_CHARGE,
                                      ngx_http_waav_ws_stream_charge, &err);

    if (rc == NGX_AGAIN) {
        st->charging = 1;
        return;
    }

    st->charging = 0;

    if (rc != NGX_OK) {
        ngx_snprintf((u_char *) msg, sizeof(msg), "%s%Z", err.message);
        ngx_http_waav_ws_stream_fail(st, msg);
        return;
    }

    st->charged += NGX_HTTP_WAAV_WS_STREAM_CHARGE;
}


/* bytes the provider has not read yet, as audio (base64 is 4/3 of it) */
static uint64_t
ngx_http_waav_ws_stream_held(ngx_http_waav_ws_stream_t *st)
{
    uint64_t  n;

    n = ngx_http_waav_wsc_queued(st->wsc);

    return (st->ad->wrap ? n * 3 / 4 : n) + st->pend_len;
}


/* the wrap's one allocation, from the stream's buffer */
static void *
ngx_http_waav_ws_stream_scratch(void *data, size_t size)
{
    ngx_http_waav_ws_stream_t *st = data;

    if (st->scratch_used || size > st->scratch_size) {
        return NULL;
    }

    st->scratch_used = 1;

    return st->scratch;
}


static ngx_int_t
ngx_http_waav_ws_stream_send(ngx_http_waav_ws_stream_t *st, const u_char *p,
    size_t len)
{
    char          *out;
    size_t         n, need;
    waav_alloc_t   a;

    if (st->ad->wrap == NULL) {
        return ngx_http_waav_wsc_binary(st->wsc, p, len);
    }

    /* the wrapped message (base64 is 4/3 of the audio) in the stream's
     * buffer, kept: not a malloc every 20 ms (wslay copies what it queues) */
    need = len * 2 + 512;

    if (need > st->scratch_size) {
        ngx_free(st->scratch);
        st->scratch_size = 0;

        st->scratch = ngx_alloc(need, st->ws->request->connection->log);
        if (st->scratch == NULL) {
            return NGX_ERROR;
        }

        st->scratch_size = need;
    }

    st->scratch_used = 0;
    a.alloc = ngx_http_waav_ws_stream_scratch;
    a.data = st;

    out = st->ad->wrap(p, len, &n, &a);

    return out ? ngx_http_waav_wsc_text(st->wsc, out, n) : NGX_ERROR;
}


/* the audio in messages of exactly pend_min bytes, for a provider that
 * wants them so long (what is shorter waits for more) */
static ngx_int_t
ngx_http_waav_ws_stream_chunk(ngx_http_waav_ws_stream_t *st, const u_char *p,
    size_t len)
{
    size_t  n;

    if (st->pend_min == 0) {
        return ngx_http_waav_ws_stream_send(st, p, len);
    }

    if (st->pend == NULL) {
        st->pend = ngx_alloc(st->pend_min, st->ws->request->connection->log);
        if (st->pend == NULL) {
            return NGX_ERROR;
        }
    }

    while (len) {
        n = ngx_min(len, st->pend_min - st->pend_len);
        ngx_memcpy(st->pend + st->pend_len, p, n);
        st->pend_len += n;
        p += n;
        len -= n;

        if (st->pend_len == st->pend_min) {
            st->pend_len = 0;

            if (ngx_http_waav_ws_stream_send(st, st->pend, st->pend_min)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* what is held goes now (a flush, the end), made as long as the provider
 * wants it with silence */
static ngx_int_t
ngx_http_waav_ws_stream_pad(ngx_http_waav_ws_stream_t *st)
{
    u_char  silence;

    if (st->pend_len == 0) {
        return NGX_OK;
    }

    /* G.711's silence is not 0 */
    switch (waav_stt_stream_encoding(st->ws->stt.encoding)) {

    case WAAV_STT_ENC_MULAW:
        silence = 0xff;
        break;

    case WAAV_STT_ENC_ALAW:
        silence = 0xd5;
        break;

    default:
        silence = 0;
    }

    ngx_memset(st->pend + st->pend_len, silence,
               st->pend_min - st->pend_len);
    st->pend_len = 0;

    return ngx_http_waav_ws_stream_send(st, st->pend, st->pend_min);
}


ngx_int_t
ngx_http_waav_ws_stream_audio(ngx_http_waav_ws_t *ws, const u_char *p,
    size_t len, ngx_uint_t first)
{
    ngx_http_waav_ws_stream_t  *st;

    st = ws->stream;

    if (ws->closing) {
        /* the session ends (the 5 s cap, ...): what still comes is dropped */
        return NGX_OK;
    }

    if (first) {
        st->msg_len = 0;
    }

    st->msg_len += len;

    /* a message over 5 MiB: the rest of it is dropped (and said so) */
    if (st->msg_len > WAAV_WS_BINARY_MAX) {
        return NGX_OK;
    }

    if (ngx_http_waav_ws_stream_chunk(st, p, len) != NGX_OK) {
        /* the provider's connection failed: the stream ends, the session
         * goes on */
        ngx_http_waav_ws_stream_fail(st, "the connection to the provider "
                                         "failed");
        return NGX_OK;
    }

    st->sent += len;
    st->last_audio = ngx_current_msec;

    if (ngx_http_waav_ws_stream_held(st)
        > st->rate * NGX_HTTP_WAAV_WS_STREAM_HOLD)
    {
        ngx_log_error(NGX_LOG_WARN, ws->request->connection->log, 0,
                      "waav: provider \"%V\" is not reading the audio: "
                      "more than %d s of it waits", &st->provider->name,
                      NGX_HTTP_WAAV_WS_STREAM_HOLD);
        ngx_http_waav_ws_fail(ws, "STT streaming error: the provider is not "
                                  "keeping up with the audio (more than 5 "
                                  "seconds of it waiting)",
                              WAAV_WS_CLOSE_INTERNAL);
        return NGX_OK;
    }

    if (!st->charging && st->sent > st->charged * st->rate) {
        ngx_http_waav_ws_stream_charge(ws->request);
    }

    return NGX_OK;
}


void
ngx_http_waav_ws_stream_audio_end(ngx_http_waav_ws_t *ws, uint64_t len)
{
    char  msg[128];

    if (len > WAAV_WS_BINARY_MAX) {
        ngx_snprintf((u_char *) msg, sizeof(msg),
                     "Audio frame too large: %uL bytes (max: %d bytes)%Z",
                     len, WAAV_WS_BINARY_MAX);
        (void) ngx_http_waav_ws_send_error(ws, msg);
    }
}


/* waav's flush: the provider's own (Finalize, ForceEndpoint, commit) */
void
ngx_http_waav_ws_stream_flush(ngx_http_waav_ws_t *ws)
{
    ngx_http_waav_ws_stream_t  *st;

    st = ws->stream;

    if (st == NULL || st->ad->flush == NULL) {
        return;
    }

    if (ngx_http_waav_ws_stream_pad(st) != NGX_OK
        || ngx_http_waav_wsc_text(st->wsc, st->ad->flush,
                                  ngx_strlen(st->ad->flush))
           != NGX_OK)
    {
        ngx_http_waav_ws_stream_fail(st, "the connection to the provider "
                                         "failed");
    }
}


/* a silent caller: the provider's keepalive, so it does not hang up */
static void
ngx_http_waav_ws_stream_keepalive(ngx_event_t *ev)
{
    ngx_http_waav_ws_stream_t *st = ev->data;

    ngx_msec_t  quiet;

    quiet = ngx_current_msec - st->last_audio;

    if (quiet >= st->ad->keepalive_ms) {
        if (ngx_http_waav_wsc_text(st->wsc, st->ad->keepalive,
                                   ngx_strlen(st->ad->keepalive))
            != NGX_OK)
        {
            ngx_http_waav_ws_stream_fail(st, "the connection to the provider "
                                             "failed");
            return;
        }

        st->last_audio = ngx_current_msec;
        quiet = 0;
    }

    ngx_add_timer(ev, st->ad->keepalive_ms - quiet);
}


/* --- the end --------------------------------------------------------------- */

static void
ngx_http_waav_ws_stream_free(ngx_http_waav_ws_stream_t *st, ngx_uint_t code)
{
    uint64_t             seconds;
    ngx_http_waav_ws_t  *ws;

    ws = st->ws;

    /* what was charged ahead and not streamed goes back (all of it when
     * the stream never came up) */
    seconds = (st->rate && st->up) ? (st->sent + st->rate - 1) / st->rate : 0;

    ngx_http_waav_ws_refund_ahead(ws, &st->provider->name, st->charged,
                                  seconds, st->charging);

    if (st->ready_timer.timer_set) {
        ngx_del_timer(&st->ready_timer);
    }

    if (st->keepalive.timer_set) {
        ngx_del_timer(&st->keepalive);
    }

    if (st->turn_timer.timer_set) {
        ngx_del_timer(&st->turn_timer);
    }

    ngx_http_waav_wsc_free(st->wsc, code, 0);
    ngx_free(st->pend);
    ngx_free(st->scratch);
    ngx_free(st);
}


/* stt_seconds charged ahead and not used go back (a charge waiting for
 * Redis: all of it); the seconds used are counted under the provider the
 * recognition had (the session may have another by now) */
void
ngx_http_waav_ws_refund_ahead(ngx_http_waav_ws_t *ws, ngx_str_t *provider,
    uint64_t charged, uint64_t used, ngx_uint_t charging)
{
    if (used) {
        ngx_http_waav_metrics_ws_stt(ws->request, provider, used);
    }

    if (charging) {
        ngx_http_waav_limit_refund_q(ws->request, ws->stt_quota,
                                     (uint64_t) -1);

    } else if (charged > used) {
        ngx_http_waav_limit_refund_q(ws->request, ws->stt_quota,
                                     charged - used);
    }
}


void
ngx_http_waav_ws_stream_stop(ngx_http_waav_ws_t *ws)
{
    ngx_http_waav_ws_stream_t  *st;

    st = ws->stream;
    ws->stream_dead = 0;

    if (st == NULL) {
        return;
    }

    ws->stream = NULL;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                   "waav ws: stream to \"%V\" stops", &st->provider->name);

    /* the audio held, the provider's goodbye (CloseStream, Terminate,
     * done), then a close */
    (void) ngx_http_waav_ws_stream_pad(st);

    if (st->ad->finish) {
        (void) ngx_http_waav_wsc_text(st->wsc, st->ad->finish,
                                      ngx_strlen(st->ad->finish));
    }

    ngx_http_waav_ws_stream_free(st, WAAV_WS_CLOSE_NORMAL);
}


/* the session's provider handshakes in flight (abandoned ones included:
 * each holds a connection until its provider answers) */
ngx_uint_t
ngx_http_waav_ws_stream_pending(ngx_http_waav_ws_t *ws)
{
    ngx_uint_t            n;
    ngx_queue_t          *q;
    ngx_http_waav_wsc_t  *wsc;

    n = 0;

    for (q = ngx_queue_head(&ws->clients);
         q != ngx_queue_sentinel(&ws->clients);
         q = ngx_queue_next(q))
    {
        wsc = ngx_queue_data(q, ngx_http_waav_wsc_t, queue);

        if (wsc->pool && !wsc->done) {
            n++;
        }
    }

    return n;
}


void
ngx_http_waav_ws_stream_cleanup(ngx_http_waav_ws_t *ws)
{
    ngx_queue_t          *q;
    ngx_http_waav_wsc_t  *wsc;

    if (ws->stream) {
        ngx_http_waav_ws_stream_stop(ws);
    }

    while (!ngx_queue_empty(&ws->clients)) {
        q = ngx_queue_head(&ws->clients);
        ngx_queue_remove(q);
        q->next = NULL;

        wsc = ngx_queue_data(q, ngx_http_waav_wsc_t, queue);
        ngx_http_waav_wsc_free(wsc, WAAV_WS_CLOSE_GOING_AWAY, 1);
    }
}
