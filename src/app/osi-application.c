/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-app"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-a11y.h"
#include "osi-application.h"
#include "osi-check-history.h"
#include "osi-demo-server.h"
#include "osi-preferences-window.h"
#include "osi-profile-store.h"
#include "osi-resources.h"
#include "osi-secret.h"
#include "osi-window.h"

/* How long the first window waits for the server's list before it shows
 * anyway, with its loading page: about what goes unnoticed at start. */
#define FIRST_LIST_WAIT_MS 150

/* How long the application lingers, windowless, after its last window
 * closed: past the demo server's own bound (SIGTERM, then SIGKILL, 5 s
 * each), for the history's last write. */
#define WIND_DOWN_MS (11 * 1000)

struct _OsiApplication
{
  AdwApplication    parent_instance;

  GSettings        *settings;
  OsiProfileStore  *profiles;
  OsiDemoServer    *demo;
  GCancellable     *cancellable;
  char             *server_url;   /* --server */
  gboolean          demo_mode;    /* --demo, or the demo button */
  guint             connection;   /* bumped at each new connection: late answers are dropped */
  /* The last window closed: the application holds itself while the
   * demo server stops and the history is written. */
  guint             wind_down_left;
  guint             wind_down_id;
};

G_DEFINE_FINAL_TYPE (OsiApplication, osi_application, ADW_TYPE_APPLICATION)

static OsiWindow *
main_window (OsiApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window != NULL && OSI_IS_WINDOW (window))
    return OSI_WINDOW (window);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (OSI_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

/* The window shows why there is no client. */
static void
show_client_error (OsiApplication *self,
                   const GError   *error)
{
  OsiWindow *window = main_window (self);

  if (window != NULL)
    {
      osi_window_set_client (window, NULL, NULL);
      osi_window_show_connect_error (window, error->message);
    }
}

/* What a connection under way keeps until its client is made. */
typedef struct
{
  OsiApplication *self;
  guint           connection;
  OsiProfile     *profile;
  char           *label;
} Lookup;

static void
lookup_free (Lookup *lookup)
{
  g_object_unref (lookup->self);
  g_clear_object (&lookup->profile);
  g_free (lookup->label);
  g_free (lookup);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Lookup, lookup_free)

static Lookup *
lookup_new (OsiApplication *self,
            OsiProfile     *profile,
            const char     *label)
{
  Lookup *lookup = g_new0 (Lookup, 1);

  lookup->self = g_object_ref (self);
  lookup->connection = self->connection;
  lookup->profile = profile != NULL ? g_object_ref (profile) : NULL;
  lookup->label = g_strdup (label);
  return lookup;
}

static void
on_profile_client (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Lookup) lookup = user_data;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GError) error = NULL;
  OsiWindow *window;

  client = osi_client_new_finish (result, &error);
  if (lookup->connection != lookup->self->connection ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  window = main_window (lookup->self);
  if (window == NULL)
    return;
  if (client == NULL)
    {
      show_client_error (lookup->self, error);
      return;
    }
  osi_window_set_client (window, client, lookup->label);
}

/* Connects the window to url (no profile: no CA file, the desktop's time
 * zone) at once, or to profile's server, with token, once a worker has
 * read its CA file and time zone: both are files (a slow or sleeping
 * disk must not freeze the window). */
static void
connect_window (OsiApplication *self,
                OsiProfile     *profile,
                const char     *url,
                const char     *token,
                const char     *label)
{
  OsiWindow *window = main_window (self);
  g_autoptr(OsiClient) client = NULL;

  if (window == NULL)
    return;
  if (profile != NULL)
    {
      osi_profile_new_client_async (profile, token, self->cancellable, on_profile_client,
                                    lookup_new (self, NULL, label));
      return;
    }
  client = osi_client_new (url, token);
  osi_window_set_client (window, client, label);
}

/* ------------------------------------------------------------------------ */
/* Profiles                                                                 */

static void
on_token_found (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Lookup) lookup = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = osi_secret_lookup_finish (result, &error);

  if (lookup->connection != lookup->self->connection)
    return;
  if (error != NULL)
    g_warning ("Cannot read the API token from the keyring: %s", error->message);
  /* The profile as it is now: its address, CA file or time zone may have
   * changed while the keyring answered. */
  connect_window (lookup->self, lookup->profile, NULL, token, lookup->label);
}

static void
connect_profile (OsiApplication *self,
                 OsiProfile     *profile)
{
  Lookup *lookup;

  self->connection++;
  if (profile == NULL)
    {
      OsiWindow *window = main_window (self);

      if (window != NULL)
        osi_window_set_client (window, NULL, NULL);
      return;
    }
  lookup = lookup_new (self, profile, osi_profile_get_name (profile));
  osi_secret_lookup_async (osi_profile_get_id (profile), self->cancellable, on_token_found, lookup);
}

static void
on_current_profile (OsiApplication  *self,
                    GParamSpec      *pspec,
                    OsiProfileStore *profiles)
{
  OsiProfile *current = osi_profile_store_get_current (profiles);

  /* Choosing a server in Preferences leaves the demonstration. */
  if (current != NULL)
    {
      self->demo_mode = FALSE;
      g_clear_pointer (&self->server_url, g_free);
    }
  connect_profile (self, current);
}

/* ------------------------------------------------------------------------ */
/* Demo                                                                     */

static void
on_demo_started (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(OsiApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  OsiWindow *window = main_window (self);

  if (!osi_demo_server_start_finish (OSI_DEMO_SERVER (source), result, &error))
    {
      if (window != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          osi_window_set_client (window, NULL, NULL);
          osi_window_show_connect_error (window, error->message);
        }
      return;
    }
  if (!self->demo_mode)
    return;
  {
    g_autofree char *label = g_strdup_printf (_("Demonstration server (%s)"),
                                              osi_demo_server_get_url (OSI_DEMO_SERVER (source)));

    connect_window (self, NULL, osi_demo_server_get_url (OSI_DEMO_SERVER (source)),
                    osi_demo_server_get_token (OSI_DEMO_SERVER (source)), label);
  }
}

static void
start_demo (OsiApplication *self)
{
  self->demo_mode = TRUE;
  self->connection++;
  if (self->demo != NULL && osi_demo_server_get_url (self->demo) != NULL)
    {
      g_autofree char *label = g_strdup_printf (_("Demonstration server (%s)"), osi_demo_server_get_url (self->demo));

      connect_window (self, NULL, osi_demo_server_get_url (self->demo), osi_demo_server_get_token (self->demo),
                      label);
      return;
    }
  if (self->demo == NULL)
    self->demo = osi_demo_server_new ();
  osi_demo_server_start_async (self->demo, self->cancellable, on_demo_started, g_object_ref (self));
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                  */

static void
on_token_stored (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Lookup) lookup = user_data;
  g_autoptr(GError) error = NULL;
  OsiWindow *window;

  if (osi_secret_store_finish (result, NULL, &error))
    {
      OsiProfile *current = osi_profile_store_get_current (lookup->self->profiles);

      /* Reads the token back from where it was kept, as at next start;
       * the profile may be the current one already (a new token for the
       * same server), which changes nothing to notify. */
      if (current != NULL && g_strcmp0 (osi_profile_get_id (current), lookup->label) == 0)
        {
          lookup->self->demo_mode = FALSE;
          g_clear_pointer (&lookup->self->server_url, g_free);
          connect_profile (lookup->self, current);
        }
      else
        osi_profile_store_set_current (lookup->self->profiles, lookup->label);
      return;
    }
  window = main_window (lookup->self);
  if (window != NULL)
    osi_window_show_connect_error (window, error->message);
}

static void
action_connect (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  OsiApplication *self = user_data;
  const char *url;
  const char *token;
  g_autoptr(GUri) uri = NULL;
  OsiProfile *profile;
  Lookup *lookup;

  g_variant_get (parameter, "(&s&s)", &url, &token);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  profile = osi_profile_store_find_by_url (self->profiles, url);
  if (profile == NULL)
    profile = osi_profile_store_add (self->profiles, uri != NULL ? g_uri_get_host (uri) : url, url, NULL);

  lookup = g_new0 (Lookup, 1);
  lookup->self = g_object_ref (self);
  lookup->label = g_strdup (osi_profile_get_id (profile));
  osi_secret_store_async (osi_profile_get_id (profile), osi_profile_get_name (profile), token, self->cancellable,
                          on_token_stored, lookup);
}

static void
action_demo (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  start_demo (OSI_APPLICATION (user_data));
}

static void
on_preferences_closed (OsiApplication *self)
{
  /* A token, a CA file or a time zone may have changed. */
  if (!self->demo_mode && self->server_url == NULL)
    connect_profile (self, osi_profile_store_get_current (self->profiles));
}

static void
action_preferences (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  OsiApplication *self = user_data;
  OsiPreferencesWindow *preferences;

  preferences = osi_preferences_window_new (GTK_WINDOW (main_window (self)), self->settings, self->profiles);
  g_signal_connect_object (preferences, "destroy", G_CALLBACK (on_preferences_closed), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
action_about (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  OsiApplication *self = user_data;
  const char *developers[] = { _("The OSI Backup developers"), NULL };
  g_autofree char *release_notes = NULL;
  GtkWidget *about;

  /* The notes of this version in data/org.osi.Backup.metainfo.xml.in, the
   * same strings so that one translation serves both. */
  release_notes = g_markup_printf_escaped ("<p>%s</p>"
                                           "<ul><li>%s</li><li>%s</li><li>%s</li><li>%s</li><li>%s</li></ul>",
                                           _("The first release."),
                                           _("The backups of a server in a searchable, paged list"),
                                           _("Create, restore, download and delete, each with a confirmation or "
                                             "progress"),
                                           _("Offline check of a downloaded backup"),
                                           _("Several server profiles, tokens in the keyring"),
                                           _("A French interface"));
  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", main_window (self),
                        "application-name", _("OSI Backup"),
                        "application-icon", APP_ID,
                        "version", VERSION,
                        "developer-name", _("The OSI Backup developers"),
                        "developers", developers,
                        "comments", _("Manage and check the backups of an OSI dashboard backend: its knowledge "
                                      "base, its configuration and its other data."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "translator-credits", _("translator-credits"),
                        "release-notes-version", VERSION,
                        "release-notes", release_notes,
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
action_quit (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  OsiApplication *self = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

static const GActionEntry app_actions[] = {
  { "quit", action_quit },
  { "preferences", action_preferences },
  { "about", action_about },
  { "demo", action_demo },
  { "connect", action_connect, "(ss)" },
};

/* ------------------------------------------------------------------------ */
/* GApplication                                                             */

static int
osi_application_handle_local_options (GApplication *application,
                                      GVariantDict *options)
{
  OsiApplication *self = OSI_APPLICATION (application);
  const char *server = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("osi-backup %s\n", VERSION);
      return 0;
    }
  self->demo_mode = g_variant_dict_contains (options, "demo");
  if (g_variant_dict_lookup (options, "server", "&s", &server))
    self->server_url = g_strdup (server);
  if (self->demo_mode && self->server_url != NULL)
    {
      g_printerr ("%s\n", _("Choose either --demo or --server, not both."));
      return 2;
    }
  /* A demonstration or a given server is a session of its own, beside
   * the usual window. */
  if (self->demo_mode || self->server_url != NULL)
    g_application_set_flags (application, g_application_get_flags (application) | G_APPLICATION_NON_UNIQUE);
  return -1;
}

static void
osi_application_startup (GApplication *application)
{
  OsiApplication *self = OSI_APPLICATION (application);
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *preferences_accels[] = { "<Control>comma", NULL };
  const char *check_accels[] = { "<Control>o", NULL };
  const char *shortcuts_accels[] = { "<Control>question", NULL };

  G_APPLICATION_CLASS (osi_application_parent_class)->startup (application);

  /* The icon of every window (X11 shows it in the task bar), from the icon
   * theme: the installed one, or the copy in the resources. */
  gtk_window_set_default_icon_name (APP_ID);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.check-file", check_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", shortcuts_accels);

  /* GLib reads ~/.config/user-dirs.dirs at the first question and keeps
   * the answer: asked here, before any window shows, rather than by the
   * first download or file chooser on the UI thread. */
  g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  self->settings = g_settings_new (APP_ID);
  self->profiles = osi_profile_store_new (self->settings);
  g_signal_connect_object (self->profiles, "notify::current", G_CALLBACK (on_current_profile), self,
                           G_CONNECT_SWAPPED);
}

static void
osi_application_activate (GApplication *application)
{
  OsiApplication *self = OSI_APPLICATION (application);
  OsiWindow *window = main_window (self);
  gboolean fresh = window == NULL;

  if (!fresh)
    {
      gtk_window_present (GTK_WINDOW (window));
      return;
    }

  /* The list request goes out before the window is shown, and the window
   * waits for the answer (at most FIRST_LIST_WAIT_MS): from a near server
   * its first frame shows the backups, rather than a loading page that the
   * list replaces a frame later, and GTK realizing and mapping the window
   * does not hold up reading the answer. */
  window = osi_window_new (GTK_APPLICATION (self));
  if (self->demo_mode)
    start_demo (self);
  else if (self->server_url != NULL)
    {
      OsiProfile *profile = osi_profile_store_find_by_url (self->profiles, self->server_url);
      const char *token = g_getenv ("OSI_BACKUP_TOKEN");

      self->connection++;
      if (token == NULL && profile != NULL)
        connect_profile (self, profile);
      else
        /* A profile of that address lends its CA file and time zone. */
        connect_window (self, profile, self->server_url, token, NULL);
    }
  else if (osi_profile_store_get_current (self->profiles) != NULL)
    connect_profile (self, osi_profile_store_get_current (self->profiles));
  else
    {
      /* The connection form. */
      connect_profile (self, NULL);
      gtk_window_present (GTK_WINDOW (window));
      return;
    }
  osi_window_present_when_listed (window, FIRST_LIST_WAIT_MS);
}

/* ------------------------------------------------------------------------ */
/* Winding down                                                             */

static void
wind_down_end (OsiApplication *self)
{
  if (self->wind_down_id == 0)
    return;
  g_clear_handle_id (&self->wind_down_id, g_source_remove);
  g_application_release (G_APPLICATION (self));
}

static gboolean
on_wind_down_timeout (gpointer user_data)
{
  OsiApplication *self = user_data;

  g_message ("Quitting without waiting longer for the demo server or the history of checks");
  self->wind_down_id = 0;
  g_application_release (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

static void
on_wound_down (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(OsiApplication) self = user_data;

  if (source != NULL)
    osi_demo_server_stop_finish (OSI_DEMO_SERVER (source), result, NULL);
  else
    osi_check_history_flush_all_finish (result, NULL);
  if (--self->wind_down_left == 0)
    wind_down_end (self);
}

/* The windows go at once; what must end before the process does ends
 * in the background, bounded by WIND_DOWN_MS, so that shutdown has
 * nothing left to wait for. A window opened meanwhile keeps the
 * application as usual. */
static void
wind_down (OsiApplication *self)
{
  if (self->wind_down_id != 0)
    return;
  g_application_hold (G_APPLICATION (self));
  self->wind_down_id = g_timeout_add (WIND_DOWN_MS, on_wind_down_timeout, self);
  self->wind_down_left++;
  osi_check_history_flush_all_async (NULL, on_wound_down, g_object_ref (self));
  if (self->demo != NULL)
    {
      self->wind_down_left++;
      osi_demo_server_stop_async (self->demo, NULL, on_wound_down, g_object_ref (self));
    }
}

static void
osi_application_window_removed (GtkApplication *application,
                                 GtkWindow      *window)
{
  GTK_APPLICATION_CLASS (osi_application_parent_class)->window_removed (application, window);

  if (gtk_application_get_windows (application) == NULL)
    wind_down (OSI_APPLICATION (application));
}

static void
osi_application_shutdown (GApplication *application)
{
  OsiApplication *self = OSI_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->wind_down_id, g_source_remove);
  /* Already stopped by wind_down () unless the process quits another
   * way: then the demo server's own bound holds. */
  if (self->demo != NULL)
    osi_demo_server_stop (self->demo);

  G_APPLICATION_CLASS (osi_application_parent_class)->shutdown (application);
}

static void
osi_application_dispose (GObject *object)
{
  OsiApplication *self = OSI_APPLICATION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->demo);
  g_clear_object (&self->profiles);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (osi_application_parent_class)->dispose (object);
}

static void
osi_application_finalize (GObject *object)
{
  OsiApplication *self = OSI_APPLICATION (object);

  g_clear_object (&self->cancellable);
  g_free (self->server_url);

  G_OBJECT_CLASS (osi_application_parent_class)->finalize (object);
}

static void
osi_application_class_init (OsiApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  GtkApplicationClass *gtk_app_class = GTK_APPLICATION_CLASS (klass);

  object_class->dispose = osi_application_dispose;
  object_class->finalize = osi_application_finalize;
  app_class->handle_local_options = osi_application_handle_local_options;
  app_class->startup = osi_application_startup;
  app_class->activate = osi_application_activate;
  app_class->shutdown = osi_application_shutdown;
  gtk_app_class->window_removed = osi_application_window_removed;
}

static void
osi_application_init (OsiApplication *self)
{
  const GOptionEntry options[] = {
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Start a demonstration server on this computer and connect to it"), NULL },
    { "server", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Connect to the server at URL"), N_("URL") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { NULL }
  };

  /* Before startup: AdwApplication reads the style sheet from here. */
  osi_resources_ensure ();
  osi_a11y_ensure ();
  self->cancellable = g_cancellable_new ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Manage the backups of an OSI dashboard backend."));
}

OsiApplication *
osi_application_new (void)
{
  return g_object_new (OSI_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/osi/Backup",
                       NULL);
}
