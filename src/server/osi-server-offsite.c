/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-backup-info.h"
#include "osi-server-private.h"

/* The routes of the off-site copies (docs/api.md §7.3, §7.4): the list of
 * copies, read again from the storage on request, and the fetch of one
 * back into the backup folder. The engine is osi-offsite.c. */

/* A fetch tries a network failure this many times (§7.4). */
#define FETCH_TRIES 3

void
_osi_server_respond_not_offsite (SoupServerMessage *msg)
{
  _osi_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, "%s",
                             _("This server does not copy its backups off-site (no --offsite-url)."));
}

static void
respond_copies (OsiServer         *self,
                SoupServerMessage *msg)
{
  g_autoptr(JsonObject) object = osi_offsite_to_json (self->offsite);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  _osi_server_respond_json (msg, SOUP_STATUS_OK, object);
}

/* ------------------------------------------------------------------------ */
/* GET /api/rag/backup/offsite[?refresh=1]                                  */

static gboolean
refresh_work (Job           *job,
              GCancellable  *cancellable,
              GError       **error)
{
  OsiServer *self = job->server;
  g_autoptr(OsiS3) s3 = osi_offsite_new_s3 (self->offsite, error);
  g_autoptr(GError) local_error = NULL;
  GPtrArray *objects;

  if (s3 == NULL)
    return FALSE;
  objects = osi_offsite_list_objects (s3, osi_offsite_get_host_prefix (self->offsite), cancellable, &local_error);
  if (objects == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, HTTP_ERROR, SOUP_STATUS_BAD_GATEWAY,
                     _("Cannot read the off-site storage: %s"), local_error->message);
      return FALSE;
    }
  job->listing = objects;
  return TRUE;
}

static gboolean
refresh_done (Job          *job,
              const GError *error)
{
  OsiServer *self = job->server;
  GPtrArray *objects = job->listing;

  if (error != NULL)
    {
      g_message ("Off-site refresh failed: %s", error->message);
      _osi_server_respond_task_error (job->msg, error);
      return TRUE;
    }
  if (self->offsite == NULL || objects == NULL)
    {
      _osi_server_respond_not_offsite (job->msg);
      return TRUE;
    }
  osi_offsite_apply_listing (self->offsite, objects);
  respond_copies (self, job->msg);
  return TRUE;
}

void
_osi_server_handle_offsite (OsiServer         *self,
                            SoupServerMessage *msg)
{
  gboolean refresh;

  if (self->offsite == NULL)
    {
      _osi_server_respond_not_offsite (msg);
      return;
    }
  /* A value of refresh that is neither yes nor no is ignored. */
  _osi_server_query_flag (msg, "refresh", &refresh);
  if (refresh)
    {
      _osi_server_job_run (self, msg, _osi_server_job_new (NULL, -1, refresh_work, refresh_done));
      return;
    }
  respond_copies (self, msg);
}

/* ------------------------------------------------------------------------ */
/* POST /api/rag/backup/offsite/fetch                                       */

/* The storage's error as the answer's: 404 when the copy is not there,
 * 502 for the storage's refusals and failures. */
static void
set_storage_error (GError       **error,
                   const char    *name,
                   const GError  *s3_error)
{
  if (g_error_matches (s3_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_propagate_error (error, g_error_copy (s3_error));
  else if (g_error_matches (s3_error, OSI_S3_ERROR, OSI_S3_ERROR_NOT_FOUND))
    g_set_error (error, HTTP_ERROR, SOUP_STATUS_NOT_FOUND, _("There is no off-site copy of “%s”."), name);
  else
    g_set_error (error, HTTP_ERROR, SOUP_STATUS_BAD_GATEWAY,
                 _("Cannot bring “%s” back from off-site storage: %s"), name, s3_error->message);
}

/* Whether the storage's call that failed with s3_error, at its try-th
 * try, is tried again: after a transient failure, FETCH_TRIES times at
 * most, waiting 1, 2, 4… s first. Otherwise error is set. */
static gboolean
may_try_again (const char    *name,
               guint          try,
               const GError  *s3_error,
               GError       **error)
{
  if (!g_error_matches (s3_error, OSI_S3_ERROR, OSI_S3_ERROR_TRANSIENT) || try == FETCH_TRIES)
    {
      set_storage_error (error, name, s3_error);
      return FALSE;
    }
  g_usleep ((gulong)G_USEC_PER_SEC << (try - 1));
  return TRUE;
}

static gboolean
sha256_differs (const char *a,
                const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp (a, b) != 0;
}

/* The copy hashed as it arrives: each chunk written to the file is read
 * back at once, from the page cache, so the file is not read again
 * whole afterwards. */
typedef struct
{
  int        fd;
  OsiSha256 *sha;
  gint64     hashed;
  gboolean   failed;
} ArrivingHash;

static void
hash_arrived (gint64   bytes_done,
              gpointer user_data)
{
  ArrivingHash *hash = user_data;
  guint8 buffer[64 * 1024];

  while (!hash->failed && hash->hashed < bytes_done)
    {
      ssize_t n = pread (hash->fd, buffer, (size_t)MIN ((gint64)sizeof buffer, bytes_done - hash->hashed),
                         hash->hashed);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          hash->failed = TRUE;
          break;
        }
      osi_sha256_update (hash->sha, buffer, (gsize)n);
      hash->hashed += n;
    }
}

static gboolean
fetch_to_folder (Job           *job,
                 GCancellable  *cancellable,
                 GError       **error)
{
  OsiServer *self = job->server;
  const char *dir = osi_backup_folder_get_path (self->folder);
  g_autoptr(OsiS3) s3 = NULL;
  g_autoptr(GError) s3_error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *tmpl = NULL;
  g_autofree char *sha256 = NULL;
  g_auto(OsiS3Head) head = { 0 };
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  ArrivingHash arriving = { -1, sha, 0, FALSE };
  gint64 size = 0;
  gboolean got = FALSE;
  int fd;

  s3 = osi_offsite_new_s3 (self->offsite, &s3_error);
  if (s3 == NULL || (key = osi_s3_backup_key (s3, g_get_host_name (), job->name, &s3_error)) == NULL)
    {
      set_storage_error (error, job->name, s3_error);
      return FALSE;
    }

  for (guint try = 1; try <= FETCH_TRIES; try++)
    {
      g_clear_error (&s3_error);
      if (osi_s3_head_object (s3, key, &head, cancellable, &s3_error))
        break;
      if (!may_try_again (job->name, try, s3_error, error))
        return FALSE;
    }
  if (sha256_differs (head.sha256, job->copy->sha256))
    {
      g_set_error (error, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                   _("The off-site copy of “%s” is damaged and was not stored: %s"), job->name,
                   _("the storage records another SHA-256 than the one the copy was made with."));
      return FALSE;
    }
  if (!_osi_server_check_space (dir, (guint64)MAX (head.size, 0), error))
    return FALSE;

  /* Verification recognises a bare knowledge base by its suffix. */
  tmpl = g_strdup_printf ("%s/.%s.XXXXXX" OSI_BACKUP_FOLDER_TEMP_SUFFIX "%s", dir, job->name,
                          osi_archive_name_is_bare_json (job->name) ? ".json" : "");
  fd = g_mkstemp_full (tmpl, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot store the backup brought back from off-site storage: %s"), g_strerror (saved));
      return FALSE;
    }
  job->fd = fd;
  job->tmp_path = g_steal_pointer (&tmpl);

  for (guint try = 1; try <= FETCH_TRIES && !got; try++)
    {
      g_clear_error (&s3_error);
      if (ftruncate (fd, 0) < 0 || lseek (fd, 0, SEEK_SET) < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Cannot store the backup brought back from off-site storage: %s"), g_strerror (saved));
          return FALSE;
        }
      arriving.fd = fd;
      arriving.hashed = 0;
      arriving.failed = FALSE;
      osi_sha256_reset (sha);
      got = osi_s3_get_object (s3, key, fd, &size, hash_arrived, &arriving, cancellable, &s3_error);
      if (got)
        break;
      if (g_error_matches (s3_error, OSI_S3_ERROR, OSI_S3_ERROR_LOCAL))
        {
          /* the disk filled while writing, or another local failure */
          if (_osi_server_free_bytes (dir) < (guint64)MAX (head.size, 0))
            g_set_error (error, HTTP_ERROR, SOUP_STATUS_INSUFFICIENT_STORAGE,
                         _("The disk filled up while “%s” was brought back: %s"), job->name, s3_error->message);
          else
            g_propagate_error (error, g_steal_pointer (&s3_error));
          return FALSE;
        }
      if (!may_try_again (job->name, try, s3_error, error))
        return FALSE;
    }

  hash_arrived (size, &arriving);
  if (!arriving.failed)
    {
      char hex[OSI_SHA256_HEX_LEN + 1];

      osi_sha256_finish_hex (sha, hex);
      sha256 = g_strdup (hex);
    }
  else if ((sha256 = osi_backup_folder_hash_fd (fd, job->name, cancellable, error)) == NULL)
    return FALSE;
  if (sha256_differs (sha256, job->copy->sha256) || sha256_differs (sha256, head.sha256) ||
      (head.size >= 0 && size != head.size))
    {
      g_set_error (error, HTTP_ERROR, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                   _("The off-site copy of “%s” is damaged and was not stored: %s"), job->name,
                   _("its SHA-256 differs from the one recorded when it was copied."));
      return FALSE;
    }
  job->sha256 = g_steal_pointer (&sha256);
  job->made_at_us = job->copy->date_us;
  return _osi_server_store_received (job, TRUE, cancellable, error);
}

/* A fetch that fails removes its temporary file before it answers (the
 * job would, but only once freed, maybe after the answer). */
static gboolean
fetch_work (Job           *job,
            GCancellable  *cancellable,
            GError       **error)
{
  if (fetch_to_folder (job, cancellable, error))
    return TRUE;
  if (job->tmp_path != NULL)
    {
      g_unlink (job->tmp_path);
      g_clear_pointer (&job->tmp_path, g_free);
    }
  return FALSE;
}

static gboolean
fetch_done (Job          *job,
            const GError *error)
{
  OsiServer *self = job->server;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GError) kind_error = NULL;
  g_autofree char *message = NULL;
  JsonNode *backup;

  if (self->offsite != NULL)
    osi_offsite_fetch_end (self->offsite, job->name);
  if (error != NULL)
    {
      g_message ("Fetch of %s from off-site storage failed: %s", job->name, error->message);
      _osi_server_respond_job_error (job->msg, error, job->report, job->name);
      return TRUE;
    }

  /* Its kind, as the copy records it; not queued again (§7.2). */
  if (job->copy->kind != OSI_CATALOG_KIND_UNKNOWN &&
      !osi_backup_folder_set_kind (self->folder, job->name, job->copy->kind, &kind_error))
    g_message ("Cannot record the kind of %s in the backup catalog: %s", job->name, kind_error->message);
  if (self->offsite != NULL)
    osi_offsite_note_sha256 (self->offsite, job->name, job->sha256);
  g_message ("Brought %s back from off-site storage (%" G_GINT64_FORMAT " bytes)", job->name, (gint64)job->st.st_size);

  date = g_date_time_new_from_unix_utc (job->st.st_mtim.tv_sec);
  info = osi_backup_info_new (job->name, date, job->st.st_size, job->sha256);
  backup = osi_backup_info_to_json (info);
  osi_backup_folder_add_members (self->folder, job->name, json_node_get_object (backup));
  message = g_strdup_printf (_("Backup “%s” brought back from off-site storage."), job->name);
  object = json_object_new ();
  json_object_set_string_member (object, "status", "success");
  json_object_set_string_member (object, "message", message);
  json_object_set_member (object, "backup", backup);
  _osi_server_respond_json (job->msg, SOUP_STATUS_CREATED, object);
  return TRUE;
}

void
_osi_server_handle_offsite_fetch (OsiServer         *self,
                                  SoupServerMessage *msg)
{
  g_autoptr(OsiCatalogCopy) copy = NULL;
  g_autofree char *name = NULL;
  Job *job;
  struct stat st;

  if (self->offsite == NULL)
    {
      _osi_server_respond_not_offsite (msg);
      return;
    }
  if ((name = _osi_server_require_backup_file (msg)) == NULL)
    return;
  if (!osi_backup_folder_is_backup_name (name))
    {
      _osi_server_respond_bad_name (msg);
      return;
    }
  copy = osi_offsite_lookup (self->offsite, name);
  if (copy == NULL || copy->state != OSI_COPY_DONE)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, _("There is no off-site copy of “%s”."), name);
      return;
    }
  if (fstatat (osi_backup_folder_get_fd (self->folder), name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      _osi_server_respond_error (msg, SOUP_STATUS_CONFLICT,
                                 _("“%s” is already in the backup folder: restore it directly."), name);
      return;
    }
  if (copy->size >= 0 && !_osi_server_check_space (osi_backup_folder_get_path (self->folder), copy->size, NULL))
    {
      g_autoptr(GError) error = NULL;

      _osi_server_check_space (osi_backup_folder_get_path (self->folder), copy->size, &error);
      _osi_server_respond_task_error (msg, error);
      return;
    }
  if (!osi_offsite_fetch_begin (self->offsite, name))
    {
      _osi_server_respond_error (msg, SOUP_STATUS_CONFLICT,
                                 _("“%s” is being brought back from off-site storage already."), name);
      return;
    }
  job = _osi_server_job_new (name, -1, fetch_work, fetch_done);
  job->copy = g_steal_pointer (&copy);
  _osi_server_job_run (self, msg, job);
}
