/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "osi-client.h"
#include "osi-sha256.h"

G_BEGIN_DECLS

/* Shared by the files of OsiClient: osi-client.c (the object and the
 * operations), osi-client-call.c (one request, its answer, features and
 * health), osi-client-error.c (the sentences of failures),
 * osi-client-list.c, osi-client-upload.c, osi-client-download.c and
 * osi-client-offsite.c. */

/* Timeouts. libsoup's own "timeout" covers every socket read, including
 * the wait for the response headers: with it, a create or a restore that
 * keeps the server busy for minutes would fail. So the session has none,
 * and each request has a watchdog instead: it gives up after IDLE_TIMEOUT_S
 * seconds without any progress (connecting, sending, receiving), except
 * while the server works on a create, restore, verification or upload
 * between the end of the request and its answer. That wait has no limit
 * (the caller can cancel it); TCP keepalive notices a server that went
 * away meanwhile within about two minutes. */
#define IDLE_TIMEOUT_S        30
#define POOL_IDLE_TIMEOUT_S   60
#define KEEPALIVE_IDLE_S      60
#define KEEPALIVE_INTERVAL_S  10
#define KEEPALIVE_COUNT       6
/* A create and a download can run while the app lists and checks. */
#define MAX_CONNS_PER_HOST    6

#define BODY_READ_SIZE        (64 * 1024)
#define MAX_JSON_BYTES        (64 * 1024 * 1024)
#define MAX_ERROR_BYTES       (64 * 1024)
#define MAX_DETAIL_CHARS      400
#define PROGRESS_INTERVAL_US  (G_USEC_PER_SEC / 10)
#define RATE_WINDOW_US        G_USEC_PER_SEC

struct _OsiClient
{
  GObject       parent_instance;

  SoupSession  *session;
  char         *given_url;
  char         *base_url;     /* scheme://host[:port][/prefix], no trailing slash */
  char         *token;        /* never logged */
  gboolean      url_valid;
  gboolean      token_valid;

  /* The last list read and the SHA-256 of its answer: an answer that
   * comes back the same gives the same backups (see parse_list_thread). */
  GPtrArray    *last_list;
  guint8        last_list_digest[OSI_SHA256_LEN];

  /* Offset-less dates are the server's local time (docs/api.md §5.3). NULL:
   * this desktop's time zone. */
  GTimeZone    *server_tz;
  guint         tz_generation;  /* bumped by each change of server_tz */

  /* What the server offers (docs/api.md §5.2 "Capabilities"), learnt once by
   * the first operation that needs it. full_api: /api/health answered
   * with "features", so the server answers as docs/api.md §3.4 says (a create
   * gives its "backup"). */
  gboolean      features_known;
  gboolean      full_api;
  GStrv         features;

  guint         idle_timeout_s;
};

typedef enum
{
  OP_HEALTH,
  OP_LIST,
  OP_CREATE,
  OP_RESTORE,
  OP_DELETE,
  OP_VERIFY,
  OP_DIFF,
  OP_UPLOAD,
  OP_DOWNLOAD,
  OP_POLICY,
  OP_POLICY_SET,
  OP_PRUNE,
  OP_PATCH,
  OP_OFFSITE_LIST,
  OP_OFFSITE_FETCH,
} Op;

typedef struct
{
  OsiTransferProgress  func;
  gpointer             data;
  gint64               started;
  gint64               last_call;
  gint64               window_start;
  guint64              window_done;
  guint64              first_done;
  double               rate;
} Meter;

/* A download's files, threads and digest: osi-client-download.c. */
typedef struct _Download Download;

typedef void (*ParseFunc) (GTask    *task,
                           JsonNode *root);
typedef void (*CallStart) (GTask *task);
/* What a call does with the list it asked for on its way: backups, or
 * NULL and *error (which it may take). */
typedef void (*CallListed) (GTask      *task,
                            GPtrArray  *backups,
                            GError    **error);

/* What a create or a restore returns: the server made it, whatever else
 * its answer holds (docs/api.md §5.3). */
typedef struct
{
  OsiBackupInfo *backup;
  char          *safety_backup;
  char          *message;
} Outcome;

/* One request: the task data of every operation. */
typedef struct
{
  Op                    op;
  char                 *name;
  SoupMessage          *msg;
  GCancellable         *cancellable;       /* handed to libsoup: the caller's and the watchdog's */
  GSource              *user_cancel_source;
  GSource              *watchdog;
  gint64                last_activity;
  guint                 idle_timeout_s;
  gboolean              server_works;      /* long server-side work before the answer */
  gboolean              waiting_server;
  gboolean              timed_out;
  GTlsCertificateFlags  tls_errors;
  GInputStream         *body;
  GByteArray           *data;
  gsize                 limit;
  ParseFunc             parse;
  gboolean              json_optional;     /* a 2xx is success whatever its body */
  gboolean              any_status;        /* parse sees every answer (discovery) */
  gboolean              raw_body;          /* parse reads call->data itself, given no tree */
  guint                 step;              /* discovery: which address is asked */
  CallStart             start;             /* run once the features are known */
  CallListed            listed;            /* run once the list asked for is read */
  /* What start sends, for calls that wait for the features first. */
  const char           *request_method;
  const char           *request_path;
  JsonNode             *request_json;
  GHashTable           *before;            /* create: the names listed before */
  gboolean              body_sent;         /* the whole request went: the server may have acted */
  GError               *unsure;            /* create: the lost answer, unless the list shows the backup */
  Outcome              *outcome;
  Meter                 meter;
  guint64               upload_size;
  guint64               uploaded;
  GInputStream         *upload_stream;
  char                 *upload_path;
  Download             *dl;
} Call;

/* osi-client.c: an answer's "message", shown to the user: printable and
 * bounded; NULL when absent or empty. */
char        *_osi_client_server_message     (JsonObject           *object);
Outcome     *_osi_client_outcome_new        (GTask                *task,
                                             JsonObject          **answer);
JsonNode    *_osi_client_backup_file_body   (GTask                *task);
gboolean     _osi_client_propagate_outcome  (GAsyncResult         *result,
                                             OsiBackupInfo       **backup,
                                             char                **safety_backup,
                                             char                **message,
                                             GError              **error);

/* osi-client-error.c */
char        *_osi_client_printable          (const char           *text,
                                             gssize                len,
                                             guint                 max_chars);
GError      *_osi_client_with_detail        (OsiClientError        code,
                                             const char           *sentence,
                                             const char           *detail,
                                             gboolean              from_server);
GError      *_osi_client_connection_error   (OsiClient            *self,
                                             const char           *detail);
GError      *_osi_client_protocol_error     (OsiClient            *self,
                                             const char           *detail);
GError      *_osi_client_transport_error    (GTask                *task,
                                             GError               *error);
const char  *_osi_client_member_string      (JsonObject           *object,
                                             const char           *name);
JsonNode    *_osi_client_body_json          (Call                 *call);
GError      *_osi_client_http_error         (GTask                *task);
GError      *_osi_client_invalid_name_error (const char           *name);
GError      *_osi_client_local_error        (int                   saved_errno,
                                             const char           *path,
                                             const char           *format,
                                             ...) G_GNUC_PRINTF (3, 4);
GError      *_osi_client_unsupported_error  (OsiClient            *self,
                                             const char           *feature);

/* osi-client-call.c */
void         _osi_client_outcome_free       (Outcome              *outcome);
void         _osi_client_meter_start        (Meter                *meter,
                                             guint64               done);
void         _osi_client_meter_report       (Meter                *meter,
                                             guint64               done,
                                             guint64               total,
                                             gboolean              force);
void         _osi_client_call_touch         (Call                 *call);
void         _osi_client_call_stop_watchdog (Call                 *call);
GTask       *_osi_client_call_task_new      (OsiClient            *self,
                                             Op                    op,
                                             const char           *name,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data,
                                             gpointer              source_tag);
gboolean     _osi_client_call_prepare       (GTask                *task,
                                             const char           *method,
                                             const char           *path,
                                             gboolean              with_name_query,
                                             gboolean              with_token);
void         _osi_client_call_send          (GTask                *task,
                                             GAsyncReadyCallback   on_sent);
void         _osi_client_start_reading      (GTask                *task,
                                             GInputStream         *stream);
void         _osi_client_on_json_sent       (GObject              *source,
                                             GAsyncResult         *result,
                                             gpointer              user_data);
JsonObject  *_osi_client_root_object        (GTask                *task,
                                             JsonNode             *root);
gboolean     _osi_client_check_result       (gpointer              self,
                                             GAsyncResult         *result,
                                             gpointer              source_tag);
gpointer     _osi_client_propagate_pointer  (gpointer              self,
                                             GAsyncResult         *result,
                                             gpointer              source_tag,
                                             GError              **error);
void         _osi_client_json_call          (GTask                *task,
                                             ParseFunc             parse,
                                             const char           *method,
                                             const char           *path,
                                             gboolean              named);
void         _osi_client_json_call_with_body (GTask               *task,
                                             ParseFunc             parse,
                                             const char           *method,
                                             const char           *path,
                                             gboolean              named,
                                             JsonNode             *body);
void         _osi_client_call_with_features (GTask                *task,
                                             CallStart             start);
gboolean     _osi_client_call_check_feature (GTask                *task,
                                             const char           *feature);
void         _osi_client_call_list          (GTask                *task,
                                             GCancellable         *cancellable,
                                             CallListed            listed);

/* osi-client-list.c */
void         _osi_client_list_parse         (GTask                *task);

/* osi-client.c */
void         _osi_client_created_listed     (GTask                *task,
                                             GPtrArray            *backups,
                                             GError              **error);

/* osi-client-offsite.c */
void         _osi_client_fetched_listed     (GTask                *task,
                                             GPtrArray            *backups,
                                             GError              **error);

/* osi-client-download.c */
void         _osi_client_download_free      (Download             *dl);

G_END_DECLS
