/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-window"

#include "config.h"

#include "osi-backup-info.h"
#include "osi-window-private.h"

/* How each column of the column view sorts. The columns and the cells
 * that show a backup (OsiBackupCell, OsiBackupRowActions) are in
 * osi-window.ui. */

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

void
_osi_window_columns_init (OsiWindow *self)
{
  struct { GtkColumnViewColumn *column; GCompareDataFunc compare; } sorters[] = {
    { self->name_column, compare_names },
    { self->date_column, compare_dates },
    { self->size_column, compare_sizes },
  };

  for (guint i = 0; i < G_N_ELEMENTS (sorters); i++)
    {
      g_autoptr(GtkSorter) sorter = GTK_SORTER (gtk_custom_sorter_new (sorters[i].compare, NULL, NULL));

      gtk_column_view_column_set_sorter (sorters[i].column, sorter);
    }

  /* Newest first until the user clicks a column header. */
  gtk_column_view_sort_by_column (self->column_view, self->date_column, GTK_SORT_DESCENDING);
}
