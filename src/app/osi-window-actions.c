/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-check-window.h"
#include "osi-dialog.h"
#include "osi-window-private.h"

/* ------------------------------------------------------------------------ */
/* Which actions can be used                                                */

/* The actions whose use depends on the window's state, in the order of
 * their names below. */
typedef enum
{
  ACTION_CREATE,
  ACTION_RESTORE,
  ACTION_DELETE,
  ACTION_DOWNLOAD,
  ACTION_REFRESH,
  ACTION_CHECK_FILE,
  ACTION_CHECK_PATH,
  ACTION_CANCEL_TRANSFER,
  ACTION_PAGE_FIRST,
  ACTION_PAGE_PREVIOUS,
  ACTION_PAGE_NEXT,
  ACTION_PAGE_LAST,
  ACTION_PROTECT,
  ACTION_UNPROTECT,
  ACTION_EDIT_NOTE,
  ACTION_PRUNE,
  ACTION_POLICY,
  N_ACTIONS
} Action;

static const char * const action_names[N_ACTIONS] = {
  [ACTION_CREATE]          = "win.create",
  [ACTION_RESTORE]         = "win.restore",
  [ACTION_DELETE]          = "win.delete",
  [ACTION_DOWNLOAD]        = "win.download",
  [ACTION_REFRESH]         = "win.refresh",
  [ACTION_CHECK_FILE]      = "win.check-file",
  [ACTION_CHECK_PATH]      = "win.check-path",
  [ACTION_CANCEL_TRANSFER] = "win.cancel-transfer",
  [ACTION_PAGE_FIRST]      = "win.page-first",
  [ACTION_PAGE_PREVIOUS]   = "win.page-previous",
  [ACTION_PAGE_NEXT]       = "win.page-next",
  [ACTION_PAGE_LAST]       = "win.page-last",
  [ACTION_PROTECT]         = "win.protect",
  [ACTION_UNPROTECT]       = "win.unprotect",
  [ACTION_EDIT_NOTE]       = "win.edit-note",
  [ACTION_PRUNE]           = "win.prune",
  [ACTION_POLICY]          = "win.policy",
};

G_STATIC_ASSERT (N_ACTIONS <= sizeof (guint) * 8);

#define ACTION_BIT(action) (1u << (action))

/* The whole rule of which action can be used when, from the long job
 * under way (one OsiWindowJob), the connection and the page. */
static guint
enabled_actions (OsiWindow *self)
{
  gboolean connected = self->client != NULL;
  guint n_pages = osi_window_get_n_pages (self);
  guint enabled = 0;

  switch (self->job)
    {
    case OSI_WINDOW_JOB_NONE:
      if (connected)
        enabled |= ACTION_BIT (ACTION_CREATE) | ACTION_BIT (ACTION_RESTORE) | ACTION_BIT (ACTION_DELETE)
                   | ACTION_BIT (ACTION_DOWNLOAD) | ACTION_BIT (ACTION_PRUNE);
      /* docs/api.md §6: protections and notes are a policy server's. */
      if (connected && !osi_window_server_lacks (self, "policy"))
        enabled |= ACTION_BIT (ACTION_PROTECT) | ACTION_BIT (ACTION_UNPROTECT) | ACTION_BIT (ACTION_EDIT_NOTE);
      enabled |= ACTION_BIT (ACTION_CHECK_FILE) | ACTION_BIT (ACTION_CHECK_PATH);
      break;

    case OSI_WINDOW_JOB_DOWNLOAD:
    case OSI_WINDOW_JOB_CHECK:
    case OSI_WINDOW_JOB_UPLOAD:
      /* A download, a check or an upload: what win.cancel-transfer stops. */
      enabled |= ACTION_BIT (ACTION_CANCEL_TRANSFER);
      break;

    case OSI_WINDOW_JOB_OPERATION:
    default:
      break;
    }
  /* Refreshing does not use the status line, so it may run beside a
   * download; a create, restore or delete refreshes when it ends. */
  if (connected && self->job != OSI_WINDOW_JOB_OPERATION)
    enabled |= ACTION_BIT (ACTION_REFRESH);
  /* The policy's window works on its own. */
  if (connected)
    enabled |= ACTION_BIT (ACTION_POLICY);
  if (self->page > 0)
    enabled |= ACTION_BIT (ACTION_PAGE_FIRST) | ACTION_BIT (ACTION_PAGE_PREVIOUS);
  if (self->page + 1 < n_pages)
    enabled |= ACTION_BIT (ACTION_PAGE_NEXT) | ACTION_BIT (ACTION_PAGE_LAST);
  return enabled;
}

/* Every row's buttons watch win.restore, win.download and win.delete:
 * telling them what did not change costs milliseconds per update, so
 * only the actions whose state changed are told. */
void
_osi_window_actions_update (OsiWindow *self)
{
  guint disabled = ~enabled_actions (self) & (ACTION_BIT (N_ACTIONS) - 1);
  guint changed = disabled ^ self->disabled_actions;

  self->disabled_actions = disabled;
  for (Action action = 0; action < N_ACTIONS; action++)
    if (changed & ACTION_BIT (action))
      gtk_widget_action_set_enabled (GTK_WIDGET (self), action_names[action],
                                     (disabled & ACTION_BIT (action)) == 0);
}

/* ------------------------------------------------------------------------ */
/* Create, restore, delete                                                  */

/* The confirmations: Cancel, the default and the answer to Escape, beside
 * the response that does it. */
void
_osi_window_present_confirmation (OsiWindow             *self,
                                  AdwMessageDialog      *dialog,
                                  const char            *response,
                                  const char            *label,
                                  AdwResponseAppearance  appearance,
                                  GCallback              on_response)
{
  osi_dialog_present_confirmation (dialog, response, label, appearance, on_response, self);
}

const char *
_osi_window_answered_backup (OsiWindow        *self,
                             AdwMessageDialog *dialog,
                             const char       *response,
                             const char       *wanted)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "backup-name");

  if (g_strcmp0 (response, wanted) != 0 || self->client == NULL || _osi_window_long_job_running (self) ||
      _osi_window_refuse_unnamable (self, name))
    return NULL;
  return name;
}

static const char *
display_date (OsiWindow  *self,
              const char *name)
{
  OsiBackupInfo *info = _osi_window_find_backup (self, name);

  return info != NULL ? osi_backup_info_get_display_date (info) : "";
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;

  osi_client_create_finish (OSI_CLIENT (source), result, &info, &message, &error);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error))
    return;
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (error != NULL)
    {
      _osi_window_show_error (self, _("The Backup Failed"), error, FALSE);
      return;
    }
  {
    /* The deployed OSI backend may not say which backup it made. */
    g_autofree char *title = info != NULL ? g_strdup_printf (_("Backup created: %s"), osi_backup_info_get_name (info))
                                          : g_strdup (_("Backup created"));

    osi_window_add_toast (self, adw_toast_new (title));
  }
  _osi_window_refresh (self);
}

static void
on_create_response (OsiWindow        *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  if (g_strcmp0 (response, "create") != 0 || self->client == NULL || _osi_window_long_job_running (self))
    return;
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_OPERATION, _("Creating a backup of the server’s data…"));
  osi_client_create_async (self->client, self->op_cancellable, on_created, g_object_ref (self));
}

static void
action_create (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  AdwMessageDialog *dialog;

  dialog = _osi_window_new_dialog (self, _("Create a Backup?"),
                                   _("The server will save its knowledge base, its configuration and its other "
                                     "data into a new backup. Backing up before big changes lets you go back."));
  _osi_window_present_confirmation (self, dialog, "create", _("C_reate"), ADW_RESPONSE_SUGGESTED,
                                    G_CALLBACK (on_create_response));
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autofree char *safety = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;

  osi_client_restore_finish (OSI_CLIENT (source), result, &safety, &message, &error);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error))
    return;
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (error != NULL)
    {
      _osi_window_show_error (self, _("The Restore Failed"), error, TRUE);
      _osi_window_refresh (self);
      return;
    }
  {
    g_autofree char *title = safety != NULL && *safety != '\0'
                               ? g_strdup_printf (_("Restore succeeded. The data from before goes into the safety "
                                                    "backup %s, listed once it is made"), safety)
                             : message != NULL
                               /* TRANSLATORS: %s is the server's own message */
                               ? g_strdup_printf (_("Restore succeeded. The server says: %s"), message)
                               : g_strdup (_("Restore succeeded"));
    AdwToast *toast = adw_toast_new (title);

    adw_toast_set_timeout (toast, 10);
    osi_window_add_toast (self, toast);
  }
  /* Our server answers before it made the safety backup. */
  if (safety != NULL && *safety != '\0')
    _osi_window_await_backup (self, safety);
  _osi_window_refresh (self);
}

static void
on_restore_response (OsiWindow        *self,
                     const char       *response,
                     AdwMessageDialog *dialog)
{
  const char *name = _osi_window_answered_backup (self, dialog, response, "restore");

  if (name == NULL)
    return;
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_OPERATION,
                              _("Restoring %s… The server keeps the current data aside for a safety backup."), name);
  osi_client_restore_async (self->client, name, self->op_cancellable, on_restored, g_object_ref (self));
}

static void
cancel_and_unref (gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
  g_object_unref (cancellable);
}

/* The dialog is held weakly: a reference would keep it from going away
 * when answered. */
typedef struct
{
  OsiWindow *self;
  GWeakRef   dialog;
} RestoreDiff;

static void
restore_diff_free (RestoreDiff *data)
{
  data->self->restore_diffs--;
  _osi_window_notify_working (data->self);
  g_object_unref (data->self);
  g_weak_ref_clear (&data->dialog);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestoreDiff, restore_diff_free)

/* What the warning says of the data before the restore. Our server names
 * its safety backup; the deployed OSI backend (docs/api.md §5.1) keeps a copy of
 * its own without naming it: until the server is known to be ours, the
 * words hold for both. */
static char *
restore_body (OsiClient  *client,
              const char *name,
              const char *date)
{
  if (osi_client_has_feature (client, "diff") || osi_client_has_feature (client, "verify"))
    return g_strdup_printf (_("All current data on the server — the knowledge base, the configuration and the "
                              "other data — will be replaced by the content of “%s” from %s.\n\n"
                              "This cannot be undone, except by restoring the safety backup the server makes of "
                              "the current data first."),
                            name, date);
  return g_strdup_printf (_("All current data on the server — the knowledge base, the configuration and the "
                            "other data — will be replaced by the content of “%s” from %s.\n\n"
                            "This cannot be undone, except by restoring the copy of the current data that the "
                            "server keeps first (a safety backup, which OSI Backup’s server names when the restore "
                            "ends and the OSI dashboard’s backend keeps among its own backups)."),
                          name, date);
}

static const char *
no_preview_text (void)
{
  return _("This server does not show what a restore would change.");
}

/* The server's answer to "what would this restore change", under the
 * warning; the warning stands without it. */
static void
on_restore_diff (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(RestoreDiff) data = user_data;
  g_autoptr(AdwMessageDialog) dialog = g_weak_ref_get (&data->dialog);
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  g_autofree char *changes = NULL;
  g_autofree char *body = NULL;

  diff = osi_client_diff_finish (OSI_CLIENT (source), result, &error);
  if (_osi_window_is_cancelled (error) || dialog == NULL)
    return;
  if (diff != NULL)
    changes = osi_diff_describe_restore (diff);
  else if (g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED))
    /* A server without the preview: no failure of ours to report. */
    changes = g_strdup (no_preview_text ());
  else
    changes = g_strdup_printf (_("The changes could not be worked out: %s"), error->message);
  /* What the server offers is known by now. */
  warning = restore_body (OSI_CLIENT (source), g_object_get_data (G_OBJECT (dialog), "backup-name"),
                          g_object_get_data (G_OBJECT (dialog), "backup-date"));
  body = g_strdup_printf ("%s\n\n%s", warning, changes);
  adw_message_dialog_set_body (dialog, body);
}

/* The warning before any restore: of a backup of the list, or of a file
 * just uploaded (which the list does not hold yet, hence the date). */
void
_osi_window_confirm_restore (OsiWindow  *self,
                             const char *name,
                             const char *date)
{
  g_autofree char *body = NULL;
  g_autofree char *shown = NULL;
  AdwMessageDialog *dialog;
  /* docs/api.md §5.2: the preview is asked only of a server that may offer it. */
  gboolean preview = !osi_window_server_lacks (self, "diff");

  if (self->client == NULL || _osi_window_refuse_unnamable (self, name))
    return;
  body = restore_body (self->client, name, date);
  shown = g_strdup_printf ("%s\n\n%s", body, preview ? _("Working out the changes…") : no_preview_text ());
  dialog = _osi_window_new_dialog (self, _("Restore This Backup?"), shown);
  g_object_set_data_full (G_OBJECT (dialog), "backup-name", g_strdup (name), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "backup-date", g_strdup (date), g_free);
  if (preview)
    {
      GCancellable *cancellable = g_cancellable_new ();
      RestoreDiff *data = g_new0 (RestoreDiff, 1);

      /* The dialog gone, the question is moot. */
      g_object_set_data_full (G_OBJECT (dialog), "diff-cancellable", g_object_ref (cancellable), cancel_and_unref);
      data->self = g_object_ref (self);
      g_weak_ref_init (&data->dialog, dialog);
      self->restore_diffs++;
      _osi_window_notify_working (self);
      osi_client_diff_async (self->client, name, cancellable, on_restore_diff, data);
      g_object_unref (cancellable);
    }
  _osi_window_present_confirmation (self, dialog, "restore", _("_Restore"), ADW_RESPONSE_DESTRUCTIVE,
                                    G_CALLBACK (on_restore_response));
}

static void
action_restore (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  _osi_window_confirm_restore (self, name, display_date (self, name));
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  osi_client_delete_finish (OSI_CLIENT (source), result, &error);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error))
    return;
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (error != NULL)
    _osi_window_show_error (self, _("The Backup Could Not Be Deleted"), error, FALSE);
  else
    osi_window_add_toast (self, adw_toast_new (_("Backup deleted")));
  _osi_window_refresh (self);
}

static void
on_delete_response (OsiWindow        *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  const char *name = _osi_window_answered_backup (self, dialog, response, "delete");

  if (name == NULL)
    return;
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_OPERATION, _("Deleting %s…"), name);
  osi_client_delete_async (self->client, name, self->op_cancellable, on_deleted, g_object_ref (self));
}

void
_osi_window_confirm_delete (OsiWindow  *self,
                            const char *name)
{
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint remaining = total > 0 ? total - 1 : 0;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (_osi_window_refuse_unnamable (self, name))
    return;
  body = g_strdup_printf (_("“%s” from %s will be deleted from the server. This cannot be undone."),
                          name, display_date (self, name));
  if (remaining < OSI_MIN_KEPT_BACKUPS)
    {
      /* "Only 0 backups" reads badly, and French would make it singular. */
      g_autofree char *warning = remaining == 0
        ? g_strdup (_("No backup would remain: keep at least three recent backups."))
        : g_strdup_printf (ngettext ("Only %u backup would remain: keep at least three recent backups.",
                                     "Only %u backups would remain: keep at least three recent backups.",
                                     remaining),
                           remaining);
      g_autofree char *both = g_strdup_printf ("%s\n\n%s", body, warning);

      g_free (body);
      body = g_steal_pointer (&both);
    }
  dialog = _osi_window_new_dialog (self, _("Delete This Backup?"), body);
  g_object_set_data_full (G_OBJECT (dialog), "backup-name", g_strdup (name), g_free);
  _osi_window_present_confirmation (self, dialog, "delete", _("_Delete"), ADW_RESPONSE_DESTRUCTIVE,
                                    G_CALLBACK (on_delete_response));
}

static void
action_delete (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  /* docs/api.md §6: a protected backup is never deleted; the dialog says
   * why and offers to unprotect it. */
  if (_osi_window_explain_protected (self, name))
    return;
  _osi_window_confirm_delete (self, name);
}

/* ------------------------------------------------------------------------ */
/* Download and check                                                       */

static void
action_download (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  _osi_window_download (OSI_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
action_cancel_transfer (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);

  g_cancellable_cancel (self->transfer_cancellable);
}

static void
action_check_path (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  _osi_window_check_path (OSI_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
action_check_file (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  g_autofree char *folder = osi_window_dup_download_folder (self);

  osi_backup_file_chooser_show (GTK_WINDOW (self), _("Check a Backup"), _("_Check"), folder,
                                (OsiFileChosenFunc)_osi_window_check_path, self);
}

/* ------------------------------------------------------------------------ */
/* Other actions                                                            */

static void
action_refresh (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  _osi_window_refresh (OSI_WINDOW (widget));
}

static void
action_search (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "list") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
action_page (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  guint n_pages = osi_window_get_n_pages (self);

  if (g_str_equal (action_name, "win.page-first"))
    self->page = 0;
  else if (g_str_equal (action_name, "win.page-previous") && self->page > 0)
    self->page--;
  else if (g_str_equal (action_name, "win.page-next") && self->page + 1 < n_pages)
    self->page++;
  else if (g_str_equal (action_name, "win.page-last"))
    self->page = n_pages - 1;
  _osi_window_update_view (self);
}

static gboolean
url_is_valid (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' &&
         (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 ||
          g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0);
}

static void
action_connect (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->connect_url_row))));
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->connect_token_row));

  if (!url_is_valid (url))
    {
      osi_window_show_connect_error (self, _("Enter the server’s address, such as https://osi.example.org"));
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->connect_error_label), FALSE);
  gtk_widget_activate_action (widget, "app.connect", "(ss)", url, token);
}

/* ------------------------------------------------------------------------ */
/* Shortcuts                                                                */

/* Pages turn with Alt+Left/Right and Page Up/Down wherever the focus is,
 * the list included (it would otherwise scroll with Page Up/Down). */
static void
add_page_shortcuts (OsiWindow *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();
  struct { guint key; GdkModifierType mods; const char *action; } keys[] = {
    { GDK_KEY_Left, GDK_ALT_MASK, "win.page-previous" },
    { GDK_KEY_Right, GDK_ALT_MASK, "win.page-next" },
    { GDK_KEY_Page_Up, 0, "win.page-previous" },
    { GDK_KEY_Page_Down, 0, "win.page-next" },
  };

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key, keys[i].mods),
                                                            gtk_named_action_new (keys[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

/* The shortcuts window is built the first time it is asked for, not with
 * each main window as GtkApplication would (a large tree, at start). */
static void
show_help_overlay (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  GtkApplicationWindow *window = GTK_APPLICATION_WINDOW (user_data);
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (window);

  if (overlay == NULL)
    {
      g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/org/osi/Backup/ui/help-overlay.ui");

      overlay = GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay"));
      /* Found in the window's action map, this action stays the one
       * that shows it. */
      gtk_application_window_set_help_overlay (window, overlay);
    }
  gtk_window_present (GTK_WINDOW (overlay));
}

static void
add_help_overlay_action (OsiWindow *self)
{
  const GActionEntry entries[] = {
    { "show-help-overlay", show_help_overlay, NULL, NULL, NULL, { 0 } },
  };

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                    */

void
_osi_window_class_actions_init (OsiWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.create", NULL, action_create);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, action_refresh);
  gtk_widget_class_install_action (widget_class, "win.restore", "s", action_restore);
  gtk_widget_class_install_action (widget_class, "win.download", "s", action_download);
  gtk_widget_class_install_action (widget_class, "win.delete", "s", action_delete);
  gtk_widget_class_install_action (widget_class, "win.cancel-transfer", NULL, action_cancel_transfer);
  gtk_widget_class_install_action (widget_class, "win.check-file", NULL, action_check_file);
  gtk_widget_class_install_action (widget_class, "win.check-path", "s", action_check_path);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, action_search);
  gtk_widget_class_install_action (widget_class, "win.page-first", NULL, action_page);
  gtk_widget_class_install_action (widget_class, "win.page-previous", NULL, action_page);
  gtk_widget_class_install_action (widget_class, "win.page-next", NULL, action_page);
  gtk_widget_class_install_action (widget_class, "win.page-last", NULL, action_page);
  gtk_widget_class_install_action (widget_class, "win.connect", NULL, action_connect);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.create", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.check-file", NULL);
}

void
_osi_window_actions_init (OsiWindow *self)
{
  add_page_shortcuts (self);
  add_help_overlay_action (self);
}
