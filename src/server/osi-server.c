/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>

#include "osi-archive.h"
#include "osi-backup-folder.h"
#include "osi-backup-info.h"
#include "osi-json.h"
#include "osi-open.h"
#include "osi-server.h"
#include "osi-sha256.h"
#include "osi-swap.h"
#include "osi-verify-report.h"
#include "osi-diff-private.h"

#define DEFAULT_PORT        8000
#define CHUNK_SIZE          (256 * 1024)
#define HASH_BLOCK          (1024 * 1024)
#define UPLOAD_BUFFER_SIZE  (1024 * 1024)
#define MAX_JSON_BODY       (64 * 1024)
#define MAX_NAME_ATTEMPTS   1000
#define FINDINGS_IN_DETAIL  3

/* Connections */
#define DEFAULT_HEADER_TIMEOUT   15      /* seconds */
#define DEFAULT_IDLE_TIMEOUT     60      /* seconds */
#define MAX_DEFAULT_CONNECTIONS  1024
#define REFUSED_HEAD_TIMEOUT     2       /* seconds */
#define RESUME_INTERVAL_MS       100
#define FD_HEADROOM              4
#define MAX_REFUSED_DRAIN        (64 * 1024)
#define REFUSAL_LOG_INTERVAL     (10 * G_USEC_PER_SEC)

typedef enum
{
  OP_NONE,
  OP_CREATE,
  OP_RESTORE,
} Operation;

typedef enum
{
  ROUTE_NONE,
  ROUTE_HEALTH,
  ROUTE_BACKUP,
  ROUTE_RESTORE,
  ROUTE_UPLOAD,
  ROUTE_VERIFY,
  ROUTE_DIFF,
} Route;

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

typedef enum
{
  WAIT_NONE,       /* the server is working on a request */
  WAIT_HEAD,       /* for a request head */
  WAIT_IDLE,       /* for the next request of a kept-alive connection */
  WAIT_PROGRESS,   /* for a request body or a response to move on */
} Wait;

/* One client connection, as the server tracks it beside libsoup (which
 * keeps its own private): what it waits for and until when. Shared, by
 * reference, between the table of open connections and each of its
 * messages. */
typedef struct
{
  OsiServer *self;       /* NULL once closed */
  GSocket   *socket;
  char      *peer;
  Wait       wait;
  gint64     deadline;   /* monotonic, µs; 0 with WAIT_NONE */
  gboolean   refused;    /* accepted beyond the cap, to be answered 503 */
} Conn;

struct _OsiServer
{
  GObject           parent_instance;

  OsiServerOptions  options;
  OsiBackupFolder  *folder;
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
  /* Thread work and reads under way, each holding a reference. */
  guint             n_pending;

  gboolean          shutting_down;
  GPtrArray        *shutdown_tasks;
  guint             finish_source;
};

G_DEFINE_FINAL_TYPE (OsiServer, osi_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Errors whose code is the HTTP status to answer with. */
static GQuark
http_error_quark (void)
{
  return g_quark_from_static_string ("osi-server-http-error");
}
#define HTTP_ERROR (http_error_quark ())

static void maybe_finish_shutdown (OsiServer *self);

/* ------------------------------------------------------------------------ */
/* Disk space                                                               */

static guint64
free_bytes (const char *path)
{
  struct statvfs sv;

  if (statvfs (path, &sv) < 0)
    return G_MAXUINT64;
  return (guint64)sv.f_bavail * (guint64)sv.f_frsize;
}

static guint64
tree_size_at (int dir_fd)
{
  DIR *dir = fdopendir (dir_fd);
  struct dirent *de;
  guint64 total = 0;

  if (dir == NULL)
    {
      close (dir_fd);
      return 0;
    }
  while ((de = readdir (dir)) != NULL)
    {
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (dirfd (dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISREG (st.st_mode))
        total += (guint64)st.st_size;
      else if (S_ISDIR (st.st_mode))
        {
          int fd = openat (dirfd (dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd >= 0)
            total += tree_size_at (fd);
        }
    }
  closedir (dir);
  return total;
}

/* The size of the data, as the estimate of what a backup of it takes. */
static guint64
tree_size (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  return fd < 0 ? 0 : tree_size_at (fd);
}

static gboolean
check_space (const char  *dir,
             guint64      needed,
             GError     **error)
{
  guint64 available = free_bytes (dir);

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

  if (req->upload_fd >= 0)
    close (req->upload_fd);
  if (req->upload_path != NULL)
    g_unlink (req->upload_path);
  g_free (req->upload_path);
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

static Request *
request_get (SoupServerMessage *msg)
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

static void
respond_json (SoupServerMessage *msg,
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

static OsiBackupInfo *
info_new (const char        *name,
          const struct stat *st,
          const char        *sha256)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (st->st_mtim.tv_sec);

  return osi_backup_info_new (name, date, st->st_size, sha256);
}

/* 201 for a backup the server has just made or received (DESIGN §2). */
static void
respond_backup_made (SoupServerMessage *msg,
                     const char        *name,
                     const struct stat *st,
                     const char        *sha256,
                     const char        *message)
{
  g_autoptr(OsiBackupInfo) info = info_new (name, st, sha256);
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "status", "success");
  json_object_set_string_member (object, "message", message);
  json_object_set_member (object, "backup", osi_backup_info_to_json (info));
  respond_json (msg, SOUP_STATUS_CREATED, object);
}

static JsonObject *
error_object (const char *detail)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "detail", detail);
  return object;
}

static void respond_error (SoupServerMessage *msg,
                           guint              status,
                           const char        *format,
                           ...) G_GNUC_PRINTF (3, 4);

static void
respond_error (SoupServerMessage *msg,
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
  object = error_object (detail);
  respond_json (msg, status, object);
}

/* The request body is still coming (or being drained): the connection
 * cannot be reused once an error was answered early. */
static void
respond_error_and_close (SoupServerMessage *msg,
                         guint              status,
                         const char        *detail)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  respond_error (msg, status, "%s", detail);
}

static void
respond_busy (SoupServerMessage *msg)
{
  respond_error (msg, SOUP_STATUS_CONFLICT,
                 "%s", _("A backup or a restore is already running: try again when it has finished."));
}

static void
respond_unknown (SoupServerMessage *msg,
                 const char        *name)
{
  respond_error (msg, SOUP_STATUS_NOT_FOUND, _("There is no backup named “%s”."), name);
}

static void
respond_task_error (SoupServerMessage *msg,
                    const GError      *error)
{
  if (error->domain == HTTP_ERROR)
    respond_error (msg, (guint)error->code, "%s", error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                   "%s", _("The server is shutting down: the operation was cancelled and nothing was changed."));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    respond_error (msg, SOUP_STATUS_INSUFFICIENT_STORAGE, "%s", error->message);
  else
    respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", error->message);
}

/* Resumes a message paused for thread work, unless the connection went
 * away meanwhile. */
static void
resume (SoupServerMessage *msg)
{
  if (!request_get (msg)->finished)
    soup_server_message_unpause (msg);
}

static Route
route_for_path (const char *path)
{
  static const struct
  {
    const char *path;
    Route       route;
  } routes[] = {
    { "/api/health", ROUTE_HEALTH },
    /* Where the deployed OSI backend answers it (DESIGN §5), so that the
     * dashboard's health indicator works against this server too. */
    { "/health", ROUTE_HEALTH },
    { "/api/rag/backup", ROUTE_BACKUP },
    { "/api/rag/backup/restore", ROUTE_RESTORE },
    { "/api/rag/backup/upload", ROUTE_UPLOAD },
    { "/api/rag/backup/verify", ROUTE_VERIFY },
    { "/api/rag/backup/diff", ROUTE_DIFF },
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
      return "GET, HEAD, POST, DELETE";
    case ROUTE_RESTORE:
    case ROUTE_UPLOAD:
      return "POST";
    case ROUTE_VERIFY:
    case ROUTE_DIFF:
      return "GET";
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

static gboolean
is_authorized (OsiServer         *self,
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

typedef enum
{
  NAME_ABSENT,
  NAME_VALID,
  NAME_INVALID,
} NameStatus;

/* The "filename" parameter of the query, percent-decoded by hand so that
 * an encoded NUL cannot cut the name short. */
static NameStatus
query_filename (SoupServerMessage  *msg,
                char              **out_name)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_auto(GStrv) parts = NULL;
  g_autofree char *name = NULL;
  guint found = 0;

  *out_name = NULL;
  if (query == NULL)
    return NAME_ABSENT;

  parts = g_strsplit (query, "&", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autoptr(GBytes) bytes = NULL;
      const char *raw;
      const char *data;
      gsize len;

      if (strcmp (parts[i], "filename") == 0)
        raw = "";
      else if (g_str_has_prefix (parts[i], "filename="))
        raw = parts[i] + strlen ("filename=");
      else
        continue;

      if (++found > 1)
        return NAME_INVALID;
      bytes = g_uri_unescape_bytes (raw, -1, NULL, NULL);
      if (bytes == NULL)
        return NAME_INVALID;
      data = g_bytes_get_data (bytes, &len);
      if (len == 0 || memchr (data, '\0', len) != NULL)
        return NAME_INVALID;
      name = g_strndup (data, len);
    }

  if (found == 0)
    return NAME_ABSENT;
  if (!osi_backup_name_is_valid (name))
    return NAME_INVALID;
  *out_name = g_steal_pointer (&name);
  return NAME_VALID;
}

static void
respond_bad_name (SoupServerMessage *msg)
{
  respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s",
                 _("Invalid backup name: a name starts with a letter or a digit, holds only letters, digits, “.”, “_” and “-”, no “..”, and at most 201 characters."));
}

/* The name a request must carry; answers 400 itself when it is missing or
 * invalid. */
static char *
require_filename (SoupServerMessage *msg)
{
  char *name = NULL;

  switch (query_filename (msg, &name))
    {
    case NAME_VALID:
      return name;
    case NAME_ABSENT:
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", _("The “filename” parameter is missing."));
      return NULL;
    case NAME_INVALID:
    default:
      respond_bad_name (msg);
      return NULL;
    }
}

/* Opens a backup of the folder by name as osi_open_regular_at () does:
 * never a symlink, a FIFO or a device, never blocking. */
static int
open_backup (OsiServer   *self,
             const char  *name,
             struct stat *st)
{
  return osi_backup_folder_open (self->folder, name, st);
}

static gboolean
backup_exists (OsiServer   *self,
               const char  *name,
               struct stat *st)
{
  return osi_backup_folder_exists (self->folder, name, st);
}

static char *
backup_path (OsiServer  *self,
             const char *name)
{
  return osi_backup_folder_build_path (self->folder, name);
}

static void
pending_begin (OsiServer *self)
{
  self->n_pending++;
}

static void
pending_end (OsiServer *self)
{
  g_assert (self->n_pending > 0);
  self->n_pending--;
  maybe_finish_shutdown (self);
}

/* Runs thread_func with job as task data, the message paused meanwhile.
 * The callback gets the message as user data, with a reference. */
static void
run_in_thread (OsiServer           *self,
               SoupServerMessage   *msg,
               gpointer             job,
               GDestroyNotify       job_free,
               GTaskThreadFunc      thread_func,
               GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, g_object_ref (msg));

  /* A restore that passed its swap reports success even if shutdown
   * began meanwhile. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, job_free);
  soup_server_message_pause (msg);
  pending_begin (self);
  g_task_run_in_thread (task, thread_func);
}

/* ------------------------------------------------------------------------ */
/* GET /api/health and the list                                            */

static void
handle_health (OsiServer         *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "status", "ok");
  json_object_set_string_member (object, "version", VERSION);
  /* What this server offers beyond the four base actions (DESIGN §5);
   * "policy" comes with the backup policy (DESIGN §6). */
  {
    static const char * const features[] = { "verify", "diff", "upload", "range", "digest" };
    JsonArray *array = json_array_sized_new (G_N_ELEMENTS (features));

    for (guint i = 0; i < G_N_ELEMENTS (features); i++)
      json_array_add_string_element (array, features[i]);
    json_object_set_array_member (object, "features", array);
  }
  /* The details only for those who may see the backups. */
  if (is_authorized (self, msg))
    {
      json_object_set_int_member (object, "free_bytes", (gint64)MIN (free_bytes (osi_backup_folder_get_path (self->folder)), G_MAXINT64));
      json_object_set_int_member (object, "backup_count", osi_backup_folder_count (self->folder));
    }
  respond_json (msg, SOUP_STATUS_OK, object);
}

static void
handle_list (OsiServer         *self,
             SoupServerMessage *msg)
{
  g_autoptr(GBytes) body = osi_backup_folder_list_json (self->folder);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg), "application/json", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
}

/* ------------------------------------------------------------------------ */
/* GET ?filename=: streamed downloads                                       */

typedef enum
{
  RANGE_NONE,
  RANGE_OK,
  RANGE_UNSATISFIABLE,
} RangeResult;

static gboolean
parse_u64 (const char *text,
           gsize       len,
           guint64    *out)
{
  g_autofree char *copy = g_strndup (text, len);

  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (copy[i]))
      return FALSE;
  return g_ascii_string_to_unsigned (copy, 10, 0, G_MAXUINT64, out, NULL);
}

/* One range only; several, or a malformed header, are ignored and the
 * whole file is sent, as RFC 9110 allows. */
static RangeResult
parse_range (const char *header,
             guint64     size,
             guint64    *out_start,
             guint64    *out_end)
{
  const char *spec;
  const char *dash;
  guint64 a, b;

  if (header == NULL)
    return RANGE_NONE;
  while (g_ascii_isspace (*header))
    header++;
  if (g_ascii_strncasecmp (header, "bytes=", 6) != 0)
    return RANGE_NONE;
  spec = header + 6;
  if (strchr (spec, ',') != NULL)
    return RANGE_NONE;
  dash = strchr (spec, '-');
  if (dash == NULL)
    return RANGE_NONE;

  if (dash == spec)
    {
      /* the last n bytes */
      if (!parse_u64 (dash + 1, strlen (dash + 1), &b))
        return RANGE_NONE;
      if (b == 0 || size == 0)
        return RANGE_UNSATISFIABLE;
      *out_start = b >= size ? 0 : size - b;
      *out_end = size - 1;
      return RANGE_OK;
    }

  if (!parse_u64 (spec, (gsize)(dash - spec), &a))
    return RANGE_NONE;
  if (dash[1] == '\0')
    b = G_MAXUINT64;
  else if (!parse_u64 (dash + 1, strlen (dash + 1), &b) || b < a)
    return RANGE_NONE;
  if (a >= size)
    return RANGE_UNSATISFIABLE;
  *out_start = a;
  *out_end = MIN (b, size - 1);
  return RANGE_OK;
}

static char *
digest_header_value (const char *sha256_hex)
{
  guint8 raw[OSI_SHA256_LEN];
  g_autofree char *b64 = NULL;

  for (guint i = 0; i < OSI_SHA256_LEN; i++)
    raw[i] = (guint8)(g_ascii_xdigit_value (sha256_hex[2 * i]) << 4 |
                      g_ascii_xdigit_value (sha256_hex[2 * i + 1]));
  b64 = g_base64_encode (raw, sizeof raw);
  return g_strdup_printf ("sha-256=:%s:", b64);
}

static void
download_set_headers (SoupServerMessage *msg,
                      Request           *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"%s\"", req->download_name);

  soup_server_message_set_status (msg, req->download_partial ? SOUP_STATUS_PARTIAL_CONTENT : SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CONTENT_LENGTH);
  soup_message_headers_set_content_length (headers, (goffset)req->download_length);
  soup_message_headers_replace (headers, "Content-Type", "application/octet-stream");
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  if (req->download_digest != NULL)
    soup_message_headers_replace (headers, "Repr-Digest", req->download_digest);
  if (req->download_partial)
    soup_message_headers_set_content_range (headers, (goffset)req->download_offset,
                                            (goffset)(req->download_offset + req->download_length - 1),
                                            (goffset)req->download_size);
}

/* Breaks a response whose headers already promised more bytes than can be
 * sent: the client must see a short body, never a complete-looking one. */
static void
abort_connection (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

static void download_read_more (OsiServer         *self,
                                SoupServerMessage *msg);

typedef struct
{
  OsiServer         *self;
  SoupServerMessage *msg;
} ReadContext;

static void
download_read_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ReadContext *ctx = user_data;
  g_autoptr(OsiServer) self = ctx->self;
  g_autoptr(SoupServerMessage) msg = ctx->msg;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  Request *req = request_get (msg);

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  req->download_reading = FALSE;

  if (!req->finished)
    {
      SoupMessageBody *body = soup_server_message_get_response_body (msg);

      if (bytes == NULL || g_bytes_get_size (bytes) == 0)
        {
          if (error == NULL)
            error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _("The backup is shorter than announced."));
          g_message ("Download of %s stopped: %s", req->download_name, error->message);
          if (!req->download_started)
            respond_task_error (msg, error);
          else
            abort_connection (msg);
          soup_server_message_unpause (msg);
        }
      else
        {
          gsize n = MIN (g_bytes_get_size (bytes), req->download_left);

          if (!req->download_started)
            {
              download_set_headers (msg, req);
              req->download_started = TRUE;
            }
          req->download_left -= n;
          if (n < g_bytes_get_size (bytes))
            {
              g_autoptr(GBytes) part = g_bytes_new_from_bytes (bytes, 0, n);
              soup_message_body_append_bytes (body, part);
            }
          else
            soup_message_body_append_bytes (body, bytes);
          req->download_queued++;
          if (req->download_left == 0)
            {
              soup_message_body_complete (body);
              g_clear_object (&req->download);
            }
          soup_server_message_unpause (msg);
          download_read_more (self, msg);
        }
    }

  g_free (ctx);
  pending_end (self);
}

static void
download_read_next (OsiServer         *self,
                    SoupServerMessage *msg)
{
  Request *req = request_get (msg);
  ReadContext *ctx = g_new0 (ReadContext, 1);

  g_assert (!req->download_reading && req->download_left > 0);
  req->download_reading = TRUE;
  ctx->self = g_object_ref (self);
  ctx->msg = g_object_ref (msg);
  pending_begin (self);
  g_input_stream_read_bytes_async (req->download, MIN (CHUNK_SIZE, req->download_left),
                                   G_PRIORITY_DEFAULT, self->cancellable,
                                   download_read_cb, ctx);
}

/* One chunk read ahead while the previous one is sent, never more: the
 * response holds at most three chunks whatever the size of the backup. */
static void
download_read_more (OsiServer         *self,
                    SoupServerMessage *msg)
{
  Request *req = request_get (msg);

  if (req->download != NULL && req->download_left > 0 && !req->download_reading &&
      req->download_queued < 2 && !req->finished && !self->shutting_down)
    download_read_next (self, msg);
}

static void
download_wrote_chunk (SoupServerMessage *msg,
                      gpointer           user_data)
{
  OsiServer *self = user_data;
  Request *req = request_get (msg);

  if (req->download_queued > 0)
    req->download_queued--;
  download_read_more (self, msg);
}

static void
download_begin (OsiServer         *self,
                SoupServerMessage *msg)
{
  Request *req = request_get (msg);
  const char *method = soup_server_message_get_method (msg);

  if (req->download_length == 0 || g_strcmp0 (method, "HEAD") == 0)
    {
      download_set_headers (msg, req);
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      g_clear_object (&req->download);
      return;
    }

  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  g_signal_connect_object (msg, "wrote-chunk", G_CALLBACK (download_wrote_chunk), self, 0);
  if (lseek (g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (req->download)),
             (off_t)req->download_offset, SEEK_SET) == (off_t)req->download_offset)
    {
      soup_server_message_pause (msg);
      download_read_next (self, msg);
    }
  else
    respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", _("Cannot read the backup."));
}

static void
download_prepare (OsiServer         *self,
                  SoupServerMessage *msg,
                  const char        *sha256)
{
  Request *req = request_get (msg);
  const char *range = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Range");
  guint64 start = 0, end = 0;

  if (sha256 != NULL)
    req->download_digest = digest_header_value (sha256);

  switch (parse_range (range, req->download_size, &start, &end))
    {
    case RANGE_UNSATISFIABLE:
      {
        g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, req->download_size);
        g_autofree char *content_range = g_strconcat ("bytes */", size, NULL);

        /* Translators: %s is a number of bytes */
        respond_error (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
                       _("The requested range lies outside the backup (%s bytes)."), size);
        soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                      "Content-Range", content_range);
        g_clear_object (&req->download);
        return;
      }
    case RANGE_OK:
      req->download_partial = TRUE;
      req->download_offset = start;
      req->download_length = end - start + 1;
      break;
    case RANGE_NONE:
    default:
      req->download_offset = 0;
      req->download_length = req->download_size;
      break;
    }
  req->download_left = req->download_length;
  download_begin (self, msg);
}

typedef struct
{
  char        *name;
  int          fd;      /* its own duplicate of the download's */
  struct stat  st;
  char        *sha256;
} HashTaskJob;

static void
hash_task_job_free (gpointer data)
{
  HashTaskJob *job = data;

  if (job->fd >= 0)
    close (job->fd);
  g_free (job->name);
  g_free (job->sha256);
  g_free (job);
}

static void
hash_now_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  OsiServer *self = source_object;
  HashTaskJob *job = task_data;
  GError *error = NULL;

  /* The very file being sent, not whatever has its name now. */
  if (fstat (job->fd, &job->st) < 0)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               _("Cannot read the backup “%s”: %s"), job->name, g_strerror (saved));
      return;
    }
  job->sha256 = osi_backup_folder_hash_fd (job->fd, job->name, cancellable, &error);
  if (job->sha256 == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  osi_backup_folder_store_sha256 (self->folder, job->name, &job->st, job->sha256);
  /* The sidecar speaks for the name: only while the name is this file. */
  {
    struct stat now;

    if (fstatat (osi_backup_folder_get_fd (self->folder), job->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        now.st_dev == job->st.st_dev && now.st_ino == job->st.st_ino)
      osi_backup_folder_write_sidecar (self->folder, job->name, job->sha256);
  }
  g_task_return_boolean (task, TRUE);
}

static void
hash_now_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  OsiServer *self = OSI_SERVER (source);
  HashTaskJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  Request *req = request_get (msg);

  if (!req->finished)
    {
      if (!g_task_propagate_boolean (G_TASK (result), &error))
        {
          respond_task_error (msg, error);
          soup_server_message_unpause (msg);
        }
      else if ((guint64)job->st.st_size != req->download_size)
        {
          respond_error (msg, SOUP_STATUS_CONFLICT, "%s", _("The backup changed while being read: try again."));
          soup_server_message_unpause (msg);
        }
      else
        {
          /* still paused: it stays so while the first chunk is read */
          download_prepare (self, msg, job->sha256);
          if (!req->download_reading)
            soup_server_message_unpause (msg);
        }
    }
  pending_end (self);
}

static void
handle_download (OsiServer         *self,
                 SoupServerMessage *msg,
                 const char        *name)
{
  Request *req = request_get (msg);
  g_autofree char *sha256 = NULL;
  struct stat st;
  int fd;

  fd = open_backup (self, name, &st);
  if (fd < 0)
    {
      respond_unknown (msg, name);
      return;
    }
  req->download = g_unix_input_stream_new (fd, TRUE);
  req->download_name = g_strdup (name);
  req->download_size = (guint64)st.st_size;

  sha256 = osi_backup_folder_lookup_sha256 (self->folder, name, &st);

  if (sha256 != NULL)
    {
      download_prepare (self, msg, sha256);
      return;
    }

  /* Repr-Digest is the digest of the whole file: know it before the
   * headers go out. */
  {
    HashTaskJob *job = g_new0 (HashTaskJob, 1);

    job->name = g_strdup (name);
    /* Its own descriptor: the request, and the stream's, may end first. */
    job->fd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
    if (job->fd < 0)
      {
        int saved = errno;

        hash_task_job_free (job);
        respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, _("Cannot read the backup “%s”: %s"), name,
                       g_strerror (saved));
        return;
      }
    run_in_thread (self, msg, job, hash_task_job_free, hash_now_thread, hash_now_done);
  }
}

/* ------------------------------------------------------------------------ */
/* POST /api/rag/backup: create                                              */

/* Writes a backup of the data folder as PREFIX.tar.zst, or PREFIX_N.tar.zst
 * when that is taken, with its sidecar. Runs in a thread. */
static gboolean
make_backup (OsiServer     *self,
             const char    *prefix,
             char         **out_name,
             struct stat   *out_st,
             char         **out_sha256,
             GCancellable  *cancellable,
             GError       **error)
{
  int dir_fd = osi_backup_folder_get_fd (self->folder);
  guint64 estimate = tree_size (self->options.data_dir);

  if (!check_space (osi_backup_folder_get_path (self->folder), estimate, error))
    return FALSE;

  for (guint i = 0; i < MAX_NAME_ATTEMPTS; i++)
    {
      g_autofree char *name = i == 0
        ? g_strconcat (prefix, ".tar.zst", NULL)
        : g_strdup_printf ("%s_%u.tar.zst", prefix, i);
      g_autofree char *path = NULL;
      g_autofree char *sha256 = NULL;
      g_autoptr(GError) local_error = NULL;
      struct stat st;

      if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
        continue;

      path = backup_path (self, name);
      if (!osi_archive_create (self->options.data_dir, path, OSI_COMPRESSION_ZSTD, 0, NULL, NULL,
                               &sha256, cancellable, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      if (fstatat (dir_fd, name, out_st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot read the backup “%s”: %s"), name, g_strerror (saved));
          return FALSE;
        }
      osi_backup_folder_write_sidecar (self->folder, name, sha256);
      osi_backup_folder_store_sha256 (self->folder, name, out_st, sha256);
      *out_name = g_steal_pointer (&name);
      *out_sha256 = g_steal_pointer (&sha256);
      return TRUE;
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("Cannot find a free name for the backup “%s”."), prefix);
  return FALSE;
}

typedef struct
{
  char        *prefix;
  char        *name;
  char        *sha256;
  struct stat  st;
} CreateJob;

static void
create_job_free (gpointer data)
{
  CreateJob *job = data;

  g_free (job->prefix);
  g_free (job->name);
  g_free (job->sha256);
  g_free (job);
}

static void
create_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CreateJob *job = task_data;
  GError *error = NULL;

  if (make_backup (source_object, job->prefix, &job->name, &job->st, &job->sha256, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
create_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  OsiServer *self = OSI_SERVER (source);
  CreateJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->op = OP_NONE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_message ("Backup failed: %s", error->message);
      respond_task_error (msg, error);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("Backup “%s” created."), job->name);

      g_message ("Created %s (%" G_GINT64_FORMAT " bytes)", job->name, (gint64)job->st.st_size);
      respond_backup_made (msg, job->name, &job->st, job->sha256, message);
    }
  resume (msg);
  pending_end (self);
}

static void
handle_create (OsiServer         *self,
               SoupServerMessage *msg)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *name = osi_archive_default_name (now, OSI_COMPRESSION_ZSTD);
  CreateJob *job;

  if (self->op != OP_NONE)
    {
      respond_busy (msg);
      return;
    }
  self->op = OP_CREATE;

  job = g_new0 (CreateJob, 1);
  job->prefix = g_strndup (name, strlen (name) - strlen (".tar.zst"));
  run_in_thread (self, msg, job, create_job_free, create_thread, create_done);
}

/* ------------------------------------------------------------------------ */
/* POST /api/rag/backup/restore                                             */

typedef struct
{
  char            *name;
  int              fd;
  char            *prefix;
  char            *safety_name;
  char            *safety_sha256;
  struct stat      safety_st;
  OsiVerifyReport *report;
} RestoreJob;

static void
restore_job_free (gpointer data)
{
  RestoreJob *job = data;

  g_free (job->name);
  if (job->fd >= 0)
    close (job->fd);
  g_free (job->prefix);
  g_free (job->safety_name);
  g_free (job->safety_sha256);
  g_clear_object (&job->report);
  g_free (job);
}

static char *
findings_summary (OsiVerifyReport *report)
{
  GPtrArray *findings = osi_verify_report_get_findings (report);
  GString *text = g_string_new (NULL);
  guint shown = 0;

  for (guint i = 0; i < findings->len && shown < FINDINGS_IN_DETAIL; i++)
    {
      const OsiFinding *finding = g_ptr_array_index (findings, i);

      if (finding->severity == OSI_SEVERITY_WARNING)
        continue;
      if (shown++ > 0)
        g_string_append (text, " ");
      if (finding->path != NULL)
        g_string_append_printf (text, "%s: ", finding->path);
      g_string_append (text, finding->message);
    }
  return g_string_free (text, FALSE);
}

/* Whether a verified file may be stored or restored: a bare knowledge base
 * has no manifest and can at best be unproven. */
static gboolean
report_acceptable (OsiVerifyReport *report,
                   gboolean         is_json)
{
  OsiVerdict verdict = osi_verify_report_get_verdict (report);

  return verdict == OSI_VERDICT_RESTORABLE || (is_json && verdict == OSI_VERDICT_UNPROVEN);
}

static void
set_verification_error (GError          **error,
                        const char       *name,
                        OsiVerifyReport  *report)
{
  g_autofree char *summary = findings_summary (report);

  g_set_error (error, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY,
               _("The backup “%s” failed verification and cannot be restored: %s"), name, summary);
}

static void
restore_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  OsiServer *self = source_object;
  RestoreJob *job = task_data;
  gboolean is_json = osi_backup_folder_is_json_name (job->name);
  OsiArchiveLimits limits;
  GError *error = NULL;
  struct stat data_st;
  gboolean have_data;

  /* The file opened when the request came, verified and then restored:
   * whatever takes its name meanwhile is not read. */
  job->report = osi_archive_verify_fd (job->fd, job->name, NULL, NULL, NULL, cancellable, &error);
  if (job->report == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!report_acceptable (job->report, is_json))
    {
      set_verification_error (&error, job->name, job->report);
      g_task_return_error (task, error);
      return;
    }

  /* Room for the safety backup and for the staging copy beside the data. */
  have_data = stat (self->options.data_dir, &data_st) == 0 && S_ISDIR (data_st.st_mode);
  {
    g_autofree char *data_parent = g_path_get_dirname (self->options.data_dir);
    const char *backup_dir = osi_backup_folder_get_path (self->folder);
    guint64 data_size = have_data ? tree_size (self->options.data_dir) : 0;
    guint64 staged = osi_verify_report_get_content_bytes (job->report);
    struct stat backup_st, parent_st;
    gboolean same_fs = stat (backup_dir, &backup_st) == 0 && stat (data_parent, &parent_st) == 0 &&
                       backup_st.st_dev == parent_st.st_dev;

    if (same_fs ? !check_space (backup_dir, data_size + staged, &error)
                : (!check_space (backup_dir, data_size, &error) ||
                   !check_space (data_parent, staged, &error)))
      {
        g_task_return_error (task, error);
        return;
      }
  }

  /* With no data yet there is nothing to keep. */
  if (have_data &&
      !make_backup (self, job->prefix, &job->safety_name, &job->safety_st, &job->safety_sha256,
                    cancellable, &error))
    {
      g_prefix_error (&error, "%s ", _("The safety backup of the current data failed, so nothing was restored:"));
      g_task_return_error (task, error);
      return;
    }

  osi_archive_limits_init (&limits);
  limits.allow_unproven = is_json;
  g_clear_object (&job->report);
  if (!osi_swap_restore_archive_fd (self->options.data_dir, job->fd, job->name, &limits, &job->report,
                                    NULL, NULL, cancellable, &error))
    {
      /* A disk that refused a write is not the backup's fault: 507 or
       * 500 with what the disk said, not "failed verification". */
      if (job->report != NULL && !report_acceptable (job->report, is_json) &&
          !osi_verify_report_has_finding (job->report, OSI_FINDING_WRITE_FAILED))
        {
          g_clear_error (&error);
          set_verification_error (&error, job->name, job->report);
        }
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
hook_exited (GPid     pid,
             int      wait_status,
             gpointer user_data)
{
  OsiServer *self = user_data;
  g_autoptr(GError) error = NULL;

  if (g_spawn_check_wait_status (wait_status, &error))
    g_message ("The --on-restore command finished");
  else
    g_message ("The --on-restore command failed (the restore stands): %s", error->message);
  g_spawn_close_pid (pid);
  self->hook_watch = 0;
  if (self->op == OP_RESTORE)
    {
      self->op = OP_NONE;
      g_clear_pointer (&self->op_name, g_free);
    }
}

/* The server's environment less the token: the command reloads a
 * service and has no use for it, and whatever it runs would inherit it.
 * Every OSI_BACKUP_TOKEN* variable goes, not only the one read. */
static GStrv
hook_environment (void)
{
  g_auto(GStrv) env = g_get_environ ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; env[i] != NULL; i++)
    if (!g_str_has_prefix (env[i], "OSI_BACKUP_TOKEN"))
      g_strv_builder_add (builder, env[i]);
  return g_strv_builder_end (builder);
}

/* The restore counts as running until the command that reloads the
 * service has finished: another restore meanwhile would swap the data
 * under it. Returns whether it is being watched. */
static gboolean
run_restore_hook (OsiServer  *self,
                  const char *name,
                  const char *safety)
{
  const char *argv[] = { "/bin/sh", "-c", self->options.on_restore, NULL };
  g_auto(GStrv) envp = hook_environment ();
  g_autoptr(GError) error = NULL;
  GPid pid;

  envp = g_environ_setenv (envp, "OSI_BACKUP_RESTORED", name, TRUE);
  envp = g_environ_setenv (envp, "OSI_BACKUP_SAFETY", safety != NULL ? safety : "", TRUE);
  envp = g_environ_setenv (envp, "OSI_BACKUP_DATA_DIR", self->options.data_dir, TRUE);

  /* Its output goes to the log, never to our standard output. When the
   * server is stopping, the command still runs (the data did change) but
   * is left to finish on its own. */
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, (const char * const *)envp,
                                         (self->shutting_down ? 0 : G_SPAWN_DO_NOT_REAP_CHILD) |
                                         G_SPAWN_STDIN_FROM_DEV_NULL,
                                         NULL, NULL, -1, STDERR_FILENO, STDERR_FILENO, NULL, NULL, 0,
                                         &pid, NULL, NULL, NULL, &error))
    {
      g_message ("Cannot run the --on-restore command (the restore stands): %s", error->message);
      return FALSE;
    }
  g_message ("Running the --on-restore command");
  if (self->shutting_down)
    return FALSE;
  self->hook_watch = g_child_watch_add_full (G_PRIORITY_DEFAULT, pid, hook_exited,
                                             g_object_ref (self), g_object_unref);
  return TRUE;
}

/* A restore or an upload that failed: a backup that failed verification
 * is a 422 carrying the verification report (DESIGN §2 errors, plus what
 * was found), anything else the error's own status. */
static void
respond_job_error (SoupServerMessage *msg,
                   const GError      *error,
                   OsiVerifyReport   *report,
                   const char        *name)
{
  if (g_error_matches (error, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY) && report != NULL)
    {
      g_autoptr(JsonObject) object = error_object (error->message);
      JsonNode *node = osi_verify_report_to_json (report);

      json_object_set_string_member (json_node_get_object (node), "file", name);
      json_object_set_member (object, "report", node);
      respond_json (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, object);
    }
  else
    respond_task_error (msg, error);
}

static void
restore_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  OsiServer *self = OSI_SERVER (source);
  RestoreJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean hook_running = FALSE;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_message ("Restore of %s failed: %s", job->name, error->message);
      respond_job_error (msg, error, job->report, job->name);
    }
  else
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autofree char *message = g_strdup_printf (_("Backup “%s” restored."), job->name);

      g_message ("Restored %s; safety backup %s", job->name,
                 job->safety_name != NULL ? job->safety_name : "(none: there was no data)");
      json_object_set_string_member (object, "status", "success");
      json_object_set_string_member (object, "message", message);
      if (job->safety_name != NULL)
        json_object_set_string_member (object, "safety_backup", job->safety_name);
      else
        json_object_set_null_member (object, "safety_backup");
      respond_json (msg, SOUP_STATUS_OK, object);

      if (self->options.on_restore != NULL)
        hook_running = run_restore_hook (self, job->name, job->safety_name);
    }

  if (!hook_running)
    {
      self->op = OP_NONE;
      g_clear_pointer (&self->op_name, g_free);
    }
  resume (msg);
  pending_end (self);
}

static void
handle_restore (OsiServer         *self,
                SoupServerMessage *msg)
{
  Request *req = request_get (msg);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *default_name = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonNode *member;
  const char *name;
  RestoreJob *job;
  struct stat st;
  int fd;

  if (req->body != NULL && req->body->len > 0)
    root = osi_json_parse ((const char *)req->body->data, req->body->len, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s",
                     _("The request body must be a JSON object such as {\"backupFile\": \"backup_20250101_120000.tar.zst\"}."));
      return;
    }
  member = json_object_get_member (json_node_get_object (root), "backupFile");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_STRING)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", _("The request body has no “backupFile” name."));
      return;
    }
  name = json_node_get_string (member);
  if (!osi_backup_name_is_valid (name))
    {
      respond_bad_name (msg);
      return;
    }
  fd = open_backup (self, name, &st);
  if (fd < 0)
    {
      respond_unknown (msg, name);
      return;
    }
  if (self->op != OP_NONE)
    {
      close (fd);
      respond_busy (msg);
      return;
    }
  self->op = OP_RESTORE;
  self->op_name = g_strdup (name);

  default_name = osi_archive_default_name (now, OSI_COMPRESSION_ZSTD);
  job = g_new0 (RestoreJob, 1);
  job->name = g_strdup (name);
  job->fd = fd;
  job->prefix = g_strdup_printf ("%.*s_safety", (int)(strlen (default_name) - strlen (".tar.zst")), default_name);
  g_message ("Restoring %s", name);
  run_in_thread (self, msg, job, restore_job_free, restore_thread, restore_done);
}

/* ------------------------------------------------------------------------ */
/* DELETE and verify                                                        */

static void
handle_delete (OsiServer         *self,
               SoupServerMessage *msg,
               const char        *name)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *message = NULL;
  struct stat st;

  if (!backup_exists (self, name, &st))
    {
      respond_unknown (msg, name);
      return;
    }
  if (self->op == OP_RESTORE && g_strcmp0 (self->op_name, name) == 0)
    {
      respond_error (msg, SOUP_STATUS_CONFLICT, _("The backup “%s” is being restored: delete it afterwards."), name);
      return;
    }
  if (!osi_backup_folder_delete (self->folder, name))
    {
      int saved = errno;

      if (saved == ENOENT)
        respond_unknown (msg, name);
      else
        respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                       _("Cannot delete the backup “%s”: %s"), name, g_strerror (saved));
      return;
    }
  g_message ("Deleted %s", name);

  message = g_strdup_printf (_("Backup “%s” deleted."), name);
  object = json_object_new ();
  json_object_set_string_member (object, "status", "success");
  json_object_set_string_member (object, "message", message);
  respond_json (msg, SOUP_STATUS_OK, object);
}

typedef struct
{
  char            *name;
  int              fd;
  OsiVerifyReport *report;
} VerifyJob;

static void
verify_job_free (gpointer data)
{
  VerifyJob *job = data;

  g_free (job->name);
  if (job->fd >= 0)
    close (job->fd);
  g_clear_object (&job->report);
  g_free (job);
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VerifyJob *job = task_data;
  GError *error = NULL;

  job->report = osi_archive_verify_fd (job->fd, job->name, NULL, NULL, NULL, cancellable, &error);
  if (job->report != NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
verify_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  OsiServer *self = OSI_SERVER (source);
  VerifyJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    respond_task_error (msg, error);
  else
    {
      g_autoptr(JsonNode) node = osi_verify_report_to_json (job->report);

      /* the name, not where the server keeps it */
      json_object_set_string_member (json_node_get_object (node), "file", job->name);
      respond_json (msg, SOUP_STATUS_OK, json_node_get_object (node));
    }
  resume (msg);
  pending_end (self);
}

static void
handle_verify (OsiServer         *self,
               SoupServerMessage *msg,
               const char        *name)
{
  VerifyJob *job;
  struct stat st;
  int fd;

  fd = open_backup (self, name, &st);
  if (fd < 0)
    {
      respond_unknown (msg, name);
      return;
    }
  job = g_new0 (VerifyJob, 1);
  job->name = g_strdup (name);
  job->fd = fd;
  run_in_thread (self, msg, job, verify_job_free, verify_thread, verify_done);
}

/* ------------------------------------------------------------------------ */
/* GET /api/rag/backup/diff                                                 */

typedef struct
{
  char            *name;
  int              fd;
  OsiDiff         *diff;
  OsiVerifyReport *report;
} DiffJob;

static void
diff_job_free (gpointer data)
{
  DiffJob *job = data;

  g_free (job->name);
  if (job->fd >= 0)
    close (job->fd);
  g_clear_object (&job->diff);
  g_clear_object (&job->report);
  g_free (job);
}

/* What restoring the backup would change: the current data is A, the
 * backup B; a backup that a restore would refuse is a 422 as for restore. */
static void
diff_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OsiServer *self = source_object;
  DiffJob *job = task_data;
  GError *error = NULL;

  job->diff = osi_diff_compare_archive_fd (self->options.data_dir, job->fd, job->name,
                                           OSI_DIFF_MISSING_A_IS_EMPTY, &job->report, cancellable, &error);
  if (job->report != NULL && !report_acceptable (job->report, osi_backup_folder_is_json_name (job->name)))
    {
      g_clear_error (&error);
      g_clear_object (&job->diff);
      set_verification_error (&error, job->name, job->report);
    }
  if (job->diff == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  osi_diff_set_labels (job->diff, "current", job->name);
  g_task_return_boolean (task, TRUE);
}

static void
diff_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  OsiServer *self = OSI_SERVER (source);
  DiffJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_message ("Comparison with %s failed: %s", job->name, error->message);
      respond_job_error (msg, error, job->report, job->name);
    }
  else
    {
      g_autoptr(JsonNode) node = osi_diff_to_json (job->diff);

      respond_json (msg, SOUP_STATUS_OK, json_node_get_object (node));
    }
  resume (msg);
  pending_end (self);
}

static void
handle_diff (OsiServer         *self,
             SoupServerMessage *msg,
             const char        *name)
{
  DiffJob *job;
  struct stat st;
  int fd;

  fd = open_backup (self, name, &st);
  if (fd < 0)
    {
      respond_unknown (msg, name);
      return;
    }
  job = g_new0 (DiffJob, 1);
  job->name = g_strdup (name);
  job->fd = fd;
  run_in_thread (self, msg, job, diff_job_free, diff_thread, diff_done);
}

/* ------------------------------------------------------------------------ */
/* POST /api/rag/backup/upload                                              */

static gboolean
upload_flush (Request  *req,
              int      *out_errno)
{
  const guint8 *data = req->upload_buffer->data;
  gsize len = req->upload_buffer->len;

  while (len > 0)
    {
      ssize_t n = write (req->upload_fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *out_errno = errno;
          return FALSE;
        }
      data += n;
      len -= (gsize)n;
    }
  g_byte_array_set_size (req->upload_buffer, 0);
  return TRUE;
}

static void
upload_abandon (Request *req)
{
  if (req->upload_fd >= 0)
    close (req->upload_fd);
  req->upload_fd = -1;
  if (req->upload_path != NULL)
    g_unlink (req->upload_path);
  g_clear_pointer (&req->upload_path, g_free);
  g_clear_pointer (&req->upload_buffer, g_byte_array_unref);
}

static void
upload_refuse_too_large (SoupServerMessage *msg,
                         guint64            limit)
{
  g_autofree char *max = g_format_size (limit);
  g_autofree char *detail = g_strdup_printf (_("The upload is larger than this server accepts (%s)."), max);

  respond_error_and_close (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, detail);
}

static void
request_got_chunk (SoupServerMessage *msg,
                   GBytes            *chunk,
                   gpointer           user_data)
{
  Request *req = request_get (msg);
  gsize size = g_bytes_get_size (chunk);
  const guint8 *data = g_bytes_get_data (chunk, NULL);

  req->body_bytes += size;
  if (req->body_refused)
    return;

  if (req->body_bytes > req->body_limit)
    {
      req->body_refused = TRUE;
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      g_clear_pointer (&req->body, g_byte_array_unref);
      if (req->upload_path != NULL)
        upload_abandon (req);
      if (soup_server_message_get_status (msg) == 0)
        {
          if (req->upload_name != NULL)
            upload_refuse_too_large (msg, req->body_limit);
          else
            respond_error_and_close (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                     _("The request body is too large."));
        }
      return;
    }

  if (req->body != NULL)
    g_byte_array_append (req->body, data, (guint)size);
  else if (req->upload_path != NULL)
    {
      int saved = 0;

      osi_sha256_update (req->upload_sha, data, size);
      g_byte_array_append (req->upload_buffer, data, (guint)size);
      if (req->upload_buffer->len >= UPLOAD_BUFFER_SIZE && !upload_flush (req, &saved))
        {
          g_autofree char *detail = g_strdup_printf (_("Cannot store the upload: %s"), g_strerror (saved));

          req->body_refused = TRUE;
          upload_abandon (req);
          respond_error_and_close (msg, saved == ENOSPC || saved == EDQUOT
                                          ? SOUP_STATUS_INSUFFICIENT_STORAGE
                                          : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                   detail);
        }
    }
}

/* Before the body: refuse early what can be, then stream the body into a
 * hidden temporary file beside the backups. */
static void
upload_begin (OsiServer         *self,
              SoupServerMessage *msg,
              Request           *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *name = NULL;
  g_autofree char *tmpl = NULL;
  struct stat st;
  int fd;

  name = require_filename (msg);
  if (name == NULL)
    return;
  if (!osi_backup_folder_is_backup_name (name))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST,
                     _("“%s” is not a backup file name: it must end in .tar.zst, .tar.gz, .tgz, .zip or .json."), name);
      return;
    }
  if (fstatat (osi_backup_folder_get_fd (self->folder), name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      respond_error (msg, SOUP_STATUS_CONFLICT, _("A backup named “%s” already exists."), name);
      return;
    }

  req->body_limit = self->options.max_upload;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      guint64 length = (guint64)soup_message_headers_get_content_length (headers);
      g_autoptr(GError) error = NULL;

      if (length > self->options.max_upload)
        {
          req->body_refused = TRUE;
          upload_refuse_too_large (msg, self->options.max_upload);
          return;
        }
      if (!check_space (osi_backup_folder_get_path (self->folder), length, &error))
        {
          req->body_refused = TRUE;
          respond_error_and_close (msg, SOUP_STATUS_INSUFFICIENT_STORAGE, error->message);
          return;
        }
    }

  /* Verification recognises a bare knowledge base by its suffix. */
  tmpl = g_strdup_printf ("%s/.%s.XXXXXX" OSI_BACKUP_FOLDER_TEMP_SUFFIX "%s", osi_backup_folder_get_path (self->folder), name,
                          osi_backup_folder_is_json_name (name) ? ".json" : "");
  /* Read and write: verification reads back the very file written. */
  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, _("Cannot store the upload: %s"), g_strerror (errno));
      return;
    }
  req->upload_fd = fd;
  req->upload_path = g_steal_pointer (&tmpl);
  req->upload_name = g_steal_pointer (&name);
  req->upload_sha = osi_sha256_new ();
  req->upload_buffer = g_byte_array_sized_new (UPLOAD_BUFFER_SIZE);
}

typedef struct
{
  char            *name;
  char            *tmp_path;
  int              fd;
  char            *sha256;
  struct stat      st;
  OsiVerifyReport *report;
} UploadJob;

static void
upload_job_free (gpointer data)
{
  UploadJob *job = data;

  if (job->fd >= 0)
    close (job->fd);
  if (job->tmp_path != NULL)
    g_unlink (job->tmp_path);
  g_free (job->tmp_path);
  g_free (job->name);
  g_free (job->sha256);
  g_clear_object (&job->report);
  g_free (job);
}

static void
upload_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  OsiServer *self = source_object;
  UploadJob *job = task_data;
  g_autofree char *tmp_name = g_path_get_basename (job->tmp_path);
  int dir_fd = osi_backup_folder_get_fd (self->folder);
  GError *error = NULL;

  if (fsync (job->fd) < 0)
    {
      int saved = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               _("Cannot store the upload: %s"), g_strerror (saved));
      return;
    }
  job->report = osi_archive_verify_fd (job->fd, job->name, NULL, NULL, NULL, cancellable, &error);
  if (job->report == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!report_acceptable (job->report, osi_backup_folder_is_json_name (job->name)))
    {
      g_autofree char *summary = findings_summary (job->report);

      g_task_return_new_error (task, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                               _("The uploaded backup “%s” failed verification and was not stored: %s"),
                               job->name, summary);
      return;
    }

  /* Never replace a backup of the same name. */
  if (renameat2 (dir_fd, tmp_name, dir_fd, job->name, RENAME_NOREPLACE) < 0)
    {
      int saved = errno;

      if ((saved == EINVAL || saved == ENOSYS) &&
          linkat (dir_fd, tmp_name, dir_fd, job->name, 0) == 0)
        {
          unlinkat (dir_fd, tmp_name, 0);
          saved = 0;
        }
      else if (saved == EINVAL || saved == ENOSYS)
        saved = errno;
      if (saved == EEXIST)
        {
          g_task_return_new_error (task, HTTP_ERROR, SOUP_STATUS_CONFLICT,
                                   _("A backup named “%s” already exists."), job->name);
          return;
        }
      if (saved != 0)
        {
          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                                   _("Cannot store the upload: %s"), g_strerror (saved));
          return;
        }
    }
  g_clear_pointer (&job->tmp_path, g_free);
  fsync (dir_fd);

  /* The checksum is of the file written and verified: it speaks for the
   * name only while the name is that file. */
  {
    struct stat now;

    if (fstat (job->fd, &job->st) == 0 &&
        fstatat (dir_fd, job->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        now.st_dev == job->st.st_dev && now.st_ino == job->st.st_ino)
      {
        osi_backup_folder_write_sidecar (self->folder, job->name, job->sha256);
        osi_backup_folder_store_sha256 (self->folder, job->name, &job->st, job->sha256);
      }
  }
  g_task_return_boolean (task, TRUE);
}

static void
upload_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;
  OsiServer *self = OSI_SERVER (source);
  UploadJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_message ("Upload of %s refused: %s", job->name, error->message);
      respond_job_error (msg, error, job->report, job->name);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("Backup “%s” received."), job->name);

      g_message ("Received %s (%" G_GINT64_FORMAT " bytes)", job->name, (gint64)job->st.st_size);
      respond_backup_made (msg, job->name, &job->st, job->sha256, message);
    }
  resume (msg);
  pending_end (self);
}

static void
handle_upload (OsiServer         *self,
               SoupServerMessage *msg)
{
  Request *req = request_get (msg);
  UploadJob *job;
  char hex[OSI_SHA256_HEX_LEN + 1];
  int saved = 0;

  if (req->upload_path == NULL)
    {
      respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", _("The upload was not received."));
      return;
    }
  if (!upload_flush (req, &saved))
    {
      upload_abandon (req);
      respond_error (msg, saved == ENOSPC || saved == EDQUOT
                            ? SOUP_STATUS_INSUFFICIENT_STORAGE
                            : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                     _("Cannot store the upload: %s"), g_strerror (saved));
      return;
    }

  /* The temporary file is the job's from now on. */
  job = g_new0 (UploadJob, 1);
  job->name = g_steal_pointer (&req->upload_name);
  job->tmp_path = g_steal_pointer (&req->upload_path);
  job->fd = req->upload_fd;
  req->upload_fd = -1;
  osi_sha256_finish_hex (req->upload_sha, hex);
  job->sha256 = g_strdup (hex);
  g_clear_pointer (&req->upload_buffer, g_byte_array_unref);
  run_in_thread (self, msg, job, upload_job_free, upload_thread, upload_done);
}

/* ------------------------------------------------------------------------ */
/* Connections                                                              */

/* libsoup accepts connections on the listening socket and keeps no
 * limit and no timeout of its own: the server tracks each connection
 * from the message libsoup starts on it, closes those that send no
 * request head in time or stop moving, and refuses those beyond the cap.
 * A connection is closed by shutting its socket down: libsoup then sees
 * the end of the stream, finishes the message and lets go of it. */

static void
conn_clear (Conn *conn)
{
  g_clear_object (&conn->socket);
  g_free (conn->peer);
}

static Conn *
conn_ref (Conn *conn)
{
  return g_rc_box_acquire (conn);
}

static void
conn_unref (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify)conn_clear);
}

static void
conn_wait (Conn  *conn,
           Wait   wait,
           guint  seconds)
{
  conn->wait = wait;
  conn->deadline = wait == WAIT_NONE ? 0 : g_get_monotonic_time () + (gint64)seconds * G_USEC_PER_SEC;
}

/* libsoup before 3.3 forgets a kept-alive connection that its client
 * closes between two requests: its descriptor stays open for good, so a
 * thousand curl calls would use them all up. There, each connection
 * carries one request. Set when the head is in (for an early answer)
 * and again when the body is (writing a 100 Continue clears the response
 * headers). */
static void
conn_close_after_response (SoupServerMessage *msg,
                           Conn              *conn)
{
  if (conn->self != NULL && !conn->self->keep_alive)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
}

static void
conn_got_headers (SoupServerMessage *msg,
                  Conn              *conn)
{
  if (conn->self == NULL)
    return;
  conn_close_after_response (msg, conn);
  /* the body, if any, must keep coming */
  conn_wait (conn, WAIT_PROGRESS, conn->self->idle_timeout);
}

static void
conn_got_chunk (SoupServerMessage *msg,
                GBytes            *chunk,
                Conn              *conn)
{
  if (conn->self != NULL)
    conn_wait (conn, WAIT_PROGRESS, conn->self->idle_timeout);
}

/* The handler runs from here (a create, a restore may take minutes)
 * until the response starts: no deadline meanwhile. */
static void
conn_got_body (SoupServerMessage *msg,
               Conn              *conn)
{
  conn_close_after_response (msg, conn);
  conn_wait (conn, WAIT_NONE, 0);
}

static void
conn_wrote (SoupServerMessage *msg,
            Conn              *conn)
{
  if (conn->self != NULL)
    conn_wait (conn, WAIT_PROGRESS, conn->self->idle_timeout);
}

static void
conn_wrote_body_data (SoupServerMessage *msg,
                      guint              size,
                      Conn              *conn)
{
  conn_wrote (msg, conn);
}

static void
conn_finished (SoupServerMessage *msg,
               Conn              *conn)
{
  if (conn->self != NULL)
    conn_wait (conn, WAIT_IDLE, conn->self->idle_timeout);
}

static void listener_try_resume (OsiServer *self);

static void
conn_closed (SoupServerMessage *msg,
             Conn              *conn)
{
  OsiServer *self = conn->self;

  if (self == NULL)
    return;
  conn->self = NULL;
  conn_wait (conn, WAIT_NONE, 0);
  if (!conn->refused)
    {
      g_assert (self->n_serving > 0);
      self->n_serving--;
    }
  /* the message holds a reference: conn outlives this */
  g_hash_table_remove (self->conns, conn->socket);
  /* a descriptor was just freed */
  if (self->listen_paused)
    listener_try_resume (self);
}

static void
conn_expire (OsiServer *self,
             Conn      *conn)
{
  switch (conn->wait)
    {
    case WAIT_HEAD:
      g_message ("Closing the connection from %s: no complete request head within %u s",
                 conn->peer, conn->refused ? MIN (self->header_timeout, REFUSED_HEAD_TIMEOUT) : self->header_timeout);
      break;
    case WAIT_IDLE:
      g_message ("Closing the connection from %s: idle for %u s", conn->peer, self->idle_timeout);
      break;
    case WAIT_PROGRESS:
      g_message ("Closing the connection from %s: nothing sent or received for %u s", conn->peer, self->idle_timeout);
      break;
    case WAIT_NONE:
    default:
      g_assert_not_reached ();
    }
  conn_wait (conn, WAIT_NONE, 0);
  g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
}

static gboolean
sweep_connections (gpointer user_data)
{
  OsiServer *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  /* Shutting a socket down only makes libsoup see the end of the stream
   * later: the table does not change under the walk. */
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Conn *conn = value;

      if (conn->wait != WAIT_NONE && now >= conn->deadline)
        conn_expire (self, conn);
    }
  return G_SOURCE_CONTINUE;
}

/* Beyond the cap, a plain connection gets its 503 at once, before the
 * request is even read: a flood of them costs a descriptor for an
 * instant each. What the client sent already is read first, since
 * closing over unread bytes resets the connection and can lose the
 * answer. A TLS connection cannot be answered before its handshake: it
 * goes through libsoup, with a short deadline for its head. */
static void
conn_refuse (OsiServer *self,
             Conn      *conn)
{
  gint64 now = g_get_monotonic_time ();

  conn->refused = TRUE;
  self->refused_unlogged++;
  if (now - self->refusal_logged >= REFUSAL_LOG_INTERVAL)
    {
      g_message ("Refused %u connection(s) with 503: %u open, the most allowed",
                 self->refused_unlogged, self->n_serving);
      self->refusal_logged = now;
      self->refused_unlogged = 0;
    }

  if (self->certificate != NULL)
    {
      conn_wait (conn, WAIT_HEAD, MIN (self->header_timeout, REFUSED_HEAD_TIMEOUT));
      return;
    }
  {
    char buffer[4096];
    gsize drained = 0;
    gssize n;
    gsize len;
    const char *data = g_bytes_get_data (self->refusal, &len);

    while (drained < MAX_REFUSED_DRAIN &&
           (n = g_socket_receive_with_blocking (conn->socket, buffer, sizeof buffer, FALSE, NULL, NULL)) > 0)
      drained += (gsize)n;
    g_socket_send_with_blocking (conn->socket, data, len, FALSE, NULL, NULL);
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  }
}

static void
respond_refused (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
  respond_error_and_close (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           _("Too many connections are open: try again in a moment."));
}

/* Every message: its connection's first (libsoup starts one as soon as
 * it accepts), or the next one of a kept-alive connection, begun. */
static void
conn_track (OsiServer         *self,
            SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Conn *conn;

  if (socket == NULL || self->listen_stopped)
    return;

  conn = g_hash_table_lookup (self->conns, socket);
  if (conn == NULL)
    {
      g_autoptr(GSocketAddress) address = g_socket_get_remote_address (socket, NULL);
      GInetAddress *inet = address != NULL && G_IS_INET_SOCKET_ADDRESS (address)
                             ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)) : NULL;

      conn = g_rc_box_new0 (Conn);
      conn->self = self;
      conn->socket = g_object_ref (socket);
      conn->peer = inet != NULL ? g_inet_address_to_string (inet) : g_strdup ("-");
      g_hash_table_insert (self->conns, socket, conn);
      if (self->n_serving >= self->max_connections)
        conn_refuse (self, conn);
      else
        {
          self->n_serving++;
          conn_wait (conn, WAIT_HEAD, self->header_timeout);
        }
    }
  else if (!conn->refused)
    conn_wait (conn, WAIT_HEAD, self->header_timeout);

  g_object_set_data_full (G_OBJECT (msg), "osi-conn", conn_ref (conn), conn_unref);
  g_signal_connect (msg, "got-headers", G_CALLBACK (conn_got_headers), conn);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (conn_got_chunk), conn);
  g_signal_connect (msg, "got-body", G_CALLBACK (conn_got_body), conn);
  g_signal_connect (msg, "wrote-informational", G_CALLBACK (conn_wrote), conn);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (conn_wrote), conn);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (conn_wrote), conn);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (conn_wrote_body_data), conn);
  g_signal_connect (msg, "finished", G_CALLBACK (conn_finished), conn);
  g_signal_connect (msg, "disconnected", G_CALLBACK (conn_closed), conn);
}

static gboolean
conn_is_refused (SoupServerMessage *msg)
{
  Conn *conn = g_object_get_data (G_OBJECT (msg), "osi-conn");

  return conn != NULL && conn->refused;
}

/* 0 when a few descriptors can be opened now, else why not (EMFILE,
 * ENFILE). An eventfd needs no file system (no /dev in a chroot). */
static int
descriptors_missing (void)
{
  int fds[FD_HEADROOM];
  guint n;
  int saved = 0;

  for (n = 0; n < FD_HEADROOM; n++)
    {
      fds[n] = eventfd (0, EFD_CLOEXEC);
      if (fds[n] < 0)
        {
          saved = errno;
          break;
        }
    }
  while (n > 0)
    close (fds[--n]);
  return saved;
}

static gboolean listener_stalled (GSocket      *socket,
                                  GIOCondition  condition,
                                  gpointer      user_data);

/* libsoup's listener stops for good on the first accept that fails
 * (out of descriptors: EMFILE, ENFILE): it removes its watch and no
 * connection is ever accepted again. This second watch of the same
 * socket, of lower priority, runs only when a connection waits and
 * libsoup's watch is gone: as long as libsoup's is there and the socket
 * is readable, libsoup's runs first and GLib dispatches nothing of
 * lower priority in that iteration. */
static void
listener_watch (OsiServer *self)
{
  g_assert (self->stall_watch == NULL);
  self->stall_watch = g_socket_create_source (self->listen_socket, G_IO_IN, NULL);
  g_source_set_priority (self->stall_watch, G_PRIORITY_LOW);
  g_source_set_callback (self->stall_watch, G_SOURCE_FUNC (listener_stalled), self, NULL);
  g_source_set_static_name (self->stall_watch, "osi-server listener watch");
  g_source_attach (self->stall_watch, g_main_context_get_thread_default ());
}

static gboolean
listener_resume_cb (gpointer user_data)
{
  OsiServer *self = user_data;

  self->resume_source = 0;
  listener_try_resume (self);
  if (self->listen_paused && !self->listen_stopped && self->resume_source == 0)
    self->resume_source = g_timeout_add (RESUME_INTERVAL_MS, listener_resume_cb, self);
  return G_SOURCE_REMOVE;
}

/* Called when a connection closes and on a timer while paused. libsoup
 * cannot restart a listener: a new one takes the same socket (the one
 * that gave up stays, inert, until the server stops). */
static void
listener_try_resume (OsiServer *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->listen_paused || self->listen_stopped || descriptors_missing () != 0)
    return;
  if (!soup_server_listen_socket (self->soup, self->listen_socket, self->listen_flags, &error))
    {
      g_message ("Cannot accept connections again yet: %s", error->message);
      return;
    }
  listener_watch (self);
  self->listen_paused = FALSE;
  g_clear_handle_id (&self->resume_source, g_source_remove);
  g_message ("Accepting connections again after %.1f s",
             (double)(g_get_monotonic_time () - self->paused_since) / G_USEC_PER_SEC);
}

static gboolean
listener_stalled (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  OsiServer *self = user_data;
  int missing = descriptors_missing ();

  g_clear_pointer (&self->stall_watch, g_source_unref);
  self->listen_paused = TRUE;
  self->paused_since = g_get_monotonic_time ();
  g_message ("Not accepting connections for now (%s, %u open): again as soon as descriptors are free",
             missing != 0 ? g_strerror (missing) : "accept failed", g_hash_table_size (self->conns));
  /* Not at once even when descriptors seem free: an accept that fails
   * for another reason would make this loop. */
  if (self->resume_source == 0)
    self->resume_source = g_timeout_add (RESUME_INTERVAL_MS, listener_resume_cb, self);
  return G_SOURCE_REMOVE;
}

static void
listener_stop (OsiServer *self)
{
  self->listen_stopped = TRUE;
  if (self->stall_watch != NULL)
    {
      g_source_destroy (self->stall_watch);
      g_clear_pointer (&self->stall_watch, g_source_unref);
    }
  g_clear_handle_id (&self->resume_source, g_source_remove);
  g_clear_handle_id (&self->sweep_source, g_source_remove);
}

/* The most connections by default: what the descriptor limit allows,
 * each connection counted twice (its socket, and the backup it may be
 * sending or receiving), less what the server itself keeps open. */
static guint
default_max_connections (void)
{
  struct rlimit limit;
  rlim_t n, reserve;

  if (getrlimit (RLIMIT_NOFILE, &limit) < 0 || limit.rlim_cur == RLIM_INFINITY)
    return MAX_DEFAULT_CONNECTIONS;
  n = limit.rlim_cur;
  reserve = CLAMP (n / 4, 16, 64);
  if (n <= reserve + 2)
    return 1;
  return (guint)MIN ((n - reserve) / 2, MAX_DEFAULT_CONNECTIONS);
}

static GBytes *
refusal_response (void)
{
  g_autoptr(JsonObject) object = error_object (_("Too many connections are open: try again in a moment."));
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *body = json_to_string (node, FALSE);
  char *text = g_strdup_printf ("HTTP/1.1 503 Service Unavailable\r\n"
                                "Content-Type: application/json\r\n"
                                "Content-Length: %zu\r\n"
                                "Cache-Control: no-store\r\n"
                                "Retry-After: 1\r\n"
                                "Connection: close\r\n"
                                "\r\n"
                                "%s", strlen (body), body);

  return g_bytes_new_take (text, strlen (text));
}

/* ------------------------------------------------------------------------ */
/* Requests without a token (loopback only)                                 */

/* A browser can reach a loopback server too: a page elsewhere through
 * DNS rebinding (a name of the attacker's that now resolves to
 * 127.0.0.1, sent as the Host) or by posting to it (cross-site, with its
 * Origin). Without a token, only requests naming this server by a
 * loopback address and its port, from no other web origin, are
 * answered. */
static GStrv
local_hosts_for (GInetSocketAddress *address,
                 gboolean            https)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GInetAddress *inet = g_inet_socket_address_get_address (address);
  guint16 port = g_inet_socket_address_get_port (address);
  g_autofree char *literal = g_inet_address_to_string (inet);
  g_autofree char *own = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
                           ? g_strdup_printf ("[%s]", literal) : g_strdup (literal);
  const char *names[] = { "127.0.0.1", "localhost", "[::1]", own };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *with_port = g_strdup_printf ("%s:%u", names[i], port);

      g_strv_builder_add (builder, with_port);
      /* the default port may go unsaid */
      if (port == (https ? 443 : 80))
        g_strv_builder_add (builder, names[i]);
    }
  return g_strv_builder_end (builder);
}

static gboolean
is_local_host (OsiServer  *self,
               const char *host)
{
  if (host == NULL || self->local_hosts == NULL)
    return FALSE;
  for (guint i = 0; self->local_hosts[i] != NULL; i++)
    if (g_ascii_strcasecmp (host, self->local_hosts[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Answers 403 itself when the request may not come in. */
static gboolean
check_local_request (OsiServer         *self,
                     SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_list (headers, "Host");
  const char *origin = soup_message_headers_get_list (headers, "Origin");

  if (!is_local_host (self, host))
    {
      respond_error_and_close (msg, SOUP_STATUS_FORBIDDEN,
                               _("Without a token, this server only answers requests addressed to its loopback address and port (Host header)."));
      return FALSE;
    }
  if (origin != NULL)
    {
      const char *rest = NULL;

      if (g_ascii_strncasecmp (origin, "http://", 7) == 0)
        rest = origin + 7;
      else if (g_ascii_strncasecmp (origin, "https://", 8) == 0)
        rest = origin + 8;
      if (rest == NULL || g_ascii_strcasecmp (rest, host) != 0)
        {
          respond_error_and_close (msg, SOUP_STATUS_FORBIDDEN,
                                   _("Without a token, this server refuses requests from other web origins (Origin header)."));
          return FALSE;
        }
    }
  return TRUE;
}

/* A page elsewhere can post a form or text/plain without asking first,
 * never application/json. */
static gboolean
check_json_body (SoupServerMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);

  if (type != NULL && g_ascii_strcasecmp (type, "application/json") == 0)
    return TRUE;
  respond_error_and_close (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                           _("The request body must be JSON, sent with “Content-Type: application/json”."));
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */

static void
early_handler (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  OsiServer *self = user_data;
  Request *req = request_get (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  Route route = route_for_path (path);

  /* the request proper starts now, not when a kept-alive connection
   * began waiting for it */
  req->start_us = g_get_monotonic_time ();

  /* Bodies are never held whole in memory: collected (JSON, bounded),
   * streamed to disk (uploads) or dropped. */
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (request_got_chunk), self, 0);

  if (conn_is_refused (msg))
    {
      respond_refused (msg);
      return;
    }
  if (self->shutting_down)
    {
      respond_error_and_close (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, _("The server is shutting down."));
      return;
    }
  if (self->options.no_auth && !check_local_request (self, msg))
    return;
  if (route != ROUTE_HEALTH && !is_authorized (self, msg))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "%s",
                     _("Missing or wrong token: send the header “Authorization: Bearer TOKEN”."));
      return;
    }
  if (route == ROUTE_NONE)
    {
      respond_error (msg, SOUP_STATUS_NOT_FOUND, "%s", _("Not found."));
      return;
    }
  if (!method_allowed (route, method))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", route_methods (route));
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, _("The method %s is not allowed here."), method);
      return;
    }

  if (route == ROUTE_UPLOAD)
    {
      upload_begin (self, msg, req);
      return;
    }
  if (self->options.no_auth && route == ROUTE_RESTORE && !check_json_body (msg))
    {
      req->body_refused = TRUE;
      return;
    }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64)soup_message_headers_get_content_length (headers) > MAX_JSON_BODY)
    {
      req->body_refused = TRUE;
      respond_error_and_close (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, _("The request body is too large."));
      return;
    }
  if (route == ROUTE_RESTORE)
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
      handle_health (self, msg);
      break;

    case ROUTE_BACKUP:
      if (g_str_equal (method, "POST"))
        handle_create (self, msg);
      else if (g_str_equal (method, "DELETE"))
        {
          if ((name = require_filename (msg)) != NULL)
            handle_delete (self, msg, name);
        }
      else
        {
          switch (query_filename (msg, &name))
            {
            case NAME_ABSENT:
              handle_list (self, msg);
              break;
            case NAME_VALID:
              handle_download (self, msg, name);
              break;
            case NAME_INVALID:
            default:
              respond_bad_name (msg);
              break;
            }
        }
      break;

    case ROUTE_RESTORE:
      handle_restore (self, msg);
      break;

    case ROUTE_UPLOAD:
      handle_upload (self, msg);
      break;

    case ROUTE_VERIFY:
      if ((name = require_filename (msg)) != NULL)
        handle_verify (self, msg, name);
      break;

    case ROUTE_DIFF:
      if ((name = require_filename (msg)) != NULL)
        handle_diff (self, msg, name);
      break;

    case ROUTE_NONE:
    default:
      respond_error (msg, SOUP_STATUS_NOT_FOUND, "%s", _("Not found."));
      break;
    }
}

static void
message_wrote_body_data (SoupServerMessage *msg,
                         guint              size,
                         gpointer           user_data)
{
  request_get (msg)->bytes_out += size;
}

static void
message_finished (SoupServerMessage *msg,
                  gpointer           user_data)
{
  request_get (msg)->finished = TRUE;
}

static void
request_started (SoupServer        *soup,
                 SoupServerMessage *msg,
                 OsiServer         *self)
{
  request_get (msg);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (message_wrote_body_data), NULL);
  g_signal_connect (msg, "finished", G_CALLBACK (message_finished), NULL);
  g_signal_connect (msg, "disconnected", G_CALLBACK (message_finished), NULL);
  conn_track (self, msg);
}

/* One line per request: never a header, so never the token. */
static void
log_request (SoupServerMessage *msg,
             gboolean           aborted)
{
  Request *req = request_get (msg);
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
  listener_stop (self);
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
  if (self->folder != NULL)
    osi_backup_folder_stop (self->folder);
  /* A reload command still running is left to finish on its own. */
  g_clear_handle_id (&self->hook_watch, g_source_remove);
}

/* ------------------------------------------------------------------------ */

static void
options_clear (OsiServerOptions *options)
{
  g_clear_pointer (&options->data_dir, g_free);
  g_clear_pointer (&options->backup_dir, g_free);
  if (options->token != NULL)
    {
      explicit_bzero (options->token, strlen (options->token));
      g_clear_pointer (&options->token, g_free);
    }
  g_clear_pointer (&options->on_restore, g_free);
  g_clear_pointer (&options->tls_cert, g_free);
  g_clear_pointer (&options->tls_key, g_free);
}

static void
osi_server_dispose (GObject *object)
{
  OsiServer *self = (OsiServer *)object;

  stop_background_work (self);
  g_clear_handle_id (&self->finish_source, g_source_remove);
  listener_stop (self);
  if (self->soup != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->soup, self);
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
    }
  /* Messages still held elsewhere keep their connection's record: it
   * must not point here any more. */
  if (self->conns != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->conns);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        ((Conn *)value)->self = NULL;
      g_hash_table_remove_all (self->conns);
    }
  g_clear_object (&self->listen_socket);
  g_clear_object (&self->certificate);
  g_clear_object (&self->folder);

  G_OBJECT_CLASS (osi_server_parent_class)->dispose (object);
}

static void
osi_server_finalize (GObject *object)
{
  OsiServer *self = (OsiServer *)object;

  options_clear (&self->options);
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
osi_server_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  OsiServer *self = OSI_SERVER (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_server_class_init (OsiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = osi_server_dispose;
  object_class->finalize = osi_server_finalize;
  object_class->get_property = osi_server_get_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osi_server_init (OsiServer *self)
{
  self->cancellable = g_cancellable_new ();
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, conn_unref);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

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
  self->max_connections = options->max_connections != 0 ? options->max_connections : default_max_connections ();
  self->header_timeout = options->header_timeout != 0 ? options->header_timeout : DEFAULT_HEADER_TIMEOUT;
  self->idle_timeout = options->idle_timeout != 0 ? options->idle_timeout : DEFAULT_IDLE_TIMEOUT;
  self->keep_alive = soup_check_version (3, 3, 0);
  self->refusal = refusal_response ();

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
   * take over when libsoup stops accepting (listener_watch ()). */
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
  listener_watch (self);
  self->sweep_source = g_timeout_add (CLAMP (MIN (self->header_timeout, self->idle_timeout) * 1000 / 4, 50, 1000),
                                      sweep_connections, self);

  local = g_socket_get_local_address (self->listen_socket, error);
  if (local == NULL)
    return FALSE;
  self->local_hosts = local_hosts_for (G_INET_SOCKET_ADDRESS (local), self->certificate != NULL);

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    {
      char *text = g_uri_to_string (uris->data);
      gsize len = strlen (text);

      if (len > 0 && text[len - 1] == '/')
        text[len - 1] = '\0';
      g_free (self->url);
      self->url = text;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
    }
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  g_message ("Serving %s from %s, data %s%s; at most %u connections", self->url, osi_backup_folder_get_path (self->folder),
             self->options.data_dir, self->options.no_auth ? " (no authentication)" : "", self->max_connections);
  return TRUE;
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
