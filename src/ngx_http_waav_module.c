/*
 * waav: module definition, directives and location configuration.
 */

#include "ngx_http_waav_module.h"


static void *ngx_http_waav_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_waav_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_waav_init(ngx_conf_t *cf);


static ngx_command_t  ngx_http_waav_commands[] = {

    { ngx_string("waav_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_waav_health,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_json_errors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, json_errors),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_waav_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_waav_init,                    /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_waav_create_loc_conf,         /* create location configuration */
    ngx_http_waav_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_waav_module = {
    NGX_MODULE_V1,
    &ngx_http_waav_module_ctx,             /* module context */
    ngx_http_waav_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_waav_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_waav_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->json_errors = NGX_CONF_UNSET;
    conf->handled = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_waav_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_waav_loc_conf_t  *prev = parent;
    ngx_http_waav_loc_conf_t  *conf = child;

    ngx_http_waav_unused(cf);

    /* a handler belongs to its own location: never inherited */
    if (conf->handled == NGX_CONF_UNSET) {
        conf->handled = 0;
    }

    /* left unset when nobody set it: then it follows "handled" */
    ngx_conf_merge_value(conf->json_errors, prev->json_errors,
                         NGX_CONF_UNSET);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_waav_init(ngx_conf_t *cf)
{
    return ngx_http_waav_response_init(cf);
}
