/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What proves, in a test, that the UI thread reaches no file: the calls
 * through which GLib and the app reach a file by its path (open, stat,
 * access, mkdir, unlink, rmdir, rename, opendir, readlink) are defined
 * again here, in the test program, which the dynamic linker prefers to
 * the C library. Each notes a call made, while a watch runs, on the
 * thread that started it, with a path under one of the folders or files
 * watched, then passes the call on. A worker's calls, and the UI
 * thread's under other paths (fonts, icons, the shader cache), go
 * through unnoted.
 *
 * Header-only, for one file of each test program that includes it. The
 * functions are named apart and given the C library's names in
 * assembler, so that they clash with no declaration of the headers:
 * both names where there are two, open64 for GLib (built with 64-bit
 * offsets), open for libraries that are not, such as GnuTLS, which reads
 * a CA file with fopen () and stat (). */

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include <glib.h>

#define OSI_IO_WATCH_MAX 4

static struct
{
  int       on;                 /* atomic */
  pthread_t thread;
  guint     n_prefixes;
  char      prefixes[OSI_IO_WATCH_MAX][PATH_MAX];
  int       hits;               /* atomic */
  char      first[PATH_MAX + 32];
} osi_io_watch;

/* Only async-signal-safe work: a forked child that has not exec'd yet
 * may come through here. */
static void
osi_io_watch_note (const char *call,
                   const char *path)
{
  if (!__atomic_load_n (&osi_io_watch.on, __ATOMIC_ACQUIRE) || path == NULL || path[0] != '/' ||
      !pthread_equal (pthread_self (), osi_io_watch.thread))
    return;
  for (guint i = 0; i < osi_io_watch.n_prefixes; i++)
    {
      const char *prefix = osi_io_watch.prefixes[i];
      size_t len = strlen (prefix);

      if (strncmp (path, prefix, len) != 0 || (path[len] != '\0' && path[len] != '/'))
        continue;
      if (__atomic_fetch_add (&osi_io_watch.hits, 1, __ATOMIC_ACQ_REL) == 0)
        {
          size_t call_len = strlen (call);
          size_t path_len = MIN (strlen (path), sizeof osi_io_watch.first - call_len - 3);

          memcpy (osi_io_watch.first, call, call_len);
          memcpy (osi_io_watch.first + call_len, " (", 2);
          memcpy (osi_io_watch.first + call_len + 2, path, path_len);
          osi_io_watch.first[call_len + 2 + path_len] = ')';
          osi_io_watch.first[call_len + 3 + path_len] = '\0';
        }
      return;
    }
}

static void *
osi_io_watch_next (const char *name)
{
  void *f = dlsym (RTLD_NEXT, name);

  if (f == NULL)
    abort ();
  return f;
}

/* Watches the calls of this thread under each of paths (absolute, at
 * most OSI_IO_WATCH_MAX, NULL-terminated) until osi_io_watch_stop (). */
static inline void
osi_io_watch_start (const char * const *paths)
{
  g_assert_false (__atomic_load_n (&osi_io_watch.on, __ATOMIC_ACQUIRE));
  osi_io_watch.thread = pthread_self ();
  osi_io_watch.n_prefixes = 0;
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_assert_cmpuint (i, <, OSI_IO_WATCH_MAX);
      g_assert_true (g_path_is_absolute (paths[i]));
      g_assert_cmpuint (strlen (paths[i]), <, PATH_MAX);
      strcpy (osi_io_watch.prefixes[i], paths[i]);
      /* "/a/b/" watches what "/a/b" does. */
      while (strlen (osi_io_watch.prefixes[i]) > 1 && g_str_has_suffix (osi_io_watch.prefixes[i], "/"))
        osi_io_watch.prefixes[i][strlen (osi_io_watch.prefixes[i]) - 1] = '\0';
      osi_io_watch.n_prefixes++;
    }
  osi_io_watch.first[0] = '\0';
  __atomic_store_n (&osi_io_watch.hits, 0, __ATOMIC_RELEASE);
  __atomic_store_n (&osi_io_watch.on, 1, __ATOMIC_RELEASE);
}

/* Ends the watch; fails the test, naming the first call, when this
 * thread reached a path watched. what: what ran meanwhile. */
static inline void
osi_io_watch_stop (const char *what)
{
  int hits;

  __atomic_store_n (&osi_io_watch.on, 0, __ATOMIC_RELEASE);
  hits = __atomic_load_n (&osi_io_watch.hits, __ATOMIC_ACQUIRE);
  if (hits > 0)
    g_error ("%s: %d file call(s) on the UI thread, the first %s", what, hits, osi_io_watch.first);
}

/* The calls. ------------------------------------------------------------- */

int osi_io_watch_open64 (const char *path, int flags, ...) __asm__ ("open64");
int osi_io_watch_openat64 (int dir_fd, const char *path, int flags, ...) __asm__ ("openat64");
int osi_io_watch_access (const char *path, int mode) __asm__ ("access");
int osi_io_watch_stat64 (const char *path, struct stat *buf) __asm__ ("stat64");
int osi_io_watch_lstat64 (const char *path, struct stat *buf) __asm__ ("lstat64");
int osi_io_watch_statx (int dir_fd, const char *path, int flags, unsigned int mask,
                        struct statx *buf) __asm__ ("statx");
int osi_io_watch_mkdir (const char *path, mode_t mode) __asm__ ("mkdir");
int osi_io_watch_unlink (const char *path) __asm__ ("unlink");
int osi_io_watch_rmdir (const char *path) __asm__ ("rmdir");
int osi_io_watch_rename (const char *from, const char *to) __asm__ ("rename");
DIR *osi_io_watch_opendir (const char *path) __asm__ ("opendir");
ssize_t osi_io_watch_readlink (const char *path, char *buf, size_t size) __asm__ ("readlink");
FILE *osi_io_watch_fopen64 (const char *path, const char *mode) __asm__ ("fopen64");
int osi_io_watch_open (const char *path, int flags, ...) __asm__ ("open");
int osi_io_watch_openat (int dir_fd, const char *path, int flags, ...) __asm__ ("openat");
int osi_io_watch_stat (const char *path, struct stat *buf) __asm__ ("stat");
int osi_io_watch_lstat (const char *path, struct stat *buf) __asm__ ("lstat");
FILE *osi_io_watch_fopen (const char *path, const char *mode) __asm__ ("fopen");

/* The mode is read only when the flags say it is there. */
static mode_t
osi_io_watch_mode (int     flags,
                   va_list args)
{
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg (args, int) : 0;
}

int
osi_io_watch_open64 (const char *path,
                     int         flags,
                     ...)
{
  static int (*next) (const char *, int, ...);
  va_list args;
  mode_t mode;

  va_start (args, flags);
  mode = osi_io_watch_mode (flags, args);
  va_end (args);
  osi_io_watch_note ("open", path);
  if (next == NULL)
    next = osi_io_watch_next ("open64");
  return next (path, flags, mode);
}

int
osi_io_watch_openat64 (int         dir_fd,
                       const char *path,
                       int         flags,
                       ...)
{
  static int (*next) (int, const char *, int, ...);
  va_list args;
  mode_t mode;

  va_start (args, flags);
  mode = osi_io_watch_mode (flags, args);
  va_end (args);
  osi_io_watch_note ("openat", path);
  if (next == NULL)
    next = osi_io_watch_next ("openat64");
  return next (dir_fd, path, flags, mode);
}

int
osi_io_watch_access (const char *path,
                     int         mode)
{
  static int (*next) (const char *, int);

  osi_io_watch_note ("access", path);
  if (next == NULL)
    next = osi_io_watch_next ("access");
  return next (path, mode);
}

int
osi_io_watch_stat64 (const char  *path,
                     struct stat *buf)
{
  static int (*next) (const char *, struct stat *);

  osi_io_watch_note ("stat", path);
  if (next == NULL)
    next = osi_io_watch_next ("stat64");
  return next (path, buf);
}

int
osi_io_watch_lstat64 (const char  *path,
                      struct stat *buf)
{
  static int (*next) (const char *, struct stat *);

  osi_io_watch_note ("lstat", path);
  if (next == NULL)
    next = osi_io_watch_next ("lstat64");
  return next (path, buf);
}

int
osi_io_watch_statx (int           dir_fd,
                    const char   *path,
                    int           flags,
                    unsigned int  mask,
                    struct statx *buf)
{
  static int (*next) (int, const char *, int, unsigned int, struct statx *);

  osi_io_watch_note ("statx", path);
  if (next == NULL)
    next = osi_io_watch_next ("statx");
  return next (dir_fd, path, flags, mask, buf);
}

int
osi_io_watch_mkdir (const char *path,
                    mode_t      mode)
{
  static int (*next) (const char *, mode_t);

  osi_io_watch_note ("mkdir", path);
  if (next == NULL)
    next = osi_io_watch_next ("mkdir");
  return next (path, mode);
}

int
osi_io_watch_unlink (const char *path)
{
  static int (*next) (const char *);

  osi_io_watch_note ("unlink", path);
  if (next == NULL)
    next = osi_io_watch_next ("unlink");
  return next (path);
}

int
osi_io_watch_rmdir (const char *path)
{
  static int (*next) (const char *);

  osi_io_watch_note ("rmdir", path);
  if (next == NULL)
    next = osi_io_watch_next ("rmdir");
  return next (path);
}

int
osi_io_watch_rename (const char *from,
                     const char *to)
{
  static int (*next) (const char *, const char *);

  osi_io_watch_note ("rename", from);
  osi_io_watch_note ("rename", to);
  if (next == NULL)
    next = osi_io_watch_next ("rename");
  return next (from, to);
}

DIR *
osi_io_watch_opendir (const char *path)
{
  static DIR *(*next) (const char *);

  osi_io_watch_note ("opendir", path);
  if (next == NULL)
    next = osi_io_watch_next ("opendir");
  return next (path);
}

ssize_t
osi_io_watch_readlink (const char *path,
                       char       *buf,
                       size_t      size)
{
  static ssize_t (*next) (const char *, char *, size_t);

  osi_io_watch_note ("readlink", path);
  if (next == NULL)
    next = osi_io_watch_next ("readlink");
  return next (path, buf, size);
}

FILE *
osi_io_watch_fopen64 (const char *path,
                      const char *mode)
{
  static FILE *(*next) (const char *, const char *);

  osi_io_watch_note ("fopen", path);
  if (next == NULL)
    next = osi_io_watch_next ("fopen64");
  return next (path, mode);
}

/* The same under the names without 64. */

int
osi_io_watch_open (const char *path,
                   int         flags,
                   ...)
{
  static int (*next) (const char *, int, ...);
  va_list args;
  mode_t mode;

  va_start (args, flags);
  mode = osi_io_watch_mode (flags, args);
  va_end (args);
  osi_io_watch_note ("open", path);
  if (next == NULL)
    next = osi_io_watch_next ("open");
  return next (path, flags, mode);
}

int
osi_io_watch_openat (int         dir_fd,
                     const char *path,
                     int         flags,
                     ...)
{
  static int (*next) (int, const char *, int, ...);
  va_list args;
  mode_t mode;

  va_start (args, flags);
  mode = osi_io_watch_mode (flags, args);
  va_end (args);
  osi_io_watch_note ("openat", path);
  if (next == NULL)
    next = osi_io_watch_next ("openat");
  return next (dir_fd, path, flags, mode);
}

int
osi_io_watch_stat (const char  *path,
                   struct stat *buf)
{
  static int (*next) (const char *, struct stat *);

  osi_io_watch_note ("stat", path);
  if (next == NULL)
    next = osi_io_watch_next ("stat");
  return next (path, buf);
}

int
osi_io_watch_lstat (const char  *path,
                    struct stat *buf)
{
  static int (*next) (const char *, struct stat *);

  osi_io_watch_note ("lstat", path);
  if (next == NULL)
    next = osi_io_watch_next ("lstat");
  return next (path, buf);
}

FILE *
osi_io_watch_fopen (const char *path,
                    const char *mode)
{
  static FILE *(*next) (const char *, const char *);

  osi_io_watch_note ("fopen", path);
  if (next == NULL)
    next = osi_io_watch_next ("fopen");
  return next (path, mode);
}
