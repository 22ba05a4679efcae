/*
 * waav: the output filters (ngx_http_waav_filter_module.c).
 *
 * One header filter, one body filter and one request body filter,
 * registered from a filter-type module so that static builds keep them;
 * they dispatch to the concern a request belongs to, which passes on
 * through these.
 */

#ifndef NGX_HTTP_WAAV_FILTER_H
#define NGX_HTTP_WAAV_FILTER_H

#include "ngx_http_waav_module.h"


extern ngx_http_output_header_filter_pt  ngx_http_waav_next_header_filter;
extern ngx_http_output_body_filter_pt    ngx_http_waav_next_body_filter;
extern ngx_http_request_body_filter_pt  ngx_http_waav_next_request_body_filter;


#endif /* NGX_HTTP_WAAV_FILTER_H */
