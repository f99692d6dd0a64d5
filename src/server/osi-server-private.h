/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the files of OsiServer share: the instance struct, the record
 * attached to each message, and the helpers that answer requests. Each
 * group of routes has its file (osi-server-list.c, -transfers.c, -jobs.c,
 * -upload.c), connections theirs (osi-server-connections.c); osi-server.c
 * sets up, routes, authenticates and shuts down. */

#include <sys/stat.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "osi-backup-folder.h"
#include "osi-catalog.h"
#include "osi-diff.h"
#include "osi-offsite.h"
#include "osi-policy.h"
#include "osi-scheduler.h"
#include "osi-server.h"
#include "osi-sha256.h"
#include "osi-verify-report.h"

G_BEGIN_DECLS

typedef enum
{
  OP_NONE,
  OP_CREATE,
  OP_RESTORE,
} Operation;

/* Attached to each SoupServerMessage. */
typedef struct
{
  gint64        start_us;
  char         *start_time;
  guint64       bytes_out;
  gboolean      finished;

  /* request body: JSON bodies are collected, uploads streamed to disk,
   * anything else counted and dropped */
  guint64       body_limit;
  guint64       body_bytes;
  gboolean      body_refused;
  GByteArray   *body;

  char         *upload_name;
  char         *upload_path;
  int           upload_fd;
  OsiSha256    *upload_sha;
  GByteArray   *upload_buffer;

  GInputStream *download;
  char         *download_name;
  char         *download_digest;
  guint64       download_size;
  guint64       download_offset;
  guint64       download_length;
  guint64       download_left;      /* not yet read from disk */
  guint         download_queued;    /* chunks appended, not yet written */
  gboolean      download_partial;
  gboolean      download_started;
  gboolean      download_reading;
} Request;

struct _OsiServer
{
  GObject           parent_instance;

  OsiServerOptions  options;
  OsiBackupFolder  *folder;
  /* The folder's catalog (docs/api.md §6.1): called on the main loop's thread
   * only. */
  OsiCatalog       *catalog;
  /* The backup policy, as stored in the catalog, and what applies it. */
  OsiPolicy         policy;
  OsiScheduler     *scheduler;
  /* The off-site copies (docs/api.md §7), or NULL without --offsite-url. */
  OsiOffsite       *offsite;
  GTlsCertificate  *certificate;
  SoupServer       *soup;
  char             *url;

  /* Connections. libsoup accepts them on our listening socket; the
   * server counts them, closes those that stall and refuses those
   * beyond the cap. */
  GSocket          *listen_socket;
  SoupServerListenOptions listen_flags;
  GSource          *stall_watch;      /* sees libsoup's listener give up */
  gboolean          listen_paused;
  gboolean          listen_stopped;
  gint64            paused_since;
  guint             resume_source;
  guint             sweep_source;
  GHashTable       *conns;            /* GSocket → Conn, open ones */
  guint             n_serving;        /* in conns, not refused */
  guint             max_connections;
  guint             header_timeout;
  guint             idle_timeout;
  gboolean          keep_alive;
  GBytes           *refusal;          /* the 503 written to refused connections */
  gint64            refusal_logged;
  guint             refused_unlogged;
  /* Without a token: the Host values naming this server. */
  GStrv             local_hosts;

  /* Cancelled at shutdown: every operation under way watches it. */
  GCancellable     *cancellable;
  Operation         op;
  char             *op_name;
  guint             hook_watch;
  /* A restore's safety backup being made, after its swap, from the old
   * data the swap kept aside: one at a time. */
  gboolean          safety_running;
  /* Bytes of data a second at which the last backup was made, or 0. */
  double            backup_rate;
  /* Thread work and reads under way, each holding a reference. */
  guint             n_pending;

  gboolean          shutting_down;
  GPtrArray        *shutdown_tasks;
  guint             finish_source;
};

/* The work a request hands to a thread, the message paused meanwhile: one
 * structure for every kind (create, restore, verify, diff, upload, the
 * hash before a download), freed by one function. work runs in the
 * thread; done then answers on the main context, error set when work
 * failed, and returns whether to resume the message. */
typedef struct _Job Job;

typedef gboolean (*JobWork) (Job           *job,
                             GCancellable  *cancellable,
                             GError       **error);
typedef gboolean (*JobDone) (Job           *job,
                             const GError  *error);

struct _Job
{
  OsiServer         *server;
  SoupServerMessage *msg;
  JobWork            work;
  JobDone            done;
  char              *name;      /* the backup the request names */
  int                fd;        /* that backup, opened when the request came, or -1 */
  char              *tmp_path;  /* an upload not stored yet: removed with the job */
  char              *prefix;    /* of the name of the backup to make */
  gint64             made_at_us;  /* its date, by the server's clock */
  GCancellable      *cancellable; /* the work's own, else the server's */
  char              *made;      /* the backup made: create's, or restore's safety backup */
  guint64            data_bytes;  /* of the data it archives */
  gint64             elapsed_us;  /* that archiving took */
  char              *sha256;    /* of the backup made, received or hashed */
  struct stat        st;        /* of the same */
  OsiVerifyReport   *report;
  OsiDiff           *diff;
  OsiCatalogCopy    *copy;      /* the off-site copy a fetch brings back */
  GPtrArray         *listing;   /* the storage's objects, read for a refresh */
};

/* The one create or restore under way (self->op), begun and ended: the
 * scheduler waits for it. */
void        _osi_server_op_begin                (OsiServer            *self,
                                                 Operation             op,
                                                 const char           *name);
void        _osi_server_op_end                  (OsiServer            *self);

/* Errors whose code is the HTTP status to answer with. */
#define HTTP_ERROR (_osi_server_http_error_quark ())
GQuark      _osi_server_http_error_quark        (void);

/* osi-server.c: disk space */
guint64     _osi_server_free_bytes              (const char           *path);
gboolean    _osi_server_check_space             (const char           *dir,
                                                 guint64               needed,
                                                 GError              **error);

/* osi-server.c: requests and responses */
Request    *_osi_server_request_get             (SoupServerMessage    *msg);
void        _osi_server_respond_json            (SoupServerMessage    *msg,
                                                 guint                 status,
                                                 JsonObject           *object);
void        _osi_server_respond_backup_made     (Job                  *job,
                                                 const char           *name,
                                                 gboolean              received);
JsonObject *_osi_server_error_object            (const char           *detail);
void        _osi_server_respond_error           (SoupServerMessage    *msg,
                                                 guint                 status,
                                                 const char           *format,
                                                 ...) G_GNUC_PRINTF (3, 4);
void        _osi_server_respond_error_and_close (SoupServerMessage    *msg,
                                                 guint                 status,
                                                 const char           *detail);
void        _osi_server_respond_unknown         (SoupServerMessage    *msg,
                                                 const char           *name);
void        _osi_server_respond_task_error      (SoupServerMessage    *msg,
                                                 const GError         *error);
void        _osi_server_resume                  (SoupServerMessage    *msg);
gboolean    _osi_server_is_authorized           (OsiServer            *self,
                                                 SoupServerMessage    *msg);
void        _osi_server_pending_begin           (OsiServer            *self);
void        _osi_server_pending_end             (OsiServer            *self);
Job        *_osi_server_job_new                 (const char           *name,
                                                 int                   fd,
                                                 JobWork               work,
                                                 JobDone               done);
/* msg NULL: work of the server's own (the scheduler's), answering none. */
void        _osi_server_job_run                 (OsiServer            *self,
                                                 SoupServerMessage    *msg,
                                                 Job                  *job);

/* osi-server-request.c */
typedef enum
{
  NAME_ABSENT,
  NAME_VALID,
  NAME_INVALID,
} NameStatus;

NameStatus  _osi_server_query_filename          (SoupServerMessage    *msg,
                                                 char                **out_name);
void        _osi_server_respond_bad_name        (SoupServerMessage    *msg);
char       *_osi_server_require_filename        (SoupServerMessage    *msg);
JsonNode   *_osi_server_request_json            (SoupServerMessage    *msg);
char       *_osi_server_require_backup_file     (SoupServerMessage    *msg);
gboolean    _osi_server_query_flag              (SoupServerMessage    *msg,
                                                 const char           *name,
                                                 gboolean             *value);

/* osi-server-list.c */
void        _osi_server_handle_health           (OsiServer            *self,
                                                 SoupServerMessage    *msg);
void        _osi_server_handle_list             (OsiServer            *self,
                                                 SoupServerMessage    *msg);

/* osi-server-transfers.c */
void        _osi_server_handle_download         (OsiServer            *self,
                                                 SoupServerMessage    *msg,
                                                 const char           *name);

/* osi-server-jobs.c */
Job        *_osi_server_backup_job_new          (OsiServer            *self,
                                                 const char           *suffix,
                                                 JobWork               work,
                                                 JobDone               done);
gboolean    _osi_server_make_backup             (Job                  *job,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
gboolean    _osi_server_resume_safety           (OsiServer            *self);
void        _osi_server_note_backup_rate        (OsiServer            *self,
                                                 Job                  *job);
void        _osi_server_handle_create           (OsiServer            *self,
                                                 SoupServerMessage    *msg);
void        _osi_server_handle_restore          (OsiServer            *self,
                                                 SoupServerMessage    *msg);
void        _osi_server_handle_delete           (OsiServer            *self,
                                                 SoupServerMessage    *msg,
                                                 const char           *name);
void        _osi_server_handle_verify           (OsiServer            *self,
                                                 SoupServerMessage    *msg,
                                                 const char           *name);
void        _osi_server_handle_diff             (OsiServer            *self,
                                                 SoupServerMessage    *msg,
                                                 const char           *name);
gboolean    _osi_server_verify_work             (Job                  *job,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
char       *_osi_server_findings_summary        (OsiVerifyReport      *report);
gboolean    _osi_server_report_acceptable       (OsiVerifyReport      *report,
                                                 gboolean              is_json);
void        _osi_server_respond_job_error       (SoupServerMessage    *msg,
                                                 const GError         *error,
                                                 OsiVerifyReport      *report,
                                                 const char           *name);

/* osi-server-catalog.c */
void        _osi_server_record_kind             (OsiServer            *self,
                                                 const char           *name,
                                                 OsiCatalogKind        kind);
OsiCatalogVerdict _osi_server_catalog_verdict   (OsiVerifyReport      *report);
void        _osi_server_handle_patch            (OsiServer            *self,
                                                 SoupServerMessage    *msg,
                                                 const char           *name);
void        _osi_server_record_verdict          (OsiServer            *self,
                                                 const char           *name,
                                                 int                   fd,
                                                 OsiVerifyReport      *report);

/* osi-server-policy.c */
void        _osi_server_load_policy             (OsiServer            *self);
void        _osi_server_handle_policy           (OsiServer            *self,
                                                 SoupServerMessage    *msg);
JsonObject *_osi_server_prune                   (OsiServer            *self,
                                                 gboolean              dry_run);
void        _osi_server_handle_prune            (OsiServer            *self,
                                                 SoupServerMessage    *msg);

/* osi-server-offsite.c */
void        _osi_server_handle_offsite          (OsiServer            *self,
                                                 SoupServerMessage    *msg);
void        _osi_server_handle_offsite_fetch    (OsiServer            *self,
                                                 SoupServerMessage    *msg);
void        _osi_server_respond_not_offsite     (SoupServerMessage    *msg);

/* osi-server-upload.c */
/* What an upload and a fetch share once the file is written (job->fd,
 * job->tmp_path; job->sha256 its checksum): synced, verified as §3.7
 * says, stored under job->name (never over another file), its checksum
 * recorded. what names the file in the errors. */
gboolean    _osi_server_store_received          (Job                  *job,
                                                 gboolean              fetched,
                                                 GCancellable         *cancellable,
                                                 GError              **error);
void        _osi_server_upload_begin            (OsiServer            *self,
                                                 SoupServerMessage    *msg,
                                                 Request              *req);
void        _osi_server_request_got_chunk       (SoupServerMessage    *msg,
                                                 GBytes               *chunk,
                                                 gpointer              user_data);
void        _osi_server_handle_upload           (OsiServer            *self,
                                                 SoupServerMessage    *msg);

/* osi-server-connections.c */
void        _osi_server_connections_init        (OsiServer            *self);
void        _osi_server_connections_configure   (OsiServer            *self,
                                                 const OsiServerOptions *options);
void        _osi_server_connections_start       (OsiServer            *self);
void        _osi_server_listener_stop           (OsiServer            *self);
void        _osi_server_connections_dispose     (OsiServer            *self);
void        _osi_server_conn_track              (OsiServer            *self,
                                                 SoupServerMessage    *msg);
gboolean    _osi_server_conn_is_refused         (SoupServerMessage    *msg);
void        _osi_server_respond_refused         (SoupServerMessage    *msg);
GStrv       _osi_server_local_hosts_for         (GInetSocketAddress   *address,
                                                 gboolean              https);
gboolean    _osi_server_check_local_request     (OsiServer            *self,
                                                 SoupServerMessage    *msg);
gboolean    _osi_server_check_json_body         (SoupServerMessage    *msg);

G_END_DECLS
