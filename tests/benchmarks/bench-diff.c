/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `osi-backup-cli diff --json A B` on two backups of 50,000-entry
 * knowledge bases that differ by about 5 % added, 5 % removed and 5 %
 * modified entries, and a few configuration files: the median wall time
 * of three runs must stay under 2 s and the peak RSS under 200 MiB.
 *
 * The knowledge bases are made by the demo generator; B is A rewritten
 * line by line (the generator's layout puts each entry's key alone on a
 * line indented by two spaces). The preparation runs in a forked child
 * so that this process stays small: Linux counts in a child's ru_maxrss
 * the memory of the process it was spawned from.
 *
 *   bench-diff [--entries N]     N entries (default 50000)
 *   $OSI_BENCH_DIR               where the temporary folder goes
 *   $OSI_BENCH_KEEP              keep the backups, to profile by hand
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bench-support.h"
#include "osi-archive.h"
#include "osi-demo-data.h"

#define RUNS            3
#define TIME_TARGET     2.0
#define RSS_TARGET_MIB  200.0

typedef struct
{
  guint removed;
  guint modified;
  guint added;
} Expected;

static gboolean
write_text (const char *root,
            const char *rel,
            const char *text)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (parent, 0755) != 0 || !g_file_set_contents (path, text, -1, &error))
    {
      g_printerr ("bench-diff: cannot write %s: %s\n", path, error != NULL ? error->message : g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* Entry i (from 0) of A: i % 20 == 0 removed, 1 its description changed,
 * 2 kept and copied under a new name. */
static void
emit_entry (FILE     *out,
            GString  *entry,
            guint     index,
            gboolean *first,
            Expected *expected)
{
  static const char description[] = "    \"description\": \"";

  switch (index % 20)
    {
    case 0:
      expected->removed++;
      return;
    case 1:
      {
        char *at = strstr (entry->str, description);

        if (at != NULL)
          {
            g_string_insert (entry, at - entry->str + (gssize)strlen (description), "Révisé. ");
            expected->modified++;
          }
      }
      break;
    case 2:
      fputs (*first ? "\n" : ",\n", out);
      fputs ("  \"added-", out);
      fputs (entry->str + 3, out);
      *first = FALSE;
      expected->added++;
      break;
    default:
      break;
    }
  fputs (*first ? "\n" : ",\n", out);
  fputs (entry->str, out);
  *first = FALSE;
}

static gboolean
derive_knowledge_base (const char *in_path,
                       const char *out_path,
                       Expected   *expected)
{
  g_autoptr(GString) entry = g_string_new (NULL);
  FILE *in = fopen (in_path, "re");
  FILE *out = fopen (out_path, "we");
  gboolean first = TRUE;
  gboolean inside = FALSE;
  guint index = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;

  if (in == NULL || out == NULL)
    {
      g_printerr ("bench-diff: cannot open %s or %s\n", in_path, out_path);
      return FALSE;
    }

  fputs ("{", out);
  while ((n = getline (&line, &cap, in)) > 0)
    {
      if (!inside && strncmp (line, "  \"", 3) == 0)
        {
          inside = TRUE;
          g_string_truncate (entry, 0);
        }
      if (!inside)
        continue;
      if (strcmp (line, "  },\n") == 0 || strcmp (line, "  }\n") == 0 || strcmp (line, "  }") == 0)
        {
          g_string_append (entry, "  }");
          emit_entry (out, entry, index++, &first, expected);
          inside = FALSE;
        }
      else
        g_string_append_len (entry, line, n);
    }
  fputs ("\n}\n", out);
  free (line);
  fclose (in);
  return fclose (out) == 0 && index > 0;
}

/* The two backups, made in a child of this process. */
static int
prepare (const char *tmp,
         guint       n_entries,
         Expected   *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = g_build_filename (tmp, "a", NULL);
  g_autofree char *b = g_build_filename (tmp, "b", NULL);
  g_autofree char *rag_a = g_build_filename (a, "rag", "search.json", NULL);
  g_autofree char *rag_b = g_build_filename (b, "rag", "search.json", NULL);
  g_autofree char *archive_a = g_build_filename (tmp, "a.tar.zst", NULL);
  g_autofree char *archive_b = g_build_filename (tmp, "b.tar.zst", NULL);

  if (!write_text (a, "config/app.json", "{\"model\": \"mistral-small\", \"temperature\": 0.2}\n") ||
      !write_text (a, "config/old.yaml", "retired: true\n") ||
      !write_text (a, "data/notes.md", "# Notes\n") ||
      !write_text (b, "config/app.json", "{\"model\": \"mistral-medium\", \"temperature\": 0.2}\n") ||
      !write_text (b, "config/new.yaml", "added: true\n") ||
      !write_text (b, "data/notes.md", "# Notes\n"))
    return 1;

  if (!write_text (a, "rag/.keep", "") || !write_text (b, "rag/.keep", ""))
    return 1;
  if (!osi_demo_data_write_knowledge_base (rag_a, n_entries, 1, NULL, &error))
    {
      g_printerr ("bench-diff: cannot generate the knowledge base: %s\n", error->message);
      return 1;
    }
  if (!derive_knowledge_base (rag_a, rag_b, expected))
    {
      g_printerr ("bench-diff: cannot derive the second knowledge base\n");
      return 1;
    }
  g_print ("bench-diff: A %.1f MiB, B %.1f MiB of knowledge base; expecting %u removed, %u modified, %u added\n",
           bench_file_size (rag_a) / 1048576.0, bench_file_size (rag_b) / 1048576.0,
           expected->removed, expected->modified, expected->added);

  if (!osi_archive_create (a, archive_a, OSI_COMPRESSION_ZSTD, NULL, NULL, &error) ||
      !osi_archive_create (b, archive_b, OSI_COMPRESSION_ZSTD, NULL, NULL, &error))
    {
      g_printerr ("bench-diff: cannot make the backups: %s\n", error->message);
      return 1;
    }
  bench_remove_tree (a);
  bench_remove_tree (b);
  return 0;
}

/* Runs the CLI with stdout into out_path; its wall time and peak RSS. */
static gboolean
run_cli (const char *cli,
         const char *a,
         const char *b,
         const char *out_path,
         double     *seconds,
         double     *cpu_seconds,
         double     *rss_mib)
{
  char *argv[] = { (char *)cli, (char *)"diff", (char *)"--json", (char *)a, (char *)b, NULL };
  BenchRun run;

  if (!bench_run_measured (argv, out_path, &run))
    return FALSE;
  *seconds = run.seconds;
  *rss_mib = run.rss_mib;
  *cpu_seconds = run.cpu_seconds;
  if (run.exit_status != 0)
    {
      g_printerr ("bench-diff: osi-backup-cli diff failed (status %d)\n", run.exit_status);
      return FALSE;
    }
  return TRUE;
}

/* The figures mean something only if the comparison found what was made. */
static gboolean
check_output (const char     *out_path,
              const Expected *expected)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *rag;
  JsonObject *config;

  if (!json_parser_load_from_file (parser, out_path, &error))
    {
      g_printerr ("bench-diff: the output is not JSON: %s\n", error->message);
      return FALSE;
    }
  rag = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "rag");
  config = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "config");
  if (rag == NULL || config == NULL ||
      json_object_get_int_member (rag, "removed") != (gint64)expected->removed ||
      json_object_get_int_member (rag, "modified") != (gint64)expected->modified ||
      json_object_get_int_member (rag, "added") != (gint64)expected->added ||
      json_object_get_int_member (config, "added") != 1 ||
      json_object_get_int_member (config, "removed") != 1 ||
      json_object_get_int_member (config, "modified") != 1)
    {
      g_printerr ("bench-diff: the comparison did not find the changes made\n");
      return FALSE;
    }
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *tmp = NULL;
  g_autofree char *template = NULL;
  g_autofree char *archive_a = NULL;
  g_autofree char *archive_b = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *load = NULL;
  g_autofree char *times = NULL;
  const char *cli;
  const char *dir = g_getenv ("OSI_BENCH_DIR");
  Expected expected = { 0 };
  double seconds[RUNS];
  double cpu[RUNS];
  double rss = 0;
  double median;
  guint n_entries = 50000;
  gboolean ok = TRUE;
  int status;
  pid_t pid;
  int pipe_fds[2];

  setlocale (LC_ALL, "");
  g_set_prgname ("bench-diff");
  if (argc == 3 && strcmp (argv[1], "--entries") == 0)
    n_entries = (guint)g_ascii_strtoull (argv[2], NULL, 10);
  if (n_entries == 0)
    {
      g_printerr ("bench-diff: usage: bench-diff [--entries N]\n");
      return 2;
    }
  cli = bench_program_from_env ("OSI_BACKUP_CLI");
  if (cli == NULL)
    return 1;

  template = g_build_filename (dir != NULL ? dir : g_get_tmp_dir (), "bench-diff-XXXXXX", NULL);
  tmp = g_mkdtemp (template) != NULL ? g_strdup (template) : NULL;
  if (tmp == NULL)
    {
      g_printerr ("bench-diff: cannot make a temporary folder: %s\n", g_strerror (errno));
      return 1;
    }
  archive_a = g_build_filename (tmp, "a.tar.zst", NULL);
  archive_b = g_build_filename (tmp, "b.tar.zst", NULL);
  out_path = g_build_filename (tmp, "diff.json", NULL);

  /* Before any thread: the child does the heavy lifting and sends back
   * what it expects. */
  if (pipe (pipe_fds) != 0 || (pid = fork ()) < 0)
    {
      g_printerr ("bench-diff: fork: %s\n", g_strerror (errno));
      bench_remove_tree (tmp);
      return 1;
    }
  if (pid == 0)
    {
      int r;

      close (pipe_fds[0]);
      r = prepare (tmp, n_entries, &expected);
      if (r == 0 && write (pipe_fds[1], &expected, sizeof expected) != sizeof expected)
        r = 1;
      fflush (stdout);
      _exit (r);
    }
  close (pipe_fds[1]);
  if (read (pipe_fds[0], &expected, sizeof expected) != sizeof expected)
    ok = FALSE;
  close (pipe_fds[0]);
  if (waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    ok = FALSE;
  if (!ok)
    {
      g_printerr ("bench-diff: the preparation failed\n");
      bench_remove_tree (tmp);
      return 1;
    }

  for (guint i = 0; i < RUNS && ok; i++)
    {
      double run_rss = 0;

      ok = run_cli (cli, archive_a, archive_b, out_path, &seconds[i], &cpu[i], &run_rss);
      rss = MAX (rss, run_rss);
      if (ok && i == 0)
        ok = check_output (out_path, &expected);
    }
  if (g_getenv ("OSI_BENCH_KEEP") == NULL)
    bench_remove_tree (tmp);
  else
    g_print ("bench-diff: kept %s\n", tmp);
  if (!ok)
    return 1;

  median = bench_median (seconds, RUNS);
  times = bench_format_ms (seconds, RUNS);
  load = bench_load_average ();
  g_print ("bench-diff: %u entries against %u, 2 backups (tar.zst); load average %s\n",
           n_entries, n_entries - expected.removed + expected.added, load);
  g_print ("bench-diff: osi-backup-cli diff --json: median %.3f s over %d runs (%s ms; target < %.1f s) %s\n",
           median, RUNS, times, TIME_TARGET, median < TIME_TARGET ? "OK" : "MISSED");
  /* Two threads read A and B at once: on an idle machine of two cores or
   * more, the wall time is about half the CPU time. */
  g_print ("bench-diff: CPU time (user + system): median %.3f s\n", bench_median (cpu, RUNS));
  g_print ("bench-diff: peak RSS %.1f MiB (largest of %d runs; target < %.0f MiB) %s\n",
           rss, RUNS, RSS_TARGET_MIB, rss < RSS_TARGET_MIB ? "OK" : "MISSED");
  return median < TIME_TARGET && rss < RSS_TARGET_MIB ? 0 : 1;
}
