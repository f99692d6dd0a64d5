/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-sha256.h"
#include "osi-test-client.h"

/* Faults and load, against the real osi-backup-server on 127.0.0.1 and
 * the real client library:
 *
 * /faults/disk-full/…: the backup folder (create, upload) or the
 *   download folder on a small file system the test makes (a tmpfs in a
 *   private mount namespace, nothing outlives the test; or, where nothing
 *   can be mounted, fault injection: see small_fs_new ()), full before
 *   the operation or filled while it runs: the server answers 507 or the
 *   client says the disk is full, nothing half-made is listed or left
 *   under a final name, and once there is room again the operation
 *   succeeds (a download resumes from its .part).
 * /faults/kill/…: the server killed (SIGKILL) mid-upload and
 *   mid-download, then started again on the same folders: nothing
 *   partial is listed, the half-received upload is cleaned away and a new
 *   upload succeeds (the API has no resumable upload), the download
 *   resumes from its .part with a Range request.
 * /load/…: 50 clients, each with its own OsiClient on its own thread,
 *   list for 20 s while backups are made one after the other; every list
 *   must succeed; the latencies (p50, p99, max) are reported, not
 *   asserted. Only with --load: `meson test` runs it as "load", alone;
 *   .ci/run runs it once, outside the sanitizer pass.
 *
 * Every wait is bounded (OSI_TEST_WAIT_S); nothing is timed against a
 * limit. */

#define TOKEN       "faults-test-token-4b1d"
#define KIB         ((guint64)1024)
#define MIB         (1024 * KIB)
#define PAGE        (4 * KIB)
#define UPLOAD_NAME "backup_20250102_030405.tar.zst"
#define BIG_NAME    "backup_20250101_000000.tar.zst"

#define LOAD_CLIENTS   50
#define LOAD_SECONDS   20
#define LOAD_DATA_SIZE (256 * MIB)

/* ------------------------------------------------------------------------ */
/* A small file system                                                      */

/* How this process makes one. Best, a tmpfs, mounted in a mount
 * namespace of its own made at start (before any thread), as root or as
 * the root of a new user namespace: the mounts go with the process,
 * however it ends. Where no mount is possible (a container without
 * either namespace), fault injection: the test runs again under
 * tests/osi-small-fs-shim.c ($OSI_TEST_SMALL_FS_SHIM, LD_PRELOAD), as
 * does the server it starts, and a folder marked .osi-small-fs behaves
 * as a small file system (writes beyond its capacity fail with ENOSPC,
 * statvfs () says how much is free). Each test says which it used. */
#define SHIM_ACTIVE "OSI_TEST_SMALL_FS_SHIM_ACTIVE"
#define SHIM_WHY    "OSI_TEST_SMALL_FS_SHIM_WHY"
#define SHIM_MARKER ".osi-small-fs"

static const char *mount_namespace;   /* NULL: no tmpfs */
static gboolean    small_fs_shim;
static char       *small_fs_why;      /* why neither, or why the shim */

static gboolean
write_proc_file (const char *path,
                 const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, text, strlen (text)) == (ssize_t)strlen (text);
  close (fd);
  return ok;
}

static void
enter_mount_namespace (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *probe = NULL;
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  int root_errno;

  if (unshare (CLONE_NEWNS) == 0)
    mount_namespace = "a private mount namespace";
  else
    {
      g_autofree char *uid_map = g_strdup_printf ("0 %u 1\n", (unsigned)uid);
      g_autofree char *gid_map = g_strdup_printf ("0 %u 1\n", (unsigned)gid);

      root_errno = errno;
      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0)
        {
          small_fs_why = g_strdup_printf ("no mount namespace: unshare (CLONE_NEWNS): %s; "
                                          "with CLONE_NEWUSER: %s",
                                          g_strerror (root_errno), g_strerror (errno));
          return;
        }
      if (!write_proc_file ("/proc/self/setgroups", "deny") ||
          !write_proc_file ("/proc/self/uid_map", uid_map) ||
          !write_proc_file ("/proc/self/gid_map", gid_map))
        {
          small_fs_why = g_strdup_printf ("a user namespace without an identity map: %s", g_strerror (errno));
          return;
        }
      mount_namespace = "a private mount namespace in a user namespace";
    }
  /* Nothing mounted here may show outside. */
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    {
      small_fs_why = g_strdup_printf ("cannot make the mounts private: %s", g_strerror (errno));
      mount_namespace = NULL;
      return;
    }
  /* and a tmpfs may be mounted there */
  probe = g_dir_make_tmp ("osi-test-mount-XXXXXX", &error);
  if (probe == NULL)
    g_error ("%s", error->message);
  if (mount ("osi-test-small", probe, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0)
    {
      small_fs_why = g_strdup_printf ("cannot mount a tmpfs in %s: %s", mount_namespace, g_strerror (errno));
      mount_namespace = NULL;
    }
  else
    umount2 (probe, MNT_DETACH);
  g_rmdir (probe);
}

/* Where no tmpfs can be mounted: runs this test again under the shim,
 * if the build has one. */
static void
exec_under_shim (char **argv)
{
  const char *shim = g_getenv ("OSI_TEST_SMALL_FS_SHIM");
  const char *preload = g_getenv ("LD_PRELOAD");
  const char *asan = g_getenv ("ASAN_OPTIONS");
  g_autofree char *new_preload = NULL;
  g_autofree char *new_asan = NULL;

  if (shim == NULL || !g_file_test (shim, G_FILE_TEST_IS_REGULAR))
    return;
  new_preload = preload != NULL && preload[0] != '\0' ? g_strconcat (shim, ":", preload, NULL) : g_strdup (shim);
  /* the sanitizers' runtime then comes after the shim: allowed */
  new_asan = g_strconcat (asan != NULL && asan[0] != '\0' ? asan : "", asan != NULL && asan[0] != '\0' ? ":" : "",
                          "verify_asan_link_order=0", NULL);
  g_setenv ("LD_PRELOAD", new_preload, TRUE);
  g_setenv ("ASAN_OPTIONS", new_asan, TRUE);
  g_setenv (SHIM_ACTIVE, "1", TRUE);
  g_setenv (SHIM_WHY, small_fs_why, TRUE);
  execv ("/proc/self/exe", argv);
  g_error ("cannot run the test again under %s: %s", shim, g_strerror (errno));
}

/* In the run under the shim: whether it is there. */
static void
check_shim (void)
{
  g_free (small_fs_why);
  if (dlsym (RTLD_DEFAULT, "osi_small_fs_shim_loaded") != NULL)
    {
      small_fs_shim = TRUE;
      small_fs_why = g_strdup (g_getenv (SHIM_WHY));
    }
  else
    small_fs_why = g_strdup_printf ("no mount, and the shim is not loaded (%s)", g_getenv (SHIM_WHY));
}

/* The capacity of a shim's small file system, by a rename (the shim
 * lets the marker's writes through). */
static void
shim_set_capacity (const char *path,
                   guint64     capacity)
{
  g_autofree char *marker = g_build_filename (path, SHIM_MARKER, NULL);
  g_autofree char *next = g_strconcat (marker, ".new", NULL);
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", capacity);
  int fd = open (next, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, text, strlen (text)), ==, (gssize)strlen (text));
  g_assert_cmpint (close (fd), ==, 0);
  g_assert_cmpint (rename (next, marker), ==, 0);
}

/* parent/name, a small file system of size bytes (rounded up to pages),
 * or NULL with the test skipped (failed under CI) when this machine
 * allows neither way. Says which way it was made. */
static char *
small_fs_new (const char *parent,
              const char *name,
              guint64     size)
{
  g_autofree char *path = g_build_filename (parent, name, NULL);
  g_autofree char *options = g_strdup_printf ("size=%" G_GUINT64_FORMAT ",mode=0700", size);

  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  if (small_fs_shim)
    {
      shim_set_capacity (path, (size + PAGE - 1) / PAGE * PAGE);
      g_test_message ("small file system: fault injection, as no file system can be mounted here (%s): "
                      "tests/osi-small-fs-shim.c, preloaded into the test and the server, makes writes "
                      "beyond %" G_GUINT64_FORMAT " KiB fail with ENOSPC and statvfs () report it",
                      small_fs_why, size / KIB);
      return g_steal_pointer (&path);
    }
  if (mount_namespace == NULL)
    {
      g_autofree char *what = g_strdup_printf ("no small file system to fill: %s", small_fs_why);

      g_rmdir (path);
      osi_test_missing (what);
      return NULL;
    }
  if (mount ("osi-test-small", path, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0)
    g_error ("cannot mount a tmpfs in %s: %s", mount_namespace, g_strerror (errno));
  g_test_message ("small file system: a tmpfs of %" G_GUINT64_FORMAT " KiB mounted in %s",
                  size / KIB, mount_namespace);
  return g_steal_pointer (&path);
}

/* Its contents go with the test's folder. */
static void
small_fs_free (char *path)
{
  if (path == NULL)
    return;
  if (!small_fs_shim)
    {
      g_assert_cmpint (umount2 (path, MNT_DETACH), ==, 0);
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  g_free (path);
}

static guint64
fs_free (const char *path)
{
  struct statvfs sv;

  g_assert_cmpint (statvfs (path, &sv), ==, 0);
  return (guint64)sv.f_bavail * sv.f_frsize;
}

static guint64
fs_used (const char *path)
{
  struct statvfs sv;

  g_assert_cmpint (statvfs (path, &sv), ==, 0);
  return (guint64)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
}

/* What the server's catalog (docs/api.md §8.4) takes in dir, at most:
 * its files' sizes in whole pages. */
static gint64
catalog_bytes (const char *dir)
{
  static const char * const files[] = { ".osi-catalog.sqlite", ".osi-catalog.sqlite-wal", ".osi-catalog.sqlite-shm" };
  gint64 total = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);
      struct stat st;

      if (g_stat (path, &st) == 0)
        total += MAX ((st.st_size + (gint64)PAGE - 1) / (gint64)PAGE * (gint64)PAGE, (gint64)st.st_blocks * 512);
    }
  return total;
}

/* Grows (or shrinks, down to what it holds) the small file system so that
 * room bytes (rounded down to pages) are free. */
static void
small_fs_set_free (const char *path,
                   guint64     room)
{
  guint64 size = fs_used (path) + room / PAGE * PAGE;
  g_autofree char *options = g_strdup_printf ("size=%" G_GUINT64_FORMAT, size);

  if (small_fs_shim)
    shim_set_capacity (path, size);
  else
    g_assert_cmpint (mount ("osi-test-small", path, "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, options), ==, 0);
  g_assert_cmpuint (fs_free (path), ==, room / PAGE * PAGE);
}

/* A file that takes all the free space of the file system holding dir
 * but leave bytes (rounded up to pages). */
static char *
fill (const char *dir,
      guint64     leave)
{
  g_autofree char *path = g_build_filename (dir, "filler", NULL);
  g_autofree char *block = g_malloc0 (MIB);
  guint64 room = fs_free (dir);
  guint64 want;
  int fd;

  leave = (leave + PAGE - 1) / PAGE * PAGE;
  g_assert_cmpuint (room, >, leave);
  want = room - leave;
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  for (guint64 done = 0; done < want;)
    {
      ssize_t n = write (fd, block, MIN (MIB, want - done));

      g_assert_cmpint (n, >, 0);
      done += (guint64)n;
    }
  g_assert_cmpint (close (fd), ==, 0);
  g_assert_cmpuint (fs_free (dir), ==, leave);
  return g_steal_pointer (&path);
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */

/* names sorted, joined by spaces: what assertions show. */
static char *
join_sorted (GPtrArray *names)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_ptr_array_sort (names, osi_test_compare_strings);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? " " : "", (const char *)g_ptr_array_index (names, i));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* dir's entries but the server's catalog (docs/api.md §8.4), sorted,
 * joined by spaces. */
static char *
dir_listing (const char *dir)
{
  g_auto(GStrv) names = osi_test_dir_names (dir);

  return g_strjoinv (" ", names);
}

/* parent/name: a valid knowledge base and n_files files of file_size
 * random bytes (which no compressor shrinks), under data/. */
static char *
make_random_data (const char *parent,
                  const char *name,
                  guint       n_files,
                  gsize       file_size_bytes,
                  guint32     seed)
{
  g_autofree char *root = g_build_filename (parent, name, NULL);
  g_autofree char *rag = g_build_filename (root, "rag", NULL);
  g_autofree char *data = g_build_filename (root, "data", NULL);
  g_autofree char *search = g_build_filename (rag, "search.json", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree guint32 *block = g_malloc (file_size_bytes + 4);

  g_assert_cmpint (g_mkdir_with_parents (rag, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (data, 0700), ==, 0);
  g_assert_true (g_file_set_contents (search, osi_test_valid_rag (), -1, NULL));
  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *file_name = g_strdup_printf ("file-%05u.bin", i);
      g_autofree char *path = g_build_filename (data, file_name, NULL);

      for (gsize j = 0; j < file_size_bytes / 4 + 1; j++)
        block[j] = g_rand_int (rand);
      g_assert_true (g_file_set_contents (path, (const char *)block, (gssize)file_size_bytes, NULL));
    }
  return g_steal_pointer (&root);
}

/* The bytes of the regular files under dir: the server's estimate of what
 * a backup of it takes. */
static guint64
tree_bytes (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint64 total = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      struct stat st;

      g_assert_cmpint (lstat (path, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        total += tree_bytes (path);
      else if (S_ISREG (st.st_mode))
        total += (guint64)st.st_size;
    }
  g_dir_close (d);
  return total;
}

/* ------------------------------------------------------------------------ */
/* The client (osi-test-client.h)                                           */

typedef struct
{
  guint64  first_done;   /* done at the first report with done > 0 */
  GPid     kill_pid;     /* killed (SIGKILL) at the first report with done > 0 */
  guint64  killed_at;
} Progress;

static void
on_progress (guint64  done,
             guint64  total,
             double   rate,
             gpointer user_data)
{
  Progress *p = user_data;

  if (p->first_done == 0 && done > 0)
    {
      p->first_done = done;
      if (p->kill_pid > 0)
        {
          g_assert_cmpint (kill (p->kill_pid, SIGKILL), ==, 0);
          p->killed_at = done;
        }
    }
}

/* The names the server lists. */
static char *
listed_names (OsiClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = osi_test_client_list (client, NULL, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (names, (gpointer)osi_backup_info_get_name (g_ptr_array_index (list, i)));
  return join_sorted (names);
}

/* The list's entry for name, asserted to be there. */
static OsiBackupInfo *
listed (OsiClient  *client,
        const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = osi_test_client_list (client, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (osi_backup_info_get_name (g_ptr_array_index (list, i)), name))
      return g_object_ref (g_ptr_array_index (list, i));
  g_error ("%s is not listed", name);
  return NULL;
}

/* The entry for name matches the file in dir, whole. */
static void
assert_listed_whole (OsiClient  *client,
                     const char *dir,
                     const char *name)
{
  g_autoptr(OsiBackupInfo) info = listed (client, name);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *sha256 = osi_test_file_sha256 (path);

  g_assert_cmpint (osi_backup_info_get_size (info), ==, osi_test_file_size (path));
  g_assert_cmpstr (osi_backup_info_get_sha256 (info), ==, sha256);
}

/* ------------------------------------------------------------------------ */
/* Raw HTTP, for bodies no client library would send                        */

/* Whether response holds a whole response (head and Content-Length
 * bytes of body). */
static gboolean
response_complete (GString *response)
{
  const char *end = strstr (response->str, "\r\n\r\n");
  g_autofree char *lower = NULL;
  const char *length;

  if (end == NULL)
    return FALSE;
  lower = g_ascii_strdown (response->str, end - response->str);
  length = strstr (lower, "\r\ncontent-length:");
  if (length == NULL)
    return FALSE;
  return response->len - (gsize)(end + 4 - response->str) >=
         g_ascii_strtoull (length + strlen ("\r\ncontent-length:"), NULL, 10);
}

/* Reads into response what comes; FALSE once the server has closed. */
static gboolean
read_some (int      fd,
           GString *response)
{
  char buffer[4096];
  gssize n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return TRUE;
  if (n <= 0)
    return FALSE;
  g_string_append_len (response, buffer, n);
  return TRUE;
}

/* Sends data while reading what the server answers: a server that
 * answers before the end of the body (507 on a full disk) is heard
 * rather than reset. Stops sending once an answer is complete or the
 * server closed. Returns how many bytes went. */
static gsize
send_reading (int         fd,
              const void *data,
              gsize       len,
              GString    *response)
{
  const char *p = data;
  gsize sent = 0;
  gboolean open = TRUE;

  while (sent < len && open && !response_complete (response))
    {
      struct pollfd pfd = { fd, POLLIN | POLLOUT, 0 };
      int r = poll (&pfd, 1, OSI_TEST_WAIT_S * 1000);

      g_assert_cmpint (r, ==, 1);
      if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
        open = read_some (fd, response);
      else if (pfd.revents & POLLOUT)
        {
          gssize n = send (fd, p + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

          if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
          if (n < 0)
            break;   /* reset: what was answered is in response */
          sent += (gsize)n;
        }
    }
  return sent;
}

/* The rest of the response, until it is complete or the server closes. */
static void
read_response (int      fd,
               GString *response)
{
  while (!response_complete (response))
    {
      struct pollfd pfd = { fd, POLLIN, 0 };

      g_assert_cmpint (poll (&pfd, 1, OSI_TEST_WAIT_S * 1000), ==, 1);
      if (!read_some (fd, response))
        return;
    }
}

/* ------------------------------------------------------------------------ */
/* Watching the server's temporary files                                    */

/* A thread that sends signum to pid as soon as a file whose name starts
 * with prefix holds at least min_size bytes in dir: the server caught in
 * the middle of its work, whatever the speed of the machine. */
typedef struct
{
  char    *dir;
  char    *prefix;
  guint64  min_size;
  GPid     pid;
  int      signum;
  gint     stop;
  gint     fired;
  guint64  size_seen;
  GThread *thread;
} Watch;

static gpointer
watch_thread (gpointer data)
{
  Watch *w = data;
  gint64 deadline = g_get_monotonic_time () + OSI_TEST_WAIT_S * G_USEC_PER_SEC;

  while (!g_atomic_int_get (&w->stop) && g_get_monotonic_time () < deadline)
    {
      DIR *d = opendir (w->dir);
      struct dirent *de;

      while (d != NULL && (de = readdir (d)) != NULL)
        {
          struct stat st;

          if (!g_str_has_prefix (de->d_name, w->prefix) ||
              fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
              (guint64)st.st_size < w->min_size)
            continue;
          kill (w->pid, w->signum);
          w->size_seen = (guint64)st.st_size;
          g_atomic_int_set (&w->fired, 1);
          closedir (d);
          return NULL;
        }
      if (d != NULL)
        closedir (d);
      g_usleep (200);
    }
  return NULL;
}

static Watch *
watch_start (const char *dir,
             const char *prefix,
             guint64     min_size,
             GPid        pid,
             int         signum)
{
  Watch *w = g_new0 (Watch, 1);

  w->dir = g_strdup (dir);
  w->prefix = g_strdup (prefix);
  w->min_size = min_size;
  w->pid = pid;
  w->signum = signum;
  w->thread = g_thread_new ("watch", watch_thread, w);
  return w;
}

/* Whether it fired; *size_seen (may be NULL): the file's size then. */
static gboolean
watch_finish (Watch   *w,
              guint64 *size_seen)
{
  gboolean fired;

  g_atomic_int_set (&w->stop, 1);
  g_thread_join (w->thread);
  fired = g_atomic_int_get (&w->fired);
  if (size_seen != NULL)
    *size_seen = w->size_seen;
  g_free (w->dir);
  g_free (w->prefix);
  g_free (w);
  return fired;
}

static gboolean
watch_fired (gpointer data)
{
  return g_atomic_int_get (&((Watch *)data)->fired) != 0;
}

/* ------------------------------------------------------------------------ */
/* Disk full                                                                */

/* Nothing listed, nothing in the folder: no backup under its final name,
 * no temporary file left behind. */
static void
assert_nothing_made (OsiClient  *client,
                     const char *backups)
{
  g_autofree char *names = listed_names (client);
  g_autofree char *files = dir_listing (backups);

  g_assert_cmpstr (names, ==, "");
  g_assert_cmpstr (files, ==, "");
}

/* A create or an upload that must fail for lack of space. Should the
 * server have made a backup all the same, what it made is shown. */
static void
assert_no_space (OsiBackupInfo *info,
                 const GError  *error,
                 const char    *backups)
{
  if (info != NULL)
    {
      const char *name = osi_backup_info_get_name (info);
      g_autofree char *path = g_build_filename (backups, name, NULL);
      g_autoptr(OsiVerifyReport) report = osi_archive_verify (path, NULL, NULL, NULL);

      g_error ("on a full disk, the server made and lists %s (%" G_GINT64_FORMAT " bytes), which verifies as %s",
               name, osi_backup_info_get_size (info),
               report == NULL ? "unreadable" : osi_verdict_to_string (osi_verify_report_get_verdict (report)));
    }
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NO_SPACE);
}

/* A create into a backup folder with room for half the data (refused
 * before anything is written), then with room for the data but not for
 * the archive, which is larger (the server's estimate lets it start, the
 * disk fills while it writes), then with room. */
static void
test_disk_full_create (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autofree char *tmp = osi_test_make_tmpdir ();
  /* 5,000 small files of random bytes: the archive's headers and manifest
   * make it larger than the data, by many pages */
  g_autofree char *data = make_random_data (tmp, "data", 5000, 800, 11);
  g_autofree char *measure = g_build_filename (tmp, "measure.tar.zst", NULL);
  g_autofree char *backups = NULL;
  g_autofree char *path = NULL;
  g_autofree char *files = NULL;
  guint64 tree, archive;
  OsiTestServer *server;
  char *small;

  /* what the server's archive of it will weigh, give or take the bytes of
   * its date */
  osi_test_make_archive (data, measure, OSI_COMPRESSION_ZSTD, NULL);
  tree = tree_bytes (data);
  archive = (guint64)osi_test_file_size (measure);
  g_test_message ("data: %" G_GUINT64_FORMAT " bytes; its archive: %" G_GUINT64_FORMAT " bytes", tree, archive);
  g_assert_cmpuint (archive, >, tree + 16 * PAGE);
  small = small_fs_new (tmp, "small", 64 * KIB);
  if (small == NULL)
    {
      osi_test_remove_tmpdir (tmp);
      return;
    }
  backups = g_build_filename (small, "backups", NULL);
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);

  /* room for half the data */
  small_fs_set_free (small, tree / 2);
  info = osi_test_client_create_backup (client, &error);
  assert_no_space (info, error, backups);
  g_test_message ("%" G_GUINT64_FORMAT " bytes free: %s", fs_free (small), error->message);
  g_clear_error (&error);
  assert_nothing_made (client, backups);

  /* room for the data, not for its archive */
  small_fs_set_free (small, tree + (archive - tree) / 2);
  g_assert_cmpuint (fs_free (small), >=, tree);
  g_assert_cmpuint (fs_free (small), <, archive);
  info = osi_test_client_create_backup (client, &error);
  assert_no_space (info, error, backups);
  g_test_message ("%" G_GUINT64_FORMAT " bytes free: %s", fs_free (small), error->message);
  g_clear_error (&error);
  assert_nothing_made (client, backups);
  g_assert_cmpint ((gint64)fs_used (small) - catalog_bytes (backups), <, (gint64)PAGE);

  /* room */
  small_fs_set_free (small, 2 * archive + MIB);
  info = osi_test_client_create_backup (client, &error);
  g_assert_no_error (error);
  assert_listed_whole (client, backups, osi_backup_info_get_name (info));
  path = g_build_filename (backups, osi_backup_info_get_name (info), NULL);
  report = osi_archive_verify (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osi_verify_report_get_verdict (report), ==, OSI_VERDICT_RESTORABLE);
  files = dir_listing (backups);
  g_test_message ("with room: %s", files);
  g_assert_null (strstr (files, ".part"));

  g_clear_object (&client);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  small_fs_free (small);
  osi_test_remove_tmpdir (tmp);
}

/* A restore whose staging copy, beside the data folder, does not fit:
 * the server's estimate (the archive's bytes) lets it start, as 5,000
 * small files take a page each; the disk fills while it extracts. 507
 * and the client's "no space", not "failed verification"; the data
 * folder as it was, no staging folder left; then, with room, the
 * restore goes through. */
static void
test_disk_full_restore (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autofree char *tmp = osi_test_make_tmpdir ();
  g_autofree char *backups = g_build_filename (tmp, "backups", NULL);
  g_autofree char *big = make_random_data (tmp, "big", 5000, 800, 13);
  g_autofree char *archive = g_build_filename (backups, "backup_20250101_120000.tar.zst", NULL);
  g_autofree char *before = NULL;
  g_autofree char *data = NULL;
  g_autofree char *current = NULL;
  g_autofree char *files = NULL;
  g_autofree char *why = NULL;
  OsiTestServer *server;
  guint64 tree;
  char *small;

  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  osi_test_make_archive (big, archive, OSI_COMPRESSION_ZSTD, NULL);
  tree = tree_bytes (big);
  small = small_fs_new (tmp, "small", 64 * KIB);
  if (small == NULL)
    {
      osi_test_remove_tmpdir (tmp);
      return;
    }
  small_fs_set_free (small, 4 * MIB);
  current = make_random_data (small, "data", 2, 1000, 17);
  before = make_random_data (tmp, "before", 2, 1000, 17);
  data = g_strdup (current);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);

  /* more than the archive's bytes, less than their pages */
  small_fs_set_free (small, tree + tree / 2);
  g_assert_cmpuint (fs_free (small), <, 5000 * PAGE);
  g_assert_false (osi_test_client_restore (client, "backup_20250101_120000.tar.zst", NULL, NULL, NULL, &error));
  g_test_message ("%" G_GUINT64_FORMAT " bytes free for %" G_GUINT64_FORMAT " bytes of data: %s",
                  fs_free (small), tree, error->message);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NO_SPACE);
  g_clear_error (&error);
  g_assert_true (osi_test_trees_equal (before, data, &why));
  files = dir_listing (small);
  g_test_message ("beside the data: %s", files);
  g_assert_null (strstr (files, "staging"));

  /* room */
  small_fs_set_free (small, 64 * MIB);
  g_assert_true (osi_test_client_restore (client, "backup_20250101_120000.tar.zst", NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (osi_test_trees_equal (big, data, &why));

  g_clear_object (&client);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  small_fs_free (small);
  osi_test_remove_tmpdir (tmp);
}

/* An upload in chunks (no length to check first); the server's answer,
 * heard while the body still goes. */
static guint
upload_chunked (OsiTestServer *server,
                const char    *name,
                const char    *contents,
                gsize          len,
                char         **out_response)
{
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GString) response = g_string_new (NULL);
  const gsize piece = 64 * KIB;
  int fd;

  g_string_append_printf (request,
                          "POST /api/rag/backup/upload?filename=%s HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\nAuthorization: Bearer " TOKEN "\r\n"
                          "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n"
                          "Connection: close\r\n\r\n", name, osi_test_server_port (server));
  for (gsize at = 0; at < len; at += piece)
    {
      gsize n = MIN (piece, len - at);

      g_string_append_printf (request, "%zx\r\n", n);
      g_string_append_len (request, contents + at, (gssize)n);
      g_string_append (request, "\r\n");
    }
  g_string_append (request, "0\r\n\r\n");

  fd = osi_test_tcp_connect (osi_test_server_port (server));
  send_reading (fd, request->str, request->len, response);
  read_response (fd, response);
  close (fd);
  *out_response = g_strdup (response->str);
  return osi_test_http_status (response->str);
}

/* An upload with its length, which the server checks against the free
 * space before it says 100 Continue; only then is the disk filled, all
 * but leave bytes, and the body sent. */
static guint
upload_filled_after_continue (OsiTestServer  *server,
                              const char     *small,
                              const char     *name,
                              const char     *contents,
                              gsize           len,
                              guint64         leave,
                              char          **out_filler,
                              char          **out_response)
{
  g_autofree char *head = g_strdup_printf ("POST /api/rag/backup/upload?filename=%s HTTP/1.1\r\n"
                                           "Host: 127.0.0.1:%u\r\nAuthorization: Bearer " TOKEN "\r\n"
                                           "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n"
                                           "Expect: 100-continue\r\nConnection: close\r\n\r\n",
                                           name, osi_test_server_port (server), len);
  g_autoptr(GString) response = g_string_new (NULL);
  int fd = osi_test_tcp_connect (osi_test_server_port (server));

  g_assert_cmpuint (send_reading (fd, head, strlen (head), response), ==, strlen (head));
  while (strstr (response->str, "\r\n\r\n") == NULL)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };

      g_assert_cmpint (poll (&pfd, 1, OSI_TEST_WAIT_S * 1000), ==, 1);
      g_assert_true (read_some (fd, response));
    }
  g_assert_cmpuint (osi_test_http_status (response->str), ==, 100);
  g_string_erase (response, 0, strstr (response->str, "\r\n\r\n") + 4 - response->str);

  *out_filler = fill (small, leave);
  send_reading (fd, contents, len, response);
  read_response (fd, response);
  close (fd);
  *out_response = g_strdup (response->str);
  return osi_test_http_status (response->str);
}

/* Uploads into a backup folder without room for them: refused before the
 * body when the length says so (the client, with Expect: 100-continue),
 * refused once the disk is full when it comes in chunks, or when the
 * disk fills after the server agreed to take it (raw, then the client);
 * then, with room, received. */
static void
test_disk_full_upload (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *tmp = osi_test_make_tmpdir ();
  g_autofree char *data = make_random_data (tmp, "data", 24, MIB, 21);
  g_autofree char *archive = g_build_filename (tmp, UPLOAD_NAME, NULL);
  g_autofree char *sha256 = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *response = NULL;
  g_autofree char *filler = NULL;
  g_autofree char *temp = NULL;
  g_autofree char *temp_path = NULL;
  g_autofree char *backups = NULL;
  OsiTestServer *server;
  Watch *watch;
  gsize len = 0;
  guint64 written;
  char *small;

  osi_test_make_archive (data, archive, OSI_COMPRESSION_ZSTD, &sha256);
  g_assert_true (g_file_get_contents (archive, &contents, &len, &error));
  g_assert_no_error (error);
  small = small_fs_new (tmp, "small", 64 * KIB);
  if (small == NULL)
    {
      osi_test_remove_tmpdir (tmp);
      return;
    }
  backups = g_build_filename (small, "backups", NULL);
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);

  /* the client: room for half, refused before the body */
  small_fs_set_free (small, len / 2);
  info = osi_test_client_upload (client, archive, NULL, NULL, NULL, &error);
  assert_no_space (info, error, backups);
  g_test_message ("%zu bytes, %" G_GUINT64_FORMAT " free: %s", len, fs_free (small), error->message);
  g_clear_error (&error);
  assert_nothing_made (client, backups);

  /* in chunks, no length: the disk fills while it comes */
  g_assert_cmpuint (upload_chunked (server, UPLOAD_NAME, contents, len, &response), ==, 507);
  g_test_message ("chunked: %s", strstr (response, "\r\n\r\n") + 4);
  g_clear_pointer (&response, g_free);
  assert_nothing_made (client, backups);

  /* with its length, filled once the server has agreed to take it */
  small_fs_set_free (small, 2 * len);
  g_assert_cmpuint (upload_filled_after_continue (server, small, UPLOAD_NAME, contents, len, 64 * KIB,
                                                  &filler, &response), ==, 507);
  g_test_message ("filled after 100 Continue: %s", strstr (response, "\r\n\r\n") + 4);
  g_clear_pointer (&response, g_free);
  assert_nothing_made (client, backups);
  g_assert_cmpint (g_unlink (filler), ==, 0);
  g_clear_pointer (&filler, g_free);

  /* the client again, the disk filled while the server receives: the
   * server makes its temporary file before it says 100 Continue, and the
   * client sends the body only after that, and only while this loop
   * turns; the server is stopped as soon as the file shows, the loop no
   * longer turns, the disk is filled, then both go on */
  watch = watch_start (backups, "." UPLOAD_NAME ".", 0, server->pid, SIGSTOP);
  osi_client_upload_async (client, archive, NULL, NULL, NULL, osi_test_store_result, &result);
  osi_test_wait_for (watch_fired, watch, "the server to start receiving");
  g_assert_true (watch_finish (watch, NULL));
  temp = osi_test_only_entry_with_prefix (backups, "." UPLOAD_NAME ".");
  temp_path = g_build_filename (backups, temp, NULL);
  written = (guint64)osi_test_file_size (temp_path);
  g_test_message ("stopped the server with %" G_GUINT64_FORMAT " of %zu bytes written", written, len);
  g_assert_cmpuint (written + 2 * MIB, <, len);
  filler = fill (small, 64 * KIB);
  g_assert_cmpint (kill (server->pid, SIGCONT), ==, 0);
  info = osi_client_upload_finish (client, osi_test_wait_result (&result, "the answer"), &error);
  assert_no_space (info, error, backups);
  g_test_message ("the client, filled mid-upload: %s", error->message);
  g_clear_error (&error);
  assert_nothing_made (client, backups);
  g_assert_cmpint (g_unlink (filler), ==, 0);

  /* room */
  info = osi_test_client_upload (client, archive, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (osi_backup_info_get_sha256 (info), ==, sha256);
  assert_listed_whole (client, backups, UPLOAD_NAME);

  g_clear_object (&client);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  small_fs_free (small);
  osi_test_remove_tmpdir (tmp);
}

/* A download into a folder with room for a third of it: the client says
 * the disk is full and keeps what it has under its .part name only; with
 * room, the download resumes from there. */
static void
test_disk_full_download (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autofree char *tmp = osi_test_make_tmpdir ();
  g_autofree char *data = osi_test_generate_data (tmp, MIB, 2);
  g_autofree char *backups = g_build_filename (tmp, "backups", NULL);
  g_autofree char *on_server = g_build_filename (backups, BIG_NAME, NULL);
  g_autofree char *downloads = NULL;
  g_autofree char *part = NULL;
  g_autofree char *path = NULL;
  g_autofree char *files = NULL;
  g_autofree char *names = NULL;
  const gsize size = 24 * MIB;
  Progress progress = { 0 };
  OsiTestServer *server;
  gint64 part_size;
  char *small;

  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  osi_test_write_random_file (on_server, size, 5);
  small = small_fs_new (tmp, "small", size / 3);
  if (small == NULL)
    {
      osi_test_remove_tmpdir (tmp);
      return;
    }
  downloads = g_build_filename (small, "downloads", NULL);
  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  part = g_build_filename (downloads, BIG_NAME ".part", NULL);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);
  /* the size and SHA-256 the client checks */
  names = listed_names (client);
  g_assert_cmpstr (names, ==, BIG_NAME);

  path = osi_test_client_download (client, BIG_NAME, downloads, NULL, NULL, NULL, NULL, &error);
  g_assert_null (path);
  g_test_message ("%zu bytes into %" G_GUINT64_FORMAT " free: %s", size, fs_used (small), error->message);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NO_SPACE);
  g_clear_error (&error);
  files = dir_listing (downloads);
  g_assert_cmpstr (files, ==, BIG_NAME ".part");
  part_size = osi_test_file_size (part);
  g_assert_cmpint (part_size, >, 0);
  g_assert_cmpint (part_size, <, (gint64)size);

  /* room: resumed from the .part, not started over */
  small_fs_set_free (small, 2 * size);
  path = osi_test_client_download (client, BIG_NAME, downloads, on_progress, &progress, NULL, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("with room: resumed from %" G_GINT64_FORMAT " bytes (first report at %" G_GUINT64_FORMAT ")",
                  part_size, progress.first_done);
  g_assert_cmpuint (progress.first_done, >, (guint64)part_size);
  osi_test_assert_files_equal (path, on_server);
  g_free (files);
  files = dir_listing (downloads);
  g_assert_cmpstr (files, ==, BIG_NAME);

  g_clear_object (&client);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  small_fs_free (small);
  osi_test_remove_tmpdir (tmp);
}

/* ------------------------------------------------------------------------ */
/* kill -9                                                                  */

/* The server killed once the first 2 MiB of a 64 MiB download are on the
 * client's disk, then started again on the same folders: the backup is
 * listed whole, and the download resumes from its .part. */
static void
test_kill_download (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autofree char *tmp = osi_test_make_tmpdir ();
  g_autofree char *data = osi_test_generate_data (tmp, MIB, 2);
  g_autofree char *backups = g_build_filename (tmp, "backups", NULL);
  g_autofree char *downloads = g_build_filename (tmp, "downloads", NULL);
  g_autofree char *on_server = g_build_filename (backups, BIG_NAME, NULL);
  g_autofree char *part = g_build_filename (downloads, BIG_NAME ".part", NULL);
  g_autofree char *path = NULL;
  g_autofree char *files = NULL;
  g_autofree char *names = NULL;
  const gsize size = 64 * MIB;
  Progress progress = { 0 };
  Progress resumed = { 0 };
  OsiTestServer *server;
  gint64 part_size;

  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (downloads, 0700), ==, 0);
  osi_test_write_random_file (on_server, size, 9);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);
  names = listed_names (client);
  g_assert_cmpstr (names, ==, BIG_NAME);

  progress.kill_pid = server->pid;
  path = osi_test_client_download (client, BIG_NAME, downloads, on_progress, &progress, NULL, NULL, &error);
  g_assert_null (path);
  g_test_message ("killed at %" G_GUINT64_FORMAT " bytes: %s", progress.killed_at, error->message);
  g_assert_cmpuint (progress.killed_at, >, 0);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_clear_error (&error);
  osi_test_server_kill (server);
  osi_test_server_free (server);
  g_clear_object (&client);

  files = dir_listing (downloads);
  g_assert_cmpstr (files, ==, BIG_NAME ".part");
  part_size = osi_test_file_size (part);
  g_assert_cmpint (part_size, >=, (gint64)progress.killed_at);
  g_assert_cmpint (part_size, <, (gint64)size);

  /* started again */
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);
  g_free (names);
  names = listed_names (client);
  g_assert_cmpstr (names, ==, BIG_NAME);
  assert_listed_whole (client, backups, BIG_NAME);

  path = osi_test_client_download (client, BIG_NAME, downloads, on_progress, &resumed, NULL, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("restarted: resumed from %" G_GINT64_FORMAT " bytes (first report at %" G_GUINT64_FORMAT ")",
                  part_size, resumed.first_done);
  g_assert_cmpuint (resumed.first_done, >, (guint64)part_size);
  osi_test_assert_files_equal (path, on_server);
  g_free (files);
  files = dir_listing (downloads);
  g_assert_cmpstr (files, ==, BIG_NAME);

  g_clear_object (&client);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  osi_test_remove_tmpdir (tmp);
}

/* The server killed once 4 MiB of a 48 MiB upload are in its temporary
 * file, then started again: the half-received file is gone, nothing is
 * listed, and the upload, made again (the API has no resumable upload),
 * succeeds. */
static void
test_kill_upload (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *tmp = osi_test_make_tmpdir ();
  g_autofree char *data = osi_test_generate_data (tmp, MIB, 2);
  g_autofree char *upload_data = make_random_data (tmp, "upload-data", 48, MIB, 31);
  g_autofree char *archive = g_build_filename (tmp, UPLOAD_NAME, NULL);
  g_autofree char *sha256 = NULL;
  g_autofree char *backups = g_build_filename (tmp, "backups", NULL);
  g_autofree char *final = g_build_filename (backups, UPLOAD_NAME, NULL);
  g_autofree char *temp = NULL;
  g_autofree char *files = NULL;
  g_autofree char *names = NULL;
  OsiTestServer *server;
  guint64 received = 0;
  Watch *watch;

  osi_test_make_archive (upload_data, archive, OSI_COMPRESSION_ZSTD, &sha256);
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);
  names = listed_names (client);
  g_assert_cmpstr (names, ==, "");

  watch = watch_start (backups, "." UPLOAD_NAME ".", 4 * MIB, server->pid, SIGKILL);
  info = osi_test_client_upload (client, archive, NULL, NULL, NULL, &error);
  g_assert_null (info);
  g_assert_true (watch_finish (watch, &received));
  g_test_message ("killed with %" G_GUINT64_FORMAT " bytes received: %s", received, error->message);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION);
  g_clear_error (&error);
  osi_test_server_kill (server);
  osi_test_server_free (server);
  g_clear_object (&client);

  /* half-made, under a temporary name only */
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  temp = osi_test_only_entry_with_prefix (backups, "." UPLOAD_NAME ".");
  g_assert_true (g_str_has_suffix (temp, ".part"));
  files = dir_listing (backups);
  g_assert_cmpstr (files, ==, temp);

  /* started again: cleaned, nothing listed */
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);
  g_free (names);
  names = listed_names (client);
  g_assert_cmpstr (names, ==, "");
  g_free (files);
  files = dir_listing (backups);
  g_assert_cmpstr (files, ==, "");

  info = osi_test_client_upload (client, archive, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (osi_backup_info_get_sha256 (info), ==, sha256);
  assert_listed_whole (client, backups, UPLOAD_NAME);

  g_clear_object (&client);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  osi_test_remove_tmpdir (tmp);
}

/* ------------------------------------------------------------------------ */
/* Load                                                                     */

typedef struct
{
  const char *url;
  GArray     *latencies;   /* gint64, µs */
  guint       errors;
  char       *first_error;
  GThread    *thread;
} Lister;

static struct
{
  GMutex   mutex;
  GCond    cond;
  gboolean go;
  gint64   deadline;
} load;

static gpointer
lister_thread (gpointer data)
{
  Lister *l = data;
  GMainContext *context = g_main_context_new ();
  OsiClient *client;
  gint64 deadline;

  g_main_context_push_thread_default (context);
  client = osi_client_new (l->url, TOKEN);

  g_mutex_lock (&load.mutex);
  while (!load.go)
    g_cond_wait (&load.cond, &load.mutex);
  deadline = load.deadline;
  g_mutex_unlock (&load.mutex);

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GPtrArray) list = NULL;
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      gint64 took;

      osi_client_list_async (client, NULL, osi_test_store_result, &result);
      while (result == NULL)
        g_main_context_iteration (context, TRUE);
      list = osi_client_list_finish (client, result, &error);
      took = g_get_monotonic_time () - start;
      if (list != NULL)
        g_array_append_val (l->latencies, took);
      else if (l->errors++ == 0)
        l->first_error = g_strdup (error->message);
    }

  g_object_unref (client);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

static double
ms_at (GArray *sorted,
       guint   percent)
{
  guint i = (guint)(((guint64)sorted->len * percent + 99) / 100);

  i = MIN (MAX (i, 1), sorted->len) - 1;
  return (double)g_array_index (sorted, gint64, i) / 1000.0;
}

/* 50 clients list without pause for 20 s while backups of 256 MiB of
 * data are made one after the other (each listed once made, the one
 * before deleted). Every list succeeds; the figures go to the log. */
static void
test_load_list_during_create (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *tmp = osi_test_make_tmpdir ();
  g_autofree char *data = osi_test_generate_data (tmp, LOAD_DATA_SIZE, 3);
  g_autofree char *backups = g_build_filename (tmp, "backups", NULL);
  g_autofree char *previous = NULL;
  g_autofree char *names = NULL;
  Lister listers[LOAD_CLIENTS] = { { 0 } };
  OsiTestServer *server;
  guint creates = 0, errors = 0;
  gint64 start, end, busy = 0, longest = 0;
  const char *first_error = NULL;

  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);
  client = osi_client_new (server->url, TOKEN);
  names = listed_names (client);
  g_assert_cmpstr (names, ==, "");

  for (guint i = 0; i < LOAD_CLIENTS; i++)
    {
      listers[i].url = server->url;
      listers[i].latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
      listers[i].thread = g_thread_new ("lister", lister_thread, &listers[i]);
    }
  g_mutex_lock (&load.mutex);
  start = g_get_monotonic_time ();
  load.deadline = start + LOAD_SECONDS * G_USEC_PER_SEC;
  load.go = TRUE;
  g_cond_broadcast (&load.cond);
  g_mutex_unlock (&load.mutex);

  /* one create after the other until the listing ends */
  while (g_get_monotonic_time () < load.deadline)
    {
      g_autoptr(OsiBackupInfo) info = NULL;
      gint64 began = g_get_monotonic_time ();
      gint64 took;

      info = osi_test_client_create_backup (client, &error);
      g_assert_no_error (error);
      took = g_get_monotonic_time () - began;
      longest = MAX (longest, took);
      busy += MIN (g_get_monotonic_time (), load.deadline) - began;
      creates++;
      /* listed as made; its bytes are read once, for the last one */
      {
        g_autoptr(OsiBackupInfo) entry = listed (client, osi_backup_info_get_name (info));

        g_assert_cmpint (osi_backup_info_get_size (entry), ==, osi_backup_info_get_size (info));
        g_assert_cmpstr (osi_backup_info_get_sha256 (entry), ==, osi_backup_info_get_sha256 (info));
      }
      if (previous != NULL)
        {
          g_assert_true (osi_test_client_delete (client, previous, NULL, &error));
          g_assert_no_error (error);
        }
      g_free (previous);
      previous = g_strdup (osi_backup_info_get_name (info));
    }

  for (guint i = 0; i < LOAD_CLIENTS; i++)
    {
      g_thread_join (listers[i].thread);
      g_array_append_vals (all, listers[i].latencies->data, listers[i].latencies->len);
      errors += listers[i].errors;
      if (first_error == NULL)
        first_error = listers[i].first_error;
    }
  end = g_get_monotonic_time ();
  g_array_sort (all, compare_gint64);

  g_test_message ("load: %u clients listing for %d s while %u backups of %" G_GUINT64_FORMAT " MiB of data "
                  "were made (a create running %.1f s of the %d s; the longest took %.1f s)",
                  LOAD_CLIENTS, LOAD_SECONDS, creates, LOAD_DATA_SIZE / MIB, (double)busy / G_USEC_PER_SEC,
                  LOAD_SECONDS, (double)longest / G_USEC_PER_SEC);
  if (all->len > 0)
    g_test_message ("load: %u lists succeeded (%.0f a second), %u failed; latency p50 %.1f ms, p99 %.1f ms, "
                    "max %.1f ms",
                    all->len, all->len / ((double)(end - start) / G_USEC_PER_SEC), errors,
                    ms_at (all, 50), ms_at (all, 99), ms_at (all, 100));
  if (errors > 0)
    g_test_message ("load: first failure: %s", first_error);
  g_assert_cmpuint (errors, ==, 0);
  g_assert_cmpuint (all->len, >=, LOAD_CLIENTS);
  g_assert_cmpuint (creates, >=, 1);
  /* the last one made is there, whole */
  assert_listed_whole (client, backups, previous);

  for (guint i = 0; i < LOAD_CLIENTS; i++)
    {
      g_array_unref (listers[i].latencies);
      g_free (listers[i].first_error);
    }
  g_clear_object (&client);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  osi_test_remove_tmpdir (tmp);
}

/* --load runs the load test alone; without it, the faults. */
int
main (int    argc,
      char **argv)
{
  gboolean load_only = FALSE;

  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--load"))
      {
        load_only = TRUE;
        memmove (&argv[i], &argv[i + 1], sizeof (char *) * (size_t)(argc - i));
        argc--;
        break;
      }

  /* Before any thread: a user namespace needs a process that has none,
   * and so does setenv (). */
  if (!load_only && g_strcmp0 (g_getenv (SHIM_ACTIVE), "1") == 0)
    check_shim ();
  else if (!load_only)
    {
      enter_mount_namespace ();
      if (mount_namespace == NULL)
        exec_under_shim (argv);
    }
  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();

  if (load_only)
    g_test_add_func ("/load/list-during-create", test_load_list_during_create);
  else
    {
      g_test_add_func ("/faults/disk-full/create", test_disk_full_create);
      g_test_add_func ("/faults/disk-full/upload", test_disk_full_upload);
      g_test_add_func ("/faults/disk-full/download", test_disk_full_download);
      g_test_add_func ("/faults/disk-full/restore", test_disk_full_restore);
      g_test_add_func ("/faults/kill/download", test_kill_download);
      g_test_add_func ("/faults/kill/upload", test_kill_upload);
    }

  return g_test_run ();
}
