/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-open.h"

/* errno as a G_IO_ERROR, fd (unless -1) closed first; returns -1. */
static int
fail_with_errno (int      fd,
                 GError **error)
{
  int saved = errno;

  if (fd >= 0)
    close (fd);
  g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved), g_strerror (saved));
  return -1;
}

int
osi_open_regular_at (int            dir_fd,
                     const char    *name,
                     OsiOpenFlags   flags,
                     struct stat   *out_st,
                     GError       **error)
{
  struct stat st;
  int open_flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  int fd;

  g_return_val_if_fail (name != NULL, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (!(flags & OSI_OPEN_FOLLOW))
    open_flags |= O_NOFOLLOW;

  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
   * writer, for ever, on whichever thread asked. */
  do
    fd = openat (dir_fd, name, open_flags);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return fail_with_errno (-1, error);

  if (fstat (fd, &st) < 0)
    return fail_with_errno (fd, error);
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, _("it is not a regular file"));
      return -1;
    }

  /* A regular file never blocks anyway; the flag only goes so that the
   * descriptor behaves as any other for whoever reads it next. */
  if (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) < 0)
    return fail_with_errno (fd, error);

  if (out_st != NULL)
    *out_st = st;
  return fd;
}

gboolean
osi_write_all (int         fd,
               const void *data,
               gsize       len,
               int        *out_errno)
{
  const guint8 *p = data;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out_errno != NULL, FALSE);

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *out_errno = errno;
          return FALSE;
        }
      p += n;
      len -= (gsize)n;
    }
  return TRUE;
}

GPtrArray *
osi_read_dir_names (int dir_fd)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int fd = openat (dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *de;

  if (dir == NULL)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      errno = saved;
      return NULL;
    }
  while ((de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (dir);
  return g_steal_pointer (&names);
}

void
osi_abandon_temporary (int    *fd,
                       char  **tmp_path)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
  if (*tmp_path != NULL)
    g_unlink (*tmp_path);
  g_clear_pointer (tmp_path, g_free);
}
