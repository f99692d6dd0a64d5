/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Metadata amplification (issue 11): `osi-backup-cli verify` and
 * `verify --json` on the archive of the issue, 100,000 empty files whose
 * names are 3.8 KB long: ~390 KB of tar.zst (and a few MB of tar.gz) that
 * expand to 512 MB of tar headers. Before the metadata limits, verifying
 * it took 10-23 s and 0.75-1.6 GiB, and printed a 378 MB JSON report.
 * Each run must now stay under 5 s and 128 MiB of peak RSS, and find the
 * archive not restorable.
 *
 * The archives are written in a forked child so that this process stays
 * small: Linux counts in a child's ru_maxrss the memory of the process it
 * was spawned from.
 *
 *   bench-metadata [--entries N]   N names (default 100000)
 *   $OSI_BENCH_DIR                 where the temporary folder goes
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench-support.h"
#include "osi-test-support.h"

#define NAME_LEN        3800
#define TIME_TARGET     5.0
#define RSS_TARGET_MIB  128.0

/* Runs `osi-backup-cli verify [--json] archive` with stdout into
 * out_path: its wall time, peak RSS and exit status. */
static gboolean
run_verify (const char *cli,
            const char *archive,
            gboolean    json,
            const char *out_path,
            double     *seconds,
            double     *rss_mib,
            int        *exit_status)
{
  char *argv[] = { (char *)cli, (char *)"verify", (char *)archive, NULL, NULL };
  BenchRun run;

  if (json)
    {
      argv[2] = (char *)"--json";
      argv[3] = (char *)archive;
    }
  if (!bench_run_measured (argv, out_path, &run))
    return FALSE;
  *seconds = run.seconds;
  *rss_mib = run.rss_mib;
  *exit_status = run.exit_status;
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  static const struct
  {
    const char *name;
    int         filter;
  } kinds[] = {
    { "bomb.tar.zst", ARCHIVE_FILTER_ZSTD },
    { "bomb.tar.gz", ARCHIVE_FILTER_GZIP },
  };
  g_autofree char *template = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *load = NULL;
  const char *dir = g_getenv ("OSI_BENCH_DIR");
  const char *cli;
  guint n = 100000;
  gboolean ok = TRUE;
  gboolean all_met = TRUE;
  int status;
  pid_t pid;

  setlocale (LC_ALL, "");
  g_set_prgname ("bench-metadata");
  if (argc == 3 && strcmp (argv[1], "--entries") == 0)
    n = (guint)g_ascii_strtoull (argv[2], NULL, 10);
  if (n == 0 || argc == 2 || argc > 3)
    {
      g_printerr ("bench-metadata: usage: bench-metadata [--entries N]\n");
      return 2;
    }
  cli = bench_program_from_env ("OSI_BACKUP_CLI");
  if (cli == NULL)
    return 1;

  template = g_build_filename (dir != NULL ? dir : g_get_tmp_dir (), "bench-metadata-XXXXXX", NULL);
  tmp = g_mkdtemp (template) != NULL ? g_strdup (template) : NULL;
  if (tmp == NULL)
    {
      g_printerr ("bench-metadata: cannot make a temporary folder: %s\n", g_strerror (errno));
      return 1;
    }
  out_path = g_build_filename (tmp, "out", NULL);

  pid = fork ();
  if (pid == 0)
    {
      /* the tests' own bomb: it aborts, so the status says */
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        {
          g_autofree char *archive = g_build_filename (tmp, kinds[k].name, NULL);
          osi_test_write_name_bomb (archive, kinds[k].filter, n, NAME_LEN, OSI_TEST_NAMES_UNIQUE, FALSE);
        }
      _exit (0);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_printerr ("bench-metadata: the preparation failed\n");
      bench_remove_tree (tmp);
      return 1;
    }

  load = bench_load_average ();
  g_print ("bench-metadata: %u empty files with names of %d bytes; load average %s\n", n, NAME_LEN, load);
  for (guint k = 0; k < G_N_ELEMENTS (kinds) && ok; k++)
    for (guint json = 0; json < 2 && ok; json++)
      {
        g_autofree char *archive = g_build_filename (tmp, kinds[k].name, NULL);
        double seconds = 0;
        double rss = 0;
        int exit_status = 0;
        gboolean met;

        ok = run_verify (cli, archive, json, out_path, &seconds, &rss, &exit_status);
        if (!ok)
          break;
        /* 1: a problem found, as it must be */
        if (exit_status != 1)
          {
            g_printerr ("bench-metadata: osi-backup-cli verify exited with %d, not 1\n", exit_status);
            ok = FALSE;
            break;
          }
        met = seconds < TIME_TARGET && rss < RSS_TARGET_MIB;
        g_print ("bench-metadata: verify%s %s (%.0f KiB): %.2f s, peak RSS %.1f MiB, %.1f KiB out "
                 "(targets < %.0f s, < %.0f MiB) %s\n",
                 json ? " --json" : "", kinds[k].name, bench_file_size (archive) / 1024.0, seconds, rss,
                 bench_file_size (out_path) / 1024.0, TIME_TARGET, RSS_TARGET_MIB, met ? "OK" : "MISSED");
        all_met &= met;
      }

  bench_remove_tree (tmp);
  return ok && all_met ? 0 : 1;
}
