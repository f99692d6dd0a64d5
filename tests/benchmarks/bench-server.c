/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The backend against the tools that set our targets, in one run:
 *
 *   1. a download of about 1 GiB over loopback from a real osi-backup-server
 *      by `osi-backup-cli download` against `curl -o`, from the same server
 *      (at most 1.2x curl's time; client peak RSS under 32 MiB; the
 *      server's peak RSS must not grow with the size of what it sends);
 *   2. listing 100,000 backups (GET /api/rag/backup, timed by curl),
 *      their catalog filled as a server that made and verified them would
 *      have (bench-seed.c: every entry with a kind, most with a
 *      verification, some with a note or protected):
 *      - cold, the first listing after the server started, every backup
 *        with its checksum file (the server reads every file's metadata
 *        and checksum and renders every entry): what an admin waits for
 *        after the server (re)started, the median of 5 restarts, under 5 s.
 *        It does not make 100 ms at this size: 2.7 to 3.5 s on a busy
 *        2-core VM (load 4 to 7), about 1.9 s of the server's CPU, mostly
 *        in system calls (perf: a stat of every backup, then an open, a
 *        read and a close of its checksum file);
 *      - cached, the rendered list served again while nothing changed in
 *        the folder, under 100 ms;
 *      - after one backup was touched (the watch names it, the server
 *        looks at that file again, sorts and renders), for information;
 *      - the client's parse of that answer by osi_backup_info_list_parse,
 *        the streaming reader OsiClient uses, under 100 ms; the json-glib
 *        tree and osi_backup_info_list_from_json, which the client no
 *        longer uses, for information;
 *   3. create and restore of the demo data directory at the library level,
 *      osi_archive_create (with the archive's SHA-256, as the server asks)
 *      against `tar | zstd -3 -T1 && sync` (at most 1.1x), and
 *      osi_swap_restore_archive (verification, syncfs and swap included)
 *      against `zstd -dc | tar -x && sync` (at most 1.3x); the server's
 *      POST /api/rag/backup/restore against `tar -I zstd -xf && sync` (at
 *      most 1.6x: what the caller waits for, the safety backup being made
 *      after the answer), and, information only, its POST /api/rag/backup.
 *      Each ratio is given with its range over the runs, paired.
 *
 * What is downloaded is a real archive of demo data, made by
 * osi_archive_create, whose size is about the benchmark size (so of about
 * 1.7 times that much data, the ratio measured on the archive of part 3):
 * the server serves, and the client checks, real backups.
 *
 * Every measured run is a child process of its own, so that wait4 () gives
 * its wall time and peak RSS alone: this program re-executes itself with
 * --child-* for the library side, and runs osi-backup-cli, curl and
 * /bin/sh directly. Nothing is dropped from the page cache: both sides read
 * warm data.
 *
 *   bench-server [--size-mb N]   N MiB of demo data (default 1024;
 *                                $OSI_BENCH_SIZE_MB overrides it)
 *   bench-server --list-only     part 2 alone (no demo data)
 *   $OSI_BENCH_DIR               where the temporary folder goes
 *   $OSI_BACKUP_SERVER, $OSI_BACKUP_CLI   the programs (meson sets them)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bench-seed.h"
#include "bench-support.h"
#include "osi-archive.h"
#include "osi-backup-info.h"
#include "osi-demo-data.h"
#include "osi-swap.h"

/* What bench_have_tool names when one is missing. */
#define TOOLS "curl, tar, zstd and sha256sum"
#define RUNS              5
#define LIST_RUNS         5
#define LIST_COUNT        100000
#define MIB               (1024.0 * 1024.0)

#define DOWNLOAD_TARGET   1.20
#define CLIENT_RSS_MIB    32.0
/* "Flat": what the server holds must not depend on what it sends; it may
 * grow by buffers, not by a fraction of a GiB. */
#define SERVER_GROWTH_MIB 32.0
/* The client's parse and the cached list; the cold list (the first after
 * the server started) has a target of its own, see the header. */
#define LIST_TARGET_MS      100.0
#define LIST_COLD_TARGET_MS 5000.0
/* create: against the pipeline followed by sync, since ours fsyncs */
#define CREATE_TARGET     1.10
#define RESTORE_TARGET    1.30
/* POST /api/rag/backup/restore: verify, stage, swap, keep the old data
 * (its safety backup is made after the answer) */
#define SERVER_RESTORE_TARGET 1.60

#define DOWNLOAD_NAME     "backup_20260101_000000.tar.zst"
#define TOKEN             "bench-server-token-0123456789abcdef"

#define CREATE_PIPELINE   "tar -cf - -C \"$1\" . | zstd -3 -T1 -q -o \"$2\""
/* Information only: osi_archive_create () fsyncs its archive, the pipeline
 * does not. */
#define CREATE_PIPELINE_SYNC CREATE_PIPELINE " && sync \"$2\""
#define RESTORE_PIPELINE  "zstd -dc \"$1\" | tar -xf - -C \"$2\" && sync"
#define TAR_RESTORE       "tar -I zstd -xf \"$1\" -C \"$2\" && sync"
/* Information only: the client syncs what it downloaded, curl does not. */
#define CURL_SYNC         "curl -s -f -o \"$1\" -H \"Authorization: Bearer $2\" \"$3\" && sync \"$1\""
/* Information only: the client's work done by tools, hashing while it
 * writes, then syncing. */
#define CURL_SHA_SYNC     "curl -s -f -H \"Authorization: Bearer $2\" \"$3\" | tee \"$1\" | sha256sum >/dev/null " \
                          "&& sync \"$1\""

/* --list-only: part 2 alone. */
static gboolean list_only;

/* Whether the terminal takes "→" and "≤". */
static gboolean utf8;
#define ARROW (utf8 ? "→" : "->")
#define LE    (utf8 ? "≤" : "<=")

typedef struct
{
  double seconds;
  double rss_mib;   /* ru_maxrss: the largest of the process and the
                     * descendants it waited for, not their sum */
  double cpu;       /* user + system seconds, with those descendants: less
                     * sensitive than wall time to a busy machine */
} Run;

/* ------------------------------------------------------------------------ */
/* Children                                                                 */

static int
child_create (const char *dir,
              const char *out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = NULL;

  /* As the server does: it lists and serves the archive's digest. */
  if (!osi_archive_create (dir, out, OSI_COMPRESSION_ZSTD, &sha256, NULL, &error))
    {
      g_printerr ("bench-server: create failed: %s\n", error->message);
      return 1;
    }
  return 0;
}

static int
child_restore (const char *live_dir,
               const char *archive)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;

  if (!osi_swap_restore_archive (live_dir, archive, NULL, &report, NULL, &error))
    {
      if (error != NULL)
        g_printerr ("bench-server: restore failed: %s\n", error->message);
      if (report != NULL)
        {
          GPtrArray *findings = osi_verify_report_get_findings (report);

          for (guint i = 0; i < findings->len; i++)
            {
              const OsiFinding *f = g_ptr_array_index (findings, i);
              g_printerr ("bench-server: finding %s: %s (%s)\n",
                          osi_finding_code_to_string (f->code), f->message,
                          f->path != NULL ? f->path : "-");
            }
        }
      return 1;
    }
  return 0;
}

static int
child_generate (const char *dir,
                const char *size_mb)
{
  g_autoptr(GError) error = NULL;
  guint64 mb = g_ascii_strtoull (size_mb, NULL, 10);

  if (!osi_demo_data_generate (dir, mb << 20, 1, NULL, &error))
    {
      g_printerr ("bench-server: cannot generate the data: %s\n", error->message);
      return 1;
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Signals: SIGINT, SIGTERM (meson's timeout) and SIGHUP are taken by a
 * thread, which stops the current child and the server so that the main
 * thread still stops what is left and removes the temporary folder. */

static sigset_t      handled_signals;
static sigset_t      original_mask;
static volatile gint child_pgid;      /* 0 when no child runs */
static volatile gint server_pgid;     /* 0 when no server runs */
static volatile gint stop_signal;

static gpointer
signal_thread (gpointer data)
{
  int sig;

  if (sigwait (&handled_signals, &sig) != 0)
    return NULL;
  g_atomic_int_set (&stop_signal, sig);
  {
    gint pgid = g_atomic_int_get (&child_pgid);
    gint spgid = g_atomic_int_get (&server_pgid);

    if (pgid > 0)
      kill (-pgid, SIGTERM);
    if (spgid > 0)
      kill (-spgid, SIGTERM);
  }
  return NULL;
}

static void
signals_init (void)
{
  sigemptyset (&handled_signals);
  sigaddset (&handled_signals, SIGINT);
  sigaddset (&handled_signals, SIGTERM);
  sigaddset (&handled_signals, SIGHUP);
  /* Before any thread exists, so that all inherit the mask. */
  pthread_sigmask (SIG_BLOCK, &handled_signals, &original_mask);
  g_thread_unref (g_thread_new ("bench-signals", signal_thread, NULL));
}

static gboolean
stopped (void)
{
  return g_atomic_int_get (&stop_signal) != 0;
}

/* ------------------------------------------------------------------------ */
/* Processes                                                                */

/* The environment of every child: without $OSI_BACKUP_SERVER (meson's path
 * to the server, which the CLI would take for a URL) and
 * $OSI_BACKUP_TOKEN. Built before any fork. */
static char **child_env;
/* Where the children's standard error goes; shown when one fails. */
static char  *child_log;

static void
print_file_tail (const char *path,
                 const char *what)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  const char *start;

  if (path == NULL || !g_file_get_contents (path, &contents, &len, NULL) || len == 0)
    return;
  start = len > 4096 ? contents + len - 4096 : contents;
  g_printerr ("---- %s (%s%s) ----\n%s%s---- end ----\n", what, len > 4096 ? "last 4 KiB of " : "",
              path, start, contents[len - 1] == '\n' ? "" : "\n");
}

/* In a forked child, before exec: its own process group, the signals as
 * they were, killed if this program dies, standard streams as asked.
 * Only async-signal-safe calls. */
static void
setup_child (int stdout_fd,
             int stderr_fd,
             int death_signal)
{
  int null_fd;

  setpgid (0, 0);
  sigprocmask (SIG_SETMASK, &original_mask, NULL);
  prctl (PR_SET_PDEATHSIG, death_signal);
  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0)
    dup2 (null_fd, STDIN_FILENO);
  dup2 (stdout_fd >= 0 ? stdout_fd : null_fd, STDOUT_FILENO);
  if (stderr_fd >= 0)
    dup2 (stderr_fd, STDERR_FILENO);
}

/* Runs argv (argv[0] a full path) in its own process group, its standard
 * output into stdout_path (NULL: /dev/null) and its standard error into
 * child_log; returns its wall time and peak RSS, FALSE if it could not run
 * or did not exit 0.
 *
 * Linux counts in a child's ru_maxrss the RSS it had before exec, which is
 * a copy of ours at fork: this process stays small (the data is generated
 * by a child too, the in-process parse comes last) so that the figure is
 * the child's own. */
static gboolean
run_child (char * const *argv,
           const char   *stdout_path,
           Run          *run)
{
  struct rusage ru;
  gint64 start;
  int status;
  int out_fd = -1;
  int err_fd;
  pid_t pid;
  pid_t r;

  if (stopped ())
    return FALSE;

  if (stdout_path != NULL)
    {
      out_fd = open (stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (out_fd < 0)
        {
          g_printerr ("bench-server: cannot write %s: %s\n", stdout_path, g_strerror (errno));
          return FALSE;
        }
    }
  err_fd = open (child_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  start = g_get_monotonic_time ();
  pid = fork ();
  if (pid < 0)
    {
      g_printerr ("bench-server: fork: %s\n", g_strerror (errno));
      if (out_fd >= 0)
        close (out_fd);
      if (err_fd >= 0)
        close (err_fd);
      return FALSE;
    }
  if (pid == 0)
    {
      setup_child (out_fd, err_fd, SIGKILL);
      execve (argv[0], argv, child_env);
      _exit (127);
    }
  setpgid (pid, pid);
  g_atomic_int_set (&child_pgid, pid);
  if (stopped ())
    kill (-pid, SIGTERM);
  if (out_fd >= 0)
    close (out_fd);
  if (err_fd >= 0)
    close (err_fd);

  do
    r = wait4 (pid, &status, 0, &ru);
  while (r < 0 && errno == EINTR);
  run->seconds = (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_atomic_int_set (&child_pgid, 0);
  /* What is left of a pipeline, if any. */
  kill (-pid, SIGKILL);

  if (r < 0)
    {
      g_printerr ("bench-server: wait4: %s\n", g_strerror (errno));
      return FALSE;
    }
  run->rss_mib = (double)ru.ru_maxrss / 1024.0;   /* KiB on Linux */
  run->cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / G_USEC_PER_SEC;

  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      if (!stopped ())
        {
          g_autofree char *command = g_strjoinv (" ", (char **)argv);

          g_printerr ("bench-server: “%s” failed (%s %d)\n", command,
                      WIFEXITED (status) ? "exit status" : "signal",
                      WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
          print_file_tail (child_log, "its standard error");
        }
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* The server                                                               */

typedef struct
{
  pid_t  pid;
  int    stdout_fd;   /* kept open: the server never gets SIGPIPE */
  char  *url;
  char  *log;
} Server;

static const char *server_program;
static const char *cli_program;
static const char *curl_program;
static char       *token_file;
/* The one running, stopped by main () whatever happened. */
static Server     *running_server;
static guint       server_count;

/* Reads the first line of the server's standard output (the URL it
 * listens on), within 60 s. */
static char *
read_url (int fd)
{
  GString *line = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!stopped ())
    {
      struct pollfd p = { fd, POLLIN, 0 };
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      char c;
      ssize_t n;

      if (left <= 0)
        {
          g_printerr ("bench-server: the server printed no URL within 60 s\n");
          break;
        }
      if (poll (&p, 1, (int)MIN (left, 1000)) <= 0)
        continue;
      n = read (fd, &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_printerr ("bench-server: the server ended before it printed its URL\n");
          break;
        }
      if (c == '\n')
        {
          g_strstrip (line->str);
          if (g_str_has_prefix (line->str, "http://") || g_str_has_prefix (line->str, "https://"))
            {
              /* No trailing slash: paths are appended. */
              while (line->len > 0 && line->str[line->len - 1] == '/')
                g_string_truncate (line, line->len - 1);
              return g_string_free (line, FALSE);
            }
          g_printerr ("bench-server: the server's first line is not a URL: “%s”\n", line->str);
          break;
        }
      g_string_append_c (line, c);
    }
  g_string_free (line, TRUE);
  return NULL;
}

/* Stops it: SIGTERM, up to 60 s for it to finish, then SIGKILL. Returns
 * whether it exited 0 by itself; *peak_mib (optional) gets its
 * ru_maxrss. */
static gboolean
server_stop (Server *server,
             double *peak_mib)
{
  struct rusage ru;
  gint64 deadline;
  gboolean ok = FALSE;
  int status = 0;
  pid_t r;

  if (server == NULL)
    return TRUE;
  if (running_server == server)
    running_server = NULL;

  if (server->pid > 0)
    {
      kill (server->pid, SIGTERM);
      deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
      for (;;)
        {
          r = wait4 (server->pid, &status, WNOHANG, &ru);
          if (r == server->pid || (r < 0 && errno != EINTR))
            break;
          if (g_get_monotonic_time () > deadline)
            {
              g_printerr ("bench-server: the server did not stop within 60 s of SIGTERM; killed\n");
              kill (-server->pid, SIGKILL);
              do
                r = wait4 (server->pid, &status, 0, &ru);
              while (r < 0 && errno == EINTR);
              break;
            }
          g_usleep (20000);
        }
      kill (-server->pid, SIGKILL);   /* anything it started (--on-restore) */
      g_atomic_int_set (&server_pgid, 0);
      if (r == server->pid)
        {
          ok = WIFEXITED (status) && WEXITSTATUS (status) == 0;
          if (peak_mib != NULL)
            *peak_mib = (double)ru.ru_maxrss / 1024.0;
          if (!ok && !stopped ())
            {
              g_printerr ("bench-server: the server ended with %s %d\n",
                          WIFEXITED (status) ? "exit status" : "signal",
                          WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
              print_file_tail (server->log, "the server's log");
            }
        }
    }
  if (server->stdout_fd >= 0)
    close (server->stdout_fd);
  g_free (server->url);
  g_free (server->log);
  g_free (server);
  return ok;
}

/* A real osi-backup-server on 127.0.0.1, port 0, with the bearer token of
 * token_file; its access log goes to tmp/server-N.log. */
static Server *
server_start (const char *tmp,
              const char *data_dir,
              const char *backup_dir)
{
  Server *server = g_new0 (Server, 1);
  char *argv[] = { (char *)server_program, (char *)"--data-dir", (char *)data_dir,
                   (char *)"--backup-dir", (char *)backup_dir, (char *)"--listen",
                   (char *)"127.0.0.1:0", (char *)"--token-file", token_file, NULL };
  int fds[2];
  int log_fd;
  pid_t pid;

  server->stdout_fd = -1;
  server->log = g_strdup_printf ("%s/server-%u.log", tmp, ++server_count);
  if (stopped ())
    {
      server_stop (server, NULL);
      return NULL;
    }
  log_fd = open (server->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0 || pipe2 (fds, O_CLOEXEC) < 0)
    {
      g_printerr ("bench-server: cannot start the server: %s\n", g_strerror (errno));
      if (log_fd >= 0)
        close (log_fd);
      server_stop (server, NULL);
      return NULL;
    }

  pid = fork ();
  if (pid < 0)
    {
      g_printerr ("bench-server: fork: %s\n", g_strerror (errno));
      close (fds[0]);
      close (fds[1]);
      close (log_fd);
      server_stop (server, NULL);
      return NULL;
    }
  if (pid == 0)
    {
      setup_child (fds[1], log_fd, SIGTERM);
      execve (argv[0], argv, child_env);
      _exit (127);
    }
  setpgid (pid, pid);
  server->pid = pid;
  server->stdout_fd = fds[0];
  running_server = server;
  g_atomic_int_set (&server_pgid, pid);
  if (stopped ())
    kill (-pid, SIGTERM);
  close (fds[1]);
  close (log_fd);

  server->url = read_url (server->stdout_fd);
  if (server->url == NULL)
    {
      print_file_tail (server->log, "the server's log");
      server_stop (server, NULL);
      return NULL;
    }
  return server;
}

/* VmHWM (peak) and VmRSS of a running process, in MiB; FALSE if unknown. */
static gboolean
process_memory (pid_t   pid,
                double *hwm_mib,
                double *rss_mib)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)pid);
  g_autofree char *contents = NULL;
  gboolean found_hwm = FALSE;
  gboolean found_rss = FALSE;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "VmHWM:"))
        {
          *hwm_mib = g_ascii_strtod (lines[i] + 6, NULL) / 1024.0;
          found_hwm = TRUE;
        }
      else if (g_str_has_prefix (lines[i], "VmRSS:"))
        {
          *rss_mib = g_ascii_strtod (lines[i] + 6, NULL) / 1024.0;
          found_rss = TRUE;
        }
    }
  return found_hwm && found_rss;
}

/* The CPU time (user + system) a process has used so far, in seconds,
 * from /proc/PID/stat; -1 if unknown. */
static double
process_cpu_seconds (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int)pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  /* The name, in parentheses, may hold spaces: the fields follow the last
   * ")". utime and stime are the 14th and 15th fields, the 12th and 13th
   * after it. */
  after_name = strrchr (text, ')');
  if (after_name == NULL)
    return -1;
  fields = g_strsplit (after_name + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return -1;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / (double)sysconf (_SC_CLK_TCK);
}

/* One request by curl, timed by curl: its %{time_total} (connection to
 * last byte) in seconds, the body into body_path (NULL: discarded).
 * method NULL is GET; json_body, if any, is sent as application/json.
 * Returns FALSE unless the status is expect_status. */
static gboolean
curl_request (const char *tmp,
              const char *method,
              const char *url,
              const char *json_body,
              const char *body_path,
              guint       expect_status,
              double     *seconds,
              double     *first_byte_seconds)
{
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s", TOKEN);
  g_autofree char *out = g_build_filename (tmp, "curl-w.txt", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  GPtrArray *argv = g_ptr_array_new ();
  guint64 status;
  gboolean ok = FALSE;
  Run run;

  g_ptr_array_add (argv, (char *)curl_program);
  g_ptr_array_add (argv, (char *)"-s");
  g_ptr_array_add (argv, (char *)"-o");
  g_ptr_array_add (argv, (char *)(body_path != NULL ? body_path : "/dev/null"));
  g_ptr_array_add (argv, (char *)"-w");
  g_ptr_array_add (argv, (char *)"%{http_code} %{time_total} %{time_starttransfer}\\n");
  g_ptr_array_add (argv, (char *)"-H");
  g_ptr_array_add (argv, auth);
  if (method != NULL)
    {
      g_ptr_array_add (argv, (char *)"-X");
      g_ptr_array_add (argv, (char *)method);
    }
  if (json_body != NULL)
    {
      g_ptr_array_add (argv, (char *)"-H");
      g_ptr_array_add (argv, (char *)"Content-Type: application/json");
      g_ptr_array_add (argv, (char *)"--data-binary");
      g_ptr_array_add (argv, (char *)json_body);
    }
  g_ptr_array_add (argv, (char *)url);
  g_ptr_array_add (argv, NULL);

  if (!run_child ((char * const *)argv->pdata, out, &run))
    goto out;
  if (!g_file_get_contents (out, &text, NULL, NULL))
    goto out;
  fields = g_strsplit (g_strstrip (text), " ", -1);
  if (g_strv_length (fields) != 3 ||
      !g_ascii_string_to_unsigned (fields[0], 10, 0, 999, &status, NULL))
    {
      g_printerr ("bench-server: unexpected curl output “%s”\n", text);
      goto out;
    }
  *seconds = g_ascii_strtod (fields[1], NULL);
  if (first_byte_seconds != NULL)
    *first_byte_seconds = g_ascii_strtod (fields[2], NULL);
  if (status != expect_status)
    {
      g_autofree char *body = NULL;

      g_printerr ("bench-server: %s %s answered %" G_GUINT64_FORMAT ", not %u\n",
                  method != NULL ? method : "GET", url, status, expect_status);
      if (body_path != NULL && g_file_get_contents (body_path, &body, NULL, NULL))
        g_printerr ("bench-server: its body: %.2000s\n", body);
      goto out;
    }
  ok = TRUE;

out:
  g_ptr_array_free (argv, TRUE);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */

static gboolean
make_dir (const char *path)
{
  if (g_mkdir_with_parents (path, 0700) < 0)
    {
      g_printerr ("bench-server: cannot create %s: %s\n", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Figures                                                                  */

static double
median_seconds (const Run *runs)
{
  double s[RUNS];

  for (guint i = 0; i < RUNS; i++)
    s[i] = runs[i].seconds;
  return bench_median (s, RUNS);
}

static double
median_cpu (const Run *runs)
{
  double s[RUNS];

  for (guint i = 0; i < RUNS; i++)
    s[i] = runs[i].cpu;
  return bench_median (s, RUNS);
}

static double
max_rss (const Run *runs)
{
  double m = 0;

  for (guint i = 0; i < RUNS; i++)
    m = MAX (m, runs[i].rss_mib);
  return m;
}

static char *
format_runs (const Run *runs)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < RUNS; i++)
    g_string_append_printf (s, "%s%.2f", i > 0 ? " " : "", runs[i].seconds);
  return g_string_free (s, FALSE);
}

/* Prints one comparison; returns whether the time ratio meets target. */
static gboolean
report (const char *what,
        const char *theirs,
        const Run  *ours_runs,
        const Run  *their_runs,
        double      target,
        guint64     bytes,
        const char *bytes_what)
{
  double ours = median_seconds (ours_runs);
  double ref = median_seconds (their_runs);
  double ratio = ours / ref;
  gboolean ok = ratio <= target;
  g_autofree char *ours_list = format_runs (ours_runs);
  g_autofree char *their_list = format_runs (their_runs);

  double low = G_MAXDOUBLE, high = 0;

  /* The runs were interleaved: run i of each side saw the same machine. */
  for (guint i = 0; i < RUNS; i++)
    {
      low = MIN (low, ours_runs[i].seconds / their_runs[i].seconds);
      high = MAX (high, ours_runs[i].seconds / their_runs[i].seconds);
    }
  g_print ("%s: osi %.2f s (peak RSS %.1f MiB) vs %s %.2f s (peak RSS %.1f MiB) %s ratio %.2f "
           "(runs %.2f%s%.2f; target %s %.2f) %s\n",
           what, ours, max_rss (ours_runs), theirs, ref, max_rss (their_runs), ARROW, ratio,
           low, utf8 ? "–" : "-", high, LE, target, ok ? "OK" : "MISSED");
  /* A request to the server has no CPU time of its own to give. */
  if (median_cpu (ours_runs) > 0)
    g_print ("  runs (s): osi %s; %s %s; CPU time (user + system, median): osi %.2f s, %s %.2f s\n",
             ours_list, theirs, their_list, median_cpu (ours_runs), theirs, median_cpu (their_runs));
  else
    g_print ("  runs (s): osi %s; %s %s; CPU time (user + system, median): %s %.2f s\n",
             ours_list, theirs, their_list, theirs, median_cpu (their_runs));
  g_print ("  throughput over the %.1f MiB of %s: osi %.0f MB/s, %s %.0f MB/s\n",
           bytes / MIB, bytes_what, bytes / 1e6 / ours, theirs, bytes / 1e6 / ref);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* The benchmark                                                            */

typedef struct
{
  const char *self;
  const char *tmp;
  guint64     size_mb;

  /* 3: library create and restore */
  guint64 data_bytes;
  guint64 archive_bytes;
  guint64 ref_archive_bytes;
  Run     create_ours[RUNS], create_ref[RUNS], create_ref_sync[RUNS];
  Run     restore_ours[RUNS], restore_ref[RUNS];
  gboolean have_create, have_restore;

  /* 1: download */
  guint64 download_bytes;
  guint64 download_data_mb;
  double  warmup_curl;
  Run     dl_ours[RUNS], dl_curl[RUNS], dl_curl_sync[RUNS], dl_curl_sha_sync[RUNS];
  double  server_start_hwm, server_start_rss, server_dl_hwm, server_dl_rss;
  gboolean have_download, have_server_memory;

  /* 3: the server's endpoints: create (information), restore against
   * tar -I zstd -xf && sync */
  double  post_create;
  Run     post_restore[RUNS], post_restore_ref[RUNS];
  double  safety_after[RUNS];   /* from the answer until the safety backup was made */
  double  server_ops_hwm;
  char   *created_name;
  char   *safety_name;
  gboolean have_post_create, have_post_restore, have_ops_memory;

  /* 2: listing */
  double  list_first, list_warmup, list_hashed;
  double  list_cold[LIST_RUNS], list_cold_first_byte[LIST_RUNS], list_cold_cpu[LIST_RUNS];
  double  list_cached[LIST_RUNS], list_cached_first_byte[LIST_RUNS];
  double  list_changed[LIST_RUNS];
  guint   cold_with_sha;
  double  parse_total[LIST_RUNS], parse_cpu[LIST_RUNS];
  double  tree_total[LIST_RUNS], tree_json[LIST_RUNS], tree_infos[LIST_RUNS];
  Run     cli_list[RUNS];
  gsize   list_body_bytes;
  guint   listed;
  gboolean have_list_cold, have_list_cached, have_list_changed, have_parse, have_tree, have_cli_list;
} Bench;

static gboolean
phase_library (Bench *b)
{
  g_autofree char *data = g_build_filename (b->tmp, "data", NULL);
  g_autofree char *archive = g_build_filename (b->tmp, "data.tar.zst", NULL);
  g_autofree char *ours_out = g_build_filename (b->tmp, "osi.tar.zst", NULL);
  g_autofree char *their_out = g_build_filename (b->tmp, "ref.tar.zst", NULL);
  g_autofree char *live = g_build_filename (b->tmp, "live", NULL);
  g_autofree char *extract = g_build_filename (b->tmp, "extract", NULL);
  guint64 live_bytes;

  g_print ("bench-server: [3] create, %d runs each of osi_archive_create, tar|zstd and "
           "tar|zstd && sync\n", RUNS);
  /* Interleaved so that a slow phase of the machine hurts both sides. */
  for (guint i = 0; i < RUNS; i++)
    {
      char *ours_argv[] = { (char *)b->self, (char *)"--child-create", data, ours_out, NULL };
      char *ref_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)CREATE_PIPELINE,
                           (char *)"sh", data, their_out, NULL };
      char *sync_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)CREATE_PIPELINE_SYNC,
                            (char *)"sh", data, their_out, NULL };

      g_unlink (ours_out);
      sync ();
      if (!run_child (ours_argv, NULL, &b->create_ours[i]))
        return FALSE;
      b->archive_bytes = bench_file_size (ours_out);
      g_unlink (their_out);
      sync ();
      if (!run_child (ref_argv, NULL, &b->create_ref[i]))
        return FALSE;
      b->ref_archive_bytes = bench_file_size (their_out);
      g_unlink (their_out);
      sync ();
      if (!run_child (sync_argv, NULL, &b->create_ref_sync[i]))
        return FALSE;
    }
  g_unlink (their_out);
  b->have_create = TRUE;
  if (g_rename (ours_out, archive) < 0)
    {
      g_printerr ("bench-server: cannot rename %s: %s\n", ours_out, g_strerror (errno));
      return FALSE;
    }

  /* The live directory that osi restores over holds the data already, as
   * a server's would: the swap and the removal of the old data count. */
  g_print ("bench-server: [3] restore, %d runs each of osi_swap_restore_archive and "
           "zstd -dc|tar -x && sync\n", RUNS);
  {
    char *fill_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)RESTORE_PIPELINE,
                          (char *)"sh", archive, live, NULL };
    Run fill;

    if (!make_dir (live) || !run_child (fill_argv, NULL, &fill))
      return FALSE;
  }
  for (guint i = 0; i < RUNS; i++)
    {
      char *ours_argv[] = { (char *)b->self, (char *)"--child-restore", live, archive, NULL };
      char *ref_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)RESTORE_PIPELINE,
                           (char *)"sh", archive, extract, NULL };

      sync ();
      if (!run_child (ours_argv, NULL, &b->restore_ours[i]))
        return FALSE;
      if (!make_dir (extract))
        return FALSE;
      sync ();
      if (!run_child (ref_argv, NULL, &b->restore_ref[i]))
        return FALSE;
      bench_remove_tree (extract);
    }
  sync ();
  b->have_restore = TRUE;

  live_bytes = bench_tree_size (live);
  if (live_bytes != b->data_bytes)
    {
      g_printerr ("bench-server: the restored data holds %" G_GUINT64_FORMAT " bytes, the "
                  "original %" G_GUINT64_FORMAT "\n", live_bytes, b->data_bytes);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_download (const char *path,
                guint64     expected)
{
  guint64 size = bench_file_size (path);

  if (size != expected)
    {
      g_printerr ("bench-server: %s holds %" G_GUINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT "\n",
                  path, size, expected);
      return FALSE;
    }
  return TRUE;
}

/* The string at root.first (or root.first.second) of a JSON file, or
 * NULL. */
static char *
json_string_at (JsonParser *parser,
                const char *path,
                const char *first,
                const char *second)
{
  JsonNode *node;

  if (!json_parser_load_from_file (parser, path, NULL))
    return NULL;
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  node = json_object_get_member (json_node_get_object (node), first);
  if (second != NULL)
    {
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        return NULL;
      node = json_object_get_member (json_node_get_object (node), second);
    }
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/* Waits until the old data a restore kept beside live (b->tmp/live) has
 * become its safety backup: no .live.osi-retired.* is left. */
static gboolean
wait_safety_backup (Bench *b)
{
  gint64 deadline = g_get_monotonic_time () + 600 * G_USEC_PER_SEC;

  for (;;)
    {
      GDir *dir = g_dir_open (b->tmp, 0, NULL);
      const char *name;
      gboolean waiting = FALSE;

      while (dir != NULL && !waiting && (name = g_dir_read_name (dir)) != NULL)
        waiting = g_str_has_prefix (name, ".live.osi-retired.");
      if (dir != NULL)
        g_dir_close (dir);
      if (!waiting)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("bench-server: the safety backup %s was not made in 10 minutes\n", b->safety_name);
          return FALSE;
        }
      g_usleep (10000);
    }
}

static gboolean
delete_backup (Bench      *b,
               Server     *server,
               const char *name)
{
  g_autofree char *url = g_strdup_printf ("%s/api/rag/backup?filename=%s", server->url, name);
  g_autofree char *body = g_build_filename (b->tmp, "delete.json", NULL);
  double seconds;

  return curl_request (b->tmp, "DELETE", url, NULL, body, 200, &seconds, NULL);
}

static gboolean
phase_download (Bench *b)
{
  g_autofree char *dl_data = g_build_filename (b->tmp, "dl-data", NULL);
  g_autofree char *backups = g_build_filename (b->tmp, "backups", NULL);
  g_autofree char *archive = g_build_filename (backups, DOWNLOAD_NAME, NULL);
  g_autofree char *live = g_build_filename (b->tmp, "live", NULL);
  g_autofree char *out_dir = g_build_filename (b->tmp, "download", NULL);
  g_autofree char *osi_out = g_build_filename (out_dir, DOWNLOAD_NAME, NULL);
  g_autofree char *osi_part = g_strconcat (osi_out, ".part", NULL);
  g_autofree char *curl_out = g_build_filename (b->tmp, "curl.out", NULL);
  g_autofree char *url = NULL;
  g_autofree char *mb = NULL;
  g_autofree char *auth = g_strdup_printf ("Authorization: Bearer %s", TOKEN);
  g_autofree char *body = g_build_filename (b->tmp, "body.json", NULL);
  Server *server;
  double ratio = (double)b->archive_bytes / (double)MAX (b->data_bytes, 1);

  /* About size_mb of archive: that much data divided by the ratio of the
   * archive of part 3 (about 0.6: half the demo data is incompressible). */
  b->download_data_mb = (guint64)((double)b->size_mb / MAX (ratio, 0.05) + 0.5);
  mb = g_strdup_printf ("%" G_GUINT64_FORMAT, b->download_data_mb);
  g_print ("bench-server: [1] making the archive to download: %" G_GUINT64_FORMAT " MiB of demo "
           "data (the archive of part 3 is %.0f %% of its data)\n", b->download_data_mb,
           100.0 * ratio);
  {
    char *gen_argv[] = { (char *)b->self, (char *)"--child-generate", dl_data, mb, NULL };
    char *create_argv[] = { (char *)b->self, (char *)"--child-create", dl_data, archive, NULL };
    Run run;

    if (!make_dir (backups) || !make_dir (out_dir))
      return FALSE;
    if (!run_child (gen_argv, NULL, &run) || !run_child (create_argv, NULL, &run))
      return FALSE;
  }
  bench_remove_tree (dl_data);
  sync ();
  b->download_bytes = bench_file_size (archive);

  server = server_start (b->tmp, live, backups);
  if (server == NULL)
    return FALSE;
  g_print ("bench-server: [1] server %s (pid %d) serves %s, %.1f MiB\n", server->url,
           (int)server->pid, DOWNLOAD_NAME, b->download_bytes / MIB);
  b->have_server_memory = process_memory (server->pid, &b->server_start_hwm, &b->server_start_rss);
  url = g_strdup_printf ("%s/api/rag/backup?filename=%s", server->url, DOWNLOAD_NAME);

  /* One warm-up, not counted: whatever the server computes once (the
   * digest) is computed for both sides alike. */
  if (!curl_request (b->tmp, NULL, url, NULL, curl_out, 200, &b->warmup_curl, NULL) ||
      !check_download (curl_out, b->download_bytes))
    return FALSE;
  g_unlink (curl_out);

  g_print ("bench-server: [1] download, %d runs each of osi-backup-cli download, curl -o, "
           "curl -o && sync and curl|tee|sha256sum && sync\n", RUNS);
  for (guint i = 0; i < RUNS; i++)
    {
      char *ours_argv[] = { (char *)cli_program, (char *)"--server", server->url,
                            (char *)"--token-file", token_file, (char *)"download",
                            (char *)DOWNLOAD_NAME, (char *)"-o", out_dir, NULL };
      char *curl_argv[] = { (char *)curl_program, (char *)"-s", (char *)"-f", (char *)"-o",
                            curl_out, (char *)"-H", auth, url, NULL };
      char *sync_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)CURL_SYNC, (char *)"sh",
                            curl_out, (char *)TOKEN, url, NULL };
      char *sha_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)CURL_SHA_SYNC, (char *)"sh",
                           curl_out, (char *)TOKEN, url, NULL };

      g_unlink (osi_out);
      g_unlink (osi_part);
      sync ();
      if (!run_child (ours_argv, NULL, &b->dl_ours[i]) || !check_download (osi_out, b->download_bytes))
        return FALSE;
      g_unlink (osi_out);
      sync ();
      if (!run_child (curl_argv, NULL, &b->dl_curl[i]) || !check_download (curl_out, b->download_bytes))
        return FALSE;
      g_unlink (curl_out);
      sync ();
      if (!run_child (sync_argv, NULL, &b->dl_curl_sync[i]) ||
          !check_download (curl_out, b->download_bytes))
        return FALSE;
      g_unlink (curl_out);
      sync ();
      if (!run_child (sha_argv, NULL, &b->dl_curl_sha_sync[i]) ||
          !check_download (curl_out, b->download_bytes))
        return FALSE;
      g_unlink (curl_out);
    }
  sync ();
  b->have_download = TRUE;
  b->have_server_memory &= process_memory (server->pid, &b->server_dl_hwm, &b->server_dl_rss);

  /* Information: the server's own create and restore, once each. */
  g_print ("bench-server: [3] the server's POST /api/rag/backup and POST /api/rag/backup/restore\n");
  {
    g_autofree char *create_url = g_strdup_printf ("%s/api/rag/backup", server->url);
    g_autofree char *restore_url = g_strdup_printf ("%s/api/rag/backup/restore", server->url);
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autofree char *request = NULL;
    double rss;

    if (!curl_request (b->tmp, "POST", create_url, NULL, body, 201, &b->post_create, NULL))
      return FALSE;
    b->have_post_create = TRUE;
    b->created_name = json_string_at (parser, body, "backup", "name");
    if (b->created_name == NULL)
      {
        g_printerr ("bench-server: POST /api/rag/backup answered no backup name\n");
        return FALSE;
      }

    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "backupFile");
      json_builder_add_string_value (builder, b->created_name);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      request = json_to_string (root, FALSE);
    }
    /* Interleaved with the reference, each restore's safety backup made
     * (in the background, after the answer) and deleted before the next
     * run: the figure is what the caller waits for. */
    for (guint i = 0; i < RUNS; i++)
      {
        g_autofree char *created = g_build_filename (backups, b->created_name, NULL);
        g_autofree char *extract = g_build_filename (b->tmp, "extract", NULL);
        char *ref_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)TAR_RESTORE, (char *)"sh",
                             created, extract, NULL };
        gint64 answered;

        sync ();
        if (!curl_request (b->tmp, "POST", restore_url, request, body, 200, &b->post_restore[i].seconds, NULL))
          return FALSE;
        answered = g_get_monotonic_time ();
        g_free (b->safety_name);
        b->safety_name = json_string_at (parser, body, "safety_backup", NULL);
        if (b->safety_name == NULL || !wait_safety_backup (b))
          return FALSE;
        b->safety_after[i] = (g_get_monotonic_time () - answered) / 1e6;
        if (!delete_backup (b, server, b->safety_name))
          return FALSE;

        if (!make_dir (extract))
          return FALSE;
        sync ();
        if (!run_child (ref_argv, NULL, &b->post_restore_ref[i]))
          return FALSE;
        bench_remove_tree (extract);
      }
    b->have_post_restore = TRUE;
    b->have_ops_memory = process_memory (server->pid, &b->server_ops_hwm, &rss);
    for (guint i = 0; i < RUNS; i++)
      b->post_restore[i].rss_mib = b->server_ops_hwm;
  }

  server_stop (server, NULL);
  bench_remove_tree (backups);
  bench_remove_tree (out_dir);
  sync ();
  return TRUE;
}

/* LIST_COUNT real (tiny) archives named as the server names them, one
 * every 47 minutes from 2025 on, each last modified at the time of its
 * name, and the catalog a server that made and verified them holds
 * (bench-seed.c: a kind, some notes, most verified, some protected). No
 * checksum files: the server hashes them in the background and writes
 * its own. */
static char *
list_name (guint i)
{
  g_autoptr(GDateTime) base = g_date_time_new_utc (2025, 1, 1, 0, 0, 0);
  g_autoptr(GDateTime) t = g_date_time_add_minutes (base, 47 * (int)i);

  return g_date_time_format (t, "backup_%Y%m%d_%H%M%S.tar.zst");
}

static gboolean
make_list_dir (Bench      *b,
               const char *backups)
{
  g_autofree char *tiny = g_build_filename (b->tmp, "tiny", NULL);
  g_autofree char *rag = g_build_filename (tiny, "rag", NULL);
  g_autofree char *search = g_build_filename (rag, "search.json", NULL);
  g_autofree char *archive = g_build_filename (b->tmp, "tiny.tar.zst", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GDateTime) base = g_date_time_new_utc (2025, 1, 1, 0, 0, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree gint64 *made_at = g_new (gint64, LIST_COUNT);
  char *create_argv[] = { (char *)b->self, (char *)"--child-create", tiny, archive, NULL };
  gsize len;
  Run run;

  if (!make_dir (rag) || !make_dir (backups))
    return FALSE;
  if (!g_file_set_contents (search, "{}\n", -1, &error))
    {
      g_printerr ("bench-server: %s\n", error->message);
      return FALSE;
    }
  if (!run_child (create_argv, NULL, &run))
    return FALSE;
  if (!g_file_get_contents (archive, &contents, &len, &error))
    {
      g_printerr ("bench-server: %s\n", error->message);
      return FALSE;
    }

  for (guint i = 0; i < LIST_COUNT && !stopped (); i++)
    {
      g_autoptr(GDateTime) t = g_date_time_add_minutes (base, 47 * (int)i);
      char *name = list_name (i);
      g_autofree char *path = g_build_filename (backups, name, NULL);
      int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

      /* Made at the time its name says, as a server would have. */
      struct timespec times[2] = { { g_date_time_to_unix (t), 0 }, { g_date_time_to_unix (t), 0 } };

      if (fd < 0 || write (fd, contents, len) != (ssize_t)len || futimens (fd, times) < 0)
        {
          g_printerr ("bench-server: cannot write %s: %s\n", path, g_strerror (errno));
          if (fd >= 0)
            close (fd);
          g_free (name);
          return FALSE;
        }
      close (fd);
      g_ptr_array_add (names, name);
      made_at[i] = g_date_time_to_unix (t);
    }
  if (stopped () || !bench_seed_catalog (backups, (char * const *)names->pdata, made_at, names->len))
    return FALSE;
  sync ();
  return !stopped ();
}

/* How many entries of the list in path carry their sha256. */
static guint
count_with_sha (const char *path)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (g_file_get_contents (path, &text, NULL, NULL))
    for (const char *p = strstr (text, "\"sha256\":\""); p != NULL; p = strstr (p + 1, "\"sha256\":\""))
      n++;
  return n;
}

static gboolean
same_file_contents (const char *a,
                    const char *b)
{
  g_autofree char *ta = NULL;
  g_autofree char *tb = NULL;
  gsize la = 0, lb = 0;

  return g_file_get_contents (a, &ta, &la, NULL) && g_file_get_contents (b, &tb, &lb, NULL) &&
         la == lb && memcmp (ta, tb, la) == 0;
}

/* The listing, on the paths an admin meets:
 *   - cold: the first GET /api/rag/backup after the server started, in a
 *     folder whose backups all have their checksum file (as a server that
 *     ran before leaves it): every file's metadata and checksum file read,
 *     every entry rendered. What an admin waits for after the server
 *     (re)started; LIST_RUNS restarts. The page cache is warm.
 *   - after a change: one backup touched (its date changes), then a
 *     listing: the watch names that file, the server looks at it again,
 *     sorts and concatenates (information).
 *   - cached: the rendered list, served again while the folder does not
 *     change.
 *   - the very first listing, before any checksum file exists (information).
 * Then, in this process, the client's parse of that answer by the
 * streaming reader OsiClient uses, and for information the json-glib
 * tree it replaced. */
static gboolean
phase_list (Bench *b)
{
  g_autofree char *backups = g_build_filename (b->tmp, "list-backups", NULL);
  g_autofree char *tiny = g_build_filename (b->tmp, "tiny", NULL);
  g_autofree char *body = g_build_filename (b->tmp, "list.json", NULL);
  g_autofree char *previous = g_build_filename (b->tmp, "list-previous.json", NULL);
  g_autofree char *url = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *newest_name = list_name (LIST_COUNT - 1);
  Server *server;

  g_print ("bench-server: [2] listing: %d backups in one folder\n", LIST_COUNT);
  if (!make_list_dir (b, backups))
    return FALSE;

  server = server_start (b->tmp, tiny, backups);
  if (server == NULL)
    return FALSE;
  url = g_strdup_printf ("%s/api/rag/backup", server->url);

  /* The first listing ever reads every file's metadata and has the server
   * hash, in the background, those without a checksum: the listings that
   * follow are the warm-up until every entry has its sha256 (and its
   * checksum file is written). */
  if (!curl_request (b->tmp, NULL, url, NULL, body, 200, &b->list_first, NULL))
    return FALSE;
  {
    gint64 start = g_get_monotonic_time ();

    for (;;)
      {
        guint with_sha = count_with_sha (body);

        b->list_hashed = (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
        if (with_sha >= LIST_COUNT || stopped ())
          break;
        if (b->list_hashed > 300)
          {
            g_print ("bench-server: [2] after 300 s, %u of %d entries have their sha256; "
                     "measuring anyway\n", with_sha, LIST_COUNT);
            b->list_hashed = -1;
            break;
          }
        g_usleep (G_USEC_PER_SEC / 5);
        if (!curl_request (b->tmp, NULL, url, NULL, body, 200, &b->list_warmup, NULL))
          return FALSE;
      }
  }
  for (guint i = 0; i < LIST_RUNS; i++)
    if (!curl_request (b->tmp, NULL, url, NULL, body, 200, &b->list_cached[i],
                       &b->list_cached_first_byte[i]))
      return FALSE;
  b->have_list_cached = TRUE;

  /* Cold: the same folder, a new server each time. */
  g_print ("bench-server: [2] the first listing after the server started, %d restarts\n", LIST_RUNS);
  for (guint i = 0; i < LIST_RUNS; i++)
    {
      server_stop (server, NULL);
      server = server_start (b->tmp, tiny, backups);
      if (server == NULL)
        return FALSE;
      g_free (url);
      url = g_strdup_printf ("%s/api/rag/backup", server->url);
      b->list_cold_cpu[i] = -process_cpu_seconds (server->pid);
      if (!curl_request (b->tmp, NULL, url, NULL, body, 200, &b->list_cold[i], &b->list_cold_first_byte[i]))
        return FALSE;
      b->list_cold_cpu[i] += process_cpu_seconds (server->pid);
      if (i == 0)
        b->cold_with_sha = count_with_sha (body);
    }
  b->have_list_cold = TRUE;
  b->list_body_bytes = bench_file_size (body);

  /* One backup's date changes before each listing: the answer differs. */
  g_print ("bench-server: [2] a listing after one backup was touched, %d times\n", LIST_RUNS);
  for (guint i = 0; i < LIST_RUNS; i++)
    {
      g_autofree char *name = list_name ((i * 7919u + 13) % LIST_COUNT);
      g_autofree char *path = g_build_filename (backups, name, NULL);
      /* 2000-01-01, then an hour later each time: never a date it had. */
      struct timespec times[2] = { { 946684800 + 3600 * (time_t)i, 0 }, { 946684800 + 3600 * (time_t)i, 0 } };

      if (g_rename (body, previous) < 0 || utimensat (AT_FDCWD, path, times, 0) < 0)
        {
          g_printerr ("bench-server: cannot touch %s: %s\n", path, g_strerror (errno));
          return FALSE;
        }
      if (!curl_request (b->tmp, NULL, url, NULL, body, 200, &b->list_changed[i], NULL))
        return FALSE;
      if (same_file_contents (body, previous))
        {
          g_printerr ("bench-server: the list did not change after %s was touched\n", name);
          return FALSE;
        }
    }
  b->have_list_changed = TRUE;

  /* Information: the whole of `osi-backup-cli list --json`, process start
   * and output included. */
  for (guint i = 0; i < RUNS; i++)
    {
      char *argv[] = { (char *)cli_program, (char *)"--server", server->url,
                       (char *)"--token-file", token_file, (char *)"list", (char *)"--json", NULL };

      if (!run_child (argv, NULL, &b->cli_list[i]))
        return FALSE;
    }
  b->have_cli_list = TRUE;
  server_stop (server, NULL);

  /* In this process, last, so that no child inherits its memory. */
  if (!g_file_get_contents (body, &contents, &b->list_body_bytes, NULL))
    return FALSE;
  for (guint i = 0; i < LIST_RUNS; i++)
    {
      g_autoptr(GPtrArray) list = NULL;
      g_autoptr(GError) error = NULL;
      struct timespec c0, c1;
      gint64 t0, t1;

      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
      t0 = g_get_monotonic_time ();
      list = osi_backup_info_list_parse (contents, b->list_body_bytes, NULL, &error);
      t1 = g_get_monotonic_time ();
      clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
      b->parse_cpu[i] = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
      if (list == NULL)
        {
          g_printerr ("bench-server: osi_backup_info_list_parse: %s\n", error->message);
          return FALSE;
        }
      b->parse_total[i] = (double)(t1 - t0) / G_USEC_PER_SEC;
      b->listed = list->len;
      if (list->len != LIST_COUNT)
        {
          g_printerr ("bench-server: the server listed %u backups, not %d\n", list->len, LIST_COUNT);
          return FALSE;
        }
      if (strcmp (osi_backup_info_get_name (g_ptr_array_index (list, 0)), newest_name) != 0)
        {
          g_printerr ("bench-server: the list starts with %s, not the newest, %s\n",
                      osi_backup_info_get_name (g_ptr_array_index (list, 0)), newest_name);
          return FALSE;
        }
    }
  b->have_parse = TRUE;

  /* Information: the json-glib tree that the client parsed before. */
  for (guint i = 0; i < LIST_RUNS; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();
      g_autoptr(GPtrArray) list = NULL;
      g_autoptr(GError) error = NULL;
      gint64 t0, t1, t2;

      t0 = g_get_monotonic_time ();
      if (!json_parser_load_from_data (parser, contents, (gssize)b->list_body_bytes, &error))
        {
          g_printerr ("bench-server: the list is not JSON: %s\n",
                      error != NULL ? error->message : "empty");
          return FALSE;
        }
      t1 = g_get_monotonic_time ();
      list = osi_backup_info_list_from_json (json_parser_get_root (parser), NULL, &error);
      t2 = g_get_monotonic_time ();
      if (list == NULL || list->len != LIST_COUNT)
        {
          g_printerr ("bench-server: osi_backup_info_list_from_json: %s\n",
                      error != NULL ? error->message : "not every backup");
          return FALSE;
        }
      b->tree_json[i] = (double)(t1 - t0) / G_USEC_PER_SEC;
      b->tree_infos[i] = (double)(t2 - t1) / G_USEC_PER_SEC;
      b->tree_total[i] = (double)(t2 - t0) / G_USEC_PER_SEC;
    }
  b->have_tree = TRUE;
  return TRUE;
}

/* Prints every figure there is; returns whether every target measured was
 * met. */
static gboolean
print_results (Bench *b)
{
  gboolean ok = TRUE;

  if (list_only)
    goto list;
  g_print ("\n== 1. download of %.1f MiB (a real archive of %" G_GUINT64_FORMAT " MiB of demo data) "
           "over loopback ==\n", b->download_bytes / MIB, b->download_data_mb);
  if (b->have_download)
    {
      double rss = max_rss (b->dl_ours);
      gboolean rss_ok = rss < CLIENT_RSS_MIB;

      ok &= report ("download", "curl -o", b->dl_ours, b->dl_curl, DOWNLOAD_TARGET,
                    b->download_bytes, "archive");
      g_print ("  information: curl -o followed by sync of its file (the client syncs what it "
               "downloaded) %.2f s %s ratio %.2f; curl's warm-up run %.2f s\n",
               median_seconds (b->dl_curl_sync), ARROW,
               median_seconds (b->dl_ours) / median_seconds (b->dl_curl_sync), b->warmup_curl);
      g_print ("  information: the client's work done by tools, curl | tee FILE | sha256sum && sync "
               "FILE, %.2f s (CPU %.2f s) %s ratio %.2f\n", median_seconds (b->dl_curl_sha_sync),
               median_cpu (b->dl_curl_sha_sync), ARROW,
               median_seconds (b->dl_ours) / median_seconds (b->dl_curl_sha_sync));
      g_print ("download client peak RSS: osi-backup-cli %.1f MiB (largest of %d runs; target "
               "< %.0f MiB) %s\n", rss, RUNS, CLIENT_RSS_MIB, rss_ok ? "OK" : "MISSED");
      ok &= rss_ok;
    }
  else
    g_print ("  not measured\n");
  if (b->have_server_memory)
    {
      double growth = b->server_dl_hwm - b->server_start_hwm;
      gboolean flat = growth < SERVER_GROWTH_MIB;

      g_print ("download server memory: VmHWM %.1f MiB after %d downloads of %.1f MiB "
               "(%.1f MiB once started, growth %.1f MiB; target growth < %.0f MiB) %s; VmRSS "
               "now %.1f MiB\n",
               b->server_dl_hwm, 1 + 4 * RUNS, b->download_bytes / MIB, b->server_start_hwm,
               growth, SERVER_GROWTH_MIB, flat ? "OK, flat" : "MISSED, not flat",
               b->server_dl_rss);
      ok &= flat;
    }

list:
  g_print ("\n== 2. listing %d backups ==\n", LIST_COUNT);
  if (b->have_list_cold)
    {
      double m = bench_median (b->list_cold, LIST_RUNS) * 1000.0;
      gboolean cold_ok = m < LIST_COLD_TARGET_MS;
      g_autofree char *runs = bench_format_ms (b->list_cold, LIST_RUNS);
      g_autofree char *first = bench_format_ms (b->list_cold_first_byte, LIST_RUNS);

      g_print ("list server response, cold: the first GET /api/rag/backup after the server started, every "
               "backup with its checksum file (what an admin waits for after the server (re)started; "
               "curl's time_total): %.1f ms, median of %d restarts (target < %.0f ms) %s\n",
               m, LIST_RUNS, LIST_COLD_TARGET_MS, cold_ok ? "OK" : "MISSED");
      g_print ("  runs (ms): %s; first byte at (ms): %s; body %.1f KiB, %u of %d entries with their "
               "sha256; the page cache was warm; the server's CPU time for it %.0f ms (median)\n", runs,
               first, b->list_body_bytes / 1024.0, b->cold_with_sha, LIST_COUNT,
               bench_median (b->list_cold_cpu, LIST_RUNS) * 1000.0);
      ok &= cold_ok;
    }
  else
    g_print ("  cold server response not measured\n");
  if (b->have_list_cached)
    {
      double m = bench_median (b->list_cached, LIST_RUNS) * 1000.0;
      gboolean cached_ok = m < LIST_TARGET_MS;
      g_autofree char *runs = bench_format_ms (b->list_cached, LIST_RUNS);
      g_autofree char *first = bench_format_ms (b->list_cached_first_byte, LIST_RUNS);

      g_print ("list server response, cached: the rendered list served again, nothing changed in the "
               "folder since the last listing: %.1f ms, median of %d (target < %.0f ms) %s\n",
               m, LIST_RUNS, LIST_TARGET_MS, cached_ok ? "OK" : "MISSED");
      g_print ("  runs (ms): %s; first byte at (ms): %s\n", runs, first);
      g_print ("  information: the first listing ever, before any checksum file existed (the server "
               "queued every backup for hashing) %.1f ms; every entry had its sha256 %s%.1f s later; "
               "last warm-up listing %.1f ms\n", b->list_first * 1000.0,
               b->list_hashed < 0 ? "NOT even " : "", b->list_hashed < 0 ? 300.0 : b->list_hashed,
               b->list_warmup * 1000.0);
      ok &= cached_ok;
    }
  else
    g_print ("  cached server response not measured\n");
  if (b->have_list_changed)
    {
      g_autofree char *runs = bench_format_ms (b->list_changed, LIST_RUNS);

      g_print ("  information: a listing after one backup was touched (the server looks at that file "
               "again, sorts and renders): %.1f ms, median of %d (runs (ms): %s)\n",
               bench_median (b->list_changed, LIST_RUNS) * 1000.0, LIST_RUNS, runs);
    }
  if (b->have_parse)
    {
      double m = bench_median (b->parse_total, LIST_RUNS) * 1000.0;
      gboolean parse_ok = m < LIST_TARGET_MS;
      g_autofree char *runs = bench_format_ms (b->parse_total, LIST_RUNS);

      g_print ("list client parse (osi_backup_info_list_parse, the streaming reader OsiClient uses, "
               "%u entries, %.1f MiB): %.1f ms, median of %d (target < %.0f ms) %s\n",
               b->listed, b->list_body_bytes / MIB, m, LIST_RUNS, LIST_TARGET_MS, parse_ok ? "OK" : "MISSED");
      g_print ("  runs (ms): %s; CPU time %.1f ms (median)\n", runs, bench_median (b->parse_cpu, LIST_RUNS) * 1000.0);
      ok &= parse_ok;
    }
  else
    g_print ("  client parse not measured\n");
  if (b->have_tree)
    g_print ("  information: json_parser_load_from_data + osi_backup_info_list_from_json (the tree the "
             "client no longer builds) %.1f ms, of which JSON %.1f ms and OsiBackupInfo %.1f ms "
             "(medians of %d)\n", bench_median (b->tree_total, LIST_RUNS) * 1000.0,
             bench_median (b->tree_json, LIST_RUNS) * 1000.0, bench_median (b->tree_infos, LIST_RUNS) * 1000.0,
             LIST_RUNS);
  if (b->have_cli_list)
    g_print ("  information: the whole `osi-backup-cli list --json` (process start, request, "
             "parse, output) %.0f ms, peak RSS %.1f MiB\n", median_seconds (b->cli_list) * 1000.0,
             max_rss (b->cli_list));
  if (list_only)
    return ok;

  g_print ("\n== 3. create and restore of %.1f MiB of demo data, library level ==\n",
           b->data_bytes / MIB);
  if (b->have_create)
    {
      /* osi_archive_create () fsyncs its archive: against the pipeline
       * that syncs its output too. */
      ok &= report ("create", "tar|zstd -3 -T1 && sync", b->create_ours, b->create_ref_sync, CREATE_TARGET,
                    b->data_bytes, "data");
      g_print ("  information: tar|zstd without the sync %.2f s %s ratio %.2f\n",
               median_seconds (b->create_ref), ARROW,
               median_seconds (b->create_ours) / median_seconds (b->create_ref));
      g_print ("  archive size: osi %.1f MiB (%.1f %% of the data), tar|zstd %.1f MiB\n",
               b->archive_bytes / MIB, 100.0 * b->archive_bytes / MAX (b->data_bytes, 1),
               b->ref_archive_bytes / MIB);
    }
  else
    g_print ("  create not measured\n");
  if (b->have_restore)
    {
      ok &= report ("restore", "zstd -dc|tar -x && sync", b->restore_ours, b->restore_ref,
                    RESTORE_TARGET, b->data_bytes, "data");
      g_print ("  (osi: verify and extract into staging, syncfs, journal, exchange, remove the "
               "old data; the pipeline extracts into an empty folder and syncs)\n");
    }
  else
    g_print ("  restore not measured\n");
  if (b->have_post_create)
    g_print ("information: server POST /api/rag/backup %.2f s (made %s of the restored data)\n",
             b->post_create, b->created_name != NULL ? b->created_name : "?");
  if (b->have_post_restore)
    {
      g_autofree char *after = NULL;
      double after_ms[RUNS];

      ok &= report ("server restore (POST /api/rag/backup/restore, the server's VmHWM as its RSS)",
                    "tar -I zstd -xf && sync", b->post_restore, b->post_restore_ref,
                    SERVER_RESTORE_TARGET, b->data_bytes, "data");
      for (guint i = 0; i < RUNS; i++)
        after_ms[i] = b->safety_after[i];
      after = bench_format_ms (after_ms, RUNS);
      g_print ("  (osi: one pass verifies and stages, syncfs, journal, exchange, the old data kept "
               "aside; then, after the answer, its safety backup (%s) was listed after (ms): %s)\n",
               b->safety_name != NULL ? b->safety_name : "?", after);
    }
  if (b->have_ops_memory)
    g_print ("information: server VmHWM after its create and restore %.1f MiB\n",
             b->server_ops_hwm);
  g_print ("  (the reference pipelines' peak RSS is the largest of their processes, not the sum)\n");

  return ok;
}

/* "0.52 0.61 0.70" from /proc/loadavg: the figures are only as good as
 * the machine was quiet. */
static int
run_benchmark (const char *tmp,
               guint64     size_mb)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *self = NULL;
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *mb = g_strdup_printf ("%" G_GUINT64_FORMAT, size_mb);
  gboolean complete;
  gboolean ok;
  Bench b = { 0 };
  gint64 start;

  self = g_file_read_link ("/proc/self/exe", &error);
  if (self == NULL)
    {
      g_printerr ("bench-server: cannot find its own executable: %s\n", error->message);
      return 1;
    }
  b.self = self;
  b.tmp = tmp;
  b.size_mb = size_mb;

  token_file = g_build_filename (tmp, "token", NULL);
  if (!g_file_set_contents_full (token_file, TOKEN, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error))
    {
      g_printerr ("bench-server: %s\n", error->message);
      return 1;
    }

  {
    g_autofree char *load = bench_load_average ();

    g_print ("bench-server: %u CPUs, load average %s at the start\n", g_get_num_processors (), load);
  }
  if (list_only)
    {
      g_print ("bench-server: --list-only: the listing (2) alone\n");
      complete = phase_list (&b);
    }
  else
    {
      g_print ("bench-server: generating %" G_GUINT64_FORMAT " MiB of demo data (seed 1) in %s\n",
               size_mb, data);
      start = g_get_monotonic_time ();
      {
        char *gen_argv[] = { self, (char *)"--child-generate", data, mb, NULL };
        Run gen;

        if (!run_child (gen_argv, NULL, &gen))
          return 1;
      }
      sync ();
      b.data_bytes = bench_tree_size (data);
      g_print ("bench-server: %.1f MiB of data in %.1f s; the page cache is not dropped: "
               "both sides read warm data\n",
               b.data_bytes / MIB, (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC);

      complete = phase_library (&b) && phase_download (&b) && phase_list (&b);
    }

  g_print ("\n");
  ok = print_results (&b);
  {
    g_autofree char *load = bench_load_average ();

    g_print ("\nbench-server: load average %s at the end (the machine's other work counts in "
             "the wall times; the CPU times are steadier)\n", load);
  }
  g_free (b.created_name);
  g_free (b.safety_name);
  if (!complete)
    {
      g_print ("\nbench-server: STOPPED before the end (see the messages above)\n");
      return 1;
    }
  g_print ("\nbench-server: %s\n", ok ? "all targets met" : "TARGETS MISSED");
  return ok ? 0 : 1;
}

int
main (int    argc,
      char **argv)
{
  const char *base;
  g_autofree char *tmp = NULL;
  g_autofree char *server_path = NULL;
  g_autofree char *cli_path = NULL;
  g_autofree char *curl_path = NULL;
  guint64 size_mb;
  int status;

  g_set_prgname ("bench-server");
  if (argc == 4 && strcmp (argv[1], "--child-create") == 0)
    return child_create (argv[2], argv[3]);
  if (argc == 4 && strcmp (argv[1], "--child-restore") == 0)
    return child_restore (argv[2], argv[3]);
  if (argc == 4 && strcmp (argv[1], "--child-generate") == 0)
    return child_generate (argv[2], argv[3]);

  setlocale (LC_ALL, "");
  utf8 = g_get_charset (NULL);

  size_mb = bench_parse_size_mb (argc, argv);
  if (size_mb == 0)
    return 1;
  for (int i = 1; i < argc; i++)
    list_only |= strcmp (argv[i], "--list-only") == 0;
  if (!bench_have_tool ("tar", TOOLS) || !bench_have_tool ("zstd", TOOLS) || !bench_have_tool ("curl", TOOLS) || !bench_have_tool ("sha256sum", TOOLS) ||
      !g_file_test ("/bin/sh", G_FILE_TEST_IS_EXECUTABLE))
    return 1;
  if (bench_program_from_env ("OSI_BACKUP_SERVER") == NULL || bench_program_from_env ("OSI_BACKUP_CLI") == NULL)
    return 1;
  server_path = g_strdup (g_getenv ("OSI_BACKUP_SERVER"));
  cli_path = g_strdup (g_getenv ("OSI_BACKUP_CLI"));
  curl_path = g_find_program_in_path ("curl");
  server_program = server_path;
  cli_program = cli_path;
  curl_program = curl_path;

  child_env = g_get_environ ();
  child_env = g_environ_unsetenv (child_env, "OSI_BACKUP_SERVER");
  child_env = g_environ_unsetenv (child_env, "OSI_BACKUP_TOKEN");

  signals_init ();

  base = g_getenv ("OSI_BENCH_DIR");
  if (base == NULL || *base == '\0')
    base = g_get_tmp_dir ();
  tmp = g_build_filename (base, "osi-bench-server-XXXXXX", NULL);
  if (g_mkdtemp (tmp) == NULL)
    {
      g_printerr ("bench-server: cannot create a folder in %s: %s\n", base, g_strerror (errno));
      return 1;
    }
  child_log = g_build_filename (tmp, "child-stderr.log", NULL);

  status = run_benchmark (tmp, size_mb);

  /* Whatever happened: no server left, no data left. */
  server_stop (running_server, NULL);
  bench_remove_tree (tmp);
  g_free (child_log);
  g_free (token_file);
  g_strfreev (child_env);
  if (stopped ())
    {
      g_printerr ("bench-server: stopped by signal %d; %s removed\n", stop_signal, tmp);
      return 128 + stop_signal;
    }
  return status;
}
