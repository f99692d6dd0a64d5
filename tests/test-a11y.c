/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-application.h"
#include "osi-check-window-private.h"
#include "osi-demo-data.h"
#include "osi-diff-window.h"
#include "osi-preferences-window.h"
#include "osi-profile-store.h"
#include "osi-test-gui.h"
#include "osi-test-support.h"
#include "osi-window-private.h"

/* What a screen reader reads, read as a screen reader does.
 *
 * Each case brings windows and dialogs of the app on screen, against a
 * real osi-backup-server, in French; then the test asks the app, over
 * the accessibility bus (AT-SPI, as Orca does), for every object it
 * shows, from each window down. Every control and image must have a
 * name, and no name may hold
 *   - a mnemonic's underscore ("C_réer Créer"),
 *   - the same words twice in a row ("Créer Créer", "par page Par page"),
 *   - a type name ("GtkToggleButton", "GtkImage").
 * User data (backup file names, addresses, paths) is taken out first.
 * A case fails listing every offender with its path in the tree.
 *
 * The app answers on its main loop, which the test runs meanwhile: the
 * questions go from a thread of the test's own.
 *
 * TO COVER A NEW WINDOW OR DIALOG: write a function that takes a Walk,
 * brings it on screen (open_window, open_list_window, settle), calls
 * walk_app () and closes it; add it to cases[] at the end. */

#define TOKEN       "a11y-test-token-5c1d"
#define N_BACKUPS   23
#define DATA_SIZE   (128 * 1024)

static OsiTestGuiShared shared;

#define ATSPI_ACCESSIBLE "org.a11y.atspi.Accessible"
#define ATSPI_ROOT       "/org/a11y/atspi/accessible/root"

/* The roles (AT-SPI's numbers, as Orca reads them) whose name is what a
 * screen reader says of them: the controls, and the images. Containers
 * and text are left out: GTK 4.8 names its fillers and panels after their
 * type ("GtkStackPage"), a label is its text, an entry its row's title. */
static const struct
{
  guint32     role;
  const char *name;
} checked_roles[] = {
  { 7, "check box" }, { 8, "check menu item" }, { 11, "combo box" }, { 26, "icon" }, { 27, "image" },
  { 35, "menu item" }, { 37, "page tab" }, { 43, "push button" }, { 44, "radio button" },
  { 45, "radio menu item" }, { 51, "slider" }, { 52, "spin button" }, { 62, "toggle button" },
  { 88, "link" }, { 129, "push button menu" },
};

static gboolean have_display;
static GRegex *user_data_regex;  /* what is the user's data in a name */
static GRegex *type_name_regex;

/* ------------------------------------------------------------------------ */
/* The rules                                                                */

/* The words of name, case folded, its underscores out ("C_réer" is
 * "créer"). */
static GPtrArray *
split_words (const char *name)
{
  g_autofree char *folded = g_utf8_casefold (name, -1);
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) word = g_string_new (NULL);

  for (const char *p = folded;; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != 0 && g_unichar_isalnum (c))
        g_string_append_unichar (word, c);
      else if (c != '_')
        {
          if (word->len > 0)
            g_ptr_array_add (words, g_strdup (word->str));
          g_string_truncate (word, 0);
        }
      if (c == 0)
        break;
    }
  return words;
}

/* The same words twice in a row: the whole name ("Créer Créer"), or two
 * words or more within it ("Sauvegardes par page Par page"). */
static gboolean
is_doubled (const char *name)
{
  g_autoptr(GPtrArray) words = split_words (name);
  guint n = words->len;

  for (guint k = 1; k <= n / 2; k++)
    for (guint i = 0; i + 2 * k <= n; i++)
      {
        gboolean same = TRUE;

        if (k == 1 && n != 2)
          continue;
        for (guint j = 0; j < k && same; j++)
          same = g_str_equal (g_ptr_array_index (words, i + j), g_ptr_array_index (words, i + k + j));
        if (same)
          return TRUE;
      }
  return FALSE;
}

/* What is wrong with the name a screen reader reads of a control or an
 * image, NULL if nothing. */
static const char *
name_problem (const char *name)
{
  g_autofree char *cleaned = NULL;

  if (name == NULL || *name == '\0')
    return "no name";
  if (g_regex_match (type_name_regex, name, 0, NULL))
    return "a type name";
  cleaned = g_regex_replace_literal (user_data_regex, name, -1, 0, " ", 0, NULL);
  if (strchr (cleaned, '_') != NULL)
    return "a mnemonic's underscore";
  if (is_doubled (cleaned))
    return "the same words twice";
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* The accessibility bus                                                    */

static GDBusConnection *a11y_bus;  /* the test's own connection */
static char *app_bus_name;         /* the app's (GTK's) on that bus */

static GDBusConnection *
connect_a11y_bus (GError **error)
{
  g_autoptr(GDBusConnection) session = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error);
  g_autoptr(GVariant) reply = NULL;
  const char *address;

  if (session == NULL)
    return NULL;
  reply = g_dbus_connection_call_sync (session, "org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus", "GetAddress",
                                       NULL, G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(&s)", &address);
  return g_dbus_connection_new_for_address_sync (address,
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                 G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, NULL, error);
}

/* GTK's connection to the bus is the other one of this process; it is
 * made once a window shows. */
static gboolean
found_app_bus_name (gpointer unused)
{
  g_autoptr(GVariant) names = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  const char *name;

  if (app_bus_name != NULL)
    return TRUE;
  names = g_dbus_connection_call_sync (a11y_bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ListNames", NULL, G_VARIANT_TYPE ("(as)"),
                                       G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
  g_assert_nonnull (names);
  g_variant_get (names, "(as)", &iter);
  while (app_bus_name == NULL && g_variant_iter_next (iter, "&s", &name))
    {
      g_autoptr(GVariant) pid = NULL;
      guint32 value;

      if (name[0] != ':' || g_str_equal (name, g_dbus_connection_get_unique_name (a11y_bus)))
        continue;
      pid = g_dbus_connection_call_sync (a11y_bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                         g_variant_new ("(s)", name), G_VARIANT_TYPE ("(u)"),
                                         G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);
      if (pid == NULL)
        continue;
      g_variant_get (pid, "(u)", &value);
      if (value == (guint32)getpid ())
        app_bus_name = g_strdup (name);
    }
  return app_bus_name != NULL;
}

/* ------------------------------------------------------------------------ */
/* The walk                                                                 */

typedef struct
{
  GPtrArray  *offenders;  /* char *, "path: role «name» (why)" */
  guint       n_objects;
  guint       n_checked;
  guint       n_gone;     /* objects that went while the walk was under way */
  gint        done;
} Walk;

static void
walk_init (Walk *walk)
{
  walk->offenders = g_ptr_array_new_with_free_func (g_free);
}

static void
walk_clear (Walk *walk)
{
  g_ptr_array_unref (walk->offenders);
}

static void
offend (Walk       *walk,
        const char *path,
        const char *role,
        const char *name,
        const char *why)
{
  /* The last few steps of the path find the object. */
  osi_test_offenders_add (walk->offenders, path, " / ", 4, role, name, why);
}

/* NULL if the object went while the walk was under way (a toast, a row
 * recycled). */
static GVariant *
call (Walk        *walk,
      const char  *bus_name,
      const char  *path,
      const char  *interface,
      const char  *method,
      GVariant    *args,
      const char  *reply_type)
{
  GVariant *reply = g_dbus_connection_call_sync (a11y_bus, bus_name, path, interface, method, args,
                                                 G_VARIANT_TYPE (reply_type), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                                 10000, NULL, NULL);

  if (reply == NULL)
    walk->n_gone++;
  return reply;
}

/* The name of role if checked, else NULL. */
static const char *
checked_role (guint32 role)
{
  for (guint i = 0; i < G_N_ELEMENTS (checked_roles); i++)
    if (checked_roles[i].role == role)
      return checked_roles[i].name;
  return NULL;
}

static void
walk_object (Walk       *walk,
             const char *bus_name,
             const char *object,
             const char *parent_path,
             guint       depth)
{
  g_autoptr(GVariant) role_reply = call (walk, bus_name, object, ATSPI_ACCESSIBLE, "GetRoleName", NULL, "(s)");
  g_autoptr(GVariant) role_number = NULL;
  g_autoptr(GVariant) name_reply = NULL;
  g_autoptr(GVariant) name_value = NULL;
  g_autoptr(GVariant) children = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  g_autofree char *path = NULL;
  const char *role;
  const char *checked = NULL;
  const char *name = "";
  const char *child_bus_name;
  const char *child_object;

  if (role_reply == NULL)
    return;
  g_variant_get (role_reply, "(&s)", &role);
  role_number = call (walk, bus_name, object, ATSPI_ACCESSIBLE, "GetRole", NULL, "(u)");
  if (role_number != NULL)
    {
      guint32 number;

      g_variant_get (role_number, "(u)", &number);
      checked = checked_role (number);
    }
  name_reply = call (walk, bus_name, object, "org.freedesktop.DBus.Properties", "Get",
                     g_variant_new ("(ss)", ATSPI_ACCESSIBLE, "Name"), "(v)");
  if (name_reply != NULL)
    {
      g_variant_get (name_reply, "(v)", &name_value);
      if (g_variant_is_of_type (name_value, G_VARIANT_TYPE_STRING))
        name = g_variant_get_string (name_value, NULL);
    }
  walk->n_objects++;
  if (*name != '\0')
    {
      /* A long name (a message) is cut in the path. */
      g_autofree char *shown = g_utf8_substring (name, 0, MIN (g_utf8_strlen (name, -1), 40));

      path = g_strdup_printf ("%s%s%s «%s»", parent_path, *parent_path != '\0' ? " / " : "", role, shown);
    }
  else
    path = g_strdup_printf ("%s%s%s", parent_path, *parent_path != '\0' ? " / " : "", role);
  if (checked != NULL)
    {
      const char *why = name_problem (name);

      walk->n_checked++;
      if (why != NULL)
        offend (walk, parent_path, checked, name, why);
    }

  g_assert_cmpuint (depth, <, 200);
  children = call (walk, bus_name, object, ATSPI_ACCESSIBLE, "GetChildren", NULL, "(a(so))");
  if (children == NULL)
    return;
  g_variant_get (children, "(a(so))", &iter);
  while (g_variant_iter_next (iter, "(&s&o)", &child_bus_name, &child_object))
    walk_object (walk, child_bus_name, child_object, path, depth + 1);
}

static gpointer
walk_thread (gpointer data)
{
  Walk *walk = data;

  walk_object (walk, app_bus_name, ATSPI_ROOT, "", 0);
  g_atomic_int_set (&walk->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
walk_done (gpointer data)
{
  Walk *walk = data;

  return g_atomic_int_get (&walk->done);
}

/* Every window the app shows, as a screen reader reads it. */
static void
walk_app (Walk *walk)
{
  GThread *thread;

  osi_test_wait_for (found_app_bus_name, NULL, "the app on the accessibility bus");
  g_atomic_int_set (&walk->done, FALSE);
  thread = g_thread_new ("walk", walk_thread, walk);
  osi_test_wait_for (walk_done, walk, "the walk of the accessible tree");
  g_thread_join (thread);
}

/* ------------------------------------------------------------------------ */
/* Windows                                                                  */

static OsiWindow *
open_window (const char *url)
{
  OsiWindow *window = g_object_ref_sink (osi_window_new (GTK_APPLICATION (shared.app)));

  gtk_window_present (GTK_WINDOW (window));
  if (url != NULL)
    {
      g_autoptr(OsiClient) client = osi_client_new (url, TOKEN);

      osi_window_set_client (window, client, NULL);
      osi_test_wait_idle (window);
    }
  osi_test_settle ();
  return window;
}

static OsiWindow *
open_list_window (void)
{
  OsiWindow *window = open_window (shared.server->url);

  g_assert_cmpstr (osi_window_get_state (window), ==, "list");
  return window;
}

static void
close_window (OsiWindow *window)
{
  osi_test_wait_idle (window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type,
             const char *buildable_id)
{
  const char *id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (root));

  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) && (buildable_id == NULL || g_strcmp0 (id, buildable_id) == 0))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, buildable_id);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The menu button's popover, shown, walked, then hidden. */
static void
walk_menu (Walk      *walk,
           GtkWidget *button)
{
  g_assert_nonnull (button);
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  osi_test_settle ();
  walk_app (walk);
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  osi_test_settle ();
}

/* The window's dialog open now, walked, then cancelled. */
static void
walk_window_dialog (Walk      *walk,
                    OsiWindow *window)
{
  AdwMessageDialog *dialog = osi_window_get_dialog (window);

  g_assert_nonnull (dialog);
  osi_test_settle ();
  walk_app (walk);
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* The window's dialog for action (on target), walked, then cancelled. */
static void
walk_dialog (Walk       *walk,
             OsiWindow  *window,
             const char *action,
             const char *target)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, target != NULL ? "s" : NULL, target));
  /* A clean-up asks the server for its plan first. */
  osi_test_wait_idle (window);
  walk_window_dialog (walk, window);
  g_assert_null (osi_window_get_dialog (window));
}

/* ------------------------------------------------------------------------ */
/* The cases                                                                */

/* No server yet: the address, the token, "Se _connecter". */
static void
case_connect (Walk *walk)
{
  OsiWindow *window = open_window (NULL);

  g_assert_cmpstr (osi_window_get_state (window), ==, "connect");
  walk_app (walk);
  close_window (window);
}

/* The list, on several pages: the header's buttons, the rows' buttons,
 * the page buttons and the page size's drop-down; then the main menu. */
static void
case_list (Walk *walk)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  OsiWindow *window;

  g_settings_set_enum (settings, "items-per-page", 10);
  window = open_list_window ();
  walk_app (walk);
  walk_menu (walk, find_widget (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON, NULL));
  close_window (window);
  g_settings_reset (settings, "items-per-page");
}

/* Nothing listens on port 1: the banner and its button. */
static void
case_unreachable (Walk *walk)
{
  OsiWindow *window = open_window ("http://127.0.0.1:1");

  g_assert_cmpstr (osi_window_get_state (window), ==, "unreachable");
  walk_app (walk);
  close_window (window);
}

/* A server without backups: "Créer votre _première sauvegarde". */
static void
case_empty (Walk *walk)
{
  OsiTestServer *server = osi_test_server_start (shared.tmp, shared.data, shared.empty_backups, TOKEN, NULL);
  OsiWindow *window = open_window (server->url);

  g_assert_cmpstr (osi_window_get_state (window), ==, "empty");
  walk_app (walk);
  close_window (window);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

/* The confirmations of create, restore and delete: their responses. */
static void
case_confirmations (Walk *walk)
{
  OsiWindow *window = open_list_window ();
  g_autoptr(OsiBackupInfo) first = g_list_model_get_item (osi_window_get_page_model (window), 0);

  walk_dialog (walk, window, "win.create", NULL);
  walk_dialog (walk, window, "win.restore", osi_backup_info_get_name (first));
  walk_dialog (walk, window, "win.delete", osi_backup_info_get_name (first));
  close_window (window);
}

/* A download: its toast and its buttons; the check of the file
 * downloaded: the report, its "compare" popover (a drop-down of the
 * server's backups), and the comparison with an empty folder. */
static void
case_download_check_compare (Walk *walk)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *folder = g_build_filename (shared.tmp, "downloads", NULL);
  g_autofree char *downloaded = NULL;
  g_autofree char *empty = g_build_filename (shared.tmp, "empty-data", NULL);
  g_autofree char *empty_config = g_build_filename (empty, "config", NULL);
  g_autoptr(OsiBackupInfo) first = NULL;
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  OsiCheckWindow *report;
  OsiDiffWindow *compare;
  OsiWindow *window;
  const char *name;

  g_settings_set_string (settings, "download-folder", folder);
  window = open_list_window ();
  first = g_list_model_get_item (osi_window_get_page_model (window), 0);
  name = osi_backup_info_get_name (first);
  downloaded = g_build_filename (folder, name, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.download", "s", name));
  osi_test_wait_idle (window);
  g_assert_cmpstr (osi_window_get_last_toast (window), ==, _("Download complete"));
  osi_test_settle ();
  walk_app (walk);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.check-path", "s", downloaded));
  osi_test_wait_idle (window);
  report = osi_window_get_check_window (window);
  g_assert_nonnull (report);
  g_assert_true (osi_check_window_can_restore (report));
  osi_test_settle ();
  walk_app (walk);
  walk_menu (walk, find_widget (GTK_WIDGET (report), GTK_TYPE_MENU_BUTTON, "compare_button"));

  g_assert_cmpint (g_mkdir_with_parents (empty_config, 0700), ==, 0);
  diff = osi_diff_compare (empty, downloaded, NULL, &error);
  g_assert_no_error (error);
  compare = osi_diff_window_new (GTK_WINDOW (report), diff, empty, name);
  gtk_window_present (GTK_WINDOW (compare));
  osi_test_settle ();
  walk_app (walk);
  gtk_window_destroy (GTK_WINDOW (compare));
  gtk_window_destroy (GTK_WINDOW (report));
  close_window (window);
  g_settings_reset (settings, "download-folder");
}

/* The first widget in root whose name (gtk_widget_set_name) is name. */
static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Preferences, a server profile open in its editor, then the
 * confirmation of its removal. */
static void
case_preferences (Walk *walk)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  OsiWindow *window = open_window (NULL);
  GtkWidget *preferences;
  GtkWidget *row;
  GtkWindow *confirmation;

  osi_profile_store_add (store, "127.0.0.1", shared.server->url, NULL);
  preferences = g_object_ref (GTK_WIDGET (osi_preferences_window_new (GTK_WINDOW (window), settings, store)));
  gtk_window_present (GTK_WINDOW (preferences));
  osi_test_settle ();
  walk_app (walk);

  /* A new profile opens in its editor. */
  g_assert_true (gtk_widget_activate_action (preferences, "prefs.add-server", NULL));
  osi_test_settle ();
  walk_app (walk);

  row = find_named (preferences, "test-button");
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_activate_action (row, "server.remove", NULL));
  confirmation = osi_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (confirmation);
  osi_test_settle ();
  walk_app (walk);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (confirmation), "cancel");
  gtk_window_destroy (confirmation);

  gtk_window_destroy (GTK_WINDOW (preferences));
  osi_test_settle ();
  g_object_unref (preferences);
  g_settings_reset (settings, "profiles");
  g_settings_reset (settings, "current-profile");
  close_window (window);
}

static void
case_shortcuts (Walk *walk)
{
  OsiWindow *window = open_window (NULL);
  GtkShortcutsWindow *shortcuts;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  osi_test_settle ();
  shortcuts = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_assert_nonnull (shortcuts);
  walk_app (walk);
  gtk_widget_set_visible (GTK_WIDGET (shortcuts), FALSE);
  close_window (window);
}

static void
case_about (Walk *walk)
{
  OsiWindow *window = open_window (NULL);
  GtkWindow *about;

  g_action_group_activate_action (G_ACTION_GROUP (shared.app), "about", NULL);
  about = osi_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  osi_test_settle ();
  walk_app (walk);
  gtk_window_destroy (about);
  close_window (window);
}

/* ------------------------------------------------------------------------ */
/* The backup policy (docs/api.md §6)                                       */

/* The list with every badge (the lock, the note, the kind, the
 * verification) and the rows' protect and note buttons; then the note's
 * editor, the delete of a protected backup, the clean-up's plan, and
 * once cleaned up, that there is nothing to clean up. A server of its
 * own: the others' lists stay as they were. */
static void
case_policy_list (Walk *walk)
{
  OsiTestServer *server = osi_test_gui_server_start (&shared, "policy-backups", 6, TOKEN);
  OsiWindow *window = open_window (server->url);
  g_autofree char *protected = NULL;
  g_autofree char *noted = NULL;

  osi_test_gui_add_badges (window, "Avant la migration vers la v2", &protected, &noted);
  walk_app (walk);
  walk_dialog (walk, window, "win.edit-note", noted);
  walk_dialog (walk, window, "win.delete", protected);
  walk_dialog (walk, window, "win.prune", NULL);
  /* Cleaned up, then nothing left to clean up. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.prune", NULL));
  osi_test_wait_idle (window);
  g_free (osi_test_answer_dialog (window, "prune"));
  osi_test_wait_idle (window);
  walk_dialog (walk, window, "win.prune", NULL);
  close_window (window);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

/* The combo row's list of choices, shown, walked, then hidden. */
static void
walk_combo_row (Walk      *walk,
                GtkWidget *row)
{
  GtkWidget *popover;

  g_assert_nonnull (row);
  popover = osi_test_gui_pop_up_combo_row (ADW_COMBO_ROW (row));
  walk_app (walk);
  gtk_popover_popdown (GTK_POPOVER (popover));
  osi_test_settle ();
}

static void
show_schedule (OsiPolicyWindow  *policy,
               OsiScheduleEvery  every)
{
  OsiPolicy edited;

  osi_policy_window_get_policy (policy, &edited);
  edited.schedule.every = every;
  osi_policy_window_set_policy (policy, &edited);
  osi_policy_clear (&edited);
  osi_test_settle ();
}

/* "Schedule and Retention" on a server with a policy: the schedule (the
 * rows of a weekly one, of a monthly one), the retention's counts, the
 * verification, the latest runs; and the lists of the drop-downs. */
static void
case_policy_window (Walk *walk)
{
  OsiWindow *window = open_list_window ();
  OsiPolicyWindow *policy = osi_test_gui_open_policy_window (window);

  g_assert_cmpstr (osi_policy_window_get_state (policy), ==, "policy");
  walk_app (walk);
  show_schedule (policy, OSI_SCHEDULE_WEEKLY);
  walk_app (walk);
  for (const char *const *id = (const char *const[]) { "every_row", "weekday_row", "verify_row", NULL };
       *id != NULL; id++)
    walk_combo_row (walk, find_widget (GTK_WIDGET (policy), ADW_TYPE_COMBO_ROW, *id));
  show_schedule (policy, OSI_SCHEDULE_MONTHLY);
  walk_app (walk);
  gtk_window_destroy (GTK_WINDOW (policy));
  close_window (window);
}

/* The FastAPI stand-in of the deployed backend has no policy: the page
 * says so and offers a clean-up planned here, whose plan is walked too. */
static void
case_policy_unsupported (Walk *walk)
{
  OsiTestServer *server = osi_test_gui_fastapi_start (&shared, "fastapi-policy", 6, TOKEN);
  OsiPolicyWindow *policy;
  OsiWindow *window;

  window = open_window (server->url);
  g_assert_cmpstr (osi_window_get_state (window), ==, "list");
  policy = osi_test_gui_open_policy_window (window);
  g_assert_cmpstr (osi_policy_window_get_state (policy), ==, "unsupported");
  walk_app (walk);

  osi_policy_window_prune (policy);
  walk_window_dialog (walk, window);

  gtk_window_destroy (GTK_WINDOW (policy));
  close_window (window);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* Off-site copies (docs/api.md §7)                                         */

static OsiTestRgw *rgw;

/* The rows' off-site marks and the section of the copies whose local
 * file is gone, its « Rapatrier » button; then, brought back, the toast
 * and the restore confirmation it opens. A server of its own copying to
 * a real RADOS Gateway, started for this case. */
static void
case_offsite (Walk *walk)
{
  OsiTestServer *server;
  OsiWindow *window;
  g_autofree char *copied = NULL;
  g_autofree char *gone = NULL;

  if (rgw == NULL && (rgw = osi_test_rgw_start (shared.tmp)) == NULL)
    {
      /* Skipped (no Ceph here): the list alone is walked. */
      window = open_list_window ();
      walk_app (walk);
      close_window (window);
      return;
    }
  server = osi_test_gui_offsite_server_start (&shared, "offsite-backups", 4, TOKEN, rgw);
  window = open_window (server->url);
  osi_test_gui_add_offsite_copies (window, &copied, &gone);
  walk_app (walk);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.offsite-fetch", "s", gone));
  osi_test_settle ();
  /* The button is a spinner and what it does meanwhile. */
  walk_app (walk);
  osi_test_wait_idle (window);
  g_assert_nonnull (osi_window_get_fetched_toast (window));
  osi_test_settle ();
  walk_app (walk);
  walk_dialog (walk, window, "win.restore", gone);
  close_window (window);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

typedef struct
{
  const char *name;
  void      (*run) (Walk *walk);
} Case;

static const Case cases[] = {
  { "main/connect", case_connect },
  { "main/list", case_list },
  { "main/unreachable", case_unreachable },
  { "main/empty", case_empty },
  { "dialogs/confirmations", case_confirmations },
  { "check/download-check-compare", case_download_check_compare },
  { "preferences", case_preferences },
  { "shortcuts", case_shortcuts },
  { "about", case_about },
  { "policy/list", case_policy_list },
  { "policy/window", case_policy_window },
  { "policy/unsupported", case_policy_unsupported },
  { "offsite", case_offsite },
};

static void
run_case (gconstpointer data)
{
  const Case *c = data;
  Walk walk = { 0 };

  if (!have_display)
    {
      osi_test_missing ("no display");
      return;
    }
  if (a11y_bus == NULL)
    {
      osi_test_missing ("no accessibility bus (at-spi2-core)");
      return;
    }
  walk_init (&walk);
  c->run (&walk);
  g_test_message ("%s: %u objects, %u controls and images checked, %u calls on objects gone", c->name,
                  walk.n_objects, walk.n_checked, walk.n_gone);
  g_assert_cmpuint (walk.n_checked, >, 0);
  osi_test_offenders_check (walk.offenders, "names read wrong");
  walk_clear (&walk);
}

/* The rules catch what the issue heard, and pass what is right. */
static void
test_rules (void)
{
  static const char *const wrong[] = {
    "_Créer une sauvegarde Créer une sauvegarde", "C_réer Créer", "Se _connecter Se connecter",
    "Se _connecter", "Créer Créer", "Sauvegardes par page Par page", "GtkToggleButton", "GtkImage",
    "AdwSplitButton", "",
  };
  static const char *const right[] = {
    "Créer une sauvegarde", "Se connecter", "Par page 25", "Restaurer backup_20261205_084443.tar.zst",
    "Supprimer search_backup_20260301_101500.json", "Serveur de démonstration (http://127.0.0.1:4242/a_b)",
    "backup_20261205_084443.tar.zst, 05/12/2026 08:44, 268,7 Ko", "Page 2 sur 3", "Fermer",
  };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_test_message ("wrong: «%s»", wrong[i]);
      g_assert_nonnull (name_problem (wrong[i]));
    }
  for (guint i = 0; i < G_N_ELEMENTS (right); i++)
    {
      g_test_message ("right: «%s»", right[i]);
      g_assert_null (name_problem (right[i]));
    }
}

int
main (int argc, char **argv)
{
  const char *localedir = g_getenv ("OSI_BACKUP_LOCALEDIR");
  g_autofree char *home = osi_test_gui_private_user_dirs ("osi-test-a11y-XXXXXX");
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();

  /* French, as the issue heard it, when the machine has it; the rules
   * hold in any language. Before GTK starts its threads. */
  g_setenv ("LANGUAGE", "fr", TRUE);
  if (setlocale (LC_ALL, "fr_FR.UTF-8") == NULL)
    setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  user_data_regex = g_regex_new ("[[:alnum:]_.-]+\\.(tar\\.zst|tar\\.gz|tgz|zip|json|part|pem)\\b"
                                 "|[a-z]+://[^[:space:])]*"
                                 "|(^|[[:space:]])/[^[:space:]]*"
                                 "|«[^»]*»|“[^”]*”",
                                 G_REGEX_OPTIMIZE, 0, NULL);
  type_name_regex = g_regex_new ("\\b(Gtk|Adw)[A-Z][[:alnum:]]*\\b", G_REGEX_OPTIMIZE, 0, NULL);

  osi_test_gui_set_log_writer ();
  gtk_disable_setlocale ();
  have_display = gtk_init_check ();
  if (have_display)
    {
      adw_init ();
      /* GTK_A11Y=test or none: GTK keeps off the bus. */
      if (g_getenv ("GTK_A11Y") != NULL && g_ascii_strcasecmp (g_getenv ("GTK_A11Y"), "atspi") != 0)
        g_test_message ("GTK_A11Y=%s: GTK is not on the accessibility bus", g_getenv ("GTK_A11Y"));
      else if ((a11y_bus = connect_a11y_bus (&error)) == NULL)
        g_test_message ("no accessibility bus: %s", error->message);
      osi_test_gui_shared_start (&shared, DATA_SIZE, N_BACKUPS, TOKEN);
    }

  g_test_add_func ("/a11y/rules", test_rules);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/a11y/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], run_case);
    }
  status = g_test_run ();
  g_clear_pointer (&rgw, osi_test_rgw_free);
  if (shared.app != NULL)
    osi_test_gui_shared_finish (&shared);
  if (a11y_bus != NULL)
    g_dbus_connection_close_sync (a11y_bus, NULL, NULL);
  g_clear_object (&a11y_bus);
  g_free (app_bus_name);
  g_regex_unref (type_name_regex);
  g_regex_unref (user_data_regex);
  osi_test_remove_tmpdir (home);
  return status;
}
