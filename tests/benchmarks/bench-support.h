/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What every benchmark program needs: the files it makes and removes,
 * medians, the programs meson hands it, the machine's load. Messages
 * start with the program's name (g_set_prgname in main). */

#include <glib.h>

G_BEGIN_DECLS

void         bench_remove_tree      (const char    *path);
/* Bytes of the regular files under path. */
guint64      bench_tree_size        (const char    *path);
guint64      bench_file_size        (const char    *path);
/* Says which tools the benchmark compares against when name is missing. */
gboolean     bench_have_tool        (const char    *name,
                                     const char    *tools);
int          bench_compare_doubles  (gconstpointer  a,
                                     gconstpointer  b);
/* -1 when n is 0; the mean of the middle two when n is even. */
double       bench_median           (const double  *values,
                                     guint          n);
/* "12.3 45.6 …", the values (seconds) in milliseconds. */
char        *bench_format_ms        (const double  *seconds,
                                     guint          n);
/* The 1, 5 and 15 minute load averages, or "?". */
char        *bench_load_average     (void);
/* The executable named by $variable, or NULL with a message. */
const char  *bench_program_from_env (const char    *variable);
/* --size-mb N, or $OSI_BENCH_SIZE_MB; 1024 by default; 0 when invalid. */
guint64      bench_parse_size_mb    (int            argc,
                                     char         **argv);

/* Runs argv (argv[0] the program's path) with its standard output into
 * out_path and waits: FALSE with a message when it cannot. Its wall
 * time, CPU time (user and system), peak RSS and exit status (-1 when it
 * did not exit) go where given. */
typedef struct
{
  double seconds;
  double cpu_seconds;
  double rss_mib;
  int    exit_status;
} BenchRun;

gboolean     bench_run_measured     (char * const  *argv,
                                     const char    *out_path,
                                     BenchRun      *run);

G_END_DECLS
