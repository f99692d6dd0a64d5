/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>

#include "osi-archive.h"
#include "osi-backup-filter-model.h"
#include "osi-backup-info.h"
#include "osi-check-history.h"
#include "osi-check-window.h"
#include "osi-progress-relay.h"
#include "osi-resources.h"
#include "osi-search.h"
#include "osi-sha256.h"
#include "osi-slot-model.h"
#include "osi-window-private.h"

/* Keep at least this many recent backups (the good practice the delete
 * confirmation reminds of). */
#define MIN_KEPT_BACKUPS 3

static const guint page_sizes[] = { 10, 25, 50, 100 };

/* The long job under way. Create, restore and delete (the server's
 * operations), a download, a check and an upload share the status line,
 * its cancel button and a cancellable: one at a time, the other actions
 * disabled meanwhile. */
typedef enum
{
  OSI_WINDOW_JOB_NONE,
  OSI_WINDOW_JOB_OPERATION,   /* create, restore or delete */
  OSI_WINDOW_JOB_DOWNLOAD,
  OSI_WINDOW_JOB_CHECK,
  OSI_WINDOW_JOB_UPLOAD,      /* or the comparison with the server's backup of that name */
} OsiWindowJob;

struct _OsiWindow
{
  AdwApplicationWindow  parent_instance;

  /* template */
  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkButton            *create_button;
  GtkInfoBar           *banner;
  GtkLabel             *banner_label;
  GtkRevealer          *status_revealer;
  GtkSpinner           *status_spinner;
  GtkLabel             *status_label;
  GtkProgressBar       *status_progress;
  GtkButton            *status_cancel;
  GtkStack             *stack;
  AdwStatusPage        *unreachable_page;
  GtkSpinner           *loading_spinner;
  AdwEntryRow          *connect_url_row;
  AdwPasswordEntryRow  *connect_token_row;
  GtkLabel             *connect_error_label;
  GtkSearchEntry       *search_entry;
  GtkLabel             *count_label;
  GtkStack             *list_stack;
  GtkColumnView        *column_view;
  GtkLabel             *page_label;
  GtkDropDown          *page_size_dropdown;

  GSettings            *settings;
  GHashTable           *action_states;   /* action name → 1 disabled, 2 enabled */
  OsiClient            *client;

  /* store → sort → filter → slice (the page) → the column view */
  GListStore           *store;
  OsiBackupFilterModel *filter_model;
  GtkSortListModel     *sort_model;
  GtkSliceListModel    *slice_model;
  OsiSlotModel         *slot_model;   /* the page as the view shows it */
  guint                 page;
  guint                 page_size;
  guint                 view_updates;

  gboolean              loaded;      /* a list came from this client */
  gboolean              listing;
  guint                 present_timeout_id;  /* present_when_listed () */
  OsiWindowJob          job;
  guint                 restore_diffs;   /* restore confirmations asking what would change */
  /* DESIGN §5: what the server offers, asked once per client after its
   * first list, in the background. */
  gboolean              features_asked;
  gboolean              probing;
  GCancellable         *features_cancellable;
  GCancellable         *list_cancellable;
  GCancellable         *op_cancellable;
  GCancellable         *transfer_cancellable;

  AdwMessageDialog     *dialog;
  OsiCheckHistory      *check_history;
  OsiCheckWindow       *check_window;
  GQueue                check_queue;     /* paths dropped, waiting for their check */
  char                 *last_toast;
  char                 *banner_text;
};

G_DEFINE_FINAL_TYPE (OsiWindow, osi_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_WORKING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_view (OsiWindow *self);
static void refresh (OsiWindow *self);

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* An answer that arrives after the window was closed has nowhere to go. */
static gboolean
is_disposed (OsiWindow *self)
{
  return self->store == NULL;
}

static OsiBackupInfo *
find_backup (OsiWindow  *self,
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

static const char *
display_date (OsiWindow  *self,
              const char *name)
{
  OsiBackupInfo *info = find_backup (self, name);

  return info != NULL ? osi_backup_info_get_display_date (info) : "";
}

/* DESIGN §5: a name the server sent outside the grammar is shown, never
 * sent back. TRUE, with the reason in a toast, for such a name. */
static gboolean
refuse_unnamable (OsiWindow  *self,
                  const char *name)
{
  OsiBackupInfo *info;
  const char *problem;

  if (osi_backup_name_is_valid (name))
    return FALSE;
  info = find_backup (self, name);
  problem = info != NULL ? osi_backup_info_get_problem (info) : NULL;
  osi_window_add_toast (self, adw_toast_new (problem != NULL ? problem
                                             : _("This backup cannot be downloaded, restored or deleted from here: "
                                                 "its name cannot be sent to the server safely.")));
  return TRUE;
}

static void
notify_working (OsiWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKING]);
}

static gboolean
long_job_running (OsiWindow *self)
{
  return self->job != OSI_WINDOW_JOB_NONE;
}

/* A download, a check or an upload: what win.cancel-transfer stops. */
static gboolean
transfer_running (OsiWindow *self)
{
  return long_job_running (self) && self->job != OSI_WINDOW_JOB_OPERATION;
}

/* Every row's buttons watch win.restore, win.download and win.delete:
 * telling them what did not change costs milliseconds per update. */
static void
set_action_enabled (OsiWindow  *self,
                    const char *action,
                    gboolean    enabled)
{
  gpointer known = g_hash_table_lookup (self->action_states, action);

  if (known != NULL && GPOINTER_TO_INT (known) == (enabled ? 2 : 1))
    return;
  g_hash_table_insert (self->action_states, (gpointer)action, GINT_TO_POINTER (enabled ? 2 : 1));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), action, enabled);
}

static void
update_actions (OsiWindow *self)
{
  gboolean connected = self->client != NULL;
  gboolean free_hands = !long_job_running (self);
  guint n_pages = osi_window_get_n_pages (self);

  set_action_enabled (self, "win.create", connected && free_hands);
  set_action_enabled (self, "win.restore", connected && free_hands);
  set_action_enabled (self, "win.delete", connected && free_hands);
  set_action_enabled (self, "win.download", connected && free_hands);
  /* Refreshing does not use the status line, so it may run beside a
   * download; a create, restore or delete refreshes when it ends. */
  set_action_enabled (self, "win.refresh", connected && self->job != OSI_WINDOW_JOB_OPERATION);
  set_action_enabled (self, "win.check-file", free_hands);
  set_action_enabled (self, "win.check-path", free_hands);
  set_action_enabled (self, "win.cancel-transfer", transfer_running (self));
  set_action_enabled (self, "win.page-first", self->page > 0);
  set_action_enabled (self, "win.page-previous", self->page > 0);
  set_action_enabled (self, "win.page-next", self->page + 1 < n_pages);
  set_action_enabled (self, "win.page-last", self->page + 1 < n_pages);
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
  if (long_job_running (self))
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

static AdwMessageDialog *
new_dialog (OsiWindow  *self,
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

static void
show_error (OsiWindow    *self,
            const char   *heading,
            const GError *error,
            gboolean      restore)
{
  g_autofree char *steps = troubleshooting (error, restore);
  g_autofree char *body = steps != NULL ? g_strdup_printf ("%s\n\n%s", error->message, steps)
                                        : g_strdup (error->message);
  AdwMessageDialog *dialog = new_dialog (self, heading, body);

  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_set_default_response (dialog, "close");
  adw_message_dialog_set_close_response (dialog, "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------------------ */
/* The list                                                                 */

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return g_strcmp0 (osi_backup_info_get_name ((OsiBackupInfo *)a), osi_backup_info_get_name ((OsiBackupInfo *)b));
}

static int
compare_dates (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  GDateTime *da = osi_backup_info_get_date ((OsiBackupInfo *)a);
  GDateTime *db = osi_backup_info_get_date ((OsiBackupInfo *)b);
  int c;

  if (da == NULL || db == NULL)
    c = (da != NULL) - (db != NULL);
  else
    c = g_date_time_compare (da, db);
  return c != 0 ? c : compare_names (a, b, user_data);
}

static int
compare_sizes (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  gint64 sa = osi_backup_info_get_size ((OsiBackupInfo *)a);
  gint64 sb = osi_backup_info_get_size ((OsiBackupInfo *)b);

  if (sa != sb)
    return sa < sb ? -1 : 1;
  return compare_dates (a, b, user_data);
}

/* The rows show slots (see osi-slot-model.c): a row is bound to a slot
 * once and follows the backup the slot holds. */
static OsiBackupInfo *
item_info (GtkListItem *item)
{
  return osi_slot_get_item (gtk_list_item_get_item (item));
}

static void
on_slot_item (OsiSlot     *slot,
              GParamSpec  *pspec,
              GtkListItem *item)
{
  GObject *factory = g_object_get_data (G_OBJECT (item), "osi-factory");
  void (*bind) (GtkSignalListItemFactory *, GtkListItem *, gpointer) = g_object_get_data (factory, "osi-bind");

  bind (GTK_SIGNAL_LIST_ITEM_FACTORY (factory), item, g_object_get_data (factory, "osi-window"));
}

static void
watch_slot (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  g_object_set_data (G_OBJECT (item), "osi-factory", factory);
  g_signal_connect_object (gtk_list_item_get_item (item), "notify::item", G_CALLBACK (on_slot_item), item, 0);
}

static void
unwatch_slot (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (item), on_slot_item, item);
}

static void
setup_label (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);
  float xalign = (float)GPOINTER_TO_INT (user_data);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (label, xalign > 0 ? "numeric" : "body");
  gtk_list_item_set_child (item, label);
}

/* The size column's text: an older backend may not say the size. */
static char *
size_text (OsiBackupInfo *info)
{
  gint64 size = osi_backup_info_get_size (info);

  return size >= 0 ? g_format_size ((guint64)size) : g_strdup ("—");
}

/* The row, not a cell, takes the focus when arrows move through the
 * list: its accessible name is what Orca reads then. GTK 4.8 gives a row
 * no name of its own, so the name cell names it: "NAME, DATE, SIZE". The
 * cell is the row's child once bound; if GTK ever binds it unparented,
 * the label itself carries the name. */
static void
name_row (GtkWidget     *label,
          OsiBackupInfo *info)
{
  const char *date = osi_backup_info_get_display_date (info);
  /* Older backends may not say the size: a dash is no word to hear. */
  g_autofree char *size = osi_backup_info_get_size (info) >= 0 ? size_text (info) : g_strdup (_("size unknown"));
  /* TRANSLATORS: how a screen reader names a row of the list: the
   * backup's name, its date, its size */
  g_autofree char *text = g_strdup_printf (_("%s, %s, %s"), osi_backup_info_get_display_name (info),
                                           date != NULL && *date != '\0' ? date : _("date unknown"), size);
  GtkWidget *row = label;

  while (row != NULL && gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (row)) != GTK_ACCESSIBLE_ROLE_ROW)
    row = gtk_widget_get_parent (row);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row != NULL ? row : label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  -1);
}

/* DESIGN §5: an entry the server sent wrong is shown as well as it can
 * be, what is wrong with it in its tooltip. Rows are reused: every bind
 * sets or clears it. */
static void
show_problem (GtkWidget     *widget,
              OsiBackupInfo *info)
{
  const char *problem = osi_backup_info_get_problem (info);

  gtk_widget_set_tooltip_text (widget, problem);
  if (problem != NULL)
    gtk_widget_add_css_class (widget, "warning");
  else
    gtk_widget_remove_css_class (widget, "warning");
}

static void
bind_name (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  OsiBackupInfo *info = item_info (item);
  GtkWidget *label = gtk_list_item_get_child (item);

  gtk_label_set_text (GTK_LABEL (label), osi_backup_info_get_display_name (info));
  gtk_widget_set_tooltip_text (label, osi_backup_info_get_problem (info));
  name_row (label, info);
}

static void
bind_date (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  OsiBackupInfo *info = item_info (item);
  GtkWidget *label = gtk_list_item_get_child (item);

  /* "Unknown date" for a date the server did not send right. */
  gtk_label_set_text (GTK_LABEL (label), osi_backup_info_get_display_date (info));
  show_problem (label, info);
}

static void
bind_size (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  OsiBackupInfo *info = item_info (item);
  g_autofree char *text = size_text (info);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static GtkWidget *
row_button (const char *icon,
            const char *action,
            const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  /* The action is set at bind time, with its target: an action with a
   * parameter and no target would be refused. */
  g_object_set_data (G_OBJECT (button), "action", (gpointer)action);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static void
setup_actions (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_widget_set_halign (box, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (box), row_button ("edit-undo-symbolic", "win.restore", _("Restore")));
  gtk_box_append (GTK_BOX (box), row_button ("folder-download-symbolic", "win.download", _("Download")));
  gtk_box_append (GTK_BOX (box), row_button ("user-trash-symbolic", "win.delete", _("Delete")));
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_actions (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  OsiBackupInfo *info = item_info (item);
  const char *name = osi_backup_info_get_name (info);
  gboolean named = osi_backup_info_can_be_named (info);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *button = gtk_widget_get_first_child (box);
  /* The accessible names say which backup: a screen reader user hears
   * "Restaurer backup_…" rather than three "Restaurer" in a row. */
  char *labels[3] = {
    g_strdup_printf (_("Restore %s"), osi_backup_info_get_display_name (info)),
    g_strdup_printf (_("Download %s"), osi_backup_info_get_display_name (info)),
    g_strdup_printf (_("Delete %s"), osi_backup_info_get_display_name (info)),
  };

  for (guint i = 0; button != NULL && i < G_N_ELEMENTS (labels); i++, button = gtk_widget_get_next_sibling (button))
    {
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_string (name));
      if (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)) == NULL)
        gtk_actionable_set_action_name (GTK_ACTIONABLE (button), g_object_get_data (G_OBJECT (button), "action"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, labels[i], -1);
    }
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    g_free (labels[i]);
  /* A name that cannot be sent back (DESIGN §5) leaves nothing to act on.
   * The box, not the buttons: their actions set their own sensitivity. */
  gtk_widget_set_sensitive (box, named);
  gtk_widget_set_tooltip_text (box, named ? NULL : osi_backup_info_get_problem (info));
}

static GtkColumnViewColumn *
add_column (OsiWindow  *self,
            const char *title,
            GCallback   setup,
            GCallback   bind,
            float       xalign,
            GtkSorter  *sorter,
            gboolean    expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  g_signal_connect (factory, "setup", setup, GINT_TO_POINTER ((int)xalign));
  g_signal_connect (factory, "bind", bind, self);
  g_object_set_data (G_OBJECT (factory), "osi-bind", (gpointer)bind);
  g_object_set_data (G_OBJECT (factory), "osi-window", self);
  g_signal_connect (factory, "bind", G_CALLBACK (watch_slot), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unwatch_slot), NULL);
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_column_set_resizable (column, TRUE);
  if (sorter != NULL)
    gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_append_column (self->column_view, column);
  g_clear_object (&sorter);
  return column;   /* the view holds it */
}

static void
build_columns (OsiWindow *self)
{
  GtkColumnViewColumn *date_column;
  GtkColumnViewColumn *column;

  g_object_unref (add_column (self, _("Name"), G_CALLBACK (setup_label), G_CALLBACK (bind_name), 0,
                              GTK_SORTER (gtk_custom_sorter_new (compare_names, NULL, NULL)), TRUE));
  date_column = add_column (self, _("Date"), G_CALLBACK (setup_label), G_CALLBACK (bind_date), 0,
                            GTK_SORTER (gtk_custom_sorter_new (compare_dates, NULL, NULL)), FALSE);
  gtk_column_view_column_set_fixed_width (date_column, 170);
  column = add_column (self, _("Size"), G_CALLBACK (setup_label), G_CALLBACK (bind_size), 1,
                       GTK_SORTER (gtk_custom_sorter_new (compare_sizes, NULL, NULL)), FALSE);
  gtk_column_view_column_set_fixed_width (column, 110);
  g_object_unref (column);
  column = add_column (self, _("Actions"), G_CALLBACK (setup_actions), G_CALLBACK (bind_actions), 0, NULL, FALSE);
  g_object_unref (column);

  /* Newest first until the user clicks a column header. */
  gtk_column_view_sort_by_column (self->column_view, date_column, GTK_SORT_DESCENDING);
  g_object_unref (date_column);
}

static guint
n_pages_for (guint items,
             guint page_size)
{
  return MAX (1, (items + page_size - 1) / page_size);
}

static void
update_view (OsiWindow *self)
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
  update_actions (self);
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
  if (is_disposed (self))
    return;
  update_view (self);
}

static void
on_search_changed (OsiWindow      *self,
                   GtkSearchEntry *entry)
{
  OsiSearchQuery *query = osi_search_query_new (gtk_editable_get_text (GTK_EDITABLE (entry)));
  guint updates = self->view_updates;

  /* A new search starts on its first page. */
  self->page = 0;
  osi_backup_filter_model_set_query (self->filter_model, query);
  /* When the backups shown changed, items-changed updated the view. */
  if (self->view_updates == updates)
    update_view (self);
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
  update_view (self);
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
  if (is_disposed (self) || is_cancelled (error) || (OsiClient *)source != self->client)
    return;
  self->probing = FALSE;
  /* The report window follows "working": a restore it offers may need a
   * feature this server lacks. */
  notify_working (self);
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
  notify_working (self);
  osi_client_health_async (self->client, self->features_cancellable, on_features_learned, g_object_ref (self));
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
  if (is_disposed (self) || is_cancelled (error) || (OsiClient *)source != self->client)
    return;
  self->listing = FALSE;
  notify_working (self);

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
      update_view (self);
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
  update_view (self);
  present_if_pending (self);
  learn_features (self);
}

static void
refresh (OsiWindow *self)
{
  if (self->client == NULL)
    {
      /* The connection form: nothing to wait for. */
      update_view (self);
      present_if_pending (self);
      return;
    }
  g_cancellable_cancel (self->list_cancellable);
  g_clear_object (&self->list_cancellable);
  self->list_cancellable = g_cancellable_new ();
  self->listing = TRUE;
  notify_working (self);
  update_view (self);
  osi_client_list_async (self->client, self->list_cancellable, on_list_ready, g_object_ref (self));
}

/* ------------------------------------------------------------------------ */
/* Create, restore, delete                                                  */

/* The server's operations have their own cancellable, which only the
 * window's end cancels; the transfers', win.cancel-transfer cancels. */
static void
long_job_start (OsiWindow    *self,
                OsiWindowJob  job,
                const char   *status)
{
  GCancellable **cancellable = job == OSI_WINDOW_JOB_OPERATION ? &self->op_cancellable
                                                               : &self->transfer_cancellable;

  g_assert (job != OSI_WINDOW_JOB_NONE);
  g_assert (!long_job_running (self));
  self->job = job;
  g_clear_object (cancellable);
  *cancellable = g_cancellable_new ();
  status_show (self, status, job != OSI_WINDOW_JOB_OPERATION);
  update_actions (self);
  notify_working (self);
}

/* job: the job that ended, which is the one under way. */
static void
long_job_end (OsiWindow    *self,
              OsiWindowJob  job)
{
  if (self->job == job)
    self->job = OSI_WINDOW_JOB_NONE;
  status_hide (self);
  update_actions (self);
  notify_working (self);
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
  if (is_disposed (self) || is_cancelled (error))
    return;
  long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (error != NULL)
    {
      show_error (self, _("The Backup Failed"), error, FALSE);
      return;
    }
  {
    /* The deployed OSI backend may not say which backup it made. */
    g_autofree char *title = info != NULL ? g_strdup_printf (_("Backup created: %s"), osi_backup_info_get_name (info))
                                          : g_strdup (_("Backup created"));

    osi_window_add_toast (self, adw_toast_new (title));
  }
  refresh (self);
}

static void
on_create_response (OsiWindow        *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  if (g_strcmp0 (response, "create") != 0 || self->client == NULL || long_job_running (self))
    return;
  long_job_start (self, OSI_WINDOW_JOB_OPERATION, _("Creating a backup of the server’s data…"));
  osi_client_create_async (self->client, self->op_cancellable, on_created, g_object_ref (self));
}

static void
action_create (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  AdwMessageDialog *dialog;

  dialog = new_dialog (self, _("Create a Backup?"),
                       _("The server will save its knowledge base, its configuration and its other data into a new "
                         "backup. Backing up before big changes lets you go back."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "create", _("C_reate"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_create_response), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
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
  if (is_disposed (self) || is_cancelled (error))
    return;
  long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (error != NULL)
    {
      show_error (self, _("The Restore Failed"), error, TRUE);
      refresh (self);
      return;
    }
  {
    g_autofree char *title = safety != NULL && *safety != '\0'
                               ? g_strdup_printf (_("Restore succeeded. The data from before is in the safety "
                                                    "backup %s"), safety)
                             : message != NULL
                               /* TRANSLATORS: %s is the server's own message */
                               ? g_strdup_printf (_("Restore succeeded. The server says: %s"), message)
                               : g_strdup (_("Restore succeeded"));
    AdwToast *toast = adw_toast_new (title);

    adw_toast_set_timeout (toast, 10);
    osi_window_add_toast (self, toast);
  }
  refresh (self);
}

static void
on_restore_response (OsiWindow        *self,
                     const char       *response,
                     AdwMessageDialog *dialog)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "backup-name");
  g_autofree char *status = NULL;

  if (g_strcmp0 (response, "restore") != 0 || self->client == NULL || long_job_running (self) ||
      refuse_unnamable (self, name))
    return;
  status = g_strdup_printf (_("Restoring %s… The server first makes a safety backup of the current data."), name);
  long_job_start (self, OSI_WINDOW_JOB_OPERATION, status);
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
  notify_working (data->self);
  g_object_unref (data->self);
  g_weak_ref_clear (&data->dialog);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestoreDiff, restore_diff_free)

/* What the warning says of the data before the restore. Our server names
 * its safety backup; the deployed OSI backend (DESIGN §5) keeps a copy of
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
  if (is_cancelled (error) || dialog == NULL)
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
static void
confirm_restore (OsiWindow  *self,
                 const char *name,
                 const char *date)
{
  g_autofree char *body = NULL;
  g_autofree char *shown = NULL;
  AdwMessageDialog *dialog;
  /* DESIGN §5: the preview is asked only of a server that may offer it. */
  gboolean preview = !osi_window_server_lacks (self, "diff");

  if (self->client == NULL || refuse_unnamable (self, name))
    return;
  body = restore_body (self->client, name, date);
  shown = g_strdup_printf ("%s\n\n%s", body, preview ? _("Working out the changes…") : no_preview_text ());
  dialog = new_dialog (self, _("Restore This Backup?"), shown);
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
      notify_working (self);
      osi_client_diff_async (self->client, name, cancellable, on_restore_diff, data);
      g_object_unref (cancellable);
    }
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "restore", _("_Restore"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "restore", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_restore_response), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
action_restore (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  confirm_restore (self, name, display_date (self, name));
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  osi_client_delete_finish (OSI_CLIENT (source), result, &error);
  if (is_disposed (self) || is_cancelled (error))
    return;
  long_job_end (self, OSI_WINDOW_JOB_OPERATION);
  if (error != NULL)
    show_error (self, _("The Backup Could Not Be Deleted"), error, FALSE);
  else
    osi_window_add_toast (self, adw_toast_new (_("Backup deleted")));
  refresh (self);
}

static void
on_delete_response (OsiWindow        *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "backup-name");
  g_autofree char *status = NULL;

  if (g_strcmp0 (response, "delete") != 0 || self->client == NULL || long_job_running (self) ||
      refuse_unnamable (self, name))
    return;
  status = g_strdup_printf (_("Deleting %s…"), name);
  long_job_start (self, OSI_WINDOW_JOB_OPERATION, status);
  osi_client_delete_async (self->client, name, self->op_cancellable, on_deleted, g_object_ref (self));
}

static void
action_delete (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint remaining = total > 0 ? total - 1 : 0;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (refuse_unnamable (self, name))
    return;
  body = g_strdup_printf (_("“%s” from %s will be deleted from the server. This cannot be undone."),
                          name, display_date (self, name));
  if (remaining < MIN_KEPT_BACKUPS)
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
  dialog = new_dialog (self, _("Delete This Backup?"), body);
  g_object_set_data_full (G_OBJECT (dialog), "backup-name", g_strdup (name), g_free);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------------------ */
/* Download and check                                                       */

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
  if (is_disposed (self) || (self->job != OSI_WINDOW_JOB_DOWNLOAD && self->job != OSI_WINDOW_JOB_UPLOAD))
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
on_download_progress (guint64  done,
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
  long_job_end (self, OSI_WINDOW_JOB_DOWNLOAD);
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

/* The history's file, written in a worker: a history of its own on the
 * same file (the window's emits "changed" on this thread, after). */
typedef struct
{
  char *history;
  char *path;
  char *sha256;
} DownloadRecord;

static void
download_record_free (DownloadRecord *record)
{
  g_free (record->history);
  g_free (record->path);
  g_free (record->sha256);
  g_free (record);
}

static void
record_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DownloadRecord *record = task_data;
  g_autoptr(OsiCheckHistory) history = osi_check_history_new (record->history);
  GError *error = NULL;

  if (osi_check_history_record_download (history, record->path, record->sha256, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_download_recorded (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  OsiWindow *self = OSI_WINDOW (source);
  DownloadRecord *record = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  /* A history that cannot be written costs the "unchanged since", never
   * the download. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("the download of %s is not remembered: %s", record->path, error->message);
  if (is_disposed (self))
    return;
  if (error == NULL)
    g_signal_emit_by_name (self->check_history, "changed");
  download_done (self, record->path);
}

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autofree char *path = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GError) error = NULL;

  path = osi_client_download_finish (OSI_CLIENT (source), result, &sha256, &error);
  if (is_disposed (self))
    return;
  if (path == NULL)
    {
      long_job_end (self, OSI_WINDOW_JOB_DOWNLOAD);
      if (is_cancelled (error))
        osi_window_add_toast (self, adw_toast_new (_("Download cancelled: it will resume where it stopped")));
      else
        show_error (self, _("The Download Failed"), error, FALSE);
      return;
    }
  /* DESIGN §5: the check history keeps what the server sent, so that a
   * check can say later whether the file is still that. The download
   * goes on until then: a check of the file waits for it. */
  if (sha256 != NULL && g_path_is_absolute (path))
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, on_download_recorded, NULL);
      DownloadRecord *record = g_new0 (DownloadRecord, 1);

      record->history = g_strdup (osi_check_history_get_path (self->check_history));
      record->path = g_steal_pointer (&path);
      record->sha256 = g_steal_pointer (&sha256);
      g_task_set_source_tag (task, on_downloaded);
      g_task_set_task_data (task, record, (GDestroyNotify)download_record_free);
      g_task_run_in_thread (task, record_thread);
      return;
    }
  download_done (self, path);
}

static void
action_download (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  g_autofree char *folder = osi_window_dup_download_folder (self);
  g_autofree char *status = NULL;

  if (self->client == NULL || long_job_running (self) || refuse_unnamable (self, name))
    return;
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;
      g_autoptr(GError) error = g_error_new (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_LOCAL,
                                             _("Cannot create the download folder %s: %s"), folder,
                                             g_strerror (saved_errno));

      show_error (self, _("The Download Failed"), error, FALSE);
      return;
    }
  status = g_strdup_printf (_("Downloading %s…"), name);
  long_job_start (self, OSI_WINDOW_JOB_DOWNLOAD, status);
  osi_client_download_async (self->client, name, folder, on_download_progress, self,
                             self->transfer_cancellable, on_downloaded, g_object_ref (self));
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
on_check_progress (guint64  done,
                   guint64  total,
                   gpointer user_data)
{
  OsiWindow *self = user_data;
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *text = NULL;

  if (is_disposed (self) || self->job != OSI_WINDOW_JOB_CHECK)
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

static void check_path (OsiWindow  *self,
                        const char *path);

static void
on_check_window_destroyed (OsiWindow *self,
                           GtkWidget *window)
{
  if ((GtkWidget *)self->check_window == window)
    self->check_window = NULL;
}

/* One report window, which each new check updates; the file's former
 * check is read before this one replaces it. */
static void
show_report (OsiWindow       *self,
             OsiVerifyReport *report)
{
  const char *file = osi_verify_report_get_file (report);
  g_autoptr(OsiCheckRecord) previous = osi_check_history_lookup (self->check_history, file);
  g_autoptr(GError) error = NULL;

  if (!osi_check_history_record (self->check_history, file, osi_verify_report_get_verdict (report), &error))
    g_debug ("the check of %s is not remembered: %s", file, error->message);
  if (self->check_window == NULL)
    {
      self->check_window = osi_check_window_new (self, self->check_history);
      g_signal_connect_object (self->check_window, "destroy", G_CALLBACK (on_check_window_destroyed), self,
                               G_CONNECT_SWAPPED);
    }
  osi_check_window_set_report (self->check_window, report, previous);
  gtk_window_present (GTK_WINDOW (self->check_window));
}

/* Files dropped together are checked one after the other. */
static void
check_next (OsiWindow *self)
{
  g_autofree char *path = NULL;

  if (long_job_running (self) || g_queue_is_empty (&self->check_queue))
    return;
  path = g_queue_pop_head (&self->check_queue);
  check_path (self, path);
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
  if (is_disposed (self))
    return;
  long_job_end (self, OSI_WINDOW_JOB_CHECK);
  if (report == NULL)
    {
      if (is_cancelled (error))
        g_queue_clear_full (&self->check_queue, g_free);
      else
        show_error (self, _("The Check Failed"), error, FALSE);
      check_next (self);
      return;
    }

  show_report (self, report);
  check_next (self);
}

static void
check_path (OsiWindow  *self,
            const char *path)
{
  OsiProgressRelay *relay;
  g_autofree char *base = g_filename_display_basename (path);
  g_autofree char *status = g_strdup_printf (_("Checking %s…"), base);

  if (long_job_running (self))
    return;
  long_job_start (self, OSI_WINDOW_JOB_CHECK, status);
  /* The relay brings progress from the checking thread to this one; it
   * holds the window until the check ends. */
  relay = osi_progress_relay_new (on_check_progress, self);
  g_object_set_data_full (G_OBJECT (self->transfer_cancellable), "relay", relay,
                          (GDestroyNotify)osi_progress_relay_unref);
  osi_archive_verify_async (path, NULL, osi_progress_relay_report, relay, self->transfer_cancellable,
                            on_checked, g_object_ref (self));
}

static void
action_check_path (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  check_path (OSI_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static gboolean
on_drop (OsiWindow     *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  g_autoptr(GSList) single = NULL;
  GSList *files;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    files = g_value_get_boxed (value);
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    files = single = g_slist_prepend (NULL, g_value_get_object (value));
  else
    return FALSE;
  return osi_window_check_files (self, files) > 0;
}

static void
add_drop_target (OsiWindow *self)
{
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect_object (target, "drop", G_CALLBACK (on_drop), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

static void
action_check_file (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  OsiWindow *self = OSI_WINDOW (widget);
  g_autofree char *folder = osi_window_dup_download_folder (self);

  osi_backup_file_chooser_show (GTK_WINDOW (self), _("Check a Backup"), _("_Check"), folder,
                                (OsiFileChosenFunc)check_path, self);
}

/* ------------------------------------------------------------------------ */
/* Restore from a file                                                      */

static void
on_upload_progress (guint64  done,
                    guint64  total,
                    double   rate,
                    gpointer user_data)
{
  show_transfer_progress (user_data, done, total, rate);
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(OsiWindow) self = user_data;
  g_autoptr(OsiBackupInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = osi_client_upload_finish (OSI_CLIENT (source), result, &error);
  if (is_disposed (self))
    return;
  long_job_end (self, OSI_WINDOW_JOB_UPLOAD);
  if (is_cancelled (error))
    {
      osi_window_add_toast (self, adw_toast_new (_("Sending cancelled: the server keeps nothing of it")));
      return;
    }
  if (info == NULL)
    {
      show_error (self, _("The File Could Not Be Sent"), error, FALSE);
      return;
    }
  /* The server lists the file now, whatever the answer to the warning. */
  refresh (self);
  confirm_restore (self, osi_backup_info_get_name (info), osi_backup_info_get_display_date (info));
}

static void
hash_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  char hex[OSI_SHA256_HEX_LEN + 1];
  GError *error = NULL;

  if (osi_sha256_file (task_data, hex, cancellable, &error))
    g_task_return_pointer (task, g_strdup (hex), g_free);
  else
    g_task_return_error (task, error);
}

static void
refuse_taken_name (OsiWindow  *self,
                   const char *name)
{
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_EXISTS,
                                         _("The server already has a different backup named “%s”. Rename the "
                                           "file, keeping its extension, and try again."),
                                         name);

  show_error (self, _("The File Could Not Be Sent"), error, FALSE);
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

  digest = g_task_propagate_pointer (G_TASK (result), &error);
  if (is_disposed (self))
    return;
  long_job_end (self, OSI_WINDOW_JOB_UPLOAD);
  if (is_cancelled (error))
    return;
  if (digest == NULL)
    {
      show_error (self, _("The File Could Not Be Sent"), error, FALSE);
      return;
    }
  info = find_backup (self, name);
  if (info == NULL || g_ascii_strcasecmp (digest, osi_backup_info_get_sha256 (info)) != 0)
    {
      refuse_taken_name (self, name);
      return;
    }
  confirm_restore (self, name, osi_backup_info_get_display_date (info));
}

/* ------------------------------------------------------------------------ */
/* Other actions                                                            */

static void
action_refresh (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  refresh (OSI_WINDOW (widget));
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
  update_view (self);
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
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->dialog));
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
  g_clear_pointer (&self->action_states, g_hash_table_unref);

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
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, page_label);
  gtk_widget_class_bind_template_child (widget_class, OsiWindow, page_size_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, on_banner_response);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);

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

static void
osi_window_init (OsiWindow *self)
{
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->action_states = g_hash_table_new (g_str_hash, g_str_equal);
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
  build_columns (self);
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
  add_page_shortcuts (self);
  add_help_overlay_action (self);
  self->check_history = osi_check_history_new (NULL);
  add_drop_target (self);
  update_view (self);

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
      self->loaded = FALSE;
      self->listing = FALSE;
      /* Another server: what it offers is asked again, after its list. */
      self->features_asked = FALSE;
      self->probing = FALSE;
      hide_banner (self);
      g_list_store_remove_all (self->store);
    }
  adw_window_title_set_subtitle (self->window_title,
                                 server_label != NULL ? server_label
                                 : client != NULL ? osi_client_get_base_url (client) : "");
  refresh (self);
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
  return self->listing || self->probing || self->restore_diffs > 0 || long_job_running (self);
}

const char *
osi_window_get_last_toast (OsiWindow *self)
{
  return self->last_toast;
}

guint
osi_window_check_files (OsiWindow *self,
                        GSList    *files)
{
  guint queued = 0;

  g_return_val_if_fail (OSI_IS_WINDOW (self), 0);

  if (long_job_running (self) && self->job != OSI_WINDOW_JOB_CHECK)
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
  g_autofree char *status = NULL;
  OsiBackupInfo *taken;

  g_return_if_fail (OSI_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  if (self->client == NULL || long_job_running (self))
    return;
  /* DESIGN §5: said before anything is read or sent. */
  if (osi_window_server_lacks (self, "upload"))
    {
      g_autoptr(GError) error = g_error_new_literal (OSI_CLIENT_ERROR, OSI_CLIENT_ERROR_UNSUPPORTED,
                                                     osi_window_no_upload_text ());

      show_error (self, _("The File Could Not Be Sent"), error, FALSE);
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

      show_error (self, _("The File Could Not Be Sent"), error, FALSE);
      return;
    }
  /* The server never replaces a backup: it would refuse the file after
   * it came, in words about a job under way. A file downloaded from it
   * is usually that very backup, which needs no sending. */
  taken = find_backup (self, name);
  if (taken != NULL && osi_backup_info_get_sha256 (taken) == NULL)
    {
      refuse_taken_name (self, name);
      return;
    }
  if (taken != NULL)
    {
      g_autoptr(GTask) task = NULL;

      status = g_strdup_printf (_("Comparing %s with the server’s backup of that name…"), name);
      long_job_start (self, OSI_WINDOW_JOB_UPLOAD, status);
      /* Hashing says nothing of how far it is. */
      gtk_widget_set_visible (GTK_WIDGET (self->status_progress), FALSE);
      task = g_task_new (self, self->transfer_cancellable, on_file_hashed, g_strdup (name));
      g_task_set_task_data (task, g_strdup (path), g_free);
      g_task_run_in_thread (task, hash_thread);
      return;
    }
  status = g_strdup_printf (_("Sending %s to the server…"), name);
  long_job_start (self, OSI_WINDOW_JOB_UPLOAD, status);
  osi_client_upload_async (self->client, path, on_upload_progress, self, self->transfer_cancellable,
                           on_uploaded, g_object_ref (self));
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
