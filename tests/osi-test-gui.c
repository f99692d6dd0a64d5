/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-test-gui.h"
#include "osi-check-history.h"
#include "osi-demo-data.h"
#include "osi-test-support.h"

static gboolean have_display;

/* GTK 4.8 sometimes snapshots a widget of its own (seen: a GtkButton of
 * the file chooser dialog) between a resize it queued and the next
 * layout, and warns "Trying to snapshot … without a current allocation";
 * it skips that widget for the frame and draws it at the next. Under
 * G_DEBUG=fatal-warnings that one warning would end the test; it is
 * logged as a test message instead. Every other message goes to GLib's
 * writer, fatal as before. */
static GLogWriterOutput
write_log (GLogLevelFlags   log_level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0)
      domain = fields[i].value;
    else if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      message = fields[i].value;
  if ((log_level & G_LOG_LEVEL_WARNING) && g_strcmp0 (domain, "Gtk") == 0 && message != NULL &&
      g_str_has_prefix (message, "Trying to snapshot ") && g_str_has_suffix (message, " without a current allocation"))
    {
      g_test_message ("GTK warned (tolerated): %s", message);
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

void
osi_test_gui_set_log_writer (void)
{
  g_log_set_writer_func (write_log, NULL, NULL);
}

gboolean
osi_test_gui_init (void)
{
  const char *localedir = g_getenv ("OSI_BACKUP_LOCALEDIR");

  /* The locale is set before GTK starts and its threads run; LANGUAGE
   * would take precedence over it. */
  if (g_test_subprocess ())
    {
      g_setenv ("LANGUAGE", "fr", TRUE);
      if (setlocale (LC_ALL, "fr_FR.UTF-8") == NULL)
        g_error ("no fr_FR.UTF-8 locale");
    }
  else
    {
      g_unsetenv ("LANGUAGE");
      if (setlocale (LC_ALL, "C.UTF-8") == NULL)
        setlocale (LC_ALL, "C");
    }
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  osi_test_gui_set_log_writer ();
  /* Not gtk_test_init (): it aborts without a display, and sets its own
   * locale. */
  gtk_disable_setlocale ();
  have_display = gtk_init_check ();
  if (have_display)
    adw_init ();
  return have_display;
}

gboolean
osi_test_french_possible (void)
{
  if (!have_display)
    {
      osi_test_missing ("no display");
      return FALSE;
    }
  if (!osi_test_have_locale ("fr_FR.UTF-8"))
    {
      osi_test_missing ("no fr_FR.UTF-8 locale");
      return FALSE;
    }
  return TRUE;
}

char *
osi_test_gui_private_user_dirs (const char *tmpl)
{
  char *home = g_dir_make_tmp (tmpl, NULL);
  g_autofree char *data_home = NULL;
  g_autofree char *cache_home = NULL;

  g_assert_nonnull (home);
  data_home = g_build_filename (home, "data", NULL);
  cache_home = g_build_filename (home, "cache", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);
  return home;
}

static gboolean
window_idle (gpointer data)
{
  /* The history of checks writes in the background: its work counts. */
  return !osi_window_get_working (OSI_WINDOW (data)) && !osi_check_history_any_pending ();
}

void
osi_test_wait_idle (OsiWindow *window)
{
  osi_test_wait_for (window_idle, window, "the window's work to end");
}

char *
osi_test_answer_dialog (OsiWindow  *window,
                        const char *response)
{
  AdwMessageDialog *dialog = osi_window_get_dialog (window);
  char *body;

  g_assert_nonnull (dialog);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  /* Cancel is the default: Enter does not destroy anything. */
  if (!g_str_equal (response, "close"))
    g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  g_assert_true (adw_message_dialog_has_response (dialog, response));
  body = g_strdup (adw_message_dialog_get_body (dialog));
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_null (osi_window_get_dialog (window));
  return body;
}

static gboolean
download_text_shown (gpointer data)
{
  return osi_check_window_get_download_text (OSI_CHECK_WINDOW (data)) != NULL;
}

const char *
osi_test_wait_download_text (OsiCheckWindow *report)
{
  osi_test_wait_for (download_text_shown, report, "the comparison with the download");
  return osi_check_window_get_download_text (report);
}

void
osi_test_gui_shared_start (OsiTestGuiShared *shared,
                           gsize             data_size,
                           guint             n_backups,
                           const char       *token)
{
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 6, 15, 16, 42, 10);
  g_autoptr(GError) error = NULL;

  shared->tmp = osi_test_make_tmpdir ();
  shared->data = osi_test_generate_data (shared->tmp, data_size, 3);
  shared->backups = g_build_filename (shared->tmp, "backups", NULL);
  shared->empty_backups = g_build_filename (shared->tmp, "empty", NULL);
  g_assert_true (osi_demo_backups_populate (shared->backups, n_backups, newest, 11, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (shared->empty_backups, 0700), ==, 0);
  shared->server = osi_test_server_start (shared->tmp, shared->data, shared->backups, token, NULL);

  shared->app = osi_application_new ();
  g_application_set_flags (G_APPLICATION (shared->app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (shared->app), NULL, &error));
  g_assert_no_error (error);
}

void
osi_test_gui_shared_finish (OsiTestGuiShared *shared)
{
  if (shared->server != NULL)
    {
      g_assert_cmpint (osi_test_server_stop (shared->server), ==, 0);
      osi_test_server_free (shared->server);
    }
  g_clear_object (&shared->app);
  osi_test_remove_tmpdir (shared->tmp);
  g_clear_pointer (&shared->tmp, g_free);
  g_clear_pointer (&shared->data, g_free);
  g_clear_pointer (&shared->backups, g_free);
  g_clear_pointer (&shared->empty_backups, g_free);
}

OsiTestServer *
osi_test_gui_server_start (OsiTestGuiShared *shared,
                           const char       *folder,
                           guint             n_backups,
                           const char       *token)
{
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 6, 15, 16, 42, 10);
  g_autofree char *backups = g_build_filename (shared->tmp, folder, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (g_file_test (backups, G_FILE_TEST_EXISTS));
  g_assert_true (osi_demo_backups_populate (backups, n_backups, newest, 13, NULL, &error));
  g_assert_no_error (error);
  return osi_test_server_start (shared->tmp, shared->data, backups, token, NULL);
}

OsiTestServer *
osi_test_gui_fastapi_start (OsiTestGuiShared *shared,
                            const char       *folder,
                            guint             n_backups,
                            const char       *token)
{
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 6, 15, 16, 42, 10);
  g_autofree char *dir = g_build_filename (shared->tmp, folder, NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *backups = g_build_filename (dir, "backups", NULL);
  OsiTestServer *server;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  server = osi_test_fastapi_serve (data, backups, token, NULL, "UTC");
  for (guint i = 0; i < n_backups; i++)
    {
      g_autoptr(GDateTime) date = g_date_time_add_days (newest, -(gint)i);
      g_autofree char *name = g_date_time_format (date, "search_backup_%Y%m%d_%H%M%S.json");
      g_autofree char *path = g_build_filename (backups, name, NULL);

      g_assert_true (g_file_set_contents (path, osi_test_valid_rag (), -1, NULL));
      osi_test_set_mtime (path, g_date_time_to_unix (date), 0);
    }
  return server;
}

static gboolean
policy_window_idle (gpointer data)
{
  return !osi_policy_window_get_working (OSI_POLICY_WINDOW (data));
}

OsiPolicyWindow *
osi_test_gui_open_policy_window (OsiWindow *window)
{
  OsiPolicyWindow *policy;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.policy", NULL));
  policy = OSI_POLICY_WINDOW (osi_window_get_policy_window (window));
  g_assert_nonnull (policy);
  osi_test_gui_wait_policy_window (policy);
  osi_test_settle ();
  return policy;
}

void
osi_test_gui_wait_policy_window (OsiPolicyWindow *policy)
{
  osi_test_wait_for (policy_window_idle, policy, "the policy window's work to end");
}

static GtkWidget *
find_popover (GtkWidget *root)
{
  if (GTK_IS_POPOVER (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_popover (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
osi_test_gui_pop_up_combo_row (AdwComboRow *row)
{
  GtkWidget *popover;

  g_assert_true (ADW_IS_COMBO_ROW (row));
  /* The viewport of the page scrolls to the focus. */
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (row)));
  osi_test_settle ();
  adw_action_row_activate (ADW_ACTION_ROW (row));
  osi_test_settle ();
  popover = find_popover (GTK_WIDGET (row));
  g_assert_nonnull (popover);
  g_assert_true (gtk_widget_get_visible (popover));
  return popover;
}

/* The name of the i-th backup shown (newest first). */
static char *
dup_shown_name (OsiWindow *window,
                guint      i)
{
  g_autoptr(OsiBackupInfo) info = g_list_model_get_item (osi_window_get_sorted_model (window), i);

  g_assert_nonnull (info);
  return g_strdup (osi_backup_info_get_name (info));
}

/* The backup shown named name, or the i-th shown when name is NULL;
 * the model keeps it. */
static OsiBackupInfo *
find_shown (OsiWindow  *window,
            guint       i,
            const char *name)
{
  GListModel *shown = osi_window_get_sorted_model (window);
  guint n = g_list_model_get_n_items (shown);

  for (guint k = name != NULL ? 0 : i; k < n; k++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (shown, k);

      if (name == NULL || g_strcmp0 (osi_backup_info_get_name (info), name) == 0)
        return info;
    }
  g_assert_not_reached ();
  return NULL;
}

void
osi_test_gui_add_badges (OsiWindow   *window,
                         const char  *note,
                         char       **protected_name,
                         char       **noted_name)
{
  OsiClient *client = osi_window_get_client (window);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *verified = NULL;
  AdwMessageDialog *dialog;

  osi_test_wait_idle (window);
  g_assert_cmpuint (g_list_model_get_n_items (osi_window_get_sorted_model (window)), >=, 4);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.create", NULL));
  g_free (osi_test_answer_dialog (window, "create"));
  osi_test_wait_idle (window);

  *protected_name = dup_shown_name (window, 1);
  *noted_name = dup_shown_name (window, 2);
  verified = dup_shown_name (window, 3);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.protect", "s", *protected_name));
  osi_test_wait_idle (window);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.edit-note", "s", *noted_name));
  dialog = osi_window_get_dialog (window);
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), note);
  g_free (osi_test_answer_dialog (window, "save"));
  osi_test_wait_idle (window);

  osi_client_verify_async (client, verified, NULL, osi_test_store_result, &result);
  report = osi_client_verify_finish (client, osi_test_wait_result (&result, "the verification"), &error);
  g_assert_no_error (error);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL));
  osi_test_wait_idle (window);
  osi_test_settle ();

  /* The walks see every badge. */
  g_assert_cmpstr (osi_backup_info_get_kind (find_shown (window, 0, NULL)), ==, "manual");
  g_assert_true (osi_backup_info_get_protected (find_shown (window, 0, *protected_name)));
  g_assert_cmpstr (osi_backup_info_get_note (find_shown (window, 0, *noted_name)), ==, note);
  g_assert_cmpstr (osi_backup_info_get_verdict (find_shown (window, 0, verified)), ==, "restorable");
}

OsiTestServer *
osi_test_gui_offsite_server_start (OsiTestGuiShared *shared,
                                   const char       *folder,
                                   guint             n_backups,
                                   const char       *token,
                                   OsiTestRgw       *rgw)
{
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2026, 6, 15, 16, 42, 10);
  g_autofree char *backups = g_build_filename (shared->tmp, folder, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (g_file_test (backups, G_FILE_TEST_EXISTS));
  g_assert_true (osi_demo_backups_populate (backups, n_backups, newest, 13, NULL, &error));
  g_assert_no_error (error);
  return osi_test_rgw_server_start (rgw, shared->tmp, shared->data, backups, token, osi_test_rgw_get_url (rgw), NULL);
}

/* The backup of that name in the window's list, or NULL; the list keeps
 * it. */
OsiBackupInfo *
osi_test_gui_find_listed (OsiWindow  *window,
                          const char *name)
{
  GListModel *store = G_LIST_MODEL (osi_window_get_store (window));

  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      if (g_strcmp0 (osi_backup_info_get_name (info), name) == 0)
        return info;
    }
  return NULL;
}

typedef struct
{
  OsiWindow  *window;
  const char *name;
} Awaited;

static gboolean
copy_done (gpointer data)
{
  Awaited *awaited = data;
  OsiBackupInfo *info = osi_test_gui_find_listed (awaited->window, awaited->name);

  return info != NULL && g_strcmp0 (osi_backup_info_get_offsite_state (info), "done") == 0 &&
         !osi_window_get_working (awaited->window);
}

static gboolean
copy_gone (gpointer data)
{
  Awaited *awaited = data;
  GListModel *gone = osi_window_get_offsite_model (awaited->window);

  for (guint i = 0; i < g_list_model_get_n_items (gone); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (gone, i);

      if (g_strcmp0 (osi_backup_info_get_name (info), awaited->name) == 0)
        return osi_window_get_offsite_shown (awaited->window) && !osi_window_get_working (awaited->window);
    }
  return FALSE;
}

char *
osi_test_gui_create_copied (OsiWindow *window)
{
  g_autoptr(GHashTable) before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GListModel *store = G_LIST_MODEL (osi_window_get_store (window));
  char *created = NULL;
  Awaited awaited;

  osi_test_wait_idle (window);
  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      g_hash_table_add (before, g_strdup (osi_backup_info_get_name (info)));
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.create", NULL));
  g_free (osi_test_answer_dialog (window, "create"));
  osi_test_wait_idle (window);
  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      if (!g_hash_table_contains (before, osi_backup_info_get_name (info)))
        {
          g_assert_null (created);
          created = g_strdup (osi_backup_info_get_name (info));
        }
    }
  g_assert_nonnull (created);
  awaited.window = window;
  awaited.name = created;
  osi_test_wait_for (copy_done, &awaited, "the new backup's off-site copy");
  return created;
}

void
osi_test_gui_add_offsite_copies (OsiWindow  *window,
                                 char      **copied_name,
                                 char      **gone_name)
{
  Awaited awaited;

  *copied_name = osi_test_gui_create_copied (window);
  *gone_name = osi_test_gui_create_copied (window);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.delete", "s", *gone_name));
  g_free (osi_test_answer_dialog (window, "delete"));
  osi_test_wait_idle (window);
  g_assert_null (osi_test_gui_find_listed (window, *gone_name));
  awaited.window = window;
  awaited.name = *gone_name;
  osi_test_wait_for (copy_gone, &awaited, "the deleted backup in the off-site section");
  osi_test_settle ();
}

static gboolean
turned_enough (gpointer data)
{
  guint *turns = data;

  return ++*turns > 20;
}

void
osi_test_settle (void)
{
  guint turns = 0;

  osi_test_wait_for (turned_enough, &turns, "the loop to turn");
}

GtkWindow *
osi_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

void
osi_test_offenders_add (GPtrArray  *offenders,
                        const char *path,
                        const char *separator,
                        guint       n_steps,
                        const char *what,
                        const char *string,
                        const char *why)
{
  g_auto(GStrv) steps = g_strsplit (path, separator, -1);
  guint n = g_strv_length (steps);
  g_autofree char *tail = g_strjoinv (separator, steps + (n > n_steps ? n - n_steps : 0));
  char *line = g_strdup_printf ("%s%s%s: %s «%s» (%s)", n > n_steps ? "…" : "", n > n_steps ? separator : "",
                                tail, what, string, why);

  for (guint i = 0; i < offenders->len; i++)
    if (g_str_equal (g_ptr_array_index (offenders, i), line))
      {
        g_free (line);
        return;
      }
  g_ptr_array_add (offenders, line);
}

void
osi_test_offenders_check (GPtrArray  *offenders,
                          const char *problem)
{
  if (offenders->len == 0)
    return;
  for (guint i = 0; i < offenders->len; i++)
    g_test_message ("offender: %s", (char *)g_ptr_array_index (offenders, i));
  g_test_fail_printf ("%u %s (listed above)", offenders->len, problem);
}
