/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Fault injection for tests/test-server-faults.c where no file system can
 * be mounted (a container without mount or user namespaces): preloaded
 * (LD_PRELOAD) into the test and the server it starts, it makes a folder
 * that holds a file named .osi-small-fs behave as a small file system of
 * the capacity written in that file, in bytes. Everything under the
 * folder counts, by whole 4 KiB pages as on a tmpfs; a write that would
 * go beyond the capacity writes what fits, and the next fails with
 * ENOSPC; statvfs () of a path under the folder reports the capacity and
 * what is free. Every other call passes through unchanged.
 *
 * The project writes files with write () alone (and GLib with write ()
 * and writev ()); pwrite () is covered as well. */

/* The statvfs and pwrite of this file are the plain symbols, whatever the
 * build asks of the others. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MARKER ".osi-small-fs"
#define PAGE   4096ULL

/* The test checks that it runs under the shim. */
int osi_small_fs_shim_loaded = 1;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *
real (const char *name)
{
  void *f = dlsym (RTLD_NEXT, name);

  if (f == NULL)
    abort ();
  return f;
}

static unsigned long long
pages (unsigned long long bytes)
{
  return (bytes + PAGE - 1) / PAGE;
}

/* Whether path lies in a small file system: its root is copied into
 * root, its capacity into *capacity. */
static int
find_root (const char         *path,
           char               *root,
           unsigned long long *capacity)
{
  char dir[PATH_MAX];
  size_t len = strlen (path);

  if (len == 0 || len >= sizeof dir || path[0] != '/')
    return 0;
  memcpy (dir, path, len + 1);
  for (;;)
    {
      char marker[PATH_MAX + sizeof MARKER + 1];
      char text[32];
      ssize_t n;
      char *slash;
      int fd;

      snprintf (marker, sizeof marker, "%s/%s", len == 0 ? "" : dir, MARKER);
      fd = open (marker, O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          n = read (fd, text, sizeof text - 1);
          close (fd);
          if (n <= 0)
            return 0;
          text[n] = '\0';
          *capacity = strtoull (text, NULL, 10);
          strcpy (root, len == 0 ? "/" : dir);
          return 1;
        }
      slash = strrchr (dir, '/');
      if (slash == NULL || len == 0)
        return 0;
      *slash = '\0';
      len = (size_t)(slash - dir);
    }
}

/* The pages the files under dir take (the marker aside). */
static unsigned long long
used_pages (int dir_fd)
{
  DIR *dir = fdopendir (dir_fd);
  struct dirent *de;
  unsigned long long total = 0;

  if (dir == NULL)
    {
      close (dir_fd);
      return 0;
    }
  while ((de = readdir (dir)) != NULL)
    {
      struct stat st;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0 || strcmp (de->d_name, MARKER) == 0 ||
          fstatat (dirfd (dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISREG (st.st_mode))
        total += pages ((unsigned long long)st.st_size);
      else if (S_ISDIR (st.st_mode))
        {
          int sub = openat (dirfd (dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

          if (sub >= 0)
            total += used_pages (sub);
        }
    }
  closedir (dir);
  return total;
}

static unsigned long long
used_pages_at (const char *root)
{
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  return fd < 0 ? 0 : used_pages (fd);
}

/* The path of the regular file behind fd, if it has one. */
static int
fd_path (int   fd,
         char *path)
{
  char link[64];
  struct stat st;
  ssize_t n;

  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return 0;
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink (link, path, PATH_MAX - 1);
  if (n <= 0)
    return 0;
  path[n] = '\0';
  return 1;
}

/* How many of len bytes written at offset (unless positioned: the
 * descriptor's own, or the end with O_APPEND) fit, for a file under a
 * small file system; (size_t)-1 for a file elsewhere, or the marker
 * (and its next version, MARKER.new). Called with the lock held. */
static size_t
room_for (int    fd,
          int    positioned,
          off_t  offset,
          size_t len)
{
  char path[PATH_MAX];
  char root[PATH_MAX];
  unsigned long long capacity = 0, used, free_pages, end_allowed;
  const char *base;
  struct stat st;

  if (!fd_path (fd, path) || !find_root (path, root, &capacity) || fstat (fd, &st) < 0)
    return (size_t)-1;
  base = strrchr (path, '/');
  if (base != NULL && strncmp (base + 1, MARKER, strlen (MARKER)) == 0)
    return (size_t)-1;
  if (!positioned)
    {
      int flags = fcntl (fd, F_GETFL);

      offset = (flags >= 0 && (flags & O_APPEND)) ? st.st_size : lseek (fd, 0, SEEK_CUR);
      if (offset < 0)
        return (size_t)-1;
    }
  used = used_pages_at (root);
  free_pages = capacity / PAGE > used ? capacity / PAGE - used : 0;
  /* the pages the file has, and those still free */
  end_allowed = (pages ((unsigned long long)st.st_size) + free_pages) * PAGE;
  if ((unsigned long long)offset >= end_allowed)
    return 0;
  if ((unsigned long long)offset + len <= end_allowed)
    return len;
  return (size_t)(end_allowed - (unsigned long long)offset);
}

static ssize_t
limited_write (int         fd,
               const void *buffer,
               size_t      len,
               int         positioned,
               off_t       offset)
{
  static ssize_t (*real_write) (int, const void *, size_t);
  static ssize_t (*real_pwrite) (int, const void *, size_t, off_t);
  ssize_t result;
  size_t room;

  if (real_write == NULL)
    {
      real_write = real ("write");
      real_pwrite = real ("pwrite");
    }
  if (len == 0 || (positioned && offset < 0))
    return positioned ? real_pwrite (fd, buffer, len, offset) : real_write (fd, buffer, len);

  pthread_mutex_lock (&lock);
  room = room_for (fd, positioned, offset, len);
  if (room == 0)
    {
      pthread_mutex_unlock (&lock);
      errno = ENOSPC;
      return -1;
    }
  if (room > len)
    room = len;
  result = positioned ? real_pwrite (fd, buffer, room, offset) : real_write (fd, buffer, room);
  pthread_mutex_unlock (&lock);
  return result;
}

ssize_t
write (int         fd,
       const void *buffer,
       size_t      len)
{
  return limited_write (fd, buffer, len, 0, 0);
}

ssize_t
pwrite (int         fd,
        const void *buffer,
        size_t      len,
        off_t       offset)
{
  return limited_write (fd, buffer, len, 1, offset);
}

ssize_t
pwrite64 (int         fd,
          const void *buffer,
          size_t      len,
          off64_t     offset)
{
  return limited_write (fd, buffer, len, 1, (off_t)offset);
}

ssize_t
writev (int                 fd,
        const struct iovec *iov,
        int                 iovcnt)
{
  static ssize_t (*real_writev) (int, const struct iovec *, int);
  ssize_t done = 0;

  if (real_writev == NULL)
    real_writev = real ("writev");
  {
    char path[PATH_MAX];

    if (!fd_path (fd, path))
      return real_writev (fd, iov, iovcnt);
  }
  /* A file: piece by piece, each limited; stops at the first short one. */
  for (int i = 0; i < iovcnt; i++)
    {
      ssize_t n;

      if (iov[i].iov_len == 0)
        continue;
      n = limited_write (fd, iov[i].iov_base, iov[i].iov_len, 0, 0);
      if (n < 0)
        return done > 0 ? done : -1;
      done += n;
      if ((size_t)n < iov[i].iov_len)
        break;
    }
  return done;
}

static void
report_small (const char         *root,
              unsigned long long  capacity,
              struct statvfs     *buf)
{
  unsigned long long blocks = capacity / PAGE;
  unsigned long long used = used_pages_at (root);

  buf->f_bsize = PAGE;
  buf->f_frsize = PAGE;
  buf->f_blocks = blocks;
  buf->f_bfree = blocks > used ? blocks - used : 0;
  buf->f_bavail = buf->f_bfree;
}

int
statvfs (const char     *path,
         struct statvfs *buf)
{
  static int (*real_statvfs) (const char *, struct statvfs *);
  char resolved[PATH_MAX];
  char root[PATH_MAX];
  unsigned long long capacity;
  int r;

  if (real_statvfs == NULL)
    real_statvfs = real ("statvfs");
  r = real_statvfs (path, buf);
  if (r == 0 && realpath (path, resolved) != NULL && find_root (resolved, root, &capacity))
    {
      pthread_mutex_lock (&lock);
      report_small (root, capacity, buf);
      pthread_mutex_unlock (&lock);
    }
  return r;
}

int
statvfs64 (const char       *path,
           struct statvfs64 *buf)
{
  /* the same layout on 64-bit systems */
  return statvfs (path, (struct statvfs *)buf);
}

int
fstatvfs (int             fd,
          struct statvfs *buf)
{
  static int (*real_fstatvfs) (int, struct statvfs *);
  char link[64];
  char path[PATH_MAX];
  char root[PATH_MAX];
  unsigned long long capacity;
  ssize_t n;
  int r;

  if (real_fstatvfs == NULL)
    real_fstatvfs = real ("fstatvfs");
  r = real_fstatvfs (fd, buf);
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  if (r == 0 && (n = readlink (link, path, sizeof path - 1)) > 0)
    {
      path[n] = '\0';
      if (find_root (path, root, &capacity))
        {
          pthread_mutex_lock (&lock);
          report_small (root, capacity, buf);
          pthread_mutex_unlock (&lock);
        }
    }
  return r;
}

int
fstatvfs64 (int               fd,
            struct statvfs64 *buf)
{
  return fstatvfs (fd, (struct statvfs *)buf);
}
