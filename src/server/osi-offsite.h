/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "osi-backup-folder.h"
#include "osi-catalog.h"
#include "osi-clock.h"
#include "osi-policy.h"
#include "osi-s3.h"
#include "osi-server.h"

G_BEGIN_DECLS

/* The off-site copies of docs/api.md §7: the queue of copies, one worker
 * thread that makes them on S3-compatible storage, one at a time, the
 * off-site retention, and what the HTTP side reads (the copies, their
 * states, the bytes copied so far).
 *
 * Threads. The state lives on the main loop's thread, which owns the
 * catalog (osi-catalog.h): a table name → copy, mirrored in the catalog
 * before anything relies on it. The worker has its own OsiS3 and hands
 * every change back to the main context (osi_context_post ()); it waits
 * for the main thread to record a multipart upload's id before it sends
 * the first part, so that a restart finds the upload. Every call below
 * is made on the main thread, but add_members and new_s3, which any
 * thread may make. */

#define OSI_TYPE_OFFSITE (osi_offsite_get_type ())

G_DECLARE_FINAL_TYPE (OsiOffsite, osi_offsite, OSI, OFFSITE, GObject)

/* options: the server's (offsite_url set). policy: the server's own,
 * read when retention is applied (it must outlive the engine). Checks the
 * URL and keys, asks the storage nothing. */
OsiOffsite *osi_offsite_new              (const OsiServerOptions *options,
                                          OsiBackupFolder        *folder,
                                          OsiCatalog             *catalog,
                                          OsiClock               *clock,
                                          const OsiPolicy        *policy,
                                          GError                **error);
/* Reads the copies, queues again those left pending, copying or failed,
 * drops those whose backup is gone, and starts the worker, which first
 * aborts the uploads no copy owns and reads the storage's list. */
void        osi_offsite_start            (OsiOffsite             *self);
/* Cancels the copy under way (its upload is kept for the next start),
 * the retention's deletions and the aborts of dropped uploads, joins the
 * worker and waits for those threads to end (STOP_WAIT_S at most): the
 * engine uses nothing of the server's after it. */
void        osi_offsite_stop             (OsiOffsite             *self);
/* No copy queued or under way, no deletion nor reading of the storage. */
gboolean    osi_offsite_is_idle          (OsiOffsite             *self);

/* A new backup, made or received (not fetched): queued. */
void        osi_offsite_enqueue          (OsiOffsite             *self,
                                          const char             *name,
                                          OsiCatalogKind          kind);
/* The local backup was deleted: its copy stays, but one still queued or
 * under way is dropped (its upload aborted). */
void        osi_offsite_backup_deleted   (OsiOffsite             *self,
                                          const char             *name);
/* Mirrors the backup's protection into its copy. */
void        osi_offsite_set_protected    (OsiOffsite             *self,
                                          const char             *name,
                                          gboolean                is_protected);

const char *osi_offsite_get_bucket       (OsiOffsite             *self);
/* `PREFIX/HOSTNAME/`. */
const char *osi_offsite_get_host_prefix  (OsiOffsite             *self);
/* A client of the storage of its own, for work in another thread. */
OsiS3      *osi_offsite_new_s3           (OsiOffsite             *self,
                                          GError                **error);
/* A copy of name's record, or NULL. */
OsiCatalogCopy *osi_offsite_lookup       (OsiOffsite             *self,
                                          const char             *name);
/* Adds "offsite": {state, at, detail} to the list entry of name. */
void        osi_offsite_add_members      (OsiOffsite             *self,
                                          const char             *name,
                                          JsonObject             *object);
/* GET /api/rag/backup/offsite's answer (docs/api.md §7.3). */
JsonObject *osi_offsite_to_json          (OsiOffsite             *self);
/* Every object under the host prefix (OsiS3Object), all pages. */
GPtrArray  *osi_offsite_list_objects     (OsiS3                  *s3,
                                          const char             *host_prefix,
                                          GCancellable           *cancellable,
                                          GError                **error);
/* The storage's list, as read: copies it holds that the catalog does not
 * know are recorded done, done copies it lacks forgotten. */
void        osi_offsite_apply_listing    (OsiOffsite             *self,
                                          GPtrArray              *objects);
/* A fetched copy's checksum, once known. */
void        osi_offsite_note_sha256      (OsiOffsite             *self,
                                          const char             *name,
                                          const char             *sha256);

/* The off-site retention's plan, as POST …/prune's "offsite" member
 * (docs/api.md §7.2), or NULL when the retention is all 0. */
JsonObject *osi_offsite_plan             (OsiOffsite             *self,
                                          gboolean                dry_run);
/* Deletes the copies the plan removes, writes "error" on the entries of
 * those that could not be, forgets the others and records a prune run;
 * then callback. */
void        osi_offsite_apply_async      (OsiOffsite             *self,
                                          JsonObject             *plan,
                                          GAsyncReadyCallback     callback,
                                          gpointer                user_data);
gboolean    osi_offsite_apply_finish     (OsiOffsite             *self,
                                          GAsyncResult           *result,
                                          GError                **error);

/* A fetch of name begins (FALSE: one is under way already) and ends. */
gboolean    osi_offsite_fetch_begin      (OsiOffsite             *self,
                                          const char             *name);
void        osi_offsite_fetch_end        (OsiOffsite             *self,
                                          const char             *name);

G_END_DECLS
