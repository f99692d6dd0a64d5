/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-check-window"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "osi-check-window-private.h"
#include "osi-dialog.h"
#include "osi-diff-window.h"
#include "osi-download.h"
#include "osi-swap.h"
#include "osi-window-private.h"

/* The check window's comparisons: with another backup file, or with a
 * server backup downloaded for the purpose into a folder of its own,
 * shown in an OsiDiffWindow. */

static gboolean
is_disposed (OsiCheckWindow *self)
{
  return self->history == NULL;
}

static gboolean
pulse (gpointer user_data)
{
  OsiCheckWindow *self = user_data;

  gtk_progress_bar_pulse (self->job_progress);
  return G_SOURCE_CONTINUE;
}

static void
job_start (OsiCheckWindow *self,
           const char     *text)
{
  g_clear_object (&self->job_cancellable);
  self->job_cancellable = g_cancellable_new ();
  gtk_label_set_text (self->job_label, text);
  gtk_progress_bar_set_fraction (self->job_progress, 0);
  gtk_revealer_set_reveal_child (self->job_revealer, TRUE);
  _osi_check_window_update_actions (self);
}

static void
remove_folder_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;

  /* Nobody waits for it: a folder left in the cache is no one's loss. */
  if (!osi_remove_tree (task_data, &error))
    g_debug ("The comparison's folder stays: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

/* The downloaded backup was only for the comparison. Deleted in a
 * worker: a backup of some gigabytes takes its time to unlink. */
static void
remove_compare_folder (OsiCheckWindow *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->compare_dir == NULL)
    return;
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, remove_compare_folder);
  g_task_set_task_data (task, g_steal_pointer (&self->compare_dir), g_free);
  g_task_run_in_thread (task, remove_folder_thread);
}

static void
job_end (OsiCheckWindow *self)
{
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  g_clear_object (&self->job_cancellable);
  remove_compare_folder (self);
  if (is_disposed (self))
    return;
  gtk_revealer_set_reveal_child (self->job_revealer, FALSE);
  _osi_check_window_update_actions (self);
}

static void
show_error (OsiCheckWindow *self,
            const char     *heading,
            const GError   *error)
{
  osi_dialog_present_message (ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading,
                                                                         error->message)));
}

static void
on_diff_window_destroyed (OsiCheckWindow *self,
                          GtkWidget      *window)
{
  if ((GtkWidget *)self->diff_window == window)
    self->diff_window = NULL;
}

void
_osi_check_window_close_diff_window (OsiCheckWindow *self)
{
  if (self->diff_window == NULL)
    return;
  /* GTK holds no reference to a transient parent. */
  gtk_window_set_transient_for (GTK_WINDOW (self->diff_window), NULL);
  gtk_window_destroy (GTK_WINDOW (self->diff_window));
}

static void
on_compared (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(OsiCheckWindow) self = user_data;
  g_autoptr(OsiDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *a_label = NULL;

  diff = osi_diff_compare_finish (result, &error);
  job_end (self);
  if (is_disposed (self) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (diff == NULL)
    {
      show_error (self, _("The Comparison Failed"), error);
      return;
    }
  _osi_check_window_close_diff_window (self);
  a_label = g_filename_display_basename (osi_verify_report_get_file (self->report));
  self->diff_window = osi_diff_window_new (GTK_WINDOW (self), diff, a_label, self->other_label);
  g_signal_connect_object (self->diff_window, "destroy", G_CALLBACK (on_diff_window_destroyed), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (self->diff_window));
}

/* This file is A (before), the other B (after). */
static void
compare (OsiCheckWindow *self,
         const char     *other,
         const char     *other_label)
{
  g_autofree char *text = g_strdup_printf (_("Comparing with %s…"), other_label);

  g_free (self->other_label);
  self->other_label = g_strdup (other_label);
  gtk_label_set_text (self->job_label, text);
  /* The comparison says nothing of its progress. */
  if (self->pulse_id == 0)
    self->pulse_id = g_timeout_add (100, pulse, self);
  osi_diff_compare_async (osi_verify_report_get_file (self->report), other, self->job_cancellable, on_compared,
                          g_object_ref (self));
}

static void
on_download_progress (guint64  done,
                      guint64  total,
                      double   rate,
                      gpointer user_data)
{
  OsiCheckWindow *self = user_data;

  if (is_disposed (self) || self->job_cancellable == NULL || total == 0)
    return;
  gtk_progress_bar_set_fraction (self->job_progress, MIN (1.0, (double)done / (double)total));
}

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(OsiCheckWindow) self = user_data;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  /* Whatever happens, the folder made goes with the job (job_end). */
  path = osi_download_finish (result, &self->compare_dir, NULL, &error);
  if (path == NULL && self->compare_dir == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autoptr(GError) sentence = g_error_new (G_IO_ERROR, error->code,
                                                _("Cannot create a folder in %s for the comparison: %s"),
                                                osi_download_get_folder (result), error->message);

      g_clear_error (&error);
      error = g_steal_pointer (&sentence);
    }
  if (path == NULL || is_disposed (self))
    {
      job_end (self);
      if (!is_disposed (self) && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, _("The Comparison Failed"), error);
      return;
    }
  name = g_filename_display_basename (path);
  compare (self, path, name);
}

void
_osi_check_window_on_compare_popover_show (OsiCheckWindow *self,
                                           GtkPopover     *popover)
{
  g_autoptr(OsiWindow) window = g_weak_ref_get (&self->window);
  GListModel *backups = window != NULL && osi_window_get_client (window) != NULL
                          ? G_LIST_MODEL (osi_window_get_store (window)) : NULL;
  guint n = backups != NULL ? g_list_model_get_n_items (backups) : 0;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) names = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (backups, i);

      /* Only what can be asked of the server by name. */
      if (osi_backup_info_can_be_named (info))
        g_strv_builder_add (builder, osi_backup_info_get_name (info));
    }
  names = g_strv_builder_end (builder);
  gtk_string_list_splice (self->backup_names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->backup_names)),
                          (const char * const *)names);
  gtk_widget_set_sensitive (GTK_WIDGET (self->backup_label), n > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->backup_dropdown), n > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->compare_backup_button), n > 0);
}

void
_osi_check_window_on_compare_backup_clicked (OsiCheckWindow *self,
                                             GtkButton      *button)
{
  guint selected = gtk_drop_down_get_selected (self->backup_dropdown);
  const char *name;

  if (selected == GTK_INVALID_LIST_POSITION)
    return;
  name = gtk_string_list_get_string (self->backup_names, selected);
  gtk_menu_button_popdown (self->compare_button);
  if (name != NULL)
    osi_check_window_compare_with_backup (self, name);
}

void
_osi_check_window_action_compare_file (GtkWidget  *widget,
                                       const char *action_name,
                                       GVariant   *parameter)
{
  OsiCheckWindow *self = OSI_CHECK_WINDOW (widget);
  g_autofree char *folder = NULL;

  if (self->report == NULL)
    return;
  gtk_menu_button_popdown (self->compare_button);
  folder = g_path_get_dirname (osi_verify_report_get_file (self->report));
  osi_backup_file_chooser_show (GTK_WINDOW (self), _("Compare With a Backup File"), _("C_ompare"), folder,
                                (OsiFileChosenFunc)osi_check_window_compare_with_file, self);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

void
osi_check_window_compare_with_file (OsiCheckWindow *self,
                                    const char     *path)
{
  g_autofree char *base = NULL;

  g_return_if_fail (OSI_IS_CHECK_WINDOW (self));
  g_return_if_fail (path != NULL);

  if (self->report == NULL || self->job_cancellable != NULL)
    return;
  base = g_filename_display_basename (path);
  job_start (self, "");
  compare (self, path, base);
}

void
osi_check_window_compare_with_backup (OsiCheckWindow *self,
                                      const char     *name)
{
  g_autoptr(OsiWindow) window = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *text = NULL;
  OsiClient *client;

  g_return_if_fail (OSI_IS_CHECK_WINDOW (self));
  g_return_if_fail (name != NULL);

  window = g_weak_ref_get (&self->window);
  client = window != NULL ? osi_window_get_client (window) : NULL;
  if (self->report == NULL || self->job_cancellable != NULL || client == NULL)
    return;
  text = g_strdup_printf (_("Downloading %s for the comparison…"), name);
  job_start (self, text);
  /* A folder of its own, made off the UI thread: the client resumes a
   * .part it finds, and never replaces a file. */
  parent = g_build_filename (g_get_user_cache_dir (), "osi-backup", "compare", NULL);
  osi_download_async (client, name, parent, TRUE, on_download_progress, self, self->job_cancellable,
                      on_downloaded, g_object_ref (self));
}
