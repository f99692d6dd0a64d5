/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-preferences"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-client.h"
#include "osi-dialog.h"
#include "osi-error.h"
#include "osi-resources.h"
#include "osi-secret.h"
#include "osi-server-row.h"

struct _OsiServerRow
{
  AdwExpanderRow        parent_instance;

  OsiProfileStore      *store;
  OsiProfile           *profile;           /* NULL once disposed */
  GCancellable         *cancellable;       /* lookups and tests */
  GCancellable         *window_cancellable;
  gulong                window_cancelled_id;
  GtkFileChooserNative *ca_chooser;

  GtkWidget            *current_icon;
  AdwEntryRow          *name_row;
  AdwEntryRow          *url_row;
  AdwEntryRow          *token_row;         /* an AdwPasswordEntryRow */
  AdwEntryRow          *time_zone_row;
  GtkWidget            *ca_choose_button;
  AdwActionRow         *status_row;
  gboolean              current;
  gboolean              token_edited;
  gboolean              testing;
  guint                 time_zone_checks;  /* bumped by each time zone applied */
};

G_DEFINE_FINAL_TYPE (OsiServerRow, osi_server_row, ADW_TYPE_EXPANDER_ROW)

enum {
  PROP_0,
  PROP_STORE,
  PROP_PROFILE,
  PROP_CANCELLABLE,
  PROP_CURRENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum
{
  STATUS_PLAIN,
  STATUS_SUCCESS,
  STATUS_ERROR,
} StatusKind;

static void
set_status (OsiServerRow *self,
            StatusKind    kind,
            const char   *text)
{
  GtkWidget *row = GTK_WIDGET (self->status_row);

  adw_action_row_set_subtitle (self->status_row, text != NULL ? text : "");
  if (kind == STATUS_ERROR)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
  if (kind == STATUS_SUCCESS)
    gtk_widget_add_css_class (row, "success");
  else
    gtk_widget_remove_css_class (row, "success");
}

/* What the client can use: http or https, and a host. The error sentence
 * says what to type. */
static gboolean
check_url (const char  *url,
           GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL)
    {
      scheme = g_uri_get_scheme (uri);
      host = g_uri_get_host (uri);
      if ((g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
          host != NULL && host[0] != '\0')
        return TRUE;
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Enter an address starting with http:// or https:// followed by the server "
                         "name, like https://backup.example.org:8000."));
  return FALSE;
}

static char *
entry_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

/* The closures of the template's bindings. */
static char *
shown_ca_file (gpointer    unused,
               const char *ca_file)
{
  if (ca_file == NULL)
    return g_strdup (_("None"));
  return g_filename_display_name (ca_file);
}

static double
opacity_for_current (gpointer unused,
                     gboolean current)
{
  return current ? 1.0 : 0.0;
}

static char *
tooltip_for_current (gpointer unused,
                     gboolean current)
{
  return current ? g_strdup (_("Current server")) : NULL;
}

static void
on_profile_ca_file_changed (OsiServerRow *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "server.clear-ca",
                                 osi_profile_get_ca_file (self->profile) != NULL);
}

/* The template shows the icon by opacity, not visibility, so that the
 * titles of all rows stay aligned: screen readers are told here that it
 * is not there. */
static void
update_current (OsiServerRow *self)
{
  gboolean current = osi_profile_store_get_current (self->store) == self->profile;

  gtk_accessible_update_state (GTK_ACCESSIBLE (self->current_icon),
                               GTK_ACCESSIBLE_STATE_HIDDEN, !current,
                               -1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "server.use", !current);
  if (self->current == current)
    return;
  self->current = current;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT]);
}

/* An external change (another window, dconf) shows in the fields, unless
 * the user is typing there. */
static void
sync_entry (AdwEntryRow *row,
            const char  *value)
{
  if (gtk_widget_get_state_flags (GTK_WIDGET (row)) & GTK_STATE_FLAG_FOCUS_WITHIN)
    return;
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (row)), value) != 0)
    gtk_editable_set_text (GTK_EDITABLE (row), value);
}

static void
on_profile_name_changed (OsiServerRow *self)
{
  sync_entry (self->name_row, osi_profile_get_name (self->profile));
}

static void
on_profile_url_changed (OsiServerRow *self)
{
  sync_entry (self->url_row, osi_profile_get_url (self->profile));
}

static void
on_profile_time_zone_changed (OsiServerRow *self)
{
  sync_entry (self->time_zone_row, osi_profile_get_time_zone (self->profile));
}

/* A time zone under way: GLib reads a time zone from its file, so it is
 * read in a worker (osi_client_load_files_async ()). */
typedef struct
{
  OsiServerRow *self;
  guint         check;      /* self->time_zone_checks when applied */
  char         *time_zone;  /* as typed, stripped */
} Pending;

static Pending *
pending_new (OsiServerRow *self,
             const char   *time_zone)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->self = g_object_ref (self);
  pending->time_zone = g_strdup (time_zone);
  return pending;
}

static void
pending_free (Pending *pending)
{
  g_object_unref (pending->self);
  g_free (pending->time_zone);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pending, pending_free)

/* A field whose text cannot be used: the row marked, the reason shown. */
static void
refuse_entry (OsiServerRow *self,
              AdwEntryRow  *row,
              const char   *reason)
{
  gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  set_status (self, STATUS_ERROR, reason);
}

/* A field whose text the profile took: the row unmarked, the profile saved. */
static void
entry_applied (OsiServerRow *self,
               AdwEntryRow  *row)
{
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  set_status (self, STATUS_PLAIN, NULL);
  osi_profile_store_save (self->store);
}

static void
apply_time_zone (OsiServerRow *self,
                 const char   *time_zone)
{
  osi_profile_set_time_zone (self->profile, time_zone);
  entry_applied (self, self->time_zone_row);
}

static void
on_time_zone_checked (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(Pending) pending = user_data;
  OsiServerRow *self = pending->self;
  g_autoptr(GError) error = NULL;

  osi_client_load_files_finish (result, NULL, NULL, &error);
  /* Gone, or overtaken by a time zone applied later. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->profile == NULL ||
      pending->check != self->time_zone_checks)
    return;
  if (error != NULL)
    refuse_entry (self, self->time_zone_row, error->message);
  else
    apply_time_zone (self, pending->time_zone);
}

/* A wrong time zone would shift every date shown: refused here, where it
 * was typed, rather than failing the connection later. */
static void
on_time_zone_apply (OsiServerRow *self)
{
  g_autofree char *time_zone = entry_text (self->time_zone_row);
  Pending *pending;

  self->time_zone_checks++;
  /* This computer's: nothing to read. */
  if (time_zone[0] == '\0')
    {
      apply_time_zone (self, time_zone);
      return;
    }
  pending = pending_new (self, time_zone);
  pending->check = self->time_zone_checks;
  osi_client_load_files_async (NULL, time_zone, self->cancellable, on_time_zone_checked, pending);
}

static void
on_name_apply (OsiServerRow *self)
{
  g_autofree char *name = entry_text (self->name_row);

  if (name[0] == '\0')
    {
      refuse_entry (self, self->name_row, _("Enter a name for this server."));
      return;
    }
  osi_profile_set_name (self->profile, name);
  entry_applied (self, self->name_row);
}

static void
on_url_apply (OsiServerRow *self)
{
  g_autofree char *url = entry_text (self->url_row);
  g_autoptr(GError) error = NULL;

  /* Garbage in the settings would make the window fail later, far from
   * where it was typed: refuse it here. */
  if (!check_url (url, &error))
    {
      refuse_entry (self, self->url_row, error->message);
      return;
    }
  osi_profile_set_url (self->profile, url);
  entry_applied (self, self->url_row);
}

static void
on_entry_changed (AdwEntryRow *row)
{
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static void
on_token_changed (OsiServerRow *self)
{
  /* Typed by the user: a lookup finishing late must not overwrite it. */
  self->token_edited = TRUE;
}

static void
on_token_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(OsiServerRow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  token = osi_secret_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->profile == NULL)
    goto wipe;
  if (error != NULL)
    {
      set_status (self, STATUS_ERROR, error->message);
      goto wipe;
    }
  if (token != NULL && !self->token_edited)
    {
      g_signal_handlers_block_by_func (self->token_row, on_token_changed, self);
      gtk_editable_set_text (GTK_EDITABLE (self->token_row), token);
      g_signal_handlers_unblock_by_func (self->token_row, on_token_changed, self);
    }

wipe:
  if (token != NULL)
    explicit_bzero (token, strlen (token));
}

static void
on_token_stored (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(OsiServerRow) self = user_data;
  g_autoptr(GError) error = NULL;
  OsiSecretBackend backend = OSI_SECRET_BACKEND_KEYRING;

  if (!osi_secret_store_finish (result, &backend, &error))
    {
      if (self->profile != NULL)
        set_status (self, STATUS_ERROR, error->message);
      return;
    }
  if (self->profile == NULL)
    return;
  if (backend == OSI_SECRET_BACKEND_KEYRING)
    set_status (self, STATUS_PLAIN, _("Token saved in the keyring."));
  else
    set_status (self, STATUS_PLAIN, _("No keyring available: token saved in a file only you can read."));
}

static void
on_token_cleared (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(OsiServerRow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (osi_secret_clear_finish (result, &error))
    {
      if (self->profile != NULL)
        set_status (self, STATUS_PLAIN, _("Token removed."));
    }
  else if (self->profile != NULL)
    set_status (self, STATUS_ERROR, error->message);
}

/* Writes get no cancellable: closing the window right after "apply" must
 * not lose the token (a keyring store takes several D-Bus round trips).
 * The callbacks hold the row and check that it still shows a profile. */
static void
on_token_apply (OsiServerRow *self)
{
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));
  const char *id = osi_profile_get_id (self->profile);

  if (token[0] == '\0')
    osi_secret_clear_async (id, NULL, on_token_cleared, g_object_ref (self));
  else
    osi_secret_store_async (id, osi_profile_get_name (self->profile), token,
                            NULL, on_token_stored, g_object_ref (self));
}

static void
test_done (OsiServerRow *self)
{
  self->testing = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "server.test", TRUE);
}

static void
on_test_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(OsiServerRow) self = user_data;
  g_autoptr(GPtrArray) backups = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  backups = osi_client_list_finish (OSI_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->profile == NULL)
    return;

  test_done (self);
  if (backups == NULL)
    {
      set_status (self, STATUS_ERROR, error->message);
      return;
    }
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Connected: %u backup", "Connected: %u backups",
                                       backups->len),
                          backups->len);
  set_status (self, STATUS_SUCCESS, text);
}

static void
on_test_client_made (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(OsiServerRow) self = user_data;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GError) error = NULL;

  client = osi_client_new_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->profile == NULL)
    return;
  if (client == NULL)
    {
      test_done (self);
      if (error->domain == OSI_ERROR)
        refuse_entry (self, self->time_zone_row, error->message);
      else
        set_status (self, STATUS_ERROR, error->message);
      return;
    }
  osi_client_list_async (client, self->cancellable, on_test_done, g_object_ref (self));
}

/* Tests what the fields show, applied or not: people test before they
 * save. */
static void
test_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  OsiServerRow *self = OSI_SERVER_ROW (widget);
  g_autofree char *url = entry_text (self->url_row);
  g_autofree char *time_zone = entry_text (self->time_zone_row);
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));
  g_autoptr(GError) error = NULL;

  if (self->testing)
    return;
  if (!check_url (url, &error))
    {
      refuse_entry (self, self->url_row, error->message);
      return;
    }

  self->testing = TRUE;
  gtk_widget_action_set_enabled (widget, "server.test", FALSE);
  set_status (self, STATUS_PLAIN, _("Connecting…"));
  osi_client_new_async (url, token[0] != '\0' ? token : NULL, osi_profile_get_ca_file (self->profile), time_zone,
                        self->cancellable, on_test_client_made, g_object_ref (self));
}

static void
use_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  OsiServerRow *self = OSI_SERVER_ROW (widget);

  osi_profile_store_set_current (self->store, osi_profile_get_id (self->profile));
}

static void
on_remove_response (OsiServerRow *self,
                    const char   *response)
{
  /* Destroys this row (the list follows the store): nothing after it. */
  if (g_strcmp0 (response, "remove") == 0 && self->profile != NULL)
    osi_profile_store_remove (self->store, osi_profile_get_id (self->profile));
}

/* The token goes with the profile and cannot be shown again: ask first. */
static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OsiServerRow *self = OSI_SERVER_ROW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  heading = g_strdup_printf (_("Remove “%s”?"), osi_profile_get_name (self->profile));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   _("The server profile and its token will be forgotten. The "
                                     "backups on the server stay."));
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  osi_dialog_present_confirmation (ADW_MESSAGE_DIALOG (dialog), "remove", _("_Remove"), ADW_RESPONSE_DESTRUCTIVE,
                                   G_CALLBACK (on_remove_response), self);
}

static void
on_ca_chooser_response (OsiServerRow *self,
                        int           response)
{
  g_autoptr(GtkFileChooserNative) chooser = g_steal_pointer (&self->ca_chooser);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        {
          osi_profile_set_ca_file (self->profile, path);
          osi_profile_store_save (self->store);
        }
    }
}

static void
choose_ca_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  OsiServerRow *self = OSI_SERVER_ROW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GtkFileFilter) pem = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->ca_chooser != NULL)
    return;

  gtk_file_filter_set_name (pem, _("Certificates (PEM)"));
  gtk_file_filter_add_pattern (pem, "*.pem");
  gtk_file_filter_add_pattern (pem, "*.crt");
  gtk_file_filter_add_pattern (pem, "*.cer");
  gtk_file_filter_add_mime_type (pem, "application/x-x509-ca-cert");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");

  self->ca_chooser = osi_dialog_new_file_chooser (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                  _("Choose a Certificate Authority File"),
                                                  GTK_FILE_CHOOSER_ACTION_OPEN, _("_Select"),
                                                  G_CALLBACK (on_ca_chooser_response), self);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->ca_chooser), pem);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->ca_chooser), all);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->ca_chooser));
}

static void
clear_ca_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  OsiServerRow *self = OSI_SERVER_ROW (widget);

  osi_profile_set_ca_file (self->profile, NULL);
  osi_profile_store_save (self->store);
}

static void
on_window_cancelled (GCancellable *window_cancellable,
                     GCancellable *own)
{
  g_cancellable_cancel (own);
}

/* The texts are set before the apply buttons are on: only typing shows
 * them. */
static void
osi_server_row_constructed (GObject *object)
{
  OsiServerRow *self = OSI_SERVER_ROW (object);
  AdwEntryRow *entry_rows[] = { self->name_row, self->url_row, self->token_row, self->time_zone_row };
  GtkEditable *time_zone_text;

  G_OBJECT_CLASS (osi_server_row_parent_class)->constructed (object);

  /* The expander row passes "use-markup" on to its header row when told
   * of the change, and GObject tells it only at the end of g_object_new,
   * after the title set below: told now, a name with a "&" is never read
   * as markup. */
  g_signal_emit_by_name (self, "notify::use-markup",
                         g_object_class_find_property (G_OBJECT_GET_CLASS (self), "use-markup"));

  g_assert (OSI_IS_PROFILE_STORE (self->store));
  g_assert (OSI_IS_PROFILE (self->profile));
  g_assert (G_IS_CANCELLABLE (self->window_cancellable));

  /* Closing the window stops what its rows started, even a row that a
   * pending callback keeps alive a little longer. */
  self->window_cancelled_id = g_cancellable_connect (self->window_cancellable,
                                                     G_CALLBACK (on_window_cancelled),
                                                     g_object_ref (self->cancellable), g_object_unref);

  /* AdwEntryRow 1.2 has no placeholder of its own. */
  time_zone_text = gtk_editable_get_delegate (GTK_EDITABLE (self->time_zone_row));
  gtk_text_set_placeholder_text (GTK_TEXT (time_zone_text), _("This computer’s"));

  g_object_bind_property (self->profile, "name", self, "title", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->profile, "url", self, "subtitle", G_BINDING_SYNC_CREATE);

  gtk_editable_set_text (GTK_EDITABLE (self->name_row), osi_profile_get_name (self->profile));
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), osi_profile_get_url (self->profile));
  gtk_editable_set_text (GTK_EDITABLE (self->time_zone_row), osi_profile_get_time_zone (self->profile));
  for (guint i = 0; i < G_N_ELEMENTS (entry_rows); i++)
    adw_entry_row_set_show_apply_button (entry_rows[i], TRUE);

  g_signal_connect_object (self->profile, "notify::name", G_CALLBACK (on_profile_name_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::url", G_CALLBACK (on_profile_url_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::ca-file", G_CALLBACK (on_profile_ca_file_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::time-zone", G_CALLBACK (on_profile_time_zone_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "notify::current", G_CALLBACK (update_current), self,
                           G_CONNECT_SWAPPED);
  on_profile_ca_file_changed (self);
  update_current (self);

  osi_secret_lookup_async (osi_profile_get_id (self->profile), self->cancellable,
                           on_token_loaded, g_object_ref (self));
}

static void
osi_server_row_dispose (GObject *object)
{
  OsiServerRow *self = OSI_SERVER_ROW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->window_cancellable != NULL)
    {
      g_cancellable_disconnect (self->window_cancellable, self->window_cancelled_id);
      self->window_cancelled_id = 0;
      g_clear_object (&self->window_cancellable);
    }
  if (self->ca_chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->ca_chooser));
      g_clear_object (&self->ca_chooser);
    }
  /* Callbacks still running hold the row: they see profile NULL and stop. */
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  if (self->profile != NULL)
    g_signal_handlers_disconnect_by_data (self->profile, self);
  g_clear_object (&self->store);
  g_clear_object (&self->profile);

  gtk_widget_dispose_template (GTK_WIDGET (self), OSI_TYPE_SERVER_ROW);

  G_OBJECT_CLASS (osi_server_row_parent_class)->dispose (object);
}

static void
osi_server_row_finalize (GObject *object)
{
  OsiServerRow *self = OSI_SERVER_ROW (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (osi_server_row_parent_class)->finalize (object);
}

static void
osi_server_row_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  OsiServerRow *self = OSI_SERVER_ROW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;

    case PROP_CANCELLABLE:
      g_value_set_object (value, self->window_cancellable);
      break;

    case PROP_CURRENT:
      g_value_set_boolean (value, self->current);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_server_row_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  OsiServerRow *self = OSI_SERVER_ROW (object);

  /* All construct-only; the template's bindings watch "profile". */
  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      g_object_notify_by_pspec (object, pspec);
      break;

    case PROP_PROFILE:
      self->profile = g_value_dup_object (value);
      g_object_notify_by_pspec (object, pspec);
      break;

    case PROP_CANCELLABLE:
      self->window_cancellable = g_value_dup_object (value);
      g_object_notify_by_pspec (object, pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_server_row_class_init (OsiServerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = osi_server_row_constructed;
  object_class->dispose = osi_server_row_dispose;
  object_class->finalize = osi_server_row_finalize;
  object_class->get_property = osi_server_row_get_property;
  object_class->set_property = osi_server_row_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         OSI_TYPE_PROFILE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_PROFILE] =
    g_param_spec_object ("profile", NULL, NULL,
                         OSI_TYPE_PROFILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  /* The window's: cancelling it stops the row's lookups and tests. */
  properties[PROP_CANCELLABLE] =
    g_param_spec_object ("cancellable", NULL, NULL,
                         G_TYPE_CANCELLABLE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  /* Whether the profile is the store's current one. */
  properties[PROP_CURRENT] =
    g_param_spec_boolean ("current", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The template looks properties up on profiles by type name. */
  g_type_ensure (OSI_TYPE_PROFILE);
  osi_resources_ensure ();
  gtk_widget_class_set_template_from_resource (widget_class, "/org/osi/Backup/ui/osi-server-row.ui");
  gtk_widget_class_bind_template_child (widget_class, OsiServerRow, current_icon);
  gtk_widget_class_bind_template_child (widget_class, OsiServerRow, name_row);
  gtk_widget_class_bind_template_child (widget_class, OsiServerRow, url_row);
  gtk_widget_class_bind_template_child (widget_class, OsiServerRow, token_row);
  gtk_widget_class_bind_template_child (widget_class, OsiServerRow, time_zone_row);
  gtk_widget_class_bind_template_child (widget_class, OsiServerRow, ca_choose_button);
  gtk_widget_class_bind_template_child (widget_class, OsiServerRow, status_row);
  gtk_widget_class_bind_template_callback (widget_class, on_name_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_url_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_token_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_time_zone_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_token_changed);
  gtk_widget_class_bind_template_callback (widget_class, shown_ca_file);
  gtk_widget_class_bind_template_callback (widget_class, opacity_for_current);
  gtk_widget_class_bind_template_callback (widget_class, tooltip_for_current);

  gtk_widget_class_install_action (widget_class, "server.test", NULL, test_action);
  gtk_widget_class_install_action (widget_class, "server.use", NULL, use_action);
  gtk_widget_class_install_action (widget_class, "server.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "server.choose-ca", NULL, choose_ca_action);
  gtk_widget_class_install_action (widget_class, "server.clear-ca", NULL, clear_ca_action);
}

static void
osi_server_row_init (OsiServerRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  /* The action row makes its activatable button labelled by its title
   * too: "Choose a CA file… CA file (optional)". Its own name says it
   * all. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (self->ca_choose_button),
                                 GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

GtkWidget *
osi_server_row_new (OsiProfileStore *store,
                    OsiProfile      *profile,
                    GCancellable    *cancellable)
{
  g_return_val_if_fail (OSI_IS_PROFILE_STORE (store), NULL);
  g_return_val_if_fail (OSI_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (G_IS_CANCELLABLE (cancellable), NULL);

  return g_object_new (OSI_TYPE_SERVER_ROW,
                       "store", store,
                       "profile", profile,
                       "cancellable", cancellable,
                       NULL);
}

OsiProfile *
osi_server_row_get_profile (OsiServerRow *self)
{
  g_return_val_if_fail (OSI_IS_SERVER_ROW (self), NULL);

  return self->profile;
}

/* Opens the row on its address, what a new server needs first. */
void
osi_server_row_edit (OsiServerRow *self)
{
  g_return_if_fail (OSI_IS_SERVER_ROW (self));

  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (self), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->url_row));
}
