/*
 * wsstream: what its client (wsstream.c) and its provider
 * (wsstream_provider.c) share.
 */

#ifndef WSSTREAM_H
#define WSSTREAM_H

#include <netinet/in.h>

#define IN_SIZE        WSB_FRAME_MAX
#define OUT_SIZE       32768
#define RESULT_BYTES   10240            /* 320 ms of 16 kHz 16-bit mono */
#define TEXT_MAX       1024             /* text messages read */

/* the provider on sa, until killed */
int wsstream_provider(const struct sockaddr_in *sa);

#endif /* WSSTREAM_H */
