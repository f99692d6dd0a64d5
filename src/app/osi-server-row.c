/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-preferences"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-client.h"
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
  AdwActionRow         *ca_row;
  AdwActionRow         *status_row;
  gboolean              token_edited;
  gboolean              testing;
};

G_DEFINE_FINAL_TYPE (OsiServerRow, osi_server_row, ADW_TYPE_EXPANDER_ROW)

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

static void
update_ca_row (OsiServerRow *self)
{
  const char *ca_file = osi_profile_get_ca_file (self->profile);

  if (ca_file != NULL)
    {
      g_autofree char *shown = g_filename_display_name (ca_file);

      adw_action_row_set_subtitle (self->ca_row, shown);
    }
  else
    adw_action_row_set_subtitle (self->ca_row, _("None"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "server.clear-ca", ca_file != NULL);
}

static void
update_current (OsiServerRow *self)
{
  gboolean current = osi_profile_store_get_current (self->store) == self->profile;

  /* Hidden by opacity, not visibility: the titles of all rows stay
   * aligned. Screen readers are told it is not there. */
  gtk_widget_set_opacity (self->current_icon, current ? 1.0 : 0.0);
  gtk_widget_set_tooltip_text (self->current_icon, current ? _("Current server") : NULL);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->current_icon),
                               GTK_ACCESSIBLE_STATE_HIDDEN, !current,
                               -1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "server.use", !current);
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

/* The time zone typed, checked: "" for this computer's. NULL, with the
 * row marked and the reason shown, when it names no time zone. */
static char *
typed_time_zone (OsiServerRow *self)
{
  g_autofree char *time_zone = entry_text (self->time_zone_row);
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GError) error = NULL;

  if (time_zone[0] != '\0' && (tz = osi_time_zone_new (time_zone, &error)) == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->time_zone_row), "error");
      set_status (self, STATUS_ERROR, error->message);
      return NULL;
    }
  return g_steal_pointer (&time_zone);
}

/* A wrong time zone would shift every date shown: refused here, where it
 * was typed, rather than failing the connection later. */
static void
on_time_zone_apply (OsiServerRow *self)
{
  g_autofree char *time_zone = typed_time_zone (self);

  if (time_zone == NULL)
    return;
  gtk_widget_remove_css_class (GTK_WIDGET (self->time_zone_row), "error");
  set_status (self, STATUS_PLAIN, NULL);
  osi_profile_set_time_zone (self->profile, time_zone);
  osi_profile_store_save (self->store);
}

static void
on_name_apply (OsiServerRow *self)
{
  g_autofree char *name = entry_text (self->name_row);

  if (name[0] == '\0')
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
      set_status (self, STATUS_ERROR, _("Enter a name for this server."));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
  set_status (self, STATUS_PLAIN, NULL);
  osi_profile_set_name (self->profile, name);
  osi_profile_store_save (self->store);
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
      gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
      set_status (self, STATUS_ERROR, error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
  set_status (self, STATUS_PLAIN, NULL);
  osi_profile_set_url (self->profile, url);
  osi_profile_store_save (self->store);
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

  self->testing = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "server.test", TRUE);
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

/* Tests what the fields show, applied or not: people test before they
 * save. */
static void
test_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  OsiServerRow *self = OSI_SERVER_ROW (widget);
  g_autofree char *url = entry_text (self->url_row);
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));
  const char *ca_file = osi_profile_get_ca_file (self->profile);
  g_autofree char *time_zone = NULL;
  g_autoptr(OsiClient) client = NULL;
  g_autoptr(GError) error = NULL;

  if (self->testing)
    return;
  if (!check_url (url, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
      set_status (self, STATUS_ERROR, error->message);
      return;
    }
  if ((time_zone = typed_time_zone (self)) == NULL)
    return;

  client = osi_client_new (url, token[0] != '\0' ? token : NULL);
  if ((ca_file != NULL && !osi_client_set_ca_file (client, ca_file, &error)) ||
      !osi_client_set_server_time_zone (client, time_zone, &error))
    {
      set_status (self, STATUS_ERROR, error->message);
      return;
    }

  self->testing = TRUE;
  gtk_widget_action_set_enabled (widget, "server.test", FALSE);
  set_status (self, STATUS_PLAIN, _("Connecting…"));
  osi_client_list_async (client, self->cancellable, on_test_done, g_object_ref (self));
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
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
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

  self->ca_chooser = gtk_file_chooser_native_new (_("Choose a Certificate Authority File"),
                                                  GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                  GTK_FILE_CHOOSER_ACTION_OPEN,
                                                  _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->ca_chooser), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->ca_chooser), pem);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->ca_chooser), all);
  g_signal_connect_object (self->ca_chooser, "response", G_CALLBACK (on_ca_chooser_response), self,
                           G_CONNECT_SWAPPED);
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

static GtkWidget *
icon_button (const char *icon_name,
             const char *action_name,
             const char *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static AdwEntryRow *
add_entry_row (OsiServerRow *self,
               GType         type,
               const char   *name,
               const char   *title)
{
  GtkWidget *row = g_object_new (type,
                                 "title", title,
                                 "use-markup", FALSE,
                                 NULL);

  gtk_widget_set_name (row, name);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);
  return ADW_ENTRY_ROW (row);
}

static void
on_window_cancelled (GCancellable *window_cancellable,
                     GCancellable *own)
{
  g_cancellable_cancel (own);
}

static void
osi_server_row_build (OsiServerRow *self)
{
  GtkWidget *button;
  GtkWidget *box;
  GtkWidget *row;

  g_object_bind_property (self->profile, "name", self, "title", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->profile, "url", self, "subtitle", G_BINDING_SYNC_CREATE);

  self->current_icon = gtk_image_new_from_icon_name ("object-select-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->current_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Current server"),
                                  -1);
  adw_expander_row_add_prefix (ADW_EXPANDER_ROW (self), self->current_icon);

  /* Texts set before the apply buttons are on: only typing shows them. */
  self->name_row = add_entry_row (self, ADW_TYPE_ENTRY_ROW, "name-row", _("Name"));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), osi_profile_get_name (self->profile));
  adw_entry_row_set_show_apply_button (self->name_row, TRUE);
  g_signal_connect_object (self->name_row, "apply", G_CALLBACK (on_name_apply), self, G_CONNECT_SWAPPED);
  g_signal_connect (self->name_row, "changed", G_CALLBACK (on_entry_changed), NULL);

  self->url_row = add_entry_row (self, ADW_TYPE_ENTRY_ROW, "url-row", _("URL"));
  adw_entry_row_set_input_purpose (self->url_row, GTK_INPUT_PURPOSE_URL);
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), osi_profile_get_url (self->profile));
  adw_entry_row_set_show_apply_button (self->url_row, TRUE);
  g_signal_connect_object (self->url_row, "apply", G_CALLBACK (on_url_apply), self, G_CONNECT_SWAPPED);
  g_signal_connect (self->url_row, "changed", G_CALLBACK (on_entry_changed), NULL);

  self->token_row = add_entry_row (self, ADW_TYPE_PASSWORD_ENTRY_ROW, "token-row", _("Token"));
  adw_entry_row_set_show_apply_button (self->token_row, TRUE);
  g_signal_connect_object (self->token_row, "apply", G_CALLBACK (on_token_apply), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->token_row, "changed", G_CALLBACK (on_token_changed), self,
                           G_CONNECT_SWAPPED);

  /* The deployed OSI backend sends its local time without an offset. */
  self->time_zone_row = add_entry_row (self, ADW_TYPE_ENTRY_ROW, "time-zone-row", _("Server time zone"));
  gtk_text_set_placeholder_text (GTK_TEXT (gtk_editable_get_delegate (GTK_EDITABLE (self->time_zone_row))),
                                 _("This computer’s"));
  gtk_editable_set_text (GTK_EDITABLE (self->time_zone_row), osi_profile_get_time_zone (self->profile));
  adw_entry_row_set_show_apply_button (self->time_zone_row, TRUE);
  g_signal_connect_object (self->time_zone_row, "apply", G_CALLBACK (on_time_zone_apply), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect (self->time_zone_row, "changed", G_CALLBACK (on_entry_changed), NULL);

  self->ca_row = g_object_new (ADW_TYPE_ACTION_ROW,
                               "title", _("CA file (optional)"),
                               "use-markup", FALSE,
                               NULL);
  gtk_widget_set_name (GTK_WIDGET (self->ca_row), "ca-row");
  adw_action_row_add_suffix (self->ca_row, icon_button ("edit-clear-symbolic", "server.clear-ca",
                                                        _("Stop using this CA file")));
  button = icon_button ("document-open-symbolic", "server.choose-ca", _("Choose a CA file…"));
  adw_action_row_add_suffix (self->ca_row, button);
  adw_action_row_set_activatable_widget (self->ca_row, button);
  /* The row makes its button labelled by its title too: "Choose a CA
   * file… CA file (optional)". Its own name says it all. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), GTK_WIDGET (self->ca_row));

  self->status_row = g_object_new (ADW_TYPE_ACTION_ROW,
                                   "title", _("Connection"),
                                   "use-markup", FALSE,
                                   NULL);
  gtk_widget_set_name (GTK_WIDGET (self->status_row), "status-row");
  button = gtk_button_new_with_label (_("Test connection"));
  gtk_widget_set_name (button, "test-button");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "server.test");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->status_row, button);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), GTK_WIDGET (self->status_row));

  /* A plain row, not activatable: its buttons take the focus. */
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (box, GTK_ALIGN_END);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  button = gtk_button_new_with_mnemonic (_("_Use this server"));
  gtk_widget_set_name (button, "use-button");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "server.use");
  gtk_box_append (GTK_BOX (box), button);
  button = gtk_button_new_with_mnemonic (_("_Remove"));
  gtk_widget_set_name (button, "remove-button");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "server.remove");
  gtk_widget_add_css_class (button, "destructive-action");
  gtk_box_append (GTK_BOX (box), button);
  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (self), row);

  g_signal_connect_object (self->profile, "notify::name", G_CALLBACK (on_profile_name_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::url", G_CALLBACK (on_profile_url_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::ca-file", G_CALLBACK (update_ca_row), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::time-zone", G_CALLBACK (on_profile_time_zone_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "notify::current", G_CALLBACK (update_current), self,
                           G_CONNECT_SWAPPED);
  update_ca_row (self);
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
osi_server_row_class_init (OsiServerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = osi_server_row_dispose;
  object_class->finalize = osi_server_row_finalize;

  gtk_widget_class_install_action (widget_class, "server.test", NULL, test_action);
  gtk_widget_class_install_action (widget_class, "server.use", NULL, use_action);
  gtk_widget_class_install_action (widget_class, "server.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "server.choose-ca", NULL, choose_ca_action);
  gtk_widget_class_install_action (widget_class, "server.clear-ca", NULL, clear_ca_action);
}

static void
osi_server_row_init (OsiServerRow *self)
{
  self->cancellable = g_cancellable_new ();
}

GtkWidget *
osi_server_row_new (OsiProfileStore *store,
                    OsiProfile      *profile,
                    GCancellable    *window_cancellable)
{
  OsiServerRow *self = g_object_new (OSI_TYPE_SERVER_ROW,
                                     "use-markup", FALSE,
                                     NULL);

  self->store = g_object_ref (store);
  self->profile = g_object_ref (profile);
  /* Closing the window stops what its rows started, even a row that a
   * pending callback keeps alive a little longer. */
  self->window_cancellable = g_object_ref (window_cancellable);
  self->window_cancelled_id = g_cancellable_connect (window_cancellable, G_CALLBACK (on_window_cancelled),
                                                     g_object_ref (self->cancellable), g_object_unref);
  osi_server_row_build (self);
  return GTK_WIDGET (self);
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
