/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "osi-catalog.h"
#include "osi-test-support.h"

/* The server's catalog (docs/api.md §6.1): every call, what survives a reopen,
 * the schema version, catalogs that cannot be read (moved aside, a fresh
 * one made), 100,000 entries read at once, and a writer killed (SIGKILL)
 * at random moments, after which every write it was told had committed
 * is there and the database is whole.
 *
 * `test-catalog --crash-writer DIR ROUND` is the writer: it writes to
 * DIR's catalog until killed and prints the index of each operation
 * whose call returned. */

#define BULK_ENTRIES   100000
#define CRASH_ROUNDS   20
/* Operations a crash round lets the writer finish before the kill, at
 * most; the kill then lands 0–3 ms later, mid-call or between calls. */
#define CRASH_MAX_OPS  150
#define CRASH_BATCH    200

typedef struct
{
  char *tmp;
  char *path;   /* the catalog file */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->path = g_build_filename (f->tmp, OSI_CATALOG_FILE_NAME, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->path);
}

static OsiCatalog *
open_catalog (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  OsiCatalog *catalog = osi_catalog_open (f->tmp, &error);

  g_assert_no_error (error);
  g_assert_nonnull (catalog);
  return catalog;
}

/* The first column of the first row of sql, over a connection of the
 * test's own (the catalog may be open too: WAL lets both read). */
static char *
raw_query (const char *path,
           const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;
  int rc;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  rc = sqlite3_step (stmt);
  g_assert_true (rc == SQLITE_ROW || rc == SQLITE_DONE);
  if (rc == SQLITE_ROW)
    text = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  sqlite3_exec (db, sql, NULL, NULL, &message);
  g_assert_null (message);
  sqlite3_close (db);
}

static guint
count_entries_with_prefix (const char *dir_path,
                           const char *prefix)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix))
      n++;
  return n;
}

static char *
sha_for (guint64 i)
{
  return g_strdup_printf ("%064" G_GINT64_MODIFIER "x", i);
}

static void
assert_default_entry (const OsiCatalogEntry *entry,
                      const char            *name)
{
  g_assert_cmpstr (entry->name, ==, name);
  g_assert_false (entry->is_protected);
  g_assert_null (entry->note);
  g_assert_cmpint (entry->kind, ==, OSI_CATALOG_KIND_UNKNOWN);
  g_assert_null (entry->sha256);
  g_assert_cmpint (entry->verdict, ==, OSI_CATALOG_VERDICT_NONE);
}

/* ------------------------------------------------------------------------ */

static void
test_names (void)
{
  OsiCatalogKind kind;
  OsiCatalogVerdict verdict;
  OsiCatalogRunKind run_kind;

  for (OsiCatalogKind k = OSI_CATALOG_KIND_MANUAL; k <= OSI_CATALOG_KIND_UPLOAD; k++)
    {
      g_assert_true (osi_catalog_kind_from_string (osi_catalog_kind_to_string (k), &kind));
      g_assert_cmpint (kind, ==, k);
    }
  g_assert_cmpstr (osi_catalog_kind_to_string (OSI_CATALOG_KIND_SAFETY), ==, "safety");
  g_assert_null (osi_catalog_kind_to_string (OSI_CATALOG_KIND_UNKNOWN));
  g_assert_false (osi_catalog_kind_from_string ("Manual", &kind));
  g_assert_false (osi_catalog_kind_from_string (NULL, &kind));

  for (OsiCatalogVerdict v = OSI_CATALOG_VERDICT_RESTORABLE; v <= OSI_CATALOG_VERDICT_UNPROVEN; v++)
    {
      g_assert_true (osi_catalog_verdict_from_string (osi_catalog_verdict_to_string (v), &verdict));
      g_assert_cmpint (verdict, ==, v);
    }
  g_assert_cmpstr (osi_catalog_verdict_to_string (OSI_CATALOG_VERDICT_NOT_RESTORABLE), ==, "not-restorable");
  g_assert_false (osi_catalog_verdict_from_string ("ok", &verdict));

  for (OsiCatalogRunKind r = OSI_CATALOG_RUN_BACKUP; r <= OSI_CATALOG_RUN_PRUNE; r++)
    {
      g_assert_true (osi_catalog_run_kind_from_string (osi_catalog_run_kind_to_string (r), &run_kind));
      g_assert_cmpint (run_kind, ==, r);
    }
  g_assert_false (osi_catalog_run_kind_from_string ("restore", &run_kind));
}

static void
test_new (Fixture       *f,
          gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(OsiCatalogEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *policy = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  OsiCatalogRun *run = NULL;
  struct stat st;

  g_assert_null (osi_catalog_get_moved_aside (catalog));
  g_assert_null (osi_catalog_get_moved_aside_reason (catalog));
  g_assert_cmpstr (osi_catalog_get_path (catalog), ==, f->path);

  /* mode 0600, whatever the umask */
  g_assert_cmpint (lstat (f->path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  version = raw_query (f->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, G_STRINGIFY (OSI_CATALOG_SCHEMA_VERSION));
  mode = raw_query (f->path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");

  entry = osi_catalog_get_entry (catalog, "backup_20250301_100000.tar.zst", &error);
  g_assert_no_error (error);
  assert_default_entry (entry, "backup_20250301_100000.tar.zst");

  g_assert_true (osi_catalog_get_policy (catalog, &policy, &error));
  g_assert_no_error (error);
  g_assert_null (policy);

  runs = osi_catalog_list_runs (catalog, 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 0);
  g_assert_true (osi_catalog_get_last_run (catalog, OSI_CATALOG_RUN_BACKUP, &run, &error));
  g_assert_no_error (error);
  g_assert_null (run);
}

static void
test_entries (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  const char *name = "backup_20250301_100000.tar.zst";
  const char *other = "other.tar.gz";
  OsiCatalogStamp stamp = { 1234, 5000000001, 6000000002 };
  g_autofree char *sha = sha_for (0xabcdef);
  g_autofree char *upper = g_ascii_strup (sha, -1);
  OsiCatalogEntry *entry;
  struct stat st = { 0 };

  g_assert_true (osi_catalog_set_protected (catalog, name, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (osi_catalog_set_note (catalog, name, "Avant la migration\n\tde mars — « ok »", &error));
  g_assert_no_error (error);
  g_assert_true (osi_catalog_set_kind (catalog, name, OSI_CATALOG_KIND_SCHEDULED, &error));
  g_assert_no_error (error);
  /* stored in lowercase, as the sidecars are read */
  g_assert_true (osi_catalog_set_sha256 (catalog, name, upper, &stamp, &error));
  g_assert_no_error (error);
  g_assert_true (osi_catalog_set_verification (catalog, name, OSI_CATALOG_VERDICT_NOT_RESTORABLE,
                                               1740823200, &error));
  g_assert_no_error (error);
  g_assert_true (osi_catalog_set_kind (catalog, other, OSI_CATALOG_KIND_UPLOAD, &error));
  g_assert_no_error (error);

  entry = osi_catalog_get_entry (catalog, name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->name, ==, name);
  g_assert_true (entry->is_protected);
  g_assert_cmpstr (entry->note, ==, "Avant la migration\n\tde mars — « ok »");
  g_assert_cmpint (entry->kind, ==, OSI_CATALOG_KIND_SCHEDULED);
  g_assert_cmpstr (entry->sha256, ==, sha);
  g_assert_cmpint (entry->stamp.size, ==, 1234);
  g_assert_cmpint (entry->stamp.mtime_ns, ==, 5000000001);
  g_assert_cmpint (entry->stamp.ctime_ns, ==, 6000000002);
  g_assert_cmpint (entry->verdict, ==, OSI_CATALOG_VERDICT_NOT_RESTORABLE);
  g_assert_cmpint (entry->verified_at, ==, 1740823200);

  /* the checksum holds for the file it was computed over only */
  st.st_size = 1234;
  st.st_mtim.tv_sec = 5;
  st.st_mtim.tv_nsec = 1;
  st.st_ctim.tv_sec = 6;
  st.st_ctim.tv_nsec = 2;
  g_assert_cmpstr (osi_catalog_entry_get_sha256 (entry, &st), ==, sha);
  st.st_ctim.tv_nsec = 3;
  g_assert_null (osi_catalog_entry_get_sha256 (entry, &st));
  st.st_ctim.tv_nsec = 2;
  st.st_size = 1235;
  g_assert_null (osi_catalog_entry_get_sha256 (entry, &st));
  osi_catalog_entry_free (entry);

  /* one setter changes one thing */
  g_assert_true (osi_catalog_set_protected (catalog, name, FALSE, &error));
  g_assert_no_error (error);
  entry = osi_catalog_get_entry (catalog, name, &error);
  g_assert_false (entry->is_protected);
  g_assert_cmpstr (entry->note, ==, "Avant la migration\n\tde mars — « ok »");
  g_assert_cmpint (entry->kind, ==, OSI_CATALOG_KIND_SCHEDULED);
  g_assert_cmpstr (entry->sha256, ==, sha);
  g_assert_cmpint (entry->verdict, ==, OSI_CATALOG_VERDICT_NOT_RESTORABLE);
  osi_catalog_entry_free (entry);

  /* and each can be taken back */
  g_assert_true (osi_catalog_set_note (catalog, name, "", &error));
  g_assert_true (osi_catalog_set_kind (catalog, name, OSI_CATALOG_KIND_UNKNOWN, &error));
  g_assert_true (osi_catalog_set_sha256 (catalog, name, NULL, NULL, &error));
  g_assert_true (osi_catalog_set_verification (catalog, name, OSI_CATALOG_VERDICT_NONE, 0, &error));
  g_assert_no_error (error);
  entry = osi_catalog_get_entry (catalog, name, &error);
  assert_default_entry (entry, name);
  osi_catalog_entry_free (entry);

  g_assert_true (osi_catalog_set_note (catalog, name, "again", &error));
  g_assert_true (osi_catalog_set_note (catalog, name, NULL, &error));
  g_assert_no_error (error);
  entry = osi_catalog_get_entry (catalog, name, &error);
  g_assert_null (entry->note);
  osi_catalog_entry_free (entry);

  /* a deleted backup is forgotten, and only it */
  g_assert_true (osi_catalog_set_protected (catalog, name, TRUE, &error));
  g_assert_true (osi_catalog_forget (catalog, name, &error));
  g_assert_no_error (error);
  entry = osi_catalog_get_entry (catalog, name, &error);
  assert_default_entry (entry, name);
  osi_catalog_entry_free (entry);
  entry = osi_catalog_get_entry (catalog, other, &error);
  g_assert_cmpint (entry->kind, ==, OSI_CATALOG_KIND_UPLOAD);
  osi_catalog_entry_free (entry);
  /* forgetting what is not there is no error */
  g_assert_true (osi_catalog_forget (catalog, "never.zip", &error));
  g_assert_no_error (error);
}

/* The checksum of a real file, as the server will record it: it holds
 * while the file is the one that was hashed. */
static void
test_stamp (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename (f->tmp, "b.tar.zst", NULL);
  g_autofree char *other = g_build_filename (f->tmp, "copy", NULL);
  g_autofree char *sha = sha_for (99);
  OsiCatalogStamp stamp;
  OsiCatalogEntry *entry;
  struct stat st;

  g_assert_true (g_file_set_contents (file, "version 1", -1, &error));
  osi_test_set_mtime (file, 1700000000, 5);
  g_assert_cmpint (stat (file, &st), ==, 0);
  osi_catalog_stamp_from_stat (&stamp, &st);
  g_assert_cmpint (stamp.size, ==, 9);
  g_assert_cmpint (stamp.mtime_ns, ==, G_GINT64_CONSTANT (1700000000000000005));
  g_assert_true (osi_catalog_set_sha256 (catalog, "b.tar.zst", sha, &stamp, &error));
  g_assert_no_error (error);

  entry = osi_catalog_get_entry (catalog, "b.tar.zst", &error);
  g_assert_cmpint (stat (file, &st), ==, 0);
  g_assert_cmpstr (osi_catalog_entry_get_sha256 (entry, &st), ==, sha);

  /* replaced under the same name by a file of the same size and mtime:
   * only its ctime tells, and does */
  g_usleep (10000);
  g_assert_true (g_file_set_contents (other, "version 2", -1, &error));
  osi_test_set_mtime (other, 1700000000, 5);
  g_assert_cmpint (rename (other, file), ==, 0);
  g_assert_cmpint (stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 9);
  g_assert_null (osi_catalog_entry_get_sha256 (entry, &st));
  osi_catalog_entry_free (entry);
}

static void
test_notes (Fixture       *f,
            gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  const char *name = "a.tar.zst";
  g_autoptr(GString) longest = g_string_new (NULL);
  g_autofree char *too_long = NULL;
  OsiCatalogEntry *entry;
  static const char * const refused[] = {
    "line\r\nbreak",
    "bell\a",
    "escape \x1b[31mred",
    "delete\x7f",
    "C1 \xc2\x85 next line",
    "not UTF-8 \xff",
    "cut \xc3",
  };

  /* characters, not bytes: 500 é are 1,000 bytes */
  for (guint i = 0; i < OSI_CATALOG_NOTE_MAX_CHARS; i++)
    g_string_append (longest, "é");
  g_assert_true (osi_catalog_note_is_valid (longest->str, &error));
  g_assert_true (osi_catalog_set_note (catalog, name, longest->str, &error));
  g_assert_no_error (error);

  too_long = g_strconcat (longest->str, "x", NULL);
  g_assert_false (osi_catalog_note_is_valid (too_long, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "501"));
  g_clear_error (&error);
  g_assert_false (osi_catalog_set_note (catalog, name, too_long, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_assert_false (osi_catalog_set_note (catalog, name, refused[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }

  /* what was refused changed nothing */
  entry = osi_catalog_get_entry (catalog, name, &error);
  g_assert_cmpstr (entry->note, ==, longest->str);
  osi_catalog_entry_free (entry);

  g_assert_true (osi_catalog_note_is_valid (NULL, &error));
  g_assert_true (osi_catalog_note_is_valid ("", &error));
  g_assert_true (osi_catalog_note_is_valid ("two\nlines\tand a tab, 日本語, emoji 🙂", &error));
  g_assert_no_error (error);
}

static void
test_policy (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  const char *first = "{\"schedule\":{\"every\":\"off\"},\"retention\":{\"keep_last\":3}}";
  const char *second = "{\"schedule\":{\"every\":\"daily\",\"at\":\"02:30\"},\"retention\":{\"keep_last\":7}}";
  char *policy = NULL;

  g_assert_true (osi_catalog_set_policy (catalog, first, &error));
  g_assert_no_error (error);
  g_assert_true (osi_catalog_get_policy (catalog, &policy, &error));
  g_assert_cmpstr (policy, ==, first);
  g_free (policy);

  g_assert_true (osi_catalog_set_policy (catalog, second, &error));
  g_assert_true (osi_catalog_get_policy (catalog, &policy, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (policy, ==, second);
  g_free (policy);
}

static void
test_runs (Fixture       *f,
           gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GString) long_detail = g_string_new (NULL);
  g_autoptr(OsiCatalogRun) last = NULL;
  guint total = OSI_CATALOG_RUNS_KEPT + 5;
  OsiCatalogRun *run;

  for (guint i = 0; i < total; i++)
    {
      g_autofree char *detail = g_strdup_printf ("run %u", i);

      g_assert_true (osi_catalog_add_run (catalog, i % 3, 1000 + i, i % 2 == 0, detail, &error));
      g_assert_no_error (error);
    }

  /* the 20 latest, newest first */
  runs = osi_catalog_list_runs (catalog, 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 20);
  for (guint k = 0; k < 20; k++)
    {
      guint i = total - 1 - k;
      g_autofree char *detail = g_strdup_printf ("run %u", i);

      run = g_ptr_array_index (runs, k);
      g_assert_cmpint (run->kind, ==, i % 3);
      g_assert_cmpint (run->at, ==, 1000 + i);
      g_assert_cmpint (run->ok, ==, i % 2 == 0);
      g_assert_cmpstr (run->detail, ==, detail);
    }
  g_clear_pointer (&runs, g_ptr_array_unref);

  /* bounded: the oldest were pruned */
  runs = osi_catalog_list_runs (catalog, 10 * OSI_CATALOG_RUNS_KEPT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, OSI_CATALOG_RUNS_KEPT);
  run = g_ptr_array_index (runs, runs->len - 1);
  g_assert_cmpstr (run->detail, ==, "run 5");
  g_clear_pointer (&runs, g_ptr_array_unref);

  g_assert_true (osi_catalog_get_last_run (catalog, OSI_CATALOG_RUN_BACKUP, &last, &error));
  g_assert_no_error (error);
  g_assert_nonnull (last);
  g_assert_cmpint (last->kind, ==, OSI_CATALOG_RUN_BACKUP);
  g_assert_cmpstr (last->detail, ==, "run 1002");   /* 1004 % 3 = 2, 1003 % 3 = 1 */
  g_clear_pointer (&last, osi_catalog_run_free);

  /* no detail, a long one, one that is not UTF-8 */
  for (guint i = 0; i < 2 * OSI_CATALOG_DETAIL_MAX_CHARS; i++)
    g_string_append (long_detail, "è");
  g_assert_true (osi_catalog_add_run (catalog, OSI_CATALOG_RUN_PRUNE, 1, TRUE, NULL, &error));
  g_assert_true (osi_catalog_add_run (catalog, OSI_CATALOG_RUN_VERIFY, 2, FALSE, long_detail->str, &error));
  g_assert_true (osi_catalog_add_run (catalog, OSI_CATALOG_RUN_BACKUP, 3, FALSE, "disk \xff full", &error));
  g_assert_no_error (error);
  runs = osi_catalog_list_runs (catalog, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 3);
  run = g_ptr_array_index (runs, 0);
  g_assert_true (g_utf8_validate (run->detail, -1, NULL));
  g_assert_true (g_str_has_prefix (run->detail, "disk "));
  g_assert_true (g_str_has_suffix (run->detail, " full"));
  run = g_ptr_array_index (runs, 1);
  g_assert_cmpint (g_utf8_strlen (run->detail, -1), ==, OSI_CATALOG_DETAIL_MAX_CHARS);
  g_assert_true (g_str_has_suffix (run->detail, "è…"));
  run = g_ptr_array_index (runs, 2);
  g_assert_cmpstr (run->detail, ==, "");
  g_assert_cmpint (run->kind, ==, OSI_CATALOG_RUN_PRUNE);
}

static void
test_import (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *sha_a = sha_for (1);
  g_autofree char *sha_b = sha_for (2);
  g_autofree char *sha_c = sha_for (3);
  g_autofree char *sha_new = sha_for (4);
  g_autofree char *upper_b = g_ascii_strup (sha_b, -1);
  OsiCatalogStamp stamp_a = { 10, 11, 12 };
  OsiCatalogStamp stamp_c = { 30, 31, 32 };
  OsiCatalogStamp stamp_c2 = { 30, 31, 33 };
  OsiCatalogChecksum sums[] = {
    { "a.tar.zst", sha_a, { 10, 11, 12 } },
    { "b.tar.gz", upper_b, { 20, 21, 22 } },
    { "c.zip", sha_c, { 30, 31, 32 } },
  };
  OsiCatalogEntry *entry;

  /* a: the catalog already has this file's checksum (the server hashed
   * it): the sidecar's (here, different) does not replace it. c: the
   * catalog's is for an older version of the file: replaced. */
  g_assert_true (osi_catalog_set_sha256 (catalog, "a.tar.zst", sha_new, &stamp_a, &error));
  g_assert_true (osi_catalog_set_sha256 (catalog, "c.zip", sha_new, &stamp_c2, &error));
  g_assert_true (osi_catalog_set_note (catalog, "c.zip", "kept", &error));
  g_assert_no_error (error);

  g_assert_true (osi_catalog_import_checksums (catalog, sums, G_N_ELEMENTS (sums), &error));
  g_assert_no_error (error);
  /* idempotent: the caller runs it at every start until it removes the
   * sidecars */
  g_assert_true (osi_catalog_import_checksums (catalog, sums, G_N_ELEMENTS (sums), &error));
  g_assert_true (osi_catalog_import_checksums (catalog, sums, 0, &error));
  g_assert_no_error (error);

  entry = osi_catalog_get_entry (catalog, "a.tar.zst", &error);
  g_assert_cmpstr (entry->sha256, ==, sha_new);
  osi_catalog_entry_free (entry);
  entry = osi_catalog_get_entry (catalog, "b.tar.gz", &error);
  g_assert_cmpstr (entry->sha256, ==, sha_b);
  g_assert_cmpint (entry->stamp.size, ==, 20);
  g_assert_cmpint (entry->stamp.mtime_ns, ==, 21);
  g_assert_cmpint (entry->stamp.ctime_ns, ==, 22);
  osi_catalog_entry_free (entry);
  entry = osi_catalog_get_entry (catalog, "c.zip", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (entry->sha256, ==, sha_c);
  g_assert_cmpint (entry->stamp.ctime_ns, ==, stamp_c.ctime_ns);
  g_assert_cmpstr (entry->note, ==, "kept");
  osi_catalog_entry_free (entry);
}

static void
test_reopen (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GHashTable) all = NULL;
  OsiCatalogStamp stamp = { 1, 2, 3 };
  g_autofree char *sha = sha_for (42);
  OsiCatalogEntry *entry;
  char *policy = NULL;

  g_assert_true (osi_catalog_set_protected (catalog, "one.tar.zst", TRUE, &error));
  g_assert_true (osi_catalog_set_note (catalog, "one.tar.zst", "note", &error));
  g_assert_true (osi_catalog_set_kind (catalog, "one.tar.zst", OSI_CATALOG_KIND_SAFETY, &error));
  g_assert_true (osi_catalog_set_sha256 (catalog, "two.tar.zst", sha, &stamp, &error));
  g_assert_true (osi_catalog_set_verification (catalog, "two.tar.zst", OSI_CATALOG_VERDICT_UNPROVEN, 77, &error));
  g_assert_true (osi_catalog_set_policy (catalog, "{}", &error));
  g_assert_true (osi_catalog_add_run (catalog, OSI_CATALOG_RUN_VERIFY, 99, TRUE, "fine", &error));
  g_assert_no_error (error);

  /* closed: every call says so */
  osi_catalog_close (catalog);
  g_assert_false (osi_catalog_set_note (catalog, "one.tar.zst", "late", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_null (osi_catalog_load_all (catalog, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  osi_catalog_close (catalog);
  g_clear_object (&catalog);

  catalog = open_catalog (f);
  g_assert_null (osi_catalog_get_moved_aside (catalog));
  all = osi_catalog_load_all (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (all), ==, 2);

  entry = g_hash_table_lookup (all, "one.tar.zst");
  g_assert_nonnull (entry);
  g_assert_true (entry->is_protected);
  g_assert_cmpstr (entry->note, ==, "note");
  g_assert_cmpint (entry->kind, ==, OSI_CATALOG_KIND_SAFETY);
  g_assert_null (entry->sha256);
  entry = g_hash_table_lookup (all, "two.tar.zst");
  g_assert_nonnull (entry);
  g_assert_false (entry->is_protected);
  g_assert_cmpstr (entry->sha256, ==, sha);
  g_assert_cmpint (entry->stamp.ctime_ns, ==, 3);
  g_assert_cmpint (entry->verdict, ==, OSI_CATALOG_VERDICT_UNPROVEN);
  g_assert_cmpint (entry->verified_at, ==, 77);

  g_assert_true (osi_catalog_get_policy (catalog, &policy, &error));
  g_assert_cmpstr (policy, ==, "{}");
  g_free (policy);
  runs = osi_catalog_list_runs (catalog, 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  g_assert_cmpstr (((OsiCatalogRun *)g_ptr_array_index (runs, 0))->detail, ==, "fine");
}

/* ------------------------------------------------------------------------ */
/* Versions and catalogs that cannot be read                                */

static void
test_schema_version (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *version = NULL;
  g_autofree char *tables = NULL;
  gsize len_before, len_after;

  version = raw_query (f->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, G_STRINGIFY (OSI_CATALOG_SCHEMA_VERSION));
  tables = raw_query (f->path, "SELECT group_concat (name, ',') FROM"
                               " (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name)");
  g_assert_cmpstr (tables, ==, "backups,offsite,runs,settings");
  g_assert_true (osi_catalog_set_note (catalog, "kept.tar.zst", "kept", &error));
  g_assert_no_error (error);
  g_clear_object (&catalog);

  /* opening again migrates nothing and keeps everything */
  catalog = open_catalog (f);
  g_clear_object (&catalog);

  /* a catalog from a newer version: refused, and left as it is */
  raw_exec (f->path, "PRAGMA user_version = 99");
  g_assert_true (g_file_get_contents (f->path, &before, &len_before, NULL));
  catalog = osi_catalog_open (f->tmp, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_null (catalog);
  g_assert_nonnull (strstr (error->message, "99"));
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (f->path, &after, &len_after, NULL));
  g_assert_cmpmem (before, len_before, after, len_after);
  g_assert_cmpuint (count_entries_with_prefix (f->tmp, OSI_CATALOG_FILE_NAME ".corrupt"), ==, 0);
}

/* What an unreadable catalog leaves: moved aside (its content kept), a
 * fresh catalog in its place that works, and no move on the next open. */
static void
assert_moved_aside (Fixture    *f,
                    const char *content,
                    gsize       content_len)
{
  g_autoptr(OsiCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *aside_name = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *check = NULL;
  OsiCatalogEntry *entry;
  const char *aside;
  gsize moved_len;

  catalog = open_catalog (f);
  aside = osi_catalog_get_moved_aside (catalog);
  g_assert_nonnull (aside);
  g_assert_nonnull (osi_catalog_get_moved_aside_reason (catalog));
  g_test_message ("moved aside to %s: %s", aside, osi_catalog_get_moved_aside_reason (catalog));
  aside_name = g_path_get_basename (aside);
  g_assert_true (g_str_has_prefix (aside_name, OSI_CATALOG_FILE_NAME ".corrupt-"));
  if (content != NULL)
    {
      g_assert_true (g_file_get_contents (aside, &moved, &moved_len, NULL));
      g_assert_cmpmem (moved, moved_len, content, content_len);
    }

  g_assert_true (osi_catalog_set_note (catalog, "after.tar.zst", "fresh", &error));
  g_assert_no_error (error);
  entry = osi_catalog_get_entry (catalog, "after.tar.zst", &error);
  g_assert_cmpstr (entry->note, ==, "fresh");
  osi_catalog_entry_free (entry);
  check = raw_query (f->path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  g_clear_object (&catalog);

  catalog = open_catalog (f);
  g_assert_null (osi_catalog_get_moved_aside (catalog));
  entry = osi_catalog_get_entry (catalog, "after.tar.zst", &error);
  g_assert_cmpstr (entry->note, ==, "fresh");
  osi_catalog_entry_free (entry);
}

static void
test_corrupt_garbage (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  char garbage[8192];

  for (guint i = 0; i < sizeof garbage; i++)
    garbage[i] = (char)g_test_rand_int_range (0, 256);
  g_assert_true (g_file_set_contents (f->path, garbage, sizeof garbage, &error));
  /* a WAL beside it, which must not be replayed into the fresh catalog */
  g_assert_true (g_file_set_contents (wal, garbage, 4096, &error));
  g_assert_no_error (error);

  assert_moved_aside (f, garbage, sizeof garbage);
}

/* A real catalog whose pages past the header are overwritten: SQLite
 * opens it; only reading those pages shows the damage. */
static void
test_corrupt_pages (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *content = NULL;
  OsiCatalogChecksum sums[2000];
  g_autofree char *sha = sha_for (7);
  char names[G_N_ELEMENTS (sums)][32];
  gsize len;
  int fd;

  for (guint i = 0; i < G_N_ELEMENTS (sums); i++)
    {
      g_snprintf (names[i], sizeof names[i], "backup-%05u.tar.zst", i);
      sums[i] = (OsiCatalogChecksum) { names[i], sha, { i, i, i } };
    }
  g_assert_true (osi_catalog_import_checksums (catalog, sums, G_N_ELEMENTS (sums), &error));
  g_assert_no_error (error);
  g_clear_object (&catalog);   /* checkpoints the WAL into the file */

  g_assert_true (g_file_get_contents (f->path, &content, &len, NULL));
  g_assert_cmpuint (len, >, 4 * 4096);
  memset (content + 2 * 4096, 0x5a, len - 2 * 4096);
  fd = open (f->path, O_WRONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, content, len), ==, (gssize)len);
  close (fd);

  assert_moved_aside (f, content, len);
}

static void
test_corrupt_foreign (Fixture       *f,
                      gconstpointer  user_data)
{
  /* another program's database under our name */
  raw_exec (f->path, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('theirs');");
  assert_moved_aside (f, NULL, 0);
}

static void
test_corrupt_not_a_file (Fixture       *f,
                         gconstpointer  user_data)
{
  g_autofree char *target = g_build_filename (f->tmp, "elsewhere", NULL);
  g_autofree char *content = NULL;

  /* a symbolic link is moved aside, not followed: what it points to is
   * left untouched */
  g_assert_true (g_file_set_contents (target, "not ours", -1, NULL));
  g_assert_cmpint (symlink (target, f->path), ==, 0);
  assert_moved_aside (f, NULL, 0);
  g_assert_true (g_file_get_contents (target, &content, NULL, NULL));
  g_assert_cmpstr (content, ==, "not ours");
}

static void
test_corrupt_directory (Fixture       *f,
                        gconstpointer  user_data)
{
  g_assert_cmpint (g_mkdir (f->path, 0700), ==, 0);
  assert_moved_aside (f, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* 100,000 entries                                                          */

static void
test_bulk (Fixture       *f,
           gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) all = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) shas = g_ptr_array_new_with_free_func (g_free);
  g_autofree OsiCatalogChecksum *sums = g_new0 (OsiCatalogChecksum, BULK_ENTRIES);
  gint64 start;
  double import_ms, load_ms;

  for (guint i = 0; i < BULK_ENTRIES; i++)
    {
      g_ptr_array_add (names, g_strdup_printf ("backup_%06u.tar.zst", i));
      g_ptr_array_add (shas, sha_for (i * 2654435761u));
      sums[i] = (OsiCatalogChecksum) { names->pdata[i], shas->pdata[i], { i, 2 * i, 3 * i } };
    }
  start = g_get_monotonic_time ();
  g_assert_true (osi_catalog_import_checksums (catalog, sums, BULK_ENTRIES, &error));
  g_assert_no_error (error);
  import_ms = (g_get_monotonic_time () - start) / 1000.0;
  /* a tenth with everything else set */
  raw_exec (f->path, "UPDATE backups SET protected = 1, note = 'note of ' || name, kind = 'manual',"
                     " verdict = 'restorable', verified_at = 1700000000 + length (name)"
                     " WHERE name GLOB '*3.tar.zst'");

  start = g_get_monotonic_time ();
  all = osi_catalog_load_all (catalog, &error);
  load_ms = (g_get_monotonic_time () - start) / 1000.0;
  g_assert_no_error (error);
  g_test_message ("100,000 entries: imported in %.0f ms, all read in %.1f ms", import_ms, load_ms);

  g_assert_cmpuint (g_hash_table_size (all), ==, BULK_ENTRIES);
  for (guint i = 0; i < BULK_ENTRIES; i++)
    {
      const OsiCatalogEntry *entry = g_hash_table_lookup (all, names->pdata[i]);
      gboolean marked = i % 10 == 3;

      g_assert_nonnull (entry);
      g_assert_cmpstr (entry->name, ==, names->pdata[i]);
      g_assert_cmpstr (entry->sha256, ==, shas->pdata[i]);
      g_assert_cmpint (entry->stamp.size, ==, i);
      g_assert_cmpint (entry->stamp.mtime_ns, ==, 2 * (gint64)i);
      g_assert_cmpint (entry->stamp.ctime_ns, ==, 3 * (gint64)i);
      g_assert_cmpint (entry->is_protected, ==, marked);
      g_assert_cmpint (entry->kind, ==, marked ? OSI_CATALOG_KIND_MANUAL : OSI_CATALOG_KIND_UNKNOWN);
      g_assert_cmpint (entry->verdict, ==, marked ? OSI_CATALOG_VERDICT_RESTORABLE : OSI_CATALOG_VERDICT_NONE);
      if (marked)
        {
          g_autofree char *note = g_strconcat ("note of ", (const char *)names->pdata[i], NULL);

          g_assert_cmpstr (entry->note, ==, note);
          g_assert_cmpint (entry->verified_at, ==, 1700000000 + strlen (names->pdata[i]));
        }
      else
        g_assert_null (entry->note);
    }
}

/* ------------------------------------------------------------------------ */
/* Killed while writing                                                     */

/* The writer's operations, by index: i % 5 says which. 4 is a batch of
 * CRASH_BATCH checksums, in one transaction. */
static char *
crash_name (guint round,
            guint i)
{
  return g_strdup_printf ("crash-r%02u-%06u.tar.zst", round, i);
}

static char *
crash_batch_name (guint round,
                  guint i,
                  guint k)
{
  return g_strdup_printf ("crash-r%02u-%06u-%03u.tar.zst", round, i, k);
}

static int
crash_writer (const char *dir,
              guint       round)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiCatalog) catalog = osi_catalog_open (dir, &error);

  if (catalog == NULL)
    {
      g_printerr ("crash writer: %s\n", error->message);
      return 1;
    }
  for (guint i = 0;; i++)
    {
      g_autofree char *name = crash_name (round, i);
      g_autofree char *sha = sha_for (i);
      g_autofree char *text = g_strdup_printf ("r%u-%u", round, i);
      char line[32];
      OsiCatalogStamp stamp = { i, i, i };
      gboolean ok = FALSE;
      int len;

      switch (i % 5)
        {
        case 0:
          ok = osi_catalog_set_note (catalog, name, text, &error);
          break;
        case 1:
          ok = osi_catalog_set_protected (catalog, name, TRUE, &error);
          break;
        case 2:
          ok = osi_catalog_add_run (catalog, OSI_CATALOG_RUN_VERIFY, i, TRUE, text, &error);
          break;
        case 3:
          ok = osi_catalog_set_sha256 (catalog, name, sha, &stamp, &error);
          break;
        default:
          {
            OsiCatalogChecksum sums[CRASH_BATCH];
            char *names[CRASH_BATCH];

            for (guint k = 0; k < CRASH_BATCH; k++)
              {
                names[k] = crash_batch_name (round, i, k);
                sums[k] = (OsiCatalogChecksum) { names[k], sha, stamp };
              }
            ok = osi_catalog_import_checksums (catalog, sums, CRASH_BATCH, &error);
            for (guint k = 0; k < CRASH_BATCH; k++)
              g_free (names[k]);
          }
          break;
        }
      if (!ok)
        {
          g_printerr ("crash writer: %s\n", error->message);
          return 1;
        }
      /* The call returned: committed. Said with write () at once, no
       * buffer to lose with the process. */
      len = g_snprintf (line, sizeof line, "%u\n", i);
      if (write (STDOUT_FILENO, line, len) != len)
        return 1;
    }
}

/* Whether the writer's operation i of round is in the catalog; for a
 * batch, how much of it (0 or CRASH_BATCH: all or none). */
static guint
crash_op_present (OsiCatalog *catalog,
                  GHashTable *runs_details,
                  guint       round,
                  guint       i)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = crash_name (round, i);
  g_autofree char *sha = sha_for (i);
  g_autofree char *text = g_strdup_printf ("r%u-%u", round, i);
  g_autoptr(OsiCatalogEntry) entry = NULL;
  guint found = 0;

  switch (i % 5)
    {
    case 0:
      entry = osi_catalog_get_entry (catalog, name, &error);
      g_assert_no_error (error);
      return g_strcmp0 (entry->note, text) == 0;
    case 1:
      entry = osi_catalog_get_entry (catalog, name, &error);
      g_assert_no_error (error);
      return entry->is_protected;
    case 2:
      return g_hash_table_contains (runs_details, text);
    case 3:
      entry = osi_catalog_get_entry (catalog, name, &error);
      g_assert_no_error (error);
      return g_strcmp0 (entry->sha256, sha) == 0 && entry->stamp.ctime_ns == i;
    default:
      for (guint k = 0; k < CRASH_BATCH; k++)
        {
          g_autofree char *batch_name = crash_batch_name (round, i, k);
          g_autoptr(OsiCatalogEntry) batch_entry = osi_catalog_get_entry (catalog, batch_name, &error);

          g_assert_no_error (error);
          if (g_strcmp0 (batch_entry->sha256, sha) == 0)
            found++;
        }
      return found;
    }
}

/* Reads the writer's lines until n of them (or the end), into done. */
static void
read_reports (int      fd,
              GString *pending,
              GArray  *done,
              guint    n)
{
  while (done->len < n)
    {
      char buf[256];
      char *newline;
      gssize got = read (fd, buf, sizeof buf);

      if (got < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (got, >=, 0);
      if (got == 0)
        return;
      g_string_append_len (pending, buf, got);
      while ((newline = strchr (pending->str, '\n')) != NULL)
        {
          guint i = (guint)g_ascii_strtoull (pending->str, NULL, 10);

          g_assert_cmpuint (i, ==, done->len);
          g_array_append_val (done, i);
          g_string_erase (pending, 0, newline - pending->str + 1);
        }
    }
}

static void
test_crash (Fixture       *f,
            gconstpointer  user_data)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree guint *committed = g_new0 (guint, CRASH_ROUNDS);
  guint total_runs = 0;
  guint batch_next = 0;

  g_assert_nonnull (self_exe);
  for (guint round = 0; round < CRASH_ROUNDS; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiCatalog) catalog = NULL;
      g_autoptr(GPtrArray) runs = NULL;
      g_autoptr(GHashTable) details = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(GArray) done = g_array_new (FALSE, FALSE, sizeof (guint));
      g_autoptr(GString) pending = g_string_new (NULL);
      g_autofree char *round_text = g_strdup_printf ("%u", round);
      g_autofree char *check = NULL;
      const char *argv[] = { self_exe, "--crash-writer", f->tmp, round_text, NULL };
      guint target = g_test_rand_int_range (1, CRASH_MAX_OPS + 1);
      guint in_flight;
      GPid pid;
      int out_fd;
      int status;

      g_assert_true (g_spawn_async_with_pipes (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                               NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
      g_assert_no_error (error);
      read_reports (out_fd, pending, done, target);
      g_assert_cmpuint (done->len, >=, target);   /* else the writer failed: see its message */
      g_usleep (g_test_rand_int_range (0, 3000));
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_spawn_close_pid (pid);
      g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
      /* what it said between our last read and the kill */
      read_reports (out_fd, pending, done, G_MAXUINT);
      close (out_fd);
      committed[round] = done->len;

      catalog = open_catalog (f);
      g_assert_null (osi_catalog_get_moved_aside (catalog));
      check = raw_query (f->path, "PRAGMA integrity_check");
      g_assert_cmpstr (check, ==, "ok");

      for (guint i = 0; i < done->len; i++)
        if (i % 5 == 2)
          total_runs++;
      g_assert_cmpuint (total_runs, <, OSI_CATALOG_RUNS_KEPT);   /* none pruned yet */
      runs = osi_catalog_list_runs (catalog, OSI_CATALOG_RUNS_KEPT, &error);
      g_assert_no_error (error);
      for (guint k = 0; k < runs->len; k++)
        g_hash_table_add (details, ((OsiCatalogRun *)g_ptr_array_index (runs, k))->detail);

      /* every write of every round so far that was said committed */
      for (guint r = 0; r <= round; r++)
        for (guint i = 0; i < committed[r]; i++)
          {
            guint present = crash_op_present (catalog, details, r, i);

            if (present != (i % 5 == 4 ? CRASH_BATCH : 1))
              g_error ("round %u: operation %u was committed and is missing (%u)", r, i, present);
          }
      /* the operation the kill interrupted (or that committed, unsaid):
       * all or nothing */
      in_flight = committed[round];
      if (in_flight % 5 == 4)
        {
          guint present = crash_op_present (catalog, details, round, in_flight);

          g_assert_true (present == 0 || present == CRASH_BATCH);
          batch_next++;
        }
      g_test_message ("round %u: %u operations committed before the kill", round, committed[round]);
    }
  g_test_message ("%u kills landed before a batch of %u had been said committed", batch_next, CRASH_BATCH);
}

/* ------------------------------------------------------------------------ */
/* Off-site copies                                                          */

/* A catalog of schema version 1 (what the server wrote before off-site
 * copies) is brought to the current version with its data whole, and
 * gains the table of copies. */
static void
test_offsite_upgrade (Fixture       *f,
                      gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = NULL;
  g_autoptr(OsiCatalogEntry) entry = NULL;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *tables = NULL;
  g_autofree char *policy = NULL;

  /* version 1's schema as it was released, and some data in it */
  raw_exec (f->path,
            "CREATE TABLE backups ("
            "  name        TEXT PRIMARY KEY NOT NULL,"
            "  protected   INTEGER NOT NULL DEFAULT 0 CHECK (protected IN (0, 1)),"
            "  note        TEXT CHECK (note IS NULL OR length (note) BETWEEN 1 AND 500),"
            "  kind        TEXT CHECK (kind IN ('manual', 'scheduled', 'safety', 'upload')),"
            "  sha256      TEXT CHECK (sha256 IS NULL OR"
            "                          (length (sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*')),"
            "  size        INTEGER,"
            "  mtime_ns    INTEGER,"
            "  ctime_ns    INTEGER,"
            "  verdict     TEXT CHECK (verdict IN ('restorable', 'not-restorable', 'unproven')),"
            "  verified_at INTEGER,"
            "  CHECK ((verdict IS NULL) = (verified_at IS NULL))"
            ") WITHOUT ROWID;"
            "CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;"
            "CREATE TABLE runs ("
            "  id     INTEGER PRIMARY KEY,"
            "  kind   TEXT NOT NULL CHECK (kind IN ('backup', 'verify', 'prune')),"
            "  at     INTEGER NOT NULL,"
            "  ok     INTEGER NOT NULL CHECK (ok IN (0, 1)),"
            "  detail TEXT NOT NULL"
            ");"
            "CREATE INDEX runs_by_kind ON runs (kind, id);"
            "INSERT INTO backups (name, protected, note, kind) VALUES ('old.tar.zst', 1, 'kept', 'manual');"
            "INSERT INTO settings VALUES ('policy', '{}');"
            "INSERT INTO runs (kind, at, ok, detail) VALUES ('prune', 5, 1, 'Removed 0 backups, kept 1.');"
            "PRAGMA application_id = 1330858306;"
            "PRAGMA user_version = 1;");
  g_chmod (f->path, 0600);

  catalog = open_catalog (f);
  g_assert_null (osi_catalog_get_moved_aside (catalog));
  version = raw_query (f->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, G_STRINGIFY (OSI_CATALOG_SCHEMA_VERSION));
  tables = raw_query (f->path, "SELECT group_concat (name, ',') FROM"
                               " (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name)");
  g_assert_cmpstr (tables, ==, "backups,offsite,runs,settings");

  entry = osi_catalog_get_entry (catalog, "old.tar.zst", &error);
  g_assert_no_error (error);
  g_assert_true (entry->is_protected);
  g_assert_cmpstr (entry->note, ==, "kept");
  g_assert_cmpint (entry->kind, ==, OSI_CATALOG_KIND_MANUAL);
  g_assert_true (osi_catalog_get_policy (catalog, &policy, &error));
  g_assert_cmpstr (policy, ==, "{}");
  copies = osi_catalog_list_copies (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (copies->len, ==, 0);
}

/* Every column of a copy is written, read back after close and reopen,
 * and each setter changes its own columns only; forgetting a backup's
 * record leaves its copy. */
static void
test_offsite_copies (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(OsiCatalogCopy) first = osi_catalog_copy_new ("b1.tar.zst");
  g_autoptr(OsiCatalogCopy) second = osi_catalog_copy_new ("b2.tar.zst");
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  const OsiCatalogCopy *c;
  OsiCopyState state;

  g_assert_true (osi_copy_state_from_string ("copying", &state));
  g_assert_cmpint (state, ==, OSI_COPY_COPYING);
  g_assert_false (osi_copy_state_from_string ("lost", &state));
  g_assert_cmpstr (osi_copy_state_to_string (OSI_COPY_FAILED), ==, "failed");

  first->state = OSI_COPY_COPYING;
  first->at = 1764947762;
  first->size = 6291823;
  first->sha256 = g_strdup ("dce923d134947e769da4a9aa2646f5fe86b0e765587054baf33685175d9a0cd3");
  first->date_us = G_GINT64_CONSTANT (1764947694000000);
  first->kind = OSI_CATALOG_KIND_SCHEDULED;
  first->is_protected = TRUE;
  first->upload_id = g_strdup ("2~abc");
  first->queued = 2;
  second->queued = 1;
  g_assert_true (osi_catalog_put_copy (catalog, first, &error));
  g_assert_no_error (error);
  g_assert_true (osi_catalog_put_copy (catalog, second, &error));
  g_assert_no_error (error);
  g_assert_true (osi_catalog_set_kind (catalog, "b1.tar.zst", OSI_CATALOG_KIND_MANUAL, &error));
  g_assert_true (osi_catalog_forget (catalog, "b1.tar.zst", &error));
  g_assert_no_error (error);
  g_clear_object (&catalog);

  catalog = open_catalog (f);
  copies = osi_catalog_list_copies (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (copies->len, ==, 2);
  /* the queue's order */
  c = g_ptr_array_index (copies, 0);
  g_assert_cmpstr (c->name, ==, "b2.tar.zst");
  g_assert_cmpint (c->state, ==, OSI_COPY_PENDING);
  g_assert_cmpint (c->size, ==, -1);
  g_assert_null (c->sha256);
  g_assert_null (c->upload_id);
  g_assert_cmpint (c->kind, ==, OSI_CATALOG_KIND_UNKNOWN);
  c = g_ptr_array_index (copies, 1);
  g_assert_cmpstr (c->name, ==, "b1.tar.zst");
  g_assert_cmpint (c->state, ==, OSI_COPY_COPYING);
  g_assert_cmpint (c->at, ==, 1764947762);
  g_assert_cmpint (c->size, ==, 6291823);
  g_assert_cmpstr (c->sha256, ==, first->sha256);
  g_assert_cmpint (c->date_us, ==, first->date_us);
  g_assert_cmpint (c->kind, ==, OSI_CATALOG_KIND_SCHEDULED);
  g_assert_true (c->is_protected);
  g_assert_cmpstr (c->upload_id, ==, "2~abc");
  g_clear_pointer (&copies, g_ptr_array_unref);

  g_assert_true (osi_catalog_set_copy_state (catalog, "b1.tar.zst", OSI_COPY_FAILED, 1764950000,
                                             "The bucket does not exist.", &error));
  g_assert_true (osi_catalog_set_copy_upload_id (catalog, "b1.tar.zst", NULL, &error));
  g_assert_true (osi_catalog_forget_copy (catalog, "b2.tar.zst", &error));
  g_assert_no_error (error);
  g_clear_object (&catalog);

  catalog = open_catalog (f);
  copies = osi_catalog_list_copies (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (copies->len, ==, 1);
  c = g_ptr_array_index (copies, 0);
  g_assert_cmpint (c->state, ==, OSI_COPY_FAILED);
  g_assert_cmpint (c->at, ==, 1764950000);
  g_assert_cmpstr (c->detail, ==, "The bucket does not exist.");
  g_assert_null (c->upload_id);
  g_assert_cmpint (c->size, ==, 6291823);
  g_assert_true (c->is_protected);
}

/* The storage's list read at start writes many copies and forgets others
 * in one transaction: all of them are there after a reopen, and a name
 * refused before the transaction begins writes nothing. */
static void
test_offsite_update_copies (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autoptr(OsiCatalog) catalog = open_catalog (f);
  g_autoptr(GPtrArray) put = g_ptr_array_new_with_free_func ((GDestroyNotify)osi_catalog_copy_free);
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiCatalogCopy) old = osi_catalog_copy_new ("old.tar.zst");
  const char *forget[] = { "old.tar.zst", "never-recorded.tar.zst" };

  old->state = OSI_COPY_DONE;
  g_assert_true (osi_catalog_put_copy (catalog, old, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *name = g_strdup_printf ("backup_%04u.tar.zst", i);
      OsiCatalogCopy *copy = osi_catalog_copy_new (name);

      copy->state = OSI_COPY_DONE;
      copy->size = i;
      copy->queued = i;
      g_ptr_array_add (put, copy);
    }
  g_assert_true (osi_catalog_update_copies (catalog, (const OsiCatalogCopy * const *)put->pdata, put->len,
                                            forget, G_N_ELEMENTS (forget), &error));
  g_assert_no_error (error);
  g_clear_object (&catalog);

  catalog = open_catalog (f);
  copies = osi_catalog_list_copies (catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (copies->len, ==, 1000);
  for (guint i = 0; i < copies->len; i++)
    {
      const OsiCatalogCopy *c = g_ptr_array_index (copies, i);

      g_assert_cmpstr (c->name, !=, "old.tar.zst");
      g_assert_cmpint (c->state, ==, OSI_COPY_DONE);
    }
  g_assert_true (osi_catalog_update_copies (catalog, NULL, 0, NULL, 0, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  if (argc == 4 && strcmp (argv[1], "--crash-writer") == 0)
    return crash_writer (argv[2], (guint)g_ascii_strtoull (argv[3], NULL, 10));

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/catalog/names", test_names);
  g_test_add ("/catalog/new", Fixture, NULL, fixture_setup, test_new, fixture_teardown);
  g_test_add ("/catalog/entries", Fixture, NULL, fixture_setup, test_entries, fixture_teardown);
  g_test_add ("/catalog/stamp", Fixture, NULL, fixture_setup, test_stamp, fixture_teardown);
  g_test_add ("/catalog/notes", Fixture, NULL, fixture_setup, test_notes, fixture_teardown);
  g_test_add ("/catalog/policy", Fixture, NULL, fixture_setup, test_policy, fixture_teardown);
  g_test_add ("/catalog/runs", Fixture, NULL, fixture_setup, test_runs, fixture_teardown);
  g_test_add ("/catalog/import-checksums", Fixture, NULL, fixture_setup, test_import, fixture_teardown);
  g_test_add ("/catalog/reopen", Fixture, NULL, fixture_setup, test_reopen, fixture_teardown);
  g_test_add ("/catalog/schema-version", Fixture, NULL, fixture_setup, test_schema_version, fixture_teardown);
  g_test_add ("/catalog/corrupt/garbage", Fixture, NULL, fixture_setup, test_corrupt_garbage, fixture_teardown);
  g_test_add ("/catalog/corrupt/pages", Fixture, NULL, fixture_setup, test_corrupt_pages, fixture_teardown);
  g_test_add ("/catalog/corrupt/foreign", Fixture, NULL, fixture_setup, test_corrupt_foreign, fixture_teardown);
  g_test_add ("/catalog/corrupt/symlink", Fixture, NULL, fixture_setup, test_corrupt_not_a_file, fixture_teardown);
  g_test_add ("/catalog/corrupt/directory", Fixture, NULL, fixture_setup, test_corrupt_directory, fixture_teardown);
  g_test_add ("/catalog/bulk", Fixture, NULL, fixture_setup, test_bulk, fixture_teardown);
  g_test_add ("/catalog/offsite/upgrade", Fixture, NULL, fixture_setup, test_offsite_upgrade, fixture_teardown);
  g_test_add ("/catalog/offsite/copies", Fixture, NULL, fixture_setup, test_offsite_copies, fixture_teardown);
  g_test_add ("/catalog/offsite/update-copies", Fixture, NULL, fixture_setup, test_offsite_update_copies,
              fixture_teardown);
  g_test_add ("/catalog/crash", Fixture, NULL, fixture_setup, test_crash, fixture_teardown);

  return g_test_run ();
}
