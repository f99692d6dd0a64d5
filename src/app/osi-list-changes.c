/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-app"

#include "config.h"

#include "osi-list-changes.h"

void
osi_list_model_emit_changes (GListModel    *model,
                             gconstpointer  before,
                             guint          before_n,
                             gconstpointer  after,
                             guint          after_n,
                             OsiListItemAt  item_at)
{
  guint head = 0;
  guint tail = 0;

  g_return_if_fail (G_IS_LIST_MODEL (model));
  g_return_if_fail (item_at != NULL);

  while (head < before_n && head < after_n && item_at (before, head) == item_at (after, head))
    head++;
  while (tail < before_n - head && tail < after_n - head &&
         item_at (before, before_n - 1 - tail) == item_at (after, after_n - 1 - tail))
    tail++;
  if (head < before_n || head < after_n)
    g_list_model_items_changed (model, head, before_n - head - tail, after_n - head - tail);
}
