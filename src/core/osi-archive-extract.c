/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-archive.h"
#include "osi-archive-private.h"
#include "osi-error.h"

/* Extraction: the one pass of osi-archive-read.c, writing what it reads
 * into a fresh staging folder, never through a symlink, with the
 * archive's permissions narrowed. */
void
_osi_archive_scan_write_failed (Scan       *scan,
                                const char *path,
                                int         saved_errno)
{
  osi_verify_report_add_finding (scan->report, OSI_FINDING_WRITE_FAILED, path,
                                 g_strerror (saved_errno));
  if (!scan->write_failed)
    scan->write_errno = saved_errno;
  scan->write_failed = TRUE;
  scan->aborted = TRUE;
}

/* The process's umask, read without umask (2), which would change it for
 * every thread for an instant: Linux shows it in /proc/self/status (4.7
 * and later). Where it cannot be read, the narrowest usual one. */
static mode_t
process_umask (void)
{
  g_autofree char *status = NULL;
  const char *field;
  char *end;
  guint64 value;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (field = strstr (status, "\nUmask:")) == NULL)
    return 077;
  field += strlen ("\nUmask:");
  while (*field == ' ' || *field == '\t')
    field++;
  value = g_ascii_strtoull (field, &end, 8);
  if (end == field || value > 0777)
    return 077;
  return (mode_t)value;
}

/* What an extracted file or folder gets: the archive's permissions, never
 * setuid, setgid or sticky, narrowed by the umask, never wider. */
static mode_t
scan_extracted_mode (Scan   *scan,
                     mode_t  archived)
{
  return archived & (S_IRWXU | S_IRWXG | S_IRWXO) & ~scan->umask;
}

/* Opens (creating as needed) the folder that will hold path, inside the
 * staging root, never following a symlink. The last one is cached since
 * archives list a folder's files together. */
static int
scan_open_parent (Scan        *scan,
                  const char  *path,
                  const char **out_leaf)
{
  const char *slash = strrchr (path, '/');
  g_autofree char *dir = slash != NULL ? g_strndup (path, (gsize)(slash - path)) : g_strdup ("");
  g_auto(GStrv) parts = NULL;
  int fd;

  *out_leaf = slash != NULL ? slash + 1 : path;

  if (scan->dir_fd >= 0 && g_strcmp0 (scan->dir_path, dir) == 0)
    return scan->dir_fd;

  if (scan->dir_fd >= 0)
    close (scan->dir_fd);
  scan->dir_fd = -1;
  g_clear_pointer (&scan->dir_path, g_free);

  fd = openat (scan->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;

  parts = g_strsplit (dir, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      int next;

      if (parts[i][0] == '\0')
        continue;
      next = openat (fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 && errno == ENOENT)
        {
          if (mkdirat (fd, parts[i], 0755) < 0 && errno != EEXIST)
            {
              int saved = errno;
              close (fd);
              errno = saved;
              return -1;
            }
          next = openat (fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (next < 0)
        {
          int saved = errno;
          close (fd);
          errno = saved;
          return -1;
        }
      close (fd);
      fd = next;
    }

  scan->dir_fd = fd;
  scan->dir_path = g_steal_pointer (&dir);
  return fd;
}

void
_osi_archive_scan_make_dir (Scan       *scan,
                            const char *path,
                            mode_t      archived)
{
  const char *leaf;
  int parent;
  int fd;

  if (scan->root_fd < 0 || scan->write_failed)
    return;

  parent = scan_open_parent (scan, path, &leaf);
  if (parent < 0)
    {
      _osi_archive_scan_write_failed (scan, path, errno);
      return;
    }
  if (mkdirat (parent, leaf, 0700) < 0 && errno != EEXIST)
    {
      _osi_archive_scan_write_failed (scan, path, errno);
      return;
    }
  /* Made now or earlier as some file's parent: its mode is the archive's
   * either way, and always the owner's to fill and, later, to remove. */
  fd = openat (parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fchmod (fd, scan_extracted_mode (scan, archived) | S_IRWXU) < 0)
    _osi_archive_scan_write_failed (scan, path, errno);
  if (fd >= 0)
    close (fd);
}

int
_osi_archive_scan_create_file (Scan       *scan,
                               const char *path)
{
  const char *leaf;
  int parent;
  int fd;

  parent = scan_open_parent (scan, path, &leaf);
  if (parent < 0)
    {
      _osi_archive_scan_write_failed (scan, path, errno);
      return -1;
    }
  /* O_EXCL | O_NOFOLLOW: nothing already there is ever written through. */
  fd = openat (parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    _osi_archive_scan_write_failed (scan, path, errno);
  return fd;
}

void
_osi_archive_scan_finish_file (Scan                 *scan,
                               int                   fd,
                               struct archive_entry *entry,
                               const char           *path)
{
  struct timespec times[2];

  /* Written as 0600, given its mode once whole. */
  if (fchmod (fd, scan_extracted_mode (scan, archive_entry_perm (entry))) < 0)
    _osi_archive_scan_write_failed (scan, path, errno);
  times[0].tv_sec = archive_entry_mtime (entry);
  times[0].tv_nsec = 0;
  times[1] = times[0];
  futimens (fd, times);
}

/* A bare knowledge base, read from src, as the only file of the staging
 * folder. */
gboolean
_osi_archive_scan_copy_into_staging (Scan *scan,
                                     int   src)
{
  int out;

  if (lseek (src, 0, SEEK_SET) < 0)
    return FALSE;
  out = _osi_archive_scan_create_file (scan, OSI_RAG_PATH);
  if (out < 0)
    return FALSE;
  for (;;)
    {
      ssize_t n = read (src, scan->buffer, OSI_ARCHIVE_IO_BLOCK);
      int saved;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if (!osi_write_all (out, scan->buffer, (gsize)n, &saved))
        {
          _osi_archive_scan_write_failed (scan, OSI_RAG_PATH, saved);
          break;
        }
    }
  /* A bare knowledge base has no mode of its own: a new file's. */
  if (!scan->write_failed && fchmod (out, scan_extracted_mode (scan, 0644)) < 0)
    _osi_archive_scan_write_failed (scan, OSI_RAG_PATH, errno);
  close (out);
  return !scan->write_failed;
}

gboolean
_osi_archive_scan_open_staging (Scan        *scan,
                                const char  *staging_dir,
                                GError     **error)
{
  scan->umask = process_umask ();
  scan->root_fd = open (staging_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (scan->root_fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open the staging folder “%s”: %s"), staging_dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

void
_osi_archive_scan_close_staging (Scan *scan)
{
  if (scan->root_fd < 0)
    return;
  /* One syncfs for the whole tree rather than an fsync per file. */
  if (osi_verify_report_get_verdict (scan->report) != OSI_VERDICT_NOT_RESTORABLE &&
      syncfs (scan->root_fd) < 0)
    _osi_archive_scan_write_failed (scan, NULL, errno);
  close (scan->root_fd);
  scan->root_fd = -1;
}

gboolean
_osi_archive_extract (const ScanRequest  *request,
                      const char         *staging_dir,
                      OsiVerifyReport   **out_report,
                      GCancellable       *cancellable,
                      GError            **error)
{
  g_autoptr(OsiVerifyReport) report = NULL;
  OsiVerdict verdict;
  int write_errno = 0;

  g_return_val_if_fail (staging_dir != NULL, FALSE);

  report = _osi_archive_scan_run (request, staging_dir, &write_errno, cancellable, error);
  if (report == NULL)
    return FALSE;

  verdict = osi_verify_report_get_verdict (report);
  if (out_report != NULL)
    *out_report = g_object_ref (report);

  if (verdict == OSI_VERDICT_UNPROVEN && !(request->limits != NULL && request->limits->allow_unproven))
    {
      g_set_error (error, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED,
                   _("The backup has no manifest: its integrity cannot be proven, so it was not restored."));
      return FALSE;
    }

  if (verdict == OSI_VERDICT_NOT_RESTORABLE)
    {
      GPtrArray *findings = osi_verify_report_get_findings (report);
      const OsiFinding *first = g_ptr_array_index (findings, 0);

      /* Not the archive's fault: what the disk said, so that a full one
       * reads as such (a server's 507). */
      if (write_errno == ENOSPC || write_errno == EDQUOT)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "%s",
                     _("Not enough disk space beside the data folder to restore the backup: free some space "
                       "and try again. Nothing was changed."));
      else if (osi_verify_report_has_finding (report, OSI_FINDING_WRITE_FAILED))
        g_set_error (error, G_IO_ERROR, write_errno != 0 ? g_io_error_from_errno (write_errno) : G_IO_ERROR_FAILED,
                     "%s", first->message);
      else
        g_set_error (error, OSI_ERROR, OSI_ERROR_VERIFICATION_FAILED,
                     _("The backup failed verification and was not restored: %s"),
                     first->message);
      return FALSE;
    }

  return TRUE;
}

gboolean
osi_archive_extract_fd (int                      archive_fd,
                        const char              *archive_name,
                        const char              *staging_dir,
                        const OsiArchiveLimits  *limits,
                        OsiVerifyReport        **out_report,
                        GCancellable            *cancellable,
                        GError                 **error)
{
  ScanRequest request = { .fd = archive_fd, .name = archive_name, .limits = limits };

  return _osi_archive_extract (&request, staging_dir, out_report, cancellable, error);
}

gboolean
osi_archive_extract (const char              *archive_path,
                     const char              *staging_dir,
                     const OsiArchiveLimits  *limits,
                     OsiVerifyReport        **out_report,
                     GCancellable            *cancellable,
                     GError                 **error)
{
  return osi_archive_extract_fd (-1, archive_path, staging_dir, limits, out_report, cancellable, error);
}
