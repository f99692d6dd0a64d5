/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-open.h"
#include "osi-server-private.h"

#define UPLOAD_BUFFER_SIZE  (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* POST /api/rag/backup/upload                                              */

static gboolean
upload_flush (Request  *req,
              int      *out_errno)
{
  if (!osi_write_all (req->upload_fd, req->upload_buffer->data, req->upload_buffer->len, out_errno))
    return FALSE;
  g_byte_array_set_size (req->upload_buffer, 0);
  return TRUE;
}

static void
upload_abandon (Request *req)
{
  osi_abandon_temporary (&req->upload_fd, &req->upload_path);
  g_clear_pointer (&req->upload_buffer, g_byte_array_unref);
}

static void
upload_refuse_too_large (SoupServerMessage *msg,
                         guint64            limit)
{
  g_autofree char *max = g_format_size (limit);
  g_autofree char *detail = g_strdup_printf (_("The upload is larger than this server accepts (%s)."), max);

  _osi_server_respond_error_and_close (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, detail);
}

void
_osi_server_request_got_chunk (SoupServerMessage *msg,
                               GBytes            *chunk,
                               gpointer           user_data)
{
  Request *req = _osi_server_request_get (msg);
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
            _osi_server_respond_error_and_close (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
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
          _osi_server_respond_error_and_close (msg, saved == ENOSPC || saved == EDQUOT
                                                      ? SOUP_STATUS_INSUFFICIENT_STORAGE
                                                      : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                               detail);
        }
    }
}

/* Before the body: refuse early what can be, then stream the body into a
 * hidden temporary file beside the backups. */
void
_osi_server_upload_begin (OsiServer         *self,
                          SoupServerMessage *msg,
                          Request           *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *name = NULL;
  g_autofree char *tmpl = NULL;
  struct stat st;
  int fd;

  name = _osi_server_require_filename (msg);
  if (name == NULL)
    return;
  if (!osi_backup_folder_is_backup_name (name))
    {
      _osi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 _("“%s” is not a backup file name: it must end in .tar.zst, .tar.gz, .tgz, .zip or .json."), name);
      return;
    }
  if (fstatat (osi_backup_folder_get_fd (self->folder), name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_CONFLICT, _("A backup named “%s” already exists."), name);
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
      if (!_osi_server_check_space (osi_backup_folder_get_path (self->folder), length, &error))
        {
          req->body_refused = TRUE;
          _osi_server_respond_error_and_close (msg, SOUP_STATUS_INSUFFICIENT_STORAGE, error->message);
          return;
        }
    }

  /* Verification recognises a bare knowledge base by its suffix. */
  tmpl = g_strdup_printf ("%s/.%s.XXXXXX" OSI_BACKUP_FOLDER_TEMP_SUFFIX "%s", osi_backup_folder_get_path (self->folder), name,
                          osi_archive_name_is_bare_json (name) ? ".json" : "");
  /* Read and write: verification reads back the very file written. */
  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, _("Cannot store the upload: %s"), g_strerror (errno));
      return;
    }
  req->upload_fd = fd;
  req->upload_path = g_steal_pointer (&tmpl);
  req->upload_name = g_steal_pointer (&name);
  req->upload_sha = osi_sha256_new ();
  req->upload_buffer = g_byte_array_sized_new (UPLOAD_BUFFER_SIZE);
}

static void
set_store_error (GError     **error,
                 gboolean     fetched,
                 int          saved)
{
  if (fetched)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 _("Cannot store the backup brought back from off-site storage: %s"), g_strerror (saved));
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                 _("Cannot store the upload: %s"), g_strerror (saved));
}

gboolean
_osi_server_store_received (Job           *job,
                            gboolean       fetched,
                            GCancellable  *cancellable,
                            GError       **error)
{
  OsiServer *self = job->server;
  g_autofree char *tmp_name = g_path_get_basename (job->tmp_path);
  int dir_fd = osi_backup_folder_get_fd (self->folder);

  /* A fetched backup keeps its date (docs/api.md §7.4). */
  if (fetched && job->made_at_us > 0)
    {
      struct timespec times[2];

      times[0].tv_sec = times[1].tv_sec = job->made_at_us / G_USEC_PER_SEC;
      times[0].tv_nsec = times[1].tv_nsec = (job->made_at_us % G_USEC_PER_SEC) * 1000;
      if (futimens (job->fd, times) < 0)
        {
          set_store_error (error, fetched, errno);
          return FALSE;
        }
    }
  if (fsync (job->fd) < 0)
    {
      set_store_error (error, fetched, errno);
      return FALSE;
    }
  if (!_osi_server_verify_work (job, cancellable, error))
    return FALSE;
  if (!_osi_server_report_acceptable (job->report, osi_archive_name_is_bare_json (job->name)))
    {
      g_autofree char *summary = _osi_server_findings_summary (job->report);

      if (fetched)
        g_set_error (error, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                     _("The off-site copy of “%s” is damaged and was not stored: %s"), job->name, summary);
      else
        g_set_error (error, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                     _("The uploaded backup “%s” failed verification and was not stored: %s"),
                     job->name, summary);
      return FALSE;
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
          g_set_error (error, HTTP_ERROR, SOUP_STATUS_CONFLICT,
                       _("A backup named “%s” already exists."), job->name);
          return FALSE;
        }
      if (saved != 0)
        {
          set_store_error (error, fetched, saved);
          return FALSE;
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
  return TRUE;
}

static gboolean
upload_work (Job           *job,
             GCancellable  *cancellable,
             GError       **error)
{
  return _osi_server_store_received (job, FALSE, cancellable, error);
}

static gboolean
upload_done (Job          *job,
             const GError *error)
{
  if (error == NULL)
    {
      _osi_server_record_kind (job->server, job->name, OSI_CATALOG_KIND_UPLOAD);
      _osi_server_respond_backup_made (job, job->name, TRUE);
      return TRUE;
    }
  g_message ("Upload of %s refused: %s", job->name, error->message);
  _osi_server_respond_job_error (job->msg, error, job->report, job->name);
  return TRUE;
}

void
_osi_server_handle_upload (OsiServer         *self,
                           SoupServerMessage *msg)
{
  Request *req = _osi_server_request_get (msg);
  Job *job;
  char hex[OSI_SHA256_HEX_LEN + 1];
  int saved = 0;

  if (req->upload_path == NULL)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", _("The upload was not received."));
      return;
    }
  if (!upload_flush (req, &saved))
    {
      upload_abandon (req);
      _osi_server_respond_error (msg, saved == ENOSPC || saved == EDQUOT
                                        ? SOUP_STATUS_INSUFFICIENT_STORAGE
                                        : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                 _("Cannot store the upload: %s"), g_strerror (saved));
      return;
    }

  /* The temporary file is the job's from now on. */
  job = _osi_server_job_new (req->upload_name, req->upload_fd, upload_work, upload_done);
  g_clear_pointer (&req->upload_name, g_free);
  job->tmp_path = g_steal_pointer (&req->upload_path);
  req->upload_fd = -1;
  osi_sha256_finish_hex (req->upload_sha, hex);
  job->sha256 = g_strdup (hex);
  g_clear_pointer (&req->upload_buffer, g_byte_array_unref);
  _osi_server_job_run (self, msg, job);
}
