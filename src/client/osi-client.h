/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "osi-backup-info.h"
#include "osi-diff.h"
#include "osi-policy.h"

G_BEGIN_DECLS

/* The API client of docs/api.md §3, on libsoup 3. Every call is asynchronous
 * and cancellable. Failures are OSI_CLIENT_ERROR errors whose message is a
 * translated sentence saying what to do, followed by the server's
 * "detail" when it sent one. */

#define OSI_CLIENT_ERROR (osi_client_error_quark ())

typedef enum
{
  OSI_CLIENT_ERROR_CONNECTION,    /* unreachable, refused, timed out, DNS */
  OSI_CLIENT_ERROR_TLS,           /* certificate not trusted, handshake failed */
  OSI_CLIENT_ERROR_UNAUTHORIZED,  /* 401 */
  OSI_CLIENT_ERROR_BAD_REQUEST,   /* 400 */
  OSI_CLIENT_ERROR_NOT_FOUND,     /* 404 */
  OSI_CLIENT_ERROR_BUSY,          /* 409: a create or restore is running, or the
                                   * backup changed while it was being read */
  OSI_CLIENT_ERROR_TOO_LARGE,     /* 413 */
  OSI_CLIENT_ERROR_INTEGRITY,     /* 422, or a download whose digest does not match */
  OSI_CLIENT_ERROR_NO_SPACE,      /* 507, or the local disk is full */
  OSI_CLIENT_ERROR_SERVER,        /* 500 and anything else unexpected */
  OSI_CLIENT_ERROR_PROTOCOL,      /* a response that is not what docs/api.md §3 says */
  OSI_CLIENT_ERROR_LOCAL,         /* the local file system (download, upload) */
  OSI_CLIENT_ERROR_UNSUPPORTED,   /* the server does not offer it (docs/api.md §5.2), or 405 */
  OSI_CLIENT_ERROR_EXISTS,        /* 409 to an upload: the server has a backup of that name */
} OsiClientError;

GQuark osi_client_error_quark (void);

/* done and total in bytes (total 0 when unknown), rate in bytes per second
 * over the last seconds. Called on the caller's main context. */
typedef void (*OsiTransferProgress) (guint64  done,
                                     guint64  total,
                                     double   rate,
                                     gpointer user_data);

#define OSI_TYPE_CLIENT (osi_client_get_type ())

G_DECLARE_FINAL_TYPE (OsiClient, osi_client, OSI, CLIENT, GObject)

/* base_url like "http://127.0.0.1:8000" (a trailing slash is accepted);
 * token may be NULL. */
OsiClient     *osi_client_new              (const char           *base_url,
                                            const char           *token);
const char    *osi_client_get_base_url     (OsiClient            *self);
/* Trust the certificates in ca_file (PEM) in addition to the system's.
 * Reads ca_file on the calling thread: a UI thread uses
 * osi_client_load_files_async () and osi_client_set_tls_database (). */
gboolean       osi_client_set_ca_file      (OsiClient            *self,
                                            const char           *ca_file,
                                            GError              **error);
/* The certificate authorities for the connections opened after the call:
 * a database osi_client_load_files_async () made; NULL for the system's
 * only, read on the calling thread the first time the process asks. */
void           osi_client_set_tls_database (OsiClient            *self,
                                            GTlsDatabase         *database);

/* How long a request may go without any progress before it fails
 * (default 30 s; not counting the server's work on a create, restore,
 * verification or upload). For requests started after the call. */
void           osi_client_set_idle_timeout (OsiClient            *self,
                                            guint                 seconds);

/* Offset-less dates in the server's answers are its local time
 * (docs/api.md §5.3): identifier names its time zone ("Europe/Paris"); NULL or "" means
 * this desktop's. An unknown identifier is an error and changes nothing. */
gboolean       osi_client_set_server_time_zone (OsiClient        *self,
                                            const char           *identifier,
                                            GError              **error);
/* The same with the time zone itself (NULL: this desktop's), which
 * osi_client_load_files_async () read: GLib reads a zone's file from
 * /usr/share/zoneinfo when it makes it. */
void           osi_client_set_server_tz    (OsiClient            *self,
                                            GTimeZone            *tz);
/* The server's time zone, NULL for this desktop's. */
GTimeZone     *osi_client_get_server_tz    (OsiClient            *self);

/* Reads, in a worker thread, what osi_client_set_ca_file () and
 * osi_client_set_server_time_zone () would read on the calling thread:
 * the certificate database (the system's authorities, and ca_file's
 * when ca_file is not NULL; the system's are read from their bundle the
 * first time a process asks for them, here in the worker) and the time zone
 * identifier names (NULL in *tz when identifier is NULL or "", this
 * desktop's). An unusable CA file is OSI_CLIENT_ERROR_TLS, an unknown
 * time zone OSI_ERROR_INVALID_DATA, with the sentences of the setters. */
void           osi_client_load_files_async (const char           *ca_file,
                                            const char           *identifier,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean       osi_client_load_files_finish (GAsyncResult        *result,
                                            GTlsDatabase        **database,
                                            GTimeZone           **tz,
                                            GError              **error);

/* A client for base_url (token may be NULL), its CA file and time zone read
 * as osi_client_load_files_async () does, in a worker; the client is made
 * on the calling thread, which then uses it. */
void           osi_client_new_async        (const char           *base_url,
                                            const char           *token,
                                            const char           *ca_file,
                                            const char           *time_zone,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
OsiClient     *osi_client_new_finish       (GAsyncResult         *result,
                                            GError              **error);

/* Asks /api/health, then /health, then the list (docs/api.md §5.2), and learns
 * what the server offers. Returns the health object (a plain
 * {"status": "ok"} when only the list answered). Operations that need a
 * feature ask once by themselves. */
void           osi_client_health_async     (OsiClient            *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
JsonObject    *osi_client_health_finish    (OsiClient            *self,
                                            GAsyncResult         *result,
                                            GError              **error);
gboolean       osi_client_get_features_known (OsiClient          *self);
/* "verify", "diff", "upload", "range", "digest", "policy": FALSE while
 * unknown, and for every feature of a server without /api/health. */
gboolean       osi_client_has_feature      (OsiClient            *self,
                                            const char           *feature);

/* Element type OsiBackupInfo, newest first. */
void           osi_client_list_async       (OsiClient            *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
GPtrArray     *osi_client_list_finish      (OsiClient            *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* TRUE once the server made a backup. *backup (may be NULL): the new
 * backup, from the answer or found by listing again; NULL when the server
 * did not say which it made and the list does not tell. *message (may be
 * NULL): the server's own words. */
void           osi_client_create_async     (OsiClient            *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean       osi_client_create_finish    (OsiClient            *self,
                                            GAsyncResult         *result,
                                            OsiBackupInfo       **backup,
                                            char                **message,
                                            GError              **error);

/* TRUE once the server restored. *safety_backup: the safety backup it
 * made first, NULL when it did not name one (the deployed OSI backend
 * keeps its own); *message: the server's own words, or NULL. */
void           osi_client_restore_async    (OsiClient            *self,
                                            const char           *name,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean       osi_client_restore_finish   (OsiClient            *self,
                                            GAsyncResult         *result,
                                            char                **safety_backup,
                                            char                **message,
                                            GError              **error);

void           osi_client_delete_async     (OsiClient            *self,
                                            const char           *name,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean       osi_client_delete_finish    (OsiClient            *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* The server's verification report (the JSON of `osi-backup-cli verify
 * --json`). */
void           osi_client_verify_async     (OsiClient            *self,
                                            const char           *name,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
JsonNode      *osi_client_verify_finish    (OsiClient            *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* What restoring the backup name would change in the server's current
 * data (A: the current data, B: the backup). A backup that fails
 * verification is OSI_CLIENT_ERROR_INTEGRITY. */
void           osi_client_diff_async       (OsiClient            *self,
                                            const char           *name,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
OsiDiff       *osi_client_diff_finish      (OsiClient            *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* Streams the file from disk; the server names it (basename of path). */
void           osi_client_upload_async     (OsiClient            *self,
                                            const char           *path,
                                            OsiTransferProgress   progress,
                                            gpointer              progress_data,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
OsiBackupInfo *osi_client_upload_finish    (OsiClient            *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* Streams to DIR/NAME.part, resuming an existing .part with Range, checks
 * Repr-Digest when the server sends one, and the size and SHA-256 the
 * last list gave for NAME when it gave them, then renames to DIR/NAME,
 * which it never replaces. Returns the final path, and in *sha256 (may be NULL)
 * the SHA-256 of the file written, in lowercase hexadecimal. */
void           osi_client_download_async   (OsiClient            *self,
                                            const char           *name,
                                            const char           *directory,
                                            OsiTransferProgress   progress,
                                            gpointer              progress_data,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
char          *osi_client_download_finish  (OsiClient            *self,
                                            GAsyncResult         *result,
                                            char                **sha256,
                                            GError              **error);

/* The backup policy (docs/api.md §6), on servers that offer "policy";
 * OSI_CLIENT_ERROR_UNSUPPORTED elsewhere. */

/* The server's answer: the policy (osi_policy_from_json reads it) with
 * "next_backup", "next_verify" and "last_runs". */
void           osi_client_get_policy_async (OsiClient            *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
JsonObject    *osi_client_get_policy_finish (OsiClient           *self,
                                            GAsyncResult         *result,
                                            GError              **error);
/* Stores policy; returns the policy the server stored. A policy the
 * server refuses is OSI_CLIENT_ERROR_BAD_REQUEST, its reason in the
 * message. */
void           osi_client_set_policy_async (OsiClient            *self,
                                            const OsiPolicy      *policy,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
JsonObject    *osi_client_set_policy_finish (OsiClient           *self,
                                            GAsyncResult         *result,
                                            GError              **error);
/* The server's retention plan, {"dry_run", "keep", "remove"}; without
 * dry_run the server deletes what the plan removes. */
void           osi_client_prune_async      (OsiClient            *self,
                                            gboolean              dry_run,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
JsonObject    *osi_client_prune_finish     (OsiClient            *self,
                                            GAsyncResult         *result,
                                            GError              **error);
/* Protects (or not) the backup name, or sets its note (NULL or "" for
 * none): one PATCH each. Returns the backup as the server now lists it. */
void           osi_client_set_protected_async (OsiClient         *self,
                                            const char           *name,
                                            gboolean              is_protected,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
void           osi_client_set_note_async   (OsiClient            *self,
                                            const char           *name,
                                            const char           *note,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
/* For both. */
OsiBackupInfo *osi_client_update_backup_finish (OsiClient        *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* Off-site copies (docs/api.md §7), on servers that offer "offsite";
 * OSI_CLIENT_ERROR_UNSUPPORTED elsewhere, without a request once the
 * features are known. */

/* The copies (OsiBackupInfo, newest first as the server sends them, with
 * their "local" and "copied"); refresh asks the server to read the
 * storage first (?refresh=1). body, when not NULL, gets the answer's
 * bytes as they came (for --json). */
void           osi_client_list_offsite_async (OsiClient         *self,
                                            gboolean              refresh,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
GPtrArray     *osi_client_list_offsite_finish (OsiClient        *self,
                                            GAsyncResult         *result,
                                            GBytes              **body,
                                            GError              **error);
/* Brings the copy of name back into the server's backup folder, checked
 * and verified there, so that it can be restored: minutes for a large
 * one, without an idle limit while the server works, as a create. Returns
 * the backup brought back (its list entry); *message (may be NULL): the
 * server's own words, or NULL. A damaged copy is
 * OSI_CLIENT_ERROR_INTEGRITY, a backup already there
 * OSI_CLIENT_ERROR_EXISTS, no such copy OSI_CLIENT_ERROR_NOT_FOUND. */
void           osi_client_fetch_offsite_async (OsiClient        *self,
                                            const char           *name,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
OsiBackupInfo *osi_client_fetch_offsite_finish (OsiClient       *self,
                                            GAsyncResult         *result,
                                            char                **message,
                                            GError              **error);

G_END_DECLS
