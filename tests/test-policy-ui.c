/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-backup-cell.h"
#include "osi-backup-filter-model.h"
#include "osi-demo-data.h"
#include "osi-policy-window.h"
#include "osi-search.h"
#include "osi-test-gui.h"
#include "osi-test-support.h"

/* The backup policy in the app (docs/api.md §6), under a display, against
 * a real osi-backup-server (and the FastAPI stand-in of the deployed
 * backend, which has no policy): the rows' lock, note, kind and
 * verification; protect, unprotect and note from the rows; the delete of
 * a protected backup; "Schedule and Retention" read and saved; "Clean
 * Up…" shown, then done, by the server or planned here. What the
 * server did is checked on disk and through a client of the test's own. */

#define TOKEN       "policy-ui-token-5f3a"
#define DATA_SIZE   (64 * 1024)
#define DATA_SEED   3

static gboolean have_display;

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  GSettings     *settings;
  OsiTestServer *server;
  OsiClient     *client;
  OsiWindow     *window;
} Fixture;

static GDateTime *
newest_backup_date (void)
{
  return g_date_time_new_utc (2026, 6, 15, 16, 42, 10);
}

static gboolean
display_available (void)
{
  if (!have_display)
    osi_test_missing ("no display");
  return have_display;
}

static void
open_window (Fixture *f)
{
  f->settings = g_settings_new (APP_ID);
  g_settings_reset (f->settings, "items-per-page");
  f->client = osi_client_new (f->server->url, TOKEN);
  f->window = g_object_ref_sink (osi_window_new (NULL));
  gtk_window_present (GTK_WINDOW (f->window));
  osi_window_set_client (f->window, f->client, NULL);
  osi_test_wait_idle (f->window);
}

/* n_backups demo backups, a day apart, and osi-backup-server over them. */
static gboolean
fixture_start (Fixture *f,
               guint    n_backups)
{
  g_autoptr(GDateTime) newest = newest_backup_date ();
  g_autoptr(GError) error = NULL;

  memset (f, 0, sizeof *f);
  if (!display_available ())
    return FALSE;
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, DATA_SIZE, DATA_SEED);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_true (osi_demo_backups_populate (f->backups, n_backups, newest, 7, NULL, &error));
  g_assert_no_error (error);
  f->server = osi_test_server_start (f->tmp, f->data, f->backups, TOKEN, NULL);
  open_window (f);
  return TRUE;
}

/* The FastAPI stand-in of the deployed backend: no policy. */
static gboolean
fixture_start_fastapi (Fixture *f,
                       guint    n_backups)
{
  g_autoptr(GDateTime) newest = newest_backup_date ();

  memset (f, 0, sizeof *f);
  if (!display_available ())
    return FALSE;
  f->tmp = osi_test_make_tmpdir ();
  f->data = g_build_filename (f->tmp, "data", NULL);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  f->server = osi_test_fastapi_serve (f->data, f->backups, TOKEN, NULL, "UTC");
  for (guint i = 0; i < n_backups; i++)
    {
      g_autoptr(GDateTime) date = g_date_time_add_days (newest, -(gint)i);
      g_autofree char *name = g_date_time_format (date, "search_backup_%Y%m%d_%H%M%S.json");
      g_autofree char *path = g_build_filename (f->backups, name, NULL);

      g_assert_true (g_file_set_contents (path, osi_test_valid_rag (), -1, NULL));
      osi_test_set_mtime (path, g_date_time_to_unix (date), 0);
    }
  open_window (f);
  g_assert_true (osi_client_set_server_time_zone (f->client, "UTC", NULL));
  return TRUE;
}

static void
fixture_finish (Fixture *f)
{
  if (f->window != NULL)
    {
      osi_test_wait_idle (f->window);
      gtk_window_destroy (GTK_WINDOW (f->window));
      g_assert_finalize_object (g_steal_pointer (&f->window));
    }
  if (f->client != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->client));
  osi_test_server_finish (f->server);
  g_clear_object (&f->settings);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
}

static void
activate_on (OsiWindow  *window,
             const char *action,
             const char *name)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, "s", name));
}

static OsiBackupInfo *
store_lookup (OsiWindow  *window,
              const char *name)
{
  GListModel *store = G_LIST_MODEL (osi_window_get_store (window));

  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      if (g_strcmp0 (osi_backup_info_get_name (info), name) == 0)
        return info;   /* the store keeps it */
    }
  return NULL;
}

/* The name of the i-th backup shown (newest first). */
static const char *
shown_name (OsiWindow *window,
            guint      i)
{
  g_autoptr(OsiBackupInfo) info = g_list_model_get_item (osi_window_get_sorted_model (window), i);

  g_assert_nonnull (info);
  return osi_backup_info_get_name (store_lookup (window, osi_backup_info_get_name (info)));
}

/* The name cell showing the backup name, found in the window's tree. */
static OsiBackupCell *
find_name_cell (GtkWidget  *root,
                const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      OsiBackupCell *found;

      if (OSI_IS_BACKUP_CELL (child) && osi_backup_cell_get_column (OSI_BACKUP_CELL (child)) == OSI_BACKUP_CELL_NAME &&
          osi_backup_cell_get_item (OSI_BACKUP_CELL (child)) != NULL &&
          g_strcmp0 (osi_backup_info_get_name (osi_backup_cell_get_item (OSI_BACKUP_CELL (child))), name) == 0)
        return OSI_BACKUP_CELL (child);
      if ((found = find_name_cell (child, name)) != NULL)
        return found;
    }
  return NULL;
}

static const char *
badge (Fixture    *f,
       const char *name,
       const char *which)
{
  OsiBackupCell *cell;

  osi_test_settle ();
  cell = find_name_cell (GTK_WIDGET (f->window), name);
  g_assert_nonnull (cell);
  return osi_backup_cell_get_badge_text (cell, which);
}

static guint
n_found (Fixture    *f,
         const char *text)
{
  GListModel *model = osi_window_get_sorted_model (f->window);

  osi_backup_filter_model_set_search (OSI_BACKUP_FILTER_MODEL (model), text);
  return g_list_model_get_n_items (model);
}

/* What the server lists of name, asked by a client of the test's own. */
static OsiBackupInfo *
server_entry (Fixture    *f,
              const char *name)
{
  g_autoptr(OsiClient) client = osi_client_new (f->server->url, TOKEN);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  osi_client_list_async (client, NULL, osi_test_store_result, &result);
  list = osi_client_list_finish (client, osi_test_wait_result (&result, "the list"), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (osi_backup_info_get_name (g_ptr_array_index (list, i)), name) == 0)
      return g_object_ref (g_ptr_array_index (list, i));
  return NULL;
}

static void
set_note (Fixture    *f,
          const char *name,
          const char *note)
{
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  activate_on (f->window, "win.edit-note", name);
  dialog = osi_window_get_dialog (f->window);
  g_assert_nonnull (dialog);
  g_assert_true (GTK_IS_ENTRY (adw_message_dialog_get_extra_child (dialog)));
  /* The server keeps 500 characters at most: the entry too. */
  g_assert_cmpint (gtk_entry_get_max_length (GTK_ENTRY (adw_message_dialog_get_extra_child (dialog))), ==, 500);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), note);
  body = osi_test_answer_dialog (f->window, "save");
  g_assert_nonnull (strstr (body, name));
  osi_test_wait_idle (f->window);
}

/* ------------------------------------------------------------------------ */
/* The rows                                                                 */

static void
test_rows (void)
{
  Fixture f;
  g_autofree char *protected = NULL;
  g_autofree char *noted = NULL;
  g_autofree char *verified = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(OsiBackupInfo) entry = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) today = NULL;
  guint total;

  if (!fixture_start (&f, 5))
    return;
  total = g_list_model_get_n_items (osi_window_get_sorted_model (f.window));
  g_assert_cmpuint (total, ==, 5);
  protected = g_strdup (shown_name (f.window, 1));
  noted = g_strdup (shown_name (f.window, 2));
  verified = g_strdup (shown_name (f.window, 3));

  /* Nothing said yet: no badge. */
  g_assert_null (badge (&f, protected, "lock"));
  g_assert_null (badge (&f, protected, "note"));
  g_assert_null (badge (&f, protected, "verification"));

  /* Protect from the row: the row shows the server's answer. */
  activate_on (f.window, "win.protect", protected);
  osi_test_wait_idle (f.window);
  g_assert_true (osi_backup_info_get_protected (store_lookup (f.window, protected)));
  g_assert_cmpstr (badge (&f, protected, "lock"), ==, "Protected");
  entry = server_entry (&f, protected);
  g_assert_true (osi_backup_info_get_protected (entry));
  g_clear_object (&entry);
  expected = g_strdup_printf ("%s is protected", protected);
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, expected);

  /* A note, under the name, its whole text as the tooltip. */
  set_note (&f, noted, "Before the migration to v2");
  g_assert_cmpstr (osi_backup_info_get_note (store_lookup (f.window, noted)), ==, "Before the migration to v2");
  g_assert_cmpstr (badge (&f, noted, "note"), ==, "Before the migration to v2");
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "Note saved");
  entry = server_entry (&f, noted);
  g_assert_cmpstr (osi_backup_info_get_note (entry), ==, "Before the migration to v2");
  g_clear_object (&entry);

  /* A verification by the server, then a refresh: its verdict and day. */
  osi_client_verify_async (f.client, verified, NULL, osi_test_store_result, &result);
  report = osi_client_verify_finish (f.client, osi_test_wait_result (&result, "the verification"), &error);
  g_assert_no_error (error);
  /* The result holds the client, which the end of the case finalizes. */
  g_clear_object (&result);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.refresh", NULL));
  osi_test_wait_idle (f.window);
  g_assert_cmpstr (osi_backup_info_get_verdict (store_lookup (f.window, verified)), ==, "restorable");
  today = g_date_time_new_now_local ();
  g_free (expected);
  expected = g_date_time_format (today, "Verified on %d/%m/%Y");
  g_assert_cmpstr (badge (&f, verified, "verification"), ==, expected);

  /* A backup made from the app is "manual". */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.create", NULL));
  g_free (osi_test_answer_dialog (f.window, "create"));
  osi_test_wait_idle (f.window);
  g_assert_cmpuint (g_list_model_get_n_items (osi_window_get_sorted_model (f.window)), ==, total + 1);
  g_assert_cmpstr (badge (&f, shown_name (f.window, 0), "kind"), ==, "Manual");

  /* The search finds those words, and still names and dates. */
  g_assert_cmpuint (n_found (&f, "protected"), ==, 1);
  g_assert_cmpuint (n_found (&f, "PROTECTED"), ==, 1);
  g_assert_cmpuint (n_found (&f, "migration"), ==, 1);
  g_assert_cmpuint (n_found (&f, "verified"), ==, 1);
  g_assert_cmpuint (n_found (&f, "manual"), ==, 1);
  g_assert_cmpuint (n_found (&f, "protected migration"), ==, 0);
  g_assert_cmpuint (n_found (&f, "backup"), ==, total + 1);
  g_assert_cmpuint (n_found (&f, "15/06/2026 protected"), ==, 0);
  g_assert_cmpuint (n_found (&f, ""), ==, total + 1);

  /* Unprotect, and remove the note. */
  activate_on (f.window, "win.unprotect", protected);
  osi_test_wait_idle (f.window);
  g_assert_false (osi_backup_info_get_protected (store_lookup (f.window, protected)));
  g_assert_null (badge (&f, protected, "lock"));
  set_note (&f, noted, "  ");
  g_assert_null (osi_backup_info_get_note (store_lookup (f.window, noted)));
  g_assert_null (badge (&f, noted, "note"));
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "Note removed");
  g_assert_cmpuint (n_found (&f, "protected"), ==, 0);

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Delete of a protected backup                                             */

static void
test_delete_protected (void)
{
  Fixture f;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (!fixture_start (&f, 5))
    return;
  name = g_strdup (shown_name (f.window, 4));
  path = g_build_filename (f.backups, name, NULL);
  activate_on (f.window, "win.protect", name);
  osi_test_wait_idle (f.window);

  /* Refused with its reason: nothing is sent. */
  activate_on (f.window, "win.delete", name);
  dialog = osi_window_get_dialog (f.window);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "This Backup Is Protected");
  body = osi_test_answer_dialog (f.window, "cancel");
  g_assert_nonnull (strstr (body, name));
  g_assert_nonnull (strstr (body, "is protected"));
  osi_test_wait_idle (f.window);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (osi_backup_info_get_protected (store_lookup (f.window, name)));

  /* Unprotect it from there: then the usual confirmation. */
  activate_on (f.window, "win.delete", name);
  g_free (osi_test_answer_dialog (f.window, "unprotect"));
  osi_test_wait_idle (f.window);
  g_assert_false (osi_backup_info_get_protected (store_lookup (f.window, name)));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  dialog = osi_window_get_dialog (f.window);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Delete This Backup?");
  g_free (osi_test_answer_dialog (f.window, "delete"));
  osi_test_wait_idle (f.window);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_null (store_lookup (f.window, name));

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Schedule and Retention                                                   */

static void
test_policy (void)
{
  Fixture f;
  OsiPolicyWindow *window;
  OsiPolicy policy;
  OsiPolicy stored;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  if (!fixture_start (&f, 3))
    return;
  window = osi_test_gui_open_policy_window (f.window);
  g_assert_cmpstr (osi_policy_window_get_state (window), ==, "policy");
  /* §6's defaults: nothing scheduled. */
  osi_policy_window_get_policy (window, &policy);
  g_assert_cmpint (policy.schedule.every, ==, OSI_SCHEDULE_OFF);
  g_assert_cmpint (policy.retention.keep_last, ==, 3);
  g_assert_cmpint (policy.verify, ==, OSI_VERIFY_OFF);
  g_assert_cmpstr (osi_policy_window_get_next_backup_text (window), ==, "none");
  g_assert_cmpuint (osi_policy_window_get_n_runs (window), ==, 1);

  /* Edited and saved: the server stores it, the page shows the next run. */
  policy.schedule.every = OSI_SCHEDULE_WEEKLY;
  policy.schedule.weekday = 3;
  policy.schedule.hour = 4;
  policy.schedule.minute = 45;
  policy.retention.keep_last = 5;
  policy.retention.keep_daily = 7;
  policy.retention.keep_monthly = 2;
  policy.verify = OSI_VERIFY_DAILY;
  osi_policy_window_set_policy (window, &policy);
  osi_policy_clear (&policy);
  osi_policy_window_save (window);
  osi_test_gui_wait_policy_window (window);
  g_assert_null (osi_policy_window_get_message (window));
  g_assert_cmpstr (osi_policy_window_get_last_toast (window), ==, "Policy saved");
  g_assert_cmpstr (osi_policy_window_get_next_backup_text (window), !=, "none");

  osi_client_get_policy_async (f.client, NULL, osi_test_store_result, &result);
  answer = osi_client_get_policy_finish (f.client, osi_test_wait_result (&result, "the policy"), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, answer);
  osi_policy_init_default (&stored);
  g_assert_true (osi_policy_from_json (&stored, node, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stored.schedule.every, ==, OSI_SCHEDULE_WEEKLY);
  g_assert_cmpint (stored.schedule.weekday, ==, 3);
  g_assert_cmpint (stored.schedule.hour, ==, 4);
  g_assert_cmpint (stored.schedule.minute, ==, 45);
  g_assert_cmpint (stored.retention.keep_last, ==, 5);
  g_assert_cmpint (stored.retention.keep_daily, ==, 7);
  g_assert_cmpint (stored.retention.keep_weekly, ==, 0);
  g_assert_cmpint (stored.retention.keep_monthly, ==, 2);
  g_assert_cmpint (stored.verify, ==, OSI_VERIFY_DAILY);
  osi_policy_clear (&stored);

  /* A save that fails says why over the page, and keeps what was typed. */
  g_assert_cmpint (osi_test_server_stop (f.server), ==, 0);
  osi_policy_window_save (window);
  osi_test_gui_wait_policy_window (window);
  g_assert_nonnull (osi_policy_window_get_message (window));
  osi_policy_window_get_policy (window, &policy);
  g_assert_cmpint (policy.retention.keep_last, ==, 5);
  osi_policy_clear (&policy);

  fixture_finish (&f);
}

/* The first button that fires action. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *action)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), action) == 0)
        return child;
      if ((found = find_button (child, action)) != NULL)
        return found;
    }
  return NULL;
}

static void
test_policy_unsupported (void)
{
  Fixture f;
  OsiPolicyWindow *window;

  if (!fixture_start_fastapi (&f, 3))
    return;
  window = osi_test_gui_open_policy_window (f.window);
  g_assert_cmpstr (osi_policy_window_get_state (window), ==, "unsupported");
  /* No protection or note there: their row buttons are off. */
  osi_test_settle ();
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (f.window), "win.protect")));
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (f.window), "win.edit-note")));
  g_assert_true (gtk_widget_get_sensitive (find_button (GTK_WIDGET (f.window), "win.delete")));
  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Clean up                                                                 */

static guint
n_files_with (const char *dir,
              const char *suffix)
{
  g_auto(GStrv) names = osi_test_dir_names (dir);
  guint n = 0;

  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_has_suffix (names[i], suffix))
      n++;
  return n;
}

static void
test_prune (void)
{
  Fixture f;
  g_autofree char *kept = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (!fixture_start (&f, 8))
    return;
  /* An old one protected: it stays, said so. */
  kept = g_strdup (shown_name (f.window, 6));
  activate_on (f.window, "win.protect", kept);
  osi_test_wait_idle (f.window);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.prune", NULL));
  osi_test_wait_idle (f.window);
  dialog = osi_window_get_dialog (f.window);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Clean Up the Backups?");
  /* Cancelled: nothing goes. */
  body = osi_test_answer_dialog (f.window, "cancel");
  g_assert_nonnull (strstr (body, "4 backups will be deleted:"));
  g_assert_nonnull (strstr (body, "4 backups are kept:"));
  g_assert_nonnull (strstr (body, "(among the newest)"));
  g_assert_nonnull (strstr (body, kept));
  g_assert_nonnull (strstr (body, "(protected)"));
  g_assert_null (strstr (body, "worked out on this computer"));
  osi_test_wait_idle (f.window);
  g_assert_cmpuint (n_files_with (f.backups, ".tar.zst"), ==, 8);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.prune", NULL));
  osi_test_wait_idle (f.window);
  g_free (osi_test_answer_dialog (f.window, "prune"));
  osi_test_wait_idle (f.window);
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "4 backups deleted");
  g_assert_cmpuint (n_files_with (f.backups, ".tar.zst"), ==, 4);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, 4);
  g_assert_nonnull (store_lookup (f.window, kept));
  {
    g_autofree char *path = g_build_filename (f.backups, kept, NULL);

    g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  }

  /* Nothing left to remove: said, nothing to confirm. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.prune", NULL));
  osi_test_wait_idle (f.window);
  g_assert_cmpstr (adw_message_dialog_get_heading (osi_window_get_dialog (f.window)), ==, "Nothing to Clean Up");
  g_free (osi_test_answer_dialog (f.window, "close"));

  fixture_finish (&f);
}

static void
test_prune_local (void)
{
  Fixture f;
  g_autofree char *body = NULL;
  g_autofree char *newest = NULL;

  if (!fixture_start_fastapi (&f, 6))
    return;
  newest = g_strdup (shown_name (f.window, 0));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.prune", NULL));
  osi_test_wait_idle (f.window);
  g_assert_cmpstr (adw_message_dialog_get_heading (osi_window_get_dialog (f.window)), ==, "Clean Up the Backups?");
  body = osi_test_answer_dialog (f.window, "prune");
  g_assert_nonnull (strstr (body, "worked out on this computer"));
  g_assert_nonnull (strstr (body, "3 backups will be deleted:"));
  g_assert_nonnull (strstr (body, "3 backups are kept:"));
  osi_test_wait_idle (f.window);
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "3 backups deleted");
  g_assert_cmpuint (n_files_with (f.backups, ".json"), ==, 3);
  g_assert_nonnull (store_lookup (f.window, newest));

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* In French                                                                */

/* Whether po/fr.po translates msgid yet. Until it does, the French case
 * checks the words it already has (the clean-up's reasons, the plurals)
 * and says, in the log, what it could not check. */
static gboolean
translated (const char *msgid)
{
  if (g_strcmp0 (_(msgid), msgid) != 0)
    return TRUE;
  g_printerr ("policy-ui/french: po/fr.po does not translate the policy's strings yet: not checked\n");
  return FALSE;
}

/* In a subprocess, whose locale osi_test_gui_init () made French before
 * GLib's gettext decided whether to translate. */
static void
french_body (void)
{
  Fixture f;
  g_autofree char *kept = NULL;
  g_autofree char *body = NULL;
  g_autofree char *expected = NULL;

  if (!fixture_start (&f, 8))
    return;
  kept = g_strdup (shown_name (f.window, 6));
  activate_on (f.window, "win.protect", kept);
  osi_test_wait_idle (f.window);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.prune", NULL));
  osi_test_wait_idle (f.window);
  body = osi_test_answer_dialog (f.window, "cancel");
  /* The plan's reasons, in the CLI's words. */
  g_assert_nonnull (strstr (body, "(parmi les plus récentes)"));
  expected = g_strdup_printf ("%s (protégée)", kept);
  g_assert_nonnull (strstr (body, expected));

  if (translated ("Protected"))
    {
      g_assert_cmpstr (badge (&f, kept, "lock"), ==, "Protégée");
      g_assert_nonnull (strstr (body, "4 sauvegardes seront supprimées :"));
      g_assert_nonnull (strstr (body, "4 sauvegardes sont conservées :"));
      /* The search finds the French words, accents or not. */
      g_assert_cmpuint (n_found (&f, "protégée"), ==, 1);
      g_assert_cmpuint (n_found (&f, "PROTEGEE"), ==, 1);
      g_assert_cmpuint (n_found (&f, "protected"), ==, 0);
    }

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
  g_test_trap_subprocess (NULL, (guint64)4 * OSI_TEST_WAIT_S * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_autofree char *home = osi_test_gui_private_user_dirs ("osi-test-policy-ui-XXXXXX");
  int status;

  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();
  have_display = osi_test_gui_init ();

  g_test_add_func ("/policy-ui/rows", test_rows);
  g_test_add_func ("/policy-ui/delete-protected", test_delete_protected);
  g_test_add_func ("/policy-ui/policy", test_policy);
  g_test_add_func ("/policy-ui/policy-unsupported", test_policy_unsupported);
  g_test_add_func ("/policy-ui/prune", test_prune);
  g_test_add_func ("/policy-ui/prune-local", test_prune_local);
  g_test_add_func ("/policy-ui/french", test_french);
  status = g_test_run ();
  osi_test_remove_tmpdir (home);
  return status;
}
