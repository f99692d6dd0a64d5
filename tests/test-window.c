/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-archive.h"
#include "osi-check-history.h"
#include "osi-demo-data.h"
#include "osi-profile.h"
#include "osi-search.h"
#include "osi-test-gui.h"
#include "osi-test-io-watch.h"
#include "osi-test-support.h"

/* The main window under a display (Xvfb in CI), against a real
 * osi-backup-server holding 57 backups. Actions are fired by name,
 * confirmations answered through the dialog, and every expected count is
 * computed from the backup folder itself: the names, and the dates the
 * server reports (the files' mtimes) formatted in local time. */

#define TOKEN       "window-test-token-81c2"
#define N_BACKUPS   57
#define DATA_SIZE   (256 * 1024)
#define DATA_SEED   1

static gboolean have_display;

/* ------------------------------------------------------------------------ */
/* The backups on disk                                                      */

typedef struct
{
  char      *name;
  char      *display;   /* JJ/MM/AAAA HH:MM, local time */
  gint64     mtime;
} DiskBackup;

static void
disk_backup_free (DiskBackup *backup)
{
  g_free (backup->name);
  g_free (backup->display);
  g_free (backup);
}

/* Newest first, as the window sorts them (date, then name). */
static int
compare_disk_backups (gconstpointer a,
                      gconstpointer b)
{
  const DiskBackup *da = *(DiskBackup * const *)a;
  const DiskBackup *db = *(DiskBackup * const *)b;

  if (da->mtime != db->mtime)
    return da->mtime > db->mtime ? -1 : 1;
  return -strcmp (da->name, db->name);
}

/* What the server lists: every file of the folder ending in suffix (our
 * server's .tar.zst, the OSI backend's .json), dated by mtime. */
static GPtrArray *
disk_backups_with (const char *dir,
                   const char *suffix)
{
  GPtrArray *backups = g_ptr_array_new_with_free_func ((GDestroyNotify)disk_backup_free);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(GDateTime) date = NULL;
      DiskBackup *backup;
      GStatBuf st;

      if (name[0] == '.' || !g_str_has_suffix (name, suffix))
        continue;
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      date = g_date_time_new_from_unix_local (st.st_mtime);
      backup = g_new0 (DiskBackup, 1);
      backup->name = g_strdup (name);
      backup->display = osi_format_date (date);
      backup->mtime = st.st_mtime;
      g_ptr_array_add (backups, backup);
    }
  g_ptr_array_sort (backups, compare_disk_backups);
  return backups;
}

static GPtrArray *
disk_backups (const char *dir)
{
  return disk_backups_with (dir, ".tar.zst");
}

static guint
n_backups_on_disk (const char *dir)
{
  g_autoptr(GPtrArray) backups = disk_backups (dir);

  return backups->len;
}

static guint
n_pages_for (guint n_items,
             guint page_size)
{
  return MAX (1, (n_items + page_size - 1) / page_size);
}

/* The most frequent value of display[offset, offset + len) and how many
 * backups have it. */
static char *
most_frequent (GPtrArray *backups,
               guint      offset,
               guint      len,
               guint     *out_count)
{
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  char *best = NULL;
  guint best_count = 0;

  for (guint i = 0; i < backups->len; i++)
    {
      DiskBackup *backup = g_ptr_array_index (backups, i);
      g_autofree char *key = g_strndup (backup->display + offset, len);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1;

      if (count > best_count)
        {
          best_count = count;
          g_free (best);
          best = g_strdup (key);
        }
      g_hash_table_replace (counts, g_steal_pointer (&key), GUINT_TO_POINTER (count));
    }
  *out_count = best_count;
  return best;
}

/* ------------------------------------------------------------------------ */
/* The servers                                                              */

static OsiTestServer *
server_start (const char *tmp,
              const char *data,
              const char *backups)
{
  return osi_test_server_start (tmp, data, backups, TOKEN, NULL);
}

static void
server_stop (OsiTestServer *server)
{
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* The fixture: a server over a data folder and its backups, and a window
 * connected to it.                                                          */

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  char          *url;
  GSettings     *settings;
  OsiTestServer *server;
  OsiClient     *client;
  OsiWindow     *window;
} Fixture;

static GSettings *
fresh_settings (void)
{
  GSettings *settings = g_settings_new (APP_ID);

  /* The memory backend outlives each case: start from the defaults. */
  g_settings_reset (settings, "items-per-page");
  g_settings_reset (settings, "download-folder");
  return settings;
}

/* A fixed newest date, so that the names and dates (and thus the dates
 * that share a day) are the same on every run. */
static GDateTime *
newest_backup_date (void)
{
  return g_date_time_new_utc (2026, 6, 15, 16, 42, 10);
}

static OsiWindow *
new_window (OsiClient *client)
{
  OsiWindow *window = g_object_ref_sink (osi_window_new (NULL));

  gtk_window_present (GTK_WINDOW (window));
  if (client != NULL)
    {
      osi_window_set_client (window, client, NULL);
      osi_test_wait_idle (window);
    }
  return window;
}

/* The server half: data, n_backups backups, and the server over them. */
static void
fixture_serve (Fixture *f,
               guint    n_backups)
{
  g_autoptr(GDateTime) newest = newest_backup_date ();
  g_autoptr(GError) error = NULL;

  memset (f, 0, sizeof *f);
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, DATA_SIZE, DATA_SEED);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_true (osi_demo_backups_populate (f->backups, n_backups, newest, 7, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_backups_on_disk (f->backups), ==, n_backups);
  f->server = server_start (f->tmp, f->data, f->backups);
  f->url = g_strdup (f->server->url);
}

/* The window half, on f->url. page_size 0 keeps the default; token NULL
 * uses the right one. */
static void
fixture_open (Fixture    *f,
              guint       page_size,
              const char *token)
{
  f->settings = fresh_settings ();
  if (page_size != 0)
    g_settings_set_enum (f->settings, "items-per-page", (int)page_size);
  f->client = osi_client_new (f->url, token != NULL ? token : TOKEN);
  f->window = new_window (f->client);
}

/* FALSE, with the case skipped, without a display. */
static gboolean
display_available (void)
{
  if (!have_display)
    osi_test_missing ("no display");
  return have_display;
}

static gboolean
fixture_start (Fixture    *f,
               guint       n_backups,
               guint       page_size,
               const char *token)
{
  if (!display_available ())
    return FALSE;
  fixture_serve (f, n_backups);
  fixture_open (f, page_size, token);
  return TRUE;
}

/* Closes the window and checks that it and its models are freed. */
static void
close_window (OsiWindow *window)
{
  GListModel *page = g_object_ref (osi_window_get_page_model (window));
  GListModel *sorted = g_object_ref (osi_window_get_sorted_model (window));
  GListStore *store = g_object_ref (osi_window_get_store (window));

  osi_test_wait_idle (window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);
  g_assert_finalize_object (page);
  g_assert_finalize_object (sorted);
  g_assert_finalize_object (store);
}

static void
fixture_finish (Fixture *f)
{
  if (f->window != NULL)
    close_window (g_steal_pointer (&f->window));
  if (f->client != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->client));
  if (f->server != NULL)
    {
      /* A case may have stopped it already. */
      if (f->server->pid > 0)
        server_stop (f->server);
      osi_test_server_free (f->server);
    }
  g_clear_object (&f->settings);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
  g_free (f->url);
}

static void
activate (OsiWindow  *window,
          const char *action)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, NULL));
}

static void
activate_on (OsiWindow  *window,
             const char *action,
             const char *name)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, "s", name));
}

/* The button that fires action (without a target) in the window: GTK
 * makes it insensitive while the action is disabled, which is how the
 * state of an action shows. */
static GtkWidget *
find_action_button (GtkWidget  *root,
                    const char *action)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) &&
          g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), action) == 0 &&
          gtk_actionable_get_action_target_value (GTK_ACTIONABLE (child)) == NULL)
        return child;
      if ((found = find_action_button (child, action)) != NULL)
        return found;
    }
  return NULL;
}

static gboolean
action_enabled (OsiWindow  *window,
                const char *action)
{
  GtkWidget *button = find_action_button (GTK_WIDGET (window), action);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

static guint
n_items (GListModel *model)
{
  return g_list_model_get_n_items (model);
}

static OsiBackupInfo *
store_lookup (OsiWindow  *window,
              const char *name)
{
  GListModel *store = G_LIST_MODEL (osi_window_get_store (window));

  for (guint i = 0; i < n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      if (g_strcmp0 (osi_backup_info_get_name (info), name) == 0)
        return info;   /* the store keeps it */
    }
  return NULL;
}

static gboolean
store_has (OsiWindow  *window,
           const char *name)
{
  return store_lookup (window, name) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Typing a search                                                          */

static void
on_search_changed_count (guint *count)
{
  (*count)++;
}

typedef struct
{
  guint *count;
  guint  before;
} SearchWait;

static gboolean
search_applied (gpointer data)
{
  SearchWait *wait = data;

  return *wait->count > wait->before;
}

/* Types text into the search entry and waits for the entry to report
 * the search (it waits for a pause in typing); the window has filtered
 * by then, its handler being connected first. */
static void
type_search (OsiWindow  *window,
             const char *text)
{
  GtkEditable *entry = osi_window_get_search_entry (window);
  guint count = 0;
  SearchWait wait = { &count, 0 };
  gulong id;

  /* An unchanged text is no search. */
  if (g_strcmp0 (gtk_editable_get_text (entry), text) == 0)
    return;
  id = g_signal_connect_swapped (entry, "search-changed", G_CALLBACK (on_search_changed_count), &count);
  gtk_editable_set_text (entry, text);
  osi_test_wait_for (search_applied, &wait, "the search");
  g_signal_handler_disconnect (entry, id);
}

/* ------------------------------------------------------------------------ */
/* Pages                                                                    */

/* The backup names the column view's rows show on screen, after GTK has
 * laid them out. */
static void
collect_row_names (GtkWidget  *widget,
                   GHashTable *names,
                   GHashTable *shown)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      g_hash_table_contains (names, gtk_label_get_text (GTK_LABEL (widget))))
    g_hash_table_add (shown, g_strdup (gtk_label_get_text (GTK_LABEL (widget))));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_row_names (child, names, shown);
}

static GtkWidget *
find_column_view (GtkWidget *widget)
{
  if (GTK_IS_COLUMN_VIEW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_column_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
on_after_paint (GdkFrameClock *clock,
                guint         *painted)
{
  (*painted)++;
}

static gboolean
frame_painted (gpointer data)
{
  return *(guint *)data > 0;
}

/* A frame painted from now: its layout placed the rows. The test runs
 * between frames, never inside one. */
static void
wait_for_paint (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  guint painted = 0;
  gulong handler;

  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
  gtk_widget_queue_draw (widget);
  osi_test_wait_for (frame_painted, &painted, "a frame painted");
  g_signal_handler_disconnect (clock, handler);
}

/* The rows on screen follow the page: exactly its backups' names, as
 * the rows are reused from page to page (osi-slot-model.c). */
static void
check_rows (OsiWindow *window)
{
  GListModel *store = G_LIST_MODEL (osi_window_get_store (window));
  GListModel *page = osi_window_get_page_model (window);
  GtkWidget *view = find_column_view (GTK_WIDGET (window));
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_nonnull (view);
  if (!gtk_widget_get_mapped (view))
    return;
  wait_for_paint (view);
  for (guint i = 0; i < n_items (store); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      g_hash_table_add (names, (gpointer)osi_backup_info_get_name (info));
    }
  collect_row_names (view, names, shown);
  g_assert_cmpuint (g_hash_table_size (shown), ==, n_items (page));
  for (guint i = 0; i < n_items (page); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (page, i);

      if (!g_hash_table_contains (shown, osi_backup_info_get_name (info)))
        g_error ("%s is on the page but not on screen", osi_backup_info_get_name (info));
    }
}

static void
check_page (OsiWindow *window,
            guint      page,
            guint      n_shown,
            guint      page_size)
{
  guint n_pages = n_pages_for (n_shown, page_size);
  guint on_page = MIN (page_size, n_shown - MIN (n_shown, page * page_size));
  g_autofree char *text = g_strdup_printf ("Page %u of %u", page + 1, n_pages);

  g_assert_cmpuint (osi_window_get_page (window), ==, page);
  g_assert_cmpuint (osi_window_get_n_pages (window), ==, n_pages);
  g_assert_cmpstr (osi_window_get_page_text (window), ==, text);
  g_assert_cmpuint (n_items (osi_window_get_page_model (window)), ==, on_page);
  g_assert_cmpint (action_enabled (window, "win.page-first"), ==, page > 0);
  g_assert_cmpint (action_enabled (window, "win.page-previous"), ==, page > 0);
  g_assert_cmpint (action_enabled (window, "win.page-next"), ==, page + 1 < n_pages);
  g_assert_cmpint (action_enabled (window, "win.page-last"), ==, page + 1 < n_pages);
  if (page_size <= 10)
    check_rows (window);
}

static void
test_pages (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autofree char *count = NULL;
  guint total, last;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  backups = disk_backups (f.backups);
  total = backups->len;
  last = n_pages_for (total, 10) - 1;
  g_assert_cmpuint (last + 1, ==, 6);

  g_assert_cmpstr (osi_window_get_state (f.window), ==, "list");
  g_assert_cmpstr (osi_window_get_list_state (f.window), ==, "rows");
  g_assert_null (osi_window_get_banner_text (f.window));
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, total);
  g_assert_cmpuint (n_items (osi_window_get_sorted_model (f.window)), ==, total);
  count = g_strdup_printf ("%u backups", total);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);
  check_page (f.window, 0, total, 10);
  g_assert_cmpstr (osi_window_get_page_text (f.window), ==, "Page 1 of 6");

  /* Newest first: the page shows the ten newest backups in order. */
  for (guint i = 0; i < n_items (osi_window_get_page_model (f.window)); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (osi_window_get_page_model (f.window), i);
      DiskBackup *expected = g_ptr_array_index (backups, i);

      g_assert_cmpstr (osi_backup_info_get_name (info), ==, expected->name);
      g_assert_cmpstr (osi_backup_info_get_display_date (info), ==, expected->display);
    }

  /* On the first page, going back does nothing. */
  activate (f.window, "win.page-previous");
  check_page (f.window, 0, total, 10);
  activate (f.window, "win.page-first");
  check_page (f.window, 0, total, 10);

  activate (f.window, "win.page-next");
  check_page (f.window, 1, total, 10);
  {
    g_autoptr(OsiBackupInfo) info = g_list_model_get_item (osi_window_get_page_model (f.window), 0);
    DiskBackup *expected = g_ptr_array_index (backups, 10);

    g_assert_cmpstr (osi_backup_info_get_name (info), ==, expected->name);
  }
  activate (f.window, "win.page-next");
  check_page (f.window, 2, total, 10);
  activate (f.window, "win.page-previous");
  check_page (f.window, 1, total, 10);

  activate (f.window, "win.page-last");
  check_page (f.window, last, total, 10);
  {
    g_autoptr(OsiBackupInfo) info = g_list_model_get_item (osi_window_get_page_model (f.window),
                                                           n_items (osi_window_get_page_model (f.window)) - 1);
    DiskBackup *oldest = g_ptr_array_index (backups, total - 1);

    g_assert_cmpstr (osi_backup_info_get_name (info), ==, oldest->name);
  }
  /* On the last page, going on does nothing. */
  activate (f.window, "win.page-next");
  check_page (f.window, last, total, 10);
  activate (f.window, "win.page-last");
  check_page (f.window, last, total, 10);

  activate (f.window, "win.page-first");
  check_page (f.window, 0, total, 10);

  fixture_finish (&f);
}

/* The page size follows the setting while the window is open (the bar's
 * menu and Preferences both write the setting), keeping the first backup
 * shown in view. */
static void
test_page_size_setting (void)
{
  Fixture f;
  guint total;

  if (!fixture_start (&f, N_BACKUPS, 0, NULL))
    return;
  total = n_backups_on_disk (f.backups);
  g_assert_cmpint (g_settings_get_enum (f.settings, "items-per-page"), ==, 25);
  check_page (f.window, 0, total, 25);

  g_settings_set_enum (f.settings, "items-per-page", 10);
  check_page (f.window, 0, total, 10);
  activate (f.window, "win.page-last");
  check_page (f.window, n_pages_for (total, 10) - 1, total, 10);

  /* The first backup shown (the 51st) stays in view: page 3 of 25, then
   * 1 of 100. */
  g_settings_set_enum (f.settings, "items-per-page", 25);
  check_page (f.window, (n_pages_for (total, 10) - 1) * 10 / 25, total, 25);
  g_settings_set_enum (f.settings, "items-per-page", 100);
  check_page (f.window, 0, total, 100);

  fixture_finish (&f);
}

/* Items that disappear leave a valid page: the last one that remains. */
static void
test_page_stays_valid (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  guint total, remove, last;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  backups = disk_backups (f.backups);
  total = backups->len;
  activate (f.window, "win.page-last");
  last = n_pages_for (total, 10) - 1;
  check_page (f.window, last, total, 10);

  /* Empty the last page, and one more, on the server's disk. */
  remove = total - (last - 1) * 10 + 1;
  g_assert_cmpuint (remove, <, total);
  for (guint i = 0; i < remove; i++)
    {
      DiskBackup *backup = g_ptr_array_index (backups, total - 1 - i);
      g_autofree char *path = g_build_filename (f.backups, backup->name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  activate (f.window, "win.refresh");
  osi_test_wait_idle (f.window);
  g_assert_null (osi_window_get_banner_text (f.window));
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, total - remove);
  check_page (f.window, n_pages_for (total - remove, 10) - 1, total - remove, 10);
  g_assert_cmpuint (osi_window_get_page (f.window), ==, last - 2);

  /* Through the window: delete backups on the last page until it goes. */
  while (osi_window_get_page (f.window) == last - 2)
    {
      GListModel *page = osi_window_get_page_model (f.window);
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (page, n_items (page) - 1);
      g_autofree char *body = NULL;

      activate_on (f.window, "win.delete", osi_backup_info_get_name (info));
      body = osi_test_answer_dialog (f.window, "delete");
      osi_test_wait_idle (f.window);
    }
  total = n_backups_on_disk (f.backups);
  g_assert_cmpuint (total, ==, (last - 2) * 10);
  check_page (f.window, last - 3, total, 10);

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Search                                                                   */

/* Goes to page 3, searches, and checks the counts and page 1. */
static void
check_search (Fixture    *f,
              const char *text,
              guint       expected)
{
  guint total = n_items (G_LIST_MODEL (osi_window_get_store (f->window)));
  g_autofree char *count = g_strdup_printf ("%u backups (%u filtered)", total, expected);

  type_search (f->window, "");
  activate (f->window, "win.page-first");
  activate (f->window, "win.page-next");
  activate (f->window, "win.page-next");
  g_assert_cmpuint (osi_window_get_page (f->window), ==, 2);

  type_search (f->window, text);
  g_test_message ("search “%s”: %u of %u", text, expected, total);
  g_assert_cmpuint (n_items (osi_window_get_sorted_model (f->window)), ==, expected);
  g_assert_cmpstr (osi_window_get_count_text (f->window), ==, count);
  check_page (f->window, 0, expected, 10);
  g_assert_cmpstr (osi_window_get_list_state (f->window), ==, expected > 0 ? "rows" : "no-results");
}

static guint
count_names_with (GPtrArray  *backups,
                  const char *fragment)
{
  guint n = 0;

  for (guint i = 0; i < backups->len; i++)
    if (strstr (((DiskBackup *)g_ptr_array_index (backups, i))->name, fragment) != NULL)
      n++;
  return n;
}

static void
test_search (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autofree char *date = NULL;
  g_autofree char *time = NULL;
  g_autofree char *fragment = NULL;
  g_autofree char *typed = NULL;
  g_autofree char *count = NULL;
  guint n_date, n_time, n_name, total;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  backups = disk_backups (f.backups);
  total = backups->len;

  /* JJ/MM/AAAA: the day with the most backups (local time). */
  date = most_frequent (backups, 0, 10, &n_date);
  g_assert_cmpuint (n_date, >=, 2);
  check_search (&f, date, n_date);
  for (guint i = 0; i < n_items (osi_window_get_sorted_model (f.window)); i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (osi_window_get_sorted_model (f.window), i);

      g_assert_true (g_str_has_prefix (osi_backup_info_get_display_date (info), date));
    }

  /* HH:MM: the most frequent time of day. */
  time = most_frequent (backups, 11, 5, &n_time);
  g_assert_cmpuint (n_time, >=, 1);
  g_assert_cmpuint (n_time, <, total);
  check_search (&f, time, n_time);

  /* Part of a name, in capitals: the month of the newest backup
   * ("backup_YYYYMM"), which the older backups do not all share. */
  fragment = g_strndup (((DiskBackup *)g_ptr_array_index (backups, 0))->name, strlen ("backup_YYYYMM"));
  n_name = count_names_with (backups, fragment);
  g_assert_cmpuint (n_name, >, 0);
  g_assert_cmpuint (n_name, <, total);
  typed = g_ascii_strup (fragment, -1);
  check_search (&f, typed, n_name);

  /* A search that still has a page 3 goes back to page 1 all the same:
   * the year of the newest backup in its name ("backup_YYYY"). */
  g_free (fragment);
  fragment = g_strndup (((DiskBackup *)g_ptr_array_index (backups, 0))->name, strlen ("backup_YYYY"));
  n_name = count_names_with (backups, fragment);
  g_assert_cmpuint (n_name, >, 2 * 10);
  g_assert_cmpuint (n_name, <, total);
  check_search (&f, fragment, n_name);

  /* Nothing found. */
  check_search (&f, "zzz-no-such-backup", 0);
  g_assert_cmpstr (osi_window_get_state (f.window), ==, "list");

  /* Clearing shows everything again. */
  type_search (f.window, "");
  count = g_strdup_printf ("%u backups", total);
  g_assert_cmpuint (n_items (osi_window_get_sorted_model (f.window)), ==, total);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);
  g_assert_cmpstr (osi_window_get_list_state (f.window), ==, "rows");
  check_page (f.window, 0, total, 10);

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Create, restore, delete                                                  */

/* The one backup of after that was not in before. */
static char *
new_backup_name (GPtrArray *before,
                 GPtrArray *after)
{
  char *found = NULL;

  for (guint i = 0; i < after->len; i++)
    {
      DiskBackup *a = g_ptr_array_index (after, i);
      gboolean known = FALSE;

      for (guint j = 0; j < before->len && !known; j++)
        known = g_str_equal (a->name, ((DiskBackup *)g_ptr_array_index (before, j))->name);
      if (!known)
        {
          g_assert_null (found);
          found = g_strdup (a->name);
        }
    }
  g_assert_nonnull (found);
  return found;
}

static void
test_create (void)
{
  Fixture f;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *created = NULL;
  g_autofree char *body = NULL;
  g_autofree char *count = NULL;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  before = disk_backups (f.backups);

  activate (f.window, "win.create");
  body = osi_test_answer_dialog (f.window, "create");
  g_assert_true (osi_window_get_working (f.window));
  /* One long operation at a time. */
  g_assert_false (action_enabled (f.window, "win.create"));
  g_assert_false (action_enabled (f.window, "win.refresh"));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_true (action_enabled (f.window, "win.create"));

  after = disk_backups (f.backups);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  created = new_backup_name (before, after);
  g_assert_nonnull (osi_window_get_last_toast (f.window));
  g_assert_nonnull (strstr (osi_window_get_last_toast (f.window), created));
  /* The list was refreshed: the new backup is first, newest. */
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, after->len);
  count = g_strdup_printf ("%u backups", after->len);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);
  {
    g_autoptr(OsiBackupInfo) first = g_list_model_get_item (osi_window_get_page_model (f.window), 0);

    g_assert_cmpstr (osi_backup_info_get_name (first), ==, created);
  }
  check_page (f.window, 0, after->len, 10);

  fixture_finish (&f);
}

static void
test_create_cancel (void)
{
  Fixture f;
  g_autofree char *body = NULL;
  g_autofree char *count = NULL;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;

  activate (f.window, "win.create");
  body = osi_test_answer_dialog (f.window, "cancel");
  g_assert_false (osi_window_get_working (f.window));
  osi_test_wait_idle (f.window);
  g_assert_cmpuint (n_backups_on_disk (f.backups), ==, N_BACKUPS);
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, N_BACKUPS);
  count = g_strdup_printf ("%u backups", N_BACKUPS);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);
  g_assert_null (osi_window_get_last_toast (f.window));

  fixture_finish (&f);
}

static char *
extract (const char *archive,
         const char *parent,
         const char *name)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_build_filename (parent, name, NULL);

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_true (osi_archive_extract (archive, dir, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  return dir;
}

/* The data the fixture started with, made again (it depends only on its
 * size and seed). */
static char *
original_data (Fixture *f)
{
  g_autofree char *parent = g_build_filename (f->tmp, "original", NULL);

  g_assert_cmpint (g_mkdir (parent, 0700), ==, 0);
  return osi_test_generate_data (parent, DATA_SIZE, DATA_SEED);
}

static void
assert_trees_equal (const char *a,
                    const char *b)
{
  g_autofree char *why = NULL;

  if (!osi_test_trees_equal (a, b, &why))
    g_error ("%s and %s differ: %s", a, b, why);
}

/* The name of the backup the toast of a restore names: the last word
 * that reads as a backup name. */
static char *
safety_named_in (const char *toast)
{
  g_auto(GStrv) words = g_regex_split_simple ("[\\s,]+", toast, 0, 0);
  char *found = NULL;

  for (guint i = 0; words[i] != NULL; i++)
    if (g_str_has_suffix (words[i], ".tar.zst") && osi_backup_name_is_valid (words[i]))
      {
        g_free (found);
        found = g_strdup (words[i]);
      }
  g_assert_nonnull (found);
  return found;
}

typedef struct
{
  OsiWindow  *window;
  const char *name;
} Listed;

static gboolean
shows_backup (gpointer data)
{
  Listed *listed = data;

  return store_has (listed->window, listed->name);
}

static void
test_restore (void)
{
  Fixture f;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *archive = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *original = NULL;
  g_autofree char *safety = NULL;
  g_autofree char *safety_path = NULL;
  g_autofree char *safety_tree = NULL;
  g_autofree char *body = NULL;
  DiskBackup *chosen;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  before = disk_backups (f.backups);
  original = original_data (&f);
  assert_trees_equal (original, f.data);

  /* An older backup, whose content is not the current data. */
  chosen = g_ptr_array_index (before, before->len - 1);
  archive = g_build_filename (f.backups, chosen->name, NULL);
  expected = extract (archive, f.tmp, "expected");
  g_assert_false (osi_test_trees_equal (expected, f.data, NULL));

  activate_on (f.window, "win.restore", chosen->name);
  body = osi_test_answer_dialog (f.window, "restore");
  /* The confirmation names the backup and its date. */
  g_assert_nonnull (strstr (body, chosen->name));
  g_assert_nonnull (strstr (body, chosen->display));
  /* Our server names its safety backup, and previews the changes. */
  g_assert_nonnull (strstr (body, "the safety backup the server makes"));
  g_assert_null (strstr (body, "does not show what a restore would change"));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_null (osi_window_get_banner_text (f.window));

  /* The data is now the backup's content. */
  assert_trees_equal (expected, f.data);

  /* The server keeps the data of before in a safety backup, made after
   * it answered: the toast names it, and the window reads the list again
   * until it shows it. */
  g_assert_nonnull (osi_window_get_last_toast (f.window));
  safety = safety_named_in (osi_window_get_last_toast (f.window));
  osi_test_wait_for (shows_backup, &(Listed) { f.window, safety }, "the safety backup in the list");
  after = disk_backups (f.backups);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  g_assert_cmpstr (new_backup_name (before, after), ==, safety);
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, after->len);
  safety_path = g_build_filename (f.backups, safety, NULL);
  safety_tree = extract (safety_path, f.tmp, "safety");
  assert_trees_equal (original, safety_tree);

  fixture_finish (&f);
}

static void
test_restore_cancel (void)
{
  Fixture f;
  g_autofree char *original = NULL;
  g_autofree char *body = NULL;
  DiskBackup *chosen;
  g_autoptr(GPtrArray) before = NULL;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  before = disk_backups (f.backups);
  original = original_data (&f);
  chosen = g_ptr_array_index (before, before->len - 1);

  activate_on (f.window, "win.restore", chosen->name);
  body = osi_test_answer_dialog (f.window, "cancel");
  g_assert_nonnull (strstr (body, chosen->name));
  /* No restore started (the question of what it would change may still
   * be on its way back). */
  g_assert_true (action_enabled (f.window, "win.create"));
  osi_test_wait_idle (f.window);
  assert_trees_equal (original, f.data);
  g_assert_cmpuint (n_backups_on_disk (f.backups), ==, before->len);
  g_assert_null (osi_window_get_last_toast (f.window));

  fixture_finish (&f);
}

static void
test_delete (void)
{
  Fixture f;
  g_autoptr(GPtrArray) before = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autofree char *count = NULL;
  DiskBackup *chosen;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  before = disk_backups (f.backups);
  chosen = g_ptr_array_index (before, 3);
  path = g_build_filename (f.backups, chosen->name, NULL);

  activate_on (f.window, "win.delete", chosen->name);
  body = osi_test_answer_dialog (f.window, "delete");
  g_assert_nonnull (strstr (body, chosen->name));
  g_assert_nonnull (strstr (body, chosen->display));
  /* Plenty remain: no warning. */
  g_assert_null (strstr (body, "would remain"));
  osi_test_wait_idle (f.window);

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (n_backups_on_disk (f.backups), ==, before->len - 1);
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, before->len - 1);
  g_assert_false (store_has (f.window, chosen->name));
  count = g_strdup_printf ("%u backups", before->len - 1);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "Backup deleted");

  fixture_finish (&f);
}

static void
test_delete_cancel (void)
{
  Fixture f;
  g_autoptr(GPtrArray) before = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  DiskBackup *chosen;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  before = disk_backups (f.backups);
  chosen = g_ptr_array_index (before, 0);
  path = g_build_filename (f.backups, chosen->name, NULL);

  activate_on (f.window, "win.delete", chosen->name);
  body = osi_test_answer_dialog (f.window, "cancel");
  g_assert_false (osi_window_get_working (f.window));
  osi_test_wait_idle (f.window);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (n_backups_on_disk (f.backups), ==, before->len);
  g_assert_true (store_has (f.window, chosen->name));
  g_assert_null (osi_window_get_last_toast (f.window));

  fixture_finish (&f);
}

/* With three backups, deleting one leaves fewer than three: the dialog
 * says so. */
static void
test_delete_warning (void)
{
  Fixture f;
  g_autoptr(GPtrArray) before = NULL;
  g_autofree char *body = NULL;
  g_autofree char *warning = NULL;

  if (!fixture_start (&f, 3, 10, NULL))
    return;
  before = disk_backups (f.backups);
  g_assert_cmpuint (before->len, ==, 3);

  activate_on (f.window, "win.delete", ((DiskBackup *)g_ptr_array_index (before, 0))->name);
  body = osi_test_answer_dialog (f.window, "cancel");
  warning = g_strdup_printf ("Only %u backups would remain", before->len - 1);
  g_assert_nonnull (strstr (body, warning));
  g_assert_nonnull (strstr (body, "keep at least three recent backups"));
  osi_test_wait_idle (f.window);
  g_assert_cmpuint (n_backups_on_disk (f.backups), ==, 3);
  fixture_finish (&f);

  /* The last one. */
  fixture_start (&f, 1, 10, NULL);
  g_clear_pointer (&before, g_ptr_array_unref);
  before = disk_backups (f.backups);
  activate_on (f.window, "win.delete", ((DiskBackup *)g_ptr_array_index (before, 0))->name);
  g_free (body);
  body = osi_test_answer_dialog (f.window, "cancel");
  g_assert_nonnull (strstr (body, "No backup would remain: keep at least three recent backups."));
  fixture_finish (&f);
}

/* No backup yet: the empty page, from which the first one is made. */
static void
test_empty (void)
{
  Fixture f;
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *body = NULL;

  if (!fixture_start (&f, 0, 10, NULL))
    return;
  g_assert_cmpstr (osi_window_get_state (f.window), ==, "empty");
  g_assert_cmpstr (osi_window_get_status_title (f.window), ==, "No Backups Available");
  g_assert_null (osi_window_get_banner_text (f.window));
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, "0 backups");
  check_page (f.window, 0, 0, 10);

  g_assert_true (action_enabled (f.window, "win.create"));
  activate (f.window, "win.create");
  body = osi_test_answer_dialog (f.window, "create");
  osi_test_wait_idle (f.window);
  after = disk_backups (f.backups);
  g_assert_cmpuint (after->len, ==, 1);
  g_assert_cmpstr (osi_window_get_state (f.window), ==, "list");
  g_assert_null (osi_window_get_status_title (f.window));
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, "1 backup");
  g_assert_true (store_has (f.window, ((DiskBackup *)g_ptr_array_index (after, 0))->name));
  check_page (f.window, 0, 1, 10);

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Download                                                                 */

static char *
download_folder (Fixture *f)
{
  char *folder = g_build_filename (f->tmp, "downloads", NULL);

  g_settings_set_string (f->settings, "download-folder", folder);
  return folder;
}

static void
test_download (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *server_path = NULL;
  g_autofree char *local_path = NULL;
  g_autofree char *part_path = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;
  gsize expected_len, got_len;
  DiskBackup *chosen;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  folder = download_folder (&f);
  shown = osi_window_dup_download_folder (f.window);
  g_assert_cmpstr (shown, ==, folder);
  backups = disk_backups (f.backups);
  chosen = g_ptr_array_index (backups, 0);
  server_path = g_build_filename (f.backups, chosen->name, NULL);
  local_path = g_build_filename (folder, chosen->name, NULL);
  part_path = g_strconcat (local_path, ".part", NULL);

  activate_on (f.window, "win.download", chosen->name);
  g_assert_true (osi_window_get_working (f.window));
  g_assert_true (action_enabled (f.window, "win.cancel-transfer"));
  osi_test_wait_idle (f.window);
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "Download complete");
  g_assert_false (action_enabled (f.window, "win.cancel-transfer"));

  g_assert_true (g_file_get_contents (server_path, &expected, &expected_len, NULL));
  g_assert_true (g_file_get_contents (local_path, &got, &got_len, NULL));
  g_assert_cmpmem (got, got_len, expected, expected_len);
  g_assert_false (g_file_test (part_path, G_FILE_TEST_EXISTS));

  fixture_finish (&f);
}

/* A download folder that does not exist yet is made, 0700, off the UI
 * thread (it may be on a slow or sleeping disk), and the download then
 * goes on as usual. */
static void
test_download_new_folder (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *local_path = NULL;
  g_autofree char *server_path = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;
  gsize expected_len, got_len;
  GStatBuf st;
  DiskBackup *chosen;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  parent = g_build_filename (f.tmp, "new", NULL);
  folder = g_build_filename (parent, "downloads", NULL);
  g_settings_set_string (f.settings, "download-folder", folder);
  backups = disk_backups (f.backups);
  chosen = g_ptr_array_index (backups, 0);
  server_path = g_build_filename (f.backups, chosen->name, NULL);
  local_path = g_build_filename (folder, chosen->name, NULL);
  g_assert_false (g_file_test (parent, G_FILE_TEST_EXISTS));

  osi_io_watch_start ((const char *[]) { parent, NULL });
  activate_on (f.window, "win.download", chosen->name);
  /* Under way at once, folder or not. */
  g_assert_true (osi_window_get_working (f.window));
  g_assert_true (action_enabled (f.window, "win.cancel-transfer"));
  osi_test_wait_idle (f.window);
  osi_io_watch_stop ("a download into a new folder");

  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "Download complete");
  g_assert_cmpint (g_stat (folder, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_true (g_file_get_contents (server_path, &expected, &expected_len, NULL));
  g_assert_true (g_file_get_contents (local_path, &got, &got_len, NULL));
  g_assert_cmpmem (got, got_len, expected, expected_len);

  fixture_finish (&f);
}

/* A download folder that cannot be made (a file stands in its way): the
 * window says so, and the download never starts. */
static void
test_download_folder_error (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autofree char *blocker = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *body = NULL;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  blocker = g_build_filename (f.tmp, "not-a-folder", NULL);
  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  folder = g_build_filename (blocker, "downloads", NULL);
  g_settings_set_string (f.settings, "download-folder", folder);
  backups = disk_backups (f.backups);

  activate_on (f.window, "win.download", ((DiskBackup *)g_ptr_array_index (backups, 0))->name);
  osi_test_wait_idle (f.window);
  g_assert_nonnull (osi_window_get_dialog (f.window));
  body = osi_test_answer_dialog (f.window, "close");
  g_assert_nonnull (strstr (body, "Cannot create the download folder"));
  g_assert_nonnull (strstr (body, folder));
  g_assert_false (osi_window_get_working (f.window));
  g_assert_true (action_enabled (f.window, "win.create"));

  fixture_finish (&f);
}

static gboolean
chooser_shown (gpointer data)
{
  return osi_test_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) != NULL;
}

/* GTK's chooser goes to the folder it is told in its own time. */
static gboolean
chooser_in_folder (gpointer data)
{
  g_autoptr(GFile) current = gtk_file_chooser_get_current_folder (data);

  return current != NULL;
}

/* "Check a Backup…" opens in the download folder when it is one, which
 * the UI thread does not stat itself; elsewhere when it is not. */
static void
test_check_file_chooser (void)
{
  Fixture f;
  g_autofree char *folder = NULL;
  g_autofree char *missing = NULL;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  folder = download_folder (&f);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  missing = g_build_filename (f.tmp, "missing", NULL);

  for (guint i = 0; i < 2; i++)
    {
      const char *shown = i == 0 ? folder : missing;
      g_autoptr(GFile) current = NULL;
      g_autofree char *current_path = NULL;
      GtkWindow *chooser;

      g_settings_set_string (f.settings, "download-folder", shown);
      osi_io_watch_start ((const char *[]) { shown, NULL });
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.check-file", NULL));
      osi_test_wait_for (chooser_shown, NULL, "the file chooser");
      osi_io_watch_stop ("opening the file chooser");
      chooser = osi_test_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
      if (i == 0)
        osi_test_wait_for (chooser_in_folder, chooser, "the file chooser's folder");
      else
        osi_test_settle ();
      current = gtk_file_chooser_get_current_folder (GTK_FILE_CHOOSER (chooser));
      current_path = current != NULL ? g_file_get_path (current) : NULL;
      if (i == 0)
        g_assert_cmpstr (current_path, ==, folder);
      else
        g_assert_cmpstr (current_path, !=, missing);
      gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
      osi_test_settle ();
      g_assert_null (osi_test_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG));
    }

  fixture_finish (&f);
}

static gboolean
part_started (gpointer data)
{
  GStatBuf st;

  return g_stat ((const char *)data, &st) == 0 && st.st_size > 0;
}

static void
test_download_cancel (void)
{
  Fixture f;
  g_autofree char *folder = NULL;
  g_autofree char *big_path = NULL;
  g_autofree char *local_path = NULL;
  g_autofree char *part_path = NULL;
  g_autoptr(GPtrArray) backups = NULL;
  const char *big = "backup_29991231_235959.tar.zst";
  DiskBackup *small;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  folder = download_folder (&f);

  /* Cancelled at once, before a byte came. */
  backups = disk_backups (f.backups);
  small = g_ptr_array_index (backups, 0);
  local_path = g_build_filename (folder, small->name, NULL);
  activate_on (f.window, "win.download", small->name);
  activate (f.window, "win.cancel-transfer");
  osi_test_wait_idle (f.window);
  g_assert_false (g_file_test (local_path, G_FILE_TEST_EXISTS));
  g_assert_nonnull (osi_window_get_last_toast (f.window));
  g_assert_cmpstr (osi_window_get_last_toast (f.window), !=, "Download complete");
  g_assert_true (action_enabled (f.window, "win.create"));
  g_clear_pointer (&local_path, g_free);

  /* Cancelled halfway through a large file. */
  big_path = g_build_filename (f.backups, big, NULL);
  osi_test_write_random_file (big_path, 200 * 1024 * 1024, 42);
  activate (f.window, "win.refresh");
  osi_test_wait_idle (f.window);
  g_assert_true (store_has (f.window, big));
  local_path = g_build_filename (folder, big, NULL);
  part_path = g_strconcat (local_path, ".part", NULL);
  activate_on (f.window, "win.download", big);
  /* Only one long job at a time. */
  g_assert_false (action_enabled (f.window, "win.create"));
  osi_test_wait_for (part_started, part_path, "the download to start");
  g_assert_true (osi_window_get_working (f.window));
  activate (f.window, "win.cancel-transfer");
  osi_test_wait_idle (f.window);
  g_assert_false (g_file_test (local_path, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (osi_window_get_last_toast (f.window), !=, "Download complete");
  g_assert_true (action_enabled (f.window, "win.create"));

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Failures                                                                 */

/* The server stops after the list came: the list stays, the banner says
 * why. */
static void
test_server_stopped (void)
{
  Fixture f;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  g_assert_null (osi_window_get_banner_text (f.window));
  server_stop (f.server);

  activate (f.window, "win.refresh");
  osi_test_wait_idle (f.window);
  g_assert_nonnull (osi_window_get_banner_text (f.window));
  g_assert_nonnull (strstr (osi_window_get_banner_text (f.window), "Cannot reach the backend server"));
  g_assert_nonnull (strstr (osi_window_get_banner_text (f.window), f.server->url));
  g_assert_cmpstr (osi_window_get_state (f.window), ==, "list");
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, N_BACKUPS);

  fixture_finish (&f);
}

/* A window that never reached its server shows the unreachable page. */
static void
test_unreachable (void)
{
  Fixture f;
  OsiWindow *fresh;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;
  server_stop (f.server);

  fresh = new_window (f.client);
  g_assert_cmpstr (osi_window_get_state (fresh), ==, "unreachable");
  g_assert_cmpstr (osi_window_get_status_title (fresh), ==, "Server Unreachable");
  g_assert_nonnull (osi_window_get_banner_text (fresh));
  g_assert_nonnull (strstr (osi_window_get_banner_text (fresh), "Cannot reach the backend server"));
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (fresh))), ==, 0);

  /* Retrying against a stopped server changes nothing. */
  activate (fresh, "win.refresh");
  osi_test_wait_idle (fresh);
  g_assert_cmpstr (osi_window_get_state (fresh), ==, "unreachable");
  close_window (fresh);

  fixture_finish (&f);
}

static void
test_wrong_token (void)
{
  Fixture f;

  if (!fixture_start (&f, N_BACKUPS, 10, "not-the-token"))
    return;
  g_assert_cmpstr (osi_window_get_state (f.window), ==, "unreachable");
  /* The server answered: it is not said unreachable. */
  g_assert_cmpstr (osi_window_get_status_title (f.window), ==, "Access Refused");
  g_assert_nonnull (osi_window_get_banner_text (f.window));
  g_assert_nonnull (strstr (osi_window_get_banner_text (f.window), "The server refused the token"));
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, 0);

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* Showing the window once the list is in                                   */

typedef struct
{
  gboolean  shown;
  guint     n_items;   /* in the store when the window was shown */
  char     *state;     /* and the page it showed */
} Shown;

static void
on_window_shown (GtkWidget  *widget,
                 GParamSpec *pspec,
                 Shown      *shown)
{
  if (shown->shown || !gtk_widget_get_visible (widget))
    return;
  shown->shown = TRUE;
  shown->n_items = n_items (G_LIST_MODEL (osi_window_get_store (OSI_WINDOW (widget))));
  shown->state = g_strdup (osi_window_get_state (OSI_WINDOW (widget)));
}

static gboolean
window_shown (gpointer data)
{
  return ((Shown *)data)->shown;
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *)data == NULL;
}

/* A window told to show once listed, connected to url: what it held and
 * showed when it became visible. */
static OsiWindow *
present_when_listed (OsiClient *client,
                     guint      max_wait_ms,
                     Shown     *shown)
{
  OsiWindow *window = g_object_ref_sink (osi_window_new (NULL));

  memset (shown, 0, sizeof *shown);
  g_signal_connect (window, "notify::visible", G_CALLBACK (on_window_shown), shown);
  osi_window_set_client (window, client, NULL);
  osi_window_present_when_listed (window, max_wait_ms);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));
  osi_test_wait_for (window_shown, shown, "the window shown");
  g_signal_handlers_disconnect_by_func (window, on_window_shown, shown);
  return window;
}

/* A server that answers: the window appears with the list already in, so
 * its first frame shows the backups (the wait allowed is far longer than
 * any answer takes here: it is the answer that shows the window). The
 * same for an error: the window shows it at once. */
static void
test_present_when_listed (void)
{
  Fixture f;
  Shown shown;
  OsiWindow *window;
  g_autoptr(OsiClient) wrong = NULL;

  if (!fixture_start (&f, N_BACKUPS, 10, NULL))
    return;

  window = present_when_listed (f.client, 600000, &shown);
  g_assert_cmpuint (shown.n_items, ==, N_BACKUPS);
  g_assert_cmpstr (shown.state, ==, "list");
  g_free (shown.state);
  close_window (window);

  wrong = osi_client_new (f.url, "not-the-token");
  window = present_when_listed (wrong, 600000, &shown);
  g_assert_cmpuint (shown.n_items, ==, 0);
  g_assert_cmpstr (shown.state, ==, "unreachable");
  g_free (shown.state);
  close_window (window);
  g_assert_finalize_object (g_steal_pointer (&wrong));

  fixture_finish (&f);
}

/* A server that takes the connection and never answers: the window shows
 * after the wait, on its loading page, still listing. */
static void
test_present_when_listed_slow (void)
{
  g_autoptr(GSocketListener) listener = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GSettings) settings = NULL;
  Shown shown;
  OsiWindow *window;
  guint16 port;

  if (!have_display)
    {
      osi_test_missing ("no display");
      return;
    }
  settings = fresh_settings ();
  /* Listening, never accepting: the kernel completes the connection and
   * the request waits in the queue. */
  listener = g_socket_listener_new ();
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  client = osi_client_new (url, TOKEN);

  window = present_when_listed (client, 50, &shown);
  g_assert_cmpuint (shown.n_items, ==, 0);
  g_assert_cmpstr (shown.state, ==, "loading");
  g_assert_true (osi_window_get_working (window));
  g_free (shown.state);

  /* Closed with its request open; the request holds the window until it
   * ends, here when the listener closes and resets the connection. */
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *)&window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
  g_socket_listener_close (listener);
  osi_test_wait_for (pointer_cleared, &window, "the window freed");
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *)&client);
  g_object_unref (client);
  osi_test_wait_for (pointer_cleared, &client, "the client freed");
}

/* Without a client, the window asks for a server. */
static void
test_no_server (void)
{
  OsiWindow *window;

  if (!have_display)
    {
      osi_test_missing ("no display");
      return;
    }
  window = new_window (NULL);
  g_assert_cmpstr (osi_window_get_state (window), ==, "connect");
  g_assert_false (osi_window_get_working (window));
  g_assert_false (action_enabled (window, "win.create"));
  g_assert_false (action_enabled (window, "win.refresh"));
  close_window (window);
}

/* ------------------------------------------------------------------------ */
/* The deployed OSI backend (docs/api.md §5)                                     */

/* The stand-in of the OSI dashboard's FastAPI service
 * (tests/osi-fastapi-backend.py): bare .json backups dated by their
 * mtimes, listed as naive times of the service's zone, no size, no
 * checksum, no /api/health, no preview, no upload. The window connects as
 * the app does, through a server profile that names that zone. */

#define FASTAPI_BACKUPS 7
#define BAD_NAME        "../../etc/passwd"
#define NO_DATE_NAME    "search_backup_nodate.json"
#define MALFORMED_ENTRIES                                                                   \
  "[{\"name\": \"" NO_DATE_NAME "\", \"path\": \"/srv/" NO_DATE_NAME "\"},"                   \
  " {\"name\": \"search_backup_yesterday.json\", \"date\": \"yesterday\"},"                     \
  " {\"name\": \"" BAD_NAME "\", \"path\": \"/etc/passwd\", \"date\": \"2026-03-29T10:00:00\"}]"
#define N_MALFORMED     3
#define NO_PREVIEW      "This server does not show what a restore would change."

/* A zone whose offset from UTC differs from this desktop's at the
 * backups' dates: read in the wrong zone, every date would show other
 * hours or minutes, so the list's dates prove which zone was used. */
static const char *
foreign_zone (void)
{
  static const char *const zones[] = { "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns" };
  g_autoptr(GDateTime) newest = newest_backup_date ();
  g_autoptr(GDateTime) local = g_date_time_to_local (newest);

  for (guint i = 0; i < G_N_ELEMENTS (zones); i++)
    {
      g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zones[i]);
      g_autoptr(GDateTime) there = tz != NULL ? g_date_time_to_timezone (newest, tz) : NULL;

      if (there != NULL && g_date_time_get_utc_offset (there) != g_date_time_get_utc_offset (local))
        return zones[i];
    }
  g_assert_not_reached ();
  return NULL;
}

static char *
kb_path (Fixture *f)
{
  return g_build_filename (f->data, "rag", "search.json", NULL);
}

/* The service's data and n_backups backups, each with content of its own
 * (a valid knowledge base, its own trailing blanks), named as the service
 * names them, 9 h 17 min apart; the newest one's mtime has microseconds
 * (Python's isoformat () then writes them). extra_entries: the JSON of
 * the malformed entries every list appends, or NULL. */
static void
fastapi_serve (Fixture    *f,
               guint       n_backups,
               const char *extra_entries,
               const char *zone)
{
  g_autoptr(GDateTime) newest = newest_backup_date ();
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zone);

  memset (f, 0, sizeof *f);
  g_assert_nonnull (tz);
  f->tmp = osi_test_make_tmpdir ();
  f->data = g_build_filename (f->tmp, "data", NULL);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  f->server = osi_test_fastapi_serve (f->data, f->backups, TOKEN, extra_entries, zone);
  f->url = g_strdup (f->server->url);
  for (guint i = 0; i < n_backups; i++)
    {
      g_autoptr(GDateTime) date = g_date_time_add_minutes (newest, -(gint)(i * (9 * 60 + 17)));
      g_autoptr(GDateTime) there = g_date_time_to_timezone (date, tz);
      g_autofree char *name = g_date_time_format (there, "search_backup_%Y%m%d_%H%M%S.json");
      g_autofree char *path = g_build_filename (f->backups, name, NULL);
      g_autofree char *content = g_strdup_printf ("%s%*s\n", osi_test_valid_rag (), (int)i, "");

      g_assert_true (g_file_set_contents (path, content, -1, NULL));
      osi_test_set_mtime (path, g_date_time_to_unix (date), i == 0 ? 250000000 : 0);
    }
}

/* The window through a server profile naming the service's zone, as the
 * application connects it. */
static void
fastapi_open (Fixture    *f,
              const char *zone,
              guint       page_size)
{
  g_autoptr(OsiProfile) profile = osi_profile_new (NULL, "OSI", f->url, NULL);
  g_autoptr(GError) error = NULL;

  osi_profile_set_time_zone (profile, zone);
  f->settings = fresh_settings ();
  g_settings_set_enum (f->settings, "items-per-page", (int)page_size);
  f->client = osi_profile_new_client (profile, TOKEN, &error);
  g_assert_no_error (error);
  f->window = new_window (f->client);
}

static gboolean
fastapi_start (Fixture    *f,
               guint       n_backups,
               const char *extra_entries,
               guint       page_size)
{
  const char *zone;

  if (!display_available ())
    return FALSE;
  zone = foreign_zone ();
  fastapi_serve (f, n_backups, extra_entries, zone);
  fastapi_open (f, zone, page_size);
  return TRUE;
}

static GPtrArray *
json_backups (Fixture *f)
{
  return disk_backups_with (f->backups, ".json");
}

/* The row widget showing backup name, once a frame laid the rows out. */
static GtkWidget *
find_label_with_text (GtkWidget  *widget,
                      const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label_with_text (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_row (OsiWindow  *window,
          const char *name)
{
  GtkWidget *view = find_column_view (GTK_WIDGET (window));
  GtkWidget *row;

  g_assert_nonnull (view);
  wait_for_paint (view);
  row = find_label_with_text (view, name);
  if (row == NULL)
    g_error ("no row shows %s", name);
  while (row != NULL && gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (row)) != GTK_ACCESSIBLE_ROLE_ROW)
    row = gtk_widget_get_parent (row);
  g_assert_nonnull (row);
  return row;
}

/* The labels shown: a name cell's badges (note, kind, verification)
 * are hidden for a backup the server says nothing of. */
static void
collect_labels (GtkWidget *widget,
                GPtrArray *labels)
{
  if (!gtk_widget_get_visible (widget))
    return;
  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (labels, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, labels);
}

/* The row's cells, in order: name, date, size. */
static GtkLabel *
row_label (GtkWidget *row,
           guint      column)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect_labels (row, labels);
  g_assert_cmpuint (labels->len, >, column);
  return g_ptr_array_index (labels, column);
}

static GtkWidget *
row_button (GtkWidget  *row,
            const char *action)
{
  for (GtkWidget *child = gtk_widget_get_first_child (row); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), action) == 0)
        return child;
      if ((found = row_button (child, action)) != NULL)
        return found;
    }
  return NULL;
}

/* Whether the row's restore, download and delete can be used (a button
 * is insensitive when its own flag or a parent's says so). */
static gboolean
row_actions_usable (GtkWidget *row)
{
  const char *actions[] = { "win.restore", "win.download", "win.delete" };
  gboolean usable = gtk_widget_is_sensitive (row_button (row, actions[0]));

  for (guint i = 1; i < G_N_ELEMENTS (actions); i++)
    g_assert_cmpint (gtk_widget_is_sensitive (row_button (row, actions[i])), ==, usable);
  return usable;
}

/* Answers the window's confirmation and waits for the work the answer
 * started; no dialog (an error) may follow it. Returns the
 * confirmation's body. */
static char *
answer_and_wait (OsiWindow  *window,
                 const char *response)
{
  char *body = osi_test_answer_dialog (window, response);

  osi_test_wait_idle (window);
  g_assert_null (osi_window_get_dialog (window));
  return body;
}

/* A restore warning from a server that shows no preview: it says so
 * rather than calling the preview failed, and promises no safety backup
 * of our server's. */
static void
assert_warns_without_preview (const char *body)
{
  g_assert_nonnull (strstr (body, NO_PREVIEW));
  g_assert_null (strstr (body, "could not be worked out"));
  g_assert_null (strstr (body, "the safety backup the server makes"));
}

/* Waits for the window's download of name into folder, which must bring
 * the service's bytes. */
static void
wait_downloaded (Fixture    *f,
                 const char *folder,
                 const char *name)
{
  g_autofree char *server_path = g_build_filename (f->backups, name, NULL);
  g_autofree char *local_path = g_build_filename (folder, name, NULL);
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;
  gsize expected_len, got_len;

  osi_test_wait_idle (f->window);
  g_assert_cmpstr (osi_window_get_last_toast (f->window), ==, "Download complete");
  g_assert_true (g_file_get_contents (server_path, &expected, &expected_len, NULL));
  g_assert_true (g_file_get_contents (local_path, &got, &got_len, NULL));
  g_assert_cmpmem (got, got_len, expected, expected_len);
}

/* The dates the service sends are its wall clock: shown in this desktop's
 * time, they are the files' mtimes, never shifted by the zones' offsets. */
static void
test_fastapi_list (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  g_autofree char *count = NULL;

  if (!fastapi_start (&f, FASTAPI_BACKUPS, NULL, 10))
    return;
  tz = g_time_zone_new_identifier (foreign_zone ());
  backups = json_backups (&f);
  g_assert_cmpuint (backups->len, ==, FASTAPI_BACKUPS);

  g_assert_cmpstr (osi_window_get_state (f.window), ==, "list");
  g_assert_null (osi_window_get_banner_text (f.window));
  g_assert_null (osi_window_get_dialog (f.window));
  count = g_strdup_printf ("%u backups", FASTAPI_BACKUPS);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);
  for (guint i = 0; i < backups->len; i++)
    {
      DiskBackup *expected = g_ptr_array_index (backups, i);
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (osi_window_get_page_model (f.window), i);
      g_autoptr(GDateTime) instant = g_date_time_new_from_unix_utc (expected->mtime);
      g_autoptr(GDateTime) there = g_date_time_to_timezone (instant, tz);
      g_autoptr(GDateTime) misread = NULL;
      g_autofree char *wrong = NULL;
      GtkWidget *row;

      /* Newest first, each at its own date. */
      g_assert_cmpstr (osi_backup_info_get_name (info), ==, expected->name);
      g_assert_null (osi_backup_info_get_problem (info));
      g_assert_cmpstr (osi_backup_info_get_display_date (info), ==, expected->display);
      /* The same wall clock read in this desktop's zone: another date. */
      misread = g_date_time_new_local (g_date_time_get_year (there), g_date_time_get_month (there),
                                       g_date_time_get_day_of_month (there), g_date_time_get_hour (there),
                                       g_date_time_get_minute (there), g_date_time_get_seconds (there));
      wrong = osi_format_date (misread);
      g_assert_cmpstr (wrong, !=, expected->display);
      /* On screen, with its actions; the size is not known. */
      row = find_row (f.window, expected->name);
      g_assert_cmpstr (gtk_label_get_text (row_label (row, 1)), ==, expected->display);
      g_assert_null (gtk_widget_get_tooltip_text (GTK_WIDGET (row_label (row, 1))));
      g_assert_cmpstr (gtk_label_get_text (row_label (row, 2)), ==, "—");
      g_assert_true (row_actions_usable (row));
    }

  /* What it offers was asked in the background, and no failure shown. */
  g_assert_true (osi_client_get_features_known (f.client));
  g_assert_true (osi_window_server_lacks (f.window, "upload"));
  g_assert_true (osi_window_server_lacks (f.window, "diff"));
  g_assert_false (osi_window_get_working (f.window));
  g_assert_null (osi_window_get_banner_text (f.window));
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_null (osi_window_get_last_toast (f.window));

  fixture_finish (&f);
}

/* A create answered with {"message", "filename"} and no backup object:
 * a success, found by listing again. */
static void
test_fastapi_create (void)
{
  Fixture f;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *body = NULL;
  g_autofree char *created = NULL;
  g_autofree char *count = NULL;
  g_autofree char *toast = NULL;

  if (!fastapi_start (&f, FASTAPI_BACKUPS, NULL, 10))
    return;
  before = json_backups (&f);

  activate (f.window, "win.create");
  body = answer_and_wait (f.window, "create");
  g_assert_null (osi_window_get_banner_text (f.window));

  after = json_backups (&f);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  created = new_backup_name (before, after);
  toast = g_strdup_printf ("Backup created: %s", created);
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, toast);
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, after->len);
  g_assert_true (store_has (f.window, created));
  count = g_strdup_printf ("%u backups", after->len);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);

  fixture_finish (&f);
}

static gboolean
dialog_settled (gpointer data)
{
  AdwMessageDialog *dialog = osi_window_get_dialog (OSI_WINDOW (data));

  return dialog != NULL && !osi_window_get_working (OSI_WINDOW (data)) &&
         strstr (adw_message_dialog_get_body (dialog), "Working out the changes") == NULL;
}

/* A window asking before it knows what the service offers: the preview
 * is refused by the service, and said to be missing, not failed. */
static void
assert_preview_missing_when_asked (Fixture    *f,
                                   const char *name)
{
  g_autoptr(OsiClient) fresh = osi_client_new (f->url, TOKEN);
  OsiWindow *window = g_object_ref_sink (osi_window_new (NULL));
  g_autofree char *body = NULL;

  gtk_window_present (GTK_WINDOW (window));
  osi_window_set_client (window, fresh, NULL);
  g_assert_false (osi_client_get_features_known (fresh));
  activate_on (window, "win.restore", name);
  g_assert_true (osi_window_get_working (window));
  osi_test_wait_for (dialog_settled, window, "the restore's changes");
  body = osi_test_answer_dialog (window, "cancel");
  assert_warns_without_preview (body);
  g_assert_null (osi_window_get_dialog (window));
  close_window (window);
  g_assert_finalize_object (g_steal_pointer (&fresh));
}

/* The warning says the service gives no preview (it never asks, once it
 * knows), promises no safety backup by name, and the restore's success
 * is the service's own words. */
static void
test_fastapi_restore (void)
{
  Fixture f;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *kb = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *restored = NULL;
  g_autofree char *toast = NULL;
  g_autofree char *safety = NULL;
  DiskBackup *chosen;

  if (!fastapi_start (&f, FASTAPI_BACKUPS, NULL, 10))
    return;
  before = json_backups (&f);
  chosen = g_ptr_array_index (before, before->len - 1);
  path = g_build_filename (f.backups, chosen->name, NULL);
  g_assert_true (g_file_get_contents (path, &expected, NULL, NULL));
  kb = kb_path (&f);

  activate_on (f.window, "win.restore", chosen->name);
  /* Known to lack the preview: not even asked. */
  g_assert_false (osi_window_get_working (f.window));
  body = answer_and_wait (f.window, "restore");
  g_assert_nonnull (strstr (body, chosen->name));
  g_assert_nonnull (strstr (body, chosen->display));
  assert_warns_without_preview (body);
  g_assert_nonnull (strstr (body, "keeps among its own backups"));
  g_assert_null (osi_window_get_banner_text (f.window));

  toast = g_strdup_printf ("Restore succeeded. The server says: Backup %s restored successfully", chosen->name);
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, toast);
  g_assert_true (g_file_get_contents (kb, &restored, NULL, NULL));
  g_assert_cmpstr (restored, ==, expected);
  /* The service's own copy of the data before, listed after the refresh. */
  after = json_backups (&f);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  safety = new_backup_name (before, after);
  g_assert_true (g_str_has_prefix (safety, "search_pre_restore_"));
  g_assert_true (store_has (f.window, safety));

  assert_preview_missing_when_asked (&f, chosen->name);

  fixture_finish (&f);
}

/* A download of the service's bytes (no Range, no digest), and the check
 * history remembers what came, for a later check. */
static void
test_fastapi_download (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(OsiCheckHistory) history = NULL;
  g_autoptr(OsiCheckRecord) record = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *server_path = NULL;
  g_autofree char *local_path = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *sha256 = NULL;
  gsize expected_len;
  DiskBackup *chosen;

  if (!fastapi_start (&f, FASTAPI_BACKUPS, NULL, 10))
    return;
  folder = download_folder (&f);
  backups = json_backups (&f);
  chosen = g_ptr_array_index (backups, 0);

  activate_on (f.window, "win.download", chosen->name);
  g_assert_true (osi_window_get_working (f.window));
  wait_downloaded (&f, folder, chosen->name);
  g_assert_null (osi_window_get_dialog (f.window));

  server_path = g_build_filename (f.backups, chosen->name, NULL);
  g_assert_true (g_file_get_contents (server_path, &expected, &expected_len, NULL));
  sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)expected, expected_len);
  local_path = g_build_filename (folder, chosen->name, NULL);
  history = osi_check_history_new (NULL);
  record = osi_check_history_lookup (history, local_path);
  g_assert_nonnull (record);
  g_assert_cmpstr (record->downloaded_sha256, ==, sha256);
  g_assert_true (record->never_checked);
  g_assert_false (record->modified);
  g_assert_cmpint (record->downloaded, >, 0);

  fixture_finish (&f);
}

/* A 204 without a body is a success. */
static void
test_fastapi_delete (void)
{
  Fixture f;
  g_autoptr(GPtrArray) before = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  DiskBackup *chosen;

  if (!fastapi_start (&f, FASTAPI_BACKUPS, NULL, 10))
    return;
  before = json_backups (&f);
  chosen = g_ptr_array_index (before, 1);
  path = g_build_filename (f.backups, chosen->name, NULL);

  activate_on (f.window, "win.delete", chosen->name);
  body = answer_and_wait (f.window, "delete");
  g_assert_nonnull (strstr (body, chosen->name));
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, "Backup deleted");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (n_items (G_LIST_MODEL (osi_window_get_store (f.window))), ==, before->len - 1);
  g_assert_false (store_has (f.window, chosen->name));

  fixture_finish (&f);
}

/* Malformed entries are shown as well as they can be; what cannot be
 * named safely cannot be acted on, from its row or by its action; the
 * other rows work. */
static void
test_fastapi_malformed (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) bad_date = NULL;
  g_autofree char *bad_display = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *count = NULL;
  OsiBackupInfo *info;
  GtkWidget *row;
  GtkLabel *date;
  DiskBackup *good;

  if (!fastapi_start (&f, 3, MALFORMED_ENTRIES, 25))
    return;
  folder = download_folder (&f);
  backups = json_backups (&f);
  good = g_ptr_array_index (backups, 0);

  /* Nothing failed the list. */
  g_assert_cmpstr (osi_window_get_state (f.window), ==, "list");
  g_assert_null (osi_window_get_banner_text (f.window));
  g_assert_null (osi_window_get_dialog (f.window));
  count = g_strdup_printf ("%u backups", 3 + N_MALFORMED);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);

  /* No date: "Unknown date", why in its tooltip; its name is good. */
  info = store_lookup (f.window, NO_DATE_NAME);
  g_assert_nonnull (info);
  g_assert_nonnull (osi_backup_info_get_problem (info));
  row = find_row (f.window, NO_DATE_NAME);
  date = row_label (row, 1);
  g_assert_cmpstr (gtk_label_get_text (date), ==, "Unknown date");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (date)), ==, osi_backup_info_get_problem (info));
  g_assert_true (row_actions_usable (row));

  /* A name outside the grammar: shown, its date too, but nothing to do. */
  info = store_lookup (f.window, BAD_NAME);
  g_assert_nonnull (info);
  g_assert_nonnull (osi_backup_info_get_problem (info));
  tz = g_time_zone_new_identifier (foreign_zone ());
  bad_date = g_date_time_new (tz, 2026, 3, 29, 10, 0, 0);
  bad_display = osi_format_date (bad_date);
  row = find_row (f.window, BAD_NAME);
  g_assert_cmpstr (gtk_label_get_text (row_label (row, 1)), ==, bad_display);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (row_label (row, 0))), ==,
                   osi_backup_info_get_problem (info));
  g_assert_false (row_actions_usable (row));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (gtk_widget_get_parent (row_button (row, "win.download"))), ==,
                   osi_backup_info_get_problem (info));
  /* Nor by its actions: refused, saying why, nothing sent. */
  activate_on (f.window, "win.download", BAD_NAME);
  g_assert_false (osi_window_get_working (f.window));
  g_assert_cmpstr (osi_window_get_last_toast (f.window), ==, osi_backup_info_get_problem (info));
  activate_on (f.window, "win.restore", BAD_NAME);
  g_assert_null (osi_window_get_dialog (f.window));
  activate_on (f.window, "win.delete", BAD_NAME);
  g_assert_null (osi_window_get_dialog (f.window));
  g_assert_false (osi_window_get_working (f.window));
  g_assert_cmpuint (osi_test_n_files (folder), ==, 0);
  g_assert_cmpuint (osi_test_n_files (f.backups), ==, 3);

  /* The good rows work. */
  row = find_row (f.window, good->name);
  g_assert_true (row_actions_usable (row));
  g_assert_null (gtk_widget_get_tooltip_text (GTK_WIDGET (row_label (row, 1))));
  g_assert_cmpstr (gtk_label_get_text (row_label (row, 1)), ==, good->display);
  activate_on (f.window, "win.download", good->name);
  wait_downloaded (&f, folder, good->name);

  fixture_finish (&f);
}

/* ------------------------------------------------------------------------ */
/* French                                                                   */

/* The French case runs in a child process (see main ()) whose locale is
 * fr_FR.UTF-8; the parent serves the backups and tells the child where,
 * in a key file named after the parent. The server is the parent's so
 * that it never outlives a failed child: a child stops at its first failed
 * assertion (_exit, no signal), and a server it had started would keep
 * the pipe the parent reads the child's output from open. */
static char *
french_info_path (const char *name,
                  GPid        parent)
{
  g_autofree char *base = g_strdup_printf ("osi-test-window-%s-%d.ini", name, (int)parent);

  return g_build_filename (g_get_tmp_dir (), base, NULL);
}

/* The parent's half of a French case (name keeps the cases' key files
 * apart): tells the child what f serves, and zone if not NULL, runs the
 * child, then stops serving. */
static void
french_run_child (Fixture    *f,
                  const char *name,
                  const char *zone)
{
  g_autoptr(GKeyFile) info = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = french_info_path (name, getpid ());

  g_key_file_set_string (info, "server", "url", f->url);
  g_key_file_set_string (info, "server", "backups", f->backups);
  if (zone != NULL)
    g_key_file_set_string (info, "server", "zone", zone);
  g_assert_true (g_key_file_save_to_file (info, path, &error));
  g_assert_no_error (error);

  /* Longer than the child's own deadlines, which fail it first. */
  g_test_trap_subprocess (NULL, (guint64)4 * OSI_TEST_WAIT_S * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unlink (path);
  fixture_finish (f);
  g_test_trap_assert_passed ();
}

/* The child's half: f as far as the parent serves it (its url and
 * backups), and the zone if one is asked for. */
static void
french_served (Fixture     *f,
               const char  *name,
               char       **zone)
{
  g_autoptr(GKeyFile) info = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = french_info_path (name, getppid ());

  memset (f, 0, sizeof *f);
  g_key_file_load_from_file (info, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  f->url = g_key_file_get_string (info, "server", "url", &error);
  g_assert_no_error (error);
  f->backups = g_key_file_get_string (info, "server", "backups", &error);
  g_assert_no_error (error);
  if (zone != NULL)
    {
      *zone = g_key_file_get_string (info, "server", "zone", &error);
      g_assert_no_error (error);
    }
}

/* The window's text must be translated: a missing translation fails. */
static void
french_body (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(OsiClient) nowhere = NULL;
  g_autoptr(OsiClient) refused = NULL;
  g_autofree char *pages = NULL;
  g_autofree char *count = NULL;
  g_autofree char *filtered = NULL;
  g_autofree char *date = NULL;
  OsiWindow *window;
  guint total, n_date;

  french_served (&f, "french", NULL);
  fixture_open (&f, 10, NULL);
  backups = disk_backups (f.backups);
  total = backups->len;

  pages = g_strdup_printf ("Page 1 sur %u", n_pages_for (total, 10));
  g_assert_cmpstr (osi_window_get_page_text (f.window), ==, pages);
  count = g_strdup_printf ("%u sauvegardes", total);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);

  date = most_frequent (backups, 0, 10, &n_date);
  type_search (f.window, date);
  filtered = g_strdup_printf ("%u sauvegardes (%u filtrées)", total, n_date);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, filtered);
  g_free (pages);
  pages = g_strdup_printf ("Page 1 sur %u", n_pages_for (n_date, 10));
  g_assert_cmpstr (osi_window_get_page_text (f.window), ==, pages);

  /* Nothing listens on port 1: the client's French message. */
  nowhere = osi_client_new ("http://127.0.0.1:1", TOKEN);
  window = new_window (nowhere);
  g_assert_cmpstr (osi_window_get_state (window), ==, "unreachable");
  g_assert_cmpstr (osi_window_get_status_title (window), ==, "Serveur injoignable");
  g_assert_nonnull (osi_window_get_banner_text (window));
  g_assert_nonnull (strstr (osi_window_get_banner_text (window), "Impossible de joindre le serveur"));
  close_window (window);

  /* A refused token: not said unreachable, in French too. */
  refused = osi_client_new (f.url, "not-the-token");
  window = new_window (refused);
  g_assert_cmpstr (osi_window_get_state (window), ==, "unreachable");
  g_assert_cmpstr (osi_window_get_status_title (window), ==, "Accès refusé");
  g_assert_nonnull (osi_window_get_banner_text (window));
  g_assert_nonnull (strstr (osi_window_get_banner_text (window), "Le serveur a refusé le jeton"));
  close_window (window);

  fixture_finish (&f);
}

static void
test_french (void)
{
  Fixture f;

  if (g_test_subprocess ())
    {
      french_body ();
      return;
    }
  if (!osi_test_french_possible ())
    return;

  fixture_serve (&f, N_BACKUPS);
  french_run_child (&f, "french", NULL);
}

/* The deployed OSI backend's list in French: the dates in the profile's
 * zone, "Date inconnue", and a restore warning that says this server
 * gives no preview. The parent serves, as for the case above. */
static void
french_fastapi_body (void)
{
  Fixture f;
  g_autoptr(GPtrArray) backups = NULL;
  g_autofree char *zone = NULL;
  g_autofree char *count = NULL;
  g_autofree char *body = NULL;
  GtkWidget *row;
  DiskBackup *chosen;

  french_served (&f, "french-fastapi", &zone);
  fastapi_open (&f, zone, 25);
  backups = json_backups (&f);

  count = g_strdup_printf ("%u sauvegardes", backups->len + N_MALFORMED);
  g_assert_cmpstr (osi_window_get_count_text (f.window), ==, count);
  g_assert_null (osi_window_get_banner_text (f.window));
  for (guint i = 0; i < backups->len; i++)
    {
      DiskBackup *expected = g_ptr_array_index (backups, i);

      row = find_row (f.window, expected->name);
      g_assert_cmpstr (gtk_label_get_text (row_label (row, 1)), ==, expected->display);
    }
  row = find_row (f.window, NO_DATE_NAME);
  g_assert_cmpstr (gtk_label_get_text (row_label (row, 1)), ==, "Date inconnue");
  g_assert_nonnull (gtk_widget_get_tooltip_text (GTK_WIDGET (row_label (row, 1))));
  row = find_row (f.window, BAD_NAME);
  g_assert_false (row_actions_usable (row));

  chosen = g_ptr_array_index (backups, backups->len - 1);
  activate_on (f.window, "win.restore", chosen->name);
  body = answer_and_wait (f.window, "cancel");
  g_assert_nonnull (strstr (body, chosen->name));
  g_assert_nonnull (strstr (body, "Ce serveur ne montre pas ce que changerait une restauration."));
  g_assert_null (strstr (body, "n’ont pas pu être calculés"));
  g_assert_null (strstr (body, NO_PREVIEW));

  fixture_finish (&f);
}

static void
test_fastapi_french (void)
{
  Fixture f;
  const char *zone;

  if (g_test_subprocess ())
    {
      french_fastapi_body ();
      return;
    }
  if (!osi_test_french_possible ())
    return;

  zone = foreign_zone ();
  fastapi_serve (&f, 3, MALFORMED_ENTRIES, zone);
  french_run_child (&f, "french-fastapi", zone);
}

int
main (int argc, char **argv)
{
  g_autofree char *data_home = NULL;
  int status;

  /* The check history of the downloads goes to a folder of this run, set
   * before anything asks GLib for it. */
  data_home = g_dir_make_tmp ("osi-test-window-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  /* Not gtk_test_init (): it aborts without a display, where these tests
   * skip instead. It would also set its own locale. */
  g_test_init (&argc, &argv, NULL);
  osi_test_kill_servers_on_fatal_signals ();

  have_display = osi_test_gui_init ();

  g_test_add_func ("/window/pages", test_pages);
  g_test_add_func ("/window/page-size-setting", test_page_size_setting);
  g_test_add_func ("/window/page-stays-valid", test_page_stays_valid);
  g_test_add_func ("/window/search", test_search);
  g_test_add_func ("/window/create", test_create);
  g_test_add_func ("/window/create-cancel", test_create_cancel);
  g_test_add_func ("/window/restore", test_restore);
  g_test_add_func ("/window/restore-cancel", test_restore_cancel);
  g_test_add_func ("/window/delete", test_delete);
  g_test_add_func ("/window/delete-cancel", test_delete_cancel);
  g_test_add_func ("/window/delete-warning", test_delete_warning);
  g_test_add_func ("/window/empty", test_empty);
  g_test_add_func ("/window/download", test_download);
  g_test_add_func ("/window/download-cancel", test_download_cancel);
  g_test_add_func ("/window/download-new-folder", test_download_new_folder);
  g_test_add_func ("/window/download-folder-error", test_download_folder_error);
  g_test_add_func ("/window/check-file-chooser", test_check_file_chooser);
  g_test_add_func ("/window/server-stopped", test_server_stopped);
  g_test_add_func ("/window/unreachable", test_unreachable);
  g_test_add_func ("/window/wrong-token", test_wrong_token);
  g_test_add_func ("/window/no-server", test_no_server);
  g_test_add_func ("/window/present-when-listed", test_present_when_listed);
  g_test_add_func ("/window/present-when-listed-slow", test_present_when_listed_slow);
  g_test_add_func ("/window/french", test_french);
  g_test_add_func ("/window/fastapi/list", test_fastapi_list);
  g_test_add_func ("/window/fastapi/create", test_fastapi_create);
  g_test_add_func ("/window/fastapi/restore", test_fastapi_restore);
  g_test_add_func ("/window/fastapi/download", test_fastapi_download);
  g_test_add_func ("/window/fastapi/delete", test_fastapi_delete);
  g_test_add_func ("/window/fastapi/malformed", test_fastapi_malformed);
  g_test_add_func ("/window/fastapi/french", test_fastapi_french);
  status = g_test_run ();
  osi_test_remove_tmpdir (data_home);
  return status;
}
