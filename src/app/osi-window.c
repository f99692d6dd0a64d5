/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-backup-cell.h"
#include "osi-backup-filter-model.h"
#include "osi-backup-info.h"
#include "osi-backup-row-actions.h"
#include "osi-check-history.h"
#include "osi-check-window.h"
#include "osi-dialog.h"
#include "osi-resources.h"
#include "osi-search.h"
#include "osi-slot-model.h"
#include "osi-slot.h"
#include "osi-window-private.h"

static const guint page_sizes[] = { 10, 25, 50, 100 };

G_DEFINE_FINAL_TYPE (OsiWindow, osi_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_WORKING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

OsiBackupInfo *
_osi_window_find_backup (OsiWindow  *self,
                         const char *name)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (g_strcmp0 (osi_backup_info_get_name (info), name) == 0)
        return info;   /* the store keeps it alive */
    }
  return NULL;
}

/* docs/api.md §5.3: a name the server sent outside the grammar is shown, never
 * sent back. TRUE, with the reason in a toast, for such a name. */
gboolean
_osi_window_refuse_unnamable (OsiWindow  *self,
                              const char *name)
{
  OsiBackupInfo *info;
  const char *problem;

  if (osi_backup_name_is_valid (name))
    return FALSE;
  info = _osi_window_find_backup (self, name);
  problem = info != NULL ? osi_backup_info_get_problem (info) : NULL;
  osi_window_add_toast (self, adw_toast_new (problem != NULL ? problem
                                             : _("This backup cannot be downloaded, restored or deleted from here: "
                                                 "its name cannot be sent to the server safely.")));
  return TRUE;
}

void
_osi_window_notify_working (OsiWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKING]);
}

/* The status line: a spinner and a sentence for create, restore and
 * delete; bytes, rate and a cancel button for downloads and checks. */
static void
status_show (OsiWindow  *self,
             const char *text,
             gboolean    transfer)
{
  gtk_label_set_text (self->status_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->status_progress), transfer);
  gtk_widget_set_visible (GTK_WIDGET (self->status_cancel), transfer);
  gtk_progress_bar_set_fraction (self->status_progress, 0);
  gtk_spinner_set_spinning (self->status_spinner, TRUE);
  gtk_revealer_set_reveal_child (self->status_revealer, TRUE);
}

static void
status_hide (OsiWindow *self)
{
  if (_osi_window_long_job_running (self))
    return;
  gtk_spinner_set_spinning (self->status_spinner, FALSE);
  gtk_revealer_set_reveal_child (self->status_revealer, FALSE);
}

static void
show_banner (OsiWindow  *self,
             const char *text)
{
  g_free (self->banner_text);
  self->banner_text = g_strdup (text);
  gtk_label_set_text (self->banner_label, text);
  gtk_info_bar_set_revealed (self->banner, TRUE);
}

static void
hide_banner (OsiWindow *self)
{
  g_clear_pointer (&self->banner_text, g_free);
  gtk_info_bar_set_revealed (self->banner, FALSE);
}

static void
on_banner_response (OsiWindow *self,
                    int        response)
{
  if (response == GTK_RESPONSE_CLOSE)
    hide_banner (self);
}

/* What an administrator can do about a failure, as a list of steps. */
static char *
troubleshooting (const GError *error,
                 gboolean      restore)
{
  GString *steps = g_string_new (NULL);

#define STEP(text) g_string_append_printf (steps, "\n• %s", text)
  if (error->domain == OSI_CLIENT_ERROR)
    switch ((OsiClientError)error->code)
      {
      case OSI_CLIENT_ERROR_CONNECTION:
        STEP (_("Check that this computer is connected to the network."));
        STEP (_("Check that the backend server is running and that its address is right (Preferences)."));
        STEP (_("Look at the server’s logs for the cause."));
        break;
      case OSI_CLIENT_ERROR_TLS:
        STEP (_("Check the server address: it must match the name in its certificate."));
        STEP (_("For a self-hosted server, choose its CA file in Preferences."));
        break;
      case OSI_CLIENT_ERROR_UNAUTHORIZED:
        STEP (_("Enter the server’s current API token in Preferences."));
        STEP (_("Ask the server’s administrator for a new token if needed."));
        break;
      case OSI_CLIENT_ERROR_BUSY:
        STEP (_("Wait for the backup or restore under way to finish, then try again."));
        break;
      case OSI_CLIENT_ERROR_NO_SPACE:
        STEP (_("Free space on the server: delete old backups, keeping at least three recent ones."));
        STEP (_("For a download, free space on this computer or choose another download folder."));
        break;
      case OSI_CLIENT_ERROR_INTEGRITY:
        STEP (_("The backup is damaged: check it (Check a Backup…) and choose another one."));
        break;
      case OSI_CLIENT_ERROR_LOCAL:
        STEP (_("Check the download folder in Preferences and the free space on this computer."));
        break;
      case OSI_CLIENT_ERROR_NOT_FOUND:
        STEP (_("Refresh the list: the backup may have been deleted meanwhile."));
        break;
      case OSI_CLIENT_ERROR_TOO_LARGE:
        STEP (_("Ask the server’s administrator to raise its upload limit, or restore a smaller backup."));
        break;
      case OSI_CLIENT_ERROR_UNSUPPORTED:
      case OSI_CLIENT_ERROR_EXISTS:
        /* The message says what to do instead; the server is not at fault. */
        break;
      case OSI_CLIENT_ERROR_BAD_REQUEST:
      case OSI_CLIENT_ERROR_SERVER:
      case OSI_CLIENT_ERROR_PROTOCOL:
      default:
        STEP (_("Look at the server’s logs for the cause."));
        break;
      }
  if (restore)
    {
      STEP (_("Check the backup’s integrity before trying again (Check a Backup…)."));
      STEP (_("Check the server’s resources: disk space and memory."));
      STEP (_("Restart the backend service if it no longer answers."));
      STEP (_("If the problem persists, contact your administrator: the data before the restore is kept in the safety backup."));
    }
#undef STEP
  if (steps->len == 0)
    {
      g_string_free (steps, TRUE);
      return NULL;
    }
  g_string_prepend (steps, _("What to do:"));
  return g_string_free (steps, FALSE);
}

static void
on_dialog_destroyed (OsiWindow *self,
                     GtkWidget *dialog)
{
  if ((GtkWidget *)self->dialog == dialog)
    self->dialog = NULL;
}

AdwMessageDialog *
_osi_window_new_dialog (OsiWindow  *self,
                        const char *heading,
                        const char *body)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body));

  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->dialog));
  self->dialog = dialog;
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (on_dialog_destroyed), self, G_CONNECT_SWAPPED);
  return dialog;
}

void
_osi_window_show_error (OsiWindow    *self,
                        const char   *heading,
                        const GError *error,
                        gboolean      restore)
{
  g_autofree char *steps = troubleshooting (error, restore);
  g_autofree char *body = steps != NULL ? g_strdup_printf ("%s\n\n%s", error->message, steps)
                                        : g_strdup (error->message);

  osi_dialog_present_message (_osi_window_new_dialog (self, heading, body));
}

/* ------------------------------------------------------------------------ */
/* The list and its pages                                                   */

static guint
n_pages_for (guint items,
             guint page_size)
{
  return MAX (1, (items + page_size - 1) / page_size);
}

void
_osi_window_update_view (OsiWindow *self)
{
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  guint n_pages = n_pages_for (shown, self->page_size);
  g_autofree char *page_text = NULL;
  g_autofree char *count = NULL;
  const char *state;

  self->view_updates++;
  /* The page stays valid when backups disappear. */
  if (self->page >= n_pages)
    self->page = n_pages - 1;
  gtk_slice_list_model_set_offset (self->slice_model, self->page * self->page_size);
  gtk_slice_list_model_set_size (self->slice_model, self->page_size);

  page_text = g_strdup_printf (_("Page %u of %u"), self->page + 1, n_pages);
  gtk_label_set_text (self->page_label, page_text);

  count = g_strdup_printf (ngettext ("%u backup", "%u backups", total), total);
  if (osi_backup_filter_model_get_query (self->filter_model) != NULL)
    {
      g_autofree char *filtered = g_strdup_printf (ngettext ("(%u filtered)", "(%u filtered)", shown), shown);
      g_autofree char *both = g_strdup_printf ("%s %s", count, filtered);

      gtk_label_set_text (self->count_label, both);
    }
  else
    gtk_label_set_text (self->count_label, count);

  if (self->client == NULL)
    state = "connect";
  else if (!self->loaded)
    state = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "unreachable") == 0 && !self->listing
              ? "unreachable" : "loading";
  else if (total == 0)
    state = "empty";
  else
    state = "list";
  /* Out of the loading page the list appears at once: a crossfade would
   * hold it back for a fifth of a second. */
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "loading") == 0)
    gtk_stack_set_visible_child_full (self->stack, state, GTK_STACK_TRANSITION_TYPE_NONE);
  else
    gtk_stack_set_visible_child_name (self->stack, state);
  gtk_spinner_set_spinning (self->loading_spinner, g_str_equal (state, "loading"));
  gtk_stack_set_visible_child_name (self->list_stack, shown == 0 ? "no-results" : "rows");
  _osi_window_actions_update (self);
}

static void
on_sorted_items_changed (OsiWindow  *self,
                         guint       position,
                         guint       removed,
                         guint       added,
                         GListModel *model)
{
  /* The column view, finalized after the window's dispose, drops its
   * sorter: the models, still held by the view, sort again (rows whose
   * server order is not the date order, like those without a date). */
  if (_osi_window_is_disposed (self))
    return;
  _osi_window_update_view (self);
}

static void
on_search_changed (OsiWindow      *self,
                   GtkSearchEntry *entry)
{
  guint updates = self->view_updates;

  /* A new search starts on its first page. */
  self->page = 0;
  osi_backup_filter_model_set_search (self->filter_model, gtk_editable_get_text (GTK_EDITABLE (entry)));
  /* When the backups shown changed, items-changed updated the view. */
  if (self->view_updates == updates)
    _osi_window_update_view (self);
}

static void
on_stop_search (OsiWindow      *self,
                GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
set_page_size (OsiWindow *self,
               guint      page_size)
{
  guint first;

  if (page_size == self->page_size || page_size == 0)
    return;
  /* Keep the first backup shown on the page shown. */
  first = self->page * self->page_size;
  self->page_size = page_size;
  self->page = first / page_size;
  for (guint i = 0; i < G_N_ELEMENTS (page_sizes); i++)
    if (page_sizes[i] == page_size && gtk_drop_down_get_selected (self->page_size_dropdown) != i)
      gtk_drop_down_set_selected (self->page_size_dropdown, i);
  _osi_window_update_view (self);
}

static void
on_page_size_setting (OsiWindow  *self,
                      const char *key,
                      GSettings  *settings)
{
  set_page_size (self, (guint)g_settings_get_enum (settings, "items-per-page"));
}

static void
on_page_size_selected (OsiWindow   *self,
                       GParamSpec  *pspec,
                       GtkDropDown *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (selected < G_N_ELEMENTS (page_sizes) &&
      (guint)g_settings_get_enum (self->settings, "items-per-page") != page_sizes[selected])
    g_settings_set_enum (self->settings, "items-per-page", (int)page_sizes[selected]);
}

/* ------------------------------------------------------------------------ */
/* Refresh                                                                  */

/* The page shown when the first list fails names the kind of failure: a
 * server that refuses the token answers, it is not unreachable. */
static const char *
list_failure_title (const GError *error)
{
  if (g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNAUTHORIZED))
    return _("Access Refused");
  if (g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_CONNECTION) ||
      g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_TLS))
    return _("Server Unreachable");
  return _("The Backups Could Not Be Listed");
}

/* Whether the store holds these very backups, in this order. */
static gboolean
store_holds (OsiWindow *self,
             GPtrArray *items)
{
  GListModel *store = G_LIST_MODEL (self->store);

  if (g_list_model_get_n_items (store) != items->len)
    return FALSE;
  for (guint i = 0; i < items->len; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (store, i);

      if (item != g_ptr_array_index (items, i))
        return FALSE;
    }
  return TRUE;
}

static void
present_if_pending (OsiWindow *self)
{
  if (self->present_timeout_id == 0)
    return;
  g_clear_handle_id (&self->present_timeout_id, g_source_remove);
  gtk_window_present (GTK_WINDOW (self));
}

static void
on_features_learned (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(JsonObject) health = NULL;
  g_autoptr(GError) error = NULL;

  health = osi_client_health_finish (OSI_CLIENT (source), result, &error);
  /* Never the user's concern: an operation that needs a feature asks
   * again by itself, and says what fails then. */
  if (health == NULL)
    g_debug ("what %s offers is not known: %s", osi_client_get_base_url (OSI_CLIENT (source)), error->message);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error) || (OsiClient *)source != self->client)
    return;
  self->probing = FALSE;
  /* Protect and note need "policy"; the off-site copies, "offsite". */
  _osi_window_actions_update (self);
  _osi_window_offsite_listed (self);
  /* The report window follows "working": a restore it offers may need a
   * feature this server lacks. */
  _osi_window_notify_working (self);
}

/* Once per client, after its first list: the list comes first on screen. */
static void
learn_features (OsiWindow *self)
{
  if (self->client == NULL || self->features_asked || osi_client_get_features_known (self->client))
    return;
  self->features_asked = TRUE;
  self->probing = TRUE;
  g_clear_object (&self->features_cancellable);
  self->features_cancellable = g_cancellable_new ();
  _osi_window_notify_working (self);
  osi_client_health_async (self->client, self->features_cancellable, on_features_learned, g_object_ref (self));
}

/* How long the list is read again for a backup the server makes after
 * answering, at most, and how often at least. */
#define AWAIT_MAX_S    (30 * 60)
#define AWAIT_STEP_MAX 15

static void
stop_awaiting (OsiWindow *self)
{
  g_clear_handle_id (&self->awaited_timeout_id, g_source_remove);
  g_clear_pointer (&self->awaited_backup, g_free);
}

static gboolean
refresh_for_awaited (gpointer user_data)
{
  OsiWindow *self = user_data;

  self->awaited_timeout_id = 0;
  _osi_window_refresh (self);
  return G_SOURCE_REMOVE;
}

/* After each list: the awaited backup shown ends the wait; otherwise the
 * list is read again, a little later each time (1, 2, 4… up to 15 s). */
static void
look_for_awaited (OsiWindow *self)
{
  if (self->awaited_backup == NULL || self->awaited_timeout_id != 0)
    return;
  if (_osi_window_find_backup (self, self->awaited_backup) != NULL ||
      g_get_monotonic_time () > self->awaited_until)
    {
      stop_awaiting (self);
      return;
    }
  self->awaited_timeout_id = g_timeout_add_seconds (self->awaited_delay_s, refresh_for_awaited, self);
  self->awaited_delay_s = MIN (self->awaited_delay_s * 2, AWAIT_STEP_MAX);
}

void
_osi_window_await_backup (OsiWindow  *self,
                          const char *name)
{
  stop_awaiting (self);
  self->awaited_backup = g_strdup (name);
  self->awaited_delay_s = 1;
  self->awaited_until = g_get_monotonic_time () + AWAIT_MAX_S * G_USEC_PER_SEC;
}

static void
on_list_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  items = osi_client_list_finish (OSI_CLIENT (source), result, &error);
  /* A newer request or another server took over. */
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error) || (OsiClient *)source != self->client)
    return;
  self->listing = FALSE;
  _osi_window_notify_working (self);

  if (items == NULL)
    {
      g_autofree char *steps = troubleshooting (error, FALSE);
      g_autofree char *text = steps != NULL ? g_strdup_printf ("%s\n\n%s", error->message, steps)
                                            : g_strdup (error->message);

      g_debug ("listing failed: %s", error->message);
      if (!self->loaded)
        {
          adw_status_page_set_title (self->unreachable_page, list_failure_title (error));
          adw_status_page_set_description (self->unreachable_page, text);
          gtk_stack_set_visible_child_name (self->stack, "unreachable");
        }
      /* The banner shows the cause even over a list from earlier. */
      show_banner (self, error->message);
      _osi_window_update_view (self);
      present_if_pending (self);
      return;
    }

  hide_banner (self);
  self->loaded = TRUE;
  /* The client gives back the same backups for an unchanged answer: the
   * models then have nothing to redo (a sort and an index of 100,000). */
  if (!store_holds (self, items))
    g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                         items->pdata, items->len);
  _osi_window_update_view (self);
  present_if_pending (self);
  learn_features (self);
  look_for_awaited (self);
  _osi_window_offsite_listed (self);
}

void
_osi_window_refresh (OsiWindow *self)
{
  if (self->client == NULL)
    {
      /* The connection form: nothing to wait for. */
      _osi_window_update_view (self);
      present_if_pending (self);
      return;
    }
  g_cancellable_cancel (self->list_cancellable);
  g_clear_object (&self->list_cancellable);
  self->list_cancellable = g_cancellable_new ();
  self->listing = TRUE;
  _osi_window_notify_working (self);
  _osi_window_update_view (self);
  osi_client_list_async (self->client, self->list_cancellable, on_list_ready, g_object_ref (self));
}

/* ------------------------------------------------------------------------ */
/* The long job under way                                                   */

/* The server's operations have their own cancellable, which only the
 * window's end cancels; the transfers', win.cancel-transfer cancels. */
void
_osi_window_long_job_start (OsiWindow    *self,
                            OsiWindowJob  job,
                            const char   *format,
                            ...)
{
  GCancellable **cancellable = job == OSI_WINDOW_JOB_OPERATION ? &self->op_cancellable
                                                               : &self->transfer_cancellable;
  g_autofree char *status = NULL;
  va_list args;

  g_assert (job != OSI_WINDOW_JOB_NONE);
  g_assert (!_osi_window_long_job_running (self));
  self->job = job;
  g_clear_object (cancellable);
  *cancellable = g_cancellable_new ();
  va_start (args, format);
  status = g_strdup_vprintf (format, args);
  va_end (args);
  status_show (self, status, job != OSI_WINDOW_JOB_OPERATION);
  _osi_window_actions_update (self);
  _osi_window_notify_working (self);
}

/* job: the job that ended, which is the one under way. */
void
_osi_window_long_job_end (OsiWindow    *self,
                          OsiWindowJob  job)
{
  if (self->job == job)
    self->job = OSI_WINDOW_JOB_NONE;
  status_hide (self);
  _osi_window_actions_update (self);
  _osi_window_notify_working (self);
}

/* ------------------------------------------------------------------------ */
/* Closing                                                                  */

static void
on_close_request_save (OsiWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
}

static gboolean
osi_window_close_request (GtkWindow *window)
{
  on_close_request_save (OSI_WINDOW (window));
  return GTK_WINDOW_CLASS (osi_window_parent_class)->close_request (window);
}

/* ------------------------------------------------------------------------ */
/* The first frame with the list: for the benchmark and the screenshot      */

static void
save_screenshot (OsiWindow  *self,
                 const char *path)
{
  GtkWidget *widget = GTK_WIDGET (self);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node != NULL)
    texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (self)), node,
                                           &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (texture == NULL || !gdk_texture_save_to_png (texture, path))
    g_printerr ("Cannot save the screenshot to %s\n", path);
}

/* OSI_BACKUP_REPORT_FIRST_LIST_FRAME=1 prints "first-list-frame T" on
 * stderr, T in µs of the monotonic clock (the benchmark's clock), after
 * the first frame painted with backups in the list and no transition
 * running; OSI_BACKUP_SCREENSHOT=FILE saves that frame to FILE as a PNG
 * and closes the window. */
static void
on_after_paint (GdkFrameClock *clock,
                OsiWindow     *self)
{
  const char *path = g_getenv ("OSI_BACKUP_SCREENSHOT");

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "list") != 0 ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->list_stack), "rows") != 0 ||
      gtk_stack_get_transition_running (self->stack))
    return;
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  if (g_getenv ("OSI_BACKUP_REPORT_FIRST_LIST_FRAME") != NULL)
    g_printerr ("first-list-frame %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  if (path != NULL && *path != '\0')
    {
      save_screenshot (self, path);
      gtk_window_close (GTK_WINDOW (self));
    }
}

static void
watch_first_list_frame (OsiWindow *self)
{
  g_signal_connect_object (gtk_widget_get_frame_clock (GTK_WIDGET (self)), "after-paint",
                           G_CALLBACK (on_after_paint), self, 0);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */

static void
osi_window_dispose (GObject *object)
{
  OsiWindow *self = OSI_WINDOW (object);

  g_cancellable_cancel (self->list_cancellable);
  g_cancellable_cancel (self->op_cancellable);
  g_cancellable_cancel (self->transfer_cancellable);
  g_cancellable_cancel (self->features_cancellable);
  g_clear_handle_id (&self->present_timeout_id, g_source_remove);
  stop_awaiting (self);
  _osi_window_offsite_dispose (self);
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->dialog));
  if (self->policy_window != NULL)
    gtk_window_destroy (self->policy_window);
  if (self->check_window != NULL)
    {
      /* GTK holds no reference to a transient parent: the report, which
       * may outlive this window, must not point to it. */
      gtk_window_set_transient_for (GTK_WINDOW (self->check_window), NULL);
      gtk_window_destroy (GTK_WINDOW (self->check_window));
    }
  g_queue_clear_full (&self->check_queue, g_free);
  g_clear_object (&self->check_history);
  gtk_widget_dispose_template (GTK_WIDGET (self), OSI_TYPE_WINDOW);
  g_clear_object (&self->slot_model);
  g_clear_object (&self->slice_model);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->sort_model);
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (osi_window_parent_class)->dispose (object);
}

static void
osi_window_finalize (GObject *object)
{
  OsiWindow *self = OSI_WINDOW (object);

  g_clear_object (&self->list_cancellable);
  g_clear_object (&self->op_cancellable);
  g_clear_object (&self->transfer_cancellable);
  g_clear_object (&self->features_cancellable);
  g_free (self->last_toast);
  g_free (self->banner_text);

  G_OBJECT_CLASS (osi_window_parent_class)->finalize (object);
}

static void
osi_window_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  OsiWindow *self = OSI_WINDOW (object);

  switch (prop_id)
    {
    case PROP_WORKING:
      g_value_set_boolean (value, osi_window_get_working (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osi_window_class_init (OsiWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = osi_window_dispose;
  object_class->finalize = osi_window_finalize;
  object_class->get_property = osi_window_get_property;
  window_class->close_request = osi_window_close_request;

  properties[PROP_WORKING] =
    g_param_spec_boolean ("working", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  osi_resources_ensure ();
  /* The list item factories of osi-window.ui name these types. */
  g_type_ensure (OSI_TYPE_SLOT);
  g_type_ensure (OSI_TYPE_BACKUP_CELL);
  g_type_ensure (OSI_TYPE_BACKUP_ROW_ACTIONS);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/osi/Backup/ui/osi-window.ui");
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, create_button);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, status_spinner);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, status_progress);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, status_cancel);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, unreachable_page);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, connect_url_row);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, connect_token_row);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, connect_error_label);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, column_view);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, name_column);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, date_column);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, size_column);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, page_label);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, page_size_dropdown);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, offsite_revealer);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, offsite_expander);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, offsite_title_label);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, offsite_count_label);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, offsite_list);
  gtk_widget_class_bind_template_callback (widget_class, on_banner_response);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);

  _osi_window_class_actions_init (klass);
  _osi_window_class_policy_init (klass);
  _osi_window_class_offsite_init (klass);
}

static void
osi_window_init (OsiWindow *self)
{
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->page_size = (guint)g_settings_get_enum (self->settings, "items-per-page");
  if (self->page_size == 0)
    self->page_size = 25;

  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  self->store = g_list_store_new (OSI_TYPE_BACKUP_INFO);
  /* Sorted, then filtered: a keystroke filters a list already in order
   * and sorts nothing (sorting what a broad query keeps of 100,000
   * backups takes 50 to 150 ms). */
  self->sort_model = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->store)), NULL);
  self->filter_model = osi_backup_filter_model_new (G_LIST_MODEL (self->sort_model));
  self->slice_model = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (self->filter_model)), 0,
                                                self->page_size);
  /* The view takes its own reference to the selection model. */
  self->slot_model = osi_slot_model_new (G_LIST_MODEL (self->slice_model));
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->slot_model)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  _osi_window_columns_init (self);
  gtk_sort_list_model_set_sorter (self->sort_model, gtk_column_view_get_sorter (self->column_view));
  g_signal_connect_object (self->filter_model, "items-changed", G_CALLBACK (on_sorted_items_changed), self,
                           G_CONNECT_SWAPPED);

  for (guint i = 0; i < G_N_ELEMENTS (page_sizes); i++)
    if (page_sizes[i] == self->page_size)
      gtk_drop_down_set_selected (self->page_size_dropdown, i);
  g_signal_connect_object (self->page_size_dropdown, "notify::selected", G_CALLBACK (on_page_size_selected), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::items-per-page", G_CALLBACK (on_page_size_setting), self,
                           G_CONNECT_SWAPPED);

  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self->column_view));
  _osi_window_actions_init (self);
  self->check_history = osi_check_history_new (NULL);
  _osi_window_dnd_init (self);
  _osi_window_offsite_init (self);
  _osi_window_update_view (self);

  if (g_getenv ("OSI_BACKUP_REPORT_FIRST_LIST_FRAME") != NULL || g_getenv ("OSI_BACKUP_SCREENSHOT") != NULL)
    g_signal_connect (self, "realize", G_CALLBACK (watch_first_list_frame), NULL);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */

OsiWindow *
osi_window_new (GtkApplication *application)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);

  return g_object_new (OSI_TYPE_WINDOW, "application", application, NULL);
}

void
osi_window_set_client (OsiWindow  *self,
                       OsiClient  *client,
                       const char *server_label)
{
  g_return_if_fail (OSI_IS_WINDOW (self));
  g_return_if_fail (client == NULL || OSI_IS_CLIENT (client));

  if (client != self->client)
    {
      g_cancellable_cancel (self->list_cancellable);
      g_cancellable_cancel (self->features_cancellable);
      g_set_object (&self->client, client);
      stop_awaiting (self);
      self->loaded = FALSE;
      self->listing = FALSE;
      /* Another server: what it offers is asked again, after its list. */
      self->features_asked = FALSE;
      self->probing = FALSE;
      /* The policy shown was the other server's. */
      if (self->policy_window != NULL)
        gtk_window_destroy (self->policy_window);
      hide_banner (self);
      _osi_window_offsite_reset (self);
      g_list_store_remove_all (self->store);
    }
  adw_window_title_set_subtitle (self->window_title,
                                 server_label != NULL ? server_label
                                 : client != NULL ? osi_client_get_base_url (client) : "");
  _osi_window_refresh (self);
}

OsiClient *
osi_window_get_client (OsiWindow *self)
{
  g_return_val_if_fail (OSI_IS_WINDOW (self), NULL);

  return self->client;
}

void
osi_window_show_connect_error (OsiWindow  *self,
                               const char *message)
{
  g_return_if_fail (OSI_IS_WINDOW (self));

  gtk_label_set_text (self->connect_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->connect_error_label), message != NULL);
  present_if_pending (self);
}

static gboolean
on_present_timeout (gpointer user_data)
{
  OsiWindow *self = user_data;

  self->present_timeout_id = 0;
  gtk_window_present (GTK_WINDOW (self));
  return G_SOURCE_REMOVE;
}

void
osi_window_present_when_listed (OsiWindow *self,
                                guint      max_wait_ms)
{
  g_return_if_fail (OSI_IS_WINDOW (self));

  /* Already answered (a list, an error), or waiting for nothing. */
  if (self->loaded || (self->client != NULL && !self->listing) || max_wait_ms == 0)
    {
      gtk_window_present (GTK_WINDOW (self));
      return;
    }
  if (self->present_timeout_id == 0)
    self->present_timeout_id = g_timeout_add (max_wait_ms, on_present_timeout, self);
}

void
osi_window_add_toast (OsiWindow *self,
                      AdwToast  *toast)
{
  g_return_if_fail (OSI_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  g_free (self->last_toast);
  self->last_toast = g_strdup (adw_toast_get_title (toast));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

GListStore *
osi_window_get_store (OsiWindow *self)
{
  return self->store;
}

GListModel *
osi_window_get_sorted_model (OsiWindow *self)
{
  return G_LIST_MODEL (self->filter_model);
}

GListModel *
osi_window_get_page_model (OsiWindow *self)
{
  return G_LIST_MODEL (self->slice_model);
}

guint
osi_window_get_page (OsiWindow *self)
{
  return self->page;
}

guint
osi_window_get_n_pages (OsiWindow *self)
{
  return n_pages_for (g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)), self->page_size);
}

const char *
osi_window_get_page_text (OsiWindow *self)
{
  return gtk_label_get_text (self->page_label);
}

const char *
osi_window_get_count_text (OsiWindow *self)
{
  return gtk_label_get_text (self->count_label);
}

GtkEditable *
osi_window_get_search_entry (OsiWindow *self)
{
  return GTK_EDITABLE (self->search_entry);
}

const char *
osi_window_get_state (OsiWindow *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
osi_window_get_list_state (OsiWindow *self)
{
  return gtk_stack_get_visible_child_name (self->list_stack);
}

const char *
osi_window_get_status_title (OsiWindow *self)
{
  GtkWidget *page = gtk_stack_get_visible_child (self->stack);

  return ADW_IS_STATUS_PAGE (page) ? adw_status_page_get_title (ADW_STATUS_PAGE (page)) : NULL;
}

const char *
osi_window_get_banner_text (OsiWindow *self)
{
  return self->banner_text;
}

AdwMessageDialog *
osi_window_get_dialog (OsiWindow *self)
{
  return self->dialog;
}

gboolean
osi_window_get_working (OsiWindow *self)
{
  return self->listing || self->probing || self->restore_diffs > 0 || _osi_window_long_job_running (self) ||
         self->offsite_listing || (self->offsite_fetching != NULL && g_hash_table_size (self->offsite_fetching) > 0);
}

const char *
osi_window_get_last_toast (OsiWindow *self)
{
  return self->last_toast;
}

gboolean
osi_window_server_lacks (OsiWindow  *self,
                         const char *feature)
{
  g_return_val_if_fail (OSI_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (feature != NULL, FALSE);

  return self->client != NULL && osi_client_get_features_known (self->client) &&
         !osi_client_has_feature (self->client, feature);
}

const char *
osi_window_no_upload_text (void)
{
  return _("This server does not offer sending a backup from this computer: restore one of its own backups "
           "instead.");
}

GtkWindow *
osi_window_get_policy_window (OsiWindow *self)
{
  return self->policy_window;
}

OsiCheckWindow *
osi_window_get_check_window (OsiWindow *self)
{
  return self->check_window;
}

char *
osi_window_dup_download_folder (OsiWindow *self)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "download-folder");
  const char *downloads;

  if (folder != NULL && *folder != '\0')
    return g_steal_pointer (&folder);
  downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  return g_strdup (downloads != NULL ? downloads : g_get_home_dir ());
}
