/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sys/stat.h>

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  OSI_OPEN_NONE   = 0,
  /* Follow a symbolic link at the last component: only for a path the
   * user typed, never for a name found in a backup or data folder. */
  OSI_OPEN_FOLLOW = 1 << 0,
} OsiOpenFlags;

/* The one way a reader opens a file it did not write itself: NAME
 * relative to dir_fd (or AT_FDCWD), without following a symbolic link,
 * without blocking on a FIFO or a device, and only if what was opened is
 * a regular file. Whoever calls it then uses that descriptor for
 * everything (check, hash, send, verify, restore), so what was checked is
 * what is used. Returns the descriptor (blocking again, close-on-exec)
 * and its fstat () in out_st, or -1 with an error whose message is only
 * the reason, for the caller to put in its own sentence:
 * G_IO_ERROR_NOT_REGULAR_FILE for a FIFO, a device or a folder,
 * otherwise the code of errno. */
int osi_open_regular_at (int            dir_fd,
                         const char    *name,
                         OsiOpenFlags   flags,
                         struct stat   *out_st,
                         GError       **error);

/* Writes all of data to fd, again after a short write or EINTR. FALSE,
 * with errno in *out_errno, after a failure. */
gboolean osi_write_all (int            fd,
                        const void    *data,
                        gsize          len,
                        int           *out_errno);

/* The names in the folder open as dir_fd, "." and ".." left out, in the
 * order the folder gives them. It reads through a descriptor of its own:
 * dir_fd is neither closed nor moved. NULL, with errno set, when the
 * folder cannot be read. */
GPtrArray *osi_read_dir_names (int dir_fd);

/* Gives up a file being written under a temporary name: closes *fd when
 * it is open and removes *tmp_path when it is set, leaving -1 and NULL.
 * Either may already be given up. */
void     osi_abandon_temporary (int    *fd,
                                char  **tmp_path);

G_END_DECLS
