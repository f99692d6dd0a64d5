/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>

#include "osi-server-private.h"

#define CHUNK_SIZE          (256 * 1024)

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
  Request *req = _osi_server_request_get (msg);

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
            _osi_server_respond_task_error (msg, error);
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
  _osi_server_pending_end (self);
}

static void
download_read_next (OsiServer         *self,
                    SoupServerMessage *msg)
{
  Request *req = _osi_server_request_get (msg);
  ReadContext *ctx = g_new0 (ReadContext, 1);

  g_assert (!req->download_reading && req->download_left > 0);
  req->download_reading = TRUE;
  ctx->self = g_object_ref (self);
  ctx->msg = g_object_ref (msg);
  _osi_server_pending_begin (self);
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
  Request *req = _osi_server_request_get (msg);

  if (req->download != NULL && req->download_left > 0 && !req->download_reading &&
      req->download_queued < 2 && !req->finished && !self->shutting_down)
    download_read_next (self, msg);
}

static void
download_wrote_chunk (SoupServerMessage *msg,
                      gpointer           user_data)
{
  OsiServer *self = user_data;
  Request *req = _osi_server_request_get (msg);

  if (req->download_queued > 0)
    req->download_queued--;
  download_read_more (self, msg);
}

static void
download_begin (OsiServer         *self,
                SoupServerMessage *msg)
{
  Request *req = _osi_server_request_get (msg);
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
    _osi_server_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", _("Cannot read the backup."));
}

static void
download_prepare (OsiServer         *self,
                  SoupServerMessage *msg,
                  const char        *sha256)
{
  Request *req = _osi_server_request_get (msg);
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
        _osi_server_respond_error (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
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

/* job->fd: its own duplicate of the download's. */
static gboolean
hash_work (Job           *job,
           GCancellable  *cancellable,
           GError       **error)
{
  OsiServer *self = job->server;
  /* The very file being sent, not whatever has its name now. */
  if (fstat (job->fd, &job->st) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot read the backup “%s”: %s"), job->name, g_strerror (saved));
      return FALSE;
    }
  job->sha256 = osi_backup_folder_hash_fd (job->fd, job->name, cancellable, error);
  if (job->sha256 == NULL)
    return FALSE;
  osi_backup_folder_store_sha256 (self->folder, job->name, &job->st, job->sha256);
  /* The sidecar speaks for the name: only while the name is this file. */
  {
    struct stat now;

    if (fstatat (osi_backup_folder_get_fd (self->folder), job->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        now.st_dev == job->st.st_dev && now.st_ino == job->st.st_ino)
      osi_backup_folder_write_sidecar (self->folder, job->name, job->sha256);
  }
  return TRUE;
}

static gboolean
hash_done (Job          *job,
           const GError *error)
{
  Request *req = _osi_server_request_get (job->msg);

  if (req->finished)
    return FALSE;
  if (error != NULL)
    _osi_server_respond_task_error (job->msg, error);
  else if ((guint64)job->st.st_size != req->download_size)
    _osi_server_respond_error (job->msg, SOUP_STATUS_CONFLICT, "%s", _("The backup changed while being read: try again."));
  else
    {
      /* still paused: it stays so while the first chunk is read */
      download_prepare (job->server, job->msg, job->sha256);
      return !req->download_reading;
    }
  return TRUE;
}

void
_osi_server_handle_download (OsiServer         *self,
                             SoupServerMessage *msg,
                             const char        *name)
{
  Request *req = _osi_server_request_get (msg);
  g_autofree char *sha256 = NULL;
  struct stat st;
  int fd, hash_fd;

  fd = osi_backup_folder_open (self->folder, name, &st);
  if (fd < 0)
    {
      _osi_server_respond_unknown (msg, name);
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
   * headers go out. The job has its own descriptor: the request, and
   * the stream's, may end first. */
  hash_fd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  if (hash_fd < 0)
    {
      int saved = errno;

      _osi_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, _("Cannot read the backup “%s”: %s"), name,
                                 g_strerror (saved));
      return;
    }
  _osi_server_job_run (self, msg, _osi_server_job_new (name, hash_fd, hash_work, hash_done));
}
