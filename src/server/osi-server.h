/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "osi-clock.h"

G_BEGIN_DECLS

/* The reference backend of the HTTP API (docs/api.md §3 "Endpoints")
 * over a data directory and a backup directory, on SoupServer. */

typedef struct
{
  char    *data_dir;
  char    *backup_dir;
  char    *token;          /* NULL only with no_auth */
  gboolean no_auth;
  char    *on_restore;     /* shell command run after a restore, or NULL */
  guint64  max_upload;     /* bytes */
  char    *tls_cert;       /* PEM files, or NULL for plain HTTP */
  char    *tls_key;
  /* Connections: 0 picks the default of each. */
  guint    max_connections;   /* open at once; beyond, 503 (default: from RLIMIT_NOFILE) */
  guint    header_timeout;    /* seconds a new connection has to send a request head (15) */
  guint    idle_timeout;      /* seconds of silence between requests and within transfers (60) */
  /* What time it is for the names and dates of the backups the server
   * makes and for its schedule: NULL for the system clock; the tests
   * give a manual one. */
  OsiClock *clock;
  /* Off-site copies (docs/api.md §7): NULL offsite_url for none. The keys
   * are read from offsite_credentials by the caller (main.c). */
  char    *offsite_url;
  char    *offsite_credentials;  /* the file the keys came from, for messages */
  char    *offsite_access_key;
  char    *offsite_secret_key;
  char    *offsite_region;       /* NULL: us-east-1 */
  guint    offsite_retry_max;    /* seconds; 0: the default (300) */
} OsiServerOptions;

/* Frees the strings of options, the token wiped first, and drops the
 * reference to its clock. */
void        osi_server_options_clear (OsiServerOptions      *options);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OsiServerOptions, osi_server_options_clear)

#define OSI_TYPE_SERVER (osi_server_get_type ())

G_DECLARE_FINAL_TYPE (OsiServer, osi_server, OSI, SERVER, GObject)

/* Recovers the data directory (osi_swap_recover) and removes leftovers of
 * interrupted creates and uploads before it serves. */
OsiServer  *osi_server_new          (const OsiServerOptions *options,
                                     GError                **error);
/* host:port; port 0 picks a free one. */
gboolean    osi_server_listen       (OsiServer              *self,
                                     const char             *host_port,
                                     GError                **error);
/* No create, restore, verification or other work in a thread under way,
 * nor any the scheduler has begun, nor an off-site copy queued or under
 * way: for the tests, which move a manual clock and wait for what it set
 * off. */
gboolean    osi_server_is_idle      (OsiServer              *self);
/* e.g. "http://127.0.0.1:41234", valid after listen. */
char       *osi_server_get_url      (OsiServer              *self);
/* Stops accepting, lets the operation under way finish or roll back, then
 * calls callback. */
void        osi_server_shutdown_async  (OsiServer           *self,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean    osi_server_shutdown_finish (OsiServer           *self,
                                        GAsyncResult        *result,
                                        GError             **error);

G_END_DECLS
