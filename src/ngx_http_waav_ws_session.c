/*
 * waav: a /ws session's messages (waav-compat.md section 5.2-5.4).
 *
 * Each text message is parsed by the core (src/core/waav_ws_msg.c) into
 * a pool of its own, destroyed once the message is handled, so a session
 * of hours does not grow its request's pool; a config's pool is kept as
 * the session's configuration until the next config replaces it.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_byok.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_ws.h"


#define NGX_HTTP_WAAV_WS_MSG_POOL  4096

#define NGX_HTTP_WAAV_WS_AUTH_FIRST                                          \
    "Authentication required. Send auth message first."
#define NGX_HTTP_WAAV_WS_AUDIO_OFF                                           \
    "Audio processing is disabled. Send config message with audio=true "   \
    "first."


static ngx_int_t ngx_http_waav_ws_dispatch(ngx_http_waav_ws_t *ws,
    waav_ws_msg_t *msg, ngx_pool_t **pool);
static void ngx_http_waav_ws_ping(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg,
    waav_alloc_t *a);
static ngx_int_t ngx_http_waav_ws_config(ngx_http_waav_ws_t *ws,
    waav_ws_msg_t *msg, waav_alloc_t *a);
static void ngx_http_waav_ws_speak(ngx_http_waav_ws_t *ws,
    waav_ws_msg_t *msg);


void
ngx_http_waav_ws_message(ngx_http_waav_ws_t *ws, const char *p, size_t len)
{
    waav_err_t                 err;
    waav_alloc_t               a;
    waav_str_t                 dflt;
    waav_ws_msg_t              msg;
    ngx_pool_t                *pool;
    ngx_http_waav_ctx_t       *ctx;
    ngx_http_waav_loc_conf_t  *wlcf;

    if (ws->closing || ws->finished) {
        return;
    }

    /* an auth message is being decided: this one waits its turn */
    if (ngx_http_waav_ws_auth_hold(ws, p, len) == NGX_OK) {
        return;
    }

    pool = ngx_create_pool(NGX_HTTP_WAAV_WS_MSG_POOL,
                           ws->request->connection->log);
    if (pool == NULL) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        return;
    }

    ngx_http_waav_allocator(pool, &a);
    ngx_memzero(&err, sizeof(waav_err_t));

    wlcf = ngx_http_get_module_loc_conf(ws->request, ngx_http_waav_module);
    dflt.data = (char *) wlcf->tts_default.data;
    dflt.len = wlcf->tts_default.len;

    if (waav_ws_msg_parse_default(&msg, p, len, dflt, &a, &err) != 0) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                       "waav ws: message refused: %s", err.message);
        (void) ngx_http_waav_ws_send_error(ws, err.message);
        ngx_destroy_pool(pool);
        return;
    }

    ctx = ngx_http_waav_find_ctx(ws->request);

    if (ctx->auth_pending && msg.type != WAAV_WS_MSG_AUTH) {
        ngx_http_waav_ws_fail(ws, NGX_HTTP_WAAV_WS_AUTH_FIRST,
                              WAAV_WS_CLOSE_POLICY);
        ngx_destroy_pool(pool);
        return;
    }

    if (ngx_http_waav_ws_dispatch(ws, &msg, &pool) != NGX_OK) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
    }

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


/* NGX_ERROR ends the session (out of memory); a config that is kept takes
 * the message's pool (*pool becomes NULL) */
static ngx_int_t
ngx_http_waav_ws_dispatch(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg,
    ngx_pool_t **pool)
{
    char          buf[WAAV_WS_CUSTOM_TYPE_MAX + 64];
    ngx_int_t     rc;
    waav_alloc_t  a;

    ngx_http_waav_allocator(*pool, &a);

    switch (msg->type) {

    case WAAV_WS_MSG_AUTH:
        ngx_http_waav_ws_auth(ws, msg);
        return NGX_OK;

    case WAAV_WS_MSG_PING:
        ngx_http_waav_ws_ping(ws, msg, &a);
        return NGX_OK;

    case WAAV_WS_MSG_CONFIG:
        rc = ngx_http_waav_ws_config(ws, msg, &a);

        if (rc != NGX_DECLINED) {
            /* the session's configuration points into the message's pool
             * (NGX_ERROR too: it was taken, then ready could not be sent) */
            if (ws->config_pool) {
                ngx_destroy_pool(ws->config_pool);
            }

            ws->config_pool = *pool;
            *pool = NULL;
        }

        return rc == NGX_DECLINED ? NGX_OK : rc;

    case WAAV_WS_MSG_SPEAK:
        ngx_http_waav_ws_speak(ws, msg);
        return NGX_OK;

    case WAAV_WS_MSG_CLEAR:
        ngx_http_waav_ws_tts_clear(ws, 0);
        return NGX_OK;

    case WAAV_WS_MSG_FLUSH:
        if (!ws->audio_on) {
            return ngx_http_waav_ws_send_error(ws, NGX_HTTP_WAAV_WS_AUDIO_OFF);
        }

        ngx_http_waav_ws_stt_flush(ws);
        return NGX_OK;

    case WAAV_WS_MSG_SEND_MESSAGE:
        return ngx_http_waav_ws_send_error(ws,
                   "LiveKit client not configured. Send config message with "
                   "livekit configuration first.");

    case WAAV_WS_MSG_SIP_TRANSFER:
        return ngx_http_waav_ws_send_error(ws,
                   "Room name not available. Ensure LiveKit is configured.");

    case WAAV_WS_MSG_CUSTOM:
        ngx_snprintf((u_char *) buf, sizeof(buf),
                     "Unknown custom message type: %*s%Z",
                     ngx_min(msg->custom_type.len, WAAV_WS_CUSTOM_TYPE_MAX),
                     msg->custom_type.data);
        return ngx_http_waav_ws_send_error(ws, buf);

    default:
        return ngx_http_waav_ws_send_error(ws,
                                           "Invalid message format: unknown "
                                           "message type");
    }
}


static void
ngx_http_waav_ws_ping(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg,
    waav_alloc_t *a)
{
    char    *out;
    size_t   len;

    out = waav_ws_pong(a, msg->timestamp, &len);

    if (out == NULL || ngx_http_waav_ws_send_text(ws, out, len) != NGX_OK) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
    }
}


/* --- config -------------------------------------------------------------- */

static ngx_int_t
ngx_http_waav_ws_not_configured(ngx_http_waav_ws_t *ws,
    ngx_http_waav_provider_t *p, waav_str_t name)
{
    u_char  buf[WAAV_TTS_MAX_IDENT + 128];

    if (p == NULL) {
        ngx_snprintf(buf, sizeof(buf), "Unsupported provider: %*s%Z",
                     ngx_min(name.len, WAAV_TTS_MAX_IDENT), name.data);

    } else {
        ngx_snprintf(buf, sizeof(buf),
                     "%s API key not configured in server environment%Z",
                     p->ptype->title);
    }

    (void) ngx_http_waav_ws_send_error(ws, (char *) buf);

    return NGX_DECLINED;
}


/* a config's own provider key (waav_byok): *pp becomes the provider with
 * it, or the client is told why not.  The copy lives in the session's
 * pool (calls of an earlier config may still name it): the one in use is
 * taken again when a config repeats provider and key, so a session that
 * sends the same config again and again does not grow its pool */
static ngx_int_t
ngx_http_waav_ws_byok(ngx_http_waav_ws_t *ws, ngx_http_waav_provider_t **pp,
    ngx_http_waav_provider_t *cur, waav_str_t key, const waav_cred_t *direct)
{
    waav_err_t  err;

    if (key.len == 0) {
        return NGX_OK;
    }

    if (cur && cur != *pp && cur->name.data == (*pp)->name.data
        && cur->key.len == key.len
        && ngx_memcmp(cur->key.data, key.data, key.len) == 0)
    {
        *pp = cur;
        return NGX_OK;
    }

    ngx_memzero(&err, sizeof(waav_err_t));

    if (ngx_http_waav_byok_provider(ws->request, pp, key, direct, &err)
        != NGX_OK)
    {
        (void) ngx_http_waav_ws_send_error(ws, err.message);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* a streaming provider: the upgrade request, built now (a config the
 * provider cannot honour gets no ready); a BYOK api_key wins */
static ngx_int_t
ngx_http_waav_ws_config_stream(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg,
    ngx_http_waav_provider_t *p, waav_alloc_t *a, waav_http_req_t **preq)
{
    waav_err_t     err;
    waav_secret_t  secret;

    if (!p->usable && msg->stt.api_key.len == 0) {
        return ngx_http_waav_ws_not_configured(ws, p, msg->stt.provider);
    }

    if (ngx_http_waav_ws_stream_pending(ws)
        >= NGX_HTTP_WAAV_WS_STREAM_PENDING)
    {
        (void) ngx_http_waav_ws_send_error(ws,
                   "Failed to start voice manager: provider connections of "
                   "this session are still opening; send config again once "
                   "ready or an error came");
        return NGX_DECLINED;
    }

    ngx_http_waav_provider_secret(p, &secret);

    if (msg->stt.api_key.len) {
        secret.key = msg->stt.api_key;
    }

    *preq = waav_alloc(a, sizeof(waav_http_req_t));
    if (*preq == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_stt_stream_open(p->stt->stream, &msg->stt, &secret, *preq, a,
                             &err)
        != 0)
    {
        (void) ngx_http_waav_ws_send_error(ws, err.message);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* the STT side of a config: a provider /ws can transcribe with, streamed
 * (*preq: its upgrade request) or buffered */
static ngx_int_t
ngx_http_waav_ws_config_stt(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg,
    waav_alloc_t *a, ngx_http_waav_provider_t **pp, waav_http_req_t **preq)
{
    u_char                     buf[WAAV_TTS_MAX_IDENT + 160];
    ngx_http_waav_provider_t  *p;

    p = ngx_http_waav_provider_find(ws->request, msg->stt.provider);

    if (p == NULL || p->stt == NULL) {
        return ngx_http_waav_ws_not_configured(ws, NULL, msg->stt.provider);
    }

    if (ngx_http_waav_ws_byok(ws, &p, ws->stt_provider, msg->stt.api_key,
                              NULL)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    *preq = NULL;

    if (p->ptype->embedded) {
        /* pocketsphinx in the thread pool (ngx_http_waav_ws_local.c) */
        if (ngx_http_waav_ws_local_config(ws, &msg->stt, p, a) != NGX_OK) {
            return NGX_DECLINED;
        }

        *pp = p;
        return NGX_OK;
    }

    if (!p->stt->ws_buffered) {
        if (p->stt->stream == NULL) {
            ngx_snprintf(buf, sizeof(buf),
                         "Unsupported provider: %V (it has no streaming "
                         "speech-to-text)%Z", &p->name);
            (void) ngx_http_waav_ws_send_error(ws, (char *) buf);
            return NGX_DECLINED;
        }

        *pp = p;
        return ngx_http_waav_ws_config_stream(ws, msg, p, a, preq);
    }

    if (!p->usable) {
        return ngx_http_waav_ws_not_configured(ws, p, msg->stt.provider);
    }

    if (!ngx_http_waav_ws_stt_encoding_ok(msg->stt.encoding)) {
        ngx_snprintf(buf, sizeof(buf),
                     "Unsupported encoding for %V: %*s (waav transcribes "
                     "16-bit PCM on /ws: linear16)%Z", &p->name,
                     ngx_min(msg->stt.encoding.len, WAAV_TTS_MAX_IDENT),
                     msg->stt.encoding.data);
        (void) ngx_http_waav_ws_send_error(ws, (char *) buf);
        return NGX_DECLINED;
    }

    *pp = p;

    return NGX_OK;
}


/* the TTS side: the provider, and options it can honour (a request is
 * built once with a placeholder, so a config it refuses gets no ready) */
static ngx_int_t
ngx_http_waav_ws_config_tts(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg,
    waav_alloc_t *a, ngx_http_waav_provider_t **pp)
{
    waav_err_t                 err;
    waav_tts_req_t             req;
    waav_tts_out_t             out;
    ngx_http_waav_provider_t  *p;

    p = ngx_http_waav_provider_find(ws->request, msg->tts.provider);

    if (p == NULL || p->tts == NULL) {
        return ngx_http_waav_ws_not_configured(ws, NULL, msg->tts.provider);
    }

    if (ngx_http_waav_ws_byok(ws, &p, ws->tts_provider, msg->tts.api_key,
                              p->tts->byok_cred)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    if (!p->usable) {
        return ngx_http_waav_ws_not_configured(ws, p, msg->tts.provider);
    }

    /* WaaV's names (OpenAI's models and voices), for every speak */
    waav_tts_names(p->tts, &msg->tts);

    req = msg->tts;
    req.text.data = "waav";
    req.text.len = 4;
    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_tts_build(p->tts, &req, NULL, &out, a, &err) != 0) {
        (void) ngx_http_waav_ws_send_error(ws, err.message);
        return NGX_DECLINED;
    }

    *pp = p;

    return NGX_OK;
}


/* NGX_OK: the session has the new configuration and ready was sent;
 * NGX_DECLINED: an error was sent, the old configuration stays */
static ngx_int_t
ngx_http_waav_ws_config(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg,
    waav_alloc_t *a)
{
    char                        id[37], *out;
    size_t                      len;
    waav_str_t                  stream_id, url;
    u_char                      rnd[16];
    ngx_uint_t                  i;
    waav_http_req_t            *preq;
    ngx_http_waav_provider_t   *stt, *tts;
    ngx_http_waav_main_conf_t  *wmcf;

    stt = NULL;
    tts = NULL;
    preq = NULL;

    if (msg->audio) {
        if (!msg->has_stt) {
            (void) ngx_http_waav_ws_send_error(ws,
                       "STT configuration is required when audio=true");
            return NGX_DECLINED;
        }

        if (!msg->has_tts) {
            (void) ngx_http_waav_ws_send_error(ws,
                       "TTS configuration is required when audio=true");
            return NGX_DECLINED;
        }

        if (ngx_http_waav_ws_config_stt(ws, msg, a, &stt, &preq) != NGX_OK
            || ngx_http_waav_ws_config_tts(ws, msg, a, &tts) != NGX_OK)
        {
            return NGX_DECLINED;
        }
    }

    if (msg->has_livekit) {
        (void) ngx_http_waav_ws_send_error(ws,
                   "LiveKit room handler not initialized: waav's /ws does "
                   "not join LiveKit rooms");
        return NGX_DECLINED;
    }

    /* the old session's work stops: its speaks and its audio */
    ngx_http_waav_ws_session_stop(ws);

    stream_id = msg->stream_id;

    if (stream_id.len == 0) {
        for (i = 0; i < sizeof(rnd); i++) {
            rnd[i] = (u_char) ngx_random();
        }

        waav_ws_uuid4(id, rnd);

        stream_id.data = waav_alloc(a, 36);
        if (stream_id.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy((char *) stream_id.data, id, 36);
        stream_id.len = 36;
    }

    wmcf = ngx_http_get_module_main_conf(ws->request, ngx_http_waav_module);
    url.data = (char *) wmcf->livekit_url.data;
    url.len = wmcf->livekit_url.len;

    /* written before the session changes: out of memory leaves it as it was */
    out = waav_ws_ready(a, stream_id, url, &len);
    if (out == NULL) {
        return NGX_ERROR;
    }

    ws->stream_id.data = (u_char *) stream_id.data;
    ws->stream_id.len = stream_id.len;
    ws->audio_on = msg->audio ? 1 : 0;
    ws->tts = msg->tts;
    ws->tts_provider = tts;
    ws->stt = msg->stt;
    ws->stt_provider = stt;
    ws->configured = 1;

    if (stt && stt->ptype->embedded) {
        /* ready once the engine is loaded */
        return ngx_http_waav_ws_local_start(ws, out, len, msg->has_dag);
    }

    if (preq) {
        /* ready once the provider's stream is up */
        if (ngx_http_waav_ws_stream_start(ws, stt, preq, out, len,
                                          msg->has_dag)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (msg->has_dag) {
        (void) ngx_http_waav_ws_send_error(ws,
                   "DAG routing is not enabled. Build with --features "
                   "dag-routing");
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                   "waav ws: ready, stream \"%V\", audio %s", &ws->stream_id,
                   ws->audio_on ? "on" : "off");

    if (ngx_http_waav_ws_send_text(ws, out, len) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* --- speak ----------------------------------------------------------------- */

static void
ngx_http_waav_ws_speak(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg)
{
    size_t                     i;
    ngx_http_waav_ws_speak_t  *s;

    if (!ws->audio_on || ws->tts_provider == NULL) {
        (void) ngx_http_waav_ws_send_error(ws, NGX_HTTP_WAAV_WS_AUDIO_OFF);
        return;
    }

    /* blank text: nothing, not even a completion (as WaaV) */
    for (i = 0; i < msg->text.len; i++) {
        if (!isspace((u_char) msg->text.data[i])) {
            break;
        }
    }

    if (i == msg->text.len) {
        return;
    }

    s = ngx_alloc(sizeof(ngx_http_waav_ws_speak_t) + msg->text.len,
                  ws->request->connection->log);
    if (s == NULL) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        return;
    }

    ngx_memcpy(s->text, msg->text.data, msg->text.len);
    s->len = msg->text.len;
    s->allow_interruption = msg->allow_interruption ? 1 : 0;

    ngx_queue_insert_tail(&ws->speaks, &s->queue);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                   "waav ws: speak queued, %uz bytes", s->len);

    ngx_http_waav_ws_tts_next(ws);
}


/* the speaks queued and not begun */
void
ngx_http_waav_ws_drop_speaks(ngx_http_waav_ws_t *ws)
{
    ngx_queue_t               *q;
    ngx_http_waav_ws_speak_t  *s;

    while (!ngx_queue_empty(&ws->speaks)) {
        q = ngx_queue_head(&ws->speaks);
        ngx_queue_remove(q);
        s = ngx_queue_data(q, ngx_http_waav_ws_speak_t, queue);
        ngx_free(s);
    }
}


void
ngx_http_waav_ws_session_stop(ngx_http_waav_ws_t *ws)
{
    ngx_http_waav_ws_drop_speaks(ws);

    ws->uninterruptible_until = 0;
    ngx_http_waav_ws_tts_clear(ws, 1);

    if (ws->stt_job) {
        ws->stt_job->cancelled = 1;
    }

    ws->stt_flush = 0;

    ws->audio_len = 0;
    ws->audio_on = 0;

    ngx_http_waav_ws_stream_stop(ws);
    ngx_http_waav_ws_local_stop(ws);
}
