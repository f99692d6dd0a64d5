/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-window-private.h"

/* Off-site copies (docs/api.md §7, DESIGN §7), for a server that lists
 * "offsite" in its features:
 *   - the marks of the list's rows (OsiBackupCell) show each copy's
 *     state; while a copy waits or is under way, GET /offsite is read
 *     every POLL_S seconds for its progress, and the list again when a
 *     state changed; never while the window is hidden;
 *   - the copies whose local file is gone have their own section below
 *     the list, each with a button that brings it back (POST
 *     /offsite/fetch), after which a toast offers the usual restore. */

#define POLL_S 2

static guint offsite_progress_signal;

static gboolean
offsite_offered (OsiWindow *self)
{
  return self->client != NULL && osi_client_get_features_known (self->client) &&
         osi_client_has_feature (self->client, "offsite");
}

static gboolean
copy_under_way (OsiBackupInfo *info)
{
  const char *state = osi_backup_info_get_offsite_state (info);

  return g_strcmp0 (state, "pending") == 0 || g_strcmp0 (state, "copying") == 0;
}

/* Whether a row of the list shows a copy that will change by itself. */
static gboolean
list_has_copy_under_way (OsiWindow *self)
{
  GListModel *store = G_LIST_MODEL (self->store);
  guint n = g_list_model_get_n_items (store);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsiBackupInfo) info = g_list_model_get_item (store, i);

      if (copy_under_way (info))
        return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* The section of the copies whose local file is gone                       */

static GtkWidget *
find_row (OsiWindow  *self,
          const char *name)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->offsite_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "backup-name"), name) == 0)
      return row;
  return NULL;
}

/* The button, or while the copy is brought back a spinner and what it
 * does. */
static void
show_fetching (GtkWidget *row,
               gboolean   fetching)
{
  GtkStack *stack = g_object_get_data (G_OBJECT (row), "fetch-stack");
  GtkSpinner *spinner = g_object_get_data (G_OBJECT (row), "fetch-spinner");

  gtk_stack_set_visible_child_name (stack, fetching ? "fetching" : "button");
  gtk_spinner_set_spinning (spinner, fetching);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  OsiWindow *self = user_data;
  OsiBackupInfo *info = item;
  const char *name = osi_backup_info_get_display_name (info);
  const char *date = osi_backup_info_get_display_date (info);
  gint64 size = osi_backup_info_get_size (info);
  g_autofree char *size_text = size >= 0 ? g_format_size ((guint64)size) : g_strdup (_("size unknown"));
  /* TRANSLATORS: under a backup's name in the off-site section: its
   * date, then its size */
  g_autofree char *subtitle = g_strdup_printf (_("%s, %s"), date != NULL && *date != '\0' ? date : _("date unknown"),
                                               size_text);
  /* TRANSLATORS: a screen reader's name for the button that brings the
   * backup named %s back from off-site storage */
  g_autofree char *button_name = g_strdup_printf (_("Bring back %s"), name);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *stack = gtk_stack_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Bring Back"));
  GtkWidget *busy = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *busy_label = gtk_label_new (_("Bringing back…"));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Copy this backup back to the server, checked, so that it can be restored"));
  /* GTK 4.8 reads a button's label after the name it is given: "Bring
   * back NAME Bring Back". The name says it all. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, button_name, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.offsite-fetch");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button),
                                          g_variant_new_string (osi_backup_info_get_name (info)));
  gtk_widget_set_sensitive (button, osi_backup_info_can_be_named (info));
  gtk_box_append (GTK_BOX (busy), spinner);
  gtk_box_append (GTK_BOX (busy), busy_label);
  gtk_widget_set_valign (busy, GTK_ALIGN_CENTER);
  gtk_stack_add_named (GTK_STACK (stack), button, "button");
  gtk_stack_add_named (GTK_STACK (stack), busy, "fetching");
  gtk_stack_set_hhomogeneous (GTK_STACK (stack), FALSE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), stack);
  g_object_set_data_full (G_OBJECT (row), "backup-name", g_strdup (osi_backup_info_get_name (info)), g_free);
  g_object_set_data (G_OBJECT (row), "fetch-stack", stack);
  g_object_set_data (G_OBJECT (row), "fetch-spinner", spinner);
  show_fetching (row, g_hash_table_contains (self->offsite_fetching, osi_backup_info_get_name (info)));
  return row;
}

static void
update_section (OsiWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->offsite_store));
  g_autofree char *count = g_strdup_printf ("(%u)", n);
  g_autofree char *named = g_strdup_printf ("%s %s", gtk_label_get_text (self->offsite_title_label), count);

  gtk_label_set_text (self->offsite_count_label, count);
  /* The expander is read as its title shows: the title and the count. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->offsite_expander), GTK_ACCESSIBLE_PROPERTY_LABEL, named, -1);
  gtk_revealer_set_reveal_child (self->offsite_revealer, n > 0);
}

/* The store holds the copies whose local file is gone, in the server's
 * order (newest first); unchanged, it is left alone so that a poll
 * rebuilds no row. */
static void
show_gone (OsiWindow *self,
           GPtrArray *copies)
{
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  GListModel *store = G_LIST_MODEL (self->offsite_store);
  gboolean same;

  for (guint i = 0; copies != NULL && i < copies->len; i++)
    {
      OsiBackupInfo *info = g_ptr_array_index (copies, i);

      if (!osi_backup_info_get_local (info))
        g_ptr_array_add (gone, info);
    }
  same = g_list_model_get_n_items (store) == gone->len;
  for (guint i = 0; same && i < gone->len; i++)
    {
      g_autoptr(OsiBackupInfo) shown = g_list_model_get_item (store, i);
      OsiBackupInfo *info = g_ptr_array_index (gone, i);

      same = g_strcmp0 (osi_backup_info_get_name (shown), osi_backup_info_get_name (info)) == 0 &&
             osi_backup_info_get_size (shown) == osi_backup_info_get_size (info) &&
             g_strcmp0 (osi_backup_info_get_display_date (shown), osi_backup_info_get_display_date (info)) == 0;
    }
  if (!same)
    g_list_store_splice (self->offsite_store, 0, g_list_model_get_n_items (store), gone->pdata, gone->len);
  update_section (self);
}

/* ------------------------------------------------------------------------ */
/* Reading GET /offsite                                                     */

static void request_copies (OsiWindow *self);

static gboolean
on_poll (gpointer user_data)
{
  OsiWindow *self = user_data;

  self->offsite_poll_id = 0;
  request_copies (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_poll (OsiWindow *self)
{
  if (self->offsite_poll_id != 0 || self->offsite_listing || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  self->offsite_poll_id = g_timeout_add_seconds (POLL_S, on_poll, self);
}

/* Whether a row of the list says of its copy something other than GET
 * /offsite: then the list is behind. One pass over the list, each row
 * looked up among the copies: a list of 100,000 is read once, not once
 * per copy. */
static gboolean
list_is_behind (OsiWindow *self)
{
  GListModel *store = G_LIST_MODEL (self->store);
  guint n = g_list_model_get_n_items (store);

  if (g_hash_table_size (self->offsite_copies) == 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsiBackupInfo) row = g_list_model_get_item (store, i);
      OsiBackupInfo *copy = g_hash_table_lookup (self->offsite_copies, osi_backup_info_get_name (row));

      if (copy != NULL && osi_backup_info_get_local (copy) &&
          g_strcmp0 (osi_backup_info_get_offsite_state (row), osi_backup_info_get_offsite_state (copy)) != 0)
        return TRUE;
    }
  return FALSE;
}

static void
on_copies_listed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(GPtrArray) copies = NULL;
  g_autoptr(GError) error = NULL;
  gboolean under_way = FALSE;
  gboolean changed = FALSE;

  copies = osi_client_list_offsite_finish (OSI_CLIENT (source), result, NULL, &error);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error) || (OsiClient *)source != self->client)
    return;
  self->offsite_listing = FALSE;
  _osi_window_notify_working (self);
  if (copies == NULL)
    /* The marks and the section stay as they were; the next list asks
     * again. The list's own failures are the window's to say. */
    g_debug ("the off-site copies could not be listed: %s", error->message);
  else
    {
      /* A state changed since the last answer: the list may be behind. */
      changed = g_hash_table_size (self->offsite_copies) != copies->len;
      for (guint i = 0; i < copies->len && !changed; i++)
        {
          OsiBackupInfo *info = g_ptr_array_index (copies, i);
          OsiBackupInfo *before = g_hash_table_lookup (self->offsite_copies, osi_backup_info_get_name (info));
          const char *state = osi_backup_info_get_offsite_state (info);

          changed = before == NULL || g_strcmp0 (osi_backup_info_get_offsite_state (before), state) != 0 ||
                    osi_backup_info_get_local (before) != osi_backup_info_get_local (info);
        }
      g_hash_table_remove_all (self->offsite_copies);
      for (guint i = 0; i < copies->len; i++)
        {
          OsiBackupInfo *info = g_ptr_array_index (copies, i);

          g_hash_table_replace (self->offsite_copies, g_strdup (osi_backup_info_get_name (info)),
                                g_object_ref (info));
          under_way |= copy_under_way (info);
        }
      show_gone (self, copies);
      g_signal_emit (self, offsite_progress_signal, 0);
    }
  if (self->offsite_again)
    {
      self->offsite_again = FALSE;
      request_copies (self);
      return;
    }
  /* The rows are compared with the copies after a new list, or when a
   * copy changed: not at each poll, a pass over a list of 100,000. */
  if (copies != NULL && (changed || self->offsite_compare_list) && !self->listing)
    {
      self->offsite_compare_list = FALSE;
      if (list_is_behind (self))
        {
          /* The list's answer then waits for the next poll rather than
           * asks again at once: a server whose two answers disagree for
           * good is not asked in a loop. */
          self->offsite_stale_list = TRUE;
          _osi_window_refresh (self);
          return;
        }
    }
  /* Every row whose copy waits or runs is among the copies. */
  if (copies != NULL ? under_way : list_has_copy_under_way (self))
    schedule_poll (self);
}

static void
request_copies (OsiWindow *self)
{
  g_clear_handle_id (&self->offsite_poll_id, g_source_remove);
  if (!offsite_offered (self) || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  if (self->offsite_listing)
    {
      self->offsite_again = TRUE;
      return;
    }
  g_clear_object (&self->offsite_cancellable);
  self->offsite_cancellable = g_cancellable_new ();
  self->offsite_listing = TRUE;
  _osi_window_notify_working (self);
  osi_client_list_offsite_async (self->client, FALSE, self->offsite_cancellable, on_copies_listed,
                                 g_object_ref (self));
}

static void
stop_reading (OsiWindow *self)
{
  g_clear_handle_id (&self->offsite_poll_id, g_source_remove);
  g_cancellable_cancel (self->offsite_cancellable);
  self->offsite_again = FALSE;
  if (self->offsite_listing)
    {
      self->offsite_listing = FALSE;
      _osi_window_notify_working (self);
    }
}

void
_osi_window_offsite_listed (OsiWindow *self)
{
  if (!offsite_offered (self))
    {
      /* Features not known yet: the question's answer calls again. */
      if (self->client != NULL && osi_client_get_features_known (self->client))
        _osi_window_offsite_reset (self);
      return;
    }
  if (self->offsite_stale_list)
    {
      self->offsite_stale_list = FALSE;
      if (list_has_copy_under_way (self))
        schedule_poll (self);
      return;
    }
  self->offsite_compare_list = TRUE;
  request_copies (self);
}

gboolean
_osi_window_get_offsite_progress (OsiWindow  *self,
                                  const char *name,
                                  gint64     *copied,
                                  gint64     *size)
{
  OsiBackupInfo *copy;

  if (self->offsite_copies == NULL || name == NULL)
    return FALSE;
  copy = g_hash_table_lookup (self->offsite_copies, name);
  if (copy == NULL || osi_backup_info_get_offsite_copied (copy) < 0)
    return FALSE;
  *copied = osi_backup_info_get_offsite_copied (copy);
  if (osi_backup_info_get_size (copy) >= 0)
    *size = osi_backup_info_get_size (copy);
  return TRUE;
}

/* Shown again, the window reads the copies again; hidden, it stops. */
static void
on_map (OsiWindow *self)
{
  request_copies (self);
}

static void
on_unmap (OsiWindow *self)
{
  stop_reading (self);
}

/* ------------------------------------------------------------------------ */
/* Fetch                                                                    */

/* What the window says when a copy cannot be brought back: the client's
 * sentence, or for the failures a person can act on, one that says
 * which, with the usual steps after it. */
static GError *
fetch_error (const GError *error,
             const char   *name)
{
  if (g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NO_SPACE))
    return g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_NO_SPACE,
                        _("The server does not have enough free space for “%s”."), name);
  if (g_error_matches (error, OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY))
    return g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_INTEGRITY,
                        _("The off-site copy of “%s” is damaged: nothing was stored on the server. "
                          "Bring back another backup."), name);
  return g_error_copy (error);
}

typedef struct
{
  OsiWindow *self;
  char      *name;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->self);
  g_free (fetch->name);
  g_free (fetch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

static void
on_fetched (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Fetch) fetch = user_data;
  OsiWindow *self = fetch->self;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *row;

  info = osi_client_fetch_offsite_finish (OSI_CLIENT (source), result, &message, &error);
  if (_osi_window_is_disposed (self) || _osi_window_is_cancelled (error))
    return;
  g_hash_table_remove (self->offsite_fetching, fetch->name);
  _osi_window_notify_working (self);
  row = find_row (self, fetch->name);
  if (row != NULL)
    show_fetching (row, FALSE);
  if (info == NULL)
    {
      g_autoptr(GError) shown = fetch_error (error, fetch->name);

      _osi_window_show_error (self, _("The Backup Could Not Be Brought Back"), shown, FALSE);
    }
  else
    {
      /* TRANSLATORS: %s is the name of a backup just copied back from
       * off-site storage to the server */
      g_autofree char *title = g_strdup_printf (_("Backup “%s” brought back"), fetch->name);
      AdwToast *toast = adw_toast_new (title);

      adw_toast_set_button_label (toast, _("_Restore…"));
      adw_toast_set_action_name (toast, "win.restore");
      adw_toast_set_action_target_value (toast, g_variant_new_string (fetch->name));
      adw_toast_set_timeout (toast, 10);
      /* Until the overlay lets it go. */
      g_set_weak_pointer (&self->fetched_toast, toast);
      /* The restore's confirmation names the backup's date: the list
       * has it before its next answer. */
      if (_osi_window_find_backup (self, fetch->name) == NULL)
        g_list_store_append (self->store, info);
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->offsite_store)); i++)
        {
          g_autoptr(OsiBackupInfo) gone = g_list_model_get_item (G_LIST_MODEL (self->offsite_store), i);

          if (g_strcmp0 (osi_backup_info_get_name (gone), fetch->name) == 0)
            {
              g_list_store_remove (self->offsite_store, i);
              break;
            }
        }
      update_section (self);
      osi_window_add_toast (self, toast);
    }
  _osi_window_refresh (self);
}

static void
action_offsite_fetch (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  Fetch *fetch;
  GtkWidget *row;

  if (self->client == NULL || g_hash_table_contains (self->offsite_fetching, name) ||
      _osi_window_refuse_unnamable (self, name))
    return;
  g_hash_table_add (self->offsite_fetching, g_strdup (name));
  _osi_window_notify_working (self);
  row = find_row (self, name);
  if (row != NULL)
    show_fetching (row, TRUE);
  fetch = g_new0 (Fetch, 1);
  fetch->self = g_object_ref (self);
  fetch->name = g_strdup (name);
  /* The server finishes a fetch it began: only the window's end cancels
   * the wait for its answer. */
  osi_client_fetch_offsite_async (self->client, name, self->fetch_cancellable, on_fetched, fetch);
}

/* ------------------------------------------------------------------------ */
/* Setup                                                                    */

void
_osi_window_class_offsite_init (OsiWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /* The progress of a copy under way changed: the rows' marks read it
   * again (_osi_window_get_offsite_progress). */
  offsite_progress_signal = g_signal_new ("offsite-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                          NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_install_action (widget_class, "win.offsite-fetch", "s", action_offsite_fetch);
}

void
_osi_window_offsite_init (OsiWindow *self)
{
  self->offsite_store = g_list_store_new (OSI_TYPE_BACKUP_INFO);
  self->offsite_copies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->offsite_fetching = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->fetch_cancellable = g_cancellable_new ();
  gtk_list_box_bind_model (self->offsite_list, G_LIST_MODEL (self->offsite_store), create_row, self, NULL);
  g_signal_connect (self, "map", G_CALLBACK (on_map), NULL);
  g_signal_connect (self, "unmap", G_CALLBACK (on_unmap), NULL);
  update_section (self);
}

void
_osi_window_offsite_reset (OsiWindow *self)
{
  stop_reading (self);
  self->offsite_stale_list = FALSE;
  self->offsite_compare_list = FALSE;
  if (self->offsite_copies != NULL)
    g_hash_table_remove_all (self->offsite_copies);
  if (self->offsite_store != NULL)
    {
      g_list_store_remove_all (self->offsite_store);
      update_section (self);
    }
}

void
_osi_window_offsite_dispose (OsiWindow *self)
{
  stop_reading (self);
  g_cancellable_cancel (self->fetch_cancellable);
  g_clear_weak_pointer (&self->fetched_toast);
  if (self->offsite_list != NULL)
    gtk_list_box_bind_model (self->offsite_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->offsite_cancellable);
  g_clear_object (&self->fetch_cancellable);
  g_clear_object (&self->offsite_store);
  g_clear_pointer (&self->offsite_copies, g_hash_table_unref);
  g_clear_pointer (&self->offsite_fetching, g_hash_table_unref);
}

/* ------------------------------------------------------------------------ */
/* What the tests look at                                                   */

GListModel *
osi_window_get_offsite_model (OsiWindow *self)
{
  return G_LIST_MODEL (self->offsite_store);
}

GtkListBox *
osi_window_get_offsite_list (OsiWindow *self)
{
  return self->offsite_list;
}

gboolean
osi_window_get_offsite_shown (OsiWindow *self)
{
  return gtk_revealer_get_reveal_child (self->offsite_revealer);
}

gboolean
osi_window_get_offsite_polling (OsiWindow *self)
{
  return self->offsite_poll_id != 0 || self->offsite_listing;
}

AdwToast *
osi_window_get_fetched_toast (OsiWindow *self)
{
  return self->fetched_toast;
}
