/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "osi-error.h"
#include "osi-preferences-window.h"
#include "osi-profile-store.h"
#include "osi-secret.h"
#include "osi-test-io-watch.h"
#include "osi-test-support.h"

/* Server profiles (GSettings, memory backend), their tokens (the file
 * backend: $OSI_BACKUP_NO_KEYRING) and the preferences window (under a
 * display only), the connection test against a real osi-backup-server. */

#define TOKEN "profiles-test-token-5f2c"

static char *config_home;
static gboolean have_display;

static GSettings *
fresh_settings (void)
{
  GSettings *settings = g_settings_new ("org.osi.Backup");

  /* The memory backend outlives each case: start from the defaults. */
  g_settings_reset (settings, "profiles");
  g_settings_reset (settings, "profile-time-zones");
  g_settings_reset (settings, "current-profile");
  g_settings_reset (settings, "items-per-page");
  g_settings_reset (settings, "download-folder");
  return settings;
}

static void
iterate_until_idle (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static OsiSecretBackend
store_token (const char *id,
             const char *token)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  OsiSecretBackend backend = OSI_SECRET_BACKEND_KEYRING;

  osi_secret_store_async (id, "Test server", token, NULL, osi_test_store_result, &result);
  g_assert_true (osi_secret_store_finish (osi_test_wait_result (&result, "the token stored"), &backend, &error));
  g_assert_no_error (error);
  return backend;
}

static char *
lookup_token (const char  *id,
              GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_secret_lookup_async (id, NULL, osi_test_store_result, &result);
  return osi_secret_lookup_finish (osi_test_wait_result (&result, "the token looked up"), error);
}

static gboolean
clear_token (const char  *id,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osi_secret_clear_async (id, NULL, osi_test_store_result, &result);
  return osi_secret_clear_finish (osi_test_wait_result (&result, "the token cleared"), error);
}

static char *
token_path (const char *id)
{
  return g_build_filename (config_home, "osi-backup", "tokens", id, NULL);
}

/* ------------------------------------------------------------------------ */
/* The store                                                                */

typedef struct
{
  guint calls;
  guint position;
  guint removed;
  guint added;
} Changes;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  changes->calls++;
  changes->position = position;
  changes->removed = removed;
  changes->added = added;
}

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_store_basics (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  g_autoptr(OsiProfile) first = NULL;
  Changes changes = { 0 };
  guint current_notes = 0;
  OsiProfile *a, *b;
  char *id_a;

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (store)) == OSI_TYPE_PROFILE);
  g_assert_null (osi_profile_store_get_current (store));
  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), &changes);
  g_signal_connect (store, "notify::current", G_CALLBACK (on_notify_count), &current_notes);

  a = osi_profile_store_add (store, "Production", "https://osi.example.org/", NULL);
  g_assert_cmpuint (changes.calls, ==, 1);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.removed, ==, 0);
  g_assert_cmpuint (changes.added, ==, 1);
  b = osi_profile_store_add (store, "Test", "http://127.0.0.1:8000", "/etc/ssl/ca.pem");
  g_assert_cmpuint (changes.calls, ==, 2);
  g_assert_cmpuint (changes.position, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);

  /* Fresh UUIDs, distinct. */
  g_assert_true (g_uuid_string_is_valid (osi_profile_get_id (a)));
  g_assert_cmpstr (osi_profile_get_id (a), !=, osi_profile_get_id (b));
  g_assert_null (osi_profile_get_ca_file (a));
  g_assert_cmpstr (osi_profile_get_ca_file (b), ==, "/etc/ssl/ca.pem");

  first = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_assert_true (first == a);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (store), 2));

  g_assert_true (osi_profile_store_lookup (store, osi_profile_get_id (b)) == b);
  g_assert_null (osi_profile_store_lookup (store, "no-such-id"));

  /* The trailing slash does not count, on either side. */
  g_assert_true (osi_profile_store_find_by_url (store, "https://osi.example.org") == a);
  g_assert_true (osi_profile_store_find_by_url (store, "https://osi.example.org/") == a);
  g_assert_true (osi_profile_store_find_by_url (store, "http://127.0.0.1:8000/") == b);
  g_assert_null (osi_profile_store_find_by_url (store, "http://127.0.0.1:8001"));

  /* Setters, then save: the settings follow, no items-changed. */
  osi_profile_set_name (b, "Staging");
  osi_profile_set_ca_file (b, "");
  g_assert_null (osi_profile_get_ca_file (b));
  osi_profile_store_save (store);
  g_assert_cmpuint (changes.calls, ==, 2);
  {
    g_autoptr(GVariant) value = g_settings_get_value (settings, "profiles");
    const char *id, *name, *url, *ca_file;

    g_assert_cmpuint (g_variant_n_children (value), ==, 2);
    g_variant_get_child (value, 1, "(&s&s&s&s)", &id, &name, &url, &ca_file);
    g_assert_cmpstr (id, ==, osi_profile_get_id (b));
    g_assert_cmpstr (name, ==, "Staging");
    g_assert_cmpstr (url, ==, "http://127.0.0.1:8000");
    g_assert_cmpstr (ca_file, ==, "");
  }

  /* Current. */
  osi_profile_store_set_current (store, osi_profile_get_id (a));
  g_assert_true (osi_profile_store_get_current (store) == a);
  g_assert_cmpuint (current_notes, ==, 1);
  {
    g_autofree char *key = g_settings_get_string (settings, "current-profile");

    g_assert_cmpstr (key, ==, osi_profile_get_id (a));
  }
  osi_profile_store_set_current (store, osi_profile_get_id (a));
  g_assert_cmpuint (current_notes, ==, 1);
  osi_profile_store_set_current (store, "unknown");
  g_assert_null (osi_profile_store_get_current (store));
  g_assert_cmpuint (current_notes, ==, 2);
  osi_profile_store_set_current (store, osi_profile_get_id (a));
  g_assert_cmpuint (current_notes, ==, 3);

  /* Removing the current profile clears "current". */
  id_a = g_strdup (osi_profile_get_id (a));
  g_object_add_weak_pointer (G_OBJECT (first), (gpointer *)&first);
  g_clear_object (&first);
  osi_profile_store_remove (store, id_a);
  g_assert_cmpuint (changes.calls, ==, 3);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.removed, ==, 1);
  g_assert_cmpuint (changes.added, ==, 0);
  g_assert_null (osi_profile_store_get_current (store));
  g_assert_cmpuint (current_notes, ==, 4);
  g_assert_null (osi_profile_store_lookup (store, id_a));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  {
    g_autofree char *key = g_settings_get_string (settings, "current-profile");

    g_assert_cmpstr (key, ==, "");
  }
  /* Unknown ids are ignored. */
  osi_profile_store_remove (store, id_a);
  g_assert_cmpuint (changes.calls, ==, 3);

  /* Lets the token clearing of the removals finish. */
  iterate_until_idle ();
  g_free (id_a);

  g_signal_handlers_disconnect_by_data (store, &changes);
  g_signal_handlers_disconnect_by_data (store, &current_notes);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_store_persists (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(GSettings) other_settings = g_settings_new ("org.osi.Backup");
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  g_autoptr(OsiProfileStore) other = NULL;
  OsiProfile *a, *b, *copy;

  a = osi_profile_store_add (store, "Production", "https://osi.example.org", NULL);
  b = osi_profile_store_add (store, "Lab", "http://lab:8000", "/srv/ca.pem");
  osi_profile_store_set_current (store, osi_profile_get_id (b));

  other = osi_profile_store_new (other_settings);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (other)), ==, 2);
  copy = osi_profile_store_lookup (other, osi_profile_get_id (a));
  g_assert_nonnull (copy);
  g_assert_true (copy != a);
  g_assert_cmpstr (osi_profile_get_name (copy), ==, "Production");
  g_assert_cmpstr (osi_profile_get_url (copy), ==, "https://osi.example.org");
  g_assert_null (osi_profile_get_ca_file (copy));
  copy = osi_profile_store_lookup (other, osi_profile_get_id (b));
  g_assert_nonnull (copy);
  g_assert_cmpstr (osi_profile_get_ca_file (copy), ==, "/srv/ca.pem");
  g_assert_true (osi_profile_store_get_current (other) == copy);

  g_assert_finalize_object (g_steal_pointer (&other));
  g_assert_finalize_object (g_steal_pointer (&store));
}

static GVariant *
profiles_value (const char * const *rows)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssss)"));
  for (guint i = 0; rows[i] != NULL; i += 4)
    g_variant_builder_add (&builder, "(ssss)", rows[i], rows[i + 1], rows[i + 2], rows[i + 3]);
  return g_variant_builder_end (&builder);
}

static void
test_store_external_changes (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(GSettings) outside = g_settings_new ("org.osi.Backup");
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  const char *three[] = {
    "id-1", "One", "http://one:8000", "",
    "id-2", "Two", "http://two:8000", "",
    "id-3", "Three", "http://three:8000", "",
    NULL
  };
  const char *renamed[] = {
    "id-1", "One", "http://one:8000", "",
    "id-2", "Second", "http://two:8000", "/ca.pem",
    "id-3", "Three", "http://three:8000", "",
    NULL
  };
  const char *middle_gone[] = {
    "id-1", "One", "http://one:8000", "",
    "id-3", "Three", "http://three:8000", "",
    "id-3", "Duplicate", "http://dup:8000", "",
    "", "No id", "http://none:8000", "",
    NULL
  };
  Changes changes = { 0 };
  guint name_notes = 0;
  guint current_notes = 0;
  OsiProfile *two;

  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), &changes);
  g_signal_connect (store, "notify::current", G_CALLBACK (on_notify_count), &current_notes);

  g_settings_set_value (outside, "profiles", profiles_value (three));
  iterate_until_idle ();
  g_assert_cmpuint (changes.calls, ==, 1);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.removed, ==, 0);
  g_assert_cmpuint (changes.added, ==, 3);
  two = osi_profile_store_lookup (store, "id-2");
  g_assert_nonnull (two);
  g_signal_connect (two, "notify::name", G_CALLBACK (on_notify_count), &name_notes);

  /* Same ids: the same objects, updated in place, no items-changed. */
  g_settings_set_value (outside, "profiles", profiles_value (renamed));
  iterate_until_idle ();
  g_assert_cmpuint (changes.calls, ==, 1);
  g_assert_true (osi_profile_store_lookup (store, "id-2") == two);
  g_assert_cmpstr (osi_profile_get_name (two), ==, "Second");
  g_assert_cmpstr (osi_profile_get_ca_file (two), ==, "/ca.pem");
  g_assert_cmpuint (name_notes, ==, 1);
  g_signal_handlers_disconnect_by_data (two, &name_notes);

  g_settings_set_string (outside, "current-profile", "id-3");
  iterate_until_idle ();
  g_assert_cmpuint (current_notes, ==, 1);
  g_assert_cmpstr (osi_profile_get_id (osi_profile_store_get_current (store)), ==, "id-3");

  /* One removed in the middle: one items-changed for that span only.
   * Repeated and empty ids are dropped. */
  g_settings_set_value (outside, "profiles", profiles_value (middle_gone));
  iterate_until_idle ();
  g_assert_cmpuint (changes.calls, ==, 2);
  g_assert_cmpuint (changes.position, ==, 1);
  g_assert_cmpuint (changes.removed, ==, 1);
  g_assert_cmpuint (changes.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  g_assert_cmpstr (osi_profile_get_name (osi_profile_store_lookup (store, "id-3")), ==, "Three");
  g_assert_cmpuint (current_notes, ==, 1);

  /* The current one removed from outside: no current profile. */
  g_settings_reset (outside, "profiles");
  iterate_until_idle ();
  g_assert_cmpuint (changes.calls, ==, 3);
  g_assert_cmpuint (changes.removed, ==, 2);
  g_assert_null (osi_profile_store_get_current (store));
  g_assert_cmpuint (current_notes, ==, 2);

  g_signal_handlers_disconnect_by_data (store, &changes);
  g_signal_handlers_disconnect_by_data (store, &current_notes);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_store_remove_clears_token (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  OsiProfile *profile = osi_profile_store_add (store, "Gone", "http://gone:8000", NULL);
  g_autofree char *id = g_strdup (osi_profile_get_id (profile));
  g_autofree char *path = token_path (id);

  g_assert_cmpint (store_token (id, TOKEN), ==, OSI_SECRET_BACKEND_FILE);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  osi_profile_store_remove (store, id);
  /* Fire and forget: its thread's answer wakes the loop. */
  while (g_file_test (path, G_FILE_TEST_EXISTS))
    g_main_context_iteration (NULL, TRUE);
  iterate_until_idle ();

  g_assert_finalize_object (g_steal_pointer (&store));
}

/* ------------------------------------------------------------------------ */
/* Tokens, file backend                                                     */

static void
test_secret_round_trip (void)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *path = token_path (id);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  struct stat st;

  g_assert_cmpint (store_token (id, TOKEN), ==, OSI_SECRET_BACKEND_FILE);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, TOKEN);

  token = lookup_token (id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, TOKEN);
  g_clear_pointer (&token, g_free);

  /* Replaced whole, and no temporary file left behind. */
  g_assert_cmpint (store_token (id, "another-token"), ==, OSI_SECRET_BACKEND_FILE);
  token = lookup_token (id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "another-token");
  g_clear_pointer (&token, g_free);
  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  for (const char *name = g_dir_read_name (listing); name != NULL; name = g_dir_read_name (listing))
    g_assert_false (g_str_has_prefix (name, "."));

  /* A folder someone opened up is closed again on the next write. */
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_cmpint (store_token (id, TOKEN), ==, OSI_SECRET_BACKEND_FILE);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);

  g_assert_true (clear_token (id, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  token = lookup_token (id, &error);
  g_assert_no_error (error);
  g_assert_null (token);

  /* Clearing what is not there is not an error. */
  g_assert_true (clear_token (id, &error));
  g_assert_no_error (error);
}

static void
test_secret_unknown (void)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = lookup_token (id, &error);

  g_assert_no_error (error);
  g_assert_null (token);
}

static void
test_secret_invalid_id (void)
{
  const char *bad[] = { "", "../escape", "a/b", "..", "name with space", "é", NULL };
  g_autofree char *outside = g_build_filename (config_home, "osi-backup", "escape", NULL);

  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *token = NULL;

      osi_secret_store_async (bad[i], "Bad", TOKEN, NULL, osi_test_store_result, &result);
      g_assert_false (osi_secret_store_finish (osi_test_wait_result (&result, "the token stored"), NULL, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
      g_clear_object (&result);

      token = lookup_token (bad[i], &error);
      g_assert_null (token);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);

      g_assert_false (clear_token (bad[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
  g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));
}

static void
test_secret_not_in_settings (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  OsiProfile *profile = osi_profile_store_add (store, "Secret", "http://secret:8000", NULL);
  g_autoptr(GVariant) profiles = NULL;
  g_autoptr(GVariant) current = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *printed_current = NULL;

  store_token (osi_profile_get_id (profile), TOKEN);
  osi_profile_store_set_current (store, osi_profile_get_id (profile));
  osi_profile_store_save (store);

  profiles = g_settings_get_value (settings, "profiles");
  current = g_settings_get_value (settings, "current-profile");
  printed = g_variant_print (profiles, TRUE);
  printed_current = g_variant_print (current, TRUE);
  g_assert_nonnull (strstr (printed, osi_profile_get_id (profile)));
  g_assert_null (strstr (printed, TOKEN));
  g_assert_null (strstr (printed_current, TOKEN));

  osi_profile_store_remove (store, osi_profile_get_id (profile));
  iterate_until_idle ();
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* ------------------------------------------------------------------------ */
/* The preferences window                                                   */

static void
find_widgets (GtkWidget  *widget,
              GType       type,
              const char *name,
              GPtrArray  *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) &&
      (name == NULL || g_strcmp0 (gtk_widget_get_name (widget), name) == 0))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_widgets (child, type, name, found);
}

static GPtrArray *
find_all (GtkWidget  *root,
          GType       type,
          const char *name)
{
  GPtrArray *found = g_ptr_array_new ();

  find_widgets (root, type, name, found);
  return found;
}

static gpointer
find_one (GtkWidget  *root,
          GType       type,
          const char *name)
{
  g_autoptr(GPtrArray) found = find_all (root, type, name);

  g_assert_cmpuint (found->len, ==, 1);
  return g_ptr_array_index (found, 0);
}

/* The expander row of the profile named name. */
static GtkWidget *
find_server_row (GtkWidget  *window,
                 const char *name)
{
  g_autoptr(GPtrArray) rows = find_all (window, ADW_TYPE_EXPANDER_ROW, NULL);

  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), name) == 0)
      return g_ptr_array_index (rows, i);
  g_assert_not_reached ();
  return NULL;
}

static GtkWidget *
new_window (GSettings       *settings,
            OsiProfileStore *store)
{
  GtkWidget *window = GTK_WIDGET (osi_preferences_window_new (NULL, settings, store));

  /* Ours, so that it can be checked for leaks once GTK lets it go. */
  g_object_ref (window);
  gtk_window_present (GTK_WINDOW (window));
  iterate_until_idle ();
  return window;
}

/* A row may outlive the window a little: a token lookup or a connection
 * test holds it until its (cancelled) answer comes back. The loop waits
 * for those answers, then the window must be gone. */
static void
destroy_window (GtkWidget *window)
{
  g_autoptr(GPtrArray) rows = find_all (window, ADW_TYPE_EXPANDER_ROW, NULL);

  for (guint i = 0; i < rows->len; i++)
    g_object_add_weak_pointer (g_ptr_array_index (rows, i), &g_ptr_array_index (rows, i));
  gtk_window_destroy (GTK_WINDOW (window));
  iterate_until_idle ();
  g_assert_finalize_object (window);
  for (guint i = 0; i < rows->len; i++)
    while (g_ptr_array_index (rows, i) != NULL)
      g_main_context_iteration (NULL, TRUE);
}

static gboolean
skip_without_display (void)
{
  if (have_display)
    return FALSE;
  osi_test_missing ("no display");
  return TRUE;
}

static void
test_window_rows (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GtkWidget *window;
  OsiProfile *a;

  if (skip_without_display ())
    return;

  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  a = osi_profile_store_add (store, "Production & co", "https://osi.example.org", NULL);
  /* Names and addresses are text, not Pango markup. */
  osi_profile_store_add (store, "Lab", "http://lab:8000/osi?a=1&b=<2>", "/srv/ca & co.pem");
  osi_profile_store_set_current (store, osi_profile_get_id (a));

  window = new_window (settings, store);
  rows = find_all (window, ADW_TYPE_EXPANDER_ROW, NULL);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_cmpstr (adw_preferences_row_get_title (g_ptr_array_index (rows, 0)), ==, "Production & co");
  g_assert_cmpstr (adw_expander_row_get_subtitle (g_ptr_array_index (rows, 0)), ==, "https://osi.example.org");
  g_assert_cmpstr (adw_preferences_row_get_title (g_ptr_array_index (rows, 1)), ==, "Lab");
  g_assert_cmpstr (adw_expander_row_get_subtitle (g_ptr_array_index (rows, 1)), ==, "http://lab:8000/osi?a=1&b=<2>");
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* The list follows the store. */
  osi_profile_set_name (a, "Renamed");
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (find_server_row (window, "Renamed"))), ==, "Renamed");
  osi_profile_store_remove (store, osi_profile_get_id (a));
  iterate_until_idle ();
  rows = find_all (window, ADW_TYPE_EXPANDER_ROW, NULL);
  g_assert_cmpuint (rows->len, ==, 1);

  destroy_window (window);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_window_page_size (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  AdwComboRow *combo;
  AdwActionRow *download_row;
  GtkWidget *window;

  if (skip_without_display ())
    return;

  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  window = new_window (settings, store);

  combo = find_one (window, ADW_TYPE_COMBO_ROW, NULL);
  g_assert_cmpuint (adw_combo_row_get_selected (combo), ==, 1);   /* 25, the default */
  adw_combo_row_set_selected (combo, 3);
  g_assert_cmpint (g_settings_get_enum (settings, "items-per-page"), ==, 100);
  g_settings_set_enum (settings, "items-per-page", 10);
  g_assert_cmpuint (adw_combo_row_get_selected (combo), ==, 0);

  /* The download folder: the default shown, a folder set, the reset. */
  download_row = find_one (window, ADW_TYPE_ACTION_ROW, "download-row");
  g_assert_nonnull (adw_action_row_get_subtitle (download_row));
  g_settings_set_string (settings, "download-folder", "/srv/backups");
  g_assert_cmpstr (adw_action_row_get_subtitle (download_row), ==, "/srv/backups");
  g_assert_true (gtk_widget_activate_action (window, "prefs.reset-download-folder", NULL));
  {
    g_autofree char *folder = g_settings_get_string (settings, "download-folder");

    g_assert_cmpstr (folder, ==, "");
  }
  g_assert_cmpstr (adw_action_row_get_subtitle (download_row), !=, "/srv/backups");

  destroy_window (window);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_window_add_server (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  g_autoptr(OsiProfile) added = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GtkWidget *window;
  GtkWidget *row;

  if (skip_without_display ())
    return;

  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  osi_profile_store_add (store, "Lab", "http://lab:8000", NULL);
  window = new_window (settings, store);

  g_assert_true (gtk_widget_activate_action (window, "prefs.add-server", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  added = g_list_model_get_item (G_LIST_MODEL (store), 1);
  g_assert_cmpstr (osi_profile_get_name (added), ==, "New server");
  g_assert_cmpstr (osi_profile_get_url (added), ==, "https://");

  rows = find_all (window, ADW_TYPE_EXPANDER_ROW, NULL);
  g_assert_cmpuint (rows->len, ==, 2);
  row = find_server_row (window, "New server");
  g_assert_true (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (row)));

  destroy_window (window);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_window_validates_url (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  AdwEntryRow *url_row;
  AdwEntryRow *name_row;
  AdwActionRow *status_row;
  OsiProfile *profile;
  GtkWidget *window;
  GtkWidget *row;

  if (skip_without_display ())
    return;

  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  profile = osi_profile_store_add (store, "Lab", "http://lab:8000", NULL);
  window = new_window (settings, store);
  row = find_server_row (window, "Lab");
  url_row = find_one (row, ADW_TYPE_ENTRY_ROW, "url-row");
  name_row = find_one (row, ADW_TYPE_ENTRY_ROW, "name-row");
  status_row = find_one (row, ADW_TYPE_ACTION_ROW, "status-row");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (url_row)), ==, "http://lab:8000");

  {
    const char *bad[] = { "ftp://lab", "lab:8000", "http://", "https:///path", "not a url", NULL };

    for (guint i = 0; bad[i] != NULL; i++)
      {
        gtk_editable_set_text (GTK_EDITABLE (url_row), bad[i]);
        g_signal_emit_by_name (url_row, "apply");
        g_assert_cmpstr (osi_profile_get_url (profile), ==, "http://lab:8000");
        g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (url_row), "error"));
        g_assert_cmpstr (adw_action_row_get_subtitle (status_row), !=, "");
      }
  }

  gtk_editable_set_text (GTK_EDITABLE (url_row), " https://osi.example.org:8443 ");
  g_signal_emit_by_name (url_row, "apply");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (url_row), "error"));
  g_assert_cmpstr (osi_profile_get_url (profile), ==, "https://osi.example.org:8443");
  g_assert_cmpstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row)), ==, "https://osi.example.org:8443");

  /* Saved to the settings. */
  {
    g_autoptr(GSettings) other_settings = g_settings_new ("org.osi.Backup");
    g_autoptr(OsiProfileStore) other = osi_profile_store_new (other_settings);

    g_assert_cmpstr (osi_profile_get_url (osi_profile_store_lookup (other, osi_profile_get_id (profile))),
                     ==, "https://osi.example.org:8443");
  }

  /* An empty name is refused too. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "  ");
  g_signal_emit_by_name (name_row, "apply");
  g_assert_cmpstr (osi_profile_get_name (profile), ==, "Lab");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (name_row), "error"));
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Laboratory");
  g_signal_emit_by_name (name_row, "apply");
  g_assert_cmpstr (osi_profile_get_name (profile), ==, "Laboratory");

  /* "Use this server". */
  g_assert_null (osi_profile_store_get_current (store));
  g_assert_true (gtk_widget_activate_action (row, "server.use", NULL));
  g_assert_true (osi_profile_store_get_current (store) == profile);

  destroy_window (window);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static void
test_window_remove (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  g_autoptr(GListModel) toplevels = NULL;
  AdwMessageDialog *dialog = NULL;
  GtkWidget *window;
  GtkWidget *row;

  if (skip_without_display ())
    return;

  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  osi_profile_store_add (store, "Keep", "http://keep:8000", NULL);
  osi_profile_store_add (store, "Drop", "http://drop:8000", NULL);
  window = new_window (settings, store);
  row = find_server_row (window, "Drop");

  g_assert_true (gtk_widget_activate_action (row, "server.remove", NULL));
  toplevels = g_object_ref (gtk_window_get_toplevels ());
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (item))
        dialog = ADW_MESSAGE_DIALOG (item);
    }
  g_assert_nonnull (dialog);
  /* Nothing happens before the answer. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 2);
  adw_message_dialog_response (dialog, "remove");
  iterate_until_idle ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  {
    g_autoptr(OsiProfile) kept = g_list_model_get_item (G_LIST_MODEL (store), 0);
    g_autoptr(GPtrArray) rows = find_all (window, ADW_TYPE_EXPANDER_ROW, NULL);

    g_assert_cmpstr (osi_profile_get_name (kept), ==, "Keep");
    g_assert_cmpuint (rows->len, ==, 1);
  }

  destroy_window (window);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static GtkWindow *
find_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER_DIALOG (item))
        return GTK_WINDOW (item);
    }
  return NULL;
}

/* Cancels the chooser an action opened, twice: the answer is heard, so
 * the action opens a new chooser after it. */
static void
cancel_chooser (GtkWidget  *widget,
                const char *action,
                const char *title,
                guint       n_filters)
{
  for (guint i = 0; i < 2; i++)
    {
      GtkWindow *chooser;
      g_autoptr(GListModel) filters = NULL;

      g_assert_true (gtk_widget_activate_action (widget, action, NULL));
      while ((chooser = find_chooser ()) == NULL || !gtk_widget_get_mapped (GTK_WIDGET (chooser)))
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpstr (gtk_window_get_title (chooser), ==, title);
      g_assert_true (gtk_window_get_modal (chooser));
      filters = gtk_file_chooser_get_filters (GTK_FILE_CHOOSER (chooser));
      g_assert_cmpuint (g_list_model_get_n_items (filters), ==, n_filters);
      gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
      while (find_chooser () != NULL)
        g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_window_choosers (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  OsiProfile *profile;
  GtkWidget *window;

  if (skip_without_display ())
    return;

  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  profile = osi_profile_store_add (store, "Home", "http://home:8000", NULL);
  window = new_window (settings, store);
  gtk_window_present (GTK_WINDOW (window));

  cancel_chooser (window, "prefs.choose-download-folder", "Choose a Download Folder", 0);
  {
    g_autofree char *folder = g_settings_get_string (settings, "download-folder");

    g_assert_cmpstr (folder, ==, "");
  }
  cancel_chooser (find_server_row (window, "Home"), "server.choose-ca", "Choose a Certificate Authority File", 2);
  g_assert_null (osi_profile_get_ca_file (profile));

  destroy_window (window);
  g_assert_finalize_object (g_steal_pointer (&store));
}

static const char *
wait_status (AdwActionRow *status_row)
{
  /* The test shows "Connecting…" while it runs: wait for the answer. */
  while (g_str_has_suffix (adw_action_row_get_subtitle (status_row), "…"))
    g_main_context_iteration (NULL, TRUE);
  return adw_action_row_get_subtitle (status_row);
}

static void
test_window_test_connection (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *data = NULL;
  g_autofree char *backups = NULL;
  OsiTestServer *server;
  AdwEntryRow *token_row;
  AdwActionRow *status_row;
  OsiProfile *profile;
  GtkWidget *window;
  GtkWidget *row;

  if (skip_without_display ())
    return;

  tmp = osi_test_make_tmpdir ();
  data = osi_test_generate_data (tmp, 64 * 1024, 3);
  backups = g_build_filename (tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  server = osi_test_server_start (tmp, data, backups, TOKEN, NULL);

  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  profile = osi_profile_store_add (store, "Local", server->url, NULL);
  store_token (osi_profile_get_id (profile), TOKEN);

  window = new_window (settings, store);
  row = find_server_row (window, "Local");
  token_row = find_one (row, ADW_TYPE_PASSWORD_ENTRY_ROW, "token-row");
  status_row = find_one (row, ADW_TYPE_ACTION_ROW, "status-row");

  /* The stored token comes from the token file. */
  while (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (token_row)), TOKEN) != 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (gtk_widget_activate_action (row, "server.test", NULL));
  g_assert_cmpstr (adw_action_row_get_subtitle (status_row), ==, "Connecting…");
  g_assert_cmpstr (wait_status (status_row), ==, "Connected: 0 backups");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (status_row), "success"));

  /* A wrong token, typed but not applied: the server refuses it. */
  gtk_editable_set_text (GTK_EDITABLE (token_row), "wrong-token");
  g_assert_true (gtk_widget_activate_action (row, "server.test", NULL));
  g_assert_true (g_str_has_prefix (wait_status (status_row),
                                   "The server refused the token: check the API token of this server profile."));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (status_row), "error"));

  /* Applied: kept (in the file, without keyring) and said so. */
  g_signal_emit_by_name (token_row, "apply");
  while (g_strcmp0 (adw_action_row_get_subtitle (status_row),
                    "No keyring available: token saved in a file only you can read.") != 0)
    g_main_context_iteration (NULL, TRUE);
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *token = lookup_token (osi_profile_get_id (profile), &error);

    g_assert_no_error (error);
    g_assert_cmpstr (token, ==, "wrong-token");
  }

  /* Closing the window in the middle of a test cancels it. */
  gtk_editable_set_text (GTK_EDITABLE (token_row), TOKEN);
  g_assert_true (gtk_widget_activate_action (row, "server.test", NULL));
  destroy_window (window);

  g_assert_true (clear_token (osi_profile_get_id (profile), NULL));
  g_assert_finalize_object (g_steal_pointer (&store));
  g_assert_cmpint (osi_test_server_stop (server), ==, 0);
  osi_test_server_free (server);
  osi_test_remove_tmpdir (tmp);
}

/* ------------------------------------------------------------------------ */
/* Time zones (docs/api.md §5.3: the deployed backend sends naive local times)     */

static char *
stored_time_zones (GSettings *settings)
{
  g_autoptr(GVariant) zones = g_settings_get_value (settings, "profile-time-zones");

  return g_variant_print (zones, FALSE);
}

static guint
n_stored_time_zones (GSettings *settings)
{
  g_autoptr(GVariant) zones = g_settings_get_value (settings, "profile-time-zones");

  return (guint)g_variant_n_children (zones);
}

static void
assert_makes_client (OsiProfile *profile,
                     const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiClient) client = osi_profile_new_client (profile, token, &error);

  g_assert_no_error (error);
  g_assert_nonnull (client);
}

static void
test_store_time_zone (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(GSettings) outside = g_settings_new ("org.osi.Backup");
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  g_autoptr(GSettings) other_settings = g_settings_new ("org.osi.Backup");
  g_autoptr(OsiProfileStore) other = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *printed = NULL;
  const char *old_profiles[] = {
    "id-old", "Before time zones", "http://old:8000", "",
    NULL
  };
  OsiProfile *paris, *here, *copy, *old;
  guint notes = 0;

  paris = osi_profile_store_add (store, "Paris", "https://osi.example.org", NULL);
  here = osi_profile_store_add (store, "Here", "http://lab:8000", NULL);
  g_assert_cmpstr (osi_profile_get_time_zone (paris), ==, "");
  osi_profile_set_time_zone (paris, "Europe/Paris");
  osi_profile_store_save (store);
  printed = stored_time_zones (settings);
  g_test_message ("stored: %s", printed);
  g_assert_nonnull (strstr (printed, osi_profile_get_id (paris)));
  g_assert_nonnull (strstr (printed, "Europe/Paris"));
  g_assert_cmpuint (n_stored_time_zones (settings), ==, 1);
  /* The desktop's zone is not written down. */
  g_assert_null (strstr (printed, osi_profile_get_id (here)));

  /* Read back by another store, as at the next start. */
  other = osi_profile_store_new (other_settings);
  copy = osi_profile_store_lookup (other, osi_profile_get_id (paris));
  g_assert_nonnull (copy);
  g_assert_cmpstr (osi_profile_get_time_zone (copy), ==, "Europe/Paris");
  g_assert_cmpstr (osi_profile_get_time_zone (osi_profile_store_lookup (other, osi_profile_get_id (here))), ==, "");

  /* A change from outside reaches the profiles. */
  g_signal_connect (copy, "notify::time-zone", G_CALLBACK (on_notify_count), &notes);
  {
    GVariantBuilder zones;

    g_variant_builder_init (&zones, G_VARIANT_TYPE ("a{ss}"));
    g_variant_builder_add (&zones, "{ss}", osi_profile_get_id (paris), "America/New_York");
    g_settings_set_value (outside, "profile-time-zones", g_variant_builder_end (&zones));
  }
  iterate_until_idle ();
  g_assert_cmpuint (notes, ==, 1);
  g_assert_cmpstr (osi_profile_get_time_zone (copy), ==, "America/New_York");
  g_assert_cmpstr (osi_profile_get_time_zone (paris), ==, "America/New_York");
  g_signal_handlers_disconnect_by_data (copy, &notes);

  /* Profiles stored before time zones existed still load: the desktop's. */
  g_settings_reset (outside, "profile-time-zones");
  g_settings_set_value (outside, "profiles", profiles_value (old_profiles));
  iterate_until_idle ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  old = osi_profile_store_lookup (store, "id-old");
  g_assert_nonnull (old);
  g_assert_cmpstr (osi_profile_get_name (old), ==, "Before time zones");
  g_assert_cmpstr (osi_profile_get_time_zone (old), ==, "");

  /* The client of a profile reads its dates in its zone; a zone that
   * names none makes no client. */
  assert_makes_client (old, NULL);
  osi_profile_set_time_zone (old, "Europe/Paris");
  assert_makes_client (old, "token");
  osi_profile_set_time_zone (old, "Mars/Olympus_Mons");
  client = osi_profile_new_client (old, NULL, &error);
  g_assert_null (client);
  g_assert_nonnull (error);
  g_test_message ("refused: %s", error->message);

  g_assert_finalize_object (g_steal_pointer (&other));
  g_assert_finalize_object (g_steal_pointer (&store));
}

/* The preferences window over a fresh store that holds one profile. */
typedef struct
{
  GSettings       *settings;
  OsiProfileStore *store;
  OsiProfile      *profile;   /* the store's */
  GtkWidget       *window;
  GtkWidget       *row;       /* the profile's */
} OneServer;

/* FALSE, with the case skipped, without a display. */
static gboolean
one_server_open (OneServer  *s,
                 const char *name,
                 const char *url)
{
  memset (s, 0, sizeof *s);
  if (skip_without_display ())
    return FALSE;
  s->settings = fresh_settings ();
  s->store = osi_profile_store_new (s->settings);
  s->profile = osi_profile_store_add (s->store, name, url, NULL);
  s->window = new_window (s->settings, s->store);
  s->row = find_server_row (s->window, name);
  return TRUE;
}

static void
one_server_close (OneServer *s)
{
  destroy_window (s->window);
  g_assert_finalize_object (g_steal_pointer (&s->store));
  g_clear_object (&s->settings);
}

/* As typed, then Enter. */
static void
apply_text (AdwEntryRow *entry,
            const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_signal_emit_by_name (entry, "apply");
}

/* What a store made now reads from the settings, as at the next start. */
static char *
reread_time_zone (OsiProfile *profile)
{
  g_autoptr(GSettings) settings = g_settings_new ("org.osi.Backup");
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);

  return g_strdup (osi_profile_get_time_zone (osi_profile_store_lookup (store, osi_profile_get_id (profile))));
}

/* A time zone applied is checked in a worker: wait for its answer. */
static void
wait_css_class (GtkWidget  *widget,
                const char *css_class)
{
  while (!gtk_widget_has_css_class (widget, css_class))
    g_main_context_iteration (NULL, TRUE);
}

static void
wait_time_zone (OsiProfile *profile,
                const char *time_zone)
{
  while (g_strcmp0 (osi_profile_get_time_zone (profile), time_zone) != 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_window_time_zone (void)
{
  OneServer s;
  g_autofree char *saved = NULL;
  g_autofree char *refused = NULL;
  AdwEntryRow *zone_row;
  AdwActionRow *status_row;
  GtkText *text;

  if (!one_server_open (&s, "OSI", "http://127.0.0.1:1"))
    return;
  zone_row = find_one (s.row, ADW_TYPE_ENTRY_ROW, "time-zone-row");
  status_row = find_one (s.row, ADW_TYPE_ACTION_ROW, "status-row");
  /* Empty: this computer's, as its placeholder says. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (zone_row)), ==, "");
  text = GTK_TEXT (gtk_editable_get_delegate (GTK_EDITABLE (zone_row)));
  g_assert_cmpstr (gtk_text_get_placeholder_text (text), ==, "This computer’s");

  /* A zone that does not exist: the error shown, nothing saved. */
  apply_text (zone_row, "Mars/Olympus_Mons");
  wait_css_class (GTK_WIDGET (zone_row), "error");
  g_assert_cmpstr (osi_profile_get_time_zone (s.profile), ==, "");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (status_row), "error"));
  refused = g_strdup (adw_action_row_get_subtitle (status_row));
  g_assert_cmpstr (refused, !=, "");
  g_assert_cmpuint (n_stored_time_zones (s.settings), ==, 0);
  /* Nor used to test the connection: refused before connecting (the
   * server at port 1 would give another sentence). */
  gtk_widget_remove_css_class (GTK_WIDGET (zone_row), "error");
  g_assert_true (gtk_widget_activate_action (s.row, "server.test", NULL));
  g_assert_cmpstr (wait_status (status_row), ==, refused);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (status_row), "error"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (zone_row), "error"));

  /* A real one: saved, read back as at the next start. */
  gtk_editable_set_text (GTK_EDITABLE (zone_row), " Europe/Paris ");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (zone_row), "error"));
  g_signal_emit_by_name (zone_row, "apply");
  wait_time_zone (s.profile, "Europe/Paris");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (status_row), "error"));
  saved = reread_time_zone (s.profile);
  g_assert_cmpstr (saved, ==, "Europe/Paris");
  /* An outside change shows in the field. */
  osi_profile_set_time_zone (s.profile, "UTC");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (zone_row)), ==, "UTC");

  /* Emptied: back to this computer's, forgotten in the settings. */
  apply_text (zone_row, "");
  g_assert_cmpstr (osi_profile_get_time_zone (s.profile), ==, "");
  g_assert_cmpuint (n_stored_time_zones (s.settings), ==, 0);

  one_server_close (&s);
}

/* ------------------------------------------------------------------------ */
/* The UI thread reads neither the CA file nor the time zone's file        */

/* An HTTPS server whose certificate only tmp/ca.pem vouches for. */
typedef struct
{
  char          *tmp;
  char          *ca;
  char          *zoneinfo;  /* where GLib reads time zones */
  OsiTestServer *server;
} TlsServer;

/* FALSE, with the case skipped, without openssl. */
static gboolean
tls_server_start (TlsServer *t)
{
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *data = NULL;
  g_autofree char *backups = NULL;
  const char *tzdir = g_getenv ("TZDIR");

  memset (t, 0, sizeof *t);
  t->tmp = osi_test_make_tmpdir ();
  if (!osi_test_make_tls_certificates (t->tmp))
    {
      osi_test_remove_tmpdir (t->tmp);
      g_clear_pointer (&t->tmp, g_free);
      return FALSE;
    }
  t->ca = g_build_filename (t->tmp, "ca.pem", NULL);
  cert = g_build_filename (t->tmp, "server.pem", NULL);
  key = g_build_filename (t->tmp, "server.key", NULL);

  data = osi_test_generate_data (t->tmp, 64 * 1024, 2);
  backups = g_build_filename (t->tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  t->server = osi_test_server_start (t->tmp, data, backups, TOKEN, "--tls-cert", cert, "--tls-key", key, NULL);
  g_assert_true (g_str_has_prefix (t->server->url, "https://"));

  t->zoneinfo = g_strdup (tzdir != NULL && g_path_is_absolute (tzdir) ? tzdir : "/usr/share/zoneinfo");
  /* This desktop's zone, which GLib keeps once read, is not the point. */
  g_time_zone_unref (g_time_zone_new_local ());
  return TRUE;
}

static void
tls_server_stop (TlsServer *t)
{
  /* Its exit status is for the server's tests (see test-client.c). */
  osi_test_server_stop (t->server);
  osi_test_server_free (t->server);
  osi_test_remove_tmpdir (t->tmp);
  g_free (t->tmp);
  g_free (t->ca);
  g_free (t->zoneinfo);
}

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) backups = osi_client_list_finish (OSI_CLIENT (source), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (backups);
  *(guint *)user_data = backups->len + 1;
}

/* The client the app connects with (osi-application.c): a profile with a
 * CA file and a time zone. Each zone of this file is used once: GLib
 * keeps a zone while it is in use, and one kept is not read again. */
static void
test_new_client_reads_no_file (void)
{
  g_autoptr(GSettings) settings = fresh_settings ();
  g_autoptr(OsiProfileStore) store = osi_profile_store_new (settings);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = NULL;
  OsiProfile *profile;
  TlsServer t;
  guint listed = 0;

  if (!tls_server_start (&t))
    return;
  profile = osi_profile_store_add (store, "Secure", t.server->url, t.ca);
  osi_profile_set_time_zone (profile, "Asia/Tokyo");

  osi_io_watch_start ((const char *[]) { t.ca, t.zoneinfo, NULL });
  osi_profile_new_client_async (profile, TOKEN, NULL, osi_test_store_result, &result);
  client = osi_client_new_finish (osi_test_wait_result (&result, "the profile's client"), &error);
  g_assert_no_error (error);
  g_assert_nonnull (client);
  /* Over HTTPS, trusted through the CA file. */
  osi_client_list_async (client, NULL, on_listed, &listed);
  while (listed == 0)
    g_main_context_iteration (NULL, TRUE);
  osi_io_watch_stop ("a profile's client made");
  g_assert_cmpuint (listed, ==, 1);

  /* An unusable CA file makes no client, with why. */
  g_clear_object (&client);
  missing = g_build_filename (t.tmp, "missing.pem", NULL);
  osi_profile_set_ca_file (profile, missing);
  g_clear_object (&result);
  osi_profile_new_client_async (profile, TOKEN, NULL, osi_test_store_result, &result);
  client = osi_client_new_finish (osi_test_wait_result (&result, "the profile's client"), &error);
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS);
  g_assert_null (client);
  g_clear_error (&error);

  /* Nor an unknown time zone. */
  osi_profile_set_ca_file (profile, t.ca);
  osi_profile_set_time_zone (profile, "Mars/Olympus_Mons");
  g_clear_object (&result);
  osi_profile_new_client_async (profile, TOKEN, NULL, osi_test_store_result, &result);
  client = osi_client_new_finish (osi_test_wait_result (&result, "the profile's client"), &error);
  g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
  g_assert_null (client);

  g_assert_finalize_object (g_steal_pointer (&store));
  tls_server_stop (&t);
}

/* A profile without a CA file trusts the system's authorities, which
 * GnuTLS reads from a bundle of some hundred kilobytes the first time a
 * process asks for them. In a child process of its own, where no case
 * before has read them yet. */
static void
test_system_authorities_read_off_thread (void)
{
  const char *bundle = "/etc/ssl/certs/ca-certificates.crt";
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(GError) error = NULL;
  OsiProfile *profile;
  TlsServer t;

  if (!g_file_test (bundle, G_FILE_TEST_EXISTS))
    {
      osi_test_missing ("no system bundle of certificate authorities");
      return;
    }
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, (guint64)4 * OSI_TEST_WAIT_S * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  if (!tls_server_start (&t))
    return;
  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  profile = osi_profile_store_add (store, "Secure", t.server->url, NULL);

  osi_io_watch_start ((const char *[]) { bundle, NULL });
  osi_profile_new_client_async (profile, TOKEN, NULL, osi_test_store_result, &result);
  client = osi_client_new_finish (osi_test_wait_result (&result, "the profile's client"), &error);
  g_assert_no_error (error);
  /* The test authority is not the system's: refused, as it should be. */
  g_clear_object (&result);
  osi_client_list_async (client, NULL, osi_test_store_result, &result);
  backups = osi_client_list_finish (client, osi_test_wait_result (&result, "the list"), &error);
  osi_io_watch_stop ("a connection trusting the system's authorities");
  g_assert_error (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS);
  g_assert_null (backups);

  g_clear_object (&client);
  g_assert_finalize_object (g_steal_pointer (&store));
  tls_server_stop (&t);
}

/* The preferences: testing the connection of a profile with a CA file
 * and a time zone, then applying another time zone. */
static void
test_window_reads_no_file (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(OsiProfileStore) store = NULL;
  AdwEntryRow *token_row;
  AdwEntryRow *zone_row;
  AdwActionRow *status_row;
  OsiProfile *profile;
  GtkWidget *window;
  GtkWidget *row;
  TlsServer t;

  if (skip_without_display () || !tls_server_start (&t))
    return;
  settings = fresh_settings ();
  store = osi_profile_store_new (settings);
  profile = osi_profile_store_add (store, "Secure", t.server->url, t.ca);
  osi_profile_set_time_zone (profile, "Pacific/Auckland");
  store_token (osi_profile_get_id (profile), TOKEN);

  window = new_window (settings, store);
  row = find_server_row (window, "Secure");
  token_row = find_one (row, ADW_TYPE_PASSWORD_ENTRY_ROW, "token-row");
  zone_row = find_one (row, ADW_TYPE_ENTRY_ROW, "time-zone-row");
  status_row = find_one (row, ADW_TYPE_ACTION_ROW, "status-row");
  while (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (token_row)), TOKEN) != 0)
    g_main_context_iteration (NULL, TRUE);

  osi_io_watch_start ((const char *[]) { t.ca, t.zoneinfo, NULL });
  g_assert_true (gtk_widget_activate_action (row, "server.test", NULL));
  g_assert_cmpstr (adw_action_row_get_subtitle (status_row), ==, "Connecting…");
  g_assert_cmpstr (wait_status (status_row), ==, "Connected: 0 backups");
  osi_io_watch_stop ("a connection test");

  osi_io_watch_start ((const char *[]) { t.ca, t.zoneinfo, NULL });
  apply_text (zone_row, "America/Sao_Paulo");
  wait_time_zone (profile, "America/Sao_Paulo");
  osi_io_watch_stop ("a time zone applied");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (zone_row), "error"));

  destroy_window (window);
  g_assert_true (clear_token (osi_profile_get_id (profile), NULL));
  g_assert_finalize_object (g_steal_pointer (&store));
  tls_server_stop (&t);
}

int
main (int argc, char **argv)
{
  int status;

  /* Before anything asks GLib for the folder: tokens go under it. */
  config_home = osi_test_make_tmpdir ();
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_setenv ("OSI_BACKUP_NO_KEYRING", "1", TRUE);

  g_test_init (&argc, &argv, NULL);

  have_display = gtk_init_check ();
  if (have_display)
    adw_init ();

  g_test_add_func ("/profiles/store/basics", test_store_basics);
  g_test_add_func ("/profiles/store/persists", test_store_persists);
  g_test_add_func ("/profiles/store/external-changes", test_store_external_changes);
  g_test_add_func ("/profiles/store/remove-clears-token", test_store_remove_clears_token);
  g_test_add_func ("/profiles/secret/round-trip", test_secret_round_trip);
  g_test_add_func ("/profiles/secret/unknown", test_secret_unknown);
  g_test_add_func ("/profiles/secret/invalid-id", test_secret_invalid_id);
  g_test_add_func ("/profiles/secret/not-in-settings", test_secret_not_in_settings);
  g_test_add_func ("/profiles/window/rows", test_window_rows);
  g_test_add_func ("/profiles/window/page-size", test_window_page_size);
  g_test_add_func ("/profiles/window/add-server", test_window_add_server);
  g_test_add_func ("/profiles/window/validates-url", test_window_validates_url);
  g_test_add_func ("/profiles/window/remove", test_window_remove);
  g_test_add_func ("/profiles/window/choosers", test_window_choosers);
  g_test_add_func ("/profiles/window/test-connection", test_window_test_connection);
  g_test_add_func ("/profiles/store/time-zone", test_store_time_zone);
  g_test_add_func ("/profiles/window/time-zone", test_window_time_zone);
  g_test_add_func ("/profiles/ui-thread/new-client", test_new_client_reads_no_file);
  g_test_add_func ("/profiles/ui-thread/window", test_window_reads_no_file);
  g_test_add_func ("/profiles/ui-thread/system-authorities", test_system_authorities_read_off_thread);

  status = g_test_run ();

  osi_test_remove_tmpdir (config_home);
  g_free (config_home);
  return status;
}
