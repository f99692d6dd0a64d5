/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-backup-badges.h"
#include "osi-backup-cell.h"
#include "osi-demo-data.h"
#include "osi-test-gui.h"
#include "osi-test-rgw.h"
#include "osi-test-support.h"

/* The window's off-site copies (docs/api.md §7, DESIGN §7) under a
 * display, against a real osi-backup-server copying to a real Ceph RADOS
 * Gateway (tests/osi-test-rgw.c), one gateway for the whole run: a row's
 * mark follows its copy until "copied"; a backup deleted here shows in
 * the section of the copies whose local file is gone; "Bring Back"
 * brings it back into the list and its toast opens the usual restore
 * confirmation. A server without off-site copies shows neither. Every
 * wait has a deadline that only turns a hang into a failure. */

#define TOKEN       "offsite-window-token-3e7a"
#define N_BACKUPS   4
#define DATA_SIZE   (128 * 1024)

static gboolean have_display;
static OsiTestRgw *rgw;
static char *tmp_dir;

/* ------------------------------------------------------------------------ */
/* The gateway, the server and the window                                   */

/* One cluster for every case, started by the first that needs it. */
static gboolean
have_gateway (void)
{
  return osi_test_rgw_start_once (&rgw, tmp_dir, 0);
}

typedef struct
{
  char          *dir;
  char          *data;
  char          *backups;
  OsiTestServer *server;
  OsiClient     *client;
  OsiWindow     *window;
} Fixture;

/* A server over N_BACKUPS demo backups in a folder of its own; with
 * offsite_url, copying to it under the prefix folder, retrying after
 * retry_max seconds at most (NULL: the default). */
static void
fixture_start (Fixture    *f,
               const char *folder,
               const char *offsite_url,
               const char *retry_max)
{
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 6, 15, 16, 42, 10);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *prefixed = NULL;

  memset (f, 0, sizeof *f);
  f->dir = g_build_filename (tmp_dir, folder, NULL);
  g_assert_cmpint (g_mkdir (f->dir, 0700), ==, 0);
  f->data = osi_test_generate_data (f->dir, DATA_SIZE, 5);
  f->backups = g_build_filename (f->dir, "backups", NULL);
  g_assert_true (osi_demo_backups_populate (f->backups, N_BACKUPS, newest, 11, NULL, &error));
  g_assert_no_error (error);
  if (offsite_url != NULL)
    {
      /* A prefix of its own: the copies the other cases left in the
       * bucket are not this server's (it would list them, §7.3). */
      prefixed = g_strdup_printf ("%s/%s", offsite_url, folder);
      f->server = osi_test_rgw_server_start (rgw, f->dir, f->data, f->backups, TOKEN, prefixed, retry_max);
    }
  else
    f->server = osi_test_server_start (f->dir, f->data, f->backups, TOKEN, NULL);

  g_settings_reset (settings, "items-per-page");
  f->client = osi_client_new (f->server->url, TOKEN);
  f->window = g_object_ref_sink (osi_window_new (NULL));
  gtk_window_present (GTK_WINDOW (f->window));
  osi_window_set_client (f->window, f->client, NULL);
  osi_test_wait_idle (f->window);
  /* What the server offers is known after the first list. */
  g_assert_true (osi_client_get_features_known (f->client));
}

static void
fixture_finish (Fixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_assert_finalize_object (f->window);
  g_clear_object (&f->client);
  osi_test_server_finish (f->server);
  g_free (f->dir);
  g_free (f->data);
  g_free (f->backups);
}

static gboolean
display_available (void)
{
  if (!have_display)
    osi_test_missing ("no display");
  return have_display;
}

/* ------------------------------------------------------------------------ */
/* Looking at the window                                                    */

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

/* The off-site mark of name's row as shown, NULL when hidden. */
static const char *
mark (OsiWindow  *window,
      const char *name)
{
  OsiBackupCell *cell = find_name_cell (GTK_WIDGET (window), name);

  g_assert_nonnull (cell);
  return osi_backup_cell_get_badge_text (cell, "offsite");
}

static GtkWidget *
find_button (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child))
        return child;
      if ((found = find_button (child)) != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  OsiWindow  *window;
  const char *name;
} Watch;

static gboolean
copied_shown (gpointer data)
{
  Watch *watch = data;
  OsiBackupInfo *info = osi_test_gui_find_listed (watch->window, watch->name);
  const char *text;

  if (info == NULL || g_strcmp0 (osi_backup_info_get_offsite_state (info), "done") != 0)
    return FALSE;
  text = mark (watch->window, watch->name);
  return text != NULL && g_str_has_prefix (text, "Copied off-site on ");
}

static gboolean
under_way_shown (gpointer data)
{
  Watch *watch = data;
  OsiBackupInfo *info = osi_test_gui_find_listed (watch->window, watch->name);
  const char *text;

  if (info == NULL || g_strcmp0 (osi_backup_info_get_offsite_state (info), "copying") != 0)
    return FALSE;
  text = mark (watch->window, watch->name);
  return text != NULL && g_str_has_prefix (text, "Off-site copy under way");
}

static gboolean
polling (gpointer data)
{
  return osi_window_get_offsite_polling (OSI_WINDOW (data));
}

static gboolean
failed_shown (gpointer data)
{
  Watch *watch = data;
  OsiBackupInfo *info = osi_test_gui_find_listed (watch->window, watch->name);
  const char *text;

  if (info == NULL || g_strcmp0 (osi_backup_info_get_offsite_state (info), "failed") != 0)
    return FALSE;
  text = mark (watch->window, watch->name);
  return text != NULL && g_str_has_prefix (text, "Off-site copy failed");
}

static gboolean
gone_shown (gpointer data)
{
  Watch *watch = data;
  GListModel *gone = osi_window_get_offsite_model (watch->window);

  for (guint i = 0; i < g_list_model_get_n_items (gone); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (gone, i);

      if (g_strcmp0 (osi_backup_info_get_name (info), watch->name) == 0)
        return osi_window_get_offsite_shown (watch->window);
    }
  return FALSE;
}

static GtkWidget *
find_stack (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_STACK (child))
        return child;
      if ((found = find_stack (child)) != NULL)
        return found;
    }
  return NULL;
}

/* Clicks the « Rapatrier » of the section's only row, waits for the
 * answer, and returns the error dialog's body (NULL: no error); the row
 * shows its button again either way. */
static char *
bring_back (OsiWindow *window)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (osi_window_get_offsite_list (window), 0);
  GtkWidget *button;
  char *body = NULL;

  g_assert_nonnull (row);
  button = find_button (GTK_WIDGET (row));
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  /* Meanwhile, a spinner and what it does. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_stack (GTK_WIDGET (row)))), ==, "fetching");
  osi_test_wait_idle (window);
  if (osi_window_get_dialog (window) != NULL)
    {
      g_assert_cmpstr (adw_message_dialog_get_heading (osi_window_get_dialog (window)), ==,
                       "The Backup Could Not Be Brought Back");
      body = osi_test_answer_dialog (window, "close");
      osi_test_wait_idle (window);
    }
  row = gtk_list_box_get_row_at_index (osi_window_get_offsite_list (window), 0);
  if (row != NULL)
    g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_stack (GTK_WIDGET (row)))), ==, "button");
  return body;
}

/* Makes a backup from the window; returns its name. */
static char *
create_backup (OsiWindow *window)
{
  g_autoptr(GHashTable) before = g_hash_table_new (g_str_hash, g_str_equal);
  GListModel *store = G_LIST_MODEL (osi_window_get_store (window));
  char *created = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      g_hash_table_add (before, (gpointer)g_intern_string (osi_backup_info_get_name (info)));
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.create", NULL));
  g_free (osi_test_answer_dialog (window, "create"));
  osi_test_wait_idle (window);
  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      if (!g_hash_table_contains (before, g_intern_string (osi_backup_info_get_name (info))))
        {
          g_assert_null (created);
          created = g_strdup (osi_backup_info_get_name (info));
        }
    }
  g_assert_nonnull (created);
  return created;
}

/* ------------------------------------------------------------------------ */
/* The cases                                                                */

/* The words of each state, from list entries as a server sends them. */
static void
test_texts (void)
{
  static const struct
  {
    const char *json;
    gint64      copied;
    const char *text;   /* NULL: no mark */
  } cases[] = {
    { "{\"name\":\"backup_20261205_151454.tar.zst\",\"date\":\"2026-12-05T15:14:54Z\",\"size\":1000}",
      -1, NULL },
    { "{\"name\":\"backup_20261205_151454.tar.zst\",\"date\":\"2026-12-05T15:14:54Z\",\"size\":1000,"
      "\"offsite\":{\"state\":\"pending\",\"at\":\"2026-12-05T15:14:55Z\",\"detail\":\"\"}}",
      -1, "Off-site copy waiting" },
    { "{\"name\":\"backup_20261205_151454.tar.zst\",\"date\":\"2026-12-05T15:14:54Z\",\"size\":1000,"
      "\"offsite\":{\"state\":\"copying\",\"at\":\"2026-12-05T15:14:55Z\",\"detail\":\"\"}}",
      450, "Off-site copy under way: 45 %" },
    { "{\"name\":\"backup_20261205_151454.tar.zst\",\"date\":\"2026-12-05T15:14:54Z\",\"size\":1000,"
      "\"offsite\":{\"state\":\"copying\",\"at\":\"2026-12-05T15:14:55Z\",\"detail\":\"\"}}",
      1000, "Off-site copy under way: 99 %" },
    { "{\"name\":\"backup_20261205_151454.tar.zst\",\"date\":\"2026-12-05T15:14:54Z\",\"size\":1000,"
      "\"offsite\":{\"state\":\"copying\",\"at\":\"2026-12-05T15:14:55Z\",\"detail\":\"\"}}",
      -1, "Off-site copy under way" },
    { "{\"name\":\"backup_20261205_151454.tar.zst\",\"date\":\"2026-12-05T15:14:54Z\",\"size\":1000,"
      "\"offsite\":{\"state\":\"failed\",\"at\":\"2026-12-05T15:14:55Z\","
      "\"detail\":\"The bucket does not exist.\"}}",
      -1, "Off-site copy failed: The bucket does not exist." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (cases[i].json, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(OsiBackupInfo) info = osi_backup_info_new_from_json (json_node_get_object (node), NULL, &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = osi_backup_dup_offsite_text (info, cases[i].copied, osi_backup_info_get_size (info));
      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_true ((osi_backup_offsite_icon (info) != NULL) == (cases[i].text != NULL));
    }

  /* Done: the date and time of the check, in local time. */
  {
    const char *json = "{\"name\":\"backup_20261205_151454.tar.zst\",\"date\":\"2026-12-05T15:14:54Z\","
                       "\"size\":1000,\"offsite\":{\"state\":\"done\",\"at\":\"2026-12-05T15:16:02Z\","
                       "\"detail\":\"\"}}";
    g_autoptr(JsonNode) node = json_from_string (json, NULL);
    g_autoptr(OsiBackupInfo) info = osi_backup_info_new_from_json (json_node_get_object (node), NULL, NULL);
    g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 ("2026-12-05T15:16:02Z", NULL);
    g_autoptr(GDateTime) local = g_date_time_to_local (at);
    g_autofree char *day = g_date_time_format (local, "%d/%m/%Y");
    g_autofree char *time = g_date_time_format (local, "%H:%M");
    g_autofree char *expected = g_strdup_printf ("Copied off-site on %s at %s", day, time);
    g_autofree char *text = osi_backup_dup_offsite_text (info, -1, 1000);

    g_assert_cmpstr (text, ==, expected);
  }
}

/* Create → copied; delete → off-site only; bring back → listed again,
 * and the toast's "Restore…" opens the restore confirmation. */
static void
test_copy_delete_bring_back (void)
{
  Fixture f;
  g_autofree char *created = NULL;
  g_autofree char *toast_title = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  Watch watch;
  AdwToast *toast;
  AdwMessageDialog *dialog;
  GtkListBoxRow *row;
  GtkWidget *button;
  const char *name;

  if (!display_available () || !have_gateway ())
    return;
  fixture_start (&f, "copy", osi_test_rgw_get_url (rgw), NULL);
  g_assert_true (osi_client_has_feature (f.client, "offsite"));
  /* The backups already there are not copied: no mark, no section. */
  g_assert_false (osi_window_get_offsite_shown (f.window));

  created = create_backup (f.window);
  watch.window = f.window;
  watch.name = created;
  osi_test_wait_for (copied_shown, &watch, "the row's mark to say the backup was copied off-site");
  osi_test_wait_idle (f.window);
  g_assert_false (osi_window_get_offsite_shown (f.window));

  /* Deleted here, the backup has its copy still. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.delete", "s", created));
  g_free (osi_test_answer_dialog (f.window, "delete"));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_test_gui_find_listed (f.window, created));
  osi_test_wait_for (gone_shown, &watch, "the off-site section to show the deleted backup");
  osi_test_settle ();

  /* Its row: its name, and a button named after it. */
  g_assert_cmpuint (g_list_model_get_n_items (osi_window_get_offsite_model (f.window)), ==, 1);
  row = gtk_list_box_get_row_at_index (osi_window_get_offsite_list (f.window), 0);
  g_assert_nonnull (row);
  g_assert_true (ADW_IS_ACTION_ROW (row));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, created);
  button = find_button (GTK_WIDGET (row));
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "_Bring Back");
  g_assert_true (gtk_widget_is_sensitive (button));

  /* Brought back: in the list again, out of the section. */
  /* As a click: activate would press it for a moment first. */
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (osi_window_get_working (f.window));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_nonnull (osi_test_gui_find_listed (f.window, created));
  path = g_build_filename (f.backups, created, NULL);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (g_list_model_get_n_items (osi_window_get_offsite_model (f.window)), ==, 0);
  g_assert_false (osi_window_get_offsite_shown (f.window));
  toast_title = g_strdup_printf ("Backup “%s” brought back", created);
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, toast_title);

  /* The toast offers the restore: its button opens the usual
   * confirmation, which is not answered here. */
  toast = osi_window_get_fetched_toast (f.window);
  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Restore…");
  g_assert_cmpstr (adw_toast_get_action_name (toast), ==, "win.restore");
  name = g_variant_get_string (adw_toast_get_action_target_value (toast), NULL);
  g_assert_cmpstr (name, ==, created);
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (f.window), adw_toast_get_action_name (toast),
                                                     adw_toast_get_action_target_value (toast)));
  dialog = osi_window_get_dialog (f.window);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Restore This Backup?");
  g_assert_true (adw_message_dialog_has_response (dialog, "restore"));
  body = osi_test_answer_dialog (f.window, "cancel");
  g_assert_nonnull (strstr (body, created));
  osi_test_wait_idle (f.window);

  fixture_finish (&f);
}

/* The gateway down: the copy is under way (waiting to try again), its
 * mark says so, and GET /offsite is read again while the window is
 * shown, not while it is hidden; the gateway back, the copy is done and
 * the reading stops. */
static void
test_under_way (void)
{
  Fixture f;
  g_autofree char *created = NULL;
  Watch watch;

  if (!display_available () || !have_gateway ())
    return;
  fixture_start (&f, "under-way", osi_test_rgw_get_url (rgw), "1");
  g_assert_false (osi_window_get_offsite_shown (f.window));
  osi_test_rgw_stop_gateway (rgw);
  created = create_backup (f.window);
  watch.window = f.window;
  watch.name = created;
  osi_test_wait_for (under_way_shown, &watch, "the row's mark to say the copy is under way");
  g_assert_true (osi_window_get_offsite_polling (f.window));

  /* Hidden, the window stops reading; shown again, it reads again. */
  gtk_widget_set_visible (GTK_WIDGET (f.window), FALSE);
  g_assert_false (osi_window_get_offsite_polling (f.window));
  g_assert_false (osi_window_get_working (f.window));
  osi_test_settle ();
  g_assert_false (osi_window_get_offsite_polling (f.window));
  gtk_window_present (GTK_WINDOW (f.window));
  osi_test_wait_for (polling, f.window, "the window to read the copies again");

  osi_test_rgw_start_gateway (rgw);
  osi_test_wait_for (copied_shown, &watch, "the row's mark to say the backup was copied off-site");
  osi_test_wait_idle (f.window);
  /* No copy waits or runs: nothing is read any more. */
  g_assert_false (osi_window_get_offsite_polling (f.window));
  fixture_finish (&f);
}

/* What a fetch that fails says: the gateway down (the storage cannot be
 * reached), then a copy damaged on the storage (nothing is stored);
 * the copy stays in the section each time. */
static void
test_fetch_errors (void)
{
  Fixture f;
  g_autofree char *created = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *garbage = NULL;
  g_autofree char *target = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  Watch watch;

  if (!display_available () || !have_gateway ())
    return;
  fixture_start (&f, "fetch-errors", osi_test_rgw_get_url (rgw), "1");
  created = create_backup (f.window);
  watch.window = f.window;
  watch.name = created;
  osi_test_wait_for (copied_shown, &watch, "the row's mark to say the backup was copied off-site");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.delete", "s", created));
  g_free (osi_test_answer_dialog (f.window, "delete"));
  osi_test_wait_idle (f.window);
  osi_test_wait_for (gone_shown, &watch, "the off-site section to show the deleted backup");
  path = g_build_filename (f.backups, created, NULL);

  /* The gateway down. */
  osi_test_rgw_stop_gateway (rgw);
  body = bring_back (f.window);
  osi_test_rgw_start_gateway (rgw);
  g_assert_nonnull (body);
  g_test_message ("gateway down: %s", body);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (gone_shown (&watch));
  g_clear_pointer (&body, g_free);

  /* The copy replaced on the storage by other bytes. */
  garbage = g_build_filename (f.dir, "garbage", NULL);
  g_assert_true (g_file_set_contents (garbage, "not a backup", -1, NULL));
  target = g_strdup_printf ("s3://%s/fetch-errors/%s/%s", osi_test_rgw_get_bucket (rgw), g_get_host_name (), created);
  g_free (osi_test_rgw_s3cmd (rgw, "put", garbage, target, NULL));
  body = bring_back (f.window);
  g_assert_nonnull (body);
  g_test_message ("damaged copy: %s", body);
  g_assert_true (g_str_has_prefix (body, "The off-site copy of “"));
  g_assert_nonnull (strstr (body, "is damaged: nothing was stored on the server. Bring back another backup."));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (gone_shown (&watch));
  fixture_finish (&f);
}

/* A copy that cannot be made (no such bucket) says so on its row. */
static void
test_failed (void)
{
  Fixture f;
  g_autofree char *url = NULL;
  g_autofree char *created = NULL;
  Watch watch;

  if (!display_available () || !have_gateway ())
    return;
  url = g_strdup_printf ("%s/no-such-bucket-here", osi_test_rgw_get_endpoint (rgw));
  fixture_start (&f, "failed", url, NULL);
  created = create_backup (f.window);
  watch.window = f.window;
  watch.name = created;
  osi_test_wait_for (failed_shown, &watch, "the row's mark to say the off-site copy failed");
  /* The reason follows the words. */
  g_assert_true (g_str_has_prefix (mark (f.window, created), "Off-site copy failed: "));
  osi_test_wait_idle (f.window);
  g_assert_false (osi_window_get_offsite_shown (f.window));
  fixture_finish (&f);
}

/* Without --offsite-url: no mark on any row, no section, and the copies
 * are never asked for. */
static void
test_without_offsite (void)
{
  Fixture f;
  g_autofree char *created = NULL;
  GListModel *store;

  if (!display_available ())
    return;
  fixture_start (&f, "without", NULL, NULL);
  g_assert_false (osi_client_has_feature (f.client, "offsite"));
  created = create_backup (f.window);
  osi_test_settle ();
  store = G_LIST_MODEL (osi_window_get_store (f.window));
  g_assert_cmpuint (g_list_model_get_n_items (store), ==, N_BACKUPS + 1);
  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      g_assert_null (osi_backup_info_get_offsite_state (info));
      g_assert_null (mark (f.window, osi_backup_info_get_name (info)));
    }
  g_assert_false (osi_window_get_offsite_shown (f.window));
  g_assert_cmpuint (g_list_model_get_n_items (osi_window_get_offsite_model (f.window)), ==, 0);
  fixture_finish (&f);
}

int
main (int argc, char **argv)
{
  g_autofree char *user_dirs = NULL;
  int status;

  user_dirs = osi_test_gui_private_user_dirs ("osi-test-window-offsite-XXXXXX");
  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();
  have_display = osi_test_gui_init ();
  tmp_dir = osi_test_make_tmpdir ();

  g_test_add_func ("/window-offsite/texts", test_texts);
  g_test_add_func ("/window-offsite/without-offsite", test_without_offsite);
  g_test_add_func ("/window-offsite/copy-delete-bring-back", test_copy_delete_bring_back);
  g_test_add_func ("/window-offsite/under-way", test_under_way);
  g_test_add_func ("/window-offsite/fetch-errors", test_fetch_errors);
  g_test_add_func ("/window-offsite/failed", test_failed);

  status = g_test_run ();
  g_clear_pointer (&rgw, osi_test_rgw_free);
  osi_test_remove_tmpdir (tmp_dir);
  g_free (tmp_dir);
  osi_test_remove_tmpdir (user_dirs);
  return status;
}
