/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The server's catalog (src/server/osi-catalog.c) with 100,000 backups:
 * reading every entry at once (osi_catalog_load_all, what the list
 * needs) must take under 50 ms (median of seven, wall time). For
 * information: its CPU time (on a busy machine the wall time includes
 * waiting for a processor), the bare SQLite scan under it, opening the
 * catalog (quick_check included), one entry read, and one write committed
 * with synchronous=FULL (the catalog's setting) against NORMAL on the
 * same disk.
 *
 *   bench-catalog [--entries N]   N backups (default 100000)
 *   $OSI_BENCH_DIR                where the temporary folder goes
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "bench-seed.h"
#include "bench-support.h"
#include "osi-catalog.h"

#define RUNS          7
#define WRITES        50
#define LOOKUPS       10000
#define LOAD_TARGET   0.050

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* This process's CPU time: what the machine's other work does not add. */
static double
cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every backup as bench-seed.c makes it (a kind, some notes, most
 * verified, some protected), each with its checksum, through the
 * catalog's own code in one transaction. */
static gboolean
fill (OsiCatalog *catalog,
      guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autofree OsiCatalogEntry *entries = g_new0 (OsiCatalogEntry, n);

  for (guint i = 0; i < n; i++)
    {
      char *name = g_strdup_printf ("backup_%08u_120000.tar.zst", i);
      char *sha = g_strdup_printf ("%064" G_GINT64_MODIFIER "x", (guint64)i * 2654435761u);
      char *note;

      bench_catalog_entry (&entries[i], i, name, 1700000000 + (gint64)i * 421, &note);
      entries[i].sha256 = sha;
      entries[i].stamp = (OsiCatalogStamp) { 1000000 + i, (gint64)i * 1000000000, (gint64)i * 1000000000 };
      g_ptr_array_add (strings, name);
      g_ptr_array_add (strings, sha);
      if (note != NULL)
        g_ptr_array_add (strings, note);
    }
  if (!osi_catalog_set_entries (catalog, entries, n, &error))
    {
      g_printerr ("bench-catalog: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* The floor: the same SELECT over a connection set up as the catalog's
 * (no mutex, a page cache that holds the file, filled by a first pass),
 * every column looked at, nothing kept. */
static void
bare_scan (const char *path,
           double     *seconds,
           guint       n_runs,
           guint      *rows)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gsize bytes = 0;

  sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  sqlite3_exec (db, "PRAGMA cache_size = -32768", NULL, NULL, NULL);
  sqlite3_prepare_v2 (db, "SELECT name, protected, note, kind, sha256, size, mtime_ns, ctime_ns,"
                          " verdict, verified_at FROM backups", -1, &stmt, NULL);
  for (guint r = 0; r <= n_runs; r++)
    {
      double start = cpu_s ();

      *rows = 0;
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          for (int c = 0; c < 10; c++)
            {
              if (c == 1 || (c >= 5 && c <= 7) || c == 9)
                bytes += (gsize)sqlite3_column_int64 (stmt, c);
              else
                bytes += sqlite3_column_bytes (stmt, c);
            }
          (*rows)++;
        }
      sqlite3_reset (stmt);
      if (r > 0)
        seconds[r - 1] = cpu_s () - start;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  if (bytes == 0)
    *rows = 0;
}

/* One upsert per transaction over a connection of our own, in WAL mode
 * with the given synchronous setting: the cost of a commit. */
static double
raw_commit (const char *path,
            const char *synchronous)
{
  g_autofree char *pragma = g_strdup_printf ("PRAGMA synchronous = %s", synchronous);
  double times[WRITES];
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  sqlite3_open (path, &db);
  sqlite3_exec (db, pragma, NULL, NULL, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO backups (name, protected) VALUES (?1, ?2)"
                          " ON CONFLICT (name) DO UPDATE SET protected = excluded.protected",
                      -1, &stmt, NULL);
  for (guint i = 0; i < WRITES; i++)
    {
      double start = now_s ();

      sqlite3_bind_text (stmt, 1, "backup_00000001_120000.tar.zst", -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 2, i % 2);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_printerr ("bench-catalog: %s\n", sqlite3_errmsg (db));
      sqlite3_reset (stmt);
      times[i] = now_s () - start;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return bench_median (times, WRITES);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiCatalog) catalog = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *template = NULL;
  g_autofree char *path = NULL;
  g_autofree char *load = NULL;
  g_autofree char *load_times = NULL;
  const char *dir = g_getenv ("OSI_BENCH_DIR");
  double load_s[RUNS], load_cpu_s[RUNS], scan_s[RUNS], open_s[RUNS], write_s[WRITES], run_s[WRITES];
  double lookup_s, fill_s, load_median, start;
  guint n = 100000;
  guint rows = 0;
  gboolean ok = TRUE;

  setlocale (LC_ALL, "");
  g_set_prgname ("bench-catalog");
  if (argc == 3 && strcmp (argv[1], "--entries") == 0)
    n = (guint)g_ascii_strtoull (argv[2], NULL, 10);
  if (n == 0)
    {
      g_printerr ("bench-catalog: usage: bench-catalog [--entries N]\n");
      return 2;
    }

  template = g_build_filename (dir != NULL ? dir : g_get_tmp_dir (), "bench-catalog-XXXXXX", NULL);
  tmp = g_mkdtemp (template) != NULL ? g_strdup (template) : NULL;
  if (tmp == NULL)
    {
      g_printerr ("bench-catalog: cannot make a temporary folder: %s\n", g_strerror (errno));
      return 1;
    }
  path = g_build_filename (tmp, OSI_CATALOG_FILE_NAME, NULL);
  load = bench_load_average ();
  g_print ("bench-catalog: %u backups in %s (load average %s)\n", n, tmp, load);

  catalog = osi_catalog_open (tmp, &error);
  if (catalog == NULL)
    {
      g_printerr ("bench-catalog: %s\n", error->message);
      bench_remove_tree (tmp);
      return 1;
    }
  start = now_s ();
  if (!fill (catalog, n))
    {
      bench_remove_tree (tmp);
      return 1;
    }
  fill_s = now_s () - start;
  g_print ("bench-catalog: filled in %.2f s (osi_catalog_set_entries: one transaction of %u entries)\n",
           fill_s, n);

  for (guint r = 0; r < RUNS; r++)
    {
      g_autoptr(GHashTable) all = NULL;
      double cpu_start;

      cpu_start = cpu_s ();
      start = now_s ();
      all = osi_catalog_load_all (catalog, &error);
      load_s[r] = now_s () - start;
      load_cpu_s[r] = cpu_s () - cpu_start;
      if (all == NULL || g_hash_table_size (all) != n)
        {
          g_printerr ("bench-catalog: read %u entries, not %u: %s\n",
                      all != NULL ? g_hash_table_size (all) : 0, n,
                      error != NULL ? error->message : "");
          ok = FALSE;
          break;
        }
    }

  bare_scan (path, scan_s, RUNS, &rows);
  if (ok && rows != n)
    {
      g_printerr ("bench-catalog: the bare scan read %u rows, not %u\n", rows, n);
      ok = FALSE;
    }

  /* one entry at a time */
  start = now_s ();
  for (guint i = 0; ok && i < LOOKUPS; i++)
    {
      g_autofree char *name = g_strdup_printf ("backup_%08u_120000.tar.zst", g_random_int_range (0, n));
      OsiCatalogEntry *entry = osi_catalog_get_entry (catalog, name, NULL);

      ok = entry != NULL && entry->sha256 != NULL;
      osi_catalog_entry_free (entry);
    }
  lookup_s = (now_s () - start) / LOOKUPS;

  for (guint i = 0; ok && i < WRITES; i++)
    {
      start = now_s ();
      ok = osi_catalog_set_protected (catalog, "backup_00000002_120000.tar.zst", i % 2, &error);
      write_s[i] = now_s () - start;
      start = now_s ();
      ok = ok && osi_catalog_add_run (catalog, OSI_CATALOG_RUN_VERIFY, i, TRUE, "bench", &error);
      run_s[i] = now_s () - start;
    }
  if (!ok)
    {
      g_printerr ("bench-catalog: %s\n", error != NULL ? error->message : "a lookup failed");
      bench_remove_tree (tmp);
      return 1;
    }
  g_clear_object (&catalog);

  for (guint r = 0; r < RUNS; r++)
    {
      start = now_s ();
      catalog = osi_catalog_open (tmp, &error);
      open_s[r] = now_s () - start;
      if (catalog == NULL)
        {
          g_printerr ("bench-catalog: %s\n", error->message);
          bench_remove_tree (tmp);
          return 1;
        }
      g_clear_object (&catalog);
    }

  load_median = bench_median (load_s, RUNS);
  load_times = bench_format_ms (load_s, RUNS);
  g_print ("bench-catalog: load_all of %u entries: median %.1f ms (target < %.0f ms); runs: %s\n",
           n, load_median * 1000, LOAD_TARGET * 1000, load_times);
  g_print ("bench-catalog: load_all's CPU time: median %.1f ms\n", bench_median (load_cpu_s, RUNS) * 1000);
  g_print ("bench-catalog: the bare SQLite scan under it: median %.1f ms of CPU time\n",
           bench_median (scan_s, RUNS) * 1000);
  g_print ("bench-catalog: open (quick_check of %.1f MiB): median %.1f ms\n",
           bench_file_size (path) / 1048576.0, bench_median (open_s, RUNS) * 1000);
  g_print ("bench-catalog: get_entry: %.1f µs per call\n", lookup_s * 1e6);
  g_print ("bench-catalog: set_protected (synchronous=FULL): median %.2f ms; add_run: median %.2f ms\n",
           bench_median (write_s, WRITES) * 1000, bench_median (run_s, WRITES) * 1000);
  g_print ("bench-catalog: one commit over a connection of our own: FULL %.2f ms, NORMAL %.2f ms\n",
           raw_commit (path, "FULL") * 1000, raw_commit (path, "NORMAL") * 1000);

  bench_remove_tree (tmp);
  fflush (stdout);
  if (load_median >= LOAD_TARGET)
    {
      g_printerr ("bench-catalog: load_all took %.1f ms, over the %.0f ms target\n",
                  load_median * 1000, LOAD_TARGET * 1000);
      return 1;
    }
  return 0;
}
