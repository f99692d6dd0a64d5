/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-archive-private.h"
#include "osi-diff-side-private.h"
#include "osi-error.h"
#include "osi-open.h"
#include "osi-sha256.h"

#define IO_BLOCK        (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Reading a side: an archive or a data directory                           */

static void
side_add_file (Side       *side,
               const char *path,
               gint64      size,
               const char *sha256)
{
  FileInfo *info;

  if (!g_str_has_prefix (path, "config/") && !g_str_has_prefix (path, "data/"))
    return;
  info = g_new0 (FileInfo, 1);
  info->size = size;
  g_strlcpy (info->sha256, sha256 != NULL ? sha256 : "", sizeof info->sha256);
  /* A folder's file names may be any bytes; the comparison is shown as
   * text (an archive refuses such names). */
  g_hash_table_replace (side->files, g_utf8_make_valid (path, -1), info);
}

static void
on_archive_data (const char   *path,
                 const guint8 *data,
                 gsize         len,
                 gpointer      user_data)
{
  Side *side = user_data;

  if (strcmp (path, OSI_RAG_PATH) == 0)
    _osi_diff_side_feed (side, data, len);
}

/* The archive is read from fd when it is not -1, else from path. */
static gboolean
read_archive (Side         *side,
              const char   *path,
              int           fd,
              GError      **error)
{
  ScanRequest request = { .fd = fd, .name = path, .on_data = on_archive_data, .on_data_user = side };
  g_autoptr(OsiVerifyReport) report = NULL;
  GPtrArray *entries;

  report = _osi_archive_scan_run (&request, NULL, NULL, side->cancellable, error);
  if (report == NULL)
    return FALSE;
  side->report = g_object_ref (report);

  if (osi_verify_report_get_verdict (report) == OSI_VERDICT_NOT_RESTORABLE)
    {
      GPtrArray *findings = osi_verify_report_get_findings (report);
      const OsiFinding *first = g_ptr_array_index (findings, 0);

      /* Translators: the first %s is a file, the second a complete sentence */
      g_set_error (error, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED,
                   _("“%s” failed verification, so it cannot be compared: run “osi-backup-cli verify” on it for "
                     "the full report. First problem: %s"),
                   side->label, first->message);
      return FALSE;
    }

  _osi_diff_side_finish_rag (side);
  if (side->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&side->error));
      return FALSE;
    }

  entries = osi_verify_report_get_entries (report);
  for (guint i = 0; i < entries->len; i++)
    {
      const OsiFileEntry *entry = g_ptr_array_index (entries, i);

      if (!entry->is_dir)
        side_add_file (side, entry->path, entry->size, entry->sha256);
    }
  return TRUE;
}

/* Reads fd to its end, handing each block to func. */
static gboolean
read_fd (int           fd,
         guint8       *buffer,
         const char   *path,
         void        (*func) (gpointer, const guint8 *, gsize),
         gpointer      user_data,
         GCancellable *cancellable,
         GError      **error)
{
  for (;;)
    {
      ssize_t n = read (fd, buffer, IO_BLOCK);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);
      if (n == 0)
        return TRUE;
      func (user_data, buffer, (gsize)n);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }
}

static void
feed_sha (gpointer      sha,
          const guint8 *data,
          gsize         len)
{
  osi_sha256_update (sha, data, len);
}

static void
feed_side (gpointer      side,
           const guint8 *data,
           gsize         len)
{
  _osi_diff_side_feed (side, data, len);
}

/* A regular file of a data folder, as osi_open_regular_at () opens it:
 * never a FIFO or a device, which could block or never end. */
static int
open_regular (int           dir_fd,
              const char   *name,
              const char   *shown,
              GError      **error)
{
  GError *reason = NULL;
  int fd = osi_open_regular_at (dir_fd, name, OSI_OPEN_NONE, NULL, &reason);

  if (fd < 0)
    {
      g_set_error (error, reason->domain, reason->code, _("Cannot read “%s”: %s"), shown, reason->message);
      g_error_free (reason);
    }
  return fd;
}

/* The regular files under dir_fd (relative path prefix), symbolic links
 * not followed: a restore would not take them either. */
static gboolean
walk_files (Side        *side,
            int          dir_fd,
            const char  *prefix,
            const char  *shown,
            OsiSha256   *sha,
            guint8      *buffer,
            GError     **error)
{
  g_autoptr(GPtrArray) names = osi_read_dir_names (dir_fd);

  if (names == NULL)
    return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), shown);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_strconcat (prefix, "/", name, NULL);
      struct stat st;
      int child;

      if (g_cancellable_set_error_if_cancelled (side->cancellable, error))
        return FALSE;
      if (fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);
      if (S_ISDIR (st.st_mode))
        {
          gboolean ok;

          child = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (child < 0)
            return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);
          ok = walk_files (side, child, path, shown, sha, buffer, error);
          close (child);
          if (!ok)
            return FALSE;
        }
      else if (S_ISREG (st.st_mode))
        {
          char hex[OSI_SHA256_HEX_LEN + 1];
          gboolean ok;

          child = open_regular (dir_fd, name, path, error);
          if (child < 0)
            return FALSE;
          osi_sha256_reset (sha);
          ok = read_fd (child, buffer, path, feed_sha, sha, side->cancellable, error);
          close (child);
          if (!ok)
            return FALSE;
          osi_sha256_finish_hex (sha, hex);
          side_add_file (side, path, st.st_size, hex);
        }
    }
  return TRUE;
}

static gboolean
read_directory (Side        *side,
                const char  *path,
                gboolean     empty_ok,
                GError     **error)
{
  g_autoptr(OsiSha256) sha = osi_sha256_new ();
  g_autofree guint8 *buffer = g_malloc (IO_BLOCK);
  static const char *const sections[] = { "config", "data" };
  g_autoptr(GError) open_error = NULL;
  gboolean found = FALSE;
  int root;
  int fd;

  root = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);

  fd = open_regular (root, OSI_RAG_PATH, OSI_RAG_PATH, &open_error);
  if (fd >= 0)
    {
      gboolean ok = read_fd (fd, buffer, OSI_RAG_PATH, feed_side, side, side->cancellable, error);

      close (fd);
      found = TRUE;
      if (!ok)
        goto fail;
      _osi_diff_side_finish_rag (side);
      if (side->error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&side->error));
          goto fail;
        }
    }
  else if (!g_error_matches (open_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&open_error));
      goto fail;
    }
  else
    {
      struct stat st;

      found = fstatat (root, "rag", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
    }

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      int dir = openat (root, sections[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      gboolean ok;

      if (dir < 0)
        {
          if (errno == ENOENT)
            continue;
          osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), sections[i]);
          goto fail;
        }
      found = TRUE;
      ok = walk_files (side, dir, sections[i], path, sha, buffer, error);
      close (dir);
      if (!ok)
        goto fail;
    }

  close (root);
  if (!found && !empty_ok)
    {
      g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
                   _("“%s” is neither a backup nor a data folder (it has no rag, config or data folder)."), path);
      return FALSE;
    }
  return TRUE;

fail:
  close (root);
  return FALSE;
}

static gboolean
read_side (Side        *side,
           const char  *path,
           int          fd,
           gboolean     missing_is_empty,
           GError     **error)
{
  struct stat st;

  if (fd >= 0)
    return read_archive (side, path, fd, error);
  if (stat (path, &st) < 0)
    {
      if (errno == ENOENT && missing_is_empty)
        return TRUE;
      return osi_set_error_from_errno (error, errno, _("Cannot read “%s”"), path);
    }
  if (S_ISDIR (st.st_mode))
    return read_directory (side, path, missing_is_empty, error);
  if (S_ISREG (st.st_mode))
    return read_archive (side, path, -1, error);
  g_set_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA,
               _("“%s” is neither a backup file nor a data folder."), path);
  return FALSE;
}

gpointer
_osi_diff_side_thread (gpointer data)
{
  SideJob *job = data;

  job->ok = read_side (&job->side, job->path, job->fd, job->missing_is_empty, &job->error);
  return NULL;
}

