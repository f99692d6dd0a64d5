/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* `osi-backup --demo`: an osi-backup-server child on 127.0.0.1:0 over
 * demonstration data in the user cache folder
 * ($XDG_CACHE_HOME/osi-backup/demo: data/ and backups/ holding about 40
 * backups spread over several months), with a random token. The child
 * dies with the app (PR_SET_PDEATHSIG) and is stopped (SIGTERM, then
 * waited for) by osi_demo_server_stop () or _stop_async (), or when the
 * object goes away. */
#define OSI_TYPE_DEMO_SERVER (osi_demo_server_get_type ())

G_DECLARE_FINAL_TYPE (OsiDemoServer, osi_demo_server, OSI, DEMO_SERVER, GObject)

OsiDemoServer *osi_demo_server_new          (void);
/* Prepares the demo folder if needed (in a thread), starts the child and
 * waits for the URL it prints. */
void           osi_demo_server_start_async  (OsiDemoServer        *self,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean       osi_demo_server_start_finish (OsiDemoServer        *self,
                                             GAsyncResult         *result,
                                             GError              **error);
/* NULL until started. */
const char    *osi_demo_server_get_url      (OsiDemoServer        *self);
const char    *osi_demo_server_get_token    (OsiDemoServer        *self);
/* Blocks: for the tests and the last moment of the process. */
void           osi_demo_server_stop         (OsiDemoServer        *self);
/* The same without waiting: done once the child is gone, or given up on
 * (bounded as osi_demo_server_stop ()). */
void           osi_demo_server_stop_async   (OsiDemoServer        *self,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean       osi_demo_server_stop_finish  (OsiDemoServer        *self,
                                             GAsyncResult         *result,
                                             GError              **error);

G_END_DECLS
