/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-archive.h"
#include "osi-backup-info.h"
#include "osi-check-history.h"
#include "osi-check-window.h"
#include "osi-download.h"
#include "osi-file-hash.h"
#include "osi-progress-relay.h"
#include "osi-window-private.h"

/* ------------------------------------------------------------------------ */
/* Download                                                                 */

static void
show_transfer_progress (OsiWindow *self,
                        guint64    done,
                        guint64    total,
                        double     rate)
{
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *rate_text = g_format_size ((guint64)MAX (rate, 0));
  g_autofree char *text = NULL;

  /* Progress may still arrive after the window was closed (its widgets
   * are gone), before the download's own callback. */
  if (_osi_window_is_disposed (self) || (self->job != OSI_WINDOW_JOB_DOWNLOAD && self->job != OSI_WINDOW_JOB_UPLOAD))
    return;
  if (total > 0)
    {
      g_autofree char *total_text = g_format_size (total);

      /* TRANSLATORS: bytes done, bytes in all, bytes per second */
      text = self->job == OSI_WINDOW_JOB_UPLOAD ? g_strdup_printf (_("Sending: %s of %s (%s/s)"), done_text, total_text, rate_text)
                             : g_strdup_printf (_("Downloading: %s of %s (%s/s)"), done_text, total_text, rate_text);
      gtk_progress_bar_set_fraction (self->status_progress, (double)done / (double)total);
    }
  else
    {
      text = self->job == OSI_WINDOW_JOB_UPLOAD ? g_strdup_printf (_("Sending: %s (%s/s)"), done_text, rate_text)
                             : g_strdup_printf (_("Downloading: %s (%s/s)"), done_text, rate_text);
      gtk_progress_bar_pulse (self->status_progress);
    }
  gtk_label_set_text (self->status_label, text);
}

static void
on_transfer_progress (guint64  done,
                      guint64  total,
                      double   rate,
                      gpointer user_data)
{
  show_transfer_progress (user_data, done, total, rate);
}

static void
open_folder (OsiWindow  *self,
             const char *folder)
{
  g_autofree char *uri = g_filename_to_uri (folder, NULL, NULL);

  if (uri != NULL)
    gtk_show_uri (GTK_WINDOW (self), uri, GDK_CURRENT_TIME);
}

static void
on_open_folder_clicked (GtkButton *button,
                        OsiWindow *self)
{
  const char *folder = g_object_get_data (G_OBJECT (button), "folder");

  open_folder (self, folder);
}

/* The download's end, once it is remembered. */
static void
download_done (OsiWindow  *self,
               const char *path)
{
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_DOWNLOAD);
  {
    AdwToast *toast = adw_toast_new (_("Download complete"));
    GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
    GtkWidget *open = gtk_button_new_with_mnemonic (_("_Open Folder"));
    g_autofree char *folder = g_path_get_dirname (path);

    gtk_box_append (GTK_BOX (box), gtk_label_new (_("Download complete")));
    g_object_set_data_full (G_OBJECT (open), "folder", g_steal_pointer (&folder), g_free);
    g_signal_connect_object (open, "clicked", G_CALLBACK (on_open_folder_clicked), self, 0);
    gtk_widget_add_css_class (open, "flat");
    gtk_box_append (GTK_BOX (box), open);
    adw_toast_set_custom_title (toast, box);
    adw_toast_set_button_label (toast, _("_Check"));
    adw_toast_set_action_name (toast, "win.check-path");
    adw_toast_set_action_target_value (toast, g_variant_new_string (path));
    adw_toast_set_timeout (toast, 10);
    osi_window_add_toast (self, toast);
    g_free (self->last_toast);
    self->last_toast = g_strdup (_("Download complete"));
  }
}

/* A history that cannot be written costs the check's or download's
 * memory across runs, never the check or the download: said, not more. */
static void
history_not_saved (OsiWindow    *self,
                   const GError *error)
{
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;

  g_debug ("not remembered: %s", error->message);
  if (_osi_window_is_disposed (self) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME))
    return;
  message = g_markup_escape_text (error->message, -1);
  /* TRANSLATORS: the reason, from the system */
  text = g_strdup_printf (_("The history of checks cannot be saved: %s"), message);
  osi_window_add_toast (self, adw_toast_new (text));
}

/* What waits for the history: the window, and a file or a report. */
typedef struct
{
  OsiWindow       *self;
  char            *path;
  OsiVerifyReport *report;
} Pending;

static Pending *
pending_new (OsiWindow       *self,
             const char      *path,
             OsiVerifyReport *report)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->self = g_object_ref (self);
  pending->path = g_strdup (path);
  pending->report = report != NULL ? g_object_ref (report) : NULL;
  return pending;
}

static void
pending_free (Pending *pending)
{
  g_object_unref (pending->self);
  g_free (pending->path);
  g_clear_object (&pending->report);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pending, pending_free)

static void
on_download_recorded (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(Pending) pending = user_data;
  g_autoptr(GError) error = NULL;

  if (!osi_check_history_record_finish (OSI_CHECK_HISTORY (source), result, &error))
    history_not_saved (pending->self, error);
  if (_osi_window_is_disposed (pending->self))
    return;
  download_done (pending->self, pending->path);
}

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autofree char *made = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GError) error = NULL;

  path = osi_download_finish (result, &made, &sha256, &error);
  if (_osi_window_is_disposed (self))
    return;
  if (path == NULL)
    {
      _osi_window_long_job_end (self, OSI_WINDOW_JOB_DOWNLOAD);
      if (_osi_window_is_cancelled (error))
        osi_window_add_toast (self, adw_toast_new (_("Download cancelled: it will resume where it stopped")));
      else if (made == NULL)
        {
          g_autoptr(GError) sentence = g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL,
                                                    _("Cannot create the download folder %s: %s"),
                                                    osi_download_get_folder (result), error->message);

          _osi_window_show_error (self, _("The Download Failed"), sentence, FALSE);
        }
      else
        _osi_window_show_error (self, _("The Download Failed"), error, FALSE);
      return;
    }
  /* docs/api.md §5.3: the check history keeps what the server sent, so that a
   * check can say later whether the file is still that. The download
   * goes on until then: a check of the file waits for it. */
  if (sha256 != NULL && g_path_is_absolute (path))
    {
      osi_check_history_record_download_async (self->check_history, path, sha256, NULL, on_download_recorded,
                                               pending_new (self, path, NULL));
      return;
    }
  download_done (self, path);
}

/* The download is under way (and can be cancelled) at once; its folder
 * is made first, off the UI thread. */
void
_osi_window_download (OsiWindow  *self,
                      const char *name)
{
  g_autofree char *folder = osi_window_dup_download_folder (self);

  if (self->client == NULL || _osi_window_long_job_running (self) || _osi_window_refuse_unnamable (self, name))
    return;
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_DOWNLOAD, _("Downloading %s…"), name);
  osi_download_async (self->client, name, folder, FALSE, on_transfer_progress, self, self->transfer_cancellable,
                      on_downloaded, g_object_ref (self));
}

/* ------------------------------------------------------------------------ */
/* Check                                                                    */

static void
on_check_progress (guint64  done,
                   guint64  total,
                   gpointer user_data)
{
  OsiWindow *self = user_data;
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *text = NULL;

  if (_osi_window_is_disposed (self) || self->job != OSI_WINDOW_JOB_CHECK)
    return;
  if (total > 0)
    {
      g_autofree char *total_text = g_format_size (total);

      text = g_strdup_printf (_("Checking: %s of %s"), done_text, total_text);
      gtk_progress_bar_set_fraction (self->status_progress, MIN (1.0, (double)done / (double)total));
    }
  else
    text = g_strdup_printf (_("Checking: %s"), done_text);
  gtk_label_set_text (self->status_label, text);
}

static void
on_check_window_destroyed (OsiWindow *self,
                           GtkWidget *window)
{
  if ((GtkWidget *)self->check_window == window)
    self->check_window = NULL;
}

/* The write may end after the window closed: it does not keep it. */
static void
on_check_recorded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(OsiWindow) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;

  g_weak_ref_clear (weak);
  g_free (weak);
  if (!osi_check_history_record_finish (OSI_CHECK_HISTORY (source), result, &error) && self != NULL)
    history_not_saved (self, error);
}

/* One report window, which each new check updates; the file's former
 * check is read (from memory) before this one replaces it. */
static void
show_loaded_report (OsiWindow       *self,
                    OsiVerifyReport *report)
{
  const char *file = osi_verify_report_get_file (report);
  g_autoptr(OsiCheckRecord) previous = osi_check_history_lookup (self->check_history, file);
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_weak_ref_init (weak, self);
  osi_check_history_record_async (self->check_history, file, osi_verify_report_get_verdict (report), NULL,
                                  on_check_recorded, weak);
  if (self->check_window == NULL)
    {
      self->check_window = osi_check_window_new (self, self->check_history);
      g_signal_connect_object (self->check_window, "destroy", G_CALLBACK (on_check_window_destroyed), self,
                               G_CONNECT_SWAPPED);
    }
  osi_check_window_set_report (self->check_window, report, previous);
  gtk_window_present (GTK_WINDOW (self->check_window));
}

static void check_next (OsiWindow *self);

/* The check's end: once the history stated the file again (in its
 * worker), so that the former check says whether the file changed since;
 * the history is read by then. */
static void
on_history_refreshed (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(Pending) pending = user_data;
  OsiWindow *self = pending->self;

  osi_check_history_refresh_finish (OSI_CHECK_HISTORY (source), result, NULL);
  if (_osi_window_is_disposed (self))
    return;
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_CHECK);
  show_loaded_report (self, pending->report);
  check_next (self);
}

/* Files dropped together are checked one after the other. */
static void
check_next (OsiWindow *self)
{
  g_autofree char *path = NULL;

  if (_osi_window_long_job_running (self) || g_queue_is_empty (&self->check_queue))
    return;
  path = g_queue_pop_head (&self->check_queue);
  _osi_window_check_path (self, path);
}

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(OsiVerifyReport) report = NULL;
  g_autoptr(GError) error = NULL;

  report = osi_archive_verify_finish (result, &error);
  if (_osi_window_is_disposed (self))
    return;
  if (report == NULL)
    {
      _osi_window_long_job_end (self, OSI_WINDOW_JOB_CHECK);
      if (_osi_window_is_cancelled (error))
        g_queue_clear_full (&self->check_queue, g_free);
      else
        _osi_window_show_error (self, _("The Check Failed"), error, FALSE);
      check_next (self);
      return;
    }

  osi_check_history_refresh_async (self->check_history, osi_verify_report_get_file (report), NULL,
                                   on_history_refreshed, pending_new (self, NULL, report));
}

void
_osi_window_check_path (OsiWindow  *self,
                        const char *path)
{
  OsiProgressRelay *relay;
  g_autofree char *base = g_filename_display_basename (path);

  if (_osi_window_long_job_running (self))
    return;
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_CHECK, _("Checking %s…"), base);
  /* The relay brings progress from the checking thread to this one; it
   * holds the window until the check ends. */
  relay = osi_progress_relay_new (on_check_progress, self);
  g_object_set_data_full (G_OBJECT (self->transfer_cancellable), "relay", relay,
                          (GDestroyNotify)osi_progress_relay_unref);
  osi_archive_verify_async (path, NULL, osi_progress_relay_report, relay, self->transfer_cancellable,
                            on_checked, g_object_ref (self));
}

/* ------------------------------------------------------------------------ */
/* Restore from a file                                                      */

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = osi_client_upload_finish (OSI_CLIENT (source), result, &error);
  if (_osi_window_is_disposed (self))
    return;
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_UPLOAD);
  if (_osi_window_is_cancelled (error))
    {
      osi_window_add_toast (self, adw_toast_new (_("Sending cancelled: the server keeps nothing of it")));
      return;
    }
  if (info == NULL)
    {
      _osi_window_show_error (self, _("The File Could Not Be Sent"), error, FALSE);
      return;
    }
  /* The server lists the file now, whatever the answer to the warning. */
  _osi_window_refresh (self);
  _osi_window_confirm_restore (self, osi_backup_info_get_name (info), osi_backup_info_get_display_date (info));
}

static void
refuse_taken_name (OsiWindow  *self,
                   const char *name)
{
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_EXISTS,
                                         _("The server already has a different backup named “%s”. Rename the "
                                           "file, keeping its extension, and try again."),
                                         name);

  _osi_window_show_error (self, _("The File Could Not Be Sent"), error, FALSE);
}

/* The file is the server's backup of that name, byte for byte, when
 * their digests match: it is restored without sending it again. */
static void
on_file_hashed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  OsiWindow *self = OSI_WINDOW (source);
  g_autofree char *name = user_data;
  g_autofree char *digest = NULL;
  g_autoptr(GError) error = NULL;
  OsiBackupInfo *info;

  digest = osi_file_hash_finish (result, &error);
  if (_osi_window_is_disposed (self))
    return;
  _osi_window_long_job_end (self, OSI_WINDOW_JOB_UPLOAD);
  if (_osi_window_is_cancelled (error))
    return;
  if (digest == NULL)
    {
      _osi_window_show_error (self, _("The File Could Not Be Sent"), error, FALSE);
      return;
    }
  info = _osi_window_find_backup (self, name);
  if (info == NULL || g_ascii_strcasecmp (digest, osi_backup_info_get_sha256 (info)) != 0)
    {
      refuse_taken_name (self, name);
      return;
    }
  _osi_window_confirm_restore (self, name, osi_backup_info_get_display_date (info));
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

guint
osi_window_check_files (OsiWindow *self,
                        GSList    *files)
{
  guint queued = 0;

  g_return_val_if_fail (OSI_IS_WINDOW (self), 0);

  if (_osi_window_long_job_running (self) && self->job != OSI_WINDOW_JOB_CHECK)
    {
      osi_window_add_toast (self, adw_toast_new (_("Wait for the operation under way to end, then check "
                                                   "the files again")));
      return 0;
    }
  for (GSList *l = files; l != NULL; l = l->next)
    {
      char *path = G_IS_FILE (l->data) ? g_file_get_path (l->data) : NULL;

      if (path == NULL)
        continue;
      g_queue_push_tail (&self->check_queue, path);
      queued++;
    }
  if (queued < g_slist_length (files))
    osi_window_add_toast (self, adw_toast_new (_("Only files on this computer can be checked")));
  check_next (self);
  return queued;
}

void
osi_window_restore_file (OsiWindow  *self,
                         const char *path)
{
  g_autofree char *name = NULL;
  OsiBackupInfo *taken;

  g_return_if_fail (OSI_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  if (self->client == NULL || _osi_window_long_job_running (self))
    return;
  /* docs/api.md §5.2: said before anything is read or sent. */
  if (osi_window_server_lacks (self, "upload"))
    {
      g_autoptr(GError) error = g_error_new_literal (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED,
                                                     osi_window_no_upload_text ());

      _osi_window_show_error (self, _("The File Could Not Be Sent"), error, FALSE);
      return;
    }
  name = g_path_get_basename (path);
  if (!osi_backup_name_is_valid (name))
    {
      g_autofree char *shown = g_filename_display_basename (path);
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                                             _("The server does not accept the name “%s”: rename the file with "
                                               "letters, digits, dots, dashes and underscores only, keeping its "
                                               "extension, and try again."),
                                             shown);

      _osi_window_show_error (self, _("The File Could Not Be Sent"), error, FALSE);
      return;
    }
  /* The server never replaces a backup: it would refuse the file after
   * it came, in words about a job under way. A file downloaded from it
   * is usually that very backup, which needs no sending. */
  taken = _osi_window_find_backup (self, name);
  if (taken != NULL && osi_backup_info_get_sha256 (taken) == NULL)
    {
      refuse_taken_name (self, name);
      return;
    }
  if (taken != NULL)
    {
      _osi_window_long_job_start (self, OSI_WINDOW_JOB_UPLOAD,
                                  _("Comparing %s with the server’s backup of that name…"), name);
      /* Hashing says nothing of how far it is. */
      gtk_widget_set_visible (GTK_WIDGET (self->status_progress), FALSE);
      osi_file_hash_async (self, path, self->transfer_cancellable, on_file_hashed, g_strdup (name));
      return;
    }
  _osi_window_long_job_start (self, OSI_WINDOW_JOB_UPLOAD, _("Sending %s to the server…"), name);
  osi_client_upload_async (self->client, path, on_transfer_progress, self, self->transfer_cancellable,
                           on_uploaded, g_object_ref (self));
}