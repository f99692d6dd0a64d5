/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>

#include "osi-backup-info.h"
#include "osi-open.h"
#include "osi-server-private.h"
#include "osi-swap.h"
#include "osi-task.h"
#include "osi-wipe.h"

#define DEFAULT_PORT        8000
#define MAX_JSON_BODY       (64 * 1024)

typedef enum
{
  ROUTE_NONE,
  ROUTE_HEALTH,
  ROUTE_BACKUP,
  ROUTE_RESTORE,
  ROUTE_UPLOAD,
  ROUTE_VERIFY,
  ROUTE_DIFF,
  ROUTE_POLICY,
  ROUTE_PRUNE,
  ROUTE_OFFSITE,
  ROUTE_OFFSITE_FETCH,
} Route;

G_DEFINE_FINAL_TYPE (OsiServer, osi_server, G_TYPE_OBJECT)

/* Errors whose code is the HTTP status to answer with. */
GQuark
_osi_server_http_error_quark (void)
{
  return g_quark_from_static_string ("osi-server-http-error");
}

static void maybe_finish_shutdown (OsiServer *self);

/* ------------------------------------------------------------------------ */
/* Disk space                                                               */

guint64
_osi_server_free_bytes (const char *path)
{
  struct statvfs sv;

  if (statvfs (path, &sv) < 0)
    return G_MAXUINT64;
  return (guint64)sv.f_bavail * (guint64)sv.f_frsize;
}

gboolean
_osi_server_check_space (const char  *dir,
                         guint64      needed,
                         GError     **error)
{
  guint64 available = _osi_server_free_bytes (dir);

  if (available >= needed)
    return TRUE;
  {
    g_autofree char *have = g_format_size (available);
    g_autofree char *want = g_format_size (needed);

    g_set_error (error, HTTP_ERROR, SOUP_STATUS_INSUFFICIENT_STORAGE,
                 _("Not enough free space in “%s”: %s free, about %s needed."),
                 dir, have, want);
  }
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Requests and responses                                                   */

static void
request_free (gpointer data)
{
  Request *req = data;

  osi_abandon_temporary (&req->upload_fd, &req->upload_path);
  g_free (req->upload_name);
  g_clear_pointer (&req->upload_sha, osi_sha256_free);
  g_clear_pointer (&req->upload_buffer, g_byte_array_unref);
  g_clear_pointer (&req->body, g_byte_array_unref);
  g_clear_object (&req->download);
  g_free (req->download_name);
  g_free (req->download_digest);
  g_free (req->start_time);
  g_free (req);
}

Request *
_osi_server_request_get (SoupServerMessage *msg)
{
  Request *req = g_object_get_data (G_OBJECT (msg), "osi-request");

  if (req == NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      req = g_new0 (Request, 1);
      req->upload_fd = -1;
      req->start_us = g_get_monotonic_time ();
      req->start_time = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
      req->body_limit = MAX_JSON_BODY;
      g_object_set_data_full (G_OBJECT (msg), "osi-request", req, request_free);
    }
  return req;
}

void
_osi_server_respond_json (SoupServerMessage *msg,
                          guint              status,
                          JsonObject        *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  char *text = json_to_string (node, FALSE);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

/* 201 for the backup NAME a create has just made or an upload received
 * (docs/api.md §3.4 "Create" and §3.7 "Upload"), as the job's stat and
 * SHA-256 describe it. */
void
_osi_server_respond_backup_made (Job        *job,
                                 const char *name,
                                 gboolean    received)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (job->st.st_mtim.tv_sec);
  g_autoptr(OsiBackupInfo) info = osi_backup_info_new (name, date, job->st.st_size, job->sha256);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *message = received ? g_strdup_printf (_("Backup “%s” received."), name)
                                      : g_strdup_printf (_("Backup “%s” created."), name);
  JsonNode *backup = osi_backup_info_to_json (info);

  g_message ("%s %s (%" G_GINT64_FORMAT " bytes)", received ? "Received" : "Created", name, (gint64)job->st.st_size);
  /* A list entry (docs/api.md §3.2), with what the catalog records. */
  osi_backup_folder_add_members (job->server->folder, name, json_node_get_object (backup));
  json_object_set_string_member (object, "status", "success");
  json_object_set_string_member (object, "message", message);
  json_object_set_member (object, "backup", backup);
  _osi_server_respond_json (job->msg, SOUP_STATUS_CREATED, object);
}

JsonObject *
_osi_server_error_object (const char *detail)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "detail", detail);
  return object;
}

void
_osi_server_respond_error (SoupServerMessage *msg,
                           guint              status,
                           const char        *format,
                           ...)
{
  g_autofree char *detail = NULL;
  g_autoptr(JsonObject) object = NULL;
  va_list ap;

  va_start (ap, format);
  detail = g_strdup_vprintf (format, ap);
  va_end (ap);
  object = _osi_server_error_object (detail);
  _osi_server_respond_json (msg, status, object);
}

/* The request body is still coming (or being drained): the connection
 * cannot be reused once an error was answered early. */
void
_osi_server_respond_error_and_close (SoupServerMessage *msg,
                                     guint              status,
                                     const char        *detail)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  _osi_server_respond_error (msg, status, "%s", detail);
}

void
_osi_server_respond_unknown (SoupServerMessage *msg,
                             const char        *name)
{
  _osi_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, _("There is no backup named “%s”."), name);
}

void
_osi_server_respond_task_error (SoupServerMessage *msg,
                                const GError      *error)
{
  if (error->domain == HTTP_ERROR)
    _osi_server_respond_error (msg, (guint)error->code, "%s", error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _osi_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                               "%s", _("The server is shutting down: the operation was cancelled and nothing was changed."));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    _osi_server_respond_error (msg, SOUP_STATUS_INSUFFICIENT_STORAGE, "%s", error->message);
  else
    _osi_server_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", error->message);
}

/* Resumes a message paused for thread work, unless the connection went
 * away meanwhile. */
void
_osi_server_resume (SoupServerMessage *msg)
{
  if (!_osi_server_request_get (msg)->finished)
    soup_server_message_unpause (msg);
}

/* ------------------------------------------------------------------------ */
/* Routes and authentication                                                */

static Route
route_for_path (const char *path)
{
  static const struct
  {
    const char *path;
    Route       route;
  } routes[] = {
    { "/api/health", ROUTE_HEALTH },
    /* Where the deployed OSI backend answers it (docs/api.md §3.1
     * "Health"), so that the dashboard's health indicator works against
     * this server too. */
    { "/health", ROUTE_HEALTH },
    { "/api/rag/backup", ROUTE_BACKUP },
    { "/api/rag/backup/restore", ROUTE_RESTORE },
    { "/api/rag/backup/upload", ROUTE_UPLOAD },
    { "/api/rag/backup/verify", ROUTE_VERIFY },
    { "/api/rag/backup/diff", ROUTE_DIFF },
    { "/api/rag/backup/policy", ROUTE_POLICY },
    { "/api/rag/backup/prune", ROUTE_PRUNE },
    { "/api/rag/backup/offsite", ROUTE_OFFSITE },
    { "/api/rag/backup/offsite/fetch", ROUTE_OFFSITE_FETCH },
  };
  gsize len = strlen (path);

  /* one trailing slash is tolerated */
  if (len > 1 && path[len - 1] == '/')
    len--;
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (strlen (routes[i].path) == len && strncmp (routes[i].path, path, len) == 0)
      return routes[i].route;
  return ROUTE_NONE;
}

static const char *
route_methods (Route route)
{
  switch (route)
    {
    case ROUTE_HEALTH:
      return "GET, HEAD";
    case ROUTE_BACKUP:
      return "GET, HEAD, POST, DELETE, PATCH";
    case ROUTE_RESTORE:
    case ROUTE_UPLOAD:
    case ROUTE_PRUNE:
    case ROUTE_OFFSITE_FETCH:
      return "POST";
    case ROUTE_VERIFY:
    case ROUTE_DIFF:
    case ROUTE_OFFSITE:
      return "GET";
    case ROUTE_POLICY:
      return "GET, PUT";
    case ROUTE_NONE:
    default:
      return "";
    }
}

static gboolean
method_allowed (Route       route,
                const char *method)
{
  g_auto(GStrv) allowed = g_strsplit (route_methods (route), ", ", -1);

  return method != NULL && g_strv_contains ((const char * const *)allowed, method);
}

static gboolean
tokens_equal (const char *given,
              const char *expected)
{
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  guint8 a[OSI_SHA256_LEN];
  guint8 b[OSI_SHA256_LEN];

  /* Comparing digests keeps the time independent of where the strings
   * differ and of the expected token's length. */
  osi_sha256_update (sha, given, strlen (given));
  osi_sha256_finish_raw (sha, a);
  osi_sha256_update (sha, expected, strlen (expected));
  osi_sha256_finish_raw (sha, b);
  return CRYPTO_memcmp (a, b, sizeof a) == 0;
}

gboolean
_osi_server_is_authorized (OsiServer         *self,
                           SoupServerMessage *msg)
{
  const char *header;
  g_autofree char *token = NULL;

  if (self->options.no_auth)
    return TRUE;
  header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return FALSE;
  token = g_strstrip (g_strdup (header + 7));
  return token[0] != '\0' && tokens_equal (token, self->options.token);
}

/* ------------------------------------------------------------------------ */
/* Work in threads                                                          */

void
_osi_server_op_begin (OsiServer  *self,
                      Operation   op,
                      const char *name)
{
  g_assert (self->op == OP_NONE && op != OP_NONE);
  self->op = op;
  g_free (self->op_name);
  self->op_name = g_strdup (name);
  if (op == OP_RESTORE && self->scheduler != NULL)
    osi_scheduler_restore_started (self->scheduler);
}

void
_osi_server_op_end (OsiServer *self)
{
  self->op = OP_NONE;
  g_clear_pointer (&self->op_name, g_free);
  if (self->scheduler != NULL)
    osi_scheduler_operation_ended (self->scheduler);
}

void
_osi_server_pending_begin (OsiServer *self)
{
  self->n_pending++;
}

void
_osi_server_pending_end (OsiServer *self)
{
  g_assert (self->n_pending > 0);
  self->n_pending--;
  maybe_finish_shutdown (self);
}

/* Takes fd. */
Job *
_osi_server_job_new (const char *name,
                     int         fd,
                     JobWork     work,
                     JobDone     done)
{
  Job *job = g_new0 (Job, 1);

  job->work = work;
  job->done = done;
  job->name = g_strdup (name);
  job->fd = fd;
  return job;
}

static void
job_free (gpointer data)
{
  Job *job = data;

  g_clear_object (&job->server);
  g_clear_object (&job->msg);
  if (job->fd >= 0)
    close (job->fd);
  if (job->tmp_path != NULL)
    g_unlink (job->tmp_path);
  g_free (job->tmp_path);
  g_free (job->name);
  g_free (job->prefix);
  g_free (job->made);
  g_free (job->sha256);
  g_clear_pointer (&job->copy, osi_catalog_copy_free);
  g_clear_pointer (&job->listing, g_ptr_array_unref);
  g_clear_object (&job->report);
  g_clear_object (&job->diff);
  g_clear_object (&job->cancellable);
  g_free (job);
}

static gboolean
run_job (gpointer       data,
         GCancellable  *cancellable,
         GError       **error)
{
  Job *job = data;

  return job->work (job, job->cancellable != NULL ? job->cancellable : cancellable, error);
}

static void
job_finished (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  if (job->done (job, error) && job->msg != NULL)
    _osi_server_resume (job->msg);
  _osi_server_pending_end (job->server);
}

/* Runs the job, which it takes, in a thread, the message paused
 * meanwhile. */
void
_osi_server_job_run (OsiServer         *self,
                     SoupServerMessage *msg,
                     Job               *job)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, job_finished, NULL);

  job->server = g_object_ref (self);
  job->msg = msg != NULL ? g_object_ref (msg) : NULL;
  /* A restore that passed its swap reports success even if shutdown
   * began meanwhile. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, job_free);
  if (msg != NULL)
    soup_server_message_pause (msg);
  _osi_server_pending_begin (self);
  osi_task_run_in_thread (task, run_job);
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */

/* The requests whose JSON body the server reads (collected, at most
 * MAX_JSON_BODY); others' bodies are dropped. */
static gboolean
takes_json_body (Route       route,
                 const char *method)
{
  return (route == ROUTE_RESTORE) || (route == ROUTE_OFFSITE_FETCH) ||
         (route == ROUTE_BACKUP && g_strcmp0 (method, "PATCH") == 0) ||
         (route == ROUTE_POLICY && g_strcmp0 (method, "PUT") == 0);
}

static void
early_handler (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  OsiServer *self = user_data;
  Request *req = _osi_server_request_get (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  Route route = route_for_path (path);

  /* the request proper starts now, not when a kept-alive connection
   * began waiting for it */
  req->start_us = g_get_monotonic_time ();

  /* Bodies are never held whole in memory: collected (JSON, bounded),
   * streamed to disk (uploads) or dropped. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (_osi_server_request_got_chunk), self, 0);

  if (_osi_server_conn_is_refused (msg))
    {
      _osi_server_respond_refused (msg);
      return;
    }
  if (self->shutting_down)
    {
      _osi_server_respond_error_and_close (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, _("The server is shutting down."));
      return;
    }
  if (self->options.no_auth && !_osi_server_check_local_request (self, msg))
    return;
  if (route != ROUTE_HEALTH && !_osi_server_is_authorized (self, msg))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      _osi_server_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "%s",
                                 _("Missing or wrong token: send the header “Authorization: Bearer TOKEN”."));
      return;
    }
  if (route == ROUTE_NONE)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, "%s", _("Not found."));
      return;
    }
  if (!method_allowed (route, method))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", route_methods (route));
      _osi_server_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, _("The method %s is not allowed here."), method);
      return;
    }

  if (route == ROUTE_UPLOAD)
    {
      _osi_server_upload_begin (self, msg, req);
      return;
    }
  if (self->options.no_auth && takes_json_body (route, method) && !_osi_server_check_json_body (msg))
    {
      req->body_refused = TRUE;
      return;
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64)soup_message_headers_get_content_length (headers) > MAX_JSON_BODY)
    {
      req->body_refused = TRUE;
      _osi_server_respond_error_and_close (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, _("The request body is too large."));
      return;
    }
  if (takes_json_body (route, method))
    req->body = g_byte_array_new ();
}

static void
handler (SoupServer        *soup,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  OsiServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *name = NULL;

  switch (route_for_path (path))
    {
    case ROUTE_HEALTH:
      _osi_server_handle_health (self, msg);
      break;

    case ROUTE_BACKUP:
      if (g_str_equal (method, "POST"))
        _osi_server_handle_create (self, msg);
      else if (g_str_equal (method, "DELETE"))
        {
          if ((name = _osi_server_require_filename (msg)) != NULL)
            _osi_server_handle_delete (self, msg, name);
        }
      else if (g_str_equal (method, "PATCH"))
        {
          if ((name = _osi_server_require_filename (msg)) != NULL)
            _osi_server_handle_patch (self, msg, name);
        }
      else
        {
          switch (_osi_server_query_filename (msg, &name))
            {
            case NAME_ABSENT:
              _osi_server_handle_list (self, msg);
              break;
            case NAME_VALID:
              _osi_server_handle_download (self, msg, name);
              break;
            case NAME_INVALID:
            default:
              _osi_server_respond_bad_name (msg);
              break;
            }
        }
      break;

    case ROUTE_RESTORE:
      _osi_server_handle_restore (self, msg);
      break;

    case ROUTE_UPLOAD:
      _osi_server_handle_upload (self, msg);
      break;

    case ROUTE_VERIFY:
      if ((name = _osi_server_require_filename (msg)) != NULL)
        _osi_server_handle_verify (self, msg, name);
      break;

    case ROUTE_DIFF:
      if ((name = _osi_server_require_filename (msg)) != NULL)
        _osi_server_handle_diff (self, msg, name);
      break;

    case ROUTE_POLICY:
      _osi_server_handle_policy (self, msg);
      break;

    case ROUTE_PRUNE:
      _osi_server_handle_prune (self, msg);
      break;

    case ROUTE_OFFSITE:
      _osi_server_handle_offsite (self, msg);
      break;

    case ROUTE_OFFSITE_FETCH:
      _osi_server_handle_offsite_fetch (self, msg);
      break;

    case ROUTE_NONE:
    default:
      _osi_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, "%s", _("Not found."));
      break;
    }
}

static void
message_wrote_body_data (SoupServerMessage *msg,
                         guint              size,
                         gpointer           user_data)
{
  _osi_server_request_get (msg)->bytes_out += size;
}

static void
message_finished (SoupServerMessage *msg,
                  gpointer           user_data)
{
  _osi_server_request_get (msg)->finished = TRUE;
}

static void
request_started (SoupServer        *soup,
                 SoupServerMessage *msg,
                 OsiServer         *self)
{
  _osi_server_request_get (msg);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (message_wrote_body_data), NULL);
  g_signal_connect (msg, "finished", G_CALLBACK (message_finished), NULL);
  g_signal_connect (msg, "disconnected", G_CALLBACK (message_finished), NULL);
  _osi_server_conn_track (self, msg);
}

/* One line per request: never a header, so never the token. */
static void
log_request (SoupServerMessage *msg,
             gboolean           aborted)
{
  Request *req = _osi_server_request_get (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *peer = soup_server_message_get_remote_host (msg);
  const char *query = uri != NULL ? g_uri_get_query (uri) : NULL;
  double ms = (double)(g_get_monotonic_time () - req->start_us) / 1000.0;

  req->finished = TRUE;
  fprintf (stderr, "%s %s \"%s %s%s%s\" %u %" G_GUINT64_FORMAT " %.1fms%s\n",
           req->start_time,
           peer != NULL ? peer : "-",
           soup_server_message_get_method (msg) != NULL ? soup_server_message_get_method (msg) : "-",
           uri != NULL ? g_uri_get_path (uri) : "-",
           query != NULL ? "?" : "",
           query != NULL ? query : "",
           soup_server_message_get_status (msg),
           req->bytes_out,
           ms,
           aborted ? " aborted" : "");
  fflush (stderr);
}

static void
request_finished (SoupServer        *soup,
                  SoupServerMessage *msg,
                  OsiServer         *self)
{
  log_request (msg, FALSE);
}

static void
request_aborted (SoupServer        *soup,
                 SoupServerMessage *msg,
                 OsiServer         *self)
{
  log_request (msg, TRUE);
}

/* ------------------------------------------------------------------------ */
/* Shutdown                                                                 */

static gboolean
finish_shutdown (gpointer user_data)
{
  OsiServer *self = user_data;
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&self->shutdown_tasks);

  self->finish_source = 0;
  _osi_server_listener_stop (self);
  soup_server_disconnect (self->soup);
  g_message ("Stopped");
  for (guint i = 0; tasks != NULL && i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
  return G_SOURCE_REMOVE;
}

static void
maybe_finish_shutdown (OsiServer *self)
{
  if (!self->shutting_down || self->n_pending > 0 || self->finish_source != 0 ||
      self->shutdown_tasks == NULL)
    return;
  /* Low priority: the answers to the operations just ended are written
   * first. */
  self->finish_source = g_idle_add_full (G_PRIORITY_LOW, finish_shutdown,
                                         g_object_ref (self), g_object_unref);
}

static void
stop_background_work (OsiServer *self)
{
  g_cancellable_cancel (self->cancellable);
  if (self->scheduler != NULL)
    osi_scheduler_stop (self->scheduler);
  if (self->offsite != NULL)
    osi_offsite_stop (self->offsite);
  if (self->folder != NULL)
    osi_backup_folder_stop (self->folder);
  /* A reload command still running is left to finish on its own. */
  g_clear_handle_id (&self->hook_watch, g_source_remove);
}

/* ------------------------------------------------------------------------ */
/* The catalog                                                              */

/* Opens the backup folder's catalog, which the folder then reads. Without
 * it the server does not start: it could not honour a protection it
 * recorded. One that cannot be read is moved aside, a fresh one made, and
 * the server says so loudly: what it recorded is lost (never a backup). */
static gboolean
open_catalog (OsiServer  *self,
              GError    **error)
{
  self->catalog = osi_catalog_open (self->options.backup_dir, error);
  if (self->catalog == NULL)
    return FALSE;
  if (osi_catalog_get_moved_aside (self->catalog) != NULL)
    g_warning ("The backup catalog could not be read (%s): it was moved aside to %s and a fresh one started. "
               "The protections, notes, kinds, verifications and runs it recorded are lost; the backups are not",
               osi_catalog_get_moved_aside_reason (self->catalog), osi_catalog_get_moved_aside (self->catalog));
  osi_backup_folder_attach_catalog (self->folder, self->catalog);
  _osi_server_load_policy (self);
  return TRUE;
}

/* The off-site copies, once the catalog is attached and before anything
 * makes a backup: their queue goes on where it was. The storage is not
 * asked anything here: a gateway down does not hold the start. */
static gboolean
start_offsite (OsiServer  *self,
               GError    **error)
{
  if (self->options.offsite_url == NULL)
    return TRUE;
  self->offsite = osi_offsite_new (&self->options, self->folder, self->catalog, self->options.clock,
                                   &self->policy, error);
  if (self->offsite == NULL)
    return FALSE;
  osi_offsite_start (self->offsite);
  return TRUE;
}

/* ------------------------------------------------------------------------ */

static void
osi_server_dispose (GObject *object)
{
  OsiServer *self = (OsiServer *)object;

  stop_background_work (self);
  g_clear_handle_id (&self->finish_source, g_source_remove);
  _osi_server_listener_stop (self);
  if (self->soup != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->soup, self);
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
    }
  _osi_server_connections_dispose (self);
  g_clear_object (&self->listen_socket);
  g_clear_object (&self->certificate);
  g_clear_object (&self->scheduler);
  g_clear_object (&self->offsite);
  g_clear_object (&self->folder);
  g_clear_object (&self->catalog);

  G_OBJECT_CLASS (osi_server_parent_class)->dispose (object);
}

static void
osi_server_finalize (GObject *object)
{
  OsiServer *self = (OsiServer *)object;

  osi_server_options_clear (&self->options);
  osi_policy_clear (&self->policy);
  g_free (self->url);
  g_clear_object (&self->cancellable);
  g_free (self->op_name);
  g_clear_pointer (&self->shutdown_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->conns, g_hash_table_unref);
  g_clear_pointer (&self->refusal, g_bytes_unref);
  g_clear_pointer (&self->local_hosts, g_strfreev);

  G_OBJECT_CLASS (osi_server_parent_class)->finalize (object);
}

static void
osi_server_class_init (OsiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_server_dispose;
  object_class->finalize = osi_server_finalize;
}

static void
osi_server_init (OsiServer *self)
{
  self->cancellable = g_cancellable_new ();
  osi_policy_init_default (&self->policy);
  _osi_server_connections_init (self);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

void
osi_server_options_clear (OsiServerOptions *options)
{
  g_return_if_fail (options != NULL);

  g_clear_pointer (&options->data_dir, g_free);
  g_clear_pointer (&options->backup_dir, g_free);
  g_clear_pointer (&options->token, osi_wipe_free);
  g_clear_pointer (&options->on_restore, g_free);
  g_clear_pointer (&options->tls_cert, g_free);
  g_clear_pointer (&options->tls_key, g_free);
  g_clear_object (&options->clock);
  g_clear_pointer (&options->offsite_url, g_free);
  g_clear_pointer (&options->offsite_credentials, g_free);
  g_clear_pointer (&options->offsite_access_key, g_free);
  g_clear_pointer (&options->offsite_secret_key, osi_wipe_free);
  g_clear_pointer (&options->offsite_region, g_free);
}

OsiServer *
osi_server_new (const OsiServerOptions  *options,
                GError                 **error)
{
  g_autoptr(OsiServer) self = NULL;
  struct stat st;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->data_dir != NULL, NULL);
  g_return_val_if_fail (options->backup_dir != NULL, NULL);
  g_return_val_if_fail (!error || !*error, NULL);

  if (!options->no_auth && (options->token == NULL || options->token[0] == '\0'))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("No token: give one with --token-file or $OSI_BACKUP_TOKEN (or --no-auth on a loopback address)."));
      return NULL;
    }
  if ((options->tls_cert == NULL) != (options->tls_key == NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("--tls-cert and --tls-key go together."));
      return NULL;
    }

  self = g_object_new (OSI_TYPE_SERVER, NULL);
  self->options.data_dir = g_canonicalize_filename (options->data_dir, NULL);
  self->options.backup_dir = g_canonicalize_filename (options->backup_dir, NULL);
  self->options.token = options->no_auth ? NULL : g_strdup (options->token);
  self->options.no_auth = options->no_auth;
  self->options.on_restore = g_strdup (options->on_restore);
  self->options.max_upload = options->max_upload;
  self->options.tls_cert = g_strdup (options->tls_cert);
  self->options.tls_key = g_strdup (options->tls_key);
  self->options.max_connections = options->max_connections;
  self->options.header_timeout = options->header_timeout;
  self->options.idle_timeout = options->idle_timeout;
  self->options.clock = options->clock != NULL ? g_object_ref (options->clock) : osi_clock_new_system ();
  self->options.offsite_url = g_strdup (options->offsite_url);
  self->options.offsite_credentials = g_strdup (options->offsite_credentials);
  self->options.offsite_access_key = g_strdup (options->offsite_access_key);
  self->options.offsite_secret_key = g_strdup (options->offsite_secret_key);
  self->options.offsite_region = g_strdup (options->offsite_region);
  self->options.offsite_retry_max = options->offsite_retry_max > 0 ? options->offsite_retry_max : 300;
  _osi_server_connections_configure (self, options);

  self->folder = osi_backup_folder_new (self->options.backup_dir, error);
  if (self->folder == NULL)
    return NULL;
  if (stat (self->options.data_dir, &st) < 0)
    g_message ("The data folder %s does not exist yet: a restore will create it", self->options.data_dir);
  else if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY,
                   _("“%s” is not a folder."), self->options.data_dir);
      return NULL;
    }

  /* Finish or undo whatever a crash interrupted, before serving. */
  if (!osi_swap_recover (self->options.data_dir, error))
    return NULL;
  osi_backup_folder_clean (self->folder);
  if (!open_catalog (self, error) || !start_offsite (self, error))
    return NULL;

  if (options->tls_cert != NULL)
    {
      self->certificate = g_tls_certificate_new_from_files (options->tls_cert, options->tls_key, error);
      if (self->certificate == NULL)
        return NULL;
    }

  self->soup = soup_server_new ("server-header", "osi-backup-server/" VERSION " ",
                                "tls-certificate", self->certificate,
                                NULL);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, handler, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (request_started), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (request_finished), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (request_aborted), self);

  /* The old data of a restore whose safety backup was not made yet: made
   * now, the restore counting as running meanwhile (the scheduler waits). */
  _osi_server_resume_safety (self);

  /* Last: it runs at once a scheduled backup missed while the server was
   * down. */
  self->scheduler = osi_scheduler_new (self, self->options.clock);
  osi_scheduler_start (self->scheduler);

  return g_steal_pointer (&self);
}

gboolean
osi_server_listen (OsiServer   *self,
                   const char  *host_port,
                   GError     **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;
  GSList *uris;
  GInetAddress *inet;

  g_return_val_if_fail (OSI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (host_port != NULL, FALSE);
  g_return_val_if_fail (!error || !*error, FALSE);

  connectable = g_network_address_parse (host_port, DEFAULT_PORT, error);
  if (connectable == NULL)
    return FALSE;
  enumerator = g_socket_connectable_enumerate (connectable);
  address = g_socket_address_enumerator_next (enumerator, NULL, &local_error);
  if (address == NULL || !G_IS_INET_SOCKET_ADDRESS (address))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Cannot listen on “%s”: %s"), host_port,
                   local_error != NULL ? local_error->message : _("no such address"));
      return FALSE;
    }

  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  if (self->options.no_auth && !g_inet_address_get_is_loopback (inet))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("Refusing to listen on “%s” without a token: --no-auth is only allowed on a loopback address."),
                   host_port);
      return FALSE;
    }

  /* Our own socket, which libsoup accepts on: the server watches it to
   * take over when libsoup stops accepting (see osi-server-connections.c). */
  g_return_val_if_fail (self->listen_socket == NULL, FALSE);
  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  if (g_socket_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  /* Connections wait there while no descriptor is free. */
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  self->listen_flags = self->certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0;
  if (!soup_server_listen_socket (self->soup, socket, self->listen_flags, error))
    return FALSE;
  self->listen_socket = g_steal_pointer (&socket);
  _osi_server_connections_start (self);

  local = g_socket_get_local_address (self->listen_socket, error);
  if (local == NULL)
    return FALSE;
  self->local_hosts = _osi_server_local_hosts_for (G_INET_SOCKET_ADDRESS (local), self->certificate != NULL);

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    {
      char *text = g_uri_to_string (uris->data);
      gsize len = strlen (text);

      if (len > 0 && text[len - 1] == '/')
        text[len - 1] = '\0';
      g_free (self->url);
      self->url = text;
    }
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  g_message ("Serving %s from %s, data %s%s; at most %u connections", self->url, osi_backup_folder_get_path (self->folder),
             self->options.data_dir, self->options.no_auth ? " (no authentication)" : "", self->max_connections);
  return TRUE;
}

gboolean
osi_server_is_idle (OsiServer *self)
{
  g_return_val_if_fail (OSI_IS_SERVER (self), FALSE);

  return self->op == OP_NONE && self->n_pending == 0 &&
         (self->scheduler == NULL || !osi_scheduler_is_busy (self->scheduler)) &&
         (self->offsite == NULL || osi_offsite_is_idle (self->offsite));
}

char *
osi_server_get_url (OsiServer *self)
{
  g_return_val_if_fail (OSI_IS_SERVER (self), NULL);

  return g_strdup (self->url);
}

void
osi_server_shutdown_async (OsiServer           *self,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (OSI_IS_SERVER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, osi_server_shutdown_async);
  if (self->shutdown_tasks == NULL)
    self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->shutdown_tasks, task);

  if (!self->shutting_down)
    {
      g_message ("Shutting down: cancelling the operation under way, if any");
      self->shutting_down = TRUE;
      stop_background_work (self);
    }
  maybe_finish_shutdown (self);
}

gboolean
osi_server_shutdown_finish (OsiServer     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (OSI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
