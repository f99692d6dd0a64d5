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
#include "osi-search.h"
#include "osi-test-support.h"
#include "osi-window-private.h"

/* The offline check in the app: the report window of a real archive made
 * here, the history of checks, and the restore of a checked file on a
 * real osi-backup-server. Expected values are computed from the data and
 * the archive themselves. */

#define TOKEN      "check-test-token-5d1e"
#define DATA_SIZE  (256 * 1024)
#define WAIT_S     60

static gboolean have_display;
static GPid live_server;

/* ------------------------------------------------------------------------ */
/* Waiting                                                                  */

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

typedef gboolean (*Condition) (gpointer data);

/* The deadline only turns a hang into a failure; it times nothing. */
static void
wait_for (Condition   done,
          gpointer    data,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  guint tick = g_timeout_add (20, wake_up, NULL);

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_test_message ("gave up waiting for %s after %d s", what, WAIT_S);
          g_assert_not_reached ();
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

static gboolean
window_idle (gpointer data)
{
  return !osi_window_get_working (OSI_WINDOW (data));
}

static void
wait_idle (OsiWindow *window)
{
  wait_for (window_idle, window, "the window's work to end");
}

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

static char *
history_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "osi-backup", "checks.ini", NULL);
}

static char *
make_archive (const char *data,
              const char *path)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (osi_archive_create (data, path, OSI_COMPRESSION_ZSTD, 0, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  return g_strdup (path);
}

/* with_server: a server over its own data and backups, and a window
 * connected to it; otherwise a window without a server (checks are
 * offline). Either way, fixture->archive is a good archive of
 * fixture->data, which the server does not hold. */
static void
fixture_start (Fixture  *f,
               gboolean  with_server)
{
  g_autofree char *history = history_path ();
  g_autofree char *archive = NULL;
  g_autoptr(GSettings) settings = NULL;

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
      f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN, NULL);
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
      wait_idle (f->window);
    }
}

/* Closes the window, with the report window it owns, and checks that
 * both are freed. */
static void
fixture_finish (Fixture *f)
{
  OsiCheckWindow *report = osi_window_get_check_window (f->window);

  wait_idle (f->window);
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
  wait_idle (f->window);
  report = osi_window_get_check_window (f->window);
  g_assert_nonnull (report);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (report)));
  g_assert_cmpstr (osi_verify_report_get_file (osi_check_window_get_report (report)), ==, path);
  return report;
}

/* ------------------------------------------------------------------------ */
/* What the archive holds, computed from the data                          */

static guint
count_rag_entries (const char *data)
{
  g_autofree char *path = g_build_filename (data, "rag", "search.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  return json_object_get_size (json_node_get_object (json_parser_get_root (parser)));
}

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

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *)a, *(char * const *)b);
}

/* The config/ files of data, sorted. */
static GPtrArray *
config_files (const char *data)
{
  g_autofree char *dir = g_build_filename (data, "config", NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);

  collect_config (dir, "config", files);
  g_ptr_array_sort (files, compare_strings);
  return files;
}

static void
assert_strv_sorted_equal (GStrv      shown,
                          GPtrArray *expected)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  for (guint i = 0; shown[i] != NULL; i++)
    g_ptr_array_add (sorted, shown[i]);
  g_ptr_array_sort (sorted, compare_strings);
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

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  /* The manifest's date is the archive's creation, within these two. */
  before = g_date_time_new_now_utc ();
  fixture_start (&f, FALSE);
  after = g_date_time_new_now_utc ();
  created_before = osi_format_date (before);
  created_after = osi_format_date (after);

  report = check (&f, f.archive);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "This Backup Can Be Restored");
  rag = g_strdup_printf ("%u entries", count_rag_entries (f.data));
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

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  fixture_start (&f, FALSE);
  path = g_build_filename (f.tmp, "backup_20260302_101500.tar.zst", NULL);
  truncate_copy (f.archive, path);

  report = check (&f, path);
  g_assert_cmpstr (osi_check_window_get_verdict_text (report), ==, "This Backup Cannot Be Restored");
  /* The findings, each in words, are those of the archive module. */
  direct = osi_archive_verify (path, NULL, NULL, NULL, NULL, &error);
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

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  fixture_start (&f, FALSE);
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
  OsiCheckWindow *report;
  GStatBuf st;
  struct utimbuf times;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  fixture_start (&f, FALSE);
  other = g_build_filename (f.tmp, "backup_20260303_101500.tar.zst", NULL);
  truncate_copy (f.archive, other);

  /* Two files dropped together are both checked and remembered. */
  file_a = g_file_new_for_path (f.archive);
  file_b = g_file_new_for_path (other);
  files = g_slist_append (g_slist_append (NULL, file_a), file_b);
  g_assert_cmpuint (osi_window_check_files (f.window, files), ==, 2);
  wait_idle (f.window);
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
  wait_idle (f.window);
  g_assert_true (osi_window_get_check_window (f.window) == report);
  g_assert_true (g_str_has_suffix (osi_check_window_get_last_check_text (report),
                                   " — restorable (file modified since)"));
  /* That check was recorded with the new mtime: no longer modified. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.recheck-current", NULL));
  wait_idle (f.window);
  g_assert_true (g_str_has_suffix (osi_check_window_get_last_check_text (report), " — restorable"));

  /* A damaged history is forgotten, not fatal. */
  g_assert_true (g_file_set_contents (history, "[garbage\n\xff\xfe=\n[file-x]\npath=relative\n", -1, NULL));
  report = check (&f, other);
  g_assert_null (osi_check_window_get_last_check_text (report));
  recent = osi_check_window_dup_recent (report);
  g_assert_cmpuint (g_strv_length (recent), ==, 1);
  g_assert_cmpstr (recent[0], ==, other);
  g_assert_true (g_key_file_load_from_file (keys, history, G_KEY_FILE_NONE, NULL));

  fixture_finish (&f);
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

static char *
answer_dialog (OsiWindow  *window,
               const char *response)
{
  AdwMessageDialog *dialog = osi_window_get_dialog (window);
  char *body;

  g_assert_nonnull (dialog);
  /* A confirmation's default is Cancel; an error has only Close. */
  if (!g_str_equal (response, "close"))
    g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  g_assert_true (adw_message_dialog_has_response (dialog, response));
  body = g_strdup (adw_message_dialog_get_body (dialog));
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
  return body;
}

static void
test_restore_file (void)
{
  Fixture f;
  g_autofree char *body = NULL;
  g_autofree char *archived = NULL;
  g_autofree char *why = NULL;
  g_autofree char *base = NULL;
  OsiCheckWindow *report;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  fixture_start (&f, TRUE);
  archived = g_build_filename (f.tmp, "data", NULL);
  g_assert_false (osi_test_trees_equal (archived, f.data, NULL));

  report = check (&f, f.archive);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  g_assert_true (osi_window_get_working (f.window));
  wait_idle (f.window);
  /* Sent, listed, and the usual warning, naming it. */
  g_assert_cmpuint (n_backup_files (f.backups), ==, 1);
  body = answer_dialog (f.window, "restore");
  base = g_path_get_basename (f.archive);
  g_assert_nonnull (strstr (body, base));
  wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));

  /* The server's data is the file's, and the safety backup is listed. */
  if (!osi_test_trees_equal (archived, f.data, &why))
    g_error ("the data is not the file's: %s", why);
  g_assert_cmpuint (n_backup_files (f.backups), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, 2);
  g_assert_nonnull (strstr (osi_window_get_last_toast (f.window), "safety"));

  /* Sent again: the name is taken, and the window says so before sending. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  g_assert_false (osi_window_get_working (f.window));
  g_clear_pointer (&body, g_free);
  body = answer_dialog (f.window, "close");
  g_assert_nonnull (strstr (body, base));

  fixture_finish (&f);
}

static void
test_restore_file_cancel (void)
{
  Fixture f;
  g_autofree char *archived = NULL;
  OsiCheckWindow *report;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  fixture_start (&f, TRUE);
  archived = g_build_filename (f.tmp, "data", NULL);

  report = check (&f, f.archive);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (report), "check.restore", NULL));
  g_assert_true (osi_window_get_working (f.window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.cancel-transfer", NULL));
  wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_nonnull (osi_window_get_last_toast (f.window));
  g_assert_nonnull (strstr (osi_window_get_last_toast (f.window), "cancelled"));
  /* Nothing was restored. */
  g_assert_false (osi_test_trees_equal (archived, f.data, NULL));

  fixture_finish (&f);
}

int
main (int argc, char **argv)
{
  const char *localedir = g_getenv ("OSI_BACKUP_LOCALEDIR");
  g_autofree char *home = NULL;
  g_autofree char *data_home = NULL;
  g_autofree char *cache_home = NULL;
  int status;

  /* The history and the comparison cache go to a folder of this run,
   * set before anything asks GLib for them. */
  home = g_dir_make_tmp ("osi-test-check-XXXXXX", NULL);
  g_assert_nonnull (home);
  data_home = g_build_filename (home, "data", NULL);
  cache_home = g_build_filename (home, "cache", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);

  g_test_init (&argc, &argv, NULL);
  signal (SIGABRT, on_fatal_signal);
  signal (SIGSEGV, on_fatal_signal);
  signal (SIGTERM, on_fatal_signal);

  g_unsetenv ("LANGUAGE");
  if (setlocale (LC_ALL, "C.UTF-8") == NULL)
    setlocale (LC_ALL, "C");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gtk_disable_setlocale ();
  have_display = gtk_init_check ();
  if (have_display)
    adw_init ();

  g_test_add_func ("/check/good", test_good);
  g_test_add_func ("/check/truncated", test_truncated);
  g_test_add_func ("/check/unproven", test_unproven);
  g_test_add_func ("/check/history", test_history);
  g_test_add_func ("/check/restore-file", test_restore_file);
  g_test_add_func ("/check/restore-file-cancel", test_restore_file_cancel);
  status = g_test_run ();
  osi_test_remove_tmpdir (home);
  return status;
}
