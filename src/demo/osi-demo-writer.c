/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-demo-data-private.h"
#include "osi-error.h"
#include "osi-open.h"

/* The generator's plumbing: a random number stream that gives the same
 * bytes on every machine, and a file writer that never leaves half a file. */

gboolean
_osi_demo_set_file_error (GError     **error,
                          int          saved_errno,
                          const char  *path,
                          const char  *format)
{
  g_autofree char *display = g_filename_display_name (path);

  /* format is always a caller's _() literal taking one string, the
   * name: not a string the user or a file could supply. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  return osi_set_error_from_errno (error, saved_errno, format, display);
#pragma GCC diagnostic pop
}

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

void
_osi_demo_rng_init (DemoRng *rng,
                    guint32  seed,
                    guint32  stream)
{
  guint64 x = ((guint64) seed << 32) | stream;

  for (guint i = 0; i < G_N_ELEMENTS (rng->s); i++)
    rng->s[i] = splitmix64 (&x);
}

void
_osi_demo_writer_clear (DemoWriter *w)
{
  osi_abandon_temporary (&w->fd, &w->tmp_path);
  g_clear_pointer (&w->path, g_free);
  g_clear_pointer (&w->buf, g_free);
  g_clear_error (&w->error);
}

gboolean
_osi_demo_writer_open (DemoWriter    *w,
                       const char    *path,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autofree char *tmpl = g_strconcat (path, ".XXXXXX.tmp", NULL);
  int fd;

  g_assert (w->fd < 0 && w->tmp_path == NULL);

  fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return _osi_demo_set_file_error (error, errno, path,
                                     _("Cannot create a temporary file for “%s”"));

  w->fd = fd;
  w->tmp_path = g_steal_pointer (&tmpl);
  w->path = g_strdup (path);
  w->buf = g_malloc (CHUNK_SIZE);
  w->len = 0;
  w->flushed = 0;
  w->cancellable = cancellable;
  return TRUE;
}

void
_osi_demo_writer_flush (DemoWriter *w)
{
  int saved;

  if (w->error != NULL)
    return;

  /* Checked here rather than when opening, so even a small file honours a
   * cancellation and its temporary is cleaned up like a big one's. */
  if (g_cancellable_set_error_if_cancelled (w->cancellable, &w->error))
    return;

  if (!osi_write_all (w->fd, w->buf, w->len, &saved))
    {
      _osi_demo_set_file_error (&w->error, saved, w->path, _("Cannot write “%s”"));
      return;
    }

  w->flushed += w->len;
  w->len = 0;
}

void
_osi_demo_put_uint (DemoWriter *w,
                    guint64     v,
                    guint       width)
{
  char tmp[24];
  guint n = 0;

  do
    {
      tmp[sizeof tmp - 1 - n++] = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v != 0);

  while (n < width && n < sizeof tmp)
    tmp[sizeof tmp - 1 - n++] = '0';

  put (w, tmp + sizeof tmp - n, n);
}

void
_osi_demo_put_random (DemoWriter *w,
                      DemoRng    *rng,
                      guint64     n)
{
  while (n > 0 && w->error == NULL)
    {
      gsize room;
      gsize i;

      if (w->len == CHUNK_SIZE)
        {
          _osi_demo_writer_flush (w);
          continue;
        }

      room = MIN ((guint64) (CHUNK_SIZE - w->len), n);
      for (i = 0; i + 8 <= room; i += 8)
        {
          /* Little-endian so the bytes match on every architecture. */
          guint64 v = GUINT64_TO_LE (rng_next (rng));

          memcpy (w->buf + w->len + i, &v, 8);
        }
      if (i < room)
        {
          guint64 v = GUINT64_TO_LE (rng_next (rng));

          memcpy (w->buf + w->len + i, &v, room - i);
        }

      w->len += room;
      n -= room;
    }
}

gboolean
_osi_demo_writer_commit (DemoWriter  *w,
                         guint64     *total,
                         GError     **error)
{
  int fd;

  _osi_demo_writer_flush (w);
  if (w->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&w->error));
      return FALSE;
    }

  /* No fsync: demo data can always be generated again, and syncing a
   * gigabyte would swamp the benchmarks that use it. */
  fd = w->fd;
  w->fd = -1;
  if (close (fd) != 0 && errno != EINTR)
    return _osi_demo_set_file_error (error, errno, w->path,
                                     _("Cannot write “%s”"));

  if (g_rename (w->tmp_path, w->path) != 0)
    return _osi_demo_set_file_error (error, errno, w->path,
                                     _("Cannot move “%s” into place"));
  g_clear_pointer (&w->tmp_path, g_free);

  if (total != NULL)
    *total += w->flushed;
  return TRUE;
}

gboolean
_osi_demo_make_dir (const char  *path,
                    GError     **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    return _osi_demo_set_file_error (error, errno, path,
                                     _("Cannot create the folder “%s”"));
  return TRUE;
}
