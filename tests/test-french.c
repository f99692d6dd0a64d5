/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-application.h"
#include "osi-backup-badges.h"
#include "osi-check-window-private.h"
#include "osi-demo-data.h"
#include "osi-preferences-window.h"
#include "osi-profile-store.h"
#include "osi-test-gui.h"
#include "osi-test-support.h"
#include "osi-window-private.h"

/* No English left on screen, and every control named for a screen reader.
 *
 * Under LANGUAGE=fr and LC_ALL=fr_FR.UTF-8, each case below brings one
 * window or dialog of the app to one of its states, against real
 * osi-backup-servers, and walks its whole widget tree. Every string a
 * user can see or hear is collected: label texts, tooltips, placeholders,
 * window, row, group, page and status-page titles and descriptions,
 * dialog headings, bodies and responses, shortcut titles, menu item
 * labels, toasts, and accessible labels. A string fails when
 *   (a) it is one of our msgids shown as is though it has a French
 *       translation (a string that missed _() or its .ui translatable), or
 *   (b) it holds a word that is English and not French, once the user's
 *       data (backup file names, addresses, paths, «quoted» names) and
 *       the product's name are taken out.
 * Every icon-only button must also have an accessible label, and every
 * row of the list says its backup's name, date and size.
 *
 * A case fails listing every offender with its widget path.
 *
 * TO COVER A NEW WINDOW OR DIALOG (a check report, a comparison...):
 * write a function that takes a Walk, opens the window (the helpers:
 * open_window and open_list_window on the shared server, wait_idle,
 * osi_test_wait_for, find_toplevel, find_widget), calls walk_widget () on
 * it in each state worth seeing, and closes it; then add one line
 * { "name", function } to the cases[] table at the end. For example:
 *
 *   static void
 *   case_report (Walk *walk)
 *   {
 *     OsiWindow *window = open_list_window ();
 *
 *     gtk_widget_activate_action (GTK_WIDGET (window), "win.report", NULL);
 *     walk_widget (walk, GTK_WIDGET (osi_test_find_toplevel (OSI_TYPE_REPORT_WINDOW)));
 *     ...close it...
 *     close_window (window);
 *   }
 *
 *   { "report", case_report }, */

#define TOKEN       "french-test-token-3b9e"
#define N_BACKUPS   23
#define DATA_SIZE   (128 * 1024)

static OsiTestGuiShared shared;
#define BIG_BACKUP  "backup_29991231_235959.tar.zst"
#define BIG_SIZE    (64 * 1024 * 1024)

/* Words of English that are not French words too (so not "a", "or",
 * "are", "close", "page", "date", "menu", "file", "total", "test"...).
 * Checked against the msgstrs of fr.po. */
static const char *const english_words[] = {
  "about", "all", "and", "available", "backup", "backups", "be", "by", "cancel", "cannot", "check", "choose",
  "clean", "connect", "connection", "could", "day", "delete", "deleted", "download", "downloads", "edit",
  "error", "failed", "files", "first", "folder", "for", "from", "help", "hour", "integrity", "kept",
  "keyboard", "last", "latest", "loading", "manual", "month", "name", "never", "new", "newest", "next",
  "none", "not", "nothing", "of", "open", "preferences", "previous", "quit", "refresh", "remove", "restore",
  "results", "retry", "safety", "save", "saved", "scheduled", "search", "select", "server", "servers",
  "settings", "shortcuts", "size", "the", "this", "to", "unprotected", "unreachable", "uploaded",
  "verification", "verified", "week", "will", "with", "your",
};

/* The string properties of widgets a user sees. "text" is left out: in an
 * entry it is what the user typed. */
static const char *const shown_properties[] = {
  "title", "subtitle", "description", "placeholder-text", "tooltip-text", "label", "heading", "body",
};

static gboolean have_display;
static GHashTable *english;     /* the words above */
static GRegex *user_data_regex; /* what is the user's data in a string */

/* ------------------------------------------------------------------------ */
/* Waiting                                                                  */

static gboolean
window_idle (gpointer data)
{
  return !osi_window_get_working (OSI_WINDOW (data));
}

static void
wait_idle (OsiWindow *window)
{
  osi_test_wait_for (window_idle, window, "the window's work to end");
}

static gboolean
dialog_gone (gpointer data)
{
  return osi_window_get_dialog (OSI_WINDOW (data)) == NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return osi_window_get_dialog (OSI_WINDOW (data)) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Windows                                                                  */

/* A main window of the application, presented, on url (NULL: no server)
 * with the given token. */
static OsiWindow *
open_window (const char *url,
             const char *token)
{
  OsiWindow *window = g_object_ref_sink (osi_window_new (GTK_APPLICATION (shared.app)));

  gtk_window_present (GTK_WINDOW (window));
  if (url != NULL)
    {
      g_autoptr(OsiClient) client = osi_client_new (url, token);

      osi_window_set_client (window, client, NULL);
    }
  return window;
}

static OsiWindow *
open_list_window (void)
{
  OsiWindow *window = open_window (shared.server->url, TOKEN);

  wait_idle (window);
  g_assert_cmpstr (osi_window_get_state (window), ==, "list");
  return window;
}

static void
close_window (OsiWindow *window)
{
  wait_idle (window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

/* The first toplevel of type, NULL if none. */
typedef gboolean (*Match) (GtkWidget     *widget,
                           gconstpointer  key);

/* The first widget, depth first, in root (root included) that matches. */
static GtkWidget *
find_widget (GtkWidget     *root,
             Match          match,
             gconstpointer  key)
{
  if (match (root, key))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, match, key);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
has_name (GtkWidget     *widget,
          gconstpointer  name)
{
  return g_strcmp0 (gtk_widget_get_name (widget), name) == 0;
}

static gboolean
is_menu_button (GtkWidget     *widget,
                gconstpointer  unused)
{
  return GTK_IS_MENU_BUTTON (widget);
}

static gboolean
is_label_with_class (GtkWidget     *widget,
                     gconstpointer  css_class)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, css_class);
}

/* ------------------------------------------------------------------------ */
/* The walk                                                                 */

typedef struct
{
  GPtrArray  *offenders;  /* char *, "path: what «string» (why)" */
  GHashTable *seen;       /* the strings checked, for the count */
} Walk;

static void
walk_init (Walk *walk)
{
  walk->offenders = g_ptr_array_new_with_free_func (g_free);
  walk->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
walk_clear (Walk *walk)
{
  g_ptr_array_unref (walk->offenders);
  g_hash_table_unref (walk->seen);
}

static void
offend (Walk       *walk,
        const char *path,
        const char *what,
        const char *string,
        const char *why)
{
  /* The last few steps of the path find the widget. */
  osi_test_offenders_add (walk->offenders, path, "/", 6, what, string, why);
}

/* The msgid string has a translation that is not on screen. The shortcuts
 * window's strings have a context. */
static gboolean
is_untranslated_msgid (const char *string)
{
  return strcmp (g_dgettext (GETTEXT_PACKAGE, string), string) != 0 ||
         strcmp (g_dpgettext2 (GETTEXT_PACKAGE, "shortcut window", string), string) != 0;
}

/* The first English word of string once the user's data is out, NULL if
 * none. */
static char *
find_english_word (const char *string)
{
  g_autofree char *cleaned = g_regex_replace_literal (user_data_regex, string, -1, 0, " ", 0, NULL);
  const char *p = cleaned;

  while (p != NULL && *p != '\0')
    {
      const char *start;
      g_autofree char *word = NULL;
      g_autofree char *folded = NULL;

      while (*p != '\0' && !g_unichar_isalpha (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      /* Letters and the apostrophes inside a word ("server’s"). */
      while (*p != '\0' && (g_unichar_isalpha (g_utf8_get_char (p)) || g_utf8_get_char (p) == 0x2019 || *p == '\''))
        p = g_utf8_next_char (p);
      if (p == start)
        break;
      word = g_strndup (start, p - start);
      folded = g_utf8_strdown (word, -1);
      /* "server’s" is "server", "l’adresse" is French. */
      {
        char *apostrophe = strstr (folded, "’");

        if (apostrophe == NULL)
          apostrophe = strchr (folded, '\'');
        if (apostrophe != NULL && (g_str_equal (apostrophe, "’s") || g_str_equal (apostrophe, "'s")))
          *apostrophe = '\0';
      }
      if (g_hash_table_contains (english, folded))
        return g_steal_pointer (&word);
    }
  return NULL;
}

/* Checks one string; shown is what the screen shows of raw (a label's
 * text without its mnemonic), or NULL when the same. */
static void
check_string (Walk       *walk,
              const char *path,
              const char *what,
              const char *raw,
              const char *shown)
{
  g_autofree char *word = NULL;

  if (raw == NULL || *raw == '\0')
    return;
  if (shown == NULL)
    shown = raw;
  g_hash_table_add (walk->seen, g_strdup (shown));
  if (is_untranslated_msgid (raw) || is_untranslated_msgid (shown))
    offend (walk, path, what, shown, "a msgid shown untranslated");
  else if ((word = find_english_word (shown)) != NULL)
    {
      g_autofree char *why = g_strdup_printf ("English word “%s”", word);

      offend (walk, path, what, shown, why);
    }
}

static void
check_string_property (Walk       *walk,
                       const char *path,
                       GObject    *object,
                       const char *property)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), property);
  g_autofree char *value = NULL;

  if (pspec == NULL || pspec->value_type != G_TYPE_STRING || !(pspec->flags & G_PARAM_READABLE))
    return;
  g_object_get (object, property, &value, NULL);
  /* Markup (a tooltip, a row title) is checked as the text it shows. */
  if (value != NULL && strchr (value, '<') != NULL)
    {
      g_autofree char *text = NULL;

      if (pango_parse_markup (value, -1, 0, NULL, &text, NULL, NULL))
        {
          check_string (walk, path, property, value, text);
          return;
        }
    }
  check_string (walk, path, property, value, NULL);
}

/* GTK 4.8 has no getter for accessible properties; the test API's check
 * returns the value when it differs from the one given, and nothing
 * real is "\x01". */
static char *
dup_accessible_property (GtkAccessible         *accessible,
                         GtkAccessibleProperty  property)
{
  if (!gtk_test_accessible_has_property (accessible, property))
    return NULL;
  return gtk_test_accessible_check_property (accessible, property, "\x01");
}

static gboolean
is_icon_only_button (GtkWidget *widget)
{
  GtkAccessibleRole role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget));

  /* One GTK keeps from screen readers (a spin button's + and -: the spin
   * button, named, is what they read and change) is not heard. */
  if (role == GTK_ACCESSIBLE_ROLE_NONE || role == GTK_ACCESSIBLE_ROLE_PRESENTATION)
    return FALSE;
  if (GTK_IS_MENU_BUTTON (widget))
    return gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (widget)) != NULL &&
           gtk_menu_button_get_label (GTK_MENU_BUTTON (widget)) == NULL;
  if (GTK_IS_BUTTON (widget))
    return GTK_IS_IMAGE (gtk_button_get_child (GTK_BUTTON (widget)));
  return FALSE;
}

static void
walk_menu_model (Walk       *walk,
                 const char *path,
                 GMenuModel *model)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *item_path = g_strdup_printf ("%s[%d]", path, i);
      g_autofree char *label = NULL;
      g_autoptr(GMenuLinkIter) links = g_menu_model_iterate_item_links (model, i);
      const char *link_name;
      GMenuModel *link;

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
        {
          g_autoptr(GString) shown = g_string_new (NULL);

          /* A mnemonic is not shown: "__" is one underscore. */
          for (const char *p = label; *p != '\0'; p++)
            if (*p != '_' || p[1] == '_')
              g_string_append_c (shown, *p == '_' ? *++p : *p);
          check_string (walk, item_path, "menu item", label, shown->str);
        }
      while (g_menu_link_iter_get_next (links, &link_name, &link))
        {
          walk_menu_model (walk, item_path, link);
          g_object_unref (link);
        }
    }
}

/* The id a .ui file gave widget, NULL for none or one made up by
 * GtkBuilder. */
static const char *
buildable_id (GtkWidget *widget)
{
  const char *id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget));

  return id != NULL && !g_str_has_prefix (id, "___object_") ? id : NULL;
}

static gboolean
has_buildable_id (GtkWidget     *widget,
                  gconstpointer  id)
{
  return g_strcmp0 (buildable_id (widget), id) == 0;
}

static void
walk_widget_at (Walk       *walk,
                GtkWidget  *widget,
                const char *parent_path)
{
  const char *id = buildable_id (widget);
  g_autofree char *path = g_strdup_printf ("%s%s%s%s%s", parent_path != NULL ? parent_path : "",
                                           parent_path != NULL ? "/" : "", G_OBJECT_TYPE_NAME (widget),
                                           id != NULL ? "#" : "", id != NULL ? id : "");
  g_autofree char *accessible_label = dup_accessible_property (GTK_ACCESSIBLE (widget),
                                                              GTK_ACCESSIBLE_PROPERTY_LABEL);
  g_autofree char *accessible_description = dup_accessible_property (GTK_ACCESSIBLE (widget),
                                                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);

  if (GTK_IS_LABEL (widget))
    {
      check_string (walk, path, "label", gtk_label_get_label (GTK_LABEL (widget)),
                    gtk_label_get_text (GTK_LABEL (widget)));
    }
  else
    for (guint i = 0; i < G_N_ELEMENTS (shown_properties); i++)
      check_string_property (walk, path, G_OBJECT (widget), shown_properties[i]);
  /* A label's accessible label is its text, checked above. */
  if (!GTK_IS_LABEL (widget))
    check_string (walk, path, "accessible label", accessible_label, NULL);
  check_string (walk, path, "accessible description", accessible_description, NULL);

  /* GTK labels a button by its child, an image here: that says nothing.
   * Only what is on screen is read: a button of a page not shown may be
   * named when it shows (see osi-a11y.c). GTK's file chooser is out of
   * reach (its path bar's buttons): on a desktop the portal's own chooser
   * shows instead. */
  if (is_icon_only_button (widget) && gtk_widget_get_mapped (widget) && accessible_label == NULL &&
      gtk_widget_get_ancestor (widget, GTK_TYPE_FILE_CHOOSER_WIDGET) == NULL)
    {
      GtkWidget *child = GTK_IS_BUTTON (widget) ? gtk_button_get_child (GTK_BUTTON (widget)) : NULL;
      const char *icon = child != NULL && GTK_IS_IMAGE (child) ? gtk_image_get_icon_name (GTK_IMAGE (child)) : NULL;

      offend (walk, path, "icon-only button", icon != NULL ? icon : "", "no accessible label");
    }

  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)) != NULL)
    walk_menu_model (walk, path, gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    walk_widget_at (walk, child, path);
}

/* Walks widget and everything in it, the parts not shown at the moment
 * too (other stack pages, hidden labels): they show in other states. */
static void
walk_widget (Walk      *walk,
             GtkWidget *widget)
{
  walk_widget_at (walk, widget, NULL);
}

static void
walk_toast (Walk      *walk,
            OsiWindow *window)
{
  check_string (walk, G_OBJECT_TYPE_NAME (window), "toast", osi_window_get_last_toast (window), NULL);
}

/* ------------------------------------------------------------------------ */
/* The cases: one window or dialog each, in one or more states             */

static void
case_connect (Walk *walk)
{
  OsiWindow *window = open_window (NULL, NULL);

  g_assert_cmpstr (osi_window_get_state (window), ==, "connect");
  walk_widget (walk, GTK_WIDGET (window));
  /* Connecting without an address says what to type. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL));
  walk_widget (walk, GTK_WIDGET (window));
  close_window (window);
}

static void
case_loading (Walk *walk)
{
  OsiWindow *window = open_window (shared.server->url, TOKEN);

  /* The list is asked for: nothing came yet. */
  g_assert_cmpstr (osi_window_get_state (window), ==, "loading");
  walk_widget (walk, GTK_WIDGET (window));
  close_window (window);
}

static void
case_unreachable (Walk *walk)
{
  /* Nothing listens on port 1. */
  OsiWindow *window = open_window ("http://127.0.0.1:1", TOKEN);

  wait_idle (window);
  g_assert_cmpstr (osi_window_get_state (window), ==, "unreachable");
  g_assert_nonnull (osi_window_get_banner_text (window));
  walk_widget (walk, GTK_WIDGET (window));
  close_window (window);
}

static void
case_refused (Walk *walk)
{
  OsiWindow *window = open_window (shared.server->url, "not-the-token");

  wait_idle (window);
  g_assert_cmpstr (osi_window_get_state (window), ==, "unreachable");
  walk_widget (walk, GTK_WIDGET (window));
  close_window (window);
}

static void
case_list (Walk *walk)
{
  OsiWindow *window = open_list_window ();

  g_assert_cmpstr (osi_window_get_list_state (window), ==, "rows");
  osi_test_settle ();
  walk_widget (walk, GTK_WIDGET (window));
  close_window (window);
}

static gboolean
no_results_shown (gpointer data)
{
  return g_strcmp0 (osi_window_get_list_state (OSI_WINDOW (data)), "no-results") == 0;
}

static void
case_no_results (Walk *walk)
{
  OsiWindow *window = open_list_window ();

  gtk_editable_set_text (osi_window_get_search_entry (window), "zzz-nothing-like-this");
  osi_test_wait_for (no_results_shown, window, "the search to find nothing");
  walk_widget (walk, GTK_WIDGET (window));
  close_window (window);
}

/* A server of its own, stopped once the list came: the banner over the
 * list says why the refresh failed. */
static void
case_banner (Walk *walk)
{
  OsiTestServer *server = osi_test_server_start (shared.tmp, shared.data, shared.backups, TOKEN, NULL);
  OsiWindow *window = open_window (server->url, TOKEN);

  wait_idle (window);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL));
  wait_idle (window);
  g_assert_cmpstr (osi_window_get_state (window), ==, "list");
  g_assert_nonnull (osi_window_get_banner_text (window));
  walk_widget (walk, GTK_WIDGET (window));
  close_window (window);
  osi_test_server_free (server);
}

typedef struct
{
  Walk      *walk;
  OsiWindow *window;
  guint      n_changes;
} StatusWatch;

/* Each text of the status line is checked as it shows: a progress line
 * may last a few milliseconds. */
static void
on_status_text (GtkLabel    *label,
                GParamSpec  *pspec,
                StatusWatch *watch)
{
  watch->n_changes++;
  check_string (watch->walk, "OsiWindow/status_label", "status", gtk_label_get_label (label), NULL);
}

/* A download under way (its status line, its progress), then its toast;
 * then the offline check of the file downloaded (its status line and its
 * report). */
static void
case_download_and_check (Walk *walk)
{
  g_autofree char *big = g_build_filename (shared.backups, BIG_BACKUP, NULL);
  g_autofree char *folder = g_build_filename (shared.tmp, "downloads", NULL);
  g_autofree char *downloaded = g_build_filename (folder, BIG_BACKUP, NULL);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  StatusWatch watch = { walk, NULL, 0 };
  OsiWindow *window;
  GtkLabel *status;
  gulong id;

  osi_test_write_random_file (big, BIG_SIZE, 5);
  g_settings_set_string (settings, "download-folder", folder);
  window = open_list_window ();
  status = GTK_LABEL (find_widget (GTK_WIDGET (window), is_label_with_class, "transfer-status"));
  g_assert_nonnull (status);
  id = g_signal_connect (status, "notify::label", G_CALLBACK (on_status_text), &watch);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.download", "s", BIG_BACKUP));
  g_assert_true (osi_window_get_working (window));
  walk_widget (walk, GTK_WIDGET (window));
  wait_idle (window);
  g_assert_cmpint (g_file_test (downloaded, G_FILE_TEST_IS_REGULAR), ==, TRUE);
  walk_toast (walk, window);
  walk_widget (walk, GTK_WIDGET (window));

  /* Random bytes: the check finds it cannot be restored. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.check-path", "s", downloaded));
  walk_widget (walk, GTK_WIDGET (window));
  wait_idle (window);
  g_assert_nonnull (osi_window_get_check_window (window));
  walk_widget (walk, GTK_WIDGET (osi_window_get_check_window (window)));
  gtk_window_destroy (GTK_WINDOW (osi_window_get_check_window (window)));

  /* The status line said where it was at least once beside its first
   * sentence. */
  g_assert_cmpuint (watch.n_changes, >=, 2);
  g_signal_handler_disconnect (status, id);
  close_window (window);
  g_settings_reset (settings, "download-folder");
  g_unlink (big);
}

/* The report of a backup that passes (its manifest, its files, the
 * recent checks), and the comparison of it with an empty data folder
 * (every entry and file added). */
static void
case_report_and_compare (Walk *walk)
{
  g_autoptr(GDir) dir = g_dir_open (shared.backups, 0, NULL);
  g_autofree char *path = NULL;
  g_autofree char *empty = g_build_filename (shared.tmp, "empty-data", NULL);
  g_autofree char *empty_config = g_build_filename (empty, "config", NULL);
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  OsiCheckWindow *report;
  OsiDiffWindow *compare;
  OsiWindow *window;
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL && !g_str_has_suffix (name, ".tar.zst"))
    ;
  g_assert_nonnull (name);
  path = g_build_filename (shared.backups, name, NULL);
  window = open_list_window ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.check-path", "s", path));
  wait_idle (window);
  report = osi_window_get_check_window (window);
  g_assert_nonnull (report);
  g_assert_true (osi_check_window_can_restore (report));
  walk_widget (walk, GTK_WIDGET (report));

  g_assert_cmpint (g_mkdir_with_parents (empty_config, 0700), ==, 0);
  diff = osi_diff_compare (empty, path, NULL, &error);
  g_assert_no_error (error);
  compare = osi_diff_window_new (GTK_WINDOW (report), diff, empty, name);
  gtk_window_present (GTK_WINDOW (compare));
  walk_widget (walk, GTK_WIDGET (compare));
  gtk_window_destroy (GTK_WINDOW (compare));
  gtk_window_destroy (GTK_WINDOW (report));
  close_window (window);
}

/* The confirmation of action on the list window, walked, then cancelled.
 * Its buttons have mnemonics: Alt and a letter answer it. */
static void
walk_confirmation (Walk       *walk,
                   OsiWindow  *window,
                   const char *action,
                   const char *target)
{
  AdwMessageDialog *dialog;

  if (target != NULL)
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, "s", target));
  else
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, NULL));
  /* A clean-up asks the server for its plan first. */
  osi_test_wait_for (dialog_shown, window, "the dialog");
  dialog = osi_window_get_dialog (window);
  walk_widget (walk, GTK_WIDGET (dialog));
  for (const char *const *id = (const char *const[]) { "cancel", "create", "restore", "delete", "close", "save",
                                                      "unprotect", "prune", NULL };
       *id != NULL; id++)
    if (adw_message_dialog_has_response (dialog, *id))
      {
        const char *label = adw_message_dialog_get_response_label (dialog, *id);

        if (strchr (label, '_') == NULL)
          offend (walk, "AdwMessageDialog", "response without a mnemonic", label, "no underscore");
      }
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_null (osi_window_get_dialog (window));
}

static void
case_confirmations (Walk *walk)
{
  OsiWindow *window = open_list_window ();
  g_autoptr(OsiBackupInfo) first = g_list_model_get_item (osi_window_get_page_model (window), 0);

  walk_confirmation (walk, window, "win.create", NULL);
  walk_confirmation (walk, window, "win.restore", osi_backup_info_get_name (first));
  walk_confirmation (walk, window, "win.delete", osi_backup_info_get_name (first));
  close_window (window);
}

/* A server without backups: the empty page; one backup created (its
 * toast), restored (its toast: the server made a safety backup), then
 * deleted: the confirmation warns that few would remain, the toast says
 * it is done. */
static void
case_empty (Walk *walk)
{
  OsiTestServer *server = osi_test_server_start (shared.tmp, shared.data, shared.empty_backups, TOKEN, NULL);
  OsiWindow *window = open_window (server->url, TOKEN);
  g_autoptr(OsiBackupInfo) created = NULL;

  wait_idle (window);
  g_assert_cmpstr (osi_window_get_state (window), ==, "empty");
  walk_widget (walk, GTK_WIDGET (window));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.create", NULL));
  adw_message_dialog_response (osi_window_get_dialog (window), "create");
  gtk_window_destroy (GTK_WINDOW (osi_window_get_dialog (window)));
  /* The status line while the server works. */
  walk_widget (walk, GTK_WIDGET (window));
  wait_idle (window);
  walk_toast (walk, window);
  g_assert_cmpstr (osi_window_get_state (window), ==, "list");
  created = g_list_model_get_item (G_LIST_MODEL (osi_window_get_store (window)), 0);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.restore", "s",
                                             osi_backup_info_get_name (created)));
  adw_message_dialog_response (osi_window_get_dialog (window), "restore");
  gtk_window_destroy (GTK_WINDOW (osi_window_get_dialog (window)));
  walk_widget (walk, GTK_WIDGET (window));
  wait_idle (window);
  g_assert_null (osi_window_get_dialog (window));
  walk_toast (walk, window);

  walk_confirmation (walk, window, "win.delete", osi_backup_info_get_name (created));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.delete", "s",
                                             osi_backup_info_get_name (created)));
  adw_message_dialog_response (osi_window_get_dialog (window), "delete");
  gtk_window_destroy (GTK_WINDOW (osi_window_get_dialog (window)));
  wait_idle (window);
  walk_toast (walk, window);
  walk_widget (walk, GTK_WIDGET (window));

  close_window (window);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

/* Errors: a restore of a backup the server does not have, a download
 * into a folder that cannot be made. */
static void
case_errors (Walk *walk)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *blocker = g_build_filename (shared.tmp, "not-a-folder", NULL);
  g_autofree char *folder = g_build_filename (blocker, "downloads", NULL);
  OsiWindow *window = open_list_window ();
  g_autoptr(OsiBackupInfo) first = g_list_model_get_item (osi_window_get_page_model (window), 0);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.restore", "s", "backup_19990101_000000.tar.zst"));
  adw_message_dialog_response (osi_window_get_dialog (window), "restore");
  gtk_window_destroy (GTK_WINDOW (osi_window_get_dialog (window)));
  wait_idle (window);
  osi_test_wait_for (dialog_shown, window, "the error");
  walk_widget (walk, GTK_WIDGET (osi_window_get_dialog (window)));
  gtk_window_destroy (GTK_WINDOW (osi_window_get_dialog (window)));
  osi_test_wait_for (dialog_gone, window, "the error to go");

  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  g_settings_set_string (settings, "download-folder", folder);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.download", "s",
                                             osi_backup_info_get_name (first)));
  /* The folder is made (here, not) off the UI thread. */
  osi_test_wait_for (dialog_shown, window, "the download folder's error");
  walk_widget (walk, GTK_WIDGET (osi_window_get_dialog (window)));
  gtk_window_destroy (GTK_WINDOW (osi_window_get_dialog (window)));
  g_settings_reset (settings, "download-folder");

  close_window (window);
}

static void
case_menu (Walk *walk)
{
  OsiWindow *window = open_list_window ();
  GtkWidget *button;
  GtkPopover *popover;

  button = find_widget (GTK_WIDGET (window), is_menu_button, NULL);
  g_assert_nonnull (button);
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  osi_test_settle ();
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (button));
  g_assert_nonnull (popover);
  walk_widget (walk, GTK_WIDGET (popover));
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  close_window (window);
}

/* The status row of the profile editor says when the test ended. */
static gboolean
row_test_done (gpointer data)
{
  GtkWidget *row = find_widget (data, has_name, "status-row");
  const char *subtitle = row != NULL ? adw_action_row_get_subtitle (ADW_ACTION_ROW (row)) : NULL;

  return subtitle != NULL && *subtitle != '\0' && strcmp (subtitle, _("Connecting…")) != 0;
}

/* Preferences, both pages, with a server profile open in its editor and
 * its connection tested; then the confirmation of its removal. */
static void
case_preferences (Walk *walk)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  OsiWindow *window = open_window (NULL, NULL);
  GtkWidget *preferences;
  GtkWidget *row;
  GtkWindow *confirmation;

  osi_profile_store_add (store, "127.0.0.1", shared.server->url, NULL);
  preferences = g_object_ref (GTK_WIDGET (osi_preferences_window_new (GTK_WINDOW (window), settings, store)));
  gtk_window_present (GTK_WINDOW (preferences));
  osi_test_settle ();
  walk_widget (walk, preferences);

  /* A new profile opens in the editor; its test fails without a host. */
  g_assert_true (gtk_widget_activate_action (preferences, "prefs.add-server", NULL));
  row = find_widget (preferences, has_name, "test-button");
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_activate_action (row, "server.test", NULL));
  walk_widget (walk, preferences);

  /* The first profile's test reaches the server: it has no token. */
  row = find_widget (preferences, has_name, "test-button");
  g_assert_true (gtk_widget_activate_action (row, "server.test", NULL));
  osi_test_wait_for (row_test_done, preferences, "the connection test");
  walk_widget (walk, preferences);

  g_assert_true (gtk_widget_activate_action (row, "server.remove", NULL));
  confirmation = osi_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (confirmation);
  walk_widget (walk, GTK_WIDGET (confirmation));
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
  OsiWindow *window = open_window (NULL, NULL);
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (shared.app),
                                                                "win.show-help-overlay");
  GtkShortcutsWindow *shortcuts;

  g_assert_cmpstr (accels[0], ==, "<Control>question");
  /* Built when first shown, then kept. */
  g_assert_null (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  osi_test_settle ();
  shortcuts = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_assert_nonnull (shortcuts);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (shortcuts)));
  gtk_widget_set_visible (GTK_WIDGET (shortcuts), FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  osi_test_settle ();
  g_assert_true (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)) == shortcuts);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (shortcuts)));
  walk_widget (walk, GTK_WIDGET (shortcuts));
  gtk_widget_set_visible (GTK_WIDGET (shortcuts), FALSE);
  close_window (window);
}

static void
case_about (Walk *walk)
{
  OsiWindow *window = open_window (NULL, NULL);
  GtkWindow *about;

  g_action_group_activate_action (G_ACTION_GROUP (shared.app), "about", NULL);
  about = osi_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  osi_test_settle ();
  walk_widget (walk, GTK_WIDGET (about));
  gtk_window_destroy (about);
  close_window (window);
}

/* The file chooser of "Check a Backup…" (GTK's own dialog without a
 * portal), opened on an empty download folder: no file names of the
 * machine's in it. */
static void
case_check_chooser (Walk *walk)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *folder = g_build_filename (shared.tmp, "chooser", NULL);
  OsiWindow *window;
  GtkWindow *chooser;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_settings_set_string (settings, "download-folder", folder);
  window = open_list_window ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.check-file", NULL));
  chooser = osi_test_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_nonnull (chooser);
  osi_test_settle ();
  walk_widget (walk, GTK_WIDGET (chooser));
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  osi_test_settle ();
  close_window (window);
  g_settings_reset (settings, "download-folder");
}

/* ------------------------------------------------------------------------ */
/* Keyboard and screen reader                                               */

/* Every row of the page says its backup's name, date and size, and can
 * take the focus. */
static void
case_rows (Walk *walk)
{
  OsiWindow *window = open_list_window ();
  GListModel *page = osi_window_get_page_model (window);
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  guint n_rows = 0;

  osi_test_settle ();
  for (guint i = 0; i < g_list_model_get_n_items (page); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (page, i);
      g_autofree char *size = g_format_size ((guint64)osi_backup_info_get_size (info));

      g_ptr_array_add (expected, g_strdup_printf ("%s, %s, %s", osi_backup_info_get_name (info),
                                                  osi_backup_info_get_display_date (info), size));
    }

  g_ptr_array_add (stack, window);
  while (stack->len > 0)
    {
      GtkWidget *widget = g_ptr_array_steal_index (stack, stack->len - 1);

      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        g_ptr_array_add (stack, child);
      /* The rows of backups, not the header row. */
      if (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget)) == GTK_ACCESSIBLE_ROLE_ROW &&
          GTK_IS_LIST_VIEW (gtk_widget_get_parent (widget)) &&
          gtk_widget_get_ancestor (widget, GTK_TYPE_COLUMN_VIEW) != NULL)
        {
          g_autofree char *label = dup_accessible_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL);

          if (!gtk_widget_get_visible (widget) || !gtk_widget_get_child_visible (widget))
            continue;
          n_rows++;
          g_assert_true (gtk_widget_get_focusable (widget));
          if (label == NULL || !g_ptr_array_find_with_equal_func (expected, label, g_str_equal, NULL))
            offend (walk, "OsiWindow/GtkColumnView/row", "row without its backup", label != NULL ? label : "",
                    "name, date and size expected");
        }
    }
  /* The view makes rows for what fits in the window, not the whole page. */
  g_assert_cmpuint (n_rows, >, 0);
  g_assert_cmpuint (n_rows, <=, g_list_model_get_n_items (page));
  close_window (window);
}

typedef enum
{
  REGION_OTHER,
  REGION_SEARCH,
  REGION_LIST,
  REGION_PAGES,
} Region;

static Region
region_of (GtkWidget *focus)
{
  for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent (w))
    {
      if (GTK_IS_SEARCH_ENTRY (w))
        return REGION_SEARCH;
      if (GTK_IS_COLUMN_VIEW (w))
        return REGION_LIST;
      if (gtk_widget_has_css_class (w, "pagination"))
        return REGION_PAGES;
    }
  return REGION_OTHER;
}

static gboolean
on_second_page (gpointer data)
{
  return osi_window_get_page (OSI_WINDOW (data)) == 1;
}

/* Tab goes from the search to the list to the pages, and the pages turn
 * from the keyboard. */
static void
case_tab_order (Walk *walk)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  OsiWindow *window;
  GtkWidget *focus;
  Region last = REGION_SEARCH;
  gboolean seen[REGION_PAGES + 1] = { FALSE };
  GtkWidget *page_size_label;

  /* Several pages: the buttons to turn them are on. */
  g_settings_set_enum (settings, "items-per-page", 10);
  window = open_list_window ();

  osi_test_settle ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL));
  g_assert_cmpint (region_of (gtk_root_get_focus (GTK_ROOT (window))), ==, REGION_SEARCH);
  seen[REGION_SEARCH] = TRUE;
  /* Tab stops at each row and each of its buttons (GTK 4.8's lists):
   * 4 stops a row, the header's and the pages' few. */
  for (guint i = 0; i < 100 && !seen[REGION_PAGES]; i++)
    {
      Region region;

      g_assert_true (gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD));
      region = region_of (gtk_root_get_focus (GTK_ROOT (window)));
      if (region == REGION_OTHER)
        continue;
      /* Never back: search, then list, then pages. */
      g_assert_cmpint (region, >=, last);
      last = region;
      seen[region] = TRUE;
    }
  g_assert_true (seen[REGION_LIST]);
  g_assert_true (seen[REGION_PAGES]);

  g_assert_cmpuint (osi_window_get_page (window), ==, 0);
  /* The page size is one Alt+letter away. */
  page_size_label = find_widget (GTK_WIDGET (window), has_buildable_id, "page_size_label");
  g_assert_nonnull (page_size_label);
  g_assert_cmpuint (gtk_label_get_mnemonic_keyval (GTK_LABEL (page_size_label)), !=, GDK_KEY_VoidSymbol);
  g_assert_true (GTK_IS_DROP_DOWN (gtk_label_get_mnemonic_widget (GTK_LABEL (page_size_label))));

  /* On the first page, the first button of the bar on is "next page":
   * Enter (activating the focus) turns the page. */
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_true (GTK_IS_BUTTON (focus));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (focus)), ==, "win.page-next");
  g_assert_true (gtk_widget_activate (focus));
  /* A button shows itself pressed for a moment, then clicks. */
  osi_test_wait_for (on_second_page, window, "the page to turn");
  close_window (window);
  g_settings_reset (settings, "items-per-page");
}

/* ------------------------------------------------------------------------ */

/* The deployed OSI backend (docs/api.md §5), its stand-in
 * (tests/osi-fastapi-backend.py) with malformed entries appended to its
 * list: the rows it cannot date or name (their tooltips), the restore
 * warning of a server without a preview, the toast of a refused name, the
 * report of an archive it cannot be sent, and the report of a .json
 * downloaded from it (unchanged since). */
#define SERVICE_BACKUP "search_backup_20260301_101500.json"

static void
case_fastapi (Walk *walk)
{
  g_autofree char *dir = g_build_filename (shared.tmp, "fastapi", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *backups = g_build_filename (dir, "backups", NULL);
  g_autofree char *backup = g_build_filename (backups, SERVICE_BACKUP, NULL);
  g_autofree char *folder = g_build_filename (dir, "downloads", NULL);
  g_autofree char *downloaded = g_build_filename (folder, SERVICE_BACKUP, NULL);
  g_autofree char *archive = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GDir) served = g_dir_open (shared.backups, 0, NULL);
  OsiTestServer *server;
  OsiCheckWindow *report;
  OsiWindow *window;
  const char *name;

  server = osi_test_fastapi_serve (data, backups, TOKEN,
                                   "[{\"name\": \"search_backup_nodate.json\"},"
                                   " {\"name\": \"search_backup_yesterday.json\", \"date\": \"yesterday\"},"
                                   " {\"name\": \"../../etc/passwd\", \"date\": \"2026-03-29T10:00:00\"},"
                                   " {\"date\": \"2026-03-30T10:00:00\"}]",
                                   NULL);
  g_assert_true (g_file_set_contents (backup, osi_test_valid_rag (), -1, NULL));
  g_settings_set_string (settings, "download-folder", folder);
  window = open_window (server->url, TOKEN);
  wait_idle (window);
  g_assert_cmpstr (osi_window_get_state (window), ==, "list");
  g_assert_true (osi_window_server_lacks (window, "upload"));
  osi_test_settle ();
  walk_widget (walk, GTK_WIDGET (window));

  walk_confirmation (walk, window, "win.restore", SERVICE_BACKUP);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.download", "s", "../../etc/passwd"));
  g_assert_nonnull (osi_window_get_last_toast (window));
  walk_toast (walk, window);

  /* An archive of our own server's, restorable, that this one cannot
   * receive: the report says why. */
  while ((name = g_dir_read_name (served)) != NULL && !g_str_has_suffix (name, ".tar.zst"))
    ;
  g_assert_nonnull (name);
  archive = g_build_filename (shared.backups, name, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.check-path", "s", archive));
  wait_idle (window);
  report = osi_window_get_check_window (window);
  g_assert_nonnull (report);
  g_assert_false (osi_check_window_can_restore (report));
  g_assert_nonnull (osi_check_window_get_restore_note (report));
  walk_widget (walk, GTK_WIDGET (report));

  /* The service's .json, downloaded then checked. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.download", "s", SERVICE_BACKUP));
  wait_idle (window);
  walk_toast (walk, window);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.check-path", "s", downloaded));
  wait_idle (window);
  osi_test_wait_download_text (report);
  walk_widget (walk, GTK_WIDGET (report));
  gtk_window_destroy (GTK_WINDOW (report));

  close_window (window);
  g_settings_reset (settings, "download-folder");
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

/* ------------------------------------------------------------------------ */
/* The backup policy (docs/api.md §6)                                       */

/* The accessible label of the list's row of the backup name, NULL if no
 * row shows it. */
static char *
dup_row_label (GtkWidget  *root,
               const char *name)
{
  g_autofree char *prefix = g_strdup_printf ("%s, ", name);

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      char *label = NULL;

      if (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (child)) == GTK_ACCESSIBLE_ROLE_ROW &&
          gtk_widget_get_ancestor (child, GTK_TYPE_COLUMN_VIEW) != NULL &&
          (label = dup_accessible_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL)) != NULL)
        {
          if (g_str_has_prefix (label, prefix))
            return label;
          g_free (label);
        }
      if ((label = dup_row_label (child, name)) != NULL)
        return label;
    }
  return NULL;
}

/* The row of name says its badge's words. */
static void
check_row_says (Walk       *walk,
                OsiWindow  *window,
                const char *name,
                const char *words)
{
  g_autofree char *label = dup_row_label (GTK_WIDGET (window), name);

  if (label == NULL || strstr (label, words) == NULL)
    offend (walk, "OsiWindow/GtkColumnView/row", "row without its badge", label != NULL ? label : "", words);
}

/* The list with every badge (the lock, the note, the kind, the
 * verification; the rows' names say them too) and the rows' protect and
 * note buttons; then the note's editor, the delete of a protected
 * backup, the clean-up's plan, the clean-up done, and then nothing to
 * clean up; the status line and the toasts meanwhile; last, the server
 * gone, the error of a protection. A server of its own: the others'
 * lists stay as they were. */
static void
case_policy_list (Walk *walk)
{
  OsiTestServer *server = osi_test_gui_server_start (&shared, "policy-backups", 6, TOKEN);
  OsiWindow *window = open_window (server->url, TOKEN);
  g_autofree char *protected = NULL;
  g_autofree char *noted = NULL;
  StatusWatch watch = { walk, NULL, 0 };
  GtkLabel *status;
  gulong id;

  wait_idle (window);
  /* What the status line says as each is done: protecting, saving a
   * note, working out a clean-up, cleaning up. */
  status = GTK_LABEL (find_widget (GTK_WIDGET (window), is_label_with_class, "transfer-status"));
  g_assert_nonnull (status);
  id = g_signal_connect (status, "notify::label", G_CALLBACK (on_status_text), &watch);
  osi_test_gui_add_badges (window, "Avant la migration vers la v2", &protected, &noted);
  walk_widget (walk, GTK_WIDGET (window));
  {
    g_autoptr(OsiBackupInfo) created = g_list_model_get_item (osi_window_get_sorted_model (window), 0);

    check_row_says (walk, window, protected, osi_backup_protected_text ());
    check_row_says (walk, window, noted, "Avant la migration vers la v2");
    check_row_says (walk, window, osi_backup_info_get_name (created), osi_backup_kind_text ("manual"));
  }
  walk_confirmation (walk, window, "win.edit-note", noted);
  walk_confirmation (walk, window, "win.delete", protected);
  walk_confirmation (walk, window, "win.prune", NULL);
  /* Unprotected: the toast. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.unprotect", "s", protected));
  wait_idle (window);
  walk_toast (walk, window);
  /* Cleaned up: the status line, the toast; then nothing left to clean
   * up. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.prune", NULL));
  osi_test_wait_for (dialog_shown, window, "the clean-up's plan");
  g_free (osi_test_answer_dialog (window, "prune"));
  walk_widget (walk, GTK_WIDGET (window));
  wait_idle (window);
  walk_toast (walk, window);
  walk_confirmation (walk, window, "win.prune", NULL);
  g_assert_cmpuint (watch.n_changes, >=, 4);
  g_signal_handler_disconnect (status, id);

  /* The server gone: the protection could not be changed. */
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.protect", "s", protected));
  osi_test_wait_for (dialog_shown, window, "the error");
  walk_widget (walk, GTK_WIDGET (osi_window_get_dialog (window)));
  gtk_window_destroy (GTK_WINDOW (osi_window_get_dialog (window)));
  osi_test_wait_for (dialog_gone, window, "the error to go");
  close_window (window);
  osi_test_server_free (server);
}

static gboolean
is_combo_row (GtkWidget     *widget,
              gconstpointer  unused)
{
  return ADW_IS_COMBO_ROW (widget);
}

/* Every widget in root (root included) that matches, depth first. */
static void
collect_widgets (GtkWidget *root,
                 Match      match,
                 GPtrArray *found)
{
  if (match (root, NULL))
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, match, found);
}

/* "Schedule and Retention" on a server with a policy: the schedule, the
 * retention's counts, the verification, the latest runs, the lists of
 * the drop-downs; saved, its toast and the next runs; then, the server
 * gone, a save refused (its reason over the page) and a policy that
 * cannot be read (the error page). */
static void
case_policy_window (Walk *walk)
{
  OsiTestServer *server = osi_test_gui_server_start (&shared, "policy-window-backups", 4, TOKEN);
  OsiWindow *window = open_window (server->url, TOKEN);
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  OsiPolicyWindow *policy;
  OsiPolicy edited;

  wait_idle (window);
  policy = osi_test_gui_open_policy_window (window);
  g_assert_cmpstr (osi_policy_window_get_state (policy), ==, "policy");
  walk_widget (walk, GTK_WIDGET (policy));

  /* Weekly, then monthly: the rows of each show. */
  osi_policy_window_get_policy (policy, &edited);
  edited.schedule.every = OSI_SCHEDULE_WEEKLY;
  edited.verify = OSI_VERIFY_DAILY;
  osi_policy_window_set_policy (policy, &edited);
  osi_test_settle ();
  walk_widget (walk, GTK_WIDGET (policy));
  collect_widgets (GTK_WIDGET (policy), is_combo_row, rows);
  g_assert_cmpuint (rows->len, ==, 3);
  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *popover;

      popover = osi_test_gui_pop_up_combo_row (g_ptr_array_index (rows, i));
      walk_widget (walk, popover);
      gtk_popover_popdown (GTK_POPOVER (popover));
      osi_test_settle ();
    }
  edited.schedule.every = OSI_SCHEDULE_MONTHLY;
  osi_policy_window_set_policy (policy, &edited);
  osi_policy_clear (&edited);
  osi_policy_window_save (policy);
  osi_test_gui_wait_policy_window (policy);
  g_assert_null (osi_policy_window_get_message (policy));
  check_string (walk, "OsiPolicyWindow", "toast", osi_policy_window_get_last_toast (policy), NULL);
  osi_test_settle ();
  walk_widget (walk, GTK_WIDGET (policy));

  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_policy_window_save (policy);
  osi_test_gui_wait_policy_window (policy);
  g_assert_nonnull (osi_policy_window_get_message (policy));
  walk_widget (walk, GTK_WIDGET (policy));
  gtk_window_destroy (GTK_WINDOW (policy));
  policy = osi_test_gui_open_policy_window (window);
  g_assert_cmpstr (osi_policy_window_get_state (policy), ==, "error");
  walk_widget (walk, GTK_WIDGET (policy));

  gtk_window_destroy (GTK_WINDOW (policy));
  close_window (window);
  osi_test_server_free (server);
}

/* The FastAPI stand-in of the deployed backend has no policy: the page
 * says so and offers a clean-up planned here, whose plan is walked too. */
static void
case_policy_unsupported (Walk *walk)
{
  OsiTestServer *server = osi_test_gui_fastapi_start (&shared, "fastapi-policy", 6, TOKEN);
  OsiPolicyWindow *policy;
  OsiWindow *window;

  window = open_window (server->url, TOKEN);
  wait_idle (window);
  g_assert_cmpstr (osi_window_get_state (window), ==, "list");
  policy = osi_test_gui_open_policy_window (window);
  g_assert_cmpstr (osi_policy_window_get_state (policy), ==, "unsupported");
  walk_widget (walk, GTK_WIDGET (policy));

  osi_policy_window_prune (policy);
  g_assert_nonnull (osi_window_get_dialog (window));
  walk_widget (walk, GTK_WIDGET (osi_window_get_dialog (window)));
  g_free (osi_test_answer_dialog (window, "cancel"));

  gtk_window_destroy (GTK_WINDOW (policy));
  close_window (window);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

typedef struct
{
  const char *name;
  void      (*run) (Walk *walk);
} Case;

/* ------------------------------------------------------------------------ */
/* Off-site copies (docs/api.md §7)                                         */

static OsiTestRgw *rgw;

/* The rows' off-site marks (their names say them too) and the section of
 * the copies whose local file is gone, with its « Rapatrier »; brought
 * back, the toast and its « Restaurer… », then the restore confirmation
 * it opens. A server of its own copying to a real RADOS Gateway, started
 * for this case. */
static void
case_offsite (Walk *walk)
{
  OsiTestServer *server;
  OsiWindow *window;
  g_autofree char *copied = NULL;
  g_autofree char *gone = NULL;
  AdwToast *toast;

  if (rgw == NULL && (rgw = osi_test_rgw_start (shared.tmp)) == NULL)
    return;
  server = osi_test_gui_offsite_server_start (&shared, "offsite-backups", 4, TOKEN, rgw);
  window = open_window (server->url, TOKEN);
  osi_test_gui_add_offsite_copies (window, &copied, &gone);
  walk_widget (walk, GTK_WIDGET (window));
  {
    OsiBackupInfo *info = NULL;
    GListModel *store = G_LIST_MODEL (osi_window_get_store (window));
    g_autofree char *mark = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (store) && info == NULL; i++)
      {
        g_autoptr(OsiBackupInfo) item = g_list_model_get_item (store, i);

        if (g_str_equal (osi_backup_info_get_name (item), copied))
          info = item;
      }
    g_assert_nonnull (info);
    mark = osi_backup_dup_offsite_text (info, -1, -1);
    g_assert_true (g_str_has_prefix (mark, "Copiée hors site le "));
    check_row_says (walk, window, copied, mark);
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.offsite-fetch", "s", gone));
  walk_widget (walk, GTK_WIDGET (window));
  wait_idle (window);
  walk_toast (walk, window);
  toast = osi_window_get_fetched_toast (window);
  g_assert_nonnull (toast);
  check_string (walk, "OsiWindow/toast", "button", adw_toast_get_button_label (toast), NULL);
  walk_confirmation (walk, window, "win.restore", gone);
  close_window (window);
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
}

static const Case cases[] = {
  { "main/connect", case_connect },
  { "main/loading", case_loading },
  { "main/unreachable", case_unreachable },
  { "main/refused", case_refused },
  { "main/list", case_list },
  { "main/no-results", case_no_results },
  { "main/banner", case_banner },
  { "main/empty", case_empty },
  { "main/download-and-check", case_download_and_check },
  { "check/report-and-compare", case_report_and_compare },
  { "main/menu", case_menu },
  { "dialogs/confirmations", case_confirmations },
  { "dialogs/errors", case_errors },
  { "dialogs/check-chooser", case_check_chooser },
  { "preferences", case_preferences },
  { "shortcuts", case_shortcuts },
  { "about", case_about },
  { "a11y/rows", case_rows },
  { "a11y/tab-order", case_tab_order },
  { "main/fastapi", case_fastapi },
  { "policy/list", case_policy_list },
  { "policy/window", case_policy_window },
  { "policy/unsupported", case_policy_unsupported },
  { "offsite", case_offsite },
};

static void
run_case (gconstpointer data)
{
  const Case *c = data;
  Walk walk;

  if (!have_display)
    {
      osi_test_missing ("no display");
      return;
    }
  if (shared.app == NULL)
    {
      osi_test_missing ("no fr_FR.UTF-8 locale");
      return;
    }
  walk_init (&walk);
  c->run (&walk);
  g_test_message ("%s: %u strings checked", c->name, g_hash_table_size (walk.seen));
  osi_test_offenders_check (walk.offenders, "strings still in English or unnamed");
  walk_clear (&walk);
}

/* The self-check: the walk sees an English string, and an unnamed icon
 * button on screen, but not one GTK keeps from screen readers. */
static void
test_walk_finds_english (void)
{
  Walk walk;
  GtkWidget *window;
  GtkWidget *box;

  if (!have_display)
    {
      osi_test_missing ("no display");
      return;
    }
  /* GTK 4.8's harmless snapshot warning is tolerated (a fatal warning
   * would end this program here); see osi-test-gui.c. */
  g_log_structured ("Gtk", G_LOG_LEVEL_WARNING, "MESSAGE", "Trying to snapshot %s %p without a current allocation",
                    "GtkButton", (void *)&walk);
  window = g_object_ref_sink (gtk_window_new ());
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  /* A msgid shown as is, an English sentence, user data and French. */
  gtk_box_append (GTK_BOX (box), gtk_label_new_with_mnemonic ("_Preferences"));
  gtk_box_append (GTK_BOX (box), gtk_label_new ("Cannot open it"));
  gtk_box_append (GTK_BOX (box), gtk_label_new ("backup_20260615_164210.tar.zst — http://server.example/"));
  /* A test folder's random name, as a file chooser's path bar shows it. */
  gtk_box_append (GTK_BOX (box), gtk_label_new ("osi-test-NEW8Y3"));
  gtk_box_append (GTK_BOX (box), gtk_label_new (_("_Preferences")));
  gtk_box_append (GTK_BOX (box), gtk_button_new_from_icon_name ("edit-undo-symbolic"));
  /* One kept from screen readers, as a spin button's + and -: not heard. */
  gtk_box_append (GTK_BOX (box), g_object_new (GTK_TYPE_BUTTON, "accessible-role", GTK_ACCESSIBLE_ROLE_NONE,
                                               "icon-name", "value-increase-symbolic", NULL));
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  osi_test_settle ();

  walk_init (&walk);
  walk_widget (&walk, box);
  for (guint i = 0; i < walk.offenders->len; i++)
    g_test_message ("%s", (char *)g_ptr_array_index (walk.offenders, i));
  g_assert_cmpuint (walk.offenders->len, ==, 3);
  g_assert_nonnull (strstr (g_ptr_array_index (walk.offenders, 0), "msgid"));
  g_assert_nonnull (strstr (g_ptr_array_index (walk.offenders, 1), "“Cannot”"));
  g_assert_nonnull (strstr (g_ptr_array_index (walk.offenders, 2), "no accessible label"));
  walk_clear (&walk);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
}

int
main (int argc, char **argv)
{
  const char *localedir = g_getenv ("OSI_BACKUP_LOCALEDIR");
  g_autofree char *home = osi_test_gui_private_user_dirs ("osi-test-french-XXXXXX");
  gboolean french;
  int status;

  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();

  /* Before GTK starts its threads; LANGUAGE also reaches the servers. */
  g_setenv ("LANGUAGE", "fr", TRUE);
  french = setlocale (LC_ALL, "fr_FR.UTF-8") != NULL;
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  english = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < G_N_ELEMENTS (english_words); i++)
    g_hash_table_add (english, (gpointer)english_words[i]);
  /* Backup and other file names, addresses, paths, «quoted» names, the
   * product's name, and the test's own folders (a file chooser's path bar
   * shows "osi-test-NEW8Y3", random letters that can spell "new" or "to"). */
  user_data_regex = g_regex_new ("[[:alnum:]_.-]+\\.(tar\\.zst|tar\\.gz|tgz|zip|json|part|pem)\\b"
                                 "|osi-test-[[:alnum:]]+"
                                 "|[a-z]+://[^[:space:]]*"
                                 "|(^|[[:space:]])/[^[:space:]]*"
                                 "|«[^»]*»|“[^”]*”"
                                 "|OSI Backup",
                                 G_REGEX_OPTIMIZE, 0, NULL);
  g_assert_nonnull (user_data_regex);

  osi_test_gui_set_log_writer ();
  gtk_disable_setlocale ();
  have_display = gtk_init_check ();
  if (have_display)
    adw_init ();
  if (have_display && french)
    {
      /* Without the catalog, check (a) would see nothing. */
      g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Backups"), !=, "Backups");
      osi_test_gui_shared_start (&shared, DATA_SIZE, N_BACKUPS, TOKEN);
    }

  g_test_add_func ("/french/self-check", test_walk_finds_english);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/french/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], run_case);
    }
  status = g_test_run ();
  g_clear_pointer (&rgw, osi_test_rgw_free);
  if (shared.app != NULL)
    osi_test_gui_shared_finish (&shared);
  g_regex_unref (user_data_regex);
  g_hash_table_unref (english);
  osi_test_remove_tmpdir (home);
  return status;
}
