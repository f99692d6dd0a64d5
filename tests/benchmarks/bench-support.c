/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench-support.h"

static int
remove_one (const char        *path,
            const struct stat *st,
            int                flag,
            struct FTW        *ftw)
{
  if (remove (path) < 0 && errno != ENOENT)
    g_printerr ("%s: cannot remove %s: %s\n", g_get_prgname (), path, g_strerror (errno));
  return 0;
}

void
bench_remove_tree (const char *path)
{
  nftw (path, remove_one, 64, FTW_DEPTH | FTW_PHYS);
}

/* nftw takes no user data. */
static guint64 tree_bytes;

static int
add_size (const char        *path,
          const struct stat *st,
          int                flag,
          struct FTW        *ftw)
{
  if (flag == FTW_F)
    tree_bytes += (guint64)st->st_size;
  return 0;
}

guint64
bench_tree_size (const char *path)
{
  tree_bytes = 0;
  nftw (path, add_size, 16, FTW_PHYS);
  return tree_bytes;
}

guint64
bench_file_size (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 ? (guint64)st.st_size : 0;
}

gboolean
bench_have_tool (const char *name,
                 const char *tools)
{
  g_autofree char *path = g_find_program_in_path (name);

  if (path == NULL)
    g_printerr ("%s: “%s” is not installed or not in PATH: the benchmark compares against %s\n",
                g_get_prgname (), name, tools);
  return path != NULL;
}

int
bench_compare_doubles (gconstpointer a,
                       gconstpointer b)
{
  double x = *(const double *)a;
  double y = *(const double *)b;

  return (x > y) - (x < y);
}

double
bench_median (const double *values,
              guint         n)
{
  g_autofree double *sorted = NULL;

  if (n == 0)
    return -1;
  sorted = g_memdup2 (values, n * sizeof (double));
  qsort (sorted, n, sizeof (double), bench_compare_doubles);
  return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

char *
bench_format_ms (const double *seconds,
                 guint         n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%.1f", i > 0 ? " " : "", seconds[i] * 1000.0);
  return g_string_free (s, FALSE);
}

char *
bench_load_average (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  fields = g_strsplit (g_strstrip (text), " ", 4);
  if (g_strv_length (fields) < 3)
    return g_strdup ("?");
  return g_strdup_printf ("%s %s %s", fields[0], fields[1], fields[2]);
}

const char *
bench_program_from_env (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL || *path == '\0' || !g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("%s: $%s must name the program (meson test sets it)\n", g_get_prgname (), variable);
      return NULL;
    }
  return path;
}

guint64
bench_parse_size_mb (int    argc,
                     char **argv)
{
  const char *env = g_getenv ("OSI_BENCH_SIZE_MB");
  const char *arg = NULL;
  guint64 mb;

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--size-mb") == 0 && i + 1 < argc)
      arg = argv[++i];
  if (env != NULL && *env != '\0')
    arg = env;
  if (arg == NULL)
    return 1024;
  if (!g_ascii_string_to_unsigned (arg, 10, 1, 1024 * 1024, &mb, NULL))
    {
      g_printerr ("%s: “%s” is not a size in MiB\n", g_get_prgname (), arg);
      return 0;
    }
  return mb;
}

extern char **environ;

gboolean
bench_run_measured (char * const  *argv,
                    const char    *out_path,
                    BenchRun      *run)
{
  posix_spawn_file_actions_t actions;
  struct rusage usage;
  gint64 start;
  int status;
  pid_t pid;
  int r;

  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  start = g_get_monotonic_time ();
  r = posix_spawn (&pid, argv[0], &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&actions);
  if (r != 0)
    {
      g_printerr ("%s: cannot run %s: %s\n", g_get_prgname (), argv[0], g_strerror (r));
      return FALSE;
    }
  while (wait4 (pid, &status, 0, &usage) < 0)
    if (errno != EINTR)
      {
        g_printerr ("%s: wait4: %s\n", g_get_prgname (), g_strerror (errno));
        return FALSE;
      }
  run->seconds = (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  run->cpu_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                     (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  run->rss_mib = usage.ru_maxrss / 1024.0;
  run->exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  return TRUE;
}
