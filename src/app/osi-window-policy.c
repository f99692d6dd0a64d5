/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-dialog.h"
#include "osi-policy-window.h"
#include "osi-retention.h"
#include "osi-window-private.h"

/* The window's part of the backup policy (docs/api.md §6): protect and
 * unprotect a backup, edit its note, explain why a protected backup is
 * not deleted, and "Clean Up…": the retention plan shown first, carried
 * out on confirmation, by the server where it offers "policy", otherwise
 * planned here from the list (as osi-backup-cli prune does) and carried
 * out through the base API's deletes. */

/* The longest note the server keeps. */
#define NOTE_MAX_CHARS 500
/* The most names a clean-up confirmation lists of each kind. */
#define PLAN_MAX_NAMES 15

void
_osi_window_replace_backup (OsiWindow     *self,
                            OsiBackupInfo *info)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsiBackupInfo) old = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (g_strcmp0 (osi_backup_info_get_name (old), osi_backup_info_get_name (info)) == 0)
        {
          g_list_store_splice (self->store, i, 1, (gpointer *)&info, 1);
          return;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Protect, unprotect, note                                                 */

typedef enum
{
  UPDATE_PROTECT,
  UPDATE_UNPROTECT,
  UPDATE_NOTE,
} Update;

typedef struct
{
  OsiWindow *self;
  char      *name;
  Update     update;
  gboolean   then_delete;   /* unprotected to be deleted: ask that next */
} UpdateData;

static UpdateData *
update_data_new (OsiWindow  *self,
                 const char *name,
                 Update      update)
{
  UpdateData *data = g_new0 (UpdateData, 1);

  data->self = g_object_ref (self);
  data->name = g_strdup (name);
  data->update = update;
  return data;
}

static void
update_data_free (UpdateData *data)
{
  g_object_unref (data->self);
  g_free (data->name);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdateData, update_data_free)

static void
on_backup_updated (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UpdateData) data = user_data;
  OsiWindow *self = data->self;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  info = osi_client_update_backup_finish (OSI_CLIENT (source), result, &error);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error))
    return;
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (info == NULL)
    {
      _osi_window_show_error (self, data->update == UPDATE_NOTE ? _("The Note Could Not Be Saved")
                                                                 : _("The Protection Could Not Be Changed"),
                              error, FALSE);
      return;
    }
  /* The row shows the server's answer. */
  _osi_window_replace_backup (self, info);
  switch (data->update)
    {
    case UPDATE_PROTECT:
      title = g_strdup_printf (_("%s is protected"), data->name);
      break;
    case UPDATE_UNPROTECT:
      title = g_strdup_printf (_("%s is no longer protected"), data->name);
      break;
    case UPDATE_NOTE:
    default:
      title = g_strdup (osi_backup_info_get_note (info) != NULL ? _("Note saved") : _("Note removed"));
      break;
    }
  osi_window_add_toast (self, adw_toast_new (title));
  if (data->then_delete && !osi_backup_info_get_protected (info))
    _osi_window_confirm_delete (self, data->name);
}

static void
set_protected (OsiWindow  *self,
               const char *name,
               gboolean    is_protected,
               gboolean    then_delete)
{
  UpdateData *data;

  if (self->client == NULL || _osi_window_long_job_running (self) || _osi_window_refuse_unnamable (self, name))
    return;
  data = update_data_new (self, name, is_protected ? UPDATE_PROTECT : UPDATE_UNPROTECT);
  data->then_delete = then_delete;
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_OPERATION,
                              is_protected ? _("Protecting %s…") : _("Unprotecting %s…"), name);
  osi_client_set_protected_async (self->client, name, is_protected, self->op_cancellable, on_backup_updated, data);
}

static void
action_protect (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  set_protected (OSI_WINDOW (widget), g_variant_get_string (parameter, NULL),
                 g_str_equal (action_name, "win.protect"), FALSE);
}

static void
on_note_response (OsiWindow        *self,
                  const char       *response,
                  AdwMessageDialog *dialog)
{
  const char *name = _osi_window_answered_backup (self, dialog, response, "save");
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *note = NULL;
  UpdateData *data;

  if (name == NULL)
    return;
  note = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  data = update_data_new (self, name, UPDATE_NOTE);
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_OPERATION, _("Saving the note of %s…"), name);
  osi_client_set_note_async (self->client, name, *note != '\0' ? note : NULL, self->op_cancellable,
                             on_backup_updated, data);
}

static void
action_edit_note (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  OsiBackupInfo *info;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  if (_osi_window_refuse_unnamable (self, name))
    return;
  info = _osi_window_find_backup (self, name);
  body = g_strdup_printf (_("A note for “%s”, up to 500 characters. Leave it empty to remove the note."), name);
  dialog = _osi_window_new_dialog (self, _("Edit the Note"), body);
  g_object_set_data_full (G_OBJECT (dialog), "backup-name", g_strdup (name), g_free);
  entry = gtk_entry_new ();
  gtk_entry_set_max_length (GTK_ENTRY (entry), NOTE_MAX_CHARS);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (entry),
                         info != NULL && osi_backup_info_get_note (info) != NULL ? osi_backup_info_get_note (info) : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Note"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  _osi_window_present_confirmation (self, dialog, "save", _("_Save"), ADW_RESPONSE_SUGGESTED,
                                    G_CALLBACK (on_note_response));
  gtk_widget_grab_focus (entry);
}

/* ------------------------------------------------------------------------ */
/* Delete of a protected backup                                             */

static void
on_protected_response (OsiWindow        *self,
                       const char       *response,
                       AdwMessageDialog *dialog)
{
  const char *name = _osi_window_answered_backup (self, dialog, response, "unprotect");

  if (name != NULL)
    set_protected (self, name, FALSE, TRUE);
}

gboolean
_osi_window_explain_protected (OsiWindow  *self,
                               const char *name)
{
  OsiBackupInfo *info = _osi_window_find_backup (self, name);
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (info == NULL || !osi_backup_info_get_protected (info))
    return FALSE;
  body = g_strdup_printf (_("“%s” is protected: it cannot be deleted, and clean-ups keep it. Unprotect it to "
                            "delete it."),
                          name);
  dialog = _osi_window_new_dialog (self, _("This Backup Is Protected"), body);
  g_object_set_data_full (G_OBJECT (dialog), "backup-name", g_strdup (name), g_free);
  _osi_window_present_confirmation (self, dialog, "unprotect", _("_Unprotect"), ADW_RESPONSE_DESTRUCTIVE,
                                    G_CALLBACK (on_protected_response));
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Clean up                                                                 */

static void
append_kept (GString    *text,
             JsonArray  *keep,
             guint       i)
{
  JsonNode *node = json_array_get_element (keep, i);
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonArray *reasons = object != NULL ? osi_retention_plan_get_list (object, "reasons") : NULL;
  g_autoptr(GString) why = g_string_new (NULL);

  for (guint r = 0; reasons != NULL && r < json_array_get_length (reasons); r++)
    {
      JsonNode *reason = json_array_get_element (reasons, r);
      const char *shown = osi_retention_describe_reason (JSON_NODE_HOLDS_VALUE (reason) ? json_node_get_string (reason) : NULL);

      if (shown == NULL)
        continue;
      if (why->len > 0)
        g_string_append (why, ", ");
      g_string_append (why, shown);
    }
  g_string_append_printf (text, "\n• %s", osi_retention_plan_get_name (keep, i) != NULL ? osi_retention_plan_get_name (keep, i) : "?");
  if (why->len > 0)
    g_string_append_printf (text, " (%s)", why->str);
}

static void
append_more (GString *text,
             guint    n,
             guint    shown)
{
  if (n > shown)
    {
      g_string_append_c (text, '\n');
      g_string_append_printf (text, ngettext ("… and %u more", "… and %u more", n - shown), n - shown);
    }
}

/* What goes and what stays, and why. */
char *
_osi_window_describe_plan (JsonObject *plan,
                           gboolean    local)
{
  JsonArray *remove = osi_retention_plan_get_list (plan, "remove");
  JsonArray *keep = osi_retention_plan_get_list (plan, "keep");
  guint n_remove = remove != NULL ? json_array_get_length (remove) : 0;
  guint n_keep = keep != NULL ? json_array_get_length (keep) : 0;
  GString *text = g_string_new (NULL);

  if (local)
    g_string_append_printf (text, "%s\n\n",
                            _("This server does not offer scheduling: this plan was worked out on this computer."));
  if (n_remove > 0)
    {
      g_string_append_printf (text, ngettext ("%u backup will be deleted:", "%u backups will be deleted:", n_remove),
                              n_remove);
      for (guint i = 0; i < MIN (n_remove, PLAN_MAX_NAMES); i++)
        g_string_append_printf (text, "\n• %s", osi_retention_plan_get_name (remove, i) != NULL ? osi_retention_plan_get_name (remove, i) : "?");
      append_more (text, n_remove, PLAN_MAX_NAMES);
      g_string_append (text, "\n\n");
    }
  g_string_append_printf (text, ngettext ("%u backup is kept:", "%u backups are kept:", n_keep), n_keep);
  for (guint i = 0; i < MIN (n_keep, PLAN_MAX_NAMES); i++)
    append_kept (text, keep, i);
  append_more (text, n_keep, PLAN_MAX_NAMES);
  return g_string_free (text, FALSE);
}

/* The plan made here from the list shown. */
static JsonObject *
plan_here (OsiWindow                *self,
           const OsiRetentionPolicy *counts,
           gboolean                  dry_run)
{
  GListModel *store = G_LIST_MODEL (self->store);
  guint n = g_list_model_get_n_items (store);
  g_autoptr(GPtrArray) infos = g_ptr_array_new_full (n, g_object_unref);
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (infos, g_list_model_get_item (store, i));
  /* Days and weeks as the server counts them: in its time zone. */
  node = osi_retention_plan_infos ((OsiBackupInfo * const *)infos->pdata, n, counts,
                                   osi_client_get_server_tz (self->client), dry_run);
  return json_object_ref (json_node_get_object (node));
}

typedef struct
{
  OsiWindow *self;
  GPtrArray *names;       /* what the plan removes, deleted one after the other */
  guint      next;
  guint      deleted;
  GError    *error;       /* the first failure */
} LocalPrune;

static void
local_prune_free (LocalPrune *run)
{
  g_object_unref (run->self);
  g_ptr_array_unref (run->names);
  g_clear_error (&run->error);
  g_free (run);
}

static void
prune_done (OsiWindow    *self,
            guint         deleted,
            const GError *error)
{
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (error != NULL)
    _osi_window_show_error (self, _("The Clean-Up Failed"), error, FALSE);
  else
    {
      g_autofree char *title = g_strdup_printf (ngettext ("%u backup deleted", "%u backups deleted", deleted),
                                                deleted);

      osi_window_add_toast (self, adw_toast_new (title));
    }
  _osi_window_refresh (self);
}

static void local_prune_next (LocalPrune *run);

static void
on_local_deleted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  LocalPrune *run = user_data;
  g_autoptr(GError) error = NULL;

  if (osi_client_delete_finish (OSI_CLIENT (source), result, &error))
    run->deleted++;
  else if (_osi_window_is_cancelled (error) || _osi_window_is_disposed (run->self))
    {
      local_prune_free (run);
      return;
    }
  else if (run->error == NULL)
    run->error = g_steal_pointer (&error);
  local_prune_next (run);
}

/* One delete after the other; a failure does not stop the others. */
static void
local_prune_next (LocalPrune *run)
{
  OsiWindow *self = run->self;

  if (_osi_window_is_disposed (self))
    {
      local_prune_free (run);
      return;
    }
  if (run->next < run->names->len)
    {
      osi_client_delete_async (self->client, g_ptr_array_index (run->names, run->next++), self->op_cancellable,
                               on_local_deleted, run);
      return;
    }
  prune_done (self, run->deleted, run->error);
  local_prune_free (run);
}

static void
on_pruned (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(JsonObject) plan = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *remove;

  plan = osi_client_prune_finish (OSI_CLIENT (source), result, &error);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error))
    return;
  remove = plan != NULL ? osi_retention_plan_get_list (plan, "remove") : NULL;
  prune_done (self, remove != NULL ? json_array_get_length (remove) : 0, error);
}

static void
on_prune_response (OsiWindow        *self,
                   const char       *response,
                   AdwMessageDialog *dialog)
{
  JsonObject *plan = g_object_get_data (G_OBJECT (dialog), "prune-plan");
  gboolean local = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "prune-local"));
  JsonArray *remove;
  LocalPrune *run;

  if (g_strcmp0 (response, "prune") != 0 || self->client == NULL || _osi_window_long_job_running (self))
    return;
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_OPERATION, _("Cleaning up…"));
  if (!local)
    {
      osi_client_prune_async (self->client, FALSE, self->op_cancellable, on_pruned, g_object_ref (self));
      return;
    }
  remove = osi_retention_plan_get_list (plan, "remove");
  run = g_new0 (LocalPrune, 1);
  run->self = g_object_ref (self);
  run->names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; remove != NULL && i < json_array_get_length (remove); i++)
    if (osi_retention_plan_get_name (remove, i) != NULL)
      g_ptr_array_add (run->names, g_strdup (osi_retention_plan_get_name (remove, i)));
  local_prune_next (run);
}

static void
show_plan (OsiWindow  *self,
           JsonObject *plan,
           gboolean    local)
{
  JsonArray *remove = osi_retention_plan_get_list (plan, "remove");
  guint n_remove = remove != NULL ? json_array_get_length (remove) : 0;
  g_autofree char *body = _osi_window_describe_plan (plan, local);
  AdwMessageDialog *dialog;

  if (n_remove == 0)
    {
      osi_dialog_present_message (_osi_window_new_dialog (self, _("Nothing to Clean Up"), body));
      return;
    }
  dialog = _osi_window_new_dialog (self, _("Clean Up the Backups?"), body);
  g_object_set_data_full (G_OBJECT (dialog), "prune-plan", json_object_ref (plan), (GDestroyNotify)json_object_unref);
  g_object_set_data (G_OBJECT (dialog), "prune-local", GINT_TO_POINTER (local));
  _osi_window_present_confirmation (self, dialog, "prune", _("_Clean Up"), ADW_RESPONSE_DESTRUCTIVE,
                                    G_CALLBACK (on_prune_response));
}

static void
on_prune_planned (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(JsonObject) plan = NULL;
  g_autoptr(GError) error = NULL;
  OsiRetentionPolicy counts = OSI_RETENTION_POLICY_DEFAULT;

  plan = osi_client_prune_finish (OSI_CLIENT (source), result, &error);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error))
    return;
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED))
    {
      /* A server without a policy: §6's defaults, planned here. */
      g_autoptr(JsonObject) here = plan_here (self, &counts, TRUE);

      show_plan (self, here, TRUE);
      return;
    }
  if (plan == NULL)
    {
      _osi_window_show_error (self, _("The Clean-Up Failed"), error, FALSE);
      return;
    }
  show_plan (self, plan, FALSE);
}

void
_osi_window_prune (OsiWindow                *self,
                   const OsiRetentionPolicy *counts)
{
  if (self->client == NULL || _osi_window_long_job_running (self))
    return;
  if (counts != NULL)
    {
      g_autoptr(JsonObject) plan = plan_here (self, counts, TRUE);

      show_plan (self, plan, TRUE);
      return;
    }
  /* The server's own plan first, as a dry run: nothing goes before the
   * user saw what would. */
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_OPERATION, _("Working out what to clean up…"));
  osi_client_prune_async (self->client, TRUE, self->op_cancellable, on_prune_planned, g_object_ref (self));
}

static void
action_prune (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  _osi_window_prune (OSI_WINDOW (widget), NULL);
}

/* ------------------------------------------------------------------------ */
/* The policy's window                                                      */

static void
action_policy (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);

  if (self->client == NULL)
    return;
  if (self->policy_window == NULL)
    {
      self->policy_window = GTK_WINDOW (osi_policy_window_new (self));
      g_object_add_weak_pointer (G_OBJECT (self->policy_window), (gpointer *)&self->policy_window);
    }
  gtk_window_present (GTK_WINDOW (self->policy_window));
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                    */

void
_osi_window_class_policy_init (OsiWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.protect", "s", action_protect);
  gtk_widget_class_install_action (widget_class, "win.unprotect", "s", action_protect);
  gtk_widget_class_install_action (widget_class, "win.edit-note", "s", action_edit_note);
  gtk_widget_class_install_action (widget_class, "win.prune", NULL, action_prune);
  gtk_widget_class_install_action (widget_class, "win.policy", NULL, action_policy);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.prune", NULL);
}
