/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-demo-server.h"

G_BEGIN_DECLS

/* For tests. */

/* $XDG_CACHE_HOME/osi-backup/demo. */
char *_osi_demo_server_dup_folder       (void);
/* The child's process id while it runs, else 0. */
GPid  _osi_demo_server_get_pid          (OsiDemoServer *self);
/* How long start waits for the child's URL (15 s by default). */
void  _osi_demo_server_set_start_timeout (OsiDemoServer *self,
                                          guint          timeout_ms);

G_END_DECLS
