/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-backup-info.h"
#include "osi-error.h"
#include "osi-open.h"
#include "osi-archive-private.h"
#include "osi-swap.h"

/* The one pattern of staging names, PARENT/.NAME.osi-staging.XXXXXX, where
 * g_mkdtemp () fills XXXXXX with ASCII letters and digits: the swap makes
 * its staging folders from it, and recovery touches nothing whose name
 * does not match it exactly (staging_name_matches), whether the name comes
 * from a listing of PARENT or from the journal. */
#define STAGING_INFIX  ".osi-staging."
#define STAGING_RANDOM "XXXXXX"
#define JOURNAL_SUFFIX ".osi-swap"
#define JOURNAL_TMP    ".tmp"
/* "INODE\nNAME\n", or "INODE\nNAME\nTAG\n" for a swap that keeps the
 * old data; NAME at most 255 bytes, TAG at most 201 */
#define JOURNAL_MAX_BYTES 512
/* PARENT/.NAME.osi-retired.TAG: the old data a swap kept, until its owner
 * archived it (osi_swap_list_retired ()); TAG is a backup name's stem. */
#define RETIRED_INFIX  ".osi-retired."

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

static char *
journal_tmp_path (const Where *where)
{
  return g_strdup_printf ("%s/.%s" JOURNAL_SUFFIX JOURNAL_TMP, where->parent, where->name);
}

/* ".NAME.osi-staging.": what every staging name of this data folder
 * starts with. */
static char *
staging_prefix (const Where *where)
{
  return g_strdup_printf (".%s" STAGING_INFIX, where->name);
}

/* Whether name (a bare name in PARENT) is one osi_swap_make_staging ()
 * can have made for this data folder. Neither ".", "..", nor anything with
 * a '/' can match. */
static gboolean
staging_name_matches (const Where *where,
                      const char  *name)
{
  g_autofree char *prefix = staging_prefix (where);
  gsize prefix_len = strlen (prefix);
  const char *random;

  if (strncmp (name, prefix, prefix_len) != 0)
    return FALSE;
  random = name + prefix_len;
  if (strlen (random) != strlen (STAGING_RANDOM))
    return FALSE;
  for (const char *c = random; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c))
      return FALSE;
  return TRUE;
}

/* Whether tag may name a retired folder: what a backup name may be
 * (docs/api.md §2), so that it is one path component and never "." or
 * "..". */
static gboolean
tag_is_valid (const char *tag)
{
  return tag != NULL && osi_backup_name_is_valid (tag);
}

static char *
retired_prefix (const Where *where)
{
  return g_strdup_printf (".%s" RETIRED_INFIX, where->name);
}

static char *
retired_path (const Where *where,
              const char  *tag)
{
  return g_strdup_printf ("%s/.%s" RETIRED_INFIX "%s", where->parent, where->name, tag);
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
      return osi_set_error_from_errno (error, saved, _("Cannot sync the folder “%s”"), path);
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
      return osi_set_error_from_errno (error, errno, _("Cannot remove “%s”"), shown);
    }

  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      g_autoptr(GPtrArray) names = fd >= 0 ? osi_read_dir_names (fd) : NULL;
      gboolean ok = TRUE;

      if (names == NULL)
        {
          int saved = errno;
          if (fd >= 0)
            close (fd);
          return osi_set_error_from_errno (error, saved, _("Cannot remove “%s”"), shown);
        }
      for (guint i = 0; ok && i < names->len; i++)
        ok = remove_at (fd, g_ptr_array_index (names, i), shown, error);
      close (fd);
      if (!ok)
        return FALSE;
      if (unlinkat (parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return osi_set_error_from_errno (error, errno, _("Cannot remove “%s”"), shown);
      return TRUE;
    }

  if (unlinkat (parent_fd, name, 0) < 0 && errno != ENOENT)
    return osi_set_error_from_errno (error, errno, _("Cannot remove “%s”"), shown);
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
      return osi_set_error_from_errno (error, errno, _("Cannot remove “%s”"), path);
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
  g_autofree char *prefix = NULL;
  g_autofree char *tmpl = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (!where_init (&where, data_dir, error))
    return NULL;
  prefix = staging_prefix (&where);
  tmpl = g_strconcat (where.parent, "/", prefix, STAGING_RANDOM, NULL);
  /* 0700 until the swap, which gives it the live folder's mode: what it
   * holds (config/ and its secrets) is reachable by nobody else meanwhile. */
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    {
      osi_set_error_from_errno (error, errno, _("Cannot create a staging folder beside “%s”"), data_dir);
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
               const char   *keep_as,
               GError      **error)
{
  g_autofree char *path = journal_path (where);
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT "\n%s\n%s%s", inode, staging_name,
                                           keep_as != NULL ? keep_as : "", keep_as != NULL ? "\n" : "");
  g_autofree char *tmp = journal_tmp_path (where);
  gsize len = strlen (text);
  int fd;

  /* O_EXCL: whatever sits at that name (osi_swap_recover () removed our
   * own leftover) is neither followed nor truncated. */
  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return osi_set_error_from_errno (error, errno, _("Cannot write the journal “%s”"), tmp);
  if (write (fd, text, len) != (ssize_t)len || fsync (fd) < 0)
    {
      int saved = errno;
      close (fd);
      g_unlink (tmp);
      return osi_set_error_from_errno (error, saved ? saved : EIO, _("Cannot write the journal “%s”"), tmp);
    }
  close (fd);
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      g_unlink (tmp);
      return osi_set_error_from_errno (error, saved, _("Cannot write the journal “%s”"), path);
    }
  return sync_dir (where->parent, error);
}

typedef enum
{
  JOURNAL_NONE,
  JOURNAL_VALID,
  JOURNAL_INVALID,
} JournalState;

/* Reads the journal "INODE\nNAME\n[TAG\n]", with NAME a staging name of
 * this data folder and nothing else: it is the one file recovery takes a
 * path to remove from, so anything else is logged and ignored. TAG, when
 * there, names the retired folder the old data goes to. */
static JournalState
read_journal (const Where  *where,
              guint64      *inode,
              char        **staging_name,
              char        **keep_as)
{
  static const char bad_name[] = "it names no staging folder of this data folder";
  g_autofree char *path = journal_path (where);
  g_auto(GStrv) lines = NULL;
  const char *why = NULL;
  g_autoptr(GError) open_error = NULL;
  char text[JOURNAL_MAX_BYTES + 1];
  gsize len = 0;
  int fd;

  /* Not a FIFO, a symlink or a huge file either. */
  fd = osi_open_regular_at (AT_FDCWD, path, OSI_OPEN_NONE, NULL, &open_error);
  if (fd < 0 && g_error_matches (open_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return JOURNAL_NONE;
  if (fd < 0)
    why = open_error->message;
  else
    {
      ssize_t n;

      do
        n = read (fd, text, sizeof text - 1);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        why = g_strerror (errno);
      else if ((gsize)n == sizeof text - 1)
        why = "too long";
      else
        len = (gsize)n;
    }
  if (fd >= 0)
    close (fd);

  if (why == NULL)
    {
      guint n;

      text[len] = '\0';
      lines = g_strsplit (text, "\n", -1);
      n = g_strv_length (lines);
      if (len != strlen (text) || (n != 3 && n != 4) || lines[n - 1][0] != '\0' ||
          !g_ascii_string_to_unsigned (lines[0], 10, 0, G_MAXUINT64, inode, NULL) ||
          (n == 4 && !tag_is_valid (lines[2])))
        why = "malformed";
      else if (!staging_name_matches (where, lines[1]))
        why = bad_name;
    }

  if (why != NULL)
    {
      g_autofree char *shown = g_strescape (lines != NULL && why == bad_name ? lines[1] : "", NULL);

      /* A message, not a warning: a file on disk, not a bug, and the
       * server goes on. */
      g_message ("Ignoring the restore journal %s (%s%s%s): nothing it names is touched",
                 path, why, *shown ? ": " : "", shown);
      return JOURNAL_INVALID;
    }

  *staging_name = g_strdup (lines[1]);
  *keep_as = g_strv_length (lines) == 4 ? g_strdup (lines[2]) : NULL;
  return JOURNAL_VALID;
}

/* The restored folder takes the live one's place, and so its mode and
 * owner: a 0700 data folder stays 0700. With no live folder yet (a first
 * restore) it keeps the 0700 it was made with. Done last before the
 * exchange, so that the staging folder is 0700 while it fills. */
/* nftw () takes no user data: the owner to give, set by the only caller
 * (restores are one at a time). */
static uid_t tree_uid;
static gid_t tree_gid;

static int
chown_entry (const char        *path,
             const struct stat *st,
             int                type,
             struct FTW        *ftw)
{
  if (ftw->level == 0 || (st->st_uid == tree_uid && st->st_gid == tree_gid))
    return 0;
  return lchown (path, tree_uid, tree_gid) < 0 ? errno : 0;
}

/* What a server running as root restores into another user's data folder
 * belongs to that user, as the folder does: files kept 0600 stay
 * readable by the service that owns the data. */
static int
chown_tree (const char *staged,
            uid_t       uid,
            gid_t       gid)
{
  tree_uid = uid;
  tree_gid = gid;
  return nftw (staged, chown_entry, 16, FTW_PHYS | FTW_MOUNT);
}

static gboolean
adopt_live_attributes (const char  *live,
                       const char  *staged,
                       GError     **error)
{
  struct stat live_st;
  struct stat staged_st;
  int fd;

  if (stat (live, &live_st) < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      return osi_set_error_from_errno (error, errno, _("Cannot read the data folder “%s”"), live);
    }
  if (!S_ISDIR (live_st.st_mode))
    return TRUE; /* the exchange itself refuses */

  fd = open (staged, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return osi_set_error_from_errno (error, errno, _("Cannot use the staging folder “%s”"), staged);
  if (fstat (fd, &staged_st) == 0 && (staged_st.st_uid != live_st.st_uid || staged_st.st_gid != live_st.st_gid))
    {
      int failed = chown_tree (staged, live_st.st_uid, live_st.st_gid);

      if (failed != 0)
        {
          close (fd);
          return osi_set_error_from_errno (error, failed > 0 ? failed : errno,
                                           _("Cannot give the restored folder the owner and permissions of “%s”"),
                                           live);
        }
    }
  /* The owner first: a chown clears the setgid bit. */
  if (fstat (fd, &staged_st) < 0 ||
      ((staged_st.st_uid != live_st.st_uid || staged_st.st_gid != live_st.st_gid) &&
       fchown (fd, live_st.st_uid, live_st.st_gid) < 0) ||
      fchmod (fd, live_st.st_mode & 07777) < 0)
    {
      int saved = errno;
      close (fd);
      return osi_set_error_from_errno (error, saved,
                                       _("Cannot give the restored folder the owner and permissions of “%s”"),
                                       live);
    }
  close (fd);
  return TRUE;
}

/* Step 4 of a swap that keeps the old data: from the staging name, which
 * holds it after the exchange, to the retired name for keep_as. Nothing
 * there (a first restore, or done before a crash) is nothing to do. */
static gboolean
retire (const Where  *where,
        const char   *staged,
        const char   *keep_as,
        GError      **error)
{
  g_autofree char *retired = retired_path (where, keep_as);
  struct stat st;

  if (lstat (staged, &st) < 0 && errno == ENOENT)
    return TRUE;
  if (renameat2 (AT_FDCWD, staged, AT_FDCWD, retired, RENAME_NOREPLACE) < 0)
    return osi_set_error_from_errno (error, errno, _("Cannot keep the current data as “%s”"), retired);
  return sync_dir (where->parent, error);
}

gboolean
_osi_swap_commit_until (const char   *data_dir,
                        const char   *staging_dir,
                        const char   *keep_as,
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
  g_return_val_if_fail (keep_as == NULL || tag_is_valid (keep_as), FALSE);

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
  /* Recovery would not take a journal naming anything else. */
  if (!staging_name_matches (&where, staging_name))
    {
      g_set_error (error, OSI_ERROR, OSI_ERROR_SWAP_FAILED,
                   _("“%s” is not a staging folder made for this data folder."), staging_dir);
      return FALSE;
    }

  live = g_build_filename (where.parent, where.name, NULL);
  staged = g_build_filename (where.parent, staging_name, NULL);
  journal = journal_path (&where);

  if (lstat (staged, &st) < 0 || !S_ISDIR (st.st_mode))
    return osi_set_error_from_errno (error, errno ? errno : ENOTDIR, _("Cannot use the staging folder “%s”"),
                                     staged);

  if (stop_after == OSI_SWAP_STEP_STAGED)
    return TRUE;

  /* The old data kept must not land on a folder kept before. */
  if (keep_as != NULL)
    {
      g_autofree char *retired = retired_path (&where, keep_as);

      if (lstat (retired, &st) == 0 || errno != ENOENT)
        return osi_set_error_from_errno (error, EEXIST, _("Cannot keep the current data as “%s”"), retired);
      if (lstat (staged, &st) < 0)
        return osi_set_error_from_errno (error, errno, _("Cannot use the staging folder “%s”"), staged);
    }

  /* 2 */
  if (!write_journal (&where, staging_name, (guint64)st.st_ino, keep_as, error))
    return FALSE;
  if (stop_after == OSI_SWAP_STEP_JOURNALED)
    return TRUE;

  if (!adopt_live_attributes (live, staged, error))
    {
      g_unlink (journal);
      return FALSE;
    }

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

  /* 4: the old data now sits under the staging name: deleted, or kept
   * for the caller. With no old data (a first restore) there is none. */
  if (keep_as != NULL)
    {
      if (!retire (&where, staged, keep_as, error))
        return FALSE;
    }
  else if (!osi_remove_tree (staged, error))
    return FALSE;
  if (stop_after == OSI_SWAP_STEP_CLEANED)
    return TRUE;

  /* 5 */
  if (g_unlink (journal) < 0 && errno != ENOENT)
    return osi_set_error_from_errno (error, errno, _("Cannot remove “%s”"), journal);
  return sync_dir (where.parent, error);
}

gboolean
osi_swap_commit (const char  *data_dir,
                 const char  *staging_dir,
                 const char  *keep_old_as,
                 GError     **error)
{
  return _osi_swap_commit_until (data_dir, staging_dir, keep_old_as, OSI_SWAP_STEP_NONE, error);
}

gboolean
osi_swap_recover (const char  *data_dir,
                  GError     **error)
{
  g_auto(Where) where = { 0 };
  g_autofree char *journal = NULL;
  g_autofree char *journal_tmp = NULL;
  g_autofree char *staging_name = NULL;
  g_autofree char *keep_as = NULL;
  JournalState state;
  guint64 inode = 0;
  GDir *dir;
  const char *name;

  g_return_val_if_fail (data_dir != NULL, FALSE);

  if (!where_init (&where, data_dir, error))
    return FALSE;
  journal = journal_path (&where);
  journal_tmp = journal_tmp_path (&where);

  /* A journal still being written when the crash came never counted. */
  g_unlink (journal_tmp);

  state = read_journal (&where, &inode, &staging_name, &keep_as);
  if (state == JOURNAL_VALID)
    {
      g_autofree char *live = g_build_filename (where.parent, where.name, NULL);
      g_autofree char *staged = g_build_filename (where.parent, staging_name, NULL);
      struct stat st;

      if (lstat (live, &st) < 0 && lstat (staged, &st) == 0 && (guint64)st.st_ino == inode)
        {
          /* The first restore of an empty place: finish it. */
          if (rename (staged, live) < 0)
            return osi_set_error_from_errno (error, errno, _("Cannot recover the data folder “%s”"), live);
        }
      /* Whatever the staging name holds now is not the live data: before
       * the exchange, the new data never committed; after it, the old,
       * which a swap that keeps it retires. The live folder holding the
       * journal's inode tells the exchange happened. */
      if (keep_as != NULL && lstat (live, &st) == 0 && (guint64)st.st_ino == inode)
        {
          if (!retire (&where, staged, keep_as, error))
            return FALSE;
        }
      else if (!osi_remove_tree (staged, error))
        return FALSE;
      g_unlink (journal);
      if (!sync_dir (where.parent, error))
        return FALSE;
    }
  else if (state == JOURNAL_INVALID)
    {
      /* Not one the swap wrote: it cannot tell where a swap stopped, and
       * whatever it names stays as it is. */
      g_unlink (journal);
    }

  /* Staging folders without a journal never reached step 2. */
  dir = g_dir_open (where.parent, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          if (staging_name_matches (&where, name))
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

static int
compare_tags (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

/* osi_swap_restore_archive_fd () of a request, which the _async variant
 * also makes. */
static gboolean
restore_archive (const char         *data_dir,
                 const ScanRequest  *request,
                 const char         *keep_old_as,
                 OsiVerifyReport   **out_report,
                 GCancellable       *cancellable,
                 GError            **error)
{
  g_autofree char *staging = NULL;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (request->name != NULL, FALSE);

  if (!osi_swap_recover (data_dir, error))
    return FALSE;

  staging = osi_swap_make_staging (data_dir, error);
  if (staging == NULL)
    return FALSE;

  if (!_osi_archive_extract (request, staging, out_report, cancellable, error) ||
      !osi_swap_commit (data_dir, staging, keep_old_as, error))
    {
      osi_remove_tree (staging, NULL);
      return FALSE;
    }

  return TRUE;
}

static gboolean
restore_job (ArchiveJob    *job,
             GCancellable  *cancellable,
             GError       **error)
{
  ScanRequest request = { .fd = -1, .name = job->archive_path, .limits = &job->limits, .relay = job->relay };

  return restore_archive (job->other_path, &request, NULL, &job->report, cancellable, error);
}

gboolean
osi_swap_restore_archive (const char              *data_dir,
                          const char              *archive_path,
                          const OsiArchiveLimits  *limits,
                          OsiVerifyReport        **out_report,
                          GCancellable            *cancellable,
                          GError                 **error)
{
  return osi_swap_restore_archive_fd (data_dir, -1, archive_path, limits, NULL, out_report, cancellable, error);
}

gboolean
osi_swap_restore_archive_fd (const char              *data_dir,
                             int                      archive_fd,
                             const char              *archive_name,
                             const OsiArchiveLimits  *limits,
                             const char              *keep_old_as,
                             OsiVerifyReport        **out_report,
                             GCancellable            *cancellable,
                             GError                 **error)
{
  ScanRequest request = { .fd = archive_fd, .name = archive_name, .limits = limits };

  return restore_archive (data_dir, &request, keep_old_as, out_report, cancellable, error);
}

char *
osi_swap_retired_path (const char *data_dir,
                       const char *tag)
{
  g_auto(Where) where = { 0 };

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (tag_is_valid (tag), NULL);

  if (!where_init (&where, data_dir, NULL))
    return NULL;
  return retired_path (&where, tag);
}

gboolean
osi_swap_discard_retired (const char  *data_dir,
                          const char  *tag,
                          GError     **error)
{
  g_auto(Where) where = { 0 };
  g_autofree char *retired = NULL;
  g_autofree char *trash = NULL;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (tag_is_valid (tag), FALSE);

  if (!where_init (&where, data_dir, error))
    return FALSE;
  retired = retired_path (&where, tag);
  /* Under a staging name first, in one rename: a crash halfway through
   * the removal leaves a staging folder without a journal, which
   * recovery removes, never a retired folder with part of the data. */
  trash = osi_swap_make_staging (data_dir, error);
  if (trash == NULL)
    return FALSE;
  if (rename (retired, trash) < 0)
    {
      int saved = errno;

      g_rmdir (trash);
      return osi_set_error_from_errno (error, saved, _("Cannot remove “%s”"), retired);
    }
  if (!sync_dir (where.parent, error))
    return FALSE;
  return osi_remove_tree (trash, error);
}

GPtrArray *
osi_swap_list_retired (const char *data_dir)
{
  g_auto(Where) where = { 0 };
  g_autoptr(GPtrArray) tags = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *prefix = NULL;
  gsize prefix_len;
  GDir *dir;
  const char *name;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (!where_init (&where, data_dir, NULL))
    return g_steal_pointer (&tags);
  prefix = retired_prefix (&where);
  prefix_len = strlen (prefix);
  dir = g_dir_open (where.parent, 0, NULL);
  if (dir == NULL)
    return g_steal_pointer (&tags);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      struct stat st;

      if (strncmp (name, prefix, prefix_len) != 0 || !tag_is_valid (name + prefix_len))
        continue;
      path = g_build_filename (where.parent, name, NULL);
      if (lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
        g_ptr_array_add (tags, g_strdup (name + prefix_len));
    }
  g_dir_close (dir);
  g_ptr_array_sort (tags, compare_tags);
  return g_steal_pointer (&tags);
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
  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (archive_path != NULL);

  _osi_archive_job_start (_osi_archive_job_new (restore_job, archive_path, data_dir, limits, progress, progress_data),
                          osi_swap_restore_archive_async, cancellable, callback, user_data);
}

gboolean
osi_swap_restore_archive_finish (GAsyncResult     *result,
                                 OsiVerifyReport **out_report,
                                 GError          **error)
{
  return _osi_archive_job_finish (result, osi_swap_restore_archive_async, out_report, error) != NULL;
}
