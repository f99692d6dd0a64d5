/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Archive creation and verification against the command-line tools that
 * set our targets (within 10 % of `tar | zstd -3 -T1` to create,
 * within 30 % of bare `zstd -dc` to verify, which also hashes and checks
 * the knowledge base, on a second core; under 64 MiB of memory).
 * `zstd -dc | openssl dgst -sha256` and our verification through
 * libarchive's own zstd filter (no pipe, one core) are information.
 * Each ratio is that of the medians, with the range of the ratios of the
 * runs, which alternate between the sides.
 *
 * Every measured run is a child process of its own, so that wait4 ()
 * gives its wall time and peak RSS alone: this program re-executes itself
 * with --child-create or --child-verify for our side, and /bin/sh runs
 * the reference pipelines. Nothing is dropped from the page cache: both
 * sides read warm data.
 *
 *   bench-archive [--size-mb N]      N MiB of demo data (default 1024;
 *                                    $OSI_BENCH_SIZE_MB overrides it)
 *   $OSI_BENCH_DIR                   where the temporary folder goes
 *                                    (default: the temporary directory)
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench-support.h"
#include "osi-archive.h"
#include "osi-archive-private.h"
#include "osi-demo-data.h"

/* What bench_have_tool names when one is missing. */
#define TOOLS "tar, zstd and openssl"
#define RUNS            5
#define MIB             (1024.0 * 1024.0)
#define CREATE_TARGET   1.10
#define VERIFY_TARGET   1.30
#define RSS_TARGET_MIB  64.0

#define CREATE_PIPELINE "tar -cf - -C \"$1\" . | zstd -3 -T1 -q -o \"$2\""
/* Information only: osi_archive_create () fsyncs its archive, the pipeline
 * does not; this one does too, for a like-for-like figure. */
#define CREATE_PIPELINE_SYNC CREATE_PIPELINE " && sync \"$2\""
#define VERIFY_PIPELINE "zstd -dc \"$1\" >/dev/null"
/* Information only: decompression and a hash, as verification was
 * first measured against. */
#define VERIFY_SHA_PIPELINE "zstd -dc \"$1\" | openssl dgst -sha256 >/dev/null"

/* Whether the terminal takes "→" and "≤". */
static gboolean utf8;
#define ARROW (utf8 ? "→" : "->")
#define LE    (utf8 ? "≤" : "<=")
#define DASH  (utf8 ? "–" : "-")

typedef struct
{
  double seconds;
  double rss_mib;   /* ru_maxrss: the largest of the process and the
                     * descendants it waited for, not their sum */
} Run;

/* ------------------------------------------------------------------------ */
/* Children                                                                 */

static int
child_create (const char *dir,
              const char *out)
{
  g_autoptr(GError) error = NULL;

  if (!osi_archive_create (dir, out, OSI_COMPRESSION_ZSTD, NULL, NULL, &error))
    {
      g_printerr ("bench-archive: create failed: %s\n", error->message);
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
      g_printerr ("bench-archive: cannot generate the data: %s\n", error->message);
      return 1;
    }
  return 0;
}

static int
child_verify (const char *archive,
              gboolean    pipe)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiVerifyReport) report = NULL;
  GPtrArray *findings;

  _osi_archive_pipe_set_enabled (pipe);
  report = osi_archive_verify (archive, NULL, NULL, &error);

  if (report == NULL)
    {
      g_printerr ("bench-archive: verify failed: %s\n", error->message);
      return 1;
    }
  if (osi_verify_report_is_restorable (report))
    return 0;

  findings = osi_verify_report_get_findings (report);
  for (guint i = 0; i < findings->len; i++)
    {
      const OsiFinding *f = g_ptr_array_index (findings, i);
      g_printerr ("bench-archive: finding %s: %s (%s)\n", osi_finding_code_to_string (f->code),
                  f->message, f->path != NULL ? f->path : "-");
    }
  g_printerr ("bench-archive: the archive is not restorable\n");
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Signals: SIGINT, SIGTERM (meson's timeout) and SIGHUP are taken by a
 * thread, which stops the current child so that the main thread still
 * removes the temporary folder. */

static sigset_t      handled_signals;
static sigset_t      original_mask;
static volatile gint child_pgid;      /* 0 when no child runs */
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
    if (pgid > 0)
      kill (-pgid, SIGTERM);
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

/* Runs argv (argv[0] a full path) in its own process group; returns its
 * wall time and peak RSS, FALSE if it could not run or did not exit 0.
 *
 * Linux counts in a child's ru_maxrss the RSS it had before exec, which is
 * a copy of ours at fork: this process stays small (the data is generated
 * by a child too) so that the figure is the child's own. */
static gboolean
run_child (char * const *argv,
           Run          *run)
{
  struct rusage ru;
  gint64 start;
  int status;
  pid_t pid;
  pid_t r;

  if (stopped ())
    return FALSE;

  start = g_get_monotonic_time ();
  pid = fork ();
  if (pid < 0)
    {
      g_printerr ("bench-archive: fork: %s\n", g_strerror (errno));
      return FALSE;
    }
  if (pid == 0)
    {
      setpgid (0, 0);
      sigprocmask (SIG_SETMASK, &original_mask, NULL);
      execv (argv[0], argv);
      _exit (127);
    }
  setpgid (pid, pid);
  g_atomic_int_set (&child_pgid, pid);
  if (stopped ())
    kill (-pid, SIGTERM);

  do
    r = wait4 (pid, &status, 0, &ru);
  while (r < 0 && errno == EINTR);
  run->seconds = (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_atomic_int_set (&child_pgid, 0);
  if (stopped ())
    kill (-pid, SIGKILL);   /* what is left of a pipeline */

  if (r < 0)
    {
      g_printerr ("bench-archive: wait4: %s\n", g_strerror (errno));
      return FALSE;
    }
  run->rss_mib = (double)ru.ru_maxrss / 1024.0;   /* KiB on Linux */

  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      if (!stopped ())
        g_printerr ("bench-archive: “%s%s%s” failed (%s %d)\n", argv[0],
                    argv[1] != NULL ? " " : "", argv[1] != NULL ? argv[1] : "",
                    WIFEXITED (status) ? "exit status" : "signal",
                    WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */

static guint64 tree_bytes;

/* ------------------------------------------------------------------------ */
/* Figures                                                                  */

static double
median_seconds (const Run *runs)
{
  double s[RUNS];

  for (guint i = 0; i < RUNS; i++)
    s[i] = runs[i].seconds;
  qsort (s, RUNS, sizeof s[0], bench_compare_doubles);
  return s[RUNS / 2];
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

/* The smallest and largest of the runs' own ratios, run i of one side
 * against run i of the other (they ran one after the other). */
static void
ratio_range (const Run *ours_runs,
             const Run *their_runs,
             double    *out_min,
             double    *out_max)
{
  *out_min = G_MAXDOUBLE;
  *out_max = 0;
  for (guint i = 0; i < RUNS; i++)
    {
      double r = ours_runs[i].seconds / MAX (their_runs[i].seconds, 1e-6);

      *out_min = MIN (*out_min, r);
      *out_max = MAX (*out_max, r);
    }
}

/* Prints one comparison; returns whether the time ratio meets target. */
static gboolean
report (const char *what,
        const char *theirs,
        const Run  *ours_runs,
        const Run  *their_runs,
        double      target,
        guint64     data_bytes)
{
  double ours = median_seconds (ours_runs);
  double ref = median_seconds (their_runs);
  double ratio = ours / ref;
  gboolean ok = ratio <= target;
  g_autofree char *ours_list = format_runs (ours_runs);
  g_autofree char *their_list = format_runs (their_runs);
  double low, high;

  ratio_range (ours_runs, their_runs, &low, &high);
  g_print ("%s: osi %.2f s (peak RSS %.1f MiB) vs %s %.2f s (peak RSS %.1f MiB) %s ratio %.2f "
           "(runs %.2f%s%.2f; target %s %.2f) %s\n",
           what, ours, max_rss (ours_runs), theirs, ref, max_rss (their_runs), ARROW, ratio,
           low, DASH, high, LE, target, ok ? "OK" : "MISSED");
  g_print ("  %s runs (s): osi %s; %s %s\n", what, ours_list, theirs, their_list);
  g_print ("  %s throughput over the %.1f MiB of data: osi %.0f MB/s, %s %.0f MB/s\n",
           what, data_bytes / MIB, data_bytes / 1e6 / ours, theirs, data_bytes / 1e6 / ref);
  return ok;
}

/* One more comparison, for information: ours against theirs, each timed
 * in runs. */
static void
report_info (const char *ours,
             const Run  *ours_runs,
             const char *theirs,
             const Run  *their_runs)
{
  g_autofree char *ours_list = format_runs (ours_runs);
  g_autofree char *their_list = format_runs (their_runs);
  double low, high;

  ratio_range (ours_runs, their_runs, &low, &high);
  g_print ("  information: %s %.2f s (peak RSS %.1f MiB) vs %s %.2f s %s ratio %.2f (runs %.2f%s%.2f)\n"
           "    runs (s): %s; %s\n",
           ours, median_seconds (ours_runs), max_rss (ours_runs), theirs, median_seconds (their_runs), ARROW,
           median_seconds (ours_runs) / median_seconds (their_runs), low, DASH, high, ours_list, their_list);
}

static gboolean
report_rss (const char *what,
            const Run  *runs)
{
  double rss = max_rss (runs);
  gboolean ok = rss < RSS_TARGET_MIB;

  g_print ("%s: osi peak RSS %.1f MiB (largest of %d runs; target < %.0f MiB) %s\n",
           what, rss, RUNS, RSS_TARGET_MIB, ok ? "OK" : "MISSED");
  return ok;
}

/* ------------------------------------------------------------------------ */

static int
run_benchmark (const char *tmp,
               guint64     size_mb)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *self = NULL;
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *ours_out = g_build_filename (tmp, "osi.tar.zst", NULL);
  g_autofree char *their_out = g_build_filename (tmp, "ref.tar.zst", NULL);
  Run create_ours[RUNS], create_ref[RUNS], create_ref_sync[RUNS];
  Run verify_ours[RUNS], verify_ref[RUNS], verify_ref_sha[RUNS], verify_filter[RUNS];
  guint64 ours_size = 0;
  guint64 their_size = 0;
  gboolean ok = TRUE;
  gint64 start;

  self = g_file_read_link ("/proc/self/exe", &error);
  if (self == NULL)
    {
      g_printerr ("bench-archive: cannot find its own executable: %s\n", error->message);
      return 1;
    }

  g_print ("bench-archive: generating %" G_GUINT64_FORMAT " MiB of demo data (seed 1) in %s\n",
           size_mb, data);
  start = g_get_monotonic_time ();
  {
    g_autofree char *mb = g_strdup_printf ("%" G_GUINT64_FORMAT, size_mb);
    char *gen_argv[] = { self, (char *)"--child-generate", data, mb, NULL };
    Run gen;

    if (!run_child (gen_argv, &gen))
      return 1;
  }
  /* Written back now rather than during the first measured run. */
  sync ();
  tree_bytes = bench_tree_size (data);
  g_print ("bench-archive: %.1f MiB of data in %.1f s; the page cache is not dropped: "
           "both sides read warm data\n",
           tree_bytes / MIB, (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC);

  /* Interleaved so that a slow phase of the machine hurts both sides. */
  for (guint i = 0; i < RUNS; i++)
    {
      char *ours_argv[] = { self, (char *)"--child-create", data, ours_out, NULL };
      char *ref_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)CREATE_PIPELINE,
                           (char *)"sh", data, their_out, NULL };
      char *sync_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)CREATE_PIPELINE_SYNC,
                            (char *)"sh", data, their_out, NULL };

      g_unlink (ours_out);
      if (!run_child (ours_argv, &create_ours[i]))
        return 1;
      ours_size = bench_file_size (ours_out);
      g_unlink (their_out);
      if (!run_child (ref_argv, &create_ref[i]))
        return 1;
      their_size = bench_file_size (their_out);
      g_unlink (their_out);
      if (!run_child (sync_argv, &create_ref_sync[i]))
        return 1;
    }
  g_unlink (their_out);

  /* Both sides read the archive we wrote last. */
  for (guint i = 0; i < RUNS; i++)
    {
      char *ours_argv[] = { self, (char *)"--child-verify", ours_out, NULL };
      char *filter_argv[] = { self, (char *)"--child-verify-filter", ours_out, NULL };
      char *ref_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)VERIFY_PIPELINE,
                           (char *)"sh", ours_out, NULL };
      char *sha_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)VERIFY_SHA_PIPELINE,
                           (char *)"sh", ours_out, NULL };

      if (!run_child (ours_argv, &verify_ours[i]))
        return 1;
      if (!run_child (ref_argv, &verify_ref[i]))
        return 1;
      if (!run_child (sha_argv, &verify_ref_sha[i]))
        return 1;
      if (!run_child (filter_argv, &verify_filter[i]))
        return 1;
    }
  g_unlink (ours_out);

  g_print ("\n");
  ok &= report ("create", "tar|zstd -3 -T1", create_ours, create_ref, CREATE_TARGET, tree_bytes);
  report_info ("osi", create_ours, "tar|zstd followed by sync of its output (osi fsyncs its archive)",
               create_ref_sync);
  g_print ("  archive size: osi %.1f MiB (%.1f %% of the data), tar|zstd %.1f MiB\n",
           ours_size / MIB, 100.0 * ours_size / MAX (tree_bytes, 1), their_size / MIB);
  ok &= report ("verify", "zstd -dc >/dev/null", verify_ours, verify_ref, VERIFY_TARGET, tree_bytes);
  report_info ("osi", verify_ours, "zstd -dc|openssl dgst -sha256", verify_ref_sha);
  report_info ("osi without the pipe (libarchive's zstd filter, one core)", verify_filter,
               "zstd -dc >/dev/null", verify_ref);
  ok &= report_rss ("create", create_ours);
  ok &= report_rss ("verify", verify_ours);
  g_print ("  (the reference pipelines' peak RSS is the largest of their processes, not the sum)\n");
  g_print ("\nbench-archive: %s\n", ok ? "all targets met" : "TARGETS MISSED");

  return ok ? 0 : 1;
}

int
main (int    argc,
      char **argv)
{
  const char *base;
  g_autofree char *tmp = NULL;
  guint64 size_mb;
  int status;

  g_set_prgname ("bench-archive");
  if (argc == 4 && strcmp (argv[1], "--child-create") == 0)
    return child_create (argv[2], argv[3]);
  if (argc == 3 && strcmp (argv[1], "--child-verify") == 0)
    return child_verify (argv[2], TRUE);
  if (argc == 3 && strcmp (argv[1], "--child-verify-filter") == 0)
    return child_verify (argv[2], FALSE);
  if (argc == 4 && strcmp (argv[1], "--child-generate") == 0)
    return child_generate (argv[2], argv[3]);

  setlocale (LC_ALL, "");
  utf8 = g_get_charset (NULL);

  size_mb = bench_parse_size_mb (argc, argv);
  if (size_mb == 0)
    return 1;
  if (!bench_have_tool ("tar", TOOLS) || !bench_have_tool ("zstd", TOOLS) || !bench_have_tool ("openssl", TOOLS) ||
      !g_file_test ("/bin/sh", G_FILE_TEST_IS_EXECUTABLE))
    return 1;

  signals_init ();

  base = g_getenv ("OSI_BENCH_DIR");
  if (base == NULL || *base == '\0')
    base = g_get_tmp_dir ();
  tmp = g_build_filename (base, "osi-bench-XXXXXX", NULL);
  if (g_mkdtemp (tmp) == NULL)
    {
      g_printerr ("bench-archive: cannot create a folder in %s: %s\n", base, g_strerror (errno));
      return 1;
    }

  status = run_benchmark (tmp, size_mb);

  bench_remove_tree (tmp);
  if (stopped ())
    {
      g_printerr ("bench-archive: stopped by signal %d; %s removed\n", stop_signal, tmp);
      return 128 + stop_signal;
    }
  return status;
}
