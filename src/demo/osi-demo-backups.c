/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-demo-data.h"
#include "osi-demo-data-private.h"
#include "osi-open.h"
#include "osi-swap.h"

/* ------------------------------------------------------------------------ */
/* Demo backups. Archiving is what costs time, so only a few distinct
 * contents are archived and every backup is a copy of one of them. */

#define KIB (G_GUINT64_CONSTANT (1024))
#define DAY_S (24 * 60 * 60)
#define HOUR_S (60 * 60)

/* Oldest first: a knowledge base grows over the months, and so do its
 * backups. */
static const guint64 backup_content_sizes[] = {
  96 * KIB, 176 * KIB, 288 * KIB, 448 * KIB,
};

/* The time before `later`, in seconds since the epoch, of the previous
 * backup: mostly days apart, at varied times of day, with now and then a
 * second backup the same day, as an administrator makes before a risky
 * change. Always at least an hour earlier, so names never collide. */
static gint64
previous_backup_time (DemoRng *rng,
                      gint64   later)
{
  guint32 kind = rng_below (rng, 100);
  gint64 day;
  guint32 n_days;
  guint32 hour;

  if (kind < 20)
    return later - rng_range (rng, HOUR_S, 11 * HOUR_S) - rng_below (rng, HOUR_S);

  if (kind < 35)
    n_days = rng_range (rng, 1, 2);
  else if (kind < 75)
    n_days = rng_range (rng, 3, 5);
  else
    n_days = rng_range (rng, 6, 9);

  /* Office hours mostly (UTC, so a little earlier than in France), and
   * some nightly runs. */
  if (rng_chance (rng, 75))
    hour = rng_range (rng, 6, 17);
  else
    hour = rng_range (rng, 0, 4);

  day = later - (later % DAY_S + DAY_S) % DAY_S;
  return day - (gint64) n_days * DAY_S + (gint64) hour * HOUR_S + rng_below (rng, HOUR_S);
}

static gboolean
write_backup_copy (const char    *backup_dir,
                   const char    *name,
                   GBytes        *contents,
                   gint64         time,
                   GError       **error)
{
  /* The server's own temporary names, which it removes at start should a
   * crash leave one behind. */
  g_autofree char *tmp_path = g_strdup_printf ("%s/.%s.XXXXXX.part", backup_dir, name);
  g_autofree char *path = g_build_filename (backup_dir, name, NULL);
  struct timespec times[2] = { { time, 0 }, { time, 0 } };
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (contents, &len);
  int errsv = 0;
  int fd;

  /* 0600 as osi_archive_create makes them: a backup holds configuration
   * secrets, even a demo one shows how real ones are kept. */
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return _osi_demo_set_file_error (error, errno, path,
                                     _("Cannot create a temporary file for “%s”"));

  osi_write_all (fd, data, len, &errsv);
  /* The server dates backups by their mtime. Set on the descriptor, before
   * the rename, so the final name never shows the wrong date. No fsync: a
   * demo folder is regenerated whenever it is found incomplete. */
  if (errsv == 0 && futimens (fd, times) != 0)
    errsv = errno;
  if (close (fd) != 0 && errno != EINTR && errsv == 0)
    errsv = errno;
  if (errsv == 0 && g_rename (tmp_path, path) != 0)
    errsv = errno;

  if (errsv != 0)
    {
      g_unlink (tmp_path);
      return _osi_demo_set_file_error (error, errsv, path, _("Cannot write “%s”"));
    }
  return TRUE;
}

/* Generates and archives the distinct contents in work_dir; returns the
 * archives' bytes, smallest content first. */
static GPtrArray *
make_backup_contents (const char    *work_dir,
                      guint          n_contents,
                      guint32        seed,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  DemoRng rng;

  g_assert (n_contents <= G_N_ELEMENTS (backup_content_sizes));

  _osi_demo_rng_init (&rng, seed, STREAM_BACKUP_CONTENTS);
  for (guint i = 0; i < n_contents; i++)
    {
      g_autofree char *name = g_strdup_printf ("content-%u", i);
      g_autofree char *data_dir = g_build_filename (work_dir, name, NULL);
      g_autofree char *archive = g_strconcat (data_dir, ".tar.zst", NULL);
      g_autofree char *bytes = NULL;
      gsize len = 0;

      /* Each content has its own seed, so the knowledge base differs from
       * one to the next and the diff view has something to show. */
      if (!osi_demo_data_generate (data_dir, backup_content_sizes[i], (guint32) rng_next (&rng),
                                   cancellable, error) ||
          !osi_archive_create (data_dir, archive, OSI_COMPRESSION_ZSTD, NULL, cancellable, error) ||
          !g_file_get_contents (archive, &bytes, &len, error))
        return NULL;

      g_ptr_array_add (contents, g_bytes_new_take (g_steal_pointer (&bytes), len));
    }

  return g_steal_pointer (&contents);
}

gboolean
osi_demo_backups_populate (const char    *backup_dir,
                           guint          count,
                           GDateTime     *newest,
                           guint32        seed,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(GPtrArray) contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *work_dir = NULL;
  guint n_contents;
  gint64 time;
  DemoRng rng;
  gboolean ok = TRUE;

  g_return_val_if_fail (backup_dir != NULL && *backup_dir != '\0', FALSE);
  g_return_val_if_fail (newest != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_osi_demo_make_dir (backup_dir, error))
    return FALSE;
  if (count == 0)
    return TRUE;

  /* In the temporary folder rather than beside backup_dir: the system
   * cleans it should we crash, and nothing there can pass for a backup. */
  work_dir = g_dir_make_tmp ("osi-demo-backups-XXXXXX", error);
  if (work_dir == NULL)
    return FALSE;

  n_contents = MIN (count, G_N_ELEMENTS (backup_content_sizes));
  contents = make_backup_contents (work_dir, n_contents, seed, cancellable, &local_error);
  if (contents == NULL)
    ok = FALSE;

  /* Newest first, walking back in time. */
  _osi_demo_rng_init (&rng, seed, STREAM_BACKUP_DATES);
  time = g_date_time_to_unix (newest);
  for (guint i = 0; ok && i < count; i++)
    {
      g_autoptr(GDateTime) date = NULL;
      g_autofree char *name = NULL;
      /* The newest backups hold the largest content. */
      guint content = n_contents - 1 - (guint) ((guint64) i * n_contents / count);

      if (i > 0)
        time = previous_backup_time (&rng, time);

      date = g_date_time_new_from_unix_utc (time);
      name = osi_archive_default_name (date, OSI_COMPRESSION_ZSTD);
      ok = !g_cancellable_set_error_if_cancelled (cancellable, &local_error) &&
           write_backup_copy (backup_dir, name, g_ptr_array_index (contents, content), time,
                              &local_error);
    }

  /* A failure to clean up a temporary folder is not worth failing for. */
  osi_remove_tree (work_dir, NULL);

  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
