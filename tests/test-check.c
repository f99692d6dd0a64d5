/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-check-window-private.h"
#include "osi-diff-window-private.h"
#include "osi-search.h"
#include "osi-test-gui.h"
#include "osi-test-io-watch.h"
#include "osi-test-support.h"

/* The offline check in the app: the report window of a real archive made
 * here, the history of checks, and the restore of a checked file on a
 * real osi-backup-server. Expected values are computed from the data and
 * the archive themselves. */

#define TOKEN      "check-test-token-5d1e"
#define DATA_SIZE  (256 * 1024)

static gboolean have_display;
static GPid live_server;

/* ------------------------------------------------------------------------ */
/* The fixture                                                              */

static void
on_fatal_signal (int signum)
{
  if (live_server > 0)
    kill (live_server, SIGKILL);
  signal (signum, SIG_DFL);
  raise (signum);
}

typedef struct
{
  char          *tmp;
  char          *data;       /* the server's data, or the data archived */
  char          *backups;
  char          *archive;    /* a good archive of data */
  OsiTestServer *server;
  OsiClient     *client;
  OsiWindow     *window;
} Fixture;

static gboolean
history_idle (gpointer user_data)
{
  return !osi_check_history_any_pending ();
}

/* The history's worker stats the file before a restore goes on. */
static void
wait_history (void)
{
  osi_test_wait_for (history_idle, NULL, "the history's work");
}

static char *
history_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "osi-backup", "checks.ini", NULL);
}

static char *
make_archive (const char *data,
              const char *path)
{
  osi_test_make_archive (data, path, OSI_COMPRESSION_ZSTD, NULL);
  return g_strdup (path);
}

/* with_server: a server over its own data and backups, and a window
 * connected to it; otherwise a window without a server (checks are
 * offline). Either way, fixture->archive is a good archive of
 * fixture->data, which the server does not hold. FALSE when the case
 * is skipped, without a display. */
static gboolean
fixture_start_full (Fixture    *f,
                    gboolean    with_server,
                    const char *max_upload)
{
  g_autofree char *history = history_path ();
  g_autofree char *archive = NULL;
  g_autoptr(GSettings) settings = NULL;

  if (!have_display)
    {
      osi_test_missing ("no display");
      return FALSE;
    }
  memset (f, 0, sizeof *f);
  /* Each case starts without former checks. */
  g_unlink (history);
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, DATA_SIZE, 1);
  archive = g_build_filename (f->tmp, "backup_20260301_101500.tar.zst", NULL);
  f->archive = make_archive (f->data, archive);
  if (with_server)
    {
      g_autofree char *server_parent = g_build_filename (f->tmp, "server", NULL);

      g_assert_cmpint (g_mkdir (server_parent, 0700), ==, 0);
      g_free (f->data);
      /* The server's data differs from the archive's. */
      f->data = osi_test_generate_data (server_parent, DATA_SIZE, 2);
      f->backups = g_build_filename (f->tmp, "backups", NULL);
      g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
      f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN,
                                         max_upload != NULL ? "--max-upload" : NULL, max_upload, NULL);
      live_server = f->server->pid;
      f->client = osi_client_new (f->server->url, TOKEN);
    }
  settings = g_settings_new (APP_ID);
  g_settings_reset (settings, "download-folder");
  f->window = g_object_ref_sink (osi_window_new (NULL));
  gtk_window_present (GTK_WINDOW (f->window));
  if (f->client != NULL)
    {
      osi_window_set_client (f->window, f->client, NULL);
      osi_test_wait_idle (f->window);
    }
  return TRUE;
}

static gboolean
fixture_start (Fixture  *f,
               gboolean  with_server)
{
  return fixture_start_full (f, with_server, NULL);
}

/* Closes the window, with the report window it owns, and checks that
 * both are freed. */
static void
fixture_finish (Fixture *f)
{
  OsiCheckWindow *report = osi_window_get_check_window (f->window);

  osi_test_wait_idle (f->window);
  if (report != NULL)
    g_object_ref (report);
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_finalize_object (g_steal_pointer (&f->window));
  if (report != NULL)
    g_assert_finalize_object (report);
  if (f->client != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->client));
  if (f->server != NULL)
    {
      g_assert_cmpint (osi_test_server_stop (f->server), ==, 0);
      live_server = 0;
      osi_test_server_free (f->server);
    }
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
  g_free (f->archive);
}

/* Checks path as a drop would, and returns the report window. */
static OsiCheckWindow *
check (Fixture    *f,
       const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GSList) files = g_slist_prepend (NULL, file);
  OsiCheckWindow *report;

  g_assert_cmpuint (osi_window_check_files (f->window, files), ==, 1);
  g_assert_true (osi_window_get_working (f->window));
  osi_test_wait_idle (f->window);
  report = osi_window_get_check_window (f->window);
  g_assert_nonnull (report);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (report)));
  g_assert_cmpstr (osi_verify_report_get_file (osi_check_window_get_report (report)), ==, path);
  return report;
}

/* ------------------------------------------------------------------------ */
/* What the archive holds, computed from the data                          */

static void
collect_config (const char *dir,
                const char *rel,
                GPtrArray  *out)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *child = g_strconcat (rel, "/", name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect_config (path, child, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&child));
    }
}

/* The config/ files of data, sorted. */
static GPtrArray *
config_files (const char *data)
{
  g_autofree char *dir = g_build_filename (data, "config", NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);

  collect_config (dir, "config", files);
  g_ptr_array_sort (files, osi_test_compare_strings);
  return files;
}

static void
assert_strv_sorted_equal (GStrv      shown,
                          GPtrArray *expected)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  for (guint i = 0; shown[i] != NULL; i++)
    g_ptr_array_add (sorted, shown[i]);
  g_ptr_array_sort (sorted, osi_test_compare_strings);
  g_assert_cmpuint (sorted->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    g_assert_cmpstr (g_ptr_array_index (sorted, i), ==, g_ptr_array_index (expected, i));
}

static gboolean
strv_has (GStrv       strv,
          const char *text)
{
  return strv != NULL && g_strv_contains ((const char * const *)strv, text);
}

/* ------------------------------------------------------------------------ */
/* Reports                                                                  */

static void
test_good (void)
{
  Fixture f;
  g_autoptr(GDateTime) before = NULL;
  g_autoptr(GDateTime) after = NULL;
  g_autofree char *created_before = NULL;
  g_autofree char *created_after = NULL;
  g_autofree char *rag = NULL;
  g_auto(GStrv) config = NULL;
  g_auto(GStrv) findings = NULL;
  g_autoptr(GPtrArray) expected_config = NULL;
  OsiCheckWindow *report;
  const char *created;

  /* The manifest's date is the archive's creation, within these two. */
  before = g_date_time_new_now_utc ();
  if (!fixture_start (&f, FALSE))
    return;
  after = g_date_time_new_now_utc ();
  created_before = osi_format_date (before);
  created_after = osi_format_date (after);

  report = check (&f, f.archive);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "This Backup Can Be Restored");
  rag = g_strdup_printf ("%u entries", osi_test_count_rag_entries (f.data));
  g_assert_cmpstr (osi_check_window_get_rag_text (report), ==, rag);
  created = osi_check_window_get_created_text (report);
  g_assert_nonnull (created);
  g_assert_true (g_str_equal (created, created_before) || g_str_equal (created, created_after));
  g_assert_cmpstr (osi_check_window_get_host_text (report), ==, g_get_host_name ());
  config = osi_check_window_dup_config_files (report);
  expected_config = config_files (f.data);
  g_assert_cmpuint (expected_config->len, >, 0);
  assert_strv_sorted_equal (config, expected_config);
  findings = osi_check_window_dup_findings (report);
  g_assert_cmpuint (g_strv_length (findings), ==, 0);
  /* Never checked before. */
  g_assert_null (osi_check_window_get_last_check_text (report));
  /* Restorable, but no server to restore it on. */
  g_assert_false (osi_check_window_can_restore (report));

  fixture_finish (&f);
}

static void
truncate_copy (const char *from,
               const char *to)
{
  g_autofree char *bytes = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (from, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (to, bytes, (gssize)(len / 2), NULL));
}

static void
test_truncated (void)
{
  Fixture f;
  g_autofree char *path = NULL;
  g_autoptr(OsiVerifyReport) direct = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) findings = NULL;
  GPtrArray *expected;
  OsiCheckWindow *report;

  if (!fixture_start (&f, FALSE))
    return;
  path = g_build_filename (f.tmp, "backup_20260302_101500.tar.zst", NULL);
  truncate_copy (f.archive, path);

  report = check (&f, path);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "This Backup Cannot Be Restored");
  /* The findings, each in words, are those of the archive module. */
  direct = osi_archive_verify (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (osi_verify_report_has_finding (direct, OSI_FINDING_TRUNCATED) ||
                 osi_verify_report_has_finding (direct, OSI_FINDING_CORRUPT));
  expected = osi_verify_report_get_findings (direct);
  findings = osi_check_window_dup_findings (report);
  g_assert_cmpuint (g_strv_length (findings), ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    g_assert_cmpstr (findings[i], ==, ((OsiFinding *)g_ptr_array_index (expected, i))->message);

  fixture_finish (&f);
}

static void
test_unproven (void)
{
  Fixture f;
  g_autofree char *path = NULL;
  g_autofree char *rag = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(GStrv) findings = NULL;
  OsiCheckWindow *report;

  if (!fixture_start (&f, FALSE))
    return;
  path = g_build_filename (f.tmp, "knowledge.json", NULL);
  g_assert_true (g_file_set_contents (path, osi_test_valid_rag (), -1, NULL));
  g_assert_true (json_parser_load_from_data (parser, osi_test_valid_rag (), -1, NULL));

  report = check (&f, path);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "Integrity Unproven");
  rag = g_strdup_printf (ngettext ("%u entry", "%u entries",
                                   json_object_get_size (json_node_get_object (json_parser_get_root (parser)))),
                         json_object_get_size (json_node_get_object (json_parser_get_root (parser))));
  g_assert_cmpstr (osi_check_window_get_rag_text (report), ==, rag);
  /* No manifest: no date nor host to show, and a finding says so. */
  g_assert_null (osi_check_window_get_created_text (report));
  findings = osi_check_window_dup_findings (report);
  g_assert_cmpuint (g_strv_length (findings), >, 0);

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* History                                                                  */

static void
test_history (void)
{
  Fixture f;
  g_autofree char *other = NULL;
  g_autofree char *history = history_path ();
  g_auto(GStrv) recent = NULL;
  g_autoptr(GFile) file_a = NULL;
  g_autoptr(GFile) file_b = NULL;
  g_autoptr(GSList) files = NULL;
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autofree char *odd = NULL;
  g_autofree char *bytes = NULL;
  g_auto(GStrv) odd_recent = NULL;
  gsize len;
  OsiCheckWindow *report;
  GStatBuf st;
  struct utimbuf times;

  if (!fixture_start (&f, FALSE))
    return;
  other = g_build_filename (f.tmp, "backup_20260303_101500.tar.zst", NULL);
  truncate_copy (f.archive, other);

  /* Two files dropped together are both checked and remembered. */
  file_a = g_file_new_for_path (f.archive);
  file_b = g_file_new_for_path (other);
  files = g_slist_append (g_slist_append (NULL, file_a), file_b);
  g_assert_cmpuint (osi_window_check_files (f.window, files), ==, 2);
  osi_test_wait_idle (f.window);
  report = osi_window_get_check_window (f.window);
  g_assert_nonnull (report);
  recent = osi_check_window_dup_recent (report);
  g_assert_true (strv_has (recent, f.archive));
  g_assert_true (strv_has (recent, other));
  g_clear_pointer (&recent, g_strfreev);
  g_assert_true (g_key_file_load_from_file (keys, history, G_KEY_FILE_NONE, NULL));

  /* Checked again, unchanged: the former check is shown. */
  report = check (&f, f.archive);
  g_assert_nonnull (osi_check_window_get_last_check_text (report));
  g_assert_true (g_str_has_prefix (osi_check_window_get_last_check_text (report), "Last check: "));
  g_assert_true (g_str_has_suffix (osi_check_window_get_last_check_text (report), " — restorable"));

  /* Again from the recent checks, after the file changed (its mtime). */
  g_assert_cmpint (g_stat (f.archive, &st), ==, 0);
  times.actime = st.st_atime;
  times.modtime = st.st_mtime - 3600;
  g_assert_cmpint (g_utime (f.archive, &times), ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.recheck", "s", f.archive));
  osi_test_wait_idle (f.window);
  g_assert_true (osi_window_get_check_window (f.window) == report);
  g_assert_true (g_str_has_suffix (osi_check_window_get_last_check_text (report),
                                   " — restorable (file modified since)"));
  /* That check was recorded with the new mtime: no longer modified. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.recheck-current", NULL));
  osi_test_wait_idle (f.window);
  g_assert_true (g_str_has_suffix (osi_check_window_get_last_check_text (report), " — restorable"));

  /* A name that is not UTF-8: checked, and again, but not remembered. */
  g_clear_pointer (&recent, g_strfreev);
  recent = osi_check_window_dup_recent (report);
  odd = g_build_filename (f.tmp, "backup-\xff.tar.zst", NULL);
  g_assert_true (g_file_get_contents (f.archive, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (odd, bytes, (gssize)len, NULL));
  report = check (&f, odd);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "This Backup Can Be Restored");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.recheck-current", NULL));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_check_window_get_last_check_text (report));
  odd_recent = osi_check_window_dup_recent (report);
  g_assert_cmpuint (g_strv_length (odd_recent), ==, g_strv_length (recent));
  g_clear_pointer (&recent, g_strfreev);
  /* (A damaged history: /check/history-store/corrupt.) */

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* The history as a store (no window)                                       */

/* Every function of the store that touches the disk asserts that it runs
 * in the worker, not on this thread: each case below also proves that. */

typedef struct
{
  GPtrArray *order;   /* the records' tags, in the order they ended */
  GError    *error;   /* the last one's */
  guint      left;
} Records;

typedef struct
{
  Records *records;
  guint    tag;
} RecordCall;

static void
on_recorded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RecordCall *call = user_data;

  g_clear_error (&call->records->error);
  osi_check_history_record_finish (OSI_CHECK_HISTORY (source), result, &call->records->error);
  g_ptr_array_add (call->records->order, GUINT_TO_POINTER (call->tag));
  call->records->left--;
  g_free (call);
}

static void
record_tagged (OsiCheckHistory *history,
               Records         *records,
               const char      *file,
               OsiVerdict       verdict,
               guint            tag)
{
  RecordCall *call = g_new0 (RecordCall, 1);

  call->records = records;
  call->tag = tag;
  records->left++;
  osi_check_history_record_async (history, file, verdict, NULL, on_recorded, call);
}

static gboolean
records_done (gpointer user_data)
{
  return ((Records *)user_data)->left == 0 && !osi_check_history_any_pending ();
}

static char *
store_file (const char *folder,
            const char *name)
{
  char *path = g_build_filename (folder, name, NULL);

  g_assert_true (g_file_set_contents (path, name, -1, NULL));
  return path;
}

/* The groups of the file as written, each a path → verdict. */
static GHashTable *
read_back (const char *path)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_auto(GStrv) groups = NULL;
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_true (g_key_file_load_from_file (keys, path, G_KEY_FILE_NONE, NULL));
  groups = g_key_file_get_groups (keys, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    g_hash_table_insert (table, g_key_file_get_string (keys, groups[i], "path", NULL),
                         g_key_file_get_string (keys, groups[i], "verdict", NULL));
  return table;
}

static void
wait_loaded (OsiCheckHistory *history)
{
  GAsyncResult *result = NULL;

  osi_check_history_load_async (history, NULL, osi_test_store_result, &result);
  g_assert_true (osi_check_history_load_finish (history, osi_test_wait_result (&result, "the history's read"),
                                                NULL));
  g_clear_object (&result);
}

/* Records asked for back to back end in order; the last one of a file
 * wins, in memory and on disk. */
static void
test_store_ordering (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("osi-test-store-XXXXXX", &error);
  g_autofree char *path = g_build_filename (tmp, "new", "checks.ini", NULL);
  g_autofree char *a = store_file (tmp, "a.tar.zst");
  g_autofree char *b = store_file (tmp, "b.tar.zst");
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GHashTable) written = NULL;
  g_autoptr(OsiCheckRecord) record = NULL;
  Records records = { g_ptr_array_new (), NULL, 0 };
  OsiCheckHistory *history;

  g_assert_no_error (error);
  history = osi_check_history_new (path);
  g_assert_false (osi_check_history_is_loaded (history));
  record_tagged (history, &records, a, OSI_VERDICT_RESTORABLE, 1);
  record_tagged (history, &records, b, OSI_VERDICT_UNPROVEN, 2);
  record_tagged (history, &records, a, OSI_VERDICT_NOT_RESTORABLE, 3);
  /* Nothing is known before the worker answered. */
  g_assert_null (osi_check_history_lookup (history, a));
  osi_test_wait_for (records_done, &records, "the records");
  g_assert_no_error (records.error);
  g_assert_cmpuint (records.order->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_ptr_array_index (records.order, i)), ==, i + 1);

  list = osi_check_history_list (history);
  g_assert_cmpuint (list->len, ==, 2);
  record = osi_check_history_lookup (history, a);
  g_assert_nonnull (record);
  g_assert_cmpint (record->verdict, ==, OSI_VERDICT_NOT_RESTORABLE);
  g_assert_false (record->modified);
  written = read_back (path);
  g_assert_cmpuint (g_hash_table_size (written), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (written, a), ==, "not_restorable");
  g_assert_cmpstr (g_hash_table_lookup (written, b), ==, "unproven");

  /* A file changed since its check: the worker's stat says so. */
  g_assert_true (g_file_set_contents (a, "longer than before", -1, NULL));
  {
    GAsyncResult *result = NULL;
    g_autoptr(OsiCheckRecord) changed = NULL;

    osi_check_history_refresh_async (history, a, NULL, osi_test_store_result, &result);
    g_assert_true (osi_check_history_refresh_finish (history, osi_test_wait_result (&result, "the refresh"), NULL));
    g_clear_object (&result);
    changed = osi_check_history_lookup (history, a);
    g_assert_true (changed->modified);
  }

  g_ptr_array_unref (records.order);
  g_assert_finalize_object (history);
  osi_test_remove_tmpdir (tmp);
}

/* A record asked for while the file is still being read lands on what
 * was read: the write keeps the former records. */
static void
test_store_race (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("osi-test-store-XXXXXX", &error);
  g_autofree char *path = g_build_filename (tmp, "checks.ini", NULL);
  g_autofree char *c = store_file (tmp, "c.tar.zst");
  g_autofree char *d = store_file (tmp, "d.tar.zst");
  g_autoptr(GHashTable) written = NULL;
  g_autoptr(GPtrArray) list = NULL;
  Records records = { g_ptr_array_new (), NULL, 0 };
  OsiCheckHistory *history;

  g_assert_no_error (error);
  history = osi_check_history_new (path);
  record_tagged (history, &records, c, OSI_VERDICT_RESTORABLE, 1);
  osi_test_wait_for (records_done, &records, "the first record");
  g_assert_no_error (records.error);
  g_assert_finalize_object (history);

  /* A new store of the same file, asked before it read anything. */
  history = osi_check_history_new (path);
  g_assert_false (osi_check_history_is_loaded (history));
  record_tagged (history, &records, d, OSI_VERDICT_UNPROVEN, 2);
  osi_test_wait_for (records_done, &records, "the racing record");
  g_assert_no_error (records.error);
  g_assert_true (osi_check_history_is_loaded (history));
  list = osi_check_history_list (history);
  g_assert_cmpuint (list->len, ==, 2);
  /* (Checks of the same second are ordered by path.) */
  written = read_back (path);
  g_assert_cmpuint (g_hash_table_size (written), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (written, c), ==, "restorable");
  g_assert_cmpstr (g_hash_table_lookup (written, d), ==, "unproven");

  g_ptr_array_unref (records.order);
  g_assert_finalize_object (history);
  osi_test_remove_tmpdir (tmp);
}

/* A damaged file is an empty history, not an error, and the next write
 * heals it. */
static void
test_store_corrupt (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("osi-test-store-XXXXXX", &error);
  g_autofree char *path = g_build_filename (tmp, "checks.ini", NULL);
  g_autofree char *e = store_file (tmp, "e.tar.zst");
  g_autoptr(GHashTable) written = NULL;
  g_autoptr(GPtrArray) list = NULL;
  Records records = { g_ptr_array_new (), NULL, 0 };
  OsiCheckHistory *history;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, "[garbage\n\xff\xfe=\n[file-x]\npath=relative\n", -1, NULL));
  history = osi_check_history_new (path);
  wait_loaded (history);
  list = osi_check_history_list (history);
  g_assert_cmpuint (list->len, ==, 0);
  record_tagged (history, &records, e, OSI_VERDICT_RESTORABLE, 1);
  osi_test_wait_for (records_done, &records, "the record");
  g_assert_no_error (records.error);
  written = read_back (path);
  g_assert_cmpuint (g_hash_table_size (written), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (written, e), ==, "restorable");

  g_ptr_array_unref (records.order);
  g_assert_finalize_object (history);
  osi_test_remove_tmpdir (tmp);
}

/* Makes folder unwritable: read-only, or, for root, whom permissions do
 * not stop, a file in its place. undo puts it back. */
static void
lock_folder (const char *folder,
             gboolean    undo)
{
  g_autofree char *saved = g_strconcat (folder, ".saved", NULL);

  g_assert_cmpint (g_mkdir_with_parents (undo ? saved : folder, 0700), ==, 0);
  if (geteuid () != 0)
    g_assert_cmpint (g_chmod (folder, undo ? 0700 : 0500), ==, 0);
  else if (!undo)
    {
      g_assert_cmpint (g_rename (folder, saved), ==, 0);
      g_assert_true (g_file_set_contents (folder, "", 0, NULL));
    }
  else
    {
      g_assert_cmpint (g_unlink (folder), ==, 0);
      g_assert_cmpint (g_rename (saved, folder), ==, 0);
    }
}

/* A folder that cannot be written: the record is kept in memory, the
 * write's error reaches the caller, and the window says it in a toast. */
static void
test_store_read_only (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("osi-test-store-XXXXXX", &error);
  g_autofree char *locked = g_build_filename (tmp, "locked", NULL);
  g_autofree char *path = g_build_filename (locked, "checks.ini", NULL);
  g_autofree char *f_file = store_file (tmp, "f.tar.zst");
  g_autofree char *history = history_path ();
  g_autofree char *history_dir = g_path_get_dirname (history);
  g_autoptr(OsiCheckRecord) record = NULL;
  Records records = { g_ptr_array_new (), NULL, 0 };
  OsiCheckHistory *store;
  Fixture fx;

  g_assert_no_error (error);
  lock_folder (locked, FALSE);
  store = osi_check_history_new (path);
  record_tagged (store, &records, f_file, OSI_VERDICT_RESTORABLE, 1);
  osi_test_wait_for (records_done, &records, "the record");
  g_assert_nonnull (records.error);
  record = osi_check_history_lookup (store, f_file);
  g_assert_nonnull (record);
  g_assert_finalize_object (store);
  g_clear_error (&records.error);
  g_ptr_array_unref (records.order);
  lock_folder (locked, TRUE);
  osi_test_remove_tmpdir (tmp);

  /* The window's history, in a folder made unwritable. */
  if (!fixture_start (&fx, FALSE))
    return;
  lock_folder (history_dir, FALSE);
  check (&fx, fx.archive);
  g_assert_true (g_str_has_prefix (osi_window_get_last_toast (fx.window), "The history of checks cannot be saved: "));
  lock_folder (history_dir, TRUE);
  fixture_finish (&fx);
}

/* ------------------------------------------------------------------------ */
/* Restore from a file                                                      */

static guint
n_backup_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (name[0] != '.')
      n++;
  return n;
}

static gboolean
changes_shown (gpointer data)
{
  AdwMessageDialog *dialog = osi_window_get_dialog (OSI_WINDOW (data));

  return dialog != NULL && strstr (adw_message_dialog_get_body (dialog), "Working out the changes") == NULL;
}

static void
test_restore_file (void)
{
  Fixture f;
  g_autofree char *body = NULL;
  g_autofree char *archived = NULL;
  g_autofree char *why = NULL;
  g_autofree char *base = NULL;
  g_autofree char *summary = NULL;
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  OsiCheckWindow *report;

  if (!fixture_start (&f, TRUE))
    return;
  archived = g_build_filename (f.tmp, "data", NULL);
  g_assert_false (osi_test_trees_equal (archived, f.data, NULL));
  /* What the warning will say the restore changes. */
  diff = osi_diff_compare (f.data, f.archive, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (osi_diff_is_empty (diff));
  summary = osi_diff_describe_restore (diff);

  report = check (&f, f.archive);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  wait_history ();
  g_assert_true (osi_window_get_working (f.window));
  osi_test_wait_idle (f.window);
  /* Sent, listed, and the usual warning, naming it. */
  g_assert_cmpuint (n_backup_files (f.backups), ==, 1);
  osi_test_wait_for (changes_shown, f.window, "the restore's changes");
  body = osi_test_answer_dialog (f.window, "restore");
  g_assert_nonnull (strstr (body, summary));
  base = g_path_get_basename (f.archive);
  g_assert_nonnull (strstr (body, base));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));

  /* The server's data is the file's, and the safety backup is listed. */
  if (!osi_test_trees_equal (archived, f.data, &why))
    g_error ("the data is not the file's: %s", why);
  g_assert_cmpuint (n_backup_files (f.backups), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, 2);
  g_assert_nonnull (strstr (osi_window_get_last_toast (f.window), "safety"));

  /* Again: the server holds that very file, which is not sent twice. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  wait_history ();
  osi_test_wait_idle (f.window);
  g_assert_cmpuint (n_backup_files (f.backups), ==, 2);
  g_clear_pointer (&body, g_free);
  body = osi_test_answer_dialog (f.window, "cancel");
  g_assert_nonnull (strstr (body, base));
  osi_test_wait_idle (f.window);

  /* Another file of that name: refused before sending, saying why. */
  g_assert_cmpint (g_unlink (f.archive), ==, 0);
  g_free (make_archive (f.data, f.archive));
  report = check (&f, f.archive);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  wait_history ();
  osi_test_wait_idle (f.window);
  g_clear_pointer (&body, g_free);
  body = osi_test_answer_dialog (f.window, "close");
  g_assert_nonnull (strstr (body, base));
  g_assert_nonnull (strstr (body, "different backup"));
  g_assert_cmpuint (n_backup_files (f.backups), ==, 2);

  fixture_finish (&f);
}

static void
test_restore_file_cancel (void)
{
  Fixture f;
  g_autofree char *archived = NULL;
  OsiCheckWindow *report;

  if (!fixture_start (&f, TRUE))
    return;
  archived = g_build_filename (f.tmp, "data", NULL);

  report = check (&f, f.archive);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  wait_history ();
  g_assert_true (osi_window_get_working (f.window));
  /* One thing at a time. */
  g_assert_false (osi_check_window_can_restore (report));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.cancel-transfer", NULL));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_nonnull (osi_window_get_last_toast (f.window));
  g_assert_nonnull (strstr (osi_window_get_last_toast (f.window), "cancelled"));
  /* Nothing was restored, and the file can be sent again. */
  g_assert_false (osi_test_trees_equal (archived, f.data, NULL));
  g_assert_true (osi_check_window_can_restore (report));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  wait_history ();
  osi_test_wait_idle (f.window);
  g_free (osi_test_answer_dialog (f.window, "cancel"));

  fixture_finish (&f);
}

/* Restores report's file, which the server refuses: returns the error
 * dialog's text, once it is checked that nothing sent was kept (not even
 * a partial file), nothing was restored and the list is as it was. */
static char *
restore_refused (Fixture        *f,
                 OsiCheckWindow *report)
{
  g_autofree char *archived = g_build_filename (f->tmp, "data", NULL);
  char *body;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  wait_history ();
  osi_test_wait_idle (f->window);
  body = osi_test_answer_dialog (f->window, "close");
  osi_test_wait_idle (f->window);
  g_assert_cmpuint (osi_test_count_entries (f->backups), ==, 0);
  g_assert_false (osi_test_trees_equal (archived, f->data, NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (osi_window_get_store (f->window))), ==, 0);
  return body;
}

/* A server that takes smaller uploads than the file: its refusal (413)
 * is shown with what to do, nothing is left on the server or restored,
 * and the file can still be sent. */
static void
test_restore_file_too_large (void)
{
  Fixture f;
  g_autofree char *body = NULL;
  OsiCheckWindow *report;

  if (!fixture_start_full (&f, TRUE, "4096"))
    return;

  report = check (&f, f.archive);
  g_assert_true (osi_check_window_can_restore (report));
  body = restore_refused (&f, report);
  g_assert_nonnull (strstr (body, "larger than the server accepts"));
  /* What to do. */
  g_assert_nonnull (strstr (body, "administrator to raise its upload limit"));
  g_assert_true (osi_check_window_can_restore (report));

  fixture_finish (&f);
}

/* The file changed after its check passed (here: cut short): it is
 * checked again instead of sent, and the new report forbids the restore. */
static void
test_restore_file_changed (void)
{
  Fixture f;
  g_autofree char *contents = NULL;
  gsize length;
  OsiCheckWindow *report;

  if (!fixture_start (&f, TRUE))
    return;

  report = check (&f, f.archive);
  g_assert_true (osi_check_window_can_restore (report));
  g_assert_true (g_file_get_contents (f.archive, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (f.archive, contents, (gssize)(length / 2), NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  wait_history ();
  g_assert_nonnull (strstr (osi_window_get_last_toast (f.window), "checked again"));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_true (osi_window_get_check_window (f.window) == report);
  g_assert_cmpint (osi_verify_report_get_verdict (osi_check_window_get_report (report)), ==,
                   OSI_VERDICT_NOT_RESTORABLE);
  g_assert_false (osi_check_window_can_restore (report));
  /* Nothing was sent. */
  g_assert_cmpuint (osi_test_count_entries (f.backups), ==, 0);

  fixture_finish (&f);
}

/* The file damaged after its check with its size and date kept, which
 * the app cannot see without reading it again: the server verifies what
 * it receives, refuses it (422), keeps nothing, and the error says the
 * backup is damaged. */
static void
test_restore_file_damaged (void)
{
  Fixture f;
  g_autofree char *body = NULL;
  g_autofree char *contents = NULL;
  struct utimbuf times;
  GStatBuf st;
  gsize length;
  OsiCheckWindow *report;

  if (!fixture_start (&f, TRUE))
    return;

  report = check (&f, f.archive);
  g_assert_true (osi_check_window_can_restore (report));
  g_assert_cmpint (g_stat (f.archive, &st), ==, 0);
  g_assert_true (g_file_get_contents (f.archive, &contents, &length, NULL));
  for (gsize i = length / 3; i < length / 3 + 64; i++)
    contents[i] ^= 0x5a;
  g_assert_true (g_file_set_contents (f.archive, contents, (gssize)length, NULL));
  times.actime = st.st_atime;
  times.modtime = st.st_mtime;
  g_assert_cmpint (g_utime (f.archive, &times), ==, 0);

  body = restore_refused (&f, report);
  g_assert_nonnull (strstr (body, "damaged or incomplete"));

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Compare                                                                  */

typedef struct
{
  guint added, removed, modified, unchanged;
} Counts;

static JsonObject *
load_rag (const char *data)
{
  g_autofree char *path = g_build_filename (data, "rag", "search.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* The knowledge bases compared here, entry by entry. */
static Counts
rag_counts (const char *a,
            const char *b)
{
  g_autoptr(JsonObject) ra = load_rag (a);
  g_autoptr(JsonObject) rb = load_rag (b);
  g_autoptr(GList) keys_a = json_object_get_members (ra);
  g_autoptr(GList) keys_b = json_object_get_members (rb);
  Counts counts = { 0 };

  for (GList *l = keys_a; l != NULL; l = l->next)
    if (!json_object_has_member (rb, l->data))
      counts.removed++;
    else if (json_node_equal (json_object_get_member (ra, l->data), json_object_get_member (rb, l->data)))
      counts.unchanged++;
    else
      counts.modified++;
  for (GList *l = keys_b; l != NULL; l = l->next)
    if (!json_object_has_member (ra, l->data))
      counts.added++;
  return counts;
}

static GHashTable *
files_under (const char *root,
             const char *section)
{
  g_autofree char *dir = g_build_filename (root, section, NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  collect_config (dir, section, files);
  for (guint i = 0; i < files->len; i++)
    {
      const char *rel = g_ptr_array_index (files, i);
      g_autofree char *path = g_build_filename (root, rel, NULL);
      char *bytes = NULL;

      g_assert_true (g_file_get_contents (path, &bytes, NULL, NULL));
      g_hash_table_insert (table, g_strdup (rel), bytes);
    }
  return table;
}

/* The files of a section compared here, byte for byte. */
static Counts
file_counts (const char *a,
             const char *b,
             const char *section)
{
  g_autoptr(GHashTable) fa = files_under (a, section);
  g_autoptr(GHashTable) fb = files_under (b, section);
  GHashTableIter iter;
  gpointer key, value;
  Counts counts = { 0 };

  g_hash_table_iter_init (&iter, fa);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *other = g_hash_table_lookup (fb, key);

      if (other == NULL)
        counts.removed++;
      else if (g_str_equal (other, value))
        counts.unchanged++;
      else
        counts.modified++;
    }
  g_hash_table_iter_init (&iter, fb);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (fa, key))
      counts.added++;
  return counts;
}

static char *
counts_text (Counts c)
{
  return g_strdup_printf ("%u addition%s, %u removal%s, %u change%s, %u identical",
                          c.added, c.added == 1 ? "" : "s", c.removed, c.removed == 1 ? "" : "s",
                          c.modified, c.modified == 1 ? "" : "s", c.unchanged);
}

static void
assert_counts (OsiDiffWindow *diff,
               const char    *a,
               const char    *b)
{
  g_autofree char *rag = counts_text (rag_counts (a, b));
  g_autofree char *config = counts_text (file_counts (a, b, "config"));
  g_autofree char *data = counts_text (file_counts (a, b, "data"));
  Counts rc = rag_counts (a, b);
  g_auto(GStrv) rows = osi_diff_window_dup_rows (diff, OSI_DIFF_RAG);

  g_assert_false (osi_diff_window_get_empty_shown (diff));
  g_assert_cmpstr (osi_diff_window_get_counts_text (diff, OSI_DIFF_RAG), ==, rag);
  g_assert_cmpstr (osi_diff_window_get_counts_text (diff, OSI_DIFF_CONFIG), ==, config);
  g_assert_cmpstr (osi_diff_window_get_counts_text (diff, OSI_DIFF_DATA), ==, data);
  g_assert_cmpuint (g_strv_length (rows), ==, MIN (500, rc.added + rc.removed + rc.modified));
}

/* The modified entries of the knowledge bases and their differing
 * top-level fields, as the window's rows say ("NAME\tmodified\tF1, F2"). */
static void
assert_modified_rows (OsiDiffWindow *diff,
                      const char    *a,
                      const char    *b)
{
  g_autoptr(JsonObject) ra = load_rag (a);
  g_autoptr(JsonObject) rb = load_rag (b);
  g_autoptr(GList) keys = json_object_get_members (ra);
  g_auto(GStrv) rows = osi_diff_window_dup_rows (diff, OSI_DIFF_RAG);
  guint checked = 0;

  for (GList *l = keys; l != NULL && checked < 20; l = l->next)
    {
      JsonObject *ea, *eb;
      g_autoptr(GList) fields = NULL;
      g_autoptr(GPtrArray) differing = g_ptr_array_new ();
      g_autofree char *joined = NULL;
      g_autofree char *row = NULL;

      if (!json_object_has_member (rb, l->data) ||
          json_node_equal (json_object_get_member (ra, l->data), json_object_get_member (rb, l->data)))
        continue;
      ea = json_object_get_object_member (ra, l->data);
      eb = json_object_get_object_member (rb, l->data);
      fields = json_object_get_members (ea);
      for (GList *f = fields; f != NULL; f = f->next)
        if (!json_object_has_member (eb, f->data) ||
            !json_node_equal (json_object_get_member (ea, f->data), json_object_get_member (eb, f->data)))
          g_ptr_array_add (differing, f->data);
      g_ptr_array_sort (differing, osi_test_compare_strings);
      g_ptr_array_add (differing, NULL);
      joined = g_strjoinv (", ", (char **)differing->pdata);
      row = g_strdup_printf ("%s\tmodified\t%s", (const char *)l->data, joined);
      if (!strv_has (rows, row))
        g_error ("no row \"%s\"", row);
      checked++;
    }
  g_assert_cmpuint (checked, >, 0);
}

static gboolean
compare_done (gpointer data)
{
  return !osi_check_window_get_working (OSI_CHECK_WINDOW (data));
}

/* As a user would: opens "Compare With…", which lists the server's
 * backups, picks name and clicks Compare. */
static void
choose_backup (OsiCheckWindow *report,
               const char     *name,
               guint           n_on_server)
{
  GtkDropDown *dropdown = osi_check_window_get_backup_dropdown (report);
  GListModel *names;
  guint i;

  gtk_menu_button_popup (osi_check_window_get_compare_button (report));
  names = gtk_drop_down_get_model (dropdown);
  g_assert_cmpuint (g_list_model_get_n_items (names), ==, n_on_server);
  for (i = 0; i < g_list_model_get_n_items (names); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (names), i), name))
      break;
  g_assert_cmpuint (i, <, n_on_server);
  gtk_drop_down_set_selected (dropdown, i);
  g_assert_true (gtk_widget_is_sensitive (osi_check_window_get_compare_backup_button (report)));
  g_signal_emit_by_name (osi_check_window_get_compare_backup_button (report), "clicked");
}

/* The download for a comparison is deleted in a worker. */
static gboolean
folder_empty (gpointer user_data)
{
  return osi_test_n_files (user_data) == 0;
}

static void
test_compare (void)
{
  Fixture f;
  g_autofree char *archived = NULL;
  g_autofree char *other = NULL;
  g_autofree char *same = NULL;
  g_autofree char *served = NULL;
  g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "osi-backup", "compare", NULL);
  g_autofree char *bytes = NULL;
  gsize len;
  g_autofree char *expected = NULL;
  OsiCheckWindow *report;
  OsiDiffWindow *diff;
  AdwMessageDialog *dialog;
  const char *served_name = "backup_20260305_101500.tar.zst";

  if (!fixture_start (&f, TRUE))
    return;
  archived = g_build_filename (f.tmp, "data", NULL);
  other = g_build_filename (f.tmp, "backup_20260304_101500.tar.zst", NULL);
  g_free (make_archive (f.data, other));
  report = check (&f, f.archive);

  /* With another file: A is the report's file, B the other. */
  osi_check_window_compare_with_file (report, other);
  g_assert_true (osi_check_window_get_working (report));
  osi_test_wait_for (compare_done, report, "the comparison");
  diff = osi_check_window_get_diff_window (report);
  g_assert_nonnull (diff);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (diff)));
  assert_counts (diff, archived, f.data);
  assert_modified_rows (diff, archived, f.data);

  /* With a copy of itself: nothing differs. */
  same = g_build_filename (f.tmp, "copy.tar.zst", NULL);
  g_assert_true (g_file_get_contents (f.archive, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (same, bytes, (gssize)len, NULL));
  osi_check_window_compare_with_file (report, same);
  osi_test_wait_for (compare_done, report, "the comparison");
  diff = osi_check_window_get_diff_window (report);
  g_assert_true (osi_diff_window_get_empty_shown (diff));

  /* With a backup of the server, downloaded for the purpose and deleted
   * after. */
  served = g_build_filename (f.backups, served_name, NULL);
  g_assert_true (g_file_get_contents (other, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (served, bytes, (gssize)len, NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.refresh", NULL));
  osi_test_wait_idle (f.window);
  /* Its folder in the cache is made and removed off the UI thread. */
  osi_io_watch_start ((const char *[]) { cache, NULL });
  choose_backup (report, served_name, n_backup_files (f.backups));
  g_assert_true (osi_check_window_get_working (report));
  osi_test_wait_for (compare_done, report, "the download and comparison");
  osi_io_watch_stop ("a comparison with a server backup");
  diff = osi_check_window_get_diff_window (report);
  assert_counts (diff, archived, f.data);
  osi_test_wait_for (folder_empty, cache, "the download's deletion");

  /* Cancelled during the download (here, while its folder is made):
   * nothing left in the cache. */
  osi_io_watch_start ((const char *[]) { cache, NULL });
  osi_check_window_compare_with_backup (report, served_name);
  g_assert_true (osi_check_window_get_working (report));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.cancel", NULL));
  osi_test_wait_for (compare_done, report, "the cancelled comparison");
  osi_io_watch_stop ("a cancelled comparison");
  osi_test_wait_for (folder_empty, cache, "the download's deletion");

  /* A cache where no folder can be made: said, and nothing else runs. */
  g_assert_cmpint (g_rmdir (cache), ==, 0);
  g_assert_true (g_file_set_contents (cache, "", 0, NULL));
  osi_check_window_compare_with_backup (report, served_name);
  osi_test_wait_for (compare_done, report, "the comparison that cannot start");
  dialog = ADW_MESSAGE_DIALOG (osi_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "The Comparison Failed");
  expected = g_strdup_printf ("Cannot create a folder in %s for the comparison: ", cache);
  g_assert_true (g_str_has_prefix (adw_message_dialog_get_body (dialog), expected));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpint (g_unlink (cache), ==, 0);

  g_object_ref (diff);
  fixture_finish (&f);
  g_assert_finalize_object (diff);
}

/* Names and fields come from the archives: a control character or a
 * bidirectional override reads escaped, as the CLI prints it, and never
 * reaches a label as it is. */
static void
test_compare_hostile_names (void)
{
  Fixture f;
  g_autofree char *rag_path = NULL;
  g_autofree char *hostile_file = NULL;
  g_autofree char *other = NULL;
  g_autoptr(JsonObject) rag = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GList) keys = NULL;
  g_auto(GStrv) rag_rows = NULL;
  g_auto(GStrv) config_rows = NULL;
  OsiCheckWindow *report;
  OsiDiffWindow *diff;
  gboolean seen_file = FALSE, seen_entry = FALSE;

  if (!fixture_start (&f, FALSE))
    return;
  /* f.archive keeps the data as it was; the data gains a file and an
   * entry with hostile names, and is archived again. */
  hostile_file = g_build_filename (f.data, "config", "evil\x1b[2J\u202Egpj.exe", NULL);
  g_assert_true (g_file_set_contents (hostile_file, "{}", -1, NULL));
  rag = load_rag (f.data);
  keys = json_object_get_members (rag);
  g_assert_nonnull (keys);
  json_object_set_member (rag, "entry\u202Etxt.exe\a",
                          json_node_copy (json_object_get_member (rag, keys->data)));
  json_node_set_object (root, rag);
  json_generator_set_root (generator, root);
  rag_path = g_build_filename (f.data, "rag", "search.json", NULL);
  g_assert_true (json_generator_to_file (generator, rag_path, NULL));
  other = g_build_filename (f.tmp, "backup_20260304_101500.tar.zst", NULL);
  g_free (make_archive (f.data, other));

  report = check (&f, f.archive);
  osi_check_window_compare_with_file (report, other);
  osi_test_wait_for (compare_done, report, "the comparison");
  diff = osi_check_window_get_diff_window (report);
  g_assert_nonnull (diff);
  config_rows = osi_diff_window_dup_rows (diff, OSI_DIFF_CONFIG);
  rag_rows = osi_diff_window_dup_rows (diff, OSI_DIFF_RAG);
  for (guint i = 0; config_rows[i] != NULL; i++)
    {
      g_assert_null (strchr (config_rows[i], '\x1b'));
      g_assert_null (strstr (config_rows[i], "\u202E"));
      seen_file |= g_str_has_prefix (config_rows[i], "config/evil\\x1B[2J\\u202Egpj.exe\tadded");
    }
  for (guint i = 0; rag_rows[i] != NULL; i++)
    {
      g_assert_null (strchr (rag_rows[i], '\a'));
      g_assert_null (strstr (rag_rows[i], "\u202E"));
      seen_entry |= g_str_has_prefix (rag_rows[i], "entry\\u202Etxt.exe\\x07\tadded");
    }
  g_assert_true (seen_file);
  g_assert_true (seen_entry);

  g_object_ref (diff);
  fixture_finish (&f);
  g_assert_finalize_object (diff);
}

/* ------------------------------------------------------------------------ */
/* The deployed OSI backend (docs/api.md §5)                                     */

#define SERVICE_BACKUP "search_backup_20260301_101500.json"
#define NO_UPLOAD      "This server does not offer sending a backup from this computer: restore one of its own " \
                       "backups instead."

/* As fixture_start (f, FALSE), then the stand-in of the OSI dashboard's
 * FastAPI service (tests/osi-fastapi-backend.py) holding one bare .json
 * backup, and the window connected to it. */
static gboolean
fixture_start_fastapi (Fixture *f)
{
  g_autofree char *service_data = NULL;
  g_autofree char *backup = NULL;

  if (!fixture_start (f, FALSE))
    return FALSE;
  /* f->tmp/data is the archive's data. */
  service_data = g_build_filename (f->tmp, "service", NULL);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  f->server = osi_test_fastapi_serve (service_data, f->backups, TOKEN, NULL, NULL);
  live_server = f->server->pid;
  backup = g_build_filename (f->backups, SERVICE_BACKUP, NULL);
  g_assert_true (g_file_set_contents (backup, osi_test_valid_rag (), -1, NULL));
  f->client = osi_client_new (f->server->url, TOKEN);
  osi_window_set_client (f->window, f->client, NULL);
  osi_test_wait_idle (f->window);
  return TRUE;
}

/* Checks path and waits for the report to say whether it is the file
 * downloaded; returns what it says. */
static const char *
check_downloaded (Fixture    *f,
                  const char *path)
{
  OsiCheckWindow *report = check (f, path);

  /* Bare .json: no manifest, so integrity stays unproven (docs/archive-format.md §7). */
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "Integrity Unproven");
  return osi_test_wait_download_text (report);
}

/* The dates are minutes: the download's is one of the two around it. */
static void
assert_unchanged_since (const char *said,
                        const char *when_before,
                        const char *when_after)
{
  g_autofree char *unchanged_before = g_strdup_printf ("Unchanged since it was downloaded on %s", when_before);
  g_autofree char *unchanged_after = g_strdup_printf ("Unchanged since it was downloaded on %s", when_after);

  g_assert_true (g_str_equal (said, unchanged_before) || g_str_equal (said, unchanged_after));
}

/* A bare .json downloaded from the service proves nothing by itself, but
 * the history kept its SHA-256: a later check says it is unchanged since,
 * or that it changed. */
static void
test_downloaded_json (void)
{
  Fixture f;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GDateTime) before = NULL;
  g_autoptr(GDateTime) after = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *local = NULL;
  g_autofree char *when_before = NULL;
  g_autofree char *when_after = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *changed_after = NULL;
  g_autofree char *edited = NULL;
  OsiCheckWindow *report;
  OsiDiffWindow *diff;
  const char *said;

  if (!fixture_start_fastapi (&f))
    return;
  settings = g_settings_new (APP_ID);
  folder = g_build_filename (f.tmp, "downloads", NULL);
  g_settings_set_string (settings, "download-folder", folder);
  local = g_build_filename (folder, SERVICE_BACKUP, NULL);

  /* The dates are minutes: the download's is one of these two. */
  before = g_date_time_new_now_utc ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.download", "s", SERVICE_BACKUP));
  osi_test_wait_idle (f.window);
  after = g_date_time_new_now_utc ();
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "Download complete");
  g_assert_true (g_file_test (local, G_FILE_TEST_IS_REGULAR));
  when_before = osi_format_date (before);
  when_after = osi_format_date (after);

  /* First check: downloaded, not checked yet, and unchanged since. */
  said = check_downloaded (&f, local);
  assert_unchanged_since (said, when_before, when_after);
  report = osi_window_get_check_window (f.window);
  g_assert_true (g_str_has_prefix (osi_check_window_get_last_check_text (report), "Downloaded on "));
  g_assert_true (g_str_has_suffix (osi_check_window_get_last_check_text (report), "not checked yet"));

  /* Checked again: the check remembered kept the download's SHA-256. */
  said = check_downloaded (&f, local);
  assert_unchanged_since (said, when_before, when_after);
  report = osi_window_get_check_window (f.window);
  g_assert_true (g_str_has_prefix (osi_check_window_get_last_check_text (report), "Last check: "));

  /* Compared with the service's backup (downloaded for the purpose): the
   * comparison needs nothing the service lacks. */
  g_assert_true (osi_window_server_lacks (f.window, "upload"));
  choose_backup (report, SERVICE_BACKUP, 1);
  osi_test_wait_for (compare_done, report, "the download and comparison");
  diff = osi_check_window_get_diff_window (report);
  g_assert_nonnull (diff);
  g_assert_true (osi_diff_window_get_empty_shown (diff));

  /* Edited since (still a valid knowledge base): it says it changed. */
  edited = g_strconcat (osi_test_valid_rag (), "\n\n", NULL);
  g_assert_true (g_file_set_contents (local, edited, -1, NULL));
  said = check_downloaded (&f, local);
  changed = g_strdup_printf ("Changed since it was downloaded on %s: this is no longer the file the server sent",
                             when_before);
  changed_after = g_strdup_printf ("Changed since it was downloaded on %s: this is no longer the file the server "
                                   "sent",
                                   when_after);
  /* The dates are minutes: either side of the download. */
  if (!g_str_equal (said, changed))
    g_assert_cmpstr (said, ==, changed_after);

  /* A .json never downloaded says nothing of the kind. */
  {
    g_autofree char *other = g_build_filename (f.tmp, "knowledge.json", NULL);

    g_assert_true (g_file_set_contents (other, osi_test_valid_rag (), -1, NULL));
    report = check (&f, other);
    g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "Integrity Unproven");
    g_assert_null (osi_check_window_get_download_text (report));
  }

  g_settings_reset (settings, "download-folder");
  g_object_ref (diff);
  fixture_finish (&f);
  g_assert_finalize_object (diff);
}

/* A service without upload: a restorable file cannot be sent there, and
 * the report says so rather than offering it; asked anyway (as a drop
 * would), the main window refuses before reading or sending anything. */
static void
test_restore_file_unsupported (void)
{
  Fixture f;
  g_autofree char *body = NULL;
  OsiCheckWindow *report;

  if (!fixture_start_fastapi (&f))
    return;
  report = check (&f, f.archive);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "This Backup Can Be Restored");
  g_assert_false (osi_check_window_can_restore (report));
  g_assert_cmpstr (osi_check_window_get_restore_note (report), ==, NO_UPLOAD);

  osi_window_restore_file (f.window, f.archive);
  g_assert_false (osi_window_get_working (f.window));
  body = osi_test_answer_dialog (f.window, "close");
  g_assert_cmpstr (body, ==, NO_UPLOAD);
  osi_test_wait_idle (f.window);
  g_assert_cmpuint (n_backup_files (f.backups), ==, 1);

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* In French                                                                */

/* French plurals start at 2. */
static char *
french_counts_text (Counts c)
{
  return g_strdup_printf ("%u ajout%s, %u retrait%s, %u modification%s, %u identique%s",
                          c.added, c.added > 1 ? "s" : "", c.removed, c.removed > 1 ? "s" : "",
                          c.modified, c.modified > 1 ? "s" : "", c.unchanged, c.unchanged > 1 ? "s" : "");
}

/* The report, the history and the comparison must be translated: a
 * missing translation fails. */
static void
french_body (void)
{
  Fixture f;
  g_autofree char *other_parent = NULL;
  g_autofree char *other_data = NULL;
  g_autofree char *other = NULL;
  g_autofree char *rag = NULL;
  g_autofree char *counts = NULL;
  g_autofree char *json = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *edited = NULL;
  g_autoptr(OsiCheckHistory) history = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  OsiCheckWindow *report;
  OsiDiffWindow *diff;
  guint n_rag;

  if (!fixture_start (&f, FALSE))
    return;
  report = check (&f, f.archive);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "Cette sauvegarde est restaurable");
  n_rag = osi_test_count_rag_entries (f.data);
  rag = g_strdup_printf (n_rag > 1 ? "%u entrées" : "%u entrée", n_rag);
  g_assert_cmpstr (osi_check_window_get_rag_text (report), ==, rag);

  report = check (&f, f.archive);
  g_assert_true (g_str_has_prefix (osi_check_window_get_last_check_text (report), "Dernière vérification : "));
  g_assert_true (g_str_has_suffix (osi_check_window_get_last_check_text (report), " — restaurable"));

  other_parent = g_build_filename (f.tmp, "other", NULL);
  g_assert_cmpint (g_mkdir (other_parent, 0700), ==, 0);
  other_data = osi_test_generate_data (other_parent, DATA_SIZE, 2);
  other = g_build_filename (f.tmp, "autre.tar.zst", NULL);
  g_free (make_archive (other_data, other));
  osi_check_window_compare_with_file (report, other);
  osi_test_wait_for (compare_done, report, "the comparison");
  diff = osi_check_window_get_diff_window (report);
  counts = french_counts_text (rag_counts (f.data, other_data));
  g_assert_cmpstr (osi_diff_window_get_counts_text (diff, OSI_DIFF_RAG), ==, counts);

  /* A .json remembered as downloaded (as the main window does), then
   * edited. */
  json = g_build_filename (f.tmp, "search_backup_20260301_101500.json", NULL);
  g_assert_true (g_file_set_contents (json, osi_test_valid_rag (), -1, NULL));
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, osi_test_valid_rag (), -1);
  history = osi_check_history_new (NULL);
  osi_check_history_record_download_async (history, json, digest, NULL, osi_test_store_result, &result);
  g_assert_true (osi_check_history_record_finish (history, osi_test_wait_result (&result, "the record"), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  report = check (&f, json);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "Intégrité non prouvée");
  g_assert_true (g_str_has_prefix (osi_test_wait_download_text (report), "Inchangée depuis son téléchargement le "));
  edited = g_strconcat (osi_test_valid_rag (), "\n", NULL);
  g_assert_true (g_file_set_contents (json, edited, -1, NULL));
  report = check (&f, json);
  g_assert_true (g_str_has_prefix (osi_test_wait_download_text (report), "Modifiée depuis son téléchargement le "));

  fixture_finish (&f);
}

static void
test_french (void)
{
  if (g_test_subprocess ())
    {
      french_body ();
      return;
    }
  if (!osi_test_french_possible ())
    return;
  /* Longer than the child's own deadlines, which fail it first. */
  g_test_trap_subprocess (NULL, (guint64)4 * OSI_TEST_WAIT_S * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_autofree char *home = osi_test_gui_private_user_dirs ("osi-test-check-XXXXXX");
  int status;

  g_test_init (&argc, &argv, NULL);
  signal (SIGABRT, on_fatal_signal);
  signal (SIGSEGV, on_fatal_signal);
  signal (SIGTERM, on_fatal_signal);

  have_display = osi_test_gui_init ();

  g_test_add_func ("/check/good", test_good);
  g_test_add_func ("/check/truncated", test_truncated);
  g_test_add_func ("/check/unproven", test_unproven);
  g_test_add_func ("/check/history", test_history);
  g_test_add_func ("/check/history-store/ordering", test_store_ordering);
  g_test_add_func ("/check/history-store/race", test_store_race);
  g_test_add_func ("/check/history-store/corrupt", test_store_corrupt);
  g_test_add_func ("/check/history-store/read-only", test_store_read_only);
  g_test_add_func ("/check/restore-file", test_restore_file);
  g_test_add_func ("/check/restore-file-cancel", test_restore_file_cancel);
  g_test_add_func ("/check/restore-file-too-large", test_restore_file_too_large);
  g_test_add_func ("/check/restore-file-changed", test_restore_file_changed);
  g_test_add_func ("/check/restore-file-damaged", test_restore_file_damaged);
  g_test_add_func ("/check/compare", test_compare);
  g_test_add_func ("/check/compare/hostile-names", test_compare_hostile_names);
  g_test_add_func ("/check/fastapi-downloaded-json", test_downloaded_json);
  g_test_add_func ("/check/fastapi-restore-file-unsupported", test_restore_file_unsupported);
  g_test_add_func ("/check/french", test_french);
  status = g_test_run ();
  osi_test_remove_tmpdir (home);
  return status;
}
