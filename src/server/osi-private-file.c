/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "osi-private-file.h"

/* The file's text, of which at most max_size + 1 bytes are read so that
 * the caller can tell a larger file; *length is the number read, and a
 * NUL follows them. NULL when the file cannot be opened or read, or is
 * not private: *problem says which. */
char *
osi_private_file_read (const char             *path,
                       gsize                   max_size,
                       gsize                  *length,
                       OsiPrivateFileProblem  *problem)
{
  g_autofree char *text = NULL;
  struct stat st;
  gsize total = 0;
  int fd;

  g_return_val_if_fail (path != NULL && length != NULL && problem != NULL, NULL);

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      *problem = (OsiPrivateFileProblem) { OSI_PRIVATE_FILE_UNREADABLE, saved, 0 };
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      *problem = (OsiPrivateFileProblem) { OSI_PRIVATE_FILE_NOT_REGULAR, 0, 0 };
      return NULL;
    }
  if ((st.st_mode & 077) != 0)
    {
      close (fd);
      *problem = (OsiPrivateFileProblem) { OSI_PRIVATE_FILE_OPEN_TO_OTHERS, 0, st.st_mode & 0777 };
      return NULL;
    }

  text = g_malloc0 (max_size + 2);
  while (total <= max_size)
    {
      ssize_t n = read (fd, text + total, max_size + 1 - total);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          *problem = (OsiPrivateFileProblem) { OSI_PRIVATE_FILE_UNREADABLE, saved, 0 };
          return NULL;
        }
      if (n == 0)
        break;
      total += n;
    }
  close (fd);
  *length = total;
  return g_steal_pointer (&text);
}
