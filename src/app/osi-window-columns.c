/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "osi-backup-info.h"
#include "osi-slot.h"
#include "osi-window-private.h"

/* The column view's columns: how a row shows a backup, and how each
 * column sorts. */

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

/* docs/api.md §5.3: an entry the server sent wrong is shown as well as it can
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
  /* A name that cannot be sent back (docs/api.md §5.3) leaves nothing to act on.
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

void
_osi_window_columns_init (OsiWindow *self)
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