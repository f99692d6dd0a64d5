/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-error.h"
#include "osi-progress-relay.h"
#include "osi-swap.h"

#define STAGING_INFIX ".osi-staging."
#define JOURNAL_SUFFIX ".osi-swap"

typedef struct
{
  char *parent;
  char *name;
} Where;

static void
where_clear (Where *where)
{
  g_clear_pointer (&where->parent, g_free);
  g_clear_pointer (&where->name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Where, where_clear)

static gboolean
where_init (Where       *where,
            const char  *data_dir,
            GError     **error)
{
  g_autofree char *canonical = g_canonicalize_filename (data_dir, NULL);

  where->parent = g_path_get_dirname (canonical);
  where->name = g_path_get_basename (canonical);
  if (strcmp (where->name, "/") == 0 || strcmp (where->name, ".") == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” cannot be used as a data folder."), data_dir);
      return FALSE;
    }
  return TRUE;
}

static char *
journal_path (const Where *where)
{
  return g_strdup_printf ("%s/.%s" JOURNAL_SUFFIX, where->parent, where->name);
}

static gboolean
set_errno_error (GError     **error,
                 int          saved,
                 const char  *format_what,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "%s “%s”: %s", format_what, path, g_strerror (saved));
  return FALSE;
}

static gboolean
sync_dir (const char  *path,
          GError     **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) < 0)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      return set_errno_error (error, saved, _("Cannot sync the folder"), path);
    }
  close (fd);
  return TRUE;
}

static gboolean
remove_at (int          parent_fd,
           const char  *name,
           const char  *shown,
           GError     **error)
{
  struct stat st;

  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      return set_errno_error (error, errno, _("Cannot remove"), shown);
    }

  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      DIR *dir;
      struct dirent *de;

      if (fd < 0 || (dir = fdopendir (fd)) == NULL)
        {
          int saved = errno;
          if (fd >= 0)
            close (fd);
          return set_errno_error (error, saved, _("Cannot remove"), shown);
        }
      while ((de = readdir (dir)) != NULL)
        {
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          if (!remove_at (dirfd (dir), de->d_name, shown, error))
            {
              closedir (dir);
              return FALSE;
            }
        }
      closedir (dir);
      if (unlinkat (parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return set_errno_error (error, errno, _("Cannot remove"), shown);
      return TRUE;
    }

  if (unlinkat (parent_fd, name, 0) < 0 && errno != ENOENT)
    return set_errno_error (error, errno, _("Cannot remove"), shown);
  return TRUE;
}

gboolean
osi_remove_tree (const char  *path,
                 GError     **error)
{
  g_autofree char *parent = NULL;
  g_autofree char *name = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);

  parent = g_path_get_dirname (path);
  name = g_path_get_basename (path);
  fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      return set_errno_error (error, errno, _("Cannot remove"), path);
    }
  ok = remove_at (fd, name, path, error);
  close (fd);
  return ok;
}

char *
osi_swap_make_staging (const char  *data_dir,
                       GError     **error)
{
  g_auto(Where) where = { 0 };
  g_autofree char *tmpl = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (!where_init (&where, data_dir, error))
    return NULL;
  tmpl = g_strdup_printf ("%s/.%s" STAGING_INFIX "XXXXXX", where.parent, where.name);
  if (g_mkdtemp_full (tmpl, 0755) == NULL)
    {
      set_errno_error (error, errno, _("Cannot create a staging folder beside"), data_dir);
      return NULL;
    }
  return g_steal_pointer (&tmpl);
}

/* The journal is what makes step 3 decidable after a crash: it names the
 * staging folder and the inode that the data directory has once the
 * exchange happened. */
static gboolean
write_journal (const Where  *where,
               const char   *staging_name,
               guint64       inode,
               GError      **error)
{
  g_autofree char *path = journal_path (where);
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT "\n%s\n", inode, staging_name);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  gsize len = strlen (text);
  int fd;

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return set_errno_error (error, errno, _("Cannot write the journal"), tmp);
  if (write (fd, text, len) != (ssize_t)len || fsync (fd) < 0)
    {
      int saved = errno;
      close (fd);
      g_unlink (tmp);
      return set_errno_error (error, saved ? saved : EIO, _("Cannot write the journal"), tmp);
    }
  close (fd);
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      g_unlink (tmp);
      return set_errno_error (error, saved, _("Cannot write the journal"), path);
    }
  return sync_dir (where->parent, error);
}

static gboolean
read_journal (const Where  *where,
              guint64      *inode,
              char        **staging_name)
{
  g_autofree char *path = journal_path (where);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", 3);
  if (g_strv_length (lines) < 2 || lines[1][0] == '\0' ||
      strchr (lines[1], '/') != NULL ||
      !g_str_has_prefix (lines[1], ".") ||
      !g_ascii_string_to_unsigned (lines[0], 10, 0, G_MAXUINT64, inode, NULL))
    return FALSE;
  *staging_name = g_strdup (lines[1]);
  return TRUE;
}

gboolean
_osi_swap_commit_until (const char   *data_dir,
                        const char   *staging_dir,
                        OsiSwapStep   stop_after,
                        GError      **error)
{
  g_auto(Where) where = { 0 };
  g_autofree char *staging_name = NULL;
  g_autofree char *staging_parent = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *live = NULL;
  g_autofree char *staged = NULL;
  struct stat st;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (staging_dir != NULL, FALSE);

  if (!where_init (&where, data_dir, error))
    return FALSE;

  staging_name = g_path_get_basename (staging_dir);
  staging_parent = g_path_get_dirname (staging_dir);
  {
    g_autofree char *a = g_canonicalize_filename (staging_parent, NULL);
    if (strcmp (a, where.parent) != 0)
      {
        g_set_error (error, OSI_ERROR, OSI_ERROR_SWAP_FAILED,
                     _("The staging folder must be beside the data folder."));
        return FALSE;
      }
  }

  live = g_build_filename (where.parent, where.name, NULL);
  staged = g_build_filename (where.parent, staging_name, NULL);
  journal = journal_path (&where);

  if (lstat (staged, &st) < 0 || !S_ISDIR (st.st_mode))
    return set_errno_error (error, errno ? errno : ENOTDIR, _("Cannot use the staging folder"), staged);

  if (stop_after == OSI_SWAP_STEP_STAGED)
    return TRUE;

  /* 2 */
  if (!write_journal (&where, staging_name, (guint64)st.st_ino, error))
    return FALSE;
  if (stop_after == OSI_SWAP_STEP_JOURNALED)
    return TRUE;

  /* 3: the commit point */
  if (renameat2 (AT_FDCWD, staged, AT_FDCWD, live, RENAME_EXCHANGE) < 0)
    {
      int saved = errno;

      if (saved == ENOENT && access (live, F_OK) != 0)
        {
          /* No live data yet: a plain rename is atomic too. */
          if (renameat2 (AT_FDCWD, staged, AT_FDCWD, live, RENAME_NOREPLACE) < 0)
            saved = errno;
          else
            saved = 0;
        }
      if (saved != 0)
        {
          g_unlink (journal);
          g_set_error (error, OSI_ERROR, OSI_ERROR_SWAP_FAILED,
                       _("Cannot swap the data folder atomically: %s. The current data is untouched."),
                       g_strerror (saved));
          return FALSE;
        }
    }
  if (!sync_dir (where.parent, error))
    return FALSE;
  if (stop_after == OSI_SWAP_STEP_EXCHANGED)
    return TRUE;

  /* 4: the old data now sits under the staging name */
  if (!osi_remove_tree (staged, error))
    return FALSE;
  if (stop_after == OSI_SWAP_STEP_CLEANED)
    return TRUE;

  /* 5 */
  if (g_unlink (journal) < 0 && errno != ENOENT)
    return set_errno_error (error, errno, _("Cannot remove"), journal);
  return sync_dir (where.parent, error);
}

gboolean
osi_swap_commit (const char  *data_dir,
                 const char  *staging_dir,
                 GError     **error)
{
  return _osi_swap_commit_until (data_dir, staging_dir, OSI_SWAP_STEP_NONE, error);
}

gboolean
osi_swap_recover (const char  *data_dir,
                  GError     **error)
{
  g_auto(Where) where = { 0 };
  g_autofree char *journal = NULL;
  g_autofree char *staging_name = NULL;
  g_autofree char *prefix = NULL;
  guint64 inode = 0;
  GDir *dir;
  const char *name;

  g_return_val_if_fail (data_dir != NULL, FALSE);

  if (!where_init (&where, data_dir, error))
    return FALSE;
  journal = journal_path (&where);

  if (read_journal (&where, &inode, &staging_name))
    {
      g_autofree char *live = g_build_filename (where.parent, where.name, NULL);
      g_autofree char *staged = g_build_filename (where.parent, staging_name, NULL);
      struct stat st;

      if (lstat (live, &st) < 0 && lstat (staged, &st) == 0 && (guint64)st.st_ino == inode)
        {
          /* The first restore of an empty place: finish it. */
          if (rename (staged, live) < 0)
            return set_errno_error (error, errno, _("Cannot recover the data folder"), live);
        }
      /* Whatever the staging name holds now is not the live data: before
       * the exchange, the new data never committed; after it, the old. */
      if (!osi_remove_tree (staged, error))
        return FALSE;
      g_unlink (journal);
      if (!sync_dir (where.parent, error))
        return FALSE;
    }
  else
    {
      g_autofree char *tmp = g_strconcat (journal, ".tmp", NULL);
      g_unlink (journal);
      g_unlink (tmp);
    }

  /* Staging folders without a journal never reached step 2. */
  prefix = g_strdup_printf (".%s" STAGING_INFIX, where.name);
  dir = g_dir_open (where.parent, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          if (g_str_has_prefix (name, prefix))
            {
              g_autofree char *path = g_build_filename (where.parent, name, NULL);
              if (!osi_remove_tree (path, error))
                {
                  g_dir_close (dir);
                  return FALSE;
                }
            }
        }
      g_dir_close (dir);
    }

  return TRUE;
}

gboolean
osi_swap_restore_archive (const char              *data_dir,
                          const char              *archive_path,
                          const OsiArchiveLimits  *limits,
                          OsiVerifyReport        **out_report,
                          OsiProgressFunc          progress,
                          gpointer                 progress_data,
                          GCancellable            *cancellable,
                          GError                 **error)
{
  g_autofree char *staging = NULL;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (archive_path != NULL, FALSE);

  if (!osi_swap_recover (data_dir, error))
    return FALSE;

  staging = osi_swap_make_staging (data_dir, error);
  if (staging == NULL)
    return FALSE;

  if (!osi_archive_extract (archive_path, staging, limits, out_report, progress, progress_data,
                            cancellable, error) ||
      !osi_swap_commit (data_dir, staging, error))
    {
      osi_remove_tree (staging, NULL);
      return FALSE;
    }

  return TRUE;
}

typedef struct
{
  char             *data_dir;
  char             *archive_path;
  OsiArchiveLimits  limits;
  OsiProgressRelay *relay;
  OsiVerifyReport  *report;
} RestoreJob;

static void
restore_job_free (gpointer data)
{
  RestoreJob *job = data;

  g_free (job->data_dir);
  g_free (job->archive_path);
  g_clear_pointer (&job->relay, osi_progress_relay_unref);
  g_clear_object (&job->report);
  g_free (job);
}

static void
restore_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  RestoreJob *job = task_data;
  GError *error = NULL;

  if (osi_swap_restore_archive (job->data_dir, job->archive_path, &job->limits, &job->report,
                                job->relay != NULL ? osi_progress_relay_report : NULL, job->relay,
                                cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
osi_swap_restore_archive_async (const char              *data_dir,
                                const char              *archive_path,
                                const OsiArchiveLimits  *limits,
                                OsiProgressFunc          progress,
                                gpointer                 progress_data,
                                GCancellable            *cancellable,
                                GAsyncReadyCallback      callback,
                                gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  RestoreJob *job;

  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (archive_path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, osi_swap_restore_archive_async);
  job = g_new0 (RestoreJob, 1);
  job->data_dir = g_strdup (data_dir);
  job->archive_path = g_strdup (archive_path);
  if (limits != NULL)
    job->limits = *limits;
  else
    osi_archive_limits_init (&job->limits);
  if (progress != NULL)
    job->relay = osi_progress_relay_new (progress, progress_data);
  g_task_set_task_data (task, job, restore_job_free);
  g_task_run_in_thread (task, restore_thread);
}

gboolean
osi_swap_restore_archive_finish (GAsyncResult     *result,
                                 OsiVerifyReport **out_report,
                                 GError          **error)
{
  RestoreJob *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osi_swap_restore_archive_async, FALSE);

  job = g_task_get_task_data (G_TASK (result));
  if (out_report != NULL)
    *out_report = job->report != NULL ? g_object_ref (job->report) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}
